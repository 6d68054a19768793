package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
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
			"--client-secret", "emu-s3cret-value", "--users", "a@x.test,b@x.test", "--ca-out", caFile, "--reports-read-all", "--quota", "1073741824"}, &out, &errb)
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
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("token request: status %d (%v), want 200", resp.StatusCode, err)
	}
	// --reports-read-all and --quota: the mailbox usage report is there
	// for the app, with the quota given.
	graphURL := strings.TrimSuffix(tokenURL, "/contoso.test/oauth2/v2.0/token") + "/v1.0"
	req, _ := http.NewRequest("GET", graphURL+"/reports/getMailboxUsageDetail(period='D7')", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = client.Do(req) // the redirect is followed without the token (another host)
	if err != nil {
		t.Fatalf("report request: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "a@x.test") || !strings.Contains(string(body), ",1073741824,") {
		t.Errorf("mailbox usage report: status %d\n%s", resp.StatusCode, body)
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
