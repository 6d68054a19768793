package dav_test

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/dav"
)

// node is one resource of fakeDAV: its properties (XML inside DAV:prop),
// its children (paths) for depth 1, and its body for GET.
type node struct {
	props    string
	children []string
	body     string
}

// fakeDAV is a minimal read-only DAV server for discovery tests. It
// answers PROPFIND with every property it has, whatever was asked, as
// RFC 4918 allows for allprop-like answers, and checks basic auth.
type fakeDAV struct {
	user, pass string
	nodes      map[string]node
	redirects  map[string]string // path -> Location
	mu         sync.Mutex
	methods    []string // every method received
}

func (f *fakeDAV) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.methods = append(f.methods, r.Method)
	f.mu.Unlock()
	if loc, ok := f.redirects[r.URL.Path]; ok {
		http.Redirect(w, r, loc, http.StatusMovedPermanently)
		return
	}
	if u, p, ok := r.BasicAuth(); !ok || u != f.user || p != f.pass {
		w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	n, ok := f.nodes[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet:
		w.Header().Set("Content-Type", "text/calendar")
		io.WriteString(w, n.body)
	case "PROPFIND":
		paths := []string{r.URL.Path}
		if r.Header.Get("Depth") == "1" {
			paths = append(paths, n.children...)
		}
		w.Header().Set("Content-Type", `application/xml; charset="utf-8"`)
		w.WriteHeader(http.StatusMultiStatus)
		io.WriteString(w, `<?xml version="1.0" encoding="utf-8"?><D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CR="urn:ietf:params:xml:ns:carddav" xmlns:CS="http://calendarserver.org/ns/">`)
		for _, p := range paths {
			fmt.Fprintf(w, `<D:response><D:href>%s</D:href><D:propstat><D:prop>%s</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>`+
				`<D:propstat><D:prop><D:quota-used-bytes/></D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat></D:response>`, p, f.nodes[p].props)
		}
		io.WriteString(w, `</D:multistatus>`)
	default:
		http.Error(w, "read-only test server", http.StatusMethodNotAllowed)
	}
}

const (
	rwPrivs   = `<D:current-user-privilege-set><D:privilege><D:read/></D:privilege><D:privilege><D:write/></D:privilege></D:current-user-privilege-set>`
	roPrivs   = `<D:current-user-privilege-set><D:privilege><D:read/></D:privilege></D:current-user-privilege-set>`
	badObject = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:broken\r\nthis line has no colon\r\nDTSTART:not-a-date\r\n"
)

// newFakeDAV builds a server with a principal, two home sets and a mix of
// collections: what a Nextcloud-like server lists.
func newFakeDAV() *fakeDAV {
	col := func(types, name, extra string, children ...string) node {
		return node{props: `<D:resourcetype><D:collection/>` + types + `</D:resourcetype><D:displayname>` + name + `</D:displayname>` + extra, children: children}
	}
	obj := func(body string) node {
		return node{props: `<D:resourcetype/><D:getetag>"1"</D:getetag><D:getcontentlength>` + strconv.Itoa(len(body)) +
			`</D:getcontentlength><D:getlastmodified>Tue, 01 Dec 2026 10:00:00 GMT</D:getlastmodified><D:getcontenttype>text/calendar</D:getcontenttype>`, body: body}
	}
	return &fakeDAV{
		user: "alice", pass: "s3cret-pw",
		redirects: map[string]string{
			"/.well-known/caldav":  "/remote.php/dav/",
			"/.well-known/carddav": "/remote.php/dav/",
		},
		nodes: map[string]node{
			"/remote.php/dav/":               {props: `<D:resourcetype><D:collection/></D:resourcetype><D:current-user-principal><D:href>/principals/alice/</D:href></D:current-user-principal>`},
			"/principals/alice/":             {props: `<D:resourcetype><D:collection/><D:principal/></D:resourcetype><CR:addressbook-home-set><D:href>/cards/alice/</D:href></CR:addressbook-home-set><C:calendar-home-set><D:href>/cals/alice/</D:href></C:calendar-home-set>`},
			"/cards/alice/":                  col("", "", "", "/cards/alice/contacts/", "/cards/alice/work/"),
			"/cards/alice/contacts/":         col(`<CR:addressbook/>`, "Contacts", rwPrivs),
			"/cards/alice/work/":             col(`<CR:addressbook/>`, "Work", rwPrivs),
			"/cals/alice/":                   col("", "", "", "/cals/alice/personal/", "/cals/alice/team/", "/cals/alice/contact_birthdays/", "/cals/alice/inbox/", "/cals/alice/outbox/", "/cals/alice/shared-ro/", "/cals/alice/holidays-feed/", "/cals/alice/tasks/", "/cals/alice/notes.txt"),
			"/cals/alice/personal/":          col(`<C:calendar/>`, "Personal", rwPrivs, "/cals/alice/personal/bad.ics"),
			"/cals/alice/personal/bad.ics":   obj(badObject),
			"/cals/alice/team/":              col(`<C:calendar/>`, "Team", rwPrivs+`<C:supported-calendar-component-set><C:comp name="VEVENT"/><C:comp name="VTODO"/></C:supported-calendar-component-set>`),
			"/cals/alice/contact_birthdays/": col(`<C:calendar/>`, "Contact birthdays", roPrivs),
			"/cals/alice/inbox/":             col(`<C:schedule-inbox/>`, "Inbox", rwPrivs+`<C:schedule-default-calendar-URL><D:href>/cals/alice/team/</D:href></C:schedule-default-calendar-URL>`),
			"/cals/alice/outbox/":            col(`<C:schedule-outbox/>`, "", rwPrivs),
			"/cals/alice/shared-ro/":         col(`<C:calendar/>`, "Boss (shared)", roPrivs),
			"/cals/alice/holidays-feed/":     col(`<CS:subscribed/>`, "Holidays", roPrivs),
			"/cals/alice/tasks/":             col(`<C:calendar/>`, "Tasks", rwPrivs+`<C:supported-calendar-component-set><C:comp name="VTODO"/></C:supported-calendar-component-set>`),
			"/cals/alice/notes.txt":          {props: `<D:resourcetype/>`},
		},
	}
}

// startTLS serves f over TLS and returns the server and a CA file
// trusting it.
func startTLS(t *testing.T, f *fakeDAV) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewTLSServer(f)
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, ca
}

func noSRV(context.Context, string, string, string) (string, []*net.SRV, error) {
	return "", nil, &net.DNSError{Err: "no such host", IsNotFound: true}
}

type folderSummary struct {
	Path, Name string
	Kind       source.Kind
	Skip       string
	Default    bool
}

func summarize(fs []source.Folder) []folderSummary {
	var out []folderSummary
	for _, f := range fs {
		out = append(out, folderSummary{f.Path[0], f.Name, f.Kind, f.Skip, f.SpecialUse == source.Default})
	}
	return out
}

// wantAll is what the fake server's account lists, in server order.
var wantAll = []folderSummary{
	{"Contacts", "/cards/alice/contacts/", source.KindContact, "", true},
	{"Work", "/cards/alice/work/", source.KindContact, "", false},
	{"Personal", "/cals/alice/personal/", source.KindEvent, "", false},
	{"Team", "/cals/alice/team/", source.KindEvent, "", true}, // schedule-default-calendar-URL
	{"Contact birthdays", "/cals/alice/contact_birthdays/", source.KindEvent, dav.SkipGenerated, false},
	{"Inbox", "/cals/alice/inbox/", source.KindEvent, dav.SkipInbox, false},
	{"outbox", "/cals/alice/outbox/", source.KindEvent, dav.SkipOutbox, false},
	{"Boss (shared)", "/cals/alice/shared-ro/", source.KindEvent, dav.SkipReadOnly, false},
	{"Holidays", "/cals/alice/holidays-feed/", source.KindEvent, dav.SkipSubscribed, false},
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	f := newFakeDAV()
	srv, ca := startTLS(t, f)
	su, _ := url.Parse(srv.URL)
	host, portStr, _ := net.SplitHostPort(su.Host)
	port, _ := strconv.Atoi(portStr)
	for _, c := range []struct {
		name string
		opts dav.Options
		want []folderSummary
	}{
		{"well-known redirect, principal, home sets", dav.Options{URL: "auto", Email: "alice@" + su.Host, LookupSRV: noSRV}, wantAll},
		{"empty URL is auto", dav.Options{Email: "alice@" + su.Host, LookupSRV: noSRV}, wantAll},
		{"SRV with TXT path", dav.Options{URL: "auto", Email: "alice@example.test",
			LookupSRV: func(_ context.Context, service, proto, name string) (string, []*net.SRV, error) {
				if proto != "tcp" || name != "example.test" || (service != "carddavs" && service != "caldavs") {
					return "", nil, fmt.Errorf("unexpected SRV lookup %s %s %s", service, proto, name)
				}
				return "", []*net.SRV{{Target: host + ".", Port: uint16(port)}}, nil
			},
			LookupTXT: func(_ context.Context, name string) ([]string, error) {
				return []string{"path=/remote.php/dav/"}, nil
			}}, wantAll},
		{"SRV without TXT: well-known on the target", dav.Options{URL: "auto", Email: "alice@example.test",
			LookupSRV: func(context.Context, string, string, string) (string, []*net.SRV, error) {
				return "", []*net.SRV{{Target: host, Port: uint16(port)}}, nil
			},
			LookupTXT: func(context.Context, string) ([]string, error) { return nil, errors.New("no TXT") }}, wantAll},
		{"server root redirect", dav.Options{URL: srv.URL + "/.well-known/caldav"}, wantAll},
		{"principal", dav.Options{URL: srv.URL + "/principals/alice/"}, wantAll},
		{"home set", dav.Options{URL: srv.URL + "/cards/alice/"}, wantAll[:2]},
		{"one calendar", dav.Options{URL: srv.URL + "/cals/alice/team/"}, []folderSummary{{"Team", "/cals/alice/team/", source.KindEvent, "", true}}},
		{"one read-only calendar", dav.Options{URL: srv.URL + "/cals/alice/shared-ro/"}, []folderSummary{{"Boss (shared)", "/cals/alice/shared-ro/", source.KindEvent, dav.SkipReadOnly, false}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := c.opts
			o.Username, o.Password, o.CAFile = f.user, f.pass, ca
			var logs bytes.Buffer
			o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			defer func() {
				if strings.Contains(logs.String(), f.pass) {
					t.Errorf("the log holds the password:\n%s", logs.String())
				}
				if !strings.Contains(logs.String(), "component=dav") {
					t.Errorf("the log records carry no component=dav:\n%s", logs.String())
				}
			}()
			acct, err := dav.Dial(t.Context(), &o)
			if err != nil {
				t.Fatalf("Dial() = %v", err)
			}
			defer acct.Close()
			got, err := acct.Folders(t.Context())
			if err != nil {
				t.Fatalf("Folders() = %v", err)
			}
			if g := summarize(got); !slices.Equal(g, c.want) {
				t.Errorf("Folders() =\n%v\nwant\n%v", g, c.want)
			}
		})
	}
	for _, m := range f.methods {
		if m != "PROPFIND" && m != "GET" {
			t.Errorf("the adapter sent %s; it must only read (PROPFIND, GET)", m)
		}
	}
}

func TestDialErrors(t *testing.T) {
	t.Parallel()
	f := newFakeDAV()
	f.redirects = nil // no /.well-known on this server
	srv, ca := startTLS(t, f)
	plain := httptest.NewServer(f)
	t.Cleanup(plain.Close)
	for _, c := range []struct {
		name string
		opts dav.Options
		want error
	}{
		{"wrong password", dav.Options{URL: srv.URL + "/principals/alice/", Username: "alice", Password: "wrong-pw", CAFile: ca}, source.ErrAuth},
		{"plaintext refused", dav.Options{URL: plain.URL + "/principals/alice/", Username: "alice", Password: f.pass}, dav.ErrPlaintextNotAllowed},
		{"untrusted certificate", dav.Options{URL: srv.URL + "/principals/alice/", Username: "alice", Password: f.pass}, source.ErrConnect},
		{"no domain", dav.Options{URL: "auto", Email: "alice", Username: "alice", Password: f.pass}, dav.ErrDiscovery},
		{"no service at the URL", dav.Options{URL: srv.URL + "/nothing-here/", Username: "alice", Password: f.pass, CAFile: ca}, dav.ErrDiscovery},
		{"no well-known on the domain", dav.Options{URL: "auto", Email: "alice@" + strings.TrimPrefix(srv.URL, "https://"), Username: "alice", Password: f.pass, CAFile: ca, LookupSRV: noSRV}, dav.ErrDiscovery},
	} {
		t.Run(c.name, func(t *testing.T) {
			acct, err := dav.Dial(t.Context(), &c.opts)
			if err == nil {
				acct.Close()
				t.Fatalf("Dial() succeeded, want %v", c.want)
			}
			if !errors.Is(err, c.want) {
				t.Errorf("Dial() = %v, want an error matching %v", err, c.want)
			}
			if c.opts.Password != "" && strings.Contains(err.Error(), c.opts.Password) {
				t.Errorf("Dial() error %q holds the password", err)
			}
		})
	}
	t.Run("plaintext allowed", func(t *testing.T) {
		acct, err := dav.Dial(t.Context(), &dav.Options{URL: plain.URL + "/principals/alice/", Username: "alice", Password: f.pass, AllowPlaintext: true})
		if err != nil {
			t.Fatalf("Dial(AllowPlaintext) = %v", err)
		}
		acct.Close()
	})
}

// TestMalformedObjectRaw: an object that is no valid iCalendar is listed
// and opened byte for byte (Radicale refuses to store one).
func TestMalformedObjectRaw(t *testing.T) {
	t.Parallel()
	f := newFakeDAV()
	srv, ca := startTLS(t, f)
	acct, err := dav.Dial(t.Context(), &dav.Options{URL: srv.URL + "/cals/alice/personal/", Username: f.user, Password: f.pass, CAFile: ca})
	if err != nil {
		t.Fatal(err)
	}
	defer acct.Close()
	folders, err := acct.Folders(t.Context())
	if err != nil || len(folders) != 1 {
		t.Fatalf("Folders() = %v, %v", folders, err)
	}
	var refs []source.ItemRef
	for ref, err := range acct.Items(t.Context(), folders[0]) {
		if err != nil {
			t.Fatalf("Items() = %v", err)
		}
		refs = append(refs, ref)
	}
	if len(refs) != 1 || refs[0].Key != "/cals/alice/personal/bad.ics" || refs[0].Size != int64(len(badObject)) || refs[0].Date.IsZero() {
		t.Fatalf("Items() = %+v, want the one malformed object with its size and date", refs)
	}
	rc, err := acct.Open(t.Context(), folders[0], refs[0])
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != badObject {
		t.Errorf("Open() = %q, want the raw %q", b, badObject)
	}
	_, err = acct.Open(t.Context(), folders[0], source.ItemRef{Key: "/cals/alice/personal/gone.ics"})
	if !errors.Is(err, source.ErrNotFound) {
		t.Errorf("Open(a missing object) = %v, want source.ErrNotFound", err)
	}
}

// TestRedirectAuth: a redirect to another host in plain http gets no
// credentials; the same host does.
func TestRedirectAuth(t *testing.T) {
	t.Parallel()
	var gotAuth bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _, gotAuth = r.BasicAuth()
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	}))
	t.Cleanup(other.Close)
	f := newFakeDAV()
	f.redirects["/elsewhere/"] = other.URL + "/dav/"
	first := httptest.NewServer(f)
	t.Cleanup(first.Close)
	_, err := dav.Dial(t.Context(), &dav.Options{URL: first.URL + "/elsewhere/", Username: f.user, Password: f.pass, AllowPlaintext: true})
	if !errors.Is(err, source.ErrAuth) {
		t.Fatalf("Dial() = %v, want ErrAuth from the other host", err)
	}
	if gotAuth {
		t.Error("the credentials went to another host over plain http")
	}
	// The same host keeps them: the well-known redirect of the fake
	// server works in plain http.
	acct, err := dav.Dial(t.Context(), &dav.Options{URL: first.URL + "/.well-known/carddav", Username: f.user, Password: f.pass, AllowPlaintext: true})
	if err != nil {
		t.Fatalf("Dial(same-host redirect) = %v", err)
	}
	acct.Close()
	// A redirect loop ends.
	f.redirects["/loop/"] = "/loop/"
	if _, err := dav.Dial(t.Context(), &dav.Options{URL: first.URL + "/loop/", Username: f.user, Password: f.pass, AllowPlaintext: true}); !errors.Is(err, dav.ErrTooManyRedirects) {
		t.Errorf("Dial(a redirect loop) = %v, want ErrTooManyRedirects", err)
	}
}

// authRecorder wraps a handler and records whether any request to it
// carried basic authentication.
type authRecorder struct {
	h               http.Handler
	mu              sync.Mutex
	withAuth, total int
}

func (a *authRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.total++
	if _, _, ok := r.BasicAuth(); ok {
		a.withAuth++
	}
	a.mu.Unlock()
	a.h.ServeHTTP(w, r)
}

// principalOnly is a fakeDAV holding only alice's principal, whose home
// sets are absolute URLs below homeBase (another server), as iCloud
// answers (calendar-home-set on https://pNN-caldav.icloud.com/...).
func principalOnly(homeBase string) *fakeDAV {
	return &fakeDAV{
		user: "alice", pass: "s3cret-pw",
		nodes: map[string]node{
			"/": {props: `<D:resourcetype><D:collection/></D:resourcetype><D:current-user-principal><D:href>/principals/alice/</D:href></D:current-user-principal>`},
			"/principals/alice/": {props: `<D:resourcetype><D:collection/><D:principal/></D:resourcetype>` +
				`<CR:addressbook-home-set><D:href>` + homeBase + `/cards/alice/</D:href></CR:addressbook-home-set>` +
				`<C:calendar-home-set><D:href>` + homeBase + `/cals/alice/</D:href></C:calendar-home-set>`},
		},
	}
}

// TestHomeSetOnAnotherHost: a principal whose home sets are absolute
// https:// URLs on another host is followed there, with the credentials
// (https), and the collections, items and objects are read from that host.
func TestHomeSetOnAnotherHost(t *testing.T) {
	t.Parallel()
	homes := &authRecorder{h: newFakeDAV()}
	hsrv := httptest.NewTLSServer(homes)
	t.Cleanup(hsrv.Close)
	princ := principalOnly(hsrv.URL)
	psrv := httptest.NewTLSServer(princ)
	t.Cleanup(psrv.Close)
	// One CA file trusting both servers' certificates.
	var pemData []byte
	for _, s := range []*httptest.Server{psrv, hsrv} {
		pemData = append(pemData, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})...)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pemData, 0o600); err != nil {
		t.Fatal(err)
	}
	// The folder Name of a collection on another host than the first
	// PROPFIND's is its full URL.
	var want []folderSummary
	for _, f := range wantAll {
		f.Name = hsrv.URL + f.Name
		want = append(want, f)
	}
	for _, start := range []string{psrv.URL + "/", psrv.URL + "/principals/alice/"} {
		t.Run(start, func(t *testing.T) {
			var logs bytes.Buffer
			acct, err := dav.Dial(t.Context(), &dav.Options{URL: start, Username: princ.user, Password: princ.pass, CAFile: ca,
				Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			if err != nil {
				t.Fatalf("Dial() = %v", err)
			}
			defer acct.Close()
			if strings.Contains(logs.String(), princ.pass) {
				t.Errorf("the log holds the password:\n%s", logs.String())
			}
			got, err := acct.Folders(t.Context())
			if err != nil {
				t.Fatalf("Folders() = %v", err)
			}
			if g := summarize(got); !slices.Equal(g, want) {
				t.Fatalf("Folders() =\n%v\nwant\n%v", g, want)
			}
			personal := got[2]
			var refs []source.ItemRef
			for ref, err := range acct.Items(t.Context(), personal) {
				if err != nil {
					t.Fatalf("Items(%s) = %v", personal.Name, err)
				}
				refs = append(refs, ref)
			}
			if len(refs) != 1 || refs[0].Key != "/cals/alice/personal/bad.ics" {
				t.Fatalf("Items(%s) = %+v, want the one object", personal.Name, refs)
			}
			rc, err := acct.Open(t.Context(), personal, refs[0])
			if err != nil {
				t.Fatalf("Open() = %v", err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			if string(b) != badObject {
				t.Errorf("Open() = %q, want %q", b, badObject)
			}
		})
	}
	if homes.total == 0 || homes.withAuth != homes.total {
		t.Errorf("the home sets' host got %d requests, %d with credentials; want all with (https)", homes.total, homes.withAuth)
	}
}

// TestHomeSetOnAnotherHostPlaintext: a home set on another host over plain
// http is refused without AllowPlaintext, and with it gets no credentials.
func TestHomeSetOnAnotherHostPlaintext(t *testing.T) {
	t.Parallel()
	homes := &authRecorder{h: newFakeDAV()}
	hsrv := httptest.NewServer(homes)
	t.Cleanup(hsrv.Close)
	princ := principalOnly(hsrv.URL)
	psrv, ca := startTLS(t, princ)
	_, err := dav.Dial(t.Context(), &dav.Options{URL: psrv.URL + "/principals/alice/", Username: princ.user, Password: princ.pass, CAFile: ca})
	if !errors.Is(err, dav.ErrPlaintextNotAllowed) {
		t.Errorf("Dial(an https principal, home sets at http://another host) = %v, want ErrPlaintextNotAllowed", err)
	}
	plainPrinc := httptest.NewServer(princ)
	t.Cleanup(plainPrinc.Close)
	_, err = dav.Dial(t.Context(), &dav.Options{URL: plainPrinc.URL + "/principals/alice/", Username: princ.user, Password: princ.pass, AllowPlaintext: true})
	if !errors.Is(err, source.ErrAuth) {
		t.Errorf("Dial(AllowPlaintext, home sets at http://another host) = %v, want ErrAuth (no credentials sent there)", err)
	} else if !strings.Contains(err.Error(), "not sent") || strings.Contains(err.Error(), princ.pass) {
		t.Errorf("Dial() error %q should say the credentials were not sent, without the password", err)
	}
	if homes.total == 0 || homes.withAuth != 0 {
		t.Errorf("the plain-http home host got %d requests, %d with credentials; want some, none with", homes.total, homes.withAuth)
	}
}
