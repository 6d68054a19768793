package report

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/migrate/state"
)

// day0 is the fixtures' fixed clock.
var day0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func date(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// fixturePlan is a plan of three mailboxes: one ready, one with an item
// over the size limit and a renamed folder, one whose target is missing.
func fixturePlan() *plan.Plan {
	sizes := func(counts ...int64) []plan.SizeBucket {
		b := plan.NewSizeBuckets()
		for i, c := range counts {
			b[i].Items = c
		}
		return b
	}
	env := outlookEnvelope()
	p := &plan.Plan{
		Format: plan.Format, Version: plan.Version, Tool: "migrate v1.0.0", CreatedAt: day0.Add(-24 * time.Hour),
		Client: "Contoso Ltd", Consultant: "Fabrikam IT", ConfigFingerprint: "cfg", InventoryFingerprint: "inv",
		Settings: plan.Settings{MaxMessageSize: 35 << 20, Concurrency: 4, PerMailbox: 4, Filters: []string{`messages flagged \Deleted skipped`}},
		Mailboxes: []plan.Mailbox{
			{
				Address: "alice@contoso.com", Target: "alice@contoso.onmicrosoft.com", Protocol: "imap", Server: "mail.contoso.com:993", Security: "tls",
				Items: 1207, Bytes: 900 << 20, Oldest: date("2014-02-01"), Newest: date("2026-02-28"),
				ToMigrate: plan.Count{Items: 1205, Bytes: 899 << 20},
				Skips:     []plan.Skip{{Rule: "deleted", Example: `flagged \Deleted on the source`, Count: plan.Count{Items: 2, Bytes: 1 << 20}}},
				Sizes:     sizes(807, 300, 80, 19, 1), Years: []plan.YearCount{{Year: 2014, Count: plan.Count{Items: 100}}, {Year: 2020, Count: plan.Count{Items: 500}}, {Year: 2026, Count: plan.Count{Items: 607}}},
				Largest: []plan.Item{{Folder: "INBOX", Key: "7.120", Size: 30 << 20, Date: date("2024-05-01"), Subject: "Holiday photos 2024"},
					{Folder: "Sent", Key: "3.77", Size: 12 << 20, Subject: "  Re: contract for bob@contoso.com  "}},
				Folders: []plan.Folder{
					{Path: "INBOX", Role: `\Inbox`, Kind: "message", Target: "Inbox", Items: 1000, Bytes: 800 << 20, Largest: 30 << 20, Oldest: date("2014-02-01"), Newest: date("2026-02-28"), ToMigrate: plan.Count{Items: 999, Bytes: 799 << 20}},
					{Path: "Sent", Role: `\Sent`, Kind: "message", Target: "Sent Items", Items: 200, Bytes: 100 << 20, Oldest: date("2015-01-01"), Newest: date("2026-02-27"), ToMigrate: plan.Count{Items: 199, Bytes: 100 << 20}},
					{Path: "contact:Contacts", Role: "default", Kind: "contact", Target: "Contacts", Items: 3, Bytes: 3 << 10, ToMigrate: plan.Count{Items: 3, Bytes: 3 << 10},
						PIM: &plan.PIM{Contacts: 2, Unparsable: 1}},
					{Path: "event:Work", Kind: "event", Target: "Calendar/Work", Items: 4, Bytes: 8 << 10, ToMigrate: plan.Count{Items: 4, Bytes: 8 << 10},
						PIM: &plan.PIM{Events: 14, Series: 1, Moved: 1, Cancelled: 2, Expanded: 1, ExpandedEvents: 12}},
				},
				Contacts: 3, Events: 4,
				PIM:        &plan.PIM{Contacts: 2, Events: 14, Series: 1, Moved: 1, Cancelled: 2, Expanded: 1, ExpandedEvents: 12, Unparsable: 1},
				Unparsable: []plan.Item{{Folder: "contact:Contacts", Key: "c3.vcf", Size: 1 << 10, Reason: "unreadable object: vcard: invalid BEGIN value"}},
				PIMFields: []plan.FieldCount{{Kind: "contact", Property: "EMAIL", Action: "notes", Items: 1}, {Kind: "event", Property: "ATTENDEE", Action: "body", Items: 1},
					{Kind: "event", Property: "RRULE", Action: "changed", Items: 1}},
				KeywordsDropped: 40, DroppedKeywords: []plan.KeywordCount{{Keyword: "$MDNSent", Items: 38}, {Keyword: "$Junk", Items: 3}, {Keyword: "$Custom", Items: 1}},
				HeadersRead: 1190, HeadersSkipped: 10, DuplicateItems: 4, Duplicates: []plan.Duplicate{{MessageID: "a@b", Items: []plan.ItemRef{{Folder: "INBOX", Key: "7.1"}, {Folder: "Sent", Key: "3.1"}}}},
				TargetCheck: plan.TargetCheck{Checked: true, Exists: true, Reachable: true, CanRead: true, Items: -1, Bytes: -1, QuotaBytes: -1, UsedBytes: -1,
					QuotaUnknown: "the app lacks Reports.Read.All, which Graph needs to give mailbox quotas through the mailbox usage report"},
				Read:        plan.Rate{Items: 24, Bytes: 30 << 20, Seconds: 1.5, PerItemSeconds: 0.01, BytesPerSecond: 20 << 20},
				ListSeconds: 2,
				Estimate:    plan.MailboxEstimate{Seconds: 2010, Bottleneck: env.UploadBottleneck()},
			},
			{
				Address: "bob@contoso.com", Target: "bob@contoso.onmicrosoft.com", Protocol: "imap", Server: "mail.contoso.com:993", Security: "tls",
				Items: 40, Bytes: 60 << 20, Oldest: date("2020-01-01"), Newest: date("2025-12-31"), ToMigrate: plan.Count{Items: 39, Bytes: 20 << 20},
				Skips: []plan.Skip{{Rule: "too_large", Example: "41943040 bytes, larger than the target accepts", Count: plan.Count{Items: 1, Bytes: 40 << 20}}},
				Sizes: sizes(30, 5, 3, 1, 0, 1), Years: []plan.YearCount{{Year: 0, Count: plan.Count{Items: 1}}, {Year: 2020, Count: plan.Count{Items: 39}}},
				Largest:   []plan.Item{{Folder: "Projects", Key: "9.4", Size: 40 << 20, Date: date("2023-03-03")}}, // subject not read
				OverLimit: []plan.Item{{Folder: "Projects", Key: "9.4", Size: 40 << 20, Reason: "over the tenant's maximum message size"}},
				Folders: []plan.Folder{
					{Path: "INBOX", Kind: "message", Target: "Inbox", Items: 30, Bytes: 15 << 20, ToMigrate: plan.Count{Items: 30, Bytes: 15 << 20}},
					{Path: "Projects", Kind: "message", Target: "Projects", Items: 9, Bytes: 44 << 20, ToMigrate: plan.Count{Items: 8, Bytes: 4 << 20}},
					{Path: "Ärger/Köln – 2024", Kind: "message", Target: "Ärger/Köln – 2024", Items: 0, Bytes: 0},
					{Path: "日本語", Kind: "message", Target: "日本語", Items: 0, Bytes: 0},
					{Path: "Archive", Role: `\Archive`, Guessed: true, Kind: "message", Target: "Archive", Changes: []string{`role \Archive guessed from the name`}, Items: 0, Bytes: 0},
					{Path: "calendar", Kind: "message", Target: "calendar (imported)", Changes: []string{`top-level name "calendar" is an Exchange default folder name: named "calendar (imported)"`}, Items: 1, Bytes: 1 << 20, ToMigrate: plan.Count{Items: 1, Bytes: 1 << 20}},
				},
				Renamed: []plan.Rename{
					{Source: "Archive", Target: "Archive", Changes: []string{`role \Archive guessed from the name`}},
					{Source: "calendar", Target: "calendar (imported)", Changes: []string{`top-level name "calendar" is an Exchange default folder name`}},
				},
				TargetCheck: plan.TargetCheck{Checked: true, Exists: true, Reachable: true, CanRead: true, Inspected: true, Items: 12, Bytes: -1, Stamped: 3, QuotaBytes: 50 << 30, UsedBytes: 1 << 30, Folders: []plan.TargetFolder{{Path: "Inbox", Items: 12}}},
				Read:        plan.Rate{Items: 12, Bytes: 10 << 20, Seconds: 0.5, BytesPerSecond: 20 << 20},
				Estimate:    plan.MailboxEstimate{Seconds: 95, Bottleneck: env.UploadBottleneck()},
			},
			{
				Address: "carol@contoso.com", Target: "carol@contoso.onmicrosoft.com", Protocol: "pop3", Server: "pop.contoso.com:110", Security: "plain",
				Sizes:       sizes(),
				TargetCheck: plan.TargetCheck{Checked: true, Error: "not found", Problem: plan.TargetNotFound, Items: -1, Bytes: -1, QuotaBytes: -1, UsedBytes: -1},
				Estimate:    plan.MailboxEstimate{Bottleneck: plan.BottleneckNone},
			},
		},
		Estimate: plan.Estimate{Seconds: 2010, Mailboxes: 4, Bottleneck: env.UploadBottleneck(), Longest: "alice@contoso.com", LatencySeconds: 0.4, Envelope: env,
			Notes: []string{"4 mailboxes at once (concurrency.mailboxes)."}},
		Risks: []plan.Risk{
			{Severity: plan.SevError, Code: "target_missing", Mailbox: "carol@contoso.com", Message: "The target mailbox carol@contoso.onmicrosoft.com does not exist in the tenant: create or license the user first (not found)."},
			{Severity: plan.SevWarning, Code: "plaintext_source", Mailbox: "carol@contoso.com", Message: "The source is read without encryption (security: plain)."},
			{Severity: plan.SevWarning, Code: "pop_empty", Mailbox: "carol@contoso.com", Message: "The POP account is empty on the server."},
			{Severity: plan.SevWarning, Code: "over_limit", Mailbox: "bob@contoso.com", Folder: "Projects", Message: "Item 9.4 (40.0 MB) is over the tenant's maximum message size."},
			{Severity: plan.SevWarning, Code: "unparsable", Mailbox: "alice@contoso.com", Folder: "contact:Contacts", Message: "Contact c3.vcf cannot be read and will not be migrated: unreadable object: vcard: invalid BEGIN value."},
			{Severity: plan.SevInfo, Code: "folder_renamed", Mailbox: "bob@contoso.com", Folder: "Archive", Message: "Folder Archive becomes Archive: role \\Archive guessed from the name."},
			{Severity: plan.SevInfo, Code: "folder_renamed", Mailbox: "bob@contoso.com", Folder: "calendar", Message: "Folder calendar becomes calendar (imported)."},
			{Severity: plan.SevInfo, Code: "keywords_dropped", Mailbox: "alice@contoso.com", Message: "40 items carry keywords that Exchange Online has no place for; they are migrated without them: $MDNSent (38 items), $Junk (3 items), $Custom (1 item). Set keywords.keep_dollar: true to keep $Custom as categories."},
			{Severity: plan.SevInfo, Code: "duplicate_message_ids", Mailbox: "alice@contoso.com", Message: "4 items share a Message-ID with another item (1 Message-IDs); each copy is migrated, as on the source."},
		},
	}
	p.SumTotals()
	return p
}

// fixtureState writes a state of three mailboxes after two runs: alice
// complete, bob with a failed item, one migrated with a note and one
// skipped, dave migrated (and doubled in the target, see
// fixtureVerification); and returns what LoadMigration reads from it.
func fixtureState(t *testing.T) *MigrationInput {
	t.Helper()
	ctx := context.Background()
	st, err := state.Open(ctx, filepath.Join(t.TempDir(), "state.db"), &state.Options{Now: func() time.Time { return day0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.SetProject(ctx, state.Project{Name: "Contoso Ltd", ConfigFingerprint: "cfg", CreatedAt: day0.Add(-2 * time.Hour)}))
	id, err := st.StartRun(ctx, state.Run{StartedAt: day0.Add(-2 * time.Hour), Command: "run", Host: "h", PID: 1})
	must(err)
	must(st.EndRun(ctx, id, "items failed", day0.Add(-90*time.Minute)))
	id, err = st.StartRun(ctx, state.Run{StartedAt: day0.Add(-time.Hour), Command: "run", Host: "h", PID: 2})
	must(err)
	must(st.EndRun(ctx, id, "items failed", day0.Add(-50*time.Minute)))
	must(st.PutMailbox(ctx, state.Mailbox{ID: "alice@contoso.com", SourceAddress: "alice@contoso.com", TargetAddress: "alice@contoso.onmicrosoft.com", Protocol: "imap", Status: state.StatusMigrated, UpdatedAt: day0.Add(-50 * time.Minute)}))
	must(st.PutMailbox(ctx, state.Mailbox{ID: "bob@contoso.com", SourceAddress: "bob@contoso.com", TargetAddress: "bob@contoso.onmicrosoft.com", Protocol: "imap", Status: state.StatusFailed, Reason: "1 items failed", UpdatedAt: day0.Add(-50 * time.Minute)}))
	must(st.PutMailbox(ctx, state.Mailbox{ID: "dave@contoso.com", SourceAddress: "dave@contoso.com", TargetAddress: "dave@contoso.onmicrosoft.com", Protocol: "imap", Status: state.StatusMigrated, UpdatedAt: day0.Add(-50 * time.Minute)}))
	for _, f := range []state.Folder{
		{Mailbox: "alice@contoso.com", SourcePath: "INBOX", TargetPath: "inbox", TargetID: "A1", Validity: "7"},
		{Mailbox: "alice@contoso.com", SourcePath: "Projects/2024", TargetPath: "msgfolderroot/Projects/2024", TargetID: "A2", Validity: "8"},
		{Mailbox: "bob@contoso.com", SourcePath: "INBOX", TargetPath: "inbox", TargetID: "B1", Validity: "3"},
		{Mailbox: "dave@contoso.com", SourcePath: "INBOX", TargetPath: "inbox", TargetID: "D1", Validity: "5"},
		{Mailbox: "dave@contoso.com", SourcePath: "contact:Contacts", TargetPath: "contacts", TargetID: "D2"},
		{Mailbox: "dave@contoso.com", SourcePath: "event:Calendar", TargetPath: "calendar", TargetID: "D3"},
	} {
		f.UpdatedAt = day0.Add(-2 * time.Hour)
		must(st.PutFolder(ctx, f))
	}
	at := day0.Add(-2 * time.Hour)
	kind, failure := state.KindMessage, ""
	item := func(mb, folder, key string, status state.Status, reason string, bytes int64, dropped ...string) {
		at = at.Add(3 * time.Minute)
		must(st.PutItem(ctx, state.Item{Mailbox: mb, Folder: folder, SourceKey: key, Kind: kind, Status: status, Reason: reason,
			Bytes: bytes, TargetID: "T-" + key, Fingerprint: "sha256:" + key, UpdatedAt: at, FirstSeen: day0.Add(-2 * time.Hour), DroppedKeywords: dropped, Failure: failure}))
	}
	item("alice@contoso.com", "INBOX", "7.1", state.StatusMigrated, "", 2048, "$MDNSent")
	item("alice@contoso.com", "INBOX", "7.2", state.StatusMigrated, "", 4096, "$Custom", "$MDNSent")
	item("alice@contoso.com", "Projects/2024", "8.1", state.StatusMigrated, "", 5<<20)
	item("alice@contoso.com", "INBOX", "7.3", state.StatusSkipped, `flagged \Deleted on the source`, 300)
	item("bob@contoso.com", "INBOX", "3.1", state.StatusMigrated, "created as a draft: the mailbox refused attachments added to received mail", 4<<20)
	item("bob@contoso.com", "INBOX", "3.2", state.StatusMigrated, "", 1000, "$MDNSent")
	item("bob@contoso.com", "INBOX", "3.3", state.StatusFailed, "the target refused the item: 400 ErrorInvalidRecipients", 700)
	item("dave@contoso.com", "INBOX", "5.1", state.StatusMigrated, "", 3000)
	kind = state.KindContact
	item("dave@contoso.com", "contact:Contacts", "c1.vcf", state.StatusMigrated, "", 900)
	item("dave@contoso.com", "contact:Contacts", "c1.vcf#2", state.StatusMigrated, "", 900)
	kind = state.KindEvent
	item("dave@contoso.com", "event:Calendar", "e1.ics", state.StatusMigrated, "", 2000)
	failure = state.FailureUnparsable
	item("dave@contoso.com", "event:Calendar", "e2.ics", state.StatusFailed, "unreadable object: no VEVENT in it", 100)
	in, err := LoadMigration(ctx, st)
	if err != nil {
		t.Fatalf("LoadMigration() = %v", err)
	}
	return in
}

// fixtureVerification is a verification of the fixture state: alice
// matches, bob misses the failed item, dave's item is in the target twice.
func fixtureVerification() *plan.Verification {
	v := &plan.Verification{Format: plan.VerifyFormat, Version: plan.VerifyVersion, Tool: "migrate v1.0.0", CreatedAt: day0.Add(-40 * time.Minute),
		Mailboxes: []plan.VerifyMailbox{
			{Address: "alice@contoso.com", Target: "alice@contoso.onmicrosoft.com", VerifyCounts: plan.VerifyCounts{Expected: 3, Matched: 3, Skipped: 1},
				Folders: []plan.VerifyFolder{{Source: "INBOX", Target: "Inbox", VerifyCounts: plan.VerifyCounts{Expected: 2, Matched: 2, Skipped: 1}}}},
			{Address: "bob@contoso.com", Target: "bob@contoso.onmicrosoft.com", VerifyCounts: plan.VerifyCounts{Expected: 3, Matched: 2, Missing: 1},
				Problems: []plan.Problem{{Kind: plan.ProblemMissing, Folder: "INBOX", Key: "3.3", Detail: "not in the target folder Inbox; the state records it as failed: the target refused the item: 400 ErrorInvalidRecipients"}}},
			{Address: "dave@contoso.com", Target: "dave@contoso.onmicrosoft.com", VerifyCounts: plan.VerifyCounts{Expected: 1, Matched: 1, Doubled: 1},
				Problems: []plan.Problem{{Kind: plan.ProblemDoubled, Folder: "INBOX", Key: "5.1", Detail: "2 items in the target folder Inbox carry its source key"}}},
		}}
	v.Sum()
	return v
}

// outlookEnvelope is the envelope the Graph target reports
// (graph.Config.Envelope with the default configuration), as a plan
// records it.
func outlookEnvelope() plan.Envelope {
	return plan.Envelope{
		Requests: 10000, RequestWindow: 10 * time.Minute, UploadBytes: 150 << 20, UploadWindow: 5 * time.Minute,
		Concurrent: 4, Share: 0.9, RequestBurst: 100, UploadBurst: 8 << 20,
	}
}

// popPlan is a plan of one account listed twice, over POP3 and over IMAP,
// for one target mailbox: the POP view shows more than the IMAP INBOX
// (pop_more_than_inbox), and the two rows overlap.
func popPlan() *plan.Plan {
	env := outlookEnvelope()
	sizes := func(n int64) []plan.SizeBucket {
		b := plan.NewSizeBuckets()
		b[1].Items, b[1].Bytes = n, n<<16 // 64 KB each
		return b
	}
	years := func(n int64) []plan.YearCount {
		return []plan.YearCount{{Year: 2019, Count: plan.Count{Items: 20, Bytes: 20 << 16}}, {Year: 2025, Count: plan.Count{Items: n - 20, Bytes: (n - 20) << 16}}}
	}
	folder := func(path, target string, n int64) plan.Folder {
		return plan.Folder{Path: path, Kind: "message", Target: target, Items: n, Bytes: n << 16, ToMigrate: plan.Count{Items: n, Bytes: n << 16}}
	}
	p := &plan.Plan{
		Format: plan.Format, Version: plan.Version, Tool: "migrate v1.0.0", CreatedAt: day0.Add(-time.Hour), Client: "Contoso Ltd",
		Settings: plan.Settings{MaxMessageSize: 35 << 20, Concurrency: 2, PerMailbox: 4},
		Mailboxes: []plan.Mailbox{
			{
				Address: "pop-dave@contoso.com", Target: "dave@contoso.onmicrosoft.com", Protocol: "pop3", Server: "mail.contoso.com:995", Security: "tls",
				KeyScheme: "uidl", Items: 150, Bytes: 150 << 16, ToMigrate: plan.Count{Items: 150, Bytes: 150 << 16}, Sizes: sizes(150), Years: years(150),
				Oldest: date("2019-03-03"), Newest: date("2026-02-28"), HeadersRead: 150,
				Folders: []plan.Folder{folder("INBOX", "Inbox", 150)},
				POPView: &plan.POPView{IMAP: "dave@contoso.com", Line: 3, Server: "mail.contoso.com:993", Security: "tls",
					Compared: 150, Unkeyed: 2, InInbox: 28, NotInInbox: plan.Count{Items: 120, Bytes: 120 << 16}},
				TargetCheck: plan.TargetCheck{Checked: true, Exists: true, Reachable: true, CanRead: true, Items: -1, Bytes: -1, QuotaBytes: -1, UsedBytes: -1},
				Estimate:    plan.MailboxEstimate{Seconds: 120, Bottleneck: env.UploadBottleneck()},
			},
			{
				Address: "dave@contoso.com", Target: "dave@contoso.onmicrosoft.com", Protocol: "imap", Server: "mail.contoso.com:993", Security: "tls",
				Items: 148, Bytes: 148 << 16, ToMigrate: plan.Count{Items: 148, Bytes: 148 << 16}, Sizes: sizes(148), Years: years(148),
				Oldest: date("2019-03-03"), Newest: date("2026-02-28"), HeadersRead: 148,
				Folders:     []plan.Folder{folder("INBOX", "Inbox", 30), folder("Archive", "Archive", 118)},
				TargetCheck: plan.TargetCheck{Checked: true, Exists: true, Reachable: true, CanRead: true, Items: -1, Bytes: -1, QuotaBytes: -1, UsedBytes: -1},
				Estimate:    plan.MailboxEstimate{Seconds: 118, Bottleneck: env.UploadBottleneck()},
			},
		},
		Overlaps: []plan.Overlap{{Target: "dave@contoso.onmicrosoft.com", POP: "pop-dave@contoso.com", IMAP: "dave@contoso.com", Compared: 150, Unkeyed: 2, Both: plan.Count{Items: 148, Bytes: 148 << 16}}},
		Estimate: plan.Estimate{Seconds: 120, Mailboxes: 2, Bottleneck: env.UploadBottleneck(), Envelope: env},
		Risks: []plan.Risk{
			{Severity: plan.SevWarning, Code: "pop_more_than_inbox", Mailbox: "pop-dave@contoso.com", Message: "The POP view shows 120 messages (7.5 MB) that are not in the IMAP INBOX of the IMAP row dave@contoso.com: the server's POP view includes other folders (Dovecot's pop3_migration_all_mailboxes, or a virtual all-mail INBOX), and this row would put them all into one folder. Migrate the account with that IMAP row (line 3 of the CSV) instead, and remove this POP row. IMAP keeps the folders."},
			{Severity: plan.SevInfo, Code: "pop_imap_overlap", Mailbox: "pop-dave@contoso.com", Message: "148 of the 150 POP messages of pop-dave@contoso.com (9.2 MB) are also in the IMAP row dave@contoso.com, both for dave@contoso.onmicrosoft.com (matched by size, Date and Message-ID): each is migrated once."},
		},
	}
	p.SumTotals()
	return p
}
