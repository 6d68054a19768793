package migrate

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/migrate-tool/migrate/migrate/logcheck"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/migrate/mapping"
	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/sourcetest"
	"github.com/migrate-tool/migrate/source/specialuse"
	"github.com/migrate-tool/migrate/target"
	"github.com/migrate-tool/migrate/target/targettest"
)

func TestPlan(t *testing.T) {
	d := seedMemory(t)
	ctx := context.Background()
	mailboxes := d.mailboxes()
	settings := config.Defaults()
	settings.Client = "Contoso"
	rules, err := mapping.NewRules(settings.Folders, nil)
	if err != nil {
		t.Fatal(err)
	}
	mem := targettest.NewMemory()
	mem.Quota = target.Quota{Known: true, Total: 1 << 20, Used: 0}
	open := func(ctx context.Context, addr string) (target.Mailbox, error) {
		if addr == mailboxes[len(mailboxes)-1].EmailAddress {
			return nil, target.ErrNotFound
		}
		return mem.Open(ctx, addr)
	}
	var secrets []string
	for _, m := range mailboxes {
		secrets = append(secrets, m.Password.Value())
	}
	log, _ := logcheck.New(t)
	planner := &Planner{Env: Env{Sources: d.open, Rules: rules, Log: log,
		Items: mapping.NewItemOptions(settings.Filters, settings.Target, settings.Keywords), Target: open, Secrets: secrets,
		Now: func() time.Time { return time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC) }}, Settings: settings, Tool: "migrate test",
		// A target that allows 1 MB per minute: the upload side is the
		// bottleneck of every mailbox with mail to migrate.
		Envelope: target.Envelope{Requests: 1000, RequestWindow: time.Minute, UploadBytes: 1 << 20, UploadWindow: time.Minute, Concurrent: 2, Share: 0.9, RequestBurst: 10, UploadBurst: 1 << 10}}
	pl, err := planner.Plan(ctx, mailboxes)
	if err != nil {
		t.Fatalf("Plan() = %v", err)
	}
	if want := plan.Envelope(planner.Envelope); pl.Estimate.Envelope != want {
		t.Errorf("the plan's envelope is %+v, want the target's %+v", pl.Estimate.Envelope, want)
	}
	if want := "Graph upload envelope (1.0 MB per 1 minute per mailbox)"; pl.Estimate.Bottleneck != want {
		t.Errorf("the plan's bottleneck is %q, want %q", pl.Estimate.Bottleneck, want)
	}
	for i, u := range d.Manifest.Users {
		mb := pl.Mailboxes[i]
		if mb.Error != "" {
			t.Fatalf("mailbox %s: %s", u.Name, mb.Error)
		}
		if got, want := mb.Items, int64(u.MessageCount()); got != want {
			t.Errorf("mailbox %s: %d items, want %d", u.Name, got, want)
		}
		if got, want := mb.ToMigrate.Items, int64(expectedMessages(u)); got != want {
			t.Errorf("mailbox %s: %d to migrate, want %d", u.Name, got, want)
		}
		if mb.Fingerprint == "" || len(mb.Folders) == 0 {
			t.Errorf("mailbox %s: no fingerprint or folders", u.Name)
		}
		var inBuckets, inYears int64
		for _, b := range mb.Sizes {
			inBuckets += b.Items
		}
		for _, y := range mb.Years {
			inYears += y.Items
		}
		if inBuckets != mb.Items || inYears != mb.Items {
			t.Errorf("mailbox %s: %d items in size buckets, %d in years; want %d", u.Name, inBuckets, inYears, mb.Items)
		}
		if mb.HeadersRead == 0 {
			t.Errorf("mailbox %s: no header read", u.Name)
		}
		if mb.Read.Items == 0 || mb.Read.BytesPerSecond <= 0 {
			t.Errorf("mailbox %s: read rate not measured: %+v", u.Name, mb.Read)
		}
		if mb.Estimate.Seconds <= 0 || mb.Estimate.Bottleneck == "" {
			t.Errorf("mailbox %s: no estimate: %+v", u.Name, mb.Estimate)
		}
	}
	alice := pl.Mailboxes[0]
	if len(alice.Largest) == 0 || alice.Largest[0].Size < 5<<20 {
		t.Errorf("alice's largest item is %+v, want the 5 MB one first", alice.Largest)
	} else if alice.Largest[0].Subject == "" {
		t.Errorf("alice's largest item %+v has no subject, want the one its header gives", alice.Largest[0])
	}
	if !alice.TargetCheck.Inspected || !alice.TargetCheck.CanRead || alice.TargetCheck.QuotaBytes != 1<<20 {
		t.Errorf("alice's target check = %+v", alice.TargetCheck)
	}
	codes := map[string][]string{}
	for _, r := range pl.Risks {
		codes[r.Code] = append(codes[r.Code], r.Mailbox)
	}
	last := mailboxes[len(mailboxes)-1].EmailAddress
	if !slices.Contains(codes["target_missing"], last) {
		t.Errorf("risks %v lack target_missing for %s", codes, last)
	}
	if !slices.Contains(codes["over_quota"], alice.Address) {
		t.Errorf("risks %v lack over_quota for %s (1 MB quota)", codes, alice.Address)
	}
	if len(codes["folder_renamed"]) == 0 {
		t.Errorf("risks %v name no renamed folder (the corpus has clashing names)", codes)
	}
	if pl.Risks[0].Severity != plan.SevError {
		t.Errorf("first risk %+v is not an error", pl.Risks[0])
	}

	// The plan file holds no secret.
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := plan.Write(path, pl); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if strings.Contains(string(data), s) {
			t.Errorf("plan file contains the secret %q", s)
		}
	}
	back, err := plan.Read(path)
	if err != nil {
		t.Fatalf("plan.Read() = %v", err)
	}
	if back.InventoryFingerprint != pl.InventoryFingerprint || len(back.Mailboxes) != len(pl.Mailboxes) {
		t.Errorf("plan did not round-trip")
	}

	// Listed again, nothing changed: the plan is current.
	now := plan.Now{ConfigFingerprint: settings.Fingerprint()}
	for _, m := range mailboxes {
		now.Mailboxes = append(now.Mailboxes, PlanRow(m))
	}
	if now.Inventory, err = planner.Relist(ctx, mailboxes); err != nil {
		t.Fatal(err)
	}
	if probs := plan.Problems(pl, now); len(probs) != 0 {
		t.Errorf("Problems() of an unchanged source = %q", probs)
	}

	// New mail makes it stale, naming the folder.
	u := d.Manifest.Users[1]
	msg := "From: x@example.test\r\nSubject: new\r\nMessage-ID: <new@example.test>\r\n\r\nnew mail\r\n"
	d.user(u.Name).Add("INBOX", []byte(msg), time.Now())
	if now.Inventory, err = planner.Relist(ctx, mailboxes); err != nil {
		t.Fatal(err)
	}
	probs := plan.Problems(pl, now)
	if len(probs) != 1 || !strings.Contains(probs[0], u.Name) || !strings.Contains(probs[0], "folder INBOX") {
		t.Errorf("Problems() after new mail = %q, want one naming %s and folder INBOX", probs, u.Name)
	}
	now.ConfigFingerprint = "other"
	now.State.Runs = 1
	if probs := plan.Problems(pl, now); len(probs) != 3 {
		t.Errorf("Problems() with another config and a run since = %q, want 3", probs)
	}
}

// guessingAccount is a source whose Folders guesses the roles no folder
// announces, as the IMAP adapter does.
type guessingAccount struct{ source.Account }

func (a guessingAccount) Folders(ctx context.Context) ([]source.Folder, error) {
	fs, err := a.Account.Folders(ctx)
	specialuse.GuessMissing(fs)
	return fs, err
}

// TestPlanKeywordsAndGuessedRoles: the plan counts the items that lose
// keywords and names the keywords (and what keywords.keep_dollar would
// keep), and shows a role guessed from a folder's name.
func TestPlanKeywordsAndGuessedRoles(t *testing.T) {
	ctx := context.Background()
	date := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	src := sourcetest.NewMemory()
	src.AddFolder("Sent", source.Sent, "")
	src.AddFolder("Archive", "", "")
	src.Add("INBOX", []byte("Subject: a\r\n\r\na\r\n"), date, `\Seen`, "$MDNSent", "Work")
	src.Add("INBOX", []byte("Subject: b\r\n\r\nb\r\n"), date, "$Custom", "$MDNSent")
	src.Add("INBOX", []byte("Subject: c\r\n\r\nc\r\n"), date, "$Custom", `\Deleted`) // skipped: not counted
	src.Add("Archive", []byte("Subject: d\r\n\r\nd\r\n"), date, `\Seen`)
	open := func(ctx context.Context, m config.Mailbox, log *slog.Logger) (source.Account, error) {
		a, err := src.Open(ctx)
		return guessingAccount{a}, err
	}
	mb := config.Mailbox{EmailAddress: "kw@example.test", UserName: "kw", Protocol: "imap", Host: "memory", Port: 993, Security: "tls"}
	tests := []struct {
		keepDollar bool
		wantItems  int64
		wantCounts []plan.KeywordCount
		wantHint   bool
	}{
		{keepDollar: false, wantItems: 2, wantCounts: []plan.KeywordCount{{Keyword: "$MDNSent", Items: 2}, {Keyword: "$Custom", Items: 1}}, wantHint: true},
		{keepDollar: true, wantItems: 2, wantCounts: []plan.KeywordCount{{Keyword: "$MDNSent", Items: 2}}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("keep_dollar=%v", tt.keepDollar), func(t *testing.T) {
			settings := config.Defaults()
			settings.Keywords.KeepDollar = tt.keepDollar
			planner := &Planner{Env: Env{Sources: open, Items: mapping.NewItemOptions(settings.Filters, settings.Target, settings.Keywords),
				Now: func() time.Time { return date }}, Settings: settings, Tool: "migrate test"}
			pl, err := planner.Plan(ctx, []config.Mailbox{mb})
			if err != nil {
				t.Fatalf("Plan() = %v", err)
			}
			m := pl.Mailboxes[0]
			if m.Error != "" {
				t.Fatalf("mailbox error: %s", m.Error)
			}
			if m.KeywordsDropped != tt.wantItems || pl.Totals.KeywordsDropped != tt.wantItems {
				t.Errorf("KeywordsDropped = %d, totals %d; want %d", m.KeywordsDropped, pl.Totals.KeywordsDropped, tt.wantItems)
			}
			if diff := cmp.Diff(tt.wantCounts, m.DroppedKeywords); diff != "" {
				t.Errorf("DroppedKeywords mismatch (-want +got):\n%s", diff)
			}
			var kw, renamed string
			for _, r := range pl.Risks {
				switch {
				case r.Code == "keywords_dropped":
					kw = r.Message
				case r.Code == "folder_renamed" && r.Folder == "Archive":
					renamed = r.Message
				}
			}
			if !strings.Contains(kw, "$MDNSent (2 items)") || strings.Contains(kw, "keep_dollar") != tt.wantHint ||
				(tt.wantHint && !strings.Contains(kw, "keep $Custom as categories")) {
				t.Errorf("keywords_dropped risk = %q", kw)
			}
			if !strings.Contains(renamed, `role \Archive guessed from the name`) {
				t.Errorf("folder_renamed risk of Archive = %q, want the guessed role", renamed)
			}
			for _, f := range m.Folders {
				if f.Path == "Archive" && (f.Target != "Archive" || !f.Guessed || f.Role != string(source.Archive)) {
					t.Errorf("plan folder Archive = %+v, want the guessed \\Archive in Archive", f)
				}
			}
		})
	}
}

// TestPlanPOP3Dates: a POP3 account lists no dates; the plan dates its
// messages from their Received or Date fields (through a HeaderReader, or
// by opening each small item without one), and warns that a POP account
// holding few messages may have its mail on the user's computer.
func TestPlanPOP3Dates(t *testing.T) {
	ctx := context.Background()
	src := sourcetest.NewMemory()
	for _, m := range []string{
		"Received: by mx.example;\r\n Tue, 1 Jul 2025 10:52:37 +0000\r\nDate: Mon, 30 Jun 2025 08:00:00 +0000\r\nMessage-ID: <a@x>\r\nSubject: a\r\n\r\nbody\r\n",
		"Date: Sun, 3 Mar 2019 08:00:00 +0000\r\nMessage-ID: <b@x>\r\nSubject: b\r\n\r\nbody\r\n",
		"Message-ID: <c@x>\r\nSubject: c\r\n\r\nundated\r\n",
	} {
		src.Add("INBOX", []byte(m), time.Time{})
	}
	mb := config.Mailbox{EmailAddress: "pop@example.test", UserName: "pop", Protocol: "pop3", Host: "memory", Port: 995, Security: "tls"}
	for _, bulk := range []bool{true, false} {
		t.Run(fmt.Sprintf("HeaderReader=%v", bulk), func(t *testing.T) {
			open := func(ctx context.Context, m config.Mailbox, log *slog.Logger) (source.Account, error) {
				a, err := src.Open(ctx)
				if err != nil || bulk {
					return a, err
				}
				return fallbackKeyed{a}, nil // no HeaderReader; keys without UIDL
			}
			settings := config.Defaults()
			planner := &Planner{Env: Env{Sources: open, Items: mapping.NewItemOptions(settings.Filters, settings.Target, settings.Keywords)},
				Settings: settings, Tool: "migrate test"}
			pl, err := planner.Plan(ctx, []config.Mailbox{mb})
			if err != nil {
				t.Fatalf("Plan() = %v", err)
			}
			m := pl.Mailboxes[0]
			if m.Error != "" {
				t.Fatalf("mailbox error: %s", m.Error)
			}
			wantOld, wantNew := time.Date(2019, 3, 3, 8, 0, 0, 0, time.UTC), time.Date(2025, 7, 1, 10, 52, 37, 0, time.UTC)
			if !m.Oldest.Equal(wantOld) || !m.Newest.Equal(wantNew) || !m.Folders[0].Oldest.Equal(wantOld) || !m.Folders[0].Newest.Equal(wantNew) {
				t.Errorf("oldest %v newest %v (folder %v %v); want %v %v", m.Oldest, m.Newest, m.Folders[0].Oldest, m.Folders[0].Newest, wantOld, wantNew)
			}
			var years []string
			for _, y := range m.Years {
				years = append(years, fmt.Sprintf("%d:%d", y.Year, y.Items))
			}
			if diff := cmp.Diff([]string{"0:1", "2019:1", "2025:1"}, years); diff != "" {
				t.Errorf("years (year:items) mismatch (-want +got):\n%s", diff)
			}
			var few string
			for _, r := range pl.Risks {
				if r.Code == "pop_few" {
					few = r.Message
				}
			}
			if !strings.Contains(few, "only 3 messages") || !strings.Contains(few, "not yet") {
				t.Errorf("pop_few risk = %q", few)
			}
			noUIDL := slices.ContainsFunc(pl.Risks, func(r plan.Risk) bool { return r.Code == "pop_no_uidl" })
			if wantScheme := map[bool]string{true: "", false: "size+date+message-id"}[bulk]; m.KeyScheme != wantScheme || noUIDL != (wantScheme != "") {
				t.Errorf("key scheme %q, pop_no_uidl risk %v; want %q", m.KeyScheme, noUIDL, wantScheme)
			}
		})
	}
}

// fallbackKeyed is a source account without a HeaderReader whose keys are
// POP3 fallback keys (source/pop3's Account.KeyScheme).
type fallbackKeyed struct{ source.Account }

func (fallbackKeyed) KeyScheme(context.Context) (string, error) { return "size+date+message-id", nil }

// TestPlanQuota checks the target quota in the plan: the over_quota risk
// counts what the mailbox already uses, and an unknown quota carries the
// target's reason into the plan.
func TestPlanQuota(t *testing.T) {
	tests := []struct {
		name        string
		quota       target.Quota
		wantRisk    string // code expected for alice; "" = neither over_quota nor quota_unknown
		wantUnknown string
	}{
		{name: "fits", quota: target.Quota{Known: true, Total: 50 << 30, Used: 1 << 30}},
		{name: "over quota with what the mailbox holds", quota: target.Quota{Known: true, Total: 50 << 30, Used: 50<<30 - 1<<10}, wantRisk: "over_quota"},
		{name: "unknown with the target's reason", quota: target.Quota{Unknown: "the app lacks Reports.Read.All"},
			wantRisk: "quota_unknown", wantUnknown: "the app lacks Reports.Read.All"},
		{name: "unknown without a reason", quota: target.Quota{}, wantRisk: "quota_unknown", wantUnknown: "the target does not report quotas"},
	}
	d := seedMemory(t)
	mailboxes := d.mailboxes()[:1]
	settings := config.Defaults()
	rules, err := mapping.NewRules(settings.Folders, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := targettest.NewMemory()
			mem.Quota = tc.quota
			log, _ := logcheck.New(t)
			planner := &Planner{Env: Env{Sources: d.open, Rules: rules, Log: log,
				Items: mapping.NewItemOptions(settings.Filters, settings.Target, settings.Keywords), Target: mem.Open,
				Now: func() time.Time { return time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC) }}, Settings: settings, Tool: "migrate test",
				Envelope: target.Envelope{Requests: 1000, RequestWindow: time.Minute, UploadBytes: 1 << 20, UploadWindow: time.Minute, Concurrent: 2, Share: 0.9, RequestBurst: 10, UploadBurst: 1 << 10}}
			pl, err := planner.Plan(context.Background(), mailboxes)
			if err != nil {
				t.Fatalf("Plan() = %v", err)
			}
			alice := pl.Mailboxes[0]
			tcheck := alice.TargetCheck
			if tcheck.QuotaUnknown != tc.wantUnknown {
				t.Errorf("quota_unknown = %q, want %q", tcheck.QuotaUnknown, tc.wantUnknown)
			}
			if tc.quota.Known && (tcheck.QuotaBytes != tc.quota.Total || tcheck.UsedBytes != tc.quota.Used) {
				t.Errorf("target check quota %d used %d, want %+v", tcheck.QuotaBytes, tcheck.UsedBytes, tc.quota)
			}
			var got []string
			for _, r := range pl.Risks {
				if r.Mailbox == alice.Address && (r.Code == "over_quota" || r.Code == "quota_unknown") {
					got = append(got, r.Code)
					if r.Code == "quota_unknown" && !strings.Contains(r.Message, tc.wantUnknown) {
						t.Errorf("risk %q does not give the reason %q", r.Message, tc.wantUnknown)
					}
				}
			}
			var want []string
			if tc.wantRisk != "" {
				want = []string{tc.wantRisk}
			}
			if !slices.Equal(got, want) {
				t.Errorf("quota risks = %v, want %v", got, want)
			}
		})
	}
}

// unreadableAccount is a local store whose folders report the files
// they could not read (source.Folder.Unreadable), by folder name.
type unreadableAccount struct {
	source.Account
	files map[string][]string
}

func (a unreadableAccount) Folders(ctx context.Context) ([]source.Folder, error) {
	fs, err := a.Account.Folders(ctx)
	for i := range fs {
		fs[i].Unreadable = a.files[fs[i].Name]
	}
	return fs, err
}

// TestPlanUnreadableFiles: the files a local store could not read are in
// their plan folder and one warning per folder names them, the first
// five and how many more.
func TestPlanUnreadableFiles(t *testing.T) {
	ctx := context.Background()
	date := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	src := sourcetest.NewMemory()
	src.AddFolder("Archive", "", "")
	src.Add("INBOX", []byte("Subject: a\r\n\r\na\r\n"), date, `\Seen`)
	var many []string
	for i := range 7 {
		many = append(many, fmt.Sprintf("cur/%d: not a message: the file is empty", i))
	}
	files := map[string][]string{"INBOX": {"Inbox/note.eml: not a message: it does not begin with a header field"}, "Archive": many}
	open := func(ctx context.Context, m config.Mailbox, log *slog.Logger) (source.Account, error) {
		a, err := src.Open(ctx)
		return unreadableAccount{a, files}, err
	}
	settings := config.Defaults()
	planner := &Planner{Env: Env{Sources: open, Items: mapping.NewItemOptions(settings.Filters, settings.Target, settings.Keywords),
		Now: func() time.Time { return date }}, Settings: settings, Tool: "migrate test"}
	mb := config.Mailbox{EmailAddress: "store@example.test", Protocol: "maildir", SourcePaths: []string{"/stores/x"}}
	pl, err := planner.Plan(ctx, []config.Mailbox{mb})
	if err != nil {
		t.Fatalf("Plan() = %v", err)
	}
	if e := pl.Mailboxes[0].Error; e != "" {
		t.Fatalf("mailbox error: %s", e)
	}
	for _, f := range pl.Mailboxes[0].Folders {
		if diff := cmp.Diff(files[f.Path], f.Unreadable); diff != "" {
			t.Errorf("plan folder %s: Unreadable (-want +got):\n%s", f.Path, diff)
		}
	}
	risks := map[string]string{}
	for _, r := range pl.Risks {
		if r.Code == "unreadable_files" {
			if r.Severity != plan.SevWarning || r.Mailbox != mb.EmailAddress {
				t.Errorf("risk %+v: want a warning of %s", r, mb.EmailAddress)
			}
			risks[r.Folder] = r.Message
		}
	}
	want := map[string]string{
		"INBOX": "Folder INBOX holds data that cannot be read as mail and will not be migrated (1 file): Inbox/note.eml: not a message: it does not begin with a header field. Check it at the source: make the files readable, or remove what is not mail.",
		"Archive": "Folder Archive holds data that cannot be read as mail and will not be migrated (7 files): " + strings.Join(many[:5], "; ") +
			"; and 2 more (listed in the plan file). Check it at the source: make the files readable, or remove what is not mail.",
	}
	if diff := cmp.Diff(want, risks); diff != "" {
		t.Errorf("unreadable_files risks (-want +got):\n%s", diff)
	}
}
