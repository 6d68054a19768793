package migrate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/migrate/mapping"
	"github.com/migrate-tool/migrate/migrate/message"
	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/target"
)

// Engine runs a migration: for each mailbox it reads the source, maps
// folders and items, creates them in the target and records every outcome
// in the state store, only after the target confirmed it.
//
// Nothing is lost or duplicated: an item is skipped only when the state
// says it was migrated, or when the target holds an item stamped with its
// source key (found with target.Mailbox.Stamps, which is how a lost or
// stale state is reconciled), or an item created from the same bytes
// (its content identity) in its folder or, for an INBOX message, where
// another row of the same target mailbox sent its INBOX (the same account
// over IMAP and POP3; such rows run one after the other); every other
// item is created, skipped with a reason or failed with a reason.
type Engine struct {
	// Env opens sources and targets and holds the state, the mapping rules
	// and the log. Env.Target and Env.Store are nil in a dry run.
	Env
	// Mailboxes is how many mailboxes run at once; PerMailbox how many
	// items of one mailbox are uploaded at once (Graph allows 4).
	Mailboxes, PerMailbox int
	// DryRun reads and maps everything, writes nothing to the target or
	// the state, and reports what it would create.
	DryRun bool
	// Retries is the engine's high-level retry: how many more times an
	// item whose creation failed transiently (a target.RetryError that
	// remained after the target's own low-level retries) is tried within
	// one run (default 4), waiting RetryDelay (default 2s), doubled each
	// time, or the Retry-After the target asked for if longer. An item is
	// so created at most 1+Retries times per run; a target adapter
	// documents its own low-level retries per attempt.
	Retries    int
	RetryDelay time.Duration
	// Grace is how long in-flight items may take to finish after the run
	// is interrupted (default 2 minutes).
	Grace time.Duration
	// Progress receives progress events; may be nil.
	Progress Progress
}

// Progress receives progress events from a run. Implementations must be
// safe for concurrent use.
type Progress interface {
	// MailboxStart says a mailbox begins, with its item count and bytes.
	MailboxStart(mailbox string, items, bytes int64)
	// ItemDone says one item reached an outcome.
	ItemDone(mailbox string, outcome state.Status, bytes int64)
	// MailboxDone says a mailbox finished, with its error if it stopped.
	MailboxDone(mailbox string, err error)
}

// MailboxResult is the outcome of one mailbox.
type MailboxResult struct {
	Mailbox string
	Target  string
	// Migrated counts items created in this run; Done items found already
	// migrated (by the state or by their stamp in the target).
	Migrated, Done, Skipped, Failed int64
	Bytes                           int64
	// Failures lists the failed items (at most 100 kept here; all are in
	// the state).
	Failures []ItemFailure
	// Changed lists items migrated with a note on what could not be kept
	// as it was, such as "created as a draft" (at most 100 kept here; all
	// are in the state with their reason).
	Changed []ItemFailure
	// KeywordsDropped counts the items created in this run (in a dry run,
	// that would be) without some of their flags or keywords, which the
	// target does not carry (mapping.State.Dropped); DroppedKeywords says
	// which, on how many items each. The state records them per item.
	KeywordsDropped int64
	DroppedKeywords []plan.KeywordCount
	// ReceivedFrom counts the items created in this run (in a dry run,
	// that would be) by where their received time came from
	// (mapping.ReceivedDate: "server", "received_header", "date_header",
	// "run_time"). The state records it per item.
	ReceivedFrom map[string]int64
	// Contacts and Events count the target contacts and events created
	// in this run (in a dry run, that would be). One source item of an
	// address book or calendar may give several (a .vcf holding many
	// cards, a series expanded into single events), so these can exceed
	// the items counted in Migrated.
	Contacts, Events int64
	// Err is set when the mailbox could not be migrated at all.
	Err error
}

// ItemFailure names a failed item and its cause.
type ItemFailure struct {
	Folder, Key, Reason string
}

// Result is the outcome of a run.
type Result struct {
	Mailboxes []MailboxResult
	// Interrupted is true when the run was stopped before the end.
	Interrupted bool
}

// Failed reports whether any item failed or any mailbox stopped.
func (r *Result) Failed() bool {
	for _, m := range r.Mailboxes {
		if m.Failed > 0 || m.Err != nil {
			return true
		}
	}
	return false
}

// ConnectFailed reports whether a mailbox stopped because a source or the
// target could not be reached or refused the credentials.
func (r *Result) ConnectFailed() bool {
	for _, m := range r.Mailboxes {
		if m.Err != nil && connectFailure(m.Err) {
			return true
		}
	}
	return false
}

const maxFailuresKept = 100

// Run migrates the mailboxes. It returns when every mailbox finished or ctx
// was cancelled; then in-flight items are finished (within Grace) and
// recorded, and Result.Interrupted is set.
func (eng *Engine) Run(ctx context.Context, mailboxes []config.Mailbox) (*Result, error) {
	e := *eng
	var err error
	if e.Env, err = e.Env.withDefaults(); err != nil {
		return nil, err
	}
	if e.Retries <= 0 {
		e.Retries = defaultRetries
	}
	if e.RetryDelay <= 0 {
		e.RetryDelay = 2 * time.Second
	}
	if e.Grace <= 0 {
		e.Grace = 2 * time.Minute
	}
	if !e.DryRun && (e.Store == nil || e.Target == nil) {
		return nil, errors.New("migrate: Engine needs a Store and a Target unless DryRun")
	}
	if err := spoolDirExists(e.SpoolDir); err != nil {
		return nil, err
	}
	res := &Result{Mailboxes: make([]MailboxResult, len(mailboxes))}
	eachMailbox(ctx, mailboxes, e.Mailboxes, func(i int, m config.Mailbox) {
		res.Mailboxes[i] = e.runMailbox(ctx, m, siblings(mailboxes, m))
	}, func(i int, m config.Mailbox, err error) {
		res.Mailboxes[i] = MailboxResult{Mailbox: m.EmailAddress, Target: m.Target(), Err: fmt.Errorf("mailbox %s: not started: %w", m.EmailAddress, err)}
	})
	res.Interrupted = ctx.Err() != nil
	return res, nil
}

// defaultRetries is Engine.Retries' default.
const defaultRetries = 4

// mailboxRun is the working state of one mailbox.
type mailboxRun struct {
	e   *Engine
	m   config.Mailbox
	id  string
	log *slog.Logger
	tgt target.Mailbox

	mu       sync.Mutex
	res      MailboxResult
	keywords map[string]int64 // dropped keywords of the items created
	items    *mapping.ItemOptions
	// siblings are the other rows of the same target mailbox (the same
	// account over IMAP and POP3), which ran before this one.
	siblings []config.Mailbox
}

func mailboxID(m config.Mailbox) string { return strings.ToLower(m.EmailAddress) }

func (e *Engine) runMailbox(ctx context.Context, m config.Mailbox, sibs []config.Mailbox) MailboxResult {
	r := &mailboxRun{e: e, m: m, id: mailboxID(m), log: e.mailboxLog(componentRun, m), keywords: map[string]int64{}, items: e.itemsFor(m), siblings: sibs}
	r.res = MailboxResult{Mailbox: m.EmailAddress, Target: m.Target(), ReceivedFrom: map[string]int64{}}
	err := r.run(ctx)
	r.mu.Lock()
	r.res.DroppedKeywords = plan.KeywordCounts(r.keywords)
	r.mu.Unlock()
	if err != nil {
		r.res.Err = err
		r.log.Error("mailbox stopped", "err", err)
	}
	if e.Progress != nil {
		e.Progress.MailboxDone(m.EmailAddress, err)
	}
	if !e.DryRun {
		status, reason := state.StatusMigrated, ""
		switch {
		case err != nil:
			status, reason = state.StatusFailed, err.Error()
		case r.res.Failed > 0:
			status, reason = state.StatusFailed, fmt.Sprintf("%d items failed", r.res.Failed)
		}
		if ctx.Err() != nil && err == nil {
			status, reason = state.StatusPending, "interrupted"
		}
		if perr := e.Store.PutMailbox(context.WithoutCancel(ctx), state.Mailbox{ID: r.id, SourceAddress: m.EmailAddress, TargetAddress: m.Target(), Protocol: m.Protocol, Status: status, Reason: reason}); perr != nil {
			r.log.Error("recording mailbox outcome", "err", perr)
		}
	}
	return r.res
}

// folderWork is a mapped folder ready for its items.
type folderWork struct {
	src      source.Folder
	fm       mapping.FolderMapping
	name     string // source path joined with "/"
	id       target.FolderID
	validity bool // the folder's UIDVALIDITY changed since the last run
	// cannot, for an address book or calendar, says why the target
	// cannot take its items (it has no ContactWriter or EventWriter):
	// they are recorded skipped with it.
	cannot string

	stampsOnce sync.Once
	stamps     *stampIndex
	stampsErr  error
}

// siblingFolder is a target folder where another row of the same target
// mailbox sent its INBOX (siblingInboxes), with its stamps.
type siblingFolder struct {
	siblingInbox
	stamps *stampIndex
}

// newStampIndex returns an empty stampIndex.
func newStampIndex() *stampIndex {
	return &stampIndex{byKey: map[string]target.ItemID{}, byContent: map[string][]target.ItemID{}, claimed: map[target.ItemID]bool{}, reserved: map[target.ItemID]bool{}}
}

// stampIndex is a target folder's stamps, by source key and by content
// identity, with the items this run has accounted for. Only readFolder's
// goroutine uses it once loaded.
type stampIndex struct {
	byKey     map[string]target.ItemID
	byContent map[string][]target.ItemID
	claimed   map[target.ItemID]bool
	// reserved are items that belong to a source item by key: the state
	// records them, or the source lists their key. No other item may
	// claim them by content.
	reserved map[target.ItemID]bool
}

// add indexes one stamp by its source key and content identity.
func (x *stampIndex) add(s target.Stamp) {
	x.byKey[s.SourceKey] = s.ID
	if s.ContentID != "" {
		x.byContent[s.ContentID] = append(x.byContent[s.ContentID], s.ID)
	}
}

// byKeyClaim returns the item stamped with key and claims it.
func (x *stampIndex) byKeyClaim(key string) (target.ItemID, bool) {
	id, ok := x.byKey[key]
	if ok {
		x.claimed[id] = true
	}
	return id, ok
}

// byContentClaim returns an item stamped with the content identity that
// no other source item accounted for, and claims it: two source items
// with the same bytes match two target items, never one.
func (x *stampIndex) byContentClaim(contentID string) (target.ItemID, bool) {
	for _, id := range x.byContent[contentID] {
		if !x.claimed[id] && !x.reserved[id] {
			x.claimed[id] = true
			return id, true
		}
	}
	return "", false
}

func (r *mailboxRun) run(ctx context.Context) error {
	e := r.e
	if !e.DryRun {
		if err := e.Store.PutMailbox(ctx, state.Mailbox{ID: r.id, SourceAddress: r.m.EmailAddress, TargetAddress: r.m.Target(), Protocol: r.m.Protocol, Status: state.StatusPending}); err != nil {
			return fmt.Errorf("mailbox %s: recording: %w", r.m.EmailAddress, err)
		}
	}
	acct, err := e.openSource(ctx, r.m)
	if err != nil {
		return err
	}
	defer acct.Close()

	inv, err := Inventory(ctx, r.m.EmailAddress, acct)
	if err != nil {
		return err
	}
	if e.Progress != nil {
		items, bytes := inv.Items()
		e.Progress.MailboxStart(r.m.EmailAddress, items, bytes)
	}
	srcFolders := make([]source.Folder, len(inv.Folders))
	for i, f := range inv.Folders {
		srcFolders[i] = f.Folder
	}
	rules, err := e.rulesFor(r.m)
	if err != nil {
		return err
	}
	mappings, err := mapping.Folders(srcFolders, rules)
	if err != nil {
		return fmt.Errorf("mailbox %s: mapping folders: %w", r.m.EmailAddress, err)
	}
	if !e.DryRun {
		if r.tgt, err = e.Target(ctx, r.m.Target()); err != nil {
			return fmt.Errorf("mailbox %s: target %s: %w", r.m.EmailAddress, r.m.Target(), err)
		}
	}
	var work []*folderWork
	for _, fm := range mappings {
		fw := &folderWork{src: fm.Source, fm: fm, name: folderName(fm.Source)}
		for _, c := range fm.Changes {
			r.log.Info("folder mapping changed", "folder", fw.name, "change", c)
		}
		if err := r.prepareFolder(ctx, fw); err != nil {
			return err
		}
		work = append(work, fw)
	}
	for _, fw := range work {
		if ctx.Err() != nil {
			return nil
		}
		if fw.src.NoSelect {
			continue
		}
		if err := r.migrateFolder(ctx, acct, fw); err != nil {
			return err
		}
	}
	return nil
}

// prepareFolder creates the target folder and reconciles the folder's
// record in the state (a UIDVALIDITY change retires its items). A folder
// that is excluded and not needed as a parent (no WellKnown) is only
// recorded, so that its items can be recorded as skipped with a reason.
func (r *mailboxRun) prepareFolder(ctx context.Context, fw *folderWork) error {
	e := r.e
	if e.DryRun {
		return nil
	}
	if fw.fm.WellKnown != "" {
		var id target.FolderID
		var err error
		if mapping.IsMail(fw.src.Kind) {
			id, err = r.tgt.EnsureFolder(ctx, fw.fm.WellKnown, fw.fm.Target)
		} else {
			id, err = r.ensurePIMFolder(ctx, fw)
		}
		if err != nil {
			return fmt.Errorf("mailbox %s: folder %s: creating target folder %s: %w", r.m.EmailAddress, fw.name, fw.fm, err)
		}
		fw.id = id
	}
	rec := state.Folder{Mailbox: r.id, SourcePath: fw.name, TargetPath: fw.fm.String(), TargetID: string(fw.id), Validity: fw.src.Validity}
	err := e.Store.PutFolder(ctx, rec)
	if errors.Is(err, state.ErrValidityChanged) {
		retired, rerr := e.Store.ReplaceFolderValidity(ctx, r.id, fw.name, fw.src.Validity)
		if rerr != nil {
			return fmt.Errorf("mailbox %s: folder %s: %w", r.m.EmailAddress, fw.name, rerr)
		}
		r.log.Warn("folder UIDVALIDITY changed; matching its messages by content", "folder", fw.name, "retired", retired)
		fw.validity = true
		err = e.Store.PutFolder(ctx, rec)
	}
	if err != nil {
		return fmt.Errorf("mailbox %s: folder %s: recording: %w", r.m.EmailAddress, fw.name, err)
	}
	return nil
}

// job is one item read from the source, ready for upload.
type job struct {
	fw          *folderWork
	ref         source.ItemRef
	dec         mapping.Decision
	msg         *message.Message
	fingerprint string
	// received is the item's received time and from where it came
	// (mapping.ReceivedDate).
	received     time.Time
	receivedFrom string
	// pim, instead of msg, is a contact or event item; found holds, per
	// target item of it (pimItem.Count), the one the target has already
	// (by its stamp or content identity), "" for one to create.
	pim   *pimItem
	found []target.ItemID
}

// close releases what the job holds (a message's spooled attachments).
func (j *job) close() {
	if j.msg != nil {
		j.msg.Close()
	}
}

// migrateFolder lists the folder's items, decides each, reads those to
// create (one at a time: the source connection is single-command) and
// hands them to PerMailbox uploaders.
func (r *mailboxRun) migrateFolder(ctx context.Context, acct source.Account, fw *folderWork) error {
	e := r.e
	workers := min(max(e.PerMailbox, 1), 4)
	jobs := make(chan *job, workers)
	var wg sync.WaitGroup
	// Uploads finish even after an interrupt, within Grace.
	upCtx, cancelUp := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelUp()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(e.Grace, cancelUp) })
	defer stop()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				r.upload(upCtx, j)
			}
		}()
	}
	err := r.readFolder(ctx, acct, fw, jobs)
	close(jobs)
	wg.Wait()
	return err
}

func (r *mailboxRun) readFolder(ctx context.Context, acct source.Account, fw *folderWork, jobs chan<- *job) error {
	stamps, err := r.folderStamps(ctx, acct, fw)
	if err != nil {
		return err
	}
	if !mapping.IsMail(fw.src.Kind) {
		return r.readPIMFolder(ctx, acct, fw, stamps, jobs)
	}
	var others []*siblingFolder
	if stamps != nil {
		if others, err = r.siblingFolders(ctx, fw); err != nil {
			return err
		}
	}
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
		dec := mapping.Item(ref, fw.fm, r.items)
		if dec.Skip {
			r.record(ctx, fw, ref, state.StatusSkipped, dec.Reason, "", "", 0, false)
			continue
		}
		if stamps != nil {
			// Reconcile with the target before creating anything: an item
			// stamped with this key exists when a previous run was killed
			// after the target confirmed it, or the state was lost.
			if id, ok := stamps.byKeyClaim(ref.Key); ok {
				r.record(ctx, fw, ref, state.StatusMigrated, "", string(id), "", ref.Size, false)
				r.log.Info("item found in target by its stamp", "folder", fw.name, "key", ref.Key)
				continue
			}
		}
		j, err := r.read(ctx, acct, fw, ref, dec)
		if err != nil && ctx.Err() == nil && !errors.Is(err, source.ErrNotFound) {
			// A session dropped in the middle of the item (POP servers
			// drop sessions; the adapter re-opens its session on the next
			// call): read it once more before giving up on it for this run.
			r.log.Warn("reading an item failed; reading it once more", "folder", fw.name, "key", ref.Key, "err", err)
			j, err = r.read(ctx, acct, fw, ref, dec)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			r.record(ctx, fw, ref, state.StatusFailed, err.Error(), "", "", ref.Size, false)
			continue
		}
		if ref.Date.IsZero() {
			// The source has no received date (POP3): the filters that
			// passed the unknown date see the one the message gives.
			dated := ref
			dated.Date = j.received
			if d := mapping.Item(dated, fw.fm, r.items); d.Skip && j.receivedFrom != mapping.ReceivedFromRun {
				r.record(ctx, fw, ref, state.StatusSkipped, d.Reason, "", "", 0, false)
				j.close()
				continue
			}
		}
		if fw.validity && r.reuseRetired(ctx, j) {
			continue
		}
		if stamps != nil {
			// Under another key (a renumbered folder, a lost state): an
			// item created from the same bytes.
			if id, ok := stamps.byContentClaim(j.fingerprint); ok {
				r.record(ctx, fw, ref, state.StatusMigrated, "", string(id), j.fingerprint, ref.Size, false)
				r.log.Info("item found in target by its content identity", "folder", fw.name, "key", ref.Key)
				j.close()
				continue
			}
		}
		if r.fromSibling(ctx, others, j) {
			continue
		}
		select {
		case jobs <- j:
		case <-ctx.Done():
			j.close()
			return nil
		}
	}
	return nil
}

// folderStamps loads the target folder's stamps and reserves those that
// belong to a source item by key (reserve); nil in a dry run and for a
// folder without a target folder (excluded, or one the target cannot
// take).
func (r *mailboxRun) folderStamps(ctx context.Context, acct source.Account, fw *folderWork) (*stampIndex, error) {
	if r.e.DryRun || fw.id == "" {
		return nil, nil
	}
	stamps, err := r.stamps(ctx, fw)
	if err != nil {
		return nil, err
	}
	if err := r.reserve(ctx, acct, fw, stamps); err != nil {
		return nil, err
	}
	return stamps, nil
}

// migratedBefore reports whether the state records ref as migrated by an
// earlier run, and then counts it as done.
func (r *mailboxRun) migratedBefore(ctx context.Context, fw *folderWork, ref source.ItemRef) (bool, error) {
	if r.e.DryRun {
		return false, nil
	}
	rec, ok, err := r.e.Store.Item(ctx, r.id, fw.name, ref.Key)
	if err != nil {
		return false, fmt.Errorf("mailbox %s: folder %s: item %s: reading state: %w", r.m.EmailAddress, fw.name, ref.Key, err)
	}
	if ok && rec.Status == state.StatusMigrated {
		r.done(ref, state.StatusMigrated)
		return true, nil
	}
	return false, nil
}

// stamps loads, once per folder, the source keys and content identities
// stamped on the target folder's items.
func (r *mailboxRun) stamps(ctx context.Context, fw *folderWork) (*stampIndex, error) {
	fw.stampsOnce.Do(func() {
		x := newStampIndex()
		for s, err := range r.stampsOf(ctx, fw) {
			if err != nil {
				fw.stampsErr = fmt.Errorf("mailbox %s: folder %s: listing the target's items: %w", r.m.EmailAddress, fw.name, err)
				return
			}
			x.add(s)
		}
		fw.stamps = x
	})
	return fw.stamps, fw.stampsErr
}

// siblingFolders lists the stamps of the target folders where the other
// rows of the target mailbox send their INBOX, when fw is this row's
// INBOX: the same account's INBOX over the other protocol (README, "POP3
// sources"). Folders that do not exist yet are left out; none is created.
func (r *mailboxRun) siblingFolders(ctx context.Context, fw *folderWork) ([]*siblingFolder, error) {
	if len(r.siblings) == 0 || !isInbox(fw.src) {
		return nil, nil
	}
	inboxes, err := r.e.siblingInboxes(r.siblings, fw.src, fw.fm)
	if err != nil {
		return nil, err
	}
	var out []*siblingFolder
	for _, in := range inboxes {
		id, found, err := lookupFolder(ctx, r.tgt, in.fm)
		if err != nil {
			return nil, fmt.Errorf("mailbox %s: folder %s: finding the target folder %s of %s: %w", r.m.EmailAddress, fw.name, in.fm, in.row.EmailAddress, err)
		}
		if !found {
			continue
		}
		x := newStampIndex()
		for s, err := range r.tgt.Stamps(ctx, id) {
			if err != nil {
				return nil, fmt.Errorf("mailbox %s: folder %s: listing the target folder %s of %s: %w", r.m.EmailAddress, fw.name, in.fm, in.row.EmailAddress, err)
			}
			if s.ContentID != "" {
				x.byContent[s.ContentID] = append(x.byContent[s.ContentID], s.ID)
			}
		}
		out = append(out, &siblingFolder{siblingInbox: in, stamps: x})
	}
	return out, nil
}

// fromSibling records j as migrated when an item created from the same
// bytes is in a target folder of another row of the target mailbox
// (siblingFolders): the message was migrated by that row, and is not
// created twice. The state's reason says where it is.
func (r *mailboxRun) fromSibling(ctx context.Context, others []*siblingFolder, j *job) bool {
	for _, o := range others {
		id, ok := o.stamps.byContentClaim(j.fingerprint)
		if !ok {
			continue
		}
		reason := fmt.Sprintf("already migrated from the %s row of %s, into %s", protocolName(o.row), o.row.EmailAddress, targetDisplay(o.fm))
		r.record(ctx, j.fw, j.ref, state.StatusMigrated, reason, string(id), j.fingerprint, j.ref.Size, false)
		r.log.Info("item found in target by its content identity, from another row", "folder", j.fw.name, "key", j.ref.Key, "row", o.row.EmailAddress, "target_folder", targetDisplay(o.fm))
		j.close()
		return true
	}
	return false
}

// protocolName names a row's protocol for people: "IMAP" or "POP3".
func protocolName(m config.Mailbox) string { return strings.ToUpper(protocolOf(m)) }

// reserve marks the target items that belong to a source item by key, so
// that no other item claims them by content: those the state records as
// migrated in this folder or, when the state knows none (it was lost),
// those stamped with a key the source lists now, found by listing the
// folder once more. Nothing is read when no item carries a content
// identity.
func (r *mailboxRun) reserve(ctx context.Context, acct source.Account, fw *folderWork, x *stampIndex) error {
	if len(x.byContent) == 0 {
		return nil
	}
	if !mapping.IsMail(fw.src.Kind) {
		// The state records the first target item of a contact or event
		// item; the others are stamped with its key and a suffix.
		defer x.reserveSiblings()
	}
	for it, err := range r.e.Store.Items(ctx, state.ItemQuery{Mailbox: r.id, Folder: fw.name, Status: state.StatusMigrated}) {
		if err != nil {
			return fmt.Errorf("mailbox %s: folder %s: reading state: %w", r.m.EmailAddress, fw.name, err)
		}
		if it.TargetID != "" {
			x.reserved[target.ItemID(it.TargetID)] = true
		}
	}
	if len(x.reserved) > 0 {
		return nil
	}
	for ref, err := range acct.Items(ctx, fw.src) {
		if err != nil {
			return fmt.Errorf("mailbox %s: folder %s: listing items: %w", r.m.EmailAddress, fw.name, err)
		}
		if id, ok := x.byKey[ref.Key]; ok {
			x.reserved[id] = true
		}
	}
	return nil
}

// reuseRetired records j as migrated when an item of the folder's previous
// UIDVALIDITY with the same content was migrated already.
func (r *mailboxRun) reuseRetired(ctx context.Context, j *job) bool {
	for it, err := range r.e.Store.Items(ctx, state.ItemQuery{Mailbox: r.id, Folder: j.fw.name, Fingerprint: j.fingerprint, Retired: true}) {
		if err != nil {
			r.log.Warn("looking up retired items", "folder", j.fw.name, "err", err)
			return false
		}
		if it.Status == state.StatusMigrated && it.TargetID != "" {
			r.record(ctx, j.fw, j.ref, state.StatusMigrated, "", it.TargetID, j.fingerprint, j.ref.Size, false)
			j.close()
			return true
		}
	}
	return false
}

// read opens and parses one item; the source stream is consumed and closed
// before it returns (large attachments are spooled to files).
func (r *mailboxRun) read(ctx context.Context, acct source.Account, fw *folderWork, ref source.ItemRef, dec mapping.Decision) (*job, error) {
	rc, err := acct.Open(ctx, fw.src, ref)
	if err != nil {
		return nil, fmt.Errorf("reading from the source: %w", err)
	}
	h := sha256.New()
	msg, err := message.Parse(ctx, io.TeeReader(rc, h), &message.Options{SpoolDir: r.e.SpoolDir})
	cerr := rc.Close()
	if err != nil {
		return nil, fmt.Errorf("reading from the source: %w", err)
	}
	if cerr != nil {
		msg.Close()
		return nil, fmt.Errorf("reading from the source: %w", cerr)
	}
	for _, p := range msg.Problems {
		r.log.Debug("message defect tolerated", "folder", fw.name, "key", ref.Key, "problem", p)
	}
	j := &job{fw: fw, ref: ref, dec: dec, msg: msg, fingerprint: fingerprint(h)}
	j.received, j.receivedFrom = mapping.ReceivedDate(dec.Received, msg.Received, msg.Date, r.e.Now())
	return j, nil
}

func fingerprint(h hash.Hash) string { return "sha256:" + hex.EncodeToString(h.Sum(nil)) }

// upload creates one item in the target, with retries, and records it.
func (r *mailboxRun) upload(ctx context.Context, j *job) {
	if j.pim != nil {
		r.uploadPIM(ctx, j)
		return
	}
	defer j.msg.Close()
	e := r.e
	if e.DryRun {
		r.dropped(j.dec.State.Dropped)
		r.receivedFrom(j.receivedFrom)
		r.count(state.StatusMigrated, j.ref.Size, true)
		r.log.Debug("would create", "folder", j.fw.name, "key", j.ref.Key, "target", j.fw.fm.String())
		return
	}
	tm := &target.Message{
		SourceKey:  j.ref.Key,
		ContentID:  j.fingerprint,
		Content:    j.msg,
		Received:   j.received,
		Sent:       j.msg.Date,
		Read:       j.dec.State.Read,
		Flagged:    j.dec.State.Flagged,
		Answered:   j.dec.State.Answered,
		Forwarded:  j.dec.State.Forwarded,
		Draft:      j.dec.State.Draft,
		Categories: j.dec.State.Categories,
	}
	created, err := r.put(ctx, j.fw, j.ref.Key, func(ctx context.Context) (target.Created, error) {
		return r.tgt.PutMessage(ctx, j.fw.id, tm)
	})
	if err != nil {
		r.record(ctx, j.fw, j.ref, state.StatusFailed, err.Error(), "", j.fingerprint, j.ref.Size, false)
		return
	}
	reason := strings.Join(created.Notes, "; ")
	if reason != "" {
		// What could not be kept as it was (a draft instead of received
		// mail, a cut body): the run says so per item.
		r.log.Info("item migrated with a change", "folder", j.fw.name, "key", j.ref.Key, "note", reason)
	}
	r.receivedFrom(j.receivedFrom)
	r.recordOutcome(ctx, j.fw, j.ref, outcome{status: state.StatusMigrated, reason: reason, targetID: string(created.ID), fingerprint: j.fingerprint,
		bytes: j.ref.Size, created: true, receivedFrom: j.receivedFrom})
}

// put creates one target item with create (a PutMessage, PutContact or
// PutEvent call) and retries it while the target calls the failure
// transient (target.RetryAfter): at most Retries more times, waiting
// RetryDelay doubled each time, with jitter, or the Retry-After the target
// asked for if longer. key names the source item in the log. This is the
// one retry loop of item creation.
func (r *mailboxRun) put(ctx context.Context, fw *folderWork, key string, create func(context.Context) (target.Created, error)) (target.Created, error) {
	retries, delay := r.e.Retries, r.e.RetryDelay
	for attempt := 0; ; attempt++ {
		created, err := create(ctx)
		if err == nil {
			return created, nil
		}
		after, transient := target.RetryAfter(err)
		if !transient || attempt >= retries || ctx.Err() != nil {
			return target.Created{}, err
		}
		wait := delay << attempt
		wait += time.Duration(rand.Int64N(int64(wait)/2 + 1))
		wait = max(wait, after)
		r.log.Warn("item will be retried", "folder", fw.name, "key", key, "attempt", attempt+1, "wait", wait, "err", err)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
	}
}

// record writes an item's outcome to the state and the result.
// created says the item was created (or, in a dry run, would be) by this
// run, rather than found already in the target.
func (r *mailboxRun) record(ctx context.Context, fw *folderWork, ref source.ItemRef, status state.Status, reason, targetID, fp string, bytes int64, created bool) {
	r.recordOutcome(ctx, fw, ref, outcome{status: status, reason: reason, targetID: targetID, fingerprint: fp, bytes: bytes, created: created})
}

// outcome is what the run records of one item (see record).
type outcome struct {
	status                        state.Status
	reason, targetID, fingerprint string
	bytes                         int64
	created                       bool
	// receivedFrom is where a created message's received time came from
	// (mapping.ReceivedDate).
	receivedFrom string
	// failure is a failed item's state.Item.Failure.
	failure string
}

// recordOutcome is record with every field of the outcome.
func (r *mailboxRun) recordOutcome(ctx context.Context, fw *folderWork, ref source.ItemRef, o outcome) {
	status, reason, targetID, fp, bytes, created := o.status, o.reason, o.targetID, o.fingerprint, o.bytes, o.created
	e := r.e
	var dropped []string
	if status == state.StatusMigrated {
		// What the item lost: the same decision readFolder made.
		dropped = mapping.Item(ref, fw.fm, r.items).State.Dropped
		if created {
			r.dropped(dropped)
		}
	}
	if !e.DryRun {
		it := state.Item{Mailbox: r.id, Folder: fw.name, SourceKey: ref.Key, Kind: stateKind(fw.src.Kind), Fingerprint: fp, TargetID: targetID, Status: status, Reason: reason, Bytes: max(bytes, 0), DroppedKeywords: dropped, ReceivedFrom: o.receivedFrom, Failure: o.failure}
		if err := e.Store.PutItem(context.WithoutCancel(ctx), it); err != nil {
			// Not recorded: the next run finds the item by its stamp.
			r.log.Error("recording item", "folder", fw.name, "key", ref.Key, "err", err)
		}
	}
	switch status {
	case state.StatusFailed:
		r.log.Error("item failed", "folder", fw.name, "key", ref.Key, "reason", reason)
		r.mu.Lock()
		if len(r.res.Failures) < maxFailuresKept {
			r.res.Failures = append(r.res.Failures, ItemFailure{Folder: fw.name, Key: ref.Key, Reason: reason})
		}
		r.mu.Unlock()
	case state.StatusSkipped:
		r.log.Debug("item skipped", "folder", fw.name, "key", ref.Key, "reason", reason)
	case state.StatusMigrated:
		if reason != "" && created {
			r.mu.Lock()
			if len(r.res.Changed) < maxFailuresKept {
				r.res.Changed = append(r.res.Changed, ItemFailure{Folder: fw.name, Key: ref.Key, Reason: reason})
			}
			r.mu.Unlock()
		}
	}
	r.count(status, bytes, created)
}

// dropped counts the flags and keywords a created item lost.
func (r *mailboxRun) dropped(kws []string) {
	if len(kws) == 0 {
		return
	}
	r.mu.Lock()
	r.res.KeywordsDropped++
	for _, k := range kws {
		r.keywords[k]++
	}
	r.mu.Unlock()
}

// receivedFrom counts where a created item's received time came from.
func (r *mailboxRun) receivedFrom(from string) {
	r.mu.Lock()
	r.res.ReceivedFrom[from]++
	r.mu.Unlock()
}

// done counts an item already migrated by an earlier run.
func (r *mailboxRun) done(ref source.ItemRef, status state.Status) {
	r.count(status, max(ref.Size, 0), false)
}

func (r *mailboxRun) count(status state.Status, bytes int64, created bool) {
	r.mu.Lock()
	switch {
	case status == state.StatusMigrated && created:
		r.res.Migrated++
		r.res.Bytes += max(bytes, 0)
	case status == state.StatusMigrated:
		r.res.Done++
	case status == state.StatusSkipped:
		r.res.Skipped++
	case status == state.StatusFailed:
		r.res.Failed++
	}
	r.mu.Unlock()
	if r.e.Progress != nil {
		r.e.Progress.ItemDone(r.m.EmailAddress, status, max(bytes, 0))
	}
}

// spoolDirExists checks the spool directory early, for a clear error.
func spoolDirExists(dir string) error {
	if dir == "" {
		return nil
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("spool directory: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("spool directory %s is not a directory", dir)
	}
	return nil
}
