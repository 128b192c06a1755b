package index

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	bindex "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
	"github.com/blevesearch/vellum"
	vlev "github.com/blevesearch/vellum/levenshtein"
)

// The search engine. Bleve's searchers visit matching pages one at a time
// through a tree of iterators, and its collector then decodes doc values
// for every matching page (dossier code for the counts, sort fields), so a
// query matching a quarter of a million pages costs seconds. This engine
// reads scorch's segments directly instead:
//
//   - matching is done on roaring bitmaps: the postings of each term,
//     or-ed and and-ed as the query says, restricted to the reader's
//     clearance; phrases are checked position by position only on pages
//     that hold all their words (and all their name-syllable pairs, see
//     pairWords);
//   - scores are computed term by term over the matching pages only (TF-IDF
//     as bleve's: boost · idf² · √tf · norm, with bleve's coordination
//     factor where a query offers alternatives);
//   - the dossier of every page, its document date and its facet values
//     come from per-segment tables built once per segment (segcache.go),
//     so grouping pages into dossiers, exact totals, sorting and facets
//     are array reads;
//   - segments are processed in parallel, one goroutine per core.
//
// Stored fields are read through bleve, for the shown pages only.

// ErrEngine marks an index the engine cannot read (not scorch).
var errEngine = errors.New("index is not a scorch index")

// engineSnap is one consistent view of the index: its segments and their
// caches.
type engineSnap struct {
	caches *caches
	reader bindex.IndexReader
	segs   []*segView
	docs   uint64 // live pages, for idf
}

type segView struct {
	seg     segment.Segment
	deleted *roaring.Bitmap
	base    uint64 // global number of local doc 0
	cache   *segCache

	mu    sync.Mutex
	dicts map[string]segment.TermDictionary
	// the postings lists read so far in this search: a term is looked up
	// for its idf, its pages, its positions, its scores (a fuzzy retry's
	// phrase has hundreds of terms)
	lists map[string]segment.PostingsList
}

func (sv *segView) dict(field string) (segment.TermDictionary, error) {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if d, ok := sv.dicts[field]; ok {
		return d, nil
	}
	d, err := sv.seg.Dictionary(field)
	if err != nil {
		return nil, err
	}
	if sv.dicts == nil {
		sv.dicts = map[string]segment.TermDictionary{}
	}
	sv.dicts[field] = d
	return d, nil
}

// postings returns the postings list of field:term, deleted pages left out.
func (sv *segView) postings(field, term string) (segment.PostingsList, error) {
	key := field + "\x00" + term
	sv.mu.Lock()
	pl, ok := sv.lists[key]
	sv.mu.Unlock()
	if ok {
		return pl, nil
	}
	d, err := sv.dict(field)
	if err != nil {
		return nil, err
	}
	if pl, err = d.PostingsList([]byte(term), sv.deleted, nil); err != nil {
		return nil, err
	}
	sv.mu.Lock()
	if sv.lists == nil {
		sv.lists = map[string]segment.PostingsList{}
	}
	sv.lists[key] = pl
	sv.mu.Unlock()
	return pl, nil
}

// scorchSnapshot takes the current scorch snapshot of bi. Close it when
// done.
func scorchSnapshot(bi bleve.Index) (*scorch.IndexSnapshot, error) {
	adv, err := bi.Advanced()
	if err != nil {
		return nil, mapErr(err)
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, mapErr(err)
	}
	is, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		_ = r.Close()
		return nil, errEngine
	}
	return is, nil
}

// engineSnapshot acquires the index and takes its current engineSnap
// (Search, Warm); done closes the snapshot and releases the index. op
// names the caller in errors of the snapshot.
func (ix *Index) engineSnapshot(op string) (bi bleve.Index, snap *engineSnap, done func(), err error) {
	bi, release, err := ix.acquire()
	if err != nil {
		return nil, nil, nil, err
	}
	snap, err = cachesFor(ix, bi).openSnapshot(bi)
	if err != nil {
		release()
		return nil, nil, nil, fmt.Errorf("%s: %w", op, err)
	}
	return bi, snap, func() { snap.Close(); release() }, nil
}

// openSnapshot takes the current engineSnap of bi. Close it when done.
func (c *caches) openSnapshot(bi bleve.Index) (*engineSnap, error) {
	is, err := scorchSnapshot(bi)
	if err != nil {
		return nil, err
	}
	n, err := is.DocCount()
	if err != nil {
		_ = is.Close()
		return nil, mapErr(err)
	}
	s := &engineSnap{caches: c, reader: is, docs: n}
	var segs []segment.Segment
	base := uint64(0)
	for _, ss := range is.Segments() {
		s.segs = append(s.segs, &segView{seg: ss.Segment(), deleted: ss.Deleted(), base: base})
		segs = append(segs, ss.Segment())
		base += ss.Count()
	}
	for i, sc := range c.forSegments(segs) {
		s.segs[i].cache = sc
	}
	return s, nil
}

func (s *engineSnap) Close() error { return s.reader.Close() }

// resolve expands the prefix and fuzzy nodes of the trees into the
// index's terms and sets every term's idf, over the whole engineSnap.
func (s *engineSnap) resolve(ctx context.Context, roots ...*node) error {
	if err := s.expandAll(ctx, roots...); err != nil {
		return err
	}
	var terms []*node
	for _, n := range roots {
		flatten(n, &terms)
	}
	return s.setIDF(ctx, terms)
}

// flatten makes the alternatives of each phrase position its terms (an
// expansion's), sets the phrase's pairs, and appends the term nodes of
// the expanded tree n to terms.
func flatten(n *node, terms *[]*node) {
	if n == nil {
		return
	}
	switch n.kind {
	case nTerm:
		*terms = append(*terms, n)
	case nAny:
		for _, k := range n.kids {
			flatten(k, terms)
		}
	case nPhrase:
		for i, alts := range n.pos {
			var flat []*node
			for _, a := range alts {
				flatten(a, terms)
				if a.kind == nAny { // an expansion: its terms are the alternatives
					flat = append(flat, a.kids...)
				} else {
					flat = append(flat, a)
				}
			}
			n.pos[i] = flat
		}
		n.pairs = phrasePairs(n)
		n.altPairs = phraseAltPairs(n)
	}
}

// setIDF sets the idf of the term nodes, their pages counted over the
// segments in parallel.
func (s *engineSnap) setIDF(ctx context.Context, terms []*node) error {
	keys := map[[2]string]int{}
	var uniq [][2]string
	for _, n := range terms {
		k := [2]string{n.field, n.term}
		if _, ok := keys[k]; !ok {
			keys[k] = len(uniq)
			uniq = append(uniq, k)
		}
	}
	counts := make([][]uint64, len(s.segs))
	err := s.eachSegment(ctx, func(i int, sv *segView) error {
		counts[i] = make([]uint64, len(uniq))
		for j, k := range uniq {
			pl, err := sv.postings(k[0], k[1])
			if err != nil {
				return err
			}
			counts[i][j] = pl.Count()
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, n := range terms {
		j := keys[[2]string{n.field, n.term}]
		df := uint64(0)
		for i := range s.segs {
			df += counts[i][j]
		}
		n.idf = 1 + math.Log(float64(s.docs)/float64(df+1))
	}
	return nil
}

// missing reports whether a folded word occurs in none of the text fields.
func (s *engineSnap) missing(term string) bool {
	for _, f := range []string{fText, fName, fTitle, fHometown, fUnitText} {
		for _, sv := range s.segs {
			pl, err := sv.postings(f, term)
			if err != nil || pl.Count() > 0 {
				return false
			}
		}
	}
	return true
}

// maxPairGroup bounds the pair terms checked for two adjacent positions.
const maxPairGroup = 256

// pairGroup is what a page holding two adjacent positions of a phrase
// must hold: one of the pairs (fTextPairs terms), or one of the single
// words (fText nodes) that are not pair words and so are in no pair.
type pairGroup struct {
	at      int // the second of the two positions
	pairs   []string
	singles [][2]int // position, alternative
}

// phrasePairs returns the pair pre-filter of a resolved phrase on the page
// text, one group per two adjacent positions where at least one pair of
// alternatives is of pair words (see pairWords). A page has "x y" at some
// position either as the pair term (both pair words) or holds x or y that
// is not a pair word: so a fuzzy word whose expansion mixes pair words
// ("huong", "thuong") with OCR errors and other words ("huonq", "hucng")
// still filters by the pairs of the former and the postings of the latter.
func phrasePairs(n *node) []pairGroup {
	if n.field != fText {
		return nil
	}
	var groups []pairGroup
	for i := 1; i < len(n.pos); i++ {
		a, b := n.pos[i-1], n.pos[i]
		g := pairGroup{at: i}
		for p := i - 1; p <= i; p++ {
			for j, x := range n.pos[p] {
				if !pairWords[x.term] {
					g.singles = append(g.singles, [2]int{p, j})
				}
			}
		}
		for _, x := range a {
			for _, y := range b {
				if pairWords[x.term] && pairWords[y.term] {
					g.pairs = append(g.pairs, x.term+" "+y.term)
				}
			}
		}
		if len(g.pairs) > 0 && len(g.pairs) <= maxPairGroup {
			groups = append(groups, g)
		}
	}
	return groups
}

// altPairs are what a page must hold for one alternative x of a phrase
// position to stand there: for each neighbouring position whose
// alternatives are all pair words (x being one too), one of the pair
// terms of x with them ("y x" on the left, "x z" on the right).
type altPairs [][]string

// phraseAltPairs returns the pairs of each alternative of the page-text
// phrase n's positions with several alternatives (nil when there are
// none). The pre-filter (phrasePairs) lets a page through when it holds
// one alternative of a fuzzy word next to its neighbour, or any of the
// alternatives that are not pair words anywhere: a word of the expansion
// that is common in the text ("nhung", "thuong" in nhuong~1) would then
// have its positions read on every candidate page, though it stands next
// to the neighbour on a few. Checking the positions (phraseStarts) reads
// such an alternative on the pages that hold its pairs only: it cannot be
// at its place in the phrase anywhere else. (A position with one
// alternative gains nothing: its pairs are a group of the pre-filter.)
func phraseAltPairs(n *node) [][]altPairs {
	if n.field != fText || !useAltPairs {
		return nil
	}
	allPairWords := func(i int) bool {
		if i < 0 || i >= len(n.pos) || len(n.pos[i]) > maxPairGroup {
			return false
		}
		for _, a := range n.pos[i] {
			if !pairWords[a.term] {
				return false
			}
		}
		return true
	}
	var out [][]altPairs
	for i, alts := range n.pos {
		if len(alts) < 2 {
			continue
		}
		left, right := allPairWords(i-1), allPairWords(i+1)
		if !left && !right {
			continue
		}
		for j, x := range alts {
			if !pairWords[x.term] {
				continue
			}
			var ap altPairs
			if left {
				var side []string
				for _, y := range n.pos[i-1] {
					side = append(side, y.term+" "+x.term)
				}
				ap = append(ap, side)
			}
			if right {
				var side []string
				for _, z := range n.pos[i+1] {
					side = append(side, x.term+" "+z.term)
				}
				ap = append(ap, side)
			}
			if out == nil {
				out = make([][]altPairs, len(n.pos))
			}
			if out[i] == nil {
				out[i] = make([]altPairs, len(alts))
			}
			out[i][j] = ap
		}
	}
	return out
}

// useAltPairs enables phraseAltPairs (tests compare searches without).
var useAltPairs = true

// pages returns the pages of the segment that hold ap: one pair of each
// side.
func (ap altPairs) pages(sv *segView) (*roaring.Bitmap, error) {
	var out *roaring.Bitmap
	for _, side := range ap {
		ors := make([]*roaring.Bitmap, 0, len(side))
		for _, pair := range side {
			pl, err := sv.postings(fTextPairs, pair)
			if err != nil {
				return nil, err
			}
			ors = append(ors, postingsBitmap(pl))
		}
		bm := roaring.FastOr(ors...)
		if out == nil {
			out = bm
		} else {
			out.And(bm)
		}
	}
	return out, nil
}

// maxExpansion bounds the terms a prefix or fuzzy word expands to, as
// bleve's DisjunctionMaxClauseCount does by default.
const maxExpansion = 1024

// levBuilders make the automata of fuzzy words, 1 and 2 letters off, as
// bleve's (a transposition counts as one edit).
var levBuilders = func() [3]*vlev.LevenshteinAutomatonBuilder {
	var b [3]*vlev.LevenshteinAutomatonBuilder
	for d := 1; d <= 2; d++ {
		lb, err := vlev.NewLevenshteinAutomatonBuilder(uint8(d), true)
		if err != nil {
			panic(err)
		}
		b[d] = lb
	}
	return b
}()

// expandAll replaces every prefix and fuzzy node of the trees by an nAny
// of the index's terms it stands for, fuzzy ones boosted by 1/(edit
// distance+1) as bleve does, in term order. A word's automaton is built
// once, and the segments' dictionaries are read in parallel.
func (s *engineSnap) expandAll(ctx context.Context, roots ...*node) error {
	var exps []*node
	var walk func(n *node)
	walk = func(n *node) {
		if n == nil {
			return
		}
		if n.kind == nExpand {
			exps = append(exps, n)
			return
		}
		for _, k := range n.kids {
			walk(k)
		}
		for _, alts := range n.pos {
			for _, a := range alts {
				walk(a)
			}
		}
	}
	for _, r := range roots {
		walk(r)
	}
	if len(exps) == 0 {
		return nil
	}
	type automaton struct {
		a          vellum.Automaton
		start, end []byte
	}
	auts := make([]automaton, len(exps))
	type word struct {
		term  string
		fuzzy int
	}
	built := map[word]vellum.Automaton{}
	for i, n := range exps {
		if n.prefix {
			auts[i] = automaton{a: &vellum.AlwaysMatch{}, start: []byte(n.term), end: prefixEnd([]byte(n.term))}
			continue
		}
		if n.fuzzy < 1 || n.fuzzy > 2 {
			return fmt.Errorf("%w: fuzziness %d exceeds the max limit (2)", ErrQuery, n.fuzzy)
		}
		key := word{n.term, n.fuzzy}
		a, ok := built[key]
		if !ok {
			var err error
			if a, err = levBuilders[n.fuzzy].BuildDfa(n.term, uint8(n.fuzzy)); err != nil {
				return mapErr(err)
			}
			built[key] = a
		}
		auts[i] = automaton{a: a}
	}
	// found[segment][expansion]: the terms and their edit distances
	type entry struct {
		term string
		dist int
	}
	found := make([][][]entry, len(s.segs))
	err := s.eachSegment(ctx, func(i int, sv *segView) error {
		found[i] = make([][]entry, len(exps))
		for j, n := range exps {
			d, err := sv.dict(n.field)
			if err != nil {
				return err
			}
			it := termIterator(d, auts[j].a, auts[j].start, auts[j].end)
			for {
				e, err := it.Next()
				if err != nil {
					return err
				}
				if e == nil {
					break
				}
				if len(found[i][j]) >= maxExpansion {
					return fmt.Errorf("%w: %q matches more than %d words", ErrQuery, n.term, maxExpansion)
				}
				found[i][j] = append(found[i][j], entry{e.Term, int(e.EditDistance)})
			}
		}
		return nil
	})
	if err != nil {
		return mapErr(err)
	}
	for j, n := range exps {
		dist := map[string]int{}
		for i := range s.segs {
			for _, e := range found[i][j] {
				dist[e.term] = e.dist
			}
		}
		if len(dist) > maxExpansion {
			return fmt.Errorf("%w: %q matches more than %d words", ErrQuery, n.term, maxExpansion)
		}
		terms := slices.Sorted(maps.Keys(dist))
		kids := make([]*node, 0, len(terms))
		for _, t := range terms {
			b := n.boost
			if !n.prefix {
				b /= float64(dist[t]) + 1
			}
			kids = append(kids, termNode(n.field, t, b))
		}
		*n = node{kind: nAny, kids: kids}
	}
	return nil
}

// prefixEnd is the first key after every key starting with prefix (nil:
// none).
func prefixEnd(prefix []byte) []byte {
	end := slices.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}

// hasScore reports whether n contributes to scores (filters do not).
func hasScore(n *node) bool {
	switch n.kind {
	case nTerm:
		return n.boost > 0
	case nRange:
		return false
	case nPhrase:
		return true
	}
	for _, k := range n.kids {
		if hasScore(k) {
			return true
		}
	}
	return false
}

// match returns the pages of the segment matching n, deleted pages left
// out. within, when not nil, bounds the pages the caller cares about
// (phrases are only checked there). The result must not be modified.
func (e *segEval) matchNode(n *node, within *roaring.Bitmap) (*roaring.Bitmap, error) {
	switch n.kind {
	case nTerm:
		pl, err := e.sv.postings(n.field, n.term)
		if err != nil {
			return nil, err
		}
		return postingsBitmap(pl), nil
	case nAny:
		bms := make([]*roaring.Bitmap, 0, len(n.kids))
		for _, k := range n.kids {
			bm, err := e.matchNode(k, within)
			if err != nil {
				return nil, err
			}
			if !bm.IsEmpty() {
				bms = append(bms, bm)
			}
		}
		switch len(bms) {
		case 0:
			return roaring.New(), nil
		case 1:
			return bms[0], nil
		}
		return roaring.FastOr(bms...), nil
	case nRange:
		acc := roaring.New()
		lo, hi := n.lo, n.hi
		if lo == nil {
			lo = []byte{shiftStart}
		}
		if hi == nil {
			hi = []byte{shiftStart + 1}
		}
		// (the bitmaps visitTerms passes are reused: or them at once)
		err := visitTerms(e.sv.seg, n.field, lo, hi, func(_ []byte, bm *roaring.Bitmap) {
			acc.Or(bm)
		})
		if err != nil {
			return nil, err
		}
		if e.sv.deleted != nil {
			acc.AndNot(e.sv.deleted)
		}
		return acc, nil
	case nPhrase:
		return e.phrase(n, within)
	}
	return nil, fmt.Errorf("index engine: unexpected node kind %d", n.kind)
}

// shiftStart is the first byte of bleve's exact (shift 0) numeric terms.
const shiftStart = 0x20

// phrase returns the pages where n's positions are consecutive. Candidates
// are the pages (within bounds) holding a word of every position and every
// pair; only they have their term locations read.
func (e *segEval) phrase(n *node, within *roaring.Bitmap) (*roaring.Bitmap, error) {
	if bm, ok := e.matched[n]; ok {
		return bm, nil
	}
	out, err := e.phraseOnReps(n, within)
	if err == nil && out == nil {
		out, err = e.phrasePages(n, within)
	}
	if err != nil {
		return nil, err
	}
	e.matched[n] = out
	return out, nil
}

// positionParts returns what a page holding phrase n must hold: within
// (when not nil) and, for each position, the pages of one of its
// alternatives: a part when it has one, the alternatives' pages in unions
// when it has several (or their union as a part, useLateUnions off); and
// the pages of each alternative (posBM). parts and unions are nil when some
// position has no page. A position's alternatives are left out when a
// pair group implies them (impliedByPairs).
func (e *segEval) positionParts(n *node, within *roaring.Bitmap) (parts []*roaring.Bitmap, unions [][]*roaring.Bitmap, posBM [][]*roaring.Bitmap, err error) {
	parts = make([]*roaring.Bitmap, 0, len(n.pos)+len(n.pairs)+1)
	if within != nil {
		parts = append(parts, within)
	}
	implied := impliedByPairs(n)
	posBM = make([][]*roaring.Bitmap, len(n.pos))
	for i, alts := range n.pos {
		var ors []*roaring.Bitmap
		for _, a := range alts {
			pl, err := e.sv.postings(a.field, a.term)
			if err != nil {
				return nil, nil, nil, err
			}
			bm := postingsBitmap(pl)
			posBM[i] = append(posBM[i], bm)
			if !bm.IsEmpty() {
				ors = append(ors, bm)
			}
		}
		switch {
		case len(ors) == 0:
			return nil, nil, nil, nil
		case len(ors) == 1:
			parts = append(parts, ors[0])
		case len(implied) == 0 || !implied[i]:
			if useLateUnions {
				unions = append(unions, ors)
			} else {
				parts = append(parts, roaring.FastOr(ors...))
			}
		default:
			unionsImplied.Add(1)
		}
	}
	return parts, unions, posBM, nil
}

// narrowTo returns the pages of cand in one of ors: each of ors cut to
// cand first, so that the union of long postings (a fuzzy word's common
// alternatives) is not made.
func narrowTo(cand *roaring.Bitmap, ors []*roaring.Bitmap) *roaring.Bitmap {
	cut := make([]*roaring.Bitmap, 0, len(ors))
	for _, bm := range ors {
		if bm.Intersects(cand) {
			cut = append(cut, roaring.And(cand, bm))
		}
	}
	return roaring.FastOr(cut...)
}

// useImplied enables impliedByPairs (tests compare searches without);
// unionsImplied counts the unions left out, phraseCandidates the pages
// whose positions phrases check (tests read them).
var (
	useImplied                      = true
	unionsImplied, phraseCandidates atomic.Int64
)

// impliedByPairs reports, per position of phrase n, whether every page
// through one of its pair groups holds one of the position's alternatives:
// a group lets a page through by a pair of the two positions' words or by
// a single word of either, so when the other position has no single words
// (all its alternatives are pair words), the page holds an alternative of
// this one. The union of a fuzzy word's alternatives (dozens of postings,
// common words among them) then need not be made.
func impliedByPairs(n *node) []bool {
	if !useImplied {
		return nil
	}
	var out []bool
	for _, g := range n.pairs {
		single := [2]bool{} // whether positions g.at-1 and g.at have single words
		for _, x := range g.singles {
			single[x[0]-(g.at-1)] = true
		}
		for k, p := range [2]int{g.at - 1, g.at} {
			if !single[1-k] {
				if out == nil {
					out = make([]bool, len(n.pos))
				}
				out[p] = true
			}
		}
	}
	return out
}

// phrasePages is phrase checking positions on every candidate page.
func (e *segEval) phrasePages(n *node, within *roaring.Bitmap) (*roaring.Bitmap, error) {
	parts, unions, posBM, err := e.positionParts(n, within)
	if err != nil {
		return nil, err
	}
	if parts == nil && unions == nil {
		return roaring.New(), nil
	}
	// The parts of one bitmap each (a position's word, a pair group of pair
	// terms only) are intersected first, smallest first. The unions (a
	// position's alternatives, a pair group with single words: a fuzzy
	// word's common alternatives, long postings) then narrow the
	// candidates, each bitmap cut to them first (narrowTo): the same
	// pages, without the unions of long postings (made twice for a fuzzy
	// word between two others, once per pair group).
	for _, group := range n.pairs {
		ors := make([]*roaring.Bitmap, 0, len(group.pairs)+len(group.singles))
		for _, pair := range group.pairs {
			pl, err := e.sv.postings(fTextPairs, pair)
			if err != nil {
				return nil, err
			}
			ors = append(ors, postingsBitmap(pl))
		}
		for _, x := range group.singles {
			if bm := posBM[x[0]][x[1]]; !bm.IsEmpty() {
				ors = append(ors, bm)
			}
		}
		if len(group.singles) > 0 && useLateUnions {
			unions = append(unions, ors)
			lateGroups.Add(1)
			continue
		}
		parts = append(parts, roaring.FastOr(ors...))
	}
	if len(parts) == 0 && len(unions) > 0 {
		parts, unions = append(parts, roaring.FastOr(unions[0]...)), unions[1:]
	}
	sort.Slice(parts, func(a, b int) bool { return parts[a].GetCardinality() < parts[b].GetCardinality() })
	cand := roaring.FastAnd(parts...)
	for _, ors := range unions {
		if cand.IsEmpty() {
			break
		}
		cand = narrowTo(cand, ors)
		unionsNarrowed.Add(1)
	}
	phraseCandidates.Add(int64(cand.GetCardinality()))
	if cand.IsEmpty() || len(n.pos) == 1 {
		return cand, nil
	}
	// Positions are checked in two passes: first those with one word (in a
	// fuzzy retry, the words typed right), which leaves the pages where they
	// stand at the right distances and the phrase's possible starts there;
	// then the positions with many alternatives (a fuzzy word's expansion,
	// whose common spellings have long postings) on those pages only.
	var first, second []int
	for i, alts := range n.pos {
		if len(alts) == 1 || !phraseTwoPass {
			first = append(first, i)
		} else {
			second = append(second, i)
		}
	}
	if len(first) == 0 {
		first, second = second[:1], second[1:]
	}
	if len(second) > 0 && pairCovers(n, first) {
		// every candidate holds the first pass's two words side by side
		// (their pair term): that pass would keep them all; one pass
		all := make([]int, len(n.pos))
		for i := range all {
			all[i] = i
		}
		pairCovered.Add(1)
		out, _, err := e.phraseStarts(n, posBM, all, cand, nil, false)
		return out, err
	}
	pages, starts, err := e.phraseStarts(n, posBM, first, cand, nil, len(second) > 0)
	if err != nil {
		return nil, err
	}
	if len(second) == 0 {
		return pages, nil
	}
	out, _, err := e.phraseStarts(n, posBM, second, pages, starts, false)
	return out, err
}

// pairCovered counts the phrases checked in one pass because pairCovers
// (tests read it).
var pairCovered atomic.Int64

// pairCovers reports whether the positions ps of phrase n are two adjacent
// ones of one word each whose pair term is the only way the pre-filter
// (n.pairs) lets a page through: then every candidate holds them at their
// distance somewhere.
func pairCovers(n *node, ps []int) bool {
	if len(ps) != 2 || ps[1] != ps[0]+1 || len(n.pos[ps[0]]) != 1 || len(n.pos[ps[1]]) != 1 {
		return false
	}
	for _, g := range n.pairs {
		if g.at == ps[1] {
			return len(g.pairs) == 1 && len(g.singles) == 0
		}
	}
	return false
}

// phraseOnReps matches a phrase on a field of the dossier or the document
// (repFields: name, hometown, unit, title) with positions read on their
// representative pages only: all the pages of a dossier (document) hold
// the same value in that field, so the phrase is on a page when it is on
// its representative, whose field of its own (name_d…) has a postings list
// as long as there are dossiers, not pages (a family name is in the name
// of 40% of pages, and reading positions walks the postings). It returns
// nil when the segment's representatives do not cover its pages (or
// useReps is off): phrasePages then checks every page.
func (e *segEval) phraseOnReps(n *node, within *roaring.Bitmap) (*roaring.Bitmap, error) {
	r, ok := repFields[n.field]
	if !ok || !useReps || len(n.pos) < 2 {
		return nil, nil
	}
	reps, err := e.sv.cache.representatives(e.sv.seg, e.codes)
	if err != nil {
		return nil, err
	}
	if !reps.covers(r.dossier) {
		return nil, nil
	}
	local, count := reps.level(r.dossier)
	// the representatives where the phrase is, then their pages
	rn := &node{kind: nPhrase, field: r.field, pos: make([][]*node, len(n.pos))}
	for i, alts := range n.pos {
		for _, a := range alts {
			ra := *a
			ra.field = r.field
			rn.pos[i] = append(rn.pos[i], &ra)
		}
	}
	onReps, err := e.phrasePages(rn, nil)
	if err != nil {
		return nil, err
	}
	out := roaring.New()
	if onReps.IsEmpty() {
		return out, nil
	}
	// (all the pages of a dossier or document hold its field's words)
	has := make([]bool, count)
	lists := reps.pagesOf(r.dossier)
	for it := onReps.Iterator(); it.HasNext(); {
		if d := it.Next(); int(d) < len(local) && !has[local[d]] {
			l := local[d]
			has[l] = true
			out.AddMany(lists.pages[lists.off[l]:lists.off[l+1]])
		}
	}
	if e.sv.deleted != nil {
		out.AndNot(e.sv.deleted)
	}
	if within != nil {
		out.And(within)
	}
	return out, nil
}

// phraseTwoPass enables the two passes of phrase (tests compare with one).
var phraseTwoPass = true

// useLateUnions enables narrowing the candidates by the unions last
// (phrasePages; tests compare with the unions made and intersected among
// the other parts); lateGroups counts the pair groups with single words
// among them, unionsNarrowed the unions applied that way (tests read
// them).
var (
	useLateUnions              = true
	lateGroups, unionsNarrowed atomic.Int64
)

// phraseStarts returns the pages of cand where the positions ps of phrase n
// (posBM: the postings of each alternative) stand at their distances in the
// phrase and, with keep, for each of those pages (in order) the phrase's
// possible starts there. With starts (one list per page of cand, in
// order), only those starts are possible.
func (e *segEval) phraseStarts(n *node, posBM [][]*roaring.Bitmap, ps []int, cand *roaring.Bitmap, starts [][]int64, keep bool) (*roaring.Bitmap, [][]int64, error) {
	// one location iterator per alternative, over the candidates
	// (each records the frequencies and norms it meets on the pages that
	// pass, for scoring)
	type altIt struct {
		it  segment.PostingsIterator
		cur segment.Posting
		rec *phraseTF
		// or the term's position table
		table *posTable
		norms []float32
		// on the current page, when it is in met: its frequency and norm
		tf   uint32
		norm float32
	}
	its := make([][]*altIt, len(ps))
	var met []*altIt // the alternatives on the current page
	// the alternatives read on the pages of their pairs only (altPairs),
	// and the candidates holding them elsewhere, where their frequencies
	// are read (for scoring) once the pages that pass are known
	type unread struct {
		a     *node
		rec   *phraseTF
		pages *roaring.Bitmap
	}
	var unreads []unread
	for k, i := range ps {
		for j, a := range n.pos[i] {
			rec := &phraseTF{}
			e.phraseTF[a] = rec
			if !posBM[i][j].Intersects(cand) {
				continue
			}
			if t, norms := e.sv.cache.posTableOf(a.field, a.term); t != nil {
				its[k] = append(its[k], &altIt{rec: rec, table: t, norms: norms})
				continue
			}
			pl, err := e.sv.postings(a.field, a.term)
			if err != nil {
				return nil, nil, err
			}
			it := pl.Iterator(true, true, true, nil)
			if o, ok := it.(segment.OptimizablePostingsIterator); ok && o.ActualBitmap() != nil {
				within := cand
				if i < len(n.altPairs) && n.altPairs[i] != nil && n.altPairs[i][j] != nil {
					pp, err := n.altPairs[i][j].pages(e.sv)
					if err != nil {
						return nil, nil, err
					}
					within = roaring.And(cand, pp)
					elsewhere := roaring.And(cand, posBM[i][j])
					elsewhere.AndNot(pp)
					if !elsewhere.IsEmpty() {
						altPairSkipped.Add(int64(elsewhere.GetCardinality()))
						unreads = append(unreads, unread{a, rec, elsewhere})
					}
				}
				o.ReplaceActual(roaring.And(o.ActualBitmap(), within))
			}
			ai := &altIt{it: it, rec: rec}
			if ai.cur, err = it.Next(); err != nil {
				return nil, nil, err
			}
			its[k] = append(its[k], ai)
		}
	}
	out := roaring.New()
	var outStarts [][]int64
	sets := make([][]uint64, len(ps))
	var cur []int64
	ci := cand.Iterator()
	for c := 0; ci.HasNext(); c++ {
		d := uint64(ci.Next())
		met = met[:0]
		for k := range its {
			sets[k] = sets[k][:0]
			for _, ai := range its[k] {
				if ai.table != nil {
					if ps := ai.table.at(uint32(d)); len(ps) > 0 {
						ai.tf, ai.norm = uint32(len(ps)), ai.norms[d]
						met = append(met, ai)
						for _, p := range ps {
							sets[k] = append(sets[k], uint64(p))
						}
					}
					continue
				}
				for ai.cur != nil && ai.cur.Number() < d {
					var err error
					if ai.cur, err = ai.it.Next(); err != nil {
						return nil, nil, err
					}
				}
				if ai.cur != nil && ai.cur.Number() == d {
					ai.tf, ai.norm = uint32(ai.cur.Frequency()), float32(ai.cur.Norm())
					met = append(met, ai)
					for _, l := range ai.cur.Locations() {
						sets[k] = append(sets[k], l.Pos())
					}
				}
			}
		}
		// the starts: given, or from the first position's locations
		cur = cur[:0]
		if starts != nil {
			cur = append(cur, starts[c]...)
		} else {
			for _, p := range sets[0] {
				cur = append(cur, int64(p)-int64(ps[0]))
			}
		}
		var kept []int64
		found := false
		for _, st := range cur {
			if atDistances(sets, ps, st) {
				found = true
				if !keep {
					break
				}
				kept = append(kept, st)
			}
		}
		if found {
			out.Add(uint32(d))
			if keep {
				outStarts = append(outStarts, kept)
			}
			for _, ai := range met {
				ai.rec.addTF(uint32(d), ai.tf, ai.norm)
			}
		}
	}
	for _, u := range unreads {
		u.pages.And(out)
		if u.pages.IsEmpty() {
			continue
		}
		if err := e.readTF(u.a, u.rec, u.pages); err != nil {
			return nil, nil, err
		}
	}
	return out, outStarts, nil
}

// altPairSkipped counts the candidate pages where an alternative's
// positions were not read because it lacks its pairs there, and
// altPairFilled those of them that passed, where readTF read its
// frequency (tests read them).
var altPairSkipped, altPairFilled atomic.Int64

// readTF adds to rec a's frequencies and norms on pages (none of which rec
// holds), keeping rec in page order.
func (e *segEval) readTF(a *node, rec *phraseTF, pages *roaring.Bitmap) error {
	pl, err := e.sv.postings(a.field, a.term)
	if err != nil {
		return err
	}
	it := pl.Iterator(true, true, false, nil)
	if o, ok := it.(segment.OptimizablePostingsIterator); ok && o.ActualBitmap() != nil {
		o.ReplaceActual(roaring.And(o.ActualBitmap(), pages))
	}
	var add phraseTF
	for {
		p, err := it.Next()
		if err != nil {
			return err
		}
		if p == nil {
			break
		}
		if d := uint32(p.Number()); pages.Contains(d) {
			add.addTF(d, uint32(p.Frequency()), float32(p.Norm()))
		}
	}
	if len(add.docs) == 0 {
		return nil
	}
	altPairFilled.Add(int64(len(add.docs)))
	old := *rec
	*rec = phraseTF{}
	i, j := 0, 0
	for i < len(old.docs) || j < len(add.docs) {
		if j == len(add.docs) || (i < len(old.docs) && old.docs[i] < add.docs[j]) {
			rec.addTF(old.docs[i], old.tf[i], old.norm[i])
			i++
		} else {
			rec.addTF(add.docs[j], add.tf[j], add.norm[j])
			j++
		}
	}
	return nil
}

// phraseTF is what phraseStarts met of one alternative of a phrase: its
// frequency and norm on the candidate pages that hold it and passed the
// check of its position, ascending. The phrase's matches are among those
// pages, and its alternatives are scored on its matches only
// (scoreCtx.eval), so scoring takes them from here rather than walking
// their postings again (termScores).
type phraseTF struct {
	docs []uint32
	tf   []uint32
	norm []float32
}

func (r *phraseTF) addTF(d, tf uint32, norm float32) {
	r.docs = append(r.docs, d)
	r.tf = append(r.tf, tf)
	r.norm = append(r.norm, norm)
}

// atDistances reports whether every position ps[k] of a phrase starting at
// st has its word there: st+ps[k] in sets[k].
func atDistances(sets [][]uint64, ps []int, st int64) bool {
	for k, i := range ps {
		want := st + int64(i)
		ok := false
		for _, q := range sets[k] {
			if int64(q) == want {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
