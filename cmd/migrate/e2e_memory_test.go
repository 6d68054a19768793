package main

import (
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/source/testserver"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// maxPeakRSS is the memory a migration may use whatever the size of the
// message it moves (the `migrate run` issue: a 100 MB message under
// 200 MB of peak RSS).
const maxPeakRSS = 200 << 20

// maxPeakHeapMB bounds the Go heap of that migration: buffers of a few
// megabytes (an upload range is 3.2 MB), never the message.
const maxPeakHeapMB = 48

// gcTraceRE matches the heap sizes of a GODEBUG=gctrace=1 line: heap at
// the start of the collection, at its end, and live.
var gcTraceRE = regexp.MustCompile(`(?m)^gc \d+ @.* (\d+)->(\d+)->(\d+) MB`)

// peakHeap returns the largest heap size in a GC trace, in MB, and the
// number of collections.
func peakHeap(trace string) (mb, gcs int) {
	for _, m := range gcTraceRE.FindAllStringSubmatch(trace, -1) {
		gcs++
		for _, v := range m[1:] {
			n, _ := strconv.Atoi(v)
			mb = max(mb, n)
		}
	}
	return mb, gcs
}

// TestE2ELargeMessageMemory migrates a mailbox holding a message with a
// 100 MB attachment in a child process and checks the child's peak
// resident set size, its attachment byte for byte in the emulator, and
// that it is received mail (the emulator accepts attachments on received
// mail and messages up to 150 MB here).
func TestE2ELargeMessageMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the 100 MB migration in -short mode")
	}
	const user = "alice@example.test"
	big := testserver.ExtraMessage{User: user, Folder: "Big", Message: testserver.ManifestMessage{
		Generate: &testserver.Generator{Subject: "A 100 MB attachment", Seed: "e2e-100mb", AttachmentSize: 100 << 20},
		Flags:    []string{`\Seen`},
		Date:     time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC),
	}}
	d := startDovecot(t, big)
	var exp []*expected
	for _, e := range expectations(t, d, []testserver.ExtraMessage{big}) {
		if e.user == user && e.folder == "Big" {
			exp = append(exp, e)
		}
	}
	ep := startEmulator(t, d, graphemu.Options{AttachmentsOnNonDraft: true, MaxMessageSize: 150 << 20})
	p := writeProject(t, d, ep)

	// The Graph client's pacing 100 times faster: at Exchange Online's
	// 150 MB per 5 minutes the upload alone takes 3.5 minutes.
	c := startChild(t, 100, p.args("--mailbox", user, "--set", "folders.include=Big",
		"--set", "target.max_message_size=150MB", "--spool-dir", t.TempDir()), "GODEBUG=gctrace=1")
	code := c.wait(t)
	if code != exitOK {
		t.Fatalf("migrate run: exit %d, want 0:\n%s", code, c.out)
	}
	ru, ok := c.cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Fatalf("no resource usage of the child process on %T", c.cmd.ProcessState.SysUsage())
	}
	peak := ru.Maxrss << 10 // KiB on Linux
	t.Logf("peak RSS of migrate run moving a 100 MB message: %.1f MiB (race detector: %v); user %v, system %v",
		float64(peak)/(1<<20), raceBuild, time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano()))

	out := c.out.String()
	noErrorLogs(t, out)
	if s := parseSummary(t, out); s.migrated != 1 || s.failed != 0 {
		t.Errorf("summary %+v, want the 100 MB message migrated:\n%s", s, out)
	}
	got := checkExactlyOnce(t, ep.Emulator, exp, nil)
	items := stateItems(t, p.statePath())
	checkCorpus(t, exp, got, items, true)
	// The other folders are excluded (folders.include): their messages
	// are skipped with the reason, recorded in the state.
	skipped := 0
	for _, it := range items {
		if it.Folder == "Big" {
			continue
		}
		skipped++
		if it.Status != state.StatusSkipped || !strings.HasPrefix(it.Reason, "its folder is not migrated") {
			t.Errorf("state: %s %s: %s %q, want skipped because its folder is not migrated", it.Folder, it.SourceKey, it.Status, it.Reason)
		}
	}
	if s := parseSummary(t, out); skipped != s.skipped || skipped == 0 {
		t.Errorf("the state records %d skipped items, the summary says %d", skipped, s.skipped)
	}
	// The Go heap, from the runtime's GC trace, whatever the build: were
	// the message or its attachment held in memory, it would pass 100 MB.
	heap, gcs := peakHeap(out)
	t.Logf("Go heap at most %d MB over %d collections", heap, gcs)
	if gcs == 0 {
		t.Errorf("no GC trace in the child's output")
	}
	if heap > maxPeakHeapMB {
		t.Errorf("the Go heap reached %d MB, want at most %d MB: something holds the message", heap, maxPeakHeapMB)
	}
	// Peak RSS is asserted only without -race. Under the race detector
	// the same run measured 121 to 215 MiB while the Go heap above stayed
	// under 10 MB: the difference is the race runtime's shadow memory and
	// per-goroutine history, not the product (without -race: 54-66 MiB).
	if raceBuild {
		t.Logf("peak RSS not checked under -race (limit %d MiB without it)", maxPeakRSS>>20)
		return
	}
	if peak > maxPeakRSS {
		t.Errorf("peak RSS %.1f MiB, want under %d MiB", float64(peak)/(1<<20), maxPeakRSS>>20)
	}
}
