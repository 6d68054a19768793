package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/migrate/humanize"
	"github.com/migrate-tool/migrate/migrate/state"
)

// mailboxStatus is one mailbox's line of `migrate status`.
type mailboxStatus struct {
	Mailbox  string                        `json:"mailbox"`
	Target   string                        `json:"target"`
	Status   state.Status                  `json:"status"`
	Reason   string                        `json:"reason,omitempty"`
	Counts   map[state.Status]state.Counts `json:"counts"`
	Progress float64                       `json:"progress"`
}

func newStatusCmd(g *globalOptions) *cobra.Command {
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show migration progress from the state database",
		Long: `status reads the state database (read-only, so it works while a run goes on)
and prints per mailbox how many items are migrated, skipped, failed and
pending, with their sizes.`,
		Example: `  migrate status
  migrate status --json
  migrate status --state /srv/contoso/.migrate/state.db`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var p *config.Project
			if g.statePath == "" {
				var err error
				if p, err = g.loadProject(config.Options{SkipMailboxes: true, AllowMissing: true}); err != nil {
					return err
				}
			}
			path := g.stateFile(p)
			if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
				return usageError(fmt.Errorf("status: no state database at %s; run `migrate run` first or pass --state", path))
			}
			st, err := state.Open(ctx, path, &state.Options{Mode: state.ReadOnly})
			if err != nil {
				return fmt.Errorf("status: %w", err)
			}
			defer st.Close()
			mbs, err := st.Mailboxes(ctx)
			if err != nil {
				return fmt.Errorf("status: %w", err)
			}
			rows := make([]mailboxStatus, 0, len(mbs))
			for _, m := range mbs {
				sum, err := st.Summary(ctx, m.ID)
				if err != nil {
					return fmt.Errorf("status: mailbox %s: %w", m.ID, err)
				}
				rows = append(rows, mailboxStatus{Mailbox: m.SourceAddress, Target: m.TargetAddress, Status: m.Status, Reason: m.Reason, Counts: sum, Progress: progress(sum)})
			}
			if jsonOut {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"state": path, "mailboxes": rows})
			}
			return printStatus(g, path, rows)
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print JSON")
	return cmd
}

// progress is the share of items that reached an end state.
func progress(sum map[state.Status]state.Counts) float64 {
	var done, all int64
	for s, c := range sum {
		all += c.Items
		if s != state.StatusPending {
			done += c.Items
		}
	}
	if all == 0 {
		return 0
	}
	return float64(done) / float64(all)
}

func printStatus(g *globalOptions, path string, rows []mailboxStatus) error {
	fmt.Fprintf(g.stdout, "state: %s\n", path)
	if len(rows) == 0 {
		fmt.Fprintln(g.stdout, "no mailboxes recorded yet")
		return nil
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mailbox\tstatus\tmigrated\tskipped\tfailed\tpending\tbytes migrated\tdone\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%s\t%.0f%%\t\n", r.Mailbox, r.Status,
			r.Counts[state.StatusMigrated].Items, r.Counts[state.StatusSkipped].Items,
			r.Counts[state.StatusFailed].Items, r.Counts[state.StatusPending].Items,
			humanize.Bytes(r.Counts[state.StatusMigrated].Bytes), 100*r.Progress)
	}
	return tw.Flush()
}
