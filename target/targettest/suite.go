package targettest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/migrate/message"
	"github.com/migrate-tool/migrate/target"
)

// Harness is what Run needs to check a target adapter.
type Harness struct {
	// Open opens the test mailbox. Required. The mailbox may hold items
	// already: the suite works in folders of its own, named
	// "targettest-" and a random suffix.
	Open func(ctx context.Context) (target.Mailbox, error)
	// BadAuth opens the mailbox with credentials the target refuses; nil
	// skips the check that the error matches target.ErrAuth.
	BadAuth func(ctx context.Context) (target.Mailbox, error)
	// Breaking returns a message stamped with key whose next PutMessage
	// fails after the target began creating it (the harness arranges the
	// fault: a connection lost during an attachment upload, say); the one
	// after must succeed. nil skips the atomicity check.
	Breaking func(t testing.TB, key string) *target.Message
	// Many is how many messages the paging check creates (default 1001,
	// past Graph's largest page of 1000). A harness whose target pages
	// in smaller pages may ask for fewer, as long as they span pages.
	Many int
	// MissingFolder is an id in the target's own form that names no
	// folder, as one deleted since would (default
	// "targettest-no-such-folder").
	MissingFolder target.FolderID
	// Kept reads back what the target kept of the contact or event id in
	// folder f; nil skips the checks of categories, anniversaries and
	// event attachments.
	Kept func(ctx context.Context, f target.FolderID, id target.ItemID) (Kept, error)
}

// Kept is what a target kept of a contact or an event, as Harness.Kept
// reads it back.
type Kept struct {
	// Categories are the item's categories.
	Categories []string
	// Anniversary is a contact's anniversary (zero when none).
	Anniversary time.Time
	// Attachments are an event's attachments, in order.
	Attachments []KeptFile
}

// KeptFile is an attachment as a target kept it.
type KeptFile struct {
	Name, ContentType string
	Size              int64
}

// Run checks a target adapter against the contract of target.Mailbox and
// its optional abilities, as written in package target:
//   - EnsureFolder is idempotent, under any letter case, below the root
//     and below a well-known folder;
//   - PutMessage stamps the item with its source key and content
//     identity; Lookup finds it by its key, and only in its folder;
//   - Stamps lists every complete item of a folder with both, paging past
//     Many items, and a listing stopped early leaves the mailbox usable;
//   - PutMessage is atomic: after a creation that failed part-way neither
//     Lookup nor Stamps sees an item, and the next PutMessage leaves
//     exactly one;
//   - errors are classified: a folder that does not exist is
//     target.ErrNotFound, refused credentials target.ErrAuth;
//   - a ContactWriter and an EventWriter, when the target has them, keep
//     the same promises for contact folders, calendars, contacts and
//     events (and a PIMFinder finds the folders they made, in any letter
//     case, and nothing before), and create a contact past Graph's list limits with a photo
//     and a series with a cancelled and a moved occurrence; with
//     Harness.Kept, a contact keeps its categories and anniversary and an
//     event its categories and attachments;
//   - an EventInspector, when the target has one, lists a series'
//     occurrences by their original starts: a cancelled one left out, a
//     moved one at its original start and not where it was moved.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.Open == nil {
		t.Fatal("targettest.Run: Harness.Open is nil")
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) { c.fn(t, &h) })
	}
}

type check struct {
	name string
	fn   func(t testing.TB, h *Harness)
}

// checks are Run's checks, in order.
var checks = []check{
	{"EnsureFolderIdempotent", checkEnsureFolder},
	{"PutLookupStamps", checkPutLookupStamps},
	{"StampsPaging", checkPaging},
	{"Atomic", checkAtomic},
	{"Errors", checkErrors},
	{"Contacts", checkContacts},
	{"Events", checkEvents},
	{"Occurrences", checkOccurrences},
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func open(t testing.TB, h *Harness) target.Mailbox {
	t.Helper()
	mb, err := h.Open(testContext(t))
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	return mb
}

// folderName is a folder name of the suite's own.
func folderName(what string) string {
	return fmt.Sprintf("targettest-%s-%06d", what, rand.IntN(1000000))
}

// Message returns a small message stamped with key, content identity
// "sha256:" + key's and body identity "body:" + its first 128 bits,
// ready for PutMessage. Harnesses use it for Breaking.
func Message(t testing.TB, key string) *target.Message {
	t.Helper()
	raw := fmt.Sprintf("From: Alice <alice@example.com>\r\nTo: bob@example.com\r\nSubject: targettest %s\r\nMessage-ID: <%s@targettest.example>\r\nDate: Mon, 2 Jan 2023 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBody of %s.\r\n", key, strings.NewReplacer(":", "-", "/", "-").Replace(key), key)
	msg, err := message.Parse(context.Background(), strings.NewReader(raw), nil)
	if err != nil {
		t.Fatalf("message.Parse() = %v", err)
	}
	t.Cleanup(func() { msg.Close() })
	date := time.Date(2023, 1, 2, 10, 0, 0, 0, time.UTC)
	return &target.Message{SourceKey: key, ContentID: contentID(key), BodyID: bodyID(key), Content: msg, Received: date, Sent: date, Read: true}
}

// contentID is the content identity the suite stamps on key's item.
func contentID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// bodyID is the body identity the suite stamps on key's message.
func bodyID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "body:" + hex.EncodeToString(sum[:16])
}

func checkEnsureFolder(t testing.TB, h *Harness) {
	ctx := testContext(t)
	mb := open(t, h)
	name := folderName("case")
	a, err := mb.EnsureFolder(ctx, target.Root, []string{name, "Sub Folder"})
	if err != nil {
		t.Fatalf("EnsureFolder(Root, %s/Sub Folder) = %v", name, err)
	}
	b, err := mb.EnsureFolder(ctx, target.Root, []string{strings.ToUpper(name), "sub folder"})
	if err != nil {
		t.Fatalf("EnsureFolder again in other letter case = %v", err)
	}
	if a != b {
		t.Errorf("EnsureFolder is not idempotent under letter case: %s, then %s", a, b)
	}
	parent, err := mb.EnsureFolder(ctx, target.Root, []string{name})
	if err != nil {
		t.Fatalf("EnsureFolder(Root, %s) = %v", name, err)
	}
	if parent == a {
		t.Errorf("EnsureFolder(%s) and EnsureFolder(%s/Sub Folder) are the same folder %s", name, name, a)
	}
	in1, err := mb.EnsureFolder(ctx, target.Inbox, nil)
	if err != nil {
		t.Fatalf("EnsureFolder(Inbox) = %v", err)
	}
	in2, err := mb.EnsureFolder(ctx, target.Inbox, []string{name})
	if err != nil {
		t.Fatalf("EnsureFolder(Inbox, %s) = %v", name, err)
	}
	if in1 == in2 || in2 == parent {
		t.Errorf("EnsureFolder(Inbox) = %s, (Inbox, %s) = %s, (Root, %s) = %s: want three folders", in1, name, in2, name, parent)
	}
	if again, err := mb.EnsureFolder(ctx, target.Inbox, []string{name}); err != nil || again != in2 {
		t.Errorf("EnsureFolder(Inbox, %s) again = %s, %v; want %s", name, again, err, in2)
	}
}

// stamps lists a folder's stamps by source key, failing on a repeat.
func stamps(t testing.TB, what string, seq func(yield func(target.Stamp, error) bool)) map[string]target.Stamp {
	t.Helper()
	out := map[string]target.Stamp{}
	for s, err := range seq {
		if err != nil {
			t.Fatalf("%s = %v", what, err)
		}
		if s.SourceKey == "" || s.ID == "" {
			t.Errorf("%s lists a stamp without source key or id: %+v", what, s)
			continue
		}
		if prev, ok := out[s.SourceKey]; ok {
			t.Errorf("%s lists key %s twice (%s and %s)", what, s.SourceKey, prev.ID, s.ID)
		}
		out[s.SourceKey] = s
	}
	return out
}

func checkPutLookupStamps(t testing.TB, h *Harness) {
	ctx := testContext(t)
	mb := open(t, h)
	name := folderName("put")
	f, err := mb.EnsureFolder(ctx, target.Root, []string{name})
	if err != nil {
		t.Fatalf("EnsureFolder() = %v", err)
	}
	other, err := mb.EnsureFolder(ctx, target.Root, []string{name, "other"})
	if err != nil {
		t.Fatalf("EnsureFolder() = %v", err)
	}
	want := map[string]target.ItemID{}
	for i := range 3 {
		m := Message(t, fmt.Sprintf("%s:1.%d", name, i+1))
		c, err := mb.PutMessage(ctx, f, m)
		if err != nil {
			t.Fatalf("PutMessage(%s) = %v", m.SourceKey, err)
		}
		if c.ID == "" {
			t.Fatalf("PutMessage(%s) returned no id", m.SourceKey)
		}
		want[m.SourceKey] = c.ID
	}
	for key, id := range want {
		got, ok, err := mb.Lookup(ctx, f, key)
		if err != nil || !ok || got != id {
			t.Errorf("Lookup(%s) = %s, %v, %v; want %s", key, got, ok, err, id)
		}
		if got, ok, err := mb.Lookup(ctx, other, key); err != nil || ok {
			t.Errorf("Lookup(%s) in another folder = %s, %v, %v; want not found", key, got, ok, err)
		}
	}
	if got, ok, err := mb.Lookup(ctx, f, name+":9.9"); err != nil || ok {
		t.Errorf("Lookup(a key never put) = %s, %v, %v; want not found", got, ok, err)
	}
	got := stamps(t, "Stamps()", mb.Stamps(ctx, f))
	if len(got) != len(want) {
		t.Errorf("Stamps() lists %d items, want %d", len(got), len(want))
	}
	for key, id := range want {
		s, ok := got[key]
		switch {
		case !ok:
			t.Errorf("Stamps() does not list %s", key)
		case s.ID != id:
			t.Errorf("Stamps() lists %s as %s, PutMessage returned %s", key, s.ID, id)
		case s.ContentID != contentID(key):
			t.Errorf("Stamps() lists %s with content identity %q, want %q: the content identity must be stamped", key, s.ContentID, contentID(key))
		case s.BodyID != bodyID(key):
			t.Errorf("Stamps() lists %s with body identity %q, want %q: the body identity must be stamped beside the content identity", key, s.BodyID, bodyID(key))
		}
	}
	if n := len(stamps(t, "Stamps(other)", mb.Stamps(ctx, other))); n != 0 {
		t.Errorf("Stamps() of an empty folder lists %d items", n)
	}
}

func checkPaging(t testing.TB, h *Harness) {
	ctx := testContext(t)
	mb := open(t, h)
	n := h.Many
	if n <= 0 {
		n = 1001
	}
	name := folderName("paging")
	f, err := mb.EnsureFolder(ctx, target.Root, []string{name})
	if err != nil {
		t.Fatalf("EnsureFolder() = %v", err)
	}
	for i := range n {
		m := Message(t, fmt.Sprintf("%s:1.%d", name, i+1))
		if _, err := mb.PutMessage(ctx, f, m); err != nil {
			t.Fatalf("PutMessage(%d of %d) = %v", i+1, n, err)
		}
	}
	if got := len(stamps(t, "Stamps()", mb.Stamps(ctx, f))); got != n {
		t.Errorf("Stamps() lists %d items of %d: it must page through the folder", got, n)
	}
	// A listing stopped early leaves the mailbox usable.
	for _, err := range mb.Stamps(ctx, f) {
		if err != nil {
			t.Fatalf("Stamps() = %v", err)
		}
		break
	}
	if _, ok, err := mb.Lookup(ctx, f, name+":1.1"); err != nil || !ok {
		t.Errorf("Lookup() after a listing stopped early = %v, %v", ok, err)
	}
}

func checkAtomic(t testing.TB, h *Harness) {
	if h.Breaking == nil {
		t.Skip("the harness cannot break a creation (Harness.Breaking is nil)")
	}
	ctx := testContext(t)
	mb := open(t, h)
	name := folderName("atomic")
	f, err := mb.EnsureFolder(ctx, target.Root, []string{name})
	if err != nil {
		t.Fatalf("EnsureFolder() = %v", err)
	}
	key := name + ":1.1"
	m := h.Breaking(t, key)
	if _, err := mb.PutMessage(ctx, f, m); err == nil {
		t.Fatalf("PutMessage() of the breaking message succeeded; the harness must make it fail")
	}
	if id, ok, err := mb.Lookup(ctx, f, key); err != nil || ok {
		t.Errorf("after a failed PutMessage, Lookup() = %s, %v, %v; want not found: PutMessage must be atomic", id, ok, err)
	}
	if got := stamps(t, "Stamps()", mb.Stamps(ctx, f)); len(got) != 0 {
		t.Errorf("after a failed PutMessage, Stamps() lists %d items; want none: PutMessage must be atomic", len(got))
	}
	c, err := mb.PutMessage(ctx, f, m)
	if err != nil {
		t.Fatalf("PutMessage() after the failure = %v", err)
	}
	got := stamps(t, "Stamps()", mb.Stamps(ctx, f))
	if len(got) != 1 || got[key].ID != c.ID {
		t.Errorf("after the second PutMessage, Stamps() = %v; want exactly %s", got, c.ID)
	}
}

func checkErrors(t testing.TB, h *Harness) {
	ctx := testContext(t)
	mb := open(t, h)
	missing := h.MissingFolder
	if missing == "" {
		missing = "targettest-no-such-folder"
	}
	if _, _, err := mb.Lookup(ctx, missing, "k"); !errors.Is(err, target.ErrNotFound) {
		t.Errorf("Lookup() in a folder that does not exist = %v; want an error matching target.ErrNotFound", err)
	}
	for _, err := range mb.Stamps(ctx, missing) {
		if !errors.Is(err, target.ErrNotFound) {
			t.Errorf("Stamps() of a folder that does not exist = %v; want an error matching target.ErrNotFound", err)
		}
		break
	}
	if h.BadAuth != nil {
		_, err := h.BadAuth(ctx)
		if err == nil {
			// A target may check credentials on the first request only.
			bad, _ := h.BadAuth(ctx)
			if bad != nil {
				_, err = bad.EnsureFolder(ctx, target.Inbox, nil)
			}
		}
		if !errors.Is(err, target.ErrAuth) {
			t.Errorf("with refused credentials: %v; want an error matching target.ErrAuth", err)
		}
	}
}

func checkContacts(t testing.TB, h *Harness) {
	ctx := testContext(t)
	cw, ok := open(t, h).(target.ContactWriter)
	if !ok {
		t.Skip("the target has no ContactWriter")
	}
	name := folderName("contacts")
	finder, canFind := cw.(target.PIMFinder)
	if canFind {
		if id, found, err := finder.FindContactFolder(ctx, []string{name}); err != nil || found {
			t.Errorf("FindContactFolder(%s) before it exists = %s, %v, %v; want not found", name, id, found, err)
		}
	}
	a, err := cw.EnsureContactFolder(ctx, []string{name})
	if err != nil {
		t.Fatalf("EnsureContactFolder(%s) = %v", name, err)
	}
	if canFind {
		if id, found, err := finder.FindContactFolder(ctx, []string{strings.ToUpper(name)}); err != nil || !found || id != a {
			t.Errorf("FindContactFolder(%s) in other letter case = %s, %v, %v; want %s", name, id, found, err, a)
		}
		def, _ := cw.EnsureContactFolder(ctx, nil)
		if id, found, err := finder.FindContactFolder(ctx, nil); err != nil || !found || id != def {
			t.Errorf("FindContactFolder(default) = %s, %v, %v; want %s", id, found, err, def)
		}
		if id, found, err := finder.FindContactFolder(ctx, []string{name, "no such child"}); err != nil || found {
			t.Errorf("FindContactFolder(%s/no such child) = %s, %v, %v; want not found", name, id, found, err)
		}
	}
	if b, err := cw.EnsureContactFolder(ctx, []string{strings.ToUpper(name)}); err != nil || b != a {
		t.Errorf("EnsureContactFolder in other letter case = %s, %v; want %s", b, err, a)
	}
	if def, err := cw.EnsureContactFolder(ctx, nil); err != nil || def == a || def == "" {
		t.Errorf("EnsureContactFolder(default) = %s, %v; want the default folder, not %s", def, err, a)
	}
	want := map[string]target.ItemID{}
	for i := range 3 {
		key := fmt.Sprintf("%s:c%d.vcf", name, i)
		c := &target.Contact{SourceKey: key, ContentID: contentID(key), DisplayName: fmt.Sprintf("Contact %d", i),
			GivenName: "Contact", Surname: fmt.Sprint(i), Emails: []target.Address{{Name: "C", Address: fmt.Sprintf("c%d@example.com", i)}},
			Birthday: time.Date(1980, 2, 29, 0, 0, 0, 0, time.UTC)}
		if i == 2 {
			// More than Graph's limits, and a photo: the writer keeps
			// what does not fit elsewhere and still creates the contact.
			for j := range 4 {
				c.Emails = append(c.Emails, target.Address{Address: fmt.Sprintf("c%d.%d@example.com", i, j)})
			}
			c.BusinessPhones = []string{"+1 555 0100", "+1 555 0101", "+1 555 0102"}
			c.Photo = []byte("\xff\xd8\xff\xe0 targettest photo")
		}
		if i == 1 {
			c.Categories = []string{"targettest family", "targettest friends"}
			c.Anniversary = time.Date(2010, 6, 12, 0, 0, 0, 0, time.UTC)
		}
		created, err := cw.PutContact(ctx, a, c)
		if err != nil {
			t.Fatalf("PutContact(%s) = %v", key, err)
		}
		want[key] = created.ID
		if i == 1 && h.Kept != nil {
			k, err := h.Kept(ctx, a, created.ID)
			if err != nil {
				t.Fatalf("Kept(%s) = %v", key, err)
			}
			if !slices.Equal(k.Categories, c.Categories) {
				t.Errorf("contact %s kept categories %q, want %q", key, k.Categories, c.Categories)
			}
			if !k.Anniversary.Equal(c.Anniversary) {
				t.Errorf("contact %s kept anniversary %v, want %v", key, k.Anniversary, c.Anniversary)
			}
		}
	}
	checkListed(t, "ContactStamps()", stamps(t, "ContactStamps()", cw.ContactStamps(ctx, a)), want)
}

// eventFile is an event attachment of n bytes.
func eventFile(name, contentType string, n int) target.EventAttachment {
	data := []byte(strings.Repeat("targettest attachment ", n/22+1))[:n]
	return target.EventAttachment{Name: name, ContentType: contentType, Size: int64(n),
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
}

func checkEvents(t testing.TB, h *Harness) {
	ctx := testContext(t)
	ew, ok := open(t, h).(target.EventWriter)
	if !ok {
		t.Skip("the target has no EventWriter")
	}
	name := folderName("calendar")
	finder, canFind := ew.(target.PIMFinder)
	if canFind {
		if id, found, err := finder.FindCalendar(ctx, name); err != nil || found {
			t.Errorf("FindCalendar(%s) before it exists = %s, %v, %v; want not found", name, id, found, err)
		}
	}
	a, err := ew.EnsureCalendar(ctx, name)
	if err != nil {
		t.Fatalf("EnsureCalendar(%s) = %v", name, err)
	}
	if canFind {
		if id, found, err := finder.FindCalendar(ctx, strings.ToUpper(name)); err != nil || !found || id != a {
			t.Errorf("FindCalendar(%s) in other letter case = %s, %v, %v; want %s", name, id, found, err, a)
		}
		def, _ := ew.EnsureCalendar(ctx, "")
		if id, found, err := finder.FindCalendar(ctx, ""); err != nil || !found || id != def {
			t.Errorf("FindCalendar(default) = %s, %v, %v; want %s", id, found, err, def)
		}
	}
	if b, err := ew.EnsureCalendar(ctx, strings.ToUpper(name)); err != nil || b != a {
		t.Errorf("EnsureCalendar in other letter case = %s, %v; want %s", b, err, a)
	}
	if def, err := ew.EnsureCalendar(ctx, ""); err != nil || def == a || def == "" {
		t.Errorf("EnsureCalendar(default) = %s, %v; want the default calendar, not %s", def, err, a)
	}
	start := time.Date(2024, 3, 4, 9, 0, 0, 0, time.UTC)
	want := map[string]target.ItemID{}
	for i := range 3 {
		key := fmt.Sprintf("%s:e%d.ics", name, i)
		e := &target.Event{SourceKey: key, ContentID: contentID(key), UID: key + "@targettest", Subject: fmt.Sprintf("Meeting %d", i),
			Start: start.AddDate(0, 0, i), End: start.AddDate(0, 0, i).Add(time.Hour), TimeZone: "UTC",
			Organizer: target.Address{Address: "alice@example.com"},
			Attendees: []target.Attendee{{Address: target.Address{Address: "bob@example.com"}, Response: "accepted"}}}
		switch i {
		case 0:
			e.Categories = []string{"targettest meetings"}
			e.Attachments = []target.EventAttachment{eventFile("agenda.txt", "text/plain", 1000), eventFile("minutes.pdf", "application/pdf", 20000)}
		case 1:
			e.Recurrence = &target.Recurrence{Pattern: "weekly", Interval: 1, DaysOfWeek: []string{"tuesday"}, StartDate: e.Start, Occurrences: 5}
		case 2:
			// A daily series with one occurrence cancelled and one moved:
			// the exceptions are applied before the event is complete.
			e.Recurrence = &target.Recurrence{Pattern: "daily", Interval: 1, StartDate: e.Start, Occurrences: 4}
			e.Cancelled = []time.Time{e.Start.AddDate(0, 0, 1)}
			moved := e.Start.AddDate(0, 0, 2)
			e.Overrides = []target.Occurrence{{OriginalStart: moved, Start: moved.Add(2 * time.Hour), End: moved.Add(3 * time.Hour), Subject: "Moved"}}
		}
		created, err := ew.PutEvent(ctx, a, e)
		if err != nil {
			t.Fatalf("PutEvent(%s) = %v", key, err)
		}
		want[key] = created.ID
		if i == 0 && h.Kept != nil {
			k, err := h.Kept(ctx, a, created.ID)
			if err != nil {
				t.Fatalf("Kept(%s) = %v", key, err)
			}
			if !slices.Equal(k.Categories, e.Categories) {
				t.Errorf("event %s kept categories %q, want %q", key, k.Categories, e.Categories)
			}
			var files []KeptFile
			for _, f := range e.Attachments {
				files = append(files, KeptFile{Name: f.Name, ContentType: f.ContentType, Size: f.Size})
			}
			if !slices.Equal(k.Attachments, files) {
				t.Errorf("event %s kept attachments %+v, want %+v", key, k.Attachments, files)
			}
		}
	}
	checkListed(t, "EventStamps()", stamps(t, "EventStamps()", ew.EventStamps(ctx, a)), want)
}

// checkOccurrences creates a weekly series in a zone with daylight
// saving time, with one occurrence cancelled and one moved by a day, and
// asks EventInspector.Occurrences over windows: the whole series, one
// holding only the moved occurrence's original start, one holding only
// its new start, and a single event's.
func checkOccurrences(t testing.TB, h *Harness) {
	ctx := testContext(t)
	mb := open(t, h)
	ei, ok := mb.(target.EventInspector)
	if !ok {
		t.Skip("the target has no EventInspector")
	}
	ew, ok := mb.(target.EventWriter)
	if !ok {
		t.Fatal("the target has an EventInspector but no EventWriter")
	}
	name := folderName("occurrences")
	cal, err := ew.EnsureCalendar(ctx, name)
	if err != nil {
		t.Fatalf("EnsureCalendar(%s) = %v", name, err)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	// Tuesdays at 9:00 in Berlin, five times from 19 March 2024 (UTC+1,
	// then UTC+2 from 31 March): the 26 March occurrence is cancelled,
	// the 2 April one moved to Wednesday 3 April.
	week := func(i int) time.Time { return time.Date(2024, 3, 19+7*i, 9, 0, 0, 0, berlin) }
	moved := week(2).AddDate(0, 0, 1)
	key := name + ":series.ics"
	series := &target.Event{SourceKey: key, ContentID: contentID(key), UID: key + "@targettest", Subject: "Weekly",
		Start: week(0), End: week(0).Add(time.Hour), TimeZone: "Europe/Berlin",
		Recurrence: &target.Recurrence{Pattern: "weekly", Interval: 1, DaysOfWeek: []string{"tuesday"}, StartDate: week(0), Occurrences: 5},
		Cancelled:  []time.Time{week(1)},
		Overrides:  []target.Occurrence{{OriginalStart: week(2), Start: moved, End: moved.Add(time.Hour), Subject: "Moved"}}}
	created, err := ew.PutEvent(ctx, cal, series)
	if err != nil {
		t.Fatalf("PutEvent(%s) = %v", key, err)
	}
	single := &target.Event{SourceKey: name + ":single.ics", ContentID: contentID(name + ":single.ics"), Subject: "Once",
		Start: week(0), End: week(0).Add(time.Hour), TimeZone: "Europe/Berlin"}
	one, err := ew.PutEvent(ctx, cal, single)
	if err != nil {
		t.Fatalf("PutEvent(%s) = %v", single.SourceKey, err)
	}
	tests := []struct {
		name     string
		id       target.ItemID
		from, to time.Time
		want     []time.Time
	}{
		{"the whole series", created.ID, week(0).AddDate(0, 0, -7), week(4).AddDate(0, 0, 7), []time.Time{week(0), week(2), week(3), week(4)}},
		{"only the moved one's original start", created.ID, week(2).Add(-time.Hour), week(2).Add(time.Hour), []time.Time{week(2)}},
		{"only its new start", created.ID, moved.Add(-time.Hour), moved.Add(2 * time.Hour), nil},
		{"only the cancelled one", created.ID, week(1).Add(-time.Hour), week(1).Add(time.Hour), nil},
		{"to excluded", created.ID, week(3), week(4), []time.Time{week(3)}},
		{"a single event", one.ID, week(0).AddDate(0, 0, -7), week(4).AddDate(0, 0, 7), nil},
	}
	for _, tt := range tests {
		got, err := ei.Occurrences(ctx, cal, tt.id, tt.from, tt.to)
		if err != nil {
			t.Errorf("%s: Occurrences(%s, %s) = %v", tt.name, tt.from.UTC().Format(time.RFC3339), tt.to.UTC().Format(time.RFC3339), err)
			continue
		}
		if !slices.EqualFunc(got, tt.want, time.Time.Equal) {
			t.Errorf("%s: Occurrences(%s, %s) = %v, want %v", tt.name, tt.from.UTC().Format(time.RFC3339), tt.to.UTC().Format(time.RFC3339), utc(got), utc(tt.want))
		}
	}
}

// utc formats times in UTC for a failure message.
func utc(ts []time.Time) []string {
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.UTC().Format(time.RFC3339))
	}
	return out
}

// checkListed compares a stamp listing with what was created.
func checkListed(t testing.TB, what string, got map[string]target.Stamp, want map[string]target.ItemID) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s lists %d items, want %d", what, len(got), len(want))
	}
	for key, id := range want {
		s, ok := got[key]
		if !ok || s.ID != id || s.ContentID != contentID(key) {
			t.Errorf("%s lists %s as %+v; want id %s with its content identity", what, key, s, id)
		}
	}
}
