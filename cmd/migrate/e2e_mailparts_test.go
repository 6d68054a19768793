package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/source/testserver"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// writeMailPartsProject writes a project migrating mail@example.test of
// Dovecot (seeded with testdata/mailparts) into the emulator, with
// filters.mail_parts as on says.
func writeMailPartsProject(t *testing.T, d *testserver.Dovecot, ep *graphemu.Endpoint, on bool) *project {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"migration.yaml": fmt.Sprintf(`client: E2E mail parts
source:
  host: %s
  port: %d
  security: tls
  ca_file: %s
  timeout: 1m
filters:
  mail_parts: %t
%s`, d.Host, d.IMAPSPort, d.CAFile, on, e2eTarget(ep, "client-secret.txt")),
		"client-secret.txt": e2eSecret + "\n",
		"mailboxes.csv":     "EmailAddress,UserName,Password\nmail@example.test,mail@example.test,mailparts-test-only-pw\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return &project{dir: dir, config: filepath.Join(dir, "migration.yaml")}
}

// TestE2EMailParts migrates a mailbox whose mail carries a .vcf attachment
// (twice: base64 as application/octet-stream, quoted-printable as
// text/x-vcard), an invitation (REQUEST with SEQUENCE 0, twice in one
// message), its update (SEQUENCE 1, an hour later, in another folder) and
// an attendee's REPLY. With filters.mail_parts on: one contact and one
// event (the SEQUENCE 1 version) in the "From mail" contact folder and
// calendar, the reply skipped with its reason, the plan's counts equal to
// the run's, verify passing, a re-run and a run without state creating
// nothing, no meeting message sent. With it off: nothing from the mail
// but the mail.
func TestE2EMailParts(t *testing.T) {
	seed, err := filepath.Abs("../../testdata/mailparts")
	if err != nil {
		t.Fatal(err)
	}
	d := testserver.DovecotForTest(t, &testserver.DovecotOptions{SeedDir: seed})
	const user = "mail@example.test"

	t.Run("on", func(t *testing.T) {
		ep := graphemu.StartForTest(t, &graphemu.Options{ClientID: e2eClientID, ClientSecret: e2eSecret, Users: []string{user}})
		p := writeMailPartsProject(t, d, ep, true)
		var pout, perr bytes.Buffer
		planFile := filepath.Join(p.dir, "plan.json")
		if code := run(context.Background(), []string{"plan", "--config", p.config, "--out", planFile}, &pout, &perr); code != exitOK {
			t.Fatalf("plan exit %d\n%s\n%s", code, pout.String(), perr.String())
		}
		pl, err := plan.Read(planFile)
		if err != nil {
			t.Fatal(err)
		}
		var planFolders []string
		for _, f := range pl.Mailboxes[0].Folders {
			planFolders = append(planFolders, f.Path)
		}
		for _, want := range []string{"contact:From mail", "event:From mail"} {
			if !strings.Contains(strings.Join(planFolders, "|"), want) {
				t.Errorf("plan folders %q, want %q among them", planFolders, want)
			}
		}
		if pim := pl.Totals.PIM; pim == nil || pim.Contacts != 1 || pim.Events != 1 || pim.Unparsable != 0 {
			t.Errorf("plan PIM %+v, want 1 contact and 1 event", pim)
		}
		skipped := false
		for _, s := range pl.Mailboxes[0].Skips {
			if s.Rule == "source" && s.Items == 1 && s.Example == "a meeting reply, not an event" {
				skipped = true
			}
		}
		if !skipped {
			t.Errorf("plan skips %+v, want the reply under rule source", pl.Mailboxes[0].Skips)
		}

		code, stdout, stderr := p.run(t)
		if code != exitOK {
			t.Fatalf("run exit %d\n%s\n%s", code, stdout, stderr)
		}
		first := dumpPIM(t, ep.Emulator, user)
		if first.messages != 5 || first.sent != 0 {
			t.Errorf("%d messages (want 5), %d meeting messages sent (want 0)", first.messages, first.sent)
		}
		cs, es := first.contacts["Dana From-Mail"], first.events["Project kickoff (from mail)"]
		if len(first.contacts) != 1 || len(cs) != 1 || str(cs[0], "companyName") != "Contoso" {
			t.Errorf("contacts %v, want one Dana From-Mail of Contoso", first.contacts)
		}
		if len(first.events) != 1 || len(es) != 1 || !strings.HasPrefix(str(es[0], "start.dateTime"), "2025-02-10T11:00:00") {
			t.Errorf("events %v, want one Project kickoff at 11:00 UTC (the SEQUENCE 1 version)", first.events)
		} else if as, _ := es[0]["attendees"].([]any); len(as) != 0 {
			t.Errorf("the event has attendees %v, want none (nothing is sent)", as)
		}
		if f := first.folders["contact:Dana From-Mail"]; !strings.HasSuffix(f, "From mail") {
			t.Errorf("the contact is in %q, want the contact folder From mail", f)
		}
		if f := first.folders["event:Project kickoff (from mail)"]; f != "From mail" {
			t.Errorf("the event is in %q, want the calendar From mail", f)
		}
		reply := false
		for _, it := range stateItems(t, p.statePath()) {
			if it.Folder == "event:From mail" && it.Status == state.StatusSkipped && it.Reason == "a meeting reply, not an event" {
				reply = true
			}
		}
		if !reply {
			t.Error("no state record of the reply skipped as a meeting reply")
		}
		var vout, verr bytes.Buffer
		if code := run(context.Background(), []string{"verify", "--config", p.config, "--out", filepath.Join(p.dir, "verify.json")}, &vout, &verr); code != exitOK {
			t.Errorf("verify exit %d, want %d\n%s\n%s", code, exitOK, vout.String(), verr.String())
		}
		for _, pass := range []string{"again", "without state"} {
			if pass == "without state" {
				removeState(t, p.dir)
			}
			if code, stdout, stderr := p.run(t); code != exitOK {
				t.Fatalf("run %s: exit %d\n%s\n%s", pass, code, stdout, stderr)
			}
			again := dumpPIM(t, ep.Emulator, user)
			if len(again.contacts["Dana From-Mail"]) != 1 || len(again.events["Project kickoff (from mail)"]) != 1 || again.messages != 5 || again.sent != 0 {
				t.Errorf("run %s: contacts %d, events %d, messages %d, sent %d; want 1, 1, 5, 0", pass,
					len(again.contacts["Dana From-Mail"]), len(again.events["Project kickoff (from mail)"]), again.messages, again.sent)
			}
		}
	})

	t.Run("off", func(t *testing.T) {
		ep := graphemu.StartForTest(t, &graphemu.Options{ClientID: e2eClientID, ClientSecret: e2eSecret, Users: []string{user}})
		p := writeMailPartsProject(t, d, ep, false)
		if code, stdout, stderr := p.run(t); code != exitOK {
			t.Fatalf("run exit %d\n%s\n%s", code, stdout, stderr)
		}
		got := dumpPIM(t, ep.Emulator, user)
		if len(got.contacts) != 0 || len(got.events) != 0 || got.messages != 5 {
			t.Errorf("contacts %d, events %d, messages %d; want 0, 0, 5", len(got.contacts), len(got.events), got.messages)
		}
	})
}
