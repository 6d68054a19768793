package main

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
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

// hostileMessages are the hostile and broken messages of issue 15 that the
// seed corpus (TestE2ERunCorpus: missing boundary, unknown charset, 8-bit
// headers, missing headers) lacks, as files of an .eml tree (relative
// path -> content). An .eml tree carries what IMAP cannot: a zero-byte
// message, NUL bytes.
func hostileMessages() map[string]string {
	const crlf = "\r\n"
	msg := func(subject, extra, body string) string {
		return "From: Hostile <hostile@example.test>" + crlf + "To: victim@example.test" + crlf +
			"Subject: " + subject + crlf + "Date: Mon, 3 Jun 2024 10:00:00 +0000" + crlf + extra + crlf + body + crlf
	}
	// 100 message/rfc822 parts, each inside the one before.
	nested := "innermost text of the nested messages" + crlf
	for i := 100; i >= 1; i-- {
		nested = fmt.Sprintf("From: level%d@example.test%sSubject: level %d%sMIME-Version: 1.0%sContent-Type: message/rfc822%s%s%s", i, crlf, i, crlf, crlf, crlf, crlf, nested)
	}
	nested = strings.Replace(nested, "Subject: level 1", "Subject: Hostile: 100-deep nested message/rfc822", 1)
	nested = strings.Replace(nested, "From: level1@example.test", "Date: Mon, 3 Jun 2024 10:00:00 +0000"+crlf+"From: level1@example.test", 1)
	return map[string]string{
		"Hostile/nested-100.eml":  nested,
		"Hostile/long-header.eml": msg("Hostile: 1 MB header line", "X-Long: "+strings.Repeat("0123456789abcdef", 1<<16)+crlf, "text after a 1 MB header line"),
		"Hostile/nul-headers.eml": msg("Hostile: NUL\x00 in the subject", "X-Nul: a\x00b"+crlf+"Message-ID: <nul\x00@example.test>"+crlf, "text of the message with NUL bytes in its header"),
		"Hostile/lying-charset.eml": msg("Hostile: lying charset", "MIME-Version: 1.0"+crlf+"Content-Type: text/plain; charset=us-ascii"+crlf+"Content-Transfer-Encoding: 8bit"+crlf,
			"declared us-ascii, written in UTF-8: Gr\xc3\xbc\xc3\x9fe, and in Latin-1: K\xf6ln"),
		"Hostile/lying-charset-2.eml": msg("=?iso-8859-1?Q?Hostile:_lying_encoded_word_=E4?= \xe4\xf6", "MIME-Version: 1.0"+crlf+"Content-Type: text/plain; charset=utf-16"+crlf,
			"declared UTF-16, written in ASCII"),
		"Hostile/zero-byte.eml":   "",
		"Hostile/date-1970.eml":   strings.Replace(msg("Hostile: dated 1970", "Message-ID: <d1970@example.test>"+crlf, "the epoch"), "Mon, 3 Jun 2024 10:00:00 +0000", "Thu, 1 Jan 1970 00:00:00 +0000", 1),
		"Hostile/date-2100.eml":   strings.Replace(msg("Hostile: dated 2100", "Message-ID: <d2100@example.test>"+crlf, "the future"), "Mon, 3 Jun 2024 10:00:00 +0000", "Fri, 31 Dec 2100 23:59:59 +0000", 1),
		"Hostile/dup-msgid-a.eml": msg("Hostile: duplicate Message-ID (a)", "Message-ID: <same@example.test>"+crlf, "first of two messages with one Message-ID"),
		"Hostile/dup-msgid-b.eml": msg("Hostile: duplicate Message-ID (b)", "Message-ID: <same@example.test>"+crlf, "second of two messages with one Message-ID"),
	}
}

// hostileFolders are odd folder names an .eml tree can hold (directory
// names: no "/", at most 255 bytes), one message each, and the path the
// folder mapping gives them (migrate/mapping: "\" becomes "_", a
// top-level name Exchange reserves gets " (imported)", "." is kept).
var hostileFolders = map[string]string{
	`back\slash`:           "back_slash",
	"dot.ted.name":         "dot.ted.name",
	".hidden-looking":      ".hidden-looking",
	"Calendar":             "Calendar (imported)",
	"Files":                "Files (imported)",
	"Sync Issues":          "Sync Issues (imported)",
	"Conversation History": "Conversation History (imported)",
}

// deepLevels is the depth of the deepest folder of the .eml tree (Exchange
// Online's folder hierarchy depth quota, ProhibitReceiveFolderHierarchyDepth,
// is 300).
const deepLevels = 200

// cut255 is s cut to 255 UTF-16 code units without splitting a
// surrogate pair (migrate/mapping MaxFolderNameLength), and the trailing
// spaces the cut leaves trimmed as the mapping trims them.
func cut255(s string) string {
	n := 0
	for i, r := range s {
		w := len(utf16.Encode([]rune{r}))
		if n+w > 255 {
			return strings.TrimRight(s[:i], " ")
		}
		n += w
	}
	return s
}

// TestE2EHostileInput migrates the hostile messages and odd folder names
// of issue 15 into the emulator: an .eml tree (the messages above, the
// folder names a file system allows, a folder 200 levels deep) and an
// IMAP account on a server whose delimiter is "." (names with "/", names
// of 300 characters, with characters outside the BMP). Each item is in
// the target once, in its mapped folder, or listed failed with a reason
// naming mailbox, folder and item; nothing panics; the run ends within
// runLimit (hangGuard); a second run creates nothing.
func TestE2EHostileInput(t *testing.T) {
	const emlUser, imapUser = "hostile@example.test", "names@example.test"
	root := filepath.Join(t.TempDir(), "Hostile export")
	files := hostileMessages()
	for name := range hostileFolders {
		files[name+"/m.eml"] = fmt.Sprintf("From: a@example.test\r\nSubject: Hostile folder %s\r\nDate: Tue, 4 Jun 2024 10:00:00 +0000\r\n\r\nin %s\r\n", name, name)
	}
	var deep []string
	for i := 1; i <= deepLevels; i++ {
		deep = append(deep, fmt.Sprintf("L%d", i))
	}
	deepPath := strings.Join(deep, "/")
	files[deepPath+"/deepest.eml"] = "From: a@example.test\r\nSubject: Hostile: 200 levels deep\r\nDate: Tue, 4 Jun 2024 10:00:00 +0000\r\n\r\ndeep\r\n"
	for rel, content := range files {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	imapNames := map[string]string{ // source name (delimiter ".") -> target path
		"a/b slash":                              "a_b slash",
		"Reports 2024/Q1":                        "Reports 2024_Q1",
		strings.Repeat("Long name ", 30) + "end": cut255(strings.Repeat("Long name ", 30) + "end"),
		strings.Repeat("\U0001F4E7mail", 60):     cut255(strings.Repeat("\U0001F4E7mail", 60)),
		"Parent.Tasks":                           "Parent/Tasks", // reserved only at the top
		"Tasks":                                  "Tasks (imported)",
	}
	srv := testserver.MemIMAPForTest(t, &testserver.MemIMAPOptions{Delimiter: '.', Accounts: []testserver.User{{Name: imapUser, Password: "names-pw-test-only"}}})
	for name := range imapNames {
		if err := srv.Create(imapUser, name); err != nil {
			t.Fatalf("Create(%q) = %v", name, err)
		}
		msg := fmt.Sprintf("From: a@example.test\r\nSubject: Hostile name %s\r\nDate: Tue, 4 Jun 2024 10:00:00 +0000\r\n\r\nin %s\r\n", name, name)
		if _, err := srv.Append(imapUser, name, []byte(msg), time.Date(2024, 6, 4, 10, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
	}

	ep := graphemu.StartForTest(t, &graphemu.Options{ClientID: e2eClientID, ClientSecret: e2eSecret, Users: []string{emlUser, imapUser}, AttachmentsOnNonDraft: true})
	dir := writeFiles(t, map[string]string{
		"migration.yaml": fmt.Sprintf("client: E2E hostile\nsource:\n  host: %s\n  port: %d\n  security: starttls\n  ca_file: %s\n  timeout: 30s\n%s",
			srv.Host, srv.Port, srv.CAFile, e2eTarget(ep, "client-secret.txt")),
		"client-secret.txt": e2eSecret + "\n",
		"mailboxes.csv": "EmailAddress,UserName,Password,SourceProtocol,SourcePath\n" +
			emlUser + ",,,eml," + root + "\n" + imapUser + "," + imapUser + ",names-pw-test-only,imap,\n",
	})
	cfg := filepath.Join(dir, "migration.yaml")
	code, stdout, stderr := runCLI(t, "run", "--config", cfg, "--progress", "none")
	t.Logf("migrate run: exit %d\n%s", code, stdout)
	if code != exitOK && code != exitItemsFailed {
		t.Fatalf("migrate run: exit %d, want %d or %d\n%s\n%s", code, exitOK, exitItemsFailed, stdout, stderr)
	}
	if strings.Contains(stdout+stderr, "panic") || strings.Contains(stdout+stderr, "goroutine ") {
		t.Fatalf("the run panicked:\n%s\n%s", stdout, stderr)
	}

	// What the target holds, by the item's source key (eml) or subject.
	type placed struct {
		path string
		item graphemu.DumpItem
	}
	byKey, bySubject := map[string][]placed{}, map[string][]placed{}
	for _, u := range []string{emlUser, imapUser} {
		dump := ep.Emulator.DumpMailbox(nil, u)
		byID := map[string]graphemu.DumpFolder{}
		for _, f := range dump.Folders {
			byID[f.ID] = f
		}
		for _, f := range dump.Folders {
			for _, it := range f.Items {
				// The path by display names (Path joins them with "/",
				// which a name may hold itself).
				var names []string
				for g, ok := f, true; ok && g.WellKnown != "msgfolderroot"; g, ok = byID[g.ParentID] {
					names = append([]string{g.DisplayName}, names...)
				}
				p := placed{strings.Join(names, "/"), it}
				key, _ := stampOf(it)
				byKey[u+" "+key] = append(byKey[u+" "+key], p)
				subject, _ := it.Graph["subject"].(string)
				bySubject[subject] = append(bySubject[subject], p)
				if !utf8.ValidString(subject) || strings.ContainsRune(subject, 0) {
					t.Errorf("%s: subject %q is not valid UTF-8 without NUL", p.path, subject)
				}
				body, _ := it.Graph["body"].(map[string]any)
				if content, _ := body["content"].(string); !utf8.ValidString(content) {
					t.Errorf("%s: body of %q is not valid UTF-8", p.path, subject)
				}
			}
		}
	}
	items := stateItems(t, filepath.Join(dir, ".migrate", "state.db"))
	// migratedOrReported checks one source item: once in the target, or
	// failed or skipped with a reason the run's output names it with.
	migratedOrReported := func(user, what string, got []placed, match func(state.Item) bool) (placed, bool) {
		t.Helper()
		if len(got) == 1 {
			return got[0], true
		}
		if len(got) > 1 {
			t.Errorf("%s %s: %d times in the target, want once", user, what, len(got))
			return placed{}, false
		}
		for _, it := range items {
			if it.Mailbox == user && match(it) && (it.Status == state.StatusFailed || it.Status == state.StatusSkipped) && it.Reason != "" {
				line := fmt.Sprintf("mailbox %s, folder %s, item %s: ", user, it.Folder, it.SourceKey)
				if it.Status == state.StatusFailed && !strings.Contains(stdout, line) {
					t.Errorf("%s %s: failed (%s) but the output does not list %q:\n%s", user, what, it.Reason, line, stdout)
				}
				t.Logf("%s %s: %s: %s", user, what, it.Status, it.Reason)
				return placed{}, false
			}
		}
		t.Errorf("%s %s: neither in the target nor reported with a reason", user, what)
		return placed{}, false
	}

	for rel, content := range hostileMessages() {
		if content == "" && len(byKey[emlUser+" "+rel]) == 0 {
			// An empty file is not a message: the store lists it among the
			// folder's unreadable files (source.Folder.Unreadable, which
			// the plan reports) and logs it on every listing.
			if !strings.Contains(stderr, "file not migrated") || !strings.Contains(stderr, path.Base(rel)) {
				t.Errorf("%s: neither in the target nor logged as a file not migrated:\n%s", rel, stderr)
			}
			continue
		}
		p, ok := migratedOrReported(emlUser, rel, byKey[emlUser+" "+rel], func(it state.Item) bool { return it.SourceKey == rel })
		if !ok {
			if content != "" { // only the zero-byte message may be refused
				t.Errorf("%s: not migrated; Graph can take it", rel)
			}
			continue
		}
		if p.path != "Hostile" {
			t.Errorf("%s: in %q, want Hostile", rel, p.path)
		}
		body, _ := p.item.Graph["body"].(map[string]any)
		text, _ := body["content"].(string)
		switch rel {
		case "Hostile/date-1970.eml", "Hostile/date-2100.eml":
			want := map[string]string{"Hostile/date-1970.eml": "1970-01-01T00:00:00Z", "Hostile/date-2100.eml": "2100-12-31T23:59:59Z"}[rel]
			if p.item.ReceivedDateTime != want || p.item.SentDateTime != want {
				t.Errorf("%s: received %s, sent %s; want both %s", rel, p.item.ReceivedDateTime, p.item.SentDateTime, want)
			}
		case "Hostile/long-header.eml":
			if !strings.Contains(text, "text after a 1 MB header line") {
				t.Errorf("%s: the body lacks its text: %.200q", rel, text)
			}
		case "Hostile/nul-headers.eml":
			if !strings.Contains(text, "NUL bytes in its header") {
				t.Errorf("%s: the body lacks its text: %.200q", rel, text)
			}
		case "Hostile/lying-charset.eml":
			if !strings.Contains(text, "declared us-ascii") {
				t.Errorf("%s: the body lacks its text: %.200q", rel, text)
			}
		case "Hostile/nested-100.eml":
			if s, _ := p.item.Graph["subject"].(string); s != "Hostile: 100-deep nested message/rfc822" {
				t.Errorf("%s: subject %q", rel, s)
			}
		}
	}
	if a, b := byKey[emlUser+" Hostile/dup-msgid-a.eml"], byKey[emlUser+" Hostile/dup-msgid-b.eml"]; len(a) != 1 || len(b) != 1 || a[0].item.ID == b[0].item.ID {
		t.Errorf("two messages with one Message-ID: %d and %d in the target, want one each", len(a), len(b))
	}
	for name, want := range hostileFolders {
		rel := name + "/m.eml"
		if p, ok := migratedOrReported(emlUser, rel, byKey[emlUser+" "+rel], func(it state.Item) bool { return it.SourceKey == rel }); !ok || p.path != want {
			t.Errorf("folder %q: message in %q (migrated %v), want %q", name, p.path, ok, want)
		}
	}
	deepRel := deepPath + "/deepest.eml"
	if p, ok := migratedOrReported(emlUser, "the message 200 levels deep", byKey[emlUser+" "+deepRel], func(it state.Item) bool { return it.SourceKey == deepRel }); !ok || p.path != deepPath {
		t.Errorf("the message 200 levels deep is in %.80q... (migrated %v), want %.80q...", p.path, ok, deepPath)
	}
	for name, want := range imapNames {
		subject := "Hostile name " + name
		if p, ok := migratedOrReported(imapUser, fmt.Sprintf("folder %q", name), bySubject[subject], func(it state.Item) bool { return it.Folder == name }); !ok || p.path != want {
			t.Errorf("IMAP folder %q: message in %q (migrated %v), want %q", name, p.path, ok, want)
		}
	}

	code, stdout2, stderr2 := runCLI(t, "run", "--config", cfg, "--progress", "none")
	if code != exitOK && code != exitItemsFailed {
		t.Fatalf("second migrate run: exit %d\n%s\n%s", code, stdout2, stderr2)
	}
	if s := parseSummary(t, stdout2); s.migrated != 0 {
		t.Errorf("second run: %+v, want nothing created", s)
	}
}
