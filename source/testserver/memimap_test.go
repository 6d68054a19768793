package testserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestMemIMAP(t *testing.T) {
	t.Parallel()
	s := MemIMAPForTest(t, nil)
	pool := caPool(t, s.CAFile)
	for _, u := range s.Manifest.Users {
		t.Run(u.Name, func(t *testing.T) {
			t.Parallel()
			c, err := imapclient.DialStartTLS(s.Addr(), &imapclient.Options{TLSConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}})
			if err != nil {
				t.Fatalf("DialStartTLS() = %v", err)
			}
			defer c.Close()
			login(t, c, u.Name, u.Password)
			checkAccount(t, c, &u, false)
		})
	}
}

func TestMemIMAPNoTLS(t *testing.T) {
	t.Parallel()
	s := MemIMAPForTest(t, &MemIMAPOptions{NoTLS: true})
	if s.CAFile != "" {
		t.Errorf("CAFile = %q with NoTLS, want empty", s.CAFile)
	}
	c, err := imapclient.DialInsecure(s.Addr(), nil)
	if err != nil {
		t.Fatalf("DialInsecure() = %v", err)
	}
	defer c.Close()
	u := s.Users[1]
	login(t, c, u.Name, u.Password)
	if _, ok := listFolders(t, c)["Ärger/Köln"]; !ok {
		t.Errorf("folder Ärger/Köln missing")
	}
}

func TestMemIMAPCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := StartMemIMAP(ctx, &MemIMAPOptions{NoTLS: true})
	if err != nil {
		t.Fatalf("StartMemIMAP() = %v", err)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("in-memory IMAP still accepts 5s after its context was cancelled")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close() after cancel = %v", err)
	}
}

// TestMemIMAPAccounts checks the server the IMAP adapter's tests use:
// accounts of the caller's with an empty INBOX, implicit TLS, a master
// user, folders with roles, \Noselect parents, phantoms and a large
// message, and the commands it saw.
func TestMemIMAPAccounts(t *testing.T) {
	t.Parallel()
	s := MemIMAPForTest(t, &MemIMAPOptions{
		Accounts:    []User{{Name: "alice", Password: "pw"}},
		ImplicitTLS: true,
		Admin:       &User{Name: "admin", Password: "admin-pw"},
		Caps:        []imap.Cap{imap.CapSpecialUse},
	})
	if s.Manifest != nil || len(s.Users) != 1 {
		t.Fatalf("Manifest %v, Users %v; want none and alice", s.Manifest, s.Users)
	}
	for _, err := range []error{
		s.Create("alice", "Sent", imap.MailboxAttrSent),
		s.AddNoSelect("alice", "Archive"),
		s.Create("alice", "Archive/2019"),
		s.AddPhantom("alice", "Gone"),
		s.AddLarge("alice", "Big", 1<<20),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Append("alice", "INBOX", []byte("Subject: hi\r\n\r\nhello\r\n"), time.Now()); err != nil {
		t.Fatal(err)
	}
	c, err := imapclient.DialTLS(s.Addr(), &imapclient.Options{TLSConfig: &tls.Config{RootCAs: caPool(t, s.CAFile), ServerName: "127.0.0.1"}})
	if err != nil {
		t.Fatalf("DialTLS() = %v", err)
	}
	defer c.Close()
	if err := c.Authenticate(sasl.NewPlainClient("alice", "admin", "admin-pw")); err != nil {
		t.Fatalf("Authenticate(admin as alice) = %v", err)
	}
	got := listFolders(t, c)
	want := map[string][]imap.MailboxAttr{
		"INBOX": nil, "Sent": {imap.MailboxAttrSent}, "Archive": {imap.MailboxAttrNoSelect},
		"Archive/2019": nil, "Gone": nil, "Big": nil,
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("LIST mismatch (-want +got):\n%s", diff)
	}
	if _, err := c.Select("Gone", nil).Wait(); err == nil {
		t.Errorf("Select(Gone) = nil error for a phantom")
	}
	if _, err := c.Select("Big", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatalf("Select(Big) = %v", err)
	}
	msgs, err := c.Fetch(imap.UIDSetNum(1), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("UIDFetch(1) = %v, %v", msgs, err)
	}
	var body []byte
	for _, b := range msgs[0].BodySection {
		body = b.Bytes
	}
	want1 := make([]byte, 1<<20)
	if _, err := LargeMessage(1<<20).ReadAt(want1, 0); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, want1) {
		t.Errorf("the large message's body (%d bytes) is not LargeMessage(1 MB)", len(body))
	}
	if diff := cmp.Diff([]string{"SELECT Gone", "EXAMINE Big", "FETCH 1"}, s.Commands()); diff != "" {
		t.Errorf("Commands() mismatch (-want +got):\n%s", diff)
	}
}
