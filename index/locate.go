package index

import (
	"sort"

	"github.com/RoaringBitmap/roaring/v2"
)

// locator finds the words of the shown pages that a query matched, for
// snippets and word boxes: the occurrences of its words (every spelling
// that folds alike), of the words its prefix and fuzzy terms expanded to,
// and the occurrences of its phrases (not their words elsewhere). It reads
// the term vectors of the text field for the shown pages only.
type locator struct {
	words   map[string]bool
	phrases [][]map[string]bool // per phrase, per position, folded terms
}

// newLocator collects the page-text matchers of a resolved plan's positive
// clauses. The original spellings (fTextExact) need none: their folded form
// is always an alternative of the same word.
func newLocator(p *plan) *locator {
	l := &locator{words: map[string]bool{}}
	var walk func(n *node)
	walk = func(n *node) {
		switch n.kind {
		case nTerm:
			if n.field == fText {
				l.words[n.term] = true
			}
		case nAny:
			for _, k := range n.kids {
				walk(k)
			}
		case nPhrase:
			if n.field != fText {
				return
			}
			ph := make([]map[string]bool, len(n.pos))
			for i, alts := range n.pos {
				ph[i] = map[string]bool{}
				for _, a := range alts {
					if a.kind == nTerm {
						ph[i][a.term] = true
					}
				}
			}
			if len(ph) == 1 {
				for t := range ph[0] {
					l.words[t] = true
				}
				return
			}
			l.phrases = append(l.phrases, ph)
		}
	}
	if p != nil {
		for _, n := range p.must {
			walk(n)
		}
	}
	return l
}

// vecLoc is one occurrence of a term in a page's text.
type vecLoc struct {
	pos        uint64
	start, end int
}

// locate returns, for each page (sv, local) of pages, the matched words'
// byte ranges in its text, in text order.
func (l *locator) locate(pages []selHit) (map[string][]TermLoc, error) {
	out := map[string][]TermLoc{}
	if len(l.words) == 0 && len(l.phrases) == 0 {
		return out, nil
	}
	terms := map[string]bool{}
	for t := range l.words {
		terms[t] = true
	}
	for _, ph := range l.phrases {
		for _, p := range ph {
			for t := range p {
				terms[t] = true
			}
		}
	}
	bySeg := map[*segView][]selHit{}
	for _, h := range pages {
		bySeg[h.sv] = append(bySeg[h.sv], h)
	}
	for sv, hs := range bySeg {
		shown := roaring.New()
		ids := map[uint32]string{}
		for _, h := range hs {
			shown.Add(h.local)
			ids[h.local] = h.id
		}
		// occurrences per page per term
		occ := map[uint32]map[string][]vecLoc{}
		for t := range terms {
			pl, err := sv.postings(fText, t)
			if err != nil {
				return nil, err
			}
			bm := postingsBitmap(pl)
			if !bm.Intersects(shown) {
				continue
			}
			it := pl.Iterator(true, true, true, nil)
			for _, d := range roaring.And(bm, shown).ToArray() {
				p, err := it.Advance(uint64(d))
				if err != nil {
					return nil, err
				}
				if p == nil || p.Number() != uint64(d) {
					continue
				}
				for _, loc := range p.Locations() {
					if occ[d] == nil {
						occ[d] = map[string][]vecLoc{}
					}
					occ[d][t] = append(occ[d][t], vecLoc{pos: loc.Pos(), start: int(loc.Start()), end: int(loc.End())})
				}
			}
		}
		for d, byTerm := range occ {
			out[ids[d]] = l.mark(byTerm)
		}
	}
	return out, nil
}

// mark turns a page's occurrences into the ranges of matched words.
func (l *locator) mark(byTerm map[string][]vecLoc) []TermLoc {
	var hit []vecLoc
	for t, locs := range byTerm {
		if l.words[t] {
			hit = append(hit, locs...)
		}
	}
	for _, ph := range l.phrases {
		at := make([]map[uint64]vecLoc, len(ph)) // position -> occurrence, per phrase position
		for i, alts := range ph {
			at[i] = map[uint64]vecLoc{}
			for t := range alts {
				for _, o := range byTerm[t] {
					at[i][o.pos] = o
				}
			}
		}
		for p := range at[0] {
			ok := true
			for i := 1; i < len(ph) && ok; i++ {
				_, ok = at[i][p+uint64(i)]
			}
			if ok {
				for i := range ph {
					hit = append(hit, at[i][p+uint64(i)])
				}
			}
		}
	}
	sort.Slice(hit, func(i, j int) bool {
		if hit[i].start != hit[j].start {
			return hit[i].start < hit[j].start
		}
		return hit[i].end > hit[j].end
	})
	var out []TermLoc
	for _, o := range hit {
		if len(out) > 0 && o.start < out[len(out)-1].End {
			continue // the same word again, or inside the previous one
		}
		if o.start < o.end {
			out = append(out, TermLoc{Start: o.start, End: o.end})
		}
	}
	return out
}
