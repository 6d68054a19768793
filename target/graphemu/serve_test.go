package graphemu

import (
	"context"
	"strings"
	"testing"
)

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
