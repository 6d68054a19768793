package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/migrate-tool/migrate/migrate"
	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/migrate/humanize"
	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/source"
	"github.com/migrate-tool/migrate/source/pop3"
)

// componentPOP3Delete is the "component" of pop3-delete's log records.
const componentPOP3Delete = "pop3-delete"

// pop3DeleteOptions are the flags of `migrate pop3-delete`.
type pop3DeleteOptions struct {
	verification   string
	mailboxes      []string
	dryRun         bool
	allowPlaintext bool
	// term asks for the confirmation; nil is the process's terminal.
	term terminal
}

// terminal is where pop3-delete asks a person to confirm: the process's
// stdin and stdout, or a test's stand-in.
type terminal interface {
	// Interactive reports whether a person can be asked: stdin and stdout
	// are terminals and the CI environment variable is not set.
	Interactive() bool
	// Ask writes prompt and returns the line typed, without its end, or
	// ctx's error when ctx is done first (Ctrl-C).
	Ask(ctx context.Context, prompt string) (string, error)
}

// processTerminal is the process's own stdin and stdout.
type processTerminal struct {
	in  *os.File
	out *os.File
}

// Interactive implements terminal.
func (p processTerminal) Interactive() bool {
	return isTerminal(p.in) && isTerminal(p.out) && !inCI(os.Getenv)
}

// Ask implements terminal. The read of stdin goes on in the background
// when ctx is done first; the command ends then anyway.
func (p processTerminal) Ask(ctx context.Context, prompt string) (string, error) {
	if _, err := io.WriteString(p.out, prompt); err != nil {
		return "", err
	}
	type answer struct {
		line string
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		line, err := bufio.NewReader(p.in).ReadString('\n')
		if errors.Is(err, io.EOF) && line != "" {
			err = nil
		}
		ch <- answer{strings.TrimRight(line, "\r\n"), err}
	}()
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case a := <-ch:
		return a.line, a.err
	}
}

// inCI reports whether the environment says the process runs in CI (CI
// set to anything but "", "0" or "false", as CI services set it).
func inCI(getenv func(string) string) bool {
	switch strings.ToLower(strings.TrimSpace(getenv("CI"))) {
	case "", "0", "false":
		return false
	}
	return true
}

func newPOP3DeleteCmd(g *globalOptions) *cobra.Command {
	o := &pop3DeleteOptions{}
	cmd := &cobra.Command{
		Use:   "pop3-delete --verification FILE",
		Short: "Delete from POP3 sources the messages verify confirmed in the target",
		Long: `pop3-delete is the one command that changes a source: it deletes from POP3
maildrops (DELE, then QUIT) the messages that migrate verify confirmed in the
target. plan, run and verify never change a source; nothing else deletes.

A message is deleted only when all of these hold:
  - the mailbox is a POP3 row, and the verification file (migrate verify
    --out FILE) has a passing result for it (nothing missing, doubled or
    changed, no error) against the same target mailbox;
  - the verification is newer than the mailbox's last run in the state and
    than every item the state recorded for it (else it is stale);
  - the state records the message as migrated, with its target item's id.
verify compared every message the maildrop listed with the target (found
exactly once by its source-key stamp, with the size and target item the
state recorded), so these are the messages it confirmed. A message added
since, or not migrated, is kept.

It asks first: it prints per mailbox how many messages and bytes will be
deleted and deletes only when you type the number of mailboxes or
"delete". It refuses to run without a terminal (stdin and stdout) or with
CI set, so it cannot run unattended; --dry-run prints the same list and
deletes nothing. Deletion happens when the server ends the session at QUIT
(RFC 1939 section 6): a session that breaks before deletes nothing.

Exit codes: 0 deleted, cancelled or nothing to delete; 1 a mailbox could
not be deleted; 2 refused (no verification, a failed or stale one, no
terminal, no POP3 row); 3 a source could not be reached.`,
		Example: `  migrate verify --out verify.json
  migrate pop3-delete --verification verify.json --dry-run
  migrate pop3-delete --verification verify.json --mailbox alice@contoso.com`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPOP3Delete(cmd.Context(), g, o)
		},
	}
	cmd.Flags().StringVar(&o.verification, "verification", "", "the verification file migrate verify --out wrote (required)")
	cmd.Flags().StringSliceVar(&o.mailboxes, "mailbox", nil, "only these mailboxes (repeatable)")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "print what would be deleted and delete nothing")
	cmd.Flags().BoolVar(&o.allowPlaintext, "allow-plaintext", false, "allow source passwords over unencrypted connections (source.allow_plaintext)")
	return cmd
}

// deletion is what pop3-delete deletes from one mailbox.
type deletion struct {
	m     config.Mailbox
	keys  []string
	bytes int64
}

func runPOP3Delete(ctx context.Context, g *globalOptions, o *pop3DeleteOptions) error {
	term := o.term
	if term == nil {
		term = processTerminal{in: os.Stdin, out: os.Stdout}
	}
	if !o.dryRun && !term.Interactive() {
		return usageError(errors.New("pop3-delete: refused: it asks for confirmation on a terminal, and stdin or stdout is not one (or CI is set); run it from a terminal, or with --dry-run to see what it would delete"))
	}
	if o.verification == "" {
		return usageError(errors.New("pop3-delete: refused: --verification FILE is required (write it with migrate verify --out FILE)"))
	}
	var sets []string
	if o.allowPlaintext {
		sets = append(sets, "source.allow_plaintext=true")
	}
	lp, err := g.loadMailboxes(sets, o.mailboxes)
	if err != nil {
		return err
	}
	var rows []config.Mailbox
	for _, m := range lp.mailboxes {
		switch {
		case m.Protocol == "pop3":
			rows = append(rows, m)
		case len(o.mailboxes) > 0:
			return usageError(fmt.Errorf("pop3-delete: refused: mailbox %s is not a POP3 row (protocol %q): only POP3 sources are deleted from", m.EmailAddress, m.Protocol))
		}
	}
	if len(rows) == 0 {
		return usageError(errors.New("pop3-delete: refused: the mailbox list has no POP3 row"))
	}
	v, err := plan.ReadVerification(o.verification)
	if err != nil {
		return usageError(fmt.Errorf("pop3-delete: refused: %w", err))
	}
	path := g.stateFile(lp.p)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return usageError(fmt.Errorf("pop3-delete: refused: there is no state %s: nothing was migrated", path))
	}
	// Read-write: the state's lock keeps a run from migrating meanwhile.
	st, err := state.Open(ctx, path, nil)
	if err != nil {
		if errors.Is(err, state.ErrLocked) {
			return usageError(fmt.Errorf("pop3-delete: %w", err))
		}
		return fmt.Errorf("pop3-delete: state %s: %w", path, err)
	}
	defer st.Close()

	var dels []deletion
	var refusals []string
	for _, m := range rows {
		d, err := confirmed(ctx, st, v, m)
		if err != nil {
			refusals = append(refusals, err.Error())
			continue
		}
		dels = append(dels, d)
	}
	if len(refusals) > 0 {
		for _, r := range refusals {
			fmt.Fprintln(g.stdout, "refused: "+r)
		}
		return usageError(fmt.Errorf("pop3-delete: refused for %s, nothing deleted (run migrate verify --out %s again, or leave them out with --mailbox)", humanize.Plural(int64(len(refusals)), "mailbox", "mailboxes"), o.verification))
	}
	printDeletions(g.stdout, dels)
	var total int
	for _, d := range dels {
		total += len(d.keys)
	}
	switch {
	case total == 0:
		fmt.Fprintln(g.stdout, "Nothing to delete.")
		return nil
	case o.dryRun:
		fmt.Fprintln(g.stdout, "--dry-run: nothing deleted.")
		return nil
	}
	answer, err := term.Ask(ctx, fmt.Sprintf("These messages will be deleted from the source and cannot be recovered there.\nType %d (the number of mailboxes) or \"delete\" to delete them; anything else cancels: ", len(dels)))
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(g.stdout, "\nInterrupted: nothing deleted.")
			return ctx.Err()
		}
		return fmt.Errorf("pop3-delete: reading the confirmation: %w", err)
	}
	if a := strings.TrimSpace(answer); a != strconv.Itoa(len(dels)) && !strings.EqualFold(a, "delete") {
		fmt.Fprintln(g.stdout, "Cancelled: nothing deleted.")
		return nil
	}
	return deleteConfirmed(ctx, g, lp.env().Sources, lp.log, st, dels)
}

// confirmed returns what may be deleted from mailbox m, or why nothing
// may be: see the command's help for the rules.
func confirmed(ctx context.Context, st state.Store, v *plan.Verification, m config.Mailbox) (deletion, error) {
	d := deletion{m: m}
	var vm *plan.VerifyMailbox
	for i := range v.Mailboxes {
		if strings.EqualFold(v.Mailboxes[i].Address, m.EmailAddress) {
			vm = &v.Mailboxes[i]
		}
	}
	switch {
	case vm == nil:
		return d, fmt.Errorf("mailbox %s: the verification file does not cover it", m.EmailAddress)
	case !strings.EqualFold(vm.Target, m.Target()):
		return d, fmt.Errorf("mailbox %s: it was verified against target %s, the row now says %s", m.EmailAddress, vm.Target, m.Target())
	case !vm.OK || vm.Failed() || vm.Unreachable:
		return d, fmt.Errorf("mailbox %s: its verification did not pass (%d missing, %d doubled, %d changed, %d errors)", m.EmailAddress, vm.Missing, vm.Doubled, vm.Changed, vm.Errors)
	}
	inboxVerified := false
	for _, f := range vm.Folders {
		inboxVerified = inboxVerified || f.Source == pop3.FolderName
	}
	if !inboxVerified {
		return d, fmt.Errorf("mailbox %s: the verification did not compare its %s", m.EmailAddress, pop3.FolderName)
	}
	all, err := st.Mailboxes(ctx)
	if err != nil {
		return d, fmt.Errorf("mailbox %s: reading the state: %w", m.EmailAddress, err)
	}
	var sm state.Mailbox
	found := false
	for _, s := range all {
		if strings.EqualFold(s.SourceAddress, m.EmailAddress) {
			sm, found = s, true
		}
	}
	switch {
	case !found:
		return d, fmt.Errorf("mailbox %s: the state records no run of it", m.EmailAddress)
	case sm.UpdatedAt.After(v.CreatedAt):
		return d, fmt.Errorf("mailbox %s: the verification (%s) is stale: older than the mailbox's last run (%s)", m.EmailAddress, v.CreatedAt.Format(time.RFC3339), sm.UpdatedAt.UTC().Format(time.RFC3339))
	case sm.Status != state.StatusMigrated:
		return d, fmt.Errorf("mailbox %s: its last run ended %s", m.EmailAddress, sm.Status)
	}
	for it, err := range st.Items(ctx, state.ItemQuery{Mailbox: sm.ID, Folder: pop3.FolderName}) {
		if err != nil {
			return d, fmt.Errorf("mailbox %s: reading the state: %w", m.EmailAddress, err)
		}
		if it.UpdatedAt.After(v.CreatedAt) {
			return d, fmt.Errorf("mailbox %s: the verification (%s) is stale: the state recorded item %s after it (%s)", m.EmailAddress, v.CreatedAt.Format(time.RFC3339), it.SourceKey, it.UpdatedAt.UTC().Format(time.RFC3339))
		}
		if it.Status == state.StatusMigrated && it.TargetID != "" {
			d.keys = append(d.keys, it.SourceKey)
			d.bytes += it.Bytes
		}
	}
	return d, nil
}

// printDeletions prints what will be deleted, per mailbox.
func printDeletions(w io.Writer, dels []deletion) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "mailbox\tmessages\tsize\t")
	var n, b int64
	for _, d := range dels {
		fmt.Fprintf(tw, "%s\t%s\t%s\t\n", d.m.EmailAddress, humanize.Number(int64(len(d.keys))), humanize.Bytes(d.bytes))
		n += int64(len(d.keys))
		b += d.bytes
	}
	fmt.Fprintf(tw, "total\t%s\t%s\t\n", humanize.Number(n), humanize.Bytes(b))
	tw.Flush()
}

// deleteConfirmed deletes each mailbox's confirmed messages, records the
// command as a run in the state, and logs what was deleted.
func deleteConfirmed(ctx context.Context, g *globalOptions, open migrate.SourceOpener, log *slog.Logger, st state.Store, dels []deletion) error {
	host, _ := os.Hostname()
	runID, err := st.StartRun(ctx, state.Run{StartedAt: time.Now(), Command: "pop3-delete", Host: host, PID: os.Getpid()})
	if err != nil {
		return fmt.Errorf("pop3-delete: %w", err)
	}
	failed, unreachable := 0, false
	for _, d := range dels {
		if len(d.keys) == 0 {
			continue
		}
		mlog := log.With("component", componentPOP3Delete, "mailbox", d.m.EmailAddress)
		res, err := deleteMailbox(ctx, open, mlog, d)
		if len(res.Deleted) > 0 || err == nil {
			mlog.Info("deleted from the source", "deleted", len(res.Deleted), "bytes", res.Bytes, "not_found", len(res.NotFound))
			fmt.Fprintf(g.stdout, "%s: deleted %s (%s)", d.m.EmailAddress, humanize.Plural(int64(len(res.Deleted)), "message", "messages"), humanize.Bytes(res.Bytes))
			if len(res.NotFound) > 0 {
				fmt.Fprintf(g.stdout, "; %d no longer in the source", len(res.NotFound))
			}
			fmt.Fprintln(g.stdout)
		}
		if err != nil {
			failed++
			unreachable = unreachable || errors.Is(err, source.ErrConnect) || errors.Is(err, source.ErrAuth)
			mlog.Error("deleting from the source", "err", err)
			fmt.Fprintf(g.stdout, "%s: FAILED: %v\n", d.m.EmailAddress, err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	outcome := "ok"
	if failed > 0 {
		outcome = "failed"
	}
	if err := st.EndRun(context.WithoutCancel(ctx), runID, outcome, time.Now()); err != nil {
		log.Error("recording the end of pop3-delete", "component", componentPOP3Delete, "err", err)
	}
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case failed > 0 && unreachable:
		return withCode(exitConnect, fmt.Errorf("pop3-delete: %s could not be reached", humanize.Plural(int64(failed), "mailbox", "mailboxes")))
	case failed > 0:
		return withCode(exitItemsFailed, fmt.Errorf("pop3-delete: %s failed", humanize.Plural(int64(failed), "mailbox", "mailboxes")))
	}
	return nil
}

// deleteMailbox deletes d's messages in one POP3 session.
func deleteMailbox(ctx context.Context, open migrate.SourceOpener, log *slog.Logger, d deletion) (source.DeleteResult, error) {
	acct, err := open(ctx, d.m, log)
	if err != nil {
		return source.DeleteResult{}, fmt.Errorf("mailbox %s: %w", d.m.EmailAddress, err)
	}
	defer acct.Close()
	del, ok := source.As[source.Deleter](acct)
	if !ok {
		return source.DeleteResult{}, fmt.Errorf("mailbox %s: its source cannot delete", d.m.EmailAddress)
	}
	res, err := del.Delete(ctx, source.Folder{Path: []string{pop3.FolderName}, Name: pop3.FolderName, Kind: source.KindMessage}, d.keys)
	if err != nil {
		return res, fmt.Errorf("mailbox %s: %w", d.m.EmailAddress, err)
	}
	return res, nil
}
