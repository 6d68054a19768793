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
// the same geometry as the HTML's SVG. Text is in TrueType fonts embedded
// in the binary, subset to the glyphs used: Latin, Greek and Cyrillic in
// Go Sans, Japanese and the common Chinese characters in M+ 1p (see
// fonts.go).
func WritePDFPaper(w io.Writer, d *Document, paper string) error {
	switch strings.ToLower(paper) {
	case "", "a4":
		paper = PaperA4
	case "letter":
		paper = PaperLetter
	default:
		return fmt.Errorf("report: paper %q: want A4 or Letter", paper)
	}
	r, err := newPDF(d, paper)
	if err != nil {
		return err
	}
	r.cover()
	r.summary()
	r.mailboxes()
	r.charts()
	r.attention()
	r.appendix()
	r.notes()
	r.footers()
	if err := r.pdf.Error(); err != nil {
		return fmt.Errorf("report: pdf: %w", err)
	}
	var b bytes.Buffer
	if err := r.pdf.Output(&b); err != nil {
		return fmt.Errorf("report: pdf: %w", err)
	}
	_, err = w.Write(b.Bytes())
	return err
}

// pdfReport is the state of one PDF being written. Lengths are in mm.
type pdfReport struct {
	d      *Document
	pdf    *fpdf.Fpdf
	fonts  *fontSet
	left   float64
	width  float64 // content width
	bottom float64 // y where content ends on a page
	k      float64 // points per mm

	// The text style: bold or not, size in points, colour. Text is drawn
	// in runs, each in the face that has its glyphs (fonts.go).
	bold bool
	size float64
	ink  string
	// set is the face and size last selected in fpdf, to select a face
	// only when it changes.
	set struct {
		face *pdfFace
		size float64
	}
}

const (
	margin = 15.0
	lineH  = 4.6
)

func newPDF(d *Document, paper string) (*pdfReport, error) {
	pdf := fpdf.New("P", "mm", paper, "")
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(true, margin+6)
	pdf.SetCompression(true)
	pdf.SetCreationDate(d.GeneratedAt)
	pdf.SetModificationDate(d.GeneratedAt)
	pdf.SetCatalogSort(true)
	fs, err := newFontSet()
	if err != nil {
		return nil, err
	}
	r := &pdfReport{d: d, pdf: pdf, fonts: fs, left: margin, k: pdf.GetConversionRatio(), size: 10, ink: colText}
	r.use(fs.regular) // CellFormat wants a font even for a cell without text
	w, h := pdf.GetPageSize()
	r.width, r.bottom = w-2*margin, h-margin-6
	pdf.SetTitle(d.Title, true)
	pdf.SetAuthor(d.Consultant, true)
	pdf.SetCreator(d.Tool, true)
	return r, nil
}

// footers writes the footer of every page but the cover once all pages
// are written, so that it can print the page count. (fpdf's alias for
// the page count would be replaced in the content after the fonts are
// subset, leaving the digits of the count out of the subset.)
func (r *pdfReport) footers() {
	p, d := r.pdf, r.d
	left := d.Title
	if d.Client != "" {
		left += " – " + d.Client
	}
	n := p.PageCount()
	_, h := p.GetPageSize()
	p.SetAutoPageBreak(false, 0)
	for i := 2; i <= n; i++ {
		p.SetPage(i)
		// The page's content ends in whatever state its last text left:
		// select the font and colours again.
		r.set.face = nil
		r.fill("#ffffff")
		r.font("", 7.5)
		r.color(colAxis)
		p.SetXY(r.left, h-margin)
		r.cell(r.width/2, 4, left, "L", 0)
		r.cell(r.width/2, 4, fmt.Sprintf("Page %d of %d", i, n), "R", 0)
	}
	p.SetPage(n)
}

// split breaks s into lines that fit a cell w mm wide (less the cell
// margins) in the current style, as fpdf's MultiCell would.
func (r *pdfReport) split(s string, w float64) []string {
	max := int((w - 2*r.pdf.GetCellMargin()) * 1000 / r.em())
	return r.fonts.wrap(s, r.bold, max)
}

// font sets the text style: style "B" for bold or "" and the size in
// points. The face is chosen per run of text as it is drawn.
func (r *pdfReport) font(style string, size float64) {
	r.bold = strings.Contains(style, "B")
	r.size = size
}

// em is the current font size in mm.
func (r *pdfReport) em() float64 { return r.size / r.k }

// strWidth is the width of s in mm in the current style.
func (r *pdfReport) strWidth(s string) float64 {
	return float64(r.fonts.width(s, r.bold)) * r.em() / 1000
}

// use selects face at the current size in fpdf, unless it already is.
func (r *pdfReport) use(face *pdfFace) {
	if r.set.face == face && r.set.size == r.size {
		return
	}
	face.register(r.pdf)
	r.pdf.SetFont(face.family, face.style, r.size)
	r.set.face, r.set.size = face, r.size
}

// text writes s with its baseline starting at (x, y), as fpdf's Text,
// each run in the face that has its glyphs. Bold text in a face without
// a bold cut (the CJK one) is drawn filled and stroked to look bold.
func (r *pdfReport) text(x, y float64, s string) {
	p := r.pdf
	for _, run := range r.fonts.runs(s, r.bold) {
		r.use(run.face)
		if r.bold && run.face.style != "B" {
			lw := p.GetLineWidth()
			dr, dg, db := p.GetDrawColor()
			p.SetDrawColor(rgb(r.ink))
			p.SetLineWidth(r.em() * 0.03)
			p.SetTextRenderingMode(2)
			p.Text(x, y, run.text)
			p.SetTextRenderingMode(0)
			p.SetLineWidth(lw)
			p.SetDrawColor(dr, dg, db)
		} else {
			p.Text(x, y, run.text)
		}
		x += float64(run.width) * r.em() / 1000
	}
}

// cell writes s on one line in a cell w by h mm at the current position,
// aligned L, R or C inside the cell margins, and moves on as fpdf's
// CellFormat does for ln 0 (right), 1 (next line) or 2 (below),
// breaking the page first if the cell does not fit.
func (r *pdfReport) cell(w, h float64, s, align string, ln int) {
	p := r.pdf
	x := p.GetX()
	p.CellFormat(w, h, "", "", ln, "", false, 0, "")
	y := p.GetY()
	if ln > 0 {
		y -= h
	}
	if s == "" {
		return
	}
	cm := p.GetCellMargin()
	dx := cm
	switch align {
	case "R":
		dx = w - cm - r.strWidth(s)
	case "C":
		dx = (w - r.strWidth(s)) / 2
	}
	// The baseline fpdf's CellFormat uses.
	r.text(x+dx, y+0.5*h+0.3*r.em(), s)
}

// multi writes s wrapped into lines of a cell w mm wide, each h mm high,
// from the current position, as fpdf's MultiCell: the position ends at
// the left margin below the text.
func (r *pdfReport) multi(w, h float64, s, align string) {
	p := r.pdf
	x := p.GetX()
	for _, l := range r.split(s, w) {
		p.SetX(x)
		r.cell(w, h, l, align, 2)
	}
	p.SetX(r.left)
}

func rgb(hex string) (int, int, int) {
	v, _ := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	return int(v >> 16 & 0xff), int(v >> 8 & 0xff), int(v & 0xff)
}

func (r *pdfReport) color(hex string) { r.ink = hex; r.pdf.SetTextColor(rgb(hex)) }
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
	r.cell(r.width, 8, s, "L", 1)
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
	r.cell(r.width, 7, s, "L", 1)
}

// para writes wrapped text.
func (r *pdfReport) para(s string, size float64, col string) {
	r.font("", size)
	r.color(col)
	r.multi(r.width, size*0.45, s, "L")
}

func (r *pdfReport) bullet(s string) {
	p := r.pdf
	r.font("", 10)
	r.color(colText)
	lines := r.split(s, r.width-6)
	r.need(float64(len(lines)) * lineH)
	x, y := p.GetX(), p.GetY()
	r.text(x+1.5, y+3.4, "•")
	p.SetXY(x+6, y)
	r.multi(r.width-6, lineH, s, "L")
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
	r.cell(r.width, 6, kind, "L", 1)
	r.font("B", 26)
	r.color(colText)
	r.multi(r.width, 11, d.Title, "L")
	if d.Client != "" {
		r.font("", 17)
		r.color(colAxis)
		r.multi(r.width, 8, d.Client, "L")
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
		r.cell(32, 6, m[0], "L", 0)
		r.color(colText)
		r.cell(r.width-32, 6, m[1], "L", 1)
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
	lines := r.split(s.Headline, r.width-10)
	h := float64(len(lines))*5.6 + 6
	r.need(h)
	x, y := r.left, p.GetY()
	r.fill(bg)
	p.Rect(x, y, r.width, h, "F")
	r.fill(col)
	p.Rect(x, y, 1.8, h, "F")
	r.color(colText)
	p.SetXY(x+6, y+3)
	r.multi(r.width-10, 5.6, s.Headline, "L")
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
		r.cell(tw-5, 7, t.big, "L", 0)
		r.font("", 8)
		r.color(colAxis)
		p.SetXY(x+2.5, y+10)
		r.cell(tw-5, 5, truncate(t.small, 34), "L", 0)
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
			h = max(h, float64(len(r.split(c.head, widths[i]-2)))*lh)
		}
		h += 2
		x, y := r.left, p.GetY()
		p.Rect(x, y, r.width, h, "F")
		for i, c := range cols {
			p.SetXY(x, y+1)
			r.multi(widths[i], lh, c.head, strings.TrimSuffix(c.align, "B"))
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
				txt = row[i]
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
				r.cell(widths[i], lh, l, c.align, 0)
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
	// The badge's style is its own: the row's other cells keep theirs
	// (they were wrapped in it).
	bold, size := r.bold, r.size
	r.font("B", 6.5)
	up := strings.ToUpper(word)
	w := r.strWidth(up) + 3
	r.fill(col)
	p.Rect(x, y+0.2, w, h-0.4, "F")
	r.color("#ffffff")
	p.SetXY(x, y)
	r.cell(w, h, up, "C", 0)
	r.color(colText)
	r.bold, r.size = bold, size
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
	r.cell(r.width, 6, c.title, "L", 1)
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
			x := x0 + s.x*scale
			switch s.anchor {
			case "end":
				x -= r.strWidth(s.text)
			case "middle":
				x -= r.strWidth(s.text) / 2
			}
			r.text(x, y0+s.y*scale, s.text)
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
			// The label wraps in its column too, not over the value.
			r.font("", 8.5)
			h := float64(max(len(r.split(f.Label, 44)), len(r.split(f.Value, r.width-45)))) * 4
			r.need(h)
			y := p.GetY()
			r.color(colAxis)
			r.multi(44, 4, f.Label, "L")
			r.color(colText)
			p.SetXY(r.left+45, y)
			r.multi(r.width-45, 4, f.Value, "L")
			p.SetY(y + h)
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
