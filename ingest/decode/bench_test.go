package decode

import (
	"context"
	"image"
	"sync"
	"testing"

	"hoso/internal/fixtures"
)

var (
	benchOnce  sync.Once
	benchPages []*image.Gray
)

// benchDoc returns ten different A4 pages at 300 dpi.
func benchDoc(b *testing.B) []*image.Gray {
	benchOnce.Do(func() {
		for i := 1; i <= 10; i++ {
			p, err := fixtures.BarsPage(i, fixtures.PageOptions{DPI: 300, Noise: 0.002, Seed: uint64(i)})
			if err != nil {
				b.Fatal(err)
			}
			benchPages = append(benchPages, p)
		}
	})
	return benchPages
}

// BenchmarkPages decodes a 10-page 300 dpi A4 document per iteration and
// reports pages/s. Run: go test -run XXX -bench Pages -benchtime 3x ./ingest/decode/
func BenchmarkPages(b *testing.B) {
	pages := benchDoc(b)
	for _, c := range []struct {
		name, file string
		gen        func() ([]byte, error)
	}{
		{"pdf-jpeg", "a.pdf", func() ([]byte, error) { return fixtures.ImagePDF(pages, 300, fixtures.PDFJPEG) }},
		{"pdf-g4", "a.pdf", func() ([]byte, error) { return fixtures.ImagePDF(pages, 300, fixtures.PDFG4) }},
		{"pdf-jbig2", "a.pdf", func() ([]byte, error) { return fixtures.ImagePDF(pages, 300, fixtures.PDFJBIG2) }},
		{"tiff-g4", "a.tif", func() ([]byte, error) { return fixtures.TIFF(pages, fixtures.TIFFG4, 300) }},
		{"tiff-lzw", "a.tif", func() ([]byte, error) { return fixtures.TIFF(pages, fixtures.TIFFLZW, 300) }},
		{"tiff-jpeg", "a.tif", func() ([]byte, error) { return fixtures.TIFF(pages, fixtures.TIFFJPEG, 300) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			data, err := c.gen()
			if err != nil {
				b.Fatal(err)
			}
			path := write(b, c.file, data)
			b.ResetTimer()
			n := 0
			for b.Loop() {
				d, err := Open(path, Limits{})
				if err != nil {
					b.Fatal(err)
				}
				if err := d.Pages(context.Background(), func(p Page) error { n++; return nil }); err != nil {
					b.Fatal(err)
				}
				d.Close()
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "pages/s")
		})
	}
}

// BenchmarkImageDecoders compares Go's decoders (used) with Leptonica's for
// one 300 dpi A4 page; the figures are quoted in doc.go.
func BenchmarkImageDecoders(b *testing.B) {
	noisy, err := fixtures.BarsPage(5, fixtures.PageOptions{DPI: 300, Noise: 0.01})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		gen  func() ([]byte, error)
	}{
		{"gray.jpg", func() ([]byte, error) { return fixtures.JPEG(noisy, 300, 85) }},
		{"color.jpg", func() ([]byte, error) { return fixtures.JPEG(fixtures.Color(noisy), 300, 85) }},
		{"gray.png", func() ([]byte, error) { return fixtures.PNG(noisy, 300) }},
		{"color.png", func() ([]byte, error) { return fixtures.PNG(fixtures.Color(noisy), 300) }},
	} {
		data, err := c.gen()
		if err != nil {
			b.Fatal(err)
		}
		path := write(b, c.name, data)
		b.Run("go/"+c.name, func(b *testing.B) {
			for b.Loop() {
				d, err := Open(path, Limits{})
				if err != nil {
					b.Fatal(err)
				}
				if err := d.Pages(context.Background(), func(Page) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("leptonica/"+c.name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := leptDecode(path); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
