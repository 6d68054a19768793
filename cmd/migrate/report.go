package main

import "github.com/spf13/cobra"

func newReportCmd(g *globalOptions) *cobra.Command {
	var kind, format, out, plan string
	var mask bool
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write the assessment or migration report for the client",
		Long: `report writes the assessment (from a plan file) or the migration report
(from the state database and a verify) as HTML, PDF, Markdown or JSON.`,
		Example: `  migrate report --kind assessment --plan plan.json --format pdf --out assessment.pdf
  migrate report --kind migration --format html --out report.html`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return notImplemented(cmd) },
	}
	cmd.Flags().StringVar(&kind, "kind", "migration", "assessment or migration")
	cmd.Flags().StringVar(&format, "format", "html", "html, pdf, md or json")
	cmd.Flags().StringVar(&out, "out", "", "output file (default: stdout for md and json)")
	cmd.Flags().StringVar(&plan, "plan", "plan.json", "plan file, for --kind assessment")
	cmd.Flags().BoolVar(&mask, "mask-addresses", false, "mask email addresses")
	return cmd
}
