package migrate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/migrate/mapping"
	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/source/testserver"
	"github.com/migrate-tool/migrate/target"
)

// fakeTarget is an in-memory target.Mailbox for engine tests; the Graph
// target itself is tested against the emulator in target/graph.
type fakeTarget struct {
	mu      sync.Mutex
	folders map[string]target.FolderID     // "wellknown/a/b" -> id
	items   map[target.FolderID][]fakeItem // created items per folder
	// failNext makes the next n PutMessage calls fail with err.
	failNext int
	failErr  error
	puts     int
}

type fakeItem struct {
	id        target.ItemID
	key       string
	subject   string
	received  time.Time
	read      bool
	attSHA256 []string
}

func newFakeTarget() *fakeTarget {
	return &fakeTarget{folders: map[string]target.FolderID{}, items: map[target.FolderID][]fakeItem{}}
}

func (f *fakeTarget) EnsureFolder(ctx context.Context, parent string, path []string) (target.FolderID, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := strings.ToLower(strings.Join(append([]string{parent}, path...), "/"))
	if id, ok := f.folders[key]; ok {
		return id, nil
	}
	id := target.FolderID(fmt.Sprintf("F%d", len(f.folders)+1))
	f.folders[key] = id
	return id, nil
}

func (f *fakeTarget) PutMessage(ctx context.Context, fid target.FolderID, m *target.Message) (target.Created, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.puts++
	if f.failNext > 0 {
		f.failNext--
		return target.Created{}, f.failErr
	}
	it := fakeItem{id: target.ItemID(fmt.Sprintf("M%d", f.puts)), key: m.SourceKey, subject: m.Content.Subject, received: m.Received, read: m.Read}
	for _, a := range m.Content.Attachments {
		rc, err := a.Open()
		if err != nil {
			return target.Created{}, err
		}
		_, _ = io.Copy(io.Discard, rc)
		rc.Close()
		it.attSHA256 = append(it.attSHA256, a.SHA256)
	}
	f.items[fid] = append(f.items[fid], it)
	return target.Created{ID: it.id}, nil
}

func (f *fakeTarget) Lookup(ctx context.Context, fid target.FolderID, key string) (target.ItemID, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, it := range f.items[fid] {
		if it.key == key {
			return it.id, true, nil
		}
	}
	return "", false, nil
}

func (f *fakeTarget) Stamps(ctx context.Context, fid target.FolderID) iter.Seq2[target.Stamp, error] {
	return func(yield func(target.Stamp, error) bool) {
		f.mu.Lock()
		items := slices.Clone(f.items[fid])
		f.mu.Unlock()
		for _, it := range items {
			if !yield(target.Stamp{SourceKey: it.key, ID: it.id}, nil) {
				return
			}
		}
	}
}

// count returns the number of items and how many source keys occur twice.
func (f *fakeTarget) count() (items, dups int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, list := range f.items {
		seen := map[string]bool{}
		for _, it := range list {
			items++
			if seen[it.key] {
				dups++
			}
			seen[it.key] = true
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
	targets := map[string]*fakeTarget{}
	var tmu sync.Mutex
	open := func(ctx context.Context, addr string) (target.Mailbox, error) {
		tmu.Lock()
		defer tmu.Unlock()
		if targets[addr] == nil {
			targets[addr] = newFakeTarget()
		}
		return targets[addr], nil
	}
	total := func() (items, dups int) {
		for _, ft := range targets {
			i, d := ft.count()
			items += i
			dups += d
		}
		return
	}
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
		e := &Engine{Env: Env{Store: st, Sources: d.open, Target: open, Rules: rules,
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
	}{
		{"transient errors are retried", 3, &target.RetryError{After: time.Millisecond, Err: errors.New("503 Service Unavailable")}, 0},
		{"a permanent error fails one item and the run goes on", 1, &target.ItemError{Reason: "refused by the target", Err: errors.New("400 ErrorInvalidRequest")}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := state.Open(ctx, filepath.Join(t.TempDir(), "state.db"), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			ft := newFakeTarget()
			ft.failNext, ft.failErr = tt.failNext, tt.err
			e := &Engine{Env: Env{Store: st, Sources: d.open, Target: func(context.Context, string) (target.Mailbox, error) { return ft, nil },
				Items: &mapping.ItemOptions{DeletedItems: "skip"}}, PerMailbox: 1, RetryDelay: time.Millisecond}
			res, err := e.Run(ctx, []config.Mailbox{mb})
			if err != nil {
				t.Fatal(err)
			}
			m := res.Mailboxes[0]
			items, _ := ft.count()
			if m.Failed != tt.wantFailed || int64(items) != m.Migrated || items != expectedMessages(u)-int(tt.wantFailed) {
				t.Errorf("failed %d (want %d), created %d, target holds %d; failures %+v", m.Failed, tt.wantFailed, m.Migrated, items, m.Failures)
			}
			for _, f := range m.Failures {
				if f.Folder == "" || f.Key == "" || !strings.Contains(f.Reason, "refused by the target") {
					t.Errorf("failure %+v does not name folder, key and cause", f)
				}
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
