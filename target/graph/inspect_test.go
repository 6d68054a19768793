package graph

import (
	"slices"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/target"
)

func TestInspectorFolders(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := testContext(t)
	mb := e.mailbox(t, ctx)
	q1, err := mb.EnsureFolder(ctx, target.Inbox, []string{"Projects", "2019", "Q1"})
	if err != nil {
		t.Fatalf("EnsureFolder() = %v", err)
	}
	if _, err := mb.EnsureFolder(ctx, target.Root, []string{"Archive 2010"}); err != nil {
		t.Fatalf("EnsureFolder() = %v", err)
	}
	insp, ok := any(mb).(target.Inspector)
	if !ok {
		t.Fatal("the Graph mailbox does not implement target.Inspector")
	}
	list, err := insp.Folders(ctx)
	if err != nil {
		t.Fatalf("Folders() = %v", err)
	}
	if got := strings.Join(target.FolderPath(list, q1)[1:], "/"); !strings.EqualFold(got, "Inbox/Projects/2019/Q1") {
		t.Errorf("FolderPath(Q1) = %q, want Inbox/Projects/2019/Q1 below the root", got)
	}
	var wk []string
	var names []string
	for _, f := range list {
		if f.WellKnown != "" {
			wk = append(wk, f.WellKnown)
		}
		names = append(names, f.Name)
		if f.Items < 0 {
			t.Errorf("folder %s: Items unknown, want the totalItemCount", f.Name)
		}
	}
	for _, want := range []string{target.Root, target.Inbox, target.SentItems, target.Drafts, target.DeletedItems, target.JunkEmail} {
		if !slices.Contains(wk, want) {
			t.Errorf("well-known folder %s not marked; got %v", want, wk)
		}
	}
	if !slices.Contains(names, "Archive 2010") {
		t.Errorf("folder Archive 2010 not listed; got %v", names)
	}
	if q, err := insp.Quota(ctx); err != nil || q.Known {
		t.Errorf("Quota() = %+v, %v; want unknown, nil", q, err)
	}
}
