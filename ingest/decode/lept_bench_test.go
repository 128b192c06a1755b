package decode

import (
	"image"
	"os"

	"hoso/internal/lept"
)

// leptDecode reads and decodes a JPEG or PNG file with Leptonica, for
// BenchmarkImageDecoders.
func leptDecode(path string) (*image.Gray, float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	return lept.DecodeMem(b)
}
