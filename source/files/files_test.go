package files

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/migrate/contacts"
	"github.com/migrate-tool/migrate/migrate/events"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/sourcetest"
	"github.com/migrate-tool/migrate/source/testserver"
)

// card is a vCard 3.0 with a UID (none when uid is "").
func card(uid, name string) string {
	s := "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:" + name + "\r\nN:" + name + ";;;;\r\n"
	if uid != "" {
		s += "UID:" + uid + "\r\n"
	}
	return s + "EMAIL;TYPE=work:" + strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.com\r\nEND:VCARD\r\n"
}

const zoneBerlin = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n" +
	"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n" +
	"BEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n" +
	"TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"

// A Windows-named zone, as Outlook writes it, with a quoted TZID.
const zoneWindows = "BEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\nBEGIN:STANDARD\r\nDTSTART:16010101T030000\r\n" +
	"TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\n" +
	"BEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n" +
	"RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"

const zoneUnused = "BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\nBEGIN:STANDARD\r\nDTSTART:19701101T020000\r\n" +
	"TZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"

// weekly is a weekly series in Berlin crossing the DST change, with one
// moved and one cancelled occurrence.
const weekly = "BEGIN:VEVENT\r\nUID:weekly-1\r\nDTSTAMP:20240101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20240311T100000\r\n" +
	"DTEND;TZID=Europe/Berlin:20240311T110000\r\nRRULE:FREQ=WEEKLY;COUNT=6\r\nSUMMARY:Weekly sync\r\n" +
	"BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\nDESCRIPTION:Reminder\r\nEND:VALARM\r\nEND:VEVENT\r\n"

const weeklyMoved = "BEGIN:VEVENT\r\nUID:weekly-1\r\nDTSTAMP:20240101T000000Z\r\nRECURRENCE-ID;TZID=Europe/Berlin:20240325T100000\r\n" +
	"DTSTART;TZID=Europe/Berlin:20240325T140000\r\nDTEND;TZID=Europe/Berlin:20240325T150000\r\nSUMMARY:Weekly sync (moved)\r\nEND:VEVENT\r\n"

const weeklyCancelled = "BEGIN:VEVENT\r\nUID:weekly-1\r\nDTSTAMP:20240101T000000Z\r\nRECURRENCE-ID;TZID=Europe/Berlin:20240401T100000\r\n" +
	"DTSTART;TZID=Europe/Berlin:20240401T100000\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n"

const outlook = "BEGIN:VEVENT\r\nUID:outlook-1\r\nDTSTAMP:20240101T000000Z\r\nDTSTART;TZID=\"W. Europe Standard Time\":20240615T090000\r\n" +
	"DTEND;TZID=\"W. Europe Standard Time\":20240615T100000\r\nSUMMARY:Outlook-style zone\r\nEND:VEVENT\r\n"

const allDay = "BEGIN:VEVENT\r\nUID:allday-1\r\nDTSTAMP:20240101T000000Z\r\nDTSTART;VALUE=DATE:20240704\r\n" +
	"DTEND;VALUE=DATE:20240705\r\nSUMMARY:Holiday\r\nEND:VEVENT\r\n"

const lastFriday = "BEGIN:VEVENT\r\nUID:monthly-1\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240126T150000Z\r\n" +
	"DTEND:20240126T160000Z\r\nRRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=12\r\nSUMMARY:Last Friday review\r\nEND:VEVENT\r\n"

func calendar(parts ...string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//migrate//test//EN\r\nCALSCALE:GREGORIAN\r\n" +
		strings.Join(parts, "") + "END:VCALENDAR\r\n"
}

func write(t testing.TB, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// seed writes an export of each shape: a .vcf with many cards, an .ics
// with many events, overrides and VTIMEZONEs, a directory of single-card
// .vcf files.
func seed(t testing.TB) (dir string, paths []string) {
	dir = t.TempDir()
	var vcf strings.Builder
	for i := range 6 {
		vcf.WriteString(card(fmt.Sprintf("card-%d", i), fmt.Sprintf("Person %d", i)))
	}
	vcf.WriteString(card("", "No Uid"))
	paths = append(paths,
		write(t, filepath.Join(dir, "Contacts.vcf"), vcf.String()),
		write(t, filepath.Join(dir, "Work.ics"), calendar(zoneBerlin, zoneUnused, zoneWindows, weekly, outlook, weeklyMoved, allDay, lastFriday, weeklyCancelled)),
		filepath.Join(dir, "Team"))
	for i := range 3 {
		write(t, filepath.Join(dir, "Team", fmt.Sprintf("%d.vcf", i)), card(fmt.Sprintf("team-%d", i), fmt.Sprintf("Team %d", i)))
	}
	write(t, filepath.Join(dir, "Team", "sub", "deep.vcf"), card("team-deep", "Team Deep"))
	write(t, filepath.Join(dir, "Team", "README.txt"), "not an export")
	return dir, paths
}

func open(t testing.TB, paths ...string) *Account {
	t.Helper()
	a, err := Open(context.Background(), &Options{Paths: paths})
	if err != nil {
		t.Fatalf("Open(%v) = %v", paths, err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func readItem(t testing.TB, a *Account, f source.Folder, ref source.ItemRef) []byte {
	t.Helper()
	rc, err := a.Open(context.Background(), f, ref)
	if err != nil {
		t.Fatalf("Open(%s, %s) = %v", f.Name, ref.Key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %s %s: %v", f.Name, ref.Key, err)
	}
	return b
}

// all lists every folder and item of a.
func all(t testing.TB, a *Account) map[string][]source.ItemRef {
	t.Helper()
	folders, err := a.Folders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]source.ItemRef{}
	for _, f := range folders {
		for ref, err := range a.Items(context.Background(), f) {
			if err != nil {
				t.Fatalf("Items(%s) = %v", f.Name, err)
			}
			out[f.Name] = append(out[f.Name], ref)
		}
	}
	return out
}

func TestSuite(t *testing.T) {
	_, paths := seed(t)
	sourcetest.Run(t, sourcetest.Harness{
		Open: func(ctx context.Context) (source.Account, error) { return Open(ctx, &Options{Paths: paths}) },
		Expunge: func(t testing.TB, f source.Folder, ref source.ItemRef) {
			// Another program rewrites the file without the item.
			if f.Kind != source.KindContact || !strings.HasSuffix(f.Name, ".vcf") || strings.Contains(f.Name, "*") {
				t.Fatalf("Expunge(%s): the harness expunges from a .vcf file only", f.Name)
			}
			idx, err := scanFile(context.Background(), f.Name, f.Kind)
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(f.Name)
			if err != nil {
				t.Fatal(err)
			}
			p := idx.items[idx.byKey[ref.Key]].parts[0]
			write(t, f.Name, string(b[:p.off])+string(b[p.off+p.n:]))
		},
	})
}

func TestFolders(t *testing.T) {
	dir, paths := seed(t)
	a := open(t, paths...)
	got, err := a.Folders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []source.Folder{
		{Path: []string{"Contacts"}, Name: paths[0], Kind: source.KindContact, SpecialUse: source.Default, SpecialUseGuessed: true, Count: -1, Bytes: -1},
		{Path: []string{"Work"}, Name: paths[1], Kind: source.KindEvent, SpecialUse: source.Default, Count: -1, Bytes: -1},
		{Path: []string{"Team"}, Name: filepath.Join(dir, "Team", "*.vcf"), Kind: source.KindContact, Count: -1, Bytes: -1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Folders() =\n%+v\nwant\n%+v", got, want)
	}
	items := all(t, a)
	var keys []string
	for _, ref := range items[want[2].Name] {
		keys = append(keys, ref.Key)
	}
	if w := []string{"0.vcf/uid:team-0", "1.vcf/uid:team-1", "2.vcf/uid:team-2", "sub/deep.vcf/uid:team-deep"}; !slices.Equal(keys, w) {
		t.Errorf("directory keys = %q, want %q", keys, w)
	}
	keys = nil
	for _, ref := range items[paths[1]] {
		keys = append(keys, ref.Key)
	}
	if w := []string{"uid:weekly-1", "uid:outlook-1", "uid:allday-1", "uid:monthly-1"}; !slices.Equal(keys, w) {
		t.Errorf("calendar keys = %q, want %q", keys, w)
	}
}

func TestDefault(t *testing.T) {
	dir := t.TempDir()
	c := card("u", "U")
	tests := []struct {
		name  string
		files []string
		want  []string // the Default folders' names
	}{
		{"one of each kind", []string{"a/Friends.vcf", "b/Holidays.ics"}, []string{"Friends", "Holidays"}},
		{"several, one named contacts", []string{"Friends.vcf", "CONTACTS.vcf", "Family.vcf"}, []string{"CONTACTS"}},
		{"several, one named addressbook", []string{"x/AddressBook.vcf", "y/Work.vcf"}, []string{"AddressBook"}},
		{"several calendars, one named calendar", []string{"Calendar.ics", "Work.ics", "Friends.vcf"}, []string{"Calendar", "Friends"}},
		{"several, none named", []string{"Friends.vcf", "Family.vcf"}, nil},
		{"several named alike: the first, the other renamed", []string{"Contacts.vcf", "x/contacts.vcf"}, []string{"Contacts"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var paths []string
			for _, f := range tt.files {
				content := c
				if strings.HasSuffix(f, ".ics") {
					content = calendar(allDay)
				}
				paths = append(paths, write(t, filepath.Join(dir, fmt.Sprint(i), f), content))
			}
			folders, err := open(t, paths...).Folders(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range folders {
				if f.SpecialUse == source.Default {
					got = append(got, f.Path[0])
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Default folders = %q, want %q (folders %+v)", got, tt.want, folders)
			}
		})
	}
}

func TestSameNameTwice(t *testing.T) {
	dir := t.TempDir()
	a := write(t, filepath.Join(dir, "a", "Contacts.vcf"), card("1", "One"))
	b := write(t, filepath.Join(dir, "b", "Contacts.vcf"), card("2", "Two"))
	folders, err := open(t, a, b, a).Folders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range folders {
		names = append(names, f.Path[0])
	}
	if want := []string{"Contacts", "Contacts (2)"}; !slices.Equal(names, want) {
		t.Errorf("folder paths = %q, want %q: the same file once, display names unique", names, want)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	txt := write(t, filepath.Join(dir, "notes.txt"), "hello")
	missing := filepath.Join(dir, "gone.vcf")
	tests := []struct {
		name  string
		paths []string
		want  string
		is    error
	}{
		{"missing", []string{missing}, missing, os.ErrNotExist},
		{"other type", []string{txt}, txt, nil},
		{"none", nil, "no .vcf or .ics path", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(context.Background(), &Options{Paths: tt.paths})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open(%q) = %v, want an error naming %q", tt.paths, err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("Open(%q) = %v, want it to match %v", tt.paths, err, tt.is)
			}
		})
	}
	a := open(t, write(t, filepath.Join(dir, "x.vcf"), card("x", "X")))
	folders, _ := a.Folders(context.Background())
	if _, err := a.Open(context.Background(), folders[0], source.ItemRef{Key: "uid:nope"}); !errors.Is(err, source.ErrNotFound) {
		t.Errorf("Open(a key not in the file) = %v, want source.ErrNotFound", err)
	}
	bad := open(t, write(t, filepath.Join(dir, "bad.ics"), "this is no calendar\r\n"))
	folders, _ = bad.Folders(context.Background())
	for _, err := range bad.Items(context.Background(), folders[0]) {
		if err == nil || !strings.Contains(err.Error(), "bad.ics") {
			t.Errorf("Items(an .ics without VCALENDAR) = %v, want an error naming the file", err)
		}
		break
	}
	gone := write(t, filepath.Join(dir, "gone.ics"), calendar(allDay))
	removed := open(t, gone)
	folders, _ = removed.Folders(context.Background())
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	for _, err := range removed.Items(context.Background(), folders[0]) {
		if !errors.Is(err, source.ErrNotFound) {
			t.Errorf("Items(a file removed since Open) = %v, want source.ErrNotFound", err)
		}
		break
	}
	empty := open(t, write(t, filepath.Join(dir, "empty.ics"), ""))
	folders, _ = empty.Folders(context.Background())
	for _, err := range empty.Items(context.Background(), folders[0]) {
		t.Errorf("Items(an empty .ics) yielded %v, want nothing", err)
	}
}

// split lists a file's items and reads each.
func split(t *testing.T, name, content string) (refs []source.ItemRef, objects []string) {
	t.Helper()
	a := open(t, write(t, filepath.Join(t.TempDir(), name), content))
	folders, _ := a.Folders(context.Background())
	for ref, err := range a.Items(context.Background(), folders[0]) {
		if err != nil {
			t.Fatalf("Items() = %v", err)
		}
		b := readItem(t, a, folders[0], ref)
		if int64(len(b)) != ref.Size {
			t.Errorf("%s: Open yields %d bytes, Size is %d", ref.Key, len(b), ref.Size)
		}
		refs = append(refs, ref)
		objects = append(objects, string(b))
	}
	return refs, objects
}

func keysOf(refs []source.ItemRef) []string {
	var keys []string
	for _, r := range refs {
		keys = append(keys, r.Key)
	}
	return keys
}

func TestSplitVCards(t *testing.T) {
	a, b := card("a", "Anna"), card("b", "Bert")
	lf := strings.ReplaceAll(a, "\r\n", "\n")
	folded := "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Folded\r\n  Name\r\nUID:fold\r\n ed\r\nEND:VCARD\r\n"
	photo := "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Photo\r\nUID:photo\r\nPHOTO;ENCODING=b;TYPE=JPEG:" +
		strings.Repeat("QUJD\r\n ", 60000) + "QUJD\r\nEND:VCARD\r\n"
	long := "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Long\r\nUID:long\r\nNOTE:" + strings.Repeat("x", 100000) + "\r\nEND:VCARD\r\n"
	tests := []struct {
		name     string
		content  string
		keys     []string
		contents []string
	}{
		{"CRLF", a + b, []string{"uid:a", "uid:b"}, []string{a, b}},
		{"LF", lf, []string{"uid:a"}, []string{lf}},
		{"BOM", "\ufeff" + a + b, []string{"uid:a", "uid:b"}, []string{a, b}},
		{"no final newline", a + strings.TrimSuffix(b, "\r\n"), []string{"uid:a", "uid:b"}, []string{a, strings.TrimSuffix(b, "\r\n")}},
		{"folded UID", folded, []string{"uid:folded"}, []string{folded}},
		{"text between cards", "junk\r\n" + a + "\r\n\r\nmore junk\r\n" + b, []string{"uid:a", "uid:b"}, []string{a, b}},
		{"unterminated at the end", a + "BEGIN:VCARD\r\nFN:Cut\r\nUID:cut\r\n", []string{"uid:a", "uid:cut"}, []string{a, "BEGIN:VCARD\r\nFN:Cut\r\nUID:cut\r\n"}},
		{"unterminated before another", "BEGIN:VCARD\r\nFN:Cut\r\nUID:cut\r\n" + a, []string{"uid:cut", "uid:a"}, []string{"BEGIN:VCARD\r\nFN:Cut\r\nUID:cut\r\n", a}},
		{"lower case", strings.ReplaceAll(strings.ReplaceAll(a, "BEGIN:VCARD", "begin:vcard"), "END:VCARD", "End:VCard"), []string{"uid:a"}, nil},
		{"a folded photo longer than a line is kept", photo + a, []string{"uid:photo", "uid:a"}, []string{photo, a}},
		{"a line longer than the read buffer", long + a + long, []string{hashKeyOf(long), "uid:a", hashKeyOf(long) + "#2"}, []string{long, a, long}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refs, objects := split(t, "x.vcf", tt.content)
			if got := keysOf(refs); !slices.Equal(got, tt.keys) {
				t.Errorf("keys = %q, want %q", got, tt.keys)
			}
			if tt.contents != nil && !slices.Equal(objects, tt.contents) {
				t.Errorf("objects =\n%q\nwant\n%q", objects, tt.contents)
			}
		})
	}
}

func TestVCardKeysWithoutUniqueUID(t *testing.T) {
	noUID := card("", "Same")
	dup1, dup2 := card("dup", "One"), card("dup", "Two")
	refs, _ := split(t, "x.vcf", noUID+dup1+noUID+dup2+card("ok", "Ok"))
	keys := keysOf(refs)
	h := func(s string) string { return hashKeyOf(s) }
	want := []string{h(noUID), h(dup1), h(noUID) + "#2", h(dup2), "uid:ok"}
	if !slices.Equal(keys, want) {
		t.Errorf("keys = %q, want %q", keys, want)
	}
}

func hashKeyOf(s string) string {
	var k keyer
	return k.hashKey(sha256.Sum256([]byte(s)))
}

func TestSplitEvents(t *testing.T) {
	noUID := "BEGIN:VEVENT\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240101T100000Z\r\nSUMMARY:No UID\r\nEND:VEVENT\r\n"
	head := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//migrate//test//EN\r\nCALSCALE:GREGORIAN\r\n"
	tests := []struct {
		name     string
		content  string
		keys     []string
		contents []string
	}{
		{"series with overrides and its zone", calendar(zoneUnused, zoneBerlin, weekly, allDay, weeklyMoved, weeklyCancelled),
			[]string{"uid:weekly-1", "uid:allday-1"},
			[]string{head + zoneBerlin + weekly + weeklyMoved + weeklyCancelled + calEnd, head + allDay + calEnd}},
		{"quoted Windows TZID", calendar(zoneWindows, outlook), []string{"uid:outlook-1"}, []string{head + zoneWindows + outlook + calEnd}},
		{"METHOD kept, X-WR dropped", "BEGIN:VCALENDAR\r\nPRODID:p\r\nX-WR-CALNAME:Mine\r\nMETHOD:PUBLISH\r\nVERSION:2.0\r\n" + allDay + "END:VCALENDAR\r\n",
			[]string{"uid:allday-1"}, []string{calBegin + "PRODID:p\r\nMETHOD:PUBLISH\r\nVERSION:2.0\r\n" + allDay + calEnd}},
		{"LF and BOM", "\ufeff" + strings.ReplaceAll(calendar(allDay), "\r\n", "\n"), []string{"uid:allday-1"},
			[]string{calBegin + strings.ReplaceAll(strings.TrimPrefix(head, calBegin)+allDay, "\r\n", "\n") + calEnd}},
		{"no UID", calendar(noUID, allDay, noUID), []string{hashKeyOf(noUID), "uid:allday-1", hashKeyOf(noUID) + "#2"},
			[]string{head + noUID + calEnd, head + allDay + calEnd, head + noUID + calEnd}},
		{"VEVENT not closed", calendar(allDay, "BEGIN:VEVENT\r\nUID:cut\r\nSUMMARY:cut\r\n"), []string{"uid:allday-1", "uid:cut"},
			[]string{head + allDay + calEnd, head + "BEGIN:VEVENT\r\nUID:cut\r\nSUMMARY:cut\r\n" + calEnd}},
		{"file cut without newline", head + "BEGIN:VEVENT\r\nUID:cut\r\nSUMMARY:cut", []string{"uid:cut"},
			[]string{head + "BEGIN:VEVENT\r\nUID:cut\r\nSUMMARY:cut\r\n" + calEnd}},
		{"folded TZID and UID", calendar(zoneBerlin, "BEGIN:VEVENT\r\nUID:fo\r\n ld\r\nDTSTART;TZID=Europe/\r\n Berlin:20240101T100000\r\nEND:VEVENT\r\n"),
			[]string{"uid:fold"}, []string{head + zoneBerlin + "BEGIN:VEVENT\r\nUID:fo\r\n ld\r\nDTSTART;TZID=Europe/\r\n Berlin:20240101T100000\r\nEND:VEVENT\r\n" + calEnd}},
		{"two calendars in one file", calendar(allDay) + calendar(lastFriday), []string{"uid:allday-1", "uid:monthly-1"},
			[]string{head + allDay + calEnd, head + lastFriday + calEnd}},
		{"VTODO ignored", calendar("BEGIN:VTODO\r\nUID:todo\r\nEND:VTODO\r\n", allDay), []string{"uid:allday-1"}, []string{head + allDay + calEnd}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refs, objects := split(t, "x.ics", tt.content)
			if got := keysOf(refs); !slices.Equal(got, tt.keys) {
				t.Errorf("keys = %q, want %q", got, tt.keys)
			}
			if tt.contents != nil && !slices.Equal(objects, tt.contents) {
				t.Errorf("objects =\n%q\nwant\n%q", objects, tt.contents)
			}
		})
	}
}

// TestParsesAsWholeFile shows that the objects Open yields parse, one by
// one, to what the whole file parses to.
func TestParsesAsWholeFile(t *testing.T) {
	_, paths := seed(t)
	a := open(t, paths[:2]...)
	folders, _ := a.Folders(context.Background())
	whole, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	wantCards, bad, err := contacts.Parse(bytes.NewReader(whole))
	if err != nil || len(bad) > 0 {
		t.Fatalf("contacts.Parse(the whole file) = %v, %v", bad, err)
	}
	var gotCards []contacts.Card
	for ref, err := range a.Items(context.Background(), folders[0]) {
		if err != nil {
			t.Fatal(err)
		}
		cards, bad, err := contacts.Parse(bytes.NewReader(readItem(t, a, folders[0], ref)))
		if err != nil || len(bad) > 0 || len(cards) != 1 {
			t.Fatalf("contacts.Parse(%s) = %d cards, %v, %v", ref.Key, len(cards), bad, err)
		}
		gotCards = append(gotCards, cards[0])
	}
	if len(gotCards) != len(wantCards) {
		t.Fatalf("%d cards one by one, %d in the whole file", len(gotCards), len(wantCards))
	}
	for i := range wantCards {
		if !reflect.DeepEqual(gotCards[i].Card, wantCards[i].Card) {
			t.Errorf("card %d:\n%v\nwhole file:\n%v", i, gotCards[i].Card, wantCards[i].Card)
		}
	}

	whole, err = os.ReadFile(paths[1])
	if err != nil {
		t.Fatal(err)
	}
	wantCal, err := events.Parse(bytes.NewReader(whole))
	if err != nil || len(wantCal.Bad) > 0 {
		t.Fatalf("events.Parse(the whole file) = %v, %v", wantCal, err)
	}
	var n int
	for ref, err := range a.Items(context.Background(), folders[1]) {
		if err != nil {
			t.Fatal(err)
		}
		cal, err := events.Parse(bytes.NewReader(readItem(t, a, folders[1], ref)))
		if err != nil || len(cal.Bad) > 0 || len(cal.Groups) != 1 {
			t.Fatalf("events.Parse(%s) = %+v, %v", ref.Key, cal, err)
		}
		want := wantCal.Groups[n]
		n++
		got := cal.Groups[0]
		if "uid:"+want.UID != ref.Key || len(got.Overrides) != len(want.Overrides) {
			t.Errorf("%s: %d overrides, whole file: UID %s, %d overrides", ref.Key, len(got.Overrides), want.UID, len(want.Overrides))
		}
		gotEv, gotRep := events.Map(got)
		wantEv, wantRep := events.Map(want)
		if !reflect.DeepEqual(gotEv, wantEv) || !reflect.DeepEqual(gotRep, wantRep) {
			t.Errorf("%s maps to\n%+v %+v\nwhole file:\n%+v %+v", ref.Key, gotEv, gotRep, wantEv, wantRep)
		}
	}
	if n != len(wantCal.Groups) {
		t.Errorf("%d events one by one, %d in the whole file", n, len(wantCal.Groups))
	}
}

// TestKeysSurviveReordering rewrites the exports in another order (as a
// new export may): every object keeps its key and its bytes.
func TestKeysSurviveReordering(t *testing.T) {
	noUID := card("", "Nobody")
	vcfParts := []string{card("1", "One"), noUID, card("2", "Two"), noUID, card("dup", "A"), card("dup", "B")}
	icsParts := []string{zoneBerlin, weekly, allDay, weeklyMoved, lastFriday, weeklyCancelled}
	reversed := func(p []string) []string { r := slices.Clone(p); slices.Reverse(r); return r }
	contentsByKey := func(name, content string) map[string]string {
		refs, objs := split(t, name, content)
		m := map[string]string{}
		for i, r := range refs {
			m[r.Key] = objs[i]
		}
		return m
	}
	vcfBefore := contentsByKey("x.vcf", strings.Join(vcfParts, ""))
	vcfAfter := contentsByKey("x.vcf", strings.Join(reversed(vcfParts), ""))
	if !reflect.DeepEqual(vcfBefore, vcfAfter) {
		t.Errorf("vCard keys after reordering:\n%v\nbefore:\n%v", slices.Sorted(maps.Keys(vcfAfter)), slices.Sorted(maps.Keys(vcfBefore)))
	}
	// Overrides before their master change the order of an event's
	// VEVENTs, not its key.
	icsBefore := contentsByKey("x.ics", calendar(icsParts...))
	icsAfter := contentsByKey("x.ics", calendar(append([]string{zoneBerlin}, reversed(icsParts[1:])...)...))
	if !slices.Equal(slices.Sorted(maps.Keys(icsBefore)), slices.Sorted(maps.Keys(icsAfter))) {
		t.Errorf("event keys after reordering: %q, before: %q", slices.Sorted(maps.Keys(icsAfter)), slices.Sorted(maps.Keys(icsBefore)))
	}
}

func TestChangedFile(t *testing.T) {
	path := write(t, filepath.Join(t.TempDir(), "x.vcf"), card("a", "A")+card("b", "B"))
	a := open(t, path)
	folders, _ := a.Folders(context.Background())
	all(t, a)
	write(t, path, card("b", "Bert, renamed")+card("c", "C")+"\r\n")
	got := readItem(t, a, folders[0], source.ItemRef{Key: "uid:b"})
	if want := card("b", "Bert, renamed"); string(got) != want {
		t.Errorf("Open after the file changed = %q, want %q", got, want)
	}
	if _, err := a.Open(context.Background(), folders[0], source.ItemRef{Key: "uid:a"}); !errors.Is(err, source.ErrNotFound) {
		t.Errorf("Open(a card gone from the file) = %v, want source.ErrNotFound", err)
	}
}

// TestMemoryBounded scans and opens an .ics far larger than what the
// adapter may hold: 40 MB, with one unfolded 16 MB ATTACH line and
// thousands of events. The heap never grows by more than a few MB.
func TestMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 40 MB file")
	}
	path := filepath.Join(t.TempDir(), "big.ics")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(fh, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"+zoneBerlin)
	fmt.Fprint(fh, "BEGIN:VEVENT\r\nUID:big\r\nDTSTART;TZID=Europe/Berlin:20240101T100000\r\nATTACH;VALUE=BINARY;ENCODING=BASE64:")
	chunk := bytes.Repeat([]byte("QUJD"), 1<<18) // 1 MB
	for range 16 {
		fh.Write(chunk)
	}
	fmt.Fprint(fh, "\r\nEND:VEVENT\r\n")
	desc := "DESCRIPTION:" + strings.Repeat("x", 1000) + "\r\n"
	for i := 0; i < 22000; i++ {
		fmt.Fprintf(fh, "BEGIN:VEVENT\r\nUID:e%d\r\nDTSTART:20240101T100000Z\r\n%sEND:VEVENT\r\n", i, desc)
	}
	fmt.Fprint(fh, "END:VCALENDAR\r\n")
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}

	stop := testserver.HeapPeak(time.Millisecond)
	a := open(t, path)
	folders, _ := a.Folders(context.Background())
	var n int
	var big source.ItemRef
	for ref, err := range a.Items(context.Background(), folders[0]) {
		if err != nil {
			t.Fatal(err)
		}
		if ref.Key == "uid:big" {
			big = ref
		}
		n++
	}
	rc, err := a.Open(context.Background(), folders[0], big)
	if err != nil {
		t.Fatal(err)
	}
	copied, err := io.Copy(io.Discard, rc)
	rc.Close()
	grew := int64(stop())
	if err != nil || copied != big.Size || n != 22001 {
		t.Fatalf("read %d bytes of %d (%v), listed %d items, want 22001", copied, big.Size, err, n)
	}
	if grew > 24<<20 {
		t.Errorf("the heap grew by %d MB scanning and opening a 40 MB file, want it bounded (well under the file)", grew>>20)
	}
	t.Logf("heap grew by at most %.1f MB", float64(grew)/(1<<20))
}

// TestCorpus splits the project's own vCard and iCalendar seeds (the
// mapping packages' test files, with malformed objects among good ones,
// and the Radicale harness's directories of one object per file): parsed
// one by one, the objects give the cards, events and bad objects the
// whole files give.
func TestCorpus(t *testing.T) {
	var paths []string
	for _, glob := range []string{"../../migrate/contacts/testdata/*.vcf", "../../migrate/events/testdata/*.ics", "../testserver/seed/dav/*/*", "../../testdata/pim/*"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, m...)
	}
	if len(paths) < 8 {
		t.Fatalf("found only %q", paths)
	}
	for _, p := range paths {
		t.Run(filepath.ToSlash(p), func(t *testing.T) {
			a := open(t, p)
			folders, _ := a.Folders(context.Background())
			for _, f := range folders {
				var files []string
				if strings.HasSuffix(f.Name, "*.vcf") || strings.HasSuffix(f.Name, "*.ics") {
					files, _ = filepath.Glob(f.Name)
				} else {
					files = []string{f.Name}
				}
				var whole bytes.Buffer
				for _, file := range files {
					b, err := os.ReadFile(file)
					if err != nil {
						t.Fatal(err)
					}
					whole.Write(b)
					whole.WriteString("\r\n")
				}
				var objects [][]byte
				for ref, err := range a.Items(context.Background(), f) {
					if err != nil {
						t.Fatal(err)
					}
					objects = append(objects, readItem(t, a, f, ref))
				}
				if f.Kind == source.KindContact {
					compareCards(t, whole.Bytes(), objects)
				} else {
					compareEvents(t, whole.Bytes(), objects)
				}
			}
		})
	}
}

func compareCards(t *testing.T, whole []byte, objects [][]byte) {
	t.Helper()
	want, wantBad, err := contacts.Parse(bytes.NewReader(whole))
	if err != nil {
		t.Fatal(err)
	}
	var got []contacts.Card
	var gotBad int
	for _, o := range objects {
		cards, bad, err := contacts.Parse(bytes.NewReader(o))
		if err != nil || len(cards)+len(bad) != 1 {
			t.Errorf("object %q: %d cards, %d bad, %v; want one", o, len(cards), len(bad), err)
		}
		got, gotBad = append(got, cards...), gotBad+len(bad)
	}
	if len(got) != len(want) || gotBad != len(wantBad) {
		t.Fatalf("one by one: %d cards, %d bad; the whole file: %d, %d", len(got), gotBad, len(want), len(wantBad))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i].Card, want[i].Card) {
			t.Errorf("card %d:\n%v\nwhole file:\n%v", i, got[i].Card, want[i].Card)
		}
	}
}

func compareEvents(t *testing.T, whole []byte, objects [][]byte) {
	t.Helper()
	want, err := events.Parse(bytes.NewReader(whole))
	if err != nil {
		t.Fatal(err)
	}
	var got []*events.Group
	var gotBad int
	for _, o := range objects {
		cal, err := events.Parse(bytes.NewReader(o))
		if err != nil {
			t.Fatalf("object %q: %v", o, err)
		}
		got, gotBad = append(got, cal.Groups...), gotBad+len(cal.Bad)
	}
	if len(got) != len(want.Groups) || gotBad != len(want.Bad) {
		t.Fatalf("one by one: %d events, %d bad; the whole file: %d, %d (%v)", len(got), gotBad, len(want.Groups), len(want.Bad), want.Bad)
	}
	for i, w := range want.Groups {
		gotEv, gotRep := events.Map(got[i])
		wantEv, wantRep := events.Map(w)
		if got[i].UID != w.UID || !reflect.DeepEqual(gotEv, wantEv) || !reflect.DeepEqual(gotRep, wantRep) {
			t.Errorf("event %s maps to\n%+v %+v\nwhole file:\n%+v %+v", w.UID, gotEv, gotRep, wantEv, wantRep)
		}
	}
}
