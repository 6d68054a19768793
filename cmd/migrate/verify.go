package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/migrate-tool/migrate/migrate"
	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/report"
)

// verifyOptions are the flags of `migrate verify`.
type verifyOptions struct {
	out            string
	mailboxes      []string
	maskAddrs      bool
	allowPlaintext bool
	maxListed      int
}

func newVerifyCmd(g *globalOptions) *cobra.Command {
	o := &verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Prove that every source item arrived in the target, once",
		Long: `verify compares source and target folder by folder and item by item (source
key stamps, counts, sizes) and lists anything missing, doubled or changed.
It reads both sides and the state, and writes nothing but --out.

An item is missing when its target folder holds no item stamped with its
source key, doubled when it holds more than one, and changed when the
source item's size differs from the size the state recorded at migration,
or the stamped item is not the one the state recorded. Items the mapping
skips (filters, excluded folders, \Deleted) are not expected. Stamped
target items whose source item is gone are listed as extra, not a failure.
A calendar series is also changed when the target still has an occurrence
the source cancelled (read from Graph's /instances).

A run with the state kept does not recreate an item deleted from the target
since the migration; run without the state file (--state naming a new file, or
delete it) to recreate what is missing, found by the stamps of the rest.

Exit codes: 0 everything matches, 1 something is missing, doubled or
changed (each listed with mailbox, folder, item and what is wrong), 2 usage
or configuration error, 3 a source or the target could not be reached.`,
		Example: `  migrate verify
  migrate verify --out verify.json
  migrate verify --mailbox alice@contoso.com`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerify(cmd.Context(), g, o)
		},
	}
	cmd.Flags().StringVar(&o.out, "out", "", "also write the result as JSON to this file (for migrate report)")
	cmd.Flags().StringSliceVar(&o.mailboxes, "mailbox", nil, "only these mailboxes (repeatable)")
	cmd.Flags().BoolVar(&o.maskAddrs, "mask-addresses", false, "mask email addresses in the printed result")
	cmd.Flags().BoolVar(&o.allowPlaintext, "allow-plaintext", false, "allow source passwords over unencrypted connections (source.allow_plaintext)")
	cmd.Flags().IntVar(&o.maxListed, "max-listed", 50, "most problems printed per mailbox (all are in --out)")
	return cmd
}

func runVerify(ctx context.Context, g *globalOptions, o *verifyOptions) error {
	var sets []string
	if o.allowPlaintext {
		sets = append(sets, "source.allow_plaintext=true")
	}
	lp, err := g.loadMailboxes(sets, o.mailboxes)
	if err != nil {
		return err
	}
	p, log, mailboxes := lp.p, lp.log, lp.mailboxes
	if err := p.RequireTarget(); err != nil {
		return usageError(fmt.Errorf("verify: %w", err))
	}
	open, err := openTarget(ctx, p, log)
	if err != nil {
		return err
	}
	v := &migrate.Verifier{Env: lp.env(), Tool: planTool()}
	v.Target = open
	st, err := openStateIfAny(ctx, g.stateFile(p))
	if err != nil {
		return err
	}
	if st != nil {
		defer st.Close()
		v.Store = st
	}
	res, err := v.Verify(ctx, mailboxes)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if o.out != "" {
		if err := plan.WriteVerification(o.out, res); err != nil {
			return fmt.Errorf("verify: %w", err)
		}
	}
	printVerify(g.stdout, res, o.maskAddrs, o.maxListed)
	switch {
	case res.OK:
		return nil
	case migrate.ConnectFailed(res):
		return withCode(exitConnect, fmt.Errorf("verify: a source or the target could not be reached"))
	}
	t := res.Totals
	return withCode(exitItemsFailed, fmt.Errorf("verify: %d missing, %d doubled, %d changed, %d errors", t.Missing, t.Doubled, t.Changed, t.Errors))
}

// printVerify prints a line per mailbox, then the problems.
func printVerify(w io.Writer, v *plan.Verification, mask bool, maxListed int) {
	addr := func(s string) string {
		if mask {
			return report.MaskAddress(s)
		}
		return s
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "mailbox\texpected\tmatched\tmissing\tdoubled\tchanged\textra\tskipped\tresult\t")
	for _, m := range v.Mailboxes {
		result := "ok"
		if !m.OK {
			result = "FAILED"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t\n", addr(m.Address), m.Expected, m.Matched, m.Missing, m.Doubled, m.Changed, m.Extra, m.Skipped, result)
	}
	t := v.Totals
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\t\n", t.Expected, t.Matched, t.Missing, t.Doubled, t.Changed, t.Extra, t.Skipped)
	tw.Flush()
	for _, m := range v.Mailboxes {
		listed := 0
		for _, p := range m.Problems {
			if listed == maxListed {
				fmt.Fprintf(w, "... and more problems of %s (write them all with --out)\n", addr(m.Address))
				break
			}
			listed++
			detail := p.Detail
			if mask {
				detail = report.MaskText(detail)
			}
			switch {
			case p.Key != "":
				fmt.Fprintf(w, "%s: mailbox %s, folder %s, item %s: %s\n", p.Kind, addr(m.Address), p.Folder, p.Key, detail)
			case p.Folder != "":
				fmt.Fprintf(w, "%s: mailbox %s, folder %s: %s\n", p.Kind, addr(m.Address), p.Folder, detail)
			default:
				fmt.Fprintf(w, "%s: mailbox %s: %s\n", p.Kind, addr(m.Address), detail)
			}
		}
	}
	if v.OK {
		fmt.Fprintln(w, "\nVerified: every item is in the target exactly once.")
	}
}
