package ocr

import (
	"context"
	"errors"
	"image"
	"slices"
	"strings"
	"testing"
	"unicode"

	"hoso/domain"
	"hoso/ingest/prep"
	"hoso/internal/fixtures"
	"hoso/internal/textmetrics"
)

// Measured CER on these pages: clean 200 dpi 0.000-0.01; after OSD turn
// 0.00-0.01; prep+ocr on a 3° noisy page 0.01. The bounds leave margin for
// other Tesseract builds.
const (
	maxCERClean = 0.03
	maxCERHard  = 0.06
)

func truth(lines []string) string { return strings.Join(lines, "\n") }

func TestRecognizeVietnamese(t *testing.T) {
	p := shared(t)
	img := render(t, vietLines, fixtures.PageOptions{DPI: 200})
	res, err := p.Process(context.Background(), Input{Image: img, DPI: 200, Label: "viet"})
	if err != nil {
		t.Fatal(err)
	}
	o := res.OCR
	cer := textmetrics.CER(truth(vietLines), o.Text)
	t.Logf("CER %.4f, mean confidence %.1f", cer, o.MeanConfidence)
	for _, w := range []string{"Nguyễn", "Đảng", "CỘNG", "Hạnh", "Nghệ"} {
		if !strings.Contains(o.Text, w) {
			t.Errorf("text lacks %q:\n%s", w, o.Text)
		}
	}
	if cer > maxCERClean {
		t.Errorf("CER %.4f > %.2f:\n%s", cer, maxCERClean, o.Text)
	}
	if o.Source != "ocr" || !strings.HasPrefix(o.Engine, "tesseract 5") || o.Lang != "vie" || o.Schema != domain.SchemaVersion {
		t.Errorf("source %q engine %q lang %q schema %d", o.Source, o.Engine, o.Lang, o.Schema)
	}
	if o.Width != img.Bounds().Dx() || o.Height != img.Bounds().Dy() || res.Image != img {
		t.Errorf("size %dx%d, same image %v", o.Width, o.Height, res.Image == img)
	}
	if res.Orientation != 0 || len(res.Flags) != 0 || o.MeanConfidence < 80 {
		t.Errorf("orientation %d flags %v confidence %.1f", res.Orientation, res.Flags, o.MeanConfidence)
	}
	if got := strings.Count(o.Text, "\n") + 1; got != len(vietLines) {
		t.Errorf("%d lines, want %d", got, len(vietLines))
	}
	checkWords(t, res)
}

// checkWords verifies the contract of Result's words: exact Start offsets
// in text order, confidences, boxes inside the image and on ink.
func checkWords(t *testing.T, res *Result) {
	t.Helper()
	o := res.OCR
	if len(o.Words) == 0 {
		t.Fatal("no words")
	}
	b := res.Image.Bounds()
	prevEnd := 0
	for i, w := range o.Words {
		if w.Start < prevEnd || w.Start+len(w.Text) > len(o.Text) || o.Text[w.Start:w.Start+len(w.Text)] != w.Text {
			t.Fatalf("word %d %q: Start %d does not locate it in the text", i, w.Text, w.Start)
		}
		if i > 0 && o.Text[w.Start-1] != ' ' && o.Text[w.Start-1] != '\n' {
			t.Fatalf("word %d %q not preceded by a separator", i, w.Text)
		}
		prevEnd = w.Start + len(w.Text)
		if w.Confidence <= 0 || w.Confidence > 100 {
			t.Errorf("word %q confidence %v", w.Text, w.Confidence)
		}
		box := image.Rect(w.X0, w.Y0, w.X1, w.Y1)
		if box.Empty() || !box.In(image.Rect(0, 0, b.Dx(), b.Dy())) {
			t.Fatalf("word %q box %v outside the %dx%d image", w.Text, box, b.Dx(), b.Dy())
		}
		if w.Confidence < 50 || letters(w.Text) < 2 {
			continue // noise read as "_", "ˆ" or "c" sits on a speck
		}
		dark := 0
		for y := box.Min.Y; y < box.Max.Y; y++ {
			for x := box.Min.X; x < box.Max.X; x++ {
				if res.Image.GrayAt(b.Min.X+x, b.Min.Y+y).Y < 128 {
					dark++
				}
			}
		}
		if frac := float64(dark) / float64(box.Dx()*box.Dy()); frac < 0.05 {
			t.Errorf("word %q box %v holds %.3f ink: not on the text", w.Text, box, frac)
		}
	}
	if prevEnd != len(o.Text) {
		t.Errorf("text runs on after the last word: %q", o.Text[prevEnd:])
	}
}

func letters(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			n++
		}
	}
	return n
}

func TestOrientation(t *testing.T) {
	p := shared(t)
	upright := render(t, vietLines, fixtures.PageOptions{DPI: 200})
	for _, c := range []struct{ turn, want int }{{180, 180}, {90, 270}, {270, 90}} {
		img := fixtures.Rotate(upright, float64(c.turn))
		res, err := p.Process(context.Background(), Input{Image: img, DPI: 200})
		if err != nil {
			t.Fatal(err)
		}
		cer := textmetrics.CER(truth(vietLines), res.OCR.Text)
		t.Logf("turned %d°: orientation %d, CER %.4f, confidence %.1f", c.turn, res.Orientation, cer, res.OCR.MeanConfidence)
		if res.Orientation != c.want || !slices.Contains(res.Flags, domain.FlagRotated) {
			t.Errorf("turned %d°: orientation %d flags %v, want %d and rotated", c.turn, res.Orientation, res.Flags, c.want)
		}
		if cer > maxCERClean {
			t.Errorf("turned %d°: CER %.4f:\n%s", c.turn, cer, res.OCR.Text)
		}
		if res.Image.Bounds().Size() != upright.Bounds().Size() || res.OCR.Width != upright.Bounds().Dx() {
			t.Errorf("turned %d°: result image %v, want upright %v", c.turn, res.Image.Bounds(), upright.Bounds())
		}
		checkWords(t, res)
	}
}

// TestPipeline runs pages through prep and then the pool, as ingestion does.
func TestPipeline(t *testing.T) {
	p := shared(t)
	lines := docLines(5, 8)
	skewed := render(t, lines, fixtures.PageOptions{RotateDeg: 3, Noise: 0.02, Blur: 1, Seed: 2})
	lowres := render(t, lines, fixtures.PageOptions{DPI: 120})
	blank := fixtures.Blank(fixtures.PageOptions{DPI: 200, Noise: 0.03, Seed: 9})
	for _, c := range []struct {
		name  string
		img   *image.Gray
		dpi   float64
		flags []string
	}{
		{"skewed", skewed, 300, []string{domain.FlagSkewed}},
		{"low-resolution", lowres, 120, []string{domain.FlagLowResolution}},
		{"blank", blank, 200, []string{domain.FlagBlank}},
	} {
		t.Run(c.name, func(t *testing.T) {
			pg, err := prep.Prepare(c.img, c.dpi, prep.DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(pg.Flags, c.flags) {
				t.Fatalf("prep flags %v, want %v", pg.Flags, c.flags)
			}
			res, err := p.Process(context.Background(), Input{Image: pg.Image, DPI: pg.DPI, Label: c.name})
			if err != nil {
				t.Fatal(err)
			}
			if pg.Blank {
				// Callers skip blank pages; if one comes anyway it reads
				// as nothing and asks for review.
				if strings.TrimSpace(res.OCR.Text) != "" || !slices.Equal(res.Flags, []string{domain.FlagLowConfidence}) {
					t.Fatalf("blank page: text %q flags %v", res.OCR.Text, res.Flags)
				}
				return
			}
			cer := textmetrics.CER(truth(lines), res.OCR.Text)
			t.Logf("%s: skew %.2f°, dpi %v, CER %.4f, confidence %.1f\n%s", c.name, pg.SkewDeg, pg.DPI, cer, res.OCR.MeanConfidence, res.OCR.Text)
			if cer > maxCERHard {
				t.Errorf("CER %.4f:\n%s", cer, res.OCR.Text)
			}
			checkWords(t, res)
		})
	}
}

func TestLanguageValidation(t *testing.T) {
	langs, err := Languages()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(langs, "vie") || !slices.Contains(langs, "eng") || slices.Contains(langs, "osd") {
		t.Fatalf("Languages() = %v: want vie and eng, not osd (install tesseract-ocr-vie tesseract-ocr-eng)", langs)
	}
	for _, lang := range []string{"xyz", "vie+xyz", "vie;rm -rf", "osd"} {
		_, err := New(Config{Lang: lang, Workers: 1})
		if !errors.Is(err, ErrLanguage) {
			t.Fatalf("New(%q): %v, want ErrLanguage", lang, err)
		}
		if strings.Contains(lang, "xyz") && !strings.Contains(err.Error(), "tesseract-ocr-xyz") {
			t.Errorf("New(%q) error does not name the package: %v", lang, err)
		}
	}
	p := shared(t)
	img := render(t, vietLines[:1], fixtures.PageOptions{DPI: 150})
	_, err = p.Process(context.Background(), Input{Image: img, Lang: "xyz", Label: "a.pdf page 2"})
	if !errors.Is(err, ErrLanguage) || !strings.HasPrefix(err.Error(), "ocr a.pdf page 2: ") {
		t.Fatalf("Process with lang xyz: %v", err)
	}
}

func TestLanguageCombination(t *testing.T) {
	p := shared(t)
	lines := []string{"Quyết định bổ nhiệm", "Signed by the Director"}
	res, err := p.Process(context.Background(), Input{Image: render(t, lines, fixtures.PageOptions{DPI: 200}), DPI: 200, Lang: "vie+eng"})
	if err != nil {
		t.Fatal(err)
	}
	if res.OCR.Lang != "vie+eng" || !strings.Contains(res.OCR.Text, "Director") {
		t.Fatalf("lang %q text %q", res.OCR.Lang, res.OCR.Text)
	}
}

func TestInputValidation(t *testing.T) {
	p := shared(t)
	for _, img := range []*image.Gray{
		nil,
		image.NewGray(image.Rect(0, 0, 5, 5)),
		{Rect: image.Rect(0, 0, 40000, 20)},   // too wide for Tesseract
		{Rect: image.Rect(0, 0, 100, 100)},    // no pixels behind the bounds
		{Rect: image.Rect(0, 0, 20000, 9000)}, // too many pixels
	} {
		if _, err := p.Process(context.Background(), Input{Image: img}); !errors.Is(err, ErrInput) {
			t.Errorf("Process(%v): %v, want ErrInput", img, err)
		}
	}
}
