package report

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/hajimehoshi/ebiten/v2/examples/resources/fonts"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/migrate-tool/migrate/migrate/plan"
)

// unicodeNames are folder names in the scripts a report must print.
// 已发送邮件 has characters M+ 1p lacks: they print as a box, but the text
// layer keeps them.
var unicodeNames = []string{"Входящие", "Εισερχόμενα", "受信トレイ", "收件箱", "Ärger", "Черновики/2024", "已发送邮件"}

const (
	unicodeClient     = "Société Générale – Łódź & Ærøskøbing"
	unicodeConsultant = "Δημήτρης Παπαδόπουλος, Дмитрий Иванов"
)

// unicodeDoc is the fixture assessment with a mailbox whose folders are
// named in Cyrillic, Greek, Japanese, Chinese and German, and a client and
// consultant with accents, Greek and Cyrillic.
func unicodeDoc() *Document {
	p := fixturePlan()
	p.Client, p.Consultant = unicodeClient, unicodeConsultant
	mb := &p.Mailboxes[0]
	for i, name := range unicodeNames {
		mb.Folders = append(mb.Folders, plan.Folder{Path: name, Kind: "message", Target: name, Items: int64(10 + i), Bytes: 1 << 20,
			Oldest: date("2020-01-01"), Newest: date("2025-01-01"), ToMigrate: plan.Count{Items: int64(10 + i), Bytes: 1 << 20}})
	}
	return Assessment(p, &Options{Now: day0, Tool: "migrate v1.0.0"})
}

// pdfText is the text pdftotext extracts from pdf.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin := requireTool(t, "poppler-utils", "pdftotext")
	_, in := pdfFile(t, pdf)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-enc", "UTF-8", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// TestPDFUnicodeText renders a report with folder, client and consultant
// names in several scripts and checks that pdftotext reads each back
// exactly: the text is neither replaced (the core fonts printed "?" for
// what Windows-1252 lacks) nor split.
func TestPDFUnicodeText(t *testing.T) {
	for _, paper := range []string{PaperA4, PaperLetter} {
		t.Run(paper, func(t *testing.T) {
			var b bytes.Buffer
			if err := WritePDFPaper(&b, unicodeDoc(), paper); err != nil {
				t.Fatalf("WritePDFPaper() = %v", err)
			}
			text := pdfText(t, b.Bytes())
			for _, want := range append([]string{unicodeClient, unicodeConsultant}, unicodeNames...) {
				if !strings.Contains(text, want) {
					t.Errorf("pdftotext output lacks %q", want)
				}
			}
			if t.Failed() {
				t.Logf("pdftotext output:\n%s", text)
			}
		})
	}
}

// TestPDFFontsSubset checks that the PDF embeds subsets of the fonts: each
// embedded font program (its uncompressed /Length1) is a small part of
// the font in the binary, and the report stays small.
func TestPDFFontsSubset(t *testing.T) {
	full := len(fonts.MPlus1pRegular_ttf)
	for name, d := range map[string]*Document{"unicode": unicodeDoc(), "assessment": fixtureDocs(t)["assessment"], "migration": fixtureDocs(t)["migration"]} {
		var b bytes.Buffer
		if err := WritePDF(&b, d); err != nil {
			t.Fatalf("%s: WritePDF() = %v", name, err)
		}
		lengths := regexp.MustCompile(`/Length1 (\d+)`).FindAllSubmatch(b.Bytes(), -1)
		if len(lengths) == 0 {
			t.Fatalf("%s: no embedded TrueType font (/Length1)", name)
		}
		for _, m := range lengths {
			n, _ := strconv.Atoi(string(m[1]))
			if n > len(goregular.TTF)/2 {
				t.Errorf("%s: an embedded font program is %d bytes, want a subset (Go Regular is %d, M+ 1p %d)", name, n, len(goregular.TTF), full)
			}
		}
		if b.Len() > 150_000 {
			t.Errorf("%s: PDF is %d bytes, want at most 150 kB", name, b.Len())
		}
		t.Logf("%s: %d bytes, %d embedded fonts", name, b.Len(), len(lengths))
	}
}

// TestPDFFontBytesUntouched checks that writing a PDF leaves the embedded
// fonts' bytes as they were: they are shared by every report the process
// writes, at the same time too. (fpdf 0.9.0's getMetrics appends to a
// slice of the font's bytes for a glyph after the last full horizontal
// metric; no character or composite reaches such a glyph in these fonts
// today, and this test keeps it so.)
func TestPDFFontBytesUntouched(t *testing.T) {
	sums := func() [][32]byte {
		return [][32]byte{sha256.Sum256(goregular.TTF), sha256.Sum256(gobold.TTF), sha256.Sum256(fonts.MPlus1pRegular_ttf)}
	}
	before := sums()
	if err := WritePDF(io.Discard, unicodeDoc()); err != nil {
		t.Fatalf("WritePDF() = %v", err)
	}
	for i, s := range sums() {
		if s != before[i] {
			t.Errorf("font %d changed while writing a PDF", i)
		}
	}
}

// TestFontRuns checks which face draws each run of text.
func TestFontRuns(t *testing.T) {
	fs, err := newFontSet()
	if err != nil {
		t.Fatal(err)
	}
	type run struct{ family, text string }
	for _, tt := range []struct {
		in   string
		bold bool
		want []run
	}{
		{"Ärger – Köln…", false, []run{{familySans, "Ärger – Köln…"}}},
		{"Входящие Εισερχόμενα", false, []run{{familySans, "Входящие Εισερχόμενα"}}},
		{"INBOX/受信トレイ", false, []run{{familySans, "INBOX/"}, {familyCJK, "受信トレイ"}}},
		{"收件箱 (3)", true, []run{{familyCJK, "收件箱"}, {familySans, " (3)"}}},
		// Not in M+: still drawn in the CJK face, so the text keeps it.
		{"已发送邮件", false, []run{{familyCJK, "已发送邮件"}}},
		{"a\u00a0b\tc", false, []run{{familySans, "a b c"}}},
		{"ok 😀", false, []run{{familySans, "ok \ufffd"}}},
		{"", false, nil},
	} {
		var got []run
		for _, r := range fs.runs(tt.in, tt.bold) {
			got = append(got, run{r.face.family, r.text})
			if tt.bold && r.face.family == familySans && r.face.style != "B" {
				t.Errorf("runs(%q, bold): %q not in the bold face", tt.in, r.text)
			}
		}
		if len(got) != len(tt.want) {
			t.Errorf("runs(%q) = %v, want %v", tt.in, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("runs(%q) = %v, want %v", tt.in, got, tt.want)
				break
			}
		}
	}
}

// TestFontWidths checks the widths used for layout against fpdf's own for
// the same fonts, so that laid-out text lines up with what is drawn.
func TestFontWidths(t *testing.T) {
	p := fpdf.New("P", "mm", "A4", "")
	fs, err := newFontSet()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		face *pdfFace
		s    string
	}{
		{fs.regular, "Mailbox Ärger Входящие Εισερχόμενα 0123456789 – •"},
		{fs.bold, "Executive summary ÄÖÜ ЖЩ ΣΩ"},
		{fs.cjk, "受信トレイ收件箱、。"},
	} {
		tt.face.register(p)
		p.SetFont(tt.face.family, tt.face.style, 10)
		want := p.GetStringSymbolWidth(tt.s)
		got := 0
		for _, r := range tt.s {
			got += tt.face.width(r)
		}
		if got != want {
			t.Errorf("%s %s: width(%q) = %d, fpdf says %d", tt.face.family, tt.face.style, tt.s, got, want)
		}
	}
	if err := p.Error(); err != nil {
		t.Fatal(err)
	}
	if len(gobold.TTF) == 0 {
		t.Fatal("no Go Bold font")
	}
}

// TestWrap checks line breaking: at spaces, between CJK characters, inside
// a word only when it is wider than a line.
func TestWrap(t *testing.T) {
	fs, err := newFontSet()
	if err != nil {
		t.Fatal(err)
	}
	em := fs.cjk.width('受') // every kana and kanji is 1 em wide in M+ 1p
	for _, tt := range []struct {
		in   string
		max  int
		want []string
	}{
		{"", 1000, []string{""}},
		{"one two three", 100_000, []string{"one two three"}},
		{"one two three", fs.width("one two", false), []string{"one two", "three"}},
		{"one two  three", fs.width("one tw", false), []string{"one", "two", "three"}},
		{"a\nb", 100_000, []string{"a", "b"}},
		{"受信トレイ", 3 * em, []string{"受信ト", "レイ"}},
		{"Inbox 受信トレイ", fs.width("Inbox 受信", false), []string{"Inbox 受信", "トレイ"}},
		{"abcdef", fs.width("abc", false), []string{"abc", "def"}},
	} {
		got := fs.wrap(tt.in, false, tt.max)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("wrap(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}
