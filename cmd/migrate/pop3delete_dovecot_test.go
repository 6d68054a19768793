package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/source/testserver"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// TestPOP3DeleteDovecot deletes from a real Dovecot's POP3S maildrop:
// run, verify, then a message arrives; pop3-delete answered "no" deletes
// nothing, answered "delete" deletes exactly the three verified messages
// (UIDL listing) and keeps the one that arrived after the run; verify
// passes after another run, listing the deleted messages' copies as extra.
func TestPOP3DeleteDovecot(t *testing.T) {
	const user = "popdel@example.test"
	seedDir := writeFiles(t, map[string]string{
		"accounts.yaml": `users:
  - name: popdel@example.test
    password: popdel-test-only-pw
    folders:
      - name: INBOX
        messages:
          - {file: m/1.eml, date: 2026-01-01T00:00:00Z}
          - {file: m/2.eml, date: 2026-01-01T00:00:00Z}
          - {file: m/3.eml, date: 2026-01-01T00:00:00Z}
`,
		"m/1.eml": "Received: by mx.example; Tue, 1 Jul 2025 10:00:00 +0000\nFrom: a@example.test\nTo: popdel@example.test\nSubject: del one\nDate: Tue, 1 Jul 2025 09:00:00 +0000\nMessage-ID: <del1@example.test>\n\none\n",
		"m/2.eml": "Received: by mx.example; Wed, 2 Jul 2025 10:00:00 +0000\nFrom: a@example.test\nTo: popdel@example.test\nSubject: del two\nDate: Wed, 2 Jul 2025 09:00:00 +0000\nMessage-ID: <del2@example.test>\n\ntwo\n",
		"m/3.eml": "Received: by mx.example; Thu, 3 Jul 2025 10:00:00 +0000\nFrom: a@example.test\nTo: popdel@example.test\nSubject: del three\nDate: Thu, 3 Jul 2025 09:00:00 +0000\nMessage-ID: <del3@example.test>\n\n.three\n",
	})
	d := testserver.DovecotForTest(t, &testserver.DovecotOptions{SeedDir: seedDir})
	ep := startEmulator(t, d, graphemu.Options{})
	u, _ := d.User(user)
	dir := writeFiles(t, map[string]string{
		"migration.yaml": fmt.Sprintf(`client: E2E pop3-delete
source:
  host: %s
  ca_file: %s
  timeout: 1m
%s`, d.Host, d.CAFile, e2eTarget(ep, "client-secret.txt")),
		"client-secret.txt": e2eSecret + "\n",
		"mailboxes.csv":     fmt.Sprintf("EmailAddress,UserName,Password,SourceProtocol,SourcePort,SourceSecurity\n%s,%s,%s,pop3,%d,tls\n", user, user, u.Password, d.POP3SPort),
	})
	cfg := filepath.Join(dir, "migration.yaml")
	verifyFile := filepath.Join(dir, "verify.json")
	if code, stdout, stderr := runCLI(t, "run", "--config", cfg, "--progress", "none"); code != exitOK {
		t.Fatalf("migrate run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, stderr := runCLI(t, "verify", "--config", cfg, "--out", verifyFile); code != exitOK {
		t.Fatalf("migrate verify: exit %d\n%s\n%s", code, stdout, stderr)
	}
	verified := snapshotPOP(t, d, user, u.Password).listing

	// A message arrives after the run: not migrated, not verified.
	appendMail(t, d, u, "INBOX")
	before := snapshotPOP(t, d, user, u.Password).listing
	if len(before) != len(verified)+1 || len(verified) != 3 {
		t.Fatalf("the maildrop lists %q, want the 3 verified messages and the late one", before)
	}

	pop3Delete := func(answer string) (string, error) {
		var out, errb bytes.Buffer
		g := &globalOptions{configPath: cfg, stdout: &out, stderr: &errb, logs: &logWriter{w: &errb}}
		err := runPOP3Delete(context.Background(), g, &pop3DeleteOptions{verification: verifyFile, term: &fakeTerminal{interactive: true, answer: answer}})
		return out.String() + errb.String(), err
	}
	out, err := pop3Delete("no")
	if err != nil || !strings.Contains(out, "nothing deleted") {
		t.Fatalf("pop3-delete answered no: %v\n%s", err, out)
	}
	if got := snapshotPOP(t, d, user, u.Password).listing; !slices.Equal(got, before) {
		t.Errorf("after answering no the maildrop lists %q, want %q", got, before)
	}
	out, err = pop3Delete("delete")
	if err != nil || !strings.Contains(out, "deleted 3 messages") {
		t.Fatalf("pop3-delete answered delete: %v\n%s", err, out)
	}
	got := snapshotPOP(t, d, user, u.Password).listing
	want := slices.DeleteFunc(slices.Clone(before), func(l string) bool { return slices.Contains(verified, l) })
	if !slices.Equal(got, want) || len(got) != 1 {
		t.Errorf("after deleting the maildrop lists %q, want only the late message %q", got, want)
	}
	// Again: the deleted keys are no longer listed, which is reported.
	if out, err := pop3Delete("delete"); err != nil || !strings.Contains(out, "deleted 0 messages") || !strings.Contains(out, "3 no longer in the source") {
		t.Errorf("pop3-delete again: %v\n%s", err, out)
	}
	// Another run migrates the late message, and verify passes: the
	// deleted messages' copies in the target are extra, not a failure.
	if code, stdout, stderr := runCLI(t, "run", "--config", cfg, "--progress", "none"); code != exitOK {
		t.Fatalf("migrate run after pop3-delete: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, stderr := runCLI(t, "verify", "--config", cfg); code != exitOK || !strings.Contains(stdout, "extra") {
		t.Errorf("migrate verify after pop3-delete: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
