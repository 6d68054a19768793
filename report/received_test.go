package report

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/migrate/state"
)

// TestReceivedFrom: the migration report says where migrated items'
// received dates came from, per mailbox and in the summary, when some did
// not come from the server (POP3), and says nothing for IMAP alone.
func TestReceivedFrom(t *testing.T) {
	tests := []struct {
		name      string
		from      map[string][]string // mailbox -> ReceivedFrom of each item
		wantFact  map[string]string   // mailbox -> "Received date from" fact, "" for none
		wantPoint string
	}{{
		name:     "imap only",
		from:     map[string][]string{"alice@contoso.com": {"server", "server", ""}},
		wantFact: map[string]string{"alice@contoso.com": ""},
	}, {
		name: "pop3 beside imap",
		from: map[string][]string{
			"alice@contoso.com": {"server", "server"},
			"bob@contoso.com":   {"received_header", "received_header", "received_header", "date_header", "run_time"},
		},
		wantFact:  map[string]string{"alice@contoso.com": "", "bob@contoso.com": "server 0, Received header 3, Date header 1, time of run 1"},
		wantPoint: "Received date from: server 2, Received header 3, Date header 1, time of run 1",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st, err := state.Open(ctx, filepath.Join(t.TempDir(), "state.db"), &state.Options{Now: func() time.Time { return day0 }})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			for mb, froms := range tt.from {
				if err := st.PutMailbox(ctx, state.Mailbox{ID: mb, SourceAddress: mb, TargetAddress: mb, Protocol: "pop3", Status: state.StatusMigrated}); err != nil {
					t.Fatal(err)
				}
				if err := st.PutFolder(ctx, state.Folder{Mailbox: mb, SourcePath: "INBOX", TargetPath: "inbox", TargetID: "F", Validity: "1"}); err != nil {
					t.Fatal(err)
				}
				for i, from := range froms {
					if err := st.PutItem(ctx, state.Item{Mailbox: mb, Folder: "INBOX", SourceKey: string(rune('a' + i)), Kind: state.KindMessage,
						Status: state.StatusMigrated, TargetID: "T", Bytes: 10, ReceivedFrom: from}); err != nil {
						t.Fatal(err)
					}
				}
			}
			in, err := LoadMigration(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			d := Migration(in, &Options{Now: day0})
			for _, a := range d.Appendix {
				got := ""
				for _, f := range a.Facts {
					if f.Label == "Received date from" {
						got = f.Value
					}
				}
				if got != tt.wantFact[a.Mailbox] {
					t.Errorf("%s: Received date from = %q, want %q", a.Mailbox, got, tt.wantFact[a.Mailbox])
				}
			}
			points := strings.Join(d.Summary.Points, "\n")
			if tt.wantPoint == "" && strings.Contains(points, "Received date from") || !strings.Contains(points, tt.wantPoint) {
				t.Errorf("summary points:\n%s\nwant %q", points, tt.wantPoint)
			}
		})
	}
}
