package mapping

import (
	"fmt"
	"time"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/source"
)

// Rules of Decision.Rule: why an item is skipped, for grouping in reports.
const (
	SkipFolderExcluded = "folder_excluded" // its folder is excluded
	SkipDeleted        = "deleted"         // flagged \Deleted and filters.deleted_items is skip
	SkipSince          = "since"           // received before filters.since
	SkipBefore         = "before"          // received on or after filters.before
	SkipMaxSize        = "max_size"        // larger than filters.max_size
	SkipTooLarge       = "too_large"       // larger than the tenant accepts (target.max_message_size)
	SkipSource         = "source"          // the source advises against it (source.ItemRef.Skip)
	// SkipStoreDeleted counts the messages a local store marks deleted
	// but still holds (source.Folder.Deleted): the adapter does not list
	// them, so the plan reports them from the folder's count.
	SkipStoreDeleted = "store_deleted"
)

// Where an item's received time comes from (ReceivedDate), as recorded per
// item in the state and counted in the migration report.
const (
	ReceivedFromServer = "server"          // the source's own date (IMAP INTERNALDATE)
	ReceivedFromHeader = "received_header" // the newest Received field whose date parses
	ReceivedFromDate   = "date_header"     // the Date field
	ReceivedFromRun    = "run_time"        // none of these: the time of the run
)

// ReceivedFromRules lists the ReceivedFrom values in the order
// ReceivedDate tries them.
func ReceivedFromRules() []string {
	return []string{ReceivedFromServer, ReceivedFromHeader, ReceivedFromDate, ReceivedFromRun}
}

// ReceivedDate returns the time an item becomes received at in the target
// (PR_MESSAGE_DELIVERY_TIME), and which rule gave it: the source's own
// date (Decision.Received: IMAP INTERNALDATE) when it has one; else the
// date of the message's newest Received field that parses
// (message.Message.Received; POP3 has no received date, so its mail takes
// this); else its Date field; else now, the time of the run.
func ReceivedDate(server, received, date, now time.Time) (time.Time, string) {
	switch {
	case !server.IsZero():
		return server, ReceivedFromServer
	case !received.IsZero():
		return received, ReceivedFromHeader
	case !date.IsZero():
		return date, ReceivedFromDate
	}
	return now, ReceivedFromRun
}

// ItemOptions are the item filters of a project. A nil *ItemOptions means
// no filters, \Deleted messages skipped and default flag options.
type ItemOptions struct {
	// Since skips items received before it; zero for no limit.
	Since time.Time
	// Before skips items received on or after it; zero for no limit.
	Before time.Time
	// MaxSize skips items larger than it, in bytes; 0 for no limit.
	MaxSize int64
	// TargetMaxSize skips items larger than the target tenant accepts, in
	// bytes (Exchange Online's default is 35 MB, at most 150 MB); 0 for no
	// limit. It is reported apart from MaxSize: the user chose one, the
	// tenant imposes the other.
	TargetMaxSize int64
	// DeletedItems is "skip" (also when empty or anything else) or
	// "migrate": what to do with messages flagged \Deleted.
	DeletedItems string
	// Flags adjust how flags and keywords map.
	Flags *FlagOptions
	// Read creates every item read whatever its flags: for a source that
	// has no read state (POP3, pop3.read).
	Read bool
}

// NewItemOptions returns the item options of a project's filters, target
// and keyword settings (keywords.keep_dollar is
// FlagOptions.KeepDollarKeywords).
func NewItemOptions(f config.Filters, t config.Target, k config.Keywords) *ItemOptions {
	return &ItemOptions{
		Since:         f.Since.Time,
		Before:        f.Before.Time,
		MaxSize:       int64(f.MaxSize),
		TargetMaxSize: int64(t.MaxMessageSize),
		DeletedItems:  f.DeletedItems,
		Flags:         &FlagOptions{KeepDollarKeywords: k.KeepDollar},
	}
}

// Decision is what happens to one item.
//
// Whatever the source message requests, the target creates it with
// isReadReceiptRequested and isDeliveryReceiptRequested false, so that
// reading a migrated message never sends a receipt (see
// ReceiptRequestHeaders).
type Decision struct {
	// Skip is true when the item is not migrated; Reason says why, as a
	// sentence for the report, and Rule says which rule, as one of the
	// Skip constants.
	Skip   bool
	Reason string
	Rule   string
	// State is the item's target state from its flags, set also for a
	// skipped item (for the report).
	State State
	// Received is when the source received the item (IMAP INTERNALDATE),
	// to become the target's received time (PR_MESSAGE_DELIVERY_TIME); zero
	// when the source does not know it, and the engine takes it from the
	// message's headers. The sent time (PR_CLIENT_SUBMIT_TIME) is always the
	// message's Date header.
	Received time.Time
}

// Item decides whether an item of a mapped folder is migrated, and in what
// state. The checks, in order (the first that applies gives the reason):
// the folder is excluded; the item is flagged \Deleted and deleted items
// are skipped; it was received before Since or on or after Before; it is
// larger than MaxSize; it is larger than TargetMaxSize. An unknown date
// (zero) or size (negative) passes the date or size checks: the engine can
// check again once it has read the message.
//
// An item placed in the Drafts folder itself (WellKnown "drafts", empty
// Target) is a draft even without \Draft: several clients save drafts
// without the flag, and a message in Drafts that is not a draft can be
// neither edited nor sent from there.
func Item(ref source.ItemRef, folder FolderMapping, opts *ItemOptions) Decision {
	if opts == nil {
		opts = &ItemOptions{}
	}
	d := Decision{State: Flags(ref.Flags, opts.Flags), Received: ref.Date}
	if opts.Read {
		d.State.Read = true
	}
	if folder.WellKnown == WellKnownDrafts && len(folder.Target) == 0 && !folder.Excluded {
		d.State.Draft = true
	}
	skip := func(rule, reason string) Decision {
		d.Skip, d.Rule, d.Reason = true, rule, reason
		return d
	}
	switch {
	case folder.Excluded:
		return skip(SkipFolderExcluded, "its folder is not migrated: "+folder.Reason)
	case ref.Skip != "":
		return skip(SkipSource, ref.Skip)
	case d.State.Deleted && opts.DeletedItems != "migrate":
		return skip(SkipDeleted, `flagged \Deleted on the source`)
	case !ref.Date.IsZero() && !opts.Since.IsZero() && ref.Date.Before(opts.Since):
		return skip(SkipSince, fmt.Sprintf("received %s, before filters.since (%s)", day(ref.Date), day(opts.Since)))
	case !ref.Date.IsZero() && !opts.Before.IsZero() && !ref.Date.Before(opts.Before):
		return skip(SkipBefore, fmt.Sprintf("received %s, not before filters.before (%s)", day(ref.Date), day(opts.Before)))
	case ref.Size >= 0 && opts.MaxSize > 0 && ref.Size > opts.MaxSize:
		return skip(SkipMaxSize, fmt.Sprintf("%d bytes, larger than filters.max_size (%s)", ref.Size, config.Size(opts.MaxSize)))
	case ref.Size >= 0 && opts.TargetMaxSize > 0 && ref.Size > opts.TargetMaxSize:
		return skip(SkipTooLarge, fmt.Sprintf("%d bytes, larger than the target accepts (target.max_message_size %s; Exchange Online allows up to 150MB if an administrator raises it)", ref.Size, config.Size(opts.TargetMaxSize)))
	}
	return d
}

// day formats a time as its UTC calendar day, with the time of day when it
// is not midnight.
func day(t time.Time) string {
	t = t.UTC()
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:04:05Z")
}

// ReceiptRequestHeaders returns the header fields by which a message asks
// for a read or delivery receipt: Disposition-Notification-To and
// Disposition-Notification-Options (RFC 8098), Return-Receipt-To (the
// older sendmail delivery receipt) and X-Confirm-Reading-To (older
// clients' read receipt).
//
// None of them may make a migrated message request a receipt: the target
// creates every message with isReadReceiptRequested and
// isDeliveryReceiptRequested false, and never passes these fields as
// internetMessageHeaders. Otherwise opening an old message in Outlook sends
// a read receipt years late; imapsync's Office 365 FAQ reports exactly that
// after IMAP imports, and disarms the field by renaming it
// X-Disposition-Notification-To. The original header block may still be
// kept verbatim in PR_TRANSPORT_MESSAGE_HEADERS, which Outlook only shows.
func ReceiptRequestHeaders() []string {
	return []string{
		"Disposition-Notification-To",
		"Disposition-Notification-Options",
		"Return-Receipt-To",
		"X-Confirm-Reading-To",
	}
}
