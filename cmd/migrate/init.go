package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/migrate-tool/migrate/migrate/config"
)

func newInitCmd(g *globalOptions) *cobra.Command {
	var dir string
	var force bool
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write an example migration.yaml and mailboxes.csv",
		Long: `init writes a commented example project file (every setting, its environment
variable and its default) and an example mailbox CSV into a directory.
It refuses to overwrite existing files unless --force is given.`,
		Example: `  migrate init
  migrate init --dir contoso-migration`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("init: %w", err)
			}
			files := []struct {
				name, content string
				mode          os.FileMode
			}{
				{"migration.yaml", config.ExampleProject(), 0o644},
				{"mailboxes.csv", config.ExampleMailboxes(), 0o600},
			}
			for _, f := range files {
				path := filepath.Join(dir, f.name)
				flag := os.O_WRONLY | os.O_CREATE | os.O_EXCL
				if force {
					flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
				}
				fh, err := os.OpenFile(path, flag, f.mode)
				if errors.Is(err, os.ErrExist) {
					return usageError(fmt.Errorf("init: %s exists; use --force to overwrite it", path))
				}
				if err != nil {
					return fmt.Errorf("init: %w", err)
				}
				if _, err := fh.WriteString(f.content); err != nil {
					fh.Close()
					return fmt.Errorf("init: writing %s: %w", path, err)
				}
				if err := fh.Close(); err != nil {
					return fmt.Errorf("init: writing %s: %w", path, err)
				}
				fmt.Fprintf(g.stdout, "wrote %s\n", path)
			}
			fmt.Fprintln(g.stdout, "Edit them, then run `migrate doctor` and `migrate plan`.")
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", ".", "directory to write the project into")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite existing files")
	return cmd
}
