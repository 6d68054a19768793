package pop3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/migrate/logcheck"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/sourcetest"
	"github.com/migrate-tool/migrate/source/testserver"
)

// memUser is the in-process server's account.
var memUser = testserver.User{Name: "alice", Password: "alice-secret"}

// memFixture is an in-process POP3 server with messages.
type memFixture struct {
	t    testing.TB
	srv  *testserver.MemPOP3
	uidl map[string]string // adapter key -> server UIDL
	msgs map[string][]byte // server UIDL -> message
}

func startMem(t testing.TB, opts testserver.MemPOP3Options) *memFixture {
	t.Helper()
	opts.Accounts = []testserver.User{memUser}
	srv := testserver.MemPOP3ForTest(t, &opts)
	return &memFixture{t: t, srv: srv, uidl: map[string]string{}, msgs: map[string][]byte{}}
}

// add appends a message and remembers the key the adapter will give it:
// the UIDL, or with noUIDL the fallback key (n is the "#n" of duplicates).
func (fx *memFixture) add(msg string, noUIDL bool, date, msgID string, n int) string {
	fx.t.Helper()
	uidl, err := fx.srv.Add(memUser.Name, []byte(msg))
	if err != nil {
		fx.t.Fatal(err)
	}
	key := uidl
	if noUIDL {
		key = FallbackKey(int64(len(msg)), date, msgID)
		if n > 1 {
			key += fmt.Sprintf("#%d", n)
		}
	}
	fx.uidl[key] = uidl
	fx.msgs[uidl] = []byte(msg)
	return key
}

// seed adds four distinct messages and two identical ones.
func (fx *memFixture) seed(noUIDL bool) []string {
	var keys []string
	for i := range 4 {
		date := fmt.Sprintf("Fri, 1 Mar 2024 09:%02d:00 +0000", i)
		id := fmt.Sprintf("<m%d@example.com>", i)
		body := fmt.Sprintf("body %d\r\n.leading dot\r\n", i)
		if i == 2 {
			body = strings.Repeat("x", 3000) + "\r\n.\r\n..\r\nbare\nLF\r\n"
		}
		keys = append(keys, fx.add("Date: "+date+"\r\nMessage-ID: "+id+"\r\nSubject: message "+fmt.Sprint(i)+"\r\n\r\n"+body, noUIDL, date, id, 1))
	}
	dup := "Date: Sat, 2 Mar 2024 10:00:00 +0000\r\nMessage-ID: <dup@example.com>\r\nSubject: twice\r\n\r\nsame\r\n"
	for n := 1; n <= 2; n++ {
		keys = append(keys, fx.add(dup, noUIDL, "Sat, 2 Mar 2024 10:00:00 +0000", "<dup@example.com>", n))
	}
	return keys
}

func (fx *memFixture) options(mutate func(o *Options)) *Options {
	o := &Options{Host: fx.srv.Host, Port: fx.srv.Port, Security: SecuritySTARTTLS, CAFile: fx.srv.CAFile,
		Username: memUser.Name, Password: memUser.Password, Timeout: 5 * time.Second, RetryDelay: time.Millisecond}
	if fx.srv.CAFile == "" {
		o.Security, o.AllowPlaintext = SecurityPlain, true
	}
	if mutate != nil {
		mutate(o)
	}
	return o
}

func (fx *memFixture) dial(mutate func(o *Options)) *Account {
	fx.t.Helper()
	a, err := Dial(context.Background(), fx.options(mutate))
	if err != nil {
		fx.t.Fatalf("Dial() = %v", err)
	}
	fx.t.Cleanup(func() { a.Close() })
	return a
}

func (fx *memFixture) opener(mutate func(o *Options)) source.Opener {
	return func(ctx context.Context) (source.Account, error) { return Dial(ctx, fx.options(mutate)) }
}

// closedPort returns a 127.0.0.1 port where nothing listens.
func closedPort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// TestConformanceMemPOP3 runs the source conformance suite against the
// in-process server, with UIDL and without (fallback keys), with TOP and
// without, with CAPA and without.
func TestConformanceMemPOP3(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts testserver.MemPOP3Options
	}{
		{"UIDL STLS", testserver.MemPOP3Options{}},
		{"UIDL implicit TLS no TOP", testserver.MemPOP3Options{ImplicitTLS: true, NoTOP: true}},
		{"no UIDL", testserver.MemPOP3Options{NoUIDL: true}},
		{"no UIDL no TOP no CAPA plaintext", testserver.MemPOP3Options{NoTLS: true, NoUIDL: true, NoTOP: true, NoCAPA: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := startMem(t, tc.opts)
			fx.seed(tc.opts.NoUIDL)
			tlsMode := func(o *Options) {
				if tc.opts.ImplicitTLS {
					o.Security = SecurityTLS
				}
			}
			sourcetest.Run(t, sourcetest.Harness{
				Open: fx.opener(tlsMode),
				BadAuth: fx.opener(func(o *Options) {
					tlsMode(o)
					o.Password = "wrong"
				}),
				Unreachable: fx.opener(func(o *Options) { o.Port = closedPort(t) }),
				Expunge: func(t testing.TB, f source.Folder, ref source.ItemRef) {
					if err := fx.srv.Delete(memUser.Name, fx.uidl[ref.Key]); err != nil {
						t.Fatal(err)
					}
				},
			})
		})
	}
}

// TestFallbackKeys checks that a server without UIDL gets the documented
// keys, the same in every session, distinct for identical messages, and
// that KeyScheme says so.
func TestFallbackKeys(t *testing.T) {
	for _, noTop := range []bool{false, true} {
		t.Run(fmt.Sprintf("noTOP=%v", noTop), func(t *testing.T) {
			fx := startMem(t, testserver.MemPOP3Options{NoUIDL: true, NoTOP: noTop})
			want := fx.seed(true)
			for session := range 2 {
				a := fx.dial(nil)
				scheme, err := a.KeyScheme(context.Background())
				if err != nil || scheme != KeysFallback {
					t.Fatalf("KeyScheme() = %q, %v; want %q", scheme, err, KeysFallback)
				}
				got := keys(t, a)
				if !slices.Equal(got, want) {
					t.Fatalf("session %d: keys %q, want %q", session, got, want)
				}
				// A key opens its own message.
				for _, k := range []string{want[1], want[5]} {
					if b := readKey(t, a, k); string(b) != string(fx.msgs[fx.uidl[k]]) {
						t.Errorf("Open(%s) = %q, want %q", k, b, fx.msgs[fx.uidl[k]])
					}
				}
				a.Close()
			}
			cmds := fx.srv.Commands()
			if slices.Contains(cmds, "DELE") || slices.Contains(cmds, "RSET") {
				t.Errorf("commands sent %v: the maildrop must not be changed", cmds)
			}
			if wantTop := !noTop; slices.Contains(cmds, "TOP") != wantTop {
				t.Errorf("commands %v: TOP sent = %v, want %v", cmds, !wantTop, wantTop)
			}
			// A message deleted on the server leaves the others' keys alone.
			if err := fx.srv.Delete(memUser.Name, fx.uidl[want[0]]); err != nil {
				t.Fatal(err)
			}
			if got := keys(t, fx.dial(nil)); !slices.Equal(got, want[1:]) {
				t.Errorf("after deleting the first message: keys %q, want %q", got, want[1:])
			}
		})
	}
}

func TestKeySchemeUIDL(t *testing.T) {
	fx := startMem(t, testserver.MemPOP3Options{})
	fx.seed(false)
	if s, err := fx.dial(nil).KeyScheme(context.Background()); err != nil || s != KeysUIDL {
		t.Errorf("KeyScheme() = %q, %v; want %q", s, err, KeysUIDL)
	}
}

func keys(t testing.TB, a *Account) []string {
	t.Helper()
	var out []string
	for ref, err := range a.Items(context.Background(), inbox()) {
		if err != nil {
			t.Fatalf("Items() = %v", err)
		}
		out = append(out, ref.Key)
	}
	return out
}

func readKey(t testing.TB, a *Account, key string) []byte {
	t.Helper()
	rc, err := a.Open(context.Background(), inbox(), source.ItemRef{Key: key})
	if err != nil {
		t.Fatalf("Open(%s) = %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %s: %v", key, err)
	}
	return b
}

// TestAuth checks the choice of login method and each method against the
// in-process server.
func TestAuth(t *testing.T) {
	long := strings.Repeat("p", 300)
	for _, tc := range []struct {
		name     string
		srv      testserver.MemPOP3Options
		auth     Auth
		plain    bool   // plaintext connection
		password string // "" means the right one
		want     Auth
		wantCmd  string
		wantErr  error
	}{
		{"auto over TLS prefers SASL PLAIN", testserver.MemPOP3Options{APOP: true}, AuthAuto, false, "", AuthPlain, "AUTH", nil},
		{"auto over TLS without SASL: USER", testserver.MemPOP3Options{Mechanisms: []string{}, APOP: true}, AuthAuto, false, "", AuthUser, "USER", nil},
		{"auto over TLS, APOP only", testserver.MemPOP3Options{Mechanisms: []string{}, APOP: true, NoUSER: true}, AuthAuto, false, "", AuthAPOP, "APOP", nil},
		{"auto in plaintext prefers APOP", testserver.MemPOP3Options{NoTLS: true, APOP: true}, AuthAuto, true, "", AuthAPOP, "APOP", nil},
		{"auto in plaintext without timestamp: SASL PLAIN", testserver.MemPOP3Options{NoTLS: true}, AuthAuto, true, "", AuthPlain, "AUTH", nil},
		{"auto in plaintext, APOP refused: SASL PLAIN next", testserver.MemPOP3Options{NoTLS: true, APOPRefused: true}, AuthAuto, true, "", AuthPlain, "AUTH", nil},
		{"auto in plaintext, APOP refused: USER next", testserver.MemPOP3Options{NoTLS: true, APOPRefused: true, Mechanisms: []string{}}, AuthAuto, true, "", AuthUser, "PASS", nil},
		{"apop asked, refused", testserver.MemPOP3Options{APOPRefused: true}, AuthAPOP, false, "", "", "", ErrAuth},
		{"auto without CAPA: USER", testserver.MemPOP3Options{NoCAPA: true}, AuthAuto, false, "", AuthUser, "USER", nil},
		{"user asked", testserver.MemPOP3Options{APOP: true}, AuthUser, false, "", AuthUser, "USER", nil},
		{"apop asked", testserver.MemPOP3Options{APOP: true}, AuthAPOP, false, "", AuthAPOP, "APOP", nil},
		{"apop asked, no timestamp", testserver.MemPOP3Options{}, AuthAPOP, false, "", "", "", ErrAuth},
		{"plain asked, not offered", testserver.MemPOP3Options{Mechanisms: []string{}}, AuthPlain, false, "", "", "", ErrAuth},
		{"plain, long password: two steps", testserver.MemPOP3Options{}, AuthPlain, false, long, AuthPlain, "AUTH", nil},
		{"plain, wrong password", testserver.MemPOP3Options{}, AuthPlain, false, "wrong", "", "", ErrAuth},
		{"apop, wrong password", testserver.MemPOP3Options{APOP: true}, AuthAPOP, false, "wrong", "", "", ErrAuth},
		{"user, wrong password", testserver.MemPOP3Options{}, AuthUser, false, "wrong", "", "", ErrAuth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.srv
			user := memUser
			if tc.password == long {
				user.Password = long
			}
			opts.Accounts = []testserver.User{user}
			srv, err := testserver.StartMemPOP3(context.Background(), &opts)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			o := &Options{Host: srv.Host, Port: srv.Port, Security: SecuritySTARTTLS, CAFile: srv.CAFile, Auth: tc.auth,
				Username: user.Name, Password: user.Password, Timeout: 5 * time.Second}
			if tc.plain {
				o.Security, o.AllowPlaintext = SecurityPlain, true
			}
			if tc.password != "" && tc.password != long {
				o.Password = tc.password
			}
			a, err := Dial(context.Background(), o)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !errors.Is(err, source.ErrAuth) {
					t.Fatalf("Dial() = %v, want an error matching %v", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), o.Password) {
					t.Errorf("Dial() error %q shows the password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Dial() = %v", err)
			}
			defer a.Close()
			if got := a.Auth(); got != tc.want {
				t.Errorf("Auth() = %q, want %q", got, tc.want)
			}
			if cmds := srv.Commands(); !slices.Contains(cmds, tc.wantCmd) {
				t.Errorf("commands %v, want %s among them", cmds, tc.wantCmd)
			}
			if srv.Logins() != 1 {
				t.Errorf("server counted %d logins, want 1", srv.Logins())
			}
		})
	}
}

// TestReconnect drops the connection in the middle of RETR, before a
// command and while idle, and checks that the Account re-opens the
// session, goes on by key and says why in its log.
func TestReconnect(t *testing.T) {
	for _, tc := range []struct {
		name string
		drop func(fx *memFixture)
		// readErr: the first Open's Read fails (RETR cut); else the Open
		// after the drop succeeds at once.
		readErr bool
	}{
		{"mid RETR", func(fx *memFixture) { fx.srv.DropNextRETR(20) }, true},
		{"before RETR", func(fx *memFixture) { fx.srv.DropBeforeCommand(1) }, false},
		{"idle session dropped", func(fx *memFixture) { fx.srv.KillConnections() }, false},
	} {
		for _, noUIDL := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s noUIDL=%v", tc.name, noUIDL), func(t *testing.T) {
				testReconnect(t, tc.drop, tc.readErr, noUIDL)
			})
		}
	}
}

func testReconnect(t *testing.T, drop func(fx *memFixture), readErr, noUIDL bool) {
	ctx := context.Background()
	fx := startMem(t, testserver.MemPOP3Options{NoUIDL: noUIDL})
	want := fx.seed(noUIDL)
	log, rec := logcheck.New(t)
	a := fx.dial(func(o *Options) { o.Logger = log })
	if got := keys(t, a); !slices.Equal(got, want) {
		t.Fatalf("keys %q, want %q", got, want)
	}
	key := want[2] // the 3 KB message
	drop(fx)
	if readErr {
		rc, err := a.Open(ctx, inbox(), source.ItemRef{Key: key})
		if err != nil {
			t.Fatalf("Open() = %v", err)
		}
		if _, err := io.ReadAll(rc); err == nil {
			t.Fatal("ReadAll() of a RETR cut short succeeded, want an error")
		}
		rc.Close()
	}
	if b := readKey(t, a, key); string(b) != string(fx.msgs[fx.uidl[key]]) {
		t.Errorf("after re-opening: Open(%s) = %d bytes, want %d", key, len(b), len(fx.msgs[fx.uidl[key]]))
	}
	if got := keys(t, a); !slices.Equal(got, want) {
		t.Errorf("after re-opening: keys %q, want %q", got, want)
	}
	if n := fx.srv.Logins(); n != 2 {
		t.Errorf("server counted %d logins, want 2", n)
	}
	found := false
	for _, r := range rec.Records() {
		if r.Message == "session re-opened" {
			v, _ := r.Value("reason")
			found = v.String() != ""
		}
	}
	if !found {
		t.Errorf("no record \"session re-opened\" with a reason in %v", rec.Records())
	}
}

// TestLockedMaildrop checks that a login refused with [IN-USE] backs off
// and retries, up to MaxRetries.
func TestLockedMaildrop(t *testing.T) {
	for _, tc := range []struct {
		name       string
		locked     int
		maxRetries int
		wantErr    bool
	}{
		{"locked twice", 2, 3, false},
		{"locked longer than the retries", 5, 2, true},
		{"no retries", 1, -1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := startMem(t, testserver.MemPOP3Options{})
			fx.seed(false)
			fx.srv.LockLogins(tc.locked)
			log, rec := logcheck.New(t)
			a, err := Dial(context.Background(), fx.options(func(o *Options) { o.Logger = log; o.MaxRetries = tc.maxRetries }))
			if tc.wantErr {
				if !errors.Is(err, ErrConnect) || errors.Is(err, ErrAuth) {
					t.Fatalf("Dial() = %v, want an error matching ErrConnect", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Dial() = %v", err)
			}
			a.Close()
			retries := 0
			for _, r := range rec.Records() {
				if v, _ := r.Value("reason"); strings.Contains(v.String(), "IN-USE") {
					retries++
				}
			}
			if retries != tc.locked {
				t.Errorf("%d records say the maildrop was locked, want %d", retries, tc.locked)
			}
		})
	}
}

// TestOneSession checks that a second session of a one-session server
// is refused as locked (ErrConnect), not as bad credentials.
func TestOneSession(t *testing.T) {
	fx := startMem(t, testserver.MemPOP3Options{OneSession: true})
	fx.seed(false)
	fx.dial(nil)
	_, err := Dial(context.Background(), fx.options(func(o *Options) { o.MaxRetries = 1 }))
	if !errors.Is(err, ErrConnect) || errors.Is(err, ErrAuth) {
		t.Fatalf("second Dial() = %v, want an error matching ErrConnect", err)
	}
}

// TestBackoffHonoursContext checks that a Dial backing off from a locked
// maildrop returns as soon as its context ends.
func TestBackoffHonoursContext(t *testing.T) {
	fx := startMem(t, testserver.MemPOP3Options{})
	fx.srv.LockLogins(100)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Dial(ctx, fx.options(func(o *Options) { o.MaxRetries, o.RetryDelay = 10, 5*time.Second }))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Dial() = %v, want an error matching context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Dial() returned after %v, want soon after its context ended", d)
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		n        int
		min, max time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{4, 4 * time.Second, 8 * time.Second},
		{10, maxRetryDelay / 2, maxRetryDelay},
		{100, maxRetryDelay / 2, maxRetryDelay},
	} {
		for range 20 {
			if d := backoff(time.Second, tc.n); d < tc.min || d > tc.max {
				t.Errorf("backoff(1s, %d) = %v, want within [%v, %v]", tc.n, d, tc.min, tc.max)
			}
		}
	}
}
