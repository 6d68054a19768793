package migrate

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/migrate/mapping"
	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/target"
)

// pimStamps returns the target's listing of the stamps of folders of kind
// k, or false when the target cannot hold them.
func pimStamps(tgt target.Mailbox, k source.Kind) (func(context.Context, target.FolderID) iter.Seq2[target.Stamp, error], bool) {
	switch k {
	case source.KindContact:
		if cw, ok := tgt.(target.ContactWriter); ok {
			return cw.ContactStamps, true
		}
	case source.KindEvent:
		if ew, ok := tgt.(target.EventWriter); ok {
			return ew.EventStamps, true
		}
	}
	return nil, false
}

// pimFolder compares an address book or a calendar with its target
// folder. Every item to migrate is read and mapped as the run does
// (readPIM): each contact or event it gives must be in the target folder
// exactly once, found by its stamp (pimKey), with the content identity it
// was created with; a stamped target item no source item gives is an
// extra. The target folder is the one the state recorded; without one,
// the contact folder or calendar the run would use, found by name with a
// target.PIMFinder (else only the default one) by locateFolder, and
// otherwise the folder is reported missing (verify never creates one). A series' cancelled occurrences are checked against the
// target's own expansion when it has one (target.EventInspector). An item
// that does not parse is not expected in the target (the plan and the
// run list it): it is counted as skipped and listed.
func (vm *verifyMailbox) pimFolder(ctx context.Context, acct source.Account, fm mapping.FolderMapping, rec state.Folder) error {
	v := vm.v
	f := fm.Source
	name := folderName(f)
	vf := plan.VerifyFolder{Source: name, Target: targetDisplay(fm)}
	defer func() {
		vm.res.Folders = append(vm.res.Folders, vf)
		vm.res.VerifyCounts.Add(vf.VerifyCounts)
	}()
	items := map[string]state.Item{}
	if v.Store != nil && rec.SourcePath != "" {
		for it, err := range v.Store.Items(ctx, state.ItemQuery{Mailbox: mailboxID(vm.m), Folder: name}) {
			if err != nil {
				return fmt.Errorf("mailbox %s: folder %s: reading the state: %w", vm.m.EmailAddress, name, err)
			}
			items[it.SourceKey] = it
		}
	}
	list, can := pimStamps(vm.tgt, f.Kind)
	var (
		fid    target.FolderID
		found  bool
		stamps map[string][]target.ItemID
	)
	switch {
	case fm.WellKnown == "" || fm.Excluded:
	case !can:
		vf.Errors++
		vm.problem(plan.ProblemError, name, "", fmt.Sprintf("the target cannot hold %s items", f.Kind))
		return nil
	default:
		var err error
		if fid, found, err = vm.targetFolder(ctx, fm, rec); err != nil {
			return err
		}
	}
	if found {
		var err error
		if stamps, err = vm.stampsOf(ctx, fid, vf.Target, name, list); err != nil {
			vf.Errors++
			vm.problem(plan.ProblemError, name, "", vm.red.String(err.Error()))
			return nil
		}
	}
	for ref, err := range acct.Items(ctx, f) {
		if err != nil {
			vf.Errors++
			vm.problem(plan.ProblemError, name, "", vm.red.String(fmt.Sprintf("listing the source items: %v", err)))
			return nil
		}
		if found {
			// Claimed before reading: an item that can no longer be read
			// does not make its target items extras.
			vm.claimed[fid][ref.Key] = true
		}
		if mapping.Item(ref, fm, v.itemsFor(vm.m)).Skip {
			vf.Skipped++
			continue
		}
		p, err := readPIM(ctx, acct, f, ref)
		switch {
		case errors.Is(err, ErrBadObject):
			vf.Skipped++
			vm.problem(plan.ProblemUnparsable, name, ref.Key, vm.red.String(err.Error()))
			continue
		case err != nil:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			vf.Errors++
			vm.problem(plan.ProblemError, name, ref.Key, vm.red.String(err.Error()))
			continue
		}
		for _, w := range pimWants(p) {
			if found {
				vm.claimed[fid][w.key] = true
			}
			vf.Expected++
			ids := stamps[w.key]
			rec, recorded := items[w.key]
			switch {
			case !found || len(ids) == 0:
				vf.Missing++
				detail := fmt.Sprintf("not in the target folder %s", vf.Target)
				if !found {
					detail = fmt.Sprintf("the target folder %s does not exist", vf.Target)
				}
				if recorded && rec.Status != state.StatusMigrated {
					detail += fmt.Sprintf("; the state records it as %s", rec.Status)
					if rec.Reason != "" {
						detail += ": " + rec.Reason
					}
				} else if recorded {
					detail += "; the state records it as migrated (deleted from the target since?)"
				}
				vm.problem(plan.ProblemMissing, name, w.key, vm.red.String(detail))
			case len(ids) > 1:
				vf.Doubled++
				vm.problem(plan.ProblemDoubled, name, w.key, fmt.Sprintf("%d items in the target folder %s carry its source key", len(ids), vf.Target), ids...)
			case vm.contentOf[fid][ids[0]] != "" && vm.contentOf[fid][ids[0]] != w.content:
				vf.Changed++
				vm.problem(plan.ProblemChanged, name, w.key, "the source item changed since it was migrated", ids...)
			case recorded && rec.TargetID != "" && rec.TargetID != string(ids[0]):
				vf.Changed++
				vm.problem(plan.ProblemChanged, name, w.key, fmt.Sprintf("the target item carrying its key is not the one the state recorded (%s)", rec.TargetID), ids...)
			default:
				if msg, err := vm.cancelled(ctx, fid, ids[0], w.cancelled); err != nil {
					vf.Errors++
					vm.problem(plan.ProblemError, name, w.key, vm.red.String(err.Error()), ids...)
				} else if msg != "" {
					vf.Changed++
					vm.problem(plan.ProblemChanged, name, w.key, msg, ids...)
				} else {
					vf.Matched++
				}
			}
		}
	}
	return nil
}

// pimWant is one target item a contact or event item gives: its stamp,
// and for a series its cancelled occurrences.
type pimWant struct {
	key, content string
	cancelled    []time.Time
}

func pimWants(p *pimItem) []pimWant {
	var out []pimWant
	for _, c := range p.Contacts {
		out = append(out, pimWant{key: c.SourceKey, content: c.ContentID})
	}
	for _, e := range p.Events {
		w := pimWant{key: e.SourceKey, content: e.ContentID}
		if e.Recurrence != nil {
			w.cancelled = e.Cancelled
		}
		out = append(out, w)
	}
	return out
}

// cancelled checks that the target's series id leaves out the
// occurrences the source cancelled, when the target can list a series'
// occurrences (target.EventInspector: the Graph target and the in-memory
// one can); it returns what differs as a sentence, "" when nothing does
// or it cannot tell.
func (vm *verifyMailbox) cancelled(ctx context.Context, fid target.FolderID, id target.ItemID, starts []time.Time) (string, error) {
	ei, ok := vm.tgt.(target.EventInspector)
	if !ok || len(starts) == 0 {
		return "", nil
	}
	from, to := slices.MinFunc(starts, time.Time.Compare), slices.MaxFunc(starts, time.Time.Compare)
	occ, err := ei.Occurrences(ctx, fid, id, from, to.Add(time.Second))
	if err != nil {
		return "", fmt.Errorf("listing the occurrences of the target series: %w", err)
	}
	var kept []string
	for _, s := range starts {
		if slices.ContainsFunc(occ, s.Equal) {
			kept = append(kept, s.UTC().Format(time.RFC3339))
		}
	}
	if len(kept) == 0 {
		return "", nil
	}
	return fmt.Sprintf("the target series still has %d occurrence(s) the source cancelled (%s)", len(kept), joinMax(kept, 5)), nil
}

// joinMax joins at most n strings with ", ", saying how many more there
// are.
func joinMax(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(s[:n], ", "), len(s)-n)
}
