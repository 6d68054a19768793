package graph

import (
	"errors"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/target"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// Test attachments for each way into a message: in the creation request
// (logo, slides: the smallest first), POST .../attachments (scan: no room
// left in the creation request), an upload session (video: 10 MB in four
// ranges, or 3.5 MB in two).
var (
	logo   = part{name: "logo.png", contentType: "image/png", contentID: "logo@x", data: randomBytes(10, 30_000)}
	slides = part{name: "slides.pdf", contentType: "application/pdf", data: randomBytes(12, 1600_000)}
	scan   = part{name: "scan.tif", contentType: "image/tiff", data: randomBytes(13, 1700_000)}
	video  = part{name: "video.bin", contentType: "application/octet-stream", data: randomBytes(11, 10<<20)}
	clip   = part{name: "clip.bin", contentType: "application/octet-stream", data: randomBytes(14, 7<<19)}
)

// withKey is a copy of m with another source key (the content is shared:
// attachments can be opened any number of times).
func withKey(m *target.Message, key string) *target.Message {
	c := *m
	c.SourceKey = key
	return &c
}

// checkComplete checks that folder f holds exactly one item, stamped with
// key, with every part byte for byte, and returns it.
func checkComplete(t *testing.T, e *env, f target.FolderID, key string, parts []part) graphemu.DumpItem {
	t.Helper()
	items := e.folderItems(t, f)
	if len(items) != 1 {
		for _, it := range items {
			v, _ := extValue(it, StampPropertyID)
			t.Logf("item %s stamp %q attachments %d", it.ID, v, len(it.Attachments))
		}
		t.Fatalf("folder has %d items, want exactly 1", len(items))
	}
	it := items[0]
	if v, _ := extValue(it, StampPropertyID); v != key {
		t.Errorf("stamp = %q, want %q", v, key)
	}
	want := map[string]string{}
	for _, p := range parts {
		want[p.name] = sha(p.data)
	}
	if len(it.Attachments) != len(parts) {
		t.Errorf("%d attachments, want %d", len(it.Attachments), len(parts))
	}
	for _, a := range it.Attachments {
		if a.SHA256 != want[a.Name] {
			t.Errorf("attachment %s (%d bytes): sha256 %s, want %s", a.Name, a.Size, a.SHA256, want[a.Name])
		}
		delete(want, a.Name)
	}
	for name := range want {
		t.Errorf("attachment %s missing", name)
	}
	return it
}

func TestLargeAttachments(t *testing.T) {
	tests := []struct {
		name       string
		parts      []part
		onNonDraft bool
		wantDraft  bool
	}{
		{name: "received mail accepts attachments", parts: []part{logo, video, slides, scan}, onNonDraft: true},
		{name: "refused: draft fallback", parts: []part{logo, clip}, onNonDraft: false, wantDraft: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			parts := tc.parts
			msg := testMessage(t, "imap:INBOX:7:42", mime("Large", parts...))
			msg.Read = true
			e := newEnv(t, &graphemu.Options{AttachmentsOnNonDraft: tc.onNonDraft}, nil)
			ctx := testContext(t)
			mb := e.mailbox(t, ctx)
			f, err := mb.EnsureFolder(ctx, target.Inbox, []string{"Large"})
			if err != nil {
				t.Fatal(err)
			}
			created, err := mb.PutMessage(ctx, f, msg)
			if err != nil {
				t.Fatalf("PutMessage() = %v", err)
			}
			it := checkComplete(t, e, f, "imap:INBOX:7:42", parts)
			if it.ID != string(created.ID) || it.IsDraft != tc.wantDraft || !it.IsRead {
				t.Errorf("item %s isDraft %v isRead %v; want %s, %v, true", it.ID, it.IsDraft, it.IsRead, created.ID, tc.wantDraft)
			}
			if it.ReceivedDateTime != "2019-03-05T09:12:00Z" {
				t.Errorf("received = %s", it.ReceivedDateTime)
			}
			hasNote := len(created.Notes) == 1 && strings.Contains(created.Notes[0], "created as a draft")
			if hasNote != tc.wantDraft {
				t.Errorf("notes = %q", created.Notes)
			}
			if id, ok, err := mb.Lookup(ctx, f, "imap:INBOX:7:42"); err != nil || !ok || id != created.ID {
				t.Errorf("Lookup() = %s, %v, %v", id, ok, err)
			}
			// A second message in the same mailbox goes straight to the
			// outcome the mailbox allows.
			if c2, err := mb.PutMessage(ctx, f, withKey(msg, "imap:INBOX:7:43")); err != nil || (len(c2.Notes) == 1) != tc.wantDraft {
				t.Errorf("second PutMessage() = %+v, %v", c2, err)
			}
		})
	}
}

// TestAtomicity fails an upload in the middle and the clean-up after it:
// the partial item keeps its pending stamp, invisible to Lookup and
// Stamps, and the next PutMessage of the key replaces it.
func TestAtomicity(t *testing.T) {
	t.Parallel()
	e := newEnv(t, &graphemu.Options{AttachmentsOnNonDraft: true,
		Faults: "PUT /api/* seq:pass,500,500,500,500,500; DELETE /v1.0/* seq:500,500,502,504,500"}, nil)
	ctx := testContext(t)
	mb := e.mailbox(t, ctx)
	f, err := mb.EnsureFolder(ctx, target.Inbox, []string{"Atomic"})
	if err != nil {
		t.Fatal(err)
	}
	parts := []part{logo, clip}
	const key = "imap:INBOX:9:1"
	msg := testMessage(t, key, mime("Atomic", parts...))

	_, err = mb.PutMessage(ctx, f, msg)
	var re *target.RetryError
	if !errors.As(err, &re) {
		t.Fatalf("first PutMessage() = %v, want a *target.RetryError", err)
	}
	if !strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), testUser) || !strings.Contains(err.Error(), "Atomic") {
		t.Errorf("error %q does not name the mailbox, folder and key", err)
	}
	if strings.Contains(err.Error(), "authtoken") {
		t.Errorf("error %q shows the upload URL's token", err)
	}
	items := e.folderItems(t, f)
	if len(items) != 1 {
		t.Fatalf("after the failure: %d items, want the partial one", len(items))
	}
	if v, _ := extValue(items[0], StampPropertyID); v != pendingPrefix+key {
		t.Errorf("partial item stamp = %q, want the pending stamp", v)
	}
	if id, ok, err := mb.Lookup(ctx, f, key); err != nil || ok {
		t.Errorf("Lookup() = %s, %v, %v; want not found", id, ok, err)
	}
	for s, err := range mb.Stamps(ctx, f) {
		t.Errorf("Stamps() = %+v, %v; want nothing", s, err)
	}

	created, err := mb.PutMessage(ctx, f, msg)
	if err != nil {
		t.Fatalf("second PutMessage() = %v", err)
	}
	it := checkComplete(t, e, f, key, parts)
	if it.ID != string(created.ID) {
		t.Errorf("complete item %s, PutMessage returned %s", it.ID, created.ID)
	}
}

// TestAmbiguousFailures cuts the connection after Graph ran a request
// that is not idempotent: the retry must find what was done instead of
// doing it twice.
func TestAmbiguousFailures(t *testing.T) {
	small := testMessage(t, "k1", mime("Ambiguous", logo))
	posted := testMessage(t, "k1", mime("Ambiguous", slides, scan))
	uploaded := testMessage(t, "k1", mime("Ambiguous", clip))
	tests := []struct {
		name, faults string
		msg          *target.Message
		parts        []part
		// statusGET lets the upload URL answer GET with the session's
		// status, which Outlook does not document: without it a range
		// already taken (416) starts the upload over.
		statusGET bool
	}{
		{"create message", "POST /v1.0/users/*/mailFolders/*/messages seq:reset", small, []part{logo}, false},
		{"create folder", "POST */childFolders seq:reset", small, []part{logo}, false},
		{"add attachment", "POST */attachments seq:reset", posted, []part{slides, scan}, false},
		{"first upload range", "PUT /api/* seq:reset", uploaded, []part{clip}, false},
		{"first upload range, status GET", "PUT /api/* seq:reset", uploaded, []part{clip}, true},
		{"last upload range", "PUT /api/* seq:pass,reset", uploaded, []part{clip}, false},
		{"stamp the complete message", "PATCH * seq:reset,502", uploaded, []part{clip}, false},
		{"throttled upload range", "PUT /api/* seq:pass,429=1s", uploaded, []part{clip}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			msg, parts := tc.msg, tc.parts
			e := newEnv(t, &graphemu.Options{AttachmentsOnNonDraft: true, Faults: tc.faults, UploadStatusGET: tc.statusGET}, nil)
			ctx := testContext(t)
			mb := e.mailbox(t, ctx)
			f, err := mb.EnsureFolder(ctx, target.Inbox, []string{"Ambiguous"})
			if err != nil {
				t.Fatalf("EnsureFolder() = %v", err)
			}
			if _, err := mb.PutMessage(ctx, f, msg); err != nil {
				t.Fatalf("PutMessage() = %v", err)
			}
			checkComplete(t, e, f, "k1", parts)
			n := 0
			for _, df := range e.dump(t).Folders {
				if strings.EqualFold(df.Path, "Inbox/Ambiguous") {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%d folders Inbox/Ambiguous, want 1", n)
			}
			if n := openUploads(t, e); n != 0 {
				t.Errorf("%d upload sessions left open, want 0", n)
			}
		})
	}
}

// TestLostAnswer loses the answer to the creation and cannot check what
// happened: PutMessage fails, and the next PutMessage of the key finds the
// item instead of creating a second one.
func TestLostAnswer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, &graphemu.Options{
		Faults: "POST /v1.0/users/*/mailFolders/*/messages seq:reset; GET /v1.0/users/*/mailFolders/*/messages seq:500,500,500,500,500"}, nil)
	ctx := testContext(t)
	mb := e.mailbox(t, ctx)
	f, err := mb.EnsureFolder(ctx, target.Inbox, []string{"Lost"})
	if err != nil {
		t.Fatal(err)
	}
	msg := testMessage(t, "lost-1", mime("Lost", logo))
	if _, err := mb.PutMessage(ctx, f, msg); err == nil {
		t.Fatalf("first PutMessage() succeeded, want an error")
	} else if _, ok := target.RetryAfter(err); !ok {
		t.Fatalf("first PutMessage() = %v, want a RetryError", err)
	}
	created, err := mb.PutMessage(ctx, f, msg)
	if err != nil {
		t.Fatalf("second PutMessage() = %v", err)
	}
	it := checkComplete(t, e, f, "lost-1", []part{logo})
	if it.ID != string(created.ID) || len(created.Notes) != 1 {
		t.Errorf("PutMessage() = %+v; the item is %s", created, it.ID)
	}
}

func TestOversize(t *testing.T) {
	t.Parallel()
	small := int64(6 << 20)
	e := newEnv(t, &graphemu.Options{AttachmentsOnNonDraft: true,
		Mailboxes: map[string]graphemu.MailboxOptions{testUser: {MaxMessageSize: small}}}, nil)
	ctx := testContext(t)
	mb := e.mailbox(t, ctx)
	f, err := mb.EnsureFolder(ctx, target.Inbox, []string{"Big"})
	if err != nil {
		t.Fatal(err)
	}
	raw := mime("Too big", part{name: "big.bin", contentType: "application/octet-stream", data: randomBytes(20, 7<<20)})

	msg := testMessage(t, "big", raw)
	_, err = mb.PutMessage(ctx, f, msg)
	var ie *target.ItemError
	if !errors.As(err, &ie) || !strings.Contains(ie.Reason, "maximum message size") {
		t.Fatalf("PutMessage() = %v, want an ItemError about the maximum message size", err)
	}
	if items := e.folderItems(t, f); len(items) != 0 {
		t.Errorf("%d items left after an oversize failure, want 0", len(items))
	}

	// Known limit: refused before any request.
	c := newClient(t, e.ep, &Config{MaxMessageSize: small})
	mb2, err := c.Mailbox(ctx, testUser)
	if err != nil {
		t.Fatal(err)
	}
	_, err = mb2.PutMessage(ctx, f, withKey(msg, "big2"))
	if !errors.As(err, &ie) || !strings.Contains(ie.Reason, "target.max_message_size") {
		t.Fatalf("PutMessage() with MaxMessageSize = %v, want an ItemError naming target.max_message_size", err)
	}
}
