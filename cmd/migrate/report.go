package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/migrate/state"
	"github.com/migrate-tool/migrate/report"
)

// reportOptions are the flags of `migrate report`.
type reportOptions struct {
	kind, format, out, plan, verify string
	paper                           string
	mask                            bool
	planSet                         bool
}

func newReportCmd(g *globalOptions) *cobra.Command {
	o := &reportOptions{}
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write the assessment or migration report for the client",
		Long: `report writes the assessment (from a plan file) or the migration report
(from the state database and a verification) as HTML, PDF, Markdown or JSON.

The assessment says what the migration will do: per mailbox the items,
sizes and dates, what is skipped and why, items over Exchange's limits,
folder names that change, the estimated duration and the risks. The
migration report says what was done: items migrated, skipped and failed per
mailbox, progress over time, and the verification's proof (migrate verify
--out verify.json, then --verify verify.json here).

HTML is one self-contained file with a print stylesheet (A4 and Letter);
PDF needs no browser. Markdown suits tickets and wikis; JSON is for CI (its
schema is report/schema/report-v1.schema.json). The cover shows client,
consultant and logo from migration.yaml. No secret is ever printed;
--mask-addresses masks email addresses (a***e@contoso.com).`,
		Example: `  migrate report --kind assessment --plan plan.json --format pdf --out assessment.pdf
  migrate verify --out verify.json
  migrate report --kind migration --verify verify.json --format html --out report.html
  migrate report --kind migration --format json | jq .summary`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.planSet = cmd.Flags().Changed("plan")
			return runReport(cmd.Context(), g, o)
		},
	}
	cmd.Flags().StringVar(&o.kind, "kind", "migration", "assessment or migration")
	cmd.Flags().StringVar(&o.format, "format", "html", "html, pdf, md or json")
	cmd.Flags().StringVar(&o.out, "out", "", "output file (default: stdout for md and json, <kind>.<format> for html and pdf)")
	cmd.Flags().StringVar(&o.plan, "plan", "plan.json", "plan file: the assessment's source; optional for --kind migration")
	cmd.Flags().StringVar(&o.verify, "verify", "", "verification file from migrate verify --out, for --kind migration")
	cmd.Flags().BoolVar(&o.mask, "mask-addresses", false, "mask email addresses")
	cmd.Flags().StringVar(&o.paper, "paper", "A4", "paper size of the PDF: A4 or Letter (HTML prints on either)")
	return cmd
}

func runReport(ctx context.Context, g *globalOptions, o *reportOptions) error {
	format := report.Format(o.format)
	switch format {
	case report.FormatHTML, report.FormatPDF, report.FormatMarkdown, report.FormatJSON:
	default:
		return usageError(fmt.Errorf("report: --format %q: want html, pdf, md or json", o.format))
	}
	if p := strings.ToLower(o.paper); p != "a4" && p != "letter" {
		return usageError(fmt.Errorf("report: --paper %q: want A4 or Letter", o.paper))
	}
	if o.kind != string(report.KindAssessment) && o.kind != string(report.KindMigration) {
		return usageError(fmt.Errorf("report: --kind %q: want assessment or migration", o.kind))
	}
	p, err := g.loadProject(config.Options{SkipMailboxes: true, AllowMissing: true})
	if err != nil {
		return err
	}
	opts := &report.Options{Mask: o.mask, Tool: planTool(), Client: p.Settings.Client, Consultant: p.Settings.Consultant}
	if p.Settings.Logo != "" {
		if opts.Logo, err = readLogo(p.Resolve(p.Settings.Logo)); err != nil {
			return usageError(fmt.Errorf("report: logo (%s): %w", p.Place("logo"), err))
		}
	}
	var doc *report.Document
	if o.kind == string(report.KindAssessment) {
		saved, err := plan.Read(o.plan)
		if err != nil {
			return usageError(fmt.Errorf("report: %w (make one with migrate plan --out %s)", err, o.plan))
		}
		doc = report.Assessment(saved, opts)
	} else {
		path := g.stateFile(p)
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return usageError(fmt.Errorf("report: no state database at %s; run migrate run first or pass --state", path))
		}
		st, err := state.Open(ctx, path, &state.Options{Mode: state.ReadOnly})
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		in, err := report.LoadMigration(ctx, st)
		st.Close()
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		if o.verify != "" {
			if in.Verification, err = plan.ReadVerification(o.verify); err != nil {
				return usageError(fmt.Errorf("report: %w", err))
			}
		}
		if o.planSet {
			if in.Plan, err = plan.Read(o.plan); err != nil {
				return usageError(fmt.Errorf("report: %w", err))
			}
		}
		doc = report.Migration(in, opts)
	}
	var b bytes.Buffer
	if format == report.FormatPDF {
		err = report.WritePDFPaper(&b, doc, o.paper)
	} else {
		err = report.Render(&b, doc, format)
	}
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	out := o.out
	if out == "" && (format == report.FormatHTML || format == report.FormatPDF) {
		out = o.kind + "." + o.format
	}
	if out == "" || out == "-" {
		_, err := g.stdout.Write(b.Bytes())
		return err
	}
	if err := os.WriteFile(out, b.Bytes(), 0o600); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	fmt.Fprintf(g.stdout, "Wrote the %s report to %s (%s).\n", o.kind, out, strings.ToUpper(o.format))
	return nil
}

// readLogo reads a PNG or JPEG logo.
func readLogo(path string) (*report.Image, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	typ := http.DetectContentType(data)
	if typ != "image/png" && typ != "image/jpeg" {
		return nil, fmt.Errorf("%s is %s; want a PNG or JPEG image", path, typ)
	}
	return &report.Image{Data: data, Type: typ}, nil
}
