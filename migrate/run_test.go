package migrate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/migrate-tool/migrate/migrate/logcheck"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/migrate/mapping"
	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/sourcetest"
	"github.com/migrate-tool/migrate/source/testserver"
	"github.com/migrate-tool/migrate/target"
	"github.com/migrate-tool/migrate/target/targettest"
)

// countItems returns the number of items in the mailboxes' targets in the
// in-memory target and how many source keys occur twice in a folder.
func countItems(mem *targettest.Memory, mailboxes ...config.Mailbox) (items, dups int) {
	for _, m := range mailboxes {
		seen := map[string]bool{}
		for _, it := range mem.Items(m.Target()) {
			items++
			k := string(it.Folder) + "\x00" + it.SourceKey
			if seen[k] {
				dups++
			}
			seen[k] = true
		}
	}
	return items, dups
}

// expectedMessages counts the seeded messages the engine must create for a
// user: all but those flagged \Deleted.
func expectedMessages(u testserver.ManifestUser) int {
	n := 0
	for _, f := range u.Folders {
		for _, m := range f.Messages {
			if !slices.Contains(m.Flags, `\Deleted`) {
				n++
			}
		}
	}
	return n
}

func TestRunIdempotent(t *testing.T) {
	d := seedMemory(t)
	ctx := context.Background()
	mailboxes := d.mailboxes()
	want := 0
	for _, u := range d.Manifest.Users {
		want += expectedMessages(u)
	}
	mem := targettest.NewMemory()
	total := func() (items, dups int) { return countItems(mem, mailboxes...) }
	dir := t.TempDir()
	runOnce := func(stateFile string) *Result {
		t.Helper()
		st, err := state.Open(ctx, stateFile, nil)
		if err != nil {
			t.Fatalf("state.Open() = %v", err)
		}
		defer st.Close()
		rules, err := mapping.NewRules(config.Folders{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		e := &Engine{Env: Env{Store: st, Sources: d.open, Target: mem.Open, Rules: rules,
			Items: &mapping.ItemOptions{DeletedItems: "skip"}}, Mailboxes: 2, PerMailbox: 4, RetryDelay: time.Millisecond}
		res, err := e.Run(ctx, mailboxes)
		if err != nil {
			t.Fatalf("Run() = %v", err)
		}
		return res
	}

	res := runOnce(filepath.Join(dir, "state.db"))
	var created, skipped int64
	for _, m := range res.Mailboxes {
		if m.Err != nil || m.Failed > 0 {
			t.Fatalf("mailbox %s: err %v, failures %+v", m.Mailbox, m.Err, m.Failures)
		}
		created += m.Migrated
		skipped += m.Skipped
	}
	if items, dups := total(); created != int64(want) || items != want || dups != 0 {
		t.Fatalf("first run: created %d, target holds %d (%d doubled); want %d", created, items, dups, want)
	}
	if skipped != 1 {
		t.Errorf("first run skipped %d items, want 1 (the \\Deleted one)", skipped)
	}

	// A second run with the same state creates nothing.
	res = runOnce(filepath.Join(dir, "state.db"))
	for _, m := range res.Mailboxes {
		if m.Migrated != 0 || m.Err != nil {
			t.Errorf("second run, mailbox %s: created %d, err %v; want 0, nil", m.Mailbox, m.Migrated, m.Err)
		}
	}
	// A run with the state lost reconciles from the stamps: nothing doubled.
	res = runOnce(filepath.Join(dir, "lost-state.db"))
	var done int64
	for _, m := range res.Mailboxes {
		if m.Migrated != 0 || m.Err != nil {
			t.Errorf("run with lost state, mailbox %s: created %d, err %v; want 0, nil", m.Mailbox, m.Migrated, m.Err)
		}
		done += m.Done
	}
	if items, dups := total(); items != want || dups != 0 || done != int64(want) {
		t.Errorf("after lost state: target holds %d (%d doubled), %d found by stamp; want %d", items, dups, done, want)
	}
}

func TestRunRetriesAndFailures(t *testing.T) {
	d := seedMemory(t)
	ctx := context.Background()
	u := d.Manifest.Users[1] // bob: a small mailbox
	mb := d.mailboxes()[1]
	tests := []struct {
		name       string
		failNext   int
		err        error
		wantFailed int64
		wantLog    string // a record's message (the records are checked by internal/logcheck)
	}{
		{"transient errors are retried", 3, &target.RetryError{After: time.Millisecond, Err: errors.New("503 Service Unavailable")}, 0, "item will be retried"},
		{"a permanent error fails one item and the run goes on", 1, &target.ItemError{Reason: "refused by the target", Err: errors.New("400 ErrorInvalidRequest")}, 1, "item failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := state.Open(ctx, filepath.Join(t.TempDir(), "state.db"), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			mem := targettest.NewMemory()
			mem.FailPuts(tt.failNext, tt.err)
			log, rec := logcheck.New(t)
			e := &Engine{Env: Env{Store: st, Sources: d.open, Target: mem.Open,
				Items: &mapping.ItemOptions{DeletedItems: "skip"}, Log: log}, PerMailbox: 1, RetryDelay: time.Millisecond}
			res, err := e.Run(ctx, []config.Mailbox{mb})
			if err != nil {
				t.Fatal(err)
			}
			m := res.Mailboxes[0]
			items, _ := countItems(mem, mb)
			if m.Failed != tt.wantFailed || int64(items) != m.Migrated || items != expectedMessages(u)-int(tt.wantFailed) {
				t.Errorf("failed %d (want %d), created %d, target holds %d; failures %+v", m.Failed, tt.wantFailed, m.Migrated, items, m.Failures)
			}
			for _, f := range m.Failures {
				if f.Folder == "" || f.Key == "" || !strings.Contains(f.Reason, "refused by the target") {
					t.Errorf("failure %+v does not name folder, key and cause", f)
				}
			}
			if !slices.ContainsFunc(rec.Records(), func(r logcheck.Record) bool { return r.Message == tt.wantLog }) {
				t.Errorf("no record %q", tt.wantLog)
			}
			sum, err := st.Summary(ctx, strings.ToLower(u.Name))
			if err != nil {
				t.Fatal(err)
			}
			if sum[state.StatusFailed].Items != tt.wantFailed {
				t.Errorf("state records %d failed, want %d", sum[state.StatusFailed].Items, tt.wantFailed)
			}
		})
	}
}

// TestRunRenumberedLostState renumbers every folder (new UIDVALIDITY, new
// UIDs, as a hoster rebuilding its indexes does) and runs again, with the
// state lost and with it kept: each item is found by its content
// identity, nothing is created twice, two source items with the same
// bytes still account for two target items, and verify passes.
func TestRunRenumberedLostState(t *testing.T) {
	d := seedMemory(t)
	ctx := context.Background()
	mailboxes := d.mailboxes()
	alice := d.Manifest.Users[0]
	twin := []byte("From: a@example.test\r\nSubject: twin\r\nMessage-ID: <twin@example.test>\r\n\r\nsame bytes twice\r\n")
	d.user(alice.Name).Add("INBOX", twin, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	d.user(alice.Name).Add("INBOX", twin, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	want := 2
	for _, u := range d.Manifest.Users {
		want += expectedMessages(u)
	}
	mem := targettest.NewMemory()
	total := func() (items, dups int) { return countItems(mem, mailboxes...) }
	items := &mapping.ItemOptions{DeletedItems: "skip"}
	dir := t.TempDir()
	run := func(stateFile string) (created, done int64) {
		t.Helper()
		st, err := state.Open(ctx, filepath.Join(dir, stateFile), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		e := &Engine{Env: Env{Store: st, Sources: d.open, Target: mem.Open, Items: items}, Mailboxes: 2, PerMailbox: 4, RetryDelay: time.Millisecond}
		res, err := e.Run(ctx, mailboxes)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range res.Mailboxes {
			if m.Err != nil || m.Failed > 0 {
				t.Fatalf("mailbox %s: err %v, failures %+v", m.Mailbox, m.Err, m.Failures)
			}
			created += m.Migrated
			done += m.Done
		}
		return created, done
	}
	renumber := func() {
		for _, u := range d.Manifest.Users {
			for _, f := range u.Folders {
				d.user(u.Name).Renumber(f.Name)
			}
			d.user(u.Name).Renumber("INBOX")
		}
	}
	if created, _ := run("first.db"); created != int64(want) {
		t.Fatalf("first run created %d, want %d", created, want)
	}
	renumber()
	created, done := run("lost.db")
	st, err := state.Open(ctx, filepath.Join(dir, "lost.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if n, dups := total(); created != 0 || n != want || dups != 0 || done != int64(want) {
		t.Errorf("renumbered, state lost: created %d, found %d; target holds %d (%d doubled); want 0 created, %d found", created, done, n, dups, want)
	}
	v := &Verifier{Env: Env{Sources: d.open, Items: items, Target: mem.Open, Store: st}, Tool: "test"}
	res, err := v.Verify(ctx, mailboxes)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if !res.OK || res.Totals.Matched != res.Totals.Expected || res.Totals.Extra != 0 {
		t.Errorf("Verify() after the renumbered run: ok %v, totals %+v, problems %+v", res.OK, res.Totals, res.Mailboxes[0].Problems)
	}
	renumber()
	if created, _ := run("first.db"); created != 0 {
		t.Errorf("renumbered again, state kept: created %d, want 0", created)
	}
	if n, dups := total(); n != want || dups != 0 {
		t.Errorf("target holds %d (%d doubled), want %d", n, dups, want)
	}
}

// TestRunKeywordsDropped: the flags and keywords the target does not
// carry are recorded per item in the state and counted in the result;
// keywords.keep_dollar keeps unknown "$" keywords as categories.
func TestRunKeywordsDropped(t *testing.T) {
	ctx := context.Background()
	msg := func(n int) []byte {
		return fmt.Appendf(nil, "From: a@example.test\r\nSubject: kw %d\r\nMessage-ID: <kw%d@example.test>\r\n\r\nbody %d\r\n", n, n, n)
	}
	date := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	type item struct {
		categories []string
		dropped    []string
	}
	tests := []struct {
		name       string
		keepDollar bool
		dryRun     bool
		wantItems  int64
		wantCounts []plan.KeywordCount
		wantBySubj map[string]item
	}{{
		name:       "dropped and reported",
		wantItems:  2,
		wantCounts: []plan.KeywordCount{{Keyword: "$MDNSent", Items: 2}, {Keyword: "$Custom", Items: 1}},
		wantBySubj: map[string]item{
			"kw 1": {categories: []string{"Work"}, dropped: []string{"$MDNSent"}},
			"kw 2": {dropped: []string{"$Custom", "$MDNSent"}},
			"kw 3": {},
		},
	}, {
		name:       "keywords.keep_dollar keeps $ keywords, not system ones",
		keepDollar: true,
		wantItems:  2,
		wantCounts: []plan.KeywordCount{{Keyword: "$MDNSent", Items: 2}},
		wantBySubj: map[string]item{
			"kw 1": {categories: []string{"Work"}, dropped: []string{"$MDNSent"}},
			"kw 2": {categories: []string{"Custom"}, dropped: []string{"$MDNSent"}},
			"kw 3": {},
		},
	}, {
		name:       "a dry run counts what it would drop",
		dryRun:     true,
		wantItems:  2,
		wantCounts: []plan.KeywordCount{{Keyword: "$MDNSent", Items: 2}, {Keyword: "$Custom", Items: 1}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := sourcetest.NewMemory()
			src.Add("INBOX", msg(1), date, `\Seen`, "$MDNSent", "Work")
			src.Add("INBOX", msg(2), date, "$Custom", "$MDNSent")
			src.Add("INBOX", msg(3), date, `\Seen`)
			open := func(ctx context.Context, m config.Mailbox, log *slog.Logger) (source.Account, error) {
				return src.Open(ctx)
			}
			mb := config.Mailbox{EmailAddress: "kw@example.test", UserName: "kw", Protocol: "imap"}
			settings := config.Defaults()
			settings.Keywords.KeepDollar = tt.keepDollar
			mem := targettest.NewMemory()
			env := Env{Sources: open, Items: mapping.NewItemOptions(settings.Filters, settings.Target, settings.Keywords)}
			var st state.Store
			if !tt.dryRun {
				var err error
				if st, err = state.Open(ctx, filepath.Join(t.TempDir(), "state.db"), nil); err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				env.Store, env.Target = st, mem.Open
			}
			e := &Engine{Env: env, DryRun: tt.dryRun, RetryDelay: time.Millisecond}
			res, err := e.Run(ctx, []config.Mailbox{mb})
			if err != nil {
				t.Fatal(err)
			}
			got := res.Mailboxes[0]
			if got.Err != nil || got.Migrated != 3 {
				t.Fatalf("Run(): err %v, %d migrated; want 3", got.Err, got.Migrated)
			}
			if got.KeywordsDropped != tt.wantItems {
				t.Errorf("KeywordsDropped = %d, want %d", got.KeywordsDropped, tt.wantItems)
			}
			if diff := cmp.Diff(tt.wantCounts, got.DroppedKeywords); diff != "" {
				t.Errorf("DroppedKeywords mismatch (-want +got):\n%s", diff)
			}
			if tt.dryRun {
				return
			}
			bySubj := map[string]item{}
			keyOf := map[string]string{}
			for _, it := range mem.Items(mb.EmailAddress) {
				keyOf[it.SourceKey] = it.Subject
				bySubj[it.Subject] = item{categories: it.Message.Categories}
			}
			for rec, err := range st.Items(ctx, state.ItemQuery{Mailbox: mailboxID(mb)}) {
				if err != nil {
					t.Fatal(err)
				}
				s := keyOf[rec.SourceKey]
				it := bySubj[s]
				it.dropped = rec.DroppedKeywords
				bySubj[s] = it
			}
			if diff := cmp.Diff(tt.wantBySubj, bySubj, cmp.AllowUnexported(item{})); diff != "" {
				t.Errorf("categories in the target and dropped keywords in the state mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRunPOP3Row: a POP3 row's mail, which has no received date and no
// flags of its own, takes its received time from the newest Received
// field, else Date, else the time of the run (recorded per item and
// counted); it is created read (unless POP3Unread), goes to the row's
// TargetFolder, and filters.since sees the date the message gives.
func TestRunPOP3Row(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	msgs := map[string]string{
		"received": "Received: from relay by mx.example;\r\n Tue, 1 Jul 2025 10:52:37 +0000 (UTC)\r\nReceived: by relay; 30 Jun 2025 00:00:00 +0000\r\nDate: Mon, 30 Jun 2025 08:00:00 +0000\r\nSubject: received\r\n\r\nbody\r\n",
		"date":     "Date: Mon, 30 Jun 2025 08:00:00 +0000\r\nSubject: date\r\n\r\nbody\r\n",
		"none":     "Subject: none\r\n\r\nbody\r\n",
		"old":      "Received: by mx.example; 1 Jan 2019 00:00:00 +0000\r\nSubject: old\r\n\r\nbody\r\n",
	}
	wantDate := map[string]time.Time{
		"received": time.Date(2025, 7, 1, 10, 52, 37, 0, time.UTC),
		"date":     time.Date(2025, 6, 30, 8, 0, 0, 0, time.UTC),
		"none":     now,
	}
	wantFrom := map[string]string{"received": "received_header", "date": "date_header", "none": "run_time"}
	tests := []struct {
		name       string
		folder     string
		unread     bool
		wantPath   []string
		wantRead   bool
		wantCounts map[string]int64
	}{
		{"the Inbox, read", "", false, []string{"inbox"}, true, map[string]int64{"received_header": 1, "date_header": 1, "run_time": 1}},
		{"a folder below the root, unread", "Old provider", true, []string{"Old provider"}, false, map[string]int64{"received_header": 1, "date_header": 1, "run_time": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := sourcetest.NewMemory()
			for _, s := range []string{"received", "date", "none", "old"} {
				src.Add("INBOX", []byte(msgs[s]), time.Time{}) // POP3: no date, no flags
			}
			open := func(ctx context.Context, m config.Mailbox, log *slog.Logger) (source.Account, error) {
				return src.Open(ctx)
			}
			mb := config.Mailbox{EmailAddress: "pop@example.test", UserName: "pop", Protocol: "pop3", TargetFolder: tt.folder}
			settings := config.Defaults()
			settings.Filters.Since = config.Date{Time: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
			st, err := state.Open(ctx, filepath.Join(t.TempDir(), "state.db"), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			mem := targettest.NewMemory()
			env := Env{Sources: open, Store: st, Target: mem.Open, POP3Unread: tt.unread, Now: func() time.Time { return now },
				Items: mapping.NewItemOptions(settings.Filters, settings.Target, settings.Keywords)}
			e := &Engine{Env: env, RetryDelay: time.Millisecond}
			res, err := e.Run(ctx, []config.Mailbox{mb})
			if err != nil {
				t.Fatal(err)
			}
			got := res.Mailboxes[0]
			if got.Err != nil || got.Migrated != 3 || got.Skipped != 1 {
				t.Fatalf("Run(): err %v, %d migrated, %d skipped; want 3 and 1 (before filters.since)", got.Err, got.Migrated, got.Skipped)
			}
			if diff := cmp.Diff(tt.wantCounts, got.ReceivedFrom); diff != "" {
				t.Errorf("ReceivedFrom mismatch (-want +got):\n%s", diff)
			}
			keyOf := map[string]string{}
			for _, it := range mem.Items(mb.EmailAddress) {
				keyOf[it.SourceKey] = it.Subject
				if !it.Message.Received.Equal(wantDate[it.Subject]) {
					t.Errorf("%s: received %v, want %v", it.Subject, it.Message.Received, wantDate[it.Subject])
				}
				if it.Message.Read != tt.wantRead {
					t.Errorf("%s: read %v, want %v", it.Subject, it.Message.Read, tt.wantRead)
				}
				if p := mem.FolderPath(mb.EmailAddress, it.Folder); !slices.Equal(p, tt.wantPath) {
					t.Errorf("%s: in folder %q, want %q", it.Subject, p, tt.wantPath)
				}
			}
			for rec, err := range st.Items(ctx, state.ItemQuery{Mailbox: mailboxID(mb), Status: state.StatusMigrated}) {
				if err != nil {
					t.Fatal(err)
				}
				if s := keyOf[rec.SourceKey]; rec.ReceivedFrom != wantFrom[s] {
					t.Errorf("%s: state ReceivedFrom %q, want %q", s, rec.ReceivedFrom, wantFrom[s])
				}
			}
			// Verify finds every POP message once where the run put it, and
			// counts the one skipped by filters.since after reading.
			v, err := (&Verifier{Env: env}).Verify(ctx, []config.Mailbox{mb})
			if err != nil {
				t.Fatal(err)
			}
			if vm := v.Mailboxes[0]; !v.OK || vm.Matched != 3 || vm.Skipped != 1 {
				t.Errorf("Verify: ok %v, %d matched, %d skipped, problems %v; want ok, 3 and 1", v.OK, vm.Matched, vm.Skipped, vm.Problems)
			}
		})
	}
}

// flakyAccount fails the first Open of every item with a dropped session,
// and every Open of the keys in gone with source.ErrNotFound.
type flakyAccount struct {
	source.Account
	mu     sync.Mutex
	opened map[string]int
	gone   map[string]bool
}

func (f *flakyAccount) Open(ctx context.Context, fo source.Folder, ref source.ItemRef) (io.ReadCloser, error) {
	f.mu.Lock()
	f.opened[ref.Key]++
	n := f.opened[ref.Key]
	f.mu.Unlock()
	switch {
	case f.gone[ref.Key]:
		return nil, fmt.Errorf("item %s: %w", ref.Key, source.ErrNotFound)
	case n == 1:
		return nil, errors.New("connection reset by peer")
	}
	return f.Account.Open(ctx, fo, ref)
}

// TestRunReadsOnceMore: an item whose read fails (a dropped session) is
// read once more in the same run; an item that is gone is not.
func TestRunReadsOnceMore(t *testing.T) {
	ctx := context.Background()
	src := sourcetest.NewMemory()
	var keys []string
	for i := range 3 {
		keys = append(keys, src.Add("INBOX", fmt.Appendf(nil, "Subject: %d\r\nMessage-ID: <r%d@x>\r\n\r\nbody\r\n", i, i), time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)))
	}
	flaky := &flakyAccount{opened: map[string]int{}, gone: map[string]bool{keys[2]: true}}
	open := func(ctx context.Context, m config.Mailbox, log *slog.Logger) (source.Account, error) {
		a, err := src.Open(ctx)
		flaky.Account = a
		return flaky, err
	}
	st, err := state.Open(ctx, filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	mem := targettest.NewMemory()
	e := &Engine{Env: Env{Sources: open, Store: st, Target: mem.Open}, RetryDelay: time.Millisecond}
	res, err := e.Run(ctx, []config.Mailbox{{EmailAddress: "flaky@example.test", UserName: "flaky", Protocol: "pop3"}})
	if err != nil {
		t.Fatal(err)
	}
	got := res.Mailboxes[0]
	if got.Err != nil || got.Migrated != 2 || got.Failed != 1 {
		t.Fatalf("Run(): err %v, %d migrated, %d failed; want 2 and 1 (the gone item)", got.Err, got.Migrated, got.Failed)
	}
	if diff := cmp.Diff(map[string]int{keys[0]: 2, keys[1]: 2, keys[2]: 1}, flaky.opened); diff != "" {
		t.Errorf("opens per item mismatch (-want +got):\n%s", diff)
	}
}
