package index

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
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
	// the automatic fuzzy retry (words within 1-2 letters).
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
	bi, release, err := ix.acquire()
	if err != nil {
		return nil, err
	}
	defer release()
	s := &searchRun{bi: bi, req: req, comp: &compiler{an: ix.text}}
	resp, fuzzyable, err := s.run(ctx, pq)
	if err != nil {
		return nil, err
	}
	if resp.Total == 0 && fuzzyable {
		s.comp.autoFuzzy = true
		fresp, _, err := s.run(ctx, pq)
		if err != nil {
			return nil, err
		}
		if fresp.Total > 0 {
			resp = fresp
			resp.Fuzzy = true
		}
	}
	resp.Took = time.Since(start)
	return resp, nil
}

// searchRun is one execution of a request against one bleve index.
type searchRun struct {
	bi   bleve.Index
	req  Request
	comp *compiler
	q    query.Query
}

// filter returns q with a zero boost: it restricts without changing scores.
func filter(q interface{ SetBoost(float64) }) {
	q.SetBoost(0)
}

// build makes the bleve query: the clauses ANDed with the clearance filter.
func (s *searchRun) build(pq *qparse.Query) (bool, error) {
	c, err := s.comp.compile(pq)
	if err != nil {
		var pe *qparse.Error
		if errors.As(err, &pe) {
			return false, fmt.Errorf("%w: %w", ErrQuery, err)
		}
		return false, err
	}
	level := levelQuery(s.req.Clearance)
	must := append([]query.Query{level}, c.must...)
	if len(c.must) == 0 {
		must = append(must, query.NewMatchAllQuery()) // keeps a non-zero query norm
	}
	s.q = query.NewBooleanQuery(must, c.should, c.mustNot)
	return c.fuzzyable, nil
}

// levelQuery matches the pages a reader with clearance c may see: effective
// level at most c's, as a zero-boost filter.
func levelQuery(c domain.Classification) query.Query {
	var qs []query.Query
	for l := 0; l <= c.Level(); l++ {
		t := query.NewTermQuery(strconv.Itoa(l))
		t.SetField(fLevel)
		filter(t)
		qs = append(qs, t)
	}
	q := query.NewDisjunctionQuery(qs)
	filter(q)
	return q
}

func (s *searchRun) sortOrder() []string {
	switch s.req.Sort {
	case SortCode:
		return []string{fCode, "-_score", "_id"}
	case SortDate:
		return []string{fDate, "-_score", "_id"}
	case SortDateDesc:
		return []string{"-" + fDate, "-_score", "_id"}
	}
	return []string{"-_score", fCode, "_id"}
}

func (s *searchRun) run(ctx context.Context, pq *qparse.Query) (*Response, bool, error) {
	fuzzyable, err := s.build(pq)
	if err != nil {
		return nil, false, err
	}
	g := newGrouping(s.req)
	res, err := s.firstPass(ctx, g)
	if err != nil {
		return nil, false, err
	}
	resp := &Response{Total: len(g.counts), TotalPages: int(res.Total), Dossiers: []DossierHit{}}
	if s.req.Facets {
		resp.Facets = facetCounts(res.Facets)
	}
	selected := g.selected()
	if len(selected) == 0 {
		return resp, fuzzyable, nil
	}
	if err := s.fill(ctx, g, selected); err != nil {
		return nil, false, err
	}
	if resp.Dossiers, err = s.details(ctx, g, selected); err != nil {
		return nil, false, err
	}
	return resp, fuzzyable, nil
}

// firstPass runs the query over the whole index: it counts pages per
// dossier (a terms facet on the code), computes the asked-for facets, and
// walks the top pages in sort order, collapsing them into dossiers, until
// the requested page of dossiers is known. Windows grow 4x when the first
// did not hold enough distinct dossiers.
func (s *searchRun) firstPass(ctx context.Context, g *grouping) (*bleve.SearchResult, error) {
	need := s.req.Offset + s.req.Limit
	window := max(500, need*30)
	var first *bleve.SearchResult
	for {
		req := bleve.NewSearchRequestOptions(s.q, window, 0, false)
		req.SortBy(s.sortOrder())
		if first == nil {
			req.AddFacet(codeFacet, bleve.NewFacetRequest(fCode, maxFacetTerms))
			if s.req.Facets {
				for _, f := range facetNames {
					req.AddFacet(f, bleve.NewFacetRequest(fFacetPref+f, maxFacetTerms))
				}
			}
		}
		res, err := s.bi.SearchInContext(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("search: %w", mapErr(err))
		}
		if first == nil {
			first = res
			g.setCounts(res.Facets[codeFacet])
		}
		g.reset()
		for _, h := range res.Hits {
			g.add(h.ID, h.Score)
		}
		if g.enough() || len(res.Hits) < window || uint64(window) >= res.Total {
			return first, nil
		}
		window *= 4
	}
}

// fill fetches more pages for selected dossiers that did not get
// HitsPerDossier pages in the first pass (their other pages ranked lower).
// The code filter has zero boost, so scores equal the first pass's.
func (s *searchRun) fill(ctx context.Context, g *grouping, selected []string) error {
	var codes []query.Query
	size := 0
	for _, code := range selected {
		if g.incomplete(code) {
			t := query.NewTermQuery(code)
			t.SetField(fCode)
			codes = append(codes, t)
			size += g.counts[code]
		}
	}
	if len(codes) == 0 {
		return nil
	}
	cq := query.NewDisjunctionQuery(codes)
	filter(cq)
	req := bleve.NewSearchRequestOptions(query.NewConjunctionQuery([]query.Query{s.q, cq}), size, 0, false)
	req.SortBy([]string{"-_score", "_id"})
	res, err := s.bi.SearchInContext(ctx, req)
	if err != nil {
		return fmt.Errorf("search: %w", mapErr(err))
	}
	for _, h := range res.Hits {
		g.addFill(h.ID, h.Score)
	}
	return nil
}

// details loads stored fields and term locations of the chosen pages only.
func (s *searchRun) details(ctx context.Context, g *grouping, selected []string) ([]DossierHit, error) {
	var ids []string
	for _, code := range selected {
		if a := g.pages[code]; a != nil {
			ids = append(ids, a.ids...)
		}
	}
	dq := query.NewDocIDQuery(ids)
	filter(dq)
	req := bleve.NewSearchRequestOptions(query.NewConjunctionQuery([]query.Query{s.q, dq}), len(ids), 0, false)
	req.Fields = storedFields
	req.IncludeLocations = true
	res, err := s.bi.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("search: %w", mapErr(err))
	}
	byID := make(map[string]*search.DocumentMatch, len(res.Hits))
	for _, h := range res.Hits {
		byID[h.ID] = h
	}
	out := make([]DossierHit, 0, len(selected))
	for _, code := range selected {
		acc := g.pages[code]
		if acc == nil {
			continue // its pages went away between the passes
		}
		dh := DossierHit{Code: code, Score: acc.best, MatchedPages: g.counts[code], Hits: []PageHit{}}
		for _, id := range acc.ids {
			h := byID[id]
			if h == nil {
				continue // deleted between the passes
			}
			if dh.Subject == "" {
				dh.Subject, _ = h.Fields[fName].(string)
				dh.Unit, _ = h.Fields[fUnit].(string)
				c, _ := h.Fields[fClass].(string)
				dh.Classification = domain.Classification(c)
			}
			dh.Hits = append(dh.Hits, pageHit(h, acc.scores[id]))
		}
		out = append(out, dh)
	}
	return out, nil
}

func pageHit(h *search.DocumentMatch, score float64) PageHit {
	str := func(f string) string { s, _ := h.Fields[f].(string); return s }
	num := func(f string) int { n, _ := h.Fields[f].(float64); return int(n) }
	ph := PageHit{
		ID: h.ID, DocumentID: str(fDoc), Kind: domain.DocumentKind(str(fKind)), Title: str(fTitle),
		Date: parseStoredDate(h.Fields[fDate]), Page: num(fPage), TextKey: str(fTextKey), Score: score,
	}
	text := str(fText)
	ph.Terms = termLocs(h.Locations[fText], len(text))
	ph.Snippets = snippets(text, ph.Terms, snippetCount, snippetBytes)
	return ph
}

// facetCounts turns the (value, code) facet terms into dossier counts per
// value, most dossiers first, then by value.
func facetCounts(fr search.FacetResults) map[string][]FacetCount {
	out := make(map[string][]FacetCount, len(facetNames))
	for _, name := range facetNames {
		counts := map[string]int{}
		if r := fr[name]; r != nil && r.Terms != nil {
			for _, t := range r.Terms.Terms() {
				v, _, _ := strings.Cut(t.Term, facetSep)
				counts[v]++
			}
		}
		list := make([]FacetCount, 0, len(counts))
		for v, n := range counts {
			list = append(list, FacetCount{Value: v, Count: n})
		}
		sort.Slice(list, func(i, j int) bool {
			if list[i].Count != list[j].Count {
				return list[i].Count > list[j].Count
			}
			return list[i].Value < list[j].Value
		})
		out[name] = list
	}
	return out
}
