package pop3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/sourcetest"
	"github.com/migrate-tool/migrate/source/testserver"
)

// dovecotUID is the IMAP UID in a key of the test Dovecot, whose
// pop3_uidl_format is %08Xu%08Xv.
func dovecotUID(t testing.TB, key string) goimap.UID {
	t.Helper()
	if len(key) != 16 {
		t.Fatalf("key %q is not a Dovecot %%08Xu%%08Xv UIDL", key)
	}
	uid, err := strconv.ParseUint(key[:8], 16, 32)
	if err != nil {
		t.Fatalf("key %q: %v", key, err)
	}
	return goimap.UID(uid)
}

func imapLogin(t testing.TB, d *testserver.Dovecot, u testserver.User) *imapclient.Client {
	t.Helper()
	c, err := testserver.DialIMAPS(context.Background(), d.IMAPSAddr(), d.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(u.Name, u.Password).Wait(); err != nil {
		t.Fatalf("LOGIN = %v", err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatalf("SELECT INBOX = %v", err)
	}
	return c
}

func dovecotOptions(d *testserver.Dovecot, u testserver.User, security Security) *Options {
	o := &Options{Host: d.Host, Port: d.POP3SPort, Security: security, CAFile: d.CAFile,
		Username: u.Name, Password: u.Password, Timeout: 10 * time.Second, MaxRetries: 1, RetryDelay: time.Millisecond}
	if security != SecurityTLS {
		o.Port = d.POP3Port
	}
	return o
}

// TestDovecot runs the conformance suite against a real Dovecot over
// POP3S and POP3 with STLS, checks what it streams byte for byte against
// IMAP BODY.PEEK[] of the same messages, and logs in with each method
// Dovecot offers.
func TestDovecot(t *testing.T) {
	d := testserver.DovecotForTest(t, &testserver.DovecotOptions{APOP: true})

	t.Run("ByteExact", func(t *testing.T) { testByteExact(t, d, d.Users[1]) })

	for _, security := range []Security{SecurityTLS, SecuritySTARTTLS} {
		t.Run("Conformance "+string(security), func(t *testing.T) {
			u := d.Users[0]
			open := func(mutate func(o *Options)) source.Opener {
				return func(ctx context.Context) (source.Account, error) {
					o := dovecotOptions(d, u, security)
					if mutate != nil {
						mutate(o)
					}
					return Dial(ctx, o)
				}
			}
			sourcetest.Run(t, sourcetest.Harness{
				Open:        open(nil),
				BadAuth:     open(func(o *Options) { o.Password = "wrong-password" }),
				Unreachable: open(func(o *Options) { o.Port = closedPort(t) }),
				Expunge: func(t testing.TB, f source.Folder, ref source.ItemRef) {
					c := imapLogin(t, d, u)
					set := goimap.UIDSetNum(dovecotUID(t, ref.Key))
					if err := c.Store(set, &goimap.StoreFlags{Op: goimap.StoreFlagsAdd, Silent: true, Flags: []goimap.Flag{goimap.FlagDeleted}}, nil).Close(); err != nil {
						t.Fatalf("UID STORE = %v", err)
					}
					if err := c.UIDExpunge(set).Close(); err != nil {
						t.Fatalf("UID EXPUNGE = %v", err)
					}
				},
			})
		})
	}

	t.Run("Auth", func(t *testing.T) {
		u := d.Users[2]
		for _, tc := range []struct {
			security Security
			auth     Auth
			want     Auth
		}{
			{SecurityTLS, AuthAuto, AuthPlain},
			{SecurityTLS, AuthUser, AuthUser},
			{SecurityTLS, AuthPlain, AuthPlain},
			{SecurityTLS, AuthAPOP, AuthAPOP},
			{SecuritySTARTTLS, AuthAuto, AuthPlain},
			{SecurityPlain, AuthAuto, AuthAPOP},
		} {
			t.Run(fmt.Sprintf("%s %s", tc.security, tc.auth), func(t *testing.T) {
				o := dovecotOptions(d, u, tc.security)
				o.Auth, o.AllowPlaintext = tc.auth, tc.security == SecurityPlain
				a, err := Dial(context.Background(), o)
				if err != nil {
					t.Fatalf("Dial() = %v", err)
				}
				defer a.Close()
				if got := a.Auth(); got != tc.want {
					t.Errorf("Auth() = %q, want %q", got, tc.want)
				}
				if _, err := a.Folders(context.Background()); err != nil {
					t.Errorf("Folders() = %v", err)
				}
			})
		}
	})
}

// byteExactMessages are the messages whose dot-stuffing and line endings
// servers get wrong.
var byteExactMessages = map[string]string{
	"leading dots":     "Subject: dots\r\n\r\n.one\r\n..two\r\n...\r\n. space\r\nend\r\n",
	"dot line in body": "Subject: dot line\r\n\r\nbefore\r\n.\r\nafter\r\n.\r\n",
	"bare LF":          "Subject: bare LF\n\nline one\nline two\n.\n..\nend\n",
	"mixed endings":    "Subject: mixed\r\n\r\ncrlf\r\nlf\n.lf dot\ncr\rinside\r\n",
	"1 MB line":        "Subject: long line\r\n\r\n" + strings.Repeat("0123456789abcdef", 1<<16) + "\r\n." + strings.Repeat("x", 1<<20) + "\r\n",
	"no final newline": "Subject: no EOL\r\n\r\nlast line",
}

// testByteExact delivers byteExactMessages into u's INBOX over IMAP and
// checks that RETR streams each exactly as IMAP BODY.PEEK[] gives it, in
// as many bytes as LIST says.
func testByteExact(t *testing.T, d *testserver.Dovecot, u testserver.User) {
	ctx := context.Background()
	c := imapLogin(t, d, u)
	names := map[goimap.UID]string{}
	for name, msg := range byteExactMessages {
		cmd := c.Append("INBOX", int64(len(msg)), nil)
		if _, err := io.WriteString(cmd, msg); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Close(); err != nil {
			t.Fatal(err)
		}
		data, err := cmd.Wait()
		if err != nil {
			t.Fatalf("APPEND %s = %v", name, err)
		}
		names[data.UID] = name
	}
	a, err := Dial(ctx, dovecotOptions(d, u, SecurityTLS))
	if err != nil {
		t.Fatalf("Dial() = %v", err)
	}
	defer a.Close()
	seen := 0
	for ref, err := range a.Items(ctx, inbox()) {
		if err != nil {
			t.Fatal(err)
		}
		uid := dovecotUID(t, ref.Key)
		name, ok := names[uid]
		if !ok {
			continue
		}
		seen++
		got := readKey(t, a, ref.Key)
		section := &goimap.FetchItemBodySection{Peek: true}
		msgs, err := c.Fetch(goimap.UIDSetNum(uid), &goimap.FetchOptions{UID: true, BodySection: []*goimap.FetchItemBodySection{section}}).Collect()
		if err != nil || len(msgs) != 1 {
			t.Fatalf("UID FETCH %d BODY.PEEK[] = %d messages, %v", uid, len(msgs), err)
		}
		want := msgs[0].FindBodySection(section)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: RETR gave %d bytes %q, IMAP BODY.PEEK[] %d bytes %q", name, len(got), head(got), len(want), head(want))
		}
		if int64(len(got)) != ref.Size {
			t.Errorf("%s: RETR gave %d bytes, LIST said %d", name, len(got), ref.Size)
		}
	}
	if seen != len(byteExactMessages) {
		t.Errorf("POP3 listed %d of the %d messages delivered", seen, len(byteExactMessages))
	}
}

func head(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}

// TestDovecotLockedMaildrop checks Dovecot's answer to a second session
// of a maildrop locked by the first (pop3_lock_session): after waiting
// about 10 s for the lock, "-ERR [IN-USE]", which the adapter must take
// for a lock (ErrConnect, retried), not for bad credentials; and a login
// waiting for the lock gets in once the first session ends.
func TestDovecotLockedMaildrop(t *testing.T) {
	d := testserver.DovecotForTest(t, &testserver.DovecotOptions{POP3LockSession: true})
	u := d.Users[0]
	first, err := Dial(context.Background(), dovecotOptions(d, u, SecurityTLS))
	if err != nil {
		t.Fatalf("Dial() = %v", err)
	}
	defer first.Close()
	o := dovecotOptions(d, u, SecurityTLS)
	o.MaxRetries, o.Timeout = -1, 30*time.Second
	_, err = Dial(context.Background(), o)
	var re *respError
	if !errors.Is(err, ErrConnect) || errors.Is(err, ErrAuth) || !errors.As(err, &re) || re.code() != "IN-USE" {
		t.Fatalf("Dial() while the maildrop is locked = %v, want an error matching ErrConnect with [IN-USE]", err)
	}
	if reason, retry := retryable(err, false); !retry {
		t.Errorf("retryable(%v) = %q, false; want it retried", err, reason)
	}
	time.AfterFunc(200*time.Millisecond, func() { first.Close() })
	a, err := Dial(context.Background(), o)
	if err != nil {
		t.Fatalf("Dial() while the first session ends = %v", err)
	}
	a.Close()
}
