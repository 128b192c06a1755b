package prep

import (
	"image"
	"math"
	"sort"
)

// inkMap summarizes a page for blank detection and skew estimation: the page
// is cut into r×r blocks and each block holds how many of its pixels are
// solid ink, that is darker than the ink threshold with at least two of
// their four neighbours dark too. Isolated scanner noise does not count.
type inkMap struct {
	r      int     // block size in page pixels
	w, h   int     // size in blocks
	n      []uint8 // solid-ink pixels per block, row-major
	thresh uint8   // ink threshold used
	bg     uint8   // background (paper) level
}

// background estimates the paper's gray level as the 75th percentile of a
// sample of pixels: text covers far less than a quarter of a page.
func background(img *image.Gray) uint8 {
	var hist [256]int
	step := max(1, len(img.Pix)/200000)
	n := 0
	for i := 0; i < len(img.Pix); i += step {
		hist[img.Pix[i]]++
		n++
	}
	want := n / 4 // pixels above the 75th percentile
	for v := 255; v >= 0; v-- {
		want -= hist[v]
		if want <= 0 {
			return uint8(v)
		}
	}
	return 255
}

func newInkMap(img *image.Gray, r int) *inkMap {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	bg := background(img)
	m := &inkMap{r: r, w: w / r, h: h / r, bg: bg, thresh: uint8(int(bg) * 6 / 10)}
	m.n = make([]uint8, m.w*m.h)
	if m.w == 0 || m.h == 0 {
		return m
	}
	t := m.thresh
	pix, stride := img.Pix, img.Stride
	for y := 1; y < m.h*r && y < h-1; y++ {
		row := pix[y*stride : y*stride+w]
		up := pix[(y-1)*stride : (y-1)*stride+w]
		down := pix[(y+1)*stride : (y+1)*stride+w]
		brow := m.n[(y/r)*m.w : (y/r+1)*m.w]
		for x := 1; x < m.w*r && x < w-1; x++ {
			if row[x] >= t {
				continue
			}
			k := 0
			if row[x-1] < t {
				k++
			}
			if row[x+1] < t {
				k++
			}
			if up[x] < t {
				k++
			}
			if down[x] < t {
				k++
			}
			if k >= 2 {
				brow[x/r]++
			}
		}
	}
	return m
}

// inkedCells counts cells of c×c blocks, inside a margin of mf (fraction of
// each side), whose solid ink covers at least frac of the cell.
func (m *inkMap) inkedCells(c int, mf, frac float64) int {
	x0, y0 := int(float64(m.w)*mf), int(float64(m.h)*mf)
	x1, y1 := m.w-x0, m.h-y0
	need := int(math.Ceil(frac * float64(c*c*m.r*m.r)))
	count := 0
	for cy := y0; cy+c <= y1; cy += c {
		for cx := x0; cx+c <= x1; cx += c {
			s := 0
			for y := cy; y < cy+c; y++ {
				for _, v := range m.n[y*m.w+cx : y*m.w+cx+c] {
					s += int(v)
				}
			}
			if s >= need {
				count++
			}
		}
	}
	return count
}

// Skew search range and steps, in degrees.
const (
	maxSkew    = 7.0
	coarseStep = 0.25
	fineStep   = 0.02
)

// skew estimates the angle (degrees, counter-clockwise positive) by which
// the text lines are turned: the angle whose sheared horizontal projection
// of the ink blocks has the sharpest peaks (largest sum of squared bin
// counts). ok is false when there is too little ink or no clear peak.
func (m *inkMap) skew(mf float64) (deg float64, ok bool) {
	x0, y0 := int(float64(m.w)*mf), int(float64(m.h)*mf)
	minInk := uint8(max(1, m.r*m.r/4))
	var xs, ys []int32
	for y := y0; y < m.h-y0; y++ {
		for x := x0; x < m.w-x0; x++ {
			if m.n[y*m.w+x] >= minInk {
				xs = append(xs, int32(x))
				ys = append(ys, int32(y))
			}
		}
	}
	if len(xs) < 200 {
		return 0, false
	}
	cx := float64(m.w) / 2
	bins := make([]int32, m.h+2*int(float64(m.w)*math.Tan(maxSkew*math.Pi/180))+8)
	off := float64(len(bins)-m.h) / 2
	score := func(a float64) float64 {
		clear(bins)
		t := math.Tan(a * math.Pi / 180)
		// A line turned counter-clockwise by a rises to the right:
		// y + (x-cx)·tan(a) is constant along it.
		for i := range xs {
			b := int(float64(ys[i]) + (float64(xs[i])-cx)*t + off)
			bins[b]++
		}
		var s float64
		for _, v := range bins {
			s += float64(v) * float64(v)
		}
		return s
	}
	var coarse []float64
	best, bestS := 0.0, -1.0
	for a := -maxSkew; a <= maxSkew+1e-9; a += coarseStep {
		s := score(a)
		coarse = append(coarse, s)
		if s > bestS {
			best, bestS = a, s
		}
	}
	sorted := append([]float64(nil), coarse...)
	sort.Float64s(sorted)
	if median := sorted[len(sorted)/2]; bestS < 1.1*median {
		return 0, false // no angle stands out: not text lines
	}
	lo, hi := best-coarseStep, best+coarseStep
	fb, fs := best, bestS
	for a := lo; a <= hi+1e-9; a += fineStep {
		if s := score(a); s > fs {
			fb, fs = a, s
		}
	}
	// Parabolic refinement around the best fine angle.
	sl, sr := score(fb-fineStep), score(fb+fineStep)
	if d := sl - 2*fs + sr; d < 0 {
		fb += fineStep * (sl - sr) / (2 * d)
	}
	return fb, true
}
