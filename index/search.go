package index

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"hoso/domain"
	"hoso/index/qparse"
)

// Request is a search. Query uses the language of package qparse.
type Request struct {
	Query string
	// Clearance is the reader's level: only pages whose effective level
	// (the stricter of dossier and document) is at most Clearance exist for
	// this search, in totals, facets and snippets alike. An invalid or empty
	// clearance is an error wrapping ErrClearance.
	Clearance domain.Classification
	// Offset and Limit page through dossiers (Limit 0 means 20; at most 1000).
	Offset, Limit int
	// Sort is "relevance" (default: dossiers by their best page), "code",
	// "date" (earliest matching document date first) or "-date" (latest first).
	Sort string
	// HitsPerDossier is the number of page hits returned per dossier, best
	// first (0 means 3).
	HitsPerDossier int
	// Facets asks for Response.Facets.
	Facets bool
}

// Sort orders.
const (
	SortRelevance = "relevance"
	SortCode      = "code"
	SortDate      = "date"
	SortDateDesc  = "-date"
)

// Response is one page of results, grouped by dossier.
type Response struct {
	Total      int          `json:"total"`       // dossiers with at least one matching page
	TotalPages int          `json:"total_pages"` // matching pages
	Dossiers   []DossierHit `json:"dossiers"`
	// Facets counts the matching dossiers per value of unit, kind,
	// classification, birth_decade and doc_year (a dossier counts once per
	// value that one of its matching pages has). Only when asked for.
	Facets map[string][]FacetCount `json:"facets,omitempty"`
	// Fuzzy is true when nothing matched exactly and these results come from
	// the automatic fuzzy retry (words within 1-2 letters; see the package
	// documentation for which words of a phrase are retried).
	Fuzzy bool          `json:"fuzzy"`
	Took  time.Duration `json:"took"`
}

// DossierHit is a dossier with its best matching pages.
type DossierHit struct {
	Code           string                `json:"code"`
	Subject        string                `json:"subject"`
	Unit           string                `json:"unit,omitempty"`
	Classification domain.Classification `json:"classification"`
	Score          float64               `json:"score"`         // its best page's
	MatchedPages   int                   `json:"matched_pages"` // all its matching pages
	Hits           []PageHit             `json:"hits"`
}

// PageHit is one matching page.
type PageHit struct {
	ID         string              `json:"id"` // CODE/docID/pN
	DocumentID string              `json:"document_id"`
	Kind       domain.DocumentKind `json:"kind"`
	Title      string              `json:"title,omitempty"`
	Date       domain.Date         `json:"date,omitzero"`
	Page       int                 `json:"page"`
	TextKey    string              `json:"text_key,omitempty"` // to load the OCRResult for Boxes
	Score      float64             `json:"score"`
	// Snippets are fragments of the page text with the matched words in
	// <mark>…</mark>; everything else is HTML-escaped.
	Snippets []string `json:"snippets,omitempty"`
	// Terms are the matched words' byte offsets in the page text.
	Terms []TermLoc `json:"terms,omitempty"`
}

// TermLoc is a matched word: bytes [Start, End) of the page text.
type TermLoc struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// FacetCount is one facet value and its number of dossiers.
type FacetCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

const (
	defaultLimit   = 20
	maxLimit       = 1000
	defaultPerDoss = 3
	maxFacetTerms  = 1 << 24
	codeFacet      = "codes"
)

func (r Request) normalize() (Request, error) {
	if !r.Clearance.Valid() {
		return r, fmt.Errorf("%w: %q", ErrClearance, r.Clearance)
	}
	if r.Limit <= 0 {
		r.Limit = defaultLimit
	}
	r.Limit = min(r.Limit, maxLimit)
	r.Offset = max(r.Offset, 0)
	if r.HitsPerDossier <= 0 {
		r.HitsPerDossier = defaultPerDoss
	}
	switch r.Sort {
	case "":
		r.Sort = SortRelevance
	case SortRelevance, SortCode, SortDate, SortDateDesc:
	default:
		return r, fmt.Errorf("%w: unknown sort %q (want relevance, code, date or -date)", ErrQuery, r.Sort)
	}
	return r, nil
}

// Search runs req. Results are grouped by dossier; see Request and Response.
// Errors: ErrQuery (with a *qparse.Error naming the column), ErrClearance,
// ErrClosed.
func (ix *Index) Search(ctx context.Context, req Request) (*Response, error) {
	start := time.Now()
	req, err := req.normalize()
	if err != nil {
		return nil, err
	}
	pq, err := qparse.Parse(req.Query)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrQuery, err)
	}
	bi, snap, done, err := ix.engineSnapshot("search")
	if err != nil {
		return nil, err
	}
	defer done()
	s := &searchRun{ix: ix, bi: bi, snap: snap, req: req, comp: &compiler{an: ix.text}}
	resp, fuzzyable, err := s.run(ctx, pq)
	if err != nil {
		return nil, err
	}
	if resp.Total == 0 && fuzzyable {
		// the nearest spellings first: words 1 letter off, then 2 (from
		// 6 letters on) when that finds nothing
		s.comp.autoFuzzy = true
		s.comp.missing = snap.missing
		for _, edits := range []int{1, 2} {
			s.comp.maxEdits = edits
			fresp, _, err := s.run(ctx, pq)
			if err != nil {
				return nil, err
			}
			if fresp.Total > 0 {
				resp = fresp
				resp.Fuzzy = true
				break
			}
			if !s.comp.capped {
				break
			}
		}
	}
	resp.Took = time.Since(start)
	return resp, nil
}

// searchRun is one execution of a request against one engineSnap.
type searchRun struct {
	ix   *Index
	bi   bleve.Index
	snap *engineSnap
	req  Request
	comp *compiler
	plan *plan
}

func (s *searchRun) run(ctx context.Context, pq *qparse.Query) (*Response, bool, error) {
	p, err := s.comp.compile(pq, s.req.Clearance)
	if err != nil {
		var pe *qparse.Error
		if errors.As(err, &pe) {
			return nil, false, fmt.Errorf("%w: %w", ErrQuery, err)
		}
		return nil, false, err
	}
	s.plan = p
	results, err := s.snap.run(ctx, p, s.req)
	if err != nil {
		if errors.Is(err, ErrQuery) {
			return nil, false, err
		}
		if tooComplex(err) {
			return nil, false, fmt.Errorf("%w: a word with * or ~ is too long or intricate to match (%v)", ErrQuery, err)
		}
		return nil, false, fmt.Errorf("search: %w", err)
	}
	g, err := groupResults(s.snap, results, s.req)
	if err != nil {
		return nil, false, fmt.Errorf("search: %w", err)
	}
	resp := &Response{Total: g.total, TotalPages: g.pages, Dossiers: []DossierHit{}}
	if s.req.Facets {
		if resp.Facets, err = facetCounts(s.snap, results, cachesFor(s.ix, s.bi)); err != nil {
			return nil, false, fmt.Errorf("search: %w", err)
		}
	}
	if len(g.selected) == 0 {
		return resp, p.fuzzyable, nil
	}
	if resp.Dossiers, err = s.details(ctx, g); err != nil {
		return nil, false, err
	}
	return resp, p.fuzzyable, nil
}

// details loads the stored fields of the shown pages only, and finds their
// matched words.
func (s *searchRun) details(ctx context.Context, g *grouped) ([]DossierHit, error) {
	var ids []string
	for _, d := range g.selected {
		for _, h := range d.hits {
			ids = append(ids, h.id)
		}
	}
	loc := newLocator(s.plan)
	dq := query.NewDocIDQuery(ids)
	req := bleve.NewSearchRequestOptions(dq, len(ids), 0, false)
	req.Fields = storedFields
	req.Score = "none"
	res, err := s.bi.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("search: %w", mapErr(err))
	}
	byID := make(map[string]*search.DocumentMatch, len(res.Hits))
	for _, h := range res.Hits {
		byID[h.ID] = h
	}
	// the shown pages' matched words and snippets (their text analyzed
	// again), on every core
	type job struct {
		h     *search.DocumentMatch
		score float64
		out   PageHit
	}
	jobs := make([][]job, len(g.selected))
	var all []*job
	for i, d := range g.selected {
		for _, hit := range d.hits {
			if h := byID[hit.id]; h != nil { // (else deleted meanwhile)
				jobs[i] = append(jobs[i], job{h: h, score: float64(hit.score)})
			}
		}
		for k := range jobs[i] {
			all = append(all, &jobs[i][k])
		}
	}
	next := make(chan *job, len(all))
	for _, j := range all {
		next <- j
	}
	close(next)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(all)) {
		wg.Go(func() {
			for j := range next {
				j.out = pageHit(j.h, j.score, loc)
			}
		})
	}
	wg.Wait()
	out := make([]DossierHit, 0, len(g.selected))
	for i, d := range g.selected {
		dh := DossierHit{Code: d.code, Score: float64(d.best), MatchedPages: d.pages, Hits: []PageHit{}}
		for _, j := range jobs[i] {
			if dh.Subject == "" {
				dh.Subject, _ = j.h.Fields[fName].(string)
				dh.Unit, _ = j.h.Fields[fUnit].(string)
				c, _ := j.h.Fields[fClass].(string)
				dh.Classification = domain.Classification(c)
			}
			dh.Hits = append(dh.Hits, j.out)
		}
		out = append(out, dh)
	}
	return out, nil
}

func pageHit(h *search.DocumentMatch, score float64, loc *locator) PageHit {
	str := func(f string) string { s, _ := h.Fields[f].(string); return s }
	num := func(f string) int { n, _ := h.Fields[f].(float64); return int(n) }
	ph := PageHit{
		ID: h.ID, DocumentID: str(fDoc), Kind: domain.DocumentKind(str(fKind)), Title: str(fTitle),
		Date: parseStoredDate(h.Fields[fDate]), Page: num(fPage), TextKey: str(fTextKey), Score: score,
	}
	text := str(fText)
	ph.Terms = loc.locate(text)
	ph.Snippets = snippets(text, ph.Terms, snippetCount, snippetBytes)
	return ph
}

// facetCounts counts the matching dossiers per value of each facet, most
// dossiers first, then by value.
func facetCounts(snap *engineSnap, results []*segEval, c *caches) (map[string][]FacetCount, error) {
	out := make(map[string][]FacetCount, len(facetNames))
	ndossiers := len(c.codes.list())
	words := (ndossiers + 63) / 64
	for _, name := range facetNames {
		values := c.facetTable(name)
		seen := map[uint32][]uint64{} // value -> bitset of dossiers
		for _, r := range results {
			if len(r.docs) == 0 {
				continue
			}
			dossiers, err := r.sv.cache.dossiers(r.sv.seg, c.codes)
			if err != nil {
				return nil, err
			}
			vals, err := r.sv.cache.facet(r.sv.seg, name, values)
			if err != nil {
				return nil, err
			}
			for _, d := range r.docs {
				v, o := vals[d], dossiers[d]
				if v == noOrd || o == noOrd || int(o) >= ndossiers {
					continue
				}
				bs := seen[v]
				if bs == nil {
					bs = make([]uint64, words)
					seen[v] = bs
				}
				bs[o/64] |= 1 << (o % 64)
			}
		}
		names := values.list()
		list := make([]FacetCount, 0, len(seen))
		for v, bs := range seen {
			n := 0
			for _, w := range bs {
				n += bits.OnesCount64(w)
			}
			list = append(list, FacetCount{Value: names[v], Count: n})
		}
		sort.Slice(list, func(i, j int) bool {
			if list[i].Count != list[j].Count {
				return list[i].Count > list[j].Count
			}
			return list[i].Value < list[j].Value
		})
		out[name] = list
	}
	return out, nil
}
