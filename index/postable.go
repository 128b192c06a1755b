package index

import (
	"cmp"
	"math"
	"slices"
	"sync/atomic"

	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Position tables. Checking a phrase reads its words' positions on the
// candidate pages, and scoring the pages of the dossiers that may be shown
// reads the common words' frequencies there: zap gives both only by
// walking the term's postings up to each page, posting by posting, and for
// the commonest name syllables (nguyen, van, thi: on most pages, several
// times) that walk was most of a name phrase's time at 1,000,000 pages.
// Warm keeps, for the commonest name syllables of each large segment, every
// page's positions of the word in the page text, in a table read by page
// number; the norms of the pages (the same for every word of a page's
// text) are kept once per segment. A search reads a word's table when the
// segment has one, and the postings otherwise.

// posTable is a term's positions on a segment's pages: page d holds them
// in pos[off[d]:off[d+1]] (none: absent).
type posTable struct {
	off []uint32
	pos []uint16
}

// at returns the positions on page d.
func (t *posTable) at(d uint32) []uint16 { return t.pos[t.off[d]:t.off[d+1]] }

// size is what t holds, in bytes.
func (t *posTable) size() int { return 4*len(t.off) + 2*len(t.pos) }

// posTables are a segment's position tables and the page text's norms.
type posTables struct {
	terms map[string]*posTable // fText term -> its table
	norms []float32            // page -> fText norm (0: no table holds it)
}

// posTerms is how many name syllables get a table per segment at most, and
// posBudget how many bytes the tables take per page at most.
const (
	posTerms  = 12
	posBudget = 96
)

// usePosTables lets tests compare searches with and without the tables.
var usePosTables = true

// tables returns the segment's position tables, nil before Warm made them.
func (sc *segCache) tables() *posTables {
	if !usePosTables {
		return nil
	}
	return sc.pos.Load()
}

// posTableOf returns field:term's position table in the segment, nil when
// it has none.
func (sc *segCache) posTableOf(field, term string) (*posTable, []float32) {
	if field != fText {
		return nil, nil
	}
	pt := sc.tables()
	if pt == nil {
		return nil, nil
	}
	t := pt.terms[term]
	if t == nil {
		return nil, nil
	}
	posTableReads.Add(1)
	return t, pt.norms
}

// posTableReads counts the tables read (tests read it).
var posTableReads atomic.Int64

// buildPosTables makes the tables of the segment's commonest page-text
// name syllables (pairWords on a quarter of its pages or more, in the
// name of some dossier), within posTerms and posBudget.
func buildPosTables(seg segment.Segment) (*posTables, error) {
	n := seg.Count()
	d, err := seg.Dictionary(fText)
	if err != nil {
		return nil, err
	}
	names, err := seg.Dictionary(fNameRep)
	if err != nil {
		return nil, err
	}
	// a table saves a walk as long as the word's page postings, in the
	// searches of names holding it: the words first by the product of
	// their pages and their dossiers
	type cand struct {
		term string
		gain float64
	}
	var cands []cand
	for w := range pairWords {
		pl, err := d.PostingsList([]byte(w), nil, nil)
		if err != nil {
			return nil, err
		}
		c := pl.Count()
		if c*4 < n {
			continue
		}
		if pl, err = names.PostingsList([]byte(w), nil, pl); err != nil {
			return nil, err
		}
		if nc := pl.Count(); nc > 0 {
			cands = append(cands, cand{w, float64(c) * float64(nc)})
		}
	}
	slices.SortFunc(cands, func(a, b cand) int { return cmp.Or(cmp.Compare(b.gain, a.gain), cmp.Compare(a.term, b.term)) })
	pt := &posTables{terms: map[string]*posTable{}, norms: make([]float32, n)}
	size := 4 * int(n)
	for _, c := range cands {
		if len(pt.terms) == posTerms {
			break
		}
		pl, err := d.PostingsList([]byte(c.term), nil, nil)
		if err != nil {
			return nil, err
		}
		t := &posTable{off: make([]uint32, n+1)}
		it := pl.Iterator(true, true, true, nil)
		next, ok := uint64(0), true
		for {
			p, err := it.Next()
			if err != nil {
				return nil, err
			}
			if p == nil {
				break
			}
			num := p.Number()
			if num >= n {
				continue
			}
			for ; next <= num; next++ {
				t.off[next] = uint32(len(t.pos))
			}
			for _, l := range p.Locations() {
				if l.Pos() > math.MaxUint16 {
					ok = false // a page longer than the table holds
					break
				}
				t.pos = append(t.pos, uint16(l.Pos()))
			}
			pt.norms[num] = float32(p.Norm())
		}
		for ; next <= n; next++ {
			t.off[next] = uint32(len(t.pos))
		}
		if !ok || size+t.size() > posBudget*int(n) {
			continue
		}
		t.pos = slices.Clip(t.pos)
		pt.terms[c.term] = t
		size += t.size()
	}
	return pt, nil
}
