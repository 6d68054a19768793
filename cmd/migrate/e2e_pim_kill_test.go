package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/target/graphemu"
)

// pimUser is the mailbox of the contacts and calendars end-to-end tests.
const pimUser = "pim@example.test"

// pimItems counts the contacts and events (complete or not) the emulator
// holds for user.
func pimItems(emu *graphemu.Emulator, user string) int {
	n := 0
	if mb := emu.DumpMailbox(nil, user); mb != nil {
		for _, f := range mb.Folders {
			for _, it := range f.Items {
				if it.Kind == "contact" || it.Kind == "event" {
					n++
				}
			}
		}
	}
	return n
}

// pimStamps checks every contact and event of user by its stamp: each
// carries one, none is left pending (a series without its exceptions, a
// contact without its photo), and no source key is in a folder twice.
func pimStamps(t *testing.T, emu *graphemu.Emulator, user string) {
	t.Helper()
	mb := emu.DumpMailbox(nil, user)
	if mb == nil {
		t.Fatalf("no mailbox %s in the emulator", user)
	}
	for _, f := range mb.Folders {
		seen := map[string]int{}
		for _, it := range f.Items {
			if it.Kind != "contact" && it.Kind != "event" {
				continue
			}
			name := str(it.Graph, "displayName") + str(it.Graph, "subject")
			key, ok := stampOf(it)
			switch {
			case !ok:
				t.Errorf("%s %q in %q has no source-key stamp", it.Kind, name, f.Path)
			case strings.HasPrefix(key, "pending:"):
				t.Errorf("%s %q in %q is left incomplete (stamp %q)", it.Kind, name, f.Path, key)
			default:
				if seen[key]++; seen[key] == 2 {
					t.Errorf("%s %q: source key %q is in %q more than once", it.Kind, name, key, f.Path)
				}
			}
		}
	}
}

// seriesInstances lists, by subject, the occurrences of every series
// master of user through Graph's /instances over 2024-2026: start, end,
// subject and location of each, so that a series missing a cancellation
// or a change differs from a complete one.
func seriesInstances(t *testing.T, ep *graphemu.Endpoint, got *pimTarget) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for subject, es := range got.events {
		for _, e := range es {
			if str(e, "type") != "seriesMaster" {
				continue
			}
			q := url.Values{"startDateTime": {"2024-01-01T00:00:00Z"}, "endDateTime": {"2027-01-01T00:00:00Z"}}
			for _, in := range graphGet(t, ep, fmt.Sprintf("/users/%s/events/%s/instances?%s", pimUser, str(e, "id"), q.Encode())) {
				out[subject] = append(out[subject], strings.Join([]string{str(in, "start.dateTime"), str(in, "end.dateTime"), str(in, "subject"), str(in, "location.displayName")}, " | "))
			}
			slices.Sort(out[subject])
		}
	}
	return out
}

// TestE2EPIMKillNine kills `migrate run` of the project of
// TestE2EContactsAndCalendars (Dovecot, Radicale, export files) with
// SIGKILL at seeded points while contacts and events are being created,
// and runs it again until it completes: once with the state kept, once
// with the state deleted before every run (reconciliation by the stamps
// in the target alone). Then the target holds what a clean run created,
// each contact and event once: the same counts by display name and
// subject, no source key twice in a folder, nothing left pending, every
// series with its cancelled and changed occurrences; no meeting message
// was sent, and `migrate verify` passes. The emulator slows down a share
// of the creations, photo uploads, occurrence changes and stamp
// completions so that the kills land between them.
func TestE2EPIMKillNine(t *testing.T) {
	const (
		seed      = 20261204
		timeScale = 20 // the emulator's and the Graph client's
	)
	cycles := chaosCycles(t, 6)
	d, r := startPIMSources(t)
	ep := graphemu.StartForTest(t, &graphemu.Options{
		ClientID: e2eClientID, ClientSecret: e2eSecret, Users: []string{pimUser},
		TimeScale: timeScale,
		// 100 ms at this time scale.
		Faults: "POST */contacts slow=2s:75%; POST */events slow=2s:75%; PUT slow=2s:50%; PATCH slow=2s:50%; DELETE slow=2s:50%; GET */instances slow=2s:30%",
		Seed:   seed,
	})
	p := writePIMProject(t, d, r, ep)
	setGraphTimeScale(t, timeScale)

	// The reference: a clean run.
	if code, stdout, stderr := p.run(t); code != exitItemsFailed {
		t.Fatalf("clean run: exit %d, want %d (two malformed objects)\n%s\n%s", code, exitItemsFailed, stdout, stderr)
	}
	clean := dumpPIM(t, ep.Emulator, pimUser)
	cleanSeries := seriesInstances(t, ep, clean)
	total := pimItems(ep.Emulator, pimUser)
	cleanFound, cleanDoubled := stampTally(ep.Emulator, []string{pimUser}, "contact", "event")
	if cleanDoubled != 0 {
		t.Fatalf("the clean run left %d contacts or events doubled, incomplete or unstamped", cleanDoubled)
	}
	if len(cleanSeries) < 2 || total < 20 {
		t.Fatalf("the clean run created %d contacts and events, %d series; the test needs the full project", total, len(cleanSeries))
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("seed %d: %d contacts and events to create", seed, total)

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
			removeState(t, p.dir)
			midRun := 0
			faults0 := faultsInjected(ep.Emulator)
			var outs []string
			for cycle := range cycles {
				if tt.dropState {
					removeState(t, p.dir)
				}
				before := pimItems(ep.Emulator, pimUser)
				c := startChild(t, timeScale, p.args())
				start := time.Now()
				var what string
				if rng.IntN(4) == 0 {
					// Discovering, listing, reconciling.
					delay := 50*time.Millisecond + time.Duration(rng.Int64N(int64(350*time.Millisecond)))
					what = fmt.Sprintf("after %v", delay.Round(time.Millisecond))
					select {
					case <-c.done:
					case <-time.After(delay):
					}
				} else {
					remaining := total - before
					need := 1 + rng.IntN(max(1, min(remaining/2, 2*remaining/(cycles-cycle))))
					jitter := time.Duration(rng.Int64N(int64(60 * time.Millisecond)))
					what = fmt.Sprintf("after %d more contacts and events + %v", need, jitter.Round(time.Millisecond))
					waitForCount(c, func() int { return pimItems(ep.Emulator, pimUser) }, before+need)
					time.Sleep(jitter)
				}
				killed := c.kill(t)
				outs = append(outs, c.out.String())
				after := pimItems(ep.Emulator, pimUser)
				if killed && after < total {
					midRun++
				}
				t.Logf("cycle %d: kill -9 %s (at %v): killed %v; contacts and events in the target %d -> %d of %d",
					cycle+1, what, time.Since(start).Round(time.Millisecond), killed, before, after, total)
				if !killed && c.cmd.ProcessState.ExitCode() != exitItemsFailed {
					t.Fatalf("cycle %d: migrate run ended before the kill with exit %d:\n%s", cycle+1, c.cmd.ProcessState.ExitCode(), c.out)
				}
			}
			if midRun < cycles/2 {
				t.Errorf("only %d of %d kills landed in the middle of a run; make the runs longer", midRun, cycles)
			}
			if tt.dropState {
				removeState(t, p.dir)
			}
			c := startChild(t, timeScale, p.args())
			code := c.wait(t)
			outs = append(outs, c.out.String())
			defer func() {
				found, doubled := stampTally(ep.Emulator, []string{pimUser}, "contact", "event")
				recordChaos(t, chaosRow{Scenario: "contacts and events kill -9, " + tt.name, Cycles: cycles, Faults: faultsInjected(ep.Emulator) - faults0,
					Expected: cleanFound, Found: found, Lost: max(0, cleanFound-found), Doubled: doubled, Panics: panicsIn(outs...)})
			}()
			if code != exitItemsFailed {
				t.Fatalf("migrate run after the kills: exit %d, want %d (two malformed objects):\n%s", code, exitItemsFailed, c.out)
			}

			pimStamps(t, ep.Emulator, pimUser)
			got := dumpPIM(t, ep.Emulator, pimUser)
			for _, m := range []struct {
				kind      string
				got, want map[string][]map[string]any
			}{
				{"contacts", got.contacts, clean.contacts},
				{"events", got.events, clean.events},
			} {
				for name, xs := range m.want {
					if len(m.got[name]) != len(xs) {
						t.Errorf("%d %s %q, want %d (as a clean run)", len(m.got[name]), m.kind, name, len(xs))
					}
				}
				for name, xs := range m.got {
					if _, ok := m.want[name]; !ok {
						t.Errorf("%d %s %q, which a clean run does not create", len(xs), m.kind, name)
					}
				}
			}
			series := seriesInstances(t, ep, got)
			for subject, want := range cleanSeries {
				if g := series[subject]; !slices.Equal(g, want) {
					t.Errorf("series %q: occurrences\n%s\nwant (as a clean run)\n%s", subject, strings.Join(g, "\n"), strings.Join(want, "\n"))
				}
			}
			if got.messages != clean.messages || got.sent != 0 {
				t.Errorf("%d messages (want %d), %d meeting messages sent (want 0)", got.messages, clean.messages, got.sent)
			}
			var vout, verr bytes.Buffer
			if code := run(context.Background(), []string{"verify", "--config", p.config, "--out", filepath.Join(p.dir, "verify.json")}, &vout, &verr); code != exitOK {
				t.Errorf("verify exit %d, want %d\n%s\n%s", code, exitOK, vout.String(), verr.String())
			}
		})
	}
}
