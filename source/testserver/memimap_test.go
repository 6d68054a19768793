package testserver

import (
	"context"
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
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
