package migrate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/migrate/mapping"
	"github.com/migrate-tool/migrate/source"
)

// FolderInventory is what one source folder holds, from item metadata only.
type FolderInventory struct {
	Folder source.Folder
	// Items and Bytes count the folder's items and their sizes.
	Items, Bytes int64
	// Oldest and Newest are the range of item dates; zero when unknown.
	Oldest, Newest time.Time
	// Largest is the size of the largest item.
	Largest int64
}

// MailboxInventory is what one source mailbox holds.
type MailboxInventory struct {
	Mailbox string
	Folders []FolderInventory
}

// Items returns the mailbox's total item count and bytes.
func (m *MailboxInventory) Items() (items, bytes int64) {
	for _, f := range m.Folders {
		items += f.Items
		bytes += f.Bytes
	}
	return items, bytes
}

// Inventory lists every folder of acct and counts its items from their
// metadata (sizes and dates, never bodies). mailbox names the account in
// errors.
func Inventory(ctx context.Context, mailbox string, acct source.Account) (*MailboxInventory, error) {
	folders, err := acct.Folders(ctx)
	if err != nil {
		return nil, fmt.Errorf("mailbox %s: listing folders: %w", mailbox, err)
	}
	inv := &MailboxInventory{Mailbox: mailbox}
	for _, f := range folders {
		fi := FolderInventory{Folder: f}
		if !f.NoSelect {
			for ref, err := range acct.Items(ctx, f) {
				if err != nil {
					return nil, fmt.Errorf("mailbox %s: folder %s: listing items: %w", mailbox, folderName(f), err)
				}
				fi.Items++
				if ref.Size > 0 {
					fi.Bytes += ref.Size
				}
				if ref.Size > fi.Largest {
					fi.Largest = ref.Size
				}
				if !ref.Date.IsZero() {
					if fi.Oldest.IsZero() || ref.Date.Before(fi.Oldest) {
						fi.Oldest = ref.Date
					}
					if ref.Date.After(fi.Newest) {
						fi.Newest = ref.Date
					}
				}
			}
		}
		inv.Folders = append(inv.Folders, fi)
	}
	return inv, nil
}

// folderName is a folder's decoded path joined with "/", as the state,
// plans, logs and reports name it. An address book's or calendar's is
// prefixed with its kind ("contact:Contacts", "event:Work"), so that it
// never names a mail folder of the same path.
func folderName(f source.Folder) string {
	name := strings.Join(f.Path, "/")
	if name == "" {
		name = f.Name
	}
	if !mapping.IsMail(f.Kind) {
		name = string(f.Kind) + ":" + name
	}
	return name
}
