package migrate

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/migrate/logcheck"
	"github.com/migrate-tool/migrate/migrate/mapping"
	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/sourcetest"
)

const (
	// testWeekly is a series with an EXDATE, a moved and a cancelled
	// occurrence: one series, one moved, two cancelled.
	testWeekly = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n" +
		"BEGIN:VEVENT\r\nUID:w1@example.test\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T090000Z\r\nDTEND:20260105T100000Z\r\nRRULE:FREQ=WEEKLY;COUNT=5\r\nEXDATE:20260112T090000Z\r\nSUMMARY:Weekly\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:w1@example.test\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID:20260119T090000Z\r\nDTSTART:20260119T110000Z\r\nDTEND:20260119T120000Z\r\nSUMMARY:Weekly\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:w1@example.test\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID:20260126T090000Z\r\nSTATUS:CANCELLED\r\nDTSTART:20260126T090000Z\r\nDTEND:20260126T100000Z\r\nSUMMARY:Weekly\r\nEND:VEVENT\r\n" +
		"END:VCALENDAR\r\n"
	testMail = "From: a@example.test\r\nTo: b@example.test\r\nSubject: hello\r\nMessage-ID: <m1@example.test>\r\nDate: Mon, 5 Jan 2026 09:00:00 +0000\r\n\r\nhi\r\n"
)

// pimSource is a mailbox with mail, an address book (the default one) and
// a second calendar, holding the items named by their folder.
func pimSource(items map[string][]string) *sourcetest.Memory {
	mem := sourcetest.NewMemory()
	mem.AddFolder("INBOX", source.Inbox, "")
	mem.AddFolder("Contacts", source.Default, source.KindContact)
	mem.AddFolder("Work", "", source.KindEvent)
	for _, f := range []string{"INBOX", "Contacts", "Work"} {
		for _, c := range items[f] {
			mem.Add(f, []byte(c), time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
		}
	}
	return mem
}

func pimEnv(t *testing.T, mem *sourcetest.Memory) (Env, config.Mailbox) {
	t.Helper()
	rules, err := mapping.NewRules(config.Defaults().Folders, nil)
	if err != nil {
		t.Fatal(err)
	}
	log, _ := logcheck.New(t)
	open := func(ctx context.Context, m config.Mailbox, log *slog.Logger) (source.Account, error) {
		return mem.Open(ctx)
	}
	settings := config.Defaults()
	env := Env{Sources: open, Rules: rules, Log: log, Items: mapping.NewItemOptions(settings.Filters, settings.Target, settings.Keywords),
		Now: func() time.Time { return time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC) }}
	m := config.Mailbox{EmailAddress: "ann@example.test", UserName: "ann", Password: config.NewSecret("pw"), Protocol: "imap", Host: "memory", Port: 993, Security: "tls"}
	return env, m
}

func TestPlanPIM(t *testing.T) {
	tests := []struct {
		name       string
		items      map[string][]string
		contacts   plan.PIM // of the folder contact:Contacts
		calendar   plan.PIM // of event:Work
		unparsable []string // folder and key index ("contact:Contacts 2")
		fields     []plan.FieldCount
	}{
		{
			name:     "cards, one card too many addresses, a file of two",
			items:    map[string][]string{"Contacts": {testCard, testCard + testCard2}},
			contacts: plan.PIM{Contacts: 3},
			fields:   []plan.FieldCount{{Kind: "contact", Property: "EMAIL", Action: "notes", Items: 2}},
		},
		{
			name:       "a malformed vCard is listed with its key and reason",
			items:      map[string][]string{"Contacts": {testCard2, "hello\r\n"}},
			contacts:   plan.PIM{Contacts: 1, Unparsable: 1},
			unparsable: []string{"contact:Contacts 1"},
		},
		{
			name:     "an expanded series, a series with exceptions, a single event",
			items:    map[string][]string{"Work": {testEvent, testHourly, testWeekly}},
			calendar: plan.PIM{Events: 5, Series: 1, Moved: 1, Cancelled: 2, Expanded: 1, ExpandedEvents: 3},
			fields:   []plan.FieldCount{{Kind: "event", Property: "RRULE", Action: "changed", Items: 1}},
		},
		{
			name:       "a calendar object without an event",
			items:      map[string][]string{"Work": {testEvent, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"}},
			calendar:   plan.PIM{Events: 1, Unparsable: 1},
			unparsable: []string{"event:Work 1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items := map[string][]string{"INBOX": {testMail}}
			for k, v := range tt.items {
				items[k] = v
			}
			mem := pimSource(items)
			env, m := pimEnv(t, mem)
			pl, err := (&Planner{Env: env, Settings: config.Defaults(), Tool: "test"}).Plan(context.Background(), []config.Mailbox{m})
			if err != nil {
				t.Fatal(err)
			}
			mb := pl.Mailboxes[0]
			if mb.Error != "" {
				t.Fatal(mb.Error)
			}
			if mb.HeadersRead != 1 {
				t.Errorf("%d headers read, want 1 (the mail only)", mb.HeadersRead)
			}
			folders := map[string]plan.Folder{}
			for _, f := range mb.Folders {
				folders[f.Path] = f
			}
			for name, want := range map[string]struct {
				pim    plan.PIM
				target string
			}{"contact:Contacts": {tt.contacts, "Contacts"}, "event:Work": {tt.calendar, "Calendar/Work"}} {
				f, ok := folders[name]
				if !ok || f.PIM == nil {
					t.Fatalf("folder %s: %+v, want PIM counts", name, f)
				}
				if diff := cmp.Diff(want.pim, *f.PIM); diff != "" {
					t.Errorf("folder %s (-want +got):\n%s", name, diff)
				}
				if f.Target != want.target {
					t.Errorf("folder %s goes to %q, want %q", name, f.Target, want.target)
				}
			}
			if folders["INBOX"].PIM != nil {
				t.Errorf("INBOX has PIM counts %+v", folders["INBOX"].PIM)
			}
			var total plan.PIM
			total.Add(tt.contacts)
			total.Add(tt.calendar)
			if mb.PIM == nil || *mb.PIM != total || pl.Totals.PIM == nil || *pl.Totals.PIM != total {
				t.Errorf("mailbox PIM %+v, totals %+v, want %+v", mb.PIM, pl.Totals.PIM, total)
			}
			keys := map[string][]string{}
			acct, _ := mem.Open(context.Background())
			fs, _ := acct.Folders(context.Background())
			for _, f := range fs {
				for ref := range acct.Items(context.Background(), f) {
					keys[folderName(f)] = append(keys[folderName(f)], ref.Key)
				}
			}
			var got []string
			for _, it := range mb.Unparsable {
				if it.Reason == "" {
					t.Errorf("unparsable %+v has no reason", it)
				}
				idx := strings.Join(keys[it.Folder], ",")
				for i, k := range keys[it.Folder] {
					if k == it.Key {
						idx = it.Folder + " " + string(rune('0'+i))
					}
				}
				got = append(got, idx)
			}
			if diff := cmp.Diff(tt.unparsable, got); diff != "" {
				t.Errorf("unparsable (-want +got):\n%s\n%+v", diff, mb.Unparsable)
			}
			if diff := cmp.Diff(tt.fields, mb.PIMFields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPlanPIMLargestDates: among the largest items, an event is dated by
// its start (an all-day one by its own day), a contact not at all, and
// mail by when it was received; never a contact or event by when its
// object last changed at the source.
func TestPlanPIMLargestDates(t *testing.T) {
	changed := time.Date(2020, 3, 4, 5, 6, 7, 0, time.UTC) // the objects' last change
	allDay := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:a1@example.test\r\nDTSTAMP:20260101T000000Z\r\n" +
		"DTSTART;VALUE=DATE:20260210\r\nDTEND;VALUE=DATE:20260211\r\nSUMMARY:Holiday\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	mem := sourcetest.NewMemory()
	mem.AddFolder("INBOX", source.Inbox, "")
	mem.AddFolder("Contacts", source.Default, source.KindContact)
	mem.AddFolder("Work", "", source.KindEvent)
	keys := map[string]string{
		mem.Add("INBOX", []byte(testMail), changed):      "mail",
		mem.Add("Contacts", []byte(testCard), changed):   "contact",
		mem.Add("Work", []byte(testEvent), changed):      "event",
		mem.Add("Work", []byte(testHourly), changed):     "expanded series",
		mem.Add("Work", []byte(allDay), changed):         "all-day event",
		mem.Add("Work", []byte("not ical\r\n"), changed): "unparsable event",
	}
	env, m := pimEnv(t, mem)
	pl, err := (&Planner{Env: env, Settings: config.Defaults(), Tool: "test"}).Plan(context.Background(), []config.Mailbox{m})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]time.Time{}
	for _, it := range pl.Mailboxes[0].Largest {
		got[keys[it.Key]] = it.Date
	}
	want := map[string]time.Time{
		"mail":             changed,
		"contact":          {},
		"event":            time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC),
		"expanded series":  time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC),
		"all-day event":    time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC),
		"unparsable event": {},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("largest items' dates (-want +got):\n%s", diff)
	}
}
