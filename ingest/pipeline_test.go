package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"hoso/archive"
	"hoso/domain"
	"hoso/ingest/decode"
	"hoso/ingest/ocr"
	"hoso/internal/fixtures"
	"hoso/internal/samples"
	"hoso/internal/textmetrics"
	"hoso/storage/fs"
)

func TestMain(m *testing.M) {
	ocr.EnsureThreadLimit()
	os.Exit(m.Run())
}

var (
	poolOnce sync.Once
	pool     *ocr.Pool
	poolErr  error
)

// realOCR returns a shared two-worker Tesseract pool.
func realOCR(t *testing.T) *ocr.Pool {
	t.Helper()
	poolOnce.Do(func() {
		cfg := ocr.DefaultConfig()
		cfg.Workers = 2
		pool, poolErr = ocr.New(cfg)
	})
	if poolErr != nil {
		t.Fatalf("tesseract: %v (install: apt-get install tesseract-ocr tesseract-ocr-vie libtesseract-dev)", poolErr)
	}
	return pool
}

type recordingIndexer struct {
	mu   sync.Mutex
	got  map[string]*domain.Dossier
	seen int
}

func (r *recordingIndexer) IndexDossier(_ context.Context, d *domain.Dossier) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.got == nil {
		r.got = map[string]*domain.Dossier{}
	}
	r.got[d.Code] = d
	r.seen++
	return nil
}

func newPipeline(t *testing.T, rec Recognizer, ix Indexer, ev Events) (*Pipeline, *archive.Archive, *fs.Store) {
	t.Helper()
	s, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	arch := archive.New(s)
	p, err := New(Config{Archive: arch, OCR: rec, Indexer: ix, Workers: 2, Events: ev})
	if err != nil {
		t.Fatal(err)
	}
	return p, arch, s
}

// TestIngestSamples ingests the sample set (every input format), checks
// the recognized text against what was rendered, verifies the store, and
// checks that a second run does no OCR and commits nothing.
func TestIngestSamples(t *testing.T) {
	dir := t.TempDir()
	texts, err := samples.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	specs, errs := Discover([]string{dir})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	ix := &recordingIndexer{}
	var failures []string
	ev := Events{FileFailed: func(code, file string, err error) { failures = append(failures, err.Error()) }}
	p, arch, _ := newPipeline(t, realOCR(t), ix, ev)
	ctx := context.Background()
	st, err := p.Run(ctx, specs)
	if err != nil || len(failures) > 0 {
		t.Fatalf("run: %v %v", err, failures)
	}
	if st.Dossiers != 4 || st.Changed != 4 || st.PagesOCR != 8 || st.PagesReused != 0 {
		t.Fatalf("stats %+v", st)
	}
	for _, sd := range samples.Set {
		d, err := arch.Load(ctx, sd.Code)
		if err != nil {
			t.Fatal(err)
		}
		if string(d.Classification) != sd.Classification || d.Subject.FullName != sd.Person.FullName || len(d.Documents) != len(sd.Documents) {
			t.Fatalf("%s: %+v", sd.Code, d)
		}
		indexed := ix.got[sd.Code]
		if indexed == nil || indexed.Version != 1 {
			t.Fatalf("%s not handed to the indexer", sd.Code)
		}
		for i, doc := range d.Documents {
			sdoc := sd.Documents[i]
			if doc.ID != sdoc.File || string(doc.Kind) != sdoc.Kind || len(doc.Pages) != sdoc.Pages {
				t.Fatalf("%s/%s: %+v", sd.Code, sdoc.File, doc)
			}
			for _, pg := range doc.Pages {
				want := strings.Join(texts[fmt.Sprintf("%s/%s#%d", sd.Code, sdoc.File, pg.Number)], "\n")
				res, err := arch.LoadText(ctx, pg.TextKey)
				if err != nil {
					t.Fatal(err)
				}
				if cer := textmetrics.CER(want, res.Text); cer > 0.05 {
					t.Errorf("%s/%s page %d: CER %.3f\nwant %q\ngot  %q", sd.Code, sdoc.File, pg.Number, cer, want, res.Text)
				}
				if got := indexed.Documents[i].Pages[pg.Number-1].Text; got == nil || got.Text != res.Text {
					t.Errorf("%s/%s page %d: indexer got other text", sd.Code, sdoc.File, pg.Number)
				}
				if sdoc.Skew != 0 && !pg.HasFlag(domain.FlagSkewed) {
					t.Errorf("%s/%s page %d: skew %.1f° not flagged: %v", sd.Code, sdoc.File, pg.Number, sdoc.Skew, pg.Flags)
				}
				if len(res.Words) == 0 || res.Words[0].X1 <= res.Words[0].X0 || res.Image != pg.ImageKey {
					t.Errorf("%s/%s page %d: words/boxes/image missing", sd.Code, sdoc.File, pg.Number)
				}
			}
		}
	}
	var problems []archive.Problem
	if _, err := arch.Verify(ctx, 2, func(int) {}, func() {}, func(p archive.Problem) { problems = append(problems, p) }); err != nil || len(problems) > 0 {
		t.Fatalf("verify: %v %v", err, problems)
	}

	// Again: nothing to OCR, nothing to commit.
	p2, err := New(Config{Archive: arch, OCR: realOCR(t), Indexer: ix, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	seen := ix.seen
	st, err = p2.Run(ctx, specs)
	if err != nil || st.PagesOCR != 0 || st.PagesReused != 8 || st.Changed != 0 || st.Dossiers != 4 {
		t.Fatalf("second run: %+v %v", st, err)
	}
	if ix.seen != seen {
		t.Fatal("unchanged dossiers were indexed again")
	}
}

// smallPage renders a quick page (150 dpi, few lines) as PNG bytes.
func smallPage(t *testing.T, lines ...string) *image.Gray {
	t.Helper()
	img, err := fixtures.Page(lines, fixtures.PageOptions{DPI: 150, HeightIn: 3, FontPt: 14})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func writeDossier(t *testing.T, dir, code string, files map[string][]byte) string {
	t.Helper()
	ddir := filepath.Join(dir, code)
	os.MkdirAll(ddir, 0o755)
	meta := map[string]any{"code": code, "subject": map[string]string{"full_name": "Phạm Đức Hùng"}, "classification": "public"}
	b, _ := json.Marshal(meta)
	os.WriteFile(filepath.Join(ddir, "dossier.json"), b, 0o644)
	for name, data := range files {
		os.WriteFile(filepath.Join(ddir, name), data, 0o644)
	}
	return ddir
}

// TestBadFilesFailAlone: corrupt, encrypted and unsupported files each fail
// with a message naming the file; the good file of the same dossier is
// committed and nothing of the bad files is stored.
func TestBadFilesFailAlone(t *testing.T) {
	good, err := fixtures.PNG(smallPage(t, "Phạm Đức Hùng", "Quyết định"), 150)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := fixtures.ImagePDF([]*image.Gray{smallPage(t, "x")}, 150, fixtures.PDFJPEG)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := fixtures.EncryptedPDF([]*image.Gray{smallPage(t, "x")}, 150, "secret", "owner")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeDossier(t, dir, "HS-7", map[string][]byte{
		"01.png": good, "02.pdf": pdf[:len(pdf)/2], "03.pdf": enc, "04.docx": []byte("PK\x03\x04 not a scan"),
	})
	specs, errs := Discover([]string{dir})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var mu sync.Mutex
	failed := map[string]error{}
	ev := Events{FileFailed: func(code, file string, err error) { mu.Lock(); failed[filepath.Base(file)] = err; mu.Unlock() }}
	p, arch, s := newPipeline(t, realOCR(t), nil, ev)
	ctx := context.Background()
	st, err := p.Run(ctx, specs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]error{"02.pdf": decode.ErrCorrupt, "03.pdf": decode.ErrEncrypted, "04.docx": decode.ErrUnsupported}
	for f, sentinel := range want {
		if !errors.Is(failed[f], sentinel) || !strings.Contains(failed[f].Error(), f) {
			t.Errorf("%s: %v, want %v naming the file", f, failed[f], sentinel)
		}
	}
	if len(failed) != 3 || st.FilesFailed != 3 || st.Dossiers != 1 {
		t.Fatalf("failed %v stats %+v", failed, st)
	}
	d, err := arch.Load(ctx, "HS-7")
	if err != nil || len(d.Documents) != 1 || d.Documents[0].ID != "01.png" {
		t.Fatalf("dossier %+v %v", d, err)
	}
	n := 0
	for _, err := range s.List(ctx, archive.PrefixOriginals, "") {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 1 {
		t.Fatalf("%d originals stored, want only the good one", n)
	}
}

// failingOCR injects a failure on the nth call.
type failingOCR struct {
	Recognizer
	n     int32
	calls atomic.Int32
}

func (f *failingOCR) Process(ctx context.Context, in ocr.Input) (*ocr.Result, error) {
	if f.calls.Add(1) == f.n {
		return nil, fmt.Errorf("ocr %s: injected failure", in.Label)
	}
	return f.Recognizer.Process(ctx, in)
}

// TestResumeAfterFailure: a page that fails leaves the pages already done
// stored; the next run OCRs only the rest and commits the dossier.
func TestResumeAfterFailure(t *testing.T) {
	pages := []*image.Gray{smallPage(t, "Trang một"), smallPage(t, "Trang hai"), smallPage(t, "Trang ba")}
	tif, err := fixtures.TIFF(pages, fixtures.TIFFLZW, 150)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeDossier(t, dir, "HS-8", map[string][]byte{"01.tif": tif})
	specs, _ := Discover([]string{dir})
	rec := &failingOCR{Recognizer: realOCR(t), n: 3}
	var failedErr error
	_, arch, _ := newPipeline(t, rec, nil, Events{})
	// One page at a time, so pages 1 and 2 are stored before page 3 fails.
	p, err := New(Config{Archive: arch, OCR: rec, Workers: 1, Events: Events{FileFailed: func(_, _ string, err error) { failedErr = err }}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := p.Run(ctx, specs)
	if err != nil || st.FilesFailed != 1 || failedErr == nil || !strings.Contains(failedErr.Error(), "page") {
		t.Fatalf("first run: %+v %v %v", st, err, failedErr)
	}
	if _, err := arch.Load(ctx, "HS-8"); !errors.Is(err, archive.ErrNoDossier) {
		t.Fatalf("dossier committed without its only file: %v", err)
	}
	p2, _ := New(Config{Archive: arch, OCR: realOCR(t), Workers: 2})
	st, err = p2.Run(ctx, specs)
	if err != nil || st.FilesFailed != 0 || st.PagesOCR != 1 || st.PagesReused != 2 {
		t.Fatalf("second run: %+v %v", st, err)
	}
	d, err := arch.Load(ctx, "HS-8")
	if err != nil || d.PageCount() != 3 {
		t.Fatalf("%+v %v", d, err)
	}
}

// TestConcurrentIngestOneDossier: two ingests of the same dossier at once
// give one manifest version.
func TestConcurrentIngestOneDossier(t *testing.T) {
	good, _ := fixtures.PNG(smallPage(t, "Hồ sơ"), 150)
	dir := t.TempDir()
	writeDossier(t, dir, "HS-9", map[string][]byte{"01.png": good})
	specs, _ := Discover([]string{dir})
	p1, arch, _ := newPipeline(t, realOCR(t), nil, Events{})
	p2, _ := New(Config{Archive: arch, OCR: realOCR(t), Workers: 2})
	ctx := context.Background()
	var wg sync.WaitGroup
	for _, p := range []*Pipeline{p1, p2} {
		wg.Go(func() {
			if _, err := p.Ingest(ctx, specs[0]); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	versions := 0
	for _, err := range arch.Store().List(ctx, archive.PrefixDossiers+"HS-9/", "") {
		if err != nil {
			t.Fatal(err)
		}
		versions++
	}
	if versions != 1 {
		t.Fatalf("%d manifest versions, want 1", versions)
	}
}

// TestReocr: OCR again with another language from the stored original; the
// earlier text stays as a version, the new one is current, and a person's
// correction stays current.
func TestReocr(t *testing.T) {
	pages := []*image.Gray{smallPage(t, "Họ và tên: Bùi Thị Nga"), smallPage(t, "Quyết định khen thưởng")}
	tif, err := fixtures.TIFF(pages, fixtures.TIFFLZW, 150)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeDossier(t, dir, "HS-10", map[string][]byte{"01.tif": tif})
	specs, _ := Discover([]string{dir})
	ix := &recordingIndexer{}
	p, arch, _ := newPipeline(t, realOCR(t), ix, Events{})
	ctx := context.Background()
	if _, err := p.Run(ctx, specs); err != nil {
		t.Fatal(err)
	}
	d, _ := arch.Load(ctx, "HS-10")
	first := d.Documents[0].Pages
	// A person corrects page 2 (as the server does): new text, flagged.
	corr := &domain.OCRResult{Source: "correction", Text: "Quyết định khen thưởng (đã sửa)"}
	ck, err := arch.PutText(ctx, d.Documents[0].Original.SHA256, 2, "corr-1", corr)
	if err != nil {
		t.Fatal(err)
	}
	pg := &d.Documents[0].Pages[1]
	pg.TextKey, pg.TextVersions, pg.Flags = ck, append(pg.TextVersions, ck), append(pg.Flags, domain.FlagCorrected)
	if err := arch.Commit(ctx, d); err != nil {
		t.Fatal(err)
	}

	eng := ocr.DefaultConfig()
	eng.Lang, eng.Workers = "eng", 1
	engPool, err := ocr.New(eng)
	if err != nil {
		t.Fatal(err)
	}
	defer engPool.Close()
	rp, _ := New(Config{Archive: arch, OCR: engPool, Lang: "eng", Indexer: ix, Workers: 1})
	got, err := rp.Reocr(ctx, "hs-10", "")
	if err != nil {
		t.Fatal(err)
	}
	if rp.Stats().PagesOCR != 2 || got.Version != d.Version+1 {
		t.Fatalf("stats %+v version %d", rp.Stats(), got.Version)
	}
	p1, p2 := got.Documents[0].Pages[0], got.Documents[0].Pages[1]
	if p1.TextKey == first[0].TextKey || len(p1.TextVersions) != 2 || p1.TextVersions[0] != first[0].TextKey || !strings.Contains(p1.TextKey, "ocr-eng") {
		t.Errorf("page 1: %+v", p1)
	}
	if p2.TextKey != ck || len(p2.TextVersions) != 3 {
		t.Errorf("corrected page 2 must keep its correction current: %+v", p2)
	}
	if old, err := arch.LoadText(ctx, first[0].TextKey); err != nil || !strings.Contains(old.Text, "Nga") {
		t.Errorf("earlier text lost: %v", err)
	}
	if ix.got["HS-10"].Version != got.Version {
		t.Error("re-OCR'd dossier not reindexed")
	}
	if _, err := rp.Reocr(ctx, "HS-10", "nope.pdf"); err == nil || !strings.Contains(err.Error(), "nope.pdf") {
		t.Errorf("unknown document: %v", err)
	}
}
