package index

import (
	"context"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Scoring.
//
// A page's score is TF-IDF as bleve computes it: each term contributes
// boost·idf²·√tf·norm, alternatives add up times the share of them that
// match, clauses and phrase positions add up. Computing it for every
// matching page means reading the postings of every query term, and the
// commonest words of a dossier (nguyen, van, thi: on 80-90% of pages)
// have postings as long as the index while contributing little to the
// ranking (their idf is low).
//
// So for relevance order, terms whose postings cover more than 1/16 of a
// large segment are "weak": pages get a lower bound (weak terms count as
// absent) and an upper bound (weak terms count as present with their
// largest contribution in the segment, computed once per segment and
// cached). The pages whose upper bound is below the lower bound of the
// K-th best dossier (K = Offset+Limit) cannot be among the best pages of
// the shown dossiers and are not scored; the others are scored exactly.
//
// Terms of the dossier's and document's fields scored from representative
// pages ("rep" terms: a family name in the subject's name is on 40% of
// pages) have one value per document, read cheaply. So the pages matching
// no strong page term nor phrase (most of them) get their bounds per
// document: rep terms exact, weak terms absent or at their largest, strong
// terms and phrases absent. Only the pages holding a strong term or a
// phrase are bounded one by one. The result is the same as scoring
// everything: the shown dossiers, their order, scores and hits are exact
// (the hits of the shown dossiers are scored exactly afterwards).

// Weak terms: postings longer than 1/weakShare of a segment of at least
// weakMinSegment pages (variables for tests).
var (
	weakShare      uint64 = 16
	weakMinSegment uint64 = 1 << 12
)

// segEval is the evaluation of a plan on one segment.
type segEval struct {
	sv      *segView
	n       uint64
	p       *plan
	matched map[*node]*roaring.Bitmap // phrases: their matching pages
	// phrase alternatives: their frequencies and norms on the pages
	// whose positions were read (the phrase's candidates)
	phraseTF map[*node]*phraseTF

	m       *roaring.Bitmap // the matching pages
	docs    []uint32        // m, ascending
	scores  []float32       // exact scores, by index in docs, where scored
	scored  []bool          // by index in docs: whether the page has its exact score
	nscored int

	// bounds (relevance order with weak or rep terms)
	bounded bool
	weak    map[*node]float32         // weak term -> its largest boost·idf²·√tf·norm
	weakMin map[*node]float32         // weak term -> its smallest
	weakBM  map[*node]*roaring.Bitmap // weak term -> its pages
	rep     map[*node]bool            // terms scored from representative pages
	repVals map[*node]*repVal         // their values, read once
	sdocs   []uint32                  // pages matching a strong page term or a phrase
	lb, ub  []float32                 // their bounds
	bctx    *scoreCtx                 // the bounds' context (strong terms' scores on sdocs)
	rest    []uint32                  // the other matching pages
	docOf   []uint32                  // local doc number -> local document (or dossier) index
	dl, du  []float32                 // bounds of rest pages, by docOf
	// seeds: rest pages of the likeliest dossiers with a closer lower
	// bound (weak terms they hold count with their smallest value)
	seedDocs []uint32
	seedLB   []float32
	codes    *ordTable
}

// repVal is a rep term's value by local dossier or document index.
type repVal struct {
	imp   *repImp  // nil: on no page of the segment
	local []uint32 // local doc number -> index in imp
	w     float64  // boost·idf²
}

// score is the term's boost·idf²·√tf·norm for x (0: absent).
func (rv *repVal) score(x tfNorm) float32 {
	if x.tf == 0 {
		return 0
	}
	return float32(rv.w * sqrtFreq(uint64(x.tf)) * float64(x.norm))
}

// run evaluates p on every segment, in parallel: matching pages, and
// scores unless order is by code. It returns one segEval per segment.
func (s *engineSnap) run(ctx context.Context, p *plan, req Request) ([]*segEval, error) {
	var roots []*node
	for _, list := range [][]*node{p.must, p.mustNot, p.should, {p.level}} {
		roots = append(roots, list...)
	}
	if err := s.resolve(ctx, roots...); err != nil {
		return nil, err
	}
	evals := make([]*segEval, len(s.segs))
	for i, sv := range s.segs {
		evals[i] = &segEval{sv: sv, n: sv.seg.Count(), p: p, matched: map[*node]*roaring.Bitmap{}, phraseTF: map[*node]*phraseTF{}, codes: s.caches.codes}
	}
	relevance := req.Sort == SortRelevance
	err := s.parallel(ctx, evals, func(e *segEval) error {
		if err := e.match(); err != nil {
			return err
		}
		switch {
		case len(e.docs) == 0 || !relevance:
			// by code or date: only the dossiers that may be shown get
			// scores (groupResults)
		case relevance && e.classify():
			err := e.bounds()
			if boundsHook != nil && err == nil {
				boundsHook(e)
			}
			return err
		default:
			return e.scoreAll()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !relevance {
		return evals, nil
	}
	dub, tables, err := s.seed(ctx, evals, req.Offset+req.Limit)
	if err != nil {
		return nil, err
	}
	theta := kthDossierBound(s, evals, req.Offset+req.Limit)
	idx := map[*segEval]int{}
	for i, e := range evals {
		idx[e] = i
	}
	err = s.parallel(ctx, evals, func(e *segEval) error {
		if !e.bounded || len(e.docs) == 0 {
			return nil
		}
		if theta <= 0 {
			return e.scoreAll()
		}
		// every page of a dossier that may be shown, its best page or
		// not: its hits are then scored in the same pass
		dt := tables[idx[e]]
		maybe := func(d uint32) bool { o := dt[d]; return o != noOrd && dub[o] >= theta }
		var keep []uint32
		var at []int32
		for i, d := range e.sdocs {
			if maybe(d) {
				keep = append(keep, d)
				at = append(at, int32(i))
			}
		}
		if err := e.scoreWith(keep, e.bctx, at); err != nil {
			return err
		}
		keep = keep[:0]
		for _, d := range e.rest {
			if maybe(d) {
				keep = append(keep, d)
			}
		}
		return e.scoreSome(keep)
	})
	return evals, err
}

// parallel runs fn on every segment, largest first, one goroutine per core.
func (s *engineSnap) parallel(ctx context.Context, evals []*segEval, fn func(*segEval) error) error {
	sizes := make([]uint64, len(evals))
	for i, e := range evals {
		sizes[i] = e.n
	}
	return largestFirst(ctx, sizes, func(i int) error { return fn(evals[i]) })
}

// eachSegment runs fn on every segment of s (i: its index in s.segs),
// largest first, one goroutine per core.
func (s *engineSnap) eachSegment(ctx context.Context, fn func(i int, sv *segView) error) error {
	sizes := make([]uint64, len(s.segs))
	for i, sv := range s.segs {
		sizes[i] = sv.seg.Count()
	}
	return largestFirst(ctx, sizes, func(i int) error { return fn(i, s.segs[i]) })
}

// largestFirst runs fn(i) for every i of sizes, the largest sizes first,
// on one goroutine per core; it returns the first error (ctx's when done
// before the end).
func largestFirst(ctx context.Context, sizes []uint64, fn func(i int) error) error {
	order := make([]int, len(sizes))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return sizes[order[a]] > sizes[order[b]] })
	workers := min(runtime.GOMAXPROCS(0), len(order))
	next := make(chan int, len(order))
	for _, i := range order {
		next <- i
	}
	close(next)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range next {
				if err := ctx.Err(); err != nil {
					errs[w] = err
					return
				}
				if err := fn(i); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// match computes the matching pages.
func (e *segEval) match() error {
	p := e.p
	m, err := e.matchNode(p.level, nil)
	if err != nil {
		return err
	}
	// cheap clauses first, phrases last (they are checked only on the
	// pages the others leave)
	must := append([]*node(nil), p.must...)
	sort.SliceStable(must, func(a, b int) bool { return must[a].kind != nPhrase && must[b].kind == nPhrase })
	for _, n := range must {
		if m.IsEmpty() {
			break
		}
		bm, err := e.matchNode(n, m)
		if err != nil {
			return err
		}
		m = roaring.And(m, bm)
	}
	for _, n := range p.mustNot {
		if m.IsEmpty() {
			break
		}
		bm, err := e.matchNode(n, m)
		if err != nil {
			return err
		}
		m = roaring.AndNot(m, bm)
	}
	e.m = m
	e.docs = m.ToArray()
	e.scores = make([]float32, len(e.docs))
	e.scored = make([]bool, len(e.docs))
	return nil
}

// scoringRoots are the nodes whose scores add up to a page's score.
func (e *segEval) scoringRoots() []*node {
	var roots []*node
	for _, n := range e.p.must {
		if hasScore(n) {
			roots = append(roots, n)
		}
	}
	if len(e.p.should) > 0 {
		roots = append(roots, &node{kind: nAny, kids: e.p.should})
	}
	return roots
}

// scoreAll scores every matching page exactly.
func (e *segEval) scoreAll() error {
	return e.scoreSome(e.docs)
}

// scoreSome scores the given matching pages (ascending) exactly.
func (e *segEval) scoreSome(docs []uint32) error {
	return e.scoreWith(docs, nil, nil)
}

// scoreWith scores docs exactly, taking the term scores parent has for
// them (docs[i] is parent.docs[idx[i]]).
func (e *segEval) scoreWith(docs []uint32, parent *scoreCtx, idx []int32) error {
	if len(docs) == 0 {
		return nil
	}
	c := &scoreCtx{e: e, docs: docs, dm: roaring.BitmapOf(docs...), mode: exact, parent: parent, idx: idx}
	out := make([]float32, len(docs))
	roots := e.scoringRoots()
	for _, n := range roots {
		if err := c.eval(n, c.dm, out); err != nil {
			return err
		}
	}
	if len(roots) == 0 {
		for i := range out {
			out[i] = 1 // nothing to rank by: all pages alike
		}
	}
	// docs is a subset of e.docs: merge the scores in
	j := 0
	for i, d := range docs {
		for e.docs[j] != d {
			j++
		}
		e.scores[j] = out[i]
		if !e.scored[j] {
			e.scored[j] = true
			e.nscored++
		}
	}
	return nil
}

// classify finds the weak and rep terms of the plan in this segment; it
// returns false when there are none (or the segment is small): then every
// page is scored.
func (e *segEval) classify() bool {
	if e.n < weakMinSegment {
		return false
	}
	reps, err := e.sv.cache.representatives(e.sv.seg, e.codes)
	if err != nil {
		return false
	}
	weak, weakMin := map[*node]float32{}, map[*node]float32{}
	weakBM := map[*node]*roaring.Bitmap{}
	repTerms := map[*node]bool{}
	var walk func(n *node) error
	walk = func(n *node) error {
		switch n.kind {
		case nTerm:
			if n.boost == 0 {
				return nil
			}
			if r, ok := repFields[n.field]; ok && useReps && reps.covers(r.dossier) {
				repTerms[n] = true
				return nil
			}
			pl, err := e.sv.postings(n.field, n.term)
			if err != nil {
				return err
			}
			// only page-text terms: the short fields' common words
			// (a family name in the subject's name) weigh too much for
			// their bound to prune anything
			if (n.field == fText || n.field == fTextExact) && pl.Count()*weakShare > e.n {
				lo, hi, err := e.sv.cache.impactRange(e.sv, n.field, n.term)
				if err != nil {
					return err
				}
				w := n.boost * n.idf * n.idf
				weak[n] = float32(w * float64(hi) * (1 + 1e-6))
				weakMin[n] = float32(w * float64(lo) * (1 - 1e-6))
				weakBM[n] = postingsBitmap(pl)
			}
		case nAny:
			for _, k := range n.kids {
				if err := walk(k); err != nil {
					return err
				}
			}
		case nPhrase:
			for _, alts := range n.pos {
				for _, a := range alts {
					if err := walk(a); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	for _, n := range e.scoringRoots() {
		if walk(n) != nil {
			return false
		}
	}
	if len(weak) == 0 && len(repTerms) == 0 {
		return false
	}
	e.bounded, e.weak, e.weakMin, e.weakBM, e.rep = true, weak, weakMin, weakBM, repTerms
	// the other pages' bounds are by document, or by dossier when no
	// document field term occurs in the segment
	var n int
	e.docOf, n = reps.level(true)
	for t := range repTerms {
		if repFields[t.field].dossier {
			continue
		}
		rv, err := e.readRep(t, repFields[t.field].field, false)
		if err != nil || rv == nil {
			return false
		}
		if e.repVals == nil {
			e.repVals = map[*node]*repVal{}
		}
		e.repVals[t] = rv
		if rv.imp != nil {
			e.docOf, n = reps.level(false)
		}
	}
	e.dl = make([]float32, n)
	e.du = make([]float32, n)
	return true
}

// bounds computes the lower and upper bounds of the pages matching a
// strong page term or a phrase, one by one, and of the others by document.
func (e *segEval) bounds() error {
	var sets []*roaring.Bitmap
	var walk func(n *node) error
	walk = func(n *node) error {
		switch n.kind {
		case nTerm:
			if _, weak := e.weak[n]; weak || e.rep[n] || n.boost == 0 {
				return nil
			}
			pl, err := e.sv.postings(n.field, n.term)
			if err != nil {
				return err
			}
			sets = append(sets, postingsBitmap(pl))
		case nAny:
			for _, k := range n.kids {
				if err := walk(k); err != nil {
					return err
				}
			}
		case nPhrase:
			sets = append(sets, e.matched[n])
		}
		return nil
	}
	roots := e.scoringRoots()
	for _, n := range roots {
		if err := walk(n); err != nil {
			return err
		}
	}
	sbm := roaring.And(roaring.FastOr(sets...), e.m)
	e.sdocs = sbm.ToArray()
	e.lb = make([]float32, len(e.sdocs))
	e.ub = make([]float32, len(e.sdocs))
	c := &scoreCtx{e: e, docs: e.sdocs, dm: sbm}
	e.bctx = c
	for _, mode := range []scoreMode{lower, upper} {
		out := e.lb
		if mode == upper {
			out = e.ub
		}
		c.mode = mode
		for _, n := range roots {
			if err := c.eval(n, sbm, out); err != nil {
				return err
			}
		}
	}
	// the other pages, by document (or dossier): one page of each stands
	// for all
	e.rest = roaring.AndNot(e.m, sbm).ToArray()
	seen := make([]bool, len(e.dl))
	var vdocs []uint32
	for _, d := range e.rest {
		if k := e.docOf[d]; !seen[k] {
			seen[k] = true
			vdocs = append(vdocs, d)
		}
	}
	if len(vdocs) == 0 {
		return nil
	}
	vc := &scoreCtx{e: e, docs: vdocs, dm: roaring.BitmapOf(vdocs...), virtual: true}
	lb := make([]float32, len(vdocs))
	ub := make([]float32, len(vdocs))
	for _, mode := range []scoreMode{lower, upper} {
		out := lb
		if mode == upper {
			out = ub
		}
		vc.mode = mode
		for _, n := range roots {
			if err := vc.eval(n, vc.dm, out); err != nil {
				return err
			}
		}
	}
	for i, d := range vdocs {
		k := e.docOf[d]
		e.dl[k], e.du[k] = lb[i], ub[i]
	}
	return nil
}

// kthDossierBound returns the k-th largest lower bound of a dossier's best
// page over all segments (0 when fewer than k dossiers have one): no page
// whose upper bound is below it can be a shown dossier's best.
func kthDossierBound(s *engineSnap, evals []*segEval, k int) float32 {
	// best page bound per dossier ordinal (interned codes are dense), and
	// the ordinals that have one
	best := newDossierMax(s.caches.codes)
	for _, e := range evals {
		var vals []float32
		var docs []uint32
		switch {
		case e.bounded:
			vals, docs = e.lb, e.sdocs
		case len(e.docs) > 0:
			vals, docs = e.scores, e.docs
		default:
			continue
		}
		dt, err := e.sv.cache.dossiers(e.sv.seg, s.caches.codes)
		if err != nil {
			return 0
		}
		for i, d := range docs {
			best.add(dt[d], vals[i])
		}
		for _, d := range e.rest {
			best.add(dt[d], e.dl[e.docOf[d]])
		}
		for i, d := range e.seedDocs {
			best.add(dt[d], e.seedLB[i])
		}
	}
	if k <= 0 || len(best.seen) < k {
		return 0
	}
	top := topN(best.seen, k, func(a, b uint32) bool { return best.max[a] > best.max[b] })
	return best.max[top[k-1]]
}

// dossierMax is the largest value per dossier ordinal; a dossier counts,
// in seen, once it has a positive value.
type dossierMax struct {
	max  []float32
	seen []uint32
}

// newDossierMax returns a dossierMax with room for the ordinals codes has
// interned (its array then grows without copies).
func newDossierMax(codes *ordTable) dossierMax {
	return dossierMax{max: make([]float32, 0, len(codes.list()))}
}

func (m *dossierMax) add(o uint32, v float32) {
	if o == noOrd {
		return
	}
	if int(o) >= len(m.max) {
		m.max = slices.Grow(m.max, int(o)+1-len(m.max))[:int(o)+1]
	}
	if v > m.max[o] {
		if m.max[o] == 0 {
			m.seen = append(m.seen, o)
		}
		m.max[o] = v
	}
}

// seed gives closer lower bounds to the rest pages of the k dossiers with
// the largest upper bounds (the likeliest to be shown): per page, the weak
// terms it holds count with their smallest value, which also counts them
// among the alternatives that match. A dossier's lower bound otherwise
// takes no weak term, and falls well short of its score.
//
// It returns the upper bound of each dossier's best page, by ordinal, and
// each segment's page -> dossier table (nil where nothing matches).
func (s *engineSnap) seed(ctx context.Context, evals []*segEval, k int) ([]float32, [][]uint32, error) {
	ub := newDossierMax(s.caches.codes)
	tables := make([][]uint32, len(evals))
	any := false
	for i, e := range evals {
		if len(e.docs) == 0 {
			continue
		}
		dt, err := e.sv.cache.dossiers(e.sv.seg, s.caches.codes)
		if err != nil {
			return nil, nil, err
		}
		tables[i] = dt
		add := func(d uint32, v float32) { ub.add(dt[d], v) }
		if !e.bounded {
			for j, d := range e.docs {
				add(d, e.scores[j])
			}
			continue
		}
		any = any || len(e.rest) > 0
		for j, d := range e.sdocs {
			add(d, e.ub[j])
		}
		for _, d := range e.rest {
			add(d, e.du[e.docOf[d]])
		}
	}
	if !any || k <= 0 || len(ub.seen) <= k {
		return ub.max, tables, nil
	}
	top := topN(ub.seen, k, func(a, b uint32) bool { return ub.max[a] > ub.max[b] })
	likely := make([]bool, len(ub.max))
	for _, o := range top {
		likely[o] = true
	}
	idx := map[*segEval]int{}
	for i, e := range evals {
		idx[e] = i
	}
	err := s.parallel(ctx, evals, func(e *segEval) error {
		if !e.bounded || len(e.rest) == 0 {
			return nil
		}
		dt := tables[idx[e]]
		var docs []uint32
		for _, d := range e.rest {
			if o := dt[d]; o != noOrd && int(o) < len(likely) && likely[o] {
				docs = append(docs, d)
			}
		}
		if len(docs) == 0 {
			return nil
		}
		c := &scoreCtx{e: e, docs: docs, dm: roaring.BitmapOf(docs...), mode: seed, virtual: true}
		out := make([]float32, len(docs))
		for _, n := range e.scoringRoots() {
			if err := c.eval(n, c.dm, out); err != nil {
				return err
			}
		}
		e.seedDocs, e.seedLB = docs, out
		return nil
	})
	return ub.max, tables, err
}

type scoreMode uint8

const (
	exact scoreMode = iota
	lower           // weak terms count as absent
	upper           // weak terms count as present with their largest contribution
	seed            // weak terms count where present, with their smallest contribution
)

// scoreCtx scores the pages docs (ascending; dm is the same set).
type scoreCtx struct {
	e    *segEval
	docs []uint32
	dm   *roaring.Bitmap
	mode scoreMode
	// virtual: each page stands for the pages of its document that match
	// no strong page term nor phrase (those count as absent)
	virtual bool
	masks   map[*roaring.Bitmap][]bool
	// scratch arrays of eval, reused (nested calls take several)
	spareF [][]float32
	spareU [][]uint16
	leaves map[*node]*sparse // term scores on docs
	parent *scoreCtx         // has term scores for a superset of docs
	idx    []int32           // docs[i] is parent.docs[idx[i]]
}

// sparse is a term's scores on the pages of a scoreCtx where it occurs:
// at[k] is an index in docs. A term on a large share of the pages has its
// scores by index in docs in dense instead (0 where absent), at and val
// nil.
type sparse struct {
	at    []int32
	val   []float32
	dense []float32
}

// leaf returns term n's scores on docs, computed once.
func (c *scoreCtx) leaf(n *node) (*sparse, error) {
	if v, ok := c.leaves[n]; ok {
		return v, nil
	}
	v := &sparse{}
	if pv, ok := c.parent.cached(n); ok && pv.dense != nil {
		v.dense = make([]float32, len(c.idx))
		for i, j := range c.idx {
			v.dense[i] = pv.dense[j]
		}
	} else if ok {
		// both index lists ascend: merge
		k := 0
		for i, j := range c.idx {
			for k < len(pv.at) && pv.at[k] < j {
				k++
			}
			if k < len(pv.at) && pv.at[k] == j {
				v.at = append(v.at, int32(i))
				v.val = append(v.val, pv.val[k])
			}
		}
	} else if err := c.termScores(n, v); err != nil {
		return nil, err
	}
	if c.leaves == nil {
		c.leaves = map[*node]*sparse{}
	}
	c.leaves[n] = v
	return v, nil
}

func (c *scoreCtx) cached(n *node) (*sparse, bool) {
	if c == nil {
		return nil, false
	}
	v, ok := c.leaves[n]
	return v, ok
}

// mask returns, by index in docs, whether the page is in within (nil when
// within is all of docs).
func (c *scoreCtx) mask(within *roaring.Bitmap) []bool {
	if within == c.dm {
		return nil
	}
	if m, ok := c.masks[within]; ok {
		return m
	}
	m := make([]bool, len(c.docs))
	for i, d := range c.docs {
		m[i] = within.Contains(d)
	}
	if c.masks == nil {
		c.masks = map[*roaring.Bitmap][]bool{}
	}
	c.masks[within] = m
	return m
}

// addLeaf adds term n's scores on the pages of within to out; with cnt, it
// also counts the pages it matches.
func (c *scoreCtx) addLeaf(n *node, within *roaring.Bitmap, out []float32, cnt []uint16) error {
	if n.boost == 0 {
		return nil
	}
	m := c.mask(within)
	if _, weak := c.e.weak[n]; c.virtual && !weak && !c.e.rep[n] {
		return nil
	}
	if imp, weak := c.e.weak[n]; weak && c.mode != exact {
		if c.mode == seed {
			bm, lo := c.e.weakBM[n], c.e.weakMin[n]
			for i, d := range c.docs {
				if (m == nil || m[i]) && bm.Contains(d) {
					out[i] += lo
					if cnt != nil {
						cnt[i]++
					}
				}
			}
		}
		if c.mode == upper {
			for i := range out {
				if m == nil || m[i] {
					out[i] += imp
					if cnt != nil {
						cnt[i]++
					}
				}
			}
		}
		return nil
	}
	v, err := c.leaf(n)
	if err != nil {
		return err
	}
	if v.dense != nil {
		for i, x := range v.dense {
			if x > 0 && (m == nil || m[i]) {
				out[i] += x
				if cnt != nil {
					cnt[i]++
				}
			}
		}
		return nil
	}
	for k, i := range v.at {
		if m == nil || m[i] {
			out[i] += v.val[k]
			if cnt != nil {
				cnt[i]++
			}
		}
	}
	return nil
}

// floats returns a zeroed []float32 of length n, a spare one if any.
func (c *scoreCtx) floats(n int) []float32 { return takeSpare(&c.spareF, n) }

// counts returns a zeroed []uint16 of length n, a spare one if any.
func (c *scoreCtx) counts(n int) []uint16 { return takeSpare(&c.spareU, n) }

// takeSpare returns the last of spare when it has length n (zeroed and
// taken off spare), else a new slice.
func takeSpare[T float32 | uint16](spare *[][]T, n int) []T {
	if k := len(*spare); k > 0 && len((*spare)[k-1]) == n {
		s := (*spare)[k-1]
		*spare = (*spare)[:k-1]
		clear(s)
		return s
	}
	return make([]T, n)
}

// free keeps f and u (either may be nil) for floats and counts.
func (c *scoreCtx) free(f []float32, u []uint16) {
	if f != nil {
		c.spareF = append(c.spareF, f)
	}
	if u != nil {
		c.spareU = append(c.spareU, u)
	}
}

// eval adds n's score on the pages of within (a subset of docs) to out.
// A scored node's score is positive exactly on the pages it matches.
func (c *scoreCtx) eval(n *node, within *roaring.Bitmap, out []float32) error {
	return c.evalCount(n, within, out, nil)
}

// evalCount is eval that, with cnt, also counts the pages where n's score
// is positive (not for phrases). The floating-point operations on each
// page are those of scoring it alone, in the same order: bounds computed
// this way bound exactly.
func (c *scoreCtx) evalCount(n *node, within *roaring.Bitmap, out []float32, cnt []uint16) error {
	r, ok, err := c.constOf(n, within)
	if err != nil {
		return err
	}
	if ok {
		addConst(r, out, cnt)
		return nil
	}
	return c.evalVarying(n, within, out, cnt)
}

// addConst adds r to every page of out, counting them in cnt (if any).
func addConst(r float32, out []float32, cnt []uint16) {
	constApplied.Add(1)
	for i := range out {
		out[i] += r
		if cnt != nil {
			cnt[i]++
		}
	}
}

// evalVarying is evalCount for a node whose score is not the same on
// every page of within (constOf).
func (c *scoreCtx) evalVarying(n *node, within *roaring.Bitmap, out []float32, cnt []uint16) error {
	switch n.kind {
	case nTerm:
		return c.addLeaf(n, within, out, cnt)
	case nAny:
		// sum and cnt2 are made at the first kid whose score varies by
		// page; the constant kids before it are summed in csum
		var sum []float32
		var cnt2 []uint16
		var csum float32
		var ccnt uint16
		var child []float32
		for _, k := range n.kids {
			r, ok, err := c.constOf(k, within)
			if err != nil {
				return err
			}
			if ok && sum == nil {
				constApplied.Add(1)
				csum += r
				ccnt++
				continue
			}
			if !ok {
				adds, err := c.adds(k, within)
				if err != nil {
					return err
				}
				if !adds {
					continue
				}
			}
			if sum == nil {
				sum, cnt2 = c.floats(len(out)), c.counts(len(out))
				defer c.free(sum, cnt2)
				if ccnt > 0 {
					for i := range sum {
						sum[i], cnt2[i] = csum, ccnt
					}
				}
			}
			if ok {
				addConst(r, sum, cnt2)
				continue
			}
			if k.kind != nPhrase {
				if err := c.evalVarying(k, within, sum, cnt2); err != nil {
					return err
				}
				continue
			}
			if child == nil {
				child = c.floats(len(out))
				defer c.free(child, nil)
			} else {
				clear(child)
			}
			if err := c.eval(k, within, child); err != nil {
				return err
			}
			for i, v := range child {
				if v > 0 {
					sum[i] += v
					cnt2[i]++
				}
			}
		}
		k := float32(len(n.kids))
		for i, v := range sum {
			if v > 0 {
				out[i] += v * float32(cnt2[i]) / k
				if cnt != nil {
					cnt[i]++
				}
			}
		}
	case nPhrase:
		pm := roaring.And(c.e.matched[n], within)
		if pm.IsEmpty() {
			return nil
		}
		for _, alts := range n.pos {
			pos := alts[0]
			if len(alts) > 1 {
				pos = &node{kind: nAny, kids: alts}
			}
			if err := c.eval(pos, pm, out); err != nil {
				return err
			}
		}
	}
	return nil
}

// constOf reports whether n adds the same score r > 0 to every page of
// within: a weak term's upper bound, or an any-node of such terms (and of
// terms that add nothing). r is computed as it would be page by page.
func (c *scoreCtx) constOf(n *node, within *roaring.Bitmap) (r float32, ok bool, err error) {
	if !useConst || c.mode != upper || c.mask(within) != nil || n.boost == 0 && n.kind == nTerm {
		return 0, false, nil
	}
	switch n.kind {
	case nTerm:
		imp, weak := c.e.weak[n]
		return imp, weak && imp > 0, nil
	case nAny:
		var csum float32
		var ccnt uint16
		for _, k := range n.kids {
			kr, kok, err := c.constOf(k, within)
			if err != nil {
				return 0, false, err
			}
			if kok {
				csum += kr
				ccnt++
				continue
			}
			if adds, err := c.adds(k, within); err != nil || adds {
				return 0, false, err
			}
		}
		if ccnt == 0 {
			return 0, false, nil
		}
		return csum * float32(ccnt) / float32(len(n.kids)), true, nil
	}
	return 0, false, nil
}

// adds reports whether n may add a score to some page of within (false:
// it surely adds none).
func (c *scoreCtx) adds(n *node, within *roaring.Bitmap) (bool, error) {
	switch n.kind {
	case nTerm:
		if n.boost == 0 {
			return false, nil
		}
		_, weak := c.e.weak[n]
		if c.virtual && !weak && !c.e.rep[n] {
			return false, nil
		}
		if weak && c.mode != exact {
			return c.mode != lower, nil
		}
		v, err := c.leaf(n)
		if err != nil {
			return false, err
		}
		return len(v.at) > 0 || v.dense != nil, nil
	case nAny:
		for _, k := range n.kids {
			if a, err := c.adds(k, within); err != nil || a {
				return a, err
			}
		}
		return false, nil
	}
	return true, nil
}

// useConst can be turned off by tests, to compare.
var useConst = true

// boundsHook, when set (by tests), sees every segEval whose bounds were
// computed.
var boundsHook func(e *segEval)

// constApplied counts the nodes whose constant score was added to pages
// without a per-page pass over their terms (constOf).
var constApplied atomic.Int64

// termScores computes boost·idf²·√tf·norm of term n on docs.
func (c *scoreCtx) termScores(n *node, out *sparse) error {
	if r, ok := repFields[n.field]; ok && useReps {
		done, err := c.repScores(n, r.field, r.dossier, out)
		if done || err != nil {
			return err
		}
	}
	w := n.boost * n.idf * n.idf
	if rec, ok := c.e.phraseTF[n]; ok {
		// a phrase's alternative: scored on the phrase's matches only
		docs, j := c.docs, 0
		for k, d := range rec.docs {
			for j < len(docs) && docs[j] < d {
				j++
			}
			if j == len(docs) {
				break
			}
			if docs[j] == d {
				out.at = append(out.at, int32(j))
				out.val = append(out.val, float32(w*sqrtFreq(uint64(rec.tf[k]))*float64(rec.norm[k])))
			}
		}
		return nil
	}
	if t, norms := c.e.sv.cache.posTableOf(n.field, n.term); t != nil {
		for i, d := range c.docs {
			if tf := t.off[d+1] - t.off[d]; tf > 0 {
				out.at = append(out.at, int32(i))
				out.val = append(out.val, float32(w*sqrtFreq(uint64(tf))*float64(norms[d])))
			}
		}
		return nil
	}
	pl, err := c.e.sv.postings(n.field, n.term)
	if err != nil {
		return err
	}
	it := pl.Iterator(true, true, false, nil)
	restricted := false
	if o, ok := it.(segment.OptimizablePostingsIterator); ok {
		if bm := o.ActualBitmap(); bm != nil {
			r := roaring.And(bm, c.dm)
			if r.IsEmpty() {
				return nil
			}
			o.ReplaceActual(r)
			restricted = true
		}
	}
	docs := c.docs
	j := 0
	for {
		p, err := it.Next()
		if err != nil {
			return err
		}
		if p == nil {
			return nil
		}
		d := uint32(p.Number())
		for j < len(docs) && docs[j] < d {
			j++
		}
		if j == len(docs) {
			return nil
		}
		if docs[j] != d || (!restricted && !c.dm.Contains(d)) {
			continue
		}
		out.at = append(out.at, int32(j))
		out.val = append(out.val, float32(w*sqrtFreq(p.Frequency())*p.Norm()))
	}
}

// useReps can be turned off by tests, to compare.
var useReps = true

// denseLeaves can be turned off by tests, to compare.
var denseLeaves = true

// denseLeafCount counts the term scores kept as arrays (denseLeaves).
var denseLeafCount atomic.Int64

// repScores computes the scores of a term of a dossier's or document's
// field from its representative pages (see repFields): every page of a
// dossier has the same name field, so the same term frequency and norm.
// It reports false when the segment lacks some representative page (then
// the page postings are read).
func (c *scoreCtx) repScores(n *node, repField string, dossier bool, out *sparse) (bool, error) {
	e := c.e
	rv, ok := e.repVals[n]
	if !ok {
		var err error
		if rv, err = e.readRep(n, repField, dossier); err != nil || rv == nil {
			return false, err
		}
		if e.repVals == nil {
			e.repVals = map[*node]*repVal{}
		}
		e.repVals[n] = rv
	}
	if rv.imp == nil {
		return true, nil
	}
	// (a dossier's or document's pages are mostly consecutive: its value
	// is looked up once for them)
	last, lastV := uint32(noOrd), float32(0)
	dense := rv.imp.dense != nil && denseLeaves // (on a large share of the dossiers or documents)
	if dense {
		denseLeafCount.Add(1)
		out.dense = make([]float32, len(c.docs))
	}
	for i, doc := range c.docs {
		if l := rv.local[doc]; l != last {
			last, lastV = l, rv.score(rv.imp.at(l))
		}
		if dense {
			out.dense[i] = lastV
		} else if lastV > 0 {
			out.at = append(out.at, int32(i))
			out.val = append(out.val, lastV)
		}
	}
	return true, nil
}

// readRep reads a rep term's values in the segment; nil when the segment
// lacks some representative page.
func (e *segEval) readRep(n *node, repField string, dossier bool) (*repVal, error) {
	sv := e.sv
	reps, err := sv.cache.representatives(sv.seg, e.codes)
	if err != nil {
		return nil, err
	}
	if !reps.covers(dossier) {
		return nil, nil
	}
	local, count := reps.level(dossier)
	imp, err := sv.cache.repImpacts(sv, repField, n.term, local, count)
	if err != nil {
		return nil, err
	}
	return &repVal{imp: imp, local: local, w: n.boost * n.idf * n.idf}, nil
}

var sqrtTable = func() (t [64]float64) {
	for i := range t {
		t[i] = math.Sqrt(float64(i))
	}
	return t
}()

func sqrtFreq(f uint64) float64 {
	if f < uint64(len(sqrtTable)) {
		return sqrtTable[f]
	}
	return math.Sqrt(float64(f))
}
