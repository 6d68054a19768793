package migrate

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"

	"github.com/migrate-tool/migrate/migrate/mapping"
	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/target"
)

// Address books and calendars (folders of kind contact and event) run
// through the same steps as mail folders, with these differences:
//
//   - the target folder is a contact folder (target.ContactWriter) or a
//     calendar (target.EventWriter); a target without the writer gets the
//     folder's items recorded skipped with the reason;
//   - of the item filters only the folder's exclusion applies:
//     filters.since and filters.before speak of when mail was received,
//     which a contact or an event has no notion of (the source's date is
//     when the object was last changed; an old series still recurs),
//     and filters.max_size, target.max_message_size and \Deleted are
//     about messages (MaxPIMItemBytes bounds one object);
//   - one source item may give several target items (pimItem.Count), each
//     stamped with its own key (pimKey) and content identity, each looked
//     up in the target before it is created, so a run stopped between two
//     of them resumes without a duplicate; the state records the source
//     item migrated only once all of them exist, with the first one's id;
//   - an object that does not parse (ErrBadObject) is recorded failed with
//     the reason and state.FailureUnparsable, and is not read again in the
//     run.

// cannotTake is the reason a target without the writer for kind k gives
// its items.
func cannotTake(k source.Kind) string {
	if k == source.KindEvent {
		return "the target cannot take calendar events"
	}
	return "the target cannot take contacts"
}

// stateKind is the state's item kind (state.Item.Kind) of the items of a
// folder of kind k.
func stateKind(k source.Kind) string {
	switch k {
	case source.KindContact:
		return state.KindContact
	case source.KindEvent:
		return state.KindEvent
	}
	return state.KindMessage
}

// calendarName is the name of the target calendar of fm, a calendar's
// mapping: "" for the default calendar, else the last name of its target
// path (calendars are flat: one name).
func calendarName(fm mapping.FolderMapping) string {
	if n := len(fm.Target); n > 0 {
		return fm.Target[n-1]
	}
	return ""
}

// ensurePIMFolder returns the target contact folder or calendar of fw, an
// address book or calendar, creating it when missing; "" with fw.cannot
// set when the target has no writer for its kind.
func (r *mailboxRun) ensurePIMFolder(ctx context.Context, fw *folderWork) (target.FolderID, error) {
	switch fw.src.Kind {
	case source.KindContact:
		if cw, ok := r.tgt.(target.ContactWriter); ok {
			return cw.EnsureContactFolder(ctx, fw.fm.Target)
		}
	case source.KindEvent:
		if ew, ok := r.tgt.(target.EventWriter); ok {
			return ew.EnsureCalendar(ctx, calendarName(fw.fm))
		}
	}
	fw.cannot = cannotTake(fw.src.Kind)
	r.log.Warn("folder not migrated: the target has no writer for its kind", "folder", fw.name, "reason", fw.cannot)
	return "", nil
}

// stampsOf lists the stamps of fw's target folder with the listing of its
// kind: Stamps, ContactStamps or EventStamps.
func (r *mailboxRun) stampsOf(ctx context.Context, fw *folderWork) iter.Seq2[target.Stamp, error] {
	switch fw.src.Kind {
	case source.KindContact:
		if cw, ok := r.tgt.(target.ContactWriter); ok {
			return cw.ContactStamps(ctx, fw.id)
		}
	case source.KindEvent:
		if ew, ok := r.tgt.(target.EventWriter); ok {
			return ew.EventStamps(ctx, fw.id)
		}
	}
	return r.tgt.Stamps(ctx, fw.id)
}

// pimBaseKey is the source key a target item's stamp key (pimKey) was
// made from.
func pimBaseKey(k string) string {
	i := strings.LastIndexByte(k, '#')
	if i < 0 {
		return k
	}
	if n, err := strconv.Atoi(k[i+1:]); err != nil || n < 2 || strconv.Itoa(n) != k[i+1:] {
		return k
	}
	return k[:i]
}

// reserveSiblings reserves the further target items (pimKey n > 0) of
// every source item whose first target item is reserved.
func (x *stampIndex) reserveSiblings() {
	for k, id := range x.byKey {
		if b := pimBaseKey(k); b != k {
			if first, ok := x.byKey[b]; ok && x.reserved[first] {
				x.reserved[id] = true
			}
		}
	}
}

// readPIMFolder is readFolder for an address book or a calendar: it
// decides each item, reads and maps those to create, finds in the target
// those of their target items that exist already, and hands the rest to
// the uploaders.
func (r *mailboxRun) readPIMFolder(ctx context.Context, acct source.Account, fw *folderWork, stamps *stampIndex, jobs chan<- *job) error {
	// Only the folder's exclusion applies to contacts and events (see
	// above): no date, size or \Deleted filter.
	opts := &mapping.ItemOptions{DeletedItems: "migrate"}
	for ref, err := range acct.Items(ctx, fw.src) {
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("mailbox %s: folder %s: listing items: %w", r.m.EmailAddress, fw.name, err)
		}
		if done, err := r.migratedBefore(ctx, fw, ref); err != nil {
			return err
		} else if done {
			continue
		}
		if dec := mapping.Item(ref, fw.fm, opts); dec.Skip {
			r.record(ctx, fw, ref, state.StatusSkipped, dec.Reason, "", "", 0, false)
			continue
		}
		if fw.cannot != "" {
			r.record(ctx, fw, ref, state.StatusSkipped, fw.cannot, "", "", 0, false)
			continue
		}
		p, err := readPIM(ctx, acct, fw.src, ref)
		if err != nil && ctx.Err() == nil && !errors.Is(err, ErrBadObject) && !errors.Is(err, source.ErrNotFound) {
			// As for mail: a session dropped in the middle of the item.
			r.log.Warn("reading an item failed; reading it once more", "folder", fw.name, "key", ref.Key, "err", err)
			p, err = readPIM(ctx, acct, fw.src, ref)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			o := outcome{status: state.StatusFailed, reason: err.Error(), bytes: ref.Size}
			if errors.Is(err, ErrBadObject) {
				o.failure = state.FailureUnparsable
			}
			r.recordOutcome(ctx, fw, ref, o)
			continue
		}
		if len(p.Bad) > 0 {
			r.log.Warn("objects of an item did not parse; the others are migrated", "folder", fw.name, "key", ref.Key, "bad", len(p.Bad))
		}
		j := &job{fw: fw, ref: ref, pim: p, fingerprint: p.Fingerprint, found: make([]target.ItemID, p.Count())}
		if j.ref.Size < 0 {
			j.ref.Size = p.Bytes
		}
		if fw.validity && r.reuseRetired(ctx, j) {
			continue
		}
		if stamps != nil && r.findPIM(ctx, stamps, j) {
			continue
		}
		select {
		case jobs <- j:
		case <-ctx.Done():
			return nil
		}
	}
	return nil
}

// findPIM looks up each target item of j in the target, by its stamp key
// and then by its content identity (a renumbered folder, a lost state),
// and notes those found in j.found. When all are found it records j
// migrated and reports true.
func (r *mailboxRun) findPIM(ctx context.Context, x *stampIndex, j *job) bool {
	all := true
	for n, st := range j.pim.stamps() {
		if id, ok := x.byKeyClaim(st.SourceKey); ok {
			j.found[n] = id
			continue
		}
		if id, ok := x.byContentClaim(st.ContentID); ok {
			j.found[n] = id
			r.log.Info("item found in target by its content identity", "folder", j.fw.name, "key", st.SourceKey)
			continue
		}
		all = false
	}
	if !all {
		return false
	}
	r.log.Info("item found in target by its stamp", "folder", j.fw.name, "key", j.ref.Key, "items", len(j.found))
	r.record(ctx, j.fw, j.ref, state.StatusMigrated, "", string(j.found[0]), j.fingerprint, j.ref.Size, false)
	return true
}

// stamps returns the stamps (source key and content identity) of p's
// target items, contacts then events, in the order of j.found.
func (p *pimItem) stamps() []target.Stamp {
	out := make([]target.Stamp, 0, p.Count())
	for _, c := range p.Contacts {
		out = append(out, target.Stamp{SourceKey: c.SourceKey, ContentID: c.ContentID})
	}
	for _, e := range p.Events {
		out = append(out, target.Stamp{SourceKey: e.SourceKey, ContentID: e.ContentID})
	}
	return out
}

// uploadPIM creates the target items of j that the target does not hold
// yet, one after the other, with put's retries, and records j migrated
// once all exist; a failure records it failed (the items created stay,
// stamped, and the next run finds them).
func (r *mailboxRun) uploadPIM(ctx context.Context, j *job) {
	p := j.pim
	if r.e.DryRun {
		r.pimCreated(len(p.Contacts), len(p.Events))
		r.count(state.StatusMigrated, j.ref.Size, true)
		r.log.Debug("would create", "folder", j.fw.name, "key", j.ref.Key, "target", j.fw.fm.String(), "items", p.Count())
		return
	}
	notes := append(append([]string(nil), p.Notes...), p.Bad...)
	created := false
	for n, st := range p.stamps() {
		if j.found[n] != "" {
			continue
		}
		c, err := r.put(ctx, j.fw, st.SourceKey, func(ctx context.Context) (target.Created, error) {
			if n < len(p.Contacts) {
				return r.tgt.(target.ContactWriter).PutContact(ctx, j.fw.id, &p.Contacts[n])
			}
			return r.tgt.(target.EventWriter).PutEvent(ctx, j.fw.id, &p.Events[n-len(p.Contacts)])
		})
		if err != nil {
			r.record(ctx, j.fw, j.ref, state.StatusFailed, err.Error(), "", j.fingerprint, j.ref.Size, false)
			return
		}
		if n < len(p.Contacts) {
			r.pimCreated(1, 0)
		} else {
			r.pimCreated(0, 1)
		}
		j.found[n], created = c.ID, true
		notes = append(notes, c.Notes...)
	}
	reason := pimSummary(notes)
	if reason != "" {
		r.log.Info("item migrated with a change", "folder", j.fw.name, "key", j.ref.Key, "note", reason)
	}
	r.record(ctx, j.fw, j.ref, state.StatusMigrated, reason, string(j.found[0]), j.fingerprint, j.ref.Size, created)
}

// pimCreated counts contacts and events created (or, in a dry run, that
// would be).
func (r *mailboxRun) pimCreated(contacts, events int) {
	r.mu.Lock()
	r.res.Contacts += int64(contacts)
	r.res.Events += int64(events)
	r.mu.Unlock()
}

// maxSummaryNotes is how many notes pimSummary spells out.
const maxSummaryNotes = 3

// pimSummary is the state's short reason for a contact or event item
// migrated with notes (what the mapping changed, kept in the notes or
// dropped, and objects of it that did not parse): the first few, and how
// many more there are.
func pimSummary(notes []string) string {
	if len(notes) <= maxSummaryNotes {
		return strings.Join(notes, "; ")
	}
	return fmt.Sprintf("%s; and %d more", strings.Join(notes[:maxSummaryNotes], "; "), len(notes)-maxSummaryNotes)
}
