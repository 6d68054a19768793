package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/source/testserver"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// TestDemoListsSeededMailboxes runs `migrate demo` against both demo
// sources and checks that every seeded mailbox and folder is printed.
func TestDemoListsSeededMailboxes(t *testing.T) {
	m, err := testserver.LoadManifest("")
	if err != nil {
		t.Fatalf("LoadManifest() = %v", err)
	}
	dav, err := testserver.LoadDAVManifest("")
	if err != nil {
		t.Fatalf("LoadDAVManifest() = %v", err)
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
			radicale := testserver.RadicaleInstalled()
			if !radicale && testserver.InCI() {
				t.Fatal("Radicale is not installed, and CI=true requires it")
			}
			out := t.TempDir()
			args := append(tt.args, "--out", out)
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
			// Radicale where installed (else the same seed as export
			// files): every seeded address book and calendar in the
			// inventory, created once, and no meeting message sent.
			if want := "Contacts and calendars: Radicale on "; radicale && !strings.Contains(stdout, want) {
				t.Errorf("the demo does not use the installed Radicale (no %q)", want)
			}
			contacts, events := checkDemoPIM(t, dav, stdout, second)
			checkDemoStore(t, out, stdout, second)
			checkDemoReports(t, out, contacts, events)
			if t.Failed() {
				t.Logf("output:\n%s", stdout)
			}
		})
	}
}

// checkDemoPIM checks the demo's output for the seeded address books and
// calendars of dav: each listed in its user's inventory with its kind and
// count, all contacts and events created by the first run (second is where
// the second run's output starts) and none by the second, and the
// emulator holding them with no meeting message sent.
func checkDemoPIM(t *testing.T, dav *testserver.DAVManifest, stdout string, second int) (contacts, events int) {
	t.Helper()
	emulator := strings.Index(stdout, "In the emulator:")
	if emulator < second {
		t.Fatalf("the demo does not show what the emulator holds after the second run")
	}
	for _, u := range dav.Users {
		var uc, ue int
		for _, c := range u.Collections {
			kind := "calendar"
			if c.Kind == testserver.KindAddressBook {
				kind = "address book"
				uc += len(c.Objects)
			} else {
				ue += len(c.Objects)
			}
			line := `(?m)^  ` + regexp.QuoteMeta(c.DisplayName) + `\s+` + kind + `\s+` + strconv.Itoa(len(c.Objects)) + `\s+default\s*$`
			if !regexp.MustCompile(line).MatchString(stdout[:second]) {
				t.Errorf("the inventory of %s does not list %s %q with %d items (%s)", u.Name, kind, c.DisplayName, len(c.Objects), line)
			}
		}
		contacts, events = contacts+uc, events+ue
		if !strings.Contains(stdout[:second], fmt.Sprintf("; contacts: %d, events: %d\n", uc, ue)) {
			t.Errorf("the inventory of %s does not count %d contacts and %d events", u.Name, uc, ue)
		}
		// The seed has no series Graph cannot repeat: one target event per
		// calendar object.
		held := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(u.Name) + fmt.Sprintf(`: \d+ messages \(\d+ drafts\) in \d+ folders; contacts: %d, events: %d, meeting messages sent: 0$`, uc, ue))
		if !held.MatchString(stdout[emulator:]) {
			t.Errorf("the emulator does not hold %s's %d contacts and %d events with 0 meeting messages sent", u.Name, uc, ue)
		}
	}
	if want := fmt.Sprintf("contacts: %d created, events: %d created\n", contacts, events); !strings.Contains(stdout[:second], want) {
		t.Errorf("the first run does not say %q", want)
	}
	if regexp.MustCompile(`(?m)^contacts: \d+ created`).MatchString(stdout[second:emulator]) {
		t.Errorf("the second run created contacts or events:\n%s", stdout[second:emulator])
	}
	return contacts, events
}

// checkDemoReports reads the demo's assessment and migration report (PDF,
// through pdftotext, and HTML) in out for the contacts and events.
func checkDemoReports(t *testing.T, out string, contacts, events int) {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if testserver.InCI() {
			t.Fatal("pdftotext is not installed, and CI=true requires it (make deps installs poppler-utils)")
		}
		t.Log("pdftotext is not installed (make deps installs poppler-utils): the demo's PDFs are not read")
	}
	for _, tt := range []struct {
		name string
		want []string
	}{
		{"assessment", []string{fmt.Sprintf("%d contacts and %d calendar events to create", contacts, events), "Kontakte (address book)", "Agenda (calendar)", "(a contact)", "(a calendar event)",
			// The Thunderbird row: its mailbox, and the expunged message
			// skipped.
			demoStoreUser, "marked deleted in the local store (folder INBOX) but not yet removed from it"}},
		{"migration", []string{fmt.Sprintf("%d contacts and %d calendar events migrated.", contacts, events), "Kontakte (address book)", "Agenda (calendar)",
			demoStoreUser}},
	} {
		texts := map[string]string{}
		html, err := os.ReadFile(filepath.Join(out, tt.name+".html"))
		if err != nil {
			t.Fatal(err)
		}
		texts["html"] = string(html)
		if bin != "" {
			pdf, err := exec.Command(bin, "-enc", "UTF-8", filepath.Join(out, tt.name+".pdf"), "-").Output()
			if err != nil {
				t.Fatalf("pdftotext %s.pdf: %v", tt.name, err)
			}
			texts["pdf"] = string(pdf)
		}
		for format, text := range texts {
			text = strings.Join(strings.Fields(text), " ")
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("%s.%s lacks %q", tt.name, format, w)
				}
			}
			if strings.Contains(text, "(no subject) event:") || strings.Contains(text, "(no subject) contact:") {
				t.Errorf("%s.%s names a contact or an event \"(no subject)\"", tt.name, format)
			}
		}
	}
}

// checkDemoStore checks the demo's Thunderbird row (demoStoreUser):
// announced with the profile it wrote into out, its folders and the
// message deleted in the store in the inventory, every live message
// created by the first run (second is where the second run's output
// starts) and none by the second; and, reading the emulator's data the
// demo left in out, each message of the store once in its folder with
// its flags, categories and body (checkMboxTarget, as TestE2EMbox).
func checkDemoStore(t *testing.T, out, stdout string, second int) {
	t.Helper()
	n := len(mboxExpect)
	if want := "Local store: Thunderbird profile in " + filepath.Join(out, "thunderbird-profile") + " (" + demoStoreUser + ")\n"; !strings.Contains(stdout, want) {
		t.Errorf("the demo does not announce its local store (%q)", want)
	}
	for _, re := range []string{
		`(?m)^` + regexp.QuoteMeta(demoStoreUser) + fmt.Sprintf(`: 7 folders, %d messages, `, n),
		`(?m)^  INBOX\s+\\Inbox\s+3\s`,
		`(?m)^  INBOX/Projects\s+2\s`,
		`(?m)^  Archives/2023\s+1\s`,
		`(?m)^  Sent\s+\\Sent \(by name\)\s+1\s`,
		`(?m)^  INBOX: 1 message marked deleted in the local store \(not yet compacted away\), not migrated$`,
		`(?m)^` + regexp.QuoteMeta(demoStoreUser) + fmt.Sprintf(`\s+%d\s+0\s+0\s+0\s`, n),
	} {
		if !regexp.MustCompile(re).MatchString(stdout[:second]) {
			t.Errorf("the demo's inventory or first run lacks %s", re)
		}
	}
	if re := `(?m)^` + regexp.QuoteMeta(demoStoreUser) + fmt.Sprintf(`\s+0\s+%d\s+0\s+0\s`, n); !regexp.MustCompile(re).MatchString(stdout[second:]) {
		t.Errorf("the second run does not find the store's %d messages done (%s)", n, re)
	}
	if re := `(?m)^` + regexp.QuoteMeta(demoStoreUser) + fmt.Sprintf(`: %d messages \(0 drafts\) in \d+ folders; contacts: 0, events: 0, meeting messages sent: 0$`, n); !regexp.MustCompile(re).MatchString(stdout[second:]) {
		t.Errorf("the emulator does not hold the store's %d messages (%s)", n, re)
	}
	emu, err := graphemu.New(&graphemu.Options{Tenant: "demo.test", ClientID: "check", ClientSecret: "check", Users: []string{demoStoreUser}, DataDir: filepath.Join(out, "emulator")})
	if err != nil {
		t.Fatalf("reopening the demo's emulator data: %v", err)
	}
	defer emu.Close()
	if emu.DumpMailbox(nil, demoStoreUser) == nil {
		t.Errorf("the demo's emulator has no mailbox %s", demoStoreUser)
		return
	}
	checkMboxTarget(t, emu, demoStoreUser)
}

// TestDemoFallsBackFromUnusableRadicale runs the demo with a Radicale it
// cannot use (missing, or one that exits at once): it says why in one
// warning and migrates the same address books and calendars from export
// files it writes into its out directory.
func TestDemoFallsBackFromUnusableRadicale(t *testing.T) {
	dav, err := testserver.LoadDAVManifest("")
	if err != nil {
		t.Fatalf("LoadDAVManifest() = %v", err)
	}
	broken := filepath.Join(t.TempDir(), "radicale")
	if err := os.WriteFile(broken, []byte("#!/bin/sh\necho 'radicale: broken for the test' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, binary, want string
	}{
		{"missing", filepath.Join(t.TempDir(), "none", "radicale"), "Radicale is not installed"},
		{"exits", broken, `Radicale cannot be used; reading the seeded address books and calendars from export files instead" err=`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			code, stdout, stderr := runCLI(t, "demo", "--memory-imap", "--radicale", tt.binary, "--log-level", "warn", "--out", out)
			if code != 0 {
				t.Fatalf("migrate demo --radicale %s: exit %d\n%s\n%s", tt.binary, code, stdout, stderr)
			}
			if !strings.Contains(stdout, "Contacts and calendars: export files in "+filepath.Join(out, "pim-export")) {
				t.Errorf("the demo does not say it reads export files:\n%s", stdout)
			}
			var lines []string
			for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
				if strings.Contains(l, "Radicale") {
					lines = append(lines, l)
				}
			}
			if len(lines) != 1 || !strings.Contains(lines[0], "level=WARN") || !strings.Contains(lines[0], tt.want) {
				t.Errorf("the demo's warnings about Radicale = %q, want one WARN line with %q\nstderr:\n%s", lines, tt.want, stderr)
			}
			for _, u := range dav.Users {
				for _, c := range u.Collections {
					ext := map[string]string{testserver.KindAddressBook: ".vcf", testserver.KindCalendar: ".ics"}[c.Kind]
					if _, err := os.Stat(filepath.Join(out, "pim-export", u.Name, c.DisplayName+ext)); err != nil {
						t.Errorf("no export file of %s's %s: %v", u.Name, c.DisplayName, err)
					}
				}
			}
			second := strings.Index(stdout, "Second run")
			if second < 0 {
				t.Fatalf("demo did not migrate twice:\n%s", stdout)
			}
			checkDemoPIM(t, dav, stdout, second)
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
