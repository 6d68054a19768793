package graphemu

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/target/graphemu/odata"
)

const sourceKeyProp = "String {00020329-0000-0000-C000-000000000046} Name SourceKey"

func startMail(t *testing.T, opts *Options) (*Endpoint, *client) {
	t.Helper()
	if opts == nil {
		opts = &Options{}
	}
	if len(opts.Users) == 0 {
		opts.Users = []string{"a@x.test", "b@x.test"}
	}
	ep := StartForTest(t, opts)
	return ep, newClient(t, ep, "test-client", "test-secret")
}

func nonDraft(subject, key string) map[string]any {
	return map[string]any{
		"subject": subject,
		"body":    map[string]any{"contentType": "HTML", "content": "<p>Hello <b>there</b></p>"},
		"from":    map[string]any{"emailAddress": map[string]any{"name": "Sender", "address": "sender@old.test"}},
		"toRecipients": []any{
			map[string]any{"emailAddress": map[string]any{"address": "a@x.test"}},
		},
		"singleValueExtendedProperties": []any{
			map[string]any{"id": "Integer 0x0E07", "value": "1"},
			map[string]any{"id": "SystemTime 0x0E06", "value": "2019-03-04T05:06:07Z"},
			map[string]any{"id": "SystemTime 0x0039", "value": "2019-03-04T05:00:00Z"},
			map[string]any{"id": sourceKeyProp, "value": key},
		},
	}
}

func TestMailFolders(t *testing.T) {
	_, c := startMail(t, nil)
	base := "/users/a@x.test/mailFolders"

	r := c.do("GET", base+"/inbox", nil)
	mustStatus(t, r, 200)
	if r.str("displayName") != "Inbox" {
		t.Errorf("inbox displayName = %q", r.str("displayName"))
	}
	inboxID := r.str("id")

	r = c.do("POST", base, map[string]any{"displayName": "Projects"})
	mustStatus(t, r, 201)
	projects := r.str("id")
	if r.str("parentFolderId") == "" || r.JSON["childFolderCount"] != float64(0) {
		t.Errorf("created folder = %s", r.Body)
	}

	tests := []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"duplicate top-level name", "POST", base, map[string]any{"displayName": "projects"}, 409, "ErrorFolderExists"},
		{"duplicate well-known name", "POST", base, map[string]any{"displayName": "Inbox"}, 409, "ErrorFolderExists"},
		{"child", "POST", base + "/" + projects + "/childFolders", map[string]any{"displayName": "2019"}, 201, ""},
		{"duplicate child", "POST", base + "/" + projects + "/childFolders", map[string]any{"displayName": "2019"}, 409, "ErrorFolderExists"},
		{"same name other parent", "POST", base + "/inbox/childFolders", map[string]any{"displayName": "2019"}, 201, ""},
		{"unknown property", "POST", base, map[string]any{"displayName": "X", "colour": "red"}, 400, "RequestBodyRead"},
		{"empty name", "POST", base, map[string]any{"displayName": ""}, 400, "ErrorInvalidRequest"},
		{"unknown folder id", "GET", base + "/AAMkADAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", nil, 404, "ErrorItemNotFound"},
		{"malformed folder id", "GET", base + "/not-an-id", nil, 400, "ErrorInvalidIdMalformed"},
		{"unknown user", "GET", "/users/nobody@x.test/mailFolders", nil, 404, "ErrorInvalidUser"},
		{"unknown segment", "GET", "/users/a@x.test/mailboxes", nil, 400, "BadRequest"},
		{"me with app token", "GET", "/me/mailFolders", nil, 400, "BadRequest"},
		{"delete well-known", "DELETE", base + "/inbox", nil, 400, "ErrorDeleteDistinguishedFolder"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do(tc.method, tc.path, tc.body)
			if tc.code != "" {
				checkGraphError(t, r, tc.status, tc.code)
				return
			}
			mustStatus(t, r, tc.status)
		})
	}

	r = c.do("GET", base+"/"+projects+"/childFolders", nil)
	mustStatus(t, r, 200)
	if v, _ := r.JSON["value"].([]any); len(v) != 1 {
		t.Errorf("childFolders = %s", r.Body)
	}
	r = c.do("GET", base+"?$filter="+url.QueryEscape("displayName eq 'projects'"), nil)
	mustStatus(t, r, 200)
	if v, _ := r.JSON["value"].([]any); len(v) != 1 {
		t.Errorf("filter by displayName = %s", r.Body)
	}
	r = c.do("GET", base+"/"+inboxID, nil)
	if r.JSON["childFolderCount"] != float64(1) {
		t.Errorf("inbox childFolderCount = %v", r.JSON["childFolderCount"])
	}
	// The same name in another mailbox is fine.
	mustStatus(t, c.do("POST", "/users/b@x.test/mailFolders", map[string]any{"displayName": "Projects"}), 201)
	// Rename onto an existing name conflicts.
	r = c.do("PATCH", base+"/"+projects, map[string]any{"displayName": "Archive"})
	checkGraphError(t, r, 409, "ErrorFolderExists")
	mustStatus(t, c.do("DELETE", base+"/"+projects, nil), 204)
	checkGraphError(t, c.do("GET", base+"/"+projects, nil), 404, "ErrorItemNotFound")
}

func TestCreateNonDraftMessage(t *testing.T) {
	_, c := startMail(t, nil)
	r := c.do("POST", "/users/a@x.test/mailFolders/inbox/messages", nonDraft("Quarterly report", "imap:INBOX:1:42"))
	mustStatus(t, r, 201)
	id := r.str("id")
	for k, want := range map[string]any{
		"isDraft":          false,
		"isRead":           true,
		"receivedDateTime": "2019-03-04T05:06:07Z",
		"sentDateTime":     "2019-03-04T05:00:00Z",
		"subject":          "Quarterly report",
		"bodyPreview":      "Hello there",
		"body/contentType": "html",
		"hasAttachments":   false,
	} {
		if got := odata.LookupPath(r.JSON, k); got != want {
			t.Errorf("%s = %#v, want %#v", k, got, want)
		}
	}
	if _, ok := r.JSON["singleValueExtendedProperties"]; ok {
		t.Errorf("extended properties returned without $expand: %s", r.Body)
	}
	if r.str("@odata.etag") == "" || r.str("parentFolderId") == "" {
		t.Errorf("missing etag or parentFolderId: %s", r.Body)
	}

	// A draft: no PidTagMessageFlags.
	r = c.do("POST", "/users/a@x.test/mailFolders/inbox/messages", map[string]any{"subject": "draft"})
	mustStatus(t, r, 201)
	if r.JSON["isDraft"] != true {
		t.Errorf("message without flags isDraft = %v", r.JSON["isDraft"])
	}
	// Unread non-draft.
	m := nonDraft("unread", "k2")
	m["singleValueExtendedProperties"].([]any)[0] = map[string]any{"id": "Integer 0x0E07", "value": "0"}
	r = c.do("POST", "/users/a@x.test/mailFolders/inbox/messages", m)
	mustStatus(t, r, 201)
	if r.JSON["isRead"] != false || r.JSON["isDraft"] != false {
		t.Errorf("flags 0: isRead=%v isDraft=%v", r.JSON["isRead"], r.JSON["isDraft"])
	}

	// Find by source key: name case-sensitive, value case-insensitive.
	find := func(id, value string) int {
		f := fmt.Sprintf("singleValueExtendedProperties/Any(ep: ep/id eq '%s' and ep/value eq '%s')", id, value)
		r := c.do("GET", "/users/a@x.test/mailFolders/inbox/messages?$filter="+url.QueryEscape(f), nil)
		mustStatus(t, r, 200)
		v, _ := r.JSON["value"].([]any)
		return len(v)
	}
	if n := find(sourceKeyProp, "imap:INBOX:1:42"); n != 1 {
		t.Errorf("filter by source key found %d, want 1", n)
	}
	if n := find(sourceKeyProp, "IMAP:inbox:1:42"); n != 1 {
		t.Errorf("value match should ignore case; found %d", n)
	}
	if n := find(strings.Replace(sourceKeyProp, "SourceKey", "sourcekey", 1), "imap:INBOX:1:42"); n != 0 {
		t.Errorf("name match should be case-sensitive; found %d", n)
	}
	if n := find(strings.ToLower(strings.Replace(sourceKeyProp, "Name SourceKey", "", 1))+"Name SourceKey", "imap:INBOX:1:42"); n != 1 {
		t.Errorf("type and GUID match should ignore case; found %d", n)
	}

	// $expand returns only the filtered property.
	q := "?$select=subject&$expand=" + url.QueryEscape("singleValueExtendedProperties($filter=id eq '"+sourceKeyProp+"')")
	r = c.do("GET", "/users/a@x.test/messages/"+id+q, nil)
	mustStatus(t, r, 200)
	props, _ := r.JSON["singleValueExtendedProperties"].([]any)
	if len(props) != 1 || odata.LookupPath(props[0].(map[string]any), "value") != "imap:INBOX:1:42" {
		t.Errorf("expanded properties = %s", r.Body)
	}
	if _, ok := r.JSON["body"]; ok {
		t.Errorf("$select=subject returned body: %s", r.Body)
	}

	// Flags are read-only after the first save: only isRead changes.
	r = c.do("PATCH", "/users/a@x.test/messages/"+id, map[string]any{"isRead": false,
		"singleValueExtendedProperties": []any{map[string]any{"id": "Integer 0x0E07", "value": "9"}}})
	mustStatus(t, r, 200)
	if r.JSON["isRead"] != false || r.JSON["isDraft"] != false {
		t.Errorf("after PATCH isRead=%v isDraft=%v", r.JSON["isRead"], r.JSON["isDraft"])
	}
	checkGraphError(t, c.do("PATCH", "/users/a@x.test/messages/"+id, map[string]any{"subject": "changed"}), 400, "ErrorInvalidPropertyUpdateSentMessage")

	// Inspection shows the item with its properties.
	dump := c.inspect("mailboxes/a@x.test")
	found := false
	for _, f := range dump["folders"].([]any) {
		fm := f.(map[string]any)
		for _, it := range fm["items"].([]any) {
			im := it.(map[string]any)
			if im["id"] == id {
				found = true
				if fm["path"] != "Inbox" || im["isDraft"] != false || im["receivedDateTime"] != "2019-03-04T05:06:07Z" {
					t.Errorf("dump item = %v in %v", im, fm["path"])
				}
			}
		}
	}
	if !found {
		t.Errorf("message %s not in the inspection dump", id)
	}
}

func TestMessageErrors(t *testing.T) {
	_, c := startMail(t, nil)
	big := strings.Repeat("x", 5<<20)
	tests := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"request over 4 MB", map[string]any{"subject": "big", "body": map[string]any{"content": big}}, 413, "RequestEntityTooLarge"},
		{"non-x header", map[string]any{"internetMessageHeaders": []any{map[string]any{"name": "From", "value": "x"}}}, 400, "InvalidInternetMessageHeader"},
		{"unknown property", map[string]any{"subjekt": "x"}, 400, "RequestBodyRead"},
		{"bad extended property id", map[string]any{"singleValueExtendedProperties": []any{map[string]any{"id": "Text 0x1", "value": "x"}}}, 400, "ErrorInvalidProperty"},
		{"bad flags value", map[string]any{"singleValueExtendedProperties": []any{map[string]any{"id": "Integer 0x0E07", "value": "yes"}}}, 400, "ErrorInvalidExtendedPropertyValue"},
		{"not JSON", "{", 400, "BadRequest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r *response
			if s, ok := tc.body.(string); ok {
				r = c.do("POST", "/users/a@x.test/mailFolders/inbox/messages", []byte(s), "Content-Type", "application/json")
			} else {
				r = c.do("POST", "/users/a@x.test/mailFolders/inbox/messages", tc.body)
			}
			checkGraphError(t, r, tc.status, tc.code)
		})
	}
}

func TestAuthErrors(t *testing.T) {
	ep, c := startMail(t, &Options{Apps: []App{{ClientID: "reader", ClientSecret: "s2", Permissions: []string{PermMailRead}}}})
	anon := newClient(t, ep, "", "")
	checkGraphError(t, anon.do("GET", "/users/a@x.test/mailFolders", nil), 401, "InvalidAuthenticationToken")
	r := anon.do("GET", "/users/a@x.test/mailFolders", nil, "Authorization", "Bearer garbage")
	checkGraphError(t, r, 401, "InvalidAuthenticationToken")
	if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("WWW-Authenticate = %q", r.Header.Get("WWW-Authenticate"))
	}
	forged := c.token[:len(c.token)-4] + "AAAA"
	checkGraphError(t, anon.do("GET", "/users/a@x.test/mailFolders", nil, "Authorization", "Bearer "+forged), 401, "InvalidAuthenticationToken")

	reader := newClient(t, ep, "reader", "s2")
	mustStatus(t, reader.do("GET", "/users/a@x.test/mailFolders", nil), http.StatusOK)
	checkGraphError(t, reader.do("POST", "/users/a@x.test/mailFolders", map[string]any{"displayName": "x"}), 403, "ErrorAccessDenied")
	checkGraphError(t, reader.do("GET", "/users/a@x.test/contacts", nil), 403, "ErrorAccessDenied")
	checkGraphError(t, reader.do("GET", "/users/a@x.test", nil), 403, "Authorization_RequestDenied")
}

func TestUsers(t *testing.T) {
	_, c := startMail(t, nil)
	r := c.do("GET", "/users/A@X.test", nil)
	mustStatus(t, r, 200)
	id := r.str("id")
	if r.str("userPrincipalName") != "a@x.test" || id == "" {
		t.Fatalf("user = %s", r.Body)
	}
	r = c.do("GET", "/users/"+id+"/mailFolders/inbox", nil)
	mustStatus(t, r, 200)
	checkGraphError(t, c.do("GET", "/users/zz@x.test", nil), 404, "Request_ResourceNotFound")
	r = c.do("GET", "/users", nil)
	if v, _ := r.JSON["value"].([]any); len(v) != 2 {
		t.Errorf("users = %s", r.Body)
	}
}

func TestPaging(t *testing.T) {
	_, c := startMail(t, nil)
	for i := 0; i < 25; i++ {
		m := nonDraft(fmt.Sprintf("m%02d", i), fmt.Sprintf("k%d", i))
		m["singleValueExtendedProperties"].([]any)[1] = map[string]any{"id": "SystemTime 0x0E06", "value": fmt.Sprintf("2020-01-01T00:00:%02dZ", i)}
		mustStatus(t, c.do("POST", "/users/a@x.test/mailFolders/inbox/messages", m), 201)
	}
	seen := map[string]bool{}
	next := "/users/a@x.test/mailFolders/inbox/messages?$select=subject&$count=true"
	pages := 0
	for next != "" {
		r := c.do("GET", next, nil)
		mustStatus(t, r, 200)
		if pages == 0 && r.JSON["@odata.count"] != float64(25) {
			t.Errorf("@odata.count = %v", r.JSON["@odata.count"])
		}
		for _, v := range r.JSON["value"].([]any) {
			seen[v.(map[string]any)["subject"].(string)] = true
		}
		next = r.str("@odata.nextLink")
		pages++
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	if pages != 3 || len(seen) != 25 {
		t.Errorf("pages = %d, distinct = %d; want 3 pages (10 per page) and 25", pages, len(seen))
	}
	r := c.do("GET", "/users/a@x.test/mailFolders/inbox/messages?$top=1", nil)
	if v := r.JSON["value"].([]any); len(v) != 1 || v[0].(map[string]any)["subject"] != "m24" {
		t.Errorf("newest first: %s", r.Body)
	}
	r = c.do("GET", "/users/a@x.test/mailFolders/inbox/messages/$count", nil)
	if string(r.Body) != "25" {
		t.Errorf("$count = %q", r.Body)
	}
}

func TestBodyContentType(t *testing.T) {
	_, c := startMail(t, nil)
	m := nonDraft("plain", "k")
	m["body"] = map[string]any{"contentType": "text", "content": "line 1\nline <2>"}
	r := c.do("POST", "/users/a@x.test/mailFolders/inbox/messages", m)
	mustStatus(t, r, 201)
	id := r.str("id")
	r = c.do("GET", "/users/a@x.test/messages/"+id, nil)
	if r.str("body/contentType") != "html" || !strings.Contains(r.str("body/content"), "line &lt;2&gt;") {
		t.Errorf("default body = %v", r.JSON["body"])
	}
	r = c.do("GET", "/users/a@x.test/messages/"+id, nil, "Prefer", `outlook.body-content-type="text"`)
	if r.str("body/contentType") != "text" || r.str("body/content") != "line 1\nline <2>" {
		t.Errorf("text body = %v", r.JSON["body"])
	}
}

func TestFolderExtendedPropertiesAndCase(t *testing.T) {
	_, c := startMail(t, nil)
	r := c.do("POST", "/users/a@x.test/mailFolders/inbox/childFolders", map[string]any{"DisplayName": "Stamped",
		"singleValueExtendedProperties": []any{map[string]any{"id": sourceKeyProp, "value": "imap:Work"}}})
	mustStatus(t, r, 201)
	if r.str("displayName") != "Stamped" {
		t.Errorf("DisplayName (other case) not taken: %s", r.Body)
	}
	f := "singleValueExtendedProperties/any(ep: ep/id eq '" + sourceKeyProp + "' and ep/value eq 'IMAP:WORK')"
	ex := "singleValueExtendedProperties($filter=id eq '" + sourceKeyProp + "')"
	r = c.do("GET", "/users/a@x.test/mailFolders/inbox/childFolders?$filter="+url.QueryEscape(f)+"&$expand="+url.QueryEscape(ex), nil)
	mustStatus(t, r, 200)
	v, _ := r.JSON["value"].([]any)
	if len(v) != 1 || odata.LookupPath(v[0].(map[string]any), "displayName") != "Stamped" {
		t.Fatalf("folder lookup by source key = %s", r.Body)
	}
	props, _ := v[0].(map[string]any)["singleValueExtendedProperties"].([]any)
	if len(props) != 1 {
		t.Errorf("expanded folder properties = %v", props)
	}
}

func TestMaxMessageSizePerMailbox(t *testing.T) {
	_, c := startMail(t, &Options{MaxMessageSize: 1 << 20, Mailboxes: map[string]MailboxOptions{"b@x.test": {MaxMessageSize: 3 << 20}}})
	m := nonDraft("big", "k")
	m["body"] = map[string]any{"contentType": "text", "content": strings.Repeat("x", 2<<20)}
	checkGraphError(t, c.do("POST", "/users/a@x.test/mailFolders/inbox/messages", m), 413, "ErrorMessageSizeExceeded")
	mustStatus(t, c.do("POST", "/users/b@x.test/mailFolders/inbox/messages", m), 201)
}
