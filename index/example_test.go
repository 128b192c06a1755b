package index_test

import (
	"context"
	"fmt"
	"os"

	"hoso/domain"
	"hoso/index"
)

func Example() {
	dir, _ := os.MkdirTemp("", "hoso-index-example-")
	defer os.RemoveAll(dir)
	ix, err := index.Open(dir, index.Config{})
	if err != nil {
		panic(err)
	}
	defer ix.Close()

	ctx := context.Background()
	text := "Họ và tên: Nguyễn Văn Thành. Quê quán: Nghệ An."
	d := &domain.Dossier{
		Code: "HS-2024-000123", Version: 1, Classification: domain.Public,
		Subject: domain.Subject{FullName: "Nguyễn Văn Thành"},
		Documents: []domain.Document{{ID: "d1", Kind: domain.KindCV, Title: "Sơ yếu lý lịch",
			Pages: []domain.Page{{Number: 1, Text: &domain.OCRResult{Text: text, Words: []domain.Word{
				{Text: "Nguyễn", Start: 15}, {Text: "Văn", Start: 24}, {Text: "Thành.", Start: 29},
			}}}}}},
	}
	if err := ix.IndexDossier(ctx, d); err != nil {
		panic(err)
	}
	res, err := ix.Search(ctx, index.Request{Query: "nguyen van thanh", Clearance: domain.Public})
	if err != nil {
		panic(err)
	}
	for _, dh := range res.Dossiers {
		fmt.Println(dh.Code, dh.Subject)
		for _, h := range dh.Hits {
			fmt.Println(h.Page, h.Snippets[0])
			for _, w := range index.Boxes(h, d.Documents[0].Pages[0].Text) {
				fmt.Println("box:", w.Text)
			}
		}
	}
	// Output:
	// HS-2024-000123 Nguyễn Văn Thành
	// 1 Họ và tên: <mark>Nguyễn</mark> <mark>Văn</mark> <mark>Thành</mark>. Quê quán: Nghệ An.
	// box: Nguyễn
	// box: Văn
	// box: Thành.
}
