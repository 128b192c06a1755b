package prep

import (
	"image"
	"math"
)

// compact returns img with origin (0,0) and Stride == width, copying only
// when img is not already laid out that way. The input is never modified.
func compact(img *image.Gray) *image.Gray {
	b := img.Bounds()
	if b.Min == (image.Point{}) && img.Stride == b.Dx() {
		return img
	}
	dst := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		copy(dst.Pix[y*dst.Stride:(y+1)*dst.Stride], img.Pix[img.PixOffset(b.Min.X, b.Min.Y+y):])
	}
	return dst
}

// Scale resizes a compact image by factor f (> 0) with a triangle filter
// whose support widens when shrinking, so downsampling averages the area
// each output pixel covers instead of skipping pixels.
func Scale(src *image.Gray, f float64) *image.Gray {
	src = compact(src)
	sw, sh := src.Bounds().Dx(), src.Bounds().Dy()
	dw, dh := max(1, int(math.Round(float64(sw)*f))), max(1, int(math.Round(float64(sh)*f)))
	xw := weights(sw, dw)
	yw := weights(sh, dh)
	// Horizontal pass: sh rows of dw pixels.
	tmp := make([]uint8, dw*sh)
	for y := 0; y < sh; y++ {
		row := src.Pix[y*sw : (y+1)*sw]
		out := tmp[y*dw : (y+1)*dw]
		for x := range out {
			out[x] = xw[x].apply(row, 1)
		}
	}
	dst := image.NewGray(image.Rect(0, 0, dw, dh))
	for y := 0; y < dh; y++ {
		w := yw[y]
		out := dst.Pix[y*dw : (y+1)*dw]
		for x := range out {
			out[x] = w.applyCol(tmp, x, dw)
		}
	}
	return dst
}

// taps are the source indexes start.. and 16.16 fixed-point weights of one
// output coordinate.
type taps struct {
	start int
	w     []int32
}

func (t taps) apply(row []uint8, _ int) uint8 {
	var s int32
	for i, w := range t.w {
		s += int32(row[t.start+i]) * w
	}
	return clamp8((s + 1<<15) >> 16)
}

func (t taps) applyCol(buf []uint8, x, stride int) uint8 {
	var s int32
	off := t.start*stride + x
	for _, w := range t.w {
		s += int32(buf[off]) * w
		off += stride
	}
	return clamp8((s + 1<<15) >> 16)
}

func clamp8(v int32) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// weights computes the taps that map n source samples onto m outputs.
func weights(n, m int) []taps {
	scale := float64(m) / float64(n)
	support := 1.0
	if scale < 1 {
		support = 1 / scale
	}
	out := make([]taps, m)
	for i := range out {
		c := (float64(i)+0.5)/scale - 0.5 // centre in source coordinates
		lo := max(0, int(math.Floor(c-support))+1)
		hi := min(n-1, int(math.Ceil(c+support))-1)
		if hi < lo {
			lo, hi = min(max(0, int(math.Round(c))), n-1), min(max(0, int(math.Round(c))), n-1)
		}
		fw := make([]float64, hi-lo+1)
		var sum float64
		for j := lo; j <= hi; j++ {
			w := 1 - math.Abs(float64(j)-c)/support
			if w < 0 {
				w = 0
			}
			fw[j-lo] = w
			sum += w
		}
		if sum == 0 {
			fw[0], sum = 1, 1
		}
		iw := make([]int32, len(fw))
		var isum int32
		for j, w := range fw {
			iw[j] = int32(math.Round(w / sum * 65536))
			isum += iw[j]
		}
		iw[len(iw)/2] += 65536 - isum // weights sum to exactly 1.0
		out[i] = taps{start: lo, w: iw}
	}
	return out
}

// Rotate turns src by deg degrees counter-clockwise about its centre with
// bilinear interpolation, keeping the size and filling uncovered corners
// with fill. Use it for small angles (deskew); Rotate90 for quarter turns.
func Rotate(src *image.Gray, deg float64, fill uint8) *image.Gray {
	src = compact(src)
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	dst := image.NewGray(image.Rect(0, 0, w, h))
	rad := deg * math.Pi / 180
	sin, cos := math.Sin(rad), math.Cos(rad)
	cx, cy := float64(w)/2, float64(h)/2
	const one = 1 << 16
	cosF, sinF := int64(math.Round(cos*one)), int64(math.Round(sin*one))
	maxX, maxY := uint64(w-1), uint64(h-1)
	pix := src.Pix
	for y := 0; y < h; y++ {
		dy := float64(y) + 0.5 - cy
		dx := 0.5 - cx
		// Source position (minus half a pixel, for bilinear) in 16.16 fixed point.
		sx := int64(math.Round((cos*dx - sin*dy + cx - 0.5) * one))
		sy := int64(math.Round((sin*dx + cos*dy + cy - 0.5) * one))
		out := dst.Pix[y*w : (y+1)*w]
		for x := range out {
			ix, iy := uint64(sx>>16), uint64(sy>>16) // negative wraps to huge
			if ix >= maxX || iy >= maxY {
				out[x] = fill
			} else {
				// 8-bit fractions keep the arithmetic in 32 bits.
				fx, fy := int32(sx>>8)&0xff, int32(sy>>8)&0xff
				o := int(iy)*w + int(ix)
				r0, r1 := pix[o:o+2:o+2], pix[o+w:o+w+2:o+w+2]
				top := int32(r0[0])<<8 + (int32(r0[1])-int32(r0[0]))*fx
				bot := int32(r1[0])<<8 + (int32(r1[1])-int32(r1[0]))*fx
				out[x] = uint8((top<<8 + (bot-top)*fy + 1<<15) >> 16)
			}
			sx += cosF
			sy += sinF
		}
	}
	return dst
}

// Rotate90 turns src counter-clockwise by deg, which must be a multiple of
// 90; 0 returns src itself. Width and height swap for 90 and 270.
func Rotate90(src *image.Gray, deg int) *image.Gray {
	deg = ((deg % 360) + 360) % 360
	if deg == 0 {
		return src
	}
	src = compact(src)
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	var dst *image.Gray
	switch deg {
	case 180:
		dst = image.NewGray(image.Rect(0, 0, w, h))
		n := len(src.Pix)
		for i, v := range src.Pix {
			dst.Pix[n-1-i] = v
		}
	case 90: // counter-clockwise: source (x, y) goes to (y, w-1-x)
		dst = image.NewGray(image.Rect(0, 0, h, w))
		for y := 0; y < h; y++ {
			row := src.Pix[y*w : (y+1)*w]
			for x, v := range row {
				dst.Pix[(w-1-x)*h+y] = v
			}
		}
	case 270: // clockwise: source (x, y) goes to (h-1-y, x)
		dst = image.NewGray(image.Rect(0, 0, h, w))
		for y := 0; y < h; y++ {
			row := src.Pix[y*w : (y+1)*w]
			for x, v := range row {
				dst.Pix[x*h+h-1-y] = v
			}
		}
	default:
		panic("prep.Rotate90: angle not a multiple of 90")
	}
	return dst
}
