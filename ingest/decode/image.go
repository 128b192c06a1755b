package decode

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"os"
)

// JPEG and PNG go through Go's standard decoders: measured faster than
// Leptonica's for a 300 dpi A4 page except grayscale JPEG (see doc.go), and
// memory-safe on hostile input. Dimensions are checked with DecodeConfig
// before any pixel buffer is allocated.

type imageDoc struct {
	path, mediaType string
	dpi             float64
	orient          int // JPEG Exif orientation, 1-8 (1 = stored upright)
}

func openImage(f *os.File, mediaType, path string, lim Limits) (pager, int, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, 0, fmt.Errorf("decode: %w", err)
	}
	br := bufio.NewReader(f)
	var cfg image.Config
	var err error
	if mediaType == MediaJPEG {
		cfg, err = jpeg.DecodeConfig(br)
	} else {
		cfg, err = png.DecodeConfig(br)
	}
	if err != nil {
		return nil, 0, imageErr(path, 0, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, 0, newErr(path, 0, ErrCorrupt, "image is %dx%d", cfg.Width, cfg.Height)
	}
	// the stored size: turning the image upright does not change the count
	if int64(cfg.Width)*int64(cfg.Height) > lim.MaxPixels {
		return nil, 0, newErr(path, 1, ErrTooLarge, "%dx%d pixels, limit %d", cfg.Width, cfg.Height, lim.MaxPixels)
	}
	d := &imageDoc{path: path, mediaType: mediaType, orient: 1}
	if mediaType == MediaJPEG {
		m := jpegMeta(f)
		d.orient = m.orient
		d.dpi = m.xdpi
		if m.orient >= 5 && m.ydpi > 0 { // turned a quarter: the rows run along the stored columns
			d.dpi = m.ydpi
		}
	} else {
		d.dpi = pngDPI(f)
	}
	d.dpi = tidyDPI(d.dpi)
	return d, 1, nil
}

// imageErr maps a Go image decoder error to a sentinel.
func imageErr(path string, page int, err error) error {
	var ju jpeg.UnsupportedError
	var pu png.UnsupportedError
	switch {
	case errors.As(err, &ju), errors.As(err, &pu):
		return newErr(path, page, ErrUnsupported, "%v", err)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return newErr(path, page, ErrCorrupt, "truncated")
	}
	return newErr(path, page, ErrCorrupt, "%v", err)
}

func (d *imageDoc) page(ctx context.Context, n int) (Page, error) {
	f, err := os.Open(d.path)
	if err != nil {
		return Page{}, fmt.Errorf("decode: %w", err)
	}
	defer f.Close()
	var img image.Image
	if d.mediaType == MediaJPEG {
		img, err = jpeg.Decode(bufio.NewReaderSize(f, 1<<16))
	} else {
		img, err = png.Decode(bufio.NewReaderSize(f, 1<<16))
	}
	if err != nil {
		return Page{}, imageErr(d.path, n, err)
	}
	p := Page{Number: n, Image: upright(img, d.orient), DPI: d.dpi}
	if d.orient > 1 {
		p.Orientation = d.orient
	}
	return p, nil
}

func (d *imageDoc) close() error { return nil }

// jpegInfo is what hoso reads from a JPEG's metadata segments.
type jpegInfo struct {
	xdpi, ydpi float64 // 0 when unknown
	orient     int     // Exif orientation 1-8; 1 when absent or invalid
}

// jpegMeta returns the resolution from a JFIF APP0 segment, else from the
// first Exif APP1 segment, and the orientation from that Exif segment. It
// reads segment headers up to the first scan. Damaged metadata is ignored,
// never an error: the pixels may be fine.
func jpegMeta(r io.ReaderAt) jpegInfo {
	var jfif, exif jpegInfo
	haveExif := false
	off := int64(2)
	var hdr [4]byte
	for i := 0; i < 64; i++ {
		if _, err := r.ReadAt(hdr[:], off); err != nil || hdr[0] != 0xFF {
			break
		}
		marker, n := hdr[1], int64(binary.BigEndian.Uint16(hdr[2:]))
		if marker == 0xDA || marker == 0xD9 || n < 2 {
			break
		}
		switch marker {
		case 0xE0: // APP0
			var b [14]byte
			if n >= 16 {
				if _, err := r.ReadAt(b[:], off+4); err == nil && string(b[:5]) == "JFIF\x00" {
					x := float64(binary.BigEndian.Uint16(b[8:]))
					y := float64(binary.BigEndian.Uint16(b[10:]))
					switch b[7] {
					case 1:
						jfif.xdpi, jfif.ydpi = x, y
					case 2:
						jfif.xdpi, jfif.ydpi = x*2.54, y*2.54
					}
				}
			}
		case 0xE1: // APP1
			if n > 8+8 && !haveExif {
				sec := io.NewSectionReader(r, off+4, n-2)
				var id [6]byte
				if _, err := sec.ReadAt(id[:], 0); err == nil && string(id[:]) == "Exif\x00\x00" {
					exif, haveExif = exifMeta(io.NewSectionReader(sec, 6, n-2-6), n-2-6), true
				}
			}
		}
		off += 2 + n
	}
	out := exif
	if jfif.xdpi > 0 {
		out.xdpi, out.ydpi = jfif.xdpi, jfif.ydpi
	}
	if out.orient < 1 || out.orient > 8 {
		out.orient = 1
	}
	return out
}

// exifMeta reads XResolution, YResolution and Orientation from the first
// directory (IFD0) of an Exif block; a damaged block gives zero values.
func exifMeta(r io.ReaderAt, size int64) jpegInfo {
	t, err := newTIFFReader(r, size)
	if err != nil || t.big {
		return jpegInfo{}
	}
	d, _, err := t.dir(t.first)
	if err != nil {
		return jpegInfo{}
	}
	return jpegInfo{xdpi: d.xres, ydpi: d.yres, orient: d.orient}
}

// pngDPI returns the resolution from a pHYs chunk (metre unit), 0 when
// there is none. It reads chunk headers up to the first IDAT.
func pngDPI(r io.ReaderAt) float64 {
	off := int64(8)
	var hdr [8]byte
	for i := 0; i < 256; i++ {
		if _, err := r.ReadAt(hdr[:], off); err != nil {
			return 0
		}
		n := int64(binary.BigEndian.Uint32(hdr[:4]))
		switch string(hdr[4:]) {
		case "IDAT", "IEND":
			return 0
		case "pHYs":
			var b [9]byte
			if n != 9 {
				return 0
			}
			if _, err := r.ReadAt(b[:], off+8); err != nil || b[8] != 1 {
				return 0
			}
			return float64(binary.BigEndian.Uint32(b[:4])) * 0.0254
		}
		off += 12 + n
	}
	return 0
}

// toGray converts img to 8-bit gray: luminance (ITU-R 601 weights, as
// image/color's GrayModel) composited over white where img is transparent.
// It returns img itself when it already is an *image.Gray at the origin.
func toGray(img image.Image) *image.Gray {
	b := img.Bounds()
	if g, ok := img.(*image.Gray); ok && b.Min == (image.Point{}) {
		return g
	}
	w, h := b.Dx(), b.Dy()
	out := image.NewGray(image.Rect(0, 0, w, h))
	switch m := img.(type) {
	case *image.YCbCr: // JPEG: Y is the luminance
		for y := 0; y < h; y++ {
			copy(out.Pix[y*w:(y+1)*w], m.Y[m.YOffset(b.Min.X, b.Min.Y+y):])
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			copy(out.Pix[y*w:(y+1)*w], m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):])
		}
	case *image.Gray16:
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				out.Pix[y*w+x] = row[2*x]
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				p := row[4*x : 4*x+4]
				out.Pix[y*w+x] = over(lum(p[0], p[1], p[2]), p[3])
			}
		}
	case *image.RGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				p := row[4*x : 4*x+4]
				// premultiplied: add the white showing through
				out.Pix[y*w+x] = uint8(min(255, uint32(lum(p[0], p[1], p[2]))+255-uint32(p[3])))
			}
		}
	case *image.Paletted:
		var lut [256]uint8
		for i, c := range m.Palette {
			lut[i] = grayOf(c.RGBA())
		}
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				out.Pix[y*w+x] = lut[row[x]]
			}
		}
	default: // CMYK, 16-bit color, ...
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				out.Pix[y*w+x] = grayOf(img.At(b.Min.X+x, b.Min.Y+y).RGBA())
			}
		}
	}
	return out
}

// upright returns img as 8-bit gray (as toGray) turned and mirrored upright
// by Exif orientation o; 1, or anything outside 2-8, leaves it as stored.
// For the Go JPEG decoder's *image.YCbCr and *image.Gray the transform reads
// the luma plane directly, so the page costs one copy either way.
func upright(img image.Image, o int) *image.Gray {
	if o < 2 || o > 8 {
		return toGray(img)
	}
	b := img.Bounds()
	switch m := img.(type) {
	case *image.YCbCr:
		return orientPlane(m.Y[m.YOffset(b.Min.X, b.Min.Y):], m.YStride, b.Dx(), b.Dy(), o)
	case *image.Gray:
		return orientPlane(m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride, b.Dx(), b.Dy(), o)
	}
	g := toGray(img) // CMYK or RGB JPEG: rare, and slow anyway
	return orientPlane(g.Pix, g.Stride, b.Dx(), b.Dy(), o)
}

// orientPlane returns the w x h 8-bit plane src (rows stride bytes apart)
// turned upright by Exif orientation o (2-8). The Exif (CIPA DC-008) values
// say where the stored 0th row and 0th column belong: 2 mirror
// horizontally, 3 rotate 180°, 4 mirror vertically, 5 transpose (mirror
// across the main diagonal), 6 rotate 90° clockwise, 7 transverse (mirror
// across the other diagonal), 8 rotate 90° counter-clockwise. For 5-8 the
// result is h x w.
func orientPlane(src []byte, stride, w, h, o int) *image.Gray {
	ow, oh := w, h
	if o >= 5 {
		ow, oh = h, w
	}
	out := image.NewGray(image.Rect(0, 0, ow, oh))
	// Output pixel (x, y) is src[base + x*dx + y*dy].
	last, right := (h-1)*stride, w-1
	var base, dx, dy int
	switch o {
	case 2:
		base, dx, dy = right, -1, stride
	case 3:
		base, dx, dy = last+right, -1, -stride
	case 4:
		base, dx, dy = last, 1, -stride
	case 5:
		base, dx, dy = 0, stride, 1
	case 6:
		base, dx, dy = last, -stride, 1
	case 7:
		base, dx, dy = last+right, -stride, -1
	case 8:
		base, dx, dy = right, stride, -1
	default:
		base, dx, dy = 0, 1, stride
	}
	if dx == 1 || dx == -1 { // rows stay rows
		for y := 0; y < oh; y++ {
			row := out.Pix[y*ow : (y+1)*ow]
			p := base + y*dy
			if dx == 1 {
				copy(row, src[p:p+ow])
				continue
			}
			s := src[p-ow+1 : p+1]
			for x := range row {
				row[x] = s[ow-1-x]
			}
		}
		return out
	}
	// Rows become columns: walk tiles so that the source rows a tile reads
	// stay in cache (a 4000-pixel-wide scan read column-wise would touch a
	// new cache line per pixel).
	const tile = 64
	for ty := 0; ty < oh; ty += tile {
		yEnd := min(ty+tile, oh)
		for tx := 0; tx < ow; tx += tile {
			xEnd := min(tx+tile, ow)
			for y := ty; y < yEnd; y++ {
				row := out.Pix[y*ow+tx : y*ow+xEnd]
				p := base + y*dy + tx*dx
				for x := range row {
					row[x] = src[p]
					p += dx
				}
			}
		}
	}
	return out
}

func lum(r, g, b uint8) uint8 {
	return uint8((19595*uint32(r) + 38470*uint32(g) + 7471*uint32(b) + 1<<15) >> 16)
}

// over composites gray v with alpha a over white.
func over(v, a uint8) uint8 {
	return uint8((uint32(v)*uint32(a) + 255*(255-uint32(a)) + 127) / 255)
}

// grayOf converts alpha-premultiplied 16-bit RGBA to gray over white.
func grayOf(r, g, b, a uint32) uint8 {
	y := (19595*r + 38470*g + 7471*b + 1<<15) >> 16 // premultiplied, 16-bit
	return uint8(min(0xffff, y+0xffff-a) >> 8)
}

// tidyDPI undoes the rounding of metric units (pixels per metre or cm):
// a value within 0.05 of a whole number becomes that number; others are
// rounded to 0.01.
func tidyDPI(v float64) float64 {
	if r := math.Round(v); math.Abs(v-r) < 0.05 {
		return r
	}
	return math.Round(v*100) / 100
}
