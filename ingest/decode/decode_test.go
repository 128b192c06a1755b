package decode

import (
	"context"
	"errors"
	"image"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"hoso/internal/fixtures"
)

// testDPI keeps fixtures small and tests fast.
const testDPI = 100

var (
	pagesOnce sync.Once
	testPages []*image.Gray
	pagesErr  error
)

// barsPages returns three test pages at testDPI: page i has i bars; page 2
// is landscape.
func barsPages(t testing.TB) []*image.Gray {
	t.Helper()
	pagesOnce.Do(func() {
		for i := 1; i <= 3; i++ {
			p, err := fixtures.BarsPage(i, fixtures.PageOptions{DPI: testDPI})
			if err != nil {
				pagesErr = err
				return
			}
			testPages = append(testPages, p)
		}
		// landscape: rendered wide rather than rotated, so the bars stay on top
		testPages[1], pagesErr = fixtures.BarsPage(2, fixtures.PageOptions{DPI: testDPI, WidthIn: 11.69, HeightIn: 8.27})
	})
	if pagesErr != nil {
		t.Fatal(pagesErr)
	}
	return testPages
}

// write stores b as name in a temporary directory and returns its path.
func write(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// noTempFiles points TMPDIR at an empty directory and checks at the end of
// the test that nothing was left in it.
func noTempFiles(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	t.Cleanup(func() {
		if ents, _ := os.ReadDir(dir); len(ents) > 0 {
			t.Errorf("temporary files left: %v", ents)
		}
	})
}

func collect(t *testing.T, path string, lim Limits) (*Doc, []Page) {
	t.Helper()
	d, err := Open(path, lim)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var pages []Page
	if err := d.Pages(context.Background(), func(p Page) error {
		pages = append(pages, p)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return d, pages
}

func TestFormats(t *testing.T) {
	noTempFiles(t)
	src := barsPages(t)
	one := src[:1]
	tiff := func(c fixtures.TIFFCompression) []byte { return must[[]byte](t)(fixtures.TIFF(src, c, testDPI)) }
	pdf := func(e fixtures.PDFEncoding) []byte { return must[[]byte](t)(fixtures.ImagePDF(src, testDPI, e)) }
	cases := []struct {
		name, file string
		data       []byte
		media      string
		pages      []*image.Gray
		slack      int // pixels of size difference allowed (PDF page boxes are rounded)
	}{
		{"pdf jpeg", "a.pdf", pdf(fixtures.PDFJPEG), MediaPDF, src, 1},
		{"pdf flate", "a.pdf", pdf(fixtures.PDFFlate), MediaPDF, src, 1},
		{"pdf g4", "a.pdf", pdf(fixtures.PDFG4), MediaPDF, src, 1},
		{"pdf jbig2", "a.pdf", pdf(fixtures.PDFJBIG2), MediaPDF, src, 1},
		{"pdf owner password only", "a.pdf", must[[]byte](t)(fixtures.EncryptedPDF(src, testDPI, "", "owner")), MediaPDF, src, 1},
		{"tiff g4", "a.tif", tiff(fixtures.TIFFG4), MediaTIFF, src, 0},
		{"tiff lzw", "a.tiff", tiff(fixtures.TIFFLZW), MediaTIFF, src, 0},
		{"tiff jpeg", "a.tif", tiff(fixtures.TIFFJPEG), MediaTIFF, src, 0},
		{"tiff zip", "a.tif", tiff(fixtures.TIFFZIP), MediaTIFF, src, 0},
		{"jpeg gray", "a.jpg", must[[]byte](t)(fixtures.JPEG(src[0], testDPI, 0)), MediaJPEG, one, 0},
		{"jpeg color", "a.jpeg", must[[]byte](t)(fixtures.JPEG(fixtures.Color(src[0]), testDPI, 0)), MediaJPEG, one, 0},
		{"png gray", "a.png", must[[]byte](t)(fixtures.PNG(src[0], testDPI)), MediaPNG, one, 0},
		{"png color", "a.png", must[[]byte](t)(fixtures.PNG(fixtures.Color(src[0]), testDPI)), MediaPNG, one, 0},
		{"pdf named .jpg", "scan.jpg", pdf(fixtures.PDFG4), MediaPDF, src, 1},
		{"tiff named .pdf", "scan.pdf", tiff(fixtures.TIFFLZW), MediaTIFF, src, 0},
		{"png without extension", "scan", must[[]byte](t)(fixtures.PNG(src[0], testDPI)), MediaPNG, one, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, pages := collect(t, write(t, c.file, c.data), Limits{})
			if d.MediaType != c.media || d.NumPages != len(c.pages) || len(pages) != len(c.pages) {
				t.Fatalf("got %s with %d pages (%d decoded), want %s with %d", d.MediaType, d.NumPages, len(pages), c.media, len(c.pages))
			}
			for i, p := range pages {
				want := c.pages[i].Rect
				if p.Number != i+1 {
					t.Errorf("page %d numbered %d", i+1, p.Number)
				}
				if abs(p.Image.Rect.Dx()-want.Dx()) > c.slack || abs(p.Image.Rect.Dy()-want.Dy()) > c.slack || p.Image.Rect.Min != (image.Point{}) {
					t.Errorf("page %d: %v, want %v", i+1, p.Image.Rect, want)
				}
				if math.Abs(p.DPI-testDPI) > 0.5 {
					t.Errorf("page %d: %v dpi", i+1, p.DPI)
				}
				if n := fixtures.CountBars(p.Image, p.DPI); n != i+1 {
					t.Errorf("page %d: %d bars (pages out of order or damaged)", i+1, n)
				}
				if p.Text != nil {
					t.Errorf("page %d: text layer on an image-only page: %q", i+1, p.Text.Text)
				}
			}
		})
	}
}

func abs(v int) int { return max(v, -v) }

// TestPDFRenderDPI: a page with no scan image is rendered at RenderDPI.
func TestPDFRenderDPI(t *testing.T) {
	// A 50x50 image stretched over an A4 page is 6 ppi: not a scan image.
	small := image.NewGray(image.Rect(0, 0, 50, 50))
	path := write(t, "a.pdf", fixtures.SizedPDF([]*image.Gray{small}, 595, 842))
	_, pages := collect(t, path, Limits{RenderDPI: 72})
	if r := pages[0].Image.Rect; r.Dx() != 595 || r.Dy() != 842 || pages[0].DPI != 72 {
		t.Errorf("got %v at %v dpi, want 595x842 at 72", r, pages[0].DPI)
	}
}

func TestTextLayer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs tesseract")
	}
	noTempFiles(t)
	src := barsPages(t)[:2]
	b, err := fixtures.TextPDF(context.Background(), src, testDPI, "vie")
	if err != nil {
		t.Fatal(err)
	}
	_, pages := collect(t, write(t, "ocr.pdf", b), Limits{})
	if len(pages) != 2 {
		t.Fatalf("%d pages", len(pages))
	}
	for i, p := range pages {
		if p.Text == nil {
			t.Fatalf("page %d: no text layer", i+1)
		}
		if !strings.Contains(p.Text.Text, "Trang") || len(p.Text.Words) < 5 {
			t.Errorf("page %d: text %q", i+1, p.Text.Text)
		}
		if n := fixtures.CountBars(p.Image, p.DPI); n != i+1 {
			t.Errorf("page %d: %d bars", i+1, n)
		}
		b := p.Image.Rect
		for _, w := range p.Text.Words {
			if w.Text == "" || p.Text.Text[w.Start:w.Start+len(w.Text)] != w.Text {
				t.Fatalf("page %d: word %q at %d does not match the text", i+1, w.Text, w.Start)
			}
			if w.X0 < 0 || w.Y0 < 0 || w.X1 > b.Max.X || w.Y1 > b.Max.Y || w.X0 >= w.X1 || w.Y0 >= w.Y1 || w.Confidence != 100 {
				t.Fatalf("page %d: word %+v outside the %v image", i+1, w, b)
			}
			if !hasInk(p.Image, image.Rect(w.X0, w.Y0, w.X1, w.Y1)) {
				t.Errorf("page %d: no ink under word %+v", i+1, w)
			}
		}
		if lines := strings.Split(p.Text.Text, "\n"); len(lines) < 3 {
			t.Errorf("page %d: %d lines", i+1, len(lines))
		}
	}
}

func hasInk(img *image.Gray, r image.Rectangle) bool {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.GrayAt(x, y).Y < 128 {
				return true
			}
		}
	}
	return false
}

func TestPagesStops(t *testing.T) {
	path := write(t, "a.tif", must[[]byte](t)(fixtures.TIFF(barsPages(t), fixtures.TIFFG4, testDPI)))
	d := must[*Doc](t)(Open(path, Limits{}))
	defer d.Close()
	stop := errors.New("stop")
	n := 0
	if err := d.Pages(context.Background(), func(p Page) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("fn error: got %v after %d pages", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n = 0
	err := d.Pages(ctx, func(p Page) error { n++; cancel(); return nil })
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Errorf("cancel: got %v after %d pages", err, n)
	}
	n = 0 // and again from the start
	if err := d.Pages(context.Background(), func(p Page) error {
		n++
		if p.Number != n {
			t.Errorf("page %d numbered %d", n, p.Number)
		}
		return nil
	}); err != nil || n != 3 {
		t.Errorf("rerun: %v after %d pages", err, n)
	}
	if err := d.Close(); err != nil {
		t.Error(err)
	}
}

func TestSniff(t *testing.T) {
	for _, c := range []struct {
		head string
		want string
	}{
		{"%PDF-1.7\n", MediaPDF},
		{"junk before\n%PDF-1.4", MediaPDF},
		{"II*\x00\x08\x00\x00\x00", MediaTIFF},
		{"MM\x00*\x00\x00\x00\x08", MediaTIFF},
		{"II+\x00\x08\x00\x00\x00", MediaTIFF},
		{"\xff\xd8\xff\xe0", MediaJPEG},
		{"\x89PNG\r\n\x1a\n", MediaPNG},
		{"GIF89a", ""},
		{"", ""},
		{strings.Repeat(" ", 1100) + "%PDF-", ""},
	} {
		got, ok := Sniff([]byte(c.head))
		if got != c.want || ok != (c.want != "") {
			t.Errorf("Sniff(%.12q) = %q, %v; want %q", c.head, got, ok, c.want)
		}
	}
}

func TestLimitsWithDefaults(t *testing.T) {
	l := Limits{MaxPages: 7}.WithDefaults()
	if l.MaxPages != 7 || l.MaxFileBytes != 1<<30 || l.MaxPixels != 120e6 || l.RenderDPI != 300 || l.Timeout == 0 {
		t.Errorf("%+v", l)
	}
}

// TestBornDigitalPDF: visible text, no image: rendered at RenderDPI, text
// layer with boxes where the text was set.
func TestBornDigitalPDF(t *testing.T) {
	b := fixtures.BornDigitalPDF([][]string{
		{"Ho va ten: Nguyen Van Thanh", "Que quan: Ha Tinh"},
		{"short"},
	})
	_, pages := collect(t, write(t, "office.pdf", b), Limits{RenderDPI: 100})
	if len(pages) != 2 {
		t.Fatalf("%d pages", len(pages))
	}
	p := pages[0]
	if r := p.Image.Rect; r.Dx() != 827 || r.Dy() != 1170 || math.Abs(p.DPI-100) > 0.5 {
		t.Errorf("got %v at %v dpi", r, p.DPI)
	}
	if p.Text == nil || p.Text.Text != "Ho va ten: Nguyen Van Thanh\nQue quan: Ha Tinh" {
		t.Fatalf("text layer %+v", p.Text)
	}
	w := p.Text.Words[0] // "Ho" at x = 1 in, baseline 84 pt from the top
	if w.Text != "Ho" || abs(w.X0-100) > 2 || w.Y0 < 100 || w.Y1 > 125 || !hasInk(p.Image, image.Rect(w.X0, w.Y0, w.X1, w.Y1)) {
		t.Errorf("first word %+v", w)
	}
	if last := p.Text.Words[len(p.Text.Words)-1]; last.Text != "Tinh" || last.Start != len(p.Text.Text)-4 {
		t.Errorf("last word %+v", last)
	}
	if pages[1].Text != nil {
		t.Errorf("page 2 has %d characters, below MinTextChars, yet a text layer", len("short"))
	}
}
