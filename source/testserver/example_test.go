package testserver_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"testing"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/migrate-tool/migrate/source/testserver"
)

// A test of an IMAP adapter gets a seeded Dovecot, stopped by t.Cleanup,
// and compares what it reads with the manifest.
func ExampleDovecotForTest() {
	var t *testing.T // the test's *testing.T
	d := testserver.DovecotForTest(t, nil)

	alice := d.Manifest.Users[0]
	c, err := testserver.DialIMAPS(t.Context(), d.IMAPSAddr(), d.TLSConfig())
	if err != nil {
		t.Fatalf("DialIMAPS() = %v", err)
	}
	defer c.Close()
	if err := c.Login(alice.Name, alice.Password).Wait(); err != nil {
		t.Fatalf("Login().Wait() = %v", err)
	}
	for _, f := range alice.Folders {
		fmt.Println(f.Name, f.SpecialUse, len(f.Messages))
	}
}

// `migrate demo` starts Dovecot when it is installed and falls back to the
// in-memory IMAP server otherwise. Both serve the embedded mail corpus
// unless SeedDir names another.
func ExampleStartMemIMAP() {
	ctx := context.Background()
	addr, users := "", []testserver.User(nil)
	d, err := testserver.StartDovecot(ctx, nil)
	switch {
	case err == nil:
		defer d.Close()
		addr, users = d.IMAPAddr(), d.Users
	case errors.Is(err, testserver.ErrNotInstalled):
		m, err := testserver.StartMemIMAP(ctx, &testserver.MemIMAPOptions{NoTLS: true})
		if err != nil {
			log.Fatal(err)
		}
		defer m.Close()
		addr, users = m.Addr(), m.Users
	default:
		log.Fatal(err)
	}
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(users[0].Name, users[0].Password).Wait(); err != nil {
		log.Fatal(err)
	}
}

// End-to-end tests load the manifests without starting anything, to
// compare what a migration produced with what was seeded.
func ExampleLoadManifest() {
	m, err := testserver.LoadManifest("") // the embedded corpus
	if err != nil {
		log.Fatal(err)
	}
	u, _ := m.User("alice@example.test")
	f, _ := u.Folder("Projects/2024/Q1")
	msg := f.Messages[0]
	sum, err := msg.SHA256() // of the bytes the server serves (CRLF)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(msg.File, msg.Flags, msg.Date.UTC(), len(sum))
	// Output: alice/q1-report.eml [\Seen \Flagged] 2024-03-29 16:00:05 +0000 UTC 32
}
