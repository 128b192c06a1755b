package prep

import "image"

// despeckle removes single-pixel impulses (scanner dust and speckle): each
// pixel is clamped into the range of its eight neighbours, so a dark or
// light dot alone on paper or ink takes its surroundings' value, while
// strokes, their anti-aliased edges and lines one pixel wide (whose pixels
// have like neighbours) are unchanged. The border rows and columns are
// copied. src must be compact; the result is a new image.
func despeckle(src *image.Gray) *image.Gray {
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	dst := image.NewGray(src.Bounds())
	copy(dst.Pix, src.Pix)
	if w < 3 || h < 3 {
		return dst
	}
	p := src.Pix
	for y := 1; y < h-1; y++ {
		up, row, down := p[(y-1)*w:y*w], p[y*w:(y+1)*w], p[(y+1)*w:(y+2)*w]
		out := dst.Pix[y*w : (y+1)*w]
		for x := 1; x < w-1; x++ {
			v := row[x]
			// Fast path: most pixels equal a neighbour on each side.
			if v == row[x-1] || v == row[x+1] {
				continue
			}
			lo, hi := row[x-1], row[x-1]
			for _, n := range [7]uint8{row[x+1], up[x-1], up[x], up[x+1], down[x-1], down[x], down[x+1]} {
				lo, hi = min(lo, n), max(hi, n)
			}
			if v < lo {
				out[x] = lo
			} else if v > hi {
				out[x] = hi
			}
		}
	}
	return dst
}
