package ocr

import (
	"image"
	"os"
	"testing"
	"time"

	"hoso/internal/fixtures"
)

func half(src *image.Gray, f int) *image.Gray {
	b := src.Bounds()
	w, h := b.Dx()/f, b.Dy()/f
	dst := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			s := 0
			for yy := 0; yy < f; yy++ {
				for xx := 0; xx < f; xx++ {
					s += int(src.Pix[(y*f+yy)*src.Stride+x*f+xx])
				}
			}
			dst.Pix[y*dst.Stride+x] = uint8(s / (f * f))
		}
	}
	return dst
}

func TestExpOSD(t *testing.T) {
	if os.Getenv("EXP") == "" {
		t.Skip()
	}
	o, err := newOSD("")
	if err != nil {
		t.Fatal(err)
	}
	defer o.close()
	for _, opt := range []fixtures.PageOptions{{}, {RotateDeg: 2, Noise: 0.02, Blur: 1}, {FontPt: 10}} {
		for _, nl := range []int{5, 40} {
			img, _ := expPage(t, nl, opt)
			for _, f := range []int{1, 2, 3} {
				for _, rot := range []float64{0, 90, 180, 270} {
					r := img
					if rot != 0 {
						r = fixtures.Rotate(img, rot)
					}
					if f > 1 {
						r = half(r, f)
					}
					t0 := time.Now()
					d, cf, ok := o.detect(r, 300/f)
					t.Logf("opt=%+v lines=%d f=%d rot %v: deg=%d conf=%.2f ok=%v %v", opt, nl, f, rot, d, cf, ok, time.Since(t0))
				}
			}
		}
	}
}
