package sourcetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/source"
)

func message(n int) []byte {
	return fmt.Appendf(nil, "Message-ID: <m%d@example.com>\r\nSubject: message %d\r\nDate: Mon, 2 Jan 2023 10:00:00 +0000\r\n\r\nbody %d\r\n", n, n, n)
}

// seeded returns a Memory with a few folders and messages.
func seeded() *Memory {
	m := NewMemory()
	date := seedDate()
	for i := range 5 {
		m.Add("INBOX", message(i), date.Add(time.Duration(i)*time.Hour), `\Answered`)
	}
	m.AddFolder("Sent", source.Sent, "")
	m.Add("Sent", message(10), date)
	m.Add("Projects/2024", message(11), date)
	m.AddFolder("Contacts", source.Default, source.KindContact)
	m.Add("Contacts", []byte(card), date)
	m.AddFolder("Calendar", source.Default, source.KindEvent)
	m.Add("Calendar", []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:e1\r\nDTSTART:20230102T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"), date)
	return m
}

// card is a vCard for the seeded address book.
const card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c1\r\nFN:Ada\r\nEND:VCARD\r\n"

// seedDate is when the seeded items arrived.
func seedDate() time.Time { return time.Date(2023, 1, 2, 10, 0, 0, 0, time.UTC) }

func harness(m *Memory) Harness {
	refused := NewMemory()
	refused.FailLogin(fmt.Errorf("login refused: %w", source.ErrAuth))
	down := NewMemory()
	down.FailLogin(fmt.Errorf("dial: %w", source.ErrConnect))
	return Harness{
		Open:        m.Open,
		BadAuth:     refused.Open,
		Unreachable: down.Open,
		Expunge: func(t testing.TB, f source.Folder, ref source.ItemRef) {
			if !m.Expunge(f.Name, ref.Key) {
				t.Fatalf("Expunge(%s): not there", ref.Key)
			}
		},
		Renumber: func(t testing.TB, f source.Folder) { m.Renumber(f.Name) },
	}
}

func TestMemory(t *testing.T) {
	Run(t, harness(seeded()))
}

// runCheck runs one check of the suite and returns what it reported.
func runCheck(t *testing.T, name string, h Harness) (bool, []string) {
	for _, c := range checks {
		if c.name == name {
			return Capture(t, func(tb testing.TB) { c.fn(tb, &h) })
		}
	}
	t.Fatalf("no check %q", name)
	return false, nil
}

// TestSuiteCatchesBrokenSources shows that each promise the suite checks
// fails for a source that breaks it.
func TestSuiteCatchesBrokenSources(t *testing.T) {
	tests := []struct {
		check  string
		breaks func(m *Memory, h *Harness)
		want   string
	}{
		{"OpenChangesNothing", func(m *Memory, h *Harness) { m.seenOnOpen = true }, "must not change the source"},
		{"FoldersAndStableKeys", func(m *Memory, h *Harness) { m.unstableKeys = true }, "keys must be stable"},
		{"Credentials", func(m *Memory, h *Harness) {
			h.BadAuth = func(context.Context) (source.Account, error) { return nil, fmt.Errorf("password refused") }
		}, "source.ErrAuth"},
		{"ContactsAndCalendars", func(m *Memory, h *Harness) {
			m.AddFolder("Books/Work", "", source.KindContact)
			m.Add("Books/Work", []byte(card), seedDate())
		}, "want one name"},
		{"ContactsAndCalendars", func(m *Memory, h *Harness) {
			m.AddFolder("Private", source.Default, source.KindContact)
		}, "a second source.Default"},
		{"ContactsAndCalendars", func(m *Memory, h *Harness) {
			m.Add("Calendar", []byte(card), seedDate())
		}, "want BEGIN:VCALENDAR"},
		{"Expunged", func(m *Memory, h *Harness) {
			h.Expunge = func(testing.TB, source.Folder, source.ItemRef) {} // the item stays
		}, "source.ErrNotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.check, func(t *testing.T) {
			m := seeded()
			h := harness(m)
			if failed, msgs := runCheck(t, tt.check, h); failed {
				t.Fatalf("the check fails on a correct source: %v", msgs)
			}
			m = seeded()
			h = harness(m)
			tt.breaks(m, &h)
			failed, msgs := runCheck(t, tt.check, h)
			if !failed || !strings.Contains(strings.Join(msgs, "\n"), tt.want) {
				t.Errorf("check %s on a broken source: failed %v, messages %q; want a failure saying %q", tt.check, failed, msgs, tt.want)
			}
		})
	}
}
