package migrate

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"slices"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/migrate/mapping"
	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/migrate/redact"
	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/target"
)

// Verifier compares the sources with the target, folder by folder and
// item by item, read-only on both sides: every source item the mapping
// migrates must be in its target folder exactly once, found by its
// source-key stamp, and unchanged since it was migrated (its size as the
// state recorded it, and the target item the state recorded).
type Verifier struct {
	// Env opens sources and targets (Env.Target is required) and gives
	// the state (read-only is enough): each folder's target ID and each
	// item's recorded size and target ID. Without a state, folders are
	// found with a target.Inspector, or, for well-known folders
	// themselves, by name.
	Env
	// Tool is the program version written into the result.
	Tool string
	// Parallel is how many mailboxes are verified at once (default 4).
	Parallel int
}

// Verify compares every mailbox. Problems of one mailbox are recorded in
// the result (Problem kind "error" when it could not be compared), not
// returned; the error is for a cancelled context only.
func (verifier *Verifier) Verify(ctx context.Context, mailboxes []config.Mailbox) (*plan.Verification, error) {
	v := *verifier
	var err error
	if v.Env, err = v.Env.withDefaults(); err != nil {
		return nil, err
	}
	if v.Parallel <= 0 {
		v.Parallel = 4
	}
	red := redact.New(v.Secrets...)
	res := &plan.Verification{Format: plan.VerifyFormat, Version: plan.VerifyVersion, Tool: v.Tool, CreatedAt: v.Now().UTC()}
	res.Mailboxes = make([]plan.VerifyMailbox, len(mailboxes))
	eachMailbox(ctx, mailboxes, v.Parallel, func(i int, m config.Mailbox) {
		vm := &verifyMailbox{v: &v, m: m, red: red, log: v.mailboxLog(componentVerify, m), siblings: siblings(mailboxes, m)}
		vm.res = plan.VerifyMailbox{Address: m.EmailAddress, Target: m.Target()}
		if err := vm.run(ctx); err != nil {
			vm.problem(plan.ProblemError, "", "", red.String(err.Error()))
			vm.res.Errors++
			vm.res.Unreachable = connectFailure(err)
		}
		res.Mailboxes[i] = vm.res
	}, func(int, config.Mailbox, error) {})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res.Sum()
	return res, nil
}

// ConnectFailed reports whether a mailbox of v could not be compared
// because a source or the target could not be reached or refused the
// credentials.
func ConnectFailed(v *plan.Verification) bool {
	for _, m := range v.Mailboxes {
		if m.Unreachable {
			return true
		}
	}
	return false
}

// verifyMailbox is the working state of one mailbox's comparison.
type verifyMailbox struct {
	v   *Verifier
	m   config.Mailbox
	red *redact.Redactor
	log *slog.Logger
	res plan.VerifyMailbox

	tgt     target.Mailbox
	tfold   []target.FolderInfo // from an Inspector, when there is one
	inspect bool
	// stamps per target folder: key -> target item ids; claimed marks
	// the keys some source item accounted for.
	stamps  map[target.FolderID]map[string][]target.ItemID
	claimed map[target.FolderID]map[string]bool
	// keyOf is the source key each listed target item is stamped with.
	keyOf map[target.FolderID]map[target.ItemID]string
	// contentOf is the content identity each listed target item is
	// stamped with ("" when the target keeps none).
	contentOf map[target.FolderID]map[target.ItemID]string
	names     map[target.FolderID]string
	owners    map[target.FolderID]string // first source folder mapped there
	// siblings are the other rows of the same target mailbox; sibItems
	// holds the stamped items of each target folder where one of them
	// sends its INBOX (inSibling lists them on first use; sibListed says
	// it did). Those folders are the other rows' to check for extras, not
	// this row's.
	siblings  []config.Mailbox
	sibItems  []map[target.ItemID]bool
	sibListed bool
}

func (vm *verifyMailbox) problem(kind, folder, key, detail string, ids ...target.ItemID) {
	if len(vm.res.Problems) >= plan.MaxProblems {
		return
	}
	p := plan.Problem{Kind: kind, Folder: folder, Key: key, Detail: detail}
	for _, id := range ids {
		p.TargetIDs = append(p.TargetIDs, string(id))
	}
	vm.res.Problems = append(vm.res.Problems, p)
}

func (vm *verifyMailbox) run(ctx context.Context) error {
	v, m := vm.v, vm.m
	acct, err := v.openSource(ctx, m)
	if err != nil {
		return err
	}
	defer acct.Close()
	folders, err := acct.Folders(ctx)
	if err != nil {
		return fmt.Errorf("mailbox %s: listing folders: %w", m.EmailAddress, err)
	}
	rules, err := v.rulesFor(m)
	if err != nil {
		return err
	}
	mappings, err := mapping.Folders(folders, rules)
	if err != nil {
		return fmt.Errorf("mailbox %s: mapping folders: %w", m.EmailAddress, err)
	}
	if v.Target == nil {
		return errors.New("verify needs the target: configure target credentials")
	}
	if vm.tgt, err = v.Target(ctx, m.Target()); err != nil {
		return fmt.Errorf("mailbox %s: target %s: %w", m.EmailAddress, m.Target(), err)
	}
	if insp, ok := vm.tgt.(target.Inspector); ok {
		if vm.tfold, err = insp.Folders(ctx); err != nil {
			return fmt.Errorf("mailbox %s: listing the target's folders: %w", m.EmailAddress, err)
		}
		vm.inspect = true
	}
	id := mailboxID(m)
	recorded := map[string]state.Folder{}
	if v.Store != nil {
		fs, err := v.Store.Folders(ctx, id)
		if err != nil {
			return fmt.Errorf("mailbox %s: reading the state: %w", m.EmailAddress, err)
		}
		for _, f := range fs {
			recorded[f.SourcePath] = f
		}
	}
	vm.stamps = map[target.FolderID]map[string][]target.ItemID{}
	vm.keyOf = map[target.FolderID]map[target.ItemID]string{}
	vm.contentOf = map[target.FolderID]map[target.ItemID]string{}
	vm.claimed = map[target.FolderID]map[string]bool{}
	vm.names = map[target.FolderID]string{}
	vm.owners = map[target.FolderID]string{}
	for _, fm := range mappings {
		if fm.Source.NoSelect {
			continue
		}
		if err := vm.folder(ctx, acct, fm, recorded[folderName(fm.Source)]); err != nil {
			return err
		}
	}
	vm.extras()
	return nil
}

// folder compares one source folder with its target folder.
func (vm *verifyMailbox) folder(ctx context.Context, acct source.Account, fm mapping.FolderMapping, rec state.Folder) error {
	if !mapping.IsMail(fm.Source.Kind) {
		return vm.pimFolder(ctx, acct, fm, rec)
	}
	v := vm.v
	name := folderName(fm.Source)
	vf := plan.VerifyFolder{Source: name, Target: targetDisplay(fm)}
	defer func() {
		vm.res.Folders = append(vm.res.Folders, vf)
		vm.res.VerifyCounts.Add(vf.VerifyCounts)
	}()
	// The state's items of this folder: recorded size, status, target id.
	items := map[string]state.Item{}
	if v.Store != nil && rec.SourcePath != "" {
		for it, err := range v.Store.Items(ctx, state.ItemQuery{Mailbox: mailboxID(vm.m), Folder: name}) {
			if err != nil {
				return fmt.Errorf("mailbox %s: folder %s: reading the state: %w", vm.m.EmailAddress, name, err)
			}
			items[it.SourceKey] = it
		}
	}
	fid, found, err := vm.targetFolder(ctx, fm, rec)
	if err != nil {
		return err
	}
	var stamps map[string][]target.ItemID
	if found {
		if stamps, err = vm.stampsOf(ctx, fid, vf.Target, name, vm.tgt.Stamps); err != nil {
			vf.Errors++
			vm.problem(plan.ProblemError, name, "", vm.red.String(err.Error()))
			return nil
		}
	}
	for ref, err := range acct.Items(ctx, fm.Source) {
		if err != nil {
			vf.Errors++
			vm.problem(plan.ProblemError, name, "", vm.red.String(fmt.Sprintf("listing the source items: %v", err)))
			return nil
		}
		if found {
			vm.claimed[fid][ref.Key] = true
		}
		dec := mapping.Item(ref, fm, v.itemsFor(vm.m))
		if dec.Skip {
			vf.Skipped++
			continue
		}
		ids := stamps[ref.Key]
		rec, recorded := items[ref.Key]
		if ref.Date.IsZero() && len(ids) == 0 && recorded && rec.Status == state.StatusSkipped {
			// A source without received dates (POP3): the run skipped it
			// by a date filter once the message gave its date, which the
			// listing does not show.
			vf.Skipped++
			continue
		}
		vf.Expected++
		if len(ids) == 0 && found && recorded && rec.Status == state.StatusMigrated && rec.TargetID != "" {
			// Found by its content identity under another key (the folder
			// was renumbered): the item the state recorded, stamped with
			// the key it was created under.
			if old, ok := vm.keyOf[fid][target.ItemID(rec.TargetID)]; ok {
				vm.claimed[fid][old] = true
				ids = stamps[old]
			}
		}
		if len(ids) == 0 && recorded && rec.Status == state.StatusMigrated && rec.TargetID != "" && len(vm.siblings) > 0 && (isInbox(fm.Source) || v.dedupe() == DedupeBody) {
			// Migrated by another row of the target mailbox (the same
			// account over the other protocol, a local store of it), into
			// its folder: the item the state recorded, stamped with that
			// row's key.
			ok, err := vm.inSibling(ctx, fm, target.ItemID(rec.TargetID))
			if err != nil {
				vf.Errors++
				vm.problem(plan.ProblemError, name, ref.Key, vm.red.String(err.Error()))
				continue
			}
			switch {
			case ok && ref.Size >= 0 && rec.Bytes != ref.Size:
				vf.Changed++
				vm.problem(plan.ProblemChanged, name, ref.Key, fmt.Sprintf("the source item is %d bytes now; %d bytes were migrated (by another row of the target mailbox)", ref.Size, rec.Bytes), target.ItemID(rec.TargetID))
				continue
			case ok:
				vf.Matched++
				continue
			}
		}
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
			vm.problem(plan.ProblemMissing, name, ref.Key, vm.red.String(detail))
		case len(ids) > 1:
			vf.Doubled++
			vm.problem(plan.ProblemDoubled, name, ref.Key, fmt.Sprintf("%d items in the target folder %s carry its source key", len(ids), vf.Target), ids...)
		case recorded && rec.Status == state.StatusMigrated && ref.Size >= 0 && rec.Bytes != ref.Size:
			vf.Changed++
			vm.problem(plan.ProblemChanged, name, ref.Key, fmt.Sprintf("the source item is %d bytes now; %d bytes were migrated", ref.Size, rec.Bytes), ids...)
		case recorded && rec.TargetID != "" && rec.TargetID != string(ids[0]):
			vf.Changed++
			vm.problem(plan.ProblemChanged, name, ref.Key, fmt.Sprintf("the target item carrying its key is not the one the state recorded (%s)", rec.TargetID), ids...)
		default:
			vf.Matched++
		}
	}
	return nil
}

// inSibling reports whether item id is in a target folder where another
// row of the target mailbox sends its INBOX (siblingInboxes), as the run
// records an INBOX message that row migrated already, or, with
// dedupe.across_rows body, in any folder of the target mailbox. fm is
// this row's folder; the folders are found and listed once.
func (vm *verifyMailbox) inSibling(ctx context.Context, fm mapping.FolderMapping, id target.ItemID) (bool, error) {
	if !vm.sibListed {
		if err := vm.listSiblings(ctx, fm); err != nil {
			return false, err
		}
		vm.sibListed = true
	}
	for _, items := range vm.sibItems {
		if items[id] {
			return true, nil
		}
	}
	return false, nil
}

// listSiblings fills sibItems: the stamped items of every existing target
// folder where another row of the target mailbox sends its INBOX (fm).
func (vm *verifyMailbox) listSiblings(ctx context.Context, fm mapping.FolderMapping) error {
	inboxes, err := vm.v.siblingInboxes(vm.siblings, fm.Source, fm)
	if err != nil {
		return err
	}
	var all []map[target.ItemID]bool
	for _, in := range inboxes {
		fid, found, err := vm.targetFolder(ctx, in.fm, state.Folder{})
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		items := map[target.ItemID]bool{}
		for st, err := range vm.tgt.Stamps(ctx, fid) {
			if err != nil {
				return fmt.Errorf("listing the target folder %s of %s: %w", targetDisplay(in.fm), in.row.EmailAddress, err)
			}
			items[st.ID] = true
		}
		all = append(all, items)
	}
	if vm.v.dedupe() == DedupeBody && vm.inspect {
		// dedupe.across_rows body: the other row's item may be in any
		// folder of the target mailbox.
		for _, f := range vm.tfold {
			items := map[target.ItemID]bool{}
			for st, err := range vm.tgt.Stamps(ctx, f.ID) {
				if err != nil {
					return fmt.Errorf("listing the target folder %s: %w", folderPath(vm.tfold, f), err)
				}
				items[st.ID] = true
			}
			all = append(all, items)
		}
	}
	vm.sibItems = all
	return nil
}

// targetFolder finds the target folder of a mapping without creating it:
// the ID the state recorded, else the Inspector's folder list, else (a
// well-known folder itself) the well-known name.
func (vm *verifyMailbox) targetFolder(ctx context.Context, fm mapping.FolderMapping, rec state.Folder) (target.FolderID, bool, error) {
	if fm.WellKnown == "" {
		return "", false, nil
	}
	if rec.TargetID != "" {
		return target.FolderID(rec.TargetID), true, nil
	}
	id, found, err := locateFolder(ctx, vm.tgt, vm.tfold, vm.inspect, fm)
	if err != nil {
		return "", false, fmt.Errorf("mailbox %s: target folder %s: %w", vm.m.EmailAddress, targetDisplay(fm), err)
	}
	return id, found, nil
}

// stampsOf lists a target folder's stamps once.
// list is the listing of the folder's kind (Stamps, ContactStamps,
// EventStamps).
func (vm *verifyMailbox) stampsOf(ctx context.Context, fid target.FolderID, display, owner string, list func(context.Context, target.FolderID) iter.Seq2[target.Stamp, error]) (map[string][]target.ItemID, error) {
	if s, ok := vm.stamps[fid]; ok {
		return s, nil
	}
	s := map[string][]target.ItemID{}
	keyOf := map[target.ItemID]string{}
	content := map[target.ItemID]string{}
	for st, err := range list(ctx, fid) {
		if err != nil {
			return nil, fmt.Errorf("listing the target folder %s: %w", display, err)
		}
		s[st.SourceKey] = append(s[st.SourceKey], st.ID)
		keyOf[st.ID] = st.SourceKey
		content[st.ID] = st.ContentID
	}
	vm.keyOf[fid] = keyOf
	vm.contentOf[fid] = content
	vm.stamps[fid] = s
	vm.claimed[fid] = map[string]bool{}
	vm.names[fid] = display
	vm.owners[fid] = owner
	return s, nil
}

// extras reports stamped target items that no source item accounts for.
func (vm *verifyMailbox) extras() {
	fids := make([]target.FolderID, 0, len(vm.stamps))
	for fid := range vm.stamps {
		fids = append(fids, fid)
	}
	slices.Sort(fids)
	for _, fid := range fids {
		keys := make([]string, 0)
		for key := range vm.stamps[fid] {
			if !vm.claimed[fid][key] {
				keys = append(keys, key)
			}
		}
		slices.Sort(keys)
		for _, key := range keys {
			vm.res.Extra++
			for i := range vm.res.Folders {
				if vm.res.Folders[i].Source == vm.owners[fid] {
					vm.res.Folders[i].Extra++
				}
			}
			vm.problem(plan.ProblemExtra, vm.owners[fid], key, fmt.Sprintf("the target folder %s holds an item with this source key, which the source no longer has", vm.names[fid]), vm.stamps[fid][key]...)
		}
	}
}
