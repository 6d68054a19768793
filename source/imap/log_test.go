package imap

import (
	"context"
	"testing"

	"github.com/migrate-tool/migrate/migrate/logcheck"
)

// TestLogRecords checks the adapter's records against the log conventions
// (migrate/logcheck) with a logger like the engine's, which already names
// the mailbox: one key for errors, a component attribute instead of a text
// prefix, no attribute twice.
func TestLogRecords(t *testing.T) {
	fx := newFixture(t, fixtureOptions{security: SecurityTLS})
	log, rec := logcheck.New(t)
	opts := fx.options(SecurityTLS)
	opts.Logger = log.With("mailbox", "alice@example.com")
	opts.InsecureSkipVerify = true
	a := fx.dial(opts)
	fx.kill()
	if _, err := a.Folders(context.Background()); err != nil {
		t.Fatalf("Folders() after a drop = %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	want := map[string]bool{"TLS certificate verification is disabled": false, "connected": false, "connection lost, reconnecting": false, "closed": false}
	for _, r := range rec.Records() {
		if _, ok := want[r.Message]; ok {
			want[r.Message] = true
		}
		if c, _ := r.Value(logcheck.ComponentKey); c.String() != "imap" {
			t.Errorf("record %s: component %q, want imap", r, c)
		}
		if r.Message == "connection lost, reconnecting" {
			if v, _ := r.Value(logcheck.ErrKey); !isError(v.Any()) {
				t.Errorf("record %s has no error under %q", r, logcheck.ErrKey)
			}
		}
	}
	for msg, seen := range want {
		if !seen {
			t.Errorf("no record %q", msg)
		}
	}
	// logcheck.New reports the records that break a rule when the test
	// ends.
}

func isError(v any) bool {
	_, ok := v.(error)
	return ok
}
