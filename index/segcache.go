package index

import (
	"cmp"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/numeric"
	segment "github.com/blevesearch/scorch_segment_api/v2"
	"github.com/blevesearch/vellum"
)

// Per-segment caches of the search engine (engine.go). Scorch segments are
// immutable, so what is derived from one (which dossier each page belongs
// to, each page's document date, facet values) is computed once, on first
// use, and kept while the segment is part of the index: Lucene's field
// caches. Lookups are array reads, where bleve would decode doc values for
// every matching page.

// noOrd marks a page without the cached value.
const noOrd = math.MaxUint32

// noDate marks a page without a document date.
const noDate = math.MinInt64

// ordTable interns strings (dossier codes, facet values) as small
// integers shared by all segments. It only grows; it is safe for
// concurrent use.
type ordTable struct {
	mu    sync.RWMutex
	ord   map[string]uint32
	names []string
}

func newOrdTable() *ordTable { return &ordTable{ord: map[string]uint32{}} }

func (t *ordTable) intern(s string) uint32 {
	t.mu.RLock()
	o, ok := t.ord[s]
	t.mu.RUnlock()
	if ok {
		return o
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if o, ok := t.ord[s]; ok {
		return o
	}
	o = uint32(len(t.names))
	t.ord[s] = o
	t.names = append(t.names, s)
	return o
}

// names returns the names interned so far (the slice only grows, so
// a copy stays valid).
func (t *ordTable) list() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.names[:len(t.names):len(t.names)]
}

// segCache is what the engine keeps about one segment.
type segCache struct {
	once    sync.Once
	err     error
	dossier []uint32 // local doc number -> dossier ordinal (noOrd: none)

	dateMu sync.Mutex
	date   map[string][]int64 // date field -> local doc number -> Unix ns (noDate: none)

	facetMu sync.Mutex
	facets  map[string][]uint32 // facet name -> local doc number -> value ordinal

	impMu   sync.Mutex
	impacts map[string][2]float32 // field\x00term -> smallest and largest √tf·norm
	repImp  map[string]*repImp    // rep field\x00term -> by local index (nil: none)
	repSize int                   // bytes held in repImp

	repOnce sync.Once
	repErr  error
	reps    *segReps

	pos     atomic.Pointer[posTables] // set by Warm
	warmed  atomic.Bool               // Warm has been through it
	preload atomic.Bool               // Warm preloaded its file (preloader)
	warmCut atomic.Bool               // and left name syllables out (repBudget)
}

// segReps numbers the segment's dossiers and documents densely and tells
// whether each has its representative page here (see repFields).
type segReps struct {
	dossier    []uint32 // local doc number -> local dossier index
	document   []uint32 // local doc number -> local document index
	ndossiers  int
	ndocuments int
	// every dossier (document) with a page here has its representative
	// page here, deleted or not
	dossiersOK, documentsOK bool

	pagesOnce [2]sync.Once
	pages     [2]pageLists // by local dossier [0], document [1]
}

// pageLists are the pages of each local dossier or document: those of i
// are pages[off[i]:off[i+1]], ascending.
type pageLists struct {
	off, pages []uint32
}

// pagesOf returns the pages of each local dossier (dossier) or document,
// built once.
func (r *segReps) pagesOf(dossier bool) *pageLists {
	k := 1
	if dossier {
		k = 0
	}
	r.pagesOnce[k].Do(func() {
		local, count := r.level(dossier)
		pl := &r.pages[k]
		pl.off = make([]uint32, count+1)
		for _, l := range local {
			pl.off[l+1]++
		}
		for i := 1; i <= count; i++ {
			pl.off[i] += pl.off[i-1]
		}
		next := slices.Clone(pl.off[:count])
		pl.pages = make([]uint32, len(local))
		for d, l := range local {
			pl.pages[next[l]] = uint32(d)
			next[l]++
		}
	})
	return &r.pages[k]
}

// level returns the local index of each page's dossier (dossier) or
// document, and their number.
func (r *segReps) level(dossier bool) (local []uint32, count int) {
	if dossier {
		return r.dossier, r.ndossiers
	}
	return r.document, r.ndocuments
}

// covers reports whether every dossier (dossier) or document with a page in
// the segment has its representative page there.
func (r *segReps) covers(dossier bool) bool {
	if dossier {
		return r.dossiersOK
	}
	return r.documentsOK
}

// representatives returns the segment's segReps, built once.
func (sc *segCache) representatives(seg segment.Segment, codes *ordTable) (*segReps, error) {
	sc.repOnce.Do(func() {
		sc.reps, sc.repErr = buildReps(sc, seg, codes)
	})
	return sc.reps, sc.repErr
}

// renumber sets out[i] to a dense number (0, 1, … in order of first
// appearance) of key(i) and returns how many distinct keys there were.
func renumber[K comparable](out []uint32, key func(i int) K) int {
	ids := map[K]uint32{}
	for i := range out {
		k := key(i)
		l, ok := ids[k]
		if !ok {
			l = uint32(len(ids))
			ids[k] = l
		}
		out[i] = l
	}
	return len(ids)
}

func buildReps(sc *segCache, seg segment.Segment, codes *ordTable) (*segReps, error) {
	dt, err := sc.dossiers(seg, codes)
	if err != nil {
		return nil, err
	}
	n := len(dt)
	r := &segReps{dossier: make([]uint32, n), document: make([]uint32, n)}
	r.ndossiers = renumber(r.dossier, func(i int) uint32 { return dt[i] })
	// documents: (local dossier, document id)
	docTerm, err := termOrdinals(seg, fDoc, newOrdTable().intern)
	if err != nil {
		return nil, err
	}
	r.ndocuments = renumber(r.document, func(i int) uint64 { return uint64(r.dossier[i])<<32 | uint64(docTerm[i]) })
	// coverage
	for _, level := range []struct {
		term  string
		of    []uint32
		count int
		ok    *bool
	}{{"dossier", r.dossier, r.ndossiers, &r.dossiersOK}, {"document", r.document, r.ndocuments, &r.documentsOK}} {
		d, err := seg.Dictionary(fRep)
		if err != nil {
			return nil, err
		}
		pl, err := d.PostingsList([]byte(level.term), nil, nil)
		if err != nil {
			return nil, err
		}
		seen := make([]bool, level.count)
		covered := 0
		it := postingsBitmap(pl).Iterator()
		for it.HasNext() {
			if d := it.Next(); int(d) < n && !seen[level.of[d]] {
				seen[level.of[d]] = true
				covered++
			}
		}
		*level.ok = covered == level.count
	}
	return r, nil
}

// impactRange returns the smallest and largest √tf·norm of field:term over
// the segment's pages (deleted ones included: they are bounds), computed
// once.
func (sc *segCache) impactRange(sv *segView, field, term string) (lo, hi float32, err error) {
	key := field + "\x00" + term
	sc.impMu.Lock()
	v, ok := sc.impacts[key]
	sc.impMu.Unlock()
	if ok {
		return v[0], v[1], nil
	}
	d, err := sv.dict(field)
	if err != nil {
		return 0, 0, err
	}
	pl, err := d.PostingsList([]byte(term), nil, nil)
	if err != nil {
		return 0, 0, err
	}
	it := pl.Iterator(true, true, false, nil)
	min, max := math.Inf(1), 0.0
	for {
		p, err := it.Next()
		if err != nil {
			return 0, 0, err
		}
		if p == nil {
			break
		}
		x := sqrtFreq(p.Frequency()) * p.Norm()
		max = math.Max(max, x)
		min = math.Min(min, x)
	}
	if math.IsInf(min, 1) {
		min = 0
	}
	// a hair beyond, so that float32 rounding never makes them wrong
	v = [2]float32{float32(min * (1 - 1e-4)), float32(max * (1 + 1e-6))}
	sc.impMu.Lock()
	if sc.impacts == nil {
		sc.impacts = map[string][2]float32{}
	}
	sc.impacts[key] = v
	sc.impMu.Unlock()
	return v[0], v[1], nil
}

// repBudget is how many bytes of rep-term values a segment keeps per page
// it holds (64 MB for a million pages: 160 name-field terms held by most
// of 50,000 dossiers, many more when sparse); terms beyond are read each
// time. (A variable for tests.)
var repBudget = 64

// tfNorm is a term's frequency and norm on a page (tf 0: absent); the norm
// is a float32 in the segment.
type tfNorm struct {
	tf   uint32
	norm float32
}

// repImp is a rep field term's tf and norm by local dossier or document
// index: an array over all of them when the term is on many, else the
// values of the indices that have it (ascending) and a bitset of them, a
// third of the array's bytes or less. A name syllable is in the name of a tenth of the
// dossiers or more, a title word often in a few of the documents: the
// array for a title word of a 100,000-page segment is 200 KB, its sparse
// form 20 KB.
type repImp struct {
	dense []tfNorm
	val   []tfNorm // sparse: the values, by ascending index
	has   []uint64 // sparse: bit i set when index i has a value
	rank  []uint32 // sparse: rank[w] is the number of bits set in has[:w]
}

// repSparseShare: a repImp is sparse when that takes at most 1/repSparseShare
// of the array's bytes (a variable for tests).
var repSparseShare = 3

// at is the value at local index i (tf 0: absent). In a sparse r, the
// value of i is the one after those of the indices below i: rank and a
// popcount find it, where a search of a list of the indices took a
// seventh of a common name's search at 1,000,000 pages (scoring its
// dossiers' pages looks up their name's value once a dossier).
func (r *repImp) at(i uint32) tfNorm {
	if r.dense != nil {
		return r.dense[i]
	}
	w, bit := i/64, uint64(1)<<(i%64)
	if r.has[w]&bit == 0 {
		return tfNorm{}
	}
	return r.val[int(r.rank[w])+bits.OnesCount64(r.has[w]&(bit-1))]
}

// setRank makes r.rank from r.has.
func (r *repImp) setRank() {
	r.rank = make([]uint32, len(r.has))
	n := uint32(0)
	for w, x := range r.has {
		r.rank[w] = n
		n += uint32(bits.OnesCount64(x))
	}
}

// size is what r holds, in bytes.
func (r *repImp) size() int { return 72 + 8*len(r.dense) + 8*len(r.val) + 8*len(r.has) + 4*len(r.rank) }

// repImpacts returns the tf and norm of a rep field's term by local dossier or
// document index (local maps doc numbers to them; count of them), nil when
// no representative page holds it. Read once per segment: the name
// syllables of a people's archive are few and searched again and again.
func (sc *segCache) repImpacts(sv *segView, repField, term string, local []uint32, count int) (*repImp, error) {
	key := repField + "\x00" + term
	sc.impMu.Lock()
	v, ok := sc.repImp[key]
	sc.impMu.Unlock()
	if ok {
		return v, nil
	}
	d, err := sv.dict(repField)
	if err != nil {
		return nil, err
	}
	pl, err := d.PostingsList([]byte(term), nil, nil) // deleted representatives still speak for their pages
	if err != nil {
		return nil, err
	}
	// in doc order; a later representative of the same dossier (or
	// document) wins, as in the array
	var idx []uint32
	var val []tfNorm
	it := pl.Iterator(true, true, false, nil)
	for {
		p, err := it.Next()
		if err != nil {
			return nil, err
		}
		if p == nil {
			break
		}
		if num := p.Number(); num < uint64(len(local)) {
			idx = append(idx, local[num])
			val = append(val, tfNorm{uint32(p.Frequency()), float32(p.Norm())})
		}
	}
	if len(idx) > 0 {
		v = &repImp{}
		if 12*len(idx)*repSparseShare > 8*count {
			v.dense = make([]tfNorm, count)
			for k, i := range idx {
				v.dense[i] = val[k]
			}
		} else {
			order := make([]int, len(idx))
			for k := range order {
				order[k] = k
			}
			slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(idx[a], idx[b]) })
			v.has = make([]uint64, (count+63)/64)
			last := -1
			for _, k := range order {
				if int(idx[k]) == last {
					v.val[len(v.val)-1] = val[k]
					continue
				}
				last = int(idx[k])
				v.val = append(v.val, val[k])
				v.has[idx[k]/64] |= 1 << (idx[k] % 64)
			}
			v.setRank()
		}
	}
	size := 64 + len(key) // an absent term is kept too
	if v != nil {
		size += v.size()
	}
	sc.impMu.Lock()
	if sc.repImp == nil {
		sc.repImp = map[string]*repImp{}
	}
	if sc.repSize+size <= repBudget*int(sv.seg.Count()) {
		sc.repImp[key] = v
		sc.repSize += size
	}
	sc.impMu.Unlock()
	return v, nil
}

// repBytes is what repImpacts keeps.
func (sc *segCache) repBytes() int {
	sc.impMu.Lock()
	defer sc.impMu.Unlock()
	return sc.repSize
}

// caches holds the segCaches of the segments in the current snapshots and
// the tables their ordinals refer to.
type caches struct {
	bi      bleve.Index // the bleve index they describe
	mu      sync.Mutex
	segs    map[segment.Segment]*segCache
	codes   *ordTable
	facetMu sync.Mutex
	facetV  map[string]*ordTable // facet name -> its values
}

func newCaches() *caches {
	return &caches{segs: map[segment.Segment]*segCache{}, codes: newOrdTable(), facetV: map[string]*ordTable{}}
}

// forSegments returns the caches of segs, dropping those of segments no
// longer in the index (merged away).
func (c *caches) forSegments(segs []segment.Segment) []*segCache {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*segCache, len(segs))
	live := make(map[segment.Segment]bool, len(segs))
	for i, s := range segs {
		live[s] = true
		sc := c.segs[s]
		if sc == nil {
			sc = &segCache{}
			c.segs[s] = sc
		}
		out[i] = sc
	}
	if len(c.segs) > 2*len(segs)+8 {
		for s := range c.segs {
			if !live[s] {
				delete(c.segs, s)
			}
		}
	}
	return out
}

func (c *caches) facetTable(name string) *ordTable {
	c.facetMu.Lock()
	defer c.facetMu.Unlock()
	t := c.facetV[name]
	if t == nil {
		t = newOrdTable()
		c.facetV[name] = t
	}
	return t
}

// dossiers returns the segment's page -> dossier ordinal table, building it
// from the code field's dictionary (each code's postings name its pages).
func (sc *segCache) dossiers(seg segment.Segment, codes *ordTable) ([]uint32, error) {
	sc.once.Do(func() {
		sc.dossier, sc.err = termOrdinals(seg, fCode, func(term string) uint32 { return codes.intern(term) })
	})
	return sc.dossier, sc.err
}

// dates returns the segment's page -> date table of a date field (Unix ns,
// noDate for none), from the field's exact (shift 0) terms.
func (sc *segCache) dates(seg segment.Segment, field string) ([]int64, error) {
	sc.dateMu.Lock()
	defer sc.dateMu.Unlock()
	if t, ok := sc.date[field]; ok {
		return t, nil
	}
	n := seg.Count()
	t := make([]int64, n)
	for i := range t {
		t[i] = noDate
	}
	err := visitTerms(seg, field, []byte{numeric.ShiftStartInt64}, []byte{numeric.ShiftStartInt64 + 1}, func(term []byte, bm *roaring.Bitmap) {
		v, err := numeric.PrefixCoded(term).Int64()
		if err != nil {
			return
		}
		it := bm.Iterator()
		for it.HasNext() {
			if d := it.Next(); uint64(d) < n {
				t[d] = v
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if sc.date == nil {
		sc.date = map[string][]int64{}
	}
	sc.date[field] = t
	return t, nil
}

// facet returns the segment's page -> value ordinal table of a facet: the
// value of a keyword field (unit, kind, classification) or derived from a
// date (birth decade, document year).
func (sc *segCache) facet(seg segment.Segment, name string, values *ordTable) ([]uint32, error) {
	sc.facetMu.Lock()
	f, ok := sc.facets[name]
	sc.facetMu.Unlock()
	if ok {
		return f, nil
	}
	var err error
	switch name {
	case FacetUnit, FacetKind, FacetClassification:
		field := map[string]string{FacetUnit: fUnit, FacetKind: fKind, FacetClassification: fClass}[name]
		f, err = termOrdinals(seg, field, values.intern)
	case FacetBirthDecade, FacetDocYear:
		field, label := fBirth, func(t time.Time) string { return strconv.Itoa(t.Year()/10*10) + "s" }
		if name == FacetDocYear {
			field, label = fDate, func(t time.Time) string { return strconv.Itoa(t.Year()) }
		}
		var dates []int64
		if dates, err = sc.dates(seg, field); err == nil {
			f = make([]uint32, len(dates))
			byValue := map[int64]uint32{}
			for i, v := range dates {
				if v == noDate {
					f[i] = noOrd
					continue
				}
				o, ok := byValue[v]
				if !ok {
					o = values.intern(label(time.Unix(0, v).UTC()))
					byValue[v] = o
				}
				f[i] = o
			}
		}
	}
	if err != nil {
		return nil, err
	}
	sc.facetMu.Lock()
	if sc.facets == nil {
		sc.facets = map[string][]uint32{}
	}
	sc.facets[name] = f
	sc.facetMu.Unlock()
	return f, nil
}

// termOrdinals maps every page of seg to the ordinal of its (single) term
// in field, noOrd for pages without one.
func termOrdinals(seg segment.Segment, field string, ord func(string) uint32) ([]uint32, error) {
	n := seg.Count()
	out := make([]uint32, n)
	for i := range out {
		out[i] = noOrd
	}
	err := visitTerms(seg, field, nil, nil, func(term []byte, bm *roaring.Bitmap) {
		o := ord(string(term))
		it := bm.Iterator()
		for it.HasNext() {
			if d := it.Next(); uint64(d) < n {
				out[d] = o
			}
		}
	})
	return out, err
}

// termIterator iterates the terms of d that a accepts in [start, end)
// without reading their postings lists: zap's AutomatonIterator reads
// each term's list for the count its entries carry, which the engine
// does not use (it looks the lists up when it needs them).
func termIterator(d segment.TermDictionary, a segment.Automaton, start, end []byte) segment.DictionaryIterator {
	type omitCounter interface {
		AutomatonIteratorOmitCount(a segment.Automaton, start, end []byte) segment.DictionaryIterator
	}
	if oc, ok := d.(omitCounter); ok {
		return oc.AutomatonIteratorOmitCount(a, start, end)
	}
	return d.AutomatonIterator(a, start, end)
}

// visitTerms calls fn with each term of field in [start, end) (nil: open)
// and the bitmap of its pages, deleted pages included. The bitmap is only
// valid during the call (its memory is reused for the next term).
func visitTerms(seg segment.Segment, field string, start, end []byte, fn func(term []byte, bm *roaring.Bitmap)) error {
	d, err := seg.Dictionary(field)
	if err != nil {
		return err
	}
	it := termIterator(d, &vellum.AlwaysMatch{}, start, end)
	var pl segment.PostingsList
	for {
		e, err := it.Next()
		if err != nil {
			return err
		}
		if e == nil {
			return nil
		}
		term := []byte(e.Term)
		pl, err = d.PostingsList(term, nil, pl)
		if err != nil {
			return err
		}
		fn(term, postingsBitmap(pl))
	}
}

// postingsBitmap returns the pages of a postings list. The bitmap may be
// shared with the segment: never modify it.
func postingsBitmap(pl segment.PostingsList) *roaring.Bitmap {
	it := pl.Iterator(false, false, false, nil)
	if o, ok := it.(segment.OptimizablePostingsIterator); ok {
		if bm := o.ActualBitmap(); bm != nil {
			return bm
		}
		if n, ok := o.DocNum1Hit(); ok {
			return roaring.BitmapOf(uint32(n))
		}
	}
	bm := roaring.New()
	for {
		p, err := it.Next()
		if err != nil || p == nil {
			return bm
		}
		bm.Add(uint32(p.Number()))
	}
}

// The caches of each open Index, for its active bleve index (a Rebuild's
// swap starts afresh). Held weakly, so a closed and dropped Index frees
// them.
var engineCaches struct {
	mu sync.Mutex
	m  map[weak.Pointer[Index]]*caches
}

func cachesFor(ix *Index, bi bleve.Index) *caches {
	wp := weak.Make(ix)
	engineCaches.mu.Lock()
	defer engineCaches.mu.Unlock()
	if engineCaches.m == nil {
		engineCaches.m = map[weak.Pointer[Index]]*caches{}
	}
	c := engineCaches.m[wp]
	if c == nil {
		runtime.AddCleanup(ix, func(wp weak.Pointer[Index]) {
			engineCaches.mu.Lock()
			delete(engineCaches.m, wp)
			engineCaches.mu.Unlock()
		}, wp)
	}
	if c == nil || c.bi != bi {
		c = newCaches()
		c.bi = bi
		engineCaches.m[wp] = c
	}
	return c
}
