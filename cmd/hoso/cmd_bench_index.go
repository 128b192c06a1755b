package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"hoso/domain"
	"hoso/index"
	"hoso/internal/fixtures"
	"hoso/internal/loadgen"
	"hoso/internal/progress"
)

// benchPagesPerDossier is the size of the bench's synthetic dossiers.
const benchPagesPerDossier = 4

// indexRows measures indexing, then search latency at each size.
func (b *bench) indexRows(ctx context.Context, sizes []int) error {
	b.step("indexing %d synthetic pages", b.o.IndexPages)
	ix, people, took, err := b.buildIndex(ctx, "index-0", b.o.IndexPages)
	if err != nil {
		return err
	}
	b.add("indexing, incremental", rate(b.o.IndexPages, took), "%d synthetic pages (%d per dossier, ~%d words each) through the index's Indexer (ingest's path), batches of 1000, each persisted; %v",
		b.o.IndexPages, benchPagesPerDossier, benchWordsPerPage, took.Round(10*time.Millisecond))
	// an index stays open (its files mapped, its tables in memory) only
	// while a later size needs it
	last := map[int]int{}
	for i, n := range sizes {
		last[n] = i
	}
	built := map[int]*index.Index{}
	if _, ok := last[b.o.IndexPages]; ok {
		built[b.o.IndexPages] = ix
	} else if err := ix.Close(); err != nil {
		return err
	}
	defer func() {
		for _, ix := range built {
			ix.Close()
		}
	}()
	for i, n := range sizes {
		sx, ok := built[n]
		if !ok {
			b.step("indexing %d pages for the search at that size (bulk, as reindex)", n)
			var err error
			var took time.Duration
			if sx, people, took, err = b.loadIndex(ctx, fmt.Sprintf("index-%d", i+1), n); err != nil {
				return err
			}
			built[n] = sx
			b.add(fmt.Sprintf("indexing, bulk, %d pages", n), rate(n, took), "the same kind of pages through Index.Load, reindex's path (parallel indexers, one wait for persistence at the end); %v",
				took.Round(100*time.Millisecond))
		}
		b.step("searching %d pages: %d clients x %d queries", n, b.o.Clients, b.o.Queries)
		qs := benchQueries(people)
		var mu sync.Mutex
		perQuery := map[string]*loadgen.Recorder{}
		for _, q := range qs {
			perQuery[q] = &loadgen.Recorder{}
		}
		sum := loadgen.Run(ctx, b.o.Clients, b.o.Queries, 10*time.Minute, func(ctx context.Context, c, j int) error {
			q := qs[(c*7+j)%len(qs)]
			t := time.Now()
			_, err := sx.Search(ctx, index.Request{Query: q, Clearance: domain.TopSecret, Limit: 20, HitsPerDossier: 3, Facets: true})
			mu.Lock()
			perQuery[q].Add(time.Since(t), err)
			mu.Unlock()
			return err
		})
		if sum.Errors > 0 {
			return fmt.Errorf("bench search: %d errors, first: %w", sum.Errors, sum.FirstErr)
		}
		slowQ, slow := "", time.Duration(0)
		for q, r := range perQuery {
			if p := r.Summary().P50; p > slow {
				slowQ, slow = q, p
			}
		}
		b.add(fmt.Sprintf("search at %d pages, p50 / p95 / p99", n), fmt.Sprintf("%s / %s / %s ms", msStr(sum.P50), msStr(sum.P95), msStr(sum.P99)),
			"%d searchers x %d queries (%d kinds: names, words, phrases, fuzzy, prefix, fields, ranges), facets and snippets on; %.1f searches/s; max %s ms; slowest kind %s (p50 %s ms)",
			b.o.Clients, b.o.Queries, len(qs), sum.PerSecond, msStr(sum.Max), slowQ, msStr(slow))
		if last[n] == i {
			delete(built, n)
			if err := sx.Close(); err != nil {
				return err
			}
		}
	}
	return nil
}

func msStr(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	if v < 10 {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

// buildIndex creates an index in the work folder holding pages synthetic
// pages and returns it open, with the subjects' names and the time taken.
func (b *bench) buildIndex(ctx context.Context, name string, pages int) (*index.Index, []string, time.Duration, error) {
	ix, err := index.Open(b.path(name), index.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, nil, 0, err
	}
	rng := rand.New(rand.NewPCG(uint64(pages), 9))
	w := ix.NewIndexer()
	var people []string
	start := time.Now()
	for i := 0; i*benchPagesPerDossier < pages; i++ {
		d := benchDossier(rng, i, min(benchPagesPerDossier, pages-i*benchPagesPerDossier))
		if len(people) < 200 {
			people = append(people, d.Subject.FullName)
		}
		if err := w.Add(ctx, d); err != nil {
			ix.Close()
			return nil, nil, 0, err
		}
	}
	if err := w.Flush(ctx); err != nil {
		ix.Close()
		return nil, nil, 0, err
	}
	return ix, people, time.Since(start), nil
}

// loadIndex is buildIndex on the bulk path (Index.Load), with a progress
// line on stderr.
func (b *bench) loadIndex(ctx context.Context, name string, pages int) (*index.Index, []string, time.Duration, error) {
	ix, err := index.Open(b.path(name), index.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, nil, 0, err
	}
	var people []string
	gen := func(yield func(*domain.Dossier, error) bool) {
		rng := rand.New(rand.NewPCG(uint64(pages), 9))
		for i := 0; i*benchPagesPerDossier < pages; i++ {
			d := benchDossier(rng, i, min(benchPagesPerDossier, pages-i*benchPagesPerDossier))
			if len(people) < 200 {
				people = append(people, d.Subject.FullName)
			}
			if !yield(d, nil) {
				return
			}
		}
	}
	dossiers := (pages + benchPagesPerDossier - 1) / benchPagesPerDossier
	bar := progress.New(b.log, "indexing", "dossiers", int64(dossiers))
	start := time.Now()
	_, err = ix.Load(ctx, gen, func(int) { bar.Add(1) })
	bar.Done()
	if err != nil {
		ix.Close()
		return nil, nil, 0, err
	}
	return ix, people, time.Since(start), nil
}

// benchWordsPerPage is about how many words a synthetic page holds.
const benchWordsPerPage = 250

// benchDossier makes dossier i with pages pages of generated text.
func benchDossier(rng *rand.Rand, i, pages int) *domain.Dossier {
	p := fixtures.RandomPerson(rng)
	bd, _ := domain.ParseDate(p.BirthDate)
	dt, _ := domain.ParseDate(fmt.Sprintf("%d-%02d-15", 1990+rng.IntN(35), 1+rng.IntN(12)))
	d := &domain.Dossier{Code: fmt.Sprintf("HS-B%07d", i), Version: 1, Subject: domain.Subject{FullName: p.FullName, BirthDate: bd, Hometown: p.Hometown},
		Unit: p.Unit, Classification: domain.Public}
	doc := domain.Document{ID: "d1", Kind: domain.DocumentKinds[rng.IntN(len(domain.DocumentKinds))], Title: "Sơ yếu lý lịch", Date: dt}
	for n := 1; n <= pages; n++ {
		var sb strings.Builder
		for words := 0; words < benchWordsPerPage; {
			for _, l := range fixtures.DocumentLines(rng, p, 12) {
				sb.WriteString(l)
				sb.WriteByte('\n')
				words += strings.Count(l, " ") + 1
			}
		}
		doc.Pages = append(doc.Pages, domain.Page{Number: n, TextKey: fmt.Sprintf("pages/b/%d/p%04d/x.json", i, n), MeanConfidence: 80 + float64(rng.IntN(20)),
			Text: &domain.OCRResult{Text: sb.String(), MeanConfidence: 90}})
	}
	d.Documents = []domain.Document{doc}
	return d
}

// benchQueries are the searches of the latency measure.
func benchQueries(people []string) []string {
	qs := []string{"ho va ten", "quyet dinh bo nhiem", "\"Kết luận về tiêu chuẩn chính trị\"", "khen thuong bang khen", "thanh~",
		"nguy*", "code:HS-B00001*", "born:1960..1979", "unit:\"Sở Nội vụ\" ky luat", "kind:cv date:>2010", "ly lich -gia dinh", "hometown:\"Nghệ An\" dang vien"}
	for i := 0; i < len(people) && i < 12; i++ {
		qs = append(qs, benchFold(people[i*len(people)/12]))
	}
	return qs
}

// benchFold lowers s and strips its diacritics (đ as d), as typed without
// a Vietnamese keyboard.
func benchFold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'đ':
			b.WriteByte('d')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
