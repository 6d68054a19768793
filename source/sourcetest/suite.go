package sourcetest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/textproto"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/source"
)

// Harness is what Run needs to check an adapter.
type Harness struct {
	// Open opens a session on the seeded account. Required. The account
	// holds at least one selectable folder of ItemKind (mail unless set)
	// with at least two items (an account of contacts and calendars only,
	// with ItemKind unset: an address book or calendar with two items);
	// the suite changes nothing in it, except through Expunge and Renumber.
	Open source.Opener
	// BadAuth opens the same account with credentials the source refuses;
	// nil skips the check that the error matches source.ErrAuth.
	BadAuth source.Opener
	// Unreachable opens an account where nothing answers; nil skips the
	// check that the error matches source.ErrConnect.
	Unreachable source.Opener
	// Expunge removes one item from the source behind the adapter's back,
	// as another client would; nil skips the not-found checks.
	Expunge func(t testing.TB, f source.Folder, ref source.ItemRef)
	// Renumber renumbers a folder (new validity, new keys), as a hoster
	// that rebuilds its indexes does; nil skips the renumbering checks.
	Renumber func(t testing.TB, f source.Folder)
	// MaxItems bounds how many items per folder the suite reads whole
	// (default 20).
	MaxItems int
	// ItemKind is the kind of folder the item checks pick (the one with
	// two items that Open says about "a selectable mail folder"); "" is
	// source.KindMessage. An adapter listing only address books or
	// calendars sets source.KindContact or source.KindEvent; the
	// mail-only checks (Headers) are then skipped.
	ItemKind source.Kind
}

func (h *Harness) itemKind() source.Kind {
	if h.ItemKind == "" {
		return source.KindMessage
	}
	return h.ItemKind
}

// Run checks an adapter against the contract of source.Account and its
// optional abilities, as written in package source:
//   - Folders lists named folders; keys are unique within a folder and
//     stable across listings and sessions, with the same size and date;
//   - Open streams exactly Size bytes, the same each time, and changes
//     nothing: no flag is added (no \Seen), no item goes away;
//   - a listing stopped early leaves the account usable;
//   - a HeaderReader gives the same fields as the items' own headers, and
//     leaves out items that are gone;
//   - errors come from the vocabulary: ErrAuth, ErrConnect, ErrNotFound
//     for a missing folder or item, ErrValidityChanged after renumbering;
//   - address books and calendars are flat, with at most one Default per
//     kind, and their items are one vCard or one iCalendar object.
//
// The checks that change the source (Expunge, Renumber) run last.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.Open == nil {
		t.Fatal("sourcetest.Run: Harness.Open is nil")
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) { c.fn(t, &h) })
	}
}

type check struct {
	name string
	fn   func(t testing.TB, h *Harness)
}

// checks are Run's checks, in order; the ones that change the source come
// last.
var checks = []check{
	{"FoldersAndStableKeys", checkStableKeys},
	{"OpenChangesNothing", checkOpenChangesNothing},
	{"StopListingEarly", checkStopEarly},
	{"Headers", checkHeaders},
	{"MissingFolder", checkMissingFolder},
	{"Credentials", checkCredentials},
	{"ContactsAndCalendars", checkContactsAndCalendars},
	{"Expunged", checkExpunged},
	{"Renumbered", checkRenumbered},
}

// listing is what one session lists: folders and their items.
type listing struct {
	folders []source.Folder
	items   map[string][]source.ItemRef // by folder name
}

func open(t testing.TB, h *Harness) source.Account {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	acct, err := h.Open(ctx)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	t.Cleanup(func() { acct.Close() })
	return acct
}

func list(t testing.TB, acct source.Account) listing {
	t.Helper()
	ctx := context.Background()
	folders, err := acct.Folders(ctx)
	if err != nil {
		t.Fatalf("Folders() = %v", err)
	}
	l := listing{folders: folders, items: map[string][]source.ItemRef{}}
	for _, f := range folders {
		if f.NoSelect {
			continue
		}
		for ref, err := range acct.Items(ctx, f) {
			if err != nil {
				t.Fatalf("Items(%q) = %v", f.Name, err)
			}
			l.items[f.Name] = append(l.items[f.Name], ref)
		}
	}
	return l
}

// mailFolder returns a selectable folder of the harness's ItemKind (mail
// by default) with at least two items or, with ItemKind unset in an
// account of contacts and calendars only (source/files, source/dav), an
// address book or calendar with at least two items.
func (l listing) mailFolder(t testing.TB, h *Harness) (source.Folder, []source.ItemRef) {
	t.Helper()
	kind := h.itemKind()
	mail := false
	for _, f := range l.folders {
		fk := f.Kind
		if fk == "" {
			fk = source.KindMessage
		}
		mail = mail || fk == source.KindMessage
		if !f.NoSelect && fk == kind && len(l.items[f.Name]) >= 2 {
			return f, l.items[f.Name]
		}
	}
	if !mail && h.ItemKind == "" {
		for _, f := range l.folders {
			if !f.NoSelect && len(l.items[f.Name]) >= 2 {
				return f, l.items[f.Name]
			}
		}
	}
	t.Fatalf("the harness's account has no %s folder with two items (folders: %d)", kind, len(l.folders))
	return source.Folder{}, nil
}

func checkStableKeys(t testing.TB, h *Harness) {
	acct := open(t, h)
	first := list(t, acct)
	if len(first.folders) == 0 {
		t.Fatal("Folders() listed no folder")
	}
	names := map[string]bool{}
	for _, f := range first.folders {
		if f.Name == "" || len(f.Path) == 0 {
			t.Errorf("folder %+v has no Name or Path", f)
		}
		if names[f.Name] {
			t.Errorf("folder %q listed twice", f.Name)
		}
		names[f.Name] = true
		keys := map[string]bool{}
		for _, ref := range first.items[f.Name] {
			if ref.Key == "" || keys[ref.Key] {
				t.Errorf("folder %q: key %q empty or listed twice", f.Name, ref.Key)
			}
			keys[ref.Key] = true
		}
	}
	first.mailFolder(t, h)
	again := list(t, acct)
	compareListings(t, "a second listing in the same session", first, again)
	acct.Close()
	other := list(t, open(t, h))
	compareListings(t, "a listing in a new session", first, other)
}

func compareListings(t testing.TB, what string, want, got listing) {
	t.Helper()
	for _, f := range want.folders {
		w, g := want.items[f.Name], got.items[f.Name]
		if len(w) != len(g) {
			t.Errorf("%s: folder %q lists %d items, first %d", what, f.Name, len(g), len(w))
			continue
		}
		for i := range w {
			if w[i].Key != g[i].Key || w[i].Size != g[i].Size || !w[i].Date.Equal(g[i].Date) {
				t.Errorf("%s: folder %q item %d is %s (%d bytes, %v), first %s (%d bytes, %v): keys must be stable",
					what, f.Name, i, g[i].Key, g[i].Size, g[i].Date, w[i].Key, w[i].Size, w[i].Date)
			}
		}
	}
}

func (h *Harness) maxItems() int {
	if h.MaxItems > 0 {
		return h.MaxItems
	}
	return 20
}

func read(t testing.TB, acct source.Account, f source.Folder, ref source.ItemRef) []byte {
	t.Helper()
	rc, err := acct.Open(context.Background(), f, ref)
	if err != nil {
		t.Fatalf("Open(%q, %s) = %v", f.Name, ref.Key, err)
	}
	b, err := io.ReadAll(rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("reading %q %s: %v", f.Name, ref.Key, err)
	}
	return b
}

func checkOpenChangesNothing(t testing.TB, h *Harness) {
	acct := open(t, h)
	before := list(t, acct)
	for _, f := range before.folders {
		refs := before.items[f.Name]
		for _, ref := range refs[:min(len(refs), h.maxItems())] {
			b := read(t, acct, f, ref)
			if ref.Size >= 0 && int64(len(b)) != ref.Size {
				t.Errorf("Open(%q, %s) streamed %d bytes, listed Size %d", f.Name, ref.Key, len(b), ref.Size)
			}
			if again := read(t, acct, f, ref); !bytes.Equal(b, again) {
				t.Errorf("Open(%q, %s) streamed different bytes the second time", f.Name, ref.Key)
			}
		}
	}
	acct.Close()
	after := list(t, open(t, h))
	compareListings(t, "after reading items", before, after)
	for _, f := range before.folders {
		for i, ref := range after.items[f.Name] {
			if i < len(before.items[f.Name]) && !sameFlags(before.items[f.Name][i].Flags, ref.Flags) {
				t.Errorf("folder %q item %s: flags %v after Open, %v before: Open must not change the source", f.Name, ref.Key, ref.Flags, before.items[f.Name][i].Flags)
			}
		}
	}
}

func sameFlags(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.EqualFunc(a, b, strings.EqualFold)
}

func checkStopEarly(t testing.TB, h *Harness) {
	acct := open(t, h)
	f, _ := list(t, acct).mailFolder(t, h)
	for _, err := range acct.Items(context.Background(), f) {
		if err != nil {
			t.Fatalf("Items(%q) = %v", f.Name, err)
		}
		break
	}
	if _, err := acct.Folders(context.Background()); err != nil {
		t.Fatalf("Folders() after a listing stopped early = %v, want the account usable", err)
	}
	again := list(t, acct)
	again.mailFolder(t, h)
}

// fields are the header fields checkHeaders asks for.
var fields = []string{"Message-Id", "Subject"}

func checkHeaders(t testing.TB, h *Harness) {
	acct := open(t, h)
	if h.itemKind() != source.KindMessage {
		t.Skip("header fields are a mail check; the harness's items are of kind " + string(h.itemKind()))
	}
	hr, ok := source.As[source.HeaderReader](acct)
	if !ok {
		t.Skip("the adapter has no source.HeaderReader")
	}
	f, refs := list(t, acct).mailFolder(t, h)
	refs = refs[:min(len(refs), h.maxItems())]
	got := map[string]textproto.MIMEHeader{}
	for ih, err := range hr.Headers(context.Background(), f, refs, fields) {
		if err != nil {
			t.Fatalf("Headers(%q) = %v", f.Name, err)
		}
		if got[ih.Key] != nil {
			t.Errorf("Headers(%q) gave %s twice", f.Name, ih.Key)
		}
		got[ih.Key] = ih.Header
	}
	for _, ref := range refs {
		want, _ := textproto.NewReader(bufio.NewReader(bytes.NewReader(read(t, acct, f, ref)))).ReadMIMEHeader()
		g, ok := got[ref.Key]
		if !ok {
			t.Errorf("Headers(%q) left out %s, which is there", f.Name, ref.Key)
			continue
		}
		for _, name := range fields {
			if strings.TrimSpace(g.Get(name)) != strings.TrimSpace(want.Get(name)) {
				t.Errorf("Headers(%q) %s %s = %q, the item's own header says %q", f.Name, ref.Key, name, g.Get(name), want.Get(name))
			}
		}
	}
}

func checkMissingFolder(t testing.TB, h *Harness) {
	acct := open(t, h)
	missing := source.Folder{Name: "sourcetest-no-such-folder", Path: []string{"sourcetest-no-such-folder"}, Kind: h.itemKind()}
	for _, err := range acct.Items(context.Background(), missing) {
		if !errors.Is(err, source.ErrNotFound) {
			t.Errorf("Items(a folder that does not exist) = %v, want an error matching source.ErrNotFound", err)
		}
		return
	}
	t.Error("Items(a folder that does not exist) yielded nothing, want an error matching source.ErrNotFound")
}

func checkCredentials(t testing.TB, h *Harness) {
	if h.BadAuth == nil && h.Unreachable == nil {
		t.Skip("the harness gives no BadAuth or Unreachable opener")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, c := range []struct {
		name     string
		open     source.Opener
		want     error
		wantName string
	}{{"BadAuth", h.BadAuth, source.ErrAuth, "source.ErrAuth"}, {"Unreachable", h.Unreachable, source.ErrConnect, "source.ErrConnect"}} {
		if c.open == nil {
			continue
		}
		acct, err := c.open(ctx)
		if err == nil {
			acct.Close()
			t.Errorf("%s: Open() succeeded, want an error matching %s", c.name, c.wantName)
			continue
		}
		if !errors.Is(err, c.want) {
			t.Errorf("%s: Open() = %v, want an error matching %s", c.name, err, c.wantName)
		}
	}
}

func checkExpunged(t testing.TB, h *Harness) {
	if h.Expunge == nil {
		t.Skip("the harness cannot expunge")
	}
	acct := open(t, h)
	f, refs := list(t, acct).mailFolder(t, h)
	gone := refs[len(refs)-1]
	h.Expunge(t, f, gone)
	if rc, err := acct.Open(context.Background(), f, gone); err == nil {
		rc.Close()
		t.Errorf("Open(an expunged item) succeeded, want an error matching source.ErrNotFound")
	} else if !errors.Is(err, source.ErrNotFound) {
		t.Errorf("Open(an expunged item) = %v, want an error matching source.ErrNotFound", err)
	}
	if hr, ok := source.As[source.HeaderReader](acct); ok {
		for ih, err := range hr.Headers(context.Background(), f, []source.ItemRef{refs[0], gone}, fields) {
			if err != nil {
				t.Fatalf("Headers(with an expunged item) = %v, want it left out", err)
			}
			if ih.Key == gone.Key {
				t.Errorf("Headers(with an expunged item) gave it, want it left out")
			}
		}
	}
	for ref, err := range acct.Items(context.Background(), f) {
		if err != nil {
			t.Fatalf("Items(%q) = %v", f.Name, err)
		}
		if ref.Key == gone.Key {
			t.Errorf("Items(%q) still lists the expunged %s", f.Name, gone.Key)
		}
	}
}

func checkRenumbered(t testing.TB, h *Harness) {
	if h.Renumber == nil {
		t.Skip("the harness cannot renumber")
	}
	acct := open(t, h)
	f, refs := list(t, acct).mailFolder(t, h)
	acct.Close()
	h.Renumber(t, f)
	acct = open(t, h)
	if f.Validity != "" {
		for _, err := range acct.Items(context.Background(), f) {
			if !errors.Is(err, source.ErrValidityChanged) {
				t.Errorf("Items(a renumbered folder, old validity) = %v, want an error matching source.ErrValidityChanged", err)
			}
			break
		}
	}
	if rc, err := acct.Open(context.Background(), f, refs[0]); err == nil {
		rc.Close()
		t.Errorf("Open(an item keyed before renumbering) succeeded, want an error matching source.ErrValidityChanged")
	} else if !errors.Is(err, source.ErrValidityChanged) {
		t.Errorf("Open(an item keyed before renumbering) = %v, want an error matching source.ErrValidityChanged", err)
	}
	now := list(t, acct)
	now.mailFolder(t, h)
	for _, g := range now.folders {
		if g.Name == f.Name && g.Validity == f.Validity && f.Validity != "" {
			t.Errorf("folder %q: validity %s unchanged after renumbering", f.Name, g.Validity)
		}
	}
}
