package lept

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// testPage is a w x h gray gradient with a black square.
func testPage(w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := uint8(255 - (x*200)/w)
			if x > w/4 && x < w/2 && y > h/4 && y < h/2 {
				v = 0
			}
			img.Pix[y*w+x] = v
		}
	}
	return img
}

func TestTIFFRoundTrip(t *testing.T) {
	pages := []*image.Gray{testPage(101, 77), testPage(64, 90)}
	for _, c := range []struct {
		name     string
		comp     TIFFCompression
		lossless bool
	}{{"lzw", TIFFLZW, true}, {"zip", TIFFZIP, true}, {"none", TIFFNone, true}, {"jpeg", TIFFJPEG, false}, {"g4", TIFFG4, false}} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "p.tif")
			if err := WriteTIFF(path, pages, c.comp, 150); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			off := int64(binary.LittleEndian.Uint32(b[4:8])) // leptonica writes "II"
			img, res, err := ReadTIFFPage(path, off)
			if err != nil {
				t.Fatal(err)
			}
			if img.Rect != pages[0].Rect || res != 150 {
				t.Fatalf("got %v at %v ppi", img.Rect, res)
			}
			if c.lossless && !bytes.Equal(img.Pix, pages[0].Pix) {
				t.Error("pixels changed")
			}
			if got := img.GrayAt(40, 30).Y; got > 60 {
				t.Errorf("black square reads %d", got)
			}
		})
	}
}

func TestReadTIFFPageErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junk.tif")
	os.WriteFile(path, []byte("II*\x00\x08\x00\x00\x00garbage"), 0o600)
	if _, _, err := ReadTIFFPage(path, 8); err == nil {
		t.Error("no error for junk")
	}
	if _, _, err := ReadTIFFPage(path, 0); err == nil {
		t.Error("no error for offset 0")
	}
}

func TestPDFAndDecodeMem(t *testing.T) {
	pages := []*image.Gray{testPage(100, 140), testPage(100, 140)}
	for _, enc := range []PDFEncoding{PDFJPEG, PDFG4, PDFFlate} {
		b, err := PDF(pages, 100, enc, 0)
		if err != nil {
			t.Fatal(enc, err)
		}
		if !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.Contains(b, []byte("/Count 2")) {
			t.Errorf("encoding %d: not a 2-page PDF", enc)
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, pages[0])
	img, _, err := DecodeMem(buf.Bytes())
	if err != nil || !bytes.Equal(img.Pix, pages[0].Pix) {
		t.Errorf("DecodeMem: %v", err)
	}
	if _, _, err := DecodeMem([]byte("not an image")); err == nil {
		t.Error("no error for junk")
	}
}
