package graphemu

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestTokenEndpoint(t *testing.T) {
	ep := StartForTest(t, &Options{Tenant: "contoso.test", ClientID: "app", ClientSecret: "pw"})
	hc := ep.HTTPClient()
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
			u := strings.Replace(ep.TokenURL, "/contoso.test/", "/"+tc.tenant+"/", 1)
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
	ep := StartForTest(t, &Options{Tenant: "contoso.test"})
	hc := ep.HTTPClient()
	get := func(path string) (int, map[string]any) {
		resp, err := hc.Get(ep.BaseURL + path)
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
		if !strings.HasPrefix(s, ep.BaseURL+"/") {
			t.Errorf("%s = %q, want a URL on %s", k, s, ep.BaseURL)
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
	status, inst := get("/common/discovery/instance?api-version=1.1&authorization_endpoint=" + url.QueryEscape(ep.BaseURL+"/contoso.test/oauth2/v2.0/authorize"))
	if status != 200 || inst["tenant_discovery_endpoint"] == nil {
		t.Errorf("instance discovery = %d %v", status, inst)
	}
	if status, _ := get("/fabrikam.test/v2.0/.well-known/openid-configuration"); status != 400 {
		t.Errorf("unknown tenant discovery = %d, want 400", status)
	}
}

func TestExpiredToken(t *testing.T) {
	ep := StartForTest(t, &Options{TokenLifetime: time.Second})
	c := newClient(t, ep, "test-client", "test-secret")
	// Forge an expired token with the emulator's key.
	now := time.Now()
	c.token = ep.Emulator.ident.sign(tokenClaims{Aud: graphResource, Tid: ep.Emulator.ident.tenantID, AppID: "test-client",
		Roles: AllPermissions, Iat: now.Add(-2 * time.Hour).Unix(), Nbf: now.Add(-2 * time.Hour).Unix(), Exp: now.Add(-time.Hour).Unix()})
	r := c.do("GET", "/users/user@emulator.test/mailFolders", nil)
	checkGraphError(t, r, http.StatusUnauthorized, "InvalidAuthenticationToken")
	if !strings.Contains(r.str("error/message"), "expired") {
		t.Errorf("message = %q", r.str("error/message"))
	}
}

func TestServePlainHTTP(t *testing.T) {
	e, err := New(&Options{ClientID: "app", ClientSecret: "pw", Users: []string{"a@x.test"}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ep, err := e.Serve(ctx, "127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	if !strings.HasPrefix(ep.GraphURL, "http://127.0.0.1:") || ep.CAFile != "" {
		t.Fatalf("endpoint = %+v", ep)
	}
	c := newClient(t, ep, "app", "pw")
	r := c.do("GET", "/users/a@x.test/mailFolders/inbox", nil)
	mustStatus(t, r, 200)
	if !strings.HasPrefix(r.str("@odata.context"), "http://") {
		t.Errorf("@odata.context = %q", r.str("@odata.context"))
	}
}
