package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/migrate/humanize"
	"github.com/migrate-tool/migrate/migrate/plan"
)

// Options tune the building of a Document. A nil *Options means the
// defaults.
type Options struct {
	// Mask masks email addresses everywhere in the report.
	Mask bool
	// Logo is the cover logo (HTML and PDF).
	Logo *Image
	// Now is the report's date; zero means time.Now.
	Now time.Time
	// Tool is the program version printed in the report.
	Tool string
	// Client and Consultant override the names recorded in the plan (they
	// come from the configuration).
	Client, Consultant string
}

func (o *Options) now() time.Time {
	if o == nil || o.Now.IsZero() {
		return time.Now().UTC()
	}
	return o.Now.UTC()
}

// Assessment builds the assessment from a plan.
func Assessment(p *plan.Plan, o *Options) *Document {
	if o == nil {
		o = &Options{}
	}
	d := &Document{
		Schema: Schema, Kind: KindAssessment, Title: "Migration assessment", GeneratedAt: o.now(), Tool: o.Tool,
		Client: firstOf(o.Client, p.Client), Consultant: firstOf(o.Consultant, p.Consultant), Logo: o.Logo,
	}
	// The plan is named by its date and tool, never by its file: a report
	// goes to the client and carries no path of the consultant's machine.
	d.Source = []string{fmt.Sprintf("Made from the plan made on %s by %s.", p.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"), firstOf(p.Tool, "migrate"))}
	if len(p.Settings.Filters) > 0 {
		d.Source = append(d.Source, "Filters: "+strings.Join(p.Settings.Filters, "; ")+".")
	}

	kinds := map[string]map[string]string{} // folder kinds per mailbox
	for _, m := range p.Mailboxes {
		k := map[string]string{}
		for _, f := range m.Folders {
			k[f.Path] = f.Kind
		}
		kinds[strings.ToLower(m.Address)] = k
	}
	sev := map[string]plan.Severity{} // worst severity per mailbox
	for _, r := range p.Risks {
		folder := folderLabel(r.Folder, kinds[strings.ToLower(r.Mailbox)][r.Folder])
		d.Attention = append(d.Attention, Attention{Severity: string(r.Severity), Code: r.Code, Mailbox: r.Mailbox, Folder: folder, Reason: r.Message, Count: 1})
		switch r.Severity {
		case plan.SevError:
			d.Summary.Errors++
		case plan.SevWarning:
			d.Summary.Warnings++
		}
		key := strings.ToLower(r.Mailbox)
		if cur, ok := sev[key]; !ok || plan.SeverityRank(r.Severity) < plan.SeverityRank(cur) {
			sev[key] = r.Severity
		}
	}

	var years []plan.YearCount
	buckets := plan.NewSizeBuckets()
	for _, m := range p.Mailboxes {
		row := MailboxRow{Address: m.Address, Target: m.Target, Items: m.Items, Bytes: m.Bytes,
			Migrate: Count{m.ToMigrate.Items, m.ToMigrate.Bytes}, OverLimit: int64(len(m.OverLimit)),
			Oldest: m.Oldest, Newest: m.Newest, Seconds: m.Estimate.Seconds, KeywordsDropped: m.KeywordsDropped}
		for _, s := range m.Skips {
			row.Skipped += s.Items
		}
		row.Status = "ready"
		switch sev[strings.ToLower(m.Address)] {
		case plan.SevError:
			row.Status = "blocked"
		case plan.SevWarning:
			row.Status = "attention"
		}
		d.Mailboxes = append(d.Mailboxes, row)
		d.Charts.MailboxSizes = append(d.Charts.MailboxSizes, Bar{Label: m.Address, Value: float64(m.Bytes)})
		years = plan.MergeYears(years, m.Years)
		for i := range buckets {
			if i < len(m.Sizes) {
				buckets[i].Items += m.Sizes[i].Items
				buckets[i].Bytes += m.Sizes[i].Bytes
			}
		}
		d.Appendix = append(d.Appendix, assessmentAppendix(m))
	}
	overlapFacts(d.Appendix, p.Overlaps)
	rowOverlapFacts(d.Appendix, p.RowOverlaps)
	for _, y := range years {
		label := strconv.Itoa(y.Year)
		if y.Year == 0 {
			label = "unknown"
		}
		d.Charts.ItemsPerYear = append(d.Charts.ItemsPerYear, Bar{Label: label, Value: float64(y.Items)})
	}
	for _, b := range buckets {
		d.Charts.SizeBuckets = append(d.Charts.SizeBuckets, Bar{Label: b.Label, Value: float64(b.Items)})
	}

	t := p.Totals
	s := &d.Summary
	s.Mailboxes, s.Items, s.Bytes = t.Mailboxes, t.Items, t.Bytes
	s.Migrate = Count{t.ToMigrate.Items, t.ToMigrate.Bytes}
	s.Skipped = Count{t.Skipped.Items, t.Skipped.Bytes}
	s.Seconds = p.Estimate.Seconds
	s.KeywordsDropped = t.KeywordsDropped
	blocked := 0
	for _, r := range d.Mailboxes {
		if r.Status == "blocked" {
			blocked++
		}
	}
	switch {
	case s.Errors > 0:
		s.Outcome = "blocked"
		s.Headline = fmt.Sprintf("%d of %s can be migrated as planned; %s action first (see Items needing attention).", t.Mailboxes-blocked, mailboxes(t.Mailboxes), humanize.Plural(int64(blocked), "needs", "need"))
		if blocked == 0 {
			s.Headline = fmt.Sprintf("The migration of %s needs action first: %s listed under Items needing attention.", mailboxes(t.Mailboxes), humanize.Plural(int64(s.Errors), "problem is", "problems are"))
		}
	case s.Warnings > 0:
		s.Outcome = "attention"
		s.Headline = fmt.Sprintf("%s, %s (%s), can move to Exchange Online in about %s; %s a decision first.",
			mailboxes(t.Mailboxes), Items(t.ToMigrate.Items), Bytes(t.ToMigrate.Bytes), plan.FormatDuration(p.Estimate.Seconds), humanize.Plural(int64(s.Warnings), "point needs", "points need"))
	default:
		s.Outcome = "ready"
		s.Headline = fmt.Sprintf("%s, %s (%s), can move to Exchange Online in about %s.",
			mailboxes(t.Mailboxes), Items(t.ToMigrate.Items), Bytes(t.ToMigrate.Bytes), plan.FormatDuration(p.Estimate.Seconds))
	}
	s.Points = append(s.Points, fmt.Sprintf("The source %s %s (%s) in %s.", noun(int64(t.Mailboxes), "mailbox holds", "mailboxes hold"), Items(t.Items), Bytes(t.Bytes), humanize.Plural(int64(t.Folders), "folder", "folders")))
	if t.Skipped.Items > 0 {
		s.Points = append(s.Points, fmt.Sprintf("%s (%s) will not be migrated, by the filters and limits listed per mailbox.", Items(t.Skipped.Items), Bytes(t.Skipped.Bytes)))
	}
	if t.OverLimit > 0 {
		s.Points = append(s.Points, fmt.Sprintf("%s larger than the tenant accepts (%s); an administrator can raise the limit up to 150 MB.", humanize.Plural(t.OverLimit, "item is", "items are"), Bytes(p.Settings.MaxMessageSize)))
	}
	switch {
	case t.PIM != nil:
		s.Points = append(s.Points, pimSummary(*t.PIM))
	case t.Contacts+t.Events > 0:
		s.Points = append(s.Points, fmt.Sprintf("%s and %s.", humanize.Plural(t.Contacts, "contact", "contacts"), humanize.Plural(t.Events, "calendar item", "calendar items")))
	}
	if t.KeywordsDropped > 0 {
		var all []plan.KeywordCount
		for _, m := range p.Mailboxes {
			all = append(all, m.DroppedKeywords...)
		}
		s.Points = append(s.Points, fmt.Sprintf("%s will be migrated without keywords Exchange Online has no place for (%s; listed per mailbox).",
			Items(t.KeywordsDropped), topKeywords(all)))
	}
	if pt := overlapPoint(p.Overlaps); pt != "" {
		s.Points = append(s.Points, pt)
	}
	if pt := rowOverlapPoint(p.RowOverlaps); pt != "" {
		s.Points = append(s.Points, pt)
	}
	renamed := 0
	for _, m := range p.Mailboxes {
		renamed += len(m.Renamed)
	}
	if renamed > 0 {
		s.Points = append(s.Points, fmt.Sprintf("%s another name or place in Exchange Online (listed below).", humanize.Plural(int64(renamed), "folder gets", "folders get")))
	}
	s.Points = append(s.Points, fmt.Sprintf("Estimated duration %s with %s at once; the limit is the %s.", plan.FormatDuration(p.Estimate.Seconds), mailboxes(p.Estimate.Mailboxes), p.Estimate.Bottleneck))
	if t.Errors > 0 {
		s.Points = append(s.Points, fmt.Sprintf("%s could not be read.", mailboxes(t.Errors)))
	}
	if tp := p.TenantProbe; tp != nil {
		s.Points = append(s.Points, probePoint(tp))
	}
	d.Notes = append(d.Notes, p.Estimate.Notes...)
	d.Notes = append(d.Notes,
		"Exchange Online accepts messages up to 35 MB by default (an administrator can raise it to 150 MB), at most 1,000,000 items per folder, and per mailbox 150 MB of uploads per 5 minutes through Microsoft Graph.",
		"Sizes are in binary units (1 MB = 1,048,576 bytes), as Exchange counts them.")
	finish(d, o)
	return d
}

// probePoint sums up a tenant probe for the summary.
func probePoint(tp *plan.TenantProbe) string {
	if tp.Error != "" {
		return fmt.Sprintf("The tenant probe on %s failed: %s.", tp.Mailbox, tp.Error)
	}
	kept := 0
	for _, c := range tp.Checks {
		if c.Kept {
			kept++
		}
	}
	attach := "accepts attachments added to received mail"
	if tp.AttachToReceived == "no" {
		attach = "refuses attachments added to received mail, so messages with large attachments become drafts"
	}
	return fmt.Sprintf("A test message created on %s kept %d of %d properties checked; the tenant %s.", tp.Mailbox, kept, len(tp.Checks), attach)
}

func assessmentAppendix(m plan.Mailbox) Appendix {
	a := Appendix{Mailbox: m.Address}
	fact := func(label, value string) { a.Facts = append(a.Facts, Fact{Label: label, Value: value}) }
	fact("Source", fmt.Sprintf("%s on %s (%s)", m.Protocol, m.Server, m.Security))
	fact("Target", m.Target)
	if m.Error != "" {
		fact("Could not be read", m.Error)
	}
	fact("Target check", targetFact(m.TargetCheck))
	fact("Items", fmt.Sprintf("%s (%s)", Number(m.Items), Bytes(m.Bytes)))
	fact("To migrate", fmt.Sprintf("%s (%s)", Number(m.ToMigrate.Items), Bytes(m.ToMigrate.Bytes)))
	for _, s := range m.Skips {
		fact("Skipped: "+ruleName(s.Rule), fmt.Sprintf("%s (%s), e.g. %s", Items(s.Items), Bytes(s.Bytes), s.Example))
	}
	if !m.Oldest.IsZero() {
		fact("Dates", m.Oldest.Format("2006-01-02")+" to "+m.Newest.Format("2006-01-02"))
	}
	switch {
	case m.PIM != nil:
		fact("Contacts", humanize.Plural(m.PIM.Contacts, "contact", "contacts")+" to create")
		fact("Calendar events", eventsFact(*m.PIM))
		if m.PIM.Unparsable > 0 {
			fact("Cannot be read", humanize.Plural(m.PIM.Unparsable, "contact or event", "contacts or events")+" (listed under Items needing attention)")
		}
		if len(m.PIMFields) > 0 {
			fact("Details kept another way", fieldsFact(m.PIMFields))
		}
	case m.Contacts+m.Events > 0:
		fact("Contacts and events", humanize.Plural(m.Contacts, "contact", "contacts")+", "+humanize.Plural(m.Events, "event", "events"))
	}
	a.Keywords = keywordRows(m.DroppedKeywords)
	if m.KeywordsDropped > 0 {
		fact("Keywords dropped", keywordsFact(m.KeywordsDropped, a.Keywords))
	}
	if m.HeadersRead+m.HeadersSkipped > 0 {
		fact("Duplicate Message-IDs", fmt.Sprintf("%s a Message-ID (%s read, %s not checked)", humanize.Plural(m.DuplicateItems, "item shares", "items share"), humanize.Plural(m.HeadersRead, "header", "headers"), Number(m.HeadersSkipped)))
	}
	if v := m.POPView; v != nil {
		fact("POP view and IMAP INBOX", popViewFact(v))
	}
	if m.Read.Items > 0 {
		fact("Source read rate", fmt.Sprintf("%s/s and %.0f ms per item, measured on %s (%s)", Bytes(int64(m.Read.BytesPerSecond)), m.Read.PerItemSeconds*1000, Items(m.Read.Items), Bytes(m.Read.Bytes)))
	}
	if m.Error == "" && m.Estimate.Bottleneck != plan.BottleneckNone {
		fact("Estimate", fmt.Sprintf("%s; limited by the %s", plan.FormatDuration(m.Estimate.Seconds), m.Estimate.Bottleneck))
	}
	for _, f := range m.Folders {
		row := FolderRow{Source: f.Path, Target: f.Target, Items: f.Items, Bytes: f.Bytes, Migrate: f.ToMigrate.Items,
			Skipped: f.Items - f.ToMigrate.Items, Oldest: f.Oldest, Newest: f.Newest}
		if f.Excluded && f.Reason != "" {
			row.Notes = append(row.Notes, f.Reason)
		}
		row.Notes = append(row.Notes, f.Changes...)
		row.Source = folderLabel(f.Path, f.Kind)
		if f.PIM != nil {
			row.Notes = append(row.Notes, pimFolderNote(f.Kind, *f.PIM))
		}
		if f.NoSelect {
			row.Notes = append(row.Notes, "holds only folders")
		}
		a.Folders = append(a.Folders, row)
	}
	for _, it := range m.Largest {
		row := ItemRow{Folder: it.Folder, Item: it.Key, Bytes: it.Size, Date: it.Date, Subject: strings.TrimSpace(it.Subject)}
		// A contact or an event among the largest items has no subject
		// the plan reads (it reads mail headers): say what it is rather
		// than "(no subject)", and name its folder as the folder table does.
		if kind, _, ok := strings.Cut(it.Folder, ":"); ok && (kind == "contact" || kind == "event") {
			row.Folder, row.Kind = folderLabel(it.Folder, kind), kind
			if row.Subject == "" {
				row.Subject = map[string]string{"contact": "(a contact)", "event": "(a calendar event)"}[kind]
			}
		}
		a.Largest = append(a.Largest, row)
	}
	return a
}

// popViewFact says how a POP3 row's maildrop compares with the IMAP
// INBOX of the same account.
func popViewFact(v *plan.POPView) string {
	where := "the IMAP row " + v.IMAP
	if v.Probed {
		where = "the account over IMAP (" + v.Server + ", " + v.Security + ")"
	}
	if v.Error != "" {
		return "not compared: " + where + " could not be read: " + v.Error
	}
	out := fmt.Sprintf("%s of %s in the INBOX of %s, matched by size, Date and Message-ID", Number(v.InInbox), humanize.Plural(v.Compared, "POP message", "POP messages"), where)
	if v.NotInInbox.Items > 0 {
		use := fmt.Sprintf("with that row, line %d of the CSV", v.Line)
		if v.Row != "" {
			use = "with the row " + v.Row
		}
		out += fmt.Sprintf("; %s (%s) not in it: migrate over IMAP instead, %s", humanize.Plural(v.NotInInbox.Items, "message", "messages"), Bytes(v.NotInInbox.Bytes), use)
	}
	if v.Unkeyed > 0 {
		out += fmt.Sprintf("; %s without Date or Message-ID not matched", Number(v.Unkeyed))
	}
	return out
}

// overlapPoint sums up the messages that a POP3 row and an IMAP row of
// one target mailbox both hold, for the summary; "" when none.
func overlapPoint(os []plan.Overlap) string {
	var n, b int64
	for _, o := range os {
		n, b = n+o.Both.Items, b+o.Both.Bytes
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%s (%s) %s both on a POP row and on an IMAP row for the same target mailbox; matched by size, Date and Message-ID, each is migrated once (listed per mailbox).",
		humanize.Plural(n, "message", "messages"), Bytes(b), noun(n, "is", "are"))
}

// rowOverlapPoint sums up the messages of later rows of a target mailbox
// expected there already from an earlier row, for the summary; "" when
// none.
func rowOverlapPoint(os []plan.RowOverlap) string {
	var n, b int64
	for _, o := range os {
		n, b = n+o.Both.Items, b+o.Both.Bytes
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%s (%s) of a row %s also in an earlier row for the same target mailbox (a server account and a local store of it); matched by Date, Message-ID and body, each is migrated once (listed per mailbox).",
		humanize.Plural(n, "message", "messages"), Bytes(b), noun(n, "is", "are"))
}

// rowOverlapFacts adds each row overlap to the appendix of its row.
func rowOverlapFacts(as []Appendix, os []plan.RowOverlap) {
	for _, o := range os {
		for i := range as {
			if !strings.EqualFold(as[i].Mailbox, o.Row) {
				continue
			}
			v := fmt.Sprintf("%s of %s (%s) expected in %s already from %s: migrated once (matched by Date, Message-ID and body)",
				Number(o.Both.Items), humanize.Plural(o.Compared, "message", "messages"), Bytes(o.Both.Bytes), o.Target, strings.Join(o.Earlier, ", "))
			if o.Unkeyed > 0 {
				v += fmt.Sprintf("; %s without Date or Message-ID not matched", Number(o.Unkeyed))
			}
			as[i].Facts = append(as[i].Facts, Fact{Label: "Also in an earlier row", Value: v})
		}
	}
}

// overlapFacts adds each overlap to the appendix of its POP row.
func overlapFacts(as []Appendix, os []plan.Overlap) {
	for _, o := range os {
		for i := range as {
			if !strings.EqualFold(as[i].Mailbox, o.POP) {
				continue
			}
			v := fmt.Sprintf("%s of %s (%s) also in the IMAP row %s, both for %s: migrated once (matched by size, Date and Message-ID)",
				Number(o.Both.Items), humanize.Plural(o.Compared, "POP message", "POP messages"), Bytes(o.Both.Bytes), o.IMAP, o.Target)
			if o.Unkeyed > 0 {
				v += fmt.Sprintf("; %s without Date or Message-ID not matched", Number(o.Unkeyed))
			}
			as[i].Facts = append(as[i].Facts, Fact{Label: "Also over IMAP", Value: v})
		}
	}
}

func targetFact(tc plan.TargetCheck) string {
	switch {
	case !tc.Checked:
		return "not checked"
	case tc.Error != "":
		return "failed: " + tc.Error
	}
	parts := []string{"user found, mailbox reachable"}
	if tc.CanRead {
		parts = append(parts, "items readable")
	}
	if tc.Inspected && tc.Items >= 0 {
		parts = append(parts, fmt.Sprintf("%s in %s already", Items(tc.Items), humanize.Plural(int64(len(tc.Folders)), "folder", "folders")))
	}
	if tc.Stamped > 0 {
		parts = append(parts, Items(tc.Stamped)+" migrated earlier")
	}
	switch {
	case tc.QuotaBytes > 0:
		parts = append(parts, fmt.Sprintf("%s of %s quota used", Bytes(tc.UsedBytes), Bytes(tc.QuotaBytes)))
	case tc.QuotaUnknown != "":
		parts = append(parts, "quota unknown: "+tc.QuotaUnknown)
	}
	return strings.Join(parts, "; ")
}

// maxKeywordsShown is how many dropped keywords a fact names.
const maxKeywordsShown = 10

// keywordRows turns the plan's or the state's keyword counts into rows.
func keywordRows(kws []plan.KeywordCount) []KeywordRow {
	out := make([]KeywordRow, len(kws))
	for i, k := range kws {
		out[i] = KeywordRow{Keyword: k.Keyword, Items: k.Items}
	}
	return out
}

// keywordsFact says how many items lose keywords and which:
// "3 items: $MDNSent on 3 items, $Junk on 1 item".
func keywordsFact(items int64, kws []KeywordRow) string {
	return Items(items) + ": " + keywordList(kws)
}

// keywordList names the keywords and their items, at most
// maxKeywordsShown: "$MDNSent on 3 items, $Junk on 1 item".
func keywordList(kws []KeywordRow) string {
	var parts []string
	for i, k := range kws {
		if i == maxKeywordsShown {
			parts = append(parts, fmt.Sprintf("%d more", len(kws)-i))
			break
		}
		parts = append(parts, k.Keyword+" on "+Items(k.Items))
	}
	return strings.Join(parts, ", ")
}

// topKeywords names the keywords most items lose across mailboxes: all of
// them up to three ("$MDNSent and $Junk"), else the first three ("mostly
// $MDNSent, $Junk and $Custom").
func topKeywords(kws []plan.KeywordCount) string {
	sum := map[string]int64{}
	for _, k := range kws {
		sum[k.Keyword] += k.Items
	}
	top := plan.KeywordCounts(sum)
	var names []string
	for i, k := range top {
		if i == 3 {
			break
		}
		names = append(names, k.Keyword)
	}
	if len(names) == 0 {
		return ""
	}
	list := names[0]
	if len(names) > 1 {
		list = strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	}
	if len(top) > len(names) {
		return "mostly " + list
	}
	return list
}

// mailboxes formats a number of mailboxes: "1 mailbox", "3 mailboxes".
func mailboxes(n int) string { return humanize.Plural(int64(n), "mailbox", "mailboxes") }

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// finish masks the document when asked and fills empty lists so that the
// JSON form always has arrays.
func finish(d *Document, o *Options) {
	if d.Attention == nil {
		d.Attention = []Attention{}
	}
	if d.Mailboxes == nil {
		d.Mailboxes = []MailboxRow{}
	}
	if d.Appendix == nil {
		d.Appendix = []Appendix{}
	}
	for _, l := range []*[]Bar{&d.Charts.MailboxSizes, &d.Charts.ItemsPerYear, &d.Charts.SizeBuckets} {
		if *l == nil {
			*l = []Bar{}
		}
	}
	if d.Charts.Progress == nil {
		d.Charts.Progress = []Point{}
	}
	if d.Charts.Outcomes == nil {
		d.Charts.Outcomes = []Outcomes{}
	}
	if d.Summary.Points == nil {
		d.Summary.Points = []string{}
	}
	for i := range d.Appendix {
		if d.Appendix[i].Largest == nil {
			d.Appendix[i].Largest = []ItemRow{}
		}
		if d.Appendix[i].Folders == nil {
			d.Appendix[i].Folders = []FolderRow{}
		}
		if d.Appendix[i].Keywords == nil {
			d.Appendix[i].Keywords = []KeywordRow{}
		}
	}
	if o != nil && o.Mask {
		mask(d)
	}
}

// mask masks every address in the document.
func mask(d *Document) {
	d.Masked = true
	d.Summary.Headline = MaskText(d.Summary.Headline)
	for i := range d.Summary.Points {
		d.Summary.Points[i] = MaskText(d.Summary.Points[i])
	}
	for i := range d.Source {
		d.Source[i] = MaskText(d.Source[i])
	}
	for i := range d.Mailboxes {
		r := &d.Mailboxes[i]
		r.Address, r.Target = MaskAddress(r.Address), MaskAddress(r.Target)
	}
	for _, l := range [][]Bar{d.Charts.MailboxSizes} {
		for i := range l {
			l[i].Label = MaskAddress(l[i].Label)
		}
	}
	for i := range d.Charts.Outcomes {
		d.Charts.Outcomes[i].Label = MaskAddress(d.Charts.Outcomes[i].Label)
	}
	for i := range d.Attention {
		a := &d.Attention[i]
		if a.Mailbox != "" {
			a.Mailbox = MaskAddress(a.Mailbox)
		}
		a.Folder, a.Reason = MaskText(a.Folder), MaskText(a.Reason)
	}
	for i := range d.Appendix {
		a := &d.Appendix[i]
		a.Mailbox = MaskAddress(a.Mailbox)
		for j := range a.Facts {
			a.Facts[j].Value = MaskText(a.Facts[j].Value)
		}
		for j := range a.Folders {
			f := &a.Folders[j]
			f.Source, f.Target = MaskText(f.Source), MaskText(f.Target)
			for k := range f.Notes {
				f.Notes[k] = MaskText(f.Notes[k])
			}
		}
		for j := range a.Largest {
			it := &a.Largest[j]
			it.Folder, it.Subject = MaskText(it.Folder), MaskSubject(it.Subject)
		}
	}
}

// pimSummary sums up the contacts and events for the summary.
func pimSummary(c plan.PIM) string {
	out := fmt.Sprintf("%s and %s to create", humanize.Plural(c.Contacts, "contact", "contacts"), humanize.Plural(c.Events, "calendar event", "calendar events"))
	if c.Series > 0 {
		out += fmt.Sprintf(", among them %s", humanize.Plural(c.Series, "recurring series", "recurring series"))
	}
	if c.Unparsable > 0 {
		out += fmt.Sprintf("; %s cannot be read and will not be migrated", humanize.Plural(c.Unparsable, "contact or event", "contacts or events"))
	}
	return out + "."
}

// eventsFact describes the calendar events of a mailbox: "40 events to
// create: 3 recurring series with 5 exceptions (2 moved, 3 cancelled
// occurrences); 1 series Exchange cannot repeat becomes 12 single
// events".
func eventsFact(c plan.PIM) string {
	out := humanize.Plural(c.Events, "event", "events") + " to create"
	if c.Series > 0 {
		out += ": " + humanize.Plural(c.Series, "recurring series", "recurring series")
		if n := c.Moved + c.Cancelled; n > 0 {
			out += fmt.Sprintf(" with %s (%s moved, %s cancelled)", humanize.Plural(n, "changed occurrence", "changed occurrences"), Number(c.Moved), Number(c.Cancelled))
		}
	}
	if c.Expanded > 0 {
		out += fmt.Sprintf("; %s Exchange cannot repeat %s %s", humanize.Plural(c.Expanded, "series", "series"), noun(c.Expanded, "becomes", "become"), humanize.Plural(c.ExpandedEvents, "single event", "single events"))
	}
	return out
}

// folderLabel is how the report names a source folder of the given kind:
// a mail folder by its path, an address book or a calendar by its name
// and what it is, "Work (calendar)" (a plan and the state name them
// "event:Work", apart from mail folders).
func folderLabel(path, kind string) string {
	switch kind {
	case "contact":
		return strings.TrimPrefix(path, kind+":") + " (address book)"
	case "event":
		return strings.TrimPrefix(path, kind+":") + " (calendar)"
	}
	return path
}

// pimFolderNote counts an address book's contacts or a calendar's events.
func pimFolderNote(kind string, c plan.PIM) string {
	var out string
	if kind == "event" {
		out = eventsFact(c)
	} else {
		out = humanize.Plural(c.Contacts, "contact", "contacts") + " to create"
	}
	if c.Unparsable > 0 {
		out += fmt.Sprintf("; %s cannot be read", Number(c.Unparsable))
	}
	return out
}

// fieldsFact lists the contact and event details the target keeps another
// way or not at all: "extra e-mail addresses kept in the notes (2
// contacts), reminders not kept (1 event)".
func fieldsFact(fs []plan.FieldCount) string {
	var parts []string
	for _, f := range fs {
		what := map[string]string{"notes": "kept in the notes", "body": "kept as text in the event", "changed": "changed", "dropped": "not kept"}[f.Action]
		if what == "" {
			what = f.Action
		}
		items := humanize.Plural(f.Items, "contact", "contacts")
		if f.Kind == "event" {
			items = humanize.Plural(f.Items, "event", "events")
		}
		parts = append(parts, fmt.Sprintf("%s %s (%s)", propertyName(f.Property), what, items))
	}
	return strings.Join(parts, ", ")
}

// propertyName names a vCard or iCalendar property for a reader.
func propertyName(p string) string {
	names := map[string]string{
		"EMAIL": "e-mail addresses", "TEL": "phone numbers", "ADR": "postal addresses", "URL": "web sites",
		"PHOTO": "photo", "BDAY": "birthday", "ANNIVERSARY": "anniversary", "ORG": "organization",
		"IMPP": "chat addresses", "NOTE": "notes", "RRULE": "repeat rule", "RDATE": "extra dates",
		"EXDATE": "cancelled dates", "RECURRENCE-ID": "changed occurrences", "VALARM": "reminders",
		"ATTENDEE": "organizer and attendees", "TZID": "time zone", "VEVENT": "event",
	}
	if n, ok := names[strings.ToUpper(p)]; ok {
		return n
	}
	return p
}
