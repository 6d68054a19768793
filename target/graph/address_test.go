package graph

import (
	"fmt"
	"testing"

	"github.com/migrate-tool/migrate/target"
)

// TestAddressesKept: From, Sender, To, Cc, Bcc and Reply-To of the source
// message reach the created message's recipients, as README's table of
// what is kept says.
func TestAddressesKept(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	ctx := testContext(t)
	mb := e.mailbox(t, ctx)
	raw := "From: Ann Author <ann@example.com>\r\n" +
		"Sender: Sam Secretary <sam@example.com>\r\n" +
		"To: Tom <tom@example.com>, tina@example.com\r\n" +
		"Cc: Carl <carl@example.com>\r\n" +
		"Bcc: Bea <bea@example.com>\r\n" +
		"Reply-To: Replies <replies@example.com>\r\n" +
		"Subject: Addresses\r\nDate: Tue, 05 Mar 2019 09:12:00 +0000\r\nMessage-ID: <addr@example.com>\r\n\r\nbody\r\n"
	f, err := mb.EnsureFolder(ctx, target.Inbox, []string{"Addresses"})
	if err != nil {
		t.Fatal(err)
	}
	created, err := mb.PutMessage(ctx, f, testMessage(t, "imap:INBOX:1:9", raw))
	if err != nil {
		t.Fatalf("PutMessage() = %v", err)
	}
	var graph map[string]any
	for _, it := range e.folderItems(t, f) {
		if it.ID == string(created.ID) {
			graph = it.Graph
		}
	}
	if graph == nil {
		t.Fatalf("created item %s not in the folder", created.ID)
	}
	one := func(v any) string {
		m, _ := v.(map[string]any)
		ea, _ := m["emailAddress"].(map[string]any)
		return fmt.Sprintf("%v <%v>", ea["name"], ea["address"])
	}
	list := func(v any) []string {
		var out []string
		l, _ := v.([]any)
		for _, r := range l {
			out = append(out, one(r))
		}
		return out
	}
	tests := []struct {
		prop string
		got  any
		want any
	}{
		{"from", one(graph["from"]), "Ann Author <ann@example.com>"},
		{"sender", one(graph["sender"]), "Sam Secretary <sam@example.com>"},
		{"toRecipients", fmt.Sprint(list(graph["toRecipients"])), fmt.Sprint([]string{"Tom <tom@example.com>", "<nil> <tina@example.com>"})},
		{"ccRecipients", fmt.Sprint(list(graph["ccRecipients"])), fmt.Sprint([]string{"Carl <carl@example.com>"})},
		{"bccRecipients", fmt.Sprint(list(graph["bccRecipients"])), fmt.Sprint([]string{"Bea <bea@example.com>"})},
		{"replyTo", fmt.Sprint(list(graph["replyTo"])), fmt.Sprint([]string{"Replies <replies@example.com>"})},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.prop, tc.got, tc.want)
		}
	}
}
