// Package identity emulates the Microsoft identity platform for one tenant
// of the Graph emulator: the OAuth 2.0 client credentials grant with a
// shared secret, the discovery documents MSAL (and so azidentity) fetches,
// and the validation of the access tokens it issues (Authenticate).
package identity

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/target/graphemu/internal/ids"
	"github.com/migrate-tool/migrate/target/graphemu/odata"
)

// graphResource is the resource (application ID URI) of Microsoft Graph.
const graphResource = "https://graph.microsoft.com"

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// App is an application registered in the tenant.
type App struct {
	// ClientID and ClientSecret are the client credentials.
	ClientID, ClientSecret string
	// Permissions are the application permissions (roles) its tokens
	// carry, for example "Mail.ReadWrite".
	Permissions []string
}

// Config configures a Service.
type Config struct {
	// Tenant is the tenant name or id used in the token URL
	// (/{tenant}/oauth2/v2.0/token); a name gets a stable GUID as its id.
	Tenant string
	// Apps are the registered applications; each needs a client id and a
	// client secret.
	Apps []App
	// TokenLifetime is the access token lifetime.
	TokenLifetime time.Duration
	// KeyDir, when set, keeps the token signing key (file token-key) so
	// that tokens issued before a restart stay valid.
	KeyDir string
}

// Service is the identity platform of one tenant.
type Service struct {
	tenant   string // as configured
	tenantID string // GUID
	apps     map[string]App
	key      []byte // HMAC key signing access tokens
	lifetime time.Duration
}

// New returns the identity service of cfg.Tenant.
func New(cfg Config) (*Service, error) {
	id := &Service{tenant: cfg.Tenant, apps: map[string]App{}, lifetime: cfg.TokenLifetime}
	id.tenantID = strings.ToLower(cfg.Tenant)
	if !guidRE.MatchString(cfg.Tenant) {
		id.tenantID = ids.StableGUID("tenant", strings.ToLower(cfg.Tenant))
	}
	for _, a := range cfg.Apps {
		if a.ClientID == "" || a.ClientSecret == "" {
			return nil, errors.New("identity: every app needs a client id and a client secret")
		}
		id.apps[a.ClientID] = a // a later entry replaces an earlier one
	}
	// Persist the signing key with the data so tokens issued before a
	// restart stay valid, as they would against the real service.
	if cfg.KeyDir != "" {
		p := filepath.Join(cfg.KeyDir, "token-key")
		if b, err := os.ReadFile(p); err == nil {
			if k, err := hex.DecodeString(strings.TrimSpace(string(b))); err == nil && len(k) == 32 {
				id.key = k
			}
		}
		if id.key == nil {
			id.key = make([]byte, 32)
			_, _ = rand.Read(id.key)
			if err := os.WriteFile(p, []byte(hex.EncodeToString(id.key)), 0o600); err != nil {
				return nil, fmt.Errorf("identity: save token key: %w", err)
			}
		}
	} else {
		id.key = make([]byte, 32)
		_, _ = rand.Read(id.key)
	}
	return id, nil
}

// TenantID is the tenant's GUID.
func (id *Service) TenantID() string { return id.tenantID }

func (id *Service) isTenant(t string) bool {
	return strings.EqualFold(t, id.tenant) || strings.EqualFold(t, id.tenantID)
}

// ServeHTTP serves the identity endpoints:
//
//	POST /{tenant}/oauth2/v2.0/token
//	GET  /{tenant}/v2.0/.well-known/openid-configuration
//	GET  /{tenant}/.well-known/openid-configuration
//	GET  /{tenant}/discovery/v2.0/keys
//	GET  /common/discovery/instance
func (id *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(parts) == 3 && parts[0] == "common" && parts[1] == "discovery" && parts[2] == "instance":
		id.serveInstanceDiscovery(w, r)
	case len(parts) == 3 && parts[1] == "oauth2" && parts[2] == "token",
		len(parts) == 4 && parts[1] == "oauth2" && parts[2] == "v2.0" && parts[3] == "token":
		id.serveToken(w, r, parts[0])
	case len(parts) == 4 && parts[1] == "v2.0" && parts[2] == ".well-known" && parts[3] == "openid-configuration",
		len(parts) == 3 && parts[1] == ".well-known" && parts[2] == "openid-configuration":
		id.serveOpenIDConfig(w, r, parts[0])
	case len(parts) == 4 && parts[1] == "discovery" && parts[2] == "v2.0" && parts[3] == "keys",
		len(parts) == 3 && parts[1] == "discovery" && parts[2] == "keys":
		odata.WritePlainJSON(w, http.StatusOK, map[string]any{"keys": []any{}})
	default:
		odata.WriteError(w, r, http.StatusNotFound, "itemNotFound", fmt.Sprintf("Resource not found for the segment '%s'.", lastSegment(r.URL.Path)))
	}
}

func lastSegment(p string) string {
	p = strings.TrimRight(p, "/")
	return p[strings.LastIndexByte(p, '/')+1:]
}

// serveOpenIDConfig returns the OpenID Provider metadata of the tenant.
// MSAL requires authorization_endpoint, token_endpoint and an issuer on the
// authority's host.
// https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc
// ("Find your app's OpenID configuration document URI").
func (id *Service) serveOpenIDConfig(w http.ResponseWriter, r *http.Request, tenant string) {
	if !id.isTenant(tenant) && tenant != "common" && tenant != "organizations" {
		writeAADError(w, http.StatusBadRequest, "invalid_tenant", 90002, fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant))
		return
	}
	base := odata.BaseURL(r)
	t := id.tenantID
	odata.WritePlainJSON(w, http.StatusOK, map[string]any{
		"token_endpoint":                        base + "/" + t + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              base + "/" + t + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                base + "/" + t + "/v2.0",
		"request_uri_parameter_supported":       false,
		"userinfo_endpoint":                     base + "/oidc/userinfo",
		"authorization_endpoint":                base + "/" + t + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         base + "/" + t + "/oauth2/v2.0/devicecode",
		"http_logout_supported":                 true,
		"frontchannel_logout_supported":         true,
		"end_session_endpoint":                  base + "/" + t + "/oauth2/v2.0/logout",
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "nbf", "tid", "ver"},
		"kerberos_endpoint":                     base + "/" + t + "/kerberos",
		"tenant_region_scope":                   "EU",
		"cloud_instance_name":                   r.Host,
		"cloud_graph_host_name":                 r.Host,
		"msgraph_host":                          r.Host,
		"rbac_url":                              base,
	})
}

// serveInstanceDiscovery answers MSAL's instance discovery, which it calls
// unless DisableInstanceDiscovery is set.
func (id *Service) serveInstanceDiscovery(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	authz := r.URL.Query().Get("authorization_endpoint")
	tenant := id.tenantID
	if authz != "" {
		if i := strings.Index(authz, host+"/"); i >= 0 {
			rest := authz[i+len(host)+1:]
			if j := strings.IndexByte(rest, '/'); j > 0 {
				tenant = rest[:j]
			}
		}
	}
	odata.WritePlainJSON(w, http.StatusOK, map[string]any{
		"tenant_discovery_endpoint": odata.BaseURL(r) + "/" + tenant + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata":                  []any{map[string]any{"preferred_network": host, "preferred_cache": host, "aliases": []string{host}}},
	})
}

// serveToken implements the client credentials grant with a shared secret.
// https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
// (first case: access token request with a shared secret; successful
// response: token_type, expires_in, access_token; error response: error,
// error_description, error_codes, timestamp, trace_id, correlation_id).
func (id *Service) serveToken(w http.ResponseWriter, r *http.Request, tenant string) {
	if r.Method != http.MethodPost {
		writeAADError(w, http.StatusMethodNotAllowed, "invalid_request", 900561, "The endpoint only accepts POST requests. Received a "+r.Method+" request.")
		return
	}
	if !id.isTenant(tenant) {
		writeAADError(w, http.StatusBadRequest, "invalid_request", 90002, fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		writeAADError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must be application/x-www-form-urlencoded.")
		return
	}
	clientID, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		clientID, secret = u, p
	}
	grant := r.PostForm.Get("grant_type")
	switch {
	case grant == "":
		writeAADError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	case grant != "client_credentials":
		writeAADError(w, http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '"+grant+"'.")
		return
	case clientID == "":
		writeAADError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
		return
	}
	app, ok := id.apps[clientID]
	if !ok {
		writeAADError(w, http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.", clientID, id.tenant))
		return
	}
	if secret == "" {
		if r.PostForm.Get("client_assertion") != "" {
			writeAADError(w, http.StatusUnauthorized, "invalid_client", 700027, "Client assertion failed signature validation.")
			return
		}
		writeAADError(w, http.StatusUnauthorized, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		return
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(app.ClientSecret)) != 1 {
		writeAADError(w, http.StatusUnauthorized, "invalid_client", 7000215, fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", clientID))
		return
	}
	scope := r.PostForm.Get("scope")
	if scope == "" {
		writeAADError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'.")
		return
	}
	if !id.validScope(scope, r.Host) {
		writeAADError(w, http.StatusBadRequest, "invalid_scope", 1002012, fmt.Sprintf("The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", scope))
		return
	}
	now := time.Now()
	tok := id.sign(tokenClaims{
		Aud:   graphResource,
		Iss:   "https://sts.windows.net/" + id.tenantID + "/",
		Iat:   now.Unix(),
		Nbf:   now.Unix() - 300,
		Exp:   now.Add(id.lifetime).Unix(),
		AppID: clientID,
		Tid:   id.tenantID,
		Roles: app.Permissions,
		Ver:   "1.0",
		Oid:   ids.StableGUID("sp", id.tenantID, clientID),
		Sub:   ids.StableGUID("sp", id.tenantID, clientID),
		Idtyp: "app",
		Uti:   ids.RandomHex(8),
	})
	secs := int(id.lifetime / time.Second)
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.Header().Set("Pragma", "no-cache")
	odata.WritePlainJSON(w, http.StatusOK, map[string]any{
		"token_type":     "Bearer",
		"expires_in":     secs,
		"ext_expires_in": secs,
		"access_token":   tok,
	})
}

// validScope accepts "{resource}/.default" for Graph (or the emulator's own
// address, which clients derive from the base URL). MSAL adds the OpenID
// Connect scopes openid, profile and offline_access to every request; the
// identity platform ignores them in this flow.
func (id *Service) validScope(scope, host string) bool {
	resources := 0
	for _, s := range strings.Fields(scope) {
		switch s {
		case "openid", "profile", "offline_access", "email":
			continue
		}
		resources++
		res, ok := strings.CutSuffix(s, "/.default")
		if !ok {
			return false
		}
		res = strings.TrimSuffix(res, "/")
		switch {
		case strings.EqualFold(res, graphResource), res == "00000003-0000-0000-c000-000000000000":
		case strings.EqualFold(res, "https://"+host), strings.EqualFold(res, "http://"+host):
		default:
			return false
		}
	}
	return resources == 1
}

// writeAADError writes the identity platform's error response.
func writeAADError(w http.ResponseWriter, status int, code string, aadsts int, desc string) {
	trace, corr := odata.NewRequestID(), odata.NewRequestID()
	now := time.Now().UTC()
	odata.WritePlainJSON(w, status, map[string]any{
		"error":             code,
		"error_description": fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s", aadsts, desc, trace, corr, now.Format("2006-01-02 15:04:05Z")),
		"error_codes":       []int{aadsts},
		"timestamp":         now.Format("2006-01-02 15:04:05Z"),
		"trace_id":          trace,
		"correlation_id":    corr,
		"error_uri":         fmt.Sprintf("https://login.microsoftonline.com/error?code=%d", aadsts),
	})
}

// tokenClaims are the claims of an app-only access token for Graph.
// https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
type tokenClaims struct {
	Aud   string   `json:"aud"`
	Iss   string   `json:"iss"`
	Iat   int64    `json:"iat"`
	Nbf   int64    `json:"nbf"`
	Exp   int64    `json:"exp"`
	AppID string   `json:"appid"`
	Idtyp string   `json:"idtyp"`
	Oid   string   `json:"oid"`
	Roles []string `json:"roles"`
	Sub   string   `json:"sub"`
	Tid   string   `json:"tid"`
	Uti   string   `json:"uti"`
	Ver   string   `json:"ver"`
}

var b64 = base64.RawURLEncoding

func (id *Service) sign(c tokenClaims) string {
	h, _ := json.Marshal(map[string]string{"typ": "JWT", "alg": "HS256", "kid": "graphemu"})
	p, _ := json.Marshal(c)
	msg := b64.EncodeToString(h) + "." + b64.EncodeToString(p)
	mac := hmac.New(sha256.New, id.key)
	mac.Write([]byte(msg))
	return msg + "." + b64.EncodeToString(mac.Sum(nil))
}

// tokenError is a token validation failure; its text is Graph's message.
type tokenError string

func (e tokenError) Error() string { return string(e) }

const (
	errTokenEmpty     = tokenError("Access token is empty.")
	errTokenMalformed = tokenError("CompactToken parsing failed with error code: 80049217")
	errTokenSignature = tokenError("Access token validation failure.")
	errTokenExpired   = tokenError("Lifetime validation failed, the token is expired.")
	errTokenAudience  = tokenError("Access token validation failure. Invalid audience.")
)

func (id *Service) verify(tok string, now time.Time) (*tokenClaims, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, errTokenMalformed
	}
	mac := hmac.New(sha256.New, id.key)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := b64.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		return nil, errTokenSignature
	}
	p, err := b64.DecodeString(parts[1])
	if err != nil {
		return nil, errTokenMalformed
	}
	var c tokenClaims
	if err := json.Unmarshal(p, &c); err != nil {
		return nil, errTokenMalformed
	}
	if c.Aud != graphResource || c.Tid != id.tenantID {
		return nil, errTokenAudience
	}
	if now.Unix() >= c.Exp || now.Unix() < c.Nbf {
		return nil, errTokenExpired
	}
	return &c, nil
}

// Principal is the authenticated app of a request.
type Principal struct {
	// AppID is the client id the token was issued to.
	AppID string
	// Roles are the application permissions the token carries.
	Roles []string
}

type principalKey struct{}

// PrincipalFrom returns the app Authenticate found on the request's
// context, or nil.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// Authenticate rejects requests without a valid bearer token with 401
// and Graph's error body (code InvalidAuthenticationToken) and a
// WWW-Authenticate challenge; it passes the others on with their
// Principal on the context.
// https://learn.microsoft.com/graph/errors (401 Unauthorized: "Required
// authentication information is either missing or not valid").
func (id *Service) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		scheme, tok, _ := strings.Cut(h, " ")
		var err error
		var c *tokenClaims
		switch {
		case h == "":
			err = errTokenEmpty
		case !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "":
			err = errTokenMalformed
		default:
			c, err = id.verify(strings.TrimSpace(tok), time.Now())
		}
		if err != nil {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="", authorization_uri="%s/%s/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`, odata.BaseURL(r), id.tenantID))
			odata.WriteError(w, r, http.StatusUnauthorized, "InvalidAuthenticationToken", err.Error())
			return
		}
		ctx := context.WithValue(r.Context(), principalKey{}, &Principal{AppID: c.AppID, Roles: c.Roles})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// HasAnyRole reports whether the request's app holds one of roles
// (case-insensitively).
func HasAnyRole(r *http.Request, roles ...string) bool {
	p := PrincipalFrom(r.Context())
	if p == nil {
		return false
	}
	for _, want := range roles {
		if slices.ContainsFunc(p.Roles, func(s string) bool { return strings.EqualFold(s, want) }) {
			return true
		}
	}
	return false
}

// UnverifiedAppID reads the appid claim of a bearer token in an
// Authorization header value without checking the token, for logs.
func UnverifiedAppID(authz string) string {
	_, tok, ok := strings.Cut(authz, " ")
	if !ok {
		return ""
	}
	parts := strings.Split(strings.TrimSpace(tok), ".")
	if len(parts) != 3 {
		return ""
	}
	p, err := b64.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		AppID string `json:"appid"`
	}
	if json.Unmarshal(p, &c) != nil {
		return ""
	}
	return c.AppID
}
