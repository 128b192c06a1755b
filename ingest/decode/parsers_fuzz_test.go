package decode

import (
	"bufio"
	"bytes"
	"errors"
	"image"
	"math"
	"os"
	"testing"
	"unicode/utf8"

	"hoso/internal/fixtures"
)

// The decoders' own parsers, fuzzed without the external programs, so that
// each run takes microseconds: what Poppler prints about a hostile PDF
// (pdfinfo, pdfimages -list, pdftotext -bbox-layout, pdftoppm's PGM) and
// the TIFF directory walk that runs before Leptonica sees a file.
// FuzzOpenImage covers the whole of Open and Pages, programs included.

func FuzzParsePDFInfo(f *testing.F) {
	f.Add([]byte("Title:          Sơ yếu lý lịch\nPages:          3\nEncrypted:      no\nPage    1 CropBox:     0.00     0.00   595.28   841.89\nPage    1 rot:  90\n"))
	f.Add([]byte("Title: Page 1 CropBox: 0 0 1e300 1e300\nPages: 1\nPage 1 CropBox: 0 0 -5 NaN\nPage 1 rot: -450\n"))
	f.Add([]byte("Pages: -1\n"))
	f.Fuzz(func(t *testing.T, out []byte) {
		info, err := parsePDFInfo(out)
		if err == nil && info.pages < 0 {
			t.Fatalf("page count %d without an error", info.pages)
		}
		for n, b := range info.boxes {
			if n < 1 || b.rot < 0 || b.rot >= 360 {
				t.Fatalf("page %d box %+v", n, b)
			}
		}
	})
}

func FuzzParseImageList(f *testing.F) {
	f.Add([]byte("page   num  type   width height color comp bpc  enc interp  object ID x-ppi y-ppi size ratio\n"+
		"--------------------------------------------------------------------------------------------\n"+
		"   1     0 image    2480  3508  gray    1   8  jpeg   no         6  0   300   300  412K 4.8%\n"+
		"   2     1 stencil  1240  1754  gray    1   1  ccitt  no        10  0   150   150 20.1K 0.9%\n"), 595.0, 842.0)
	f.Add([]byte("1 0 image 1 1 gray 1 8 jpeg no 6 0 1e-300 Inf 1B 1%\n1 0 image NaN 1 gray 1 8 jpeg no 6 0 300 300 1B 1%\n"), 0.0, -1.0)
	f.Fuzz(func(t *testing.T, out []byte, w, h float64) {
		info := pdfInfo{pages: 2, boxes: map[int]pdfBox{1: {w: w, h: h}, 2: {w: 612, h: 792}}}
		for pg, ppi := range parseImageList(out, info) {
			if math.IsNaN(ppi) || ppi < minDPI || ppi > maxDPI {
				t.Fatalf("page %d: %v ppi", pg, ppi)
			}
		}
	})
}

func FuzzParseBBoxLayout(f *testing.F) {
	f.Add([]byte(`<html><body><doc><page width="595.28" height="841.89"><flow><block><line>` +
		`<word xMin="72" yMin="72" xMax="120" yMax="84">Họ</word><word xMin="125" yMin="72" xMax="140" yMax="84">và</word>` +
		`</line></block></flow></page></doc></body></html>`))
	f.Add([]byte(`<page width="-1" height="NaN"><word xMin="1e400" yMin="-7" xMax="x">&amp;&nbsp;&#0;</word><page width="9"><word>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tl, err := parseBBoxLayout(bytes.NewReader(data))
		if err != nil || tl == nil {
			return
		}
		if len(tl.boxes) != len(tl.Words) {
			t.Fatalf("%d boxes for %d words", len(tl.boxes), len(tl.Words))
		}
		const w, h = 1240, 1754
		for _, wd := range tl.scale(w, h).Words {
			if wd.X0 < 0 || wd.X1 > w || wd.Y0 < 0 || wd.Y1 > h {
				t.Fatalf("word %+v outside the %dx%d page", wd, w, h)
			}
			if wd.Start < 0 || wd.Start+len(wd.Text) > len(tl.Text) {
				t.Fatalf("word %q at %d outside the text (%d bytes)", wd.Text, wd.Start, len(tl.Text))
			}
		}
		if utf8.ValidString(string(data)) && !utf8.ValidString(tl.Text) {
			t.Fatalf("valid UTF-8 in, invalid out: %q", tl.Text)
		}
	})
}

func FuzzReadPGM(f *testing.F) {
	f.Add([]byte("P5\n3 2\n255\n\x00\x01\x02\x03\x04\x05"))
	f.Add([]byte("P5 999999999 999999999 255 "))
	f.Add([]byte("P6\n1 1\n65535\n\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := readPGM(bufio.NewReader(bytes.NewReader(data)), 64, 64)
		if err == nil && (img.Rect.Dx() > 64 || img.Rect.Dy() > 64 || len(img.Pix) != img.Rect.Dx()*img.Rect.Dy()) {
			t.Fatalf("image %v with %d pixels", img.Rect, len(img.Pix))
		}
	})
}

// FuzzTIFFDirectories walks the directory chain of a TIFF (what Open does
// before Leptonica decodes anything) without decoding pixels: every
// failure must be an *Error, every accepted page within the limits.
func FuzzTIFFDirectories(f *testing.F) {
	page, err := fixtures.BarsPage(1, fixtures.PageOptions{DPI: 12, FontPt: 6})
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range []fixtures.TIFFCompression{fixtures.TIFFG4, fixtures.TIFFLZW, fixtures.TIFFJPEG} {
		b, err := fixtures.TIFF([]*image.Gray{page, page}, c, 12)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("II+\x00\x08\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("MM\x00*\x00\x00\x00\x08\x00\x01\x01\x00\x00\x04\x00\x00\x00\x01\xff\xff\xff\xff\x00\x00\x00\x08"))
	lim := Limits{MaxPixels: 1 << 20, MaxPages: 8}.WithDefaults()
	// one file per fuzzing process, rewritten for each input (a temp folder
	// per input stalled the fuzzing engine)
	fh, err := os.CreateTemp("", "hoso-fuzz-*.tif")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { fh.Close(); os.Remove(fh.Name()) })
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := fh.Truncate(0); err != nil {
			t.Fatal(err)
		}
		if _, err := fh.WriteAt(data, 0); err != nil {
			t.Fatal(err)
		}
		pg, n, err := openTIFF(fh, int64(len(data)), fh.Name(), lim)
		var e *Error
		if err != nil {
			if !errors.As(err, &e) {
				t.Fatalf("not an *Error: %v", err)
			}
			return
		}
		if n < 1 || n > lim.MaxPages || pg == nil {
			t.Fatalf("%d pages accepted (limit %d)", n, lim.MaxPages)
		}
	})
}
