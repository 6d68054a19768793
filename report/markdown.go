package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/migrate/plan"
)

// Format is an output format of a report.
type Format string

// The output formats.
const (
	FormatHTML     Format = "html"
	FormatPDF      Format = "pdf"
	FormatMarkdown Format = "md"
	FormatJSON     Format = "json"
)

// Render writes d in format f to w.
func Render(w io.Writer, d *Document, f Format) error {
	switch f {
	case FormatJSON:
		return WriteJSON(w, d)
	case FormatMarkdown:
		return WriteMarkdown(w, d)
	case FormatHTML:
		return WriteHTML(w, d)
	case FormatPDF:
		return WritePDF(w, d)
	}
	return fmt.Errorf("report: unknown format %q (want html, pdf, md or json)", f)
}

// WriteJSON writes d as indented JSON (the schema migrate-report/v1).
func WriteJSON(w io.Writer, d *Document) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// WriteMarkdown writes d as GitHub-flavoured Markdown. Charts become
// tables.
func WriteMarkdown(w io.Writer, d *Document) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# %s\n\n", md(d.Title))
	if d.Client != "" {
		p("**Client:** %s  \n", md(d.Client))
	}
	if d.Consultant != "" {
		p("**Prepared by:** %s  \n", md(d.Consultant))
	}
	p("**Date:** %s\n\n", d.GeneratedAt.UTC().Format("2 January 2006"))
	for _, s := range d.Source {
		p("%s\n", md(s))
	}
	p("\n## Executive summary\n\n**%s**\n\n", md(d.Summary.Headline))
	for _, s := range d.Summary.Points {
		p("- %s\n", md(s))
	}

	p("\n## Mailboxes\n\n")
	if d.Kind == KindAssessment {
		table(&b, []string{"Mailbox", "Status", "Items", "Size", "To migrate", "Skipped", "Over limit", "Dates", "Estimate"}, "l l r r r r r l r",
			rows(d.Mailboxes, func(r MailboxRow) []string {
				return []string{r.Address, r.Status, Number(r.Items), Bytes(r.Bytes), Number(r.Migrate.Items), Number(r.Skipped), Number(r.OverLimit), dateRange(r.Oldest, r.Newest), estimateCell(r)}
			}))
	} else {
		table(&b, []string{"Mailbox", "Status", "Migrated", "Size", "Skipped", "Failed", "Pending", "Verified"}, "l l r r r r r l",
			rows(d.Mailboxes, func(r MailboxRow) []string {
				return []string{r.Address, shownStatus(r), Number(r.Migrate.Items), Bytes(r.Migrate.Bytes), Number(r.Skipped), Number(r.Failed), Number(r.Pending), verifyCell(r)}
			}))
	}

	p("\n## Charts\n\n")
	chartTable(&b, "Mailbox sizes", "Size", d.Charts.MailboxSizes, func(v float64) string { return Bytes(int64(v)) })
	chartTable(&b, "Items per year", "Items", d.Charts.ItemsPerYear, func(v float64) string { return Number(int64(v)) })
	chartTable(&b, "Item sizes", "Items", d.Charts.SizeBuckets, func(v float64) string { return Number(int64(v)) })
	if len(d.Charts.Outcomes) > 0 {
		p("### Outcome per mailbox\n\n")
		table(&b, []string{"Mailbox", "Migrated", "Skipped", "Failed", "Pending"}, "l r r r r", rows(d.Charts.Outcomes, func(o Outcomes) []string {
			return []string{o.Label, Number(o.Migrated), Number(o.Skipped), Number(o.Failed), Number(o.Pending)}
		}))
		p("\n")
	}
	if len(d.Charts.Progress) > 0 {
		p("### Progress over time\n\n")
		table(&b, []string{"Time (UTC)", "Items migrated", "Size migrated"}, "l r r", rows(d.Charts.Progress, func(pt Point) []string {
			return []string{pt.Time.UTC().Format("2006-01-02 15:04:05"), Number(pt.Items), Bytes(pt.Bytes)}
		}))
		p("\n")
	}

	p("## Items needing attention\n\n")
	if len(d.Attention) == 0 {
		p("Nothing needs attention.\n")
	} else {
		table(&b, []string{"Severity", "Mailbox", "Folder", "Item", "Reason"}, "l l l l l", rows(d.Attention, func(a Attention) []string {
			return []string{a.Severity, a.Mailbox, a.Folder, a.Item, a.Reason}
		}))
	}

	p("\n## Appendix\n")
	for _, a := range d.Appendix {
		p("\n### %s\n\n", md(a.Mailbox))
		table(&b, []string{"", ""}, "l l", rows(a.Facts, func(f Fact) []string { return []string{"**" + f.Label + "**", f.Value} }))
		if len(a.Folders) > 0 {
			p("\n")
			if d.Kind == KindAssessment {
				table(&b, []string{"Folder", "Goes to", "Items", "Size", "To migrate", "Dates", "Notes"}, "l l r r r l l", rows(a.Folders, func(f FolderRow) []string {
					return []string{f.Source, f.Target, Number(f.Items), Bytes(f.Bytes), Number(f.Migrate), dateRange(f.Oldest, f.Newest), strings.Join(f.Notes, "; ")}
				}))
			} else {
				table(&b, []string{"Folder", "In Exchange Online", "Migrated", "Skipped", "Failed", "Size"}, "l l r r r r", rows(a.Folders, func(f FolderRow) []string {
					return []string{f.Source, f.Target, Number(f.Migrate), Number(f.Skipped), Number(f.Failed), Bytes(f.Bytes)}
				}))
			}
		}
		if len(a.Largest) > 0 {
			p("\nLargest items:\n\n")
			table(&b, []string{"Received", "Subject", "Folder", "Size"}, "l l l r", rows(a.Largest, func(it ItemRow) []string {
				return []string{receivedCell(it), subjectCell(it), it.Folder, Bytes(it.Bytes)}
			}))
		}
	}
	if len(d.Notes) > 0 {
		p("\n## Notes\n\n")
		for _, n := range d.Notes {
			p("- %s\n", md(n))
		}
	}
	p("\n---\n%s, %s.\n", md(firstOf(d.Tool, "migrate")), d.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC"))
	_, err := io.WriteString(w, b.String())
	return err
}

// estimateCell is a mailbox's estimate, or "-" when it cannot be
// migrated or holds nothing.
func estimateCell(r MailboxRow) string {
	if r.Status == "blocked" || r.Migrate.Items == 0 {
		return "-"
	}
	return plan.FormatDuration(r.Seconds)
}

func verifyCell(r MailboxRow) string {
	switch r.Verify {
	case "":
		return "not verified"
	case "ok":
		return "ok"
	}
	return fmt.Sprintf("failed: %d missing, %d doubled, %d changed", r.Missing, r.Doubled, r.Changed)
}

func chartTable(b *strings.Builder, title, unit string, bars []Bar, format func(float64) string) {
	if len(bars) == 0 {
		return
	}
	fmt.Fprintf(b, "### %s\n\n", title)
	table(b, []string{"", unit}, "l r", rows(bars, func(x Bar) []string { return []string{x.Label, format(x.Value)} }))
	b.WriteString("\n")
}

func rows[T any](list []T, f func(T) []string) [][]string {
	out := make([][]string, len(list))
	for i, x := range list {
		out[i] = f(x)
	}
	return out
}

// table writes a Markdown table; align has one l or r per column.
func table(b *strings.Builder, head []string, align string, body [][]string) {
	al := strings.Fields(align)
	b.WriteString("|")
	for _, h := range head {
		b.WriteString(" " + md(h) + " |")
	}
	b.WriteString("\n|")
	for i := range head {
		if i < len(al) && al[i] == "r" {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteString("\n")
	for _, r := range body {
		b.WriteString("|")
		for _, c := range r {
			b.WriteString(" " + cell(c) + " |")
		}
		b.WriteString("\n")
	}
}

// md escapes text for Markdown prose.
func md(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`, "|", `\|`)
	return r.Replace(s)
}

// cell escapes text for a table cell, keeping the bold markers tables use.
func cell(s string) string {
	if strings.HasPrefix(s, "**") && strings.HasSuffix(s, "**") && len(s) > 4 {
		return "**" + md(s[2:len(s)-2]) + "**"
	}
	return strings.ReplaceAll(md(s), "\n", " ")
}

func dateRange(a, b time.Time) string {
	if a.IsZero() {
		return ""
	}
	if a.Year() == b.Year() && a.YearDay() == b.YearDay() {
		return day(a)
	}
	return day(a) + " to " + day(b)
}

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}
