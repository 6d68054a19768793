package report

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Chart geometry shared by the SVG (HTML) and the PDF drawings: every chart
// is described once as shapes in a 600-unit-wide box and drawn by both.

// shape is one primitive of a chart.
type shape struct {
	kind       string // rect, line, text, polyline
	x, y, w, h float64
	points     [][2]float64 // polyline
	text       string
	anchor     string // start, middle, end
	size       float64
	fill       string // #rrggbb or ""
	stroke     string
}

// chart is a drawing of width 600 and the given height.
type chart struct {
	title  string
	height float64
	shapes []shape
}

// Palette: print-friendly and distinguishable in greyscale.
const (
	colBar      = "#2f6db5"
	colMigrated = "#2e8b57"
	colSkipped  = "#9aa5b1"
	colFailed   = "#c0392b"
	colPending  = "#e0a526"
	colAxis     = "#555555"
	colGrid     = "#dddddd"
	colText     = "#222222"
	chartWidth  = 600.0
)

func (c *chart) rect(x, y, w, h float64, fill string) {
	c.shapes = append(c.shapes, shape{kind: "rect", x: x, y: y, w: w, h: h, fill: fill})
}

func (c *chart) line(x1, y1, x2, y2 float64, stroke string) {
	c.shapes = append(c.shapes, shape{kind: "line", x: x1, y: y1, w: x2, h: y2, stroke: stroke})
}

func (c *chart) text(x, y float64, s, anchor string, size float64) {
	c.shapes = append(c.shapes, shape{kind: "text", x: x, y: y, text: s, anchor: anchor, size: size, fill: colText})
}

// niceMax returns the top of an axis of four equal steps for values up to
// v: each step 1, 2 or 5 times a power of ten, at least 1 (counts are
// whole numbers).
func niceMax(v float64) float64 {
	step := max(v/4, 1)
	p := math.Pow(10, math.Floor(math.Log10(step)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= step && (m != 2.5 || p >= 10) {
			return 4 * m * p
		}
	}
	return 40 * p
}

// truncate cuts a label to n runes with an ellipsis.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// hbarChart is a horizontal bar chart: a row per bar, label on the left,
// value at the bar's end.
func hbarChart(title string, bars []Bar, format func(float64) string) *chart {
	const rowH, top, labelW, valueW = 22.0, 6.0, 170.0, 80.0
	c := &chart{title: title, height: top + rowH*float64(len(bars)) + 6}
	var maxV float64
	for _, b := range bars {
		maxV = max(maxV, b.Value)
	}
	span := chartWidth - labelW - valueW
	for i, b := range bars {
		y := top + rowH*float64(i)
		c.text(labelW-8, y+rowH/2+4, truncate(b.Label, 28), "end", 11)
		w := 0.0
		if maxV > 0 {
			w = span * b.Value / maxV
		}
		if b.Value > 0 {
			w = max(w, 1.5)
		}
		c.rect(labelW, y+4, w, rowH-8, colBar)
		c.text(labelW+w+6, y+rowH/2+4, format(b.Value), "start", 11)
	}
	c.line(labelW, top, labelW, top+rowH*float64(len(bars)), colAxis)
	return c
}

// columnChart is a vertical column chart with an axis and grid lines.
func columnChart(title string, bars []Bar, format func(float64) string) *chart {
	const height, top, bottom, left, right = 220.0, 10.0, 28.0, 56.0, 10.0
	c := &chart{title: title, height: height}
	var maxV float64
	for _, b := range bars {
		maxV = max(maxV, b.Value)
	}
	top2 := niceMax(maxV)
	plotH := height - top - bottom
	plotW := chartWidth - left - right
	for i := 0; i <= 4; i++ {
		v := top2 * float64(i) / 4
		y := top + plotH - plotH*float64(i)/4
		c.line(left, y, chartWidth-right, y, colGrid)
		c.text(left-6, y+4, format(v), "end", 10)
	}
	n := max(len(bars), 1)
	slot := plotW / float64(n)
	bw := math.Min(slot*0.7, 48)
	every := int(math.Ceil(float64(n) / 14)) // at most ~14 labels
	for i, b := range bars {
		h := plotH * b.Value / top2
		x := left + slot*float64(i) + (slot-bw)/2
		c.rect(x, top+plotH-h, bw, h, colBar)
		if i%every == 0 {
			c.text(x+bw/2, height-bottom+16, truncate(b.Label, 10), "middle", 10)
		}
	}
	c.line(left, top+plotH, chartWidth-right, top+plotH, colAxis)
	return c
}

// lineChart is the cumulative progress over time.
func lineChart(title string, pts []Point) *chart {
	const height, top, bottom, left, right = 220.0, 10.0, 30.0, 56.0, 14.0
	c := &chart{title: title, height: height}
	plotH := height - top - bottom
	plotW := chartWidth - left - right
	var maxV float64
	for _, p := range pts {
		maxV = max(maxV, float64(p.Items))
	}
	top2 := niceMax(maxV)
	for i := 0; i <= 4; i++ {
		v := top2 * float64(i) / 4
		y := top + plotH - plotH*float64(i)/4
		c.line(left, y, chartWidth-right, y, colGrid)
		c.text(left-6, y+4, Number(int64(v)), "end", 10)
	}
	c.line(left, top+plotH, chartWidth-right, top+plotH, colAxis)
	if len(pts) == 0 {
		return c
	}
	t0, t1 := pts[0].Time, pts[len(pts)-1].Time
	span := t1.Sub(t0).Seconds()
	xOf := func(t time.Time) float64 {
		if span <= 0 {
			return left + plotW
		}
		return left + plotW*t.Sub(t0).Seconds()/span
	}
	line := shape{kind: "polyline", stroke: colMigrated}
	line.points = append(line.points, [2]float64{xOf(t0), top + plotH})
	for _, p := range pts {
		line.points = append(line.points, [2]float64{xOf(p.Time), top + plotH - plotH*float64(p.Items)/top2})
	}
	c.shapes = append(c.shapes, line)
	layout := "15:04"
	if span > 36*3600 {
		layout = "Jan 2"
	}
	c.text(left, height-8, t0.UTC().Format(layout)+" UTC", "start", 10)
	if span > 0 {
		c.text(chartWidth-right, height-8, t1.UTC().Format(layout)+" UTC", "end", 10)
	}
	return c
}

// stackedChart is the outcome per mailbox: one bar split by status, with
// a legend.
func stackedChart(title string, rows []Outcomes) *chart {
	const rowH, top, labelW, right = 22.0, 26.0, 170.0, 70.0
	c := &chart{title: title, height: top + rowH*float64(len(rows)) + 6}
	legend := []struct {
		name, col string
	}{{"migrated", colMigrated}, {"skipped", colSkipped}, {"failed", colFailed}, {"pending", colPending}}
	x := labelW
	for _, l := range legend {
		c.rect(x, 6, 10, 10, l.col)
		c.text(x+14, 15, l.name, "start", 10)
		x += 90
	}
	span := chartWidth - labelW - right
	for i, r := range rows {
		y := top + rowH*float64(i)
		total := r.Migrated + r.Skipped + r.Failed + r.Pending
		c.text(labelW-8, y+rowH/2+4, truncate(r.Label, 28), "end", 11)
		x := labelW
		for j, v := range []int64{r.Migrated, r.Skipped, r.Failed, r.Pending} {
			if total == 0 || v == 0 {
				continue
			}
			w := max(span*float64(v)/float64(total), 1.5)
			c.rect(x, y+4, w, rowH-8, legend[j].col)
			x += w
		}
		c.text(labelW+span+6, y+rowH/2+4, Number(total), "start", 11)
	}
	return c
}

// charts returns the document's charts, in reading order; empty series
// are left out.
func charts(d *Document) []*chart {
	var out []*chart
	count := func(v float64) string { return Number(int64(v)) }
	size := func(v float64) string { return Bytes(int64(v)) }
	if len(d.Charts.MailboxSizes) > 0 {
		out = append(out, hbarChart("Mailbox sizes", d.Charts.MailboxSizes, size))
	}
	if len(d.Charts.Outcomes) > 0 {
		out = append(out, stackedChart("Outcome per mailbox (items)", d.Charts.Outcomes))
	}
	if len(d.Charts.Progress) > 0 {
		out = append(out, lineChart("Progress over time (items migrated)", d.Charts.Progress))
	}
	if len(d.Charts.ItemsPerYear) > 0 {
		out = append(out, columnChart("Items per year received", d.Charts.ItemsPerYear, compact))
	}
	if hasValues(d.Charts.SizeBuckets) {
		out = append(out, hbarChart("Items by size", d.Charts.SizeBuckets, count))
	}
	return out
}

func hasValues(bars []Bar) bool {
	for _, b := range bars {
		if b.Value > 0 {
			return true
		}
	}
	return false
}

// compact formats an axis value: 950, 1.2k, 3.4M.
func compact(v float64) string {
	switch {
	case v >= 1e6:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", v/1e6), ".0") + "M"
	case v >= 1e4:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", v/1e3), ".0") + "k"
	}
	return Number(int64(v))
}

// svg renders a chart as an inline SVG element.
func (c *chart) svg() string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %g %g" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg" font-family="Helvetica, Arial, sans-serif">`,
		chartWidth, c.height, escape(c.title))
	for _, s := range c.shapes {
		switch s.kind {
		case "rect":
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, s.x, s.y, s.w, s.h, s.fill)
		case "line":
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1"/>`, s.x, s.y, s.w, s.h, s.stroke)
		case "polyline":
			b.WriteString(`<polyline fill="none" stroke-width="2.5" stroke-linejoin="round" stroke="` + s.stroke + `" points="`)
			for i, p := range s.points {
				if i > 0 {
					b.WriteString(" ")
				}
				fmt.Fprintf(&b, "%.1f,%.1f", p[0], p[1])
			}
			b.WriteString(`"/>`)
		case "text":
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="%g" text-anchor="%s" fill="%s">%s</text>`, s.x, s.y, s.size, s.anchor, s.fill, escape(s.text))
		}
	}
	b.WriteString("</svg>")
	return b.String()
}

// escape escapes text for XML.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;").Replace(s)
}

// Title returns the chart's title (for templates).
func (c *chart) Title() string { return c.title }
