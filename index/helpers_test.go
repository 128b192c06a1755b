package index

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	"weak"

	"hoso/archive"
	"hoso/domain"
	"hoso/internal/corpus"
	"hoso/storage"
	"hoso/storage/fs"
)

// fixture dossiers in testdata/dossiers.json, in a compact form.
type fixtureDoc struct {
	ID    string              `json:"id"`
	Kind  string              `json:"kind"`
	Title string              `json:"title"`
	Date  string              `json:"date"`
	Class string              `json:"class"`
	Pages []string            `json:"pages"`
	Flags map[string][]string `json:"flags"`
}

type fixtureDossier struct {
	Code     string       `json:"code"`
	Name     string       `json:"name"`
	Birth    string       `json:"birth"`
	Hometown string       `json:"hometown"`
	Unit     string       `json:"unit"`
	Class    string       `json:"class"`
	Docs     []fixtureDoc `json:"docs"`
}

func mustDate(s string) domain.Date {
	d, err := domain.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// ocrOf makes an OCRResult for text with one word per space-separated run,
// boxes laid out left to right.
func ocrOf(text string) *domain.OCRResult {
	res := &domain.OCRResult{Source: "ocr", Text: text, MeanConfidence: 90, Width: 2480, Height: 3508}
	x := 0
	i := 0
	for _, f := range strings.Fields(text) {
		j := strings.Index(text[i:], f) + i
		res.Words = append(res.Words, domain.Word{Text: f, X0: x, Y0: 100, X1: x + 10*len(f), Y1: 130, Confidence: 90, Start: j})
		x += 10*len(f) + 8
		i = j + len(f)
	}
	return res
}

func loadFixtures(t testing.TB) []*domain.Dossier {
	t.Helper()
	b, err := os.ReadFile("testdata/dossiers.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx []fixtureDossier
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	var out []*domain.Dossier
	for _, f := range fx {
		d := &domain.Dossier{
			Code: f.Code, ID: f.Code, Version: 1, Unit: f.Unit, Classification: domain.Classification(f.Class),
			Subject: domain.Subject{FullName: f.Name, BirthDate: mustDate(f.Birth), Hometown: f.Hometown},
		}
		for _, fd := range f.Docs {
			doc := domain.Document{ID: fd.ID, Kind: domain.DocumentKind(fd.Kind), Title: fd.Title, Date: mustDate(fd.Date), Classification: domain.Classification(fd.Class)}
			for i, text := range fd.Pages {
				n := i + 1
				doc.Pages = append(doc.Pages, domain.Page{
					Number: n, ImageKey: fmt.Sprintf("img/%s/%s/%d", f.Code, fd.ID, n), TextKey: fmt.Sprintf("text/%s/%s/%d", f.Code, fd.ID, n),
					MeanConfidence: 90, Flags: fd.Flags[strconv.Itoa(n)], Text: ocrOf(text),
				})
			}
			d.Documents = append(d.Documents, doc)
		}
		out = append(out, d)
	}
	return out
}

func openTestIndex(t testing.TB, dir string) *Index {
	t.Helper()
	ix, err := Open(dir, Config{LockTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

// fixtureIndex returns an index holding the fixture dossiers.
func fixtureIndex(t testing.TB) (*Index, []*domain.Dossier) {
	t.Helper()
	ix := openTestIndex(t, t.TempDir())
	ds := loadFixtures(t)
	w := ix.NewIndexer()
	for _, d := range ds {
		if err := w.Add(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	return ix, ds
}

func codes(r *Response) []string {
	out := []string{}
	for _, d := range r.Dossiers {
		out = append(out, d.Code)
	}
	return out
}

func newArchive(t testing.TB) *archive.Archive {
	t.Helper()
	s, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return archive.New(s)
}

// commitDossier stores the texts (and a fake original) of d and commits it
// as the next version; d.Version is updated.
func commitDossier(t testing.TB, a *archive.Archive, d *domain.Dossier) {
	t.Helper()
	ctx := context.Background()
	for i := range d.Documents {
		doc := &d.Documents[i]
		content := d.Code + "/" + doc.ID
		sha := storage.SHA256Hex([]byte(content))
		key, err := a.PutOriginal(ctx, strings.NewReader(content), int64(len(content)), sha, "application/pdf")
		if err != nil {
			t.Fatal(err)
		}
		doc.Original = domain.Original{Key: key, SHA256: sha, Size: int64(len(content)), MediaType: "application/pdf", Filename: doc.ID + ".pdf"}
		for j := range doc.Pages {
			p := &doc.Pages[j]
			if p.Text != nil {
				id := "ocr-" + strconv.Itoa(int(storage.SHA256Hex([]byte(p.Text.Text))[0]))
				tk, err := a.PutText(ctx, sha, p.Number, id+"-"+storage.SHA256Hex([]byte(p.Text.Text))[:12], p.Text)
				if err != nil {
					t.Fatal(err)
				}
				p.TextKey = tk
			}
			img, err := a.PutPageImage(ctx, sha, p.Number, "png", []byte(fmt.Sprintf("img %s %d", content, p.Number)))
			if err != nil {
				t.Fatal(err)
			}
			p.ImageKey = img
		}
	}
	v := d.Version
	saved := d.Version
	_ = saved
	if err := a.Commit(ctx, d); err != nil {
		t.Fatalf("commit %s v%d: %v", d.Code, v, err)
	}
}

// indexCorpus indexes the corpus dossiers 0..n-1, flushing after dossier i
// when i%every == 0 (every > 0: several segments) and at the end, and
// returns their subjects' full names.
func indexCorpus(t testing.TB, ix *Index, n, every int) []string {
	t.Helper()
	ctx := context.Background()
	w := ix.NewIndexer()
	var names []string
	for i := range n {
		d := corpus.Dossier(i)
		names = append(names, d.Subject.FullName)
		if err := w.Add(ctx, d); err != nil {
			t.Fatal(err)
		}
		if every > 0 && i%every == 0 {
			if err := w.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return names
}

// stopMerging stops scorch's background merging of segments in the
// indexes the test opens, so that their segments stay as indexed.
func stopMerging(t testing.TB) {
	// no segment is small enough to be merged
	testScorchConfig = map[string]interface{}{"scorchMergePlanOptions": map[string]interface{}{"MaxSegmentSize": 1}}
	t.Cleanup(func() { testScorchConfig = nil })
}

// dropCaches forgets the search engine's per-segment caches of ix, so that
// the next search builds them again (with the settings of the moment).
func dropCaches(ix *Index) {
	engineCaches.mu.Lock()
	delete(engineCaches.m, weak.Make(ix))
	engineCaches.mu.Unlock()
}
