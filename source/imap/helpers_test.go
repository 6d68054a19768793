package imap

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/migrate-tool/migrate/migrate/logcheck"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/testserver"
)

// Test credentials. They are distinctive so that a leak is easy to grep.
const (
	testUser      = "alice"
	testPassword  = "S3cr3t-Pa55w0rd!"
	testAdmin     = "admin"
	testAdminPass = "Adm1n-Ma5ter-Pw"
	testToken     = "ya29.T0ken-Bearer-Secret"
)

// fixture is the in-memory IMAP server of package testserver with one
// account, testUser, an admin (master user) and an XOAUTH2 token, wrapped
// for the tests: each helper fails the test on an error.
type fixture struct {
	t    testing.TB
	srv  *testserver.MemIMAP
	host string
	port int
	// caFile trusts the server's certificate.
	caFile string
}

type fixtureOptions struct {
	// security is how the server listens: "tls", "starttls" or "plain".
	security Security
	// caps are the capabilities beyond IMAP4rev1; nil means a modern set.
	caps []imap.Cap
	// mechs are the SASL mechanisms offered; nil means PLAIN and XOAUTH2,
	// empty means none (LOGIN only).
	mechs []string
	// delim is the hierarchy delimiter (zero: '/'); personal the personal
	// namespace prefix ("INBOX." for Courier); shared announces a shared
	// namespace "Shared" + delim.
	delim    rune
	personal string
	shared   bool
	// rolesUnasked sends roles even without RETURN (SPECIAL-USE), as
	// Dovecot does.
	rolesUnasked bool
}

// modernCaps is what Dovecot 2.3 offers that matters here.
var modernCaps = []imap.Cap{
	imap.CapSpecialUse, imap.CapListExtended, imap.CapListStatus, imap.CapStatusSize,
	imap.CapESearch, imap.CapNamespace, imap.CapUIDPlus,
}

func newFixture(t testing.TB, opts fixtureOptions) *fixture {
	t.Helper()
	so := &testserver.MemIMAPOptions{
		Accounts:       []testserver.User{{Name: testUser, Password: testPassword}},
		Admin:          &testserver.User{Name: testAdmin, Password: testAdminPass},
		Tokens:         map[string]string{testUser: testToken},
		Caps:           opts.caps,
		Mechanisms:     opts.mechs,
		Delimiter:      opts.delim,
		PersonalPrefix: opts.personal,
		RolesUnasked:   opts.rolesUnasked,
	}
	if so.Caps == nil {
		so.Caps = modernCaps
	}
	if so.Mechanisms == nil {
		so.Mechanisms = []string{"PLAIN", "XOAUTH2"}
	}
	if opts.shared {
		so.SharedPrefix = "Shared" + string(cmp.Or(opts.delim, '/'))
	}
	switch opts.security {
	case SecurityTLS:
		so.ImplicitTLS = true
	case SecuritySTARTTLS:
		so.RequireTLS = true
	default:
		so.NoTLS = true
	}
	srv := testserver.MemIMAPForTest(t, so)
	return &fixture{t: t, srv: srv, host: srv.Host, port: srv.Port, caFile: srv.CAFile}
}

// options returns Dial options for this server and the test user.
func (fx *fixture) options(security Security) *Options {
	return &Options{
		Host:           fx.host,
		Port:           fx.port,
		Security:       security,
		AllowPlaintext: security == SecurityPlain,
		CAFile:         fx.caFile,
		Username:       testUser,
		Password:       testPassword,
		Timeout:        10 * time.Second,
		RetryDelay:     time.Millisecond,
		Logger:         testLogger(fx.t),
	}
}

// dial connects with opts and closes the account at the end of the test.
func (fx *fixture) dial(opts *Options) *Account {
	fx.t.Helper()
	a, err := Dial(context.Background(), opts)
	if err != nil {
		fx.t.Fatalf("Dial() = %v", err)
	}
	fx.t.Cleanup(func() { _ = a.Close() })
	return a
}

// must fails the test on err.
func (fx *fixture) must(err error) {
	fx.t.Helper()
	if err != nil {
		fx.t.Fatal(err)
	}
}

func (fx *fixture) mustCreate(name string, roles ...imap.MailboxAttr) {
	fx.t.Helper()
	fx.must(fx.srv.Create(testUser, name, roles...))
}

// recreate deletes and re-creates a mailbox: its UIDVALIDITY changes.
func (fx *fixture) recreate(name string) {
	fx.t.Helper()
	fx.must(fx.srv.Recreate(testUser, name))
}

// appendMsg stores a message and returns its UID.
func (fx *fixture) appendMsg(mailbox string, body []byte, date time.Time, flags ...imap.Flag) imap.UID {
	fx.t.Helper()
	uid, err := fx.srv.Append(testUser, mailbox, body, date, flags...)
	fx.must(err)
	return uid
}

// status returns the server's view of a mailbox.
func (fx *fixture) status(mailbox string) *imap.StatusData {
	fx.t.Helper()
	st, err := fx.srv.Status(testUser, mailbox)
	fx.must(err)
	return st
}

// addNoSelect lists a \Noselect parent.
func (fx *fixture) addNoSelect(name string) {
	fx.t.Helper()
	fx.must(fx.srv.AddNoSelect(testUser, name))
}

// addPhantom lists a folder that does not exist.
func (fx *fixture) addPhantom(name string) {
	fx.t.Helper()
	fx.must(fx.srv.AddPhantom(testUser, name))
}

// addBig makes a mailbox whose UID 1 has a synthetic body of size bytes
// (testserver.LargeMessage).
func (fx *fixture) addBig(name string, size int64) {
	fx.t.Helper()
	fx.must(fx.srv.AddLarge(testUser, name, size))
}

// kill resets every connection the server accepted so far.
func (fx *fixture) kill() { fx.srv.KillConnections() }

// onFetch makes hook run before each FETCH; a non-nil error fails it.
func (fx *fixture) onFetch(hook func() error) { fx.srv.SetFetchHook(hook) }

// fetchCount returns the number of FETCH commands received.
func (fx *fixture) fetchCount() int { return len(fx.fetchCommands()) }

// testLogger logs to the test's output and fails the test on a record
// that breaks the log conventions (migrate/logcheck).
func testLogger(t testing.TB) *slog.Logger {
	log, _ := logcheck.New(t)
	return log
}

// syncBuffer is a bytes.Buffer safe for concurrent use, for traces.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// collect drains an Items iterator.
func collect(t *testing.T, a *Account, f source.Folder) ([]source.ItemRef, error) {
	t.Helper()
	var refs []source.ItemRef
	for ref, err := range a.Items(context.Background(), f) {
		if err != nil {
			return refs, err
		}
		refs = append(refs, ref)
	}
	return refs, nil
}

// findFolder returns the folder named name.
func findFolder(t *testing.T, folders []source.Folder, name string) source.Folder {
	t.Helper()
	for _, f := range folders {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no folder %q in %v", name, folders)
	return source.Folder{}
}

// expunge removes messages from a mailbox through a client session.
func (fx *fixture) expunge(mailbox string, uids ...imap.UID) {
	fx.t.Helper()
	c, err := imapclient.DialTLS(net.JoinHostPort(fx.host, strconv.Itoa(fx.port)), &imapclient.Options{
		TLSConfig: &tls.Config{InsecureSkipVerify: true},
	})
	if err != nil {
		fx.t.Fatalf("DialTLS() = %v", err)
	}
	defer c.Close()
	if err := c.Login(testUser, testPassword).Wait(); err != nil {
		fx.t.Fatalf("Login() = %v", err)
	}
	if _, err := c.Select(mailbox, nil).Wait(); err != nil {
		fx.t.Fatalf("Select() = %v", err)
	}
	set := imap.UIDSetNum(uids...)
	if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		fx.t.Fatalf("Store() = %v", err)
	}
	if err := c.UIDExpunge(set).Close(); err != nil {
		fx.t.Fatalf("UIDExpunge() = %v", err)
	}
}

// fetchCommands returns the FETCH commands the server received.
func (fx *fixture) fetchCommands() []string {
	var out []string
	for _, c := range fx.srv.Commands() {
		if strings.HasPrefix(c, "FETCH ") {
			out = append(out, strings.TrimPrefix(c, "FETCH "))
		}
	}
	return out
}

// serverCommands returns the SELECT/EXAMINE/FETCH calls the server saw.
func (fx *fixture) serverCommands() []string { return fx.srv.Commands() }
