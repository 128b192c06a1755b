package index

import (
	"maps"
	"sort"
)

// locator finds the words of the shown pages that a query matched, for
// snippets and word boxes: the occurrences of its words (every spelling
// that folds alike), of the words its prefix and fuzzy terms expanded to,
// and the occurrences of its phrases (not their words elsewhere). It analyzes
// the stored text of the shown pages only.
type locator struct {
	words   map[string]bool
	phrases [][]map[string]bool // per phrase, per position, folded terms
	terms   map[string]bool     // the words and the phrases' words
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
	l.terms = maps.Clone(l.words)
	for _, ph := range l.phrases {
		for _, alts := range ph {
			maps.Copy(l.terms, alts)
		}
	}
	return l
}

// vecLoc is one occurrence of a term in a page's text.
type vecLoc struct {
	pos        uint64
	start, end int
}

// locate returns the matched words' byte ranges in a page's text, in text
// order. It analyzes the text again as indexing did (foldedTokens), which
// gives the terms, positions and offsets fText holds: cheaper than reading
// them from the postings, where zap decodes every earlier page's
// locations in a chunk to reach a page's, and the shown pages' stored text
// is loaded anyway for their snippets.
func (l *locator) locate(text string) []TermLoc {
	if len(l.terms) == 0 {
		return nil
	}
	var byTerm map[string][]vecLoc
	foldedTokens(text, func(term []byte, pos uint64, start, end int) {
		if !l.terms[string(term)] {
			return
		}
		if byTerm == nil {
			byTerm = map[string][]vecLoc{}
		}
		byTerm[string(term)] = append(byTerm[string(term)], vecLoc{pos: pos, start: start, end: end})
	})
	if byTerm == nil {
		return nil
	}
	return l.mark(byTerm)
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
