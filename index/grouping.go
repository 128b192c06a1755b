package index

import (
	"container/heap"
	"context"
	"runtime"
	"slices"
	"sort"
	"sync"
)

// Grouping pages into dossiers.
//
// Design: the engine returns every matching page with its score. Each page's
// dossier comes from the segment's page -> dossier table (segcache.go), so
// one pass over the matching pages gives, per dossier, its number of
// matching pages and its best score (and its earliest or latest document
// date for the date sorts): exact totals and the order of dossiers, which
// is by their best page. The requested page of dossiers is selected, and a
// second pass collects the pages of those dossiers only, to show the best
// HitsPerDossier of each (ties broken by page id). Only the shown pages have
// their stored fields read.
//
// The alternatives were weighed: collapsing top hits alone cannot count
// dossiers exactly; a second per-dossier index document would duplicate all
// page text (or lose page-level filters such as kind: and date:) and could
// not rank a dossier by its best page.

type grouped struct {
	total, pages int
	selected     []*selDossier
}

type selDossier struct {
	ord   uint32
	code  string
	pages int
	best  float32
	hits  []selHit
}

type selHit struct {
	id    string
	score float32
	sv    *segView
	local uint32
}

// aggregate adds the pages docs of a segment to agg, by dossier ordinal
// (dt: a page's ordinal, noOrd: none): their count, the best of their
// scores (where scored, unless all are), and with dates (by page number)
// the date that sorts first by by.
func aggregate(agg []dossierAgg, docs, dt []uint32, scores []float32, scored []bool, all bool, dates []int64, by string) {
	// a dossier's pages are mostly consecutive: each run of them is
	// aggregated apart, then merged into agg (agg is large, and touched
	// once a run rather than once a page)
	for j := 0; j < len(docs); {
		o := dt[docs[j]]
		if o == noOrd {
			j++
			continue
		}
		run := dossierAgg{best: -1, date: noDate}
		for ; j < len(docs) && dt[docs[j]] == o; j++ {
			run.pages++
			if sc := scores[j]; sc > run.best && (all || scored[j]) {
				run.best = sc
			}
			if dates != nil {
				run.date = earlier(run.date, dates[docs[j]], by)
			}
		}
		merge(&agg[o], run, by)
	}
}

// parallelAggregate is the number of matching pages from which they are
// aggregated on two cores (a variable for tests).
var parallelAggregate = 50_000

// merge adds the aggregate b of some pages of a dossier to a (pages 0:
// none yet).
func merge(a *dossierAgg, b dossierAgg, by string) {
	if a.pages == 0 {
		*a = b
		return
	}
	a.pages += b.pages
	a.best = max(a.best, b.best)
	a.date = earlier(a.date, b.date, by)
}

// earlier returns the date of a dossier that sorts first by by (SortDate
// or SortDateDesc) of its dates cur and v (noDate: none).
func earlier(cur, v int64, by string) int64 {
	if v != noDate && (cur == noDate || (by == SortDate && v < cur) || (by == SortDateDesc && v > cur)) {
		return v
	}
	return cur
}

// dossierAgg is one dossier's aggregate over the matching pages.
type dossierAgg struct {
	pages int32
	best  float32
	date  int64 // earliest (date sort) or latest (-date) document date
}

func groupResults(snap *engineSnap, evals []*segEval, req Request) (*grouped, error) {
	c := snap.caches
	tables := make([][]uint32, len(evals))
	for i, e := range evals {
		if len(e.docs) == 0 {
			continue
		}
		t, err := e.sv.cache.dossiers(e.sv.seg, c.codes)
		if err != nil {
			return nil, err
		}
		tables[i] = t
	}
	g := &grouped{}
	names := c.codes.list()
	byDate := req.Sort == SortDate || req.Sort == SortDateDesc
	dates := make([][]int64, len(evals))
	var halves [2][]int // the segments of each half of the pages
	var size [2]int
	for i, e := range evals {
		if tables[i] == nil {
			continue
		}
		if byDate {
			var err error
			if dates[i], err = e.sv.cache.dates(e.sv.seg, fDate); err != nil {
				return nil, err
			}
		}
		h := 0
		if size[1] < size[0] {
			h = 1
		}
		halves[h] = append(halves[h], i)
		size[h] += len(e.docs)
	}
	run := func(agg []dossierAgg, half []int) {
		for _, i := range half {
			e := evals[i]
			aggregate(agg, e.docs, tables[i], e.scores, e.scored, e.nscored == len(e.docs), dates[i], req.Sort)
		}
	}
	agg := make([]dossierAgg, len(names))
	if size[0]+size[1] < parallelAggregate || runtime.GOMAXPROCS(0) < 2 {
		run(agg, slices.Concat(halves[0], halves[1]))
	} else {
		// on two cores: each half into its own array, then merged
		other := make([]dossierAgg, len(names))
		var wg sync.WaitGroup
		wg.Go(func() { run(other, halves[1]) })
		run(agg, halves[0])
		wg.Wait()
		for o := range other {
			if other[o].pages > 0 {
				merge(&agg[o], other[o], req.Sort)
			}
		}
	}
	var ords []uint32
	for o := range agg {
		if agg[o].pages > 0 {
			ords = append(ords, uint32(o))
			g.pages += int(agg[o].pages)
		}
	}
	g.total = len(ords)
	less := func(a, b uint32) bool {
		x, y := &agg[a], &agg[b]
		switch req.Sort {
		case SortCode:
			return names[a] < names[b]
		case SortDate, SortDateDesc:
			if x.date != y.date {
				switch {
				case x.date == noDate:
					return false
				case y.date == noDate:
					return true
				case req.Sort == SortDate:
					return x.date < y.date
				default:
					return x.date > y.date
				}
			}
		}
		if x.best != y.best {
			return x.best > y.best
		}
		return names[a] < names[b]
	}
	if byDate && len(ords) > 0 {
		// dossiers are ordered by date, then best score: score the pages of
		// the dossiers whose date could place them on the requested page
		k := req.Offset + req.Limit
		byDateOnly := func(a, b uint32) bool {
			x, y := agg[a].date, agg[b].date
			switch {
			case x == y:
				return false
			case x == noDate:
				return false
			case y == noDate:
				return true
			case req.Sort == SortDate:
				return x < y
			}
			return x > y
		}
		first := topN(append([]uint32(nil), ords...), k, byDateOnly)
		last := agg[first[len(first)-1]].date
		cands := map[uint32]bool{}
		for _, o := range ords {
			if !byDateOnly(first[len(first)-1], o) || agg[o].date == last {
				cands[o] = true
			}
		}
		if err := scoreDossiers(evals, tables, func(o uint32) bool { return cands[o] }); err != nil {
			return nil, err
		}
		for i, e := range evals {
			if tables[i] == nil {
				continue
			}
			for j, d := range e.docs {
				if o := tables[i][d]; o != noOrd && cands[o] && e.scores[j] > agg[o].best {
					agg[o].best = e.scores[j]
				}
			}
		}
	}
	window := topN(ords, req.Offset+req.Limit, less)
	if req.Offset >= len(window) {
		return g, nil
	}
	window = window[req.Offset:]
	sel := make(map[uint32]*selDossier, len(window))
	for _, o := range window {
		d := &selDossier{ord: o, code: names[o], pages: int(agg[o].pages)}
		sel[o] = d
		g.selected = append(g.selected, d)
	}
	if err := collectHits(evals, tables, sel, req.HitsPerDossier); err != nil {
		return nil, err
	}
	return g, nil
}

// scoreDossiers scores the matching pages of the dossiers in (those not
// scored yet), the segments on every core.
func scoreDossiers(evals []*segEval, tables [][]uint32, in func(uint32) bool) error {
	return eachEval(evals, tables, func(i int) error { return scoreIn(evals[i], tables[i], in) })
}

// scoreIn scores e's matching pages of the dossiers in (dt: e's page ->
// dossier table) that are not scored yet.
func scoreIn(e *segEval, dt []uint32, in func(uint32) bool) error {
	if e.nscored == len(e.docs) {
		return nil
	}
	var missing []uint32
	for j, d := range e.docs {
		if o := dt[d]; o != noOrd && !e.scored[j] && in(o) {
			missing = append(missing, d)
		}
	}
	return e.scoreSome(missing)
}

// eachEval calls fn with the index of each segment that has a dossier
// table, on every core, the largest segments first.
func eachEval(evals []*segEval, tables [][]uint32, fn func(i int) error) error {
	sizes := make([]uint64, len(evals))
	for i, e := range evals {
		sizes[i] = uint64(len(e.docs))
	}
	return largestFirst(context.Background(), sizes, func(i int) error {
		if tables[i] == nil {
			return nil
		}
		return fn(i)
	})
}

// topN returns the first n of ords in the order less, sorted.
func topN(ords []uint32, n int, less func(a, b uint32) bool) []uint32 {
	if n >= len(ords) {
		sort.Slice(ords, func(i, j int) bool { return less(ords[i], ords[j]) })
		return ords
	}
	h := &ordHeap{less: less}
	for _, o := range ords {
		if h.Len() < n {
			heap.Push(h, o)
		} else if less(o, h.ords[0]) {
			h.ords[0] = o
			heap.Fix(h, 0)
		}
	}
	out := h.ords
	sort.Slice(out, func(i, j int) bool { return less(out[i], out[j]) })
	return out
}

// ordHeap keeps the worst of the kept ordinals on top.
type ordHeap struct {
	ords []uint32
	less func(a, b uint32) bool
}

func (h *ordHeap) Len() int           { return len(h.ords) }
func (h *ordHeap) Less(i, j int) bool { return h.less(h.ords[j], h.ords[i]) }
func (h *ordHeap) Swap(i, j int)      { h.ords[i], h.ords[j] = h.ords[j], h.ords[i] }
func (h *ordHeap) Push(x any)         { h.ords = append(h.ords, x.(uint32)) }
func (h *ordHeap) Pop() any {
	x := h.ords[len(h.ords)-1]
	h.ords = h.ords[:len(h.ords)-1]
	return x
}

// collectHits finds the best perDossier pages of each selected dossier:
// best score first, then page id. Pages the ranking did not need are
// scored now.
func collectHits(evals []*segEval, tables [][]uint32, sel map[uint32]*selDossier, perDossier int) error {
	type cand struct {
		e     *segEval
		local uint32
		score float32
	}
	type ordCand struct {
		o uint32
		c cand
	}
	var shown []bool // by ordinal
	for o := range sel {
		if int(o) >= len(shown) {
			shown = append(shown, make([]bool, int(o)+1-len(shown))...)
		}
		shown[o] = true
	}
	in := func(o uint32) bool { return int(o) < len(shown) && shown[o] }
	// each segment's pages of the shown dossiers, scored, on every core;
	// then gathered in segment order, as one pass would
	per := make([][]ordCand, len(evals))
	err := eachEval(evals, tables, func(i int) error {
		e, dt := evals[i], tables[i]
		if err := scoreIn(e, dt, in); err != nil {
			return err
		}
		for j, d := range e.docs {
			if o := dt[d]; in(o) {
				per[i] = append(per[i], ordCand{o, cand{e, d, e.scores[j]}})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	cands := map[uint32][]cand{}
	for _, p := range per {
		for _, x := range p {
			cands[x.o] = append(cands[x.o], x.c)
		}
	}
	for o, cs := range cands {
		sort.Slice(cs, func(i, j int) bool { return cs[i].score > cs[j].score })
		// keep the best perDossier and any page tied with the last of them
		n := min(perDossier, len(cs))
		for n < len(cs) && cs[n].score == cs[n-1].score {
			n++
		}
		hits := make([]selHit, 0, n)
		for _, c := range cs[:n] {
			id, err := c.e.sv.seg.DocID(uint64(c.local))
			if err != nil {
				return err
			}
			hits = append(hits, selHit{id: string(id), score: c.score, sv: c.e.sv, local: c.local})
		}
		sort.Slice(hits, func(i, j int) bool {
			if hits[i].score != hits[j].score {
				return hits[i].score > hits[j].score
			}
			return hits[i].id < hits[j].id
		})
		d := sel[o]
		d.hits = hits[:min(perDossier, len(hits))]
		d.best = d.hits[0].score
	}
	return nil
}
