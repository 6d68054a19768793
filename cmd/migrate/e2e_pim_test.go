package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/source/testserver"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// pimCorpus is the mail of the contacts and calendars end-to-end test:
// one account with one message, so that the test is about the rest.
var pimCorpus = map[string]string{
	"accounts.yaml": `users:
  - name: pim@example.test
    password: pim-test-only-pw
    folders:
      - name: INBOX
        messages:
          - {file: m/1.eml, date: 2025-01-02T03:04:05Z}
`,
	"m/1.eml": "From: a@example.test\r\nTo: pim@example.test\r\nSubject: mail beside the calendars\r\nDate: Thu, 2 Jan 2025 03:04:05 +0000\r\nMessage-ID: <pim-1@example.test>\r\n\r\nhello\r\n",
}

// startPIMSources starts Dovecot with pimCorpus and Radicale with its
// seed, or skips where they are not installed (fails under CI=true).
func startPIMSources(t *testing.T) (*testserver.Dovecot, *testserver.Radicale) {
	t.Helper()
	seed := t.TempDir()
	for name, content := range pimCorpus {
		p := filepath.Join(seed, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	d := testserver.DovecotForTest(t, &testserver.DovecotOptions{SeedDir: seed})
	r := testserver.RadicaleForTest(t, nil)
	return d, r
}

// writePIMProject writes a project migrating pim@example.test's mail from
// Dovecot, alice's address book and calendar from Radicale (DAVURL the
// server's root: found through the principal) and the export files of
// testdata/pim, into the emulator mailbox pim@example.test.
func writePIMProject(t *testing.T, d *testserver.Dovecot, r *testserver.Radicale, ep *graphemu.Endpoint) *project {
	t.Helper()
	alice, ok := r.User("alice@example.test")
	if !ok {
		t.Fatal("the Radicale seed has no alice@example.test")
	}
	exports, err := filepath.Abs("../../testdata/pim")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"migration.yaml": fmt.Sprintf(`client: E2E contacts and calendars
source:
  host: %s
  port: %d
  security: tls
  ca_file: %s
  allow_plaintext: true
  timeout: 1m
%s`, d.Host, d.IMAPSPort, d.CAFile, e2eTarget(ep, "client-secret.txt")),
		"client-secret.txt": e2eSecret + "\n",
		"dav-password.txt":  alice.Password + "\n",
		"mailboxes.csv": "EmailAddress,UserName,Password,DAVURL,DAVUserName,DAVPassword,ExportFiles\n" +
			fmt.Sprintf("pim@example.test,pim@example.test,pim-test-only-pw,%s/,%s,file:dav-password.txt,%s\n", r.URL, alice.Name, exports),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return &project{dir: dir, config: filepath.Join(dir, "migration.yaml")}
}

// pimTarget is what the emulator holds of one mailbox's contacts and
// events, by display name and subject, as Graph returns them.
type pimTarget struct {
	contacts map[string][]map[string]any
	events   map[string][]map[string]any
	// folders names the folder of each contact and event.
	folders  map[string]string
	messages int
	sent     int
}

func dumpPIM(t *testing.T, emu *graphemu.Emulator, user string) *pimTarget {
	t.Helper()
	mb := emu.DumpMailbox(nil, user)
	if mb == nil {
		t.Fatalf("no mailbox %s in the emulator", user)
	}
	out := &pimTarget{contacts: map[string][]map[string]any{}, events: map[string][]map[string]any{}, folders: map[string]string{}, sent: mb.MeetingMessagesSent}
	for _, f := range mb.Folders {
		for _, it := range f.Items {
			switch it.Kind {
			case "contact":
				name, _ := it.Graph["displayName"].(string)
				g := it.Graph
				if it.Photo != nil {
					g["_photo"] = it.Photo.ContentType
				}
				out.contacts[name] = append(out.contacts[name], g)
				out.folders["contact:"+name] = f.Path
			case "event":
				subject, _ := it.Graph["subject"].(string)
				out.events[subject] = append(out.events[subject], it.Graph)
				out.folders["event:"+subject] = f.Path
			default:
				out.messages++
			}
		}
	}
	return out
}

// str digs a string out of a Graph JSON object by a dotted path.
func str(v any, path string) string {
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[k]
	}
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	default:
		return fmt.Sprint(x)
	}
}

// TestE2EContactsAndCalendars migrates mail, a Radicale address book and
// calendar and export files into the emulator and checks the issue's
// cases field by field; verifies with the state and without it; then runs
// again, and again without state: nothing is created twice, and no
// meeting message is ever sent.
func TestE2EContactsAndCalendars(t *testing.T) {
	d, r := startPIMSources(t)
	ep := graphemu.StartForTest(t, &graphemu.Options{ClientID: e2eClientID, ClientSecret: e2eSecret, Users: []string{"pim@example.test"}})
	p := writePIMProject(t, d, r, ep)

	// The plan counts what the run will create.
	var pout, perr bytes.Buffer
	planFile := filepath.Join(p.dir, "plan.json")
	if code := run(context.Background(), []string{"plan", "--config", p.config, "--out", planFile}, &pout, &perr); code != exitOK {
		t.Fatalf("plan exit %d\n%s\n%s", code, pout.String(), perr.String())
	}
	pl, err := plan.Read(planFile)
	if err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := p.run(t)
	// The malformed card and event of the export files fail with their
	// reasons; everything else is migrated.
	if code != exitItemsFailed {
		t.Fatalf("run exit %d, want %d (two malformed objects)\n%s\n%s", code, exitItemsFailed, stdout, stderr)
	}
	first := dumpPIM(t, ep.Emulator, "pim@example.test")
	checkPIMFields(t, first)
	checkInstances(t, ep, first)
	var contacts, events int
	for _, cs := range first.contacts {
		contacts += len(cs)
	}
	for _, es := range first.events {
		events += len(es)
	}
	if pim := pl.Totals.PIM; pim == nil || pim.Contacts != int64(contacts) || pim.Events != int64(events) || pim.Unparsable != 2 || pim.Expanded != 1 || pim.ExpandedEvents != 4 || pim.Moved < 2 || pim.Cancelled < 2 {
		t.Errorf("plan %+v; the run created %d contacts and %d events (want the plan's, 2 unparsable, 1 series expanded into 4)", pim, contacts, events)
	}
	for _, want := range []string{"malformed content line", "not-a-date"} {
		if !strings.Contains(stdout+stderr, want) {
			t.Errorf("the run's output does not name the malformed object (%q)", want)
		}
	}

	// verify compares every contact and event with the target.
	var vout, verr bytes.Buffer
	if code := run(context.Background(), []string{"verify", "--config", p.config, "--out", filepath.Join(p.dir, "verify.json")}, &vout, &verr); code != exitOK {
		t.Errorf("verify exit %d, want %d\n%s\n%s", code, exitOK, vout.String(), verr.String())
	}
	for _, pass := range []string{"again", "without state"} {
		if pass == "without state" {
			removeState(t, p.dir)
			// verify finds the address books and calendars with no state
			// to say where they went (named ones: TestE2EPIMNamedFoldersWithoutState).
			vout.Reset()
			verr.Reset()
			if code := run(context.Background(), []string{"verify", "--config", p.config}, &vout, &verr); code != exitOK {
				t.Errorf("verify without state: exit %d, want %d\n%s\n%s", code, exitOK, vout.String(), verr.String())
			}
		}
		code, stdout, stderr = p.run(t)
		if code != exitItemsFailed {
			t.Fatalf("run %s: exit %d\n%s\n%s", pass, code, stdout, stderr)
		}
		again := dumpPIM(t, ep.Emulator, "pim@example.test")
		for name, cs := range again.contacts {
			if len(cs) != len(first.contacts[name]) {
				t.Errorf("run %s: %d contacts %q, want %d", pass, len(cs), name, len(first.contacts[name]))
			}
		}
		for subject, es := range again.events {
			if len(es) != len(first.events[subject]) {
				t.Errorf("run %s: %d events %q, want %d", pass, len(es), subject, len(first.events[subject]))
			}
		}
		if again.messages != first.messages || again.sent != 0 {
			t.Errorf("run %s: %d messages (want %d), %d meeting messages sent (want 0)", pass, again.messages, first.messages, again.sent)
		}
	}

	checkDeletedFromTarget(t, ep, p, first)
}

// checkDeletedFromTarget deletes a migrated contact and a series with a
// cancelled occurrence from the target through Graph: verify fails and
// names both, in its output and its JSON; a run with the state kept
// does not recreate them (the state records them migrated), a run
// without the state does, and verify passes again.
func checkDeletedFromTarget(t *testing.T, ep *graphemu.Endpoint, p *project, first *pimTarget) {
	t.Helper()
	const user = "pim@example.test"
	const contact, series = "Carol Example", "Weekly planning across the DST change"
	var keys []string
	for _, f := range ep.Emulator.DumpMailbox(nil, user).Folders {
		for _, it := range f.Items {
			path := ""
			switch {
			case it.Kind == "contact" && str(it.Graph, "displayName") == contact:
				path = "/users/" + user + "/contacts/" + url.PathEscape(it.ID)
			case it.Kind == "event" && str(it.Graph, "subject") == series:
				path = "/users/" + user + "/events/" + url.PathEscape(it.ID)
			default:
				continue
			}
			key, ok := stampOf(it)
			if !ok {
				t.Fatalf("%s %s has no stamp", it.Kind, it.ID)
			}
			graphDelete(t, ep, path)
			keys = append(keys, key)
		}
	}
	if len(keys) != 2 {
		t.Fatalf("deleted %d items (%q), want the contact %q and the series %q", len(keys), keys, contact, series)
	}
	verify := func(what string, want int) (string, *plan.Verification) {
		t.Helper()
		out := filepath.Join(p.dir, "verify.json")
		var vout, verr bytes.Buffer
		code := run(context.Background(), []string{"verify", "--config", p.config, "--out", out}, &vout, &verr)
		if code != want {
			t.Fatalf("verify %s: exit %d, want %d\n%s\n%s", what, code, want, vout.String(), verr.String())
		}
		v, err := plan.ReadVerification(out)
		if err != nil {
			t.Fatal(err)
		}
		return vout.String() + verr.String(), v
	}
	out, v := verify("after the deletions", exitItemsFailed)
	for _, key := range keys {
		found := false
		for _, mb := range v.Mailboxes {
			for _, pr := range mb.Problems {
				found = found || (pr.Kind == plan.ProblemMissing && pr.Key == key && strings.Contains(pr.Detail, "deleted from the target since?"))
			}
		}
		if !found || !strings.Contains(out, "item "+key+":") {
			t.Errorf("verify after the deletions does not report %s missing (JSON: %v; output has it: %v)\n%s", key, found, strings.Contains(out, "item "+key+":"), out)
		}
	}
	if v.OK || v.Totals.Missing != 2 {
		t.Errorf("verify after the deletions: ok %v, %d missing, want 2", v.OK, v.Totals.Missing)
	}

	// The state records both migrated: a run does not look for them.
	if code, stdout, stderr := p.run(t); code != exitItemsFailed {
		t.Fatalf("run with the state kept: exit %d\n%s\n%s", code, stdout, stderr)
	}
	kept := dumpPIM(t, ep.Emulator, user)
	if len(kept.contacts[contact]) != 0 || len(kept.events[series]) != 0 {
		t.Errorf("run with the state kept recreated %d contacts %q and %d series %q; the state records them migrated, want 0", len(kept.contacts[contact]), contact, len(kept.events[series]), series)
	}

	// Without the state, the run reconciles with the target's stamps and
	// creates what is not there.
	removeState(t, p.dir)
	if code, stdout, stderr := p.run(t); code != exitItemsFailed {
		t.Fatalf("run without the state: exit %d\n%s\n%s", code, stdout, stderr)
	}
	again := dumpPIM(t, ep.Emulator, user)
	if len(again.contacts[contact]) != 1 || len(again.events[series]) != 1 || again.sent != 0 {
		t.Errorf("run without the state: %d contacts %q, %d series %q, %d meeting messages; want 1, 1, 0", len(again.contacts[contact]), contact, len(again.events[series]), series, again.sent)
	}
	checkInstances(t, ep, again)
	if _, v := verify("after the run without the state", exitOK); !v.OK || v.Totals.Missing != 0 || v.Totals.Matched != first.count()+int64(first.messages) {
		t.Errorf("verify after the run without the state: ok %v, %d missing, %d matched; want ok, 0, %d", v.OK, v.Totals.Missing, v.Totals.Matched, first.count()+int64(first.messages))
	}
}

// count is how many contacts and events t holds.
func (t *pimTarget) count() int64 {
	n := 0
	for _, cs := range t.contacts {
		n += len(cs)
	}
	for _, es := range t.events {
		n += len(es)
	}
	return int64(n)
}

// TestE2EPIMNamedFoldersWithoutState: export files with two address books
// and two calendars each (Contacts.vcf and Work.vcf, Calendar.ics and
// Team.ics) migrate into the default folders and into a contact folder
// Contacts/Work and a calendar Team; `migrate verify` passes with the
// state and, the state deleted, finds Work and Team by the names the run
// gave them, creating nothing.
func TestE2EPIMNamedFoldersWithoutState(t *testing.T) {
	d, _ := startPIMSources(t)
	ep := graphemu.StartForTest(t, &graphemu.Options{ClientID: e2eClientID, ClientSecret: e2eSecret, Users: []string{"pim@example.test"}})
	dir := t.TempDir()
	card := func(uid, name string) string {
		return "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:" + uid + "\r\nFN:" + name + "\r\nN:" + name + ";;;;\r\nEND:VCARD\r\n"
	}
	event := func(uid, summary string) string {
		return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//migrate e2e//EN\r\nBEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20250101T000000Z\r\n" +
			"DTSTART:20250610T090000Z\r\nDTEND:20250610T100000Z\r\nSUMMARY:" + summary + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	}
	exports := map[string]string{
		"Contacts.vcf": card("c-default", "Dora Default"), "Work.vcf": card("c-work", "Walter Work"),
		"Calendar.ics": event("e-default", "Default calendar event"), "Team.ics": event("e-team", "Team offsite"),
	}
	for name, content := range exports {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"migration.yaml": fmt.Sprintf(`client: E2E named address books and calendars
source:
  host: %s
  port: %d
  security: tls
  ca_file: %s
  timeout: 1m
%s`, d.Host, d.IMAPSPort, d.CAFile, e2eTarget(ep, "client-secret.txt")),
		"client-secret.txt": e2eSecret + "\n",
		"mailboxes.csv": "EmailAddress,UserName,Password,ExportFiles\n" +
			fmt.Sprintf("pim@example.test,pim@example.test,pim-test-only-pw,%s\n",
				strings.Join([]string{filepath.Join(dir, "Contacts.vcf"), filepath.Join(dir, "Work.vcf"), filepath.Join(dir, "Calendar.ics"), filepath.Join(dir, "Team.ics")}, ";")),
	}
	pdir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(pdir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p := &project{dir: pdir, config: filepath.Join(pdir, "migration.yaml")}
	if code, stdout, stderr := p.run(t); code != exitOK {
		t.Fatalf("run exit %d\n%s\n%s", code, stdout, stderr)
	}
	got := dumpPIM(t, ep.Emulator, "pim@example.test")
	want := map[string]string{
		"contact:Dora Default": "Contacts", "contact:Walter Work": "Contacts/Work",
		"event:Default calendar event": "Calendar", "event:Team offsite": "Team",
	}
	if !maps.Equal(got.folders, want) {
		t.Fatalf("the contacts and events are in %q, want %q", got.folders, want)
	}
	verify := func(when string) {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(context.Background(), []string{"verify", "--config", p.config}, &out, &errb); code != exitOK {
			t.Errorf("verify %s: exit %d, want %d\n%s\n%s", when, code, exitOK, out.String(), errb.String())
		}
	}
	folders := func() []string {
		var out []string
		for _, f := range ep.Emulator.DumpMailbox(nil, "pim@example.test").Folders {
			out = append(out, f.Path)
		}
		slices.Sort(out)
		return out
	}
	before := folders()
	verify("with the state")
	removeState(t, p.dir)
	verify("without the state")
	if after := folders(); !slices.Equal(after, before) {
		t.Errorf("verify changed the target's folders: %q, were %q", after, before)
	}
	if n := ep.Emulator.DumpMailbox(nil, "pim@example.test").MeetingMessagesSent; n != 0 {
		t.Errorf("%d meeting messages sent, want 0", n)
	}
}

// checkInstances reads the weekly series' occurrences through Graph's
// /instances: the cancelled one (17 March) is not there, the moved one
// (7 April, 09:00 -> 11:30 local, after the DST change) is at its new
// time, and the others keep 09:00 local across the change (08:00 UTC
// before 30 March, 07:00 UTC after).
func checkInstances(t *testing.T, ep *graphemu.Endpoint, got *pimTarget) {
	t.Helper()
	series := got.events["Weekly planning across the DST change"]
	if len(series) != 1 {
		return // reported by checkPIMFields
	}
	page := graphGet(t, ep, fmt.Sprintf("/users/pim@example.test/events/%s/instances?startDateTime=2025-03-01T00:00:00Z&endDateTime=2025-05-01T00:00:00Z", str(series[0], "id")))
	var starts []string
	for _, in := range page {
		starts = append(starts, str(in, "start.dateTime")[:16])
	}
	want := []string{"2025-03-03T08:00", "2025-03-10T08:00", "2025-03-24T08:00", "2025-03-31T07:00", "2025-04-07T09:30", "2025-04-14T07:00", "2025-04-21T07:00"}
	if strings.Join(starts, " ") != strings.Join(want, " ") {
		t.Errorf("occurrences (UTC) %v, want %v", starts, want)
	}
}

// graphToken gets an access token for the migration's app from the
// emulator's identity service (client credentials).
func graphToken(t *testing.T, ep *graphemu.Endpoint) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {e2eClientID}, "client_secret": {e2eSecret}, "scope": {"https://graph.microsoft.com/.default"}}
	resp, err := ep.HTTPClient().PostForm(ep.TokenURL, form)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || tok.AccessToken == "" {
		t.Fatalf("token: status %d, %v", resp.StatusCode, err)
	}
	return tok.AccessToken
}

// graphDo sends one request without a body to the emulator's Graph API
// as the migration's app and returns the response, its body read into
// out when out is not nil; u is a full URL or a path from the version
// root ("/users/...").
func graphDo(t *testing.T, ep *graphemu.Endpoint, token, method, u string, out any) int {
	t.Helper()
	if strings.HasPrefix(u, "/") {
		u = ep.GraphURL + u
	}
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := ep.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: status %d, %v", method, u, resp.StatusCode, err)
		}
	}
	return resp.StatusCode
}

// graphGet reads a collection from the emulator's Graph API as the
// migration's app, following @odata.nextLink, and returns its objects;
// path starts at the version root ("/users/...").
func graphGet(t *testing.T, ep *graphemu.Endpoint, path string) []map[string]any {
	t.Helper()
	token := graphToken(t, ep)
	var out []map[string]any
	for u := path; u != ""; {
		var page struct {
			Value []map[string]any `json:"value"`
			Next  string           `json:"@odata.nextLink"`
		}
		if code := graphDo(t, ep, token, http.MethodGet, u, &page); code != http.StatusOK {
			t.Fatalf("GET %s: status %d", path, code)
		}
		out = append(out, page.Value...)
		u = page.Next
	}
	return out
}

// graphDelete deletes an item through the emulator's Graph API, as a
// user or an admin would (DELETE /users/{upn}/messages/{id}, .../contacts/{id},
// .../events/{id}: 204).
func graphDelete(t *testing.T, ep *graphemu.Endpoint, path string) {
	t.Helper()
	if code := graphDo(t, ep, graphToken(t, ep), http.MethodDelete, path, nil); code != http.StatusNoContent {
		t.Fatalf("DELETE %s: status %d", path, code)
	}
}

// checkPIMFields checks the cases in what the first run created.
func checkPIMFields(t *testing.T, got *pimTarget) {
	t.Helper()
	if got.sent != 0 {
		t.Errorf("%d meeting messages sent, want 0", got.sent)
	}
	if got.messages != 1 {
		t.Errorf("%d messages, want 1", got.messages)
	}
	one := func(kind, name string) map[string]any {
		t.Helper()
		var xs []map[string]any
		if kind == "contact" {
			xs = got.contacts[name]
		} else {
			xs = got.events[name]
		}
		if len(xs) != 1 {
			t.Errorf("%d %ss %q, want 1 (have contacts %d, events %d)", len(xs), kind, name, len(got.contacts), len(got.events))
			return map[string]any{}
		}
		return xs[0]
	}
	// vCard 2.1 quoted-printable name in ISO-8859-1, with a soft line break.
	if c := one("contact", "Jürgen Müller-Lüdenscheid"); str(c, "givenName") != "Jürgen" || str(c, "surname") != "Müller-Lüdenscheid" {
		t.Errorf("2.1 contact: given %q surname %q", str(c, "givenName"), str(c, "surname"))
	}
	// Four e-mail addresses: three kept, the fourth in the notes; a photo.
	erin := one("contact", "Erin Four-Addresses")
	if emails, _ := erin["emailAddresses"].([]any); len(emails) != 3 || !strings.Contains(str(erin, "personalNotes"), "erin.fourth@example.test") {
		t.Errorf("four addresses: %v, notes %q", erin["emailAddresses"], str(erin, "personalNotes"))
	}
	if str(erin, "_photo") == "" || str(erin, "companyName") != "Fabrikam" || str(erin, "department") != "Research" || !strings.HasPrefix(str(erin, "birthday"), "1985-04-15") {
		t.Errorf("erin: photo %q company %q department %q birthday %q", str(erin, "_photo"), str(erin, "companyName"), str(erin, "department"), str(erin, "birthday"))
	}
	// The Radicale address book: the PNG photo re-encoded.
	if c := one("contact", "Carol Example"); str(c, "_photo") == "" {
		t.Error("Carol Example has no photo")
	}
	if len(got.contacts["Broken Card"]) != 0 || len(got.contacts["Frank After-The-Broken-One"]) != 1 {
		t.Error("the malformed card was created, or the card after it was not")
	}
	// Outlook-style Windows TZID: Graph returns times in UTC (without a
	// Prefer: outlook.timezone header) and keeps the zone the event was
	// created in as originalStartTimeZone.
	if e := one("event", "Supplier review (Outlook time zone)"); str(e, "originalStartTimeZone") != "W. Europe Standard Time" || !strings.HasPrefix(str(e, "start.dateTime"), "2025-01-15T13:00:00") || !strings.HasPrefix(str(e, "end.dateTime"), "2025-01-15T14:30:00") {
		t.Errorf("Windows zone event: start %v end %v original zone %q", e["start"], e["end"], str(e, "originalStartTimeZone"))
	}
	// A weekly series across the DST change, one occurrence moved and one
	// cancelled.
	if e := one("event", "Weekly planning across the DST change"); str(e, "recurrence.pattern.type") != "weekly" || str(e, "type") != "seriesMaster" {
		t.Errorf("weekly series: %v type %q", e["recurrence"], str(e, "type"))
	}
	// All-day, midnight to midnight, end exclusive.
	if e := one("event", "Trade fair (two days)"); str(e, "isAllDay") != "true" || !strings.HasPrefix(str(e, "start.dateTime"), "2025-05-01T00:00:00") || !strings.HasPrefix(str(e, "end.dateTime"), "2025-05-03T00:00:00") {
		t.Errorf("all-day: %v %v %v", e["isAllDay"], e["start"], e["end"])
	}
	// Monthly on the last Friday.
	if e := one("event", "Month-end close (last Friday)"); str(e, "recurrence.pattern.type") != "relativeMonthly" || str(e, "recurrence.pattern.index") != "last" {
		t.Errorf("last Friday: %v", e["recurrence"])
	}
	// A series Graph cannot express: expanded into single events.
	if n := len(got.events["Tank reading (every two hours)"]); n != 4 {
		t.Errorf("%d events of the hourly series, want 4 single events", n)
	}
	// The Radicale calendar's weekly stand-up with its exceptions.
	if e := one("event", "Weekly stand-up"); str(e, "type") != "seriesMaster" {
		t.Errorf("Radicale weekly stand-up: type %q", str(e, "type"))
	}
	if len(got.events["Broken event"]) != 0 {
		t.Error("the malformed event was created")
	}
	for key, folder := range got.folders {
		kind, _, _ := strings.Cut(key, ":")
		if want := map[string]string{"contact": "Contacts", "event": "Calendar"}[kind]; folder != want {
			t.Errorf("%s is in %q, want %q (the default folder: both sources mark theirs as default)", key, folder, want)
		}
	}
}
