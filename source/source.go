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
	// Kind is what the folder holds.
	Kind Kind
	// Validity identifies the generation of item keys in this folder (IMAP
	// UIDVALIDITY). When it changes, keys seen before mean nothing.
	Validity string
	// Count and Bytes are the number and total size of items when the
	// source reports them cheaply, or -1 when unknown.
	Count, Bytes int64
	// NoSelect is true for a folder that exists only as a parent.
	NoSelect bool
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
}

// Account is one source mailbox, opened and authenticated.
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
