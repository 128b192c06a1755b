package prep

import (
	"fmt"
	"testing"

	"hoso/internal/fixtures"
)

// go test -run '^$' -bench . ./ingest/prep
func BenchmarkPrepare(b *testing.B) {
	for _, deg := range []float64{0, 2} {
		img := page(b, 36, fixtures.PageOptions{RotateDeg: deg, Noise: 0.01, Seed: 1})
		b.Run(fmt.Sprintf("A4-300dpi-skew%v", deg), func(b *testing.B) {
			for b.Loop() {
				if _, err := Prepare(img, 300, DefaultConfig()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	img := page(b, 36, fixtures.PageOptions{DPI: 150})
	b.Run("A4-150dpi-upsample", func(b *testing.B) {
		for b.Loop() {
			if _, err := Prepare(img, 150, DefaultConfig()); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	for _, c := range []struct {
		name string
		o    fixtures.PageOptions
	}{
		{"clean", fixtures.PageOptions{}},
		{"noisy", fixtures.PageOptions{Noise: 0.1, Blur: 2}},
	} {
		img := page(b, 36, c.o)
		b.Run(c.name, func(b *testing.B) {
			var n int
			var ext string
			for b.Loop() {
				out, e, err := Encode(img)
				if err != nil {
					b.Fatal(err)
				}
				n, ext = len(out), e
			}
			b.ReportMetric(float64(n)/1024, "KiB/page")
			b.Logf("%s: %s", c.name, ext)
		})
	}
}
