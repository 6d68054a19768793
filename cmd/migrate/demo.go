package main

import "github.com/spf13/cobra"

func newDemoCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "demo",
		Short:   "Run the whole job on built-in test mailboxes and a local Graph emulator",
		Example: "  make demo\n  migrate demo",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return notImplemented(cmd) },
	}
	return cmd
}
