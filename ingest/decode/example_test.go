package decode_test

import (
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"

	"hoso/ingest/decode"
	"hoso/internal/fixtures"
)

func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	var pages = make([]*image.Gray, 0, 2)
	for i := 1; i <= 2; i++ {
		p, _ := fixtures.BarsPage(i, fixtures.PageOptions{DPI: 100})
		pages = append(pages, p)
	}
	b, _ := fixtures.TIFF(pages, fixtures.TIFFG4, 100)
	path := filepath.Join(dir, "scan.pdf") // the name lies; the content decides
	os.WriteFile(path, b, 0o600)

	d, err := decode.Open(path, decode.Limits{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close()
	fmt.Println(d.MediaType, d.NumPages, "pages")
	err = d.Pages(context.Background(), func(p decode.Page) error {
		fmt.Printf("page %d: %dx%d at %g dpi\n", p.Number, p.Image.Rect.Dx(), p.Image.Rect.Dy(), p.DPI)
		return nil
	})
	fmt.Println(err)
	// Output:
	// image/tiff 2 pages
	// page 1: 827x1169 at 100 dpi
	// page 2: 827x1169 at 100 dpi
	// <nil>
}
