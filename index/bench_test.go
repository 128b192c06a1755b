package index

// Benchmarks over a generated corpus of Vietnamese-like dossier pages.
//
//	go test ./index -run '^$' -bench . -benchtime 1x                  # 20k pages
//	HOSO_BENCH_PAGES=100000 go test ./index -run '^$' -bench . -benchtime 1x -timeout 60m
//
// HOSO_BENCH_PAGES sets the corpus size (default 20000). HOSO_BENCH_DIR keeps
// the built index in that folder and reuses it when it already holds the
// requested number of pages, so query benchmarks can be rerun without
// reindexing. BenchmarkIndex measures bulk indexing (pages/s, disk, heap);
// BenchmarkSearch/<kind> measures query latency (p50/p95/p99 in ms) over a
// mixed set per kind, each query run HOSO_BENCH_ROUNDS times (default 5).

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hoso/domain"
	"hoso/internal/fixtures"
)

func benchEnv(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

const benchPagesPerDoc, benchDocsPerDossier = 5, 4

// benchDossier generates dossier i of the corpus: 4 documents of 5 pages,
// about 350 words a page, deterministic in i.
func benchDossier(i int) *domain.Dossier {
	rng := rand.New(rand.NewPCG(uint64(i), 42))
	p := fixtures.RandomPerson(rng)
	classes := []domain.Classification{domain.Public, domain.Public, domain.Public, domain.Confidential, domain.Secret, domain.TopSecret}
	d := &domain.Dossier{
		Code: fmt.Sprintf("HS-%04d-%06d", 2000+i%25, i), Version: 1, Unit: p.Unit,
		Classification: classes[rng.IntN(len(classes))],
		Subject:        domain.Subject{FullName: p.FullName, BirthDate: mustDate(p.BirthDate), Hometown: p.Hometown},
	}
	kinds := domain.DocumentKinds
	for j := range benchDocsPerDossier {
		doc := domain.Document{
			ID: fmt.Sprintf("d%d", j+1), Kind: kinds[rng.IntN(len(kinds))], Title: fixtures.DocumentLines(rng, p, 5)[4],
			Date: domain.Date{Time: time.Date(1995+rng.IntN(30), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)},
		}
		if rng.IntN(10) == 0 {
			doc.Classification = domain.Secret
		}
		for n := 1; n <= benchPagesPerDoc; n++ {
			text := strings.Join(fixtures.DocumentLines(rng, p, 36), "\n")
			if rng.IntN(4) == 0 { // an OCR error
				text = strings.Replace(text, "ư", "u", 1)
			}
			doc.Pages = append(doc.Pages, domain.Page{Number: n, TextKey: fmt.Sprintf("pages/x/%d/%d/%d.json", i, j, n), MeanConfidence: 80 + rng.Float64()*20, Text: ocrOf(text)})
		}
		d.Documents = append(d.Documents, doc)
	}
	return d
}

var benchIndex struct {
	once sync.Once
	ix   *Index
	dir  string
	err  error
	rate float64 // pages/s when built in this process
}

// benchCorpus returns the shared benchmark index, building it if needed.
func benchCorpus(b *testing.B) *Index {
	b.Helper()
	pages := benchEnv("HOSO_BENCH_PAGES", 20000)
	benchIndex.once.Do(func() {
		dir := os.Getenv("HOSO_BENCH_DIR")
		if dir == "" {
			benchIndex.dir, benchIndex.err = os.MkdirTemp("", "hoso-bench-")
			dir = benchIndex.dir
		}
		ix, err := Open(dir, Config{})
		if err != nil {
			benchIndex.err = err
			return
		}
		benchIndex.ix = ix
		if n, _ := ix.DocCount(); n >= pages {
			return
		}
		benchIndex.rate, benchIndex.err = buildBench(ix, pages, nil)
	})
	if benchIndex.err != nil {
		b.Fatal(benchIndex.err)
	}
	return benchIndex.ix
}

// buildBench fills ix with generated pages the way Rebuild does (unsafe
// batches from IndexWorkers indexers, one wait for persistence, swap), with
// the generator standing in for the store.
func buildBench(ix *Index, pages int, progress func(int)) (float64, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	per := benchPagesPerDoc * benchDocsPerDossier
	n := (pages + per - 1) / per
	start := time.Now()
	sub, nbi, err := createSub(ix.root, ix.cfg, true)
	if err != nil {
		return 0, err
	}
	results := make(chan loaded, 64)
	go func() {
		defer close(results)
		for i := range n {
			d := benchDossier(i)
			select {
			case results <- loaded{code: d.Code, d: d}:
			case <-ctx.Done():
				return
			}
		}
	}()
	w := &Indexer{ix: ix, target: nbi, fresh: true, pending: map[string]bool{}}
	st, _, err := ix.consume(ctx, cancel, w, results, n, func(done, _ int) {
		if progress != nil {
			progress(done * per)
		}
	})
	if err != nil {
		return 0, err
	}
	if nbi, err = persistAndReopen(ctx, nbi, filepath.Join(ix.root, sub), ix.cfg); err != nil {
		return 0, err
	}
	rate := float64(st.Pages) / time.Since(start).Seconds()
	return rate, ix.swapIn(sub, nbi)
}

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

func heapMB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

// BenchmarkIndex bulk-indexes HOSO_BENCH_PAGES pages into a fresh index.
func BenchmarkIndex(b *testing.B) {
	pages := benchEnv("HOSO_BENCH_PAGES", 20000)
	for range b.N {
		dir := b.TempDir()
		ix, err := Open(dir, Config{BatchSize: benchEnv("HOSO_BENCH_BATCH", 0)})
		if err != nil {
			b.Fatal(err)
		}
		var peak float64
		rate, err := buildBench(ix, pages, func(done int) {
			if done%(benchPagesPerDoc*benchDocsPerDossier*500) == 0 {
				peak = max(peak, heapMB())
			}
		})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(rate, "pages/s")
		b.ReportMetric(float64(dirSize(dir))/(1<<20), "disk-MB")
		b.ReportMetric(peak, "peak-heap-MB")
		ix.Close()
	}
}

// benchQueries are the query mixes, by kind. Names come from the fixture
// lists, so they occur in the corpus.
func benchQueries(dossiers int) map[string][]string {
	rng := rand.New(rand.NewPCG(7, 7))
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	q := map[string][]string{}
	for range 20 {
		// the name of a dossier in the corpus
		parts := strings.Fields(benchDossier(rng.IntN(dossiers)).Subject.FullName)
		f, m, g := parts[0], parts[1], parts[2]
		q["name"] = append(q["name"], fmt.Sprintf("%s %s %s", f, m, g), strings.ToLower(FoldString(f+" "+m+" "+g)))
		q["phrase"] = append(q["phrase"], fmt.Sprintf("%q", f+" "+m+" "+g))
		dec := 1950 + rng.IntN(5)*10
		q["filter"] = append(q["filter"], fmt.Sprintf("%s unit:%q born:%d..%d", FoldString(g), pick(fixtures.Units), dec, dec+9),
			fmt.Sprintf("kind:cv date:>%d name:%s", 2000+rng.IntN(20), strings.ToLower(g)))
		q["fuzzy"] = append(q["fuzzy"], strings.ToLower(FoldString(f))+"~ "+strings.ToLower(FoldString(g))+"~")
		// a misspelled name: nothing exact, the automatic fuzzy retry runs
		q["fallback"] = append(q["fallback"], FoldString(g)[:len(FoldString(g))-1]+"x "+FoldString(f))
	}
	// phrases of the body text: the generator repeats 14 sentences, so
	// these match nearly every page (the worst case: every match is
	// counted and its positions checked)
	q["common-phrase"] = []string{`"tiêu chuẩn chính trị"`, `"Đại học Quốc gia Hà Nội"`, `"bổ nhiệm chức vụ Trưởng phòng"`}
	return q
}

// BenchmarkSearch reports latency percentiles per query kind, searching as
// the server would (secret clearance, 20 dossiers, 3 hits each, snippets),
// and with facets for the "facets" kind (name queries plus all facets).
// "name" is the full name of a subject in the corpus as words (with and
// without diacritics), "phrase" the same as a quoted phrase.
func BenchmarkSearch(b *testing.B) {
	ix := benchCorpus(b)
	if benchIndex.rate > 0 {
		b.Logf("built %s with %.0f pages/s", ix.Path(), benchIndex.rate)
	}
	n, _ := ix.DocCount()
	b.Logf("index: %d pages, %.0f MB on disk, heap %.0f MB", n, float64(dirSize(ix.Path()))/(1<<20), heapMB())
	rounds := benchEnv("HOSO_BENCH_ROUNDS", 5)
	qs := benchQueries(max(1, n/(benchPagesPerDoc*benchDocsPerDossier)))
	qs["facets"] = qs["name"][:10]
	for _, kind := range []string{"name", "phrase", "filter", "fuzzy", "fallback", "facets", "common-phrase"} {
		b.Run(kind, func(b *testing.B) {
			var lat []time.Duration
			var hits int
			for range b.N {
				for range rounds {
					for _, q := range qs[kind] {
						t0 := time.Now()
						res, err := ix.Search(context.Background(), Request{Query: q, Clearance: domain.Secret, Facets: kind == "facets"})
						if err != nil {
							b.Fatal(err)
						}
						lat = append(lat, time.Since(t0))
						hits += res.Total
					}
				}
			}
			slices.Sort(lat)
			pct := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.95), "p95-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(float64(hits)/float64(len(lat)), "dossiers/query")
			b.ReportMetric(0, "ns/op")
		})
	}
}
