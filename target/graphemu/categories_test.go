package graphemu

import (
	"slices"
	"testing"
)

func TestMasterCategories(t *testing.T) {
	ep, c := startMail(t, &Options{Apps: []App{{ClientID: "nosettings", ClientSecret: "s4", Permissions: []string{PermCalendarsReadWrite}}}})
	base := "/users/a@x.test/outlook/masterCategories"
	r := c.do("GET", base, nil)
	mustStatus(t, r, 200)
	if v, _ := r.JSON["value"].([]any); len(v) != 0 {
		t.Errorf("new mailbox's categories = %s", r.Body)
	}
	r = c.do("POST", base, map[string]any{"displayName": "Project expenses", "color": "preset9"})
	mustStatus(t, r, 201)
	if r.str("displayName") != "Project expenses" || r.str("color") != "preset9" || r.str("id") == "" {
		t.Errorf("created category = %s", r.Body)
	}
	id := r.str("id")
	mustStatus(t, c.do("POST", base, map[string]any{"displayName": "Travel"}), 201)

	tests := []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"same name", map[string]any{"displayName": "Project expenses"}, 409, "nameAlreadyExists"},
		{"same name, other case", map[string]any{"displayName": "PROJECT EXPENSES", "color": "preset1"}, 409, "nameAlreadyExists"},
		{"no name", map[string]any{"color": "preset1"}, 400, "ErrorInvalidRequest"},
		{"bad color", map[string]any{"displayName": "X", "color": "preset25"}, 400, "RequestBodyRead"},
		{"unknown property", map[string]any{"displayName": "X", "colour": "red"}, 400, "RequestBodyRead"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkGraphError(t, c.do("POST", base, tc.body), tc.status, tc.code)
		})
	}
	r = c.do("GET", base, nil)
	if v, _ := r.JSON["value"].([]any); len(v) != 2 {
		t.Errorf("categories = %s", r.Body)
	}
	r = c.do("GET", base+"/"+id, nil)
	mustStatus(t, r, 200)
	if r.str("displayName") != "Project expenses" {
		t.Errorf("category = %s", r.Body)
	}
	// Another mailbox has its own list.
	r = c.do("GET", "/users/b@x.test/outlook/masterCategories", nil)
	if v, _ := r.JSON["value"].([]any); len(v) != 0 {
		t.Errorf("other mailbox's categories = %s", r.Body)
	}
	checkGraphError(t, c.do("GET", "/users/b@x.test/outlook/masterCategories/"+id, nil), 404, "ErrorItemNotFound")
	if got := ep.Emulator.MasterCategories("a@x.test"); !slices.Equal(got, []string{"Project expenses", "Travel"}) {
		t.Errorf("MasterCategories = %q", got)
	}
	// MailboxSettings.ReadWrite guards the list.
	other := newClient(t, ep, "nosettings", "s4")
	checkGraphError(t, other.do("POST", base, map[string]any{"displayName": "Y"}), 403, "ErrorAccessDenied")
}
