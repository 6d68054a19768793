package main

import "github.com/spf13/cobra"

func newStatusCmd(g *globalOptions) *cobra.Command {
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show migration progress from the state database",
		Long: `status reads the state database (read-only, so it works while a run goes on)
and prints per mailbox how many items are migrated, skipped, failed and
pending.`,
		Example: `  migrate status
  migrate status --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return notImplemented(cmd) },
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print JSON")
	return cmd
}
