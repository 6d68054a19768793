package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/migrate-tool/migrate/target/graphemu"
)

// TestE2ERenumberedLostState is the hoster that rebuilds its indexes
// between two runs, on another machine: every folder gets a new
// UIDVALIDITY (doveadm mailbox update --uid-validity) and the state file
// is gone. The second run must find every item by its content identity
// and create nothing; verify must pass.
func TestE2ERenumberedLostState(t *testing.T) {
	d := startDovecot(t)
	exp := expectations(t, d, nil)
	ep := startEmulator(t, d, graphemu.Options{AttachmentsOnNonDraft: true})
	p := writeProject(t, d, ep)

	code, stdout, stderr := p.run(t)
	if code != exitOK {
		t.Fatalf("first migrate run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	first := parseSummary(t, stdout)
	checkExactlyOnce(t, ep.Emulator, exp, nil)

	ctx := context.Background()
	renumbered := 0
	for _, u := range d.Manifest.Users {
		for _, f := range u.Folders {
			if err := d.Renumber(ctx, u.Name, f.Name); err != nil {
				t.Fatal(err)
			}
			renumbered++
		}
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(p.statePath() + suffix); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}

	code, stdout, stderr = p.run(t)
	if code != exitOK {
		t.Fatalf("migrate run after renumbering %d folders, state lost: exit %d\n%s\n%s", renumbered, code, stdout, stderr)
	}
	second := parseSummary(t, stdout)
	t.Logf("renumbered %d folders; first run created %d, second run %+v", renumbered, first.migrated, second)
	if second.migrated != 0 || second.done != first.migrated || second.failed != 0 {
		t.Errorf("after renumbering %d folders with the state lost: %+v; want nothing created and the %d items of the first run found", renumbered, second, first.migrated)
	}
	before := 0
	stamped := map[string]bool{}
	for _, u := range d.Users {
		for _, f := range ep.Emulator.DumpMailbox(nil, u.Name).Folders {
			before += len(f.Items)
			for _, it := range f.Items {
				if key, ok := stampOf(it); ok {
					stamped[key] = true
				}
			}
		}
	}
	// The second run's keys are new: it found the items by content.
	for _, it := range stateItems(t, p.statePath()) {
		if stamped[it.SourceKey] {
			t.Errorf("item %s of folder %s kept its key: the folder was not renumbered", it.SourceKey, it.Folder)
		}
	}
	if before != first.migrated {
		t.Errorf("the target holds %d items, the first run created %d", before, first.migrated)
	}

	code, stdout, stderr = runCLI(t, "verify", "--config", p.config, "--out", filepath.Join(p.dir, "verify.json"))
	if code != exitOK {
		t.Errorf("migrate verify after the renumbered run: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
