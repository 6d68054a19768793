package graph

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/migrate/message"
	"github.com/migrate-tool/migrate/target"
	"github.com/migrate-tool/migrate/target/graphemu"
)

func TestPutMessage(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := testContext(t)
	mb := e.mailbox(t, ctx)
	f, err := mb.EnsureFolder(ctx, target.Inbox, []string{"Imported"})
	if err != nil {
		t.Fatal(err)
	}
	logo := randomBytes(1, 20_000)
	pdf := randomBytes(2, 300_000)
	raw := mime("Quarterly report", part{name: "logo.png", contentType: "image/png", contentID: "logo@x", data: logo},
		part{name: "report.pdf", contentType: "application/pdf", data: pdf})

	tests := []struct {
		name                                      string
		key                                       string
		read, flagged, answered, forwarded, draft bool
		categories                                []string
		wantVerb, wantIcon                        string
	}{
		{name: "unread plain", key: "imap:INBOX:1:1"},
		{name: "read flagged categories", key: "imap:INBOX:1:2", read: true, flagged: true, categories: []string{"Work", "Later"}},
		{name: "replied wins over forwarded", key: "imap:INBOX:1:3", read: true, answered: true, forwarded: true, wantVerb: "102", wantIcon: "261"},
		{name: "forwarded", key: "imap:INBOX:1:4", forwarded: true, wantVerb: "104", wantIcon: "262"},
		{name: "draft", key: "imap:Drafts:1:5", draft: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := testMessage(t, tc.key, raw)
			m.Read, m.Flagged, m.Answered, m.Forwarded, m.Draft, m.Categories = tc.read, tc.flagged, tc.answered, tc.forwarded, tc.draft, tc.categories
			created, err := mb.PutMessage(ctx, f, m)
			if err != nil {
				t.Fatalf("PutMessage() = %v", err)
			}
			if len(created.Notes) != 0 {
				t.Errorf("notes = %q, want none", created.Notes)
			}
			var it *graphemu.DumpItem
			items := e.folderItems(t, f)
			for i := range items {
				if items[i].ID == string(created.ID) {
					it = &items[i]
				}
			}
			if it == nil {
				t.Fatalf("created item %s not in the folder", created.ID)
			}
			if it.IsDraft != tc.draft || it.IsRead != tc.read {
				t.Errorf("isDraft, isRead = %v, %v; want %v, %v", it.IsDraft, it.IsRead, tc.draft, tc.read)
			}
			if it.ReceivedDateTime != "2019-03-05T09:12:00Z" || it.SentDateTime != "2019-03-05T09:11:12Z" {
				t.Errorf("received, sent = %s, %s", it.ReceivedDateTime, it.SentDateTime)
			}
			if v, _ := extValue(*it, StampPropertyID); v != tc.key {
				t.Errorf("stamp = %q, want %q", v, tc.key)
			}
			if v, _ := extValue(*it, "Integer 0x1081"); v != tc.wantVerb {
				t.Errorf("PidTagLastVerbExecuted = %q, want %q", v, tc.wantVerb)
			}
			if v, _ := extValue(*it, "Integer 0x1080"); v != tc.wantIcon {
				t.Errorf("PidTagIconIndex = %q, want %q", v, tc.wantIcon)
			}
			hdr, _ := extValue(*it, "String 0x007D")
			if !strings.Contains(hdr, "Message-ID: <") || !strings.Contains(hdr, "X-Mailer: test") {
				t.Errorf("PR_TRANSPORT_MESSAGE_HEADERS = %q, want the original header block", hdr)
			}
			if v, _ := extValue(*it, "String 0x1039"); v != "<root@example.org> <prev@example.org>" {
				t.Errorf("PidTagInternetReferences = %q", v)
			}
			g := it.Graph
			flag, _ := g["flag"].(map[string]any)
			if want := map[bool]string{true: "flagged", false: "notFlagged"}[tc.flagged]; flag["flagStatus"] != want {
				t.Errorf("flag = %v, want %s", flag, want)
			}
			var cats []string
			for _, c := range g["categories"].([]any) {
				cats = append(cats, c.(string))
			}
			if !slices.Equal(cats, tc.categories) {
				t.Errorf("categories = %q, want %q", cats, tc.categories)
			}
			if g["isReadReceiptRequested"] != false || g["isDeliveryReceiptRequested"] != false {
				t.Errorf("receipts requested: read %v, delivery %v", g["isReadReceiptRequested"], g["isDeliveryReceiptRequested"])
			}
			if g["importance"] != "high" || g["subject"] != "Quarterly report" || !strings.HasPrefix(fmt.Sprint(g["internetMessageId"]), "<") {
				t.Errorf("importance, subject, internetMessageId = %v, %v, %v", g["importance"], g["subject"], g["internetMessageId"])
			}
			if from := fmt.Sprint(g["from"]); !strings.Contains(from, "alice@example.org") || !strings.Contains(from, "Alice Example") {
				t.Errorf("from = %s", from)
			}
			if to := fmt.Sprint(g["toRecipients"]); !strings.Contains(to, "bob@example.org") || !strings.Contains(to, "carol@example.org") {
				t.Errorf("toRecipients = %s", to)
			}
			if body := fmt.Sprint(g["body"]); !strings.Contains(body, "Hello été") || !strings.Contains(body, "cid:logo@x") {
				t.Errorf("body = %s", body)
			}
			want := map[string]string{"logo.png": sha(logo), "report.pdf": sha(pdf)}
			if len(it.Attachments) != 2 {
				t.Fatalf("%d attachments, want 2", len(it.Attachments))
			}
			for _, a := range it.Attachments {
				if a.SHA256 != want[a.Name] {
					t.Errorf("attachment %s: sha256 %s, want %s", a.Name, a.SHA256, want[a.Name])
				}
				if inline := a.Name == "logo.png"; a.IsInline != inline || (inline && a.ContentID != "logo@x") {
					t.Errorf("attachment %s: isInline %v, contentId %q", a.Name, a.IsInline, a.ContentID)
				}
			}

			id, ok, err := mb.Lookup(ctx, f, tc.key)
			if err != nil || !ok || id != created.ID {
				t.Errorf("Lookup(%q) = %s, %v, %v; want %s", tc.key, id, ok, err, created.ID)
			}
		})
	}
	// Graph compares stamp values without case: Lookup must not.
	if id, ok, err := mb.Lookup(ctx, f, "IMAP:inbox:1:1"); err != nil || ok {
		t.Errorf("Lookup(other case) = %s, %v, %v; want not found", id, ok, err)
	}
	if id, ok, err := mb.Lookup(ctx, f, "imap:INBOX:1:99"); err != nil || ok {
		t.Errorf("Lookup(unknown) = %s, %v, %v; want not found", id, ok, err)
	}
}

func TestStampsPaging(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.c.pageSize = 4
	ctx := testContext(t)
	mb := e.mailbox(t, ctx)
	f, err := mb.EnsureFolder(ctx, target.Inbox, []string{"Paged"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := mb.EnsureFolder(ctx, target.Inbox, []string{"Other"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]target.ItemID{}
	for i := range 11 {
		key := fmt.Sprintf("pop3:uidl-%02d'quote", i)
		c, err := mb.PutMessage(ctx, f, testMessage(t, key, mime(fmt.Sprintf("Message %d", i))))
		if err != nil {
			t.Fatalf("PutMessage(%d) = %v", i, err)
		}
		want[key] = c.ID
	}
	if _, err := mb.PutMessage(ctx, other, testMessage(t, "pop3:elsewhere", mime("Elsewhere"))); err != nil {
		t.Fatal(err)
	}
	got := map[string]target.ItemID{}
	for s, err := range mb.Stamps(ctx, f) {
		if err != nil {
			t.Fatalf("Stamps() = %v", err)
		}
		if _, dup := got[s.SourceKey]; dup {
			t.Errorf("Stamps() gave %q twice", s.SourceKey)
		}
		got[s.SourceKey] = s.ID
	}
	if len(got) != len(want) {
		t.Errorf("Stamps() gave %d items, want %d", len(got), len(want))
	}
	for k, id := range want {
		if got[k] != id {
			t.Errorf("Stamps()[%q] = %s, want %s", k, got[k], id)
		}
	}
	// Stopping early stops paging.
	n := 0
	for range mb.Stamps(ctx, f) {
		n++
		if n == 5 {
			break
		}
	}
	if id, ok, err := mb.Lookup(ctx, f, "pop3:uidl-07'quote"); err != nil || !ok || id != want["pop3:uidl-07'quote"] {
		t.Errorf("Lookup(quote) = %s, %v, %v", id, ok, err)
	}
}

// TestHugeBody creates a message whose body alone is over Graph's 4 MB
// request limit: the body shown is cut and the whole text attached.
func TestHugeBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t, &graphemu.Options{AttachmentsOnNonDraft: true}, nil)
	ctx := testContext(t)
	mb := e.mailbox(t, ctx)
	f, err := mb.EnsureFolder(ctx, target.Inbox, []string{"Huge"})
	if err != nil {
		t.Fatal(err)
	}
	line := "<p>\"Quoted\" line with \u00e9t\u00e9 &amp; more text to fill the body.</p>\r\n"
	body := strings.Repeat(line, (4<<20)/len(line)+1000)
	raw := "From: a@example.org\r\nTo: b@example.org\r\nSubject: Huge\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + body
	c, err := message.Parse(ctx, strings.NewReader(raw), &message.Options{SpoolDir: t.TempDir(), MaxBodyBytes: 6 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	full := c.Body.Content
	created, err := mb.PutMessage(ctx, f, &target.Message{SourceKey: "huge", Content: c})
	if err != nil {
		t.Fatalf("PutMessage() = %v", err)
	}
	if len(created.Notes) == 0 || !strings.Contains(created.Notes[0], "body.html") {
		t.Errorf("notes = %q, want one about the cut body", created.Notes)
	}
	items := e.folderItems(t, f)
	if len(items) != 1 || len(items[0].Attachments) != 1 {
		t.Fatalf("%d items; want 1 with the body attached", len(items))
	}
	if a := items[0].Attachments[0]; a.Name != "body.html" || a.SHA256 != sha([]byte(full)) {
		t.Errorf("attachment %s (%d bytes), want body.html with the whole body (%d bytes)", a.Name, a.Size, len(full))
	}
	if items[0].IsDraft {
		t.Errorf("created as a draft")
	}
}
