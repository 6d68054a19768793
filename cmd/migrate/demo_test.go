package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/source/testserver"
)

// TestDemoListsSeededMailboxes runs `migrate demo` against both demo
// sources and checks that every seeded mailbox and folder is printed.
func TestDemoListsSeededMailboxes(t *testing.T) {
	m, err := testserver.LoadManifest("")
	if err != nil {
		t.Fatalf("LoadManifest() = %v", err)
	}
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"dovecot", []string{"demo"}},
		{"memory", []string{"demo", "--memory-imap"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "dovecot" && !testserver.DovecotInstalled() {
				if testserver.InCI() {
					t.Fatal("Dovecot is not installed, and CI=true requires it")
				}
				t.Skip("Dovecot is not installed (make deps installs it)")
			}
			args := append(tt.args, "--out", t.TempDir())
			code, stdout, stderr := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("migrate %v: exit %d\n%s\n%s", tt.args, code, stdout, stderr)
			}
			for _, u := range m.Users {
				if !strings.Contains(stdout, u.Name+": ") {
					t.Errorf("demo output lacks mailbox %s", u.Name)
				}
				for _, f := range u.Folders {
					if !strings.Contains(stdout, "  "+f.Name+" ") {
						t.Errorf("demo output lacks folder %s of %s", f.Name, u.Name)
					}
				}
			}
			// The demo migrates into the emulator, then shows a second run
			// creating nothing.
			second := strings.Index(stdout, "Second run")
			if !strings.Contains(stdout, "Migration:") || second < 0 {
				t.Fatalf("demo did not migrate twice:\n%s", stdout)
			}
			// The emulator refuses attachments added to received mail (its
			// default), so the 5 MB message becomes a draft: the summary
			// must say so, naming the item.
			if !regexp.MustCompile(`(?m)^note: mailbox alice@example\.test, folder INBOX, item \d+\.\d+: created as a draft`).MatchString(stdout[:second]) {
				t.Errorf("the first run does not note the message created as a draft:\n%s", stdout[:second])
			}
			if !regexp.MustCompile(`(?m)^total\s+0\s+[1-9]\d*\s+`).MatchString(stdout[second:]) {
				t.Errorf("second demo run created items or found none done:\n%s", stdout[second:])
			}
			if tt.name == "dovecot" {
				// A POP3 row beside the IMAP ones: its INBOX, dated from
				// the Received headers, in "Old provider".
				first := m.Users[0].Name
				pop := strings.Replace(first, "@", "+pop@", 1)
				if !strings.Contains(stdout[:second], "received date from: mailbox "+pop+", server 0, Received header ") {
					t.Errorf("the first run does not say where the POP3 row %s's received dates came from:\n%s", pop, stdout[:second])
				}
				if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(pop) + `: \d+ messages \(\d+ drafts\) in \d+ folders`).MatchString(stdout) {
					t.Errorf("the emulator does not hold the POP3 row %s", pop)
				}
			}
			if t.Failed() {
				t.Logf("output:\n%s", stdout)
			}
		})
	}
}

// TestDemoFallsBackFromUnusableDovecot runs the demo with a Dovecot it
// cannot use (missing, or a version the harness writes no configuration
// for): it goes on with the in-memory IMAP server and says why in one
// warning, which the default log level on a terminal (warn) shows.
func TestDemoFallsBackFromUnusableDovecot(t *testing.T) {
	old := filepath.Join(t.TempDir(), "dovecot")
	if err := os.WriteFile(old, []byte("#!/bin/sh\necho '2.2.36 (1f10bfa63)'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, binary, want string
	}{
		{"missing", filepath.Join(t.TempDir(), "none", "dovecot"), "Dovecot is not installed"},
		{"old version", old, `Dovecot cannot be used; using the in-memory IMAP server" err=`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "demo", "--dovecot", tt.binary, "--log-level", "warn", "--out", t.TempDir())
			if code != 0 {
				t.Fatalf("migrate demo --dovecot %s: exit %d\n%s\n%s", tt.binary, code, stdout, stderr)
			}
			if !strings.Contains(stdout, "Source: in-memory IMAP server") {
				t.Errorf("the demo did not use the in-memory IMAP server:\n%s", stdout)
			}
			var lines []string
			for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
				if strings.Contains(l, "Dovecot") {
					lines = append(lines, l)
				}
			}
			if len(lines) != 1 || !strings.Contains(lines[0], "level=WARN") || !strings.Contains(lines[0], tt.want) {
				t.Errorf("the demo's warnings about Dovecot = %q, want one WARN line with %q\nstderr:\n%s", lines, tt.want, stderr)
			}
			if tt.name == "old version" && !strings.Contains(lines[0], "2.2.36") {
				t.Errorf("the warning %q does not name the version found", lines[0])
			}
		})
	}
}
