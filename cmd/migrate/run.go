package main

import "github.com/spf13/cobra"

// runOptions are the flags of `migrate run`.
type runOptions struct {
	plan           string
	dryRun         bool
	progress       string
	mailboxes      []string
	allowPlaintext bool
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

Exit codes: 0 all items migrated or skipped with a reason, 1 some items
failed, 2 usage or configuration error, 3 cannot connect or authenticate,
130 interrupted.`,
		Example: `  migrate run
  migrate run --dry-run --progress plain
  migrate run --plan plan.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return notImplemented(cmd) },
	}
	cmd.Flags().StringVar(&o.plan, "plan", "", "do exactly this saved plan (from migrate plan --out)")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "read and map everything, check every limit, write nothing to the target")
	cmd.Flags().StringVar(&o.progress, "progress", "auto", "progress output: auto, bar, plain, json or none")
	cmd.Flags().StringSliceVar(&o.mailboxes, "mailbox", nil, "only these mailboxes (EmailAddress; repeatable)")
	cmd.Flags().BoolVar(&o.allowPlaintext, "allow-plaintext", false, "allow source passwords over unencrypted connections")
	return cmd
}
