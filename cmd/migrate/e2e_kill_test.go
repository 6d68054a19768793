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

// fillerMessages are n small generated messages per user in a folder of
// their own, and optionally one with a 3.5 MB attachment (created with the
// pending stamp, then completed through an upload session), so that runs
// last long enough to be killed in the middle. Their sizes differ, so that
// no two creation requests have the same length (checkRetryAfter tells a
// retry by it).
func fillerMessages(t *testing.T, n int, large bool) []testserver.ExtraMessage {
	t.Helper()
	m, err := testserver.LoadManifest("")
	if err != nil {
		t.Fatalf("LoadManifest() = %v", err)
	}
	var out []testserver.ExtraMessage
	base := time.Date(2024, 6, 1, 8, 0, 0, 0, time.UTC)
	for ui, u := range m.Users {
		for i := range n {
			out = append(out, testserver.ExtraMessage{User: u.Name, Folder: "Filler", Message: testserver.ManifestMessage{
				Generate: &testserver.Generator{Subject: fmt.Sprintf("Filler %d", i), Seed: fmt.Sprintf("filler-%d-%d", ui, i), AttachmentSize: 2000 + 61*int64(i)},
				Flags:    []string{`\Seen`}, Date: base.Add(time.Duration(i) * time.Hour),
			}})
		}
		if large {
			out = append(out, testserver.ExtraMessage{User: u.Name, Folder: "Filler", Message: testserver.ManifestMessage{
				Generate: &testserver.Generator{Subject: "Filler large", Seed: fmt.Sprintf("filler-large-%d", ui), AttachmentSize: 3<<20 + 512<<10},
				Date:     base.Add(-time.Hour),
			}})
		}
	}
	return out
}

// emulatorMessages counts the messages the emulator holds for the users.
func emulatorMessages(emu *graphemu.Emulator, d *testserver.Dovecot) int {
	n := 0
	for _, u := range d.Users {
		if dump := emu.DumpMailbox(nil, u.Name); dump != nil {
			for _, f := range dump.Folders {
				n += len(f.Items)
			}
		}
	}
	return n
}

// waitForMessages returns when the emulator holds n messages or the child
// has ended.
func waitForMessages(c *child, emu *graphemu.Emulator, d *testserver.Dovecot, n int) {
	waitForCount(c, func() int { return emulatorMessages(emu, d) }, n)
}

// waitForCount returns when count() reaches n or the child has ended.
func waitForCount(c *child, count func() int, n int) {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for count() < n {
		select {
		case <-c.done:
			return
		case <-tick.C:
		}
	}
}

// pendingItems counts the items stamped "pending:" (attachments still
// being added) in the emulator.
func pendingItems(t *testing.T, emu *graphemu.Emulator, d *testserver.Dovecot) int {
	n := 0
	for _, u := range d.Users {
		n += len(inspect(t, emu, u.Name).pending)
	}
	return n
}

// killAtRandom kills c with SIGKILL at a random point (rng) of its run and
// reports what it waited for and whether c was still running: a quarter of
// the kills at a random moment between early and early+spread (logging
// in, listing, creating folders, reconciling), the others once a random
// number of further messages is in the target (got of total before the
// run; runsLeft kill cycles left to spread the rest over; count counts
// the messages in the target), plus up to 40 ms, while other uploads of
// the mailbox are in flight.
func killAtRandom(t *testing.T, rng *rand.Rand, c *child, count func() int, got, total, runsLeft int, early, spread time.Duration) (what string, killed bool) {
	t.Helper()
	if rng.IntN(4) == 0 {
		delay := early + time.Duration(rng.Int64N(int64(spread)))
		what = fmt.Sprintf("after %v", delay.Round(time.Millisecond))
		select {
		case <-c.done:
		case <-time.After(delay):
		}
	} else {
		remaining := total - got
		need := 1 + rng.IntN(max(1, min(remaining-1, 2*remaining/runsLeft)))
		jitter := time.Duration(rng.Int64N(int64(40 * time.Millisecond)))
		what = fmt.Sprintf("after %d more messages + %v", need, jitter.Round(time.Millisecond))
		waitForCount(c, count, got+need)
		time.Sleep(jitter)
	}
	return what, c.kill(t)
}

// TestE2EKillNine kills `migrate run` with SIGKILL at random moments
// (seeded), runs it again until it completes, and checks that the
// emulator holds every source message exactly once: once with the state
// kept between runs, once with the state file deleted before every run
// (reconciliation by the stamps in the target alone). The emulator slows
// down a share of the requests so that the kills land in the middle of
// uploads.
func TestE2EKillNine(t *testing.T) {
	const (
		seed      = 20261123
		timeScale = 20 // the emulator's and the Graph client's
	)
	cycles := chaosCycles(t, 8)
	extras := fillerMessages(t, 40, true)
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
		// 100 ms at this time scale on half the creations and a third of
		// the upload ranges.
		Faults: "POST */messages slow=2s:50%; PUT slow=2s:30%",
		Seed:   seed,
	})
	p := writeProject(t, d, ep)
	stateDir := filepath.Dir(p.statePath())
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
			if err := os.RemoveAll(stateDir); err != nil {
				t.Fatal(err)
			}
			midRun := 0
			faults0 := faultsInjected(ep.Emulator)
			var outs []string
			for cycle := range cycles {
				if tt.dropState {
					if err := os.RemoveAll(stateDir); err != nil {
						t.Fatal(err)
					}
				}
				before := emulatorMessages(ep.Emulator, d)
				c := startChild(t, timeScale, p.args())
				start := time.Now()
				what, killed := killAtRandom(t, rng, c, func() int { return emulatorMessages(ep.Emulator, d) }, before, total, cycles-cycle, 100*time.Millisecond, 400*time.Millisecond)
				outs = append(outs, c.out.String())
				after := emulatorMessages(ep.Emulator, d)
				pending := pendingItems(t, ep.Emulator, d)
				if killed && after < total {
					midRun++
				}
				t.Logf("cycle %d: kill -9 %s (at %v): killed %v; messages in the target %d -> %d of %d, %d incomplete",
					cycle+1, what, time.Since(start).Round(time.Millisecond), killed, before, after, total, pending)
				if !killed && c.cmd.ProcessState.ExitCode() != exitOK {
					t.Fatalf("cycle %d: migrate run ended before the kill with exit %d:\n%s", cycle+1, c.cmd.ProcessState.ExitCode(), c.out)
				}
			}
			if midRun < cycles/2 {
				t.Errorf("only %d of %d kills landed in the middle of a run; make the runs longer", midRun, cycles)
			}
			for attempt := 1; ; attempt++ {
				if tt.dropState {
					if err := os.RemoveAll(stateDir); err != nil {
						t.Fatal(err)
					}
				}
				c := startChild(t, timeScale, p.args())
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
				recordChaos(t, chaosRow{Scenario: "imap kill -9, " + tt.name, Cycles: cycles, Faults: faultsInjected(ep.Emulator) - faults0,
					Expected: total, Found: found, Lost: max(0, total-found), Doubled: doubled, Panics: panicsIn(outs...)})
			}()
			checkExactlyOnce(t, ep.Emulator, exp, nil)
		})
	}
}
