// Package state is migrate's checkpoint store: what has been discovered,
// migrated, skipped or has failed, per project, mailbox, folder and item, and
// a log of runs. The engine is its only writer; `migrate status` and
// `migrate report` read it, also while a run goes on.
//
// # Interface and implementations
//
// [Store] is the contract. [Open] returns the embedded SQLite implementation
// (pure Go, no cgo). The interface holds nothing SQLite-specific and assumes
// nothing process-local: every fact a second worker would need is a row, so a
// PostgreSQL implementation for runs spread over several machines can satisfy
// the same interface. Times are kept to the microsecond and returned in UTC.
//
// # Durability
//
// Every write method commits before it returns: once PutItem returns nil the
// checkpoint survives kill -9 of the process (and, with the SQLite store, a
// power loss; see [Open]). The engine must therefore call PutItem (or
// PutItems) only after the target confirmed the item, and treat an error from
// it as "not recorded".
//
// # Locking
//
// A [ReadWrite] store is exclusive: opening one takes a lock, and a second
// ReadWrite open of the same state fails with an error that matches
// [ErrLocked] (errors.Is) and is a [*LockedError] naming the holder. A
// [ReadOnly] store takes no lock, never writes, and may be opened at any
// time; its write methods fail with [ErrReadOnly].
//
// # Secrets
//
// The store keeps exactly what its caller gives it and nothing else; no table
// or column is meant for credentials, tokens or secret references. Callers
// must not put them into any field: in particular Run.Command must be the
// redacted command line, and Reason strings must not echo server responses
// that could contain a password.
//
// # IMAP UIDVALIDITY changes
//
// A folder's Validity (IMAP UIDVALIDITY) scopes its items' source keys: when
// the server reports a new UIDVALIDITY, every stored UID of that folder may now
// name a different message. PutFolder therefore refuses to change a non-empty
// Validity (the error matches [ErrValidityChanged]); the caller handles the
// change explicitly:
//
//  1. ReplaceFolderValidity(ctx, mailbox, folder, newValidity) retires, in one
//     transaction, every item of the folder (they move out of Items and Summary
//     but stay queryable with ItemQuery.Retired, with RetiredValidity set to
//     the old validity), stores the new validity and clears the folder Cursor.
//  2. The caller enumerates the folder again from the start. For each message
//     it computes the Fingerprint and looks for a retired item with the same
//     one: Items(ctx, ItemQuery{Mailbox: m, Folder: f, Fingerprint: fp,
//     Retired: true}). A retired item with StatusMigrated and a TargetID is
//     already in the target: record the new key as migrated with that
//     TargetID instead of uploading it again. Otherwise migrate it as new.
//
// Nothing is orphaned silently: retired items that were migrated but found no
// successor (the message was deleted meanwhile) remain visible for reports.
package state

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"
)

// Status is the state of a mailbox or an item.
type Status string

// The statuses a mailbox or an item can have. Any other value is refused by
// the write methods.
const (
	// StatusPending: known, not yet migrated (or to be tried again).
	StatusPending Status = "pending"
	// StatusMigrated: the target confirmed the item (or the whole mailbox).
	StatusMigrated Status = "migrated"
	// StatusSkipped: deliberately not migrated; Reason says why.
	StatusSkipped Status = "skipped"
	// StatusFailed: the last attempt failed; Reason says why.
	StatusFailed Status = "failed"
)

// Statuses lists every valid Status, in the order reports show them.
func Statuses() []Status {
	return []Status{StatusPending, StatusMigrated, StatusSkipped, StatusFailed}
}

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusPending, StatusMigrated, StatusSkipped, StatusFailed:
		return true
	}
	return false
}

// Item kinds commonly stored in Item.Kind. The store does not restrict Kind.
const (
	KindMessage = "message" // a mail message
	KindContact = "contact" // a contact (vCard)
	KindEvent   = "event"   // a calendar event (iCalendar)
)

// Project describes the migration project a state belongs to. There is one
// per state.
type Project struct {
	// Name is the project's name, from the configuration.
	Name string
	// ConfigFingerprint is a hash of the configuration the state was built
	// for, so that the engine can refuse to resume with another one.
	ConfigFingerprint string
	// CreatedAt is when the project was first recorded. SetProject fills it
	// with the current time when zero and keeps the first value on later
	// calls.
	CreatedAt time.Time
}

// Mailbox is one mailbox to migrate: a source account and its target.
type Mailbox struct {
	// ID is the mailbox's stable key, e.g. the source address.
	ID string
	// SourceAddress is the address or login of the source account.
	SourceAddress string
	// TargetAddress is the Exchange Online mailbox (UPN or address).
	TargetAddress string
	// Protocol names the source kind, e.g. "imap", "pop3", "dav", "mbox".
	Protocol string
	// Status is the mailbox's overall state.
	Status Status
	// Reason explains a skipped or failed status; empty otherwise.
	Reason string
	// UpdatedAt is when the record was last written; PutMailbox fills it
	// with the current time when zero.
	UpdatedAt time.Time
}

// Folder is one source folder (or address book, or calendar) of a mailbox
// and where it goes in the target.
type Folder struct {
	// Mailbox is the owning Mailbox.ID; the mailbox must have been stored.
	Mailbox string
	// SourcePath is the folder's path in the source, its key within the
	// mailbox.
	SourcePath string
	// TargetPath is the folder's path in the target.
	TargetPath string
	// TargetID is the target's folder ID once the folder exists there.
	TargetID string
	// Validity scopes the folder's source keys, e.g. IMAP UIDVALIDITY; empty
	// when the source has no such notion. Once set it can only be changed
	// with Store.ReplaceFolderValidity.
	Validity string
	// Cursor is the source adapter's checkpoint within the folder, e.g. the
	// highest UID done. Opaque to the store.
	Cursor string
	// UpdatedAt is when the record was last written; PutFolder fills it with
	// the current time when zero.
	UpdatedAt time.Time
}

// Item is the checkpoint of one source item (message, contact or event).
type Item struct {
	// Mailbox is the owning Mailbox.ID.
	Mailbox string
	// Folder is the owning Folder.SourcePath; the folder must have been
	// stored.
	Folder string
	// SourceKey identifies the item within its folder in the source: an
	// IMAP UID, a POP3 UIDL, a DAV href, a file name.
	SourceKey string
	// Kind is the item's kind: KindMessage, KindContact, KindEvent.
	Kind string
	// Fingerprint is a hash of the item's content, used to recognise it
	// under another key (see the package documentation on UIDVALIDITY).
	Fingerprint string
	// TargetID is the target's ID of the created item, once migrated.
	TargetID string
	// Status is the item's state.
	Status Status
	// Reason explains a skipped or failed status; empty otherwise.
	Reason string
	// Bytes is the item's size in the source.
	Bytes int64
	// DroppedKeywords are the source's flags and keywords that the target
	// does not carry (system keywords such as $MDNSent, "$" keywords, unknown
	// "\" flags: mapping.State.Dropped), as the source has them, for a
	// migrated item; empty when nothing was dropped or for another status.
	// Items recorded before the field existed read with it empty.
	DroppedKeywords []string
	// ReceivedFrom says where a migrated item's received time came from:
	// "server" (the source's own date, IMAP INTERNALDATE),
	// "received_header" (the newest Received field that parses: POP3),
	// "date_header" or "run_time" (mapping.ReceivedDate). Empty for
	// another status, for an item found already in the target, and for
	// items recorded before the field existed.
	ReceivedFrom string
	// Failure says what kind of failure a failed item's Reason is:
	// FailureUnparsable, or "" for any other (a new run may well succeed:
	// a refusal, a timeout, a connection lost). Empty for another status,
	// and for items recorded before the field existed.
	Failure string
	// Attempts counts the writes of this item that recorded an outcome
	// (StatusMigrated or StatusFailed). The store maintains it: the value
	// given to PutItem or PutItems is ignored.
	Attempts int
	// FirstSeen is when the item was first stored. It is set by the first
	// write (to the given value, or to UpdatedAt when zero) and kept by later
	// ones.
	FirstSeen time.Time
	// UpdatedAt is when the record was last written; the write methods fill
	// it with the current time when zero.
	UpdatedAt time.Time
	// RetiredValidity is empty for a live item. For an item returned by a
	// query with ItemQuery.Retired set, it is the folder Validity the item
	// was recorded under before ReplaceFolderValidity retired it. Writes
	// refuse an item with a non-empty RetiredValidity.
	RetiredValidity string
}

// FailureUnparsable is Item.Failure of a contact or event object that
// does not parse: a new run reads it again and fails the same way unless
// the object is corrected at the source.
const FailureUnparsable = "unparsable"

// ItemQuery selects items for Store.Items. Empty fields match everything.
type ItemQuery struct {
	// Mailbox restricts the query to one mailbox.
	Mailbox string
	// Folder restricts the query to one folder (by SourcePath) of Mailbox;
	// it requires Mailbox.
	Folder string
	// Status restricts the query to items with this status.
	Status Status
	// Fingerprint restricts the query to items with this content hash.
	Fingerprint string
	// Retired selects retired items (see ReplaceFolderValidity) instead of
	// live ones.
	Retired bool
}

// Run records one invocation of a migrate command that used the state.
type Run struct {
	// ID is assigned by StartRun; ignored when starting a run.
	ID int64
	// StartedAt is when the run started; StartRun fills it with the current
	// time when zero.
	StartedAt time.Time
	// EndedAt is when the run ended; zero while it runs, or if it was killed
	// before EndRun.
	EndedAt time.Time
	// Command is the redacted command line or the subcommand name. It must
	// not contain secrets.
	Command string
	// Outcome is set by EndRun, e.g. "ok", "failed", "interrupted".
	Outcome string
	// Host is the machine the run ran on.
	Host string
	// PID is the run's process ID on Host.
	PID int
}

// Counts are the totals of one status.
type Counts struct {
	// Items is the number of items.
	Items int64
	// Bytes is the sum of their sizes.
	Bytes int64
}

// Store is the checkpoint store. Implementations are safe for concurrent use
// by several goroutines. Every write commits before it returns.
//
// Write methods fail with ErrReadOnly on a store opened ReadOnly, with
// ErrInvalid for a record that misses a key or has an unknown status, and
// with ErrNotFound when the record's parent (the mailbox of a folder, the
// folder of an item) has not been stored.
type Store interface {
	// Project returns the project record, or an error matching ErrNotFound
	// when none was set.
	Project(ctx context.Context) (Project, error)
	// SetProject stores the project record, replacing Name and
	// ConfigFingerprint; CreatedAt is kept from the first call.
	SetProject(ctx context.Context, p Project) error

	// PutMailbox inserts or replaces the mailbox keyed by m.ID.
	PutMailbox(ctx context.Context, m Mailbox) error
	// Mailbox returns the mailbox with the given ID and whether it exists.
	Mailbox(ctx context.Context, id string) (Mailbox, bool, error)
	// Mailboxes returns every mailbox, ordered by ID.
	Mailboxes(ctx context.Context) ([]Mailbox, error)

	// PutFolder inserts or replaces the folder keyed by (f.Mailbox,
	// f.SourcePath). Changing a stored non-empty Validity is refused with
	// ErrValidityChanged: use ReplaceFolderValidity.
	PutFolder(ctx context.Context, f Folder) error
	// Folders returns the folders of a mailbox, ordered by SourcePath.
	Folders(ctx context.Context, mailbox string) ([]Folder, error)
	// ReplaceFolderValidity records that the folder's validity changed to
	// validity: in one transaction it retires every item of the folder,
	// stores the new Validity and clears the Cursor. It returns the number
	// of items retired; it does nothing when the validity is unchanged. See
	// the package documentation for how the caller continues.
	ReplaceFolderValidity(ctx context.Context, mailbox, folder, validity string) (retired int64, err error)

	// PutItem inserts or replaces the item keyed by (Mailbox, Folder,
	// SourceKey), keeping FirstSeen and counting Attempts (see Item).
	PutItem(ctx context.Context, it Item) error
	// PutItems is PutItem for a batch, in one transaction: all items are
	// stored or none is.
	PutItems(ctx context.Context, items []Item) error
	// Item returns one item and whether it exists.
	Item(ctx context.Context, mailbox, folder, sourceKey string) (Item, bool, error)
	// Items streams the items matching q, ordered by mailbox, folder (then
	// retired validity) and source key. It never holds all rows in memory,
	// and it holds no database transaction while the caller's loop body
	// runs, so the caller may write (PutItem) while iterating; an item
	// written ahead of the iteration's position may be seen with its new
	// values. An error ends the iteration.
	Items(ctx context.Context, q ItemQuery) iter.Seq2[Item, error]
	// Summary returns the number of live items and their bytes per status
	// for one mailbox, or for all when mailbox is "". Every known status is
	// present in the map, with zero counts when it has no item.
	Summary(ctx context.Context, mailbox string) (map[Status]Counts, error)

	// StartRun records the start of a run and returns its ID.
	StartRun(ctx context.Context, r Run) (int64, error)
	// EndRun records the end of run id with its outcome.
	EndRun(ctx context.Context, id int64, outcome string, at time.Time) error
	// Runs returns every run, oldest first.
	Runs(ctx context.Context) ([]Run, error)

	// Close releases the store and, for a ReadWrite store, its lock. Calls
	// after the first return nil.
	Close() error
}

// Mode says how a store is opened.
type Mode int

const (
	// ReadWrite opens the state exclusively for a run: it creates and
	// upgrades the state as needed and takes the lock. It is the zero Mode.
	ReadWrite Mode = iota
	// ReadOnly opens an existing state for reading, without the lock and
	// without writing, e.g. for `migrate status` while a run goes on.
	ReadOnly
)

// String returns "read-write" or "read-only".
func (m Mode) String() string {
	switch m {
	case ReadWrite:
		return "read-write"
	case ReadOnly:
		return "read-only"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Options tune Open. A nil *Options means the defaults.
type Options struct {
	// Mode is ReadWrite (the default) or ReadOnly.
	Mode Mode
	// BusyTimeout is how long a statement waits for a database lock held by
	// another connection (e.g. a reader checkpointing) before failing.
	// Default 10s.
	BusyTimeout time.Duration
	// Now returns the current time for timestamps the store fills in.
	// Default time.Now; tests set a fixed clock.
	Now func() time.Time
}

// Errors the store returns, wrapped with the operation and key; test them
// with errors.Is.
var (
	// ErrLocked: another ReadWrite store holds the state. The error is a
	// *LockedError.
	ErrLocked = errors.New("state is locked")
	// ErrReadOnly: a write on a store opened ReadOnly.
	ErrReadOnly = errors.New("state is open read-only")
	// ErrNotFound: the record, or the parent a record refers to, is not
	// stored.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: a record misses a key or has an unknown status.
	ErrInvalid = errors.New("invalid record")
	// ErrValidityChanged: PutFolder would change a stored folder Validity.
	ErrValidityChanged = errors.New("folder validity changed")
	// ErrSchemaVersion: the state's schema version cannot be used by this
	// program (newer than it knows, or older on a ReadOnly open).
	ErrSchemaVersion = errors.New("unsupported state schema version")
	// ErrNotState: the file is a database but not a migrate state.
	ErrNotState = errors.New("not a migrate state database")
)

// LockedError is returned by a ReadWrite Open when another run holds the
// state. It matches ErrLocked with errors.Is.
type LockedError struct {
	// Path is the state path as given to Open.
	Path string
	// PID, Host and Since describe the holder as it recorded itself; they
	// are zero when the holder has not recorded itself (yet).
	PID   int
	Host  string
	Since time.Time
}

// Error returns a sentence naming the state and the holder.
func (e *LockedError) Error() string {
	if e.PID == 0 {
		return fmt.Sprintf("state %s is in use by another migrate run (not yet identified in %s)", e.Path, e.Path+lockSuffix)
	}
	return fmt.Sprintf("state %s is in use by another migrate run (pid %d on host %s since %s)",
		e.Path, e.PID, e.Host, e.Since.UTC().Format(time.RFC3339))
}

// Unwrap returns ErrLocked.
func (e *LockedError) Unwrap() error { return ErrLocked }

// lockSuffix names the lock file beside the state: state.db.lock.
const lockSuffix = ".lock"
