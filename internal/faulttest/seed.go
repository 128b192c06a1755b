package faulttest

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"hoso/archive"
	"hoso/domain"
	"hoso/internal/fixtures"
	"hoso/storage"
)

// Seeded is what Seed committed.
type Seeded struct {
	Codes []string
	Names map[string]string // code -> subject
	Pages int               // in all
}

// Seed commits n public dossiers of pages pages each (codes PREFIX-0001...)
// without OCR: each page's text is generated dossier text, stored as its
// OCRResult with one word box per word, beside a tiny page image and a fake
// original. Tests of the index and the server use it where the pixels do
// not matter.
func Seed(t testing.TB, arch *archive.Archive, prefix string, n, pages int) *Seeded {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(uint64(len(prefix)), uint64(n)))
	s := &Seeded{Names: map[string]string{}}
	for i := range n {
		p := fixtures.RandomPerson(rng)
		code := fmt.Sprintf("%s-%04d", prefix, i+1)
		d := &domain.Dossier{Code: code, Subject: domain.Subject{FullName: p.FullName}, Unit: p.Unit, Classification: domain.Public, UpdatedBy: "seed"}
		orig := []byte("%PDF-1.4 fake original of " + code)
		h := storage.NewHashingReader(bytes.NewReader(orig))
		h.Read(make([]byte, len(orig)+1))
		sha := h.SHA256()
		key, err := arch.PutOriginal(ctx, bytes.NewReader(orig), int64(len(orig)), sha, "application/pdf")
		if err != nil {
			t.Fatal(err)
		}
		doc := domain.Document{ID: "d1", Kind: domain.KindOther, Title: "Hồ sơ " + code,
			Original: domain.Original{Key: key, SHA256: sha, Size: int64(len(orig)), MediaType: "application/pdf", Filename: "d1.pdf"}}
		for pn := 1; pn <= pages; pn++ {
			img, err := arch.PutPageImage(ctx, sha, pn, "png", tinyPNG(pn))
			if err != nil {
				t.Fatal(err)
			}
			res := textResult(strings.Join(fixtures.DocumentLines(rng, p, 8), "\n"))
			res.Image, res.CreatedAt = img, time.Now().UTC()
			tk, err := arch.PutText(ctx, sha, pn, "ocr-vie-seed", res)
			if err != nil {
				t.Fatal(err)
			}
			doc.Pages = append(doc.Pages, domain.Page{Number: pn, ImageKey: img, Width: res.Width, Height: res.Height, DPI: 300,
				TextKey: tk, TextVersions: []string{tk}, MeanConfidence: res.MeanConfidence, Lang: "vie"})
		}
		d.Documents = []domain.Document{doc}
		if err := arch.Commit(ctx, d); err != nil {
			t.Fatal(err)
		}
		s.Codes = append(s.Codes, code)
		s.Names[code] = p.FullName
		s.Pages += pages
	}
	return s
}

// textResult makes an OCRResult of text with one word box per word.
func textResult(text string) *domain.OCRResult {
	res := &domain.OCRResult{Source: "ocr", Lang: "vie", Engine: "seed", Text: text, MeanConfidence: 90, Width: 2480, Height: 3508, DPI: 300}
	x, y, off := 100, 200, 0
	for _, line := range strings.SplitAfter(text, "\n") {
		pos := 0
		for _, w := range strings.Fields(line) {
			pos += strings.Index(line[pos:], w)
			start := off + pos
			pos += len(w)
			res.Words = append(res.Words, domain.Word{Text: w, X0: x, Y0: y, X1: x + 20*len([]rune(w)), Y1: y + 40, Confidence: 90, Start: start})
			x += 20*len([]rune(w)) + 15
		}
		off += len(line)
		x, y = 100, y+60
	}
	return res
}

func tinyPNG(n int) []byte {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 8+n, 8)))
	return b.Bytes()
}
