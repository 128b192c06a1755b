package decode

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"strings"
	"testing"
	"time"

	"hoso/internal/fixtures"
)

// firstIFD returns the byte order and first directory offset of a TIFF.
func firstIFD(b []byte) (binary.ByteOrder, int) {
	var o binary.ByteOrder = binary.LittleEndian
	if b[0] == 'M' {
		o = binary.BigEndian
	}
	return o, int(o.Uint32(b[4:]))
}

// patchTIFF returns a copy of b with the first directory's tag set to v
// (SHORT or LONG, stored inline).
func patchTIFF(b []byte, tag uint16, v uint32) []byte {
	b = bytes.Clone(b)
	o, off := firstIFD(b)
	n := int(o.Uint16(b[off:]))
	for i := 0; i < n; i++ {
		e := off + 2 + 12*i
		if o.Uint16(b[e:]) != tag {
			continue
		}
		if o.Uint16(b[e+2:]) == 3 {
			o.PutUint16(b[e+8:], uint16(v))
		} else {
			o.PutUint32(b[e+8:], v)
		}
	}
	return b
}

// tiffLoop makes the first directory point to itself as the next one.
func tiffLoop(b []byte) []byte {
	b = bytes.Clone(b)
	o, off := firstIFD(b)
	n := int(o.Uint16(b[off:]))
	o.PutUint32(b[off+2+12*n:], uint32(off))
	return b
}

// garble overwrites the middle of the stream following the n-th (1-based)
// occurrence of marker with fill, as a damaged sector would. The fill must
// be one the codec can notice: JPEG entropy data has no redundancy, and
// libjpeg, like any decoder, turns most byte runs into a wrong picture
// without a word, but zeros end its data early.
func garble(b []byte, marker string, n int, fill byte) []byte {
	b = bytes.Clone(b)
	at := 0
	for i := 0; i < n; i++ {
		at += bytes.Index(b[at:], []byte(marker)) + len(marker)
	}
	s := at + bytes.Index(b[at:], []byte("stream")) + 7
	e := s + bytes.Index(b[s:], []byte("endstream"))
	for i := s + (e-s)/3; i < s+(e-s)/3+(e-s)/4; i++ {
		b[i] = fill
	}
	return b
}

// jpegSize sets the dimensions in a baseline JPEG's SOF0 segment.
func jpegSize(b []byte, w, h uint16) []byte {
	b = bytes.Clone(b)
	i := bytes.Index(b, []byte{0xFF, 0xC0})
	binary.BigEndian.PutUint16(b[i+5:], h)
	binary.BigEndian.PutUint16(b[i+7:], w)
	return b
}

// pngSize sets the dimensions in a PNG's IHDR chunk and fixes its CRC.
func pngSize(b []byte, w, h uint32) []byte {
	b = bytes.Clone(b)
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func TestHostileInputs(t *testing.T) {
	noTempFiles(t)
	src := barsPages(t)
	pdfJPEG := must[[]byte](t)(fixtures.ImagePDF(src, testDPI, fixtures.PDFJPEG))
	pdfFlate := must[[]byte](t)(fixtures.ImagePDF(src, testDPI, fixtures.PDFFlate))
	tifLZW := must[[]byte](t)(fixtures.TIFF(src, fixtures.TIFFLZW, testDPI))
	tifG4 := must[[]byte](t)(fixtures.TIFF(src[:1], fixtures.TIFFG4, testDPI))
	jpg := must[[]byte](t)(fixtures.JPEG(src[0], testDPI, 0))
	png := must[[]byte](t)(fixtures.PNG(src[0], testDPI))
	cases := []struct {
		name, file string
		data       []byte
		lim        Limits
		want       error
		page       int  // page named in the error
		atOpen     bool // reported by Open rather than Pages
		detail     string
	}{
		{"zero bytes", "a.pdf", nil, Limits{}, ErrCorrupt, 0, true, "empty"},
		{"text named .pdf", "a.pdf", []byte("Họ và tên: Nguyễn Văn Thành\n"), Limits{}, ErrUnsupported, 0, true, ""},
		{"gif", "a.gif", []byte("GIF89a\x01\x00\x01\x00"), Limits{}, ErrUnsupported, 0, true, "GIF89a"},
		{"pdf truncated", "a.pdf", pdfJPEG[:len(pdfJPEG)/2], Limits{}, ErrCorrupt, 0, true, "pdfinfo"},
		{"pdf header only", "a.pdf", []byte("%PDF-1.4\n%%EOF\n"), Limits{}, ErrCorrupt, 0, true, ""},
		{"pdf jpeg data damaged on page 2", "a.pdf", garble(pdfJPEG, "/DCTDecode", 2, 0), Limits{}, ErrCorrupt, 2, false, "JPEG"},
		{"pdf flate data damaged on page 3", "a.pdf", garble(pdfFlate, "/FlateDecode", 3, 0x5a), Limits{}, ErrCorrupt, 3, false, "flate"},
		{"pdf enormous page", "a.pdf", fixtures.SizedPDF(src[:1], 14400, 14400), Limits{}, ErrTooLarge, 1, true, "pixels"},
		{"pdf encrypted", "a.pdf", must[[]byte](t)(fixtures.EncryptedPDF(src, testDPI, "secret", "owner")), Limits{}, ErrEncrypted, 0, true, "password"},
		{"pdf without pages", "a.pdf", fixtures.SizedPDF(nil, 595, 842), Limits{}, ErrNoPages, 0, true, ""},
		{"pdf too many pages", "a.pdf", pdfJPEG, Limits{MaxPages: 2}, ErrTooLarge, 0, true, "3 pages"},
		{"tiff truncated", "a.tif", tifLZW[:len(tifLZW)*2/3], Limits{}, ErrCorrupt, 3, true, "beyond end"},
		{"tiff header only", "a.tif", []byte("II*\x00"), Limits{}, ErrCorrupt, 0, true, "header"},
		{"tiff directory loop", "a.tif", tiffLoop(tifLZW), Limits{}, ErrCorrupt, 0, true, "loop"},
		{"tiff huge declared size", "a.tif", patchTIFF(patchTIFF(tifLZW, 256, 60000), 257, 60000), Limits{}, ErrTooLarge, 1, true, "60000x60000"},
		{"tiff unknown compression", "a.tif", patchTIFF(tifG4, 259, 9999), Limits{}, ErrUnsupported, 1, true, "9999"},
		{"tiff damaged data", "a.tif", patchTIFF(tifG4, 259, 5), Limits{}, ErrCorrupt, 1, false, ""},
		{"tiff too many pages", "a.tif", tifLZW, Limits{MaxPages: 2}, ErrTooLarge, 0, true, "more than 2"},
		{"jpeg truncated", "a.jpg", jpg[:len(jpg)/2], Limits{}, ErrCorrupt, 1, false, ""},
		{"jpeg huge declared size", "a.jpg", jpegSize(jpg, 60000, 60000), Limits{}, ErrTooLarge, 1, true, "60000x60000"},
		{"jpeg header only", "a.jpg", jpg[:4], Limits{}, ErrCorrupt, 0, true, ""},
		{"png truncated", "a.png", png[:len(png)/2], Limits{}, ErrCorrupt, 1, false, ""},
		{"png huge declared size", "a.png", pngSize(png, 100000, 100000), Limits{}, ErrTooLarge, 1, true, "100000x100000"},
		{"png beyond MaxPixels", "a.png", png, Limits{MaxPixels: 1000}, ErrTooLarge, 1, true, "limit 1000"},
		{"png damaged", "a.png", append(bytes.Clone(png[:60]), bytes.Repeat([]byte{7}, len(png)-60)...), Limits{}, ErrCorrupt, 1, false, ""},
		{"file beyond MaxFileBytes", "a.png", png, Limits{MaxFileBytes: 100}, ErrTooLarge, 0, true, "limit 100"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := write(t, c.file, c.data)
			d, err := Open(path, c.lim)
			if err == nil {
				if c.atOpen {
					t.Errorf("Open accepted it (%s, %d pages)", d.MediaType, d.NumPages)
				}
				err = d.Pages(context.Background(), func(Page) error { return nil })
				d.Close()
			} else if !c.atOpen {
				t.Logf("reported by Open, expected from Pages: %v", err)
			}
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, c.want) {
				t.Fatalf("got %v, want *Error wrapping %v", err, c.want)
			}
			if e.File != path || e.Page != c.page || !strings.HasPrefix(err.Error(), path) || !strings.Contains(e.Detail, c.detail) {
				t.Errorf("got %q (page %d), want page %d, detail containing %q", err, e.Page, c.page, c.detail)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	e := &Error{File: "scans/01.pdf", Page: 3, Err: ErrCorrupt, Detail: "bad xref"}
	if got := e.Error(); got != "scans/01.pdf page 3: corrupt file: bad xref" {
		t.Errorf("got %q", got)
	}
	e = &Error{File: "scans/02.tif", Err: ErrTooLarge}
	if got := e.Error(); got != "scans/02.tif: too large" {
		t.Errorf("got %q", got)
	}
	if !errors.Is(e, ErrTooLarge) {
		t.Error("Unwrap does not give the sentinel")
	}
}

func TestNotRegularFile(t *testing.T) {
	_, err := Open(t.TempDir(), Limits{})
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("directory: %v", err)
	}
	_, err = Open("/no/such/file.pdf", Limits{})
	var e *Error
	if err == nil || errors.As(err, &e) {
		t.Errorf("missing file: %v (want a plain error)", err)
	}
}

// TestTimeout: a Poppler run beyond Limits.Timeout is not an input fault.
func TestTimeout(t *testing.T) {
	b := must[[]byte](t)(fixtures.ImagePDF(barsPages(t)[:1], testDPI, fixtures.PDFFlate))
	_, err := Open(write(t, "a.pdf", b), Limits{Timeout: time.Nanosecond})
	var e *Error
	if !errors.Is(err, context.DeadlineExceeded) || errors.As(err, &e) {
		t.Errorf("got %v, want a plain error wrapping context.DeadlineExceeded", err)
	}
}
