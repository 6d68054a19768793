package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/source/testserver"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// popAllCorpus is one account on Dovecot: two messages in INBOX, one in
// Archive.
var popAllCorpus = map[string]string{
	"accounts.yaml": `users:
  - name: dave@example.test
    password: dave-test-only-pw
    folders:
      - name: INBOX
        messages:
          - {file: m/one.eml, date: 2025-01-02T03:04:05Z}
          - {file: m/two.eml, date: 2025-02-03T04:05:06Z}
      - name: Archive
        messages:
          - {file: m/three.eml, date: 2024-03-04T05:06:07Z}
`,
	"m/one.eml":   "From: a@example.test\nTo: dave@example.test\nSubject: one\nDate: Thu, 2 Jan 2025 03:04:05 +0000\nMessage-ID: <one@example.test>\n\none\n",
	"m/two.eml":   "From: a@example.test\nTo: dave@example.test\nSubject: two\nDate: Mon, 3 Feb 2025 04:05:06 +0000\nMessage-ID: <two@example.test>\n\ntwo\n",
	"m/three.eml": "From: a@example.test\nTo: dave@example.test\nSubject: three\nDate: Mon, 4 Mar 2024 05:06:07 +0000\nMessage-ID: <three@example.test>\n\nthree, archived\n",
}

// TestE2EPOP3PlanAllMailboxes plans one account listed twice in the CSV,
// over POP3 and over IMAP (Dovecot), for one target mailbox, where the
// POP view shows every folder: the plan warns (pop_more_than_inbox) that
// one POP message is not in the IMAP INBOX and names the IMAP row's CSV
// line, reports that the two rows share all three messages (matched by
// size, Date and Message-ID), and the assessment report says both.
//
// The POP side is testserver.MemPOP3 serving the account's three
// messages byte for byte with CRLF line endings (the sizes Dovecot's IMAP
// gives): the test harness's Dovecot configuration has no virtual plugin
// and one namespace for both protocols, and a POP3-only all-mail INBOX (a
// virtual mailbox namespace for protocol pop3) would change the shared
// harness that every other end-to-end test runs on.
func TestE2EPOP3PlanAllMailboxes(t *testing.T) {
	seedDir := t.TempDir()
	for name, content := range popAllCorpus {
		p := filepath.Join(seedDir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d := testserver.DovecotForTest(t, &testserver.DovecotOptions{SeedDir: seedDir})
	ep := startEmulator(t, d, graphemu.Options{})
	const user, pw = "dave@example.test", "dave-test-only-pw"
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	pop, err := testserver.StartMemPOP3(ctx, &testserver.MemPOP3Options{Accounts: []testserver.User{{Name: user, Password: pw}}, NoTLS: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pop.Close() })
	for _, name := range []string{"m/one.eml", "m/two.eml", "m/three.eml"} {
		if _, err := pop.Add(user, []byte(strings.ReplaceAll(popAllCorpus[name], "\n", "\r\n"))); err != nil {
			t.Fatal(err)
		}
	}
	if pop.Host != d.Host {
		t.Fatalf("the POP server is on %s and Dovecot on %s: the rows must name one host", pop.Host, d.Host)
	}

	dir := t.TempDir()
	files := map[string]string{
		"migration.yaml": fmt.Sprintf(`client: E2E POP3 plan
source:
  host: %s
  security: tls
  ca_file: %s
  allow_plaintext: true
  timeout: 1m
%s`, d.Host, d.CAFile, e2eTarget(ep, "client-secret.txt")),
		"client-secret.txt": e2eSecret + "\n",
		"mailboxes.csv": "EmailAddress,UserName,Password,SourceProtocol,SourcePort,SourceSecurity,TargetAddress\n" +
			fmt.Sprintf("pop-dave@example.test,%s,%s,pop3,%d,plain,%s\n", user, pw, pop.Port, user) +
			fmt.Sprintf("%s,%s,%s,imap,%d,tls,\n", user, user, pw, d.IMAPSPort),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "migration.yaml")
	planFile := filepath.Join(dir, "plan.json")
	code, stdout, stderr := runCLI(t, "plan", "--config", cfg, "--out", planFile)
	if code != exitOK {
		t.Fatalf("migrate plan: exit %d\n%s\n%s", code, stdout, stderr)
	}
	noErrorLogs(t, stderr)
	pl, err := plan.Read(planFile)
	if err != nil {
		t.Fatal(err)
	}
	popMB := pl.Mailbox("pop-dave@example.test")
	if popMB == nil || popMB.Error != "" || popMB.Items != 3 {
		t.Fatalf("plan of the POP row: %+v", popMB)
	}
	v := popMB.POPView
	if v == nil || v.IMAP != user || v.Line != 3 || v.Compared != 3 || v.InInbox != 2 || v.NotInInbox.Items != 1 || v.NotInInbox.Bytes <= 0 {
		t.Errorf("POP view %+v; want 2 of 3 POP messages in the INBOX of %s (line 3), 1 not", v, user)
	}
	if len(pl.Overlaps) != 1 || pl.Overlaps[0].Both.Items != 3 || pl.Overlaps[0].Target != user {
		t.Errorf("overlaps %+v; want the 3 messages of both rows for %s", pl.Overlaps, user)
	}
	var warned, overlap bool
	for _, r := range pl.Risks {
		switch r.Code {
		case "pop_more_than_inbox":
			warned = r.Mailbox == "pop-dave@example.test" && strings.Contains(r.Message, "1 message ") && strings.Contains(r.Message, "line 3 of the CSV")
		case "pop_imap_overlap":
			overlap = strings.Contains(r.Message, "3 of the 3 POP messages")
		}
	}
	if !warned || !overlap {
		t.Errorf("risks %+v; want pop_more_than_inbox naming line 3 and pop_imap_overlap of 3 messages", pl.Risks)
	}
	for _, want := range []string{"not in the IMAP INBOX of the IMAP row dave@example.test", "are also in the IMAP row dave@example.test"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the printed plan lacks %q:\n%s", want, stdout)
		}
	}

	md := filepath.Join(dir, "assessment.md")
	code, stdout, stderr = runCLI(t, "report", "--config", cfg, "--kind", "assessment", "--plan", planFile, "--format", "md", "--out", md)
	if code != exitOK {
		t.Fatalf("migrate report: exit %d\n%s\n%s", code, stdout, stderr)
	}
	b, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(pb), pw) || strings.Contains(string(b), pw) || strings.Contains(stdout+stderr, pw) {
		t.Error("the plan, the assessment or the output holds the source password")
	}
	for _, want := range []string{
		"2 of 3 POP messages in the INBOX of the IMAP row dave@example.test",
		"3 messages (", "are both on a POP row and on an IMAP row for the same target mailbox",
		"3 of 3 POP messages",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the assessment lacks %q:\n%s", want, b)
		}
	}
}
