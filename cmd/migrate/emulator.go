package main

import "github.com/spf13/cobra"

// newEmulatorCmd is replaced by the Graph emulator's command.
func newEmulatorCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "emulator",
		Short: "Serve a local Microsoft Graph emulator for tests and demos",
		RunE:  func(cmd *cobra.Command, args []string) error { return notImplemented(cmd) },
	}
}
