package migrate

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/migrate/mapping"
	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/sourcetest"
)

// TestPlanPOPAndIMAP compares POP3 rows with IMAP: an IMAP row of the
// same host and login (or, with Planner.IMAPProbe, a login over IMAP with
// the POP row's credentials) whose INBOX lacks messages the POP view
// shows gives pop_more_than_inbox with the row to use instead; a POP row
// and an IMAP row for one target mailbox give an Overlap of the messages
// both hold, matched by size, Date and Message-ID.
func TestPlanPOPAndIMAP(t *testing.T) {
	msg := func(id, date string) []byte {
		return []byte(fmt.Sprintf("Date: %s\r\nMessage-ID: <%s@x>\r\nSubject: %s\r\n\r\nbody %s\r\n", date, id, id, id))
	}
	a, b, c := msg("a", "Mon, 30 Jun 2025 08:00:00 +0000"), msg("b", "Sun, 3 Mar 2019 08:00:00 +0000"), msg("c", "Tue, 1 Jul 2025 10:00:00 +0000")
	// bLater has b's Message-ID but another Date: another message.
	bLater := msg("b", "Sun, 3 Mar 2019 09:00:00 +0000")
	noIDs := []byte("Subject: no ids\r\n\r\nbody\r\n")
	when := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)

	// pop shows INBOX and Archive (an all-mailboxes POP view); imap is the
	// same account over IMAP, with c in Archive.
	pop := sourcetest.NewMemory()
	for _, m := range [][]byte{a, b, c, noIDs} {
		pop.Add("INBOX", m, time.Time{})
	}
	imap := sourcetest.NewMemory()
	imap.Add("INBOX", a, when)
	imap.Add("INBOX", b, when)
	imap.Add("INBOX", noIDs, when)
	imap.Add("Archive", c, when)
	// popInbox shows INBOX only; other is an IMAP account elsewhere.
	popInbox := sourcetest.NewMemory()
	popInbox.Add("INBOX", a, time.Time{})
	popInbox.Add("INBOX", b, time.Time{})
	other := sourcetest.NewMemory()
	other.Add("INBOX", a, when)
	other.Add("Archive", bLater, when)

	popRow := config.Mailbox{Line: 2, EmailAddress: "pop-alice@old.example", UserName: "alice", Protocol: "pop3", Host: "mail.old.example", Port: 995, Security: "tls", TargetAddress: "alice@new.example"}
	imapRow := config.Mailbox{Line: 3, EmailAddress: "alice@old.example", UserName: "alice", Protocol: "imap", Host: "mail.old.example", Port: 993, Security: "tls", TargetAddress: "alice@new.example"}
	otherRow := config.Mailbox{Line: 3, EmailAddress: "alice@other.example", UserName: "alice", Protocol: "imap", Host: "imap.other.example", Port: 993, Security: "tls", TargetAddress: "alice@new.example"}

	tests := []struct {
		name      string
		rows      []config.Mailbox
		probe     bool
		popSrc    *sourcetest.Memory
		imapSrc   map[string]*sourcetest.Memory // by host
		wantView  *plan.POPView                 // compared fields only; nil: none
		wantRisk  []string                      // codes of pop_* risks
		wantInMsg string                        // in the pop_more_than_inbox message
		overlaps  []plan.Overlap
	}{
		{
			name: "IMAP row of the same account, POP shows more than INBOX", rows: []config.Mailbox{popRow, imapRow}, popSrc: pop,
			imapSrc:  map[string]*sourcetest.Memory{"mail.old.example": imap},
			wantView: &plan.POPView{IMAP: imapRow.EmailAddress, Line: 3, Compared: 4, Unkeyed: 1, InInbox: 2, NotInInbox: plan.Count{Items: 1, Bytes: int64(len(c))}},
			wantRisk: []string{"pop_few", "pop_more_than_inbox", "pop_imap_overlap"}, wantInMsg: "that IMAP row (line 3 of the CSV)",
			overlaps: []plan.Overlap{{Target: "alice@new.example", POP: popRow.EmailAddress, IMAP: imapRow.EmailAddress, Compared: 4, Unkeyed: 1, Both: plan.Count{Items: 3, Bytes: int64(len(a) + len(b) + len(c))}}},
		},
		{
			name: "IMAP row of the same account, POP shows INBOX", rows: []config.Mailbox{popRow, imapRow}, popSrc: popInbox,
			imapSrc:  map[string]*sourcetest.Memory{"mail.old.example": imap},
			wantView: &plan.POPView{IMAP: imapRow.EmailAddress, Line: 3, Compared: 2, InInbox: 2},
			wantRisk: []string{"pop_few", "pop_imap_overlap"},
			overlaps: []plan.Overlap{{Target: "alice@new.example", POP: popRow.EmailAddress, IMAP: imapRow.EmailAddress, Compared: 2, Both: plan.Count{Items: 2, Bytes: int64(len(a) + len(b))}}},
		},
		{
			name: "IMAP row elsewhere for the same target: overlap only", rows: []config.Mailbox{popRow, otherRow}, popSrc: popInbox,
			imapSrc:  map[string]*sourcetest.Memory{"imap.other.example": other},
			wantRisk: []string{"pop_few", "pop_imap_overlap"},
			overlaps: []plan.Overlap{{Target: "alice@new.example", POP: popRow.EmailAddress, IMAP: otherRow.EmailAddress, Compared: 2, Both: plan.Count{Items: 1, Bytes: int64(len(a))}}},
		},
		{
			name: "no IMAP row, probe off", rows: []config.Mailbox{popRow}, popSrc: pop,
			imapSrc:  map[string]*sourcetest.Memory{"mail.old.example": imap},
			wantRisk: []string{"pop_few"},
		},
		{
			name: "no IMAP row, probe finds the account over IMAP", rows: []config.Mailbox{popRow}, probe: true, popSrc: pop,
			imapSrc:  map[string]*sourcetest.Memory{"mail.old.example": imap},
			wantView: &plan.POPView{Probed: true, Compared: 4, Unkeyed: 1, InInbox: 2, NotInInbox: plan.Count{Items: 1, Bytes: int64(len(c))}},
			wantRisk: []string{"pop_few", "pop_more_than_inbox"}, wantInMsg: "pop-alice@old.example,alice,(the password of line 2),mail.old.example,993,tls,imap,alice@new.example",
		},
		{
			name: "no IMAP row, probe finds no IMAP", rows: []config.Mailbox{popRow}, probe: true, popSrc: pop,
			wantView: &plan.POPView{Probed: true},
			wantRisk: []string{"pop_few"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var probed []config.Mailbox
			open := func(ctx context.Context, m config.Mailbox, log *slog.Logger) (source.Account, error) {
				if m.Protocol == "pop3" {
					return tc.popSrc.Open(ctx)
				}
				if m.EmailAddress == popRow.EmailAddress {
					probed = append(probed, m)
				}
				if s, ok := tc.imapSrc[m.Host]; ok {
					return s.Open(ctx)
				}
				return nil, fmt.Errorf("dial %s:%d: %w", m.Host, m.Port, source.ErrConnect)
			}
			settings := config.Defaults()
			planner := &Planner{Env: Env{Sources: open, Items: mapping.NewItemOptions(settings.Filters, settings.Target, settings.Keywords)},
				Settings: settings, Tool: "migrate test", IMAPProbe: tc.probe}
			pl, err := planner.Plan(context.Background(), tc.rows)
			if err != nil {
				t.Fatalf("Plan() = %v", err)
			}
			v := pl.Mailboxes[0].POPView
			switch {
			case tc.wantView == nil && v != nil:
				t.Errorf("POPView = %+v, want none", v)
			case tc.wantView != nil && v == nil:
				t.Errorf("no POPView, want %+v", tc.wantView)
			case v != nil:
				got := plan.POPView{IMAP: v.IMAP, Line: v.Line, Probed: v.Probed, Compared: v.Compared, Unkeyed: v.Unkeyed, InInbox: v.InInbox, NotInInbox: v.NotInInbox}
				if got != *tc.wantView {
					t.Errorf("POPView = %+v, want %+v", got, *tc.wantView)
				}
				if v.Probed && (len(probed) != 1 || probed[0].Port != 993 || probed[0].Security != "tls" || probed[0].TargetFolder != "") {
					t.Errorf("the probe opened %+v; want one IMAPS login on 993", probed)
				}
				if v.Probed && v.Error == "" && v.Row == "" {
					t.Errorf("probed POPView offers no row")
				}
			}
			if !tc.probe && len(probed) > 0 {
				t.Errorf("the plan logged in over IMAP without IMAPProbe: %+v", probed)
			}
			var codes []string
			for _, r := range pl.Risks {
				if strings.HasPrefix(r.Code, "pop_") {
					codes = append(codes, r.Code)
					if r.Code == "pop_more_than_inbox" && (!strings.Contains(r.Message, tc.wantInMsg) || !strings.Contains(r.Message, "1 message ")) {
						t.Errorf("pop_more_than_inbox says %q; want the count and %q", r.Message, tc.wantInMsg)
					}
				}
			}
			if fmt.Sprint(codes) != fmt.Sprint(tc.wantRisk) {
				t.Errorf("risks %v, want %v", codes, tc.wantRisk)
			}
			if fmt.Sprintf("%+v", pl.Overlaps) != fmt.Sprintf("%+v", tc.overlaps) {
				t.Errorf("overlaps %+v, want %+v", pl.Overlaps, tc.overlaps)
			}
		})
	}
}

// TestCSVRowQuotes checks that the offered CSV row quotes cells as the
// CSV reader expects.
func TestCSVRowQuotes(t *testing.T) {
	tests := []struct {
		m    config.Mailbox
		want string
	}{
		{config.Mailbox{EmailAddress: "a@x", UserName: "a", Host: "h", Port: 993, Security: "tls"}, "a@x,a,(the password of line 4),h,993,tls,imap,"},
		{config.Mailbox{EmailAddress: "a@x", UserName: `dom\a,b`, Host: "h", Port: 143, Security: "starttls"}, `a@x,"dom\a,b",(the password of line 4),h,143,starttls,imap,`},
	}
	for _, tc := range tests {
		if got := csvRow(tc.m, 4); got != tc.want {
			t.Errorf("csvRow(%+v) = %q, want %q", tc.m, got, tc.want)
		}
	}
	if _, ok := imapRowFor(config.Mailbox{Protocol: "pop3", Security: "plain"}); ok {
		t.Error("a plain POP row is probed over IMAP; the probe would send the password in clear again")
	}
}
