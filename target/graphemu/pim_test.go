package graphemu

import (
	"bytes"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestContacts(t *testing.T) {
	_, c := startMail(t, nil)
	base := "/users/a@x.test"
	r := c.do("POST", base+"/contactFolders", map[string]any{"displayName": "Imported"})
	mustStatus(t, r, 201)
	fid := r.str("id")
	checkGraphError(t, c.do("POST", base+"/contactFolders", map[string]any{"displayName": "imported"}), 409, "ErrorFolderExists")

	contact := map[string]any{
		"givenName": "Ada", "surname": "Lovelace",
		"emailAddresses":                []any{map[string]any{"address": "ada@old.test", "name": "Ada"}},
		"businessPhones":                []any{"+44 20 0000 0000"},
		"singleValueExtendedProperties": []any{map[string]any{"id": sourceKeyProp, "value": "carddav:/ada.vcf"}},
	}
	r = c.do("POST", base+"/contactFolders/"+fid+"/contacts", contact)
	mustStatus(t, r, 201)
	cid := r.str("id")
	if r.str("displayName") != "Ada Lovelace" || r.str("parentFolderId") != fid {
		t.Errorf("contact = %s", r.Body)
	}
	f := "singleValueExtendedProperties/any(p: p/id eq '" + sourceKeyProp + "' and p/value eq 'CARDDAV:/ADA.VCF')"
	r = c.do("GET", base+"/contactFolders/"+fid+"/contacts?$filter="+url.QueryEscape(f), nil)
	if v, _ := r.JSON["value"].([]any); len(v) != 1 {
		t.Errorf("contact lookup by source key = %s", r.Body)
	}
	checkGraphError(t, c.do("POST", base+"/contacts", map[string]any{"nick_name": "x"}), 400, "RequestBodyRead")

	photo := []byte("\xff\xd8\xff\xe0 fake jpeg")
	checkGraphError(t, c.do("GET", base+"/contacts/"+cid+"/photo/$value", nil), 404, "ErrorItemNotFound")
	mustStatus(t, c.do("PUT", base+"/contacts/"+cid+"/photo/$value", photo, "Content-Type", "image/jpeg"), 200)
	r = c.do("GET", base+"/contacts/"+cid+"/photo/$value", nil)
	if !bytes.Equal(r.Body, photo) || r.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("photo = %q (%s)", r.Body, r.Header.Get("Content-Type"))
	}
	r = c.do("PATCH", base+"/contacts/"+cid, map[string]any{"jobTitle": "Analyst"})
	mustStatus(t, r, 200)
	if r.str("jobTitle") != "Analyst" || r.str("givenName") != "Ada" {
		t.Errorf("patched contact = %s", r.Body)
	}
	dump := c.inspect("mailboxes/a@x.test")
	for _, fo := range dump["folders"].([]any) {
		fm := fo.(map[string]any)
		if fm["id"] == fid {
			if fm["path"] != "Contacts/Imported" {
				t.Errorf("contact folder path = %v", fm["path"])
			}
			items := fm["items"].([]any)
			if len(items) != 1 || items[0].(map[string]any)["photo"] == nil {
				t.Errorf("contact folder items = %v", items)
			}
		}
	}
}

func TestEvents(t *testing.T) {
	_, c := startMail(t, nil)
	base := "/users/a@x.test"
	r := c.do("GET", base+"/calendar", nil)
	mustStatus(t, r, 200)
	if r.JSON["isDefaultCalendar"] != true {
		t.Errorf("default calendar = %s", r.Body)
	}
	r = c.do("POST", base+"/calendars", map[string]any{"name": "Imported"})
	mustStatus(t, r, 201)
	calID := r.str("id")
	checkGraphError(t, c.do("POST", base+"/calendars", map[string]any{"name": "Imported"}), 409, "ErrorFolderExists")

	ev := map[string]any{
		"subject": "Standup",
		"start":   map[string]any{"dateTime": "2021-03-01T09:00:00", "timeZone": "W. Europe Standard Time"},
		"end":     map[string]any{"dateTime": "2021-03-01T09:15:00", "timeZone": "Europe/Berlin"},
		"recurrence": map[string]any{
			"pattern": map[string]any{"type": "weekly", "interval": 1, "daysOfWeek": []any{"monday"}},
			"range":   map[string]any{"type": "numbered", "startDate": "2021-03-01", "numberOfOccurrences": 10},
		},
		"transactionId": "caldav:/standup.ics",
	}
	r = c.do("POST", base+"/calendars/"+calID+"/events", ev)
	mustStatus(t, r, 201)
	eid := r.str("id")
	if r.str("start/dateTime") != "2021-03-01T08:00:00.0000000" || r.str("start/timeZone") != "UTC" ||
		r.str("originalStartTimeZone") != "W. Europe Standard Time" || r.str("type") != "seriesMaster" {
		t.Errorf("event = %s", r.Body)
	}
	// Retrying with the same transactionId returns the same event.
	r = c.do("POST", base+"/calendars/"+calID+"/events", ev)
	if r.str("id") != eid {
		t.Errorf("retry with transactionId created %q, want %q", r.str("id"), eid)
	}
	other := map[string]any{}
	for k, v := range ev {
		other[k] = v
	}
	other["subject"] = "Another meeting"
	checkGraphError(t, c.do("POST", base+"/calendars/"+calID+"/events", other), 400, "ErrorDuplicateTransactionId")
	r = c.do("GET", base+"/calendars/"+calID+"/events/"+eid, nil, "Prefer", `outlook.timezone="Pacific Standard Time"`)
	if r.str("start/dateTime") != "2021-03-01T00:00:00.0000000" || r.str("start/timeZone") != "Pacific Standard Time" {
		t.Errorf("event in Prefer zone: %v", r.JSON["start"])
	}

	tests := []struct {
		name string
		body map[string]any
		code string
	}{
		{"bad time zone", map[string]any{"start": map[string]any{"dateTime": "2021-01-01T00:00:00", "timeZone": "Mars/Olympus"},
			"end": map[string]any{"dateTime": "2021-01-01T01:00:00", "timeZone": "UTC"}}, "TimeZoneNotSupportedException"},
		{"no start", map[string]any{"subject": "x"}, "ErrorInvalidRequest"},
		{"bad recurrence", map[string]any{"start": map[string]any{"dateTime": "2021-01-01T00:00:00", "timeZone": "UTC"},
			"end":        map[string]any{"dateTime": "2021-01-01T01:00:00", "timeZone": "UTC"},
			"recurrence": map[string]any{"pattern": map[string]any{"type": "fortnightly", "interval": 1}, "range": map[string]any{"type": "noEnd", "startDate": "2021-01-01"}}},
			"ErrorInvalidRequest"},
	}
	// Recurrences Graph cannot express.
	recur := func(pattern, rng map[string]any) map[string]any {
		return map[string]any{"start": map[string]any{"dateTime": "2021-01-01T09:00:00", "timeZone": "UTC"},
			"end": map[string]any{"dateTime": "2021-01-01T10:00:00", "timeZone": "UTC"}, "recurrence": map[string]any{"pattern": pattern, "range": rng}}
	}
	noEnd := map[string]any{"type": "noEnd", "startDate": "2021-01-01"}
	for _, tc := range []struct {
		name    string
		pattern map[string]any
		rng     map[string]any
	}{
		{"relativeMonthly without daysOfWeek", map[string]any{"type": "relativeMonthly", "interval": 1, "index": "first"}, noEnd},
		{"relativeYearly without daysOfWeek", map[string]any{"type": "relativeYearly", "interval": 1, "month": 3}, noEnd},
		{"weekly without daysOfWeek", map[string]any{"type": "weekly", "interval": 1}, noEnd},
		{"absoluteMonthly without dayOfMonth", map[string]any{"type": "absoluteMonthly", "interval": 1}, noEnd},
		{"absoluteYearly without month", map[string]any{"type": "absoluteYearly", "interval": 1, "dayOfMonth": 1}, noEnd},
		{"interval 0", map[string]any{"type": "daily", "interval": 0}, noEnd},
		{"bad index", map[string]any{"type": "relativeMonthly", "interval": 1, "daysOfWeek": []any{"friday"}, "index": "fifth"}, noEnd},
		{"bad day", map[string]any{"type": "weekly", "interval": 1, "daysOfWeek": []any{"fri"}}, noEnd},
		{"endDate before startDate", map[string]any{"type": "daily", "interval": 1}, map[string]any{"type": "endDate", "startDate": "2021-01-01", "endDate": "2020-12-31"}},
		{"endDate without endDate", map[string]any{"type": "daily", "interval": 1}, map[string]any{"type": "endDate", "startDate": "2021-01-01"}},
		{"numbered without numberOfOccurrences", map[string]any{"type": "daily", "interval": 1}, map[string]any{"type": "numbered", "startDate": "2021-01-01"}},
	} {
		tests = append(tests, struct {
			name string
			body map[string]any
			code string
		}{tc.name, recur(tc.pattern, tc.rng), "ErrorInvalidRequest"})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkGraphError(t, c.do("POST", base+"/events", tc.body), 400, tc.code)
		})
	}

	// Attendees: invitations are sent and recorded.
	meeting := map[string]any{
		"subject":   "Review",
		"start":     map[string]any{"dateTime": "2021-03-02T10:00:00", "timeZone": "UTC"},
		"end":       map[string]any{"dateTime": "2021-03-02T11:00:00", "timeZone": "UTC"},
		"attendees": []any{map[string]any{"emailAddress": map[string]any{"address": "bob@x.test"}, "type": "required"}},
	}
	r = c.do("POST", base+"/events", meeting)
	mustStatus(t, r, 201)
	mid := r.str("id")
	// Event attachments.
	att := map[string]any{"@odata.type": "#microsoft.graph.fileAttachment", "name": "agenda.txt", "contentBytes": base64.StdEncoding.EncodeToString([]byte("agenda"))}
	mustStatus(t, c.do("POST", base+"/events/"+mid+"/attachments", att), 201)

	dump := c.inspect("mailboxes/a@x.test")
	sent := map[string]bool{}
	for _, fo := range dump["folders"].([]any) {
		for _, it := range fo.(map[string]any)["items"].([]any) {
			im := it.(map[string]any)
			sent[im["id"].(string)] = im["invitationsSent"].(bool)
			if im["id"] == mid && len(im["attachments"].([]any)) != 1 {
				t.Errorf("event attachments = %v", im["attachments"])
			}
		}
	}
	if sent[eid] || !sent[mid] {
		t.Errorf("invitationsSent: without attendees %v, with attendees %v", sent[eid], sent[mid])
	}
}

func TestContactLimits(t *testing.T) {
	_, c := startMail(t, nil)
	base := "/users/a@x.test"
	emails := func(n int) []any {
		var out []any
		for i := range n {
			out = append(out, map[string]any{"address": string(rune('a'+i)) + "@x.test"})
		}
		return out
	}
	tests := []struct {
		name string
		body map[string]any
		ok   bool
	}{
		{"three e-mail addresses", map[string]any{"emailAddresses": emails(3)}, true},
		{"four e-mail addresses", map[string]any{"emailAddresses": emails(4)}, false},
		{"two business phones", map[string]any{"businessPhones": []any{"1", "2"}}, true},
		{"three business phones", map[string]any{"businessPhones": []any{"1", "2", "3"}}, false},
		{"three home phones", map[string]any{"homePhones": []any{"1", "2", "3"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do("POST", base+"/contacts", tc.body)
			if tc.ok {
				mustStatus(t, r, 201)
				return
			}
			checkGraphError(t, r, 400, "ErrorInvalidProperty")
			r = c.do("POST", base+"/contacts", map[string]any{"givenName": "x"})
			mustStatus(t, r, 201)
			checkGraphError(t, c.do("PATCH", base+"/contacts/"+r.str("id"), tc.body), 400, "ErrorInvalidProperty")
		})
	}
}

func TestAllDayEvents(t *testing.T) {
	_, c := startMail(t, nil)
	dt := func(s, tz string) map[string]any { return map[string]any{"dateTime": s, "timeZone": tz} }
	tests := []struct {
		name       string
		start, end map[string]any
		ok         bool
	}{
		{"midnight to midnight", dt("2024-05-01T00:00:00", "Europe/Berlin"), dt("2024-05-02T00:00:00", "W. Europe Standard Time"), true},
		{"two days", dt("2024-05-01T00:00:00", "UTC"), dt("2024-05-03T00:00:00", "UTC"), true},
		{"not midnight", dt("2024-05-01T09:00:00", "UTC"), dt("2024-05-02T00:00:00", "UTC"), false},
		{"different zones", dt("2024-05-01T00:00:00", "UTC"), dt("2024-05-02T00:00:00", "Asia/Tokyo"), false},
		{"empty", dt("2024-05-01T00:00:00", "UTC"), dt("2024-05-01T00:00:00", "UTC"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do("POST", "/users/a@x.test/events", map[string]any{"subject": "Holiday", "isAllDay": true, "start": tc.start, "end": tc.end})
			if tc.ok {
				mustStatus(t, r, 201)
			} else {
				checkGraphError(t, r, 400, "ErrorInvalidRequest")
			}
		})
	}
}

func TestMeetingMessagesCounted(t *testing.T) {
	ep, c := startMail(t, nil)
	base := "/users/a@x.test"
	event := func(attendees ...string) map[string]any {
		b := map[string]any{"subject": "Sync",
			"start": map[string]any{"dateTime": "2024-05-01T09:00:00", "timeZone": "UTC"},
			"end":   map[string]any{"dateTime": "2024-05-01T10:00:00", "timeZone": "UTC"}}
		var as []any
		for _, a := range attendees {
			as = append(as, map[string]any{"emailAddress": map[string]any{"address": a}, "type": "required"})
		}
		if as != nil {
			b["attendees"] = as
		}
		return b
	}
	var quiet, meeting string
	// Each step runs in turn; want is the count after it.
	steps := []struct {
		name string
		do   func(t *testing.T)
		want int
	}{
		{"create without attendees", func(t *testing.T) {
			r := c.do("POST", base+"/events", event())
			mustStatus(t, r, 201)
			quiet = r.str("id")
		}, 0},
		{"update without attendees", func(t *testing.T) {
			mustStatus(t, c.do("PATCH", base+"/events/"+quiet, map[string]any{"subject": "Moved"}), 200)
		}, 0},
		{"delete without attendees", func(t *testing.T) { mustStatus(t, c.do("DELETE", base+"/events/"+quiet, nil), 204) }, 0},
		{"invitations", func(t *testing.T) {
			r := c.do("POST", base+"/events", event("b@x.test", "c@x.test"))
			mustStatus(t, r, 201)
			meeting = r.str("id")
		}, 2},
		{"updates", func(t *testing.T) {
			mustStatus(t, c.do("PATCH", base+"/events/"+meeting, map[string]any{"subject": "Moved"}), 200)
		}, 4},
		{"cancellations", func(t *testing.T) { mustStatus(t, c.do("DELETE", base+"/events/"+meeting, nil), 204) }, 6},
		{"reset", func(t *testing.T) {
			if err := ep.Emulator.Reset(); err != nil {
				t.Fatal(err)
			}
		}, 0},
	}
	for _, st := range steps {
		st.do(t)
		n, _ := c.inspect("mailboxes/a@x.test")["meetingMessagesSent"].(float64)
		if int(n) != st.want {
			t.Errorf("after %s: meetingMessagesSent = %v, want %d", st.name, n, st.want)
		}
	}
}

func TestInstances(t *testing.T) {
	_, c := startMail(t, nil)
	base := "/users/a@x.test"
	series := func(attendees bool) string {
		ev := map[string]any{"subject": "Weekly",
			"start": map[string]any{"dateTime": "2024-03-04T09:00:00", "timeZone": "Europe/Berlin"},
			"end":   map[string]any{"dateTime": "2024-03-04T10:00:00", "timeZone": "Europe/Berlin"},
			"recurrence": map[string]any{
				"pattern": map[string]any{"type": "weekly", "interval": 1, "daysOfWeek": []any{"monday"}},
				"range":   map[string]any{"type": "numbered", "startDate": "2024-03-04", "numberOfOccurrences": 4, "recurrenceTimeZone": "Europe/Berlin"}}}
		if attendees {
			ev["attendees"] = []any{map[string]any{"emailAddress": map[string]any{"address": "b@x.test"}, "type": "required"}}
		}
		r := c.do("POST", base+"/events", ev)
		mustStatus(t, r, 201)
		return r.str("id")
	}
	window := "?startDateTime=2024-03-01T00:00:00Z&endDateTime=2024-05-01T00:00:00Z"
	list := func(id string) []map[string]any {
		r := c.do("GET", base+"/events/"+id+"/instances"+window, nil)
		mustStatus(t, r, 200)
		var out []map[string]any
		for _, v := range r.JSON["value"].([]any) {
			out = append(out, v.(map[string]any))
		}
		return out
	}
	id := series(false)
	checkGraphError(t, c.do("GET", base+"/events/"+id+"/instances", nil), 400, "ErrorInvalidParameter")
	occ := list(id)
	var starts []string
	for _, o := range occ {
		starts = append(starts, o["originalStart"].(string))
	}
	// 9:00 in Berlin: UTC+1 in March, UTC+2 from 31 March.
	want := []string{"2024-03-04T08:00:00Z", "2024-03-11T08:00:00Z", "2024-03-18T08:00:00Z", "2024-03-25T08:00:00Z"}
	if strings.Join(starts, " ") != strings.Join(want, " ") || occ[0]["type"] != "occurrence" || occ[0]["seriesMasterId"] != id {
		t.Fatalf("instances = %v (%v)", starts, occ[0])
	}
	mustStatus(t, c.do("DELETE", base+"/events/"+occ[1]["id"].(string), nil), 204)
	checkGraphError(t, c.do("GET", base+"/events/"+occ[1]["id"].(string), nil), 404, "ErrorItemNotFound")
	r := c.do("PATCH", base+"/events/"+occ[2]["id"].(string), map[string]any{"subject": "Moved",
		"start": map[string]any{"dateTime": "2024-03-19T09:00:00", "timeZone": "Europe/Berlin"},
		"end":   map[string]any{"dateTime": "2024-03-19T10:00:00", "timeZone": "Europe/Berlin"}})
	mustStatus(t, r, 200)
	occ = list(id)
	if len(occ) != 3 || occ[1]["type"] != "exception" || occ[1]["subject"] != "Moved" || occ[1]["start"].(map[string]any)["dateTime"] != "2024-03-19T08:00:00.0000000" {
		t.Errorf("after delete and patch: %v", occ)
	}
	if n := c.inspect("mailboxes/a@x.test")["meetingMessagesSent"]; n != float64(0) {
		t.Errorf("meetingMessagesSent without attendees = %v", n)
	}
	// A meeting's occurrence changed or deleted mails its attendees.
	mid := series(true)
	occ = list(mid)
	mustStatus(t, c.do("PATCH", base+"/events/"+occ[0]["id"].(string), map[string]any{"subject": "Moved"}), 200)
	mustStatus(t, c.do("DELETE", base+"/events/"+occ[1]["id"].(string), nil), 204)
	if n := c.inspect("mailboxes/a@x.test")["meetingMessagesSent"]; n != float64(3) {
		t.Errorf("meetingMessagesSent = %v, want 3 (invitation, update, cancellation)", n)
	}
}

// TestInstancesWindow checks that /instances selects the occurrences and
// exceptions that overlap the window by their own start and end: a
// moved occurrence is listed where it is now, not at its original start.
func TestInstancesWindow(t *testing.T) {
	_, c := startMail(t, nil)
	base := "/users/a@x.test"
	// Weekly on Monday 9:00-10:00 UTC, four times from 4 March 2024.
	r := c.do("POST", base+"/events", map[string]any{"subject": "Weekly",
		"start": map[string]any{"dateTime": "2024-03-04T09:00:00", "timeZone": "UTC"},
		"end":   map[string]any{"dateTime": "2024-03-04T10:00:00", "timeZone": "UTC"},
		"recurrence": map[string]any{
			"pattern": map[string]any{"type": "weekly", "interval": 1, "daysOfWeek": []any{"monday"}},
			"range":   map[string]any{"type": "numbered", "startDate": "2024-03-04", "numberOfOccurrences": 4, "recurrenceTimeZone": "UTC"}}})
	mustStatus(t, r, 201)
	id := r.str("id")
	list := func(from, to string) []string {
		t.Helper()
		r := c.do("GET", base+"/events/"+id+"/instances?startDateTime="+from+"&endDateTime="+to, nil)
		mustStatus(t, r, 200)
		var out []string
		for _, v := range r.JSON["value"].([]any) {
			out = append(out, v.(map[string]any)["originalStart"].(string))
		}
		return out
	}
	occ := c.do("GET", base+"/events/"+id+"/instances?startDateTime=2024-03-01T00:00:00Z&endDateTime=2024-04-01T00:00:00Z", nil)
	mustStatus(t, occ, 200)
	third := occ.JSON["value"].([]any)[2].(map[string]any)["id"].(string)
	// The third occurrence (18 March) moves to Wednesday 20 March, 14:00-15:00.
	mustStatus(t, c.do("PATCH", base+"/events/"+third, map[string]any{
		"start": map[string]any{"dateTime": "2024-03-20T14:00:00", "timeZone": "UTC"},
		"end":   map[string]any{"dateTime": "2024-03-20T15:00:00", "timeZone": "UTC"}}), 200)
	tests := []struct {
		name, from, to string
		want           []string
	}{
		{"the whole series", "2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z",
			[]string{"2024-03-04T09:00:00Z", "2024-03-11T09:00:00Z", "2024-03-18T09:00:00Z", "2024-03-25T09:00:00Z"}},
		{"only the moved one's original start", "2024-03-18T08:00:00Z", "2024-03-18T11:00:00Z", nil},
		{"only its new start", "2024-03-20T13:00:00Z", "2024-03-20T16:00:00Z", []string{"2024-03-18T09:00:00Z"}},
		{"overlapping its end", "2024-03-20T14:30:00Z", "2024-03-21T00:00:00Z", []string{"2024-03-18T09:00:00Z"}},
		{"ending at its start", "2024-03-20T00:00:00Z", "2024-03-20T14:00:00Z", nil},
		{"starting at its end", "2024-03-20T15:00:00Z", "2024-03-21T00:00:00Z", nil},
		{"an occurrence in place, by overlap", "2024-03-11T09:30:00Z", "2024-03-11T09:45:00Z", []string{"2024-03-11T09:00:00Z"}},
	}
	for _, tt := range tests {
		if got := list(tt.from, tt.to); !slices.Equal(got, tt.want) {
			t.Errorf("%s: instances [%s, %s) = %v, want %v", tt.name, tt.from, tt.to, got, tt.want)
		}
	}
}
