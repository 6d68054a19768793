package mailparts

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/imap"
	"github.com/migrate-tool/migrate/source/sourcetest"
	"github.com/migrate-tool/migrate/source/testserver"
)

// seedDir is the mail of these tests and of cmd/migrate's TestE2EMailParts.
const seedDir = "../../testdata/mailparts"

// seeded returns an in-memory mailbox holding testdata/mailparts as its
// accounts.yaml lays it out.
func seeded(t *testing.T) *sourcetest.Memory {
	t.Helper()
	m, err := testserver.LoadManifest(seedDir)
	if err != nil {
		t.Fatal(err)
	}
	mem := sourcetest.NewMemory()
	for _, f := range m.Users[0].Folders {
		mem.AddFolder(f.Name, "", "")
		for _, msg := range f.Messages {
			b, err := os.ReadFile(filepath.Join(seedDir, msg.File))
			if err != nil {
				t.Fatal(err)
			}
			mem.Add(f.Name, b, msg.Date)
		}
	}
	return mem
}

// listing is what an account lists in its "From mail" folders.
func listing(t *testing.T, acct source.Account) map[source.Kind][]source.ItemRef {
	t.Helper()
	ctx := context.Background()
	fs, err := acct.Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[source.Kind][]source.ItemRef{}
	for _, f := range fs {
		if f.Kind != source.KindContact && f.Kind != source.KindEvent {
			continue
		}
		if !cmp.Equal(f.Path, []string{FolderName}) {
			t.Errorf("%s folder %q: Path %q, want [%s]", f.Kind, f.Name, f.Path, FolderName)
		}
		for ref, err := range acct.Items(ctx, f) {
			if err != nil {
				t.Fatal(err)
			}
			out[f.Kind] = append(out[f.Kind], ref)
		}
	}
	return out
}

func read(t *testing.T, acct source.Account, k source.Kind, ref source.ItemRef) string {
	t.Helper()
	rc, err := acct.Open(context.Background(), folder(k), ref)
	if err != nil {
		t.Fatalf("Open(%s) = %v", ref.Key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %s: %v", ref.Key, err)
	}
	return string(b)
}

// TestWrap lists the seed's parts: one contact for the card sent twice
// (base64 and quoted-printable), one event for the invitation sent three
// times (twice in one message with SEQUENCE 0, once with SEQUENCE 1 in
// another folder) holding the SEQUENCE 1 version, and the attendee's reply
// skipped with its reason; the keys stay after both folders are renumbered,
// and the mail account's optional abilities stay reachable.
func TestWrap(t *testing.T) {
	mem := seeded(t)
	ctx := context.Background()
	mail, err := mem.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	acct := Wrap(mail, nil)
	defer acct.Close()
	fs, err := acct.Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range fs {
		names = append(names, string(f.Kind)+":"+f.Name)
	}
	if want := []string{":INBOX", ":Projects", "contact:mailparts:contact", "event:mailparts:event"}; !cmp.Equal(names, want) {
		t.Errorf("Folders() = %q, want %q", names, want)
	}
	got := listing(t, acct)
	if n := len(got[source.KindContact]); n != 1 {
		t.Fatalf("%d contacts listed, want 1 (the same card twice): %+v", n, got[source.KindContact])
	}
	c := got[source.KindContact][0]
	if !strings.HasPrefix(c.Key, "mail-vcard:") || c.Skip != "" || !c.Date.Equal(time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("contact %+v, want key mail-vcard:..., the first message's date, not skipped", c)
	}
	if b := read(t, acct, source.KindContact, c); !strings.HasPrefix(b, "BEGIN:VCARD\r\n") || !strings.Contains(b, "FN:Dana From-Mail\r\n") || int64(len(b)) != c.Size {
		t.Errorf("contact content (%d bytes, listed %d):\n%s", len(b), c.Size, b)
	}
	var ev, reply source.ItemRef
	for _, ref := range got[source.KindEvent] {
		switch {
		case ref.Key == "mail-ical:kickoff-2025-0210@example.test":
			ev = ref
		case ref.Skip != "":
			reply = ref
		default:
			t.Errorf("unexpected event item %+v", ref)
		}
	}
	if len(got[source.KindEvent]) != 2 || ev.Key == "" || ev.Skip != "" {
		t.Fatalf("events %+v, want the meeting and the reply", got[source.KindEvent])
	}
	if b := read(t, acct, source.KindEvent, ev); !strings.Contains(b, "SEQUENCE:1\r\n") || !strings.Contains(b, "DTSTART:20250210T110000Z\r\n") || int64(len(b)) != ev.Size {
		t.Errorf("the event is not the SEQUENCE 1 version (%d bytes, listed %d):\n%s", len(b), ev.Size, b)
	}
	if reply.Skip != "a meeting reply, not an event" || !strings.HasPrefix(reply.Key, "mail:INBOX/") || !strings.HasSuffix(reply.Key, "/0") {
		t.Errorf("reply %+v, want key mail:INBOX/<key>/0 skipped as a meeting reply", reply)
	}
	if _, ok := source.As[source.HeaderReader](acct); !ok {
		t.Error("source.As[HeaderReader] on the wrapped account = false, want the mail account's")
	}

	mem.Renumber("INBOX")
	mem.Renumber("Projects")
	mail2, err := mem.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again := listing(t, Wrap(mail2, nil))
	if again[source.KindContact][0].Key != c.Key || !contains(again[source.KindEvent], ev.Key) {
		t.Errorf("after renumbering: %+v, want the keys %s and %s again", again, c.Key, ev.Key)
	}
}

func contains(refs []source.ItemRef, key string) bool {
	for _, r := range refs {
		if r.Key == key {
			return true
		}
	}
	return false
}

// TestListingRules: which iCalendar parts are events, which are skipped
// and why, and which version of a meeting wins.
func TestListingRules(t *testing.T) {
	at := func(day int) time.Time { return time.Date(2025, 1, day, 0, 0, 0, 0, time.UTC) }
	part := func(n, day int, m icalMeta) found {
		if m.Events == 0 && m.UID != "" {
			m.Events, m.Master = 1, true
		}
		return found{kind: kindICal, loc: location{folder: source.Folder{Name: "INBOX"}, msg: source.ItemRef{Key: "1." + string(rune('0'+n)), Date: at(day)}, n: 0},
			size: int64(100 + n), sum: strings.Repeat(string(rune('a'+n)), 64), ical: m}
	}
	type item struct{ Key, Skip string }
	tests := []struct {
		name  string
		parts []found
		want  []item
		// wantSize is the Size of the event listed (which part won).
		wantSize int64
	}{{
		name:     "PUBLISH, REQUEST or no METHOD: events; highest SEQUENCE wins",
		parts:    []found{part(1, 1, icalMeta{Method: "REQUEST", UID: "u", Sequence: 2}), part(2, 2, icalMeta{Method: "REQUEST", UID: "u", Sequence: 1}), part(3, 3, icalMeta{UID: "v"}), part(4, 4, icalMeta{Method: "PUBLISH", UID: "w"})},
		want:     []item{{"mail-ical:u", ""}, {"mail-ical:v", ""}, {"mail-ical:w", ""}},
		wantSize: 101,
	}, {
		name:     "same SEQUENCE: the latest DTSTAMP, then the latest message",
		parts:    []found{part(1, 5, icalMeta{UID: "u", DTStamp: "20250101T000000Z"}), part(2, 1, icalMeta{UID: "u", DTStamp: "20250102T000000Z"}), part(3, 9, icalMeta{UID: "u", DTStamp: "20250101T000000Z"})},
		want:     []item{{"mail-ical:u", ""}},
		wantSize: 102,
	}, {
		name: "replies, counters and refreshes are not events",
		parts: []found{part(1, 1, icalMeta{Method: "REPLY", UID: "u"}), part(2, 1, icalMeta{Method: "COUNTER", UID: "u"}),
			part(3, 1, icalMeta{Method: "DECLINECOUNTER", UID: "u"}), part(4, 1, icalMeta{Method: "REFRESH", UID: "u"})},
		want: []item{{"mail:INBOX/1.1/0", "a meeting reply, not an event"}, {"mail:INBOX/1.2/0", "a meeting counter-proposal, not an event"},
			{"mail:INBOX/1.3/0", "a declined meeting counter-proposal, not an event"}, {"mail:INBOX/1.4/0", "a request for the latest version of a meeting, not an event"}},
	}, {
		name:  "a later CANCEL cancels the meeting; an earlier one does not",
		parts: []found{part(1, 1, icalMeta{Method: "REQUEST", UID: "u", Sequence: 1}), part(2, 2, icalMeta{Method: "CANCEL", UID: "u", Sequence: 2}), part(3, 1, icalMeta{Method: "REQUEST", UID: "v", Sequence: 3}), part(4, 2, icalMeta{Method: "CANCEL", UID: "v", Sequence: 2})},
		want: []item{{"mail-ical:u", "a meeting its organizer cancelled (a later METHOD:CANCEL in mail)"}, {"mail-ical:v", ""},
			{"mail:INBOX/1.2/0", "a meeting cancellation, not an event"}, {"mail:INBOX/1.4/0", "a meeting cancellation, not an event"}},
	}, {
		name:  "occurrences only, no event, too large",
		parts: []found{part(1, 1, icalMeta{UID: "u", Events: 1, RecurrenceID: "20250101T000000Z"}), part(2, 1, icalMeta{Method: "PUBLISH"}), func() found { f := part(3, 1, icalMeta{UID: "w"}); f.big, f.size = true, 11<<20; return f }()},
		want: []item{{"mail:INBOX/1.1/0", "an update of one occurrence of a series (RECURRENCE-ID): not merged into its series yet"},
			{"mail:INBOX/1.2/0", "an iCalendar part without an event (VEVENT)"}, {"mail:INBOX/1.3/0", "an iCalendar part of 11534336 bytes, larger than the 10 MB this source reads from mail"}},
	}, {
		name:  "keys: no UID by content, an unusual UID hashed",
		parts: []found{part(1, 1, icalMeta{Events: 1, Master: true}), part(2, 1, icalMeta{UID: "has#hash"}), part(3, 1, icalMeta{UID: strings.Repeat("x", 201)})},
		want:  []item{{"mail-ical:content:" + strings.Repeat("b", 32), ""}, {"mail-ical:sha256:84a0678c90937f5dcf9994d5866668da", ""}, {"mail-ical:sha256:f55b2abb9be9b4b582d129f7823e2887", ""}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &parts{opts: Options{MaxPartBytes: DefaultMaxPartBytes}}
			s := p.listing(tt.parts)
			var got []item
			for _, ref := range s.items[source.KindEvent] {
				got = append(got, item{ref.Key, ref.Skip})
				if tt.wantSize != 0 && ref.Key == tt.want[0].Key && ref.Size != tt.wantSize {
					t.Errorf("%s: the part of %d bytes won, want the one of %d", ref.Key, ref.Size, tt.wantSize)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("listing (-want +got):\n%s", diff)
			}
		})
	}
}

// TestConformance runs the source conformance suite on the wrapper over
// the in-memory IMAP server seeded with testdata/mailparts: the "From
// mail" folders keep the contract of address books and calendars (flat,
// items one vCard or one VCALENDAR, Open streaming exactly Size bytes,
// stable keys), and the mail folders keep the IMAP adapter's.
func TestConformance(t *testing.T) {
	srv := testserver.MemIMAPForTest(t, &testserver.MemIMAPOptions{SeedDir: seedDir, NoTLS: true})
	u := srv.Users[0]
	open := func(pw string) source.Opener {
		return func(ctx context.Context) (source.Account, error) {
			mail, err := imap.Dial(ctx, &imap.Options{Host: srv.Host, Port: srv.Port, Security: imap.SecurityPlain, AllowPlaintext: true,
				Username: u.Name, Password: pw, MaxRetries: 1})
			if err != nil {
				return nil, err
			}
			return Wrap(mail, nil), nil
		}
	}
	sourcetest.Run(t, sourcetest.Harness{Open: open(u.Password), BadAuth: open("wrong")})
}
