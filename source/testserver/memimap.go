package testserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// MemIMAPOptions configure [StartMemIMAP]. A nil *MemIMAPOptions means the
// zero value: the corpus, STARTTLS offered, LOGIN accepted without TLS,
// SASL PLAIN, '/' as the delimiter and no SPECIAL-USE attributes.
type MemIMAPOptions struct {
	// SeedDir is the mail corpus directory holding accounts.yaml. Empty
	// means the corpus embedded in package seed.
	SeedDir string
	// Accounts, when set, are the server's accounts instead of the
	// corpus's: each starts with an empty INBOX, and MemIMAP.Manifest is
	// nil. Tests build their folders with MemIMAP.Create and Append.
	Accounts []User
	// NoTLS serves plain IMAP only; by default STARTTLS is offered with a
	// certificate from a generated CA written to MemIMAP.CAFile.
	NoTLS bool
	// ImplicitTLS serves TLS from the first byte, as on port 993, instead
	// of offering STARTTLS. Ignored with NoTLS.
	ImplicitTLS bool
	// RequireTLS refuses LOGIN and AUTHENTICATE before STARTTLS; by
	// default they are accepted on a plain connection.
	RequireTLS bool
	// Caps are the capabilities offered besides IMAP4rev1; nil means
	// IMAP4rev2, NAMESPACE, UIDPLUS, ESEARCH, LIST-EXTENDED, LIST-STATUS,
	// MOVE, STATUS=SIZE and LITERAL+; empty means IMAP4rev1 alone.
	// SPECIAL-USE attributes are sent when the client asks for them
	// (RETURN (SPECIAL-USE)) or with RolesUnasked.
	Caps []imap.Cap
	// Mechanisms are the SASL mechanisms offered, of "PLAIN" and
	// "XOAUTH2"; nil means PLAIN, empty none (LOGIN only).
	Mechanisms []string
	// Admin, when set, is a master user: SASL PLAIN as Admin with the
	// authorization identity of an account logs in as that account.
	Admin *User
	// Tokens are the XOAUTH2 bearer tokens accepted, by account name.
	Tokens map[string]string
	// Delimiter is the hierarchy delimiter; zero means '/'.
	Delimiter rune
	// PersonalPrefix is the personal namespace's prefix ("INBOX." for a
	// Courier-like server); SharedPrefix, when set, announces a shared
	// namespace with that prefix ("Shared/").
	PersonalPrefix, SharedPrefix string
	// RolesUnasked sends SPECIAL-USE attributes in every LIST reply, not
	// only when asked, as Dovecot does.
	RolesUnasked bool
	// ExtraMessages are appended after the corpus (or to Accounts).
	ExtraMessages []ExtraMessage
	// Logger receives progress and the server's error messages; nil
	// discards them.
	Logger *slog.Logger
}

// MemIMAP is an in-process IMAP server (go-imap's imapmemserver) on
// 127.0.0.1, seeded from the same corpus as [Dovecot], or with empty
// accounts (MemIMAPOptions.Accounts) for tests that build their own. It is
// the fallback for demos where Dovecot is not installed, and the fixture
// of the IMAP adapter's tests: beyond the stock server it has SPECIAL-USE
// attributes, \Noselect parents, listed folders that do not exist, any
// delimiter and namespace, a master user and XOAUTH2, synthetic large
// messages served without holding them in memory, a FETCH hook, refused
// logins and killed connections. It has no POP3, keeps everything in
// memory and reports keywords in lower case.
type MemIMAP struct {
	// Host is "127.0.0.1".
	Host string
	// Port is the IMAP port (STARTTLS offered unless NoTLS or ImplicitTLS).
	Port int
	// CAFile is the PEM file of the CA that signed the server certificate,
	// or "" with NoTLS.
	CAFile string
	// Users are the accounts, in manifest (or Accounts) order.
	Users []User
	// Manifest is the corpus that was seeded (without ExtraMessages); nil
	// with Accounts.
	Manifest *Manifest

	opts    MemIMAPOptions // Delimiter set
	srv     *imapserver.Server
	ln      net.Listener
	dir     string
	served  chan error
	once    sync.Once
	closeEr error
	unwatch func() bool

	mu       sync.Mutex
	accounts map[string]*memAccount
	conns    []net.Conn // accepted TCP connections
	commands []string   // SELECT, EXAMINE and FETCH commands received
	onFetch  func() error
	reject   bool
	logins   int
}

// memAccount is one account: its messages (in imapmemserver) and, under
// MemIMAP.mu, what the stock server cannot say of its folders.
type memAccount struct {
	user       *imapmemserver.User
	names      []string                      // existing folders, in creation order
	roles      map[string][]imap.MailboxAttr // RFC 6154 attributes
	subscribed map[string]bool
	noselect   map[string]bool  // listed \Noselect parents
	phantoms   []string         // listed, but do not exist
	large      map[string]int64 // folder -> size of its synthetic UID 1
}

// StartMemIMAP starts the in-memory IMAP server on a free 127.0.0.1 port,
// seeded directly (not over the wire) from the corpus or with
// opts.Accounts. Cancelling ctx stops it; call Close to stop it and clean
// up.
func StartMemIMAP(ctx context.Context, opts *MemIMAPOptions) (_ *MemIMAP, err error) {
	if opts == nil {
		opts = &MemIMAPOptions{}
	}
	lg := opts.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	lg = lg.With("component", "memimap")
	s := &MemIMAP{Host: "127.0.0.1", opts: *opts, served: make(chan error, 1), accounts: map[string]*memAccount{}}
	if s.opts.Delimiter == 0 {
		s.opts.Delimiter = '/'
	}
	defer func() {
		if err != nil {
			_ = s.Close()
		}
	}()
	if err := s.seed(ctx); err != nil {
		return nil, fmt.Errorf("start in-memory IMAP: %w", err)
	}

	caps := imap.CapSet{imap.CapIMAP4rev1: {}}
	capList := opts.Caps
	if capList == nil {
		capList = []imap.Cap{
			imap.CapIMAP4rev2, imap.CapNamespace, imap.CapUIDPlus, imap.CapESearch,
			imap.CapListExtended, imap.CapListStatus, imap.CapMove, imap.CapStatusSize, imap.CapLiteralPlus,
		}
	}
	for _, c := range capList {
		caps[c] = struct{}{}
	}
	srvOpts := &imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &memSession{s: s}, nil, nil
		},
		Caps:         caps,
		InsecureAuth: !opts.RequireTLS,
		Logger:       log.New(slogWriter{lg}, "", 0),
	}
	var serverTLS *tls.Config
	if !opts.NoTLS {
		if s.dir, err = os.MkdirTemp("", "memimap-"); err != nil {
			return nil, fmt.Errorf("start in-memory IMAP: %w", err)
		}
		certs, err := writeCerts(s.dir)
		if err != nil {
			return nil, fmt.Errorf("start in-memory IMAP: %w", err)
		}
		serverTLS = certs.serverTLSConfig()
		s.CAFile = certs.CAFile
		if !opts.ImplicitTLS {
			srvOpts.TLSConfig = serverTLS
		}
	}
	s.srv = imapserver.New(srvOpts)
	var lc net.ListenConfig
	if s.ln, err = lc.Listen(ctx, "tcp", "127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("start in-memory IMAP: %w", err)
	}
	s.Port = s.ln.Addr().(*net.TCPAddr).Port
	var l net.Listener = &trackingListener{Listener: s.ln, s: s}
	if serverTLS != nil && opts.ImplicitTLS {
		l = tls.NewListener(l, serverTLS)
	}
	go func() { s.served <- s.srv.Serve(l) }()
	s.unwatch = context.AfterFunc(ctx, func() { _ = s.close() })
	lg.Info("in-memory IMAP ready", "addr", s.Addr())
	return s, nil
}

// seed creates the accounts: the corpus's, or opts.Accounts with an empty
// INBOX; then the extra messages.
func (s *MemIMAP) seed(ctx context.Context) error {
	if s.opts.Accounts != nil {
		for _, u := range s.opts.Accounts {
			s.addAccount(u)
			if err := s.Create(u.Name, "INBOX"); err != nil {
				return err
			}
		}
	} else {
		m, err := LoadManifest(s.opts.SeedDir)
		if err != nil {
			return err
		}
		s.Manifest = m
		for _, u := range m.Users {
			if err := ctx.Err(); err != nil {
				return err
			}
			a := s.addAccount(User{Name: u.Name, Password: u.Password})
			for _, f := range u.Folders {
				if err := s.Create(u.Name, f.Name); err != nil {
					return err
				}
				if !f.Unsubscribed {
					if err := s.subscribe(a, f.Name, true); err != nil {
						return fmt.Errorf("user %s: subscribe %q: %w", u.Name, f.Name, err)
					}
				}
				for i := range f.Messages {
					if err := memAppend(a.user, f.Name, &f.Messages[i]); err != nil {
						return fmt.Errorf("user %s: %w", u.Name, err)
					}
				}
			}
		}
	}
	for _, x := range s.opts.ExtraMessages {
		a := s.accounts[x.User]
		if a == nil {
			continue
		}
		if !slices.Contains(a.names, x.Folder) {
			if err := s.Create(x.User, x.Folder); err != nil {
				return err
			}
		}
		if err := memAppend(a.user, x.Folder, &x.Message); err != nil {
			return fmt.Errorf("user %s: %w", x.User, err)
		}
	}
	return nil
}

func (s *MemIMAP) addAccount(u User) *memAccount {
	a := &memAccount{
		user:  imapmemserver.NewUser(u.Name, u.Password),
		roles: map[string][]imap.MailboxAttr{}, subscribed: map[string]bool{},
		noselect: map[string]bool{}, large: map[string]int64{},
	}
	s.accounts[u.Name] = a
	s.Users = append(s.Users, u)
	return a
}

// account returns the account named user.
func (s *MemIMAP) account(user string) (*memAccount, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[user]
	if a == nil {
		return nil, fmt.Errorf("in-memory IMAP: no account %q", user)
	}
	return a, nil
}

// Create creates a folder of user's with the given SPECIAL-USE attributes
// (RFC 6154), unsubscribed.
func (s *MemIMAP) Create(user, folder string, roles ...imap.MailboxAttr) error {
	a, err := s.account(user)
	if err != nil {
		return err
	}
	return s.create(a, folder, roles)
}

func (s *MemIMAP) create(a *memAccount, folder string, roles []imap.MailboxAttr) error {
	if err := a.user.Create(folder, nil); err != nil {
		return fmt.Errorf("in-memory IMAP: create %q: %w", folder, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a.names = append(a.names, folder)
	if len(roles) > 0 {
		a.roles[folder] = slices.Clone(roles)
	}
	return nil
}

func (s *MemIMAP) delete(a *memAccount, folder string) error {
	if err := a.user.Delete(folder); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a.names = slices.DeleteFunc(a.names, func(n string) bool { return n == folder })
	delete(a.roles, folder)
	delete(a.subscribed, folder)
	delete(a.large, folder)
	return nil
}

func (s *MemIMAP) rename(a *memAccount, from, to string) error {
	if err := a.user.Rename(from, to, nil); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := slices.Index(a.names, from); i >= 0 {
		a.names[i] = to
	}
	if roles, ok := a.roles[from]; ok {
		a.roles[to] = roles
		delete(a.roles, from)
	}
	if a.subscribed[from] {
		a.subscribed[to] = true
		delete(a.subscribed, from)
	}
	return nil
}

func (s *MemIMAP) subscribe(a *memAccount, folder string, on bool) error {
	var err error
	if on {
		err = a.user.Subscribe(folder)
	} else {
		err = a.user.Unsubscribe(folder)
	}
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if on {
		a.subscribed[folder] = true
	} else {
		delete(a.subscribed, folder)
	}
	return nil
}

// Recreate deletes a folder of user's and creates it again, empty, with
// its attributes: its UIDVALIDITY changes.
func (s *MemIMAP) Recreate(user, folder string) error {
	a, err := s.account(user)
	if err != nil {
		return err
	}
	s.mu.Lock()
	roles := a.roles[folder]
	s.mu.Unlock()
	if err := s.delete(a, folder); err != nil {
		return fmt.Errorf("in-memory IMAP: delete %q: %w", folder, err)
	}
	return s.create(a, folder, roles)
}

// Append stores a message in a folder of user's and returns its UID.
func (s *MemIMAP) Append(user, folder string, msg []byte, date time.Time, flags ...imap.Flag) (imap.UID, error) {
	a, err := s.account(user)
	if err != nil {
		return 0, err
	}
	data, err := a.user.Append(folder, bytes.NewReader(msg), &imap.AppendOptions{Flags: flags, Time: date})
	if err != nil {
		return 0, fmt.Errorf("in-memory IMAP: append to %q: %w", folder, err)
	}
	return data.UID, nil
}

// Status returns the server's view of a folder of user's: messages,
// UIDNEXT, UIDVALIDITY and unseen.
func (s *MemIMAP) Status(user, folder string) (*imap.StatusData, error) {
	a, err := s.account(user)
	if err != nil {
		return nil, err
	}
	return a.user.Status(folder, &imap.StatusOptions{NumMessages: true, UIDNext: true, UIDValidity: true, NumUnseen: true})
}

// AddNoSelect lists folder among user's as \Noselect: a hierarchy parent
// that holds no messages and cannot be selected.
func (s *MemIMAP) AddNoSelect(user, folder string) error {
	return s.update(user, func(a *memAccount) { a.noselect[folder] = true })
}

// AddPhantom lists folder among user's although it does not exist, as a
// folder deleted between LIST and STATUS: selecting it fails.
func (s *MemIMAP) AddPhantom(user, folder string) error {
	return s.update(user, func(a *memAccount) { a.phantoms = append(a.phantoms, folder) })
}

// update runs fn on user's account with s.mu held.
func (s *MemIMAP) update(user string, fn func(a *memAccount)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[user]
	if a == nil {
		return fmt.Errorf("in-memory IMAP: no account %q", user)
	}
	fn(a)
	return nil
}

// AddLarge creates a folder of user's whose message UID 1 has a body of
// size bytes, LargeMessage(size), generated as it is sent; the stored
// message is a small placeholder, so the size costs no memory.
func (s *MemIMAP) AddLarge(user, folder string, size int64) error {
	if err := s.Create(user, folder); err != nil {
		return err
	}
	if _, err := s.Append(user, folder, []byte("Subject: placeholder\r\n\r\nx\r\n"), time.Now()); err != nil {
		return err
	}
	return s.update(user, func(a *memAccount) { a.large[folder] = size })
}

// SetFetchHook makes hook run before every FETCH; when it returns an
// error the FETCH fails with it instead of being answered. nil removes it.
func (s *MemIMAP) SetFetchHook(hook func() error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onFetch = hook
}

// RejectLogins makes every login attempt fail (or succeed again, with
// false), as after a password change.
func (s *MemIMAP) RejectLogins(reject bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject = reject
}

// Logins returns how many times a client tried to log in (LOGIN or
// AUTHENTICATE).
func (s *MemIMAP) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// Commands returns the SELECT, EXAMINE and FETCH commands received, in
// order: "EXAMINE INBOX", "FETCH 1:10".
func (s *MemIMAP) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.commands)
}

// KillConnections resets every connection the server accepted so far, as
// a network failure would.
func (s *MemIMAP) KillConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = c.Close()
	}
	s.conns = nil
}

// loginAllowed counts a login attempt and says whether it may succeed.
func (s *MemIMAP) loginAllowed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logins++
	return !s.reject
}

type trackingListener struct {
	net.Listener
	s *MemIMAP
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.s.mu.Lock()
		l.s.conns = append(l.s.conns, c)
		l.s.mu.Unlock()
	}
	return c, err
}

// memAppend stores msg with its flags and internal date, streaming it.
func memAppend(u *imapmemserver.User, folder string, msg *ManifestMessage) error {
	r, size, opts, err := openForAppend(msg)
	if err != nil {
		return err
	}
	defer r.Close()
	lit := literalReader{Reader: io.LimitReader(r, size), size: size}
	if _, err := u.Append(folder, lit, opts); err != nil {
		return fmt.Errorf("append %s to %q: %w", msg.Name(), folder, err)
	}
	return nil
}

type literalReader struct {
	io.Reader
	size int64
}

func (l literalReader) Size() int64 { return l.size }

// slogWriter forwards the server's log lines to slog.
type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.l.Warn(string(trimNewline(p)))
	return len(p), nil
}

func trimNewline(p []byte) []byte {
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	return p
}

// Addr returns host:port of the server.
func (s *MemIMAP) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Close stops the server, closing open connections, and removes its
// certificate directory. It is safe to call more than once.
func (s *MemIMAP) Close() error {
	if s.unwatch != nil {
		s.unwatch()
	}
	return s.close()
}

func (s *MemIMAP) close() error {
	s.once.Do(func() {
		var errs []error
		if s.srv != nil {
			if err := s.srv.Close(); err != nil {
				errs = append(errs, fmt.Errorf("stop in-memory IMAP: %w", err))
			}
		}
		if s.ln != nil {
			// Serve may not have registered the listener yet.
			_ = s.ln.Close()
			<-s.served
		}
		if s.dir != "" {
			if err := os.RemoveAll(s.dir); err != nil {
				errs = append(errs, fmt.Errorf("remove in-memory IMAP directory: %w", err))
			}
		}
		s.closeEr = errors.Join(errs...)
	})
	return s.closeEr
}
