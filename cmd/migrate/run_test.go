package main

import (
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/migrate"
	"github.com/migrate-tool/migrate/migrate/plan"
)

func TestPrintRunSummaryKeywords(t *testing.T) {
	res := &migrate.Result{Mailboxes: []migrate.MailboxResult{
		{Mailbox: "a@example.test", Migrated: 3, KeywordsDropped: 2,
			DroppedKeywords: []plan.KeywordCount{{Keyword: "$MDNSent", Items: 2}, {Keyword: "$Custom", Items: 1}}},
		{Mailbox: "b@example.test", Migrated: 1},
	}}
	tests := []struct {
		dryRun bool
		want   string
	}{
		{false, "keywords dropped: mailbox a@example.test, 2 items migrated without keywords the target has no place for: $MDNSent (2), $Custom (1)\n"},
		{true, "keywords dropped: mailbox a@example.test, 2 items would be created without keywords the target has no place for: $MDNSent (2), $Custom (1)\n"},
	}
	for _, tt := range tests {
		var out strings.Builder
		printRunSummary(&globalOptions{stdout: &out}, res, tt.dryRun)
		if !strings.Contains(out.String(), tt.want) {
			t.Errorf("printRunSummary(dryRun %v) =\n%s\nwant a line %q", tt.dryRun, out.String(), tt.want)
		}
		if strings.Count(out.String(), "keywords dropped") != 1 {
			t.Errorf("printRunSummary(dryRun %v) =\n%s\nwant one keywords line (b@ lost none)", tt.dryRun, out.String())
		}
	}
}

func TestPrintRunSummaryContactsEvents(t *testing.T) {
	tests := []struct {
		name   string
		res    []migrate.MailboxResult
		dryRun bool
		want   string // "" for no such line
	}{
		{"mail only", []migrate.MailboxResult{{Mailbox: "a@example.test", Migrated: 3}}, false, ""},
		{"summed over mailboxes", []migrate.MailboxResult{{Mailbox: "a@example.test", Migrated: 3, Contacts: 2, Events: 1}, {Mailbox: "b@example.test", Events: 4}}, false, "contacts: 2 created, events: 5 created\n"},
		{"dry run", []migrate.MailboxResult{{Mailbox: "a@example.test", Contacts: 1}}, true, "contacts: 1 would be created, events: 0 would be created\n"},
	}
	for _, tt := range tests {
		var out strings.Builder
		printRunSummary(&globalOptions{stdout: &out}, &migrate.Result{Mailboxes: tt.res}, tt.dryRun)
		if got := strings.Count(out.String(), "contacts: "); tt.want == "" && got != 0 || tt.want != "" && !strings.Contains(out.String(), tt.want) {
			t.Errorf("%s: printRunSummary =\n%s\nwant the line %q", tt.name, out.String(), tt.want)
		}
	}
}
