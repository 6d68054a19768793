package sourcetest

import (
	"bytes"
	"testing"

	"github.com/migrate-tool/migrate/source"
)

// checkContactsAndCalendars checks the conventions of address books and
// calendars (package source's Folder and Kind): a flat Path of one name,
// at most one source.Default per kind and no other role,
// and items that are one vCard (BEGIN:VCARD) or one iCalendar object
// (BEGIN:VCALENDAR), as Kind.ContentType says.
func checkContactsAndCalendars(t testing.TB, h *Harness) {
	acct := open(t, h)
	l := list(t, acct)
	defaults := map[source.Kind]int{}
	pim := false
	for _, f := range l.folders {
		var begin string
		switch f.Kind {
		case source.KindContact:
			begin = "BEGIN:VCARD"
		case source.KindEvent:
			begin = "BEGIN:VCALENDAR"
		default:
			continue
		}
		pim = true
		if len(f.Path) != 1 {
			t.Errorf("%s folder %q: Path %q, want one name (address books and calendars are flat)", f.Kind, f.Name, f.Path)
		}
		switch f.SpecialUse {
		case source.Default:
			if defaults[f.Kind]++; defaults[f.Kind] == 2 {
				t.Errorf("%s folder %q: a second source.Default of its kind, want at most one", f.Kind, f.Name)
			}
		case "":
		default:
			t.Errorf("%s folder %q: SpecialUse %s, want source.Default or none", f.Kind, f.Name, f.SpecialUse)
		}
		refs := l.items[f.Name]
		for _, ref := range refs[:min(len(refs), h.maxItems())] {
			b := bytes.TrimLeft(bytes.TrimPrefix(read(t, acct, f, ref), []byte("\ufeff")), " \t\r\n")
			if len(b) < len(begin) || !bytes.EqualFold(b[:len(begin)], []byte(begin)) {
				t.Errorf("%s folder %q item %s starts with %q, want %s (%s)", f.Kind, f.Name, ref.Key, b[:min(len(b), 20)], begin, f.Kind.ContentType())
			}
		}
	}
	if !pim {
		t.Skip("the account has no address book or calendar")
	}
}
