package report

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/migrate/state"
)

// badCount finds a count of one with a plural noun or verb, as in
// "1 mailboxes", "1 runs", "1 problem need attention".
var badCount = regexp.MustCompile(`(?:^|[^0-9.,])1 (?:mailboxes|folders|items|runs|problems|points|errors|contacts|events|calendar items|calendar events|changed occurrences|single events|headers|source items)\b|(?:^|[^0-9.,])1 (?:problem|point|mailbox|item|folder) (?:need|are|hold|share|get)\b`)

// singlePlan is a plan of one mailbox with one of everything: one folder,
// one item, one contact, one event, one warning, one mailbox at once.
func singlePlan() *plan.Plan {
	p := &plan.Plan{
		Format: plan.Format, Version: plan.Version, Tool: "migrate v1.0.0", CreatedAt: day0.Add(-time.Hour), Client: "Contoso Ltd",
		Settings: plan.Settings{MaxMessageSize: 35 << 20, Concurrency: 1, PerMailbox: 1},
		Mailboxes: []plan.Mailbox{{
			Address: "erin@contoso.com", Target: "erin@contoso.onmicrosoft.com", Protocol: "imap", Server: "mail.contoso.com:993", Security: "tls",
			Items: 1, Bytes: 4 << 20, Oldest: date("2025-01-02"), Newest: date("2025-01-02"), ToMigrate: plan.Count{Items: 1, Bytes: 4 << 20},
			Contacts: 1, Events: 1, HeadersRead: 1, DuplicateItems: 1, Sizes: plan.NewSizeBuckets(),
			KeywordsDropped: 1, DroppedKeywords: []plan.KeywordCount{{Keyword: "$MDNSent", Items: 1}},
			Largest: []plan.Item{{Folder: "INBOX", Key: "1700000000.42", Size: 4 << 20, Date: date("2025-01-02"), Subject: "Budget 2025 for erin@contoso.com"}},
			Folders: []plan.Folder{{Path: "INBOX", Kind: "message", Target: "Inbox", Items: 1, Bytes: 4 << 20, ToMigrate: plan.Count{Items: 1, Bytes: 4 << 20}}},
			TargetCheck: plan.TargetCheck{Checked: true, Exists: true, Reachable: true, Inspected: true, Items: 1, Stamped: 1,
				Folders: []plan.TargetFolder{{Path: "Inbox", Items: 1}}},
			Read:     plan.Rate{Items: 1, Bytes: 4 << 20, Seconds: 1, BytesPerSecond: 4 << 20},
			Estimate: plan.MailboxEstimate{Seconds: 60, Bottleneck: outlookEnvelope().UploadBottleneck()},
		}},
		Estimate: plan.Estimate{Seconds: 60, Mailboxes: 1, Bottleneck: outlookEnvelope().UploadBottleneck(), Envelope: outlookEnvelope()},
		Risks:    []plan.Risk{{Severity: plan.SevWarning, Code: "plaintext_source", Mailbox: "erin@contoso.com", Message: "A warning."}},
	}
	p.SumTotals()
	return p
}

// pimPlan is singlePlan with one of everything of contacts and events:
// a calendar whose one event is a series with one moved occurrence, one
// series expanded into one event, one object that does not parse.
func pimPlan() *plan.Plan {
	p := singlePlan()
	m := &p.Mailboxes[0]
	c := plan.PIM{Contacts: 1, Events: 1, Series: 1, Moved: 1, Expanded: 1, ExpandedEvents: 1, Unparsable: 1}
	m.PIM = &c
	m.PIMFields = []plan.FieldCount{{Kind: "contact", Property: "EMAIL", Action: "notes", Items: 1}}
	m.Folders = append(m.Folders, plan.Folder{Path: "event:Work", Kind: "event", Target: "Calendar/Work", Items: 1, Bytes: 1 << 10, PIM: &c})
	m.Largest = append(m.Largest, plan.Item{Folder: "event:Work", Key: "uid:work-1", Size: 1 << 10, Date: date("2025-01-02")},
		plan.Item{Folder: "contact:Contacts", Key: "uid:ann", Size: 1 << 9})
	p.SumTotals()
	return p
}

// singleState is a state of one migrated mailbox after one run, in a
// directory of its own, and its verification: one item doubled, one
// error. It returns the input and the directory.
func singleState(t *testing.T) (*MigrationInput, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := state.Open(ctx, filepath.Join(dir, "contoso-state.db"), &state.Options{Now: func() time.Time { return day0 }})
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
	id, err := st.StartRun(ctx, state.Run{StartedAt: day0.Add(-time.Hour), Command: "run", Host: "h", PID: 1})
	must(err)
	must(st.EndRun(ctx, id, "", day0.Add(-30*time.Minute)))
	must(st.PutMailbox(ctx, state.Mailbox{ID: "erin@contoso.com", SourceAddress: "erin@contoso.com", TargetAddress: "erin@contoso.onmicrosoft.com", Status: state.StatusMigrated, UpdatedAt: day0}))
	must(st.PutFolder(ctx, state.Folder{Mailbox: "erin@contoso.com", SourcePath: "INBOX", TargetPath: "inbox", TargetID: "E1", Validity: "1", UpdatedAt: day0}))
	must(st.PutItem(ctx, state.Item{Mailbox: "erin@contoso.com", Folder: "INBOX", SourceKey: "1.1", Kind: state.KindMessage, Status: state.StatusMigrated,
		Bytes: 100, TargetID: "T", Fingerprint: "sha256:x", UpdatedAt: day0.Add(-40 * time.Minute), FirstSeen: day0.Add(-time.Hour),
		DroppedKeywords: []string{"$MDNSent"}}))
	in, err := LoadMigration(ctx, st)
	must(err)
	in.Verification = &plan.Verification{Format: plan.VerifyFormat, Version: plan.VerifyVersion, CreatedAt: day0, Mailboxes: []plan.VerifyMailbox{{
		Address: "erin@contoso.com", VerifyCounts: plan.VerifyCounts{Expected: 1, Matched: 1, Doubled: 1, Errors: 1},
		Problems: []plan.Problem{{Kind: plan.ProblemDoubled, Folder: "INBOX", Key: "1.1", Detail: "twice in Inbox"}},
	}}}
	in.Verification.Sum()
	return in, dir
}

// render renders d in every text format.
func render(t *testing.T, d *Document) map[Format]string {
	t.Helper()
	out := map[Format]string{}
	for _, f := range []Format{FormatMarkdown, FormatHTML, FormatJSON} {
		var b bytes.Buffer
		if err := Render(&b, d, f); err != nil {
			t.Fatalf("Render(%s) = %v", f, err)
		}
		out[f] = b.String()
	}
	return out
}

// TestWording checks what a client reads when every count is one, a
// migrated mailbox failed its verification and the largest item has a
// subject: nouns and verbs agree with their counts, the mailbox is not
// shown as migrated, no local path appears and the largest item is listed
// by date and subject (masked with the addresses).
func TestWording(t *testing.T) {
	in, dir := singleState(t)
	opts := &Options{Now: day0, Tool: "migrate v1.0.0"}
	masked := &Options{Now: day0, Tool: "migrate v1.0.0", Mask: true}
	for _, tt := range []struct {
		name string
		doc  *Document
		// want are in every text format; md and html in those only;
		// notHTML are not in the HTML.
		want, md, html, notHTML []string
	}{
		{
			name: "assessment", doc: Assessment(singlePlan(), opts),
			want: []string{"1 mailbox, 1 item (4.0 MB), can move to Exchange Online in about 1 min; 1 point needs a decision first.",
				"The source mailbox holds 1 item (4.0 MB) in 1 folder.", "1 contact and 1 calendar item.", "with 1 mailbox at once",
				"1 item in 1 folder already; 1 item migrated earlier", "1 item shares a Message-ID (1 header read, 0 not checked)",
				"1 contact, 1 event", "Budget 2025 for erin@contoso.com"},
			md:      []string{"| 2025-01-02 | Budget 2025 for erin@contoso.com | INBOX | 4.0 MB |"},
			html:    []string{"<span>mailbox</span>", "<span>item to migrate (4.0 MB)</span>", "<td>2025-01-02</td><td class=\"k\">Budget 2025 for erin@contoso.com</td>"},
			notHTML: []string{"1700000000.42", "<span>mailboxes</span>"},
		},
		{
			name: "assessment with contacts and events", doc: Assessment(pimPlan(), opts),
			want: []string{"1 contact and 1 calendar event to create, among them 1 recurring series; 1 contact or event cannot be read and will not be migrated.",
				"1 event to create: 1 recurring series with 1 changed occurrence (1 moved, 0 cancelled); 1 series Exchange cannot repeat becomes 1 single event",
				"e-mail addresses kept in the notes (1 contact)", "Work (calendar)", "Calendar/Work", "(a calendar event)"},
			// The event by its start, the contact without a date.
			md:      []string{"| starts 2025-01-02 | (a calendar event) | Work (calendar) | 1.0 KB |", "| — | (a contact) | Contacts (address book) | 512 B |"},
			html:    []string{"<td>starts 2025-01-02</td><td class=\"k\">(a calendar event)</td>", "<td>—</td><td class=\"k\">(a contact)</td>"},
			notHTML: []string{"(no subject)", "event:Work", "date unknown"},
		},
		{
			name: "assessment masked", doc: Assessment(singlePlan(), masked),
			want:    []string{"B***m", "e***n@contoso.com"},
			notHTML: []string{"Budget", "erin@", "1700000000.42"},
		},
		{
			name: "migration", doc: Migration(in, opts),
			want: []string{"Made from the state of the migration (1 run recorded).", "1 item (100 B) from 1 mailbox was migrated; 1 problem needs attention (listed below).",
				"1 item migrated, 0 skipped", "1 run between", "Verification failed: 0 missing, 1 doubled, 0 changed, 1 error.",
				"migrated, but the verification failed (see Verification)"},
			md:      []string{"| erin@contoso.com | verify failed | 1 |"},
			html:    []string{`<span class="badge failed">verify failed</span>`, "<span>item migrated (100 B)</span>"},
			notHTML: []string{"badge migrated"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := render(t, tt.doc)
			for f, s := range out {
				if m := badCount.FindString(s); m != "" {
					t.Errorf("%s: says %q", f, m)
				}
				for _, bad := range []string{dir, "contoso-state.db", "state database", ".json"} {
					if strings.Contains(s, bad) {
						t.Errorf("%s: names a local file (%q)", f, bad)
					}
				}
				for _, w := range tt.want {
					if f == FormatMarkdown {
						w = strings.ReplaceAll(w, "*", `\*`)
					}
					if !strings.Contains(s, w) {
						t.Errorf("%s lacks %q", f, w)
					}
				}
			}
			for _, w := range tt.md {
				if !strings.Contains(out[FormatMarkdown], w) {
					t.Errorf("md lacks %q", w)
				}
			}
			for _, w := range tt.html {
				if !strings.Contains(out[FormatHTML], w) {
					t.Errorf("html lacks %q", w)
				}
			}
			for _, w := range tt.notHTML {
				if strings.Contains(out[FormatHTML], w) {
					t.Errorf("html contains %q", w)
				}
			}
		})
	}
}

// TestWordingPDF reads the PDF's text back with pdftotext: the same
// words as the other formats.
func TestWordingPDF(t *testing.T) {
	bin := requireTool(t, "poppler-utils", "pdftotext")
	in, _ := singleState(t)
	for _, tt := range []struct {
		name      string
		doc       *Document
		want, not []string
	}{
		{"assessment", Assessment(singlePlan(), &Options{Now: day0}), []string{"Budget 2025", "2025-01-02", "    mailbox    ", "item to migrate (4.0 MB)"}, []string{"1700000000.42", "    mailboxes    "}},
		{"migration", Migration(in, &Options{Now: day0}), []string{"VERIFY FAILED", "1 run recorded"}, []string{"MIGRATED"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WritePDF(&b, tt.doc); err != nil {
				t.Fatal(err)
			}
			cmd := exec.CommandContext(t.Context(), bin, "-layout", "-", "-")
			cmd.Stdin = &b
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("pdftotext: %v", err)
			}
			text := string(out)
			if m := badCount.FindString(text); m != "" {
				t.Errorf("PDF says %q", m)
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("PDF lacks %q", w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(text, w) {
					t.Errorf("PDF contains %q", w)
				}
			}
		})
	}
}
