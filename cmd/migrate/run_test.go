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
