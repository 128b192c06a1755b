// Package samples writes a small set of sample dossiers, as an archivist
// would bring them: one folder per person with scans in several formats and
// a dossier.json. The README's main-job command ingests them, and end-to-end
// tests use them. The pages are rendered (package fixtures), so every run
// makes the same files and the text on each page is known.
package samples

import (
	"encoding/json"
	"fmt"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"

	"hoso/internal/fixtures"
)

// Document is one sample file.
type Document struct {
	File   string
	Kind   string
	Title  string
	Date   string
	Format string  // "pdf-jpeg", "pdf-g4", "tiff-g4", "tiff-lzw", "png", "jpeg"
	Pages  int     // rendered pages
	Lines  int     // text lines per page
	Skew   float64 // degrees
}

// Dossier is one sample dossier.
type Dossier struct {
	Code           string
	Person         fixtures.Person
	Classification string
	Documents      []Document
}

// Set is the sample set: four people, eight pages, every input format
// archivists bring, one page skewed, one dossier classified secret.
var Set = []Dossier{
	{"HS-2024-000123", fixtures.Person{FullName: "Nguyễn Thị Thanh Giang", BirthDate: "1978-03-14", Hometown: "Nghệ An", Unit: "Sở Nội vụ"}, "confidential", []Document{
		{"01.pdf", "cv", "Sơ yếu lý lịch", "2019-05-02", "pdf-jpeg", 2, 12, 0},
		{"02.tif", "verification-report", "Biên bản xác minh lý lịch", "2019-06-10", "tiff-g4", 1, 10, 0},
	}},
	{"HS-2024-000124", fixtures.Person{FullName: "Nguyễn Văn Thành", BirthDate: "1985-11-02", Hometown: "Hà Tĩnh", Unit: "Ban Tuyên giáo"}, "public", []Document{
		{"01.png", "cv", "Sơ yếu lý lịch", "2020-01-15", "png", 1, 12, 0},
		{"02.jpg", "decision", "Quyết định bổ nhiệm", "2022-08-01", "jpeg", 1, 8, 1.5},
	}},
	{"HS-2019-000045", fixtures.Person{FullName: "Trần Văn Thanh", BirthDate: "1972-07-30", Hometown: "Thanh Hóa", Unit: "Sở Nội vụ"}, "secret", []Document{
		{"01.pdf", "political-standards-conclusion", "Kết luận tiêu chuẩn chính trị", "2018-04-20", "pdf-g4", 1, 10, 0},
	}},
	{"HS-2021-000007", fixtures.Person{FullName: "Lê Thị Lan", BirthDate: "1990-02-05", Hometown: "Huế", Unit: "Trường Đại học Sư phạm"}, "public", []Document{
		{"01.tif", "letter", "Thư giới thiệu", "2021-03-03", "tiff-lzw", 2, 8, 0},
	}},
}

// Write creates dir/<code>/ for every sample dossier with its scans and
// dossier.json, and returns the text rendered on each page, keyed by
// "<code>/<file>#<page>".
func Write(dir string) (map[string][]string, error) {
	texts := map[string][]string{}
	for i, d := range Set {
		ddir := filepath.Join(dir, d.Code)
		if err := os.MkdirAll(ddir, 0o755); err != nil {
			return nil, err
		}
		meta := map[string]any{
			"code":           d.Code,
			"subject":        map[string]string{"full_name": d.Person.FullName, "birth_date": d.Person.BirthDate, "hometown": d.Person.Hometown},
			"unit":           d.Person.Unit,
			"classification": d.Classification,
		}
		var docs []map[string]string
		for j, doc := range d.Documents {
			rng := rand.New(rand.NewPCG(uint64(i), uint64(j)))
			var pages []*image.Gray
			for n := 1; n <= doc.Pages; n++ {
				lines := fixtures.DocumentLines(rng, d.Person, doc.Lines)
				lines[0] = doc.Title + fmt.Sprintf(" - trang %d", n)
				img, err := fixtures.Page(lines, fixtures.PageOptions{RotateDeg: doc.Skew})
				if err != nil {
					return nil, err
				}
				pages = append(pages, img)
				texts[fmt.Sprintf("%s/%s#%d", d.Code, doc.File, n)] = lines
			}
			b, err := encode(pages, doc.Format)
			if err != nil {
				return nil, fmt.Errorf("sample %s/%s: %w", d.Code, doc.File, err)
			}
			if err := os.WriteFile(filepath.Join(ddir, doc.File), b, 0o644); err != nil {
				return nil, err
			}
			docs = append(docs, map[string]string{"file": doc.File, "kind": doc.Kind, "title": doc.Title, "date": doc.Date})
		}
		meta["documents"] = docs
		b, _ := json.MarshalIndent(meta, "", "  ")
		if err := os.WriteFile(filepath.Join(ddir, "dossier.json"), append(b, '\n'), 0o644); err != nil {
			return nil, err
		}
	}
	return texts, nil
}

func encode(pages []*image.Gray, format string) ([]byte, error) {
	const dpi = 300
	switch format {
	case "pdf-jpeg":
		return fixtures.ImagePDF(pages, dpi, fixtures.PDFJPEG)
	case "pdf-g4":
		return fixtures.ImagePDF(pages, dpi, fixtures.PDFG4)
	case "tiff-g4":
		return fixtures.TIFF(pages, fixtures.TIFFG4, dpi)
	case "tiff-lzw":
		return fixtures.TIFF(pages, fixtures.TIFFLZW, dpi)
	case "png":
		return fixtures.PNG(pages[0], dpi)
	case "jpeg":
		return fixtures.JPEG(pages[0], dpi, 85)
	}
	return nil, fmt.Errorf("unknown sample format %q", format)
}
