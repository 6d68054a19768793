package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/pop3"
	"github.com/migrate-tool/migrate/source/testserver"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// popCorpus is a small corpus for the POP3 end-to-end test: an IMAP
// account, a POP3S account and a POP3+STLS account. The POP accounts
// also hold a folder besides INBOX, which POP3 does not show.
var popCorpus = map[string]string{
	"accounts.yaml": `users:
  - name: imap@example.test
    password: imap-test-only-pw
    folders:
      - name: INBOX
        messages:
          - {file: m/imap1.eml, date: 2024-01-02T03:04:05Z, flags: ['\Seen']}
      - name: Projects
        messages:
          - {file: m/imap2.eml, date: 2024-02-03T04:05:06Z}
  - name: pops@example.test
    password: pops-test-only-pw
    folders:
      - name: INBOX
        messages:
          - {file: m/received.eml, date: 2026-01-01T00:00:00Z}
          - {file: m/dateonly.eml, date: 2026-01-01T00:00:00Z}
          - {file: m/dots.eml, date: 2026-01-01T00:00:00Z}
      - name: Elsewhere
        messages:
          - {file: m/elsewhere.eml, date: 2026-01-01T00:00:00Z}
  - name: stls@example.test
    password: stls-test-only-pw
    folders:
      - name: INBOX
        messages:
          - {file: m/stls1.eml, date: 2026-01-01T00:00:00Z}
          - {file: m/stls2.eml, date: 2026-01-01T00:00:00Z}
`,
	"m/imap1.eml":     "From: a@example.test\nTo: imap@example.test\nSubject: imap one\nDate: Tue, 2 Jan 2024 03:04:05 +0000\nMessage-ID: <imap1@example.test>\n\nimap one\n",
	"m/imap2.eml":     "From: a@example.test\nTo: imap@example.test\nSubject: imap two\nDate: Sat, 3 Feb 2024 04:05:06 +0000\nMessage-ID: <imap2@example.test>\n\nimap two\n",
	"m/received.eml":  "Received: from relay.example (relay.example [192.0.2.7])\n\tby mx.example with ESMTP id 42;\n\tTue, 1 Jul 2025 10:52:37 +0200 (CEST)\nReceived: by relay.example; Mon, 30 Jun 2025 23:00:00 +0000\nFrom: b@example.test\nTo: pops@example.test\nSubject: pop received\nDate: Mon, 30 Jun 2025 08:00:00 +0000\nMessage-ID: <pop1@example.test>\n\nreceived header\n",
	"m/dateonly.eml":  "From: b@example.test\nTo: pops@example.test\nSubject: pop date only\nDate: Sun, 3 Mar 2019 08:00:00 -0500\nMessage-ID: <pop2@example.test>\n\ndate header only\n",
	"m/dots.eml":      "Received: by mx.example; Wed, 2 Jul 2025 09:00:00 +0000\nFrom: b@example.test\nTo: pops@example.test\nSubject: pop dots\nDate: Wed, 2 Jul 2025 08:59:00 +0000\nMessage-ID: <pop3@example.test>\n\n.leading dot\n.\n..two dots\nend\n",
	"m/elsewhere.eml": "From: b@example.test\nTo: pops@example.test\nSubject: not in INBOX\nDate: Wed, 2 Jul 2025 08:59:00 +0000\nMessage-ID: <pop4@example.test>\n\nPOP3 does not see this folder\n",
	"m/stls1.eml":     "Received: by mx.example; Thu, 3 Jul 2025 12:00:00 +0000\nFrom: c@example.test\nTo: stls@example.test\nSubject: stls one\nDate: Thu, 3 Jul 2025 11:00:00 +0000\nMessage-ID: <stls1@example.test>\n\nstls one\n",
	"m/stls2.eml":     "Received: by mx.example; Fri, 4 Jul 2025 12:00:00 +0000\nFrom: c@example.test\nTo: stls@example.test\nSubject: stls two\nDate: Fri, 4 Jul 2025 11:00:00 +0000\nMessage-ID: <stls2@example.test>\n\nstls two\n",
}

// popWant is what a POP message must become in the target: its folder
// (display path) and received time.
type popWant struct {
	folder   string
	received time.Time
}

// popExpect is what each POP message of popCorpus must become, by subject.
var popExpect = map[string]popWant{
	"pop received":  {"Inbox", time.Date(2025, 7, 1, 8, 52, 37, 0, time.UTC)},       // the topmost Received
	"pop date only": {"Inbox", time.Date(2019, 3, 3, 13, 0, 0, 0, time.UTC)},        // no Received: Date
	"pop dots":      {"Inbox", time.Date(2025, 7, 2, 9, 0, 0, 0, time.UTC)},         //
	"stls one":      {"Old provider", time.Date(2025, 7, 3, 12, 0, 0, 0, time.UTC)}, // TargetFolder
	"stls two":      {"Old provider", time.Date(2025, 7, 4, 12, 0, 0, 0, time.UTC)},
}

// TestE2EPOP3 migrates IMAP and POP3 rows of one CSV in one run, from a
// real Dovecot (IMAPS, POP3S, POP3 with STLS) into the emulator: the plan
// counts and dates the POP accounts; every POP message is in the target
// once, in the Inbox or the row's TargetFolder, read, with the received
// time of its newest Received field (else Date); a second run and a run
// with the state deleted create nothing; verify passes; and the POP
// maildrops are unchanged (UIDL list and sizes, and the Maildir files).
func TestE2EPOP3(t *testing.T) {
	d := startPOPDovecot(t)
	ep := startEmulator(t, d, graphemu.Options{})
	dir, cfg := writePOPProject(t, d, ep)
	before := snapshotPOPUsers(t, d)

	// The plan counts and dates the POP accounts.
	planFile := filepath.Join(dir, "plan.json")
	code, stdout, stderr := runCLI(t, "plan", "--config", cfg, "--out", planFile)
	if code != exitOK {
		t.Fatalf("migrate plan: exit %d\n%s\n%s", code, stdout, stderr)
	}
	pl, err := plan.Read(planFile)
	if err != nil {
		t.Fatal(err)
	}
	wantItems := map[string]int64{"imap@example.test": 2, "pops@example.test": 3, "stls@example.test": 2}
	for _, m := range pl.Mailboxes {
		if m.Error != "" || m.Items != wantItems[m.Address] || m.Oldest.IsZero() || m.Newest.IsZero() {
			t.Errorf("plan of %s: error %q, %d items (want %d), oldest %v, newest %v", m.Address, m.Error, m.Items, wantItems[m.Address], m.Oldest, m.Newest)
		}
		if m.Address == "pops@example.test" && (!m.Oldest.Equal(popExpect["pop date only"].received) || !m.Newest.Equal(popExpect["pop dots"].received)) {
			t.Errorf("plan of %s: oldest %v newest %v; want the dates the run will give", m.Address, m.Oldest, m.Newest)
		}
	}

	runs := []struct {
		name      string
		dropState bool
		created   int
	}{{"first run", false, 7}, {"second run", false, 0}, {"run with the state deleted", true, 0}}
	for _, r := range runs {
		if r.dropState {
			removeState(t, dir)
		}
		code, stdout, stderr := runCLI(t, "run", "--config", cfg, "--progress", "none")
		if code != exitOK {
			t.Fatalf("%s: exit %d\n%s\n%s", r.name, code, stdout, stderr)
		}
		noErrorLogs(t, stderr)
		s := parseSummary(t, stdout)
		if s.migrated != r.created || s.failed != 0 || s.migrated+s.done != 7 {
			t.Errorf("%s: %+v; want %d created and 7 in all", r.name, s, r.created)
		}
		if r.created > 0 && !strings.Contains(stdout, "received date from: mailbox pops@example.test, server 0, Received header 2, Date header 1, time of run 0") {
			t.Errorf("%s: no received-date summary for pops@example.test:\n%s", r.name, stdout)
		}
		checkPOPTarget(t, ep.Emulator, nil)
		if r.name == "second run" {
			// The state records where each received date came from (a
			// lost state cannot: the items are then found by their stamp).
			code, stdout, stderr := runCLI(t, "report", "--config", cfg, "--kind", "migration", "--format", "md", "--out", filepath.Join(dir, "migration.md"))
			if code != exitOK {
				t.Fatalf("migrate report: exit %d\n%s\n%s", code, stdout, stderr)
			}
			if b, err := os.ReadFile(filepath.Join(dir, "migration.md")); err != nil || !strings.Contains(string(b), "Received header 2, Date header 1") {
				t.Errorf("the migration report does not say where the POP received dates came from (err %v)", err)
			}
		}
	}

	code, stdout, stderr = runCLI(t, "verify", "--config", cfg, "--out", filepath.Join(dir, "verify.json"))
	if code != exitOK {
		t.Errorf("migrate verify: exit %d\n%s\n%s", code, stdout, stderr)
	}

	checkPOPUnchanged(t, d, before)
}

// startPOPDovecot starts Dovecot seeded with popCorpus and extras.
func startPOPDovecot(t *testing.T, extras ...testserver.ExtraMessage) *testserver.Dovecot {
	t.Helper()
	seedDir := t.TempDir()
	for name, content := range popCorpus {
		p := filepath.Join(seedDir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return testserver.DovecotForTest(t, &testserver.DovecotOptions{SeedDir: seedDir, ExtraMessages: extras})
}

// popPasswords are the Dovecot users' passwords by login name.
func popPasswords(d *testserver.Dovecot) map[string]string {
	pw := map[string]string{}
	for _, u := range d.Users {
		pw[u.Name] = u.Password
	}
	return pw
}

// popCSVRows are the rows of popCorpus's accounts in a mailboxes.csv with
// TargetFolder and TargetAddress columns (writePOPProject): IMAPS, POP3S into the Inbox and POP3+STLS into
// "Old provider".
func popCSVRows(d *testserver.Dovecot) []string {
	pw := popPasswords(d)
	return []string{
		fmt.Sprintf("imap@example.test,imap@example.test,%s,imap,%d,tls,", pw["imap@example.test"], d.IMAPSPort),
		fmt.Sprintf("pops@example.test,pops@example.test,%s,pop3,%d,tls,", pw["pops@example.test"], d.POP3SPort),
		fmt.Sprintf("stls@example.test,stls@example.test,%s,pop3,%d,starttls,Old provider", pw["stls@example.test"], d.POP3Port),
	}
}

// writePOPProject writes a project migrating the given mailboxes.csv rows
// (default popCSVRows) from Dovecot into the emulator, and returns its
// directory and migration.yaml.
func writePOPProject(t *testing.T, d *testserver.Dovecot, ep *graphemu.Endpoint, rows ...string) (dir, cfg string) {
	t.Helper()
	if len(rows) == 0 {
		rows = popCSVRows(d)
	}
	dir = t.TempDir()
	files := map[string]string{
		"migration.yaml": fmt.Sprintf(`client: E2E POP3
source:
  host: %s
  port: %d
  security: tls
  ca_file: %s
  timeout: 1m
%s`, d.Host, d.IMAPSPort, d.CAFile, e2eTarget(ep, "client-secret.txt")),
		"client-secret.txt": e2eSecret + "\n",
		"mailboxes.csv":     "EmailAddress,UserName,Password,SourceProtocol,SourcePort,SourceSecurity,TargetFolder,TargetAddress\n" + strings.Join(rows, "\n") + "\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir, filepath.Join(dir, "migration.yaml")
}

// removeState deletes the project's state database (a lost state).
func removeState(t *testing.T, dir string) {
	t.Helper()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(filepath.Join(dir, ".migrate", "state.db") + suffix); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
}

// checkPOPTarget checks the POP accounts' mail in the emulator: each
// message of popExpect and extra (by subject) once, stamped, in its
// folder, read, with its received time; and nothing else, so nothing from
// a folder other than INBOX.
func checkPOPTarget(t *testing.T, emu *graphemu.Emulator, extra map[string]popWant) {
	t.Helper()
	all := maps.Clone(popExpect)
	maps.Copy(all, extra)
	seen := map[string]int{}
	for _, user := range popUsers {
		for _, f := range emu.DumpMailbox(nil, user).Folders {
			for _, it := range f.Items {
				if it.Kind != "message" {
					continue
				}
				subject, _ := it.Graph["subject"].(string)
				seen[subject]++
				want, ok := all[subject]
				if !ok {
					t.Errorf("%s: unexpected message %q in %s", user, subject, f.Path)
					continue
				}
				if _, stamped := stampOf(it); !stamped {
					t.Errorf("%s: %q carries no source-key stamp", user, subject)
				}
				if subject == "pop dots" {
					// Dot-stuffed lines arrive as they were sent.
					body, _ := it.Graph["body"].(map[string]any)
					content, _ := body["content"].(string)
					if text := strings.ReplaceAll(content, "\r\n", "\n"); !strings.Contains(text, ".leading dot\n.\n..two dots\nend") {
						t.Errorf("%s: %q body = %q, want the dot lines as sent", user, subject, content)
					}
				}
				got, err := parseGraphTime(it.ReceivedDateTime)
				if f.Path != want.folder || err != nil || !got.Equal(want.received) || !it.IsRead || it.IsDraft {
					t.Errorf("%s: %q in %q received %s read %v draft %v; want %q, %s, read, not a draft",
						user, subject, f.Path, it.ReceivedDateTime, it.IsRead, it.IsDraft, want.folder, want.received.Format(time.RFC3339))
				}
			}
		}
	}
	for subject := range all {
		if seen[subject] != 1 {
			t.Errorf("%q is in the target %d times, want once", subject, seen[subject])
		}
	}
}

// popSnapshot is what must not change in a POP account: the UIDL listing
// with sizes, and the content of the Maildir's message files.
type popSnapshot struct {
	listing []string // "uidl size"
	files   []string // sha256 of each file under cur/ and new/, sorted
}

// popUsers are popCorpus's POP accounts.
var popUsers = []string{"pops@example.test", "stls@example.test"}

// snapshotPOPUsers snapshots every POP account of popCorpus.
func snapshotPOPUsers(t *testing.T, d *testserver.Dovecot) map[string]popSnapshot {
	t.Helper()
	pw := popPasswords(d)
	out := map[string]popSnapshot{}
	for _, u := range popUsers {
		out[u] = snapshotPOP(t, d, u, pw[u])
	}
	return out
}

// checkPOPUnchanged checks that the POP accounts' maildrops are as in
// before (snapshotPOPUsers): the UIDL listing with sizes and the Maildir
// files.
func checkPOPUnchanged(t *testing.T, d *testserver.Dovecot, before map[string]popSnapshot) {
	t.Helper()
	for u, after := range snapshotPOPUsers(t, d) {
		if !slices.Equal(before[u].listing, after.listing) {
			t.Errorf("%s: the POP listing changed:\nbefore %q\nafter  %q", u, before[u].listing, after.listing)
		}
		if !slices.Equal(before[u].files, after.files) {
			t.Errorf("%s: the Maildir's messages changed:\nbefore %q\nafter  %q", u, before[u].files, after.files)
		}
	}
}

// snapshotPOP lists a POP account through the adapter and hashes the
// messages of its Maildir (INBOX and every folder).
func snapshotPOP(t *testing.T, d *testserver.Dovecot, user, password string) popSnapshot {
	t.Helper()
	ctx := context.Background()
	a, err := pop3.Dial(ctx, &pop3.Options{Host: d.Host, Port: d.POP3SPort, CAFile: d.CAFile, Username: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var s popSnapshot
	for ref, err := range a.Items(ctx, source.Folder{Path: []string{pop3.FolderName}, Name: pop3.FolderName}) {
		if err != nil {
			t.Fatal(err)
		}
		s.listing = append(s.listing, fmt.Sprintf("%s %d", ref.Key, ref.Size))
	}
	maildir := filepath.Join(d.Dir, "home", user, "Maildir")
	err = filepath.WalkDir(maildir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		if dir := filepath.Base(filepath.Dir(path)); dir != "cur" && dir != "new" {
			return nil // Dovecot's indexes and uidlist change as it likes
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		s.files = append(s.files, hex.EncodeToString(sum[:]))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(s.files)
	if len(s.files) == 0 {
		t.Fatalf("%s: no message files under %s", user, maildir)
	}
	return s
}

// TestE2EPOP3NoUIDL is a POP3 server without UIDL that drops a session in
// the middle of a RETR (testserver.MemPOP3; Dovecot cannot be made to do
// either): the run keys the messages by size, Date and Message-ID, resumes
// past the dropped session, and the second run and a run with the state
// deleted create nothing; verify passes; the plan warns of the fallback
// keys; and no command that could change the maildrop is ever sent.
func TestE2EPOP3NoUIDL(t *testing.T) {
	const user, password = "nouidl@example.test", "nouidl-test-only-pw"
	srv := testserver.MemPOP3ForTest(t, &testserver.MemPOP3Options{Accounts: []testserver.User{{Name: user, Password: password}}, ImplicitTLS: true, NoUIDL: true})
	for i := 1; i <= 4; i++ {
		msg := fmt.Sprintf("Received: by mx.example; %d Jul 2025 10:00:00 +0000\r\nFrom: d@example.test\r\nTo: %s\r\nSubject: no uidl %d\r\nDate: %d Jul 2025 09:00:00 +0000\r\nMessage-ID: <nouidl%d@example.test>\r\n\r\nbody %d\r\n", i, user, i, i, i, i)
		if _, err := srv.Add(user, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	ep := graphemu.StartForTest(t, &graphemu.Options{ClientID: e2eClientID, ClientSecret: e2eSecret, Users: []string{user}})
	dir := t.TempDir()
	files := map[string]string{
		"migration.yaml": fmt.Sprintf(`client: E2E POP3 without UIDL
source:
  protocol: pop3
  host: %s
  port: %d
  security: tls
  ca_file: %s
  timeout: 30s
%s`, srv.Host, srv.Port, srv.CAFile, e2eTarget(ep, "client-secret.txt")),
		"client-secret.txt": e2eSecret + "\n",
		"mailboxes.csv":     fmt.Sprintf("EmailAddress,UserName,Password\n%s,%s,%s\n", user, user, password),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "migration.yaml")
	planFile := filepath.Join(dir, "plan.json")
	if code, stdout, stderr := runCLI(t, "plan", "--config", cfg, "--out", planFile); code != exitOK {
		t.Fatalf("migrate plan: exit %d\n%s\n%s", code, stdout, stderr)
	}
	pl, err := plan.Read(planFile)
	if err != nil {
		t.Fatal(err)
	}
	if m := pl.Mailboxes[0]; m.KeyScheme != pop3.KeysFallback || !slices.ContainsFunc(pl.Risks, func(r plan.Risk) bool { return r.Code == "pop_no_uidl" }) {
		t.Errorf("plan: key scheme %q, risks %v; want %q and pop_no_uidl", m.KeyScheme, pl.Risks, pop3.KeysFallback)
	}

	srv.DropNextRETR(20) // the first RETR of the run is cut after 20 bytes
	runs := []struct {
		name      string
		dropState bool
		created   int
	}{{"first run", false, 4}, {"second run", false, 0}, {"run with the state deleted", true, 0}}
	for _, r := range runs {
		if r.dropState {
			removeState(t, dir)
		}
		code, stdout, stderr := runCLI(t, "run", "--config", cfg, "--progress", "none")
		if code != exitOK {
			t.Fatalf("%s: exit %d\n%s\n%s", r.name, code, stdout, stderr)
		}
		s := parseSummary(t, stdout)
		if s.migrated != r.created || s.failed != 0 || s.migrated+s.done != 4 {
			t.Errorf("%s: %+v; want %d created and 4 in all", r.name, s, r.created)
		}
	}
	seen := map[string]int{}
	for _, f := range ep.Emulator.DumpMailbox(nil, user).Folders {
		for _, it := range f.Items {
			key, _ := stampOf(it)
			if !strings.HasPrefix(key, "nouidl:") || f.Path != "Inbox" {
				t.Errorf("%s in %s: stamped %q, want a fallback key in the Inbox", it.Graph["subject"], f.Path, key)
			}
			seen[key]++
		}
	}
	if len(seen) != 4 {
		t.Errorf("the target holds %d distinct keys (%v), want 4 messages once each", len(seen), seen)
	}
	if code, stdout, stderr := runCLI(t, "verify", "--config", cfg, "--out", filepath.Join(dir, "verify.json")); code != exitOK {
		t.Errorf("migrate verify: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, c := range srv.Commands() {
		if c == "DELE" || c == "RSET" {
			t.Errorf("the server received %s", c)
		}
	}
}
