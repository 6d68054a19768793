package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/source/testserver"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// sparseFaults is the fault of the n-th connection through the proxy in
// the first scenario of TestE2EFaultProxyIMAP: of the first 16
// connections every fifth stalls and the others are cut after 200 KB to
// 755 KB of server bytes, inside the FETCH literal of a message of 3.5 MB
// or more; the connections after them are clean.
func sparseFaults(n int) testserver.ProxyFault {
	switch {
	case n >= 16:
		return testserver.ProxyFault{}
	case n%5 == 3:
		return testserver.ProxyFault{Stall: true}
	default:
		return testserver.ProxyFault{CutAfter: 200<<10 + int64(n)*37<<10, Latency: time.Millisecond}
	}
}

// TestE2EFaultProxyIMAP runs `migrate run` to Dovecot over IMAPS through a
// testserver.FaultProxy that cuts connections in the middle of large
// FETCH responses and stalls others (accepted, never answered), and
// re-runs until a run exits 0. Each run must exit 0 or 1, and with 1 the
// output names every item the state records failed; at the end every
// message is in the emulator exactly once, none lost, none doubled.
//
// In "sparse" some connections are faulty; in "first run cut" every
// connection of the first run is cut after 300 KB or stalls, so no
// message of 3.5 MB or more can be read in it: those must be reported
// failed (exit 1), and the second run, with clean connections, completes.
func TestE2EFaultProxyIMAP(t *testing.T) {
	extras := fillerMessages(t, 8, true)
	d := startDovecot(t, extras...)
	exp := expectations(t, d, extras)
	tests := []struct {
		name     string
		faults   func(first *atomic.Bool) func(int) testserver.ProxyFault
		wantRuns int // 0: any number up to maxRuns
	}{
		{name: "sparse", faults: func(*atomic.Bool) func(int) testserver.ProxyFault { return sparseFaults }},
		{name: "first run cut", wantRuns: 2, faults: func(first *atomic.Bool) func(int) testserver.ProxyFault {
			return func(n int) testserver.ProxyFault {
				switch {
				case !first.Load():
					return testserver.ProxyFault{}
				case n%7 == 3:
					return testserver.ProxyFault{Stall: true}
				default:
					return testserver.ProxyFault{CutAfter: 300 << 10}
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runFaultProxyScenario(t, d, exp, tt.faults, tt.wantRuns)
		})
	}
	if log, err := os.ReadFile(d.LogFile); err == nil {
		n := 0
		for line := range strings.Lines(string(log)) {
			if strings.Contains(line, "Disconnected: Connection closed") && strings.Contains(line, "UID FETCH") {
				n++
			}
		}
		t.Logf("Dovecot logged %d connections closed during or right after a UID FETCH", n)
	}
}

// runFaultProxyScenario is one scenario of TestE2EFaultProxyIMAP.
func runFaultProxyScenario(t *testing.T, d *testserver.Dovecot, exp []*expected, faults func(first *atomic.Bool) func(int) testserver.ProxyFault, wantRuns int) {
	ep := startEmulator(t, d, graphemu.Options{})
	var first atomic.Bool
	first.Store(true)
	proxy := testserver.FaultProxyForTest(t, testserver.FaultProxyOptions{
		Target: d.Host + ":" + strconv.Itoa(d.IMAPSPort),
		Faults: faults(&first),
	})
	p := writeProject(t, d, ep)
	// Through the proxy (TLS passes through it: the certificate is still
	// Dovecot's for 127.0.0.1), with a timeout short enough that a stalled
	// connection is given up in seconds.
	yaml, err := os.ReadFile(p.config)
	if err != nil {
		t.Fatal(err)
	}
	from := fmt.Sprintf("port: %d\n", d.IMAPSPort)
	if !strings.Contains(string(yaml), from) || !strings.Contains(string(yaml), "timeout: 1m\n") {
		t.Fatalf("migration.yaml has no %q or timeout line:\n%s", from, yaml)
	}
	patched := strings.Replace(string(yaml), from, fmt.Sprintf("port: %d\n", proxy.Port), 1)
	patched = strings.Replace(patched, "timeout: 1m\n", "timeout: 3s\n", 1)
	if err := os.WriteFile(p.config, []byte(patched), 0o600); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	const maxRuns = 4
	runs := 0
	for code := -1; code != exitOK; {
		if runs == maxRuns {
			t.Fatalf("still not complete after %d runs; proxy %+v", maxRuns, proxy.Stats())
		}
		runs++
		var stdout, stderr string
		code, stdout, stderr = p.run(t)
		first.Store(false)
		t.Logf("run %d: exit %d after %v; proxy %+v", runs, code, time.Since(start).Round(time.Millisecond), proxy.Stats())
		switch code {
		case exitOK:
		case exitItemsFailed:
			// What is left is exactly what was reported: every message
			// is in the target once or recorded failed and listed.
			checkExactlyOnce(t, ep.Emulator, exp, checkFailedNamed(t, exp, p.statePath(), stdout))
		default:
			t.Fatalf("run %d: exit %d, want 0 or %d (items failed)\n%s\n%s", runs, code, exitItemsFailed, stdout, stderr)
		}
	}
	s := proxy.Stats()
	if s.Cuts == 0 || s.Stalls == 0 {
		t.Fatalf("proxy %+v: no connection was cut or stalled; the test proves nothing", s)
	}
	if wantRuns > 0 && runs != wantRuns {
		t.Errorf("complete after %d runs, want %d", runs, wantRuns)
	}
	t.Logf("complete after %d runs in %v: %d connections, %d cut, %d stalled, %d bytes from Dovecot",
		runs, time.Since(start).Round(time.Millisecond), s.Conns, s.Cuts, s.Stalls, s.ToClient)
	got := checkExactlyOnce(t, ep.Emulator, exp, nil)
	checkCorpus(t, exp, got, stateItems(t, p.statePath()), false)
}

// checkFailedNamed checks that stdout lists every item the state at path
// records failed, with mailbox, folder, key and reason, and returns them.
func checkFailedNamed(t *testing.T, exp []*expected, path, stdout string) map[*expected]bool {
	t.Helper()
	items := stateItems(t, path)
	failed := map[*expected]bool{}
	for _, e := range exp {
		it, ok := stateItemFor(items, e)
		if !ok || it.Status != state.StatusFailed {
			continue
		}
		failed[e] = true
		line := fmt.Sprintf("failed: mailbox %s, folder %s, item %s: %s", e.user, e.folder, it.SourceKey, it.Reason)
		if it.Reason == "" || !strings.Contains(stdout, line) {
			t.Errorf("%s: recorded failed (%q) but the output does not list it as %q", e.name(), it.Reason, line)
		}
	}
	for line := range strings.Lines(stdout) {
		if strings.HasPrefix(line, "failed: ") {
			t.Log(strings.TrimSpace(line))
		}
	}
	if len(failed) == 0 {
		t.Errorf("exit %d but no item is recorded failed:\n%s", exitItemsFailed, stdout)
	}
	return failed
}
