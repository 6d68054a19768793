package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// thunderbirdCopy is a message as Thunderbird keeps it after a POP
// download: a From_ line, its X-Mozilla-Status fields on top, LF line ends,
// and (drop) the first Received field left out, so that the header bytes
// differ from the server's while the body is the same.
func thunderbirdCopy(from, msg string, drop bool) string {
	if drop && strings.HasPrefix(msg, "Received:") {
		// The first field and its continuation lines.
		i := strings.Index(msg, "\n")
		for i >= 0 && i+1 < len(msg) && (msg[i+1] == ' ' || msg[i+1] == '\t') {
			i += 1 + strings.Index(msg[i+1:], "\n")
		}
		msg = msg[i+1:]
	}
	return "From - " + from + "\nX-Mozilla-Status: 0001\nX-Mozilla-Status2: 00000000\n" + msg + "\n"
}

// TestE2EPOP3AndLocalStoreOneTarget is the case: a POP3 account
// (Dovecot POP3S) and the user's Thunderbird store of the same mail (an
// account directory the test writes: Inbox and "Archive 2019" mbox files
// holding the POP messages with X-Mozilla-Status fields, From_ lines, LF
// line ends and a Received field less, plus two messages only the store
// has) for one target mailbox. In both orders of the rows, each message
// is in the target exactly once after the first run, a second run and a
// run with the state deleted (dedupe.across_rows body, the default), in
// the earlier row's folder; the plan's overlap count is what the run
// matched; verify passes.
func TestE2EPOP3AndLocalStoreOneTarget(t *testing.T) {
	d := startPOPDovecot(t)
	ep := startEmulator(t, d, graphemu.Options{})
	pw := popPasswords(d)
	store := filepath.Join(t.TempDir(), "Mail", "pop.example.test")
	if err := os.MkdirAll(store, 0o755); err != nil {
		t.Fatal(err)
	}
	inbox := thunderbirdCopy("Mon Jun 30 08:00:00 2025", popCorpus["m/received.eml"], true) +
		thunderbirdCopy("Sun Mar  3 13:00:00 2019", popCorpus["m/dateonly.eml"], false) +
		thunderbirdCopy("Tue Jun  4 10:00:00 2019", "From: d@example.test\nTo: pops@example.test\nSubject: local one\nDate: Tue, 4 Jun 2019 10:00:00 +0000\nMessage-ID: <local1@example.test>\n\nonly in Thunderbird\n", false)
	archive := thunderbirdCopy("Wed Jul  2 09:00:00 2025", popCorpus["m/dots.eml"], true) +
		thunderbirdCopy("Wed Jun  5 10:00:00 2019", "From: d@example.test\nTo: pops@example.test\nSubject: local two\nDate: Wed, 5 Jun 2019 10:00:00 +0000\nMessage-ID: <local2@example.test>\n\nonly in Thunderbird too\n", false)
	for name, content := range map[string]string{"Inbox": inbox, "Archive 2019": archive, "Inbox.msf": "// index\n"} {
		if err := os.WriteFile(filepath.Join(store, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	popRow := fmt.Sprintf("pops@example.test,pops@example.test,%s,pop3,%d,tls,,", pw["pops@example.test"], d.POP3SPort)
	storeRow := fmt.Sprintf("pops-thunderbird@example.test,,,mbox,,,%s,pops@example.test", store)
	want := map[string]int{"pop received": 1, "pop date only": 1, "pop dots": 1, "local one": 1, "local two": 1}
	for _, order := range []struct {
		name      string
		rows      []string
		later     string
		dotsIn    string // where the earlier row put "pop dots"
		laterDone int    // messages the later row finds migrated
	}{
		{"POP3 row first", []string{popRow, storeRow}, "pops-thunderbird@example.test", "Inbox", 3},
		{"store row first", []string{storeRow, popRow}, "pops@example.test", "Archive 2019", 3},
	} {
		t.Run(order.name, func(t *testing.T) {
			if err := ep.Emulator.Reset(); err != nil {
				t.Fatal(err)
			}
			dir, cfg := writePOPProject(t, d, ep)
			csv := "EmailAddress,UserName,Password,SourceProtocol,SourcePort,SourceSecurity,SourcePath,TargetAddress\n" + strings.Join(order.rows, "\n") + "\n"
			if err := os.WriteFile(filepath.Join(dir, "mailboxes.csv"), []byte(csv), 0o600); err != nil {
				t.Fatal(err)
			}
			planOverlap(t, dir, cfg, order.later, order.laterDone)
			for _, r := range []struct {
				name      string
				dropState bool
				created   int
			}{{"first run", false, 5}, {"second run", false, 0}, {"run with the state deleted", true, 0}} {
				if r.dropState {
					removeState(t, dir)
				}
				code, stdout, stderr := runCLI(t, "run", "--config", cfg, "--progress", "none")
				if code != exitOK {
					t.Fatalf("%s: exit %d\n%s\n%s", r.name, code, stdout, stderr)
				}
				noErrorLogs(t, stderr)
				if s := parseSummary(t, stdout); s.migrated != r.created || s.failed != 0 || s.migrated+s.done != 8 {
					t.Errorf("%s: %+v; want %d created and 8 in all (3 POP, 5 in the store)", r.name, s, r.created)
				}
				got := map[string]int{}
				for _, f := range ep.Emulator.DumpMailbox(nil, "pops@example.test").Folders {
					for _, it := range f.Items {
						subject, _ := it.Graph["subject"].(string)
						got[subject]++
						if subject == "pop dots" && f.Path != order.dotsIn {
							t.Errorf("%s: %q in %q, want %q (where the earlier row put it)", r.name, subject, f.Path, order.dotsIn)
						}
					}
				}
				if !maps.Equal(got, want) {
					t.Errorf("%s: the target holds %v, want each message once: %v", r.name, got, want)
				}
				n := 0
				for _, it := range stateItems(t, filepath.Join(dir, ".migrate", "state.db")) {
					if it.Mailbox == order.later && it.Status == state.StatusMigrated && strings.HasPrefix(it.Reason, "already migrated from another row of pops@example.test, into ") {
						n++
					}
				}
				if n != order.laterDone {
					t.Errorf("%s: the state records %d items of %s as migrated by the other row, want %d", r.name, n, order.later, order.laterDone)
				}
				if code, stdout, stderr := runCLI(t, "verify", "--config", cfg, "--out", filepath.Join(dir, "verify.json")); code != exitOK {
					t.Errorf("%s: migrate verify: exit %d\n%s\n%s", r.name, code, stdout, stderr)
				}
			}
		})
	}
}

// planOverlap checks that the plan of the project expects n messages of
// the row later to be already in the target (plan.RowOverlap).
func planOverlap(t *testing.T, dir, cfg, later string, n int) {
	t.Helper()
	out := filepath.Join(dir, "plan.json")
	if code, stdout, stderr := runCLI(t, "plan", "--config", cfg, "--out", out); code != exitOK {
		t.Fatalf("migrate plan: exit %d\n%s\n%s", code, stdout, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var pl plan.Plan
	if err := json.Unmarshal(b, &pl); err != nil {
		t.Fatal(err)
	}
	if len(pl.RowOverlaps) != 1 || pl.RowOverlaps[0].Row != later || pl.RowOverlaps[0].Both.Items != int64(n) {
		t.Errorf("plan row_overlaps %+v; want %s with %d messages expected from the earlier row", pl.RowOverlaps, later, n)
	}
	found := false
	for _, r := range pl.Risks {
		found = found || (r.Code == "rows_overlap" && r.Mailbox == later)
	}
	if !found {
		t.Errorf("plan risks %+v: no rows_overlap for %s", pl.Risks, later)
	}
}
