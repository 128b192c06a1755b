package index

import (
	"sort"

	"github.com/blevesearch/bleve/v2/search"
)

// grouping collapses page hits into dossiers.
//
// Design: a terms facet on the dossier code over every matching page gives
// the exact number of matching dossiers and each one's matching page count,
// in the same pass that ranks pages (cost: one doc-value lookup per matching
// page, no stored fields). The top pages, in the requested order, are then
// walked and collapsed in Go: a dossier's position is that of its first
// (best) page. Dossiers whose further pages ranked too low to be in the walk
// get them from one extra query restricted to those dossiers. Only the pages
// finally shown have their stored fields and term locations loaded.
//
// The alternatives were weighed: collapsing top hits alone cannot count
// dossiers exactly; a second per-dossier index document would duplicate all
// page text (or lose page-level filters such as kind: and date:) and could
// not rank a dossier by its best page.
type grouping struct {
	req    Request
	byCode bool
	counts map[string]int // matching pages per dossier, over all matches
	codes  []string       // sorted codes (code sort only)
	want   map[string]bool
	order  []string // dossiers in result order, as walked
	pages  map[string]*pageAcc
}

type pageAcc struct {
	ids    []string // best first
	scores map[string]float64
	best   float64
}

func newGrouping(req Request) *grouping {
	return &grouping{req: req, byCode: req.Sort == SortCode, counts: map[string]int{}, pages: map[string]*pageAcc{}}
}

func (g *grouping) setCounts(fr *search.FacetResult) {
	if fr != nil && fr.Terms != nil {
		for _, t := range fr.Terms.Terms() {
			g.counts[t.Term] = t.Count
		}
	}
	if g.byCode {
		g.codes = make([]string, 0, len(g.counts))
		for c := range g.counts {
			g.codes = append(g.codes, c)
		}
		sort.Strings(g.codes)
		g.want = map[string]bool{}
		for _, c := range g.window(g.codes) {
			g.want[c] = true
		}
	}
}

func (g *grouping) window(all []string) []string {
	lo := min(g.req.Offset, len(all))
	hi := min(g.req.Offset+g.req.Limit, len(all))
	return all[lo:hi]
}

func (g *grouping) reset() {
	g.order = g.order[:0]
	clear(g.pages)
}

func (g *grouping) acc(code string) *pageAcc {
	a := g.pages[code]
	if a == nil {
		a = &pageAcc{scores: map[string]float64{}}
		g.pages[code] = a
		g.order = append(g.order, code)
	}
	return a
}

func (a *pageAcc) add(id string, score float64, limit int) {
	if _, dup := a.scores[id]; dup || len(a.ids) >= limit {
		return
	}
	if len(a.ids) == 0 || score > a.best {
		a.best = score
	}
	a.ids = append(a.ids, id)
	a.scores[id] = score
}

// add takes the next page of the walk.
func (g *grouping) add(id string, score float64) {
	code := codeOfID(id)
	if g.byCode && !g.want[code] {
		return
	}
	g.acc(code).add(id, score, g.req.HitsPerDossier)
}

// addFill takes a page from the fill query (pages by score).
func (g *grouping) addFill(id string, score float64) {
	g.acc(codeOfID(id)).add(id, score, g.req.HitsPerDossier)
}

// enough reports whether the walk found the requested page of dossiers.
func (g *grouping) enough() bool {
	return g.byCode || len(g.order) >= g.req.Offset+g.req.Limit
}

// selected returns the dossiers of the requested page, in result order.
func (g *grouping) selected() []string {
	if g.byCode {
		return g.window(g.codes)
	}
	return append([]string(nil), g.window(g.order)...)
}

// incomplete reports whether a selected dossier has fewer pages than it
// should show.
func (g *grouping) incomplete(code string) bool {
	a := g.pages[code]
	n := 0
	if a != nil {
		n = len(a.ids)
	}
	return n < min(g.req.HitsPerDossier, g.counts[code])
}
