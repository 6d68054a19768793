package graph

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/migrate-tool/migrate/target"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// onlyItem returns the one item of folder f.
func (e *env) onlyItem(t *testing.T, f target.FolderID) graphemu.DumpItem {
	t.Helper()
	items := e.folderItems(t, f)
	if len(items) != 1 {
		t.Fatalf("folder %s holds %d items, want 1", f, len(items))
	}
	return items[0]
}

func TestContactWriter(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	ctx := testContext(t)
	mb := e.mailbox(t, ctx)

	nested, err := mb.EnsureContactFolder(ctx, []string{"Imported", "Family"})
	if err != nil {
		t.Fatalf("EnsureContactFolder = %v", err)
	}
	mb2 := e.mailbox(t, ctx) // no cache: found by listing, in another case
	if again, err := mb2.EnsureContactFolder(ctx, []string{"imported", "FAMILY"}); err != nil || again != nested {
		t.Errorf("EnsureContactFolder again = %s, %v; want %s", again, err, nested)
	}
	var path string
	for _, f := range e.dump(t).Folders {
		if f.ID == string(nested) {
			path = f.Path
		}
	}
	if path != "Contacts/Imported/Family" {
		t.Errorf("nested contact folder path = %q", path)
	}

	photo := []byte("\xff\xd8\xff\xe0 a jpeg")
	c := &target.Contact{SourceKey: "carddav:/ada.vcf", ContentID: "sha256:abc123", DisplayName: "Ada Lovelace",
		GivenName: "Ada", Surname: "Lovelace",
		Emails:         []target.Address{{Address: "a1@x.test"}, {Address: "a2@x.test"}, {Address: "a3@x.test"}, {Name: "Ada", Address: "a4@x.test"}},
		BusinessPhones: []string{"1", "2", "3"}, MobilePhone: "+44 7000",
		Home:     target.PostalAddress{Street: "1 Road", City: "London", Country: "UK"},
		Birthday: time.Date(1815, 12, 10, 0, 0, 0, 0, time.UTC), Anniversary: time.Date(1835, 7, 8, 0, 0, 0, 0, time.UTC),
		Notes: "Mathematician", Categories: []string{"Friends"},
		Photo: photo}
	created, err := mb.PutContact(ctx, nested, c)
	if err != nil {
		t.Fatalf("PutContact = %v", err)
	}
	if len(created.Notes) != 2 {
		t.Errorf("PutContact notes = %q; want the e-mail address and the phone that went to the notes", created.Notes)
	}
	it := e.onlyItem(t, nested)
	if v, _ := extValue(it, StampPropertyID); v != "carddav:/ada.vcf sha256:abc123" {
		t.Errorf("stamp = %q", v)
	}
	// Outlook's anniversary: PidTagWeddingAnniversary, midnight UTC.
	if v, ok := extValue(it, "SystemTime 0x3A41"); !ok || v != "1835-07-08T00:00:00Z" {
		t.Errorf("anniversary property = %q, %v", v, ok)
	}
	if got := e.dump(t).MasterCategories; len(got) != 1 || got[0] != "Friends" {
		t.Errorf("master categories = %q, want the contact's", got)
	}
	if it.Photo == nil || it.Photo.Size != int64(len(photo)) || it.Photo.ContentType != "image/jpeg" {
		t.Errorf("photo = %+v", it.Photo)
	}
	g := it.Graph
	notes, _ := g["personalNotes"].(string)
	if !strings.Contains(notes, "Mathematician") || !strings.Contains(notes, "Ada <a4@x.test>") || !strings.Contains(notes, "Business phone: 3") {
		t.Errorf("personalNotes = %q", notes)
	}
	if n := len(g["emailAddresses"].([]any)); n != 3 {
		t.Errorf("emailAddresses has %d entries, want 3", n)
	}
	if g["birthday"] != "1815-12-10T00:00:00Z" || g["mobilePhone"] != "+44 7000" || g["homeAddress"].(map[string]any)["city"] != "London" {
		t.Errorf("contact = birthday %v, mobile %v, home %v", g["birthday"], g["mobilePhone"], g["homeAddress"])
	}
	var listed []target.Stamp
	for s, err := range mb.ContactStamps(ctx, nested) {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, s)
	}
	if len(listed) != 1 || listed[0].SourceKey != c.SourceKey || listed[0].ContentID != c.ContentID || listed[0].ID != created.ID {
		t.Errorf("ContactStamps = %+v", listed)
	}

	// A photo past Graph's 4 MB request limit is left out, with a note.
	big, err := mb.EnsureContactFolder(ctx, []string{"Big"})
	if err != nil {
		t.Fatal(err)
	}
	created, err = mb.PutContact(ctx, big, &target.Contact{SourceKey: "carddav:/big.vcf", GivenName: "Big", Photo: make([]byte, maxPhoto)})
	if err != nil || len(created.Notes) != 1 || !strings.Contains(created.Notes[0], "photo of 4194304 bytes left out") {
		t.Errorf("PutContact(big photo) = %+v, %v", created, err)
	}
	if it := e.onlyItem(t, big); it.Photo != nil {
		t.Errorf("the big photo was sent: %+v", it.Photo)
	}

	// The default folder: /users/{id}/contacts.
	def, err := mb.EnsureContactFolder(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mb.PutContact(ctx, def, &target.Contact{SourceKey: "carddav:/bob.vcf", GivenName: "Bob"}); err != nil {
		t.Fatalf("PutContact(default) = %v", err)
	}
	n := 0
	for s, err := range mb.ContactStamps(ctx, def) {
		if err != nil || s.SourceKey != "carddav:/bob.vcf" {
			t.Errorf("ContactStamps(default) = %+v, %v", s, err)
		}
		n++
	}
	if n != 1 {
		t.Errorf("ContactStamps(default) listed %d, want 1", n)
	}
	if n := e.dump(t).MeetingMessagesSent; n != 0 {
		t.Errorf("meeting messages sent = %d, want 0", n)
	}
}

func TestEventWriter(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	ctx := testContext(t)
	mb := e.mailbox(t, ctx)
	cal, err := mb.EnsureCalendar(ctx, "Imported")
	if err != nil {
		t.Fatalf("EnsureCalendar = %v", err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	rem := 10 * time.Minute
	meeting := &target.Event{SourceKey: "caldav:/review.ics", ContentID: "sha256:feed", UID: "review@x", Subject: "Review",
		Body: "Agenda", Start: time.Date(2024, 3, 4, 9, 0, 0, 0, berlin), End: time.Date(2024, 3, 4, 10, 0, 0, 0, berlin),
		TimeZone: "Europe/Berlin", Location: "Room 1", ShowAs: "tentative", Private: true, Reminder: &rem,
		Recurrence: &target.Recurrence{Pattern: "weekly", Interval: 1, DaysOfWeek: []string{"Monday"}, Occurrences: 4},
		Organizer:  target.Address{Name: "Alice", Address: "alice@old.test"},
		Attendees: []target.Attendee{{Address: target.Address{Address: "bob@old.test"}, Response: "accepted"},
			{Address: target.Address{Address: "carol@old.test"}, Optional: true}}}
	created, err := mb.PutEvent(ctx, cal, meeting)
	if err != nil {
		t.Fatalf("PutEvent = %v", err)
	}
	// A retry of the same event (its answer lost, say) finds it by its
	// transactionId instead of creating a second one.
	again, err := mb.PutEvent(ctx, cal, meeting)
	if err != nil || again.ID != created.ID {
		t.Errorf("PutEvent again = %s, %v; want %s", again.ID, err, created.ID)
	}
	it := e.onlyItem(t, cal)
	g := it.Graph
	if as, _ := g["attendees"].([]any); len(as) != 0 || it.InvitationsSent {
		t.Errorf("the event was created with attendees %v (invitations sent %v)", g["attendees"], it.InvitationsSent)
	}
	if n := e.dump(t).MeetingMessagesSent; n != 0 {
		t.Errorf("meeting messages sent = %d, want 0", n)
	}
	if it.TransactionID == "" {
		t.Error("the event has no transactionId")
	}
	body := g["body"].(map[string]any)["content"].(string)
	for _, want := range []string{"Agenda", "Organizer: Alice <alice@old.test>", "Attendee: bob@old.test, accepted", "Attendee: carol@old.test (optional)"} {
		if !strings.Contains(body, want) {
			t.Errorf("body %q lacks %q", body, want)
		}
	}
	if v, ok := extValue(it, AttendeesPropertyID); !ok || !strings.Contains(v, "carol@old.test") {
		t.Errorf("attendees property = %q, %v", v, ok)
	}
	if v, _ := extValue(it, StampPropertyID); v != "caldav:/review.ics sha256:feed" {
		t.Errorf("stamp = %q", v)
	}
	if g["originalStartTimeZone"] != "Europe/Berlin" || g["start"].(map[string]any)["dateTime"] != "2024-03-04T08:00:00.0000000" ||
		g["type"] != "seriesMaster" || g["showAs"] != "tentative" || g["sensitivity"] != "private" || g["reminderMinutesBeforeStart"] != float64(10) {
		t.Errorf("event = start %v (%v), type %v, showAs %v, sensitivity %v, reminder %v", g["start"], g["originalStartTimeZone"], g["type"], g["showAs"], g["sensitivity"], g["reminderMinutesBeforeStart"])
	}
	rg := g["recurrence"].(map[string]any)["range"].(map[string]any)
	if rg["startDate"] != "2024-03-04" || rg["type"] != "numbered" {
		t.Errorf("recurrence range = %v", rg)
	}

	tests := []struct {
		name string
		ev   target.Event
		ok   bool
	}{
		{"all-day", target.Event{Start: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC), TimeZone: "UTC", AllDay: true}, true},
		{"all-day not at midnight", target.Event{Start: time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC), End: time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC), TimeZone: "UTC", AllDay: true}, false},
		{"ends before it starts", target.Event{Start: time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)}, false},
		{"cancelled occurrence of a single event", target.Event{Start: time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC), End: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC),
			Cancelled: []time.Time{time.Date(2024, 5, 2, 9, 0, 0, 0, time.UTC)}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := tc.ev
			ev.SourceKey = "caldav:/" + tc.name + ".ics"
			_, err := mb.PutEvent(ctx, cal, &ev)
			var ie *target.ItemError
			if tc.ok && err != nil || !tc.ok && !errors.As(err, &ie) {
				t.Errorf("PutEvent = %v; want ok %v (else an ItemError)", err, tc.ok)
			}
		})
	}
	if n := e.dump(t).MeetingMessagesSent; n != 0 {
		t.Errorf("meeting messages sent = %d, want 0", n)
	}
}

func TestEventExceptions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	ctx := testContext(t)
	mb := e.mailbox(t, ctx)
	cal, err := mb.EnsureCalendar(ctx, "Series")
	if err != nil {
		t.Fatal(err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := func(day, hour int) time.Time { return time.Date(2024, 3, day, hour, 0, 0, 0, berlin) }
	ev := &target.Event{SourceKey: "caldav:/daily.ics", ContentID: "sha256:d00d", Subject: "Daily", Start: at(4, 9), End: at(4, 10),
		TimeZone:   "Europe/Berlin",
		Recurrence: &target.Recurrence{Pattern: "daily", Interval: 1, Occurrences: 5},
		Attendees:  []target.Attendee{{Address: target.Address{Address: "bob@old.test"}}},
		Cancelled:  []time.Time{at(5, 9), at(20, 9)}, // the second matches no occurrence
		Overrides:  []target.Occurrence{{OriginalStart: at(6, 9), Start: at(6, 14), End: at(6, 15), Subject: "Daily (late)"}}}
	created, err := mb.PutEvent(ctx, cal, ev)
	if err != nil {
		t.Fatalf("PutEvent = %v", err)
	}
	if !strings.Contains(strings.Join(created.Notes, "; "), "1 cancelled or changed occurrence(s) match no occurrence") {
		t.Errorf("notes = %q", created.Notes)
	}
	it := e.onlyItem(t, cal)
	if v, _ := extValue(it, StampPropertyID); v != "caldav:/daily.ics sha256:d00d" {
		t.Errorf("stamp = %q; want the complete one", v)
	}
	res, err := mb.user().Events().ByEventId(string(created.ID)).Instances().Get(ctx, &users.ItemEventsItemInstancesRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.ItemEventsItemInstancesRequestBuilderGetQueryParameters{
			StartDateTime: new("2024-03-01T00:00:00Z"), EndDateTime: new("2024-04-01T00:00:00Z")},
	})
	if err != nil {
		t.Fatalf("list instances: %v", err)
	}
	var got []string
	for _, o := range res.GetValue() {
		got = append(got, fmt.Sprintf("%s %s %s", o.GetOriginalStart().UTC().Format("02T15"), val(o.GetStart().GetDateTime())[8:13], val(o.GetSubject())))
	}
	want := []string{"04T08 04T08 Daily", "06T08 06T13 Daily (late)", "07T08 07T08 Daily", "08T08 08T08 Daily"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("occurrences = %q\nwant %q", got, want)
	}
	if n := e.dump(t).MeetingMessagesSent; n != 0 {
		t.Errorf("meeting messages sent = %d, want 0", n)
	}
	var listed []target.Stamp
	for s, err := range mb.EventStamps(ctx, cal) {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, s)
	}
	if len(listed) != 1 || listed[0].ID != created.ID {
		t.Errorf("EventStamps = %+v", listed)
	}
}
