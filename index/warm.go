package index

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Warming. A search reads some things once per segment and keeps them
// (segcache.go): the page → dossier table and the representatives, the
// pages of each dossier and document, the smallest and largest impact of
// each common page word it meets (a walk of the word's whole postings),
// the dossier's name-field values of each name syllable. The first
// searches after the index opens, or after scorch merges segments into a
// new one, pay for them: at 1,000,000 pages a name query took 50-170 ms
// the first time and 10-45 ms after. Warm computes them ahead for every
// segment large enough to be pruned (weakMinSegment pages): the tables,
// the impacts of all its common words, the name values of its commonest
// name syllables, within half the segment's repBudget (the rest is left to
// what searches ask for), and the position tables of its commonest name
// syllables (postable.go), which searches read only once Warm made them.
// Segments already warmed are skipped, so calling it again after each
// merge costs only the new segments.
//
// Warm also preloads the segments' files (zap's Segment.Preload): read
// into the page cache and mapped whole, as Lucene's MMapDirectory and
// Elasticsearch's index.store.preload do, so a search never waits for a
// page of the index the first time it touches it: a page fault per new
// page of the files, and a disk read where the kernel had dropped the
// pages while no process mapped the files (this machine's DAMON pages out
// file pages unmapped and idle for a minute: the first benchmark after a
// pause had a name p95 of 231 ms rather than 42-46). An index is preloaded only while it takes at most
// preloadShare of the machine's memory; a larger one is left to the
// kernel, page by page.

// WarmStats is what one Warm did.
type WarmStats struct {
	Segments int           // segments warmed (those warmed before are not counted)
	Words    int           // common page words whose impacts were computed
	Names    int           // name syllables whose representative values were read
	Preload  int64         // bytes of segment files preloaded (see preloadShare)
	Took     time.Duration // wall time
}

// Warm computes ahead, for the index's current segments not yet warmed,
// what the first searches would otherwise compute on their way (see above).
// It runs on at most one goroutine per core and stops when ctx is done.
// Errors: ErrClosed, ErrDamaged, or ctx's.
func (ix *Index) Warm(ctx context.Context) (WarmStats, error) {
	start := time.Now()
	var st WarmStats
	_, snap, done, err := ix.engineSnapshot("warm")
	if err != nil {
		return st, err
	}
	defer done()
	var todo []*segEval
	pre := preloadable(snap.segs)
	for _, sv := range snap.segs {
		if toWarm(sv) || pre[sv] != nil {
			todo = append(todo, &segEval{sv: sv, n: sv.seg.Count(), codes: snap.caches.codes})
		}
	}
	var segs, words, names, preloaded atomic.Int64
	err = snap.parallel(ctx, todo, func(e *segEval) error {
		if p := pre[e.sv]; p != nil {
			preloaded.Add(p.Preload())
			e.sv.cache.preload.Store(true)
		}
		if !toWarm(e.sv) {
			return nil
		}
		w, nm, err := e.sv.warm(ctx, e.codes)
		if err != nil {
			return err
		}
		segs.Add(1)
		words.Add(int64(w))
		names.Add(int64(nm))
		return nil
	})
	st.Segments, st.Words, st.Names = int(segs.Load()), int(words.Load()), int(names.Load())
	st.Preload = preloaded.Load()
	st.Took = time.Since(start)
	if err != nil {
		return st, fmt.Errorf("warm: %w", mapErr(err))
	}
	return st, nil
}

// toWarm reports whether Warm computes ahead for sv: a segment large
// enough to be pruned, not warmed yet.
func toWarm(sv *segView) bool {
	return sv.seg.Count() >= weakMinSegment && !sv.cache.warmed.Load()
}

// warm warms one segment; it returns the number of common words and of
// name syllables done.
func (sv *segView) warm(ctx context.Context, codes *ordTable) (words, names int, err error) {
	sc := sv.cache
	reps, err := sc.representatives(sv.seg, codes)
	if err != nil {
		return 0, 0, err
	}
	n := sv.seg.Count()
	for _, field := range []string{fText, fTextExact} {
		var common []string
		err := eachTerm(sv.seg, field, func(term string, count uint64) {
			if count*weakShare > n {
				common = append(common, term)
			}
		})
		if err != nil {
			return 0, 0, err
		}
		for _, t := range common {
			if err := ctx.Err(); err != nil {
				return 0, 0, err
			}
			if _, _, err := sc.impactRange(sv, field, t); err != nil {
				return 0, 0, err
			}
			words++
		}
	}
	// the pages of each dossier and document, which phrases on the name,
	// hometown, unit and title read (phraseOnReps)
	for _, dossier := range []bool{true, false} {
		if reps.covers(dossier) {
			reps.pagesOf(dossier)
		}
	}
	if sc.pos.Load() == nil {
		pt, err := buildPosTables(sv.seg)
		if err != nil {
			return 0, 0, err
		}
		sc.pos.Store(pt)
	}
	if r := repFields[fName]; reps.covers(r.dossier) {
		type termCount struct {
			term  string
			count uint64
		}
		var terms []termCount
		if err := eachTerm(sv.seg, r.field, func(term string, count uint64) {
			terms = append(terms, termCount{term, count})
		}); err != nil {
			return 0, 0, err
		}
		slices.SortFunc(terms, func(a, b termCount) int { return cmp.Compare(b.count, a.count) })
		// a name query searches the other fields of the dossier and the
		// document too (hometown, unit, title): the syllable's values there
		// when it has some (on a few documents mostly: kept sparse)
		var others []string
		for f, o := range repFields {
			if f != fName && reps.covers(o.dossier) {
				others = append(others, f)
			}
		}
		slices.Sort(others)
	terms:
		for _, t := range terms {
			for _, f := range append([]string{fName}, others...) {
				if err := ctx.Err(); err != nil {
					return 0, 0, err
				}
				if sc.repBytes() > repBudget*int(n)/2 {
					sc.warmCut.Store(true)
					break terms
				}
				o := repFields[f]
				if f != fName {
					// (an absent one is cheap to find absent)
					if pl, err := sv.postings(o.field, t.term); err != nil {
						return 0, 0, err
					} else if pl.Count() == 0 {
						continue
					}
				}
				local, count := reps.level(o.dossier)
				if _, err := sc.repImpacts(sv, o.field, t.term, local, count); err != nil {
					return 0, 0, err
				}
				if f == fName {
					names++
				}
			}
		}
	}
	sc.warmed.Store(true)
	return words, names, nil
}

// eachTerm calls fn with every term of a segment's field and the length of
// its postings (deleted pages included). (The dictionary iterator's own
// counts are not the postings' lengths: 1 for many terms, zap v17.)
func eachTerm(seg segment.Segment, field string, fn func(term string, count uint64)) error {
	return visitTerms(seg, field, nil, nil, func(term []byte, bm *roaring.Bitmap) {
		fn(string(term), bm.GetCardinality())
	})
}

// preloadShare is the share of the machine's memory an index's files may
// take to be preloaded.
const preloadShare = 0.5

// preloader is a segment whose file Warm can preload (zap's Segment).
type preloader interface {
	Preload() int64
	MappedSize() int64
}

// preloadable returns the segments of segs to preload now: those not yet
// preloaded, when all of segs' files fit in preloadShare of the memory.
func preloadable(segs []*segView) map[*segView]preloader {
	var total int64
	out := map[*segView]preloader{}
	for _, sv := range segs {
		p, ok := sv.seg.(preloader)
		if !ok {
			continue
		}
		total += p.MappedSize()
		if !sv.cache.preload.Load() {
			out[sv] = p
		}
	}
	if mem := physicalMemory(); mem == 0 || float64(total) > preloadShare*float64(mem) {
		return nil
	}
	return out
}
