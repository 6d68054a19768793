package odata

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    *Query // nil: compare only the error
		wantErr string // substring of the Problem's message; "" = no error
	}{
		{name: "none", raw: "", want: &Query{}},
		{name: "select top skip count", raw: "$select=subject, id&$top=5&$skip=10&$count=true",
			want: &Query{Select: []string{"subject", "id"}, Top: 5, HasTop: true, Skip: 10, Count: true}},
		{name: "without dollar, any case", raw: "TOP=0&Count=false", want: &Query{Top: 0, HasTop: true}},
		{name: "orderby", raw: "$orderby=receivedDateTime desc,subject asc,id",
			want: &Query{OrderBy: []OrderBy{{"receivedDateTime", true}, {"subject", false}, {"id", false}}}},
		{name: "expand with filter", raw: "$expand=singleValueExtendedProperties($filter=id eq 'String 0x1'),attachments",
			want: nil},
		{name: "bad top", raw: "$top=-1", wantErr: "Invalid $top value '-1'."},
		{name: "bad skip", raw: "$skip=x", wantErr: "Invalid $skip value 'x'."},
		{name: "bad count", raw: "$count=yes", wantErr: "Invalid $count value 'yes'."},
		{name: "bad orderby direction", raw: "$orderby=subject up", wantErr: "Invalid $orderby clause"},
		{name: "bad filter", raw: "$filter=subject eq 'x", wantErr: "Invalid filter clause: unterminated string literal"},
		{name: "unknown function", raw: "$filter=length(subject) eq 1", wantErr: `unknown function "length"`},
		{name: "option not allowed in expand", raw: "$expand=attachments($orderby=name)", wantErr: "Query option '$orderby' is not allowed in $expand."},
		{name: "search refused", raw: "$search=hello", wantErr: "$search is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := url.ParseQuery(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			q, p := ParseQuery(v)
			if tt.wantErr != "" {
				if p == nil || p.Status != http.StatusBadRequest || p.Code != "BadRequest" || !strings.Contains(p.Message, tt.wantErr) {
					t.Fatalf("ParseQuery(%q) = %v, want 400 BadRequest containing %q", tt.raw, p, tt.wantErr)
				}
				return
			}
			if p != nil {
				t.Fatalf("ParseQuery(%q) = %v", tt.raw, p)
			}
			if tt.want != nil && !reflect.DeepEqual(q, tt.want) {
				t.Errorf("ParseQuery(%q) = %+v, want %+v", tt.raw, q, tt.want)
			}
		})
	}
}

func TestExpandKeeps(t *testing.T) {
	v, _ := url.ParseQuery("$expand=singleValueExtendedProperties($filter=id eq 'string {00020329-0000-0000-C000-000000000046} Name Src'),attachments")
	q, p := ParseQuery(v)
	if p != nil {
		t.Fatal(p)
	}
	if len(q.Expand) != 2 || q.Expand[0].Prop != "singleValueExtendedProperties" || q.Expand[1].Prop != "attachments" || q.Expand[1].Filter != nil {
		t.Fatalf("Expand = %+v", q.Expand)
	}
	tests := []struct {
		id   string
		want bool
	}{
		{"String {00020329-0000-0000-c000-000000000046} Name Src", true},
		{"STRING {00020329-0000-0000-C000-000000000046} Name Src", true},
		{"String {00020329-0000-0000-c000-000000000046} Name src", false}, // names are case-sensitive
		{"String 0x1", false},
	}
	for _, tt := range tests {
		if got := q.Expand[0].Keeps(map[string]any{"id": tt.id, "value": "x"}, true); got != tt.want {
			t.Errorf("Keeps(id %q) = %v, want %v", tt.id, got, tt.want)
		}
	}
	if !q.Expand[1].Keeps(map[string]any{"id": "a"}, false) {
		t.Error("an item without a filter is not kept")
	}
}

func TestMatches(t *testing.T) {
	var view map[string]any
	if err := json.Unmarshal([]byte(`{
		"subject": "Quarterly Report", "isRead": false, "importance": "high", "size": 42,
		"receivedDateTime": "2024-05-06T07:08:09Z",
		"from": {"emailAddress": {"address": "Alice@Example.test"}},
		"categories": ["Red", "Blue"],
		"toRecipients": [{"emailAddress": {"address": "a@x.test"}}, {"emailAddress": {"address": "b@x.test"}}],
		"singleValueExtendedProperties": [{"id": "String {00020329-0000-0000-c000-000000000046} Name Src", "value": "imap:INBOX:7"}],
		"missing": null
	}`), &view); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		filter string
		want   bool
	}{
		{"subject eq 'quarterly report'", true}, // strings compare case-insensitively
		{"subject ne 'Quarterly Report'", false},
		{"isRead eq false", true},
		{"isRead eq true or importance eq 'high'", true},
		{"isRead eq true and importance eq 'high'", false},
		{"not (isRead eq true)", true},
		{"size gt 41 and size le 42", true},
		{"size lt 42", false},
		{"receivedDateTime ge 2024-05-06T00:00:00Z", true},
		{"receivedDateTime lt 2024-05-06", false},
		{"from/emailAddress/address eq 'alice@example.test'", true},
		{"startswith(subject, 'quarter')", true},
		{"endswith(subject,'REPORT')", true},
		{"contains(subject, 'xyz')", false},
		{"tolower(subject) eq 'quarterly report'", true},
		{"categories/any(c: c eq 'blue')", true},
		{"categories/all(c: c eq 'blue')", false},
		{"toRecipients/any(r: r/emailAddress/address eq 'b@x.test')", true},
		{"toRecipients/all(r: endswith(r/emailAddress/address, '@x.test'))", true},
		{"singleValueExtendedProperties/any(ep: ep/id eq 'string {00020329-0000-0000-C000-000000000046} name Src' and ep/value eq 'imap:INBOX:7')", true},
		{"singleValueExtendedProperties/any(ep: ep/id eq 'String {00020329-0000-0000-c000-000000000046} Name src')", false},
		{"missing eq null", true},
		{"nothere eq null", true},
		{"subject eq null", false},
		{"subject eq 1", false},
		{"(subject eq 'x' or (size eq 42))", true},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := parseFilter(tt.filter)
			if err != nil {
				t.Fatalf("parseFilter() = %v", err)
			}
			if got := Matches(f, view); got != tt.want {
				t.Errorf("Matches(%s) = %v, want %v", tt.filter, got, tt.want)
			}
		})
	}
	if !Matches(nil, view) {
		t.Error("Matches(nil) = false, want true")
	}
}

func TestSort(t *testing.T) {
	views := []map[string]any{
		{"id": "1", "subject": "b", "n": 2.0},
		{"id": "2", "subject": "A", "n": 1.0},
		{"id": "3", "subject": nil, "n": 2.0},
		{"id": "4", "subject": "c", "n": 1.0},
	}
	ids := func() string {
		var s []string
		for _, v := range views {
			s = append(s, v["id"].(string))
		}
		return strings.Join(s, ",")
	}
	tests := []struct {
		ob   []OrderBy
		want string
	}{
		{[]OrderBy{{Prop: "subject"}}, "3,2,1,4"}, // null first, case-insensitive
		{[]OrderBy{{Prop: "subject", Desc: true}}, "4,1,2,3"},
		{[]OrderBy{{Prop: "N"}, {Prop: "subject", Desc: true}}, "4,2,1,3"},
		{nil, "4,2,1,3"}, // no keys: order kept
	}
	for _, tt := range tests {
		Sort(views, tt.ob)
		if got := ids(); got != tt.want {
			t.Errorf("Sort(%+v) = %s, want %s", tt.ob, got, tt.want)
		}
	}
}

func TestSelect(t *testing.T) {
	view := map[string]any{"@odata.etag": "e", "id": "1", "subject": "s", "Body": "b", "isRead": true}
	known := map[string]bool{"id": true, "subject": true, "body": true, "isRead": true, "sender": true}
	tests := []struct {
		sel     []string
		want    []string // keys kept
		wantErr string
	}{
		{nil, []string{"@odata.etag", "Body", "id", "isRead", "subject"}, ""},
		{[]string{"SUBJECT", "body"}, []string{"@odata.etag", "Body", "id", "subject"}, ""},
		{[]string{"sender"}, []string{"@odata.etag", "id"}, ""}, // known but absent
		{[]string{"nope"}, nil, "Could not find a property named 'nope' on type 'microsoft.graph.message'."},
	}
	for _, tt := range tests {
		out, p := Select(view, tt.sel, known, "message")
		if tt.wantErr != "" {
			if p == nil || p.Status != 400 || p.Code != "RequestBroker--ParseUri" || p.Message != tt.wantErr {
				t.Errorf("Select(%v) = %v, want 400 RequestBroker--ParseUri %q", tt.sel, p, tt.wantErr)
			}
			continue
		}
		var keys []string
		for k := range out {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if p != nil || !reflect.DeepEqual(keys, tt.want) {
			t.Errorf("Select(%v) = %v (%v), want keys %v", tt.sel, keys, p, tt.want)
		}
	}
}

func TestParseExtendedPropertyID(t *testing.T) {
	tests := []struct {
		id    string
		multi bool
		want  string // "" = invalid
	}{
		{"integer 0x0E07", false, "Integer 0xe07"},
		{"SystemTime 0x0039", false, "SystemTime 0x39"},
		{"String {00020329-0000-0000-C000-000000000046} Name Src", false, "String {00020329-0000-0000-c000-000000000046} Name Src"},
		{"String 00020329-0000-0000-C000-000000000046 id 0x8005", false, "String {00020329-0000-0000-c000-000000000046} Id 0x8005"},
		{"StringArray {00020329-0000-0000-C000-000000000046} Name Keywords", true, "StringArray {00020329-0000-0000-c000-000000000046} Name Keywords"},
		{"StringArray 0x1", false, ""},
		{"String 0x1", true, ""},
		{"Text 0x1", false, ""},
		{"String 1234", false, ""},
		{"String {not-a-guid} Name X", false, ""},
		{"String", false, ""},
	}
	for _, tt := range tests {
		got, err := ParseExtendedPropertyID(tt.id, tt.multi)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseExtendedPropertyID(%q, %v) = %q, want an error", tt.id, tt.multi, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseExtendedPropertyID(%q, %v) = %q, %v; want %q", tt.id, tt.multi, got, err, tt.want)
		}
	}
}

func TestToTime(t *testing.T) {
	want := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, in := range []any{want, "2024-05-06T07:08:09Z", "2024-05-06T07:08:09.0000000", "2024-05-06T07:08:09"} {
		if got, ok := ToTime(in); !ok || !got.Equal(want) {
			t.Errorf("ToTime(%v) = %v, %v", in, got, ok)
		}
	}
	if _, ok := ToTime("yesterday"); ok {
		t.Error("ToTime(yesterday) ok")
	}
}

func TestProblemWrite(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/v1.0/users", nil)
	r.Header.Set("client-request-id", "c-1")
	w := httptest.NewRecorder()
	BadRequest("ErrorInvalidIdMalformed", "Id %s is malformed.", "x").Write(w, r)
	var body ErrorBody
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if w.Code != 400 || body.Error.Code != "ErrorInvalidIdMalformed" || body.Error.Message != "Id x is malformed." ||
		body.Error.InnerError.ClientRequestID != "c-1" || body.Error.InnerError.RequestID != w.Header().Get("request-id") ||
		w.Header().Get("Content-Type") != ContentType {
		t.Errorf("= %d %v %s", w.Code, w.Header(), w.Body)
	}
}
