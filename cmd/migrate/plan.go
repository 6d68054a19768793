package main

import "github.com/spf13/cobra"

// planOptions are the flags of `migrate plan`.
type planOptions struct {
	out       string
	mailboxes []string
	maskAddrs bool
}

func newPlanCmd(g *globalOptions) *cobra.Command {
	o := &planOptions{}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Assess every source mailbox and the target, and write a plan file",
		Long: `plan connects read-only to every source mailbox (headers and sizes only) and
to the target tenant, and says exactly what "migrate run" will do: item
counts and sizes per folder, items over Exchange's limits, folder names
that must change, an estimated duration and the risks to look at.

The plan is written to a file; "migrate run --plan FILE" does exactly that
plan and refuses it when the configuration or the sources have changed.`,
		Example: `  migrate plan --out plan.json
  migrate plan --mailbox alice@contoso.com --out alice-plan.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return notImplemented(cmd) },
	}
	cmd.Flags().StringVar(&o.out, "out", "plan.json", "plan file to write")
	cmd.Flags().StringSliceVar(&o.mailboxes, "mailbox", nil, "only these mailboxes (EmailAddress; repeatable)")
	cmd.Flags().BoolVar(&o.maskAddrs, "mask-addresses", false, "mask email addresses in the printed summary")
	return cmd
}
