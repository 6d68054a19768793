package migrate

import (
	"context"
	"fmt"
	"strings"

	"github.com/migrate-tool/migrate/migrate/mapping"
	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/target"
)

// Rows of one target mailbox and the same mail (dedupe.across_rows: body,
// the default): a POP3 or IMAP account and a local store of it (a
// Thunderbird profile, a Maildir) hold many messages twice, with header
// bytes that differ (the client adds or drops X-Mozilla-*, Status, X-UID,
// Received...) and line ends that may differ. A later row's message that
// is not found by its own key or content identity in its own folder is
// looked up, before it is created, in every mail folder of the target
// mailbox: first by its content identity (the same bytes), then by its
// body identity (source.BodyIdentity: Date, Message-ID and the body's
// size and SHA-256; never Message-ID alone), both stamped on each created
// message. Found there, and not accounted for by another source item of
// this row (copies match one for one; an item the state or, without it,
// the folder's listing gives to a key of this row is never taken), it is
// recorded migrated to that item with a reason saying where: it stays
// where the first row put it, whatever this row's folder ("Inbox" or
// "Archive 2019"). The index is read from the target (every folder's
// stamps, once per row that has other rows), so a lost state and a
// renumbered folder change nothing. Memory: a folder's stamps are kept as
// the run keeps them today (source key, content and body identity and
// the item id per message).

// rowsIndex is every mail folder of the target mailbox with its stamps,
// for the rows' dedupe by body identity (see above).
type rowsIndex struct {
	folders []*rowsFolder
}

// rowsFolder is one target folder of a rowsIndex.
type rowsFolder struct {
	display string
	stamps  *stampIndex
}

// byBodyClaim returns an item stamped with the body identity that no
// other source item accounted for, and claims it.
func (x *stampIndex) byBodyClaim(bodyID string) (target.ItemID, bool) {
	for _, id := range x.byBody[bodyID] {
		if !x.claimed[id] && !x.reserved[id] {
			x.claimed[id] = true
			return id, true
		}
	}
	return "", false
}

// rows loads, once per row run, the rowsIndex: nil when the row has no
// other row of its target mailbox, in a dry run, when Dedupe is not body,
// or when the target cannot list its folders (target.Inspector; then the
// INBOX rule of DedupeExact applies). Every folder of this row is loaded
// and reserved first (folderStamps), so that no item of this row is taken
// by content for another of its items.
func (r *mailboxRun) rows(ctx context.Context, acct source.Account) (*rowsIndex, error) {
	if r.rowsDone {
		return r.rowsIdx, nil
	}
	r.rowsDone = true
	if len(r.siblings) == 0 || r.e.DryRun || r.e.dedupe() != DedupeBody {
		return nil, nil
	}
	insp, ok := r.tgt.(target.Inspector)
	if !ok {
		return nil, nil
	}
	list, err := insp.Folders(ctx)
	if err != nil {
		return nil, fmt.Errorf("mailbox %s: listing the target's folders: %w", r.m.EmailAddress, err)
	}
	own := map[target.FolderID]*stampIndex{}
	for _, fw := range r.work {
		if fw.id == "" || fw.src.NoSelect || !mapping.IsMail(fw.src.Kind) {
			continue
		}
		x, err := r.folderStamps(ctx, acct, fw)
		if err != nil {
			return nil, err
		}
		own[fw.id] = x
	}
	idx := &rowsIndex{}
	for _, f := range list {
		x, ok := own[f.ID]
		if !ok {
			x = r.newStampIndex()
			for s, err := range r.tgt.Stamps(ctx, f.ID) {
				if err != nil {
					return nil, fmt.Errorf("mailbox %s: listing the target folder %s: %w", r.m.EmailAddress, folderPath(list, f), err)
				}
				x.add(s)
			}
		}
		idx.folders = append(idx.folders, &rowsFolder{display: folderPath(list, f), stamps: x})
	}
	r.rowsIdx = idx
	return idx, nil
}

// fromRows records j as migrated when an item of the same content, else
// of the same body identity, is in a folder of the target mailbox
// (rowsIndex) and no other source item accounts for it.
func (r *mailboxRun) fromRows(ctx context.Context, idx *rowsIndex, j *job) bool {
	if idx == nil {
		return false
	}
	match := func(how string, claim func(*stampIndex) (target.ItemID, bool)) bool {
		for _, f := range idx.folders {
			id, ok := claim(f.stamps)
			if !ok {
				continue
			}
			reason := fmt.Sprintf("already migrated from another row of %s, into %s (%s)", r.m.Target(), f.display, how)
			r.recordOutcome(ctx, j.fw, j.ref, outcome{status: state.StatusMigrated, reason: reason, targetID: string(id), fingerprint: j.fingerprint, bytes: j.ref.Size, fromRow: true})
			r.log.Info("item found in target, from another row", "folder", j.fw.name, "key", j.ref.Key, "target_folder", f.display, "match", how)
			j.close()
			return true
		}
		return false
	}
	if match("same content", func(x *stampIndex) (target.ItemID, bool) { return x.byContentClaim(j.fingerprint) }) {
		return true
	}
	return j.bodyID != "" && match("same Date, Message-ID and body", func(x *stampIndex) (target.ItemID, bool) { return x.byBodyClaim(j.bodyID) })
}

// folderPath is where f is, as its names from the root: "Inbox/Old".
func folderPath(list []target.FolderInfo, f target.FolderInfo) string {
	byID := make(map[target.FolderID]target.FolderInfo, len(list))
	for _, g := range list {
		byID[g.ID] = g
	}
	var names []string
	for cur, n := f, 0; n < 64; n++ {
		if cur.WellKnown == target.Root {
			break
		}
		name := cur.Name
		if cur.WellKnown != "" {
			name = target.DisplayPath(cur.WellKnown)
		}
		names = append([]string{name}, names...)
		p, ok := byID[cur.ParentID]
		if !ok || cur.ParentID == "" {
			break
		}
		cur = p
	}
	if len(names) == 0 {
		return "(the mailbox root)"
	}
	return strings.Join(names, "/")
}
