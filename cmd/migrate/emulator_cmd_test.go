package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestEmulatorCommand starts `migrate emulator`, waits for the URLs it
// prints, gets a token with client credentials over HTTPS trusting the CA
// it wrote, and stops it with the context (as SIGINT does).
func TestEmulatorCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"emulator", "--listen", "127.0.0.1:0", "--tenant", "contoso.test", "--client-id", "app-id",
			"--client-secret", "emu-s3cret-value", "--users", "a@x.test,b@x.test", "--ca-out", caFile}, &out, &errb)
	}()
	re := regexp.MustCompile(`Token URL:\s+(\S+)`)
	var tokenURL string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			tokenURL = m[1]
			break
		}
	}
	if tokenURL == "" {
		t.Fatalf("emulator printed no token URL:\n%s\n%s", out.String(), errb.String())
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatalf("CA file: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"app-id"}, "client_secret": {"emu-s3cret-value"}, "scope": {"https://graph.microsoft.com/.default"}}
	resp, err := client.PostForm(tokenURL, form)
	if err != nil {
		t.Fatalf("token request: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token request: status %d, want 200", resp.StatusCode)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("emulator exit %d, want 0 after interrupt; stderr:\n%s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("emulator did not stop after the context was cancelled")
	}
	if strings.Contains(out.String()+errb.String(), "emu-s3cret-value") {
		t.Error("the client secret appears in the emulator's output")
	}
}
