package main

import "github.com/spf13/cobra"

func newVerifyCmd(g *globalOptions) *cobra.Command {
	var out string
	var mailboxes []string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Prove that every source item arrived in the target, once",
		Long: `verify compares source and target folder by folder and item by item (source
key stamps, counts, sizes) and lists anything missing, doubled or changed.
It exits 0 only when everything matches, so it can gate a CI pipeline.`,
		Example: `  migrate verify
  migrate verify --out verify.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return notImplemented(cmd) },
	}
	cmd.Flags().StringVar(&out, "out", "", "also write the result as JSON to this file")
	cmd.Flags().StringSliceVar(&mailboxes, "mailbox", nil, "only these mailboxes (repeatable)")
	return cmd
}
