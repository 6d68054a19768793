// Package graphemu is a local emulator of the parts of Microsoft Graph v1.0
// that a mailbox migration uses: the Microsoft identity platform's client
// credentials token endpoint and discovery documents, users, mail folders
// and messages (JSON and MIME creation, extended properties, attachments
// and upload sessions), contact folders and contacts, calendars and events.
//
// It follows Microsoft's documentation, not a particular client: each
// behaviour carries the URL of the page it models next to the code. What is
// not documented is an option with a conservative default (see Options).
//
// Besides Graph it serves an inspection API under /_emulator/ (see
// inspect.go) that tests use to see what a migration created, including
// what Graph does not show, such as whether an event sent invitations.
//
// The request pipeline is: request log -> fault injection -> ($batch ->
// auth -> batch handler) or (auth -> throttling -> Graph router).
package graphemu

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/migrate-tool/migrate/migrate/selfsigned"
	"github.com/migrate-tool/migrate/target/graphemu/batch"
	"github.com/migrate-tool/migrate/target/graphemu/faults"
	"github.com/migrate-tool/migrate/target/graphemu/identity"
	"github.com/migrate-tool/migrate/target/graphemu/internal/ids"
	"github.com/migrate-tool/migrate/target/graphemu/throttle"
)

// Graph permissions (application roles) the emulator checks.
// https://learn.microsoft.com/graph/permissions-reference
const (
	PermUserReadAll        = "User.Read.All"
	PermMailRead           = "Mail.Read"
	PermMailReadWrite      = "Mail.ReadWrite"
	PermContactsRead       = "Contacts.Read"
	PermContactsReadWrite  = "Contacts.ReadWrite"
	PermCalendarsRead      = "Calendars.Read"
	PermCalendarsReadWrite = "Calendars.ReadWrite"
	// PermMailboxSettingsRead and PermMailboxSettingsReadWrite guard the
	// master category list (/users/{id}/outlook/masterCategories).
	PermMailboxSettingsRead      = "MailboxSettings.Read"
	PermMailboxSettingsReadWrite = "MailboxSettings.ReadWrite"
)

// AllPermissions is what the main app (Options.ClientID) is granted.
var AllPermissions = []string{PermUserReadAll, PermMailReadWrite, PermContactsReadWrite, PermCalendarsReadWrite, PermMailboxSettingsReadWrite}

// DefaultMaxMessageSize is Exchange Online's default maximum message size,
// 35 MB, which an administrator can raise to 150 MB.
// https://learn.microsoft.com/graph/api/attachment-createuploadsession
const DefaultMaxMessageSize = 35 << 20

// MaxRequestSize is Graph's limit on one request's body: 4 MB.
// https://learn.microsoft.com/graph/api/user-post-messages ("limited to 4 MB
// ... HTTP 413 Request Entity Too Large") and
// https://learn.microsoft.com/graph/api/message-post-attachments.
const MaxRequestSize = 4 << 20

// App is an application registered in the emulated tenant. A request
// the app lacks a permission for gets 403.
type App = identity.App

// MailboxOptions overrides emulator behaviour for one mailbox.
type MailboxOptions struct {
	// MaxMessageSize overrides Options.MaxMessageSize when > 0.
	MaxMessageSize int64
	// AttachmentsOnNonDraft overrides Options.AttachmentsOnNonDraft.
	AttachmentsOnNonDraft *bool
	// Quotas overrides Options.Quotas field by field (zero fields keep
	// them).
	Quotas Quotas
	// Unreported leaves the mailbox out of the mailbox usage report, as
	// Microsoft's reports do for up to 48 hours after a mailbox is created.
	Unreported bool
}

// Options configures an Emulator. The zero value of each field is a
// documented default.
type Options struct {
	// Tenant is the tenant name or id used in the token URL
	// (/{tenant}/oauth2/v2.0/token). Default "emulator.test".
	Tenant string
	// ClientID and ClientSecret are the main app's credentials; it gets
	// AllPermissions. Both are required.
	ClientID, ClientSecret string
	// Apps are further apps with their own permissions.
	Apps []App
	// Users are the mailboxes' user principal names.
	Users []string
	// TimeScale speeds up throttling windows and fault delays by this
	// factor; 0 turns throttling off.
	TimeScale float64
	// Faults is a fault-injection spec (see package faults); "" = none.
	Faults string
	// Seed makes fault injection deterministic.
	Seed int64
	// DataDir keeps the tenant's data across restarts (journal and blobs);
	// "" keeps metadata in memory and large content in a temp directory.
	DataDir string
	// CAFile is where Serve writes the CA certificate clients should trust;
	// default DataDir/ca.pem, or a file in the temp directory.
	CAFile string
	// MaxMessageSize is every mailbox's maximum message size; default
	// DefaultMaxMessageSize (35 MB).
	MaxMessageSize int64
	// AttachmentsOnNonDraft lets attachments be added to a message that is
	// not a draft. Microsoft does not document whether Exchange accepts
	// that, so the default (false) refuses it with 400 "notAllowed": a
	// client that works against the default works either way.
	AttachmentsOnNonDraft bool
	// UploadStatusGET answers GET on an upload session's URL with the
	// session's status: 200 with expirationDateTime and nextExpectedRanges
	// (one "{start}" value, as the uploadSession resource says of Outlook
	// attachments), as OneDrive documents for its own upload sessions.
	// Outlook's documentation of attachment upload sessions describes only
	// PUT and DELETE on the upload URL, so the default (false) answers GET
	// with 405: a client that works against the default does not depend
	// on it.
	// https://learn.microsoft.com/graph/outlook-large-attachments,
	// https://learn.microsoft.com/graph/api/resources/uploadsession,
	// https://learn.microsoft.com/graph/api/driveitem-createuploadsession
	// ("Resuming an in-progress upload").
	UploadStatusGET bool
	// RefuseGzip answers request bodies sent with Content-Encoding: gzip
	// with 415 Unsupported Media Type. By default they are accepted:
	// Microsoft's Kiota-based SDKs compress request bodies and resend them
	// uncompressed after a 415, and this option shows a client coping with
	// a server that does not take them.
	RefuseGzip bool
	// ReportsReadAll grants the main app Reports.Read.All besides
	// AllPermissions, for the mailbox usage report (see reports.go).
	ReportsReadAll bool
	// Quotas are every mailbox's quotas in the mailbox usage report; zero
	// fields are Exchange Online's defaults for a 50 GB mailbox
	// (DefaultIssueWarningQuota...).
	Quotas Quotas
	// ConcealNames conceals user names in the usage reports, as the
	// tenant setting "Display concealed user, group, and site names in all
	// reports" does: user principal names and display names become
	// ConcealedName hashes.
	ConcealNames bool
	// Mailboxes holds per-mailbox overrides, keyed by UPN.
	Mailboxes map[string]MailboxOptions
	// TokenLifetime is the access token lifetime; default one hour.
	TokenLifetime time.Duration
	// Logger receives the emulator's logs, each with the attribute
	// component=graphemu; default discards them.
	Logger *slog.Logger
}

// Emulator is an in-process Microsoft Graph emulator.
type Emulator struct {
	opts     Options
	log      *slog.Logger
	store    *store
	ident    *identity.Service
	certs    *selfsigned.Certs
	limiter  *throttle.Limiter
	injector *faults.Injector
	reqlog   *requestLog
	handler  http.Handler

	mu      sync.Mutex
	servers []*http.Server

	// dlMu guards downloads, the usage reports waiting at their
	// pre-authenticated download URLs, by id.
	dlMu      sync.Mutex
	downloads map[string]*reportDownload

	// meetMu guards meetingMessages, the meeting messages (invitations,
	// updates, cancellations) Graph would have mailed, by mailbox id. It
	// is not journaled: a restarted emulator counts from zero.
	meetMu          sync.Mutex
	meetingMessages map[string]int
}

// New returns an Emulator. It does no I/O beyond loading DataDir.
func New(opts *Options) (*Emulator, error) {
	if opts == nil {
		return nil, errors.New("graphemu: options are required")
	}
	o := *opts
	if o.Tenant == "" {
		o.Tenant = "emulator.test"
	}
	if o.ClientID == "" || o.ClientSecret == "" {
		return nil, errors.New("graphemu: client id and client secret are required")
	}
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = DefaultMaxMessageSize
	}
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = time.Hour
	}
	if o.TimeScale < 0 {
		return nil, fmt.Errorf("graphemu: time scale %v: must not be negative", o.TimeScale)
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Emulator{opts: o, log: log.With("component", "graphemu"), reqlog: newRequestLog(10000), downloads: map[string]*reportDownload{}}
	var err error
	if e.store, err = newStore(o.DataDir); err != nil {
		return nil, err
	}
	for _, upn := range o.Users {
		upn = strings.TrimSpace(upn)
		if upn == "" {
			continue
		}
		if !strings.Contains(upn, "@") {
			return nil, fmt.Errorf("graphemu: user %q: want a user principal name like a@x.test", upn)
		}
		e.addMailbox(upn)
	}
	main := App{ClientID: o.ClientID, ClientSecret: o.ClientSecret, Permissions: AllPermissions}
	if o.ReportsReadAll {
		main.Permissions = append(slices.Clip(AllPermissions), PermReportsReadAll)
	}
	apps := append([]App{main}, o.Apps...)
	if e.ident, err = identity.New(identity.Config{Tenant: o.Tenant, Apps: apps, TokenLifetime: o.TokenLifetime, KeyDir: o.DataDir}); err != nil {
		return nil, fmt.Errorf("graphemu: %w", err)
	}
	// The CA is kept in DataDir so that clients which trust it keep
	// working across restarts; the server certificate is always fresh.
	if e.certs, err = selfsigned.New(selfsigned.Options{
		Name: "migrate Graph emulator", CALifetime: 5 * 365 * 24 * time.Hour, Lifetime: 365 * 24 * time.Hour, CADir: o.DataDir,
	}); err != nil {
		return nil, fmt.Errorf("graphemu: %w", err)
	}
	if o.TimeScale > 0 {
		e.limiter = throttle.New(throttle.ExchangeOnline(), o.TimeScale)
	}
	scale := o.TimeScale
	if scale == 0 {
		scale = 1
	}
	if e.injector, err = faults.Parse(o.Faults, o.Seed, scale); err != nil {
		return nil, fmt.Errorf("graphemu: --faults: %w", err)
	}
	e.handler = e.buildHandler()
	return e, nil
}

// addMailbox registers a mailbox and creates its well-known folders.
func (e *Emulator) addMailbox(upn string) {
	id := ids.StableGUID("mailbox", strings.ToLower(e.opts.Tenant), strings.ToLower(upn))
	name := upn[:strings.IndexByte(upn, '@')]
	e.store.addMailbox(&mailbox{ID: id, UPN: upn, DisplayName: name}, strings.ToLower(upn))
}

// maxMessageSize returns the mailbox's maximum message size.
func (e *Emulator) maxMessageSize(m *mailbox) int64 {
	if mo, ok := e.mailboxOpts(m); ok && mo.MaxMessageSize > 0 {
		return mo.MaxMessageSize
	}
	return e.opts.MaxMessageSize
}

// attachmentsOnNonDraft tells whether m accepts attachments on non-drafts.
func (e *Emulator) attachmentsOnNonDraft(m *mailbox) bool {
	if mo, ok := e.mailboxOpts(m); ok && mo.AttachmentsOnNonDraft != nil {
		return *mo.AttachmentsOnNonDraft
	}
	return e.opts.AttachmentsOnNonDraft
}

func (e *Emulator) mailboxOpts(m *mailbox) (MailboxOptions, bool) {
	for k, v := range e.opts.Mailboxes {
		if strings.EqualFold(k, m.UPN) {
			return v, true
		}
	}
	return MailboxOptions{}, false
}

// Handler returns the emulator's HTTP handler: Graph under /v1.0, the
// identity endpoints under /{tenant}/, upload sessions under /api/v2.0/,
// report downloads under /data/download/ and the inspection API under
// /_emulator/.
func (e *Emulator) Handler() http.Handler { return e.handler }

func (e *Emulator) buildHandler() http.Handler {
	router := http.HandlerFunc(e.serveGraph)
	var graph http.Handler = router
	if e.limiter != nil {
		graph = e.limiter.Middleware(e.throttleKey, router)
	}
	inner := e.ident.Authenticate(graph)
	// Inner requests of a $batch inherit the outer connection's TLS state,
	// so the URLs in their responses keep the https scheme.
	batchH := e.ident.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := e.decodeContentEncoding(r); p != nil {
			p.Write(w, r)
			return
		}
		outerTLS := r.TLS
		withTLS := http.HandlerFunc(func(w http.ResponseWriter, ir *http.Request) {
			if ir.TLS == nil {
				ir.TLS = outerTLS
			}
			inner.ServeHTTP(w, ir)
		})
		batch.Handler(withTLS, nil).ServeHTTP(w, r)
	}))

	var uploads http.Handler = http.HandlerFunc(e.serveUpload)
	if e.limiter != nil {
		uploads = e.limiter.Middleware(e.uploadThrottleKey, uploads)
	}

	mux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case strings.EqualFold(p, "/v1.0/$batch"):
			batchH.ServeHTTP(w, r)
		case hasPrefixFold(p, "/v1.0/"), strings.EqualFold(p, "/v1.0"):
			inner.ServeHTTP(w, r)
		case hasPrefixFold(p, "/api/v2.0/"):
			uploads.ServeHTTP(w, r)
		case strings.HasPrefix(p, "/data/download/"):
			e.serveDownload(w, r)
		default:
			e.ident.ServeHTTP(w, r)
		}
	})
	logged := e.reqlog.middleware(e.injector.Middleware(mux))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_emulator/") || r.URL.Path == "/_emulator" {
			e.serveInspect(w, r)
			return
		}
		logged.ServeHTTP(w, r)
	})
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// Endpoint is a running emulator's addresses.
type Endpoint struct {
	// BaseURL is the server root, e.g. https://127.0.0.1:8443.
	BaseURL string
	// GraphURL is the Graph base URL, e.g. https://127.0.0.1:8443/v1.0.
	GraphURL string
	// TokenURL is the client-credentials token endpoint.
	TokenURL string
	// AuthorityHost is the value for azcore's
	// Cloud.ActiveDirectoryAuthorityHost (the BaseURL with a slash).
	AuthorityHost string
	// Tenant is the tenant as configured.
	Tenant string
	// CAFile is the PEM file of the CA that signed the server certificate
	// ("" for plain HTTP).
	CAFile string
	// Emulator is the emulator being served.
	Emulator *Emulator

	srv  *http.Server
	done chan struct{}
}

// Close stops the server and waits for it to finish.
func (ep *Endpoint) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = ep.srv.Shutdown(ctx)
	<-ep.done
}

// HTTPClient returns an HTTP client that trusts the emulator's CA.
func (ep *Endpoint) HTTPClient() *http.Client {
	if ep.CAFile == "" {
		return &http.Client{Timeout: 2 * time.Minute}
	}
	return &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: ep.Emulator.certs.Pool(), MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2: true,
	}}
}

// Serve listens on listen (host:port; port 0 picks one) and serves the
// emulator over HTTPS with a certificate for 127.0.0.1, ::1 and localhost
// signed by the emulator's CA (written to Options.CAFile), or over plain
// HTTP when useTLS is false. It returns once the listener is ready; the
// server stops when ctx is cancelled or Endpoint.Close is called.
func (e *Emulator) Serve(ctx context.Context, listen string, useTLS bool) (*Endpoint, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("graphemu: listen %s: %w", listen, err)
	}
	host := ln.Addr().(*net.TCPAddr)
	hostport := host.String()
	if host.IP.IsUnspecified() {
		hostport = net.JoinHostPort("127.0.0.1", fmt.Sprint(host.Port))
	}
	scheme := "http"
	caFile := ""
	srv := &http.Server{Handler: e.handler, ReadHeaderTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(e.log.Handler(), slog.LevelDebug)}
	if useTLS {
		scheme = "https"
		caFile = e.opts.CAFile
		if caFile == "" {
			if e.opts.DataDir != "" {
				caFile = filepath.Join(e.opts.DataDir, "ca.pem")
			} else {
				caFile = filepath.Join(os.TempDir(), "graphemu-ca-"+ids.RandomHex(4)+".pem")
			}
		}
		if err := os.WriteFile(caFile, e.certs.CAPEM, 0o644); err != nil {
			ln.Close()
			return nil, fmt.Errorf("graphemu: write CA file: %w", err)
		}
		srv.TLSConfig = e.certs.ServerTLS()
		srv.TLSConfig.NextProtos = []string{"h2", "http/1.1"}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	base := scheme + "://" + hostport
	ep := &Endpoint{
		BaseURL:       base,
		GraphURL:      base + "/v1.0",
		TokenURL:      base + "/" + e.opts.Tenant + "/oauth2/v2.0/token",
		AuthorityHost: base + "/",
		Tenant:        e.opts.Tenant,
		CAFile:        caFile,
		Emulator:      e,
		srv:           srv,
		done:          make(chan struct{}),
	}
	go func() {
		defer close(ep.done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.log.Error("emulator server stopped", "err", err)
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		case <-ep.done:
		}
	}()
	e.mu.Lock()
	e.servers = append(e.servers, srv)
	e.mu.Unlock()
	e.log.Info("graph emulator listening", "graph", ep.GraphURL, "identity", ep.TokenURL, "ca", caFile)
	return ep, nil
}

// Close releases the emulator's files (the journal; the temp blob
// directory when there is no DataDir). Servers are stopped by their
// Endpoint or context.
func (e *Emulator) Close() error { return e.store.close() }
