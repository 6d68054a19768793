package main

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/target/graphemu"
)

// The kill-and-resume loops (TestE2EKillNine, TestE2EPOP3KillNine,
// TestE2EPIMKillNine) run a few cycles in `make test`; `make chaos` runs
// them with many more and collects one row per scenario into a table.
const (
	// chaosCyclesEnv sets the kill cycles of every scenario.
	chaosCyclesEnv = "MIGRATE_CHAOS_CYCLES"
	// chaosReportEnv names a file each scenario appends its row to, as
	// tab-separated fields in the order of chaosRow.
	chaosReportEnv = "MIGRATE_CHAOS_REPORT"
)

// chaosCycles is the number of kill cycles of a scenario: def, or
// chaosCyclesEnv when set.
func chaosCycles(t *testing.T, def int) int {
	t.Helper()
	s := os.Getenv(chaosCyclesEnv)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a number of cycles, at least 1", chaosCyclesEnv, s)
	}
	return n
}

// chaosRow is one scenario's line of the `make chaos` table.
type chaosRow struct {
	Scenario string
	Cycles   int
	Faults   int64 // responses the emulator's faults changed
	Expected int   // items the source holds that must be in the target
	Found    int   // of them, in the target at least once
	Lost     int   // Expected - Found (must be 0)
	Doubled  int   // items in the target beyond one per source item, incomplete or unstamped ones (must be 0)
	Panics   int   // panics and fatal errors in the output of every run (must be 0)
}

// recordChaos logs the row and appends it to the chaosReportEnv file.
func recordChaos(t *testing.T, r chaosRow) {
	t.Helper()
	line := strings.Join([]string{r.Scenario, strconv.Itoa(r.Cycles), strconv.FormatInt(r.Faults, 10), strconv.Itoa(r.Expected),
		strconv.Itoa(r.Found), strconv.Itoa(r.Lost), strconv.Itoa(r.Doubled), strconv.Itoa(r.Panics)}, "\t")
	t.Logf("chaos: %s", strings.ReplaceAll(line, "\t", " | "))
	path := os.Getenv(chaosReportEnv)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatalf("%s: %v", chaosReportEnv, err)
	}
	defer f.Close()
	if _, err := fmt.Fprintln(f, line); err != nil {
		t.Fatalf("%s: %v", chaosReportEnv, err)
	}
}

// faultsInjected sums the emulator's fault counts.
func faultsInjected(emu *graphemu.Emulator) int64 {
	var n int64
	for _, v := range emu.FaultStats() {
		n += v
	}
	return n
}

// stampTally counts what the emulator holds of users' items of the given
// kinds ("message", "contact", "event") by their source-key stamp, per
// mailbox and folder: found is the number of distinct stamps, doubled the
// items beyond one per stamp plus those stamped "pending:" (incomplete)
// or not stamped at all.
func stampTally(emu *graphemu.Emulator, users []string, kinds ...string) (found, doubled int) {
	seen := map[string]int{}
	for _, u := range users {
		dump := emu.DumpMailbox(nil, u)
		if dump == nil {
			continue
		}
		for _, f := range dump.Folders {
			for _, it := range f.Items {
				if !slices.Contains(kinds, it.Kind) {
					continue
				}
				key, ok := stampOf(it)
				if !ok || strings.HasPrefix(key, "pending:") {
					doubled++
					continue
				}
				if seen[u+"\x00"+f.ID+"\x00"+key]++; seen[u+"\x00"+f.ID+"\x00"+key] == 1 {
					found++
				} else {
					doubled++
				}
			}
		}
	}
	return found, doubled
}

// panicsIn counts the Go panics and fatal runtime errors in outputs.
func panicsIn(outputs ...string) int {
	n := 0
	for _, o := range outputs {
		n += strings.Count(o, "\npanic: ") + strings.Count(o, "\nfatal error: ")
		if strings.HasPrefix(o, "panic: ") || strings.HasPrefix(o, "fatal error: ") {
			n++
		}
	}
	return n
}
