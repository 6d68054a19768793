package imap_test

import (
	"context"
	"net"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/imap"
	"github.com/migrate-tool/migrate/source/sourcetest"
	"github.com/migrate-tool/migrate/source/testserver"
)

// TestConformanceDovecot runs the source conformance suite against a real
// Dovecot seeded from testdata/mail.
func TestConformanceDovecot(t *testing.T) {
	d := testserver.DovecotForTest(t, nil)
	u := d.Users[0]
	opener := func(mutate func(o *imap.Options)) source.Opener {
		return func(ctx context.Context) (source.Account, error) {
			o := &imap.Options{Host: d.Host, Port: d.IMAPSPort, Security: imap.SecurityTLS, CAFile: d.CAFile,
				Username: u.Name, Password: u.Password, Timeout: 10 * time.Second, MaxRetries: 1, RetryDelay: time.Millisecond}
			if mutate != nil {
				mutate(o)
			}
			return imap.Dial(ctx, o)
		}
	}
	sourcetest.Run(t, sourcetest.Harness{
		Open:    opener(nil),
		BadAuth: opener(func(o *imap.Options) { o.Password = "wrong-password" }),
		Unreachable: opener(func(o *imap.Options) {
			o.Port = closedPort(t)
		}),
		Expunge: func(t testing.TB, f source.Folder, ref source.ItemRef) {
			_, uid, err := imap.ParseKey(ref.Key)
			if err != nil {
				t.Fatal(err)
			}
			c, err := imapclient.DialTLS(d.IMAPSAddr(), &imapclient.Options{TLSConfig: d.TLSConfig()})
			if err != nil {
				t.Fatalf("DialTLS() = %v", err)
			}
			defer c.Close()
			if err := c.Login(u.Name, u.Password).Wait(); err != nil {
				t.Fatalf("Login() = %v", err)
			}
			if _, err := c.Select(f.Name, nil).Wait(); err != nil {
				t.Fatalf("SELECT %s = %v", f.Name, err)
			}
			set := goimap.UIDSetNum(goimap.UID(uid))
			if err := c.Store(set, &goimap.StoreFlags{Op: goimap.StoreFlagsAdd, Silent: true, Flags: []goimap.Flag{goimap.FlagDeleted}}, nil).Close(); err != nil {
				t.Fatalf("UID STORE = %v", err)
			}
			if err := c.UIDExpunge(set).Close(); err != nil {
				t.Fatalf("UID EXPUNGE = %v", err)
			}
		},
		Renumber: func(t testing.TB, f source.Folder) {
			if err := d.Renumber(context.Background(), u.Name, f.Name); err != nil {
				t.Fatal(err)
			}
		},
	})
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
