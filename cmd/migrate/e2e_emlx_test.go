package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/source/testserver"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// emlxWant is what a message of testdata/stores/applemail must become: its
// target folder, read, flag and draft state, received date and the
// attachments (file names under the message's Attachments directory).
type emlxWant struct {
	folder            string
	read, flag, draft bool
	received          time.Time
	attachments       []string
}

var emlxExpect = map[string]emlxWant{
	"applemail read and answered":              {folder: "Inbox", read: true, received: time.Unix(1700000100, 0)},
	"applemail partial with attachments":       {folder: "Inbox", read: true, received: time.Unix(1700000300, 0), attachments: []string{"2/report.bin", "3/notes.txt"}},
	"applemail unread flagged":                 {folder: "Inbox", flag: true, received: time.Unix(1700000400, 0)},
	"applemail project forwarded":              {folder: "Inbox/Projects", read: true, received: time.Unix(1700000500, 0)},
	"applemail sent":                           {folder: "Sent Items", read: true, received: time.Unix(1700000600, 0)},
	"applemail draft":                          {folder: "Drafts", read: true, draft: true, received: time.Unix(1700000700, 0)},
	"applemail in trash":                       {folder: "Deleted Items", read: true, received: time.Unix(1700000800, 0)},
	"applemail archived without date-received": {folder: "Archive", read: true, received: time.Date(2019, 3, 3, 13, 5, 0, 0, time.UTC)},
}

// TestE2EEmlx migrates the hand-made Apple Mail store into the emulator,
// twice: its account directory as SourceProtocol emlx, and Mail's V10
// directory as local (detected). The plan counts the message with the
// deleted bit as skipped; every other message is in the target once, in
// its folder, read, flagged and a draft as Mail had it, received at its
// date-received (else its Received field), the partial message with both
// attachments Mail kept apart, byte for byte; a second run and a run with
// the state deleted create nothing; verify passes; no meeting message is
// sent; and the tree's bytes and modification times are unchanged.
func TestE2EEmlx(t *testing.T) {
	v10, err := filepath.Abs(filepath.Join("..", "..", "testdata", "stores", "applemail", "V10"))
	if err != nil {
		t.Fatal(err)
	}
	acct := filepath.Join(v10, "3F2504E0-4F89-41D3-9A0C-0305E82C3301")
	attachments := filepath.Join(acct, "INBOX.mbox", "8D4C1A22-6B7E-4C0B-9E51-2C7A9B0F1D11", "Data", "Attachments", "103")
	before := testserver.TreeSnapshot(t, v10)
	users := []string{"mac@example.test", "mac2@example.test"}
	ep := graphemu.StartForTest(t, &graphemu.Options{ClientID: e2eClientID, ClientSecret: e2eSecret, Users: users, AttachmentsOnNonDraft: true})
	dir, cfg := writeLocalProject(t, ep, "E2E emlx", users[0]+",emlx,"+acct+"\n"+users[1]+",local,"+v10+"\n")

	pl := planProject(t, dir, cfg)
	for _, m := range pl.Mailboxes {
		if m.Error != "" || m.Items != int64(len(emlxExpect)) {
			t.Errorf("plan of %s: error %q, %d items; want %d", m.Address, m.Error, m.Items, len(emlxExpect))
		}
		if !slices.ContainsFunc(m.Skips, func(s plan.Skip) bool { return s.Rule == "store_deleted" && s.Items == 1 }) ||
			!slices.ContainsFunc(m.Folders, func(f plan.Folder) bool { return f.Path == "INBOX" && f.Deleted == 1 && f.Items == 3 }) {
			t.Errorf("plan of %s: skips %+v, folders %+v; want the deleted message counted in INBOX and skipped", m.Address, m.Skips, m.Folders)
		}
	}

	total := len(emlxExpect) * len(users)
	rerunProject(t, dir, cfg, total, func(int) {
		for _, u := range users {
			checkEmlxTarget(t, ep.Emulator, u, attachments)
		}
	})
	verifyProject(t, dir, cfg)
	if after := testserver.TreeSnapshot(t, v10); !slices.Equal(before, after) {
		t.Errorf("the Apple Mail tree changed:\nbefore %q\nafter  %q", before, after)
	}
}

// checkEmlxTarget checks user's mailbox in the emulator against emlxExpect;
// attachments is the partial message's Attachments directory.
func checkEmlxTarget(t *testing.T, emu *graphemu.Emulator, user, attachments string) {
	t.Helper()
	mb := emu.DumpMailbox(nil, user)
	if mb.MeetingMessagesSent != 0 {
		t.Errorf("%s: %d meeting messages sent, want 0", user, mb.MeetingMessagesSent)
	}
	seen := map[string]int{}
	for _, f := range mb.Folders {
		for _, it := range f.Items {
			if it.Kind != "message" {
				continue
			}
			subject, _ := it.Graph["subject"].(string)
			seen[subject]++
			want, ok := emlxExpect[subject]
			if !ok {
				t.Errorf("%s: unexpected message %q in %s (the deleted one?)", user, subject, f.Path)
				continue
			}
			key, stamped := stampOf(it)
			if !stamped || !strings.HasSuffix(key, ".emlx") || strings.HasSuffix(key, ".partial.emlx") {
				t.Errorf("%s: %q stamped %q, want its .emlx path", user, subject, key)
			}
			flag, _ := it.Graph["flag"].(map[string]any)
			if f.Path != want.folder || it.IsRead != want.read || (flag["flagStatus"] == "flagged") != want.flag || it.IsDraft != want.draft {
				t.Errorf("%s: %q: in %q read %v flag %v draft %v; want %+v", user, subject, f.Path, it.IsRead, it.Graph["flag"], it.IsDraft, want)
			}
			received, err := parseGraphTime(it.ReceivedDateTime)
			if err != nil || !received.Equal(want.received) {
				t.Errorf("%s: %q: received %q, want %s", user, subject, it.ReceivedDateTime, want.received.UTC().Format(time.RFC3339))
			}
			var got, wantFiles []string
			for _, a := range it.Attachments {
				got = append(got, a.Name+" "+a.SHA256)
			}
			for _, rel := range want.attachments {
				b, err := os.ReadFile(filepath.Join(attachments, filepath.FromSlash(rel)))
				if err != nil {
					t.Fatal(err)
				}
				sum := sha256.Sum256(b)
				wantFiles = append(wantFiles, filepath.Base(rel)+" "+hex.EncodeToString(sum[:]))
			}
			slices.Sort(got)
			slices.Sort(wantFiles)
			if !slices.Equal(got, wantFiles) {
				t.Errorf("%s: %q: attachments %q, want the files Mail kept apart %q", user, subject, got, wantFiles)
			}
		}
	}
	for subject := range emlxExpect {
		if seen[subject] != 1 {
			t.Errorf("%s: %q is in the target %d times, want once", user, subject, seen[subject])
		}
	}
}
