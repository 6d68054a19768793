package identity

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// start serves a Service over plain HTTP until the test ends.
func start(t *testing.T, cfg Config) *httptest.Server {
	t.Helper()
	if cfg.TokenLifetime == 0 {
		cfg.TokenLifetime = time.Hour
	}
	svc, err := New(cfg)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	return srv
}

func TestTokenEndpoint(t *testing.T) {
	ep := start(t, Config{Tenant: "contoso.test", Apps: []App{{ClientID: "app", ClientSecret: "pw"}}})
	hc := ep.Client()
	good := url.Values{"grant_type": {"client_credentials"}, "client_id": {"app"}, "client_secret": {"pw"}, "scope": {"https://graph.microsoft.com/.default"}}
	with := func(k, v string) url.Values {
		o := url.Values{}
		for kk, vv := range good {
			o[kk] = vv
		}
		if v == "" {
			o.Del(k)
		} else {
			o.Set(k, v)
		}
		return o
	}
	tests := []struct {
		name   string
		tenant string
		form   url.Values
		status int
		err    string
		code   string // AADSTS number
	}{
		{"success", "contoso.test", good, 200, "", ""},
		{"wrong secret", "contoso.test", with("client_secret", "nope"), 401, "invalid_client", "7000215"},
		{"no secret", "contoso.test", with("client_secret", ""), 401, "invalid_client", "7000218"},
		{"unknown app", "contoso.test", with("client_id", "other"), 400, "unauthorized_client", "700016"},
		{"bad grant", "contoso.test", with("grant_type", "password"), 400, "unsupported_grant_type", "70003"},
		{"scope without .default", "contoso.test", with("scope", "https://graph.microsoft.com/Mail.ReadWrite"), 400, "invalid_scope", "1002012"},
		{"no scope", "contoso.test", with("scope", ""), 400, "invalid_request", "900144"},
		{"unknown tenant", "fabrikam.test", good, 400, "invalid_request", "90002"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := strings.Replace(ep.URL+"/contoso.test/oauth2/v2.0/token", "/contoso.test/", "/"+tc.tenant+"/", 1)
			resp, err := hc.PostForm(u, tc.form)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d: %v", resp.StatusCode, tc.status, body)
			}
			if tc.err == "" {
				if body["token_type"] != "Bearer" || body["access_token"] == "" || body["expires_in"] == nil {
					t.Errorf("token response = %v", body)
				}
				return
			}
			if body["error"] != tc.err || !strings.HasPrefix(body["error_description"].(string), "AADSTS"+tc.code+":") {
				t.Errorf("error = %v / %v, want %s AADSTS%s", body["error"], body["error_description"], tc.err, tc.code)
			}
			for _, k := range []string{"error_codes", "timestamp", "trace_id", "correlation_id"} {
				if _, ok := body[k]; !ok {
					t.Errorf("error response lacks %s", k)
				}
			}
			if strings.Contains(body["error_description"].(string), "nope") {
				t.Error("error description echoes the secret")
			}
		})
	}
}

func TestDiscoveryDocuments(t *testing.T) {
	ep := start(t, Config{Tenant: "contoso.test", Apps: []App{{ClientID: "test-client", ClientSecret: "test-secret"}}})
	hc := ep.Client()
	get := func(path string) (int, map[string]any) {
		resp, err := hc.Get(ep.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	status, cfg := get("/contoso.test/v2.0/.well-known/openid-configuration")
	if status != 200 {
		t.Fatalf("openid-configuration = %d", status)
	}
	for _, k := range []string{"issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"} {
		s, _ := cfg[k].(string)
		if !strings.HasPrefix(s, ep.URL+"/") {
			t.Errorf("%s = %q, want a URL on %s", k, s, ep.URL)
		}
	}
	if !strings.HasSuffix(cfg["issuer"].(string), "/v2.0") {
		t.Errorf("issuer = %v", cfg["issuer"])
	}
	// The token endpoint it names works with the tenant id too.
	resp, err := hc.PostForm(cfg["token_endpoint"].(string), url.Values{"grant_type": {"client_credentials"}, "client_id": {"test-client"},
		"client_secret": {"test-secret"}, "scope": {"https://graph.microsoft.com/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("token via discovered endpoint = %d %s", resp.StatusCode, b)
	}
	status, inst := get("/common/discovery/instance?api-version=1.1&authorization_endpoint=" + url.QueryEscape(ep.URL+"/contoso.test/oauth2/v2.0/authorize"))
	if status != 200 || inst["tenant_discovery_endpoint"] == nil {
		t.Errorf("instance discovery = %d %v", status, inst)
	}
	if status, _ := get("/fabrikam.test/v2.0/.well-known/openid-configuration"); status != 400 {
		t.Errorf("unknown tenant discovery = %d, want 400", status)
	}
}

func TestAuthenticate(t *testing.T) {
	svc, err := New(Config{Tenant: "contoso.test", Apps: []App{{ClientID: "app", ClientSecret: "pw", Permissions: []string{"Mail.ReadWrite"}}}, TokenLifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	other, err := New(Config{Tenant: "contoso.test", Apps: []App{{ClientID: "app", ClientSecret: "pw"}}, TokenLifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	claims := func(exp time.Time, aud string) tokenClaims {
		return tokenClaims{Aud: aud, Tid: svc.TenantID(), AppID: "app", Roles: []string{"Mail.ReadWrite"},
			Iat: now.Add(-2 * time.Hour).Unix(), Nbf: now.Add(-2 * time.Hour).Unix(), Exp: exp.Unix()}
	}
	tests := []struct {
		name    string
		authz   string
		wantErr string // "" = passed on
	}{
		{"valid", "Bearer " + svc.sign(claims(now.Add(time.Hour), graphResource)), ""},
		{"scheme case-insensitive", "bearer " + svc.sign(claims(now.Add(time.Hour), graphResource)), ""},
		{"no header", "", string(errTokenEmpty)},
		{"basic auth", "Basic YTpi", string(errTokenMalformed)},
		{"not a JWT", "Bearer abc", string(errTokenMalformed)},
		{"expired", "Bearer " + svc.sign(claims(now.Add(-time.Hour), graphResource)), string(errTokenExpired)},
		{"other audience", "Bearer " + svc.sign(claims(now.Add(time.Hour), "https://outlook.office.com")), string(errTokenAudience)},
		{"other key", "Bearer " + other.sign(claims(now.Add(time.Hour), graphResource)), string(errTokenSignature)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got *Principal
			var writable bool
			h := svc.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = PrincipalFrom(r.Context())
				writable = HasAnyRole(r, "mail.readwrite")
			}))
			r := httptest.NewRequest(http.MethodGet, "https://graph.test/v1.0/users", nil)
			if tc.authz != "" {
				r.Header.Set("Authorization", tc.authz)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if tc.wantErr == "" {
				if w.Code != http.StatusOK || got == nil || got.AppID != "app" || !writable {
					t.Fatalf("status %d, principal %+v, Mail.ReadWrite %v; want the request passed on as app with its role", w.Code, got, writable)
				}
				if UnverifiedAppID(tc.authz) != "app" {
					t.Errorf("UnverifiedAppID() = %q, want app", UnverifiedAppID(tc.authz))
				}
				return
			}
			var body struct {
				Error struct{ Code, Message string }
			}
			_ = json.Unmarshal(w.Body.Bytes(), &body)
			if w.Code != http.StatusUnauthorized || body.Error.Code != "InvalidAuthenticationToken" || body.Error.Message != tc.wantErr || got != nil {
				t.Fatalf("= %d %s, want 401 InvalidAuthenticationToken %q", w.Code, w.Body, tc.wantErr)
			}
			if !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer ") || !strings.Contains(w.Header().Get("WWW-Authenticate"), svc.TenantID()) {
				t.Errorf("WWW-Authenticate = %q", w.Header().Get("WWW-Authenticate"))
			}
		})
	}
}

func TestKeyDirKeepsTokensValid(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Tenant: "contoso.test", Apps: []App{{ClientID: "app", ClientSecret: "pw"}}, TokenLifetime: time.Hour, KeyDir: dir}
	first, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tok := first.sign(tokenClaims{Aud: graphResource, Tid: first.TenantID(), AppID: "app", Exp: time.Now().Add(time.Hour).Unix()})
	second, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := second.verify(tok, time.Now()); err != nil {
		t.Fatalf("token of the first service after a restart: %v", err)
	}
}
