package report

import (
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
	"github.com/hajimehoshi/ebiten/v2/examples/resources/fonts"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// The PDF's fonts are TrueType fonts that Go modules embed, so a report
// needs no font on the machine and nothing is downloaded to build it:
//
//   - Go Regular and Go Bold (golang.org/x/image/font/gofont, BSD-3-Clause):
//     Latin, Greek and Cyrillic (WGL4), bullets, dashes, quotes.
//   - M+ 1p Regular (github.com/hajimehoshi/ebiten/v2/examples/resources/fonts,
//     the M+ FONTS licence: use, copy and distribute freely): kana, every
//     JIS X 0208 level-1 kanji and about half of level 2, which also covers
//     the common Chinese characters that Japanese shares (收件箱); it has no
//     Hangul and lacks the simplified-only forms (邮, 发).
//
// fpdf's UTF-8 fonts (AddUTF8FontFromBytes) read TrueType outlines only:
// it refuses OpenType CFF ("OTTO") and collections ("ttcf") in
// utf8fontfile.go parseFile, and reads only a format 4 (BMP) cmap, which
// is why Noto Sans CJK / Source Han (OTF) cannot be used as they ship. It
// embeds a subset of each font holding only the glyphs a document uses
// (GenerateCutFont in putfonts), so a report carries a few kilobytes of
// each font, not the megabytes in the binary.
//
// Each run of text goes to the first font that has its glyphs: Go for
// Latin, Greek and Cyrillic, M+ for CJK. A character in neither is drawn
// with M+ if it is CJK, else with Go: the reader sees the font's empty
// box, but the text layer (/ToUnicode is the identity in fpdf) still holds
// the character, so copying and searching find it.

// pdfFace is one embedded font: the name fpdf knows it by, and its glyph
// coverage and advance widths read with x/image's sfnt parser.
type pdfFace struct {
	family, style string
	data          []byte
	font          *sfnt.Font
	upem          fixed.Int26_6
	buf           sfnt.Buffer
	widths        map[rune]int // advance in 1/1000 em, as fpdf rounds it
	// added is set once the face is registered with fpdf, on first use:
	// fpdf embeds every registered font, used or not.
	added bool
}

// fontSet is the fonts of one PDF. It is not safe for concurrent use: each
// PDF gets its own.
type fontSet struct {
	regular, bold, cjk *pdfFace
}

// Families under which the fonts are registered with fpdf.
const (
	familySans = "gosans"
	familyCJK  = "mplus1p"
)

func newFace(family, style string, data []byte) (*pdfFace, error) {
	f, err := sfnt.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("report: font %s %s: %w", family, style, err)
	}
	return &pdfFace{family: family, style: style, data: data, font: f, upem: fixed.I(int(f.UnitsPerEm())), widths: map[rune]int{}}, nil
}

// newFontSet parses the embedded fonts. They are registered with fpdf
// when first used (register).
func newFontSet() (*fontSet, error) {
	var fs fontSet
	var err error
	if fs.regular, err = newFace(familySans, "", goregular.TTF); err != nil {
		return nil, err
	}
	if fs.bold, err = newFace(familySans, "B", gobold.TTF); err != nil {
		return nil, err
	}
	if fs.cjk, err = newFace(familyCJK, "", fonts.MPlus1pRegular_ttf); err != nil {
		return nil, err
	}
	return &fs, nil
}

// register makes f known to pdf unless it already is.
func (f *pdfFace) register(pdf *fpdf.Fpdf) {
	if !f.added {
		pdf.AddUTF8FontFromBytes(f.family, f.style, f.data)
		f.added = true
	}
}

// has reports whether the face has a glyph for r.
func (f *pdfFace) has(r rune) bool {
	i, err := f.font.GlyphIndex(&f.buf, r)
	return err == nil && i != 0
}

// width is r's advance in 1/1000 em, rounded as fpdf rounds the widths it
// writes into the PDF (utf8fontfile.go parseHMTXTable), so that text laid
// out here lines up with what a viewer draws. A character the face lacks
// has the width of its missing glyph, as fpdf's /DW.
func (f *pdfFace) width(r rune) int {
	if w, ok := f.widths[r]; ok {
		return w
	}
	i, err := f.font.GlyphIndex(&f.buf, r)
	if err != nil {
		i = 0
	}
	adv, err := f.font.GlyphAdvance(&f.buf, i, f.upem, font.HintingNone)
	w := 0
	if err == nil {
		w = int(math.Round(1000 * float64(adv) / float64(f.upem)))
	}
	f.widths[r] = w
	return w
}

// textRun is a stretch of text drawn in one face.
type textRun struct {
	face  *pdfFace
	text  string
	width int // in 1/1000 em
}

// wide reports whether r is a CJK character: one a line may break before
// or after, and one drawn with the CJK face when no face has it.
func wide(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul, unicode.Bopomofo) ||
		(r >= 0x3000 && r <= 0x303f) || (r >= 0xff00 && r <= 0xffef)
}

// pick returns the face r is drawn with, and the character drawn: r, or a
// stand-in for what fpdf cannot print (controls, characters beyond the
// BMP, which fpdf's CIDs cannot address).
func (fs *fontSet) pick(r rune, bold bool) (*pdfFace, rune) {
	latin := fs.regular
	if bold {
		latin = fs.bold
	}
	switch {
	case r == '\u00a0' || r < ' ' || (r >= 0x7f && r < 0xa0):
		return latin, ' '
	case r > 0xffff:
		r = '\ufffd'
	}
	switch {
	case latin.has(r):
		return latin, r
	case fs.cjk.has(r):
		return fs.cjk, r
	case wide(r):
		return fs.cjk, r
	}
	return latin, r
}

// runs splits s into runs of one face each.
func (fs *fontSet) runs(s string, bold bool) []textRun {
	var out []textRun
	var b strings.Builder
	var cur *pdfFace
	w := 0
	flush := func() {
		if b.Len() > 0 {
			out = append(out, textRun{face: cur, text: b.String(), width: w})
		}
		b.Reset()
		w = 0
	}
	for _, r := range s {
		f, c := fs.pick(r, bold)
		if f != cur {
			flush()
			cur = f
		}
		b.WriteRune(c)
		w += f.width(c)
	}
	flush()
	return out
}

// width is the width of s in 1/1000 em.
func (fs *fontSet) width(s string, bold bool) int {
	w := 0
	for _, r := range s {
		f, c := fs.pick(r, bold)
		w += f.width(c)
	}
	return w
}

// wrap breaks s into lines no wider than max (in 1/1000 em): at spaces,
// between CJK characters, at newlines, and inside a word only when the
// word alone is wider than a line. Spaces at a break are dropped.
func (fs *fontSet) wrap(s string, bold bool, max int) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		lines = append(lines, fs.wrapPara(para, bold, max)...)
	}
	return lines
}

func (fs *fontSet) wrapPara(s string, bold bool, max int) []string {
	// Tokens: a word (no space, no CJK), one CJK character, or spaces.
	var toks []string
	start := 0
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == ' ' || wide(r) {
			if i > start {
				toks = append(toks, s[start:i])
			}
			toks = append(toks, s[i:i+n])
			start = i + n
		}
		i += n
	}
	if start < len(s) {
		toks = append(toks, s[start:])
	}
	var lines []string
	var line, spaces strings.Builder
	lw, sw := 0, 0
	flush := func() {
		lines = append(lines, line.String())
		line.Reset()
		spaces.Reset()
		lw, sw = 0, 0
	}
	for _, t := range toks {
		tw := fs.width(t, bold)
		if t == " " {
			if line.Len() > 0 {
				spaces.WriteString(t)
				sw += tw
			}
			continue
		}
		if line.Len() > 0 && lw+sw+tw > max {
			flush()
		}
		if line.Len() == 0 && tw > max {
			// A word wider than a line: break it between characters.
			for _, r := range t {
				rw := fs.width(string(r), bold)
				if line.Len() > 0 && lw+rw > max {
					flush()
				}
				line.WriteRune(r)
				lw += rw
			}
			continue
		}
		line.WriteString(spaces.String())
		line.WriteString(t)
		lw += sw + tw
		spaces.Reset()
		sw = 0
	}
	if line.Len() > 0 || len(lines) == 0 {
		flush()
	}
	return lines
}
