package graphemu

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// with returns a copy of m with k set to v.
func with(m map[string]any, k string, v any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for kk, vv := range m {
		out[kk] = vv
	}
	out[k] = v
	return out
}

func fileAtt(name string, data []byte, extra ...any) map[string]any {
	a := map[string]any{"@odata.type": "#microsoft.graph.fileAttachment", "name": name, "contentType": "application/octet-stream",
		"contentBytes": base64.StdEncoding.EncodeToString(data)}
	for i := 0; i+1 < len(extra); i += 2 {
		a[extra[i].(string)] = extra[i+1]
	}
	return a
}

// TestNestedProperties refuses what a nested object of a message does not
// have or cannot hold, as Graph refuses it at the top level.
func TestNestedProperties(t *testing.T) {
	_, c := startMail(t, nil)
	base := nonDraft("nested", "k")
	dtz := map[string]any{"dateTime": "2021-01-01T10:00:00", "timeZone": "UTC"}
	tests := []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"recipient: unknown emailAddress property", with(base, "toRecipients", []any{map[string]any{"emailAddress": map[string]any{"adress": "a@x.test"}}}), 400, "RequestBodyRead"},
		{"recipient: unknown property", with(base, "ccRecipients", []any{map[string]any{"email": "a@x.test"}}), 400, "RequestBodyRead"},
		{"recipient: not an object", with(base, "from", "a@x.test"), 400, "RequestBodyRead"},
		{"recipient: address not a string", with(base, "sender", map[string]any{"emailAddress": map[string]any{"address": 7}}), 400, "RequestBodyRead"},
		{"recipients: not a collection", with(base, "bccRecipients", map[string]any{"emailAddress": map[string]any{"address": "a@x.test"}}), 400, "RequestBodyRead"},
		{"flag: invalid flagStatus", with(base, "flag", map[string]any{"flagStatus": "urgent"}), 400, "RequestBodyRead"},
		{"flag: unknown property", with(base, "flag", map[string]any{"flagStatus": "flagged", "flagged": true}), 400, "RequestBodyRead"},
		{"flag: unknown dateTimeTimeZone property", with(base, "flag", map[string]any{"flagStatus": "flagged", "startDateTime": with(dtz, "zone", "UTC")}), 400, "RequestBodyRead"},
		{"flag: due date without start date", with(base, "flag", map[string]any{"flagStatus": "flagged", "dueDateTime": dtz}), 400, "ErrorInvalidArgument"},
		{"body: invalid contentType", with(base, "body", map[string]any{"contentType": "markdown", "content": "x"}), 400, "RequestBodyRead"},
		{"body: unknown property", with(base, "body", map[string]any{"contentType": "text", "content": "x", "charset": "utf-8"}), 400, "RequestBodyRead"},
		{"importance: invalid", with(base, "importance", "urgent"), 400, "RequestBodyRead"},
		{"headers: unknown property", with(base, "internetMessageHeaders", []any{map[string]any{"name": "x-a", "value": "b", "raw": "x-a: b"}}), 400, "RequestBodyRead"},
		{"extended property: unknown property", with(base, "singleValueExtendedProperties", []any{map[string]any{"id": "String 0x007D", "value": "v", "type": "String"}}), 400, "RequestBodyRead"},
		{"attachment: unknown property", with(base, "attachments", []any{fileAtt("a.txt", []byte("hi"), "data", "aGk=")}), 400, "RequestBodyRead"},
		{"attachment: without @odata.type", with(base, "attachments", []any{map[string]any{"name": "a.txt", "contentBytes": "aGk="}}), 400, "RequestBodyRead"},
		{"attachment: unknown @odata.type", with(base, "attachments", []any{fileAtt("a.txt", []byte("hi"), "@odata.type", "#microsoft.graph.blobAttachment")}), 400, "RequestBodyRead"},
		{"attachment: isInline not a Boolean", with(base, "attachments", []any{fileAtt("a.txt", []byte("hi"), "isInline", "yes")}), 400, "RequestBodyRead"},
		{"reference attachment: a fileAttachment property", with(base, "attachments", []any{fileAtt("a.txt", nil, "@odata.type", "#microsoft.graph.referenceAttachment")}), 400, "RequestBodyRead"},
		{"valid nested objects", with(with(base, "flag", map[string]any{"flagStatus": "flagged", "startDateTime": dtz, "dueDateTime": dtz}),
			"attachments", []any{fileAtt("a.txt", []byte("hi"), "isInline", false)}), 201, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do("POST", "/users/a@x.test/mailFolders/inbox/messages", tc.body)
			if tc.code == "" {
				mustStatus(t, r, tc.status)
				return
			}
			checkGraphError(t, r, tc.status, tc.code)
		})
	}

	// PATCH is checked the same way.
	draft := c.do("POST", "/users/a@x.test/messages", map[string]any{"subject": "d"})
	mustStatus(t, draft, 201)
	checkGraphError(t, c.do("PATCH", "/users/a@x.test/messages/"+draft.str("id"), map[string]any{"flag": map[string]any{"flagStatus": "later"}}), 400, "RequestBodyRead")
	checkGraphError(t, c.do("PATCH", "/users/a@x.test/messages/"+draft.str("id"), map[string]any{"replyTo": []any{map[string]any{"emailAddress": map[string]any{"smtp": "x@y.test"}}}}), 400, "RequestBodyRead")
}

// TestNestedNormalized stores differently cased names and enumeration
// members as documented.
func TestNestedNormalized(t *testing.T) {
	_, c := startMail(t, nil)
	m := nonDraft("cased", "k")
	m["toRecipients"] = []any{map[string]any{"EmailAddress": map[string]any{"Name": "A", "Address": "a@x.test"}}}
	m["flag"] = map[string]any{"FlagStatus": "Flagged"}
	m["importance"] = "High"
	r := c.do("POST", "/users/a@x.test/mailFolders/inbox/messages", m)
	mustStatus(t, r, 201)
	want := map[string]string{"toRecipients/0/emailAddress/address": "a@x.test", "flag/flagStatus": "flagged", "importance": "high", "body/contentType": "html"}
	for path, v := range want {
		var got any = r.JSON
		for _, seg := range strings.Split(path, "/") {
			switch x := got.(type) {
			case map[string]any:
				got = x[seg]
			case []any:
				var i int
				fmt.Sscan(seg, &i)
				got = x[i]
			}
		}
		if got != v {
			t.Errorf("%s = %v, want %q (body %s)", path, got, v, r.Body)
		}
	}
}

// TestAttachmentBodies checks the bodies of POST .../attachments and
// createUploadSession against attachment and attachmentItem.
func TestAttachmentBodies(t *testing.T) {
	_, c := startMail(t, nil)
	draft := c.do("POST", "/users/a@x.test/messages", map[string]any{"subject": "d"})
	mustStatus(t, draft, 201)
	atts := "/users/a@x.test/messages/" + draft.str("id") + "/attachments"
	item := func(kv ...any) map[string]any {
		m := map[string]any{"attachmentType": "file", "name": "big.bin", "size": 5 << 20}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return map[string]any{"AttachmentItem": m}
	}
	tests := []struct {
		name   string
		path   string
		body   map[string]any
		status int
		code   string
	}{
		{"attachment: unknown property", atts, fileAtt("a.txt", []byte("hi"), "sha256", "x"), 400, "RequestBodyRead"},
		{"attachment: size not a number", atts, fileAtt("a.txt", []byte("hi"), "size", "2"), 400, "RequestBodyRead"},
		{"attachment: without @odata.type", atts, map[string]any{"name": "a.txt", "contentBytes": "aGk="}, 400, "RequestBodyRead"},
		{"attachment: item attachment", atts, map[string]any{"@odata.type": "#microsoft.graph.itemAttachment", "name": "m", "item": map[string]any{}}, 400, "notSupported"},
		{"attachment: valid", atts, fileAtt("a.txt", []byte("hi"), "isInline", true, "contentId", "a@x"), 201, ""},
		{"session: unknown property", atts + "/createUploadSession", item("color", "red"), 400, "RequestBodyRead"},
		{"session: invalid attachmentType", atts + "/createUploadSession", item("attachmentType", "folder"), 400, "RequestBodyRead"},
		{"session: attachmentType missing", atts + "/createUploadSession", item("attachmentType", nil), 400, "ErrorInvalidRequest"},
		{"session: size missing", atts + "/createUploadSession", item("size", nil), 400, "ErrorInvalidRequest"},
		{"session: size not a number", atts + "/createUploadSession", item("size", "5242880"), 400, "RequestBodyRead"},
		{"session: isInline not a Boolean", atts + "/createUploadSession", item("isInline", "no"), 400, "RequestBodyRead"},
		{"session: unknown parameter", atts + "/createUploadSession", with(item(), "replace", true), 400, "RequestBodyRead"},
		{"session: reference attachment", atts + "/createUploadSession", item("attachmentType", "reference"), 400, "notSupported"},
		{"session: valid, other case", atts + "/createUploadSession", map[string]any{"attachmentItem": map[string]any{"AttachmentType": "File", "Name": "big.bin", "Size": 5 << 20}}, 201, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do("POST", tc.path, tc.body)
			if tc.code == "" {
				mustStatus(t, r, tc.status)
				return
			}
			checkGraphError(t, r, tc.status, tc.code)
		})
	}
}

// TestRootFolderNamespace refuses a mail folder at the root named like a
// default non-mail folder: one namespace below the root, as in Exchange.
func TestRootFolderNamespace(t *testing.T) {
	_, c := startMail(t, nil)
	root := "/users/a@x.test/mailFolders"
	for _, name := range []string{"Calendar", "calendar", "Contacts", "Tasks", "Notes", "Journal", "Conversation History"} {
		checkGraphError(t, c.do("POST", root, map[string]any{"displayName": name}), 409, "ErrorFolderExists")
		checkGraphError(t, c.do("POST", root+"/msgfolderroot/childFolders", map[string]any{"displayName": name}), 409, "ErrorFolderExists")
	}
	imported := c.do("POST", root, map[string]any{"displayName": "Calendar (imported)"})
	mustStatus(t, imported, 201)
	// Below the root the names are free.
	mustStatus(t, c.do("POST", root+"/inbox/childFolders", map[string]any{"displayName": "Calendar"}), 201)
	mustStatus(t, c.do("POST", root+"/"+imported.str("id")+"/childFolders", map[string]any{"displayName": "Tasks"}), 201)
	// A rename at the root is checked too.
	checkGraphError(t, c.do("PATCH", root+"/"+imported.str("id"), map[string]any{"displayName": "Notes"}), 409, "ErrorFolderExists")
}

// TestAttachmentJustUnder3MB is the attachment that fits neither a POST
// (its base64 is over 4 MB) nor, if sessions began at 3 MiB, an upload
// session.
func TestAttachmentJustUnder3MB(t *testing.T) {
	_, c := startMail(t, nil)
	draft := c.do("POST", "/users/a@x.test/messages", map[string]any{"subject": "d"})
	mustStatus(t, draft, 201)
	atts := "/users/a@x.test/messages/" + draft.str("id") + "/attachments"
	const n = 3<<20 - 16
	body, _ := json.Marshal(fileAtt("scan.tif", payload(n)))
	if len(body) <= MaxRequestSize {
		t.Fatalf("the POST body is %d bytes, not over %d", len(body), MaxRequestSize)
	}
	checkGraphError(t, c.do("POST", atts, body, "Content-Type", "application/json"), 413, "RequestEntityTooLarge")
	session := func(size int) *response {
		return c.do("POST", atts+"/createUploadSession", map[string]any{"AttachmentItem": map[string]any{"attachmentType": "file", "name": "scan.tif", "size": size}})
	}
	mustStatus(t, session(n), 201)
	mustStatus(t, session(minUploadSize), 201)
	checkGraphError(t, session(minUploadSize-1), 400, "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize")
}

// TestUploadStatusGET answers GET on an upload URL only with the option;
// the answer has the uploadSession resource's two properties.
func TestUploadStatusGET(t *testing.T) {
	for _, on := range []bool{false, true} {
		t.Run(fmt.Sprintf("UploadStatusGET=%v", on), func(t *testing.T) {
			ep, c := startMail(t, &Options{UploadStatusGET: on})
			draft := c.do("POST", "/users/a@x.test/messages", map[string]any{"subject": "d"})
			data := payload(4 << 20)
			r := c.do("POST", "/users/a@x.test/messages/"+draft.str("id")+"/attachments/createUploadSession",
				map[string]any{"AttachmentItem": map[string]any{"attachmentType": "file", "name": "f.bin", "size": len(data)}})
			mustStatus(t, r, 201)
			u := r.str("uploadUrl")
			up := newClient(t, ep, "", "")
			r = up.do("PUT", u, data[:1<<20], "Content-Range", fmt.Sprintf("bytes 0-%d/%d", 1<<20-1, len(data)))
			mustStatus(t, r, 200)
			if r.str("ExpirationDateTime") == "" || fmt.Sprint(r.JSON["nextExpectedRanges"]) != fmt.Sprintf("[%d]", 1<<20) {
				t.Errorf("PUT answer = %s", r.Body)
			}
			r = up.do("GET", u, nil)
			if !on {
				checkGraphError(t, r, 405, "Request_BadRequest")
				return
			}
			mustStatus(t, r, 200)
			if len(r.JSON) != 2 || r.str("expirationDateTime") == "" || fmt.Sprint(r.JSON["nextExpectedRanges"]) != fmt.Sprintf("[%d]", 1<<20) {
				t.Errorf("GET answer = %s, want expirationDateTime and nextExpectedRanges [%d] only", r.Body, 1<<20)
			}
		})
	}
}

func gzipped(t *testing.T, v any) []byte {
	t.Helper()
	j, _ := json.Marshal(v)
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(j); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestGzipBodies accepts gzip request bodies, also in $batch, unless
// RefuseGzip.
func TestGzipBodies(t *testing.T) {
	batch := map[string]any{"requests": []any{map[string]any{"id": "1", "method": "GET", "url": "/users/a@x.test/mailFolders/inbox"}}}
	tests := []struct {
		refuse bool
		want   int
	}{
		{false, 201},
		{true, 415},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("RefuseGzip=%v", tc.refuse), func(t *testing.T) {
			_, c := startMail(t, &Options{RefuseGzip: tc.refuse})
			gz := []string{"Content-Type", "application/json", "Content-Encoding", "gzip"}
			r := c.do("POST", "/users/a@x.test/mailFolders/inbox/messages", gzipped(t, nonDraft("gz", "k")), gz...)
			b := c.do("POST", "/$batch", gzipped(t, batch), gz...)
			if tc.refuse {
				checkGraphError(t, r, 415, "UnsupportedMediaType")
				checkGraphError(t, b, 415, "UnsupportedMediaType")
				// The same requests uncompressed are taken.
				mustStatus(t, c.do("POST", "/users/a@x.test/mailFolders/inbox/messages", nonDraft("plain", "k2")), 201)
				mustStatus(t, c.do("POST", "/$batch", batch), 200)
				return
			}
			mustStatus(t, r, 201)
			if r.str("subject") != "gz" {
				t.Errorf("gzip message = %s", r.Body)
			}
			mustStatus(t, b, 200)
			if !strings.Contains(string(b.Body), `"status":200`) {
				t.Errorf("gzip batch = %s", b.Body)
			}
		})
	}
}

// TestHiddenFolders: isHidden is set only at creation, a hidden folder is
// listed only with includeHiddenFolders=true, its name still counts
// among its siblings', and permanentDelete removes it with its items.
func TestHiddenFolders(t *testing.T) {
	_, c := startMail(t, nil)
	root := "/users/a@x.test/mailFolders"
	r := c.do("POST", root, map[string]any{"displayName": "Probe", "isHidden": true})
	mustStatus(t, r, 201)
	id := r.str("id")
	if r.JSON["isHidden"] != true {
		t.Errorf("created folder = %s", r.Body)
	}
	listed := func(path string) bool {
		l := c.do("GET", path, nil)
		mustStatus(t, l, 200)
		return strings.Contains(string(l.Body), id)
	}
	if listed(root) || !listed(root+"?includeHiddenFolders=true") {
		t.Errorf("hidden folder listed without includeHiddenFolders, or not with it")
	}
	checkGraphError(t, c.do("POST", root, map[string]any{"displayName": "probe"}), 409, "ErrorFolderExists")
	checkGraphError(t, c.do("PATCH", root+"/"+id, map[string]any{"isHidden": false}), 400, "ErrorInvalidPropertyUpdate")
	checkGraphError(t, c.do("POST", root, map[string]any{"displayName": "X", "isHidden": "yes"}), 400, "RequestBodyRead")
	mustStatus(t, c.do("POST", root+"/"+id+"/messages", map[string]any{"subject": "inside"}), 201)
	checkGraphError(t, c.do("GET", root+"/"+id+"/permanentDelete", nil), 405, "Request_BadRequest")
	mustStatus(t, c.do("POST", root+"/"+id+"/permanentDelete", nil), 204)
	checkGraphError(t, c.do("GET", root+"/"+id, nil), 404, "ErrorItemNotFound")
}
