package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/source/testserver"
	"github.com/migrate-tool/migrate/target/graph"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// stampedItem finds an item of the emulator's mailbox stamped with a
// source key and returns its id, key and folder path.
func stampedItem(t *testing.T, ep *graphemu.Endpoint, upn, folder string) (id, key string) {
	t.Helper()
	dump := ep.Emulator.DumpMailbox(nil, upn)
	if dump == nil {
		t.Fatalf("no mailbox %s in the emulator", upn)
	}
	for _, f := range dump.Folders {
		if !strings.EqualFold(f.Path, folder) {
			continue
		}
		for _, it := range f.Items {
			for _, p := range it.Ext {
				if strings.EqualFold(p.ID, graph.StampPropertyID) && p.Value != "" {
					key, _ := graph.ParseStamp(p.Value)
					return it.ID, key
				}
			}
		}
	}
	t.Fatalf("no stamped item in %s folder %s", upn, folder)
	return "", ""
}

// TestPlanRunVerify is the end-to-end path against the seeded
// Dovecot and the emulator: migrate plan, migrate run --plan, migrate
// verify (exit 0), a stale plan refused, then an item deleted from the
// target makes verify fail with exit 1 naming the item.
func TestPlanRunVerify(t *testing.T) {
	d := startDovecot(t)
	ep := startEmulator(t, d, graphemu.Options{})
	p := writeProject(t, d, ep)
	planFile := filepath.Join(p.dir, "plan.json")
	cli := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, append(args, "--config", p.config)...)
	}

	code, stdout, stderr := cli("plan", "--out", planFile)
	if code != exitOK {
		t.Fatalf("migrate plan: exit %d\n%s\n%s", code, stdout, stderr)
	}
	saved, err := plan.Read(planFile)
	if err != nil {
		t.Fatal(err)
	}
	// Items that lose keywords, per README's mapping table.
	lose := map[string]int64{}
	var loseTotal int64
	for _, e := range expectations(t, d, nil) {
		if !e.deleted() && len(wantDropped(e.msg.Flags)) > 0 {
			lose[e.user]++
			loseTotal++
		}
	}
	if loseTotal == 0 {
		t.Fatal("the corpus has no message that loses a keyword")
	}
	for _, m := range saved.Mailboxes {
		if m.Error != "" || !m.TargetCheck.CanRead {
			t.Errorf("plan of %s: error %q, target check %+v", m.Address, m.Error, m.TargetCheck)
		}
		// The emulator's app has no Reports.Read.All by default.
		if m.TargetCheck.QuotaBytes > 0 || !strings.Contains(m.TargetCheck.QuotaUnknown, "Reports.Read.All") {
			t.Errorf("plan of %s: quota %d, unknown because %q; want unknown for lack of Reports.Read.All", m.Address, m.TargetCheck.QuotaBytes, m.TargetCheck.QuotaUnknown)
		}
		if m.KeywordsDropped != lose[m.Address] || (m.KeywordsDropped > 0) != (len(m.DroppedKeywords) > 0) {
			t.Errorf("plan of %s: %d items lose keywords (%+v), want %d", m.Address, m.KeywordsDropped, m.DroppedKeywords, lose[m.Address])
		}
	}
	if !strings.Contains(stdout, "keywords that Exchange Online has no place for") {
		t.Errorf("plan summary names no dropped keywords:\n%s", stdout)
	}
	if !strings.Contains(stdout, "Plan written to") || !strings.Contains(stdout, "Estimated duration") {
		t.Errorf("plan summary:\n%s", stdout)
	}
	data, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	checkNoSecrets(t, planFile, data, d)
	checkNoSecrets(t, "the output of migrate plan", []byte(stdout+stderr), d)

	code, stdout, stderr = cli("run", "--plan", planFile, "--progress", "none")
	if code != exitOK {
		t.Fatalf("migrate run --plan: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "Applying plan") {
		t.Errorf("run --plan output lacks the plan line:\n%s", stdout)
	}

	// Applied once: the plan is stale now.
	code, _, stderr = cli("run", "--plan", planFile, "--progress", "none")
	if code != exitUsage || !strings.Contains(stderr, "saved plan is stale") || !strings.Contains(stderr, "applied once") {
		t.Errorf("second run --plan: exit %d, stderr %q; want exit %d and a stale-plan message", code, stderr, exitUsage)
	}

	verifyFile := filepath.Join(p.dir, "verify.json")
	code, stdout, stderr = cli("verify", "--out", verifyFile)
	if code != exitOK {
		t.Fatalf("migrate verify: exit %d\n%s\n%s", code, stdout, stderr)
	}
	v, err := plan.ReadVerification(verifyFile)
	if err != nil || !v.OK || v.Totals.Expected != saved.Totals.ToMigrate.Items {
		t.Fatalf("verification %+v, %v; want ok with %d expected", v, err, saved.Totals.ToMigrate.Items)
	}

	// Reports from the plan, the state and the verification, in every
	// format; none holds a secret.
	for _, kind := range []string{"assessment", "migration"} {
		for _, format := range reportFormats() {
			out := filepath.Join(p.dir, kind+"."+format)
			code, stdout, stderr := cli("report", "--kind", kind, "--format", format, "--plan", planFile, "--verify", verifyFile, "--out", out)
			if code != exitOK {
				t.Fatalf("migrate report --kind %s --format %s: exit %d\n%s\n%s", kind, format, code, stdout, stderr)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			checkNoSecrets(t, out, data, d)
		}
	}
	var doc struct {
		Summary struct {
			Outcome         string `json:"outcome"`
			Verification    string `json:"verification"`
			KeywordsDropped int64  `json:"keywords_dropped"`
		} `json:"summary"`
	}
	data, err = os.ReadFile(filepath.Join(p.dir, "migration.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &doc); err != nil || doc.Summary.Outcome != "complete" || doc.Summary.Verification != "passed" ||
		doc.Summary.KeywordsDropped != loseTotal {
		t.Errorf("migration.json summary = %+v, %v; want complete and passed, %d items that lost keywords", doc.Summary, err, loseTotal)
	}

	// An item deleted from the target: verify fails and names it.
	user := d.Users[0].Name
	id, key := stampedItem(t, ep, user, "Inbox")
	graphDelete(t, ep, "/users/"+url.PathEscape(user)+"/messages/"+url.PathEscape(id))
	code, stdout, stderr = cli("verify")
	want := fmt.Sprintf("missing: mailbox %s, folder INBOX, item %s:", user, key)
	if code != exitItemsFailed || !strings.Contains(stdout, want) {
		t.Errorf("verify after a deletion: exit %d, want %d and a line %q\n%s\n%s", code, exitItemsFailed, want, stdout, stderr)
	}
}

// reportFormats are the report formats the end-to-end test writes.
func reportFormats() []string { return []string{"md", "json", "html", "pdf"} }

// checkNoSecrets fails when data holds a source password or the client
// secret.
func checkNoSecrets(t *testing.T, name string, data []byte, d *testserver.Dovecot) {
	t.Helper()
	for _, u := range d.Users {
		if strings.Contains(string(data), u.Password) {
			t.Errorf("%s contains %s's password", name, u.Name)
		}
	}
	if strings.Contains(string(data), e2eSecret) {
		t.Errorf("%s contains the client secret", name)
	}
}

// TestRunPlanStaleSource refuses a plan after new mail arrived, naming the
// mailbox and folder.
func TestRunPlanStaleSource(t *testing.T) {
	d := startDovecot(t)
	ep := startEmulator(t, d, graphemu.Options{})
	p := writeProject(t, d, ep)
	planFile := filepath.Join(p.dir, "plan.json")
	code, stdout, stderr := runCLI(t, "plan", "--no-target", "--mask-addresses", "--out", planFile, "--config", p.config)
	if code != exitOK {
		t.Fatalf("migrate plan: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, u := range d.Users {
		if strings.Contains(stdout, u.Name) {
			t.Errorf("plan --mask-addresses prints %s:\n%s", u.Name, stdout)
		}
	}
	if !strings.Contains(stdout, "target_unchecked") && !strings.Contains(stdout, "target was not checked") {
		t.Errorf("plan --no-target does not say the target was not checked:\n%s", stdout)
	}
	u := d.Users[1]
	appendMail(t, d, u, "INBOX/Receipts")
	code, _, stderr = runCLI(t, "run", "--plan", planFile, "--progress", "none", "--config", p.config)
	want := fmt.Sprintf("mailbox %s: folder INBOX/Receipts holds", u.Name)
	if code != exitUsage || !strings.Contains(stderr, want) {
		t.Errorf("run --plan after new mail: exit %d, stderr %q; want %d and %q", code, stderr, exitUsage, want)
	}
	if dump := ep.Emulator.DumpMailbox(nil, u.Name); dump != nil {
		for _, f := range dump.Folders {
			if len(f.Items) > 0 {
				t.Errorf("a stale plan created items (folder %s)", f.Path)
			}
		}
	}
}

// appendMail appends a small message to a folder of a Dovecot user.
func appendMail(t *testing.T, d *testserver.Dovecot, u testserver.User, folder string) {
	t.Helper()
	c, err := testserver.DialIMAPS(t.Context(), d.IMAPSAddr(), d.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(u.Name, u.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	msg := "From: x@example.test\r\nSubject: new\r\nMessage-ID: <new@example.test>\r\n\r\nnew mail\r\n"
	cmd := c.Append(folder, int64(len(msg)), nil)
	if _, err := cmd.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatalf("APPEND to %s: %v", folder, err)
	}
}

// TestPlanQuotaFromUsageReport plans against an emulator whose app has
// Reports.Read.All and whose first mailbox has a 1 KB quota: the plan
// reads the quota from the mailbox usage report, names the mailbox over
// quota (exit 1, an error-level risk) and the others fit.
func TestPlanQuotaFromUsageReport(t *testing.T) {
	d := startDovecot(t)
	first := d.Users[0].Name
	ep := startEmulator(t, d, graphemu.Options{ReportsReadAll: true,
		Mailboxes: map[string]graphemu.MailboxOptions{first: {Quotas: graphemu.Quotas{ProhibitSendReceive: 1 << 10}}}})
	p := writeProject(t, d, ep)
	planFile := filepath.Join(p.dir, "plan.json")
	code, stdout, stderr := runCLI(t, "plan", "--out", planFile, "--config", p.config)
	if code != exitItemsFailed {
		t.Fatalf("migrate plan: exit %d, want 1 (a mailbox over quota)\n%s\n%s", code, stdout, stderr)
	}
	saved, err := plan.Read(planFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range saved.Mailboxes {
		tc := m.TargetCheck
		want := int64(graphemu.DefaultProhibitSendReceiveQuota)
		if strings.EqualFold(m.Target, first) {
			want = 1 << 10
		}
		if tc.QuotaBytes != want || tc.UsedBytes < 0 || tc.QuotaUnknown != "" {
			t.Errorf("plan of %s: quota %d used %d unknown %q, want quota %d from the usage report", m.Address, tc.QuotaBytes, tc.UsedBytes, tc.QuotaUnknown, want)
		}
	}
	var over []string
	for _, r := range saved.Risks {
		if r.Code == "over_quota" {
			over = append(over, r.Mailbox)
		}
	}
	if len(over) != 1 {
		t.Errorf("over_quota risks for %v, want one, for the mailbox into %s", over, first)
	}
}

// TestPlanVerifyReportUsage checks the usage errors of plan, run --plan,
// verify and report: exit 2 and a message naming the flag or file.
func TestPlanVerifyReportUsage(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"migration.yaml":  "client: Contoso\nsource:\n  host: 127.0.0.1\n",
		"mailboxes.csv":   "EmailAddress,UserName,Password\nalice@contoso.com,alice,pw-alice\n",
		"not-a-plan.json": `{"format":"migrate-verify","version":1}`,
		"future.json":     `{"format":"migrate-plan","version":9,"tool":"migrate v9"}`,
	})
	cfg := filepath.Join(dir, "migration.yaml")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"report format", []string{"report", "--format", "docx"}, `--format "docx"`},
		{"report kind", []string{"report", "--kind", "summary"}, `--kind "summary"`},
		{"report paper", []string{"report", "--format", "pdf", "--paper", "A3"}, `--paper "A3"`},
		{"report without plan", []string{"report", "--kind", "assessment", "--plan", filepath.Join(dir, "none.json")}, "migrate plan --out"},
		{"report without state", []string{"report", "--kind", "migration", "--state", filepath.Join(dir, "none.db")}, "no state database"},
		{"run with a verification as plan", []string{"run", "--plan", filepath.Join(dir, "not-a-plan.json")}, "not a migrate-plan file"},
		{"run with a newer plan", []string{"run", "--plan", filepath.Join(dir, "future.json")}, "version 9, written by migrate v9"},
		{"run --plan with --mailbox", []string{"run", "--plan", filepath.Join(dir, "future.json"), "--mailbox", "alice@contoso.com"}, "make a plan with --mailbox"},
		{"verify without target", []string{"verify"}, "verify:"},
		{"plan header-max", []string{"plan", "--header-max", "lots"}, "--header-max"},
		{"plan unknown mailbox", []string{"plan", "--mailbox", "zed@contoso.com"}, "--mailbox zed@contoso.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, append(tt.args, "--config", cfg)...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("migrate %v: exit %d, stderr %q; want %d and %q", tt.args, code, stderr, exitUsage, tt.want)
			}
		})
	}
}
