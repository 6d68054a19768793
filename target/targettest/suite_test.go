package targettest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/source/sourcetest"
	"github.com/migrate-tool/migrate/target"
)

func harness(m *Memory) Harness {
	return Harness{
		Open: func(ctx context.Context) (target.Mailbox, error) { return m.Open(ctx, "user@example.com") },
		Breaking: func(t testing.TB, key string) *target.Message {
			m.FailPuts(1, &target.RetryError{Err: errors.New("connection reset during the attachment upload")})
			return Message(t, key)
		},
		Many: 25,
		Kept: func(ctx context.Context, f target.FolderID, id target.ItemID) (Kept, error) {
			return m.Kept("user@example.com", id)
		},
	}
}

// TestMemory runs the suite on the in-memory target, with pages of 10 so
// that 25 items span three pages, and once with Graph's page size.
func TestMemory(t *testing.T) {
	m := NewMemory()
	m.PageSize = 10
	Run(t, harness(m))
	if _, pages := m.Stats(); pages < 3 {
		t.Errorf("the suite read %d Stamps pages; the paging check must span pages", pages)
	}
	t.Run("GraphPageSize", func(t *testing.T) {
		h := harness(NewMemory())
		h.Many = 0 // 1001
		Run(t, h)
	})
}

// runCheck runs one check of the suite and returns what it reported.
func runCheck(t *testing.T, name string, h Harness) (bool, []string) {
	for _, c := range checks {
		if c.name == name {
			return sourcetest.Capture(t, func(tb testing.TB) { c.fn(tb, &h) })
		}
	}
	t.Fatalf("no check %q", name)
	return false, nil
}

// TestSuiteCatchesBrokenTargets shows that each promise the suite checks
// fails for a target that breaks it.
func TestSuiteCatchesBrokenTargets(t *testing.T) {
	tests := []struct {
		check  string
		breaks func(m *Memory, h *Harness)
		want   string
	}{
		{"Atomic", func(m *Memory, h *Harness) { m.partialOnFail = true }, "PutMessage must be atomic"},
		{"EnsureFolderIdempotent", func(m *Memory, h *Harness) { m.caseSensitive = true }, "not idempotent under letter case"},
		{"Contacts", func(m *Memory, h *Harness) { m.caseSensitive = true }, "other letter case"},
		{"PutLookupStamps", func(m *Memory, h *Harness) { m.unstampedList = true }, "without source key"},
		{"PutLookupStamps", func(m *Memory, h *Harness) { m.noContentID = true }, "content identity must be stamped"},
		{"StampsPaging", func(m *Memory, h *Harness) { m.firstPageOnly = true }, "must page through"},
		{"Contacts", func(m *Memory, h *Harness) { m.dropCategories = true }, "kept categories"},
		{"Events", func(m *Memory, h *Harness) { m.dropCategories = true }, "kept categories"},
		{"Occurrences", func(m *Memory, h *Harness) { m.keepCancelled = true }, "only the cancelled one: Occurrences"},
		{"Contacts", func(m *Memory, h *Harness) { m.findNothing = true }, "FindContactFolder("},
		{"Events", func(m *Memory, h *Harness) { m.findNothing = true }, "FindCalendar("},
		{"Errors", func(m *Memory, h *Harness) {
			h.BadAuth = func(context.Context) (target.Mailbox, error) { return nil, errors.New("401 from the token endpoint") }
		}, "target.ErrAuth"},
	}
	for _, tt := range tests {
		t.Run(tt.check, func(t *testing.T) {
			m := NewMemory()
			m.PageSize = 10
			if failed, msgs := runCheck(t, tt.check, harness(m)); failed {
				t.Fatalf("the check fails on a correct target: %v", msgs)
			}
			m = NewMemory()
			m.PageSize = 10
			h := harness(m)
			tt.breaks(m, &h)
			failed, msgs := runCheck(t, tt.check, h)
			if !failed || !strings.Contains(strings.Join(msgs, "\n"), tt.want) {
				t.Errorf("check %s on a broken target: failed %v, messages %q; want a failure saying %q", tt.check, failed, msgs, tt.want)
			}
		})
	}
}
