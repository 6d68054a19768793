package graph

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/migrate/mapping"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/target"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// requestLog is the emulator's request log.
func requestLog(t *testing.T, e *env) []graphemu.LoggedRequest {
	t.Helper()
	var log struct {
		Value []graphemu.LoggedRequest `json:"value"`
	}
	getJSON(t, e.ep, "/_emulator/requests", &log)
	return log.Value
}

// openUploads counts the emulator's open upload sessions.
func openUploads(t *testing.T, e *env) int {
	t.Helper()
	var up struct {
		Value []map[string]any `json:"value"`
	}
	getJSON(t, e.ep, "/_emulator/uploads", &up)
	return len(up.Value)
}

// TestAttachmentRoutes sends an attachment that does not fit in the
// creation request by POST when that request fits in 4 MB, and through an
// upload session when it does not, also under 3 MiB: a file just under
// 3 MB is over 4 MB in base64.
func TestAttachmentRoutes(t *testing.T) {
	tests := []struct {
		name    string
		size    int
		session bool
	}{
		{name: "3,000,000 bytes: POST", size: 3_000_000},
		{name: "just under 3 MiB: base64 over 4 MB, upload session", size: 3<<20 - 16, session: true},
		{name: "3 MiB: upload session", size: 3 << 20, session: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			big := part{name: "big.bin", contentType: "application/octet-stream", data: randomBytes(30, tc.size)}
			parts := []part{scan, big} // scan fills the creation request
			e := newEnv(t, &graphemu.Options{AttachmentsOnNonDraft: true}, nil)
			ctx := testContext(t)
			mb := e.mailbox(t, ctx)
			f, err := mb.EnsureFolder(ctx, target.Inbox, []string{"Routes"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := mb.PutMessage(ctx, f, testMessage(t, "route", mime("Routes", parts...))); err != nil {
				t.Fatalf("PutMessage() = %v", err)
			}
			checkComplete(t, e, f, "route", parts)
			sessions, posts := 0, 0
			for _, r := range requestLog(t, e) {
				switch {
				case r.Status == http.StatusRequestEntityTooLarge:
					t.Errorf("%s %s: 413", r.Method, r.Path)
				case r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/attachments/createUploadSession"):
					sessions++
				case r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/attachments"):
					posts++
				}
			}
			if want := map[bool][2]int{false: {0, 1}, true: {1, 0}}[tc.session]; sessions != want[0] || posts != want[1] {
				t.Errorf("%d upload sessions and %d POST attachments, want %d and %d", sessions, posts, want[0], want[1])
			}
		})
	}
}

// TestGzipRefused runs a message through every path of the client against
// a server that refuses compressed request bodies with 415.
func TestGzipRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, &graphemu.Options{AttachmentsOnNonDraft: true, RefuseGzip: true}, nil)
	ctx := testContext(t)
	mb := e.mailbox(t, ctx)
	f, err := mb.EnsureFolder(ctx, target.Inbox, []string{"Gzip", "Refused"})
	if err != nil {
		t.Fatalf("EnsureFolder() = %v", err)
	}
	parts := []part{logo, slides, scan, clip} // creation, POST attachments, upload session
	msg := testMessage(t, "gz", mime("Gzip", parts...))
	msg.Flagged = true
	created, err := mb.PutMessage(ctx, f, msg)
	if err != nil {
		t.Fatalf("PutMessage() = %v", err)
	}
	checkComplete(t, e, f, "gz", parts)
	if id, ok, err := mb.Lookup(ctx, f, "gz"); err != nil || !ok || id != created.ID {
		t.Errorf("Lookup() = %s, %v, %v", id, ok, err)
	}
	log := requestLog(t, e)
	refused, bodies := 0, 0
	for i, r := range log {
		if r.Method != http.MethodPost && r.Method != http.MethodPatch {
			continue
		}
		bodies++
		if r.Status != http.StatusUnsupportedMediaType {
			continue
		}
		refused++
		// The same request again, uncompressed, and taken.
		if i+1 >= len(log) || !slices.ContainsFunc(log[i+1:], func(o graphemu.LoggedRequest) bool {
			return o.Method == r.Method && o.Path == r.Path && o.Status < 300
		}) {
			t.Errorf("%s %s: 415 and not sent again", r.Method, r.Path)
		}
	}
	if refused == 0 {
		t.Errorf("no request was refused: the client sent no gzip body")
	}
	t.Logf("%d of %d POST/PATCH requests were refused with 415 and sent again uncompressed", refused, bodies)
}

// TestSourceFolderCalendar migrates a source folder named "Calendar": a
// mail folder of that name at the root collides with the mailbox's
// Calendar (409 ErrorFolderExists), and the folder mapping's rename is
// what avoids it.
func TestSourceFolderCalendar(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	ctx := testContext(t)
	mb := e.mailbox(t, ctx)
	if _, err := mb.EnsureFolder(ctx, target.Root, []string{"Calendar"}); err == nil {
		t.Fatalf("EnsureFolder(root, Calendar) succeeded; the emulator should refuse a mail folder named like the Calendar folder")
	}
	src := []source.Folder{
		{Path: []string{"INBOX"}, Delimiter: "/", Name: "INBOX", Count: -1, Bytes: -1},
		{Path: []string{"Calendar"}, Delimiter: "/", Name: "Calendar", Count: -1, Bytes: -1},
	}
	ms, err := mapping.Folders(src, nil)
	if err != nil {
		t.Fatalf("mapping.Folders() = %v", err)
	}
	i := slices.IndexFunc(ms, func(m mapping.FolderMapping) bool { return m.Source.Name == "Calendar" })
	if i < 0 || ms[i].Excluded {
		t.Fatalf("mapping of Calendar = %+v", ms)
	}
	f, err := mb.EnsureFolder(ctx, ms[i].WellKnown, ms[i].Target)
	if err != nil {
		t.Fatalf("EnsureFolder(%s) = %v", ms[i], err)
	}
	if _, err := mb.PutMessage(ctx, f, testMessage(t, "cal-1", mime("In a folder named Calendar", logo))); err != nil {
		t.Fatalf("PutMessage() = %v", err)
	}
	checkComplete(t, e, f, "cal-1", []part{logo})
	for _, df := range e.dump(t).Folders {
		if df.ID == string(f) && df.Path != "Calendar (imported)" {
			t.Errorf("the folder is %q, want %q", df.Path, "Calendar (imported)")
		}
	}
}

// TestBodySchemeIsTheSources checks that the stamp parser's body scheme is
// the one source.BodyIdentity writes.
func TestBodySchemeIsTheSources(t *testing.T) {
	if bodyScheme != source.BodyScheme {
		t.Errorf("bodyScheme = %q, source.BodyScheme = %q", bodyScheme, source.BodyScheme)
	}
}
