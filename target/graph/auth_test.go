package graph

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	khttp "github.com/microsoft/kiota-http-go"

	"github.com/migrate-tool/migrate/target"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// emulatorToken gets a token from the emulator's token endpoint, as an
// administrator would issue one for auth: token.
func emulatorToken(t *testing.T, ep *graphemu.Endpoint) string {
	t.Helper()
	resp, err := ep.HTTPClient().PostForm(ep.TokenURL, url.Values{
		"grant_type": {"client_credentials"}, "client_id": {testApp}, "client_secret": {testSecret},
		"scope": {"https://graph.microsoft.com/.default"},
	})
	if err != nil {
		t.Fatalf("token request: %v", err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token response: %v (status %d)", err, resp.StatusCode)
	}
	return tok.AccessToken
}

// selfSignedPEM writes a self-signed certificate and its RSA key as PEM.
func selfSignedPEM(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "migrate test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "app.pem")
	data := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk})...)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAuth(t *testing.T) {
	ep := graphemu.StartForTest(t, &graphemu.Options{
		Tenant: testTenant, ClientID: testApp, ClientSecret: testSecret, Users: []string{testUser},
		Apps: []graphemu.App{
			{ClientID: "no-mail-app", ClientSecret: "s1", Permissions: []string{graphemu.PermUserReadAll}},
			{ClientID: "no-user-app", ClientSecret: "s2", Permissions: []string{graphemu.PermMailReadWrite}},
		},
	})
	ctx := testContext(t)
	token := emulatorToken(t, ep)
	cert := selfSignedPEM(t)

	tests := []struct {
		name    string
		cfg     Config
		user    string
		folder  bool   // also EnsureFolder
		wantErr error  // from Mailbox, or EnsureFolder when folder
		wantMsg string // in the error
	}{
		{name: "client secret", cfg: Config{}, folder: true},
		{name: "static token", cfg: Config{Auth: AuthToken, Token: token}, folder: true},
		{name: "static token with Bearer prefix", cfg: Config{Auth: AuthToken, Token: "Bearer " + token}, folder: true},
		{name: "wrong secret", cfg: Config{ClientSecret: "wrong-secret"}, wantErr: target.ErrAuth, wantMsg: "target.client_secret"},
		{name: "unknown app", cfg: Config{ClientID: "99999999-0000-0000-0000-000000000000"}, wantErr: target.ErrAuth, wantMsg: "AADSTS700016"},
		{name: "refused token", cfg: Config{Auth: AuthToken, Token: "eyJ0eXAiOiJKV1QifQ.e30.c2ln"}, wantErr: target.ErrAuth, wantMsg: "target.token"},
		// The emulator does not model client assertions: it answers
		// AADSTS700027, which proves the certificate was read and used.
		{name: "certificate", cfg: Config{Auth: AuthCertificate, CertificateFile: cert}, wantErr: target.ErrAuth, wantMsg: "AADSTS700027"},
		{name: "unknown user", cfg: Config{}, user: "nobody@contoso.test", wantErr: target.ErrNotFound, wantMsg: "nobody@contoso.test"},
		{name: "no User.Read.All", cfg: Config{ClientID: "no-user-app", ClientSecret: "s2"}, wantErr: target.ErrAuth, wantMsg: "User.Read.All"},
		{name: "no Mail.ReadWrite", cfg: Config{ClientID: "no-mail-app", ClientSecret: "s1"}, folder: true, wantErr: target.ErrAuth, wantMsg: "Mail.ReadWrite"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, ep, &tc.cfg)
			user := tc.user
			if user == "" {
				user = testUser
			}
			mb, err := c.Mailbox(ctx, user)
			if err == nil && tc.folder {
				_, err = mb.EnsureFolder(ctx, target.Inbox, []string{"Auth test"})
			}
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("err = %q, want it to mention %q", err, tc.wantMsg)
			}
			for _, secret := range []string{testSecret, "wrong-secret", token, "s1", "s2"} {
				if strings.Contains(err.Error(), secret) && len(secret) > 2 {
					t.Errorf("err = %q reveals a secret", err)
				}
			}
		})
	}
}

func TestNewConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no secret", Config{Tenant: "t", ClientID: "c"}, "target.client_secret"},
		{"no token", Config{Auth: AuthToken}, "target.token"},
		{"no certificate", Config{Auth: AuthCertificate, Tenant: "t", ClientID: "c"}, "target.certificate_file"},
		{"bad certificate", Config{Auth: AuthCertificate, Tenant: "t", ClientID: "c", CertificateFile: "/dev/null"}, "PEM or PKCS#12"},
		{"bad auth", Config{Auth: "password"}, "client_secret, certificate, device_code or token"},
		{"bad endpoint", Config{Endpoint: "graph.microsoft.com", Tenant: "t", ClientID: "c", ClientSecret: "s"}, "target.graph_endpoint"},
		{"bad authority", Config{Authority: "http://login.example", Tenant: "t", ClientID: "c", ClientSecret: "s"}, "target.authority"},
		{"missing CA file", Config{CAFile: "/nonexistent/ca.pem", Tenant: "t", ClientID: "c", ClientSecret: "s"}, "target.ca_file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(t.Context(), &tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New() = %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
	// Device code builds a credential without I/O.
	if _, err := New(t.Context(), &Config{Auth: AuthDeviceCode, Tenant: "t", ClientID: "c"}); err != nil {
		t.Errorf("New(device_code) = %v", err)
	}
}

// TestMiddlewares checks that the SDK's retry handler is out of the
// pipeline (retries are the pacer's), its compression handler replaced by
// the package's own and immutable IDs are asked for.
func TestMiddlewares(t *testing.T) {
	var immutable, compression bool
	comp := &compressionHandler{refused: new(atomic.Bool), log: slog.New(slog.DiscardHandler)}
	for _, m := range middlewares(comp) {
		switch m.(type) {
		case khttp.RetryHandler, *khttp.RetryHandler:
			t.Errorf("the SDK's retry handler is in the pipeline")
		case *khttp.CompressionHandler:
			t.Errorf("the SDK's compression handler is in the pipeline")
		case *compressionHandler:
			compression = true
		case immutableIDHandler:
			immutable = true
		}
	}
	if !immutable {
		t.Errorf("no Prefer: IdType=\"ImmutableId\" handler")
	}
	if !compression {
		t.Errorf("no compression handler")
	}
}

// TestTokenRefresh uses tokens that expire after two seconds: azidentity
// gets new ones, and a run goes on past the first token's lifetime.
func TestTokenRefresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t, &graphemu.Options{TokenLifetime: 2 * time.Second}, nil)
	ctx := testContext(t)
	mb := e.mailbox(t, ctx)
	f, err := mb.EnsureFolder(ctx, target.Inbox, []string{"Refresh"})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond)
	if _, err := mb.PutMessage(ctx, f, testMessage(t, "after-expiry", mime("After expiry"))); err != nil {
		t.Fatalf("PutMessage() after the first token expired = %v", err)
	}
}
