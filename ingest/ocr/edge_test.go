package ocr

import (
	"context"
	"image"
	"math/rand/v2"
	"testing"
)

// TestOddImages feeds images that are valid but unlike pages: Tesseract
// must neither crash nor fail on them.
func TestOddImages(t *testing.T) {
	p := shared(t)
	black := image.NewGray(image.Rect(0, 0, 300, 200))
	white := image.NewGray(image.Rect(0, 0, 16, 16))
	for i := range white.Pix {
		white.Pix[i] = 255
	}
	noise := image.NewGray(image.Rect(0, 0, 600, 400))
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range noise.Pix {
		noise.Pix[i] = uint8(rng.IntN(256))
	}
	strip := image.NewGray(image.Rect(0, 0, 5000, 16))
	for i := range strip.Pix {
		strip.Pix[i] = uint8(255 * (i / 7 % 2))
	}
	sub := noise.SubImage(image.Rect(100, 100, 400, 300)).(*image.Gray)
	for name, img := range map[string]*image.Gray{"black": black, "tiny white": white, "noise": noise, "strip": strip, "sub-image": sub} {
		res, err := p.Process(context.Background(), Input{Image: img, Label: name})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		t.Logf("%s: %d words, confidence %.1f, flags %v", name, len(res.OCR.Words), res.OCR.MeanConfidence, res.Flags)
		if len(res.OCR.Words) == 0 && res.Orientation != 0 {
			t.Errorf("%s: turned %d° with nothing to read", name, res.Orientation)
		}
	}
}
