// Package target defines what the migration engine needs from a destination
// mailbox: folders created idempotently, items created exactly once, and a
// way to find what was already created from the source key stamped on each
// item, so that a lost or stale state never causes a duplicate.
//
// The Microsoft Graph implementation is in target/graph (the only package
// that links msgraph-sdk-go); target/graphemu is a local Graph emulator for
// tests and demos. A target never imports a source and the reverse: the
// engine in package migrate joins them.
package target

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/migrate-tool/migrate/migrate/message"
)

// FolderID identifies a folder in the target.
type FolderID string

// ItemID identifies a created item in the target.
type ItemID string

// Well-known folders a source folder can map to (Graph's well-known names).
const (
	Root         = "msgfolderroot"
	Inbox        = "inbox"
	SentItems    = "sentitems"
	Drafts       = "drafts"
	DeletedItems = "deleteditems"
	JunkEmail    = "junkemail"
	Archive      = "archive"
	// Contacts and Calendar are the mailbox's default contact folder and
	// calendar (Graph: /contactFolders/contacts, /calendar); a source
	// address book or calendar maps to one of them or to a folder of its
	// own below (contacts) or beside (calendars) it.
	Contacts = "contacts"
	Calendar = "calendar"
)

// Message is a mail message ready to be created in the target.
type Message struct {
	// SourceKey identifies the source item; the created item is stamped
	// with it and Lookup finds it by it.
	SourceKey string
	// ContentID is the item's content identity, stamped beside SourceKey:
	// "sha256:" and the hex SHA-256 of the item's bytes exactly as the
	// source streamed them. Unlike a key it survives a renumbered folder
	// (new UIDVALIDITY and UIDs) and a move to another server that keeps
	// the bytes, so that a run with a lost state finds by it what an
	// earlier run created under other keys. May be "" (not stamped).
	ContentID string
	// BodyID is the message's body identity (source.BodyIdentity: its
	// Date and Message-ID and its body's size and SHA-256), stamped beside
	// ContentID when both are set: another row of the target mailbox (a
	// local store of the same account's mail, whose header bytes differ)
	// finds by it the item this one became. May be "" (not stamped).
	BodyID string
	// Content is the parsed message: headers, body and attachments.
	Content *message.Message
	// Received and Sent are the original dates (Received from the source's
	// INTERNALDATE, Sent from the Date header); zero when unknown.
	Received, Sent time.Time
	// Read, Flagged, Answered, Forwarded and Draft are the message's state.
	Read, Flagged, Answered, Forwarded, Draft bool
	// Categories are the message's categories (from keywords and labels).
	Categories []string
}

// Created is the result of creating an item.
type Created struct {
	ID ItemID
	// Notes say what could not be kept as it was (for example "created as
	// a draft: the tenant refused attachments on received mail"); they go
	// into the item's record and the report.
	Notes []string
}

// Stamp is one stamped item found in a target folder: the source key,
// content identity and body identity it was created with (ContentID or
// BodyID "" for items stamped without one) and its id.
type Stamp struct {
	SourceKey string
	ContentID string
	BodyID    string
	ID        ItemID
}

// Mailbox is one destination mailbox.
//
// Implementations are safe for concurrent use and pace themselves to the
// target's documented limits; the engine may call them from several
// goroutines.
type Mailbox interface {
	// EnsureFolder returns the folder at path below the well-known folder
	// parent (Root for the mailbox root), creating what is missing. It is
	// idempotent: a folder that exists (under any letter case, as the
	// target compares names) is returned, not created again.
	EnsureFolder(ctx context.Context, parent string, path []string) (FolderID, error)
	// PutMessage creates m in folder f as received (non-draft) mail unless
	// m.Draft, stamped with m.SourceKey and m.ContentID. It is atomic as seen by Lookup
	// and Stamps: either a complete item stamped with m.SourceKey exists
	// afterwards, or none does (a partial item left by a failure is removed
	// or replaced by the next PutMessage of the same key).
	PutMessage(ctx context.Context, f FolderID, m *Message) (Created, error)
	// Lookup finds the complete item stamped with sourceKey in folder f.
	Lookup(ctx context.Context, f FolderID, sourceKey string) (ItemID, bool, error)
	// Stamps streams the source keys and content identities of every
	// complete stamped item in folder f, paging through the target; it is
	// how a lost state is reconciled.
	Stamps(ctx context.Context, f FolderID) iter.Seq2[Stamp, error]
}

// Errors a target returns; test them with errors.Is and errors.As.
var (
	// ErrNotFound: the mailbox, folder or item does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAuth: the credentials were refused or lack a permission. Fatal for
	// the mailbox (or the run): retrying cannot help.
	ErrAuth = errors.New("target refused the credentials or permission")
)

// ItemError is a permanent failure of one item (too large, refused as
// invalid): retrying cannot help, the item is recorded as failed with
// Reason and the run goes on.
type ItemError struct {
	Reason string
	Err    error
}

func (e *ItemError) Error() string {
	if e.Err == nil {
		return e.Reason
	}
	return fmt.Sprintf("%s: %v", e.Reason, e.Err)
}

func (e *ItemError) Unwrap() error { return e.Err }

// RetryError is a transient failure: throttling (429), a server error
// (5xx) or a network failure. After, when positive, is how long the target
// asked to wait (Retry-After).
type RetryError struct {
	After time.Duration
	Err   error
}

func (e *RetryError) Error() string {
	if e.After > 0 {
		return fmt.Sprintf("%v (retry after %s)", e.Err, e.After)
	}
	return e.Err.Error()
}

func (e *RetryError) Unwrap() error { return e.Err }

// RetryAfter reports whether err is transient and how long to wait first.
func RetryAfter(err error) (time.Duration, bool) {
	var re *RetryError
	if errors.As(err, &re) {
		return re.After, true
	}
	return 0, false
}
