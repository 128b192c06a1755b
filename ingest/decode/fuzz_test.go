package decode

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"testing"

	"hoso/internal/fixtures"
)

var update = flag.Bool("update", false, "rewrite the fuzz seed corpus in testdata")

func FuzzSniff(f *testing.F) {
	for _, s := range []string{"%PDF-1.7", "II*\x00", "MM\x00*", "II+\x00", "\xff\xd8\xff", "\x89PNG\r\n\x1a\n", "GIF89a", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, head []byte) {
		mt, ok := Sniff(head)
		switch mt {
		case MediaPDF, MediaTIFF, MediaJPEG, MediaPNG:
			if !ok {
				t.Fatalf("%q without ok", mt)
			}
		case "":
			if ok {
				t.Fatal("ok without a media type")
			}
		default:
			t.Fatalf("unknown media type %q", mt)
		}
	})
}

// FuzzOpenImage writes the input to a file, opens it and decodes every
// page. It must never panic, and every failure must be an *Error (or a
// timeout). Seeds: testdata/fuzz/FuzzOpenImage (tiny PNG, JPEG, JPEG with an
// Exif orientation, TIFF G4/LZW/JPEG, PDF JPEG/G4/JBIG2; rewrite with go
// test -run TestFuzzSeeds -update).
func FuzzOpenImage(f *testing.F) {
	lim := Limits{MaxPixels: 4_000_000, MaxPages: 20, RenderDPI: 50}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "input")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		d, err := Open(path, lim)
		if err == nil {
			err = d.Pages(context.Background(), func(p Page) error {
				if p.Image == nil || p.Image.Rect.Empty() || int64(len(p.Image.Pix)) > lim.MaxPixels {
					return fmt.Errorf("page %d: bad image", p.Number)
				}
				return nil
			})
			d.Close()
		}
		var e *Error
		if err != nil && !errors.As(err, &e) && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("not an *Error: %v", err)
		}
	})
}

// TestFuzzSeeds checks the seed corpus is there, and writes it with -update.
func TestFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzOpenImage")
	if !*update {
		ents, err := os.ReadDir(dir)
		if err != nil || len(ents) < 5 {
			t.Fatalf("seed corpus missing in %s (go test -run TestFuzzSeeds -update): %v", dir, err)
		}
		return
	}
	var pages []*image.Gray
	for i := 1; i <= 2; i++ {
		p, err := fixtures.BarsPage(i, fixtures.PageOptions{DPI: 12, FontPt: 6})
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, p)
	}
	seeds := map[string]func() ([]byte, error){
		"png":        func() ([]byte, error) { return fixtures.PNG(pages[0], 12) },
		"jpeg":       func() ([]byte, error) { return fixtures.JPEG(pages[0], 12, 50) },
		"tiff-g4":    func() ([]byte, error) { return fixtures.TIFF(pages, fixtures.TIFFG4, 12) },
		"tiff-lzw":   func() ([]byte, error) { return fixtures.TIFF(pages, fixtures.TIFFLZW, 12) },
		"tiff-jpeg":  func() ([]byte, error) { return fixtures.TIFF(pages[:1], fixtures.TIFFJPEG, 12) },
		"pdf-jpeg":   func() ([]byte, error) { return fixtures.ImagePDF(pages, 12, fixtures.PDFJPEG) },
		"pdf-g4":     func() ([]byte, error) { return fixtures.ImagePDF(pages, 12, fixtures.PDFG4) },
		"pdf-jbig2":  func() ([]byte, error) { return fixtures.ImagePDF(pages[:1], 12, fixtures.PDFJBIG2) },
		"empty":      func() ([]byte, error) { return nil, nil },
		"pdf-header": func() ([]byte, error) { return []byte("%PDF-1.4\n%%EOF\n"), nil },
		// reaches the Exif orientation reader and orientPlane
		"jpeg-exif-orientation": func() ([]byte, error) {
			b, err := fixtures.JPEG(pages[0], 12, 50)
			if err != nil {
				return nil, err
			}
			be := binary.BigEndian
			return withAPP1(b, exifTIFF(be, resEntry(be, tagXResolution, 12), resEntry(be, tagYResolution, 12), orientEntry(be, 6))), nil
		},
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, gen := range seeds {
		b, err := gen()
		if err != nil {
			t.Fatal(name, err)
		}
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
