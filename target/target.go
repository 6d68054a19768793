// Package target defines what the migration engine needs from a destination
// mailbox: folders created idempotently, items created once, and a way to
// find what was already created from the source key stamped on each item.
//
// The Microsoft Graph implementation is in target/graph (the only package
// that links msgraph-sdk-go); target/graphemu is a local Graph emulator for
// tests and demos.
package target

import (
	"context"
	"errors"
)

// FolderID identifies a folder in the target.
type FolderID string

// ItemID identifies a created item in the target.
type ItemID string

// ErrNotFound reports that a mailbox, folder or item does not exist.
var ErrNotFound = errors.New("not found")

// Mailbox is one destination mailbox.
type Mailbox interface {
	// EnsureFolder returns the folder at path under the mailbox root,
	// creating missing folders. wellKnown, when not empty, names a folder
	// the target has already (Graph's "inbox", "sentitems", ...) that path
	// maps to.
	EnsureFolder(ctx context.Context, path []string, wellKnown string) (FolderID, error)
	// Lookup finds the item stamped with sourceKey in folder f.
	Lookup(ctx context.Context, f FolderID, sourceKey string) (ItemID, bool, error)
}
