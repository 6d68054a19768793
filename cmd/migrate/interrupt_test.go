package main

import (
	"strings"
	"syscall"
	"testing"

	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// TestInterruptFinishesInFlightAndExits130 sends SIGINT to `migrate run` in
// the middle of a run: it must stop reading, finish and record the items in
// flight, say so and exit 130; the next run completes with every message
// exactly once.
func TestInterruptFinishesInFlightAndExits130(t *testing.T) {
	const timeScale = 20
	extras := fillerMessages(t, 30, false)
	d := startDovecot(t, extras...)
	exp := expectations(t, d, extras)
	total := 0
	for _, e := range exp {
		if !e.deleted() {
			total++
		}
	}
	ep := startEmulator(t, d, graphemu.Options{
		AttachmentsOnNonDraft: true,
		TimeScale:             timeScale,
		Faults:                "POST */messages slow=2s:100%", // 100 ms per creation at this scale
		Seed:                  7,
	})
	p := writeProject(t, d, ep)

	c := startChild(t, timeScale, p.args())
	waitForMessages(c, ep.Emulator, d, 5)
	if err := c.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatalf("Signal(SIGINT) = %v", err)
	}
	code := c.wait(t)
	out := c.out.String()
	if code != exitInterrupted {
		t.Fatalf("migrate run after SIGINT: exit %d, want %d\n%s", code, exitInterrupted, out)
	}
	if !strings.Contains(out, "Interrupted") {
		t.Errorf("migrate run after SIGINT does not say it was interrupted:\n%s", out)
	}
	if got := emulatorMessages(ep.Emulator, d); got >= total {
		t.Logf("the run had finished %d of %d messages before the signal took effect", got, total)
	}
	if n := pendingItems(t, ep.Emulator, d); n != 0 {
		t.Errorf("%d half-built messages left after SIGINT; in-flight items must finish", n)
	}
	// Every message the interrupted run created is recorded in its state
	// with the target's id: the items in flight were recorded, not only
	// created.
	recorded := map[string]state.Item{}
	for _, it := range stateItems(t, p.statePath()) {
		recorded[it.TargetID] = it
	}
	for _, u := range d.Users {
		for _, f := range ep.Emulator.DumpMailbox(nil, u.Name).Folders {
			for _, it := range f.Items {
				key, _ := stampOf(it)
				if r, ok := recorded[it.ID]; !ok || r.Status != state.StatusMigrated || r.SourceKey != key {
					t.Errorf("%s %s: message %s (key %s) created before SIGINT has state record %+v (found %v), want migrated with its key", u.Name, f.Path, it.ID, key, r, ok)
				}
			}
		}
	}
	if code, stdout, stderr := p.run(t); code != exitOK {
		t.Fatalf("migrate run after the interrupt: exit %d\n%s\n%s", code, stdout, stderr)
	}
	checkExactlyOnce(t, ep.Emulator, exp, nil)
}
