package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/target/graphemu"
)

// TestDoctorChecksWhatTheRunDoes runs doctor against a real Dovecot and
// the emulator: every source login and every target mailbox is checked
// the way the run does it, so a wrong password, a certificate the run
// would refuse and a missing target user each fail, named.
func TestDoctorChecksWhatTheRunDoes(t *testing.T) {
	d := startDovecot(t)
	ep := startEmulator(t, d, graphemu.Options{})
	tests := []struct {
		name   string
		change func(t *testing.T, p *project)
		code   int
		want   []string
	}{
		{"all good", nil, exitOK, []string{"ok   source " + d.IMAPSAddr() + " (imap, tls) login " + d.Users[0].Name, "ok   target mailbox " + d.Users[1].Name}},
		{"wrong password", func(t *testing.T, p *project) {
			if err := os.WriteFile(filepath.Join(p.dir, "secrets", "pw-1.txt"), []byte("wrong\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, exitConnect, []string{"FAIL source " + d.IMAPSAddr() + " (imap, tls) login " + d.Users[1].Name}},
		{"STARTTLS with a certificate the run refuses", func(t *testing.T, p *project) {
			rewrite(t, p.config, "  port: "+strconv.Itoa(d.IMAPSPort)+"\n  security: tls\n  ca_file: "+d.CAFile+"\n", "  port: "+strconv.Itoa(d.IMAPPort)+"\n  security: starttls\n")
		}, exitConnect, []string{"FAIL source " + d.IMAPAddr() + " (imap, starttls)", "certificate"}},
		{"missing target user", func(t *testing.T, p *project) {
			rewrite(t, filepath.Join(p.dir, "mailboxes.csv"), "EmailAddress,UserName,Password\n", "EmailAddress,UserName,Password,TargetAddress\n")
			rewrite(t, filepath.Join(p.dir, "mailboxes.csv"), ",file:secrets/pw-1.txt\n", ",file:secrets/pw-1.txt,nobody@"+ep.Tenant+"\n")
		}, exitConnect, []string{"FAIL target mailbox nobody@" + ep.Tenant}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeProject(t, d, ep)
			if tc.change != nil {
				tc.change(t, p)
			}
			code, stdout, stderr := runCLI(t, "doctor", "--config", p.config, "--timeout", "20s")
			if code != tc.code {
				t.Errorf("doctor: exit %d, want %d\n%s\n%s", code, tc.code, stdout, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("doctor output lacks %q:\n%s", w, stdout)
				}
			}
		})
	}
}

// rewrite replaces old by new in the file, which must hold old.
func rewrite(t *testing.T, file, old, new string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s does not hold %q:\n%s", file, old, b)
	}
	if err := os.WriteFile(file, []byte(strings.Replace(string(b), old, new, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
}
