package graphemu

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/target/graphemu/odata"
)

// TestUpdateMessage covers PATCH on a message: what it converts, what it
// refuses, and the state it derives from MAPI properties.
func TestUpdateMessage(t *testing.T) {
	_, c := startMail(t, &Options{MaxMessageSize: 1 << 20})
	ext := func(id, v string) map[string]any {
		return map[string]any{"singleValueExtendedProperties": []any{map[string]any{"id": id, "value": v}}}
	}
	tests := []struct {
		name     string
		draft    bool
		patch    map[string]any
		status   int
		code     string         // error code when status is not 200
		want     map[string]any // paths of the response
		wantNone []string       // properties that must be absent
	}{
		{name: "draft subject and importance", draft: true, patch: map[string]any{"subject": "new", "importance": "HIGH"}, status: 200,
			want: map[string]any{"subject": "new", "importance": "high", "isDraft": true}},
		{name: "draft body", draft: true, patch: map[string]any{"body": map[string]any{"contentType": "TEXT", "content": "plain words"}}, status: 200,
			want: map[string]any{"body/contentType": "text", "body/content": "plain words", "bodyPreview": "plain words"}},
		{name: "read-only properties ignored", draft: true, patch: map[string]any{"isDraft": false, "webLink": "x", "@odata.type": "#microsoft.graph.message"}, status: 200,
			want: map[string]any{"isDraft": true}},
		{name: "sent message subject", patch: map[string]any{"subject": "changed"}, status: 400, code: "ErrorInvalidPropertyUpdateSentMessage"},
		{name: "sent message body", patch: map[string]any{"body": map[string]any{"content": "x"}}, status: 400, code: "ErrorInvalidPropertyUpdateSentMessage"},
		{name: "sent message categories", patch: map[string]any{"categories": []string{"Red"}}, status: 200,
			want: map[string]any{"isDraft": false}},
		{name: "isRead not Boolean", patch: map[string]any{"isRead": "yes"}, status: 400, code: "RequestBodyRead"},
		{name: "isRead", patch: map[string]any{"isRead": false}, status: 200, want: map[string]any{"isRead": false}},
		{name: "unknown property", patch: map[string]any{"colour": "red"}, status: 400, code: "RequestBodyRead"},
		{name: "non-custom header", draft: true, patch: map[string]any{"internetMessageHeaders": []any{map[string]any{"name": "Received", "value": "x"}}},
			status: 400, code: "InvalidInternetMessageHeader"},
		{name: "flags change only the read state", patch: ext("Integer 0x0E07", "8"), status: 200,
			want: map[string]any{"isRead": false, "isDraft": false}},
		{name: "explicit isRead wins over flags", patch: map[string]any{"isRead": true,
			"singleValueExtendedProperties": []any{map[string]any{"id": "Integer 0x0E07", "value": "0"}}}, status: 200,
			want: map[string]any{"isRead": true}},
		{name: "delivery time", patch: ext("SystemTime 0x0E06", "2021-01-02T03:04:05Z"), status: 200,
			want: map[string]any{"receivedDateTime": "2021-01-02T03:04:05Z"}},
		{name: "bad extended property value", patch: ext("Integer 0x1234", "many"), status: 400, code: "ErrorInvalidExtendedPropertyValue"},
		{name: "too big", draft: true, patch: map[string]any{"body": map[string]any{"content": strings.Repeat("x", 2<<20)}}, status: 413, code: "ErrorMessageSizeExceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := nonDraft("orig", "k-"+tt.name)
			if tt.draft {
				m = map[string]any{"subject": "orig", "body": map[string]any{"contentType": "html", "content": "<p>hi</p>"}}
			}
			cr := c.do("POST", "/users/a@x.test/mailFolders/inbox/messages", m)
			mustStatus(t, cr, 201)
			id := cr.str("id")
			r := c.do("PATCH", "/users/a@x.test/messages/"+id, tt.patch, "Prefer", `outlook.body-content-type="text"`)
			if tt.status != 200 {
				checkGraphError(t, r, tt.status, tt.code)
				g := c.do("GET", "/users/a@x.test/messages/"+id, nil)
				if g.str("changeKey") != cr.str("changeKey") || g.str("subject") != "orig" {
					t.Errorf("refused PATCH changed the message: %s", g.Body)
				}
				return
			}
			mustStatus(t, r, 200)
			if r.str("changeKey") == cr.str("changeKey") {
				t.Error("PATCH kept the change key")
			}
			for k, want := range tt.want {
				if got := odata.LookupPath(r.JSON, k); got != want {
					t.Errorf("%s = %#v, want %#v (%s)", k, got, want, r.Body)
				}
			}
			for _, k := range tt.wantNone {
				if _, ok := r.JSON[k]; ok {
					t.Errorf("%s present: %s", k, r.Body)
				}
			}
		})
	}
}

// TestPatchReplacesBodyFile: a large body lives in a file; replacing it
// by PATCH (with a large or a small body) deletes the old file.
func TestPatchReplacesBodyFile(t *testing.T) {
	ep, c := startMail(t, nil)
	blobs := func() int {
		entries, err := os.ReadDir(ep.Emulator.store.blobDir)
		if err != nil {
			t.Fatal(err)
		}
		return len(entries)
	}
	before := blobs()
	big := func(ch string) map[string]any {
		return map[string]any{"body": map[string]any{"contentType": "text", "content": strings.Repeat(ch, blobThreshold+1)}}
	}
	for _, kind := range []struct{ coll, create string }{
		{"messages", `{"subject":"s"}`},
		{"events", `{"subject":"s","start":{"dateTime":"2024-01-01T10:00:00","timeZone":"UTC"},"end":{"dateTime":"2024-01-01T11:00:00","timeZone":"UTC"}}`},
	} {
		var body map[string]any
		if err := json.Unmarshal([]byte(kind.create), &body); err != nil {
			t.Fatal(err)
		}
		for k, v := range big("a") {
			body[k] = v
		}
		r := c.do("POST", "/users/a@x.test/"+kind.coll, body)
		mustStatus(t, r, 201)
		id := r.str("id")
		if got := blobs(); got != before+1 {
			t.Fatalf("%s: %d body files after create, want %d", kind.coll, got, before+1)
		}
		mustStatus(t, c.do("PATCH", "/users/a@x.test/"+kind.coll+"/"+id, big("b")), 200)
		if got := blobs(); got != before+1 {
			t.Errorf("%s: %d body files after a large PATCH, want %d", kind.coll, got, before+1)
		}
		g := c.do("GET", "/users/a@x.test/"+kind.coll+"/"+id, nil, "Prefer", `outlook.body-content-type="text"`)
		if s := g.str("body/content"); len(s) != blobThreshold+1 || s[0] != 'b' {
			t.Errorf("%s: body after PATCH = %d bytes starting %q", kind.coll, len(s), s[:min(len(s), 1)])
		}
		mustStatus(t, c.do("PATCH", "/users/a@x.test/"+kind.coll+"/"+id, map[string]any{"body": map[string]any{"contentType": "text", "content": "small"}}), 200)
		if got := blobs(); got != before {
			t.Errorf("%s: %d body files after a small PATCH, want %d", kind.coll, got, before)
		}
	}
}
