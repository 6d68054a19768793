package migrate

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/sourcetest"
)

const (
	testCard  = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann Example\r\nN:Example;Ann;;;\r\nEMAIL:a1@example.test\r\nEMAIL:a2@example.test\r\nEMAIL:a3@example.test\r\nEMAIL:a4@example.test\r\nEND:VCARD\r\n"
	testCard2 = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Bo\r\nEND:VCARD\r\n"
	testEvent = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:e1@example.test\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T090000Z\r\nDTEND:20260105T100000Z\r\nSUMMARY:Standup\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	// testHourly is a series Graph cannot express: expanded.
	testHourly = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:h1@example.test\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T090000Z\r\nDTEND:20260105T091000Z\r\nRRULE:FREQ=HOURLY;COUNT=3\r\nSUMMARY:Ping\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)

func TestReadPIM(t *testing.T) {
	tests := []struct {
		name     string
		kind     source.Kind
		content  string
		contacts []string // SourceKeys
		events   []string
		notes    bool
		bad      bool // ErrBadObject
	}{
		{name: "one card, a fourth address in the notes", kind: source.KindContact, content: testCard, contacts: []string{"K"}, notes: true},
		{name: "two cards in one item", kind: source.KindContact, content: testCard + testCard2, contacts: []string{"K", "K#2"}, notes: true},
		{name: "a bad card beside a good one", kind: source.KindContact, content: "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\n" + "garbage line\r\nEND:VCARD\r\n" + testCard2, contacts: []string{"K"}},
		{name: "no card", kind: source.KindContact, content: "hello\r\n", bad: true},
		{name: "one event", kind: source.KindEvent, content: testEvent, events: []string{"K"}},
		{name: "expanded series", kind: source.KindEvent, content: testHourly, events: []string{"K", "K#2", "K#3"}, notes: true},
		{name: "not a calendar", kind: source.KindEvent, content: "BEGIN:VCARD\r\nEND:VCARD\r\n", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			mem := sourcetest.NewMemory()
			mem.AddFolder("F", "", tt.kind)
			key := mem.Add("F", []byte(tt.content), time.Now())
			acct, err := mem.Open(ctx)
			if err != nil {
				t.Fatal(err)
			}
			folders, _ := acct.Folders(ctx)
			var f source.Folder
			for _, x := range folders {
				if x.Name == "F" {
					f = x
				}
			}
			p, err := readPIM(ctx, acct, f, source.ItemRef{Key: key})
			if tt.bad {
				if !errors.Is(err, ErrBadObject) {
					t.Fatalf("readPIM = %v, want ErrBadObject", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range p.Contacts {
				got = append(got, strings.Replace(c.SourceKey, key, "K", 1))
				checkContentID(t, c.ContentID)
			}
			if strings.Join(got, ",") != strings.Join(tt.contacts, ",") {
				t.Errorf("contacts %v, want %v", got, tt.contacts)
			}
			got = nil
			for _, e := range p.Events {
				checkContentID(t, e.ContentID)
				got = append(got, strings.Replace(e.SourceKey, key, "K", 1))
			}
			if strings.Join(got, ",") != strings.Join(tt.events, ",") {
				t.Errorf("events %v, want %v", got, tt.events)
			}
			if (len(p.Notes) > 0) != tt.notes {
				t.Errorf("notes %q, want some: %v", p.Notes, tt.notes)
			}
		})
	}
}

// checkContentID checks that a content identity has the shape targets
// store and parse: scheme:hex (target/graph's ParseStamp), for the
// second and later items of one source item too.
func checkContentID(t *testing.T, id string) {
	t.Helper()
	if !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(id) {
		t.Errorf("content identity %q is not sha256:hex", id)
	}
}
