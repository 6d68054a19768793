package selfsigned

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestNewVerifiesForHosts(t *testing.T) {
	tests := []struct {
		name     string
		opts     Options
		verify   []string // names a client may dial
		refuse   []string // names it must not accept
		lifetime time.Duration
	}{
		{name: "defaults", verify: []string{"127.0.0.1", "::1", "localhost"}, refuse: []string{"example.test"}, lifetime: DefaultLifetime},
		{name: "own hosts and lifetime", opts: Options{Hosts: []string{"mail.test", "10.0.0.1"}, Lifetime: time.Hour},
			verify: []string{"mail.test", "10.0.0.1"}, refuse: []string{"localhost", "127.0.0.1"}, lifetime: time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.opts)
			if err != nil {
				t.Fatalf("New() = %v", err)
			}
			leaf := c.Server.Leaf
			if got := leaf.NotAfter.Sub(leaf.NotBefore); got < tt.lifetime || got > tt.lifetime+time.Hour+time.Minute {
				t.Errorf("server certificate valid for %v, want %v (+1h before now)", got, tt.lifetime)
			}
			for _, name := range tt.verify {
				if _, err := leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: c.Pool()}); err != nil {
					t.Errorf("Verify(%s) = %v", name, err)
				}
			}
			for _, name := range tt.refuse {
				if _, err := leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: c.Pool()}); err == nil {
					t.Errorf("Verify(%s) = nil, want an error", name)
				}
			}
		})
	}
}

func TestCADirKeepsTheCA(t *testing.T) {
	dir := t.TempDir()
	first, err := New(Options{CADir: dir, CALifetime: 24 * time.Hour * 365})
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, CAKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("CA key file: %v, mode %v; want 0600", err, fi)
	}
	second, err := New(Options{CADir: dir})
	if err != nil {
		t.Fatalf("New() again = %v", err)
	}
	if !bytes.Equal(first.CAPEM, second.CAPEM) {
		t.Fatal("second New created another CA instead of reusing the one in CADir")
	}
	if bytes.Equal(first.Server.Certificate[0], second.Server.Certificate[0]) {
		t.Fatal("second New reused the server certificate; want a fresh one")
	}
	if _, err := second.Server.Leaf.Verify(x509.VerifyOptions{DNSName: "localhost", Roots: first.Pool()}); err != nil {
		t.Fatalf("new server certificate does not verify against the first CA: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, CACertFile), []byte("not pem"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{CADir: dir}); err == nil {
		t.Fatal("New() with a corrupt CA file = nil error")
	}
}

func TestWriteFilesServesTLS(t *testing.T) {
	c, err := New(Options{})
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	f, err := c.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatalf("WriteFiles() = %v", err)
	}
	pair, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
	if err != nil {
		t.Fatalf("LoadX509KeyPair() = %v", err)
	}
	caPEM, err := os.ReadFile(f.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		t.Fatal("CA file holds no certificate")
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			_ = conn.(*tls.Conn).Handshake()
			conn.Close()
		}
	}()
	for _, cfg := range []*tls.Config{c.ClientTLS("127.0.0.1"), {RootCAs: roots, ServerName: "localhost", MinVersion: tls.VersionTLS12}} {
		conn, err := tls.Dial("tcp", ln.Addr().String(), cfg)
		if err != nil {
			t.Fatalf("handshake with ServerName %s: %v", cfg.ServerName, err)
		}
		conn.Close()
	}
}
