package state

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// t0 is the fixed time tests start from; the store keeps microseconds, so
// fixtures use whole seconds.
var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

// fixedClock is Options.Now for tests: it always returns t0.
func fixedClock() time.Time { return t0 }

// openTest opens a ReadWrite store in a new temporary directory (or at path
// when not empty) with the fixed clock, closed at the end of the test.
func openTest(t testing.TB, path string, opts *Options) *sqliteStore {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), ".migrate", "state.db")
	}
	if opts == nil {
		opts = &Options{Now: fixedClock}
	}
	st, err := Open(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("Open(%q, %+v) = %v", path, opts, err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
	})
	return st.(*sqliteStore)
}

// seed stores the mailboxes and folders the item tests refer to.
func seed(t testing.TB, st Store) {
	t.Helper()
	ctx := context.Background()
	for _, m := range []string{"alice@example.org", "bob@example.org"} {
		if err := st.PutMailbox(ctx, Mailbox{ID: m, SourceAddress: m, TargetAddress: m, Protocol: "imap", Status: StatusPending}); err != nil {
			t.Fatalf("PutMailbox(%q) = %v", m, err)
		}
		for _, f := range []string{"INBOX", "Sent"} {
			if err := st.PutFolder(ctx, Folder{Mailbox: m, SourcePath: f, TargetPath: f}); err != nil {
				t.Fatalf("PutFolder(%q, %q) = %v", m, f, err)
			}
		}
	}
}

func TestProjectRoundTrip(t *testing.T) {
	ctx := context.Background()
	st := openTest(t, "", nil)
	if _, err := st.Project(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Project() on a new state = %v, want ErrNotFound", err)
	}
	tests := []struct {
		name string
		set  Project
		want Project
	}{
		{"first set keeps given CreatedAt", Project{Name: "acme", ConfigFingerprint: "sha256:aa", CreatedAt: at(5)},
			Project{Name: "acme", ConfigFingerprint: "sha256:aa", CreatedAt: at(5)}},
		{"later set keeps first CreatedAt", Project{Name: "acme2", ConfigFingerprint: "sha256:bb", CreatedAt: at(99)},
			Project{Name: "acme2", ConfigFingerprint: "sha256:bb", CreatedAt: at(5)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := st.SetProject(ctx, tt.set); err != nil {
				t.Fatalf("SetProject() = %v", err)
			}
			got, err := st.Project(ctx)
			if err != nil {
				t.Fatalf("Project() = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Project() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProjectDefaultCreatedAt(t *testing.T) {
	ctx := context.Background()
	st := openTest(t, "", nil)
	if err := st.SetProject(ctx, Project{Name: "p"}); err != nil {
		t.Fatalf("SetProject() = %v", err)
	}
	got, err := st.Project(ctx)
	if err != nil {
		t.Fatalf("Project() = %v", err)
	}
	if want := (Project{Name: "p", CreatedAt: t0}); !cmp.Equal(want, got) {
		t.Errorf("Project() = %+v, want %+v", got, want)
	}
}

func TestMailboxRoundTrip(t *testing.T) {
	ctx := context.Background()
	st := openTest(t, "", nil)
	puts := []Mailbox{
		{ID: "b@x", SourceAddress: "b@x", TargetAddress: "b@y", Protocol: "pop3", Status: StatusPending, UpdatedAt: at(1)},
		{ID: "a@x", SourceAddress: "a@x", TargetAddress: "a@y", Protocol: "imap", Status: StatusFailed, Reason: "login refused", UpdatedAt: at(2)},
		{ID: "b@x", SourceAddress: "b@x", TargetAddress: "b2@y", Protocol: "pop3", Status: StatusMigrated, UpdatedAt: at(3)},
		{ID: "c@x", Status: StatusSkipped, Reason: "excluded"}, // UpdatedAt filled by the clock
	}
	for _, m := range puts {
		if err := st.PutMailbox(ctx, m); err != nil {
			t.Fatalf("PutMailbox(%q) = %v", m.ID, err)
		}
	}
	want := []Mailbox{puts[1], puts[2], {ID: "c@x", Status: StatusSkipped, Reason: "excluded", UpdatedAt: t0}}
	got, err := st.Mailboxes(ctx)
	if err != nil {
		t.Fatalf("Mailboxes() = %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Mailboxes() mismatch (-want +got):\n%s", diff)
	}
	one, ok, err := st.Mailbox(ctx, "b@x")
	if err != nil || !ok {
		t.Fatalf("Mailbox(b@x) = %v, %v", ok, err)
	}
	if diff := cmp.Diff(puts[2], one); diff != "" {
		t.Errorf("Mailbox(b@x) mismatch (-want +got):\n%s", diff)
	}
	if _, ok, err := st.Mailbox(ctx, "nobody"); ok || err != nil {
		t.Errorf("Mailbox(nobody) = %v, %v; want false, nil", ok, err)
	}
}

func TestFolderRoundTrip(t *testing.T) {
	ctx := context.Background()
	st := openTest(t, "", nil)
	if err := st.PutMailbox(ctx, Mailbox{ID: "a", Status: StatusPending}); err != nil {
		t.Fatalf("PutMailbox() = %v", err)
	}
	puts := []Folder{
		{Mailbox: "a", SourcePath: "Sent", TargetPath: "Sent Items", TargetID: "AAMk1", Validity: "", UpdatedAt: at(1)},
		{Mailbox: "a", SourcePath: "INBOX", TargetPath: "Inbox", Validity: "1700000000", Cursor: "10", UpdatedAt: at(2)},
		{Mailbox: "a", SourcePath: "INBOX", TargetPath: "Inbox", TargetID: "AAMk2", Validity: "1700000000", Cursor: "42", UpdatedAt: at(3)},
		{Mailbox: "a", SourcePath: "Sent", TargetPath: "Sent Items", TargetID: "AAMk1", Validity: "55", Cursor: "7", UpdatedAt: at(4)}, // "" -> 55 is allowed
	}
	for _, f := range puts {
		if err := st.PutFolder(ctx, f); err != nil {
			t.Fatalf("PutFolder(%q) = %v", f.SourcePath, err)
		}
	}
	got, err := st.Folders(ctx, "a")
	if err != nil {
		t.Fatalf("Folders() = %v", err)
	}
	if diff := cmp.Diff([]Folder{puts[2], puts[3]}, got); diff != "" {
		t.Errorf("Folders() mismatch (-want +got):\n%s", diff)
	}
	if got, err := st.Folders(ctx, "other"); err != nil || len(got) != 0 {
		t.Errorf("Folders(other) = %v, %v; want none", got, err)
	}
}

func TestWriteErrors(t *testing.T) {
	ctx := context.Background()
	st := openTest(t, "", nil)
	seed(t, st)
	good := Item{Mailbox: "alice@example.org", Folder: "INBOX", SourceKey: "1", Status: StatusPending}
	with := func(f func(*Item)) Item { it := good; f(&it); return it }
	tests := []struct {
		name string
		do   func() error
		want error
	}{
		{"mailbox without ID", func() error { return st.PutMailbox(ctx, Mailbox{Status: StatusPending}) }, ErrInvalid},
		{"mailbox bad status", func() error { return st.PutMailbox(ctx, Mailbox{ID: "x", Status: "done"}) }, ErrInvalid},
		{"mailbox empty status", func() error { return st.PutMailbox(ctx, Mailbox{ID: "x"}) }, ErrInvalid},
		{"folder without path", func() error { return st.PutFolder(ctx, Folder{Mailbox: "alice@example.org"}) }, ErrInvalid},
		{"folder of unknown mailbox", func() error { return st.PutFolder(ctx, Folder{Mailbox: "nobody", SourcePath: "INBOX"}) }, ErrNotFound},
		{"item without key", func() error { return st.PutItem(ctx, with(func(i *Item) { i.SourceKey = "" })) }, ErrInvalid},
		{"item bad status", func() error { return st.PutItem(ctx, with(func(i *Item) { i.Status = "ok" })) }, ErrInvalid},
		{"item negative size", func() error { return st.PutItem(ctx, with(func(i *Item) { i.Bytes = -1 })) }, ErrInvalid},
		{"item retired", func() error { return st.PutItem(ctx, with(func(i *Item) { i.RetiredValidity = "1" })) }, ErrInvalid},
		{"item of unknown folder", func() error { return st.PutItem(ctx, with(func(i *Item) { i.Folder = "Trash" })) }, ErrNotFound},
		{"item of unknown mailbox", func() error { return st.PutItem(ctx, with(func(i *Item) { i.Mailbox = "nobody" })) }, ErrNotFound},
		{"batch with unknown folder", func() error {
			return st.PutItems(ctx, []Item{good, with(func(i *Item) { i.SourceKey = "2"; i.Folder = "Trash" })})
		}, ErrNotFound},
		{"batch with invalid item", func() error {
			return st.PutItems(ctx, []Item{good, with(func(i *Item) { i.SourceKey = "" })})
		}, ErrInvalid},
		{"end unknown run", func() error { return st.EndRun(ctx, 42, "ok", t0) }, ErrNotFound},
		{"replace validity of unknown folder", func() error {
			_, err := st.ReplaceFolderValidity(ctx, "alice@example.org", "Trash", "2")
			return err
		}, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); !errors.Is(err, tt.want) {
				t.Errorf("got error %v, want %v", err, tt.want)
			}
		})
	}
	// A failed batch stores nothing, not even the good items before the bad one.
	if _, ok, err := st.Item(ctx, good.Mailbox, good.Folder, good.SourceKey); ok || err != nil {
		t.Errorf("Item() after failed batches = %v, %v; want nothing stored", ok, err)
	}
}

func TestItemUpsert(t *testing.T) {
	key := Item{Mailbox: "alice@example.org", Folder: "INBOX", SourceKey: "17", Kind: KindMessage}
	put := func(f func(*Item)) Item { it := key; f(&it); return it }
	tests := []struct {
		name string
		puts []Item
		want Item
	}{
		{
			name: "first put sets FirstSeen from UpdatedAt",
			puts: []Item{put(func(i *Item) { i.Status = StatusPending; i.Bytes = 100; i.UpdatedAt = at(1) })},
			want: put(func(i *Item) { i.Status = StatusPending; i.Bytes = 100; i.FirstSeen = at(1); i.UpdatedAt = at(1) }),
		},
		{
			name: "first put keeps a given FirstSeen",
			puts: []Item{put(func(i *Item) { i.Status = StatusPending; i.FirstSeen = at(-5); i.UpdatedAt = at(1) })},
			want: put(func(i *Item) { i.Status = StatusPending; i.FirstSeen = at(-5); i.UpdatedAt = at(1) }),
		},
		{
			name: "zero times come from the clock",
			puts: []Item{put(func(i *Item) { i.Status = StatusPending })},
			want: put(func(i *Item) { i.Status = StatusPending; i.FirstSeen = t0; i.UpdatedAt = t0 }),
		},
		{
			name: "outcomes count attempts, FirstSeen kept, fields replaced",
			puts: []Item{
				put(func(i *Item) { i.Status = StatusPending; i.Bytes = 100; i.Fingerprint = "h1"; i.UpdatedAt = at(1) }),
				put(func(i *Item) { i.Status = StatusFailed; i.Reason = "429"; i.Bytes = 100; i.UpdatedAt = at(2) }),
				put(func(i *Item) {
					i.Status = StatusMigrated
					i.TargetID = "AAMkT"
					i.Fingerprint = "h2"
					i.Bytes = 120
					i.FirstSeen = at(50)
					i.UpdatedAt = at(3)
				}),
			},
			want: put(func(i *Item) {
				i.Status = StatusMigrated
				i.TargetID = "AAMkT"
				i.Fingerprint = "h2"
				i.Bytes = 120
				i.Attempts = 2
				i.FirstSeen = at(1)
				i.UpdatedAt = at(3)
			}),
		},
		{
			name: "given Attempts ignored; pending and skipped do not count",
			puts: []Item{
				put(func(i *Item) { i.Status = StatusFailed; i.Attempts = 99; i.UpdatedAt = at(1) }),
				put(func(i *Item) { i.Status = StatusPending; i.Attempts = 99; i.UpdatedAt = at(2) }),
				put(func(i *Item) { i.Status = StatusSkipped; i.Reason = "too big"; i.UpdatedAt = at(3) }),
			},
			want: put(func(i *Item) {
				i.Status = StatusSkipped
				i.Reason = "too big"
				i.Attempts = 1
				i.FirstSeen = at(1)
				i.UpdatedAt = at(3)
			}),
		},
	}
	for _, batch := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/batch=%v", tt.name, batch), func(t *testing.T) {
				ctx := context.Background()
				st := openTest(t, "", nil)
				seed(t, st)
				for _, it := range tt.puts {
					var err error
					if batch {
						err = st.PutItems(ctx, []Item{it})
					} else {
						err = st.PutItem(ctx, it)
					}
					if err != nil {
						t.Fatalf("put %+v = %v", it, err)
					}
				}
				got, ok, err := st.Item(ctx, key.Mailbox, key.Folder, key.SourceKey)
				if err != nil || !ok {
					t.Fatalf("Item() = %v, %v", ok, err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("Item() mismatch (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestPutItemsRepeatedKeyInBatch(t *testing.T) {
	ctx := context.Background()
	st := openTest(t, "", nil)
	seed(t, st)
	k := Item{Mailbox: "alice@example.org", Folder: "INBOX", SourceKey: "1"}
	a, b := k, k
	a.Status, a.UpdatedAt = StatusFailed, at(1)
	b.Status, b.UpdatedAt, b.TargetID = StatusMigrated, at(2), "T"
	if err := st.PutItems(ctx, []Item{a, b}); err != nil {
		t.Fatalf("PutItems() = %v", err)
	}
	got, _, err := st.Item(ctx, k.Mailbox, k.Folder, k.SourceKey)
	if err != nil {
		t.Fatalf("Item() = %v", err)
	}
	want := b
	want.Attempts, want.FirstSeen = 2, at(1)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Item() mismatch (-want +got):\n%s", diff)
	}
}

// itemFixture returns n items spread over two mailboxes and two folders, with
// statuses and fingerprints cycling.
func itemFixture(n int) []Item {
	mailboxes := []string{"alice@example.org", "bob@example.org"}
	folders := []string{"INBOX", "Sent"}
	statuses := Statuses()
	out := make([]Item, 0, n)
	for i := range n {
		st := statuses[i%len(statuses)]
		it := Item{
			Mailbox:     mailboxes[i%2],
			Folder:      folders[(i/2)%2],
			SourceKey:   fmt.Sprintf("%06d", i),
			Kind:        KindMessage,
			Fingerprint: fmt.Sprintf("h%d", i%7),
			Status:      st,
			Bytes:       int64(i),
			FirstSeen:   at(i),
			UpdatedAt:   at(i),
		}
		if st == StatusMigrated || st == StatusFailed {
			it.Attempts = 1
		}
		if st == StatusMigrated {
			it.TargetID = "T" + it.SourceKey
		}
		out = append(out, it)
	}
	return out
}

func collect(t *testing.T, seq func(func(Item, error) bool)) []Item {
	t.Helper()
	var out []Item
	for it, err := range seq {
		if err != nil {
			t.Fatalf("Items() yielded error %v", err)
		}
		out = append(out, it)
	}
	return out
}

func TestItemsQuery(t *testing.T) {
	ctx := context.Background()
	st := openTest(t, "", nil)
	seed(t, st)
	all := itemFixture(3*pageSize + 17) // several pages
	if err := st.PutItems(ctx, all); err != nil {
		t.Fatalf("PutItems() = %v", err)
	}
	// want filters the fixture and sorts it the way Items orders.
	want := func(keep func(Item) bool) []Item {
		var out []Item
		for _, m := range []string{"alice@example.org", "bob@example.org"} {
			for _, f := range []string{"INBOX", "Sent"} {
				for _, it := range all { // fixture keys ascend already
					if it.Mailbox == m && it.Folder == f && keep(it) {
						out = append(out, it)
					}
				}
			}
		}
		return out
	}
	tests := []struct {
		name string
		q    ItemQuery
		keep func(Item) bool
	}{
		{"all", ItemQuery{}, func(Item) bool { return true }},
		{"mailbox", ItemQuery{Mailbox: "bob@example.org"}, func(i Item) bool { return i.Mailbox == "bob@example.org" }},
		{"mailbox and folder", ItemQuery{Mailbox: "alice@example.org", Folder: "Sent"},
			func(i Item) bool { return i.Mailbox == "alice@example.org" && i.Folder == "Sent" }},
		{"status", ItemQuery{Status: StatusFailed}, func(i Item) bool { return i.Status == StatusFailed }},
		{"mailbox and status", ItemQuery{Mailbox: "alice@example.org", Status: StatusPending},
			func(i Item) bool { return i.Mailbox == "alice@example.org" && i.Status == StatusPending }},
		{"fingerprint", ItemQuery{Mailbox: "bob@example.org", Fingerprint: "h3"},
			func(i Item) bool { return i.Mailbox == "bob@example.org" && i.Fingerprint == "h3" }},
		{"nothing", ItemQuery{Mailbox: "nobody"}, func(Item) bool { return false }},
		{"retired (none yet)", ItemQuery{Retired: true}, func(Item) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := collect(t, st.Items(ctx, tt.q))
			if diff := cmp.Diff(want(tt.keep), got); diff != "" {
				t.Errorf("Items(%+v) mismatch (-want +got):\n%s", tt.q, diff)
			}
		})
	}
}

func TestItemsWriteWhileIterating(t *testing.T) {
	ctx := context.Background()
	st := openTest(t, "", nil)
	seed(t, st)
	var pending []Item
	for i := range 2*pageSize + 3 {
		pending = append(pending, Item{Mailbox: "alice@example.org", Folder: "INBOX", SourceKey: fmt.Sprintf("%05d", i), Status: StatusPending})
	}
	if err := st.PutItems(ctx, pending); err != nil {
		t.Fatalf("PutItems() = %v", err)
	}
	seen := 0
	for it, err := range st.Items(ctx, ItemQuery{Mailbox: "alice@example.org", Status: StatusPending}) {
		if err != nil {
			t.Fatalf("Items() error %v", err)
		}
		seen++
		it.Status, it.TargetID = StatusMigrated, "T"+it.SourceKey
		if err := st.PutItem(ctx, it); err != nil {
			t.Fatalf("PutItem() inside Items loop = %v", err)
		}
	}
	if seen != len(pending) {
		t.Errorf("visited %d pending items, want %d", seen, len(pending))
	}
	sum, err := st.Summary(ctx, "alice@example.org")
	if err != nil {
		t.Fatalf("Summary() = %v", err)
	}
	if want := (Counts{Items: int64(len(pending))}); sum[StatusMigrated] != want || sum[StatusPending] != (Counts{}) {
		t.Errorf("Summary() = %+v, want all %d migrated", sum, len(pending))
	}
}

func TestItemsBreakAndCancel(t *testing.T) {
	st := openTest(t, "", nil)
	seed(t, st)
	if err := st.PutItems(context.Background(), itemFixture(2*pageSize)); err != nil {
		t.Fatalf("PutItems() = %v", err)
	}
	// Breaking out early many times must not leak reader connections.
	for range 3 * readConns {
		n := 0
		for _, err := range st.Items(context.Background(), ItemQuery{}) {
			if err != nil {
				t.Fatalf("Items() error %v", err)
			}
			if n++; n == 3 {
				break
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n, gotErr := 0, error(nil)
	for _, err := range st.Items(ctx, ItemQuery{}) {
		if err != nil {
			gotErr = err
			continue // the iterator must stop by itself after an error
		}
		if n++; n == 10 {
			cancel()
		}
	}
	if !errors.Is(gotErr, context.Canceled) || n != 10 {
		t.Errorf("after cancel: %d items, error %v; want 10 items and context.Canceled", n, gotErr)
	}
}

func TestSummary(t *testing.T) {
	ctx := context.Background()
	st := openTest(t, "", nil)
	seed(t, st)
	empty, err := st.Summary(ctx, "")
	if err != nil {
		t.Fatalf("Summary() = %v", err)
	}
	if diff := cmp.Diff(map[Status]Counts{StatusPending: {}, StatusMigrated: {}, StatusSkipped: {}, StatusFailed: {}}, empty); diff != "" {
		t.Errorf("Summary() of empty state mismatch (-want +got):\n%s", diff)
	}
	items := itemFixture(40)
	if err := st.PutItems(ctx, items); err != nil {
		t.Fatalf("PutItems() = %v", err)
	}
	for _, mb := range []string{"", "alice@example.org", "bob@example.org", "nobody"} {
		want := map[Status]Counts{StatusPending: {}, StatusMigrated: {}, StatusSkipped: {}, StatusFailed: {}}
		for _, it := range items {
			if mb == "" || it.Mailbox == mb {
				c := want[it.Status]
				c.Items++
				c.Bytes += it.Bytes
				want[it.Status] = c
			}
		}
		got, err := st.Summary(ctx, mb)
		if err != nil {
			t.Fatalf("Summary(%q) = %v", mb, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Summary(%q) mismatch (-want +got):\n%s", mb, diff)
		}
	}
}

func TestRuns(t *testing.T) {
	ctx := context.Background()
	st := openTest(t, "", nil)
	id1, err := st.StartRun(ctx, Run{ID: 77, StartedAt: at(1), Command: "migrate run", Host: "h1", PID: 10})
	if err != nil {
		t.Fatalf("StartRun() = %v", err)
	}
	id2, err := st.StartRun(ctx, Run{Command: "migrate run --mailbox a", Host: "h2", PID: 11})
	if err != nil {
		t.Fatalf("StartRun() = %v", err)
	}
	if id1 == 77 || id2 <= id1 {
		t.Fatalf("StartRun() ids = %d, %d; want store-assigned increasing ids", id1, id2)
	}
	if err := st.EndRun(ctx, id1, "ok", at(9)); err != nil {
		t.Fatalf("EndRun() = %v", err)
	}
	got, err := st.Runs(ctx)
	if err != nil {
		t.Fatalf("Runs() = %v", err)
	}
	want := []Run{
		{ID: id1, StartedAt: at(1), EndedAt: at(9), Command: "migrate run", Outcome: "ok", Host: "h1", PID: 10},
		{ID: id2, StartedAt: t0, Command: "migrate run --mailbox a", Host: "h2", PID: 11}, // still running (or killed)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Runs() mismatch (-want +got):\n%s", diff)
	}
}

func TestValidityChange(t *testing.T) {
	ctx := context.Background()
	st := openTest(t, "", nil)
	seed(t, st)
	const mb = "alice@example.org"
	inbox := Folder{Mailbox: mb, SourcePath: "INBOX", TargetPath: "Inbox", TargetID: "F1", Validity: "100", Cursor: "3"}
	if err := st.PutFolder(ctx, inbox); err != nil {
		t.Fatalf("PutFolder() = %v", err)
	}
	old := []Item{
		{Mailbox: mb, Folder: "INBOX", SourceKey: "1", Fingerprint: "hA", Status: StatusMigrated, TargetID: "TA", UpdatedAt: at(1)},
		{Mailbox: mb, Folder: "INBOX", SourceKey: "2", Fingerprint: "hB", Status: StatusFailed, Reason: "x", UpdatedAt: at(1)},
		{Mailbox: mb, Folder: "INBOX", SourceKey: "3", Fingerprint: "hC", Status: StatusPending, UpdatedAt: at(1)},
	}
	other := Item{Mailbox: mb, Folder: "Sent", SourceKey: "1", Fingerprint: "hA", Status: StatusMigrated, TargetID: "TS", UpdatedAt: at(1)}
	if err := st.PutItems(ctx, append(old, other)); err != nil {
		t.Fatalf("PutItems() = %v", err)
	}

	// PutFolder refuses to change the validity silently.
	changed := inbox
	changed.Validity = "200"
	if err := st.PutFolder(ctx, changed); !errors.Is(err, ErrValidityChanged) {
		t.Fatalf("PutFolder(new validity) = %v, want ErrValidityChanged", err)
	}
	cleared := inbox
	cleared.Validity = ""
	if err := st.PutFolder(ctx, cleared); !errors.Is(err, ErrValidityChanged) {
		t.Fatalf("PutFolder(empty validity) = %v, want ErrValidityChanged", err)
	}
	if n, err := st.ReplaceFolderValidity(ctx, mb, "INBOX", "100"); n != 0 || err != nil {
		t.Fatalf("ReplaceFolderValidity(same) = %d, %v; want 0, nil", n, err)
	}

	n, err := st.ReplaceFolderValidity(ctx, mb, "INBOX", "200")
	if err != nil || n != int64(len(old)) {
		t.Fatalf("ReplaceFolderValidity() = %d, %v; want %d, nil", n, err, len(old))
	}
	folders, err := st.Folders(ctx, mb)
	if err != nil {
		t.Fatalf("Folders() = %v", err)
	}
	wantInbox := inbox
	wantInbox.Validity, wantInbox.Cursor, wantInbox.UpdatedAt = "200", "", t0
	if diff := cmp.Diff(wantInbox, folders[0]); diff != "" {
		t.Errorf("folder after ReplaceFolderValidity mismatch (-want +got):\n%s", diff)
	}
	if got := collect(t, st.Items(ctx, ItemQuery{Mailbox: mb, Folder: "INBOX"})); len(got) != 0 {
		t.Errorf("live INBOX items after ReplaceFolderValidity = %+v, want none", got)
	}
	var wantRetired []Item
	for _, it := range old {
		it.RetiredValidity, it.FirstSeen = "100", it.UpdatedAt
		if it.Status == StatusMigrated || it.Status == StatusFailed {
			it.Attempts = 1
		}
		wantRetired = append(wantRetired, it)
	}
	if diff := cmp.Diff(wantRetired, collect(t, st.Items(ctx, ItemQuery{Mailbox: mb, Folder: "INBOX", Retired: true}))); diff != "" {
		t.Errorf("retired items mismatch (-want +got):\n%s", diff)
	}
	sum, err := st.Summary(ctx, mb)
	if err != nil {
		t.Fatalf("Summary() = %v", err)
	}
	if sum[StatusMigrated].Items != 1 || sum[StatusFailed].Items != 0 || sum[StatusPending].Items != 0 {
		t.Errorf("Summary() after retirement = %+v, want only the Sent item", sum)
	}

	// The caller's re-enumeration: new UID 1 now holds old message "hA",
	// found by fingerprint among the retired items and not uploaded again.
	matches := collect(t, st.Items(ctx, ItemQuery{Mailbox: mb, Folder: "INBOX", Fingerprint: "hA", Retired: true}))
	if len(matches) != 1 || matches[0].TargetID != "TA" || matches[0].Status != StatusMigrated {
		t.Fatalf("retired match by fingerprint = %+v, want the migrated item TA", matches)
	}
	if err := st.PutItem(ctx, Item{Mailbox: mb, Folder: "INBOX", SourceKey: "1", Fingerprint: "hA", Status: StatusMigrated,
		TargetID: matches[0].TargetID, Reason: "matched by fingerprint after UIDVALIDITY change"}); err != nil {
		t.Fatalf("PutItem(new key) = %v", err)
	}
	inbox.Validity, inbox.Cursor = "200", "1"
	if err := st.PutFolder(ctx, inbox); err != nil {
		t.Fatalf("PutFolder(cursor under new validity) = %v", err)
	}

	// A second change keeps both generations apart.
	if n, err := st.ReplaceFolderValidity(ctx, mb, "INBOX", "300"); n != 1 || err != nil {
		t.Fatalf("second ReplaceFolderValidity() = %d, %v; want 1, nil", n, err)
	}
	var gens []string
	for it, err := range st.Items(ctx, ItemQuery{Mailbox: mb, Retired: true}) {
		if err != nil {
			t.Fatalf("Items(retired) error %v", err)
		}
		gens = append(gens, it.RetiredValidity+"/"+it.SourceKey)
	}
	if diff := cmp.Diff([]string{"100/1", "100/2", "100/3", "200/1"}, gens); diff != "" {
		t.Errorf("retired generations mismatch (-want +got):\n%s", diff)
	}
}

func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	st := openTest(t, "", nil)
	seed(t, st)
	const workers, each = 4, 50
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			for i := range each {
				it := Item{Mailbox: "alice@example.org", Folder: "INBOX", SourceKey: fmt.Sprintf("w%d-%d", w, i), Status: StatusMigrated, Bytes: 1}
				if err := st.PutItem(ctx, it); err != nil {
					errs <- err
					return
				}
				if _, _, err := st.Item(ctx, it.Mailbox, it.Folder, it.SourceKey); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent PutItem/Item: %v", err)
		}
	}
	sum, err := st.Summary(ctx, "")
	if err != nil {
		t.Fatalf("Summary() = %v", err)
	}
	if got := sum[StatusMigrated]; got != (Counts{Items: workers * each, Bytes: workers * each}) {
		t.Errorf("Summary()[migrated] = %+v, want %d items", got, workers*each)
	}
}

func TestStatuses(t *testing.T) {
	for _, s := range Statuses() {
		if !s.Valid() {
			t.Errorf("%q.Valid() = false", s)
		}
	}
	for _, s := range []Status{"", "done", "Pending"} {
		if s.Valid() {
			t.Errorf("%q.Valid() = true", s)
		}
	}
}

// TestItemsQueryPlans guards the keyset pagination: every page of every query
// shape is an index range in Items' order, never a sort, and lookups by
// status or fingerprint use their index instead of scanning a mailbox.
func TestItemsQueryPlans(t *testing.T) {
	st := openTest(t, "", nil)
	tests := []struct {
		q     ItemQuery
		index string
	}{
		{ItemQuery{}, "PRIMARY KEY"},
		{ItemQuery{Mailbox: "m"}, "PRIMARY KEY"},
		{ItemQuery{Mailbox: "m", Folder: "f"}, "PRIMARY KEY"},
		{ItemQuery{Status: StatusFailed}, "items_by_status"},
		{ItemQuery{Mailbox: "m", Status: StatusPending}, "items_by_status"},
		{ItemQuery{Mailbox: "m", Folder: "f", Status: StatusPending}, "items_by_status"},
		{ItemQuery{Mailbox: "m", Fingerprint: "h"}, "items_by_fingerprint"},
		{ItemQuery{Mailbox: "m", Folder: "f", Fingerprint: "h"}, "items_by_fingerprint"},
		{ItemQuery{Mailbox: "m", Status: StatusMigrated, Fingerprint: "h"}, "items_by_fingerprint"},
		{ItemQuery{Retired: true}, "PRIMARY KEY"},
		{ItemQuery{Mailbox: "m", Folder: "f", Retired: true}, "PRIMARY KEY"},
		{ItemQuery{Mailbox: "m", Fingerprint: "h", Retired: true}, "retired_items_by_fingerprint"},
		{ItemQuery{Mailbox: "m", Folder: "f", Fingerprint: "h", Retired: true}, "retired_items_by_fingerprint"},
	}
	for _, tt := range tests {
		first, next, args, fixed := itemQueries(tt.q)
		keyCols := 3
		if tt.q.Retired {
			keyCols = 4
		}
		nextArgs := append(args[:len(args):len(args)], make([]any, keyCols-fixed)...)
		for i := len(args); i < len(nextArgs); i++ {
			nextArgs[i] = "x"
		}
		for _, c := range []struct {
			sql  string
			args []any
		}{{first, args}, {next, nextArgs}} {
			rows, err := st.r.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+c.sql, c.args...)
			if err != nil {
				t.Fatalf("%+v: EXPLAIN %s = %v", tt.q, c.sql, err)
			}
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			rows.Close()
			got := strings.Join(plan, "; ")
			// A scan of the whole table in key order, stopped by LIMIT, is
			// right for an unfiltered first page.
			inOrder := strings.Contains(got, tt.index) || (tt.index == "PRIMARY KEY" && !strings.Contains(got, "INDEX"))
			if strings.Contains(got, "TEMP B-TREE") || !inOrder {
				t.Errorf("%+v: plan %q, want a search using %s without sorting", tt.q, got, tt.index)
			}
		}
	}
}

func TestItemsFolderNeedsMailbox(t *testing.T) {
	st := openTest(t, "", nil)
	for _, err := range st.Items(context.Background(), ItemQuery{Folder: "INBOX"}) {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Items(Folder only) error = %v, want ErrInvalid", err)
		}
	}
}

func TestTimesKeptToMicrosecondInUTC(t *testing.T) {
	ctx := context.Background()
	st := openTest(t, "", nil)
	zone := time.FixedZone("UTC+5", 5*3600)
	given := time.Date(2026, 11, 23, 15, 0, 0, 123456789, zone)
	if err := st.PutMailbox(ctx, Mailbox{ID: "a", Status: StatusPending, UpdatedAt: given}); err != nil {
		t.Fatalf("PutMailbox() = %v", err)
	}
	m, _, err := st.Mailbox(ctx, "a")
	if err != nil {
		t.Fatalf("Mailbox() = %v", err)
	}
	want := time.Date(2026, 11, 23, 10, 0, 0, 123456000, time.UTC)
	if m.UpdatedAt != want { // == on purpose: same instant and same location
		t.Errorf("UpdatedAt = %v, want %v", m.UpdatedAt, want)
	}
}

// TestDroppedKeywords: an item's dropped keywords are stored as given,
// replaced by a later write, and kept when the item is retired.
func TestDroppedKeywords(t *testing.T) {
	ctx := context.Background()
	st := openTest(t, "", nil)
	seed(t, st)
	if err := st.PutFolder(ctx, Folder{Mailbox: "alice@example.org", SourcePath: "INBOX", TargetPath: "INBOX", Validity: "1"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		put  []string
		want []string
	}{
		{"keywords with odd characters", []string{"$MDNSent", `\Important`, `quote"and,comma`, "été"}, []string{"$MDNSent", `\Important`, `quote"and,comma`, "été"}},
		{"replaced by a later write", []string{"$Junk"}, []string{"$Junk"}},
		{"none", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := Item{Mailbox: "alice@example.org", Folder: "INBOX", SourceKey: "1.7", Kind: KindMessage, Status: StatusMigrated, TargetID: "T7", Bytes: 7, DroppedKeywords: tt.put}
			if err := st.PutItem(ctx, it); err != nil {
				t.Fatalf("PutItem() = %v", err)
			}
			got, ok, err := st.Item(ctx, it.Mailbox, it.Folder, it.SourceKey)
			if err != nil || !ok {
				t.Fatalf("Item() = %v, %v", ok, err)
			}
			if diff := cmp.Diff(tt.want, got.DroppedKeywords); diff != "" {
				t.Errorf("DroppedKeywords mismatch (-want +got):\n%s", diff)
			}
		})
	}
	it := Item{Mailbox: "alice@example.org", Folder: "INBOX", SourceKey: "1.8", Kind: KindMessage, Status: StatusMigrated, TargetID: "T8", DroppedKeywords: []string{"$MDNSent"}}
	if err := st.PutItems(ctx, []Item{it}); err != nil {
		t.Fatalf("PutItems() = %v", err)
	}
	if _, err := st.ReplaceFolderValidity(ctx, "alice@example.org", "INBOX", "2"); err != nil {
		t.Fatalf("ReplaceFolderValidity() = %v", err)
	}
	var retired []string
	for r, err := range st.Items(ctx, ItemQuery{Mailbox: "alice@example.org", Folder: "INBOX", Retired: true}) {
		if err != nil {
			t.Fatal(err)
		}
		if r.SourceKey == "1.8" {
			retired = r.DroppedKeywords
		}
	}
	if diff := cmp.Diff([]string{"$MDNSent"}, retired); diff != "" {
		t.Errorf("retired item's DroppedKeywords mismatch (-want +got):\n%s", diff)
	}
}

// TestReceivedFrom: where an item's received date came from is stored as
// given, replaced by a later write, and kept when the item is retired.
func TestReceivedFrom(t *testing.T) {
	ctx := context.Background()
	st := openTest(t, "", nil)
	seed(t, st)
	if err := st.PutFolder(ctx, Folder{Mailbox: "alice@example.org", SourcePath: "INBOX", TargetPath: "INBOX", Validity: "1"}); err != nil {
		t.Fatal(err)
	}
	for _, from := range []string{"received_header", "", "date_header"} {
		it := Item{Mailbox: "alice@example.org", Folder: "INBOX", SourceKey: "u1", Kind: KindMessage, Status: StatusMigrated, TargetID: "T1", ReceivedFrom: from}
		if err := st.PutItem(ctx, it); err != nil {
			t.Fatalf("PutItem() = %v", err)
		}
		got, ok, err := st.Item(ctx, it.Mailbox, it.Folder, it.SourceKey)
		if err != nil || !ok || got.ReceivedFrom != from {
			t.Fatalf("Item() = %q, %v, %v; want ReceivedFrom %q", got.ReceivedFrom, ok, err, from)
		}
	}
	if _, err := st.ReplaceFolderValidity(ctx, "alice@example.org", "INBOX", "2"); err != nil {
		t.Fatalf("ReplaceFolderValidity() = %v", err)
	}
	var retired []string
	for r, err := range st.Items(ctx, ItemQuery{Mailbox: "alice@example.org", Folder: "INBOX", Retired: true}) {
		if err != nil {
			t.Fatal(err)
		}
		retired = append(retired, r.ReceivedFrom)
	}
	if diff := cmp.Diff([]string{"date_header"}, retired); diff != "" {
		t.Errorf("retired ReceivedFrom mismatch (-want +got):\n%s", diff)
	}
}

// TestFailure: a failed item's failure kind is stored, cleared by a later
// write without it, kept when the item is retired, and refused with
// another status or an unknown kind.
func TestFailure(t *testing.T) {
	ctx := context.Background()
	st := openTest(t, "", nil)
	seed(t, st)
	if err := st.PutFolder(ctx, Folder{Mailbox: "alice@example.org", SourcePath: "event:Calendar", TargetPath: "Calendar", Validity: "1"}); err != nil {
		t.Fatal(err)
	}
	item := func(status Status, failure string) Item {
		return Item{Mailbox: "alice@example.org", Folder: "event:Calendar", SourceKey: "e1.ics", Kind: KindEvent, Status: status, Reason: "unreadable object", Failure: failure}
	}
	for _, it := range []Item{item(StatusFailed, FailureUnparsable), item(StatusFailed, ""), item(StatusFailed, FailureUnparsable)} {
		if err := st.PutItem(ctx, it); err != nil {
			t.Fatalf("PutItem() = %v", err)
		}
		got, ok, err := st.Item(ctx, it.Mailbox, it.Folder, it.SourceKey)
		if err != nil || !ok || got.Failure != it.Failure {
			t.Fatalf("Item() = %q, %v, %v; want Failure %q", got.Failure, ok, err, it.Failure)
		}
	}
	for _, bad := range []Item{item(StatusMigrated, FailureUnparsable), item(StatusFailed, "timeout")} {
		if err := st.PutItem(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("PutItem(status %s, failure %q) = %v, want ErrInvalid", bad.Status, bad.Failure, err)
		}
	}
	if _, err := st.ReplaceFolderValidity(ctx, "alice@example.org", "event:Calendar", "2"); err != nil {
		t.Fatalf("ReplaceFolderValidity() = %v", err)
	}
	var retired []string
	for r, err := range st.Items(ctx, ItemQuery{Mailbox: "alice@example.org", Folder: "event:Calendar", Retired: true}) {
		if err != nil {
			t.Fatal(err)
		}
		retired = append(retired, r.Failure)
	}
	if diff := cmp.Diff([]string{FailureUnparsable}, retired); diff != "" {
		t.Errorf("retired Failure mismatch (-want +got):\n%s", diff)
	}
}
