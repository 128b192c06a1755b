package prep

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
)

// Encoding choices, see Encode.
const (
	bitonalMaxMid = 0.08 // mid-tone fraction up to which a page counts as bitonal
	jpegQuality   = 75
)

var (
	bitonalPalette = color.Palette{color.Gray{0}, color.Gray{255}}
	pngEncoder     = png.Encoder{CompressionLevel: png.BestSpeed}
)

// Encode encodes a page image for storage and the web viewer and returns the
// bytes and the file extension, "png" or "jpg". Pages that look bitonal
// (typed or printed text: under 8% of pixels are mid-tones between 64 and
// 192) are thresholded at Otsu's level and written as 1-bit PNG, about
// 100-300 KB for an A4 page at 300 dpi; anything else (photos, stamps,
// pencil, heavy noise) is written as grayscale JPEG at quality 75. The
// size is kept, so OCR word boxes stay valid on the stored image.
func Encode(img *image.Gray) ([]byte, string, error) {
	if img == nil || img.Bounds().Empty() {
		return nil, "", fmt.Errorf("encode page: %w: empty", ErrImage)
	}
	img = compact(img)
	var hist [256]int
	for _, v := range img.Pix {
		hist[v]++
	}
	mid := 0
	for v := 65; v < 192; v++ {
		mid += hist[v]
	}
	var buf bytes.Buffer
	if float64(mid) <= bitonalMaxMid*float64(len(img.Pix)) {
		t := otsu(&hist, len(img.Pix))
		p := &image.Paletted{Pix: make([]uint8, len(img.Pix)), Stride: img.Stride, Rect: img.Rect, Palette: bitonalPalette}
		for i, v := range img.Pix {
			if v > t {
				p.Pix[i] = 1
			}
		}
		buf.Grow(len(img.Pix) / 64)
		if err := pngEncoder.Encode(&buf, p); err != nil {
			return nil, "", fmt.Errorf("encode page: %w", err)
		}
		return buf.Bytes(), "png", nil
	}
	buf.Grow(len(img.Pix) / 8)
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: jpegQuality}); err != nil {
		return nil, "", fmt.Errorf("encode page: %w", err)
	}
	return buf.Bytes(), "jpg", nil
}

// otsu returns the threshold t that best splits the histogram into dark
// (<= t) and light (> t) classes by between-class variance.
func otsu(hist *[256]int, total int) uint8 {
	var sum float64
	for v, n := range hist {
		sum += float64(v * n)
	}
	var sumB, wB float64
	best, bestVar := 127, -1.0
	for t := 0; t < 255; t++ {
		wB += float64(hist[t])
		if wB == 0 {
			continue
		}
		wF := float64(total) - wB
		if wF == 0 {
			break
		}
		sumB += float64(t * hist[t])
		mB, mF := sumB/wB, (sum-sumB)/wF
		if v := wB * wF * (mB - mF) * (mB - mF); v > bestVar {
			best, bestVar = t, v
		}
	}
	return uint8(best)
}
