package report

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// inCI reports whether the tests run in CI, where every tool must be
// installed (.ci/install-deps).
func inCI() bool { return os.Getenv("CI") == "true" }

// requireTool returns the path of the first of names on PATH, or skips the
// test (fails it in CI).
func requireTool(t *testing.T, pkg string, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if inCI() {
		t.Fatalf("%s is not installed, and CI=true requires it (.ci/install-deps installs %s)", names[0], pkg)
	}
	t.Skipf("%s is not installed (make deps installs %s)", names[0], pkg)
	return ""
}

// inked returns the share of pixels that are not (nearly) white.
func inked(img image.Image) float64 {
	b := img.Bounds()
	var n, all int
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			all++
			if r < 0xe000 || g < 0xe000 || bl < 0xe000 {
				n++
			}
		}
	}
	if all == 0 {
		return 0
	}
	return float64(n) / float64(all)
}

// pdfFile writes pdf into a new temporary directory for poppler's tools
// and returns the directory and the file.
func pdfFile(t *testing.T, pdf []byte) (dir, file string) {
	t.Helper()
	dir = t.TempDir()
	file = filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, file
}

// pdfPages renders a PDF to PNG with pdftoppm and returns the pages.
func pdfPages(t *testing.T, pdf []byte) []image.Image {
	t.Helper()
	bin := requireTool(t, "poppler-utils", "pdftoppm")
	dir, in := pdfFile(t, pdf)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-r", "40", "-png", in, filepath.Join(dir, "page")).CombinedOutput()
	if err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	names, err := filepath.Glob(filepath.Join(dir, "page*.png"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	var pages []image.Image
	for _, n := range names {
		f, err := os.Open(n)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		pages = append(pages, img)
	}
	return pages
}

// checkPages fails unless there are at least min pages, none blank, with
// the page shape of the paper (width/height ratio within 2 %).
func checkPages(t *testing.T, name string, pages []image.Image, min int, ratio float64) {
	t.Helper()
	if len(pages) < min {
		t.Errorf("%s: %d pages, want at least %d", name, len(pages), min)
	}
	for i, p := range pages {
		b := p.Bounds()
		if r := float64(b.Dx()) / float64(b.Dy()); ratio > 0 && (r < ratio*0.98 || r > ratio*1.02) {
			t.Errorf("%s page %d: %dx%d, ratio %.3f, want %.3f", name, i+1, b.Dx(), b.Dy(), r, ratio)
		}
		if ink := inked(p); ink < 0.002 {
			t.Errorf("%s page %d is blank (%.4f inked)", name, i+1, ink)
		}
	}
}

// Paper shapes.
const (
	ratioA4     = 210.0 / 297.0
	ratioLetter = 8.5 / 11.0
)

func TestHTMLSelfContained(t *testing.T) {
	for name, d := range fixtureDocs(t) {
		d.Logo = &Image{Type: "image/png", Data: testLogo(t)}
		var b bytes.Buffer
		if err := WriteHTML(&b, d); err != nil {
			t.Fatalf("%s: WriteHTML() = %v", name, err)
		}
		h := b.String()
		for _, bad := range []string{"<script", "<link", `src="http`, "url(http", "@import"} {
			if strings.Contains(h, bad) {
				t.Errorf("%s: HTML contains %q: not self-contained", name, bad)
			}
		}
		for _, want := range []string{"<svg", `src="data:image/png;base64,`, "@media print", "@page", d.Summary.Headline[:20]} {
			if !strings.Contains(h, want) {
				t.Errorf("%s: HTML lacks %q", name, want)
			}
		}
		if n := strings.Count(h, "<svg"); n < 3 {
			t.Errorf("%s: %d charts, want at least 3", name, n)
		}
	}
}

// testLogo is a small PNG.
func testLogo(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 120, 40))
	for y := 0; y < 40; y++ {
		for x := 0; x < 120; x++ {
			img.Pix[(y*120+x)*4+0] = uint8(40 + x)
			img.Pix[(y*120+x)*4+1] = 90
			img.Pix[(y*120+x)*4+2] = 180
			img.Pix[(y*120+x)*4+3] = 255
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// chromium runs headless Chromium with the flags the project uses (no
// sandbox, no GPU, no network services, a fresh profile).
func chromium(t *testing.T, args ...string) {
	t.Helper()
	bin := requireTool(t, "chromium", "chromium", "chromium-browser", "google-chrome")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--no-first-run", "--user-data-dir=" + t.TempDir()}
	out, err := exec.CommandContext(ctx, bin, append(base, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, out)
	}
}

// TestHTMLChromium renders the HTML reports in headless Chromium: a
// screenshot that is not blank, and printouts on A4 and on Letter whose
// every page has content.
func TestHTMLChromium(t *testing.T) {
	requireTool(t, "chromium", "chromium", "chromium-browser", "google-chrome")
	docs := fixtureDocs(t)
	for _, name := range []string{"assessment", "migration"} {
		t.Run(name, func(t *testing.T) {
			d := docs[name]
			d.Logo = &Image{Type: "image/png", Data: testLogo(t)}
			var b bytes.Buffer
			if err := WriteHTML(&b, d); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			page := filepath.Join(dir, "report.html")
			if err := os.WriteFile(page, b.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			shot := filepath.Join(dir, "shot.png")
			chromium(t, "--hide-scrollbars", "--window-size=1000,1400", "--screenshot="+shot, "file://"+page)
			f, err := os.Open(shot)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(f)
			f.Close()
			if err != nil {
				t.Fatalf("screenshot: %v", err)
			}
			if b := img.Bounds(); b.Dx() != 1000 || b.Dy() != 1400 {
				t.Errorf("screenshot is %v, want 1000x1400", b)
			}
			if ink := inked(img); ink < 0.01 {
				t.Errorf("screenshot is nearly blank (%.3f inked)", ink)
			}
			for _, paper := range []struct {
				name  string
				ratio float64
			}{{"A4", ratioA4}, {"Letter", ratioLetter}} {
				// The stylesheet leaves the paper to the print dialog; the
				// test picks it as a user would.
				sized := strings.Replace(b.String(), "</style>", "@page { size: "+paper.name+"; }\n</style>", 1)
				p := filepath.Join(dir, paper.name+".html")
				if err := os.WriteFile(p, []byte(sized), 0o600); err != nil {
					t.Fatal(err)
				}
				pdf := filepath.Join(dir, paper.name+".pdf")
				chromium(t, "--no-pdf-header-footer", "--print-to-pdf="+pdf, "file://"+p)
				data, err := os.ReadFile(pdf)
				if err != nil {
					t.Fatal(err)
				}
				checkPages(t, name+" on "+paper.name, pdfPages(t, data), 3, paper.ratio)
			}
		})
	}
}

// TestPDF renders the reports as PDF on A4 and Letter and checks them with
// pdftoppm: enough pages, each of the paper's shape and none blank.
func TestPDF(t *testing.T) {
	docs := fixtureDocs(t)
	for _, name := range []string{"assessment", "migration", "assessment-masked"} {
		for _, paper := range []struct {
			name  string
			ratio float64
		}{{PaperA4, ratioA4}, {PaperLetter, ratioLetter}} {
			t.Run(name+"/"+paper.name, func(t *testing.T) {
				d := docs[name]
				d.Logo = &Image{Type: "image/png", Data: testLogo(t)}
				var b bytes.Buffer
				if err := WritePDFPaper(&b, d, paper.name); err != nil {
					t.Fatalf("WritePDFPaper() = %v", err)
				}
				if !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) {
					t.Fatalf("output does not start with %%PDF-")
				}
				// cover, summary with tables and charts, one appendix page per mailbox
				checkPages(t, name, pdfPages(t, b.Bytes()), 2+len(d.Appendix), paper.ratio)
			})
		}
	}
	if err := WritePDFPaper(&bytes.Buffer{}, docs["assessment"], "A3"); err == nil {
		t.Error("WritePDFPaper(A3) succeeded, want an error")
	}
}
