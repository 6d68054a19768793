package report

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/go-pdf/fpdf"

	"github.com/migrate-tool/migrate/migrate/plan"
)

// Paper sizes for the PDF.
const (
	PaperA4     = "A4"
	PaperLetter = "Letter"
)

// WritePDF writes d as a PDF on A4 paper (see WritePDFPaper).
func WritePDF(w io.Writer, d *Document) error { return WritePDFPaper(w, d, PaperA4) }

// WritePDFPaper writes d as a PDF on A4 or Letter paper, with the pure-Go
// go-pdf/fpdf: no browser needed. Charts are vector graphics drawn with
// the same geometry as the HTML's SVG. Text uses the PDF core fonts
// (Helvetica), which cover Windows-1252 (Western European languages);
// other characters print as "?".
func WritePDFPaper(w io.Writer, d *Document, paper string) error {
	switch strings.ToLower(paper) {
	case "", "a4":
		paper = PaperA4
	case "letter":
		paper = PaperLetter
	default:
		return fmt.Errorf("report: paper %q: want A4 or Letter", paper)
	}
	r := newPDF(d, paper)
	r.cover()
	r.summary()
	r.mailboxes()
	r.charts()
	r.attention()
	r.appendix()
	r.notes()
	if err := r.pdf.Error(); err != nil {
		return fmt.Errorf("report: pdf: %w", err)
	}
	var b bytes.Buffer
	if err := r.pdf.Output(&b); err != nil {
		return fmt.Errorf("report: pdf: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// pdfReport is the state of one PDF being written. Lengths are in mm.
type pdfReport struct {
	d      *Document
	pdf    *fpdf.Fpdf
	tr     func(string) string
	left   float64
	width  float64 // content width
	bottom float64 // y where content ends on a page
}

const (
	margin = 15.0
	lineH  = 4.6
)

func newPDF(d *Document, paper string) *pdfReport {
	pdf := fpdf.New("P", "mm", paper, "")
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(true, margin+6)
	pdf.SetCompression(true)
	pdf.SetCreationDate(d.GeneratedAt)
	pdf.SetModificationDate(d.GeneratedAt)
	pdf.SetCatalogSort(true)
	pdf.AliasNbPages("{nb}")
	r := &pdfReport{d: d, pdf: pdf, left: margin}
	cp := pdf.UnicodeTranslatorFromDescriptor("")
	r.tr = func(s string) string { return cp1252(cp, s) }
	w, h := pdf.GetPageSize()
	r.width, r.bottom = w-2*margin, h-margin-6
	pdf.SetTitle(d.Title, true)
	pdf.SetAuthor(d.Consultant, true)
	pdf.SetCreator(d.Tool, true)
	pdf.SetFooterFunc(func() {
		if pdf.PageNo() == 1 {
			return
		}
		pdf.SetY(-margin)
		r.font("", 7.5)
		r.color(colAxis)
		left := d.Title
		if d.Client != "" {
			left += " – " + d.Client
		}
		pdf.CellFormat(r.width/2, 4, r.tr(left), "", 0, "L", false, 0, "")
		pdf.CellFormat(r.width/2, 4, r.tr(fmt.Sprintf("Page %d of {nb}", pdf.PageNo())), "", 0, "R", false, 0, "")
	})
	return r
}

// cp1252 translates s to Windows-1252 with tr, printing "?" for a
// character the code page lacks (tr would print ".").
func cp1252(tr func(string) string, s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x80:
			b.WriteRune(r)
		case r == '\u00a0':
			b.WriteByte(' ')
		default:
			t := tr(string(r))
			if t == "." {
				t = "?"
			}
			b.WriteString(t)
		}
	}
	return b.String()
}

// split breaks text already translated to the code page into lines of at
// most w mm in the current font.
func (r *pdfReport) split(txt string, w float64) []string {
	var out []string
	for _, l := range r.pdf.SplitLines([]byte(txt), w) {
		out = append(out, string(l))
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}

func (r *pdfReport) font(style string, size float64) { r.pdf.SetFont("Helvetica", style, size) }

func rgb(hex string) (int, int, int) {
	v, _ := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	return int(v >> 16 & 0xff), int(v >> 8 & 0xff), int(v & 0xff)
}

func (r *pdfReport) color(hex string) { r.pdf.SetTextColor(rgb(hex)) }
func (r *pdfReport) fill(hex string)  { r.pdf.SetFillColor(rgb(hex)) }
func (r *pdfReport) draw(hex string)  { r.pdf.SetDrawColor(rgb(hex)) }

// need starts a new page unless h mm fit below the current position.
func (r *pdfReport) need(h float64) {
	if r.pdf.GetY()+h > r.bottom {
		r.pdf.AddPage()
	}
}

// heading writes a section heading with a rule under it.
func (r *pdfReport) heading(s string) {
	r.need(24)
	p := r.pdf
	p.Ln(4)
	r.font("B", 14)
	r.color(colText)
	p.CellFormat(r.width, 8, r.tr(s), "", 1, "L", false, 0, "")
	r.draw(colBar)
	p.SetLineWidth(0.6)
	y := p.GetY()
	p.Line(r.left, y, r.left+r.width, y)
	p.SetLineWidth(0.2)
	p.Ln(3)
}

func (r *pdfReport) subheading(s string) {
	r.need(16)
	r.font("B", 11)
	r.color(colText)
	r.pdf.CellFormat(r.width, 7, r.tr(s), "", 1, "L", false, 0, "")
}

// para writes wrapped text.
func (r *pdfReport) para(s string, size float64, col string) {
	r.font("", size)
	r.color(col)
	r.pdf.MultiCell(r.width, size*0.45, r.tr(s), "", "L", false)
}

func (r *pdfReport) bullet(s string) {
	p := r.pdf
	r.font("", 10)
	r.color(colText)
	lines := r.split(r.tr(s), r.width-6)
	r.need(float64(len(lines)) * lineH)
	x, y := p.GetX(), p.GetY()
	p.Text(x+1.5, y+3.4, r.tr("•"))
	p.SetXY(x+6, y)
	p.MultiCell(r.width-6, lineH, r.tr(s), "", "L", false)
	p.SetX(x)
}

func (r *pdfReport) cover() {
	p, d := r.pdf, r.d
	p.AddPage()
	y := margin + 10.0
	if d.Logo != nil {
		typ := "PNG"
		if d.Logo.Type == "image/jpeg" {
			typ = "JPG"
		}
		info := p.RegisterImageOptionsReader("logo", fpdf.ImageOptions{ImageType: typ}, bytes.NewReader(d.Logo.Data))
		if info != nil && p.Error() == nil {
			w, h := info.Width(), info.Height()
			scale := min(60/w, 25/h)
			p.ImageOptions("logo", r.left, y, w*scale, h*scale, false, fpdf.ImageOptions{ImageType: typ}, 0, "")
		}
	}
	p.SetY(85)
	r.font("B", 10)
	r.color(colBar)
	kind := "MIGRATION REPORT"
	if d.Kind == KindAssessment {
		kind = "ASSESSMENT"
	}
	p.CellFormat(r.width, 6, kind, "", 1, "L", false, 0, "")
	r.font("B", 26)
	r.color(colText)
	p.MultiCell(r.width, 11, r.tr(d.Title), "", "L", false)
	if d.Client != "" {
		r.font("", 17)
		r.color(colAxis)
		p.MultiCell(r.width, 8, r.tr(d.Client), "", "L", false)
	}
	p.Ln(14)
	meta := [][2]string{}
	if d.Consultant != "" {
		meta = append(meta, [2]string{"Prepared by", d.Consultant})
	}
	meta = append(meta, [2]string{"Date", d.GeneratedAt.UTC().Format("2 January 2006")}, [2]string{"Mailboxes", strconv.Itoa(d.Summary.Mailboxes)})
	for _, m := range meta {
		r.font("", 10)
		r.color(colAxis)
		p.CellFormat(32, 6, r.tr(m[0]), "", 0, "L", false, 0, "")
		r.color(colText)
		p.CellFormat(r.width-32, 6, r.tr(m[1]), "", 1, "L", false, 0, "")
	}
	p.Ln(10)
	r.outcome()
}

// outcome draws the headline in a box with a coloured bar.
func (r *pdfReport) outcome() {
	p, s := r.pdf, r.d.Summary
	col, bg := colBar, "#f3f7fc"
	switch s.Outcome {
	case "ready", "complete":
		col, bg = colMigrated, "#f0f8f3"
	case "attention", "incomplete":
		col, bg = "#b7791f", "#fdf7ec"
	case "blocked", "failed":
		col, bg = colFailed, "#fcf1f0"
	}
	r.font("B", 11.5)
	lines := r.split(r.tr(s.Headline), r.width-10)
	h := float64(len(lines))*5.6 + 6
	r.need(h)
	x, y := r.left, p.GetY()
	r.fill(bg)
	p.Rect(x, y, r.width, h, "F")
	r.fill(col)
	p.Rect(x, y, 1.8, h, "F")
	r.color(colText)
	p.SetXY(x+6, y+3)
	p.MultiCell(r.width-10, 5.6, r.tr(s.Headline), "", "L", false)
	p.SetXY(x, y+h)
}

func (r *pdfReport) summary() {
	p, d, s := r.pdf, r.d, r.d.Summary
	p.AddPage()
	r.heading("Executive summary")
	type tile struct{ big, small string }
	tiles := []tile{{strconv.Itoa(s.Mailboxes), noun(int64(s.Mailboxes), "mailbox", "mailboxes")}}
	if d.Kind == KindAssessment {
		tiles = append(tiles, tile{Number(s.Migrate.Items), noun(s.Migrate.Items, "item", "items") + " to migrate (" + Bytes(s.Migrate.Bytes) + ")"}, tile{plan.FormatDuration(s.Seconds), "estimated duration"})
	} else {
		tiles = append(tiles, tile{Number(s.Migrate.Items), noun(s.Migrate.Items, "item", "items") + " migrated (" + Bytes(s.Migrate.Bytes) + ")"}, tile{s.Verification, "verification"})
	}
	tiles = append(tiles, tile{fmt.Sprintf("%d / %d", s.Errors, s.Warnings), "errors / warnings"})
	gap := 3.0
	tw := (r.width - gap*float64(len(tiles)-1)) / float64(len(tiles))
	y := p.GetY()
	r.draw("#d7dde3")
	for i, t := range tiles {
		x := r.left + float64(i)*(tw+gap)
		p.Rect(x, y, tw, 17, "D")
		r.font("B", 14)
		r.color(colText)
		p.SetXY(x+2.5, y+2)
		p.CellFormat(tw-5, 7, r.tr(t.big), "", 0, "L", false, 0, "")
		r.font("", 8)
		r.color(colAxis)
		p.SetXY(x+2.5, y+10)
		p.CellFormat(tw-5, 5, r.tr(truncate(t.small, 34)), "", 0, "L", false, 0, "")
	}
	p.SetXY(r.left, y+21)
	r.outcome()
	p.Ln(3)
	for _, pt := range s.Points {
		r.bullet(pt)
	}
	p.Ln(2)
	for _, src := range d.Source {
		r.para(src, 8.5, colAxis)
	}
}

// column is one column of a table: its share of the width, its alignment
// and its header.
type column struct {
	head  string
	share float64
	align string // L or R, or B for a status badge
}

// table draws a table whose rows wrap; the header repeats on each page.
func (r *pdfReport) table(cols []column, rows [][]string, size float64) {
	p := r.pdf
	var total float64
	for _, c := range cols {
		total += c.share
	}
	widths := make([]float64, len(cols))
	for i, c := range cols {
		widths[i] = r.width * c.share / total
	}
	lh := size * 0.42
	header := func() {
		r.font("B", size)
		r.color(colText)
		r.fill("#f0f3f6")
		h := 0.0
		for i, c := range cols {
			h = max(h, float64(len(r.split(r.tr(c.head), widths[i]-2)))*lh)
		}
		h += 2
		x, y := r.left, p.GetY()
		p.Rect(x, y, r.width, h, "F")
		for i, c := range cols {
			p.SetXY(x, y+1)
			p.MultiCell(widths[i], lh, r.tr(c.head), "", strings.TrimSuffix(c.align, "B"), false)
			x += widths[i]
		}
		p.SetXY(r.left, y+h)
	}
	r.need(12)
	header()
	r.font("", size)
	for _, row := range rows {
		lines := make([][]string, len(cols))
		h := 0.0
		for i := range cols {
			txt := ""
			if i < len(row) {
				txt = r.tr(row[i])
			}
			lines[i] = r.split(txt, widths[i]-2)
			h = max(h, float64(len(lines[i]))*lh)
		}
		h += 2
		if p.GetY()+h > r.bottom {
			p.AddPage()
			header()
			r.font("", size)
		}
		x, y := r.left, p.GetY()
		r.color(colText)
		for i, c := range cols {
			if c.align == "B" {
				r.badge(x+1, y+1, lh, row[i])
				x += widths[i]
				continue
			}
			for j, l := range lines[i] {
				p.SetXY(x, y+1+float64(j)*lh)
				p.CellFormat(widths[i], lh, l, "", 0, c.align, false, 0, "")
			}
			x += widths[i]
		}
		r.draw("#d7dde3")
		p.Line(r.left, y+h, r.left+r.width, y+h)
		p.SetXY(r.left, y+h)
	}
	p.Ln(3)
}

// badge draws a status word on a coloured background.
func (r *pdfReport) badge(x, y, h float64, word string) {
	p := r.pdf
	col := colSkipped
	switch word {
	case "error", "blocked", "failed", statusVerifyFailed:
		col = colFailed
	case "warning", "attention", "pending":
		col = "#b7791f"
	case "ready", "migrated", "ok", "complete":
		col = colMigrated
	case "info", "skipped":
		col = colBar
	}
	r.font("B", 6.5)
	up := strings.ToUpper(word)
	w := p.GetStringWidth(up) + 3
	r.fill(col)
	p.Rect(x, y+0.2, w, h-0.4, "F")
	r.color("#ffffff")
	p.SetXY(x, y)
	p.CellFormat(w, h, up, "", 0, "C", false, 0, "")
	r.color(colText)
	r.font("", 8)
}

func (r *pdfReport) mailboxes() {
	d := r.d
	r.heading("Mailboxes")
	if d.Kind == KindAssessment {
		r.table([]column{{"Mailbox", 30, "L"}, {"Status", 13, "B"}, {"Items", 9, "R"}, {"Size", 11, "R"}, {"To migrate", 10, "R"}, {"Skipped", 9, "R"}, {"Over limit", 9, "R"}, {"Dates", 19, "L"}, {"Estimate", 10, "R"}},
			rows(d.Mailboxes, func(m MailboxRow) []string {
				return []string{m.Address, m.Status, Number(m.Items), Bytes(m.Bytes), Number(m.Migrate.Items), Number(m.Skipped), Number(m.OverLimit), dateRange(m.Oldest, m.Newest), estimateCell(m)}
			}), 8)
		return
	}
	r.table([]column{{"Mailbox", 30, "L"}, {"Status", 13, "B"}, {"Migrated", 10, "R"}, {"Size", 11, "R"}, {"Skipped", 9, "R"}, {"Failed", 8, "R"}, {"Pending", 9, "R"}, {"Verified", 20, "L"}},
		rows(d.Mailboxes, func(m MailboxRow) []string {
			return []string{m.Address, shownStatus(m), Number(m.Migrate.Items), Bytes(m.Migrate.Bytes), Number(m.Skipped), Number(m.Failed), Number(m.Pending), verifyCell(m)}
		}), 8)
}

func (r *pdfReport) charts() {
	cs := charts(r.d)
	if len(cs) == 0 {
		return
	}
	r.heading("Charts")
	for _, c := range cs {
		r.chart(c)
	}
}

// chart draws a chart's shapes scaled to the content width.
func (r *pdfReport) chart(c *chart) {
	p := r.pdf
	scale := r.width / chartWidth
	r.need(c.height*scale + 10)
	r.font("B", 9.5)
	r.color(colText)
	p.CellFormat(r.width, 6, r.tr(c.title), "", 1, "L", false, 0, "")
	x0, y0 := r.left, p.GetY()+1
	for _, s := range c.shapes {
		switch s.kind {
		case "rect":
			if s.w <= 0 || s.h <= 0 {
				continue
			}
			r.fill(s.fill)
			p.Rect(x0+s.x*scale, y0+s.y*scale, s.w*scale, s.h*scale, "F")
		case "line":
			r.draw(s.stroke)
			p.SetLineWidth(0.2)
			p.Line(x0+s.x*scale, y0+s.y*scale, x0+s.w*scale, y0+s.h*scale)
		case "polyline":
			r.draw(s.stroke)
			p.SetLineWidth(0.7)
			for i := 1; i < len(s.points); i++ {
				a, b := s.points[i-1], s.points[i]
				p.Line(x0+a[0]*scale, y0+a[1]*scale, x0+b[0]*scale, y0+b[1]*scale)
			}
			p.SetLineWidth(0.2)
		case "text":
			// Font sizes are in chart units: points = units * mm/unit * pt/mm.
			r.font("", s.size*scale*72/25.4)
			r.color(s.fill)
			t := r.tr(s.text)
			x := x0 + s.x*scale
			switch s.anchor {
			case "end":
				x -= p.GetStringWidth(t)
			case "middle":
				x -= p.GetStringWidth(t) / 2
			}
			p.Text(x, y0+s.y*scale, t)
		}
	}
	p.SetXY(r.left, y0+c.height*scale+5)
}

func (r *pdfReport) attention() {
	r.heading("Items needing attention")
	if len(r.d.Attention) == 0 {
		r.para("Nothing needs attention.", 10, colText)
		return
	}
	r.table([]column{{"Severity", 11, "B"}, {"Mailbox", 21, "L"}, {"Folder", 13, "L"}, {"Item", 9, "L"}, {"Reason", 46, "L"}},
		rows(r.d.Attention, func(a Attention) []string { return []string{a.Severity, a.Mailbox, a.Folder, a.Item, a.Reason} }), 7.5)
}

func (r *pdfReport) appendix() {
	p, d := r.pdf, r.d
	for i, a := range d.Appendix {
		p.AddPage()
		if i == 0 {
			r.heading("Appendix: mailboxes in detail")
		}
		r.subheading(a.Mailbox)
		for _, f := range a.Facts {
			r.font("", 8.5)
			lines := r.split(r.tr(f.Value), r.width-45)
			r.need(float64(len(lines)) * 4)
			y := p.GetY()
			r.color(colAxis)
			p.CellFormat(45, 4, r.tr(f.Label), "", 0, "L", false, 0, "")
			r.color(colText)
			p.SetXY(r.left+45, y)
			p.MultiCell(r.width-45, 4, r.tr(f.Value), "", "L", false)
		}
		p.Ln(3)
		if len(a.Folders) > 0 {
			if d.Kind == KindAssessment {
				r.table([]column{{"Folder", 22, "L"}, {"Goes to", 22, "L"}, {"Items", 8, "R"}, {"Size", 10, "R"}, {"To migrate", 9, "R"}, {"Dates", 17, "L"}, {"Notes", 22, "L"}},
					rows(a.Folders, func(f FolderRow) []string {
						return []string{f.Source, f.Target, Number(f.Items), Bytes(f.Bytes), Number(f.Migrate), dateRange(f.Oldest, f.Newest), strings.Join(f.Notes, "; ")}
					}), 7.5)
			} else {
				r.table([]column{{"Folder", 28, "L"}, {"In Exchange Online", 28, "L"}, {"Migrated", 10, "R"}, {"Skipped", 10, "R"}, {"Failed", 9, "R"}, {"Size", 11, "R"}},
					rows(a.Folders, func(f FolderRow) []string {
						return []string{f.Source, f.Target, Number(f.Migrate), Number(f.Skipped), Number(f.Failed), Bytes(f.Bytes)}
					}), 7.5)
			}
		}
		if len(a.Largest) > 0 {
			r.subheading("Largest items")
			r.table([]column{{"Received", 16, "L"}, {"Subject", 44, "L"}, {"Folder", 25, "L"}, {"Size", 15, "R"}},
				rows(a.Largest, func(it ItemRow) []string {
					return []string{receivedCell(it), subjectCell(it), it.Folder, Bytes(it.Bytes)}
				}), 7.5)
		}
	}
}

func (r *pdfReport) notes() {
	d := r.d
	if len(d.Notes) > 0 {
		r.heading("Notes")
		for _, n := range d.Notes {
			r.bullet(n)
		}
	}
	r.pdf.Ln(4)
	foot := fmt.Sprintf("%s, %s.", firstOf(d.Tool, "migrate"), d.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC"))
	if d.Masked {
		foot += " Email addresses are masked."
	}
	r.para(foot, 8, colAxis)
}
