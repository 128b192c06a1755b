package main

import (
	"context"
	"fmt"
	"iter"
	"log/slog"
	"strings"
	"sync"
	"time"

	"hoso/domain"
	"hoso/index"
	"hoso/internal/corpus"
	"hoso/internal/loadgen"
	"hoso/internal/progress"
)

// indexRows measures indexing, then search latency at each size. The
// indexes hold the benchmark corpus (internal/corpus), the same dossiers
// the index's own benchmarks build, and are searched with its query mix.
func (b *bench) indexRows(ctx context.Context, sizes []int) error {
	b.step("indexing %d synthetic pages", b.o.IndexPages)
	ix, dossiers, took, err := b.buildIndex(ctx, "index-0", b.o.IndexPages)
	if err != nil {
		return err
	}
	pages := corpus.Pages(dossiers)
	b.add("indexing, incremental", rate(pages, took), "%d corpus pages (%d dossiers, ~350 words a page) through the index's Indexer (ingest's path), batches of 1000, each persisted; %v",
		pages, dossiers, took.Round(10*time.Millisecond))
	// an index stays open (its files mapped, its tables in memory) only
	// while a later size needs it
	last := map[int]int{}
	for i, n := range sizes {
		last[n] = i
	}
	type built struct {
		ix       *index.Index
		dossiers int
	}
	open := map[int]built{}
	if _, ok := last[b.o.IndexPages]; ok {
		open[b.o.IndexPages] = built{ix, dossiers}
	} else if err := ix.Close(); err != nil {
		return err
	}
	defer func() {
		for _, bx := range open {
			bx.ix.Close()
		}
	}()
	for i, n := range sizes {
		bx, ok := open[n]
		if !ok {
			b.step("indexing %d pages for the search at that size (bulk, as reindex)", n)
			sx, dossiers, took, err := b.loadIndex(ctx, fmt.Sprintf("index-%d", i+1), n)
			if err != nil {
				return err
			}
			bx = built{sx, dossiers}
			open[n] = bx
			pages := corpus.Pages(dossiers)
			b.add(fmt.Sprintf("indexing, bulk, %d pages", n), rate(pages, took), "%d corpus pages through Index.Load, reindex's path (parallel indexers, one wait for persistence at the end); %v",
				pages, took.Round(100*time.Millisecond))
		}
		if err := b.searchRow(ctx, bx.ix, n, bx.dossiers); err != nil {
			return err
		}
		if last[n] == i {
			delete(open, n)
			if err := bx.ix.Close(); err != nil {
				return err
			}
		}
	}
	return nil
}

// searchRow runs the corpus query mix with --clients searchers at once,
// as the server searches (secret clearance, 20 dossiers, 3 hits each,
// snippets and facets), and adds the latency row with each kind's p95.
func (b *bench) searchRow(ctx context.Context, ix *index.Index, size, dossiers int) error {
	mix := corpus.Queries(dossiers)
	type query struct{ kind, q string }
	// kinds interleaved, so that any run of searches has each kind
	var qs []query
	for i := 0; ; i++ {
		n := len(qs)
		for _, k := range corpus.Kinds {
			if i < len(mix[k]) {
				qs = append(qs, query{k, mix[k][i]})
			}
		}
		if len(qs) == n {
			break
		}
	}
	// as hoso serve does after opening the index
	ws, err := ix.Warm(ctx)
	if err != nil {
		return err
	}
	b.step("searching %d pages: %d clients x %d queries (warmed first: %d segments, %d MB preloaded, in %s)", size, b.o.Clients, b.o.Queries, ws.Segments, ws.Preload>>20, ws.Took.Round(time.Millisecond))
	var mu sync.Mutex
	perKind := map[string]*loadgen.Recorder{}
	for _, k := range corpus.Kinds {
		perKind[k] = &loadgen.Recorder{}
	}
	sum := loadgen.Run(ctx, b.o.Clients, b.o.Queries, 10*time.Minute, func(ctx context.Context, c, j int) error {
		q := qs[(c*b.o.Queries+j)%len(qs)]
		t := time.Now()
		_, err := ix.Search(ctx, index.Request{Query: q.q, Clearance: domain.Secret, Limit: 20, HitsPerDossier: 3, Facets: true})
		mu.Lock()
		perKind[q.kind].Add(time.Since(t), err)
		mu.Unlock()
		return err
	})
	if sum.Errors > 0 {
		return fmt.Errorf("bench search: %d errors, first: %w", sum.Errors, sum.FirstErr)
	}
	var kinds []string
	for _, k := range corpus.Kinds {
		if s := perKind[k].Summary(); s.Calls > 0 {
			kinds = append(kinds, fmt.Sprintf("%s %s", k, msStr(s.P95)))
		}
	}
	b.add(fmt.Sprintf("search at %d pages, p50 / p95 / p99", size), fmt.Sprintf("%s / %s / %s ms", msStr(sum.P50), msStr(sum.P95), msStr(sum.P99)),
		"%d searchers x %d queries of %d (names, phrases, filters, fuzzy, misspelled names, common phrases), facets and snippets on, after Index.Warm (%s, as hoso serve does); %.1f searches/s; max %s ms; p95 by kind (ms): %s",
		b.o.Clients, b.o.Queries, len(qs), ws.Took.Round(10*time.Millisecond), sum.PerSecond, msStr(sum.Max), strings.Join(kinds, ", "))
	return nil
}

func msStr(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	if v < 10 {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

// corpusDossiers yields the corpus's dossiers until they hold at least
// pages pages, counting them in *n.
func corpusDossiers(pages int, n *int) iter.Seq2[*domain.Dossier, error] {
	return func(yield func(*domain.Dossier, error) bool) {
		for i, t := 0, 0; t < pages; i++ {
			d := corpus.Dossier(i)
			for _, doc := range d.Documents {
				t += len(doc.Pages)
			}
			*n = i + 1
			if !yield(d, nil) {
				return
			}
		}
	}
}

// buildIndex creates an index in the work folder holding at least pages
// corpus pages through the Indexer, and returns it open, with the number
// of dossiers and the time taken.
func (b *bench) buildIndex(ctx context.Context, name string, pages int) (*index.Index, int, time.Duration, error) {
	ix, err := index.Open(b.path(name), index.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, 0, 0, err
	}
	w := ix.NewIndexer()
	var n int
	start := time.Now()
	for d := range corpusDossiers(pages, &n) {
		if err := w.Add(ctx, d); err != nil {
			ix.Close()
			return nil, 0, 0, err
		}
	}
	if err := w.Flush(ctx); err != nil {
		ix.Close()
		return nil, 0, 0, err
	}
	return ix, n, time.Since(start), nil
}

// loadIndex is buildIndex on the bulk path (Index.Load), with a progress
// line on stderr.
func (b *bench) loadIndex(ctx context.Context, name string, pages int) (*index.Index, int, time.Duration, error) {
	ix, err := index.Open(b.path(name), index.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, 0, 0, err
	}
	var n int
	bar := progress.New(b.log, "indexing", "dossiers", int64(corpus.Dossiers(pages)))
	start := time.Now()
	_, err = ix.Load(ctx, corpusDossiers(pages, &n), func(int) { bar.Add(1) })
	bar.Done()
	if err != nil {
		ix.Close()
		return nil, 0, 0, err
	}
	return ix, n, time.Since(start), nil
}
