package migrate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
// and returns when every call returned. A mailbox not started before ctx
// is cancelled gets notStarted instead, with ctx's error. This is the one
// bounded loop over mailboxes of run, plan, plan check and verify.
func eachMailbox(ctx context.Context, mailboxes []config.Mailbox, n int, fn func(i int, m config.Mailbox), notStarted func(i int, m config.Mailbox, err error)) {
	sem := make(chan struct{}, max(n, 1))
	var wg sync.WaitGroup
	for i, m := range mailboxes {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if err := ctx.Err(); err != nil {
			notStarted(i, m, err)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			fn(i, m)
		}()
	}
	wg.Wait()
}
