package prep

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"hoso/domain"
	"hoso/internal/fixtures"
)

func page(t testing.TB, lines int, o fixtures.PageOptions) *image.Gray {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(lines), 11))
	img, err := fixtures.Page(fixtures.DocumentLines(rng, fixtures.RandomPerson(rng), lines), o)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestSkewAccuracy(t *testing.T) {
	// Measured: mean error 0.014°, worst 0.049° over 0.5-4° with and
	// without noise, at 200 and 300 dpi.
	const tol = 0.1
	angles := []float64{0.5, -0.8, 1.5, -2.5, 4, -4}
	if testing.Short() {
		angles = angles[:2]
	}
	for i, deg := range angles {
		o := fixtures.PageOptions{DPI: 200, RotateDeg: deg}
		if i%2 == 1 {
			o.Noise, o.Blur, o.Seed = 0.03, 1, uint64(i)
		}
		img := page(t, 8+i*4, o)
		p, err := Prepare(img, 200, DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(p.SkewDeg-deg) > tol {
			t.Errorf("rotated %.1f°: measured %.3f°", deg, p.SkewDeg)
		}
		if got, want := slices.Contains(p.Flags, domain.FlagSkewed), math.Abs(deg) >= 1; got != want {
			t.Errorf("rotated %.1f°: skewed flag %v, want %v", deg, got, want)
		}
	}
}

func TestDeskew(t *testing.T) {
	img := page(t, 12, fixtures.PageOptions{RotateDeg: 3})
	orig := slices.Clone(img.Pix)
	p, err := Prepare(img, 300, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(p.SkewDeg-3) > 0.1 || !slices.Contains(p.Flags, domain.FlagSkewed) || p.Blank {
		t.Fatalf("skew %.3f flags %v blank %v; want ~3° and skewed", p.SkewDeg, p.Flags, p.Blank)
	}
	if !bytes.Equal(orig, img.Pix) {
		t.Fatal("Prepare modified its input")
	}
	if p.Image.Bounds() != img.Bounds() {
		t.Fatalf("deskewed size %v, want %v", p.Image.Bounds(), img.Bounds())
	}
	// The corrected page measures straight.
	again, err := Prepare(p.Image, 300, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(again.SkewDeg) > 0.1 || slices.Contains(again.Flags, domain.FlagSkewed) {
		t.Fatalf("after deskew: skew %.3f flags %v", again.SkewDeg, again.Flags)
	}
	// Deskew off: nothing measured or changed.
	cfg := DefaultConfig()
	cfg.Deskew = false
	off, err := Prepare(img, 300, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if off.SkewDeg != 0 || len(off.Flags) != 0 || off.Image.Bounds() != img.Bounds() {
		t.Fatalf("deskew off: skew %v flags %v bounds %v", off.SkewDeg, off.Flags, off.Image.Bounds())
	}
}

func TestBlank(t *testing.T) {
	for _, noise := range []float64{0, 0.02, 0.05, 0.1} {
		p, err := Prepare(fixtures.Blank(fixtures.PageOptions{Noise: noise, Seed: 3}), 300, DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		if !p.Blank || !slices.Equal(p.Flags, []string{domain.FlagBlank}) {
			t.Errorf("blank page with noise %.2f: blank %v flags %v", noise, p.Blank, p.Flags)
		}
	}
	// One short line on a noisy page is not blank.
	one, err := fixtures.Page([]string{"Kỷ luật: không"}, fixtures.PageOptions{Noise: 0.05, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Prepare(one, 300, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if p.Blank {
		t.Error("a page with one line was taken as blank")
	}
	// A dark scanner edge alone is still a blank page.
	edge := fixtures.Blank(fixtures.PageOptions{DPI: 150})
	for y := 0; y < edge.Bounds().Dy(); y++ {
		for x := 0; x < 20; x++ {
			edge.Pix[y*edge.Stride+x] = 10
		}
	}
	if p, _ := Prepare(edge, 150, DefaultConfig()); !p.Blank {
		t.Error("a blank page with a dark scanner edge was not taken as blank")
	}
}

func TestResolution(t *testing.T) {
	small := page(t, 4, fixtures.PageOptions{DPI: 150})
	fine := page(t, 4, fixtures.PageOptions{DPI: 800, WidthIn: 4, HeightIn: 3.5})
	for _, c := range []struct {
		name    string
		img     *image.Gray
		dpi     float64
		wantDPI float64
		scale   float64
		flags   []string
	}{
		{"low", small, 150, 300, 2, []string{domain.FlagLowResolution}},
		{"ok", small, 200, 200, 1, nil},
		{"fine", fine, 800, 300, 0.375, nil},
		{"unknown", small, 0, 300, 1, nil},
		{"implausible 20 dpi", small, 20, 300, 1, nil},
		{"implausible page size", small, 50, 300, 1, nil}, // 1240 px / 50 dpi = 25 in
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := Prepare(c.img, c.dpi, DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			if p.DPI != c.wantDPI || !slices.Equal(p.Flags, c.flags) {
				t.Fatalf("dpi %v flags %v, want %v %v", p.DPI, p.Flags, c.wantDPI, c.flags)
			}
			w := int(math.Round(float64(c.img.Bounds().Dx()) * c.scale))
			if p.Image.Bounds().Dx() != w {
				t.Fatalf("width %d, want %d", p.Image.Bounds().Dx(), w)
			}
		})
	}
}

func TestPrepareRejects(t *testing.T) {
	for _, img := range []*image.Gray{nil, image.NewGray(image.Rect(0, 0, 0, 10))} {
		if _, err := Prepare(img, 300, DefaultConfig()); !errors.Is(err, ErrImage) {
			t.Errorf("Prepare(%v) error %v, want ErrImage", img, err)
		}
	}
}

func TestSubImage(t *testing.T) {
	img := page(t, 6, fixtures.PageOptions{DPI: 150, RotateDeg: 2})
	sub := img.SubImage(image.Rect(10, 20, 1200, 1700)).(*image.Gray)
	p, err := Prepare(sub, 150, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if b := p.Image.Bounds(); b.Min != (image.Point{}) || b.Dx() != 2*1190 {
		t.Fatalf("bounds %v", b)
	}
	if math.Abs(p.SkewDeg-2) > 0.1 {
		t.Fatalf("skew %.3f", p.SkewDeg)
	}
}

func TestRotate90(t *testing.T) {
	img := page(t, 3, fixtures.PageOptions{DPI: 100})
	for _, deg := range []int{90, 180, 270} {
		r := Rotate90(img, deg)
		// Same turn as the fixture renderer (counter-clockwise), up to its
		// rounding at the edges.
		want := fixtures.Rotate(img, float64(deg))
		if r.Bounds() != want.Bounds() {
			t.Fatalf("%d°: bounds %v, want %v", deg, r.Bounds(), want.Bounds())
		}
		diff := 0
		for i := range r.Pix {
			if r.Pix[i] != want.Pix[i] {
				diff++
			}
		}
		if float64(diff) > 0.01*float64(len(r.Pix)) {
			t.Errorf("%d°: %d pixels differ from fixtures.Rotate", deg, diff)
		}
		if back := Rotate90(r, 360-deg); !bytes.Equal(back.Pix, img.Pix) {
			t.Errorf("%d° and back does not restore the page", deg)
		}
	}
	if Rotate90(img, 0) != img {
		t.Error("0° should return the image itself")
	}
}

func TestDespeckle(t *testing.T) {
	img := page(t, 4, fixtures.PageOptions{DPI: 100})
	clean := despeckle(img)
	if !bytes.Equal(clean.Pix, img.Pix) {
		n := 0
		for i := range img.Pix {
			if clean.Pix[i] != img.Pix[i] {
				n++
			}
		}
		// Anti-aliased glyph corners may move a little; strokes stay.
		if float64(n) > 0.002*float64(len(img.Pix)) {
			t.Fatalf("despeckle changed %d pixels of a clean page", n)
		}
	}
	noisy := page(t, 4, fixtures.PageOptions{DPI: 100, Noise: 0.02, Seed: 1})
	left := 0
	for i, v := range despeckle(noisy).Pix {
		if d := int(v) - int(clean.Pix[i]); d > 64 || d < -64 {
			left++
		}
	}
	// Measured: 10% of the noise is left (specks touching another speck
	// or a glyph).
	if float64(left) > 0.2*0.02*float64(len(img.Pix)) {
		t.Fatalf("%d noise pixels left of %d", left, int(0.02*float64(len(img.Pix))))
	}
}

func TestScaleUniform(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 101, 57))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	for _, f := range []float64{0.3, 0.5, 1.7, 3} {
		s := Scale(img, f)
		if s.Bounds().Dx() != int(math.Round(101*f)) || s.Bounds().Dy() != int(math.Round(57*f)) {
			t.Fatalf("scale %v: bounds %v", f, s.Bounds())
		}
		for _, v := range s.Pix {
			if v != 200 {
				t.Fatalf("scale %v: uniform page got value %d", f, v)
			}
		}
	}
}

func TestEncode(t *testing.T) {
	text := page(t, 10, fixtures.PageOptions{DPI: 150})
	photo := image.NewGray(image.Rect(0, 0, 400, 300)) // smooth gradient
	for y := 0; y < 300; y++ {
		for x := 0; x < 400; x++ {
			photo.Pix[y*400+x] = uint8(x * 255 / 400)
		}
	}
	for _, c := range []struct {
		name string
		img  *image.Gray
		ext  string
	}{
		{"text", text, "png"},
		{"blank", fixtures.Blank(fixtures.PageOptions{DPI: 100}), "png"},
		{"photo", photo, "jpg"},
	} {
		b, ext, err := Encode(c.img)
		if err != nil || ext != c.ext {
			t.Fatalf("%s: ext %q err %v, want %q", c.name, ext, err, c.ext)
		}
		dec, _, err := image.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: decode: %v", c.name, err)
		}
		if dec.Bounds().Size() != c.img.Bounds().Size() {
			t.Fatalf("%s: decoded size %v", c.name, dec.Bounds())
		}
	}
	// The bitonal PNG keeps the ink where it was.
	b, _, _ := Encode(text)
	dec, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	agree := 0
	for y := 0; y < text.Bounds().Dy(); y++ {
		for x := 0; x < text.Bounds().Dx(); x++ {
			r, _, _, _ := dec.At(x, y).RGBA()
			if (r < 0x8000) == (text.GrayAt(x, y).Y < 128) {
				agree++
			}
		}
	}
	if frac := float64(agree) / float64(len(text.Pix)); frac < 0.995 {
		t.Fatalf("bitonal PNG agrees with the page on %.4f of pixels", frac)
	}
	if _, _, err := Encode(nil); !errors.Is(err, ErrImage) {
		t.Fatalf("Encode(nil) error %v", err)
	}
}
