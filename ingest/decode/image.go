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
	if int64(cfg.Width)*int64(cfg.Height) > lim.MaxPixels {
		return nil, 0, newErr(path, 1, ErrTooLarge, "%dx%d pixels, limit %d", cfg.Width, cfg.Height, lim.MaxPixels)
	}
	var dpi float64
	if mediaType == MediaJPEG {
		dpi = jpegDPI(f)
	} else {
		dpi = pngDPI(f)
	}
	return &imageDoc{path: path, mediaType: mediaType, dpi: tidyDPI(dpi)}, 1, nil
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
	return Page{Number: n, Image: toGray(img), DPI: d.dpi}, nil
}

func (d *imageDoc) close() error { return nil }

// jpegDPI returns the resolution from a JFIF APP0 or Exif APP1 segment,
// 0 when there is none. It reads segment headers up to the first scan.
func jpegDPI(r io.ReaderAt) float64 {
	var jfif, exif float64
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
					switch b[7] {
					case 1:
						jfif = x
					case 2:
						jfif = x * 2.54
					}
				}
			}
		case 0xE1: // APP1
			if n > 8+8 {
				sec := io.NewSectionReader(r, off+4, n-2)
				var id [6]byte
				if _, err := sec.ReadAt(id[:], 0); err == nil && string(id[:]) == "Exif\x00\x00" {
					exif = exifDPI(io.NewSectionReader(sec, 6, n-2-6), n-2-6)
				}
			}
		}
		off += 2 + n
	}
	if jfif > 0 {
		return jfif
	}
	return exif
}

// exifDPI reads XResolution from the first directory of an Exif block.
func exifDPI(r io.ReaderAt, size int64) float64 {
	t, err := newTIFFReader(r, size)
	if err != nil || t.big {
		return 0
	}
	d, _, err := t.dir(t.first)
	if err != nil {
		return 0
	}
	return d.xres
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
