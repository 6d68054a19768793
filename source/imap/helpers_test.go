package imap

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"

	"github.com/migrate-tool/migrate/internal/logcheck"
	"github.com/migrate-tool/migrate/migrate/selfsigned"
	"github.com/migrate-tool/migrate/source"
)

// Test credentials. They are distinctive so that a leak is easy to grep.
const (
	testUser      = "alice"
	testPassword  = "S3cr3t-Pa55w0rd!"
	testAdmin     = "admin"
	testAdminPass = "Adm1n-Ma5ter-Pw"
	testToken     = "ya29.T0ken-Bearer-Secret"
)

// fixture is an in-memory IMAP server (go-imap's imapmemserver) with hooks
// the stock server lacks: SPECIAL-USE attributes, \Noselect parents, any
// delimiter, SASL PLAIN with an authorization identity (admin login),
// XOAUTH2, a shared namespace, synthetic large bodies served without
// holding them in memory, and killing connections.
type fixture struct {
	t    testing.TB
	user *imapmemserver.User
	srv  *imapserver.Server
	host string
	port int
	// caFile trusts the server's certificate.
	caFile string

	mu       sync.Mutex
	names    []string                      // mailboxes, in creation order
	roles    map[string][]imap.MailboxAttr // RFC 6154 attributes
	noselect map[string]bool               // \Noselect parents (not in user)
	big      map[string]int64              // mailbox -> size of its synthetic UID 1 body
	raw      []net.Conn                    // accepted TCP connections
	sessions []*session                    // live sessions
	fetches  int                           // FETCH commands received
	commands []string                      // select/fetch/list calls, for tests
	delim    rune
	mechs    []string
	// rolesUnasked sends roles even without RETURN (SPECIAL-USE), as
	// Dovecot does.
	rolesUnasked bool
	shared       bool
	// personal is the personal namespace prefix ("INBOX." for Courier).
	personal string
	// phantoms are listed but do not exist (STATUS fails).
	phantoms []string
	// onFetch, when set, runs before each FETCH; returning true means it
	// handled it.
	onFetch func(s *session, w *imapserver.FetchWriter, numSet imap.NumSet, o *imap.FetchOptions) (bool, error)
	// stall blocks LIST until the channel is closed.
	stall chan struct{}
	// rejectLogins makes every login fail; logins counts attempts.
	rejectLogins bool
	logins       int
}

// loginAllowed counts a login attempt and says whether it may succeed.
func (fx *fixture) loginAllowed() bool {
	fx.mu.Lock()
	defer fx.mu.Unlock()
	fx.logins++
	return !fx.rejectLogins
}

type fixtureOptions struct {
	// security is how the server listens: "tls", "starttls" or "plain".
	security Security
	// caps are the capabilities beyond IMAP4rev1; nil means a modern set.
	caps []imap.Cap
	// mechs are the SASL mechanisms offered; nil means PLAIN and XOAUTH2,
	// empty means none (LOGIN only).
	mechs []string
}

// modernCaps is what Dovecot 2.3 offers that matters here.
var modernCaps = []imap.Cap{
	imap.CapSpecialUse, imap.CapListExtended, imap.CapListStatus, imap.CapStatusSize,
	imap.CapESearch, imap.CapNamespace, imap.CapUIDPlus,
}

func newFixture(t testing.TB, opts fixtureOptions) *fixture {
	t.Helper()
	fx := &fixture{
		t:        t,
		user:     imapmemserver.NewUser(testUser, testPassword),
		roles:    map[string][]imap.MailboxAttr{},
		noselect: map[string]bool{},
		big:      map[string]int64{},
		delim:    '/',
		mechs:    opts.mechs,
	}
	if fx.mechs == nil {
		fx.mechs = []string{"PLAIN", "XOAUTH2"}
	}
	caps := imap.CapSet{imap.CapIMAP4rev1: {}}
	capList := opts.caps
	if capList == nil {
		capList = modernCaps
	}
	for _, c := range capList {
		caps[c] = struct{}{}
	}
	fx.mustCreate("INBOX")

	serverTLS, caFile := testCerts(t)
	fx.caFile = caFile
	so := &imapserver.Options{
		NewSession: func(c *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			s := &session{fx: fx, conn: c}
			fx.mu.Lock()
			fx.sessions = append(fx.sessions, s)
			fx.mu.Unlock()
			return s, nil, nil
		},
		Caps:         caps,
		InsecureAuth: opts.security != SecurityTLS,
		Logger:       log.New(io.Discard, "", 0),
	}
	if opts.security == SecuritySTARTTLS {
		so.TLSConfig = serverTLS
		so.InsecureAuth = false
	}
	fx.srv = imapserver.New(so)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("net.Listen() = %v", err)
	}
	var l net.Listener = &trackingListener{Listener: ln, fx: fx}
	if opts.security == SecurityTLS {
		l = tls.NewListener(l, serverTLS)
	}
	go func() { _ = fx.srv.Serve(l) }()
	t.Cleanup(func() {
		fx.mu.Lock()
		if fx.stall != nil {
			select {
			case <-fx.stall:
			default:
				close(fx.stall)
			}
		}
		fx.mu.Unlock()
		_ = fx.srv.Close()
	})
	fx.host = "127.0.0.1"
	fx.port = ln.Addr().(*net.TCPAddr).Port
	return fx
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

func (fx *fixture) mustCreate(name string, roles ...imap.MailboxAttr) {
	fx.t.Helper()
	if err := fx.user.Create(name, nil); err != nil {
		fx.t.Fatalf("Create(%q) = %v", name, err)
	}
	fx.mu.Lock()
	defer fx.mu.Unlock()
	fx.names = append(fx.names, name)
	if len(roles) > 0 {
		fx.roles[name] = roles
	}
}

// recreate deletes and re-creates a mailbox: its UIDVALIDITY changes.
func (fx *fixture) recreate(name string) {
	fx.t.Helper()
	if err := fx.user.Delete(name); err != nil {
		fx.t.Fatalf("Delete(%q) = %v", name, err)
	}
	if err := fx.user.Create(name, nil); err != nil {
		fx.t.Fatalf("Create(%q) = %v", name, err)
	}
}

// appendMsg stores a message and returns its UID.
func (fx *fixture) appendMsg(mailbox string, body []byte, date time.Time, flags ...imap.Flag) imap.UID {
	fx.t.Helper()
	data, err := fx.user.Append(mailbox, bytes.NewReader(body), &imap.AppendOptions{Flags: flags, Time: date})
	if err != nil {
		fx.t.Fatalf("Append(%q) = %v", mailbox, err)
	}
	return data.UID
}

// status returns the server's view of a mailbox.
func (fx *fixture) status(mailbox string) *imap.StatusData {
	fx.t.Helper()
	st, err := fx.user.Status(mailbox, &imap.StatusOptions{NumMessages: true, UIDValidity: true, NumUnseen: true})
	if err != nil {
		fx.t.Fatalf("Status(%q) = %v", mailbox, err)
	}
	return st
}

// kill resets every connection the server accepted so far.
func (fx *fixture) kill() {
	fx.mu.Lock()
	defer fx.mu.Unlock()
	for _, c := range fx.raw {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = c.Close()
	}
	fx.raw = nil
}

func (fx *fixture) fetchCount() int {
	fx.mu.Lock()
	defer fx.mu.Unlock()
	return fx.fetches
}

type trackingListener struct {
	net.Listener
	fx *fixture
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.fx.mu.Lock()
		l.fx.raw = append(l.fx.raw, c)
		l.fx.mu.Unlock()
	}
	return c, err
}

// session is one server-side connection.
type session struct {
	*imapmemserver.UserSession // nil until logged in
	fx                         *fixture
	conn                       *imapserver.Conn
	selected                   string
}

var (
	_ imapserver.SessionSASL      = (*session)(nil)
	_ imapserver.SessionNamespace = (*session)(nil)
)

func (s *session) Close() error {
	if s.UserSession != nil {
		return s.UserSession.Close()
	}
	return nil
}

func (s *session) Login(username, password string) error {
	if !s.fx.loginAllowed() {
		return imapserver.ErrAuthFailed
	}
	if err := s.fx.user.Login(username, password); err != nil {
		return err
	}
	s.UserSession = imapmemserver.NewUserSession(s.fx.user)
	return nil
}

func (s *session) AuthenticateMechanisms() []string { return s.fx.mechs }

func (s *session) Authenticate(mech string) (sasl.Server, error) {
	if !slices.Contains(s.fx.mechs, mech) {
		return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "unsupported mechanism"}
	}
	switch mech {
	case "PLAIN":
		return sasl.NewPlainServer(func(identity, username, password string) error {
			if identity == "" || identity == username {
				return s.Login(username, password)
			}
			// Master user: the admin authenticates and acts as identity.
			if !s.fx.loginAllowed() {
				return imapserver.ErrAuthFailed
			}
			if username != testAdmin || password != testAdminPass || identity != testUser {
				return imapserver.ErrAuthFailed
			}
			s.UserSession = imapmemserver.NewUserSession(s.fx.user)
			return nil
		}), nil
	case "XOAUTH2":
		return &xoauth2Server{s: s}, nil
	}
	return nil, fmt.Errorf("unreachable")
}

// xoauth2Server accepts "user=alice\x01auth=Bearer <testToken>\x01\x01".
type xoauth2Server struct {
	s      *session
	failed bool
}

func (x *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if x.failed {
		return nil, true, imapserver.ErrAuthFailed
	}
	if resp == nil {
		return []byte{}, false, nil
	}
	fields := strings.Split(string(resp), "\x01")
	if len(fields) == 4 && fields[0] == "user="+testUser && fields[1] == "auth=Bearer "+testToken {
		x.s.UserSession = imapmemserver.NewUserSession(x.s.fx.user)
		return nil, true, nil
	}
	x.failed = true
	return []byte(`{"status":"401","schemes":"bearer","scope":"https://mail.example/"}`), false, nil
}

func (s *session) Namespace() (*imap.NamespaceData, error) {
	ns := &imap.NamespaceData{Personal: []imap.NamespaceDescriptor{{Prefix: s.fx.personal, Delim: s.fx.delim}}}
	if s.fx.shared {
		ns.Shared = []imap.NamespaceDescriptor{{Prefix: "Shared" + string(s.fx.delim), Delim: s.fx.delim}}
	}
	return ns, nil
}

func (s *session) Select(name string, options *imap.SelectOptions) (*imap.SelectData, error) {
	s.fx.mu.Lock()
	op := "SELECT"
	if options != nil && options.ReadOnly {
		op = "EXAMINE"
	}
	s.fx.commands = append(s.fx.commands, op+" "+name)
	s.fx.mu.Unlock()
	data, err := s.UserSession.Select(name, options)
	if err == nil {
		s.selected = name
	}
	return data, err
}

func (s *session) List(w *imapserver.ListWriter, ref string, patterns []string, options *imap.ListOptions) error {
	fx := s.fx
	fx.mu.Lock()
	stall := fx.stall
	names := slices.Clone(fx.names)
	for n := range fx.noselect {
		names = append(names, n)
	}
	names = append(names, fx.phantoms...)
	fx.mu.Unlock()
	if stall != nil {
		<-stall
	}
	slices.Sort(names)
	if len(patterns) == 0 {
		return w.WriteList(&imap.ListData{Attrs: []imap.MailboxAttr{imap.MailboxAttrNoSelect}, Delim: fx.delim})
	}
	for _, name := range names {
		if !slices.ContainsFunc(patterns, func(p string) bool { return imapserver.MatchList(name, fx.delim, ref, p) }) {
			continue
		}
		fx.mu.Lock()
		noselect, roles := fx.noselect[name], fx.roles[name]
		fx.mu.Unlock()
		data := &imap.ListData{Mailbox: name, Delim: fx.delim}
		if noselect {
			data.Attrs = append(data.Attrs, imap.MailboxAttrNoSelect)
		}
		if options.ReturnSpecialUse || fx.rolesUnasked {
			data.Attrs = append(data.Attrs, roles...)
		}
		if options.ReturnStatus != nil && !noselect {
			st, err := s.UserSession.Status(name, options.ReturnStatus)
			if err != nil {
				return err
			}
			data.Status = st
		}
		if err := w.WriteList(data); err != nil {
			return err
		}
	}
	return nil
}

func (s *session) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) error {
	s.fx.mu.Lock()
	s.fx.fetches++
	s.fx.commands = append(s.fx.commands, "FETCH "+numSet.String())
	hook := s.fx.onFetch
	size, big := s.fx.big[s.selected]
	s.fx.mu.Unlock()
	if hook != nil {
		if handled, err := hook(s, w, numSet, options); handled {
			return err
		}
	}
	if big && len(options.BodySection) == 1 {
		return s.fetchBig(w, numSet, options, size)
	}
	return s.UserSession.Fetch(w, numSet, options)
}

// fetchBig answers a body fetch for UID 1 of a "big" mailbox with a
// synthetic body of the given size, generated as it is written.
func (s *session) fetchBig(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions, size int64) error {
	if uids, ok := numSet.(imap.UIDSet); !ok || !uids.Contains(1) {
		return nil
	}
	bs := options.BodySection[0]
	off, n := int64(0), size
	if bs.Partial != nil {
		off = min(bs.Partial.Offset, size)
		n = min(bs.Partial.Size, size-off)
	}
	rw := w.CreateMessage(1)
	rw.WriteUID(1)
	wc := rw.WriteBodySection(bs, n)
	if _, err := io.Copy(wc, io.NewSectionReader(bigBody{size}, off, n)); err != nil {
		return err
	}
	if err := wc.Close(); err != nil {
		return err
	}
	return rw.Close()
}

// addBig makes a mailbox whose UID 1 has a synthetic body of size bytes
// (see bigBody); the stored message is a small placeholder.
func (fx *fixture) addBig(name string, size int64) {
	fx.mustCreate(name)
	fx.appendMsg(name, []byte("Subject: placeholder\r\n\r\nx\r\n"), time.Now())
	fx.mu.Lock()
	fx.big[name] = size
	fx.mu.Unlock()
}

// bigBody is a deterministic message of any size: a header, then lines of
// text that encode their own offset.
type bigBody struct{ size int64 }

const bigHeader = "From: big@example.test\r\nSubject: big\r\n\r\n"

func (b bigBody) ReadAt(p []byte, off int64) (int, error) {
	const width = 64
	var line [width]byte
	lineNo := int64(-1)
	n := 0
	for n < len(p) && off < b.size {
		if off < int64(len(bigHeader)) {
			p[n] = bigHeader[off]
		} else {
			i := off - int64(len(bigHeader))
			if i/width != lineNo {
				lineNo = i / width
				// The line number in hex, then letters, then CRLF.
				num := strconv.AppendInt(line[:0], lineNo, 16)
				for k := len(num); k < width-2; k++ {
					line[k] = byte('a' + k%26)
				}
				line[width-2], line[width-1] = '\r', '\n'
			}
			p[n] = line[i%width]
		}
		n++
		off++
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// testCerts makes a CA and a server certificate for 127.0.0.1, ::1 and
// localhost, valid for an hour, and writes the CA to a file.
func testCerts(t testing.TB) (*tls.Config, string) {
	t.Helper()
	c, err := selfsigned.New(selfsigned.Options{Name: "migrate test", Lifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, c.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return c.ServerTLS(), caFile
}

// testLogger logs to the test's output and fails the test on a record
// that breaks the log conventions (internal/logcheck).
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
	fx.mu.Lock()
	defer fx.mu.Unlock()
	var out []string
	for _, c := range fx.commands {
		if strings.HasPrefix(c, "FETCH ") {
			out = append(out, strings.TrimPrefix(c, "FETCH "))
		}
	}
	return out
}

// serverCommands returns the SELECT/EXAMINE/FETCH calls the server saw.
func (fx *fixture) serverCommands() []string {
	fx.mu.Lock()
	defer fx.mu.Unlock()
	return slices.Clone(fx.commands)
}
