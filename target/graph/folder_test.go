package graph

import (
	"strings"
	"sync"
	"testing"

	"github.com/migrate-tool/migrate/target"
)

func TestEnsureFolder(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := testContext(t)
	mb := e.mailbox(t, ctx)

	inbox, err := mb.EnsureFolder(ctx, target.Inbox, nil)
	if err != nil {
		t.Fatalf("EnsureFolder(inbox) = %v", err)
	}
	root, err := mb.EnsureFolder(ctx, "", nil)
	if err != nil || root == inbox || root == "" {
		t.Fatalf("EnsureFolder(root) = %q, %v", root, err)
	}

	tests := []struct {
		name   string
		parent string
		path   []string
		same   string // name of an earlier case that must give the same folder
	}{
		{name: "nested", parent: target.Inbox, path: []string{"Projects", "2019", "Q1"}},
		{name: "again", parent: target.Inbox, path: []string{"Projects", "2019", "Q1"}, same: "nested"},
		{name: "other case", parent: target.Inbox, path: []string{"PROJECTS", "2019", "q1"}, same: "nested"},
		{name: "parent of nested", parent: target.Inbox, path: []string{"projects"}},
		{name: "under root", parent: target.Root, path: []string{"Archive 2010"}},
		{name: "root by empty parent", parent: "", path: []string{"archive 2010"}, same: "under root"},
		{name: "unicode", parent: target.Root, path: []string{"Équipe", "Réunions"}},
		{name: "unicode other case", parent: target.Root, path: []string{"ÉQUIPE", "réunions"}, same: "unicode"},
	}
	got := map[string]target.FolderID{}
	for _, tc := range tests {
		// A new handle has an empty cache: the second lookup must come
		// from the server, not the cache.
		m := e.mailbox(t, ctx)
		id, err := m.EnsureFolder(ctx, tc.parent, tc.path)
		if err != nil {
			t.Fatalf("%s: EnsureFolder(%q, %q) = %v", tc.name, tc.parent, tc.path, err)
		}
		got[tc.name] = id
		if tc.same != "" && id != got[tc.same] {
			t.Errorf("%s: id = %s, want the folder of %q (%s)", tc.name, id, tc.same, got[tc.same])
		}
		// The same handle again: cached or not, the same id.
		if again, err := m.EnsureFolder(ctx, tc.parent, tc.path); err != nil || again != id {
			t.Errorf("%s: second EnsureFolder = %s, %v; want %s", tc.name, again, err, id)
		}
	}
	counts := map[string]int{}
	for _, f := range e.dump(t).Folders {
		counts[strings.ToLower(f.Path)]++
	}
	for _, p := range []string{"inbox/projects", "inbox/projects/2019", "inbox/projects/2019/q1", "archive 2010", "équipe", "équipe/réunions"} {
		if counts[p] != 1 {
			t.Errorf("folder %q exists %d times, want 1", p, counts[p])
		}
	}
	if _, err := mb.EnsureFolder(ctx, target.Inbox, []string{"a", " "}); err == nil {
		t.Errorf("EnsureFolder with an empty name: no error")
	}
}

// TestEnsureFolderConcurrent creates the same folders from several
// clients (no shared cache) at once: the 409 of the losers lists again.
func TestEnsureFolderConcurrent(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := testContext(t)
	const workers = 6
	ids := make([]target.FolderID, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		c := newClient(t, e.ep, nil)
		mb, err := c.Mailbox(ctx, testUser)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			path := []string{"Shared", "Team"}
			if i%2 == 1 {
				path = []string{"SHARED", "team"}
			}
			ids[i], errs[i] = mb.EnsureFolder(ctx, target.Inbox, path)
		})
	}
	wg.Wait()
	for i := range workers {
		if errs[i] != nil {
			t.Fatalf("worker %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Errorf("worker %d: id %s, worker 0: %s", i, ids[i], ids[0])
		}
	}
	n := 0
	for _, f := range e.dump(t).Folders {
		if strings.EqualFold(f.Path, "Inbox/Shared/Team") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("Inbox/Shared/Team exists %d times, want 1", n)
	}
}
