package graphemu

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestResponseShapes checks the documented shape of successful responses
// per endpoint: JSON with OData minimal metadata, an @odata.context, a
// value array for collections and an id for entities, and a request-id.
func TestResponseShapes(t *testing.T) {
	_, c := startMail(t, nil)
	u := "/users/a@x.test"
	msg := c.do("POST", u+"/mailFolders/inbox/messages", nonDraft("s", "k"))
	mustStatus(t, msg, 201)
	draft := c.do("POST", u+"/messages", map[string]any{"subject": "d"})
	att := c.do("POST", u+"/messages/"+draft.str("id")+"/attachments", map[string]any{"@odata.type": "#microsoft.graph.fileAttachment",
		"name": "a.txt", "contentBytes": base64.StdEncoding.EncodeToString([]byte("hi"))})
	mustStatus(t, att, 201)
	ct := c.do("POST", u+"/contacts", map[string]any{"givenName": "A"})
	ev := c.do("POST", u+"/events", map[string]any{"subject": "e",
		"start": map[string]any{"dateTime": "2021-01-01T10:00:00", "timeZone": "UTC"},
		"end":   map[string]any{"dateTime": "2021-01-01T11:00:00", "timeZone": "UTC"}})
	mustStatus(t, ev, 201)

	tests := []struct {
		path       string
		collection bool
		etag       bool
	}{
		{u, false, false},
		{"/users", true, false},
		{u + "/mailFolders", true, false},
		{u + "/mailFolders/inbox", false, false},
		{u + "/mailFolders/inbox/childFolders", true, false},
		{u + "/mailFolders/inbox/messages", true, false},
		{u + "/messages", true, false},
		{u + "/messages/" + msg.str("id"), false, true},
		{u + "/mailFolders/inbox/messages/" + msg.str("id"), false, true},
		{u + "/messages/" + draft.str("id") + "/attachments", true, false},
		{u + "/messages/" + draft.str("id") + "/attachments/" + att.str("id"), false, false},
		{u + "/contactFolders", true, false},
		{u + "/contacts", true, false},
		{u + "/contacts/" + ct.str("id"), false, true},
		{u + "/calendars", true, false},
		{u + "/calendar", false, true},
		{u + "/calendar/events", true, false},
		{u + "/events/" + ev.str("id"), false, true},
	}
	for _, tc := range tests {
		t.Run(strings.TrimPrefix(tc.path, u), func(t *testing.T) {
			r := c.do("GET", tc.path, nil)
			mustStatus(t, r, 200)
			if got := r.Header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") || !strings.Contains(got, "odata.metadata=minimal") {
				t.Errorf("Content-Type = %q", got)
			}
			if r.Header.Get("request-id") == "" || r.Header.Get("OData-Version") != "4.0" {
				t.Errorf("headers request-id=%q OData-Version=%q", r.Header.Get("request-id"), r.Header.Get("OData-Version"))
			}
			if !strings.Contains(r.str("@odata.context"), "/v1.0/$metadata#") {
				t.Errorf("@odata.context = %q", r.str("@odata.context"))
			}
			if tc.collection {
				if _, ok := r.JSON["value"].([]any); !ok {
					t.Errorf("collection without value array: %s", r.Body)
				}
				return
			}
			if r.str("id") == "" {
				t.Errorf("entity without id: %s", r.Body)
			}
			if tc.etag && !strings.HasPrefix(r.str("@odata.etag"), `W/"`) {
				t.Errorf("@odata.etag = %q", r.str("@odata.etag"))
			}
		})
	}
}
