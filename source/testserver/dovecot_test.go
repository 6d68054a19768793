package testserver

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/knadh/go-pop3"
)

// caPool loads the CA file the way a client configured with it would.
func caPool(t *testing.T, caFile string) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatalf("read CA file: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("CA file %s holds no certificate", caFile)
	}
	return pool
}

func login(t *testing.T, c *imapclient.Client, name, password string) {
	t.Helper()
	if err := c.Login(name, password).Wait(); err != nil {
		t.Fatalf("Login(%q).Wait() = %v", name, err)
	}
}

// listFolders returns name -> attributes of every folder, including
// non-selectable parents.
func listFolders(t *testing.T, c *imapclient.Client) map[string][]imap.MailboxAttr {
	t.Helper()
	list, err := c.List("", "*", &imap.ListOptions{ReturnSpecialUse: true, ReturnSubscribed: true}).Collect()
	if err != nil {
		t.Fatalf("List().Collect() = %v", err)
	}
	out := map[string][]imap.MailboxAttr{}
	for _, l := range list {
		if l.Delim != '/' {
			t.Errorf("folder %q has delimiter %q, want '/'", l.Mailbox, l.Delim)
		}
		out[l.Mailbox] = l.Attrs
	}
	return out
}

func specialUseOf(attrs []imap.MailboxAttr) string {
	for _, a := range attrs {
		if slices.Contains(specialUses, string(a)) {
			return string(a)
		}
	}
	return ""
}

func TestDovecot(t *testing.T) {
	t.Parallel()
	d := DovecotForTest(t, nil)
	m := d.Manifest
	ctx := t.Context()

	t.Run("LoginAndList", func(t *testing.T) {
		t.Parallel()
		pool := caPool(t, d.CAFile)
		tests := []struct {
			name string
			dial func() (*imapclient.Client, error)
		}{
			{"STARTTLS", func() (*imapclient.Client, error) {
				return imapclient.DialStartTLS(d.IMAPAddr(), &imapclient.Options{TLSConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}})
			}},
			{"IMAPS", func() (*imapclient.Client, error) {
				return imapclient.DialTLS(d.IMAPSAddr(), &imapclient.Options{TLSConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}})
			}},
			{"plaintext", func() (*imapclient.Client, error) {
				return imapclient.DialInsecure(d.IMAPAddr(), nil)
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c, err := tt.dial()
				if err != nil {
					t.Fatalf("dial = %v", err)
				}
				defer c.Close()
				u := m.Users[0]
				login(t, c, u.Name, u.Password)
				got := listFolders(t, c)
				for _, f := range u.Folders {
					if _, ok := got[f.Name]; !ok {
						t.Errorf("LIST lacks folder %q; got %v", f.Name, mapKeys(got))
					}
				}
			})
		}
	})

	t.Run("WrongPassword", func(t *testing.T) {
		t.Parallel()
		c, err := DialIMAPS(ctx, d.IMAPSAddr(), d.TLSConfig())
		if err != nil {
			t.Fatalf("DialIMAPS() = %v", err)
		}
		defer c.Close()
		if err := c.Login(m.Users[0].Name, "wrong-password").Wait(); err == nil {
			t.Fatal("Login with a wrong password succeeded")
		}
	})

	t.Run("MasterUser", func(t *testing.T) {
		t.Parallel()
		bob := m.Users[1]
		tests := []struct {
			name string
			auth func(c *imapclient.Client) error
		}{
			{"LOGIN user*master", func(c *imapclient.Client) error {
				return c.Login(d.MasterLogin(bob.Name), d.Master.Password).Wait()
			}},
			{"SASL PLAIN authzid", func(c *imapclient.Client) error {
				return c.Authenticate(sasl.NewPlainClient(bob.Name, d.Master.Name, d.Master.Password))
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c, err := DialIMAPS(ctx, d.IMAPSAddr(), d.TLSConfig())
				if err != nil {
					t.Fatalf("DialIMAPS() = %v", err)
				}
				defer c.Close()
				if err := tt.auth(c); err != nil {
					t.Fatalf("master login = %v", err)
				}
				sel, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
				if err != nil {
					t.Fatalf("Select(INBOX).Wait() = %v", err)
				}
				if want := uint32(len(bob.Inbox().Messages)); sel.NumMessages != want {
					t.Errorf("master login sees %d messages in %s's INBOX, want %d", sel.NumMessages, bob.Name, want)
				}
			})
		}
	})

	t.Run("SeedMatchesManifest", func(t *testing.T) {
		t.Parallel()
		for _, u := range m.Users {
			t.Run(u.Name, func(t *testing.T) {
				t.Parallel()
				c, err := DialIMAPS(ctx, d.IMAPSAddr(), d.TLSConfig())
				if err != nil {
					t.Fatalf("DialIMAPS() = %v", err)
				}
				defer c.Close()
				login(t, c, u.Name, u.Password)
				checkAccount(t, c, &u, true)
			})
		}
	})

	t.Run("POP3", func(t *testing.T) {
		t.Parallel()
		cfg := d.TLSConfig()
		tests := []struct {
			name string
			opt  pop3.Opt
		}{
			{"POP3S", pop3.Opt{Host: d.Host, Port: d.POP3SPort, Dialer: tlsDialer{cfg}}},
			{"plaintext", pop3.Opt{Host: d.Host, Port: d.POP3Port}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				for _, u := range m.Users {
					checkPOP3(t, tt.opt, u.Name, u.Password, u.Inbox())
				}
			})
		}
		t.Run("master user", func(t *testing.T) {
			u := m.Users[2]
			checkPOP3(t, tests[0].opt, d.MasterLogin(u.Name), d.Master.Password, u.Inbox())
		})
	})

	t.Run("STLS", func(t *testing.T) {
		t.Parallel()
		conn, err := net.DialTimeout("tcp", d.POP3Addr(), 5*time.Second)
		if err != nil {
			t.Fatalf("dial POP3: %v", err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(conn)
		expectLine := func(prefix string) {
			t.Helper()
			line, err := r.ReadString('\n')
			if err != nil || !strings.HasPrefix(line, prefix) {
				t.Fatalf("POP3 line = %q, %v; want prefix %q", line, err, prefix)
			}
		}
		expectLine("+OK")
		fmt.Fprintf(conn, "STLS\r\n")
		expectLine("+OK")
		tc := tls.Client(conn, d.TLSConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			t.Fatalf("STLS handshake: %v", err)
		}
		r = bufio.NewReader(tc)
		u := m.Users[0]
		fmt.Fprintf(tc, "USER %s\r\n", u.Name)
		expectLine("+OK")
		fmt.Fprintf(tc, "PASS %s\r\n", u.Password)
		expectLine("+OK")
		fmt.Fprintf(tc, "QUIT\r\n")
		expectLine("+OK")
	})
}

// checkAccount compares every folder and message of the account with the
// manifest: names, special use, subscription, flags, internal date, size and
// content.
func checkAccount(t *testing.T, c *imapclient.Client, u *ManifestUser, specialUse bool) {
	t.Helper()
	got := listFolders(t, c)
	for _, f := range u.Folders {
		attrs, ok := got[f.Name]
		if !ok {
			t.Errorf("folder %q missing; server has %v", f.Name, mapKeys(got))
			continue
		}
		wantUse := f.SpecialUse
		if !specialUse {
			wantUse = ""
		}
		if su := specialUseOf(attrs); su != wantUse {
			t.Errorf("folder %q special use = %q, want %q", f.Name, su, wantUse)
		}
		if subscribed := slices.Contains(attrs, imap.MailboxAttrSubscribed); subscribed == f.Unsubscribed {
			t.Errorf("folder %q subscribed = %v, want %v", f.Name, subscribed, !f.Unsubscribed)
		}
		if slices.Contains(attrs, imap.MailboxAttrNoSelect) {
			t.Errorf("folder %q is \\Noselect", f.Name)
		}
		checkFolder(t, c, f.Name, f.Messages)
	}
	for name, attrs := range got {
		if _, ok := u.Folder(name); !ok && !slices.Contains(attrs, imap.MailboxAttrNoSelect) {
			t.Errorf("server has folder %q that the manifest lacks", name)
		}
	}
}

func checkFolder(t *testing.T, c *imapclient.Client, folder string, want []ManifestMessage) {
	t.Helper()
	sel, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Errorf("Select(%q).Wait() = %v", folder, err)
		return
	}
	if int(sel.NumMessages) != len(want) {
		t.Errorf("folder %q has %d messages, want %d", folder, sel.NumMessages, len(want))
		return
	}
	if len(want) == 0 {
		return
	}
	var all imap.SeqSet
	all.AddRange(1, sel.NumMessages)
	msgs, err := c.Fetch(all, &imap.FetchOptions{
		Flags: true, InternalDate: true, RFC822Size: true, UID: true,
		BodySection: []*imap.FetchItemBodySection{{Peek: true}},
	}).Collect()
	if err != nil {
		t.Errorf("Fetch(%q).Collect() = %v", folder, err)
		return
	}
	for i, got := range msgs {
		w := want[i]
		name := folder + " #" + fmt.Sprint(i+1) + " " + w.Name()
		var gotFlags []string
		for _, f := range got.Flags {
			if f != `\Recent` {
				gotFlags = append(gotFlags, string(f))
			}
		}
		if !sameFlags(gotFlags, w.Flags) {
			t.Errorf("%s: flags = %v, want %v", name, gotFlags, w.Flags)
		}
		if !got.InternalDate.Equal(w.Date) {
			t.Errorf("%s: INTERNALDATE = %v, want %v", name, got.InternalDate, w.Date)
		}
		size, err := w.Size()
		if err != nil {
			t.Fatalf("%s: Size() = %v", name, err)
		}
		if got.RFC822Size != size {
			t.Errorf("%s: RFC822.SIZE = %d, want %d", name, got.RFC822Size, size)
		}
		body := got.FindBodySection(&imap.FetchItemBodySection{})
		wantSum, err := w.SHA256()
		if err != nil {
			t.Fatalf("%s: SHA256() = %v", name, err)
		}
		if sha256.Sum256(body) != wantSum {
			t.Errorf("%s: body (%d bytes) differs from the corpus (%d bytes)", name, len(body), size)
		}
	}
}

// tlsDialer dials POP3S for go-pop3 with our CA (its own TLS option only
// knows the system roots).
type tlsDialer struct{ cfg *tls.Config }

func (d tlsDialer) Dial(network, addr string) (net.Conn, error) {
	return tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, network, addr, d.cfg)
}

func checkPOP3(t *testing.T, opt pop3.Opt, user, password string, inbox *ManifestFolder) {
	t.Helper()
	conn, err := pop3.New(opt).NewConn()
	if err != nil {
		t.Fatalf("pop3 NewConn() = %v", err)
	}
	defer conn.Quit()
	if err := conn.Auth(user, password); err != nil {
		t.Fatalf("pop3 Auth(%q) = %v", user, err)
	}
	uidl, err := conn.Uidl(0)
	if err != nil {
		t.Fatalf("pop3 Uidl() = %v", err)
	}
	if len(uidl) != len(inbox.Messages) {
		t.Fatalf("%s: UIDL lists %d messages, want %d (INBOX)", user, len(uidl), len(inbox.Messages))
	}
	seen := map[string]bool{}
	for _, u := range uidl {
		// pop3_uidl_format %08Xu%08Xv (2.3), %{uid | hex(8)}%{uidvalidity |
		// hex(8)} (2.4): 16 hex digits.
		if len(u.UID) != 16 || strings.Trim(u.UID, "0123456789abcdefABCDEF") != "" || seen[u.UID] {
			t.Errorf("%s: UIDL %q is not a unique %%08Xu%%08Xv value", user, u.UID)
		}
		seen[u.UID] = true
	}
	list, err := conn.List(0)
	if err != nil {
		t.Fatalf("pop3 List() = %v", err)
	}
	for i, l := range list {
		size, err := inbox.Messages[i].Size()
		if err != nil {
			t.Fatal(err)
		}
		if int64(l.Size) != size {
			t.Errorf("%s: LIST %d size = %d, want %d", user, l.ID, l.Size, size)
		}
	}
	raw, err := conn.RetrRaw(1)
	if err != nil {
		t.Fatalf("pop3 RetrRaw(1) = %v", err)
	}
	want, err := inbox.Messages[0].Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw.Bytes(), want) {
		t.Errorf("%s: RETR 1 returned %d bytes that differ from the corpus (%d bytes)", user, raw.Len(), len(want))
	}
}

func TestDovecotNoSpecialUseAndExtras(t *testing.T) {
	t.Parallel()
	date := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	extra := ExtraMessage{User: "carol@example.test", Folder: "Extra/Large", Message: ManifestMessage{
		Generate: &Generator{Subject: "extra", Seed: "extra-1", AttachmentSize: 1 << 20},
		Flags:    []string{`\Seen`, "$label2"},
		Date:     date,
	}}
	d := DovecotForTest(t, &DovecotOptions{NoSpecialUse: true, ExtraMessages: []ExtraMessage{extra}})
	ctx := t.Context()
	for _, u := range d.Manifest.Users {
		t.Run(u.Name, func(t *testing.T) {
			c, err := DialIMAPS(ctx, d.IMAPSAddr(), d.TLSConfig())
			if err != nil {
				t.Fatalf("DialIMAPS() = %v", err)
			}
			defer c.Close()
			login(t, c, u.Name, u.Password)
			if u.Name != extra.User {
				checkAccount(t, c, &u, false)
				return
			}
			// The extra folder and message come on top of the manifest.
			withExtra := u
			withExtra.Folders = append(slices.Clone(u.Folders),
				ManifestFolder{Name: "Extra/Large", Messages: []ManifestMessage{extra.Message}})
			checkAccount(t, c, &withExtra, false)
		})
	}
}

func TestDovecotNoSeed(t *testing.T) {
	t.Parallel()
	d := DovecotForTest(t, &DovecotOptions{NoSeed: true})
	c, err := DialIMAPS(t.Context(), d.IMAPSAddr(), d.TLSConfig())
	if err != nil {
		t.Fatalf("DialIMAPS() = %v", err)
	}
	defer c.Close()
	u := d.Users[0]
	login(t, c, u.Name, u.Password)
	got := listFolders(t, c)
	if _, ok := got["INBOX"]; len(got) != 1 || !ok {
		t.Errorf("NoSeed folders = %v, want only INBOX", mapKeys(got))
	}
}

// TestDovecotLifecycle checks that Close and a cancelled context leave no
// process and no directory behind.
func TestDovecotLifecycle(t *testing.T) {
	t.Parallel()
	requireDovecot(t, DovecotBinary)
	tests := []struct {
		name string
		stop func(d *Dovecot, cancel context.CancelFunc) error
	}{
		{"Close", func(d *Dovecot, _ context.CancelFunc) error { return d.Close() }},
		{"cancel then Close", func(d *Dovecot, cancel context.CancelFunc) error {
			cancel()
			select {
			case <-d.proc.exited:
			case <-time.After(10 * time.Second):
				return errors.New("dovecot still running 10s after the context was cancelled")
			}
			return d.Close()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			d, err := StartDovecot(ctx, &DovecotOptions{NoSeed: true})
			if err != nil {
				t.Fatalf("StartDovecot() = %v", err)
			}
			pgid := d.proc.cmd.Process.Pid
			if err := tt.stop(d, cancel); err != nil {
				t.Fatalf("stop = %v", err)
			}
			if groupAlive(pgid) {
				t.Errorf("process group %d still has live members after Close", pgid)
			}
			if _, err := os.Stat(d.Dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("directory %s still exists after Close (stat: %v)", d.Dir, err)
			}
			if err := d.Close(); err != nil {
				t.Errorf("second Close() = %v", err)
			}
			if c, err := net.DialTimeout("tcp", d.IMAPAddr(), time.Second); err == nil {
				c.Close()
				t.Errorf("IMAP port %d still accepts after Close", d.IMAPPort)
			}
		})
	}
}

func TestDovecotStartErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts *DovecotOptions
		want string
	}{
		{"missing binary", &DovecotOptions{Binary: "/nonexistent/dovecot"}, ErrNotInstalled.Error()},
		{"missing seed dir", &DovecotOptions{SeedDir: t.TempDir()}, ManifestFile},
		{"unsafe dir", &DovecotOptions{Dir: t.TempDir() + "/with space"}, "characters"},
		{"extra for unknown user", &DovecotOptions{ExtraMessages: []ExtraMessage{{User: "nobody@example.test", Folder: "INBOX"}}}, "unknown user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.opts.Binary == "" {
				requireDovecot(t, DovecotBinary)
			}
			d, err := StartDovecot(t.Context(), tt.opts)
			if err == nil {
				d.Close()
				t.Fatalf("StartDovecot() succeeded, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("StartDovecot() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// sameFlags reports whether a and b hold the same flags; flags and
// keywords are case-insensitive (RFC 3501), and imapmemserver lower-cases
// keywords.
func sameFlags(a, b []string) bool {
	fold := func(s []string) []string {
		out := make([]string, len(s))
		for i, f := range s {
			out[i] = strings.ToLower(f)
		}
		return out
	}
	a, b = fold(a), fold(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func mapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
