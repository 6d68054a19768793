package migrate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/migrate/mapping"
	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/target"
)

// SourceOpener opens and authenticates the source account of one mailbox
// row. The command line builds it from the project, choosing the adapter
// by the row's protocol; the engine knows no adapter. When the source
// cannot be reached or refuses the credentials, its error matches
// source.ErrConnect or source.ErrAuth. log names the mailbox; the adapter
// adds its own component attribute.
type SourceOpener func(ctx context.Context, m config.Mailbox, log *slog.Logger) (source.Account, error)

// TargetOpener opens a target mailbox by address. When the mailbox does
// not exist its error matches target.ErrNotFound; refused credentials
// match target.ErrAuth.
type TargetOpener func(ctx context.Context, address string) (target.Mailbox, error)

// Env is what Engine, Planner and Verifier share: how sources and target
// mailboxes are opened, the state, the mapping rules and the log. Each
// applies its defaults to a copy, never to the caller's value.
type Env struct {
	// Sources opens a mailbox row's source account. Required.
	Sources SourceOpener
	// Target opens a target mailbox by address. Nil in a dry run; a plan
	// without it leaves the target unchecked.
	Target TargetOpener
	// Store is the state. The engine is its only writer; the planner and
	// the verifier read it (read-only is enough). Nil in a dry run or
	// when there is no state yet.
	Store state.Store
	// Rules and Items are the folder and item mapping options, the same
	// for plan, run and verify (nil: the defaults).
	Rules *mapping.Rules
	Items *mapping.ItemOptions
	// POP3Unread creates POP3 rows' mail unread (pop3.read: false); by
	// default it is created read, POP3 having no read state. Where a POP3
	// row's mail goes is the row's config.Mailbox.TargetFolder.
	POP3Unread bool
	// Dedupe is how a row's message is found already migrated by another
	// row of the same target mailbox (dedupe.across_rows): DedupeBody (""
	// too), by its body identity in any folder of the target mailbox;
	// DedupeExact, by its content identity where the other rows send
	// their INBOX; DedupeOff, not at all.
	Dedupe string
	// SpoolDir is where large attachments wait for upload ("" = temp dir).
	SpoolDir string
	// Secrets are removed from every message a plan or verification
	// records (logs are redacted by the command line's handler).
	Secrets []string
	// Now returns the current time (default time.Now).
	Now func() time.Time
	// Log receives progress and problems (default: discarded).
	Log *slog.Logger
}

// withDefaults returns a copy of e with its defaults applied.
func (e Env) withDefaults() (Env, error) {
	if e.Sources == nil {
		return e, errors.New("migrate: Env.Sources is nil: the command line must give a source opener")
	}
	if e.Log == nil {
		e.Log = slog.New(slog.DiscardHandler)
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	return e, nil
}

// Components of the engine: the value of the "component" attribute on
// the records of each.
const (
	componentRun    = "run"
	componentPlan   = "plan"
	componentVerify = "verify"
)

// mailboxLog returns the logger a component of the engine logs one
// mailbox's events on: it names the component and the mailbox.
func (e *Env) mailboxLog(component string, m config.Mailbox) *slog.Logger {
	return e.Log.With("component", component, "mailbox", m.EmailAddress)
}

// openSource opens m's source account, naming the mailbox in the error.
// The adapter logs on a logger that names the mailbox but no component:
// it adds its own.
func (e *Env) openSource(ctx context.Context, m config.Mailbox) (source.Account, error) {
	acct, err := e.Sources(ctx, m, e.Log.With("mailbox", m.EmailAddress))
	if err != nil {
		return nil, fmt.Errorf("mailbox %s: %w", m.EmailAddress, err)
	}
	return acct, nil
}

// isPOP3 reports whether m is a POP3 row.
func isPOP3(m config.Mailbox) bool { return m.Protocol == "pop3" }

// rulesFor returns the folder rules of mailbox m: the project's, with a
// POP3 row's INBOX sent to its TargetFolder. Plan, run and verify map m's
// folders with them.
func (e *Env) rulesFor(m config.Mailbox) (*mapping.Rules, error) {
	if !isPOP3(m) || m.TargetFolder == "" {
		return e.Rules, nil
	}
	r, err := e.Rules.WithInboxTarget("TargetFolder (or pop3.folder)", m.TargetFolder)
	if err != nil {
		return nil, fmt.Errorf("mailbox %s: %w", m.EmailAddress, err)
	}
	return r, nil
}

// itemsFor returns the item options of mailbox m: the project's, with a
// POP3 row's mail created read unless POP3Unread.
func (e *Env) itemsFor(m config.Mailbox) *mapping.ItemOptions {
	if !isPOP3(m) || e.POP3Unread {
		return e.Items
	}
	o := mapping.ItemOptions{}
	if e.Items != nil {
		o = *e.Items
	}
	o.Read = true
	return &o
}

// connectFailure reports whether err means a source or the target could
// not be reached or refused the credentials (exit code 3).
func connectFailure(err error) bool {
	return errors.Is(err, source.ErrConnect) || errors.Is(err, source.ErrAuth) || errors.Is(err, target.ErrAuth)
}

// eachMailbox calls fn for every mailbox, at most n at once (n < 1 is 1),
// and returns when every call returned. Rows of one target mailbox
// (targetGroups) never run at once: they run one after the other, in the
// order of the CSV, so that a later row sees in the target what an
// earlier one created (the same account over IMAP and POP3 migrates each
// message once). A mailbox not started before ctx is cancelled gets
// notStarted instead, with ctx's error. This is the one bounded loop over
// mailboxes of run, plan, plan check and verify.
func eachMailbox(ctx context.Context, mailboxes []config.Mailbox, n int, fn func(i int, m config.Mailbox), notStarted func(i int, m config.Mailbox, err error)) {
	eachTarget(ctx, mailboxes, n, func(group []int) {
		for _, i := range group {
			if err := ctx.Err(); err != nil {
				notStarted(i, mailboxes[i], err)
				continue
			}
			fn(i, mailboxes[i])
		}
	}, func(group []int, err error) {
		for _, i := range group {
			notStarted(i, mailboxes[i], err)
		}
	})
}

// eachTarget calls fn for every group of rows of one target mailbox
// (targetGroups), at most n groups at once (n < 1 is 1), and returns when
// every call returned. A group not started before ctx is cancelled gets
// notStarted instead, with ctx's error.
func eachTarget(ctx context.Context, mailboxes []config.Mailbox, n int, fn func(group []int), notStarted func(group []int, err error)) {
	sem := make(chan struct{}, max(n, 1))
	var wg sync.WaitGroup
	for _, group := range targetGroups(mailboxes) {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if err := ctx.Err(); err != nil {
			notStarted(group, err)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			fn(group)
		}()
	}
	wg.Wait()
}

// targetGroups groups the indexes of mailboxes by target mailbox
// (config.Mailbox.Target, without regard to case), in the order of each
// group's first row, each group in CSV order.
func targetGroups(mailboxes []config.Mailbox) [][]int {
	var groups [][]int
	at := map[string]int{}
	for i, m := range mailboxes {
		t := strings.ToLower(m.Target())
		g, ok := at[t]
		if !ok {
			g = len(groups)
			at[t] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	return groups
}

// siblings returns the other rows of mailboxes whose target mailbox is
// m's (m itself is left out by its line and address).
func siblings(mailboxes []config.Mailbox, m config.Mailbox) []config.Mailbox {
	var out []config.Mailbox
	for _, o := range mailboxes {
		if strings.EqualFold(o.Target(), m.Target()) && !strings.EqualFold(o.EmailAddress, m.EmailAddress) {
			out = append(out, o)
		}
	}
	return out
}

// isInbox reports whether f is the source INBOX: the one folder of a POP3
// account, the one the IMAP server marks or names INBOX.
func isInbox(f source.Folder) bool {
	return f.SpecialUse == source.Inbox || (len(f.Path) == 1 && strings.EqualFold(f.Path[0], "INBOX"))
}

// siblingInbox is where another row of the same target mailbox sends its
// INBOX: the same account over the other protocol, whose INBOX holds the
// same messages.
type siblingInbox struct {
	row config.Mailbox
	fm  mapping.FolderMapping
}

// siblingInboxes returns where each of sibs (other rows of m's target
// mailbox) sends its INBOX, given m's INBOX folder inbox and its mapping
// own: the target folders other than own where an earlier row may have
// created m's INBOX messages already. Folders that are not migrated are
// left out, and each target folder is listed once.
func (e *Env) siblingInboxes(sibs []config.Mailbox, inbox source.Folder, own mapping.FolderMapping) ([]siblingInbox, error) {
	var out []siblingInbox
	seen := map[string]bool{strings.ToLower(targetDisplay(own)): true}
	for _, s := range sibs {
		rules, err := e.rulesFor(s)
		if err != nil {
			return nil, err
		}
		fms, err := mapping.Folders([]source.Folder{inbox}, rules)
		if err != nil {
			return nil, fmt.Errorf("mailbox %s: mapping the INBOX of %s: %w", s.EmailAddress, s.EmailAddress, err)
		}
		for _, fm := range fms {
			d := strings.ToLower(targetDisplay(fm))
			if fm.WellKnown == "" || seen[d] {
				continue
			}
			seen[d] = true
			out = append(out, siblingInbox{row: s, fm: fm})
		}
	}
	return out, nil
}

// lookupFolder finds the target folder of fm without creating it: with a
// target.Inspector by its path, else (a well-known folder itself) by the
// well-known name.
func lookupFolder(ctx context.Context, tgt target.Mailbox, fm mapping.FolderMapping) (target.FolderID, bool, error) {
	var list []target.FolderInfo
	insp, listed := tgt.(target.Inspector)
	if listed {
		var err error
		if list, err = insp.Folders(ctx); err != nil {
			return "", false, err
		}
	}
	return locateFolder(ctx, tgt, list, listed, fm)
}

// locateFolder finds the target folder of fm without creating it: in
// list, the target's folders, when listed; else only a well-known folder
// itself, by its well-known name. An address book's or a calendar's
// (locatePIMFolder) is found among the contact folders or calendars
// instead. Run and verify find folders with it.
func locateFolder(ctx context.Context, tgt target.Mailbox, list []target.FolderInfo, listed bool, fm mapping.FolderMapping) (target.FolderID, bool, error) {
	if !mapping.IsMail(fm.Source.Kind) {
		return locatePIMFolder(ctx, tgt, fm)
	}
	if listed {
		id, found := findFolder(list, fm.WellKnown, fm.Target)
		return id, found, nil
	}
	if len(fm.Target) > 0 {
		return "", false, nil
	}
	id, err := tgt.EnsureFolder(ctx, fm.WellKnown, nil)
	return id, err == nil, err
}

// locatePIMFolder finds the target contact folder or calendar of fm, an
// address book's or a calendar's mapping, as the run names it
// (ensurePIMFolder), without creating it: with a target.PIMFinder; else
// only the default contact folder or calendar, which always exists, by
// the writer. found is false when the target has no writer of the kind.
func locatePIMFolder(ctx context.Context, tgt target.Mailbox, fm mapping.FolderMapping) (target.FolderID, bool, error) {
	finder, canFind := tgt.(target.PIMFinder)
	switch fm.Source.Kind {
	case source.KindContact:
		cw, ok := tgt.(target.ContactWriter)
		switch {
		case !ok:
			return "", false, nil
		case canFind:
			return finder.FindContactFolder(ctx, fm.Target)
		case len(fm.Target) == 0:
			id, err := cw.EnsureContactFolder(ctx, nil)
			return id, err == nil, err
		}
	case source.KindEvent:
		ew, ok := tgt.(target.EventWriter)
		switch {
		case !ok:
			return "", false, nil
		case canFind:
			return finder.FindCalendar(ctx, calendarName(fm))
		case len(fm.Target) == 0:
			id, err := ew.EnsureCalendar(ctx, "")
			return id, err == nil, err
		}
	}
	return "", false, nil
}

// Values of Env.Dedupe (config's dedupe.across_rows).
const (
	DedupeBody  = config.DedupeBody
	DedupeExact = config.DedupeExact
	DedupeOff   = config.DedupeOff
)

// dedupe returns Env.Dedupe with its default (DedupeBody).
func (e *Env) dedupe() string {
	if e.Dedupe == "" {
		return DedupeBody
	}
	return e.Dedupe
}
