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

// BulkOptions shape a generated bulk job (WriteBulk). Zero fields take
// the defaults in brackets.
type BulkOptions struct {
	Dossiers int     // dossier folders [4]
	Pages    int     // pages in all, spread over the dossiers [10]
	DPI      int     // scan resolution [150]
	HeightIn float64 // page height in inches; short pages OCR fast [4]
	Prefix   string  // dossier codes are PREFIX-0001... [HS-BULK]
	Seed     uint64  // text and names
}

func (o BulkOptions) withDefaults() BulkOptions {
	if o.Dossiers <= 0 {
		o.Dossiers = 4
	}
	if o.Pages <= 0 {
		o.Pages = 10
	}
	if o.Pages < o.Dossiers {
		o.Dossiers = o.Pages
	}
	if o.DPI <= 0 {
		o.DPI = 150
	}
	if o.HeightIn <= 0 {
		o.HeightIn = 4
	}
	if o.Prefix == "" {
		o.Prefix = "HS-BULK"
	}
	return o
}

// Bulk describes what WriteBulk wrote.
type Bulk struct {
	Dir    string
	Codes  []string          // dossier codes, in order
	Pages  map[string]int    // code -> pages
	Files  map[string]int    // code -> files
	Names  map[string]string // code -> subject's full name
	Total  int               // pages in all
	Texts  map[string][]string
	Format map[string]string // "<code>/<file>" -> format
}

// bulkFormats cycle over the files of a bulk job; multi-page formats take
// up to three pages.
var bulkFormats = []struct {
	name, ext string
	multi     bool
}{
	{"pdf-jpeg", "pdf", true}, {"tiff-g4", "tif", true}, {"png", "png", false},
	{"jpeg", "jpg", false}, {"pdf-g4", "pdf", true}, {"tiff-lzw", "tif", true},
}

// WriteBulk writes a bulk job of rendered pages under dir: o.Dossiers
// dossier folders holding o.Pages pages in all, as PDF (JPEG and G4
// images), TIFF (G4 and LZW), PNG and JPEG files at o.DPI, each with a
// dossier.json. The same options write the same bytes. Texts is keyed
// "<code>/<file>#<page>" as in Write.
func WriteBulk(dir string, o BulkOptions) (*Bulk, error) {
	o = o.withDefaults()
	rng := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	b := &Bulk{Dir: dir, Pages: map[string]int{}, Files: map[string]int{}, Names: map[string]string{},
		Texts: map[string][]string{}, Format: map[string]string{}}
	fi := 0
	for i := range o.Dossiers {
		code := fmt.Sprintf("%s-%04d", o.Prefix, i+1)
		n := o.Pages / o.Dossiers
		if i < o.Pages%o.Dossiers {
			n++
		}
		p := fixtures.RandomPerson(rng)
		b.Codes, b.Pages[code], b.Names[code] = append(b.Codes, code), n, p.FullName
		ddir := filepath.Join(dir, code)
		if err := os.MkdirAll(ddir, 0o755); err != nil {
			return nil, err
		}
		var docs []map[string]string
		for done := 0; done < n; fi++ {
			f := bulkFormats[fi%len(bulkFormats)]
			k := 1
			if f.multi {
				k = min(3, n-done)
			}
			file := fmt.Sprintf("%02d.%s", len(docs)+1, f.ext)
			title := fmt.Sprintf("Tài liệu %d của %s", len(docs)+1, code)
			var pages []*image.Gray
			for pn := 1; pn <= k; pn++ {
				lines := fixtures.DocumentLines(rng, p, 8)
				lines[0] = fmt.Sprintf("%s - trang %d", title, pn)
				img, err := fixtures.Page(lines, fixtures.PageOptions{DPI: float64(o.DPI), HeightIn: o.HeightIn})
				if err != nil {
					return nil, err
				}
				pages = append(pages, img)
				b.Texts[fmt.Sprintf("%s/%s#%d", code, file, pn)] = lines
			}
			data, err := encodeAt(pages, f.name, o.DPI)
			if err != nil {
				return nil, fmt.Errorf("bulk %s/%s: %w", code, file, err)
			}
			if err := os.WriteFile(filepath.Join(ddir, file), data, 0o644); err != nil {
				return nil, err
			}
			b.Format[code+"/"+file] = f.name
			docs = append(docs, map[string]string{"file": file, "kind": "cv", "title": title, "date": fmt.Sprintf("20%02d-01-15", 10+len(docs))})
			done += k
		}
		b.Files[code] = len(docs)
		b.Total += n
		meta := map[string]any{"code": code, "unit": p.Unit, "classification": "public", "documents": docs,
			"subject": map[string]string{"full_name": p.FullName, "birth_date": p.BirthDate, "hometown": p.Hometown}}
		mb, _ := json.MarshalIndent(meta, "", "  ")
		if err := os.WriteFile(filepath.Join(ddir, "dossier.json"), append(mb, '\n'), 0o644); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// encodeAt encodes pages in format at dpi.
func encodeAt(pages []*image.Gray, format string, dpi int) ([]byte, error) {
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
		return fixtures.PNG(pages[0], float64(dpi))
	case "jpeg":
		return fixtures.JPEG(pages[0], float64(dpi), 85)
	}
	return nil, fmt.Errorf("unknown format %q", format)
}
