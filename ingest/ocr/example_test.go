package ocr_test

import (
	"context"
	"fmt"
	"strings"

	"hoso/ingest/ocr"
	"hoso/ingest/prep"
	"hoso/internal/fixtures"
)

// A page goes through prep, then the pool; a search hit's byte offset in
// the text leads back to the word's box.
func Example() {
	scan, _ := fixtures.Page([]string{"Họ và tên: Nguyễn Văn Thành"}, fixtures.PageOptions{DPI: 200, RotateDeg: 180})

	page, err := prep.Prepare(scan, 200, prep.DefaultConfig())
	if err != nil {
		panic(err)
	}
	cfg := ocr.DefaultConfig()
	cfg.Workers = 1
	pool, err := ocr.New(cfg)
	if err != nil {
		panic(err)
	}
	defer pool.Close()
	res, err := pool.Process(context.Background(), ocr.Input{Image: page.Image, DPI: page.DPI, Label: "example page 1"})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.OCR.Text)
	fmt.Println("turned", res.Orientation, res.Flags)
	hit := strings.Index(res.OCR.Text, "Nguyễn")
	for _, w := range res.OCR.Words {
		if w.Start == hit {
			fmt.Println("box found for", w.Text)
		}
	}
	// Output:
	// Họ và tên: Nguyễn Văn Thành
	// turned 180 [rotated]
	// box found for Nguyễn
}
