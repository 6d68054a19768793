package graphemu

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/target/graphemu/odata"
)

// client is a minimal Graph client for the tests.
type client struct {
	t     testing.TB
	ep    *Endpoint
	http  *http.Client
	token string
}

func newClient(t testing.TB, ep *Endpoint, id, secret string) *client {
	t.Helper()
	c := &client{t: t, ep: ep, http: ep.HTTPClient()}
	if id != "" {
		c.token = c.getToken(id, secret)
	}
	return c
}

func (c *client) getToken(id, secret string) string {
	c.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "scope": {"https://graph.microsoft.com/.default"}}
	resp, err := c.http.PostForm(c.ep.TokenURL, form)
	if err != nil {
		c.t.Fatalf("token request: %v", err)
	}
	defer resp.Body.Close()
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || json.Unmarshal(b, &tr) != nil || tr.AccessToken == "" {
		c.t.Fatalf("token request = %d %s", resp.StatusCode, b)
	}
	return tr.AccessToken
}

// response is a decoded response.
type response struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

func (r *response) str(path string) string {
	v := odata.LookupPath(r.JSON, path)
	s, _ := v.(string)
	return s
}

func (c *client) do(method, path string, body any, hdr ...string) *response {
	c.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
		ct = "text/plain"
	case []byte:
		rd = bytes.NewReader(b)
		ct = "application/octet-stream"
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
		ct = "application/json"
	}
	u := path
	if !strings.HasPrefix(path, "http") {
		u = c.ep.GraphURL + path
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		c.t.Fatalf("NewRequest: %v", err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := &response{Status: resp.StatusCode, Header: resp.Header, Body: b}
	_ = json.Unmarshal(b, &r.JSON)
	return r
}

// mustStatus fails unless r has the wanted status.
func mustStatus(t testing.TB, r *response, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status = %d, want %d; body: %s", r.Status, want, r.Body)
	}
}

// checkGraphError asserts Graph's documented error shape:
// {"error":{"code","message","innerError":{"date","request-id"}}}.
func checkGraphError(t testing.TB, r *response, status int, code string) {
	t.Helper()
	mustStatus(t, r, status)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	errObj, ok := r.JSON["error"].(map[string]any)
	if !ok {
		t.Fatalf("body has no error object: %s", r.Body)
	}
	if got, _ := errObj["code"].(string); got != code {
		t.Errorf("error.code = %q, want %q (body %s)", got, code, r.Body)
	}
	if msg, _ := errObj["message"].(string); msg == "" {
		t.Errorf("error.message is empty")
	}
	inner, _ := errObj["innerError"].(map[string]any)
	if inner == nil || inner["request-id"] == "" || inner["date"] == "" {
		t.Errorf("error.innerError lacks request-id/date: %s", r.Body)
	}
	if r.Header.Get("request-id") == "" {
		t.Errorf("no request-id header")
	}
}

func (c *client) inspect(path string) map[string]any {
	c.t.Helper()
	resp, err := c.http.Get(c.ep.BaseURL + "/_emulator/" + path)
	if err != nil {
		c.t.Fatalf("inspect %s: %v", path, err)
	}
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		c.t.Fatalf("inspect %s: %v", path, err)
	}
	return v
}
