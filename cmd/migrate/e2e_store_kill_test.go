package main

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/migrate-tool/migrate/source/pst/psttest"
	"github.com/migrate-tool/migrate/source/testserver"
	"github.com/migrate-tool/migrate/source/testserver/seed"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// storeWant is what a message of a local store must become in the target.
type storeWant struct {
	user, folder      string
	read, flag, draft bool
	received          time.Time // zero: not checked (the seed's own messages)
}

// emlxMessages is where the filler .emlx files of writeKillStores go in
// the copy of testdata/stores/applemail's account.
const emlxMessages = "INBOX.mbox/8D4C1A22-6B7E-4C0B-9E51-2C7A9B0F1D11/Data/Messages"

// writeMoreKillStores writes the other two stores of TestE2EStoreKillNine
// under dir: an .eml tree of n files (Inbox and Sent Items, dated by
// Received) and a copy of the Apple Mail account in
// testdata/stores/applemail with n more .emlx files in its INBOX (read,
// or read and flagged, dated by date-received). It returns the two paths
// and adds what each message must become, by subject, to want.
func writeMoreKillStores(t *testing.T, dir string, n int, want map[string]storeWant) (emlPath, emlxPath string) {
	t.Helper()
	emlPath, emlxPath = filepath.Join(dir, "Export"), filepath.Join(dir, "AppleMail")
	acct, err := filepath.Abs(filepath.Join("..", "..", "testdata", "stores", "applemail", "V10", "3F2504E0-4F89-41D3-9A0C-0305E82C3301"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(emlxPath, os.DirFS(acct)); err != nil {
		t.Fatal(err)
	}
	for subject, w := range emlxExpect {
		want[subject] = storeWant{user: "mac@example.test", folder: w.folder, read: w.read, flag: w.flag, draft: w.draft, received: w.received}
	}
	base := time.Date(2021, 6, 1, 8, 0, 0, 0, time.UTC)
	for i := range n {
		date := base.Add(time.Duration(i) * 7 * time.Hour)
		subject, folder := fmt.Sprintf("eml filler %d", i), "Inbox"
		if i%3 == 2 {
			folder = "Sent Items"
		}
		content := fmt.Sprintf("Received: by mx.example.test; %s\r\nFrom: c@example.test\r\nTo: eml@example.test\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <eml-filler-%d@example.test>\r\n\r\n%s",
			date.Format(time.RFC1123Z), subject, date.Add(-time.Minute).Format(time.RFC1123Z), i, strings.Repeat("filler line\r\n", 20+7*i))
		p := filepath.Join(emlPath, folder, fmt.Sprintf("%04d.eml", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		want[subject] = storeWant{user: "eml@example.test", folder: folder, received: date}

		subject, date = fmt.Sprintf("emlx filler %d", i), date.Add(time.Minute)
		flags, flag := 1, false // read
		if i%2 == 1 {
			flags, flag = 1|1<<4, true // read, flagged
		}
		msg := fmt.Sprintf("From: d@example.test\nTo: mac@example.test\nSubject: %s\nDate: %s\nMessage-ID: <emlx-filler-%d@example.test>\n\n%s",
			subject, date.Format(time.RFC1123Z), i, strings.Repeat("filler line\n", 20+7*i))
		plist := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>date-received</key>
	<integer>%d</integer>
	<key>flags</key>
	<integer>%d</integer>
</dict>
</plist>
`, date.Unix(), flags)
		p = filepath.Join(emlxPath, filepath.FromSlash(emlxMessages), fmt.Sprintf("%d.emlx", 9000+i))
		if err := os.WriteFile(p, []byte(fmt.Sprintf("%d\n%s%s", len(msg), msg, plist)), 0o644); err != nil {
			t.Fatal(err)
		}
		want[subject] = storeWant{user: "mac@example.test", folder: "Inbox", read: true, flag: flag, received: date}
	}
	return emlPath, emlxPath
}

// writeKillStores writes the two stores of TestE2EStoreKillNine under
// dir: a copy of the seed's Thunderbird account with an mbox folder
// "Filler" of n more messages, and a Maildir with n messages in INBOX and
// its Maildir++ folder Work (new/ unread, cur/ read or read and flagged,
// dated by mtime). It returns the two paths and what each message must
// become, by subject.
func writeKillStores(t *testing.T, dir string, n int) (mboxPath, maildirPath string, want map[string]storeWant) {
	t.Helper()
	want = map[string]storeWant{}
	account, err := fs.Sub(seed.Thunderbird(), seed.ThunderbirdAccount)
	if err != nil {
		t.Fatal(err)
	}
	mboxPath, maildirPath = filepath.Join(dir, "tb"), filepath.Join(dir, "Maildir")
	if err := os.CopyFS(mboxPath, account); err != nil {
		t.Fatal(err)
	}
	for subject, w := range mboxExpect {
		want[subject] = storeWant{user: "tb@example.test", folder: w.folder, read: w.read, flag: w.flag}
	}
	base := time.Date(2022, 3, 1, 9, 0, 0, 0, time.Local)
	var mbox strings.Builder
	for i := range n {
		subject := fmt.Sprintf("mbox filler %d", i)
		date := base.Add(time.Duration(i) * 5 * time.Hour)
		status := []string{"0000", "0001", "0005"}[i%3]
		// Bodies of different lengths: no two creation requests alike.
		fmt.Fprintf(&mbox, "From - %s\nX-Mozilla-Status: %s\nX-Mozilla-Status2: 00000000\nFrom: a@example.test\nTo: tb@example.test\nSubject: %s\nDate: %s\nMessage-ID: <mbox-filler-%d@example.test>\n\n%s\n\n",
			date.Format("Mon Jan _2 15:04:05 2006"), status, subject, date.Format(time.RFC1123Z), i, strings.Repeat("filler line\n", 20+7*i))
		want[subject] = storeWant{user: "tb@example.test", folder: "Filler", read: status != "0000", flag: status == "0005", received: date}
	}
	if err := os.WriteFile(filepath.Join(mboxPath, "Filler"), []byte(mbox.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"cur", "new", "tmp", ".Work/cur", ".Work/new", ".Work/tmp"} {
		if err := os.MkdirAll(filepath.Join(maildirPath, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		subject := fmt.Sprintf("maildir filler %d", i)
		date := base.Add(time.Duration(i)*5*time.Hour + time.Minute).UTC()
		folder, target := "", "Inbox"
		if i%2 == 1 {
			folder, target = ".Work", "Work"
		}
		name, read, flag := fmt.Sprintf("new/%d.M%dP1.host", 1650000000+i, i), false, false
		switch i % 3 {
		case 1:
			name, read = fmt.Sprintf("cur/%d.M%dP1.host:2,S", 1650000000+i, i), true
		case 2:
			name, read, flag = fmt.Sprintf("cur/%d.M%dP1.host:2,FS", 1650000000+i, i), true, true
		}
		p := filepath.Join(maildirPath, folder, filepath.FromSlash(name))
		content := fmt.Sprintf("From: b@example.test\r\nTo: md@example.test\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <maildir-filler-%d@example.test>\r\n\r\n%s",
			subject, date.Format(time.RFC1123Z), i, strings.Repeat("filler line\r\n", 20+7*i))
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, date, date); err != nil {
			t.Fatal(err)
		}
		want[subject] = storeWant{user: "md@example.test", folder: target, read: read, flag: flag, received: date}
	}
	return mboxPath, maildirPath, want
}

// storeMessages counts the messages the emulator holds for users.
func storeMessages(emu *graphemu.Emulator, users ...string) int {
	n := 0
	for _, u := range users {
		if dump := emu.DumpMailbox(nil, u); dump != nil {
			for _, f := range dump.Folders {
				for _, it := range f.Items {
					if it.Kind == "message" {
						n++
					}
				}
			}
		}
	}
	return n
}

// checkStoreTarget checks the emulator against want: every message once
// by subject, stamped, its stamp on no other item, not pending, in its
// folder, read and flagged as the store has it, received when want says;
// nothing else.
func checkStoreTarget(t *testing.T, emu *graphemu.Emulator, want map[string]storeWant) {
	t.Helper()
	seen := map[string]int{}
	users := map[string]bool{}
	for _, w := range want {
		users[w.user] = true
	}
	for user := range users {
		stamps := map[string]string{}
		for _, f := range emu.DumpMailbox(nil, user).Folders {
			for _, it := range f.Items {
				if it.Kind != "message" {
					continue
				}
				subject, _ := it.Graph["subject"].(string)
				seen[subject]++
				w, ok := want[subject]
				if !ok || w.user != user {
					t.Errorf("%s: unexpected message %q in %s", user, subject, f.Path)
					continue
				}
				key, stamped := stampOf(it)
				switch {
				case !stamped:
					t.Errorf("%s: %q carries no source-key stamp", user, subject)
				case strings.HasPrefix(key, "pending:"):
					t.Errorf("%s: %q is still pending (%s)", user, subject, key)
				case stamps[key] != "":
					t.Errorf("%s: %q and %q carry one stamp %q", user, subject, stamps[key], key)
				}
				stamps[key] = subject
				flag, _ := it.Graph["flag"].(map[string]any)
				if f.Path != w.folder || it.IsRead != w.read || (flag["flagStatus"] == "flagged") != w.flag || it.IsDraft != w.draft {
					t.Errorf("%s: %q in %q read %v flag %v draft %v; want %q read %v flagged %v draft %v", user, subject, f.Path, it.IsRead, it.Graph["flag"], it.IsDraft, w.folder, w.read, w.flag, w.draft)
				}
				if received, err := parseGraphTime(it.ReceivedDateTime); !w.received.IsZero() && (err != nil || !received.Equal(w.received.Truncate(time.Second))) {
					t.Errorf("%s: %q received %q, want %s", user, subject, it.ReceivedDateTime, w.received.UTC().Format(time.RFC3339))
				}
			}
		}
	}
	for subject := range want {
		if seen[subject] != 1 {
			t.Errorf("%q is in the target %d times, want once", subject, seen[subject])
		}
	}
}

// TestE2EStoreKillNine is TestE2EKillNine for local stores: a project
// with an mbox row (the seed's Thunderbird account and a filler folder),
// a maildir row, an eml row, an emlx row (the Apple Mail test store and
// filler messages) and a pst row (a copy of go-pst's support sample: 6
// drafts and 11 sent messages, rebuilt as MIME), `migrate run` killed with SIGKILL at random moments
// (seeded) and run again until it completes, once with the state kept
// and once with the state file deleted before every run. Then every
// message is in the target exactly once by its stamp and subject, in its
// folder, read and flagged as in the store, nothing is pending, verify
// passes, and no byte or mtime of the trees changed.
func TestE2EStoreKillNine(t *testing.T) {
	const (
		seed      = 20261205
		timeScale = 20 // the emulator's and the Graph client's
		perStore  = 60
		// The support sample's messages (checkPSTTarget).
		pstDrafts, pstSent = 6, 11
	)
	cycles := chaosCycles(t, 6)
	stores := t.TempDir()
	mboxPath, maildirPath, want := writeKillStores(t, stores, perStore)
	emlPath, emlxPath := writeMoreKillStores(t, stores, perStore/2, want)
	pstPath := filepath.Join(stores, psttest.Support)
	if err := os.Rename(psttest.Copy(t, psttest.Support), pstPath); err != nil {
		t.Fatal(err)
	}
	total := len(want) + pstDrafts + pstSent
	before := testserver.TreeSnapshot(t, stores)
	users := []string{"tb@example.test", "md@example.test", "eml@example.test", "mac@example.test", "pst@example.test"}
	ep := graphemu.StartForTest(t, &graphemu.Options{
		ClientID: e2eClientID, ClientSecret: e2eSecret, Users: users,
		TimeScale: timeScale, AttachmentsOnNonDraft: true,
		// 100 ms at this time scale on half the creations.
		Faults: "POST */messages slow=2s:50%",
		Seed:   seed,
	})
	dir := t.TempDir()
	for name, content := range map[string]string{
		"migration.yaml":    "client: E2E stores kill -9\n" + e2eTarget(ep, "client-secret.txt"),
		"client-secret.txt": e2eSecret + "\n",
		"mailboxes.csv": "EmailAddress,SourceProtocol,SourcePath\ntb@example.test,mbox," + mboxPath + "\nmd@example.test,maildir," + maildirPath +
			"\neml@example.test,eml," + emlPath + "\nmac@example.test,emlx," + emlxPath + "\npst@example.test,pst," + pstPath + "\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "migration.yaml")
	args := []string{"run", "--config", cfg, "--progress", "none"}
	count := func() int { return storeMessages(ep.Emulator, users...) }
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
			removeState(t, dir)
			midRun := 0
			faults0 := faultsInjected(ep.Emulator)
			var outs []string
			defer func() {
				found, doubled := stampTally(ep.Emulator, users, "message")
				recordChaos(t, chaosRow{Scenario: "local stores kill -9, " + tt.name, Cycles: cycles, Faults: faultsInjected(ep.Emulator) - faults0,
					Expected: total, Found: found, Lost: max(0, total-found), Doubled: doubled, Panics: panicsIn(outs...)})
			}()
			for cycle := range cycles {
				if tt.dropState {
					removeState(t, dir)
				}
				got := count()
				c := startChild(t, timeScale, args)
				start := time.Now()
				// A quarter of the kills in the first 300 ms: scanning the
				// stores, listing, reconciling.
				what, killed := killAtRandom(t, rng, c, count, got, total, cycles-cycle, 30*time.Millisecond, 270*time.Millisecond)
				outs = append(outs, c.out.String())
				after := count()
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
			if tt.dropState {
				removeState(t, dir)
			}
			c := startChild(t, timeScale, args)
			code := c.wait(t)
			outs = append(outs, c.out.String())
			if code != exitOK {
				t.Fatalf("migrate run after the kills: exit %d:\n%s", code, c.out)
			}
			if s := parseSummary(t, c.out.String()); s.failed != 0 || s.migrated+s.done != total {
				t.Errorf("the run after the kills: %+v; want %d in all, none failed", s, total)
			}
			checkStoreTarget(t, ep.Emulator, want)
			checkPSTTarget(t, ep.Emulator, "pst@example.test", pstDrafts, pstSent)
			if code, stdout, stderr := runCLI(t, "verify", "--config", cfg, "--out", filepath.Join(dir, "verify.json")); code != exitOK {
				t.Errorf("migrate verify: exit %d\n%s\n%s", code, stdout, stderr)
			}
		})
	}
	if diff := cmp.Diff(before, testserver.TreeSnapshot(t, stores)); diff != "" {
		t.Errorf("the stores changed (-before +after):\n%s", diff)
	}
}
