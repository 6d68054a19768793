package report

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/migrate-tool/migrate/migrate/plan"
)

// WriteHTML writes d as one self-contained HTML file: styles inline,
// charts as inline SVG, the logo as a data: URI, no script and no external
// resource. Its print stylesheet fits A4 and Letter alike (the paper size
// comes from the print dialog): the cover is a page of its own, tables
// repeat their header rows, charts and rows do not split across pages,
// and each mailbox's appendix starts a page.
func WriteHTML(w io.Writer, d *Document) error {
	t, err := template.New("report").Funcs(template.FuncMap{
		"num":    Number,
		"bytes":  Bytes,
		"dur":    plan.FormatDuration,
		"span":   dateRange,
		"date":   func(t time.Time) string { return t.UTC().Format("2 January 2006") },
		"stamp":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		"est":    estimateCell,
		"vcell":  verifyCell,
		"status": shownStatus,
		"badge":  badgeClass,
		"subj":   subjectCell,
		"recv":   receivedCell,
		"noun": func(n any, one, many string) string {
			switch n := n.(type) {
			case int:
				return noun(int64(n), one, many)
			case int64:
				return noun(n, one, many)
			}
			return many
		},
		"svg": func(c *chart) template.HTML { return template.HTML(c.svg()) }, // built from escaped text only
		"logo": func() template.URL {
			if d.Logo == nil {
				return ""
			}
			return template.URL("data:" + d.Logo.Type + ";base64," + base64.StdEncoding.EncodeToString(d.Logo.Data))
		},
		"kind": func() string {
			if d.Kind == KindAssessment {
				return "Assessment"
			}
			return "Migration report"
		},
		"charts":     func() []*chart { return charts(d) },
		"assessment": func() bool { return d.Kind == KindAssessment },
	}).Parse(htmlTemplate)
	if err != nil {
		return fmt.Errorf("report: html template: %w", err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	_, err = w.Write(b.Bytes())
	return err
}

const htmlTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="{{.Tool}}">
<title>{{.Title}}{{if .Client}} – {{.Client}}{{end}}</title>
<style>
:root { --ink: #1d232a; --muted: #5f6b78; --line: #d7dde3; --accent: #2f6db5; --ok: #2e8b57; --warn: #b7791f; --err: #c0392b; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #eef1f4; font: 14px/1.45 "Helvetica Neue", Helvetica, Arial, sans-serif; }
main { max-width: 200mm; margin: 24px auto; background: #fff; padding: 18mm 16mm; box-shadow: 0 1px 4px rgba(0,0,0,.12); }
h1 { font-size: 30px; margin: 0 0 6px; line-height: 1.15; }
h2 { font-size: 19px; margin: 30px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--accent); }
h3 { font-size: 15px; margin: 22px 0 8px; }
p, ul { margin: 6px 0; }
ul { padding-left: 20px; }
.cover { min-height: 225mm; display: flex; flex-direction: column; justify-content: center; }
.cover .logo { max-width: 60mm; max-height: 28mm; object-fit: contain; align-self: flex-start; margin-bottom: 18mm; }
.kicker { text-transform: uppercase; letter-spacing: .12em; color: var(--accent); font-weight: 700; font-size: 12px; margin: 0 0 4px; }
.client { font-size: 22px; margin: 4px 0 16mm; color: var(--muted); }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0 0 12mm; }
.meta dt { color: var(--muted); }
.meta dd { margin: 0; }
.outcome { border-left: 6px solid var(--accent); background: #f3f7fc; padding: 10px 14px; font-size: 16px; font-weight: 600; }
.outcome.ready, .outcome.complete { border-color: var(--ok); background: #f0f8f3; }
.outcome.attention, .outcome.incomplete { border-color: var(--warn); background: #fdf7ec; }
.outcome.blocked, .outcome.failed { border-color: var(--err); background: #fcf1f0; }
.tiles { display: grid; grid-template-columns: repeat(4, 1fr); gap: 8px; margin: 10px 0 12px; }
.tile { border: 1px solid var(--line); border-radius: 4px; padding: 8px 10px; }
.tile b { display: block; font-size: 19px; }
.tile span { color: var(--muted); font-size: 12px; }
table { width: 100%; border-collapse: collapse; margin: 8px 0 12px; font-size: 12.5px; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f4f6f8; font-weight: 600; }
td.n, th.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.k { overflow-wrap: break-word; }
.badge { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 11px; font-weight: 700; text-transform: uppercase; color: #fff; background: var(--muted); }
.badge.error, .badge.blocked, .badge.failed { background: var(--err); }
.badge.warning, .badge.attention, .badge.pending { background: var(--warn); }
.badge.ready, .badge.migrated, .badge.ok { background: var(--ok); }
.badge.info, .badge.skipped { background: var(--accent); }
figure { margin: 12px 0 18px; }
figcaption { font-weight: 600; margin-bottom: 4px; }
svg.chart { width: 100%; height: auto; display: block; }
.facts { display: grid; grid-template-columns: 42mm 1fr; gap: 2px 12px; margin: 6px 0 10px; font-size: 12.5px; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: break-word; min-width: 0; }
.source, footer { color: var(--muted); font-size: 12px; }
footer { margin-top: 24px; border-top: 1px solid var(--line); padding-top: 6px; }
@page { margin: 16mm 14mm 16mm 14mm; }
@media print {
  body { background: #fff; font-size: 10pt; }
  main { max-width: none; margin: 0; padding: 0; box-shadow: none; }
  .cover { min-height: 235mm; break-after: page; page-break-after: always; }
  h2, h3, figcaption { break-after: avoid; page-break-after: avoid; }
  figure, tr, .tile, .outcome, .facts { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  .appendix, .appendix article + article { break-before: page; page-break-before: always; }
  table { font-size: 8.5pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
</style>
</head>
<body>
<main>
<section class="cover">
{{with logo}}<img class="logo" src="{{.}}" alt="logo">{{end}}
<p class="kicker">{{kind}}</p>
<h1>{{.Title}}</h1>
{{if .Client}}<p class="client">{{.Client}}</p>{{else}}<p class="client">&nbsp;</p>{{end}}
<dl class="meta">
{{if .Consultant}}<dt>Prepared by</dt><dd>{{.Consultant}}</dd>{{end}}
<dt>Date</dt><dd>{{date .GeneratedAt}}</dd>
<dt>Mailboxes</dt><dd>{{.Summary.Mailboxes}}</dd>
</dl>
<div class="outcome {{.Summary.Outcome}}">{{.Summary.Headline}}</div>
</section>

<section class="summary">
<h2>Executive summary</h2>
<div class="tiles">
<div class="tile"><b>{{.Summary.Mailboxes}}</b><span>{{noun .Summary.Mailboxes "mailbox" "mailboxes"}}</span></div>
{{if assessment}}<div class="tile"><b>{{num .Summary.Migrate.Items}}</b><span>{{noun .Summary.Migrate.Items "item" "items"}} to migrate ({{bytes .Summary.Migrate.Bytes}})</span></div>
<div class="tile"><b>{{dur .Summary.Seconds}}</b><span>estimated duration</span></div>
{{else}}<div class="tile"><b>{{num .Summary.Migrate.Items}}</b><span>{{noun .Summary.Migrate.Items "item" "items"}} migrated ({{bytes .Summary.Migrate.Bytes}})</span></div>
<div class="tile"><b>{{.Summary.Verification}}</b><span>verification</span></div>
{{end}}<div class="tile"><b>{{.Summary.Errors}} / {{.Summary.Warnings}}</b><span>errors / warnings</span></div>
</div>
<ul>{{range .Summary.Points}}<li>{{.}}</li>{{end}}</ul>
{{range .Source}}<p class="source">{{.}}</p>{{end}}
</section>

<section>
<h2>Mailboxes</h2>
<table>
{{if assessment}}<thead><tr><th>Mailbox</th><th>Status</th><th class="n">Items</th><th class="n">Size</th><th class="n">To migrate</th><th class="n">Skipped</th><th class="n">Over limit</th><th>Dates</th><th class="n">Estimate</th></tr></thead>
<tbody>{{range .Mailboxes}}<tr><td class="k">{{.Address}}</td><td><span class="badge {{.Status}}">{{.Status}}</span></td><td class="n">{{num .Items}}</td><td class="n">{{bytes .Bytes}}</td><td class="n">{{num .Migrate.Items}}</td><td class="n">{{num .Skipped}}</td><td class="n">{{num .OverLimit}}</td><td>{{span .Oldest .Newest}}</td><td class="n">{{est .}}</td></tr>
{{end}}</tbody>
{{else}}<thead><tr><th>Mailbox</th><th>Status</th><th class="n">Migrated</th><th class="n">Size</th><th class="n">Skipped</th><th class="n">Failed</th><th class="n">Pending</th><th>Verified</th></tr></thead>
<tbody>{{range .Mailboxes}}<tr><td class="k">{{.Address}}</td><td>{{with status .}}<span class="badge {{badge .}}">{{.}}</span>{{end}}</td><td class="n">{{num .Migrate.Items}}</td><td class="n">{{bytes .Migrate.Bytes}}</td><td class="n">{{num .Skipped}}</td><td class="n">{{num .Failed}}</td><td class="n">{{num .Pending}}</td><td>{{vcell .}}</td></tr>
{{end}}</tbody>
{{end}}</table>
</section>

{{with charts}}<section class="charts">
<h2>Charts</h2>
{{range .}}<figure><figcaption>{{.Title}}</figcaption>{{svg .}}</figure>
{{end}}</section>{{end}}

<section>
<h2>Items needing attention</h2>
{{if .Attention}}<table>
<thead><tr><th>Severity</th><th>Mailbox</th><th>Folder</th><th>Item</th><th>Reason</th></tr></thead>
<tbody>{{range .Attention}}<tr><td><span class="badge {{.Severity}}">{{.Severity}}</span></td><td class="k">{{.Mailbox}}</td><td class="k">{{.Folder}}</td><td class="k">{{.Item}}</td><td>{{.Reason}}</td></tr>
{{end}}</tbody></table>{{else}}<p>Nothing needs attention.</p>{{end}}
</section>

<section class="appendix">
<h2>Appendix: mailboxes in detail</h2>
{{range .Appendix}}<article>
<h3>{{.Mailbox}}</h3>
<dl class="facts">{{range .Facts}}<dt>{{.Label}}</dt><dd>{{.Value}}</dd>{{end}}</dl>
{{if .Folders}}<table>
{{if assessment}}<thead><tr><th>Folder</th><th>Goes to</th><th class="n">Items</th><th class="n">Size</th><th class="n">To migrate</th><th>Dates</th><th>Notes</th></tr></thead>
<tbody>{{range .Folders}}<tr><td class="k">{{.Source}}</td><td class="k">{{.Target}}</td><td class="n">{{num .Items}}</td><td class="n">{{bytes .Bytes}}</td><td class="n">{{num .Migrate}}</td><td>{{span .Oldest .Newest}}</td><td>{{range $i, $n := .Notes}}{{if $i}}; {{end}}{{$n}}{{end}}</td></tr>
{{end}}</tbody>
{{else}}<thead><tr><th>Folder</th><th>In Exchange Online</th><th class="n">Migrated</th><th class="n">Skipped</th><th class="n">Failed</th><th class="n">Size</th></tr></thead>
<tbody>{{range .Folders}}<tr><td class="k">{{.Source}}</td><td class="k">{{.Target}}</td><td class="n">{{num .Migrate}}</td><td class="n">{{num .Skipped}}</td><td class="n">{{num .Failed}}</td><td class="n">{{bytes .Bytes}}</td></tr>
{{end}}</tbody>
{{end}}</table>{{end}}
{{if .Largest}}<p><b>Largest items</b></p>
<table><thead><tr><th>Received</th><th>Subject</th><th>Folder</th><th class="n">Size</th></tr></thead>
<tbody>{{range .Largest}}<tr><td>{{recv .}}</td><td class="k">{{subj .}}</td><td class="k">{{.Folder}}</td><td class="n">{{bytes .Bytes}}</td></tr>
{{end}}</tbody></table>{{end}}
</article>
{{end}}</section>

{{if .Notes}}<section>
<h2>Notes</h2>
<ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>
</section>{{end}}
<footer>{{.Tool}}, {{stamp .GeneratedAt}}.{{if .Masked}} Email addresses are masked.{{end}}</footer>
</main>
</body>
</html>
`
