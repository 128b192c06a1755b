package decode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"testing"

	"hoso/internal/fixtures"
)

// Exif orientation: phone photos of pages are stored as the sensor saw them
// and carry the Orientation tag; decoding must give the page upright.

// ifdEntry is one entry of a hand-written Exif IFD0; val holds the value
// bytes when they fit in the entry (up to 4), else they are placed after the
// directory.
type ifdEntry struct {
	tag, typ uint16
	count    uint32
	val      []byte
}

// byteOrder is binary.LittleEndian or binary.BigEndian.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// exifTIFF returns a TIFF structure (header, one IFD, external values) in
// byte order bo.
func exifTIFF(bo byteOrder, entries ...ifdEntry) []byte {
	var b []byte
	if bo == binary.LittleEndian {
		b = append(b, 'I', 'I')
	} else {
		b = append(b, 'M', 'M')
	}
	b = bo.AppendUint16(b, 42)
	b = bo.AppendUint32(b, 8)
	b = bo.AppendUint16(b, uint16(len(entries)))
	ext := 8 + 2 + 12*len(entries) + 4 // where external values go
	var extra []byte
	for _, e := range entries {
		b = bo.AppendUint16(b, e.tag)
		b = bo.AppendUint16(b, e.typ)
		b = bo.AppendUint32(b, e.count)
		if len(e.val) <= 4 {
			b = append(b, e.val...)
			b = append(b, make([]byte, 4-len(e.val))...)
		} else {
			b = bo.AppendUint32(b, uint32(ext+len(extra)))
			extra = append(extra, e.val...)
		}
	}
	b = bo.AppendUint32(b, 0) // no next IFD
	return append(b, extra...)
}

func orientEntry(bo byteOrder, v uint16) ifdEntry {
	return ifdEntry{tagOrientation, 3, 1, bo.AppendUint16(nil, v)}
}

func resEntry(bo byteOrder, tag uint16, dpi uint32) ifdEntry {
	return ifdEntry{tag, 5, 1, bo.AppendUint32(bo.AppendUint32(nil, dpi), 1)}
}

// withAPP1 inserts an APP1 segment holding "Exif\0\0" + tiff right after
// the SOI marker of the JPEG jpg.
func withAPP1(jpg, tiff []byte) []byte {
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(2+6+len(tiff)))
	seg = append(append(seg, "Exif\x00\x00"...), tiff...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// withJFIF inserts a JFIF APP0 segment with these densities in dots per
// inch.
func withJFIF(jpg []byte, x, y uint16) []byte {
	app0 := []byte{0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 2, 1, byte(x >> 8), byte(x), byte(y >> 8), byte(y), 0, 0}
	out := append([]byte{}, jpg[:2]...)
	out = append(out, app0...)
	return append(out, jpg[2:]...)
}

// quadrantImage returns a white w x h image with the quadrant at corner
// ("tl", "tr", "bl", "br") black.
func quadrantImage(w, h int, corner string) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			top, left := y < h/2, x < w/2
			dark := map[string]bool{"tl": top && left, "tr": top && !left, "bl": !top && left, "br": !top && !left}[corner]
			if !dark {
				img.Pix[y*w+x] = 255
			}
		}
	}
	return img
}

// darkCorner returns which quadrant of img is dark, failing unless exactly
// one is (quadrant means below 64, others above 192).
func darkCorner(t *testing.T, img *image.Gray) string {
	t.Helper()
	w, h := img.Rect.Dx(), img.Rect.Dy()
	var dark []string
	for _, q := range []struct {
		name string
		r    image.Rectangle
	}{
		{"tl", image.Rect(0, 0, w/2, h/2)}, {"tr", image.Rect(w/2, 0, w, h/2)},
		{"bl", image.Rect(0, h/2, w/2, h)}, {"br", image.Rect(w/2, h/2, w, h)},
	} {
		sum, n := 0, 0
		for y := q.r.Min.Y; y < q.r.Max.Y; y++ {
			for x := q.r.Min.X; x < q.r.Max.X; x++ {
				sum += int(img.GrayAt(x, y).Y)
				n++
			}
		}
		switch mean := sum / n; {
		case mean < 64:
			dark = append(dark, q.name)
		case mean <= 192:
			t.Fatalf("quadrant %s mean %d: neither dark nor light", q.name, mean)
		}
	}
	if len(dark) != 1 {
		t.Fatalf("dark quadrants %v, want one", dark)
	}
	return dark[0]
}

// storedLayout is how a camera stores an upright 40x20 page with its top-left
// quadrant dark, for each Exif orientation, read off the CIPA DC-008
// definitions (where the stored 0th row and 0th column belong on the
// upright image): the stored size and its dark quadrant.
var storedLayout = [9]struct {
	w, h   int
	corner string
}{
	1: {40, 20, "tl"}, // 0th row top, 0th column left: as is
	2: {40, 20, "tr"}, // row top, column right: mirrored
	3: {40, 20, "br"}, // row bottom, column right: upside down
	4: {40, 20, "bl"}, // row bottom, column left: flipped
	5: {20, 40, "tl"}, // row left, column top: transposed
	6: {20, 40, "bl"}, // row right, column top: page turned 90° counter-clockwise (upright = 90° clockwise)
	7: {20, 40, "br"}, // row right, column bottom: transverse
	8: {20, 40, "tr"}, // row left, column bottom: page turned 90° clockwise (upright = 90° counter-clockwise)
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// decodeOne opens a one-page file and returns its page.
func decodeOne(t *testing.T, data []byte, lim Limits) Page {
	t.Helper()
	d, pages := collect(t, write(t, "photo.jpg", data), lim)
	if d.MediaType != MediaJPEG || len(pages) != 1 {
		t.Fatalf("got %s with %d pages", d.MediaType, len(pages))
	}
	return pages[0]
}

func TestJPEGExifOrientation(t *testing.T) {
	orders := []struct {
		name string
		bo   byteOrder
	}{{"II", binary.LittleEndian}, {"MM", binary.BigEndian}}
	for _, kind := range []string{"gray", "color"} {
		for _, bo := range orders {
			for o := 1; o <= 8; o++ {
				t.Run(fmt.Sprintf("%s/%s/%d", kind, bo.name, o), func(t *testing.T) {
					l := storedLayout[o]
					var stored image.Image = quadrantImage(l.w, l.h, l.corner)
					if kind == "color" {
						stored = fixtures.Color(stored.(*image.Gray))
					}
					data := withAPP1(encodeJPEG(t, stored), exifTIFF(bo.bo, orientEntry(bo.bo, uint16(o))))
					p := decodeOne(t, data, Limits{})
					if got := p.Image.Rect; got != image.Rect(0, 0, 40, 20) {
						t.Fatalf("upright page is %v, want 40x20", got)
					}
					if c := darkCorner(t, p.Image); c != "tl" {
						t.Errorf("dark quadrant %s of the upright page, want tl", c)
					}
					want := o
					if o == 1 {
						want = 0
					}
					if p.Orientation != want {
						t.Errorf("Page.Orientation %d, want %d", p.Orientation, want)
					}
				})
			}
		}
	}
}

// A JPEG whose Exif block is damaged or whose orientation is out of range
// decodes as stored, without error.
func TestJPEGExifOrientationIgnored(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	good := exifTIFF(be, orientEntry(be, 6))
	cases := []struct {
		name string
		tiff []byte
	}{
		{"orientation 0", exifTIFF(le, orientEntry(le, 0))},
		{"orientation 9", exifTIFF(be, orientEntry(be, 9))},
		{"orientation 0xffff", exifTIFF(le, orientEntry(le, 0xffff))},
		{"count 2", exifTIFF(le, ifdEntry{tagOrientation, 3, 2, le.AppendUint16(le.AppendUint16(nil, 6), 6)})},
		{"count 0", exifTIFF(be, ifdEntry{tagOrientation, 3, 0, be.AppendUint16(nil, 6)})},
		{"count huge", exifTIFF(le, ifdEntry{tagOrientation, 3, 1 << 30, le.AppendUint16(nil, 6)})},
		{"type LONG", exifTIFF(le, ifdEntry{tagOrientation, 4, 1, le.AppendUint32(nil, 6)})},
		{"type unknown", exifTIFF(be, ifdEntry{tagOrientation, 99, 1, be.AppendUint16(nil, 6)})},
		{"truncated in the entry", good[:8+2+7]},
		{"truncated before the next-IFD offset", good[:8+2+12+1]},
		{"header only", good[:8]},
		{"bad byte order", append([]byte("XY"), good[2:]...)},
		{"bad magic", append([]byte("MM\x00\x2b"), good[4:]...)},
		{"IFD beyond the block", append(append([]byte{}, good[:4]...), append([]byte{0, 0, 0x10, 0}, good[8:]...)...)},
		{"no entries", []byte("II*\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00")},
		{"entry count beyond the block", []byte("MM\x00*\x00\x00\x00\x08\x01\x00\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// stored as if orientation 6, so applying it would show
			p := decodeOne(t, withAPP1(encodeJPEG(t, quadrantImage(20, 40, "bl")), c.tiff), Limits{})
			if got := p.Image.Rect; got != image.Rect(0, 0, 20, 40) {
				t.Fatalf("page is %v, want 20x40 as stored", got)
			}
			if c := darkCorner(t, p.Image); c != "bl" {
				t.Errorf("dark quadrant %s, want bl as stored", c)
			}
			if p.Orientation != 0 {
				t.Errorf("Page.Orientation %d, want 0", p.Orientation)
			}
		})
	}
	t.Run("APP1 that is not Exif", func(t *testing.T) {
		jpg := encodeJPEG(t, quadrantImage(20, 40, "bl"))
		data := withAPP1(jpg, good)
		copy(data[6:], "Exif\x00\x01")
		if p := decodeOne(t, data, Limits{}); p.Image.Rect.Dx() != 20 || p.Orientation != 0 {
			t.Errorf("page %v orientation %d, want as stored", p.Image.Rect, p.Orientation)
		}
	})
}

// The first Exif block counts, and a JFIF segment does not stop the
// orientation from being applied.
func TestJPEGExifOrientationSegments(t *testing.T) {
	be := binary.BigEndian
	jpg := encodeJPEG(t, quadrantImage(20, 40, "bl"))
	data := withAPP1(withAPP1(jpg, exifTIFF(be, orientEntry(be, 3))), exifTIFF(be, orientEntry(be, 6)))
	data = withJFIF(data, 300, 300)
	p := decodeOne(t, data, Limits{})
	if p.Image.Rect != image.Rect(0, 0, 40, 20) || darkCorner(t, p.Image) != "tl" || p.Orientation != 6 || p.DPI != 300 {
		t.Errorf("page %v orientation %d at %g dpi, want 40x20 upright, 6, 300 dpi", p.Image.Rect, p.Orientation, p.DPI)
	}
}

// When a page is turned a quarter, its resolution across is the stored
// vertical one.
func TestJPEGExifOrientationDPI(t *testing.T) {
	le := binary.LittleEndian
	jpg := encodeJPEG(t, quadrantImage(20, 40, "bl"))
	cases := []struct {
		name   string
		data   []byte
		dpi    float64
		orient int
	}{
		{"jfif 200x300, orientation 6", withAPP1(withJFIF(jpg, 200, 300), exifTIFF(le, orientEntry(le, 6))), 300, 6},
		{"jfif 200x300, orientation 3", withAPP1(withJFIF(jpg, 200, 300), exifTIFF(le, orientEntry(le, 3))), 200, 3},
		{"jfif 200x300, no exif", withJFIF(jpg, 200, 300), 200, 0},
		{"exif 200x300, orientation 8", withAPP1(jpg, exifTIFF(le, resEntry(le, tagXResolution, 200), resEntry(le, tagYResolution, 300), orientEntry(le, 8))), 300, 8},
		{"exif x only, orientation 8", withAPP1(jpg, exifTIFF(le, resEntry(le, tagXResolution, 200), orientEntry(le, 8))), 200, 8},
		{"exif 200x300, orientation 2", withAPP1(jpg, exifTIFF(le, resEntry(le, tagXResolution, 200), resEntry(le, tagYResolution, 300), orientEntry(le, 2))), 200, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := decodeOne(t, c.data, Limits{})
			if math.Abs(p.DPI-c.dpi) > 0.001 || p.Orientation != c.orient {
				t.Errorf("%g dpi, orientation %d; want %g, %d", p.DPI, p.Orientation, c.dpi, c.orient)
			}
		})
	}
}

// The pixel limit is checked on the stored size, which turning keeps.
func TestJPEGExifOrientationPixelLimit(t *testing.T) {
	be := binary.BigEndian
	path := write(t, "photo.jpg", withAPP1(encodeJPEG(t, quadrantImage(20, 40, "bl")), exifTIFF(be, orientEntry(be, 6))))
	_, err := Open(path, Limits{MaxPixels: 799})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Open with 800 pixels, limit 799: %v, want ErrTooLarge", err)
	}
	d, pages := collect(t, path, Limits{MaxPixels: 800})
	if d.NumPages != 1 || pages[0].Image.Rect.Dx() != 40 {
		t.Fatalf("limit 800: %d pages, %v", d.NumPages, pages[0].Image.Rect)
	}
}

// orientPlane against the Exif definitions pixel by pixel, on planes with
// distinct values, an odd size, a stride wider than the image and an image
// not at the origin; and upright on each image type the JPEG decoder
// returns.
func TestOrientPlane(t *testing.T) {
	const w, h = 131, 70 // more than one 64-pixel tile each way, not a multiple
	src := image.NewGray(image.Rect(5, 3, 5+w+9, 3+h+4)).SubImage(image.Rect(9, 5, 9+w, 5+h)).(*image.Gray)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			src.SetGray(9+x, 5+y, color.Gray{uint8(x*7 + y*13)})
		}
	}
	at := func(x, y int) uint8 { return src.GrayAt(9+x, 5+y).Y }
	// stored pixel (x, y) belongs at upright position visual(x, y)
	visual := map[int]func(x, y int) (int, int){
		1: func(x, y int) (int, int) { return x, y },
		2: func(x, y int) (int, int) { return w - 1 - x, y },
		3: func(x, y int) (int, int) { return w - 1 - x, h - 1 - y },
		4: func(x, y int) (int, int) { return x, h - 1 - y },
		5: func(x, y int) (int, int) { return y, x },
		6: func(x, y int) (int, int) { return h - 1 - y, x },
		7: func(x, y int) (int, int) { return h - 1 - y, w - 1 - x },
		8: func(x, y int) (int, int) { return y, w - 1 - x },
	}
	ycc := image.NewYCbCr(image.Rect(2, 1, 2+w, 1+h), image.YCbCrSubsampleRatio420)
	cmyk := image.NewCMYK(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			ycc.Y[ycc.YOffset(2+x, 1+y)] = at(x, y)
			ycc.Cb[ycc.COffset(2+x, 1+y)], ycc.Cr[ycc.COffset(2+x, 1+y)] = 128, 128
			cmyk.SetCMYK(x, y, color.CMYK{0, 0, 0, 255 - at(x, y)})
		}
	}
	for o := 1; o <= 8; o++ {
		ow, oh := w, h
		if o >= 5 {
			ow, oh = h, w
		}
		for _, in := range []struct {
			name string
			img  image.Image
		}{{"gray", src}, {"ycbcr", ycc}, {"cmyk", cmyk}} {
			got := upright(in.img, o)
			if got.Rect != image.Rect(0, 0, ow, oh) {
				t.Fatalf("orientation %d %s: %v, want %dx%d", o, in.name, got.Rect, ow, oh)
			}
			bad := 0
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					vx, vy := visual[o](x, y)
					if g := got.GrayAt(vx, vy).Y; g != at(x, y) && bad < 3 {
						bad++
						t.Errorf("orientation %d %s: stored (%d,%d) = %d, upright (%d,%d) = %d", o, in.name, x, y, at(x, y), vx, vy, g)
					}
				}
			}
		}
	}
	for _, o := range []int{0, -1, 9, 1 << 20} { // out of range: as stored
		if got := upright(src, o); got.Rect.Dx() != w || got.GrayAt(3, 2).Y != at(3, 2) {
			t.Errorf("orientation %d: %v", o, got.Rect)
		}
	}
}

// A TIFF's Orientation tag is applied by Leptonica; the page comes out
// upright (5-8 turned a quarter, not rejected for its size).
func TestTIFFOrientation(t *testing.T) {
	for o := 1; o <= 8; o++ {
		t.Run(fmt.Sprint(o), func(t *testing.T) {
			l := storedLayout[o]
			b, err := fixtures.TIFF([]*image.Gray{quadrantImage(l.w, l.h, l.corner)}, fixtures.TIFFLZW, testDPI)
			if err != nil {
				t.Fatal(err)
			}
			if bo, off := firstIFD(b); bo != binary.LittleEndian || !bytes.Contains(b[off:min(len(b), off+2+12*30)], []byte{0x12, 0x01, 3, 0, 1, 0, 0, 0}) {
				t.Fatal("the fixture TIFF has no little-endian Orientation SHORT to patch")
			}
			_, pages := collect(t, write(t, "scan.tif", patchTIFF(b, tagOrientation, uint32(o))), Limits{})
			p := pages[0]
			if p.Image.Rect != image.Rect(0, 0, 40, 20) {
				t.Fatalf("page %v, want 40x20", p.Image.Rect)
			}
			if c := darkCorner(t, p.Image); c != "tl" {
				t.Errorf("dark quadrant %s, want tl", c)
			}
			want := o
			if o == 1 {
				want = 0
			}
			if p.Orientation != want || p.DPI != testDPI {
				t.Errorf("orientation %d at %g dpi, want %d at %d", p.Orientation, p.DPI, want, testDPI)
			}
		})
	}
}
