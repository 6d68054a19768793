package graphemu

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/target/graphemu/odata"
)

func payload(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(1, uint64(n)))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestInlineAttachments(t *testing.T) {
	yes := true
	_, c := startMail(t, &Options{Mailboxes: map[string]MailboxOptions{"b@x.test": {AttachmentsOnNonDraft: &yes}}})
	data := payload(300 << 10) // above the in-memory threshold
	att := map[string]any{"@odata.type": "#microsoft.graph.fileAttachment", "name": "a.bin", "contentType": "application/pdf",
		"contentBytes": base64.StdEncoding.EncodeToString(data)}

	draft := c.do("POST", "/users/a@x.test/messages", map[string]any{"subject": "d"})
	mustStatus(t, draft, 201)
	did := draft.str("id")
	r := c.do("POST", "/users/a@x.test/messages/"+did+"/attachments", att)
	mustStatus(t, r, 201)
	aid := r.str("id")
	if r.JSON["size"] != float64(len(data)) || r.str("@odata.type") != "#microsoft.graph.fileAttachment" {
		t.Errorf("attachment = %s", r.Body[:min(len(r.Body), 300)])
	}
	r = c.do("GET", "/users/a@x.test/messages/"+did+"/attachments/"+aid+"/$value", nil)
	if !bytes.Equal(r.Body, data) {
		t.Errorf("$value differs (%d bytes)", len(r.Body))
	}
	r = c.do("GET", "/users/a@x.test/messages/"+did+"/attachments/"+aid, nil)
	mustStatus(t, r, 200)
	if got, _ := base64.StdEncoding.DecodeString(r.str("contentBytes")); !bytes.Equal(got, data) {
		t.Errorf("streamed contentBytes differ")
	}
	r = c.do("GET", "/users/a@x.test/messages/"+did, nil)
	if r.JSON["hasAttachments"] != true {
		t.Errorf("hasAttachments = %v", r.JSON["hasAttachments"])
	}

	// Non-draft messages refuse later attachments by default ...
	nd := c.do("POST", "/users/a@x.test/mailFolders/inbox/messages", nonDraft("nd", "k"))
	mustStatus(t, nd, 201)
	checkGraphError(t, c.do("POST", "/users/a@x.test/messages/"+nd.str("id")+"/attachments", att), 400, "notAllowed")
	// ... but accept them inline at creation.
	m := nonDraft("with attachment", "k2")
	m["attachments"] = []any{att}
	r = c.do("POST", "/users/a@x.test/mailFolders/inbox/messages", m)
	mustStatus(t, r, 201)
	if r.JSON["hasAttachments"] != true || r.JSON["isDraft"] != false {
		t.Errorf("non-draft with attachment: %v %v", r.JSON["hasAttachments"], r.JSON["isDraft"])
	}
	// The per-mailbox option allows them.
	nd = c.do("POST", "/users/b@x.test/mailFolders/inbox/messages", nonDraft("nd", "k"))
	mustStatus(t, c.do("POST", "/users/b@x.test/messages/"+nd.str("id")+"/attachments", att), 201)

	mustStatus(t, c.do("DELETE", "/users/a@x.test/messages/"+did+"/attachments/"+aid, nil), 204)
	checkGraphError(t, c.do("GET", "/users/a@x.test/messages/"+did+"/attachments/"+aid, nil), 404, "ErrorItemNotFound")
}

func TestUploadSession(t *testing.T) {
	ep, c := startMail(t, &Options{Mailboxes: map[string]MailboxOptions{"b@x.test": {MaxMessageSize: 4 << 20}}})
	draft := c.do("POST", "/users/a@x.test/messages", map[string]any{"subject": "big"})
	mustStatus(t, draft, 201)
	mid := draft.str("id")
	data := payload(5<<20 + 123)

	checkGraphError(t, c.do("POST", "/users/a@x.test/messages/"+mid+"/attachments/createUploadSession",
		map[string]any{"AttachmentItem": map[string]any{"attachmentType": "file", "name": "small", "size": 1000}}),
		400, "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize")

	r := c.do("POST", "/users/a@x.test/messages/"+mid+"/attachments/createUploadSession",
		map[string]any{"AttachmentItem": map[string]any{"attachmentType": "file", "name": "big.bin", "size": len(data), "contentType": "application/zip"}})
	mustStatus(t, r, 201)
	uploadURL := r.str("uploadUrl")
	if !strings.Contains(uploadURL, "authtoken=") || r.str("expirationDateTime") == "" {
		t.Fatalf("session = %s", r.Body)
	}
	if nr, _ := r.JSON["nextExpectedRanges"].([]any); len(nr) != 1 || nr[0] != "0-" {
		t.Errorf("nextExpectedRanges = %v", r.JSON["nextExpectedRanges"])
	}
	up := newClient(t, ep, "", "") // no Authorization header
	put := func(start, end int, hdr ...string) *response {
		h := append([]string{"Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end, len(data))}, hdr...)
		return up.do("PUT", uploadURL, data[start:end+1], h...)
	}
	const chunk = 2 << 20
	checkGraphError(t, put(chunk, 2*chunk-1), 416, "invalidRange")                                                                 // out of order
	checkGraphError(t, put(0, chunk-1, "Authorization", "Bearer "+c.token), http.StatusUnauthorized, "InvalidAuthenticationToken") // pre-authenticated URL only
	r = put(0, chunk-1)
	mustStatus(t, r, 200)
	if nr, _ := r.JSON["nextExpectedRanges"].([]any); len(nr) != 1 || nr[0] != fmt.Sprint(chunk) {
		t.Errorf("nextExpectedRanges = %v", r.JSON["nextExpectedRanges"])
	}
	checkGraphError(t, put(0, chunk-1), 416, "invalidRange") // overlap
	mustStatus(t, put(chunk, 2*chunk-1), 200)
	r = put(2*chunk, len(data)-1)
	mustStatus(t, r, 201)
	loc := r.Header.Get("Location")
	if !strings.Contains(loc, "/Attachments('") || len(r.Body) != 0 {
		t.Errorf("final PUT: Location %q body %q", loc, r.Body)
	}
	aid := loc[strings.LastIndex(loc, "('")+2 : len(loc)-2]
	got := c.do("GET", "/users/a@x.test/messages/"+mid+"/attachments/"+aid+"/$value", nil)
	if !bytes.Equal(got.Body, data) {
		t.Errorf("uploaded bytes differ: %d vs %d", len(got.Body), len(data))
	}
	sum := sha256.Sum256(data)
	dump := c.inspect("mailboxes/a@x.test")
	found := false
	for _, f := range dump["folders"].([]any) {
		for _, it := range f.(map[string]any)["items"].([]any) {
			for _, a := range it.(map[string]any)["attachments"].([]any) {
				am := a.(map[string]any)
				if am["id"] == aid {
					found = true
					if am["sha256"] != hex.EncodeToString(sum[:]) || am["storedInFile"] != true {
						t.Errorf("inspected attachment = %v", am)
					}
				}
			}
		}
	}
	if !found {
		t.Error("attachment not in the dump")
	}

	// A mailbox with a 4 MB limit refuses the range that crosses it.
	d2 := c.do("POST", "/users/b@x.test/messages", map[string]any{"subject": "too big"})
	r = c.do("POST", "/users/b@x.test/messages/"+d2.str("id")+"/attachments/createUploadSession",
		map[string]any{"AttachmentItem": map[string]any{"attachmentType": "file", "name": "big.bin", "size": len(data)}})
	mustStatus(t, r, 201)
	uploadURL = r.str("uploadUrl")
	mustStatus(t, put(0, chunk-1), 200)
	checkGraphError(t, put(chunk, 2*chunk+chunk/2), 413, "ErrorMessageSizeExceeded")
	// Cancel the session.
	mustStatus(t, up.do("DELETE", uploadURL, nil), 204)
	checkGraphError(t, put(chunk, 2*chunk-1), 404, "ErrorItemNotFound")
}

func TestCreateMessageMIME(t *testing.T) {
	_, c := startMail(t, nil)
	mimeText := "From: Bob <bob@old.test>\r\nTo: a@x.test\r\nSubject: =?utf-8?q?Caf=C3=A9?=\r\nDate: Tue, 2 Jan 2018 03:04:05 +0000\r\n" +
		"Message-ID: <m1@old.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello MIME\r\n"
	r := c.do("POST", "/users/a@x.test/messages", base64.StdEncoding.EncodeToString([]byte(mimeText)))
	mustStatus(t, r, 201)
	if r.JSON["isDraft"] != true || r.str("subject") != "Café" || r.str("sentDateTime") != "2018-01-02T03:04:05Z" {
		t.Errorf("MIME message = %s", r.Body)
	}
	if r.str("receivedDateTime") == "2018-01-02T03:04:05Z" {
		t.Error("MIME message kept the original received date; Graph uses the creation time")
	}
	drafts := c.do("GET", "/users/a@x.test/mailFolders/drafts", nil)
	if r.str("parentFolderId") != drafts.str("id") {
		t.Errorf("MIME message not in Drafts")
	}
	checkGraphError(t, c.do("POST", "/users/a@x.test/messages", "%%% not base64 %%%"), 400, "ErrorMimeContentInvalidBase64String")
}

func TestLargeBodyKeptInFile(t *testing.T) {
	_, c := startMail(t, nil)
	content := "<p>" + strings.Repeat("large body ", 40000) + "</p>" // ~440 KB
	m := nonDraft("large", "k")
	m["body"] = map[string]any{"contentType": "html", "content": content}
	r := c.do("POST", "/users/a@x.test/mailFolders/inbox/messages", m)
	mustStatus(t, r, 201)
	if r.str("body/content") != content || !strings.HasPrefix(r.str("bodyPreview"), "large body large body") {
		t.Errorf("created body differs or preview wrong (%d bytes)", len(r.str("body/content")))
	}
	r = c.do("GET", "/users/a@x.test/mailFolders/inbox/messages", nil)
	v, _ := r.JSON["value"].([]any)
	if len(v) != 1 || odata.LookupPath(v[0].(map[string]any), "body/content") != content {
		t.Errorf("listed body differs")
	}
}
