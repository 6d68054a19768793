package target

import "context"

// Inspector is an optional capability of a Mailbox, found by type
// assertion: it lists what the mailbox already holds and its quota, for
// `migrate plan` (existing folders and items, free space) and
// `migrate verify` (finding folders without writing). Callers must work
// without it, with less detail.
//
// Implementations only read; they never create or change anything.
type Inspector interface {
	// Folders lists every mail folder of the mailbox, in any order,
	// including the mailbox root (WellKnown Root, the parent of
	// the top-level folders) and the well-known folders with their
	// WellKnown names, so that a path below a well-known folder can be
	// followed by ParentID.
	Folders(ctx context.Context) ([]FolderInfo, error)
	// Quota returns the mailbox's storage quota and use. A target that
	// cannot tell (Graph reports it only through the usage reports, which
	// need Reports.Read.All) returns a Quota with Known false, the reason
	// in Unknown, and no error.
	Quota(ctx context.Context) (Quota, error)
}

// FolderInfo is one existing folder of a target mailbox.
type FolderInfo struct {
	// ID identifies the folder; ParentID its parent ("" for the root's
	// children).
	ID, ParentID FolderID
	// Name is the folder's display name.
	Name string
	// WellKnown is the folder's well-known name (Inbox, SentItems... in
	// this package's constants) or "".
	WellKnown string
	// Items counts the items in the folder itself, -1 when unknown.
	Items int64
	// Bytes is their total size, -1 when unknown.
	Bytes int64
}

// Quota is a mailbox's storage quota.
type Quota struct {
	// Known is false when the target does not report quotas.
	Known bool
	// Unknown says why Known is false, as a sentence for the plan and the
	// reports ("the app lacks Reports.Read.All"); "" when Known.
	Unknown string
	// Total is the size at which the mailbox stops receiving mail
	// (Exchange's ProhibitSendReceiveQuota); Used what it holds.
	Total, Used int64
}

// FolderPath returns the path of names from the root down to the folder
// with the given id in list (as Inspector.Folders returns it), or nil
// when the id is not in it.
func FolderPath(list []FolderInfo, id FolderID) []string {
	byID := make(map[FolderID]FolderInfo, len(list))
	for _, f := range list {
		byID[f.ID] = f
	}
	var path []string
	for seen := 0; seen <= len(list); seen++ {
		f, ok := byID[id]
		if !ok {
			break
		}
		path = append([]string{f.Name}, path...)
		if f.ParentID == "" {
			return path
		}
		id = f.ParentID
	}
	if len(path) == 0 {
		return nil
	}
	return path
}
