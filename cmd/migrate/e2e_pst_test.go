package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/source/pst/psttest"
	"github.com/migrate-tool/migrate/source/testserver"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// TestE2EPST migrates go-pst's support sample (a Unicode .pst: 6 drafts
// and 11 sent messages, HTML bodies, one message with two attachments)
// into the emulator, as a local row (detected by the !BDN magic) and a
// pst row: the plan lists the sample's mail folders and counts; every
// message is in the target once, the drafts as drafts in Drafts and the
// sent messages read in Sent Items, with the attachments; a second run and
// a run with the state deleted create nothing; verify passes; no meeting
// message is sent; the file's bytes and modification time are unchanged.
// The ANSI sample, which go-pst cannot read, fails the plan naming the
// file, and goes through readpst with source.pst_converter.
func TestE2EPST(t *testing.T) {
	const drafts, sent = 6, 11
	users := []string{"dani@example.test", "rcs@example.test"}
	file := psttest.Copy(t, psttest.Support)
	before := testserver.TreeSnapshot(t, filepath.Dir(file))
	ep := graphemu.StartForTest(t, &graphemu.Options{ClientID: e2eClientID, ClientSecret: e2eSecret, Users: users, AttachmentsOnNonDraft: true})
	dir, cfg := writeLocalProject(t, ep, "E2E pst", users[0]+",local,"+file+"\n"+users[1]+",pst,"+file+"\n")

	pl := planProject(t, dir, cfg)
	for _, m := range pl.Mailboxes {
		if m.Error != "" || m.Items != drafts+sent {
			t.Errorf("plan of %s: error %q, %d items; want %d", m.Address, m.Error, m.Items, drafts+sent)
		}
		if !slices.ContainsFunc(m.Folders, func(f plan.Folder) bool { return f.Path == "Drafts" && f.Items == drafts }) ||
			!slices.ContainsFunc(m.Folders, func(f plan.Folder) bool { return f.Path == "Sent Messages" && f.Items == sent }) {
			t.Errorf("plan of %s: folders %+v; want Drafts (%d) and Sent Messages (%d)", m.Address, m.Folders, drafts, sent)
		}
	}

	rerunProject(t, dir, cfg, 2*(drafts+sent), func(int) {
		for _, u := range users {
			checkPSTTarget(t, ep.Emulator, u, drafts, sent)
		}
	})
	verifyProject(t, dir, cfg)
	if after := testserver.TreeSnapshot(t, filepath.Dir(file)); !slices.Equal(before, after) {
		t.Errorf("the .pst file changed:\nbefore %q\nafter  %q", before, after)
	}

	t.Run("unreadable", func(t *testing.T) {
		ansi := psttest.Copy(t, psttest.ANSI)
		dir := t.TempDir()
		csv := "EmailAddress,SourceProtocol,SourcePath\n" + users[0] + ",local," + ansi + "\n"
		for name, content := range map[string]string{"client-secret.txt": e2eSecret + "\n", "mailboxes.csv": csv} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			name, yaml, wantErr string
		}{
			{"go-pst only", "", "ANSI (Outlook 97-2002)"},
			{"with readpst", "source:\n  pst_converter: readpst\n", ""},
		} {
			if c.yaml != "" {
				psttest.RequireReadpst(t)
			}
			cfg := filepath.Join(dir, "migration.yaml")
			if err := os.WriteFile(cfg, []byte("client: E2E pst\n"+e2eTarget(ep, "client-secret.txt")+c.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			planFile := filepath.Join(dir, "plan.json")
			code, stdout, stderr := runCLI(t, "plan", "--config", cfg, "--out", planFile)
			pl, err := plan.Read(planFile)
			if err != nil {
				t.Fatalf("%s: plan exit %d, %v\n%s\n%s", c.name, code, err, stdout, stderr)
			}
			m := pl.Mailboxes[0]
			if c.wantErr == "" && (m.Error != "" || m.Items != 0) {
				t.Errorf("%s: plan error %q, %d items; want the calendar-only file converted, no mail", c.name, m.Error, m.Items)
			}
			if c.wantErr != "" && (!strings.Contains(m.Error, ansi) || !strings.Contains(m.Error, c.wantErr)) {
				t.Errorf("%s: plan error %q; want it to name %s and say %q", c.name, m.Error, ansi, c.wantErr)
			}
		}
	})
}

// checkPSTTarget checks user's mailbox in the emulator: the drafts once
// each in Drafts as drafts, the sent messages once each in Sent Items,
// read, with the two attachments of the one that has them; each with a
// stamp of its own, none pending.
func checkPSTTarget(t *testing.T, emu *graphemu.Emulator, user string, drafts, sent int) {
	t.Helper()
	mb := emu.DumpMailbox(nil, user)
	if mb.MeetingMessagesSent != 0 {
		t.Errorf("%s: %d meeting messages sent, want 0", user, mb.MeetingMessagesSent)
	}
	count := map[string]int{}
	stamps := map[string]bool{}
	draftCount := 0
	var attachments []string
	for _, f := range mb.Folders {
		for _, it := range f.Items {
			if it.Kind != "message" {
				continue
			}
			count[f.Path]++
			key, stamped := stampOf(it)
			switch {
			case !stamped:
				t.Errorf("%s: a message in %s carries no source-key stamp", user, f.Path)
			case strings.HasPrefix(key, "pending:"):
				t.Errorf("%s: %q in %s is still pending (%s)", user, it.Graph["subject"], f.Path, key)
			case stamps[key]:
				t.Errorf("%s: %q in %s carries the stamp %q of another message", user, it.Graph["subject"], f.Path, key)
			}
			stamps[key] = true
			if it.IsDraft {
				draftCount++
			}
			if strings.HasPrefix(f.Path, "Sent Items") && (!it.IsRead || it.IsDraft) {
				t.Errorf("%s: %q in Sent Items: read %v, draft %v; want read, not a draft", user, it.Graph["subject"], it.IsRead, it.IsDraft)
			}
			if subject, _ := it.Graph["subject"].(string); strings.HasPrefix(subject, "IMPORTANT: Support portal downtime") {
				for _, a := range it.Attachments {
					attachments = append(attachments, a.Name)
				}
			}
		}
	}
	// The sample has three folders named like Sent ("Sent", "Sent
	// Messages", "Posta inviata") and no Sent entry ID in its store: the
	// folder mapping gives the role to one and puts the others' mail below
	// Sent Items.
	if count["Drafts"] != drafts || count["Sent Items/Sent Messages"] != sent || draftCount != drafts || len(count) != 2 {
		t.Errorf("%s: messages by folder %v, %d drafts; want %d drafts in Drafts and %d in Sent Items/Sent Messages, nothing else", user, count, draftCount, drafts, sent)
	}
	slices.Sort(attachments)
	if len(attachments) != 2 {
		t.Errorf("%s: attachments of the downtime notice %q; want its two", user, attachments)
	}
}
