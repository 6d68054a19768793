package graph

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	abs "github.com/microsoft/kiota-abstractions-go"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	kauth "github.com/microsoft/kiota-authentication-azure-go"
	khttp "github.com/microsoft/kiota-http-go"
	kform "github.com/microsoft/kiota-serialization-form-go"
	kjson "github.com/microsoft/kiota-serialization-json-go"
	kmultipart "github.com/microsoft/kiota-serialization-multipart-go"
	ktext "github.com/microsoft/kiota-serialization-text-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/migrate-tool/migrate/target"
)

// Defaults of Config.
const (
	// DefaultEndpoint is Microsoft Graph v1.0 in Microsoft's global cloud.
	DefaultEndpoint = "https://graph.microsoft.com/v1.0"
	// DefaultAuthority is the Microsoft Entra authority host of the global
	// cloud.
	DefaultAuthority = "https://login.microsoftonline.com/"
)

// Auth modes of Config.Auth.
const (
	// AuthClientSecret is the OAuth 2.0 client credentials grant with a
	// client secret (application permissions).
	AuthClientSecret = "client_secret"
	// AuthCertificate is the client credentials grant with a certificate
	// (application permissions).
	AuthCertificate = "certificate"
	// AuthDeviceCode signs a user in with the device code flow (delegated
	// permissions: only mailboxes that user may write to).
	AuthDeviceCode = "device_code"
	// AuthToken uses a pre-issued bearer token as is. It cannot be
	// refreshed: the run stops with ErrAuth when it expires.
	AuthToken = "token"
)

// Config configures a Client. Secret fields never appear in errors or logs.
type Config struct {
	// Endpoint is the Graph base URL with its version; "" means
	// DefaultEndpoint. National clouds have their own (for example
	// https://graph.microsoft.us/v1.0); the emulator prints its own.
	Endpoint string
	// Authority is the Microsoft Entra authority host; "" means
	// DefaultAuthority. Instance discovery is turned off for hosts that are
	// not Microsoft's own (the emulator, private clouds).
	Authority string
	// Tenant is the tenant ID or a verified domain of the tenant.
	Tenant string
	// Auth is one of AuthClientSecret (the default when ""),
	// AuthCertificate, AuthDeviceCode and AuthToken.
	Auth string
	// ClientID is the application (client) ID of the app registration.
	ClientID string
	// ClientSecret is the client secret, for AuthClientSecret.
	ClientSecret string
	// CertificateFile is a PEM or PKCS#12 file with the certificate and
	// its private key, for AuthCertificate.
	CertificateFile string
	// CertificatePassword decrypts CertificateFile, if it is encrypted.
	CertificatePassword string
	// Token is the bearer token, for AuthToken.
	Token string
	// CAFile is a PEM file of CA certificates trusted in addition to the
	// system's (the emulator's CA).
	CAFile string
	// DeviceCodePrompt receives the device code sign-in instructions, for
	// AuthDeviceCode; nil means os.Stderr.
	DeviceCodePrompt io.Writer
	// Logger receives retries, throttling waits and fallbacks, each with
	// the attribute component=graph; nil discards them.
	Logger *slog.Logger
	// TimeScale speeds up pacing for tests against a time-scaled emulator:
	// the throttling windows and the retry back-off are divided by it
	// (Retry-After is honoured as the server sends it; the emulator scales
	// it itself). 0 or 1 means real time.
	TimeScale float64
	// MaxMessageSize, when positive, is the tenant's maximum message size:
	// a larger message fails with *target.ItemError before any request.
	// 0 leaves the decision to the server.
	MaxMessageSize int64
	// Concurrency is the number of requests in flight per mailbox; 0 or
	// more than 4 means 4, Exchange Online's limit.
	Concurrency int
	// Answers are what a tenant probe (Mailbox's Probe, recorded in the
	// plan) learned. With AttachToReceived target.AnswerNo a message whose
	// attachments do not all fit in the creation request is created as a
	// draft carrying all of them from the start; with "" the client finds
	// out at the first refusal.
	Answers target.TenantAnswers
}

// Client is a connection to Microsoft Graph for one tenant. It is safe for
// concurrent use; Mailbox returns the mailboxes to migrate into.
type Client struct {
	cfg        Config
	log        *slog.Logger
	scale      float64
	adapter    abs.RequestAdapter // request builders are made from it, see users
	uploadHTTP *http.Client
	policy     retryPolicy
	pageSize   int32
	// gzipRefused records that the server refused a compressed request
	// body (415): later bodies go uncompressed (see compressionHandler).
	gzipRefused atomic.Bool

	// reportMu guards report, the tenant's mailbox usage report once
	// fetched (see usageReport).
	reportMu sync.Mutex
	report   *mailboxUsage

	mu     sync.Mutex
	shared map[string]*mailboxState // by mailbox id, shared by its handles
}

// mailboxState is what every handle of one mailbox shares in a Client.
// Nothing in it is needed for correctness: a new process starts without
// it and gets the same results.
type mailboxState struct {
	pace *pacer
	// attachRefused records that the mailbox refused attachments added
	// to a non-draft message, so later messages go to the draft fallback
	// at once.
	attachRefused atomic.Bool
	// uncertain holds source keys whose PutMessage failed after a request
	// that may have created the item: the next PutMessage of such a key
	// looks for it first.
	uncertain sync.Map
	// categories is the mailbox's master category list as far as known.
	categories categoryList
}

// New builds the credential and the Graph client. It does no network I/O:
// a wrong secret or a missing permission shows at the first request (see
// Client.Mailbox).
func New(ctx context.Context, cfg *Config) (*Client, error) {
	if cfg == nil {
		return nil, errors.New("graph: a configuration is required")
	}
	c := &Client{cfg: *cfg, shared: map[string]*mailboxState{}, pageSize: 500}
	if c.cfg.Endpoint == "" {
		c.cfg.Endpoint = DefaultEndpoint
	}
	if c.cfg.Authority == "" {
		c.cfg.Authority = DefaultAuthority
	}
	if c.cfg.Auth == "" {
		c.cfg.Auth = AuthClientSecret
	}
	c.log = c.cfg.Logger
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("component", "graph")
	c.scale = c.cfg.TimeScale
	if c.scale <= 0 {
		c.scale = 1
	}
	c.policy = defaultRetryPolicy(c.scale)

	endpoint, err := url.Parse(strings.TrimRight(c.cfg.Endpoint, "/"))
	if err != nil || endpoint.Host == "" || (endpoint.Scheme != "https" && endpoint.Scheme != "http") {
		return nil, fmt.Errorf("graph: target.graph_endpoint %q is not an http(s) URL such as %s", c.cfg.Endpoint, DefaultEndpoint)
	}
	authority, err := url.Parse(c.cfg.Authority)
	if err != nil || authority.Host == "" || authority.Scheme != "https" {
		return nil, fmt.Errorf("graph: target.authority %q is not an https URL such as %s", c.cfg.Authority, DefaultAuthority)
	}

	base, err := baseTransport(c.cfg.CAFile)
	if err != nil {
		return nil, err
	}
	cred, err := newCredential(&c.cfg, authority, &http.Client{Transport: base, Timeout: 2 * time.Minute})
	if err != nil {
		return nil, err
	}
	origin := endpoint.Scheme + "://" + endpoint.Host
	authProvider, err := kauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(cred,
		[]string{origin + "/.default"}, []string{endpoint.Hostname()})
	if err != nil {
		return nil, fmt.Errorf("graph: authentication provider: %w", err)
	}

	paced := &pacedTransport{next: base, log: c.log}
	httpClient := &http.Client{
		Transport: khttp.NewCustomTransportWithParentTransport(paced, middlewares(&compressionHandler{refused: &c.gzipRefused, log: c.log})...),
		Timeout:   5 * time.Minute,
		// Redirects are the SDK's redirect handler's to follow (or not,
		// see reportLocation), as in kiota's default client.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	parse, write := serializers()
	adapter, err := msgraphcore.NewGraphRequestAdapterBaseWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(
		authProvider, msgraphcore.GraphClientOptions{}, parse, write, httpClient)
	if err != nil {
		return nil, fmt.Errorf("graph: request adapter: %w", err)
	}
	adapter.SetBaseUrl(endpoint.String())
	// As NewGraphBaseServiceClient does, with a nil factory: it wraps the
	// client's own registries for the models' backing store (a PATCH sends
	// only the properties set) and leaves the SDK's package-level backing
	// store factory alone, which setting it would race with any other
	// client's requests.
	adapter.EnableBackingStore(nil)
	c.adapter = adapter
	// Upload URLs and report download URLs are pre-authenticated and on
	// other hosts (Outlook's, the reports'): they go through the pacing
	// but never get the bearer token.
	c.uploadHTTP = &http.Client{Transport: paced, Timeout: 5 * time.Minute}
	return c, nil
}

// serializers returns the parse node and serialization writer factories
// that NewGraphBaseServiceClient registers in kiota's package-level
// registries, in registries of the client's own: nothing global is
// changed, and no *msgraph.GraphServiceClient is needed (see users).
func serializers() (absser.ParseNodeFactory, absser.SerializationWriterFactory) {
	parse := absser.NewParseNodeFactoryRegistry()
	for _, f := range []absser.ParseNodeFactory{kjson.NewJsonParseNodeFactory(), ktext.NewTextParseNodeFactory(), kform.NewFormParseNodeFactory()} {
		if ct, err := f.GetValidContentType(); err == nil && ct != "" {
			parse.ContentTypeAssociatedFactories[ct] = f
		}
	}
	write := absser.NewSerializationWriterFactoryRegistry()
	for _, f := range []absser.SerializationWriterFactory{kjson.NewJsonSerializationWriterFactory(), ktext.NewTextSerializationWriterFactory(),
		kform.NewFormSerializationWriterFactory(), kmultipart.NewMultipartSerializationWriterFactory()} {
		if ct, err := f.GetValidContentType(); err == nil && ct != "" {
			write.ContentTypeAssociatedFactories[ct] = f
		}
	}
	return parse, write
}

// users returns the request builder of /users, made from the request
// adapter. The client never builds a *msgraph.GraphServiceClient: its
// methods lead to every request builder of the SDK, and once such a value
// reaches an interface in a program that also links text/template (cobra
// does), the linker must keep all of them, because text/template looks
// methods up by name through reflect (see the reflect.Value.MethodByName
// note in cmd/link's deadcode). Building only the trees in use, and
// keeping the builders out of anything that reaches an interface (any,
// fmt, slog), keeps the binary small; make check-size guards it.
func (c *Client) users() *users.UsersRequestBuilder {
	return users.NewUsersRequestBuilderInternal(map[string]string{"baseurl": c.adapter.GetBaseUrl()}, c.adapter)
}

// middlewares is the SDK's default pipeline without its retry handler: it
// would retry 429 and 5xx on its own, behind the pacing's back and without
// the bounds and reconciliation of non-idempotent requests done here
// (retry.go). Its compression handler is replaced by comp, in the same
// place (see compressionHandler). The Prefer: IdType="ImmutableId" handler
// is added so that the IDs stored by the engine survive a user moving
// items in Outlook (https://learn.microsoft.com/graph/outlook-immutable-id).
func middlewares(comp *compressionHandler) []khttp.Middleware {
	var out []khttp.Middleware
	for _, m := range msgraphcore.GetDefaultMiddlewaresWithOptions(&msgraphcore.GraphClientOptions{GraphServiceVersion: "v1.0", GraphServiceLibraryVersion: "1.89.0"}) {
		switch m.(type) {
		case khttp.RetryHandler, *khttp.RetryHandler:
			continue
		case *khttp.CompressionHandler:
			m = comp
		}
		out = append(out, m)
	}
	return append(out, immutableIDHandler{})
}

// immutableIDHandler asks Graph for immutable item and folder IDs.
type immutableIDHandler struct{}

// Intercept implements khttp.Middleware.
func (immutableIDHandler) Intercept(p khttp.Pipeline, i int, req *http.Request) (*http.Response, error) {
	req.Header.Add("Prefer", `IdType="ImmutableId"`)
	return p.Next(req, i)
}

// baseTransport is the HTTP transport trusting the system roots and caFile.
func baseTransport(caFile string) (*http.Transport, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16
	tr.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	tr.ResponseHeaderTimeout = 3 * time.Minute
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("graph: target.ca_file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("graph: target.ca_file %s holds no PEM certificate", caFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return tr, nil
}

// errorMapping makes the SDK parse every 4xx and 5xx body as Graph's
// error object.
var errorMapping = abs.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue}

// Mailbox returns the mailbox of the user with the given address (user
// principal name or ID) after checking that it exists: GET /users/{address}
// (https://learn.microsoft.com/graph/api/user-get). An unknown user is
// target.ErrNotFound; refused credentials or a missing User.Read.All
// permission are target.ErrAuth.
func (c *Client) Mailbox(ctx context.Context, address string) (target.Mailbox, error) {
	address = strings.TrimSpace(address)
	if address == "" {
		return nil, errors.New("graph: a mailbox address is required")
	}
	where := fmt.Sprintf("mailbox %s", address)
	var id, upn string
	err := c.retry(ctx, nil, where, "look up the user", func(ctx context.Context) error {
		ri, err := c.users().ByUserId(address).ToGetRequestInformation(ctx, &users.UserItemRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: []string{"id", "userPrincipalName"}},
		})
		if err != nil {
			return err
		}
		res, err := c.adapter.Send(ctx, ri, newUserRef, errorMapping)
		if err != nil {
			return err
		}
		u, ok := res.(*userRef)
		if !ok || u.id == "" {
			return errors.New("the user came back without an id")
		}
		id, upn = u.id, u.upn
		return nil
	}, nil)
	if err != nil {
		return nil, c.describe(err, where, "look up the user", permUser)
	}
	st := c.stateFor(id)
	return &mailbox{c: c, address: address, id: id, upn: upn, pace: st.pace, state: st,
		folders: map[string]target.FolderID{}, folderNames: map[target.FolderID]string{}}, nil
}

// userRef is what Mailbox reads of a user, parsed into a Parsable of the
// package's own rather than models.User: the user's navigation properties
// (insights, drive, ...) reach nearly every model type of the SDK, and
// keep them all in the binary (see Client.users).
type userRef struct{ id, upn string }

// newUserRef is the absser.ParsableFactory of userRef.
func newUserRef(absser.ParseNode) (absser.Parsable, error) { return &userRef{}, nil }

// Serialize implements absser.Parsable; a userRef is only ever read.
func (u *userRef) Serialize(absser.SerializationWriter) error {
	return errors.New("graph: a user reference is not sent")
}

// GetFieldDeserializers implements absser.Parsable: only "id" and
// "userPrincipalName" are read, other properties are ignored.
func (u *userRef) GetFieldDeserializers() map[string]func(absser.ParseNode) error {
	return map[string]func(absser.ParseNode) error{
		"id": func(n absser.ParseNode) error {
			v, err := n.GetStringValue()
			u.id = val(v)
			return err
		},
		"userPrincipalName": func(n absser.ParseNode) error {
			v, err := n.GetStringValue()
			u.upn = val(v)
			return err
		},
	}
}

// stateFor returns the state shared by every handle of one mailbox.
func (c *Client) stateFor(id string) *mailboxState {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := strings.ToLower(id)
	st := c.shared[key]
	if st == nil {
		st = &mailboxState{pace: newPacer(c.cfg.Envelope())}
		st.attachRefused.Store(c.cfg.Answers.AttachToReceived == target.AnswerNo)
		c.shared[key] = st
	}
	return st
}

var _ azcore.TokenCredential = staticToken{}
