package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/migrate-tool/migrate/migrate"
	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/migrate/humanize"
	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/report"
)

// planOptions are the flags of `migrate plan`.
type planOptions struct {
	out            string
	mailboxes      []string
	maskAddrs      bool
	allowPlaintext bool
	headerMax      string
	headerTime     time.Duration
	noTarget       bool
	probe          string
	imapProbe      bool
}

func newPlanCmd(g *globalOptions) *cobra.Command {
	o := &planOptions{}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Assess every source mailbox and the target, and write a plan file",
		Long: `plan connects read-only to every source mailbox (headers and sizes only) and
to the target tenant, and says exactly what "migrate run" will do: item
counts and sizes per folder, items over Exchange's limits, folder names
that must change, duplicate Message-IDs, an estimated duration and the
risks to look at.

The plan is written to a file; "migrate run --plan FILE" does exactly that
plan and refuses it when the configuration, the state or the sources have
changed. "migrate report --kind assessment" prints it for the client.

Sources are read as the run reads them: metadata of every item, the
header of every item up to --header-max for at most --header-time per
mailbox (for duplicate Message-IDs), and a sample of whole items to
measure the read rate. Nothing is written to the sources, the target or
the state, except with --probe MAILBOX: the tenant probe (see "migrate
doctor --probe") makes a hidden folder with one message in that target
mailbox, reads it back and deletes it, and the plan records what the
tenant kept; "migrate run --plan" then chooses its path from the answers.

A POP3 row is compared with the IMAP INBOX of the same account (an IMAP
row of the CSV with the same host and login): a POP view that shows
messages INBOX lacks (Dovecot's pop3_migration_all_mailboxes, a virtual
all-mail INBOX) is a warning that names the IMAP row to use instead. With
--imap-probe, a POP3 row without such a row is compared by logging in
over IMAP (IMAPS on 993 for a tls row, STARTTLS on 143 for a starttls
row) with its credentials, read-only. A POP3 row and an IMAP row for one
target mailbox are matched by size, Date and Message-ID, and the plan
says how many messages they share (each is migrated once).

Exit codes: 0 the plan has no errors, 1 some mailboxes cannot be migrated
as planned (listed as errors; the plan file is written anyway), 2 usage or
configuration error.`,
		Example: `  migrate plan --out plan.json
  migrate plan --mailbox alice@contoso.com --out alice-plan.json
  migrate plan --mask-addresses
  migrate plan --probe test.user@contoso.com --out plan.json
  migrate plan --imap-probe`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPlan(cmd.Context(), g, o)
		},
	}
	cmd.Flags().StringVar(&o.out, "out", "plan.json", "plan file to write")
	cmd.Flags().StringSliceVar(&o.mailboxes, "mailbox", nil, "only these mailboxes (EmailAddress; repeatable)")
	cmd.Flags().BoolVar(&o.maskAddrs, "mask-addresses", false, "mask email addresses in the printed summary")
	cmd.Flags().BoolVar(&o.allowPlaintext, "allow-plaintext", false, "allow source passwords over unencrypted connections (source.allow_plaintext)")
	cmd.Flags().StringVar(&o.headerMax, "header-max", "1MB", "largest item whose header is read for duplicate Message-IDs (0 turns the check off)")
	cmd.Flags().DurationVar(&o.headerTime, "header-time", 3*time.Minute, "most time spent reading headers per mailbox (the rest is counted as unchecked)")
	cmd.Flags().BoolVar(&o.noTarget, "no-target", false, "do not contact the target tenant")
	cmd.Flags().BoolVar(&o.imapProbe, "imap-probe", false, "log in over IMAP with each POP3 row's credentials (read-only) to find a POP view that shows more than INBOX")
	cmd.Flags().StringVar(&o.probe, "probe", "", "run the tenant probe on this target mailbox (writes a hidden folder there, then deletes it) and record the answers in the plan")
	return cmd
}

// planTool is the tool version written into plan and verification files.
func planTool() string { return "migrate " + version }

func runPlan(ctx context.Context, g *globalOptions, o *planOptions) error {
	var sets []string
	if o.allowPlaintext {
		sets = append(sets, "source.allow_plaintext=true")
	}
	lp, err := g.loadMailboxes(sets, o.mailboxes)
	if err != nil {
		return err
	}
	p, log, mailboxes := lp.p, lp.log, lp.mailboxes
	headerMax, err := config.ParseSize(o.headerMax)
	if err != nil {
		return usageError(fmt.Errorf("--header-max: %w", err))
	}
	pl := &migrate.Planner{
		Env:        lp.env(),
		Settings:   p.Settings,
		Tool:       planTool(),
		HeaderMax:  int64(headerMax),
		HeaderTime: o.headerTime,
		Probe:      strings.TrimSpace(o.probe),
		IMAPProbe:  o.imapProbe,
	}
	if pl.Probe != "" && o.noTarget {
		return usageError(errors.New("--probe needs the target: leave out --no-target"))
	}
	if headerMax == 0 {
		pl.HeaderMax = -1
	}
	// The estimate models the run with the target's envelope (time-scaled
	// against a time-scaled emulator).
	if pl.Envelope, err = targetEnvelope(p); err != nil {
		return err
	}
	st, err := openStateIfAny(ctx, g.stateFile(p))
	if err != nil {
		return err
	}
	if st != nil {
		defer st.Close()
		pl.Store = st
	}
	if !o.noTarget && p.RequireTarget() == nil {
		open, err := openTarget(ctx, p, log)
		if err != nil {
			return err
		}
		pl.Target = open
	}
	res, err := pl.Plan(ctx, mailboxes)
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	if err := plan.Write(o.out, res); err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	printPlan(g.stdout, res, o.out, o.maskAddrs)
	if n := countSeverity(res.Risks, plan.SevError); n > 0 {
		return withCode(exitItemsFailed, fmt.Errorf("plan: %d problem(s) stop mailboxes from being migrated as planned (listed above as errors)", n))
	}
	return nil
}

// openStateIfAny opens the state read-only, or returns nil when there is
// none yet.
func openStateIfAny(ctx context.Context, path string) (state.Store, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	st, err := state.Open(ctx, path, &state.Options{Mode: state.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	return st, nil
}

func countSeverity(rs []plan.Risk, sev plan.Severity) int {
	n := 0
	for _, r := range rs {
		if r.Severity == sev {
			n++
		}
	}
	return n
}

// printPlan prints the plan's summary: totals, one line per mailbox and
// the risks.
func printPlan(w io.Writer, p *plan.Plan, file string, mask bool) {
	addr := func(s string) string {
		if mask {
			return report.MaskAddress(s)
		}
		return s
	}
	text := func(s string) string {
		if mask {
			return report.MaskText(s)
		}
		return s
	}
	t := p.Totals
	fmt.Fprintf(w, "Plan written to %s: %d mailboxes, %d folders, %d items (%s); %d items (%s) to migrate, %d skipped.\n",
		file, t.Mailboxes, t.Folders, t.Items, humanize.Bytes(t.Bytes), t.ToMigrate.Items, humanize.Bytes(t.ToMigrate.Bytes), t.Skipped.Items)
	fmt.Fprintf(w, "Estimated duration: %s (%d mailboxes at once; bottleneck: %s).\n\n",
		plan.FormatDuration(p.Estimate.Seconds), p.Estimate.Mailboxes, p.Estimate.Bottleneck)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "mailbox\tfolders\titems\tsize\tto migrate\tskipped\tover limit\tduplicates\ttarget\testimate\t")
	for _, m := range p.Mailboxes {
		if m.Error != "" {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t-\t-\t%s\tFAILED\t\n", addr(m.Address), targetState(m.TargetCheck))
			continue
		}
		var skipped int64
		for _, s := range m.Skips {
			skipped += s.Items
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t\n", addr(m.Address), len(m.Folders), m.Items, humanize.Bytes(m.Bytes),
			m.ToMigrate.Items, skipped, len(m.OverLimit), m.DuplicateItems, targetState(m.TargetCheck), plan.FormatDuration(m.Estimate.Seconds))
	}
	tw.Flush()
	if tp := p.TenantProbe; tp != nil {
		fmt.Fprintln(w)
		printProbe(w, tp, addr)
	}
	if len(p.Risks) == 0 {
		fmt.Fprintln(w, "\nNo risks found.")
		return
	}
	fmt.Fprintf(w, "\nRisks (%d):\n", len(p.Risks))
	for _, r := range p.Risks {
		where := ""
		if r.Mailbox != "" {
			where = addr(r.Mailbox) + ": "
		}
		fmt.Fprintf(w, "  %-7s %s%s\n", r.Severity, where, text(r.Message))
	}
}

// targetState is a short word for a target check.
func targetState(tc plan.TargetCheck) string {
	switch {
	case !tc.Checked:
		return "unchecked"
	case tc.Problem != "":
		return strings.ReplaceAll(tc.Problem, "_", " ")
	case tc.CanRead:
		return "ok"
	}
	return "reachable"
}
