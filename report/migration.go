package report

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/migrate/humanize"
	"github.com/migrate-tool/migrate/migrate/mapping"
	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/target"
)

// MigrationInput is what the migration report is made from: the state
// (read with LoadMigration) and, optionally, a verification and the plan.
type MigrationInput struct {
	// Project is the state's project record.
	Project state.Project
	// Mailboxes are the mailboxes recorded in the state.
	Mailboxes []MailboxState
	// Runs are the recorded runs, oldest first.
	Runs []state.Run
	// Progress is the cumulative count of migrated items over time.
	Progress []Point
	// Verification is the result of migrate verify; nil when none.
	Verification *plan.Verification
	// Plan is the plan the migration followed; nil when none. It adds the
	// items per year and the size distribution.
	Plan *plan.Plan
}

// MailboxState is one mailbox as the state records it.
type MailboxState struct {
	Mailbox state.Mailbox
	// Counts are the mailbox's items and bytes by status.
	Counts map[state.Status]state.Counts
	// Folders are the mailbox's folders with their counts.
	Folders []FolderState
	// Failed are the failed items (at most MaxListed; Counts has all).
	Failed []state.Item
	// Notes group migrated and skipped items by their reason: what was
	// kept in another form ("created as a draft...") or why skipped.
	Notes []ReasonCount
	// KeywordsDropped counts the migrated items that lost flags or
	// keywords the target does not carry (state.Item.DroppedKeywords);
	// DroppedKeywords says which, on how many items each.
	KeywordsDropped int64
	DroppedKeywords []plan.KeywordCount
	// ReceivedFrom counts the migrated items by where their received time
	// came from (state.Item.ReceivedFrom: "server", "received_header",
	// "date_header", "run_time"); items recorded without it are not counted.
	ReceivedFrom map[string]int64
	// Contacts and Events count the mailbox's contact and event items
	// (state.Item.Kind) by status: what was created in the target's
	// contact folders and calendars, and what failed.
	Contacts, Events map[state.Status]int64
}

// FolderState is one folder as the state records it.
type FolderState struct {
	Folder state.Folder
	Counts map[state.Status]state.Counts
	// Kind is the kind of the folder's items (state.Item.Kind: message,
	// contact, event); "" when it holds none.
	Kind string
}

// ReasonCount is a reason given for a number of items.
type ReasonCount struct {
	Status state.Status
	Reason string
	// Example is one item's folder and key.
	Folder, Key string
	Count       int64
}

// MaxListed is the most failed items listed per mailbox in a report.
const MaxListed = 200

// maxPoints is the most points of the progress line.
const maxPoints = 60

// LoadMigration reads everything the migration report needs from the state,
// streaming the items once.
func LoadMigration(ctx context.Context, st state.Store) (*MigrationInput, error) {
	in := &MigrationInput{}
	var err error
	if in.Project, err = st.Project(ctx); err != nil && !isNotFound(err) {
		return nil, fmt.Errorf("reading the state: %w", err)
	}
	if in.Runs, err = st.Runs(ctx); err != nil {
		return nil, fmt.Errorf("reading the state: %w", err)
	}
	mbs, err := st.Mailboxes(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the state: %w", err)
	}
	type done struct {
		at    time.Time
		bytes int64
	}
	var times []done
	for _, m := range mbs {
		ms := MailboxState{Mailbox: m, ReceivedFrom: map[string]int64{}}
		if ms.Counts, err = st.Summary(ctx, m.ID); err != nil {
			return nil, fmt.Errorf("reading the state: %w", err)
		}
		folders, err := st.Folders(ctx, m.ID)
		if err != nil {
			return nil, fmt.Errorf("reading the state: %w", err)
		}
		byFolder := map[string]*FolderState{}
		for _, f := range folders {
			ms.Folders = append(ms.Folders, FolderState{Folder: f, Counts: map[state.Status]state.Counts{}})
		}
		for i := range ms.Folders {
			byFolder[ms.Folders[i].Folder.SourcePath] = &ms.Folders[i]
		}
		notes := map[string]*ReasonCount{}
		keywords := map[string]int64{}
		for it, err := range st.Items(ctx, state.ItemQuery{Mailbox: m.ID}) {
			if err != nil {
				return nil, fmt.Errorf("reading the state: %w", err)
			}
			switch it.Kind {
			case state.KindContact:
				if ms.Contacts == nil {
					ms.Contacts = map[state.Status]int64{}
				}
				ms.Contacts[it.Status]++
			case state.KindEvent:
				if ms.Events == nil {
					ms.Events = map[state.Status]int64{}
				}
				ms.Events[it.Status]++
			}
			if f := byFolder[it.Folder]; f != nil {
				if f.Kind == "" {
					f.Kind = it.Kind
				}
				c := f.Counts[it.Status]
				c.Items++
				c.Bytes += it.Bytes
				f.Counts[it.Status] = c
			}
			switch {
			case it.Status == state.StatusFailed:
				if len(ms.Failed) < MaxListed {
					ms.Failed = append(ms.Failed, it)
				}
			case it.Reason != "" && (it.Status == state.StatusMigrated || it.Status == state.StatusSkipped):
				key := string(it.Status) + "\x00" + it.Reason
				if n := notes[key]; n != nil {
					n.Count++
				} else {
					notes[key] = &ReasonCount{Status: it.Status, Reason: it.Reason, Folder: it.Folder, Key: it.SourceKey, Count: 1}
				}
			}
			if it.Status == state.StatusMigrated {
				times = append(times, done{it.UpdatedAt, it.Bytes})
				if it.ReceivedFrom != "" {
					ms.ReceivedFrom[it.ReceivedFrom]++
				}
				if len(it.DroppedKeywords) > 0 {
					ms.KeywordsDropped++
					for _, k := range it.DroppedKeywords {
						keywords[k]++
					}
				}
			}
		}
		ms.DroppedKeywords = plan.KeywordCounts(keywords)
		for _, n := range notes {
			ms.Notes = append(ms.Notes, *n)
		}
		slices.SortFunc(ms.Notes, func(a, b ReasonCount) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Reason, b.Reason))
		})
		in.Mailboxes = append(in.Mailboxes, ms)
	}
	slices.SortFunc(times, func(a, b done) int { return a.at.Compare(b.at) })
	var items, bytes int64
	step := max(len(times)/maxPoints, 1)
	for i, t := range times {
		items++
		bytes += t.bytes
		if (i+1)%step == 0 || i == len(times)-1 {
			in.Progress = append(in.Progress, Point{Time: t.at.UTC(), Items: items, Bytes: bytes})
		}
	}
	return in, nil
}

func isNotFound(err error) bool { return errors.Is(err, state.ErrNotFound) }

// displayTarget turns a state's target path ("inbox/Projects",
// "msgfolderroot/work (2)") into the names Outlook shows
// (target.DisplayPath).
func displayTarget(path string) string {
	first, rest, _ := strings.Cut(path, "/")
	switch {
	case first != target.Root && target.DisplayName(first) == "":
		return path
	case rest == "":
		return target.DisplayPath(first)
	}
	return target.DisplayPath(first, rest)
}

// Migration builds the migration report.
func Migration(in *MigrationInput, o *Options) *Document {
	if o == nil {
		o = &Options{}
	}
	d := &Document{Schema: Schema, Kind: KindMigration, Title: "Migration report", GeneratedAt: o.now(), Tool: o.Tool,
		Client: firstOf(o.Client, in.Project.Name), Consultant: o.Consultant, Logo: o.Logo}
	if in.Plan != nil {
		d.Consultant = firstOf(d.Consultant, in.Plan.Consultant)
	}
	// The state is not named by its file: a report goes to the client and
	// carries no path of the consultant's machine.
	d.Source = []string{fmt.Sprintf("Made from the state of the migration (%s recorded).", humanize.Plural(int64(len(in.Runs)), "run", "runs"))}
	v := in.Verification
	if v != nil {
		d.Source = append(d.Source, fmt.Sprintf("Verified on %s by %s: every source item compared with the target by its source-key stamp.", v.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"), firstOf(v.Tool, "migrate")))
	}
	if in.Plan != nil {
		d.Source = append(d.Source, fmt.Sprintf("Following the plan made on %s.", in.Plan.CreatedAt.UTC().Format("2006-01-02 15:04 UTC")))
	}

	verified := map[string]*plan.VerifyMailbox{}
	if v != nil {
		for i := range v.Mailboxes {
			verified[strings.ToLower(v.Mailboxes[i].Address)] = &v.Mailboxes[i]
		}
	}
	s := &d.Summary
	for _, ms := range in.Mailboxes {
		m := ms.Mailbox
		c := ms.Counts
		row := MailboxRow{Address: m.SourceAddress, Target: m.TargetAddress, Status: string(m.Status),
			Migrate: Count{c[state.StatusMigrated].Items, c[state.StatusMigrated].Bytes},
			Skipped: c[state.StatusSkipped].Items, Failed: c[state.StatusFailed].Items, Pending: c[state.StatusPending].Items,
			KeywordsDropped: ms.KeywordsDropped}
		for _, st := range state.Statuses() {
			row.Items += c[st].Items
			row.Bytes += c[st].Bytes
		}
		if vm := verified[strings.ToLower(m.SourceAddress)]; vm != nil {
			row.Verify = "failed"
			if vm.OK {
				row.Verify = "ok"
			}
			row.Missing, row.Doubled, row.Changed = vm.Missing, vm.Doubled, vm.Changed
		}
		d.Mailboxes = append(d.Mailboxes, row)
		s.Items += row.Items
		s.Bytes += row.Bytes
		s.Migrate.Items += row.Migrate.Items
		s.Migrate.Bytes += row.Migrate.Bytes
		s.Skipped.Items += row.Skipped
		s.Skipped.Bytes += c[state.StatusSkipped].Bytes
		s.Failed.Items += row.Failed
		s.Failed.Bytes += c[state.StatusFailed].Bytes
		s.Pending.Items += row.Pending
		s.Pending.Bytes += c[state.StatusPending].Bytes
		s.KeywordsDropped += ms.KeywordsDropped
		d.Charts.MailboxSizes = append(d.Charts.MailboxSizes, Bar{Label: m.SourceAddress, Value: float64(row.Bytes)})
		d.Charts.Outcomes = append(d.Charts.Outcomes, Outcomes{Label: m.SourceAddress, Migrated: row.Migrate.Items, Skipped: row.Skipped, Failed: row.Failed, Pending: row.Pending})

		if m.Status == state.StatusFailed && m.Reason != "" && row.Failed == 0 {
			d.Attention = append(d.Attention, Attention{Severity: "error", Code: "mailbox_failed", Mailbox: m.SourceAddress, Reason: "The mailbox stopped: " + m.Reason, Count: 1})
		}
		kinds := map[string]string{}
		for _, f := range ms.Folders {
			kinds[f.Folder.SourcePath] = f.Kind
		}
		for _, it := range ms.Failed {
			d.Attention = append(d.Attention, Attention{Severity: "error", Code: "failed", Mailbox: m.SourceAddress, Folder: folderLabel(it.Folder, it.Kind), Item: it.SourceKey,
				Reason: failedReason(it), Count: 1})
		}
		if n := row.Failed - int64(len(ms.Failed)); n > 0 {
			d.Attention = append(d.Attention, Attention{Severity: "error", Code: "failed", Mailbox: m.SourceAddress, Reason: humanize.Plural(n, "more failed item", "more failed items") + " (listed by migrate status)", Count: n})
		}
		for _, n := range ms.Notes {
			sev, code := "info", "migrated_with_note"
			reason := n.Reason
			if n.Status == state.StatusSkipped {
				code = "skipped"
				reason = "Skipped: " + reason
			}
			d.Attention = append(d.Attention, Attention{Severity: sev, Code: code, Mailbox: m.SourceAddress, Folder: folderLabel(n.Folder, kinds[n.Folder]), Item: n.Key,
				Reason: reason + countSuffix(n.Count), Count: n.Count})
		}
		if ms.KeywordsDropped > 0 {
			d.Attention = append(d.Attention, Attention{Severity: "info", Code: "keywords_dropped", Mailbox: m.SourceAddress,
				Reason: fmt.Sprintf("%s migrated without keywords Exchange Online has no place for: %s.", Items(ms.KeywordsDropped),
					keywordList(keywordRows(ms.DroppedKeywords))), Count: ms.KeywordsDropped})
		}
		if vm := verified[strings.ToLower(m.SourceAddress)]; vm != nil {
			listed := map[string]bool{}
			for _, it := range ms.Failed {
				listed[it.Folder+"\x00"+it.SourceKey] = true
			}
			for _, p := range vm.Problems {
				if p.Kind == plan.ProblemMissing && listed[p.Folder+"\x00"+p.Key] {
					continue // listed as failed already, with the cause
				}
				if p.Kind == plan.ProblemUnparsable && listed[p.Folder+"\x00"+p.Key] {
					continue // listed as failed already
				}
				sev := "error"
				switch p.Kind {
				case plan.ProblemExtra:
					sev = "info"
				case plan.ProblemUnparsable:
					sev = "warning"
				}
				d.Attention = append(d.Attention, Attention{Severity: sev, Code: p.Kind, Mailbox: m.SourceAddress, Folder: folderLabel(p.Folder, kinds[p.Folder]), Item: p.Key, Reason: p.Detail, Count: 1})
			}
		}
		d.Appendix = append(d.Appendix, migrationAppendix(ms, verified[strings.ToLower(m.SourceAddress)]))
	}
	slices.SortStableFunc(d.Attention, func(a, b Attention) int {
		return cmp.Compare(plan.SeverityRank(plan.Severity(a.Severity)), plan.SeverityRank(plan.Severity(b.Severity)))
	})
	for _, a := range d.Attention {
		switch a.Severity {
		case "error":
			s.Errors++
		case "warning":
			s.Warnings++
		}
	}
	d.Charts.Progress = in.Progress
	if in.Plan != nil {
		years := []plan.YearCount(nil)
		buckets := plan.NewSizeBuckets()
		for _, m := range in.Plan.Mailboxes {
			years = plan.MergeYears(years, m.Years)
			for i := range buckets {
				if i < len(m.Sizes) {
					buckets[i].Items += m.Sizes[i].Items
				}
			}
		}
		for _, y := range years {
			label := fmt.Sprint(y.Year)
			if y.Year == 0 {
				label = "unknown"
			}
			d.Charts.ItemsPerYear = append(d.Charts.ItemsPerYear, Bar{Label: label, Value: float64(y.Items)})
		}
		for _, b := range buckets {
			d.Charts.SizeBuckets = append(d.Charts.SizeBuckets, Bar{Label: b.Label, Value: float64(b.Items)})
		}
	}

	s.Mailboxes = len(in.Mailboxes)
	var first, last time.Time
	for _, r := range in.Runs {
		if r.EndedAt.IsZero() {
			continue
		}
		s.Seconds += r.EndedAt.Sub(r.StartedAt).Seconds()
		if first.IsZero() || r.StartedAt.Before(first) {
			first = r.StartedAt
		}
		if r.EndedAt.After(last) {
			last = r.EndedAt
		}
	}
	s.Verification = "not run"
	if v != nil {
		s.Verification = "failed"
		if v.OK {
			s.Verification = "passed"
		}
	}
	switch {
	case s.Failed.Items > 0 || (v != nil && !v.OK):
		s.Outcome = "failed"
	case s.Pending.Items > 0 || len(in.Mailboxes) == 0 || v == nil:
		s.Outcome = "incomplete"
	default:
		s.Outcome = "complete"
	}
	switch s.Outcome {
	case "complete":
		s.Headline = fmt.Sprintf("%s migrated: %s (%s), each verified in Exchange Online exactly once.",
			noun(int64(s.Mailboxes), "The mailbox was", "All "+mailboxes(s.Mailboxes)+" were"), Items(s.Migrate.Items), Bytes(s.Migrate.Bytes))
	case "failed":
		s.Headline = fmt.Sprintf("%s (%s) from %s %s migrated; %s attention (listed below).", Items(s.Migrate.Items), Bytes(s.Migrate.Bytes), mailboxes(s.Mailboxes),
			noun(s.Migrate.Items, "was", "were"), humanize.Plural(int64(s.Errors), "problem needs", "problems need"))
	default:
		s.Headline = fmt.Sprintf("%s (%s) from %s %s migrated so far.", Items(s.Migrate.Items), Bytes(s.Migrate.Bytes), mailboxes(s.Mailboxes), noun(s.Migrate.Items, "was", "were"))
	}
	s.Points = append(s.Points, fmt.Sprintf("%s migrated, %s skipped by a rule, %s failed, %s not yet done.", Items(s.Migrate.Items), Number(s.Skipped.Items), Number(s.Failed.Items), Number(s.Pending.Items)))
	if !first.IsZero() {
		s.Points = append(s.Points, fmt.Sprintf("%s between %s and %s, %s in all.", humanize.Plural(int64(len(in.Runs)), "run", "runs"), first.UTC().Format("2006-01-02 15:04"), last.UTC().Format("2006-01-02 15:04 UTC"), plan.FormatDuration(s.Seconds)))
	}
	receivedFrom := map[string]int64{}
	for _, ms := range in.Mailboxes {
		for k, n := range ms.ReceivedFrom {
			receivedFrom[k] += n
		}
	}
	if f := receivedFromFact(receivedFrom); f != "" {
		s.Points = append(s.Points, "Received date from: "+f+" (POP3 has no received date: the newest Received header that parses, else the Date header, else the time of the run).")
	}
	contacts, events := map[state.Status]int64{}, map[state.Status]int64{}
	for _, ms := range in.Mailboxes {
		for st, n := range ms.Contacts {
			contacts[st] += n
		}
		for st, n := range ms.Events {
			events[st] += n
		}
	}
	if pt := pimPoint(contacts, events); pt != "" {
		s.Points = append(s.Points, pt)
	}
	if s.KeywordsDropped > 0 {
		var all []plan.KeywordCount
		for _, ms := range in.Mailboxes {
			all = append(all, ms.DroppedKeywords...)
		}
		s.Points = append(s.Points, fmt.Sprintf("%s migrated without keywords Exchange Online has no place for (%s; listed per mailbox).",
			humanize.Plural(s.KeywordsDropped, "item was", "items were"), topKeywords(all)))
	}
	switch {
	case v == nil:
		s.Points = append(s.Points, "Not verified yet: run migrate verify and make this report again with --verify.")
	case v.OK:
		s.Points = append(s.Points, fmt.Sprintf("Verification passed: %s in the target exactly once, unchanged; nothing missing or doubled.", humanize.Plural(v.Totals.Matched, "source item found", "source items found")))
	default:
		t := v.Totals
		s.Points = append(s.Points, fmt.Sprintf("Verification failed: %s missing, %s doubled, %s changed, %s.", Number(t.Missing), Number(t.Doubled), Number(t.Changed), humanize.Plural(int64(t.Errors), "error", "errors")))
	}
	d.Notes = append(d.Notes,
		"Every migrated item carries its source key in a hidden property; verification finds each source item in the target by it, so an item is counted once however often a run was repeated.",
		"Skipped items were left out on purpose (filters, excluded folders, messages flagged as deleted, items over the tenant's size limit).",
		"Sizes are in binary units (1 MB = 1,048,576 bytes), as Exchange counts them.")
	finish(d, o)
	return d
}

func countSuffix(n int64) string {
	if n <= 1 {
		return ""
	}
	return " (" + Items(n) + ", e.g. this one)"
}

func migrationAppendix(ms MailboxState, vm *plan.VerifyMailbox) Appendix {
	m := ms.Mailbox
	a := Appendix{Mailbox: m.SourceAddress}
	fact := func(label, value string) { a.Facts = append(a.Facts, Fact{Label: label, Value: value}) }
	fact("Target", m.TargetAddress)
	fact("Protocol", firstOf(m.Protocol, "imap"))
	status := string(m.Status)
	if m.Reason != "" {
		status += ": " + m.Reason
	}
	if vm != nil && !vm.OK && m.Status == state.StatusMigrated {
		status += ", but the verification failed (see Verification)"
	}
	fact("Status", status)
	if !m.UpdatedAt.IsZero() {
		fact("Last updated", m.UpdatedAt.UTC().Format("2006-01-02 15:04 UTC"))
	}
	for _, st := range state.Statuses() {
		c := ms.Counts[st]
		fact(strings.ToUpper(string(st[:1]))+string(st[1:]), fmt.Sprintf("%s (%s)", Items(c.Items), Bytes(c.Bytes)))
	}
	if vm != nil {
		fact("Verification", fmt.Sprintf("%s expected, %s matched, %d missing, %d doubled, %d changed, %d extra", Number(vm.Expected), Number(vm.Matched), vm.Missing, vm.Doubled, vm.Changed, vm.Extra))
	}
	if len(ms.Contacts) > 0 {
		fact("Contacts", statusFact(ms.Contacts))
	}
	if len(ms.Events) > 0 {
		fact("Calendar events", statusFact(ms.Events))
	}
	a.Keywords = keywordRows(ms.DroppedKeywords)
	if ms.KeywordsDropped > 0 {
		fact("Keywords dropped", keywordsFact(ms.KeywordsDropped, a.Keywords))
	}
	if f := receivedFromFact(ms.ReceivedFrom); f != "" {
		fact("Received date from", f)
	}
	for _, f := range ms.Folders {
		var items, bytes int64
		for _, c := range f.Counts {
			items += c.Items
			bytes += c.Bytes
		}
		a.Folders = append(a.Folders, FolderRow{Source: folderLabel(f.Folder.SourcePath, f.Kind), Target: displayTarget(f.Folder.TargetPath), Items: items, Bytes: bytes,
			Migrate: f.Counts[state.StatusMigrated].Items, Skipped: f.Counts[state.StatusSkipped].Items, Failed: f.Counts[state.StatusFailed].Items})
	}
	return a
}

// receivedFromFact says where migrated items' received dates came from,
// "server 120, Received header 30, Date header 2, time of run 0", or ""
// when every counted item had the server's date (IMAP INTERNALDATE): the
// rule matters only where a source has no date of its own (POP3).
func receivedFromFact(counts map[string]int64) string {
	var total int64
	for _, n := range counts {
		total += n
	}
	if total == counts[mapping.ReceivedFromServer] {
		return ""
	}
	label := map[string]string{
		mapping.ReceivedFromServer: "server",
		mapping.ReceivedFromHeader: "Received header",
		mapping.ReceivedFromDate:   "Date header",
		mapping.ReceivedFromRun:    "time of run",
	}
	var parts []string
	for _, k := range mapping.ReceivedFromRules() {
		parts = append(parts, fmt.Sprintf("%s %s", label[k], Number(counts[k])))
	}
	return strings.Join(parts, ", ")
}

// pimPoint sums up the contacts and events for the summary: "12 contacts
// and 40 calendar events migrated; 1 failed.", "" when there are none.
func pimPoint(contacts, events map[state.Status]int64) string {
	var all int64
	for _, n := range contacts {
		all += n
	}
	for _, n := range events {
		all += n
	}
	if all == 0 {
		return ""
	}
	out := fmt.Sprintf("%s and %s migrated", humanize.Plural(contacts[state.StatusMigrated], "contact", "contacts"), humanize.Plural(events[state.StatusMigrated], "calendar event", "calendar events"))
	if n := contacts[state.StatusFailed] + events[state.StatusFailed]; n > 0 {
		out += fmt.Sprintf("; %s failed (listed below)", Number(n))
	}
	return out + "."
}

// statusFact says how many contacts or events are in each status:
// "12 migrated, 1 failed"; statuses without any are left out, except
// migrated.
func statusFact(c map[state.Status]int64) string {
	parts := []string{Number(c[state.StatusMigrated]) + " migrated"}
	for _, st := range state.Statuses() {
		if st != state.StatusMigrated && c[st] > 0 {
			parts = append(parts, Number(c[st])+" "+statusWord(st))
		}
	}
	return strings.Join(parts, ", ")
}

// statusWord is how a report names a status.
func statusWord(st state.Status) string {
	if st == state.StatusPending {
		return "not yet done"
	}
	return string(st)
}

// failedReason words a failed item's reason by the kind of its failure
// (state.Item.Failure): an object that does not parse fails the same way
// in a new run until it is corrected at the source; any other failure (a
// refusal, a timeout, a lost connection) a new run tries again.
func failedReason(it state.Item) string {
	if it.Failure == state.FailureUnparsable {
		return "Not migrated: " + it.Reason + " (correct it at the source; a new run fails the same way until then)"
	}
	return it.Reason + " (a new run tries it again)"
}
