package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/migrate-tool/migrate/migrate"
	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/migrate/humanize"
	"github.com/migrate-tool/migrate/migrate/mapping"
	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/target"
)

// runOptions are the flags of `migrate run`.
type runOptions struct {
	plan           string
	dryRun         bool
	progress       string
	mailboxes      []string
	allowPlaintext bool
	spoolDir       string
}

func newRunCmd(g *globalOptions) *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Migrate the mailboxes, resumably; safe to run again",
		Long: `run moves every mailbox of the project into Exchange Online. Each item is
checkpointed in the state database only after the target confirmed it, and
every created item carries its source key, so a run stopped, killed or
repeated never duplicates an item. A second run picks up new mail.

--dry-run reads and maps everything and checks every limit, but writes
nothing to the target or the state, and says what it would create.

Exit codes: 0 all items migrated or skipped with a reason, 1 some items
failed, 2 usage or configuration error, 3 cannot connect or authenticate,
130 interrupted (in-flight items are finished and saved first).`,
		Example: `  migrate run
  migrate run --dry-run --progress plain
  migrate run --mailbox alice@contoso.com --progress json
  migrate plan --out plan.json && migrate run --plan plan.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd.Context(), g, o)
		},
	}
	cmd.Flags().StringVar(&o.plan, "plan", "", "do exactly this saved plan (from migrate plan --out)")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "read and map everything, check every limit, write nothing")
	cmd.Flags().StringVar(&o.progress, "progress", "auto", "progress output: auto, bar, plain, json or none")
	cmd.Flags().StringSliceVar(&o.mailboxes, "mailbox", nil, "only these mailboxes (EmailAddress; repeatable)")
	cmd.Flags().BoolVar(&o.allowPlaintext, "allow-plaintext", false, "allow source passwords over unencrypted connections (source.allow_plaintext)")
	cmd.Flags().StringVar(&o.spoolDir, "spool-dir", "", "directory for large attachments waiting for upload (default: the system temp dir)")
	return cmd
}

func runRun(ctx context.Context, g *globalOptions, o *runOptions) error {
	var sets []string
	if o.allowPlaintext {
		sets = append(sets, "source.allow_plaintext=true")
	}
	lp, err := g.loadMailboxes(sets, o.mailboxes)
	if err != nil {
		return err
	}
	p, log, mailboxes := lp.p, lp.log, lp.mailboxes
	var answers target.TenantAnswers
	if o.plan != "" {
		var saved *plan.Plan
		if saved, mailboxes, err = applySavedPlan(ctx, g, o, p, log); err != nil {
			return err
		}
		if answers = migrate.Answers(saved.TenantProbe); answers != (target.TenantAnswers{}) {
			log.Info("the tenant's answers come from the plan's tenant probe", "component", "run",
				"received_mail", answers.ReceivedMail, "attach_to_received", answers.AttachToReceived)
		}
	}
	progress, err := newProgress(o.progress, g.stderr, g.noColor)
	if err != nil {
		return err
	}
	g.logs.attach(progress)
	defer g.logs.detach()
	e := &migrate.Engine{
		Env:        lp.env(),
		Mailboxes:  p.Settings.Concurrency.Mailboxes,
		PerMailbox: p.Settings.Concurrency.PerMailbox,
		DryRun:     o.dryRun,
		Progress:   progress,
	}
	e.SpoolDir = o.spoolDir
	var st state.Store
	var runID int64
	if !o.dryRun {
		if err := p.RequireTarget(); err != nil {
			return usageError(err)
		}
		path := g.stateFile(p)
		st, err = state.Open(ctx, path, nil)
		if err != nil {
			if errors.Is(err, state.ErrLocked) {
				return usageError(err)
			}
			return fmt.Errorf("run: state %s: %w", path, err)
		}
		defer st.Close()
		if err := st.SetProject(ctx, state.Project{Name: p.Settings.Client, ConfigFingerprint: p.Settings.Fingerprint()}); err != nil {
			return fmt.Errorf("run: %w", err)
		}
		host, _ := os.Hostname()
		if runID, err = st.StartRun(ctx, state.Run{StartedAt: time.Now(), Command: "run", Host: host, PID: os.Getpid()}); err != nil {
			return fmt.Errorf("run: %w", err)
		}
		e.Store = st
		open, err := openTargetAnswered(ctx, p, log, answers)
		if err != nil {
			return err
		}
		e.Target = open
	}
	res, err := e.Run(ctx, mailboxes)
	progress.finish()
	if err != nil {
		return err
	}
	printRunSummary(g, res, o.dryRun)
	outcome, code := "ok", exitOK
	switch {
	case res.Interrupted:
		outcome, code = "interrupted", exitInterrupted
	case res.ConnectFailed():
		outcome, code = "connect failed", exitConnect
	case res.Failed():
		outcome, code = "items failed", exitItemsFailed
	}
	if st != nil {
		if err := st.EndRun(context.WithoutCancel(ctx), runID, outcome, time.Now()); err != nil {
			log.Error("recording the end of the run", "err", err)
		}
	}
	if code != exitOK {
		return withCode(code, fmt.Errorf("run: %s", outcome))
	}
	return nil
}

// selectMailboxes keeps the mailboxes named by --mailbox (all when none).
func selectMailboxes(all []config.Mailbox, want []string) ([]config.Mailbox, error) {
	if len(want) == 0 {
		return all, nil
	}
	var out []config.Mailbox
	for _, w := range want {
		found := false
		for _, m := range all {
			if strings.EqualFold(m.EmailAddress, w) {
				out = append(out, m)
				found = true
			}
		}
		if !found {
			return nil, usageError(fmt.Errorf("--mailbox %s: not in the mailbox list", w))
		}
	}
	return out, nil
}

func printRunSummary(g *globalOptions, res *migrate.Result, dryRun bool) {
	created := "migrated"
	if dryRun {
		created = "would create"
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "mailbox\t%s\talready done\tskipped\tfailed\tbytes\t\n", created)
	var tm, td, ts, tf, tb int64
	for _, m := range res.Mailboxes {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t\n", m.Mailbox, m.Migrated, m.Done, m.Skipped, m.Failed, humanize.Bytes(m.Bytes))
		tm, td, ts, tf, tb = tm+m.Migrated, td+m.Done, ts+m.Skipped, tf+m.Failed, tb+m.Bytes
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t%d\t%s\t\n", tm, td, ts, tf, humanize.Bytes(tb))
	tw.Flush()
	var contacts, events int64
	for _, m := range res.Mailboxes {
		contacts, events = contacts+m.Contacts, events+m.Events
	}
	if contacts+events > 0 {
		verb := "created"
		if dryRun {
			verb = "would be created"
		}
		fmt.Fprintf(g.stdout, "contacts: %d %s, events: %d %s\n", contacts, verb, events, verb)
	}
	for _, m := range res.Mailboxes {
		if m.Err != nil {
			fmt.Fprintf(g.stdout, "\n%s: stopped: %v\n", m.Mailbox, m.Err)
		}
		for _, f := range m.Failures {
			fmt.Fprintf(g.stdout, "failed: mailbox %s, folder %s, item %s: %s\n", m.Mailbox, f.Folder, f.Key, f.Reason)
		}
		for _, c := range m.Changed {
			fmt.Fprintf(g.stdout, "note: mailbox %s, folder %s, item %s: %s\n", m.Mailbox, c.Folder, c.Key, c.Reason)
		}
		if int(m.Failed) > len(m.Failures) {
			fmt.Fprintf(g.stdout, "... and %d more failures of %s in the state (migrate status)\n", int(m.Failed)-len(m.Failures), m.Mailbox)
		}
		if m.KeywordsDropped > 0 {
			items, verb := "items", "migrated"
			if m.KeywordsDropped == 1 {
				items = "item"
			}
			if dryRun {
				verb = "would be created"
			}
			fmt.Fprintf(g.stdout, "keywords dropped: mailbox %s, %d %s %s without keywords the target has no place for: %s\n",
				m.Mailbox, m.KeywordsDropped, items, verb, keywordList(m.DroppedKeywords))
		}
		if n := m.ReceivedFrom[mapping.ReceivedFromHeader] + m.ReceivedFrom[mapping.ReceivedFromDate] + m.ReceivedFrom[mapping.ReceivedFromRun]; n > 0 {
			fmt.Fprintf(g.stdout, "received date from: mailbox %s, server %d, Received header %d, Date header %d, time of run %d\n", m.Mailbox,
				m.ReceivedFrom[mapping.ReceivedFromServer], m.ReceivedFrom[mapping.ReceivedFromHeader], m.ReceivedFrom[mapping.ReceivedFromDate], m.ReceivedFrom[mapping.ReceivedFromRun])
		}
	}
	if res.Interrupted {
		fmt.Fprintln(g.stdout, "\nInterrupted: in-flight items were finished and recorded; run again to continue.")
	}
}

// keywordList formats dropped keywords as "$MDNSent (3), $Junk (1)".
func keywordList(kws []plan.KeywordCount) string {
	parts := make([]string, len(kws))
	for i, k := range kws {
		parts[i] = fmt.Sprintf("%s (%d)", k.Keyword, k.Items)
	}
	return strings.Join(parts, ", ")
}

// applySavedPlan reads the plan file of run --plan and checks that it is
// current: made for this configuration, with no run since, and with every
// planned mailbox's source unchanged (listed again, metadata only). It
// returns the plan and its mailboxes; a stale plan is refused with every reason.
func applySavedPlan(ctx context.Context, g *globalOptions, o *runOptions, p *config.Project, log *slog.Logger) (*plan.Plan, []config.Mailbox, error) {
	if len(o.mailboxes) > 0 {
		return nil, nil, usageError(errors.New("run --plan runs the plan's mailboxes; make a plan with --mailbox instead of passing it to run"))
	}
	saved, err := plan.Read(o.plan)
	if err != nil {
		return nil, nil, usageError(fmt.Errorf("run --plan: %w", err))
	}
	mailboxes, err := migrate.PlannedMailboxes(saved, p.Mailboxes)
	if err != nil {
		return nil, nil, usageError(fmt.Errorf("run --plan %s: saved plan is stale: %w; run migrate plan again", o.plan, err))
	}
	st, err := openStateIfAny(ctx, g.stateFile(p))
	if err != nil {
		return nil, nil, err
	}
	mark, err := migrate.StateMark(ctx, st)
	if st != nil {
		st.Close()
	}
	if err != nil {
		return nil, nil, err
	}
	rules, err := mapping.ProjectRules(p.Settings)
	if err != nil {
		return nil, nil, usageError(fmt.Errorf("%s: %w", p.Path, err))
	}
	now := plan.Now{ConfigFingerprint: p.Settings.Fingerprint(), State: mark}
	for _, m := range p.Mailboxes {
		now.Mailboxes = append(now.Mailboxes, migrate.PlanRow(m))
	}
	env := migrate.Env{Sources: openSources(p), Rules: rules,
		Items: mapping.NewItemOptions(p.Settings.Filters, p.Settings.Target, p.Settings.Keywords), POP3Unread: !p.Settings.POP3.Read, Dedupe: p.Settings.Dedupe.AcrossRows, Secrets: p.Secrets(), Log: log}
	planner := &migrate.Planner{Env: env, Settings: p.Settings}
	if now.Inventory, err = planner.Relist(ctx, mailboxes); err != nil {
		return nil, nil, err
	}
	if problems := plan.Problems(saved, now); len(problems) > 0 {
		return nil, nil, usageError(fmt.Errorf("run --plan %s: saved plan is stale, made %s:\n  - %s\nRun migrate plan again (or migrate run without --plan)",
			o.plan, saved.CreatedAt.Format(time.RFC3339), strings.Join(problems, "\n  - ")))
	}
	fmt.Fprintf(g.stdout, "Applying plan %s (made %s): %d mailboxes, %d items to migrate, estimated %s.\n",
		o.plan, saved.CreatedAt.Format(time.RFC3339), len(mailboxes), saved.Totals.ToMigrate.Items, plan.FormatDuration(saved.Estimate.Seconds))
	return saved, mailboxes, nil
}
