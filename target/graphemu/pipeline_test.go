package graphemu

import (
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/target/graphemu/odata"
)

func TestBatchRunsInnerRequestsWithAuth(t *testing.T) {
	ep, c := startMail(t, nil)
	r := c.do("POST", "/$batch", map[string]any{"requests": []any{
		map[string]any{"id": "1", "method": "POST", "url": "/users/a@x.test/mailFolders",
			"headers": map[string]any{"Content-Type": "application/json"}, "body": map[string]any{"displayName": "Batched"}},
		map[string]any{"id": "2", "method": "GET", "url": "/users/a@x.test/mailFolders/inbox", "dependsOn": []any{"1"}},
		map[string]any{"id": "3", "method": "GET", "url": "/users/nobody@x.test/mailFolders/inbox", "dependsOn": []any{"2"}},
	}})
	mustStatus(t, r, 200)
	statuses := map[string]float64{}
	for _, x := range r.JSON["responses"].([]any) {
		m := x.(map[string]any)
		statuses[m["id"].(string)] = m["status"].(float64)
		if m["id"] == "2" {
			ctx, _ := odata.LookupPath(m, "body/@odata.context").(string)
			if !strings.HasPrefix(ctx, "https://") {
				t.Errorf("inner @odata.context = %q, want https", ctx)
			}
		}
	}
	if statuses["1"] != 201 || statuses["2"] != 200 || statuses["3"] != 404 {
		t.Errorf("batch statuses = %v", statuses)
	}
	anon := newClient(t, ep, "", "")
	checkGraphError(t, anon.do("POST", "/$batch", map[string]any{"requests": []any{}}), 401, "InvalidAuthenticationToken")
}

func TestThrottleAndFaultsAreWired(t *testing.T) {
	ep, c := startMail(t, &Options{TimeScale: 1, Faults: "GET /v1.0/users/b@x.test/* seq:503"})
	mustStatus(t, c.do("GET", "/users/a@x.test/mailFolders/inbox", nil), 200)
	mustStatus(t, c.do("GET", "/users/A@X.TEST/mailFolders/inbox", nil), 200)
	r := c.do("GET", "/users/b@x.test/mailFolders/inbox", nil)
	mustStatus(t, r, 503)
	if r.Header.Get("Retry-After") == "" {
		t.Error("503 fault without Retry-After")
	}
	mustStatus(t, c.do("GET", "/users/b@x.test/mailFolders/inbox", nil), 200)

	st := c.inspect("throttle")
	if st["enabled"] != true {
		t.Fatalf("throttle = %v", st)
	}
	aID := c.do("GET", "/users/a@x.test", nil).str("id")
	var counted float64
	for _, v := range st["value"].([]any) {
		m := v.(map[string]any)
		if m["app"] == "test-client" && m["mailbox"] == aID {
			counted = odata.LookupPath(m, "stat/requests").(float64)
		}
	}
	if counted != 2 {
		t.Errorf("requests counted for (test-client, a) = %v, want 2 (UPN case folded to one mailbox)", counted)
	}
	reqs := c.inspect("requests")
	if reqs["total"].(float64) < 4 {
		t.Errorf("request log total = %v", reqs["total"])
	}
	for _, v := range reqs["value"].([]any) {
		if q, _ := v.(map[string]any)["query"].(string); strings.Contains(q, c.token) {
			t.Error("request log holds a token")
		}
	}
	_ = ep
}
