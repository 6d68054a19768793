package report

import "time"

// Schema identifies the JSON form of a Document; it changes when a field
// is removed or changes meaning (adding a field does not change it). The
// JSON Schema of this version is report/schema/report-v1.schema.json,
// generated from these types by JSONSchema.
const Schema = "migrate-report/v1"

// Kind is what a report is about.
type Kind string

// The kinds of report.
const (
	// KindAssessment is the assessment, made from a plan: what a migration
	// will do, how long it will take and what needs attention first.
	KindAssessment Kind = "assessment"
	// KindMigration is the migration report, made from the state and a
	// verification: what was done, what failed and the proof.
	KindMigration Kind = "migration"
)

// Document is a report in every format's common form: HTML, PDF and
// Markdown are rendered from it and JSON is it, encoded.
type Document struct {
	Schema      string    `json:"schema" desc:"always migrate-report/v1"`
	Kind        Kind      `json:"kind" desc:"assessment or migration"`
	Title       string    `json:"title" desc:"the report's title"`
	GeneratedAt time.Time `json:"generated_at" desc:"when the report was made (RFC 3339, UTC)"`
	Tool        string    `json:"tool" desc:"the version of migrate that made it"`
	Client      string    `json:"client,omitempty" desc:"client name (config key client)"`
	Consultant  string    `json:"consultant,omitempty" desc:"consultant or company (config key consultant)"`
	Masked      bool      `json:"masked" desc:"true when email addresses are masked (a***e@contoso.com)"`
	// Source says what the report was made from, as sentences. Like every
	// field, in JSON too, it names no local file: a report is for the
	// client, and the consultant knows which files they passed.
	Source    []string     `json:"source" desc:"what the report was made from (plan, state, verification, by date and tool; never a local file path), as sentences"`
	Summary   Summary      `json:"summary" desc:"the executive summary"`
	Mailboxes []MailboxRow `json:"mailboxes" desc:"one row per mailbox, in the order of the mailbox list"`
	Charts    Charts       `json:"charts" desc:"the data the charts show"`
	Attention []Attention  `json:"attention" desc:"items and settings needing attention, most serious first"`
	Appendix  []Appendix   `json:"appendix" desc:"one section per mailbox: facts, folders, largest items"`
	Notes     []string     `json:"notes" desc:"assumptions and method, as sentences"`
	// Logo is the cover logo for HTML and PDF; never in JSON.
	Logo *Image `json:"-"`
}

// Image is an image file's bytes and media type (image/png or image/jpeg).
type Image struct {
	Data []byte
	Type string
}

// Summary is the executive summary.
type Summary struct {
	Headline string   `json:"headline" desc:"the outcome in one sentence"`
	Points   []string `json:"points" desc:"the key facts, one sentence each"`
	// Outcome is ok, attention or blocked (assessment) and ok, failed or
	// incomplete (migration).
	Outcome   string `json:"outcome" desc:"assessment: ready, attention or blocked; migration: complete, failed or incomplete"`
	Mailboxes int    `json:"mailboxes" desc:"number of mailboxes"`
	Items     int64  `json:"items" desc:"source items (assessment) or items recorded in the state (migration)"`
	Bytes     int64  `json:"bytes" desc:"their size in bytes"`
	// Migrate counts the items to migrate (assessment) or migrated
	// (migration).
	Migrate      Count   `json:"migrate" desc:"items to migrate (assessment) or migrated (migration)"`
	Skipped      Count   `json:"skipped" desc:"items skipped by a rule (filters, exclusions, limits)"`
	Failed       Count   `json:"failed" desc:"items that failed (migration)"`
	Pending      Count   `json:"pending" desc:"items not yet done (migration)"`
	Seconds      float64 `json:"seconds" desc:"estimated duration (assessment) or time spent in runs (migration), in seconds"`
	Errors       int     `json:"errors" desc:"attention entries of severity error"`
	Warnings     int     `json:"warnings" desc:"attention entries of severity warning"`
	Verification string  `json:"verification" desc:"passed, failed or not run (migration); empty for an assessment"`
	// KeywordsDropped counts the items that lose flags or keywords.
	KeywordsDropped int64 `json:"keywords_dropped" desc:"items to migrate (assessment) or migrated (migration) that lose flags or keywords the target does not carry (system keywords such as $MDNSent, $ keywords unless keywords.keep_dollar, unknown \\ flags)"`
}

// Count is a number of items and their bytes.
type Count struct {
	Items int64 `json:"items" desc:"number of items"`
	Bytes int64 `json:"bytes" desc:"their size in bytes"`
}

// MailboxRow is one mailbox's line in the per-mailbox table.
type MailboxRow struct {
	Address string `json:"address" desc:"source mailbox (masked when masked is true)"`
	Target  string `json:"target" desc:"Exchange Online mailbox"`
	Status  string `json:"status" desc:"assessment: ready, attention or blocked; migration: the state's mailbox status (migrated, failed, pending); HTML, PDF and Markdown show 'verify failed' for a migrated mailbox whose verify is failed"`
	Items   int64  `json:"items" desc:"source items"`
	Bytes   int64  `json:"bytes" desc:"their size in bytes"`
	Migrate Count  `json:"migrate" desc:"to migrate (assessment) or migrated (migration)"`
	Skipped int64  `json:"skipped" desc:"items skipped by a rule"`
	Failed  int64  `json:"failed" desc:"items failed (migration)"`
	Pending int64  `json:"pending" desc:"items not yet done (migration)"`
	// OverLimit counts items over the tenant's message size limit.
	OverLimit int64     `json:"over_limit" desc:"items over the tenant's maximum message size (assessment)"`
	Oldest    time.Time `json:"oldest,omitzero" desc:"oldest item date (assessment)"`
	Newest    time.Time `json:"newest,omitzero" desc:"newest item date (assessment)"`
	Seconds   float64   `json:"seconds" desc:"estimated duration of this mailbox alone, in seconds (assessment)"`
	// Verify is ok, failed or "" when not verified.
	Verify  string `json:"verify,omitempty" desc:"verification result: ok, failed, or absent when not verified"`
	Missing int64  `json:"missing" desc:"verification: items missing from the target"`
	Doubled int64  `json:"doubled" desc:"verification: items present more than once"`
	Changed int64  `json:"changed" desc:"verification: items changed since migration"`
	// KeywordsDropped counts the mailbox's items that lose keywords.
	KeywordsDropped int64 `json:"keywords_dropped" desc:"items to migrate (assessment) or migrated (migration) that lose flags or keywords the target does not carry"`
}

// Charts hold the series the charts draw.
type Charts struct {
	MailboxSizes []Bar      `json:"mailbox_sizes" desc:"bytes per mailbox"`
	ItemsPerYear []Bar      `json:"items_per_year" desc:"items per year received (label 'unknown' for no date)"`
	SizeBuckets  []Bar      `json:"size_buckets" desc:"items per size range"`
	Progress     []Point    `json:"progress" desc:"migration: items migrated over time, cumulative"`
	Outcomes     []Outcomes `json:"outcomes" desc:"migration: outcome per mailbox"`
}

// Bar is one bar of a bar chart.
type Bar struct {
	Label string  `json:"label" desc:"the bar's label"`
	Value float64 `json:"value" desc:"the bar's value"`
}

// Point is one point of the progress line.
type Point struct {
	Time  time.Time `json:"time" desc:"when (UTC)"`
	Items int64     `json:"items" desc:"items migrated up to then"`
	Bytes int64     `json:"bytes" desc:"bytes migrated up to then"`
}

// Outcomes is one mailbox's stacked bar.
type Outcomes struct {
	Label    string `json:"label" desc:"the mailbox"`
	Migrated int64  `json:"migrated" desc:"items migrated"`
	Skipped  int64  `json:"skipped" desc:"items skipped"`
	Failed   int64  `json:"failed" desc:"items failed"`
	Pending  int64  `json:"pending" desc:"items pending"`
}

// Attention is one thing a reader must look at.
type Attention struct {
	Severity string `json:"severity" desc:"error, warning or info"`
	Code     string `json:"code" desc:"a stable identifier: over_limit, failed, missing, plaintext_source..."`
	Mailbox  string `json:"mailbox,omitempty" desc:"the mailbox, if it concerns one"`
	Folder   string `json:"folder,omitempty" desc:"the source folder, if it concerns one"`
	Item     string `json:"item,omitempty" desc:"the item's source key, if it concerns one"`
	Reason   string `json:"reason" desc:"what is wrong and what to do, as sentences"`
	// Count is the number of items the entry stands for (1 for one item).
	Count int64 `json:"count" desc:"how many items the entry stands for"`
}

// Appendix is one mailbox's detail.
type Appendix struct {
	Mailbox string      `json:"mailbox" desc:"the mailbox"`
	Facts   []Fact      `json:"facts" desc:"server, target, dates, rates, estimate"`
	Folders []FolderRow `json:"folders" desc:"every source folder and where it goes"`
	Largest []ItemRow   `json:"largest" desc:"the largest items (assessment)"`
	// Keywords are the flags and keywords the mailbox's items lose.
	Keywords []KeywordRow `json:"dropped_keywords" desc:"flags and keywords the target does not carry, with how many of the mailbox's items to migrate (assessment) or migrated (migration) carry each, most first"`
}

// KeywordRow is a flag or keyword the target does not carry.
type KeywordRow struct {
	Keyword string `json:"keyword" desc:"the flag or keyword as the source has it ($MDNSent, \\Important...)"`
	Items   int64  `json:"items" desc:"how many items carry it"`
}

// Fact is a labelled value.
type Fact struct {
	Label string `json:"label" desc:"what"`
	Value string `json:"value" desc:"its value, formatted for reading"`
}

// FolderRow is one folder in an appendix.
type FolderRow struct {
	Source  string    `json:"source" desc:"source path"`
	Target  string    `json:"target" desc:"where it goes in Exchange Online, or (not migrated)"`
	Items   int64     `json:"items" desc:"source items (assessment) or items recorded (migration)"`
	Bytes   int64     `json:"bytes" desc:"their size in bytes"`
	Migrate int64     `json:"migrate" desc:"to migrate (assessment) or migrated (migration)"`
	Skipped int64     `json:"skipped" desc:"skipped by a rule"`
	Failed  int64     `json:"failed" desc:"failed (migration)"`
	Oldest  time.Time `json:"oldest,omitzero" desc:"oldest item date (assessment)"`
	Newest  time.Time `json:"newest,omitzero" desc:"newest item date (assessment)"`
	Notes   []string  `json:"notes,omitempty" desc:"name changes and exclusions"`
}

// ItemRow is one item in an appendix. HTML, PDF and Markdown show it by
// date and subject; the source key is for programs.
type ItemRow struct {
	Folder  string    `json:"folder" desc:"source folder"`
	Item    string    `json:"item" desc:"source key (IMAP UIDVALIDITY.UID, POP3 UIDL), for programs; the other formats show date and subject"`
	Bytes   int64     `json:"bytes" desc:"size in bytes"`
	Date    time.Time `json:"date,omitzero" desc:"received (mail) or start (an event); absent when unknown and for a contact"`
	Subject string    `json:"subject,omitempty" desc:"subject (masked when masked is true); absent when none or not read"`
	Kind    string    `json:"kind,omitempty" desc:"contact or event for an address book's or calendar's item; absent for mail"`
}
