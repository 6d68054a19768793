// Package source defines what the migration engine needs from a mail,
// contact or calendar store: a list of folders, a streamed listing of item
// metadata per folder, and each item's content as a stream.
//
// One adapter per protocol or store lives in a sub-package (source/imap,
// source/pop3, ...). Adapters know nothing of mapping, targets or state; the
// engine in package migrate is the only place that combines them. Extra
// abilities are small optional interfaces found by type assertion, in the
// manner of rclone's backends.
package source

import (
	"context"
	"io"
	"iter"
	"net/textproto"
	"time"
)

// Kind says what an item or a folder holds.
type Kind string

// The kinds of item a source can hold.
const (
	KindMessage Kind = "message"
	KindContact Kind = "contact"
	KindEvent   Kind = "event"
)

// ContentType is the media type of what Account.Open streams for an item
// of this kind: one RFC 5322 message (message/rfc822), one vCard
// (text/vcard, any of versions 2.1, 3.0 and 4.0) or one iCalendar object
// (text/calendar: a VCALENDAR holding one event, with its recurrence
// overrides and the VTIMEZONEs it uses).
func (k Kind) ContentType() string {
	switch k {
	case KindContact:
		return "text/vcard"
	case KindEvent:
		return "text/calendar"
	}
	return "message/rfc822"
}

// SpecialUse marks a folder with a well-known role (RFC 6154 and INBOX).
// The empty value is an ordinary folder.
type SpecialUse string

// Special-use roles a folder can have.
const (
	Inbox   SpecialUse = `\Inbox`
	Sent    SpecialUse = `\Sent`
	Drafts  SpecialUse = `\Drafts`
	Trash   SpecialUse = `\Trash`
	Junk    SpecialUse = `\Junk`
	Archive SpecialUse = `\Archive`
	All     SpecialUse = `\All`
	Flagged SpecialUse = `\Flagged`
	// Default marks an account's default address book or calendar (a
	// folder of kind contact or event), which maps to the target's
	// default contact folder or calendar; the others map to folders of
	// their own. Adapters mark at most one folder of each kind.
	Default SpecialUse = `\Default`
)

// Folder is one folder of an account.
type Folder struct {
	// Path is the folder's name split at the hierarchy delimiter, decoded
	// to UTF-8 (for IMAP, from modified UTF-7). INBOX is []string{"INBOX"}.
	Path []string
	// Delimiter is the source's hierarchy delimiter, "" when flat.
	Delimiter string
	// Name is the folder's full name as the source knows it (undecoded);
	// adapters use it to address the folder again.
	Name string
	// SpecialUse is the folder's role, from the server or from name
	// heuristics; Detected says which.
	SpecialUse SpecialUse
	// SpecialUseGuessed is true when SpecialUse came from the folder name
	// rather than from the server.
	SpecialUseGuessed bool
	// Kind is what the folder holds ("" is KindMessage). A mail folder
	// holds messages only; an address book (CardDAV collection, .vcf file)
	// contacts; a calendar (CalDAV collection, .ics file) events.
	Kind Kind
	// Validity identifies the generation of item keys in this folder (IMAP
	// UIDVALIDITY). When it changes, keys seen before mean nothing.
	Validity string
	// Count and Bytes are the number and total size of items when the
	// source reports them cheaply, or -1 when unknown.
	Count, Bytes int64
	// Deleted is how many messages a local store still holds but marks
	// deleted (a Maildir file with the T flag, a Thunderbird message with
	// X-Mozilla-Status 0x8, an emlx with the deleted bit): Items does not
	// list them, and the plan reports them as skipped. Not part of Count.
	Deleted int64
	// Unreadable names the files of a local store's folder that are not
	// migrated because they cannot be read or are not messages (see
	// ErrNotMessage; for an mbox file, bytes before its first From_ line),
	// each as UnreadableFile formats it. Items does not list them; the plan
	// reports them as a risk. Servers leave it nil.
	Unreadable []string
	// NoSelect is true for a folder that exists only as a parent.
	NoSelect bool
	// Skip, when not empty, says why the source advises against migrating
	// the folder by default, as a sentence for the report: a generated or
	// scheduling collection (Nextcloud's contact_birthdays, CalDAV inbox
	// and outbox), a read-only or subscribed calendar. The engine skips
	// such a folder's items with this reason.
	Skip string
}

// ItemRef is an item's metadata, as listed without reading its content.
type ItemRef struct {
	// Key identifies the item within its folder and Folder.Validity, stable
	// across sessions (IMAP: UIDVALIDITY.UID, POP3: UIDL).
	Key string
	// Size is the content's size in bytes, or -1 when unknown.
	Size int64
	// Date is when the source received the item (IMAP INTERNALDATE), or
	// the zero time when unknown.
	Date time.Time
	// Flags are the item's flags and keywords exactly as the source has
	// them (for IMAP, `\Seen`, `$Forwarded`, user keywords...).
	Flags []string
	// Skip, when not empty, says why the source advises against migrating
	// the item, as a sentence for the report, as Folder.Skip does for a
	// folder: for source/mailparts, a meeting reply or cancellation found
	// in mail, which is not an event. The engine skips the item with this
	// reason (plan, run and verify alike). Adapters that list every item
	// as migratable leave it empty.
	Skip string
}

// Account is one source mailbox, opened and authenticated.
//
// Errors match the vocabulary in errors.go (ErrConnect, ErrAuth,
// ErrNotFound, ErrValidityChanged) where one applies.
//
// Methods may be called from one goroutine at a time unless an adapter
// documents otherwise; the engine opens one Account per worker.
type Account interface {
	// Folders lists every folder of the account.
	Folders(ctx context.Context) ([]Folder, error)
	// Items streams the metadata of every item in f. It reads no content
	// and holds no more than a bounded window of items in memory.
	Items(ctx context.Context, f Folder) iter.Seq2[ItemRef, error]
	// Open streams one item's content (for mail, the RFC 5322 message as
	// stored). It never changes the item (no \Seen, no deletion).
	Open(ctx context.Context, f Folder, ref ItemRef) (io.ReadCloser, error)
	// Close ends the session.
	Close() error
}

// HeaderReader is an optional ability of an Account, found by type
// assertion: the named header fields of many items without their bodies,
// in few round trips (for IMAP, one UID FETCH n:m (BODY.PEEK[HEADER.FIELDS
// (...)]) per window of UIDs). The plan reads Message-IDs with it; without
// it, the plan opens each small item and stops after its header.
type HeaderReader interface {
	// Headers streams the fields of each of refs (all items of folder f,
	// as listed by Items), in any order. Items that are gone are left out.
	// Like Items, it holds no more than a bounded window in memory and
	// changes nothing in the source.
	Headers(ctx context.Context, f Folder, refs []ItemRef, fields []string) iter.Seq2[ItemHeader, error]
}

// ItemHeader is the header fields of one item, as HeaderReader reads them.
type ItemHeader struct {
	// Key is the item's ItemRef.Key.
	Key string
	// Header holds the fields asked for that the item has.
	Header textproto.MIMEHeader
}

// Opener opens and authenticates one account. The command line builds one
// per mailbox row from the project, choosing the adapter by protocol; the
// engine knows no adapter.
type Opener func(ctx context.Context) (Account, error)

// MaxBodySize is the most a server may send for a message it listed as
// listed bytes (IMAP RFC822.SIZE, POP3 LIST) before an adapter takes the
// size for a lie and stops reading: twice that, as a server that stores
// bare LF and counts it may send CRLF for every line of a message of
// empty lines, or a size some servers compute before a conversion, plus
// 64 KiB of slack. A body that never ends or a size that lies is cut off
// there; an honest size that is a little off is not.
func MaxBodySize(listed int64) int64 { return 2*max(listed, 0) + 64<<10 }
