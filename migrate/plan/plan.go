// Package plan is the model of a migration plan and of a verification, and
// their on-disk formats: versioned JSON files that `migrate plan` and
// `migrate verify` write, `migrate run --plan` and `migrate report` read.
//
// It follows Terraform's split (internal/plans and internal/plans/planfile):
// this package holds data, fingerprints, the duration model and the
// staleness rules, and does no network I/O; package migrate fills a Plan
// from the sources and the target, and cmd/migrate is the command line.
//
// A plan file never holds a secret: it records addresses, folder names,
// item keys, sizes and dates, never passwords, tokens or secret references'
// values. Addresses are kept in clear (run --plan matches mailboxes by
// them); reports mask them on request.
package plan

import (
	"cmp"
	"slices"
	"time"
)

// Format identifies a plan file; Version is the format version this
// package writes. Read accepts exactly this version: an older or newer
// plan is refused with a message saying which program version to use.
const (
	Format  = "migrate-plan"
	Version = 1
)

// Severity ranks a risk or a verification problem.
type Severity string

// The severities, most serious first.
const (
	// SevError blocks a mailbox (it cannot be migrated as planned).
	SevError Severity = "error"
	// SevWarning needs a decision or an action before the run.
	SevWarning Severity = "warning"
	// SevInfo is worth knowing; nothing needs doing.
	SevInfo Severity = "info"
)

// Exchange Online's message size limits.
// https://learn.microsoft.com/office365/servicedescriptions/exchange-online-service-description/exchange-online-limits#message-limits
const (
	// DefaultMaxMessageSize is Exchange Online's default maximum message
	// size (35 MB), which an administrator can raise.
	DefaultMaxMessageSize = 35 << 20
	// AbsoluteMaxMessageSize is the most an administrator can raise it to
	// (150 MB).
	AbsoluteMaxMessageSize = 150 << 20
	// MaxItemsPerFolder is Exchange Online's limit of items in one folder.
	MaxItemsPerFolder = 1_000_000
)

// Plan is a saved plan: what `migrate run --plan` will do, and the
// assessment the client reads.
type Plan struct {
	// Format is always "migrate-plan"; Version the format version.
	Format  string `json:"format"`
	Version int    `json:"version"`
	// Tool is the version of migrate that made the plan.
	Tool string `json:"tool"`
	// CreatedAt is when the plan was made (UTC).
	CreatedAt time.Time `json:"created_at"`
	// Client and Consultant are the names printed on reports.
	Client     string `json:"client,omitempty"`
	Consultant string `json:"consultant,omitempty"`
	// ConfigFingerprint is config.File.Fingerprint of the project the plan
	// was made for; a run with another configuration refuses the plan.
	ConfigFingerprint string `json:"config_fingerprint"`
	// InventoryFingerprint hashes every mailbox's Fingerprint: it changes
	// when any planned source item is added, removed or changed.
	InventoryFingerprint string `json:"inventory_fingerprint"`
	// State is what the state database held when the plan was made.
	State StateMark `json:"state"`
	// Settings are the plan-relevant settings, for the reader.
	Settings Settings `json:"settings"`
	// Mailboxes are the planned mailboxes, in the order of the CSV.
	Mailboxes []Mailbox `json:"mailboxes"`
	// Totals sum the mailboxes.
	Totals Totals `json:"totals"`
	// Estimate is the expected duration of the run.
	Estimate Estimate `json:"estimate"`
	// Risks are the problems found, most serious first.
	Risks []Risk `json:"risks"`
	// TenantProbe is what `migrate plan --probe MAILBOX` learned on one
	// test mailbox of the tenant; nil when no probe was asked for. A run
	// of this plan chooses its path from TenantProbe.Answers.
	TenantProbe *TenantProbe `json:"tenant_probe,omitempty"`
	// Overlaps are the target mailboxes that a POP3 row and an IMAP row
	// of the CSV both migrate to, with the messages they share.
	Overlaps []Overlap `json:"overlaps,omitempty"`
	// RowOverlaps are, per later row of a target mailbox that several
	// rows feed, the messages expected to be there already from the
	// earlier rows (dedupe.across_rows body).
	RowOverlaps []RowOverlap `json:"row_overlaps,omitempty"`
}

// RowOverlap is a row of the CSV whose target mailbox earlier rows also
// feed (a POP3 or IMAP account and a local store of it): its messages
// whose body identity (Date, Message-ID and the body's size and SHA-256)
// an earlier row's message has, which the run records as migrated by
// that row instead of creating them again. The plan reads the body of
// the messages whose Date and Message-ID match only.
type RowOverlap struct {
	// Target is the target mailbox; Row the row's address; Earlier the
	// earlier rows' addresses, in CSV order.
	Target  string   `json:"target"`
	Row     string   `json:"row"`
	Earlier []string `json:"earlier"`
	// Compared counts the row's messages to migrate whose headers were
	// read; Unkeyed those with neither Date nor Message-ID (not matched).
	Compared int64 `json:"compared"`
	Unkeyed  int64 `json:"unkeyed,omitempty"`
	// Both counts the row's messages expected in the target already.
	Both Count `json:"both"`
}

// Overlap is a target mailbox fed by a POP3 row and an IMAP row of the
// CSV (many hosts serve one account over both): the POP messages also
// found in the IMAP row's folders, matched by their content identity
// (size, Date and Message-ID: source.HeaderIdentity), are migrated once.
type Overlap struct {
	// Target is the target mailbox; POP and IMAP the rows' addresses.
	Target string `json:"target"`
	POP    string `json:"pop"`
	IMAP   string `json:"imap"`
	// Compared counts the POP messages to migrate whose headers were read
	// (Unkeyed those among them with neither Date nor Message-ID, which
	// are not matched).
	Compared int64 `json:"compared"`
	Unkeyed  int64 `json:"unkeyed,omitempty"`
	// Both counts the POP messages also found in the IMAP row's folders.
	Both Count `json:"both"`
}

// POPView compares a POP3 row's maildrop with the IMAP INBOX of the same
// account (same host and login): a POP view that shows messages INBOX
// lacks (Dovecot's pop3_migration_all_mailboxes, a virtual all-mail
// INBOX) would pour every folder into the POP row's one target folder.
type POPView struct {
	// IMAP is the address of the IMAP row compared with and Line its CSV
	// line; Probed is set instead when the plan found the IMAP side by
	// logging in over IMAP with the POP row's credentials (plan
	// --imap-probe), at Server (host:port) with Security.
	IMAP     string `json:"imap,omitempty"`
	Line     int    `json:"line,omitempty"`
	Probed   bool   `json:"probed,omitempty"`
	Server   string `json:"server"`
	Security string `json:"security"`
	// Error is why the IMAP side could not be read (probe only).
	Error string `json:"error,omitempty"`
	// Compared counts the POP messages to migrate whose headers were read
	// (Unkeyed those among them with neither Date nor Message-ID, which
	// are not matched); InInbox those found in the IMAP INBOX; NotInInbox
	// those with a Date or Message-ID that are not.
	Compared   int64 `json:"compared"`
	Unkeyed    int64 `json:"unkeyed,omitempty"`
	InInbox    int64 `json:"in_inbox"`
	NotInInbox Count `json:"not_in_inbox"`
	// Row is the CSV row to migrate a probed account with instead, over
	// IMAP (its password cell names the POP row's line, never the
	// password); "" for an IMAP row of the CSV, which is that row (Line).
	Row string `json:"row,omitempty"`
}

// TenantProbe is the result of a tenant probe (target.Prober): a message
// created in a hidden folder of one mailbox the way a run creates it,
// read back property by property, and deleted.
type TenantProbe struct {
	// Mailbox is the mailbox probed; Folder the hidden folder made in it.
	Mailbox string `json:"mailbox"`
	Folder  string `json:"folder,omitempty"`
	// At is when the probe ran (UTC).
	At time.Time `json:"at"`
	// Checks are the properties checked.
	Checks []ProbeCheck `json:"checks,omitempty"`
	// ReceivedMail and AttachToReceived are the tenant's answers: "yes",
	// "no", or "" when the probe could not tell (see target.TenantAnswers).
	ReceivedMail     string `json:"received_mail,omitempty"`
	AttachToReceived string `json:"attach_to_received,omitempty"`
	// Left says what the probe could not delete; Error why the probe
	// failed, if it did.
	Left  string `json:"left,omitempty"`
	Error string `json:"error,omitempty"`
}

// ProbeCheck is one property a probe set and read back.
type ProbeCheck struct {
	Property string `json:"property"`
	Want     string `json:"want"`
	Got      string `json:"got"`
	Kept     bool   `json:"kept"`
	// Answer names the answer this check decides (received_mail,
	// attach_to_received), or "".
	Answer string `json:"answer,omitempty"`
}

// StateMark records the state database at plan time. A run or anything
// else that changed the state since makes the plan stale.
type StateMark struct {
	// Exists is false when there was no state yet.
	Exists bool `json:"exists"`
	// Runs is the number of runs recorded.
	Runs int `json:"runs"`
	// Migrated is the number of items recorded as migrated.
	Migrated int64 `json:"migrated"`
}

// Settings are the settings that shape the plan, copied for the reader.
type Settings struct {
	// MaxMessageSize is target.max_message_size in bytes.
	MaxMessageSize int64 `json:"max_message_size"`
	// Concurrency is concurrency.mailboxes; PerMailbox concurrency.per_mailbox.
	Concurrency int `json:"concurrency"`
	PerMailbox  int `json:"per_mailbox"`
	// Filters describes the item filters in words ("since 2020-01-01").
	Filters []string `json:"filters,omitempty"`
	// TargetEndpoint is the Graph endpoint (no credentials).
	TargetEndpoint string `json:"target_endpoint,omitempty"`
	// TargetAuth is the target authentication method (client_secret...).
	TargetAuth string `json:"target_auth,omitempty"`
}

// Totals sum the mailboxes of a plan.
type Totals struct {
	Mailboxes int   `json:"mailboxes"`
	Folders   int   `json:"folders"`
	Items     int64 `json:"items"`
	Bytes     int64 `json:"bytes"`
	// ToMigrate counts the items the run will create.
	ToMigrate Count `json:"to_migrate"`
	// Skipped counts the items the run will skip, for any reason.
	Skipped Count `json:"skipped"`
	// OverLimit counts items over the tenant's maximum message size.
	OverLimit int64 `json:"over_limit"`
	// Contacts and Events count contact and calendar items.
	Contacts int64 `json:"contacts"`
	Events   int64 `json:"events"`
	// PIM sums the mailboxes' PIM; nil when none has one.
	PIM *PIM `json:"pim,omitempty"`
	// KeywordsDropped counts the items to migrate that lose keywords.
	KeywordsDropped int64 `json:"keywords_dropped"`
	// Errors counts the mailboxes that could not be assessed.
	Errors int `json:"errors"`
}

// Count is a number of items and their bytes.
type Count struct {
	Items int64 `json:"items"`
	Bytes int64 `json:"bytes"`
}

// Mailbox is the plan of one mailbox.
type Mailbox struct {
	// Address is the source mailbox (the CSV's EmailAddress); Target the
	// Exchange Online mailbox.
	Address string `json:"address"`
	Target  string `json:"target"`
	// Protocol, Server (host:port) and Security say how the source is read.
	Protocol string `json:"protocol"`
	Server   string `json:"server"`
	Security string `json:"security"`
	// TargetFolder is the CSV's TargetFolder of a POP3 row (where its mail
	// goes; empty: pop3.folder, else the Inbox).
	TargetFolder string `json:"target_folder,omitempty"`
	// Error is set when the source could not be assessed; the other source
	// fields are then empty.
	Error string `json:"error,omitempty"`
	// KeyScheme is how the source keys its items, when its adapter says
	// (a POP3 account: "uidl", the server's UIDL values, or
	// "size+date+message-id", fallback keys on a server without UIDL).
	KeyScheme string `json:"key_scheme,omitempty"`
	// Fingerprint hashes the source inventory (folders, validity, item
	// keys, sizes, \Deleted): run --plan recomputes it to detect changes.
	Fingerprint string `json:"fingerprint"`
	// Folders are the source folders with their mapping.
	Folders []Folder `json:"folders"`
	// Items and Bytes count every source item (messages, contacts, events).
	Items int64 `json:"items"`
	Bytes int64 `json:"bytes"`
	// Oldest and Newest are the range of item dates.
	Oldest time.Time `json:"oldest,omitzero"`
	Newest time.Time `json:"newest,omitzero"`
	// ToMigrate counts what the run will create.
	ToMigrate Count `json:"to_migrate"`
	// Skips groups the items the run will skip by rule.
	Skips []Skip `json:"skips,omitempty"`
	// Sizes is the size distribution of the items.
	Sizes []SizeBucket `json:"sizes"`
	// Years counts the items per year received.
	Years []YearCount `json:"years"`
	// Largest are the largest items, largest first (at most 10).
	Largest []Item `json:"largest"`
	// OverLimit are the items over the tenant's maximum message size or
	// over Exchange's absolute limit (all of them).
	OverLimit []Item `json:"over_limit,omitempty"`
	// Duplicates are Message-IDs held by more than one item of the
	// mailbox (at most 100 listed; DuplicateItems counts all items
	// involved).
	Duplicates     []Duplicate `json:"duplicates,omitempty"`
	DuplicateItems int64       `json:"duplicate_items"`
	// HeadersRead counts the items whose headers were read for
	// Message-IDs; HeadersSkipped those that were not (too large, or the
	// check was turned off).
	HeadersRead    int64 `json:"headers_read"`
	HeadersSkipped int64 `json:"headers_skipped"`
	// Contacts and Events count contact and calendar items.
	Contacts int64 `json:"contacts"`
	Events   int64 `json:"events"`
	// PIM is what the address books and calendars to migrate give, every
	// contact and event item read and mapped as the run will; nil when
	// the mailbox has none.
	PIM *PIM `json:"pim,omitempty"`
	// Unparsable are the contact and event objects that do not parse, with
	// the parser's reason (all of them): a whole item the run will fail,
	// or one object of an item whose others are migrated.
	Unparsable []Item `json:"unparsable,omitempty"`
	// PIMFields count the contact and event properties the target cannot
	// keep as they are (kept in the notes or body, changed, dropped), by
	// property, never with a value.
	PIMFields []FieldCount `json:"pim_fields,omitempty"`
	// KeywordsDropped counts the items to migrate that carry flags or
	// keywords the target does not carry (system keywords such as
	// $MDNSent, other "$" keywords unless keywords.keep_dollar, unknown "\"
	// flags); DroppedKeywords says which, on how many items each.
	KeywordsDropped int64          `json:"keywords_dropped"`
	DroppedKeywords []KeywordCount `json:"dropped_keywords,omitempty"`
	// Renamed are the folders whose target name or place differs from the
	// source.
	Renamed []Rename `json:"renamed,omitempty"`
	// POPView compares a POP3 row with the IMAP INBOX of the same
	// account, when the plan could read one; nil otherwise.
	POPView *POPView `json:"pop_view,omitempty"`
	// TargetCheck is what the target said about the mailbox.
	TargetCheck TargetCheck `json:"target_check"`
	// Read is the measured source read rate.
	Read Rate `json:"read"`
	// ListSeconds is how long listing the folders and item metadata took.
	ListSeconds float64 `json:"list_seconds"`
	// Estimate is the expected duration of this mailbox alone.
	Estimate MailboxEstimate `json:"estimate"`
}

// Folder is one source folder and where it goes.
type Folder struct {
	// Path is the source path, segments joined by "/".
	Path string `json:"path"`
	// Role is the special use (\Sent...), Guessed when from the name.
	Role    string `json:"role,omitempty"`
	Guessed bool   `json:"role_guessed,omitempty"`
	// Kind is message, contact or event.
	Kind string `json:"kind"`
	// Validity is the source's key generation (IMAP UIDVALIDITY).
	Validity string `json:"validity,omitempty"`
	// NoSelect marks a folder that only holds other folders.
	NoSelect bool `json:"noselect,omitempty"`
	// Target is where the folder goes, as Outlook names it
	// ("Inbox/Projects", "Sent Items"), "(not migrated)" when nowhere.
	Target string `json:"target"`
	// Excluded is true when its own items are not migrated; Reason says why.
	Excluded bool   `json:"excluded,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// Changes are the ways the target differs from the source name.
	Changes []string `json:"changes,omitempty"`
	// Items, Bytes and Largest describe the folder's items.
	Items   int64 `json:"items"`
	Bytes   int64 `json:"bytes"`
	Largest int64 `json:"largest"`
	// Oldest and Newest are the range of item dates.
	Oldest time.Time `json:"oldest,omitzero"`
	Newest time.Time `json:"newest,omitzero"`
	// Deleted counts the messages a local store keeps but marks deleted
	// (source.Folder.Deleted), which are not migrated and not in Items.
	Deleted int64 `json:"deleted,omitempty"`
	// Unreadable names the files of a local store's folder that are not
	// migrated because they cannot be read or are not messages
	// (source.Folder.Unreadable: "name: reason").
	Unreadable []string `json:"unreadable,omitempty"`
	// ToMigrate counts what the run will create from this folder.
	ToMigrate Count `json:"to_migrate"`
	// PIM is what an address book's or calendar's items give; nil for a
	// mail folder.
	PIM *PIM `json:"pim,omitempty"`
	// Fingerprint hashes the folder's item keys, sizes and \Deleted flags.
	Fingerprint string `json:"fingerprint"`
}

// PIM counts what the contact and event items of a folder or mailbox
// give in the target, as the plan read and mapped them.
type PIM struct {
	// Contacts and Events are the contacts and events to create (a
	// series is one event; an expanded series counts each of its events).
	Contacts int64 `json:"contacts"`
	Events   int64 `json:"events"`
	// Series are the recurring events created as series; Moved and
	// Cancelled their changed and cancelled occurrences (the exceptions).
	Series    int64 `json:"series"`
	Moved     int64 `json:"moved"`
	Cancelled int64 `json:"cancelled"`
	// Expanded are the series Graph cannot express, created as single
	// events instead; ExpandedEvents the events they give.
	Expanded       int64 `json:"expanded"`
	ExpandedEvents int64 `json:"expanded_events"`
	// Unparsable are the objects that do not parse (see
	// Mailbox.Unparsable).
	Unparsable int64 `json:"unparsable"`
}

// Add adds o to c.
func (c *PIM) Add(o PIM) {
	c.Contacts += o.Contacts
	c.Events += o.Events
	c.Series += o.Series
	c.Moved += o.Moved
	c.Cancelled += o.Cancelled
	c.Expanded += o.Expanded
	c.ExpandedEvents += o.ExpandedEvents
	c.Unparsable += o.Unparsable
}

// FieldCount is a contact or event property the target cannot keep as it
// is, what becomes of it, and on how many contacts or events.
type FieldCount struct {
	// Kind is contact or event; Property the vCard or iCalendar name
	// (EMAIL, TEL, RRULE, VALARM...).
	Kind     string `json:"kind"`
	Property string `json:"property"`
	// Action is notes (kept in the contact's notes), body (kept as text in
	// the event's body), changed or dropped.
	Action string `json:"action"`
	Items  int64  `json:"items"`
}

// Skip counts the items skipped by one rule (see mapping.Decision.Rule).
type Skip struct {
	Rule string `json:"rule"`
	// Example is the reason given for one of them.
	Example string `json:"example"`
	Count
}

// SizeBucket counts items with Min <= size < Max (Max 0: no upper bound).
type SizeBucket struct {
	Label string `json:"label"`
	Min   int64  `json:"min"`
	Max   int64  `json:"max"`
	Count
}

// YearCount counts the items received in one year (0: date unknown).
type YearCount struct {
	Year int `json:"year"`
	Count
}

// Item names one source item: its folder and key for the program, its
// date and subject for a reader (the reports list the largest items by
// date and subject, as the client knows them).
type Item struct {
	Folder string `json:"folder"`
	Key    string `json:"key"`
	Size   int64  `json:"size"`
	// Date is when the source received the item (for an event among the
	// largest items, its start); zero when unknown and for a contact.
	Date time.Time `json:"date,omitzero"`
	// Subject is the item's subject, decoded (RFC 2047) to text; empty
	// when the item has none or the plan did not read its header. Plans
	// written before the field existed read with it empty.
	Subject string `json:"subject,omitempty"`
	// Reason says why the item is listed (over a limit).
	Reason string `json:"reason,omitempty"`
}

// KeywordCount is a flag or keyword, as the source has it, and the number
// of items that carry it.
type KeywordCount struct {
	Keyword string `json:"keyword"`
	Items   int64  `json:"items"`
}

// KeywordCounts turns counts by keyword into a list, most items first,
// then by keyword.
func KeywordCounts(m map[string]int64) []KeywordCount {
	if len(m) == 0 {
		return nil
	}
	out := make([]KeywordCount, 0, len(m))
	for k, n := range m {
		out = append(out, KeywordCount{Keyword: k, Items: n})
	}
	slices.SortFunc(out, func(a, b KeywordCount) int {
		return cmp.Or(cmp.Compare(b.Items, a.Items), cmp.Compare(a.Keyword, b.Keyword))
	})
	return out
}

// Duplicate is a Message-ID held by several items.
type Duplicate struct {
	MessageID string    `json:"message_id"`
	Items     []ItemRef `json:"items"`
}

// ItemRef is a folder and key.
type ItemRef struct {
	Folder string `json:"folder"`
	Key    string `json:"key"`
}

// Rename is a folder whose target differs from the source.
type Rename struct {
	Source  string   `json:"source"`
	Target  string   `json:"target"`
	Changes []string `json:"changes"`
}

// TargetCheck is what the target said about one mailbox.
type TargetCheck struct {
	// Checked is false when the target was not asked (no credentials).
	Checked bool `json:"checked"`
	// Exists: the user was found; Reachable: its mailbox answered;
	// CanRead: listing items worked. Writing is not tried by a plan.
	Exists    bool `json:"exists"`
	Reachable bool `json:"reachable"`
	CanRead   bool `json:"can_read"`
	// Error is the target's answer when a check failed; Problem classifies
	// it (one of the Target constants).
	Error   string `json:"error,omitempty"`
	Problem string `json:"problem,omitempty"`
	// Inspected is true when the target listed its folders and quota
	// (target.Inspector); Folders and Quota are empty otherwise.
	Inspected bool           `json:"inspected"`
	Folders   []TargetFolder `json:"folders,omitempty"`
	// Items and Bytes count what the mailbox already holds (-1: unknown).
	Items int64 `json:"items"`
	Bytes int64 `json:"bytes"`
	// Stamped counts items already created by migrate (found by their
	// source-key stamp in the folders the plan writes to).
	Stamped int64 `json:"stamped"`
	// QuotaBytes and UsedBytes are the mailbox quota and its use, -1 when
	// the target does not report them.
	QuotaBytes int64 `json:"quota_bytes"`
	UsedBytes  int64 `json:"used_bytes"`
	// QuotaUnknown says why the quota is unknown when the target was
	// inspected and gave none ("the app lacks Reports.Read.All, ...").
	QuotaUnknown string `json:"quota_unknown,omitempty"`
	// LatencySeconds is the mean round-trip time of the checks.
	LatencySeconds float64 `json:"latency_seconds"`
}

// The problems a TargetCheck can find.
const (
	TargetNotFound    = "not_found"   // the user or mailbox does not exist
	TargetPermission  = "permission"  // credentials or permissions refused
	TargetUnreachable = "unreachable" // anything else: network, server errors
)

// TargetFolder is a folder that exists in the target.
type TargetFolder struct {
	Path  string `json:"path"`
	Items int64  `json:"items"`
}

// Rate is a measured read of Items items, Bytes bytes, in Seconds.
type Rate struct {
	Items   int64   `json:"items"`
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
	// PerItemSeconds and BytesPerSecond are the fitted cost of one item:
	// PerItemSeconds + size / BytesPerSecond.
	PerItemSeconds float64 `json:"per_item_seconds"`
	BytesPerSecond float64 `json:"bytes_per_second"`
}

// Risk is one problem found by the plan.
type Risk struct {
	Severity Severity `json:"severity"`
	// Code is a stable identifier (plaintext_source, over_limit...).
	Code string `json:"code"`
	// Mailbox and Folder locate the risk; empty for the whole project.
	Mailbox string `json:"mailbox,omitempty"`
	Folder  string `json:"folder,omitempty"`
	// Message says what is wrong and what to do, as sentences.
	Message string `json:"message"`
}

// SeverityRank orders severities: errors first.
func SeverityRank(s Severity) int {
	switch s {
	case SevError:
		return 0
	case SevWarning:
		return 1
	}
	return 2
}

// Mailbox returns the plan of the mailbox with the given address (case
// ignored), or nil.
func (p *Plan) Mailbox(address string) *Mailbox {
	for i := range p.Mailboxes {
		if equalFold(p.Mailboxes[i].Address, address) {
			return &p.Mailboxes[i]
		}
	}
	return nil
}

// SumTotals recomputes Totals from the mailboxes.
func (p *Plan) SumTotals() {
	t := Totals{Mailboxes: len(p.Mailboxes)}
	for _, m := range p.Mailboxes {
		if m.Error != "" {
			t.Errors++
		}
		t.Folders += len(m.Folders)
		t.Items += m.Items
		t.Bytes += m.Bytes
		t.ToMigrate.Items += m.ToMigrate.Items
		t.ToMigrate.Bytes += m.ToMigrate.Bytes
		for _, s := range m.Skips {
			t.Skipped.Items += s.Items
			t.Skipped.Bytes += s.Bytes
		}
		t.OverLimit += int64(len(m.OverLimit))
		t.Contacts += m.Contacts
		t.Events += m.Events
		if m.PIM != nil {
			if t.PIM == nil {
				t.PIM = &PIM{}
			}
			t.PIM.Add(*m.PIM)
		}
		t.KeywordsDropped += m.KeywordsDropped
	}
	p.Totals = t
}
