package graph

import (
	"slices"
	"testing"

	"github.com/migrate-tool/migrate/migrate/mapping"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/target"
)

// TestSourceFolderCalendar migrates a source folder named "Calendar": a
// mail folder of that name at the root collides with the mailbox's
// Calendar (409 ErrorFolderExists), and the folder mapping's rename is
// what avoids it.
func TestSourceFolderCalendar(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	ctx := testContext(t)
	mb := e.mailbox(t, ctx)
	if _, err := mb.EnsureFolder(ctx, target.Root, []string{"Calendar"}); err == nil {
		t.Fatalf("EnsureFolder(root, Calendar) succeeded; the emulator should refuse a mail folder named like the Calendar folder")
	}
	src := []source.Folder{
		{Path: []string{"INBOX"}, Delimiter: "/", Name: "INBOX", Count: -1, Bytes: -1},
		{Path: []string{"Calendar"}, Delimiter: "/", Name: "Calendar", Count: -1, Bytes: -1},
	}
	ms, err := mapping.Folders(src, nil)
	if err != nil {
		t.Fatalf("mapping.Folders() = %v", err)
	}
	i := slices.IndexFunc(ms, func(m mapping.FolderMapping) bool { return m.Source.Name == "Calendar" })
	if i < 0 || ms[i].Excluded {
		t.Fatalf("mapping of Calendar = %+v", ms)
	}
	f, err := mb.EnsureFolder(ctx, ms[i].WellKnown, ms[i].Target)
	if err != nil {
		t.Fatalf("EnsureFolder(%s) = %v", ms[i], err)
	}
	if _, err := mb.PutMessage(ctx, f, testMessage(t, "cal-1", mime("In a folder named Calendar", logo))); err != nil {
		t.Fatalf("PutMessage() = %v", err)
	}
	checkComplete(t, e, f, "cal-1", []part{logo})
	for _, df := range e.dump(t).Folders {
		if df.ID == string(f) && df.Path != "Calendar (imported)" {
			t.Errorf("the folder is %q, want %q", df.Path, "Calendar (imported)")
		}
	}
}
