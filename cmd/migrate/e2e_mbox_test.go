package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/source/testserver"
	"github.com/migrate-tool/migrate/source/testserver/seed"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// mboxWant is what a message of the Thunderbird account in
// source/testserver/seed/stores must become:
// its target folder, read and flag state, categories, and the body the
// source file holds (to compare, uncut).
type mboxWant struct {
	folder     string
	read, flag bool
	categories []string
	body       string
}

var mboxExpect = map[string]mboxWant{
	"Quarterly letter": {folder: "Inbox", read: true, body: "Dear Dave,\n\nFrom the desk of Carol Example: the figures are in.\n\n" +
		"From now on we meet on Mondays.\n>From the archive, as quoted.\nRegards,\nCarol\n"},
	"Unread and important":  {folder: "Inbox", categories: []string{"Important"}, body: "Not read yet.\n"},
	"Flagged and forwarded": {folder: "Inbox", read: true, flag: true, body: "Read, flagged and forwarded.\n"},
	"Project X kickoff":     {folder: "Inbox/Projects", read: true, categories: []string{"Work", "project-x"}, body: "Tagged Work and project-x.\n"},
	"Project X notes":       {folder: "Inbox/Projects", read: true, body: "Notes.\n"},
	"Re: Quarterly letter":  {folder: "Sent Items", read: true, body: "Thanks, Carol (CRLF line endings).\n"},
	"Archived last year":    {folder: "Archive/2023", read: true, body: "Archived.\n"},
	"In the trash":          {folder: "Deleted Items", read: true, body: "Trash.\n"},
}

// TestE2EMbox migrates the hand-made Thunderbird account directory
// (SourceProtocol local, detected as mbox) into the emulator: every live
// message once, in its folder, with its flags and categories, its body
// uncut (the "From the desk of ..." and "From now on ..." lines are not
// separators); the expunged-not-compacted message never; the plan counts
// the live messages and the deleted one; a second run and a run with the
// state deleted create nothing; verify passes; no meeting message is
// sent; and the tree's bytes and modification times are unchanged.
func TestE2EMbox(t *testing.T) {
	tree, err := filepath.Abs(filepath.Join("..", "..", "source", "testserver", "seed", "stores", "thunderbird", filepath.FromSlash(seed.ThunderbirdAccount)))
	if err != nil {
		t.Fatal(err)
	}
	before := testserver.TreeSnapshot(t, tree)
	const user = "dave@example.test"
	ep := graphemu.StartForTest(t, &graphemu.Options{ClientID: e2eClientID, ClientSecret: e2eSecret, Users: []string{user}})
	dir, cfg := writeLocalProject(t, ep, "E2E mbox", user+",local,"+tree+"\n")

	pl := planProject(t, dir, cfg)
	if m := pl.Mailboxes[0]; m.Error != "" || m.Items != int64(len(mboxExpect)) || m.Protocol != "local" {
		t.Errorf("plan: error %q, %d items, protocol %q; want %d items of a local row", m.Error, m.Items, m.Protocol, len(mboxExpect))
	}
	if m := pl.Mailboxes[0]; !slices.ContainsFunc(m.Skips, func(s plan.Skip) bool { return s.Rule == "store_deleted" && s.Items == 1 }) ||
		!slices.ContainsFunc(m.Folders, func(f plan.Folder) bool { return f.Path == "INBOX" && f.Deleted == 1 && f.Items == 3 }) {
		t.Errorf("plan: skips %+v, folders %+v; want the expunged message counted in INBOX and skipped", m.Skips, m.Folders)
	}

	rerunProject(t, dir, cfg, len(mboxExpect), func(int) { checkMboxTarget(t, ep.Emulator, user) })
	verifyProject(t, dir, cfg)
	if after := testserver.TreeSnapshot(t, tree); !slices.Equal(before, after) {
		t.Errorf("the Thunderbird tree changed:\nbefore %q\nafter  %q", before, after)
	}
}

// checkMboxTarget checks the emulator's mailbox against mboxExpect.
func checkMboxTarget(t *testing.T, emu *graphemu.Emulator, user string) {
	t.Helper()
	mb := emu.DumpMailbox(nil, user)
	if mb.MeetingMessagesSent != 0 {
		t.Errorf("%d meeting messages sent, want 0", mb.MeetingMessagesSent)
	}
	seen := map[string]int{}
	for _, f := range mb.Folders {
		for _, it := range f.Items {
			if it.Kind != "message" {
				continue
			}
			subject, _ := it.Graph["subject"].(string)
			seen[subject]++
			want, ok := mboxExpect[subject]
			if !ok {
				t.Errorf("unexpected message %q in %s (the expunged one?)", subject, f.Path)
				continue
			}
			if _, stamped := stampOf(it); !stamped {
				t.Errorf("%q carries no source-key stamp", subject)
			}
			flag, _ := it.Graph["flag"].(map[string]any)
			if f.Path != want.folder || it.IsRead != want.read || (flag["flagStatus"] == "flagged") != want.flag || it.IsDraft {
				t.Errorf("%q: in %q read %v flag %v draft %v; want %q read %v flagged %v, not a draft", subject, f.Path, it.IsRead, it.Graph["flag"], it.IsDraft, want.folder, want.read, want.flag)
			}
			if got, w := graphStrings(it.Graph["categories"]), slices.Sorted(slices.Values(want.categories)); !slices.Equal(got, w) {
				t.Errorf("%q: categories %q, want %q", subject, got, w)
			}
			body, _ := it.Graph["body"].(map[string]any)
			content, _ := body["content"].(string)
			if got := strings.ReplaceAll(content, "\r\n", "\n"); got != want.body {
				t.Errorf("%q: body\n%q\nwant the source's, uncut\n%q", subject, got, want.body)
			}
			received, err := parseGraphTime(it.ReceivedDateTime)
			if err != nil || received.Before(time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC)) || received.After(time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("%q: received %q, want the From_ line's date", subject, it.ReceivedDateTime)
			}
		}
	}
	for subject := range mboxExpect {
		if seen[subject] != 1 {
			t.Errorf("%q is in the target %d times, want once", subject, seen[subject])
		}
	}
}
