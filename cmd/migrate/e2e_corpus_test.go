package main

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/source/testserver"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// runSummary is the "total" line of the summary `migrate run` prints.
type runSummary struct{ migrated, done, skipped, failed int }

func parseSummary(t *testing.T, stdout string) runSummary {
	t.Helper()
	for line := range strings.Lines(stdout) {
		f := strings.Fields(line)
		if len(f) < 5 || f[0] != "total" {
			continue
		}
		var n [4]int
		for i := range n {
			v, err := strconv.Atoi(f[i+1])
			if err != nil {
				t.Fatalf("summary line %q: field %d: %v", line, i+1, err)
			}
			n[i] = v
		}
		return runSummary{n[0], n[1], n[2], n[3]}
	}
	t.Fatalf("no summary total line in the output:\n%s", stdout)
	return runSummary{}
}

// TestE2ERunCorpus migrates the whole seed corpus (all three manifest
// users) from a real Dovecot over IMAPS into the emulator over HTTPS
// through the command line, and checks every message in the emulator
// against the manifest and the message files: folder, exactly once,
// draft state, received and sent dates, read and flagged state, replied
// and forwarded verbs, categories from keywords, Message-ID, attachments
// byte for byte (the 5 MB one over Graph's inline limit included), the
// \Deleted message skipped with its reason, and malformed messages
// migrated as well as Graph allows. It runs against an emulator that
// accepts attachments on received mail and against one that refuses
// them (the default), where the large message falls back to a draft and
// the run says so.
func TestE2ERunCorpus(t *testing.T) {
	// A second message needing an upload session, in a folder of its own,
	// so that the draft fallback must be reported for more than the first
	// such message of a mailbox.
	extras := []testserver.ExtraMessage{{User: "alice@example.test", Folder: "Large", Message: testserver.ManifestMessage{
		Generate: &testserver.Generator{Subject: "Second large attachment (3.1 MB)", Seed: "e2e-corpus-3mb", AttachmentSize: 3<<20 + 100<<10},
		Flags:    []string{`\Seen`, `\Flagged`}, Date: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC),
	}}}
	d := startDovecot(t, extras...)
	exp := expectations(t, d, extras)
	var skipped, toCreate int
	for _, e := range exp {
		if e.deleted() {
			skipped++
		} else {
			toCreate++
		}
	}

	epOn := startEmulator(t, d, graphemu.Options{AttachmentsOnNonDraft: true})
	p := writeProject(t, d, epOn)

	t.Run("dry-run", func(t *testing.T) {
		code, stdout, stderr := p.run(t, "--dry-run")
		if code != exitOK {
			t.Fatalf("migrate run --dry-run: exit %d, want 0\n%s\n%s", code, stdout, stderr)
		}
		if !strings.Contains(stdout, "would create") {
			t.Errorf("the dry run's summary does not say %q:\n%s", "would create", stdout)
		}
		if s := parseSummary(t, stdout); s != (runSummary{migrated: toCreate, skipped: skipped}) {
			t.Errorf("dry run summary = %+v, want %d would create, %d skipped", s, toCreate, skipped)
		}
		checkKeywordsSummary(t, stdout, d, exp, "would be created")
		if _, err := os.Stat(p.statePath()); !os.IsNotExist(err) {
			t.Errorf("the dry run wrote a state file %s (stat: %v)", p.statePath(), err)
		}
		for _, u := range d.Users {
			dump := epOn.Emulator.DumpMailbox(nil, u.Name)
			for _, f := range dump.Folders {
				if f.WellKnown == "" || len(f.Items) > 0 {
					t.Errorf("%s: the dry run created %q or items in it (%d items)", u.Name, f.Path, len(f.Items))
				}
			}
		}
		if n := len(requestLog(t, epOn)); n != 0 {
			t.Errorf("the dry run sent %d requests to Graph, want none (it needs no Graph credentials)", n)
		}
	})

	t.Run("attachments-on-non-draft", func(t *testing.T) {
		code, stdout, stderr := p.run(t)
		if code != exitOK {
			t.Fatalf("migrate run: exit %d, want 0\n%s\n%s", code, stdout, stderr)
		}
		if s := parseSummary(t, stdout); s != (runSummary{migrated: toCreate, skipped: skipped}) {
			t.Errorf("summary = %+v, want %d migrated, %d skipped", s, toCreate, skipped)
		}
		checkKeywordsSummary(t, stdout, d, exp, "migrated")
		noErrorLogs(t, stderr)
		got := checkExactlyOnce(t, epOn.Emulator, exp, nil)
		checkCorpus(t, exp, got, stateItems(t, p.statePath()), true)
		if strings.Contains(stdout+stderr, e2eSecret) {
			t.Errorf("the client secret appears in the output")
		}

		t.Run("malformed", func(t *testing.T) { checkMalformed(t, exp, got) })

		t.Run("second run creates nothing", func(t *testing.T) {
			code, stdout, stderr := p.run(t)
			if code != exitOK {
				t.Fatalf("second migrate run: exit %d, want 0\n%s\n%s", code, stdout, stderr)
			}
			if s := parseSummary(t, stdout); s != (runSummary{done: toCreate, skipped: skipped}) {
				t.Errorf("second run summary = %+v, want %d already done, %d skipped", s, toCreate, skipped)
			}
			if strings.Contains(stdout, "keywords dropped") {
				t.Errorf("second run, which created nothing, reports dropped keywords:\n%s", stdout)
			}
			checkExactlyOnce(t, epOn.Emulator, exp, nil)
		})
	})

	t.Run("refused-items", func(t *testing.T) { checkRefused(t, d, exp) })

	t.Run("draft-fallback", func(t *testing.T) {
		epOff := startEmulator(t, d, graphemu.Options{}) // refuses attachments on received mail
		p := writeProject(t, d, epOff)
		code, stdout, stderr := p.run(t)
		if code != exitOK {
			t.Fatalf("migrate run: exit %d, want 0\n%s\n%s", code, stdout, stderr)
		}
		noErrorLogs(t, stderr)
		got := checkExactlyOnce(t, epOff.Emulator, exp, nil)
		items := stateItems(t, p.statePath())
		checkCorpus(t, exp, got, items, false)
		// The run says so, for each such message: the note is kept in
		// the item's record (target.Created.Notes "go into the item's
		// record and the report") and the run's log names the item.
		n := 0
		for _, e := range exp {
			if !needsUploadSession(e) {
				continue
			}
			n++
			it, ok := stateItemFor(items, e)
			if !ok || it.Status != state.StatusMigrated || !strings.Contains(it.Reason, "created as a draft") {
				t.Errorf("%s: state record %+v (found %v), want migrated with a note saying it was created as a draft", e.name(), it, ok)
				continue
			}
			said := false
			for line := range strings.Lines(stderr) {
				if strings.Contains(line, it.SourceKey) && strings.Contains(line, "draft") {
					said = true
				}
			}
			if !said {
				t.Errorf("%s (key %s): no line of the run's log says it was created as a draft:\n%s", e.name(), it.SourceKey, stderr)
			}
		}
		if n < 2 {
			t.Errorf("%d messages need an upload session, want at least 2", n)
		}
	})
}

// checkRefused runs the corpus into an emulator where bob's mailbox takes
// messages of at most 400 bytes, so Graph refuses some of them (413
// ErrorMessageSizeExceeded): the run goes on with the other items and
// mailboxes, lists each refused item with mailbox, folder, key and cause,
// records it failed with the reason, and exits 1 as documented.
func checkRefused(t *testing.T, d *testserver.Dovecot, exp []*expected) {
	const bob = "bob@example.test"
	ep := startEmulator(t, d, graphemu.Options{AttachmentsOnNonDraft: true,
		Mailboxes: map[string]graphemu.MailboxOptions{bob: {MaxMessageSize: 400}}})
	p := writeProject(t, d, ep)
	code, stdout, stderr := p.run(t)
	if code != exitItemsFailed {
		t.Fatalf("migrate run: exit %d, want %d (some items failed)\n%s\n%s", code, exitItemsFailed, stdout, stderr)
	}
	items := stateItems(t, p.statePath())
	failed := map[*expected]bool{}
	for _, e := range exp {
		it, ok := stateItemFor(items, e)
		if !ok || it.Status != state.StatusFailed {
			continue
		}
		failed[e] = true
		if e.user != bob || it.Reason == "" {
			t.Errorf("%s: failed (%q); only bob's messages may be refused, with a reason", e.name(), it.Reason)
		}
		line := fmt.Sprintf("failed: mailbox %s, folder %s, item %s: ", e.user, e.folder, it.SourceKey)
		if !strings.Contains(stdout, line+it.Reason) {
			t.Errorf("%s: the output does not list it as %q:\n%s", e.name(), line+it.Reason, stdout)
		}
	}
	if len(failed) == 0 {
		t.Fatalf("no message was refused; the test proves nothing:\n%s", stdout)
	}
	for line := range strings.Lines(stdout) {
		if strings.HasPrefix(line, "failed: ") {
			t.Log(strings.TrimSpace(line))
		}
	}
	if s := parseSummary(t, stdout); s.failed != len(failed) {
		t.Errorf("summary %+v, want %d failed", s, len(failed))
	}
	checkExactlyOnce(t, ep.Emulator, exp, failed)
}

// needsUploadSession reports whether a message carries an attachment too
// large for Graph's 4 MB creation request (the generated 5 MB one).
func needsUploadSession(e *expected) bool {
	return e.msg.Generate != nil && e.msg.Generate.AttachmentSize >= 3<<20
}

// labelCategories are Thunderbird's $label1-$label5 as categories (README).
var labelCategories = map[string]string{
	"$label1": "Important", "$label2": "Work", "$label3": "Personal", "$label4": "To Do", "$label5": "Later",
}

// wantCategories are the categories a message's keywords give: user
// keywords as they are, Thunderbird labels by name, case-insensitive
// duplicates removed, no $ or \ flag.
func wantCategories(flags []string) []string {
	var out []string
	for _, f := range flags {
		c := f
		if l, ok := labelCategories[f]; ok {
			c = l
		} else if strings.HasPrefix(f, "$") || strings.HasPrefix(f, `\`) {
			continue
		}
		if !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, c) }) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

// wantDropped are the flags and keywords the target does not carry
// (README's mapping table), sorted: "$" keywords other than $Forwarded
// and Thunderbird's labels, "\" flags other than the system flags.
func wantDropped(flags []string) []string {
	var out []string
	for _, f := range flags {
		_, label := labelCategories[f]
		switch {
		case strings.HasPrefix(f, "$") && f != "$Forwarded" && !label:
		case strings.HasPrefix(f, `\`) && !slices.Contains([]string{`\Seen`, `\Answered`, `\Flagged`, `\Deleted`, `\Draft`, `\Recent`}, f):
		default:
			continue
		}
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// checkKeywordsSummary checks the run summary's "keywords dropped" line of
// each mailbox: the number of items created (or, verb "would be created",
// that a dry run would create) that lose keywords, and which.
func checkKeywordsSummary(t *testing.T, stdout string, d *testserver.Dovecot, exp []*expected, verb string) {
	t.Helper()
	for _, u := range d.Users {
		n, kws := 0, map[string]int{}
		for _, e := range exp {
			if e.user != u.Name || e.deleted() {
				continue
			}
			if dropped := wantDropped(e.msg.Flags); len(dropped) > 0 {
				n++
				for _, k := range dropped {
					kws[k]++
				}
			}
		}
		prefix := fmt.Sprintf("keywords dropped: mailbox %s,", u.Name)
		if n == 0 {
			if strings.Contains(stdout, prefix) {
				t.Errorf("%s loses no keyword, but the summary says:\n%s", u.Name, stdout)
			}
			continue
		}
		items := "items"
		if n == 1 {
			items = "item"
		}
		want := fmt.Sprintf("%s %d %s %s without keywords the target has no place for: ", prefix, n, items, verb)
		i := strings.Index(stdout, want)
		if i < 0 {
			t.Errorf("the summary lacks %q:\n%s", want, stdout)
			continue
		}
		line, _, _ := strings.Cut(stdout[i+len(want):], "\n")
		for k, c := range kws {
			if !strings.Contains(line, fmt.Sprintf("%s (%d)", k, c)) {
				t.Errorf("%s: the summary's keywords %q lack %s (%d)", u.Name, line, k, c)
			}
		}
	}
}

func graphStrings(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// checkCorpus checks each migrated message against its source.
// attachOnNonDraft says whether the emulator accepted attachments added to
// received mail; without, messages needing an upload session are drafts.
func checkCorpus(t *testing.T, exp []*expected, got map[*expected]graphemu.DumpItem, items map[string]state.Item, attachOnNonDraft bool) {
	t.Helper()
	for _, e := range exp {
		if e.deleted() {
			it, ok := stateItemFor(items, e)
			if !ok || it.Status != state.StatusSkipped || it.Reason != `flagged \Deleted on the source` {
				t.Errorf("%s: state record %+v (found %v), want skipped, reason %q", e.name(), it, ok, `flagged \Deleted on the source`)
			}
			continue
		}
		item, ok := got[e]
		if !ok {
			continue // reported by checkExactlyOnce
		}
		if it, ok := stateItemFor(items, e); !ok || it.Status != state.StatusMigrated || it.TargetID != item.ID {
			t.Errorf("%s: state record %+v (found %v), want migrated with target id %s", e.name(), it, ok, item.ID)
		} else if want := wantDropped(e.msg.Flags); !slices.Equal(it.DroppedKeywords, want) {
			t.Errorf("%s: state records dropped keywords %q, want %q (from %q)", e.name(), it.DroppedKeywords, want, e.msg.Flags)
		}
		src := parseSource(t, e)

		wantDraft := e.draft() || (!attachOnNonDraft && needsUploadSession(e))
		if item.IsDraft != wantDraft {
			t.Errorf("%s: isDraft = %v, want %v", e.name(), item.IsDraft, wantDraft)
		}
		if want := e.hasFlag(`\Seen`); item.IsRead != want {
			t.Errorf("%s: isRead = %v, want %v", e.name(), item.IsRead, want)
		}
		received, err := parseGraphTime(item.ReceivedDateTime)
		if want := e.msg.Date.UTC().Truncate(time.Second); err != nil || !received.Equal(want) {
			t.Errorf("%s: receivedDateTime = %q, want the INTERNALDATE %s", e.name(), item.ReceivedDateTime, want.Format(time.RFC3339))
		}
		sent, err := parseGraphTime(item.SentDateTime)
		wantSent := received // no Date header: the received date (target/graph)
		if h := src.header.Get("Date"); h != "" {
			if wantSent, err = src.header.Date(); err != nil {
				t.Fatalf("%s: Date header %q: %v", e.name(), h, err)
			}
		}
		if err != nil || !sent.Equal(wantSent) {
			t.Errorf("%s: sentDateTime = %q, want the Date header's %s", e.name(), item.SentDateTime, wantSent.UTC().Format(time.RFC3339))
		}
		flag, _ := item.Graph["flag"].(map[string]any)
		if want, got := e.hasFlag(`\Flagged`), flag["flagStatus"] == "flagged"; got != want {
			t.Errorf("%s: flag = %v, want flagged %v", e.name(), item.Graph["flag"], want)
		}
		if got, want := graphStrings(item.Graph["categories"]), wantCategories(e.msg.Flags); !slices.Equal(got, want) {
			t.Errorf("%s: categories = %q, want %q (from keywords %q)", e.name(), got, want, e.msg.Flags)
		}
		verb, _ := extValue(item, "Integer 0x1081")
		wantVerb := ""
		switch {
		case e.hasFlag(`\Answered`):
			wantVerb = "102"
		case e.hasFlag(`$Forwarded`):
			wantVerb = "104"
		}
		if verb != wantVerb {
			t.Errorf("%s: PidTagLastVerbExecuted = %q, want %q (flags %q)", e.name(), verb, wantVerb, e.msg.Flags)
		}
		if id := src.header.Get("Message-Id"); id != "" && item.Graph["internetMessageId"] != id {
			t.Errorf("%s: internetMessageId = %v, want %s", e.name(), item.Graph["internetMessageId"], id)
		}
		for _, k := range []string{"isReadReceiptRequested", "isDeliveryReceiptRequested"} {
			if item.Graph[k] == true {
				t.Errorf("%s: %s is true; an old message must never send a receipt", e.name(), k)
			}
		}
		if e.malformed() {
			continue // checkMalformed
		}
		var gotAtt []string
		for _, a := range item.Attachments {
			gotAtt = append(gotAtt, a.SHA256)
		}
		slices.Sort(gotAtt)
		wantAtt := slices.Sorted(slices.Values(src.attachments))
		if !slices.Equal(gotAtt, wantAtt) {
			t.Errorf("%s: attachments (SHA-256) = %q, want %q (decoded from the message)", e.name(), gotAtt, wantAtt)
		}
	}
}

// malformedText is text of each malformed corpus message that must reach
// the migrated message's body, however broken its MIME, charset or
// headers are.
var malformedText = map[string][]string{
	"alice/malformed-boundary.eml": {"the closing delimiter is missing"},
	"alice/missing-headers.eml":    {"neither a Date nor a Message-ID header"},
	"bob/8bit-headers.eml":         {"the Date", "obsolete short form"},
	"bob/bad-charset.eml":          {"Grüße, 東京", "Ärger in Köln"},
}

// checkMalformed checks that the corpus's malformed messages (broken MIME,
// unknown charsets, missing headers, raw 8-bit and control bytes) arrived
// as well as Graph allows: a valid UTF-8 subject, their text in the body.
// The caller has checked they arrived exactly once (or were reported
// failed with a reason) with their dates and flags.
func checkMalformed(t *testing.T, exp []*expected, got map[*expected]graphemu.DumpItem) {
	n := 0
	for _, e := range exp {
		if !e.malformed() {
			continue
		}
		n++
		item, ok := got[e]
		if !ok {
			continue
		}
		subject, _ := item.Graph["subject"].(string)
		if !utf8.ValidString(subject) || !strings.HasPrefix(subject, "Malformed: ") {
			t.Errorf("%s: subject = %q, want valid UTF-8 beginning %q", e.name(), subject, "Malformed: ")
		}
		body, _ := item.Graph["body"].(map[string]any)
		content, _ := body["content"].(string)
		for _, s := range malformedText[e.msg.File] {
			if !strings.Contains(content, s) {
				t.Errorf("%s: the body lacks %q:\n%s", e.name(), s, content)
			}
		}
		// What cannot be placed is attached, not dropped (package
		// message): the part under the undeclared boundary and the part
		// with broken base64.
		if e.msg.File == "alice/malformed-boundary.eml" && len(item.Attachments) < 2 {
			t.Errorf("%s: %d attachments, want the 2 parts that have no place in the body", e.name(), len(item.Attachments))
		}
	}
	if n < len(malformedText) {
		t.Errorf("the corpus has %d malformed messages, want at least %d", n, len(malformedText))
	}
}
