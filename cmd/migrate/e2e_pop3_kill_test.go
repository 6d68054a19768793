package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/source/testserver"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// popFiller is n generated messages in the INBOX of each POP account of
// popCorpus, with what each must become in the target: no Received
// field, so the received time is the Date field's (the date rule). Their
// sizes differ, so that no two creation requests have the same length.
func popFiller(n int) ([]testserver.ExtraMessage, map[string]popWant) {
	base := time.Date(2023, 5, 1, 6, 0, 0, 0, time.UTC)
	folders := map[string]string{"pops@example.test": "Inbox", "stls@example.test": "Old provider"}
	var extras []testserver.ExtraMessage
	want := map[string]popWant{}
	for ui, u := range popUsers {
		for i := range n {
			subject := fmt.Sprintf("pop filler %d-%d", ui, i)
			date := base.Add(time.Duration(ui*n+i) * 7 * time.Hour)
			extras = append(extras, testserver.ExtraMessage{User: u, Folder: "INBOX", Message: testserver.ManifestMessage{
				Generate: &testserver.Generator{Subject: subject, Seed: fmt.Sprintf("pop-filler-%d-%d", ui, i), AttachmentSize: 3000 + 67*int64(ui*n+i)},
				Date:     date,
			}})
			want[subject] = popWant{folders[u], date}
		}
	}
	return extras, want
}

// TestE2EPOP3KillNine is TestE2EKillNine for the POP3S and POP3+STLS rows
// of TestE2EPOP3 (with their IMAP row): `migrate run` is killed with
// SIGKILL at random moments (seeded) and run again until it completes,
// once with the state kept and once with the state file deleted before
// every run (reconciliation by the stamps in the target alone). Then
// every POP message is in the target exactly once, in its folder, with
// its received date, and the maildrops are unchanged. The emulator slows
// down a share of the creations so that the kills land in the middle.
func TestE2EPOP3KillNine(t *testing.T) {
	const (
		seed      = 20261203
		timeScale = 20 // the emulator's and the Graph client's
		perUser   = 25
	)
	cycles := chaosCycles(t, 6)
	extras, filler := popFiller(perUser)
	d := startPOPDovecot(t, extras...)
	total := len(popExpect) + len(filler) + 2 // and the IMAP row's two
	ep := startEmulator(t, d, graphemu.Options{
		TimeScale: timeScale,
		// 100 ms at this time scale on half the creations.
		Faults: "POST */messages slow=2s:50%",
		Seed:   seed,
	})
	dir, cfg := writePOPProject(t, d, ep)
	before := snapshotPOPUsers(t, d)
	args := []string{"run", "--config", cfg, "--progress", "none"}
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("seed %d: %d messages to migrate", seed, total)

	for _, tt := range []struct {
		name      string
		dropState bool
	}{
		{"state kept", false},
		{"state deleted before every run", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := ep.Emulator.Reset(); err != nil {
				t.Fatalf("Emulator.Reset() = %v", err)
			}
			if err := os.RemoveAll(filepath.Join(dir, ".migrate")); err != nil {
				t.Fatal(err)
			}
			midRun := 0
			faults0 := faultsInjected(ep.Emulator)
			var outs []string
			for cycle := range cycles {
				if tt.dropState {
					removeState(t, dir)
				}
				got := emulatorMessages(ep.Emulator, d)
				c := startChild(t, timeScale, args)
				// A quarter of the kills in the first 400 ms: logging in
				// over POP3, listing, reconciling.
				start := time.Now()
				what, killed := killAtRandom(t, rng, c, func() int { return emulatorMessages(ep.Emulator, d) }, got, total, cycles-cycle, 50*time.Millisecond, 350*time.Millisecond)
				outs = append(outs, c.out.String())
				after := emulatorMessages(ep.Emulator, d)
				if killed && after < total {
					midRun++
				}
				t.Logf("cycle %d: kill -9 %s (at %v): killed %v; messages in the target %d -> %d of %d",
					cycle+1, what, time.Since(start).Round(time.Millisecond), killed, got, after, total)
				if !killed && c.cmd.ProcessState.ExitCode() != exitOK {
					t.Fatalf("cycle %d: migrate run ended before the kill with exit %d:\n%s", cycle+1, c.cmd.ProcessState.ExitCode(), c.out)
				}
			}
			if midRun < cycles/2 {
				t.Errorf("only %d of %d kills landed in the middle of a run; make the runs longer", midRun, cycles)
			}
			for attempt := 1; ; attempt++ {
				if tt.dropState {
					removeState(t, dir)
				}
				c := startChild(t, timeScale, args)
				code := c.wait(t)
				outs = append(outs, c.out.String())
				if code == exitOK {
					break
				}
				if attempt == 3 {
					t.Fatalf("migrate run did not complete after the kills: exit %d:\n%s", code, c.out)
				}
				t.Logf("run %d after the kills: exit %d; running again", attempt, code)
			}
			defer func() {
				var users []string
				for _, u := range d.Users {
					users = append(users, u.Name)
				}
				found, doubled := stampTally(ep.Emulator, users, "message")
				recordChaos(t, chaosRow{Scenario: "pop3 kill -9, " + tt.name, Cycles: cycles, Faults: faultsInjected(ep.Emulator) - faults0,
					Expected: total, Found: found, Lost: max(0, total-found), Doubled: doubled, Panics: panicsIn(outs...)})
			}()
			checkPOPTarget(t, ep.Emulator, filler)
			if n := emulatorMessages(ep.Emulator, d); n != total {
				t.Errorf("the target holds %d messages, want %d", n, total)
			}
		})
	}
	checkPOPUnchanged(t, d, before)
}
