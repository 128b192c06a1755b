package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"hoso/auth"
	"hoso/domain"
	"hoso/index"
	"hoso/storage"
)

// SearchRequest is a search; Query uses the language of package qparse.
type SearchRequest struct {
	Query  string
	Offset int
	Limit  int    // dossiers per page: 1-MaxSearchLimit (0 = 20)
	Sort   string // relevance (default), code, date, -date
	Facets bool
	// HitsPerDossier is the number of matching pages shown per dossier
	// (0 = 3, at most 10).
	HitsPerDossier int
}

// MaxSearchLimit is the most dossiers one page of results holds.
const MaxSearchLimit = 100

// SearchResult is one page of search results, grouped by dossier. Every
// count and facet covers only what the user is cleared for.
type SearchResult struct {
	Query      string                        `json:"query"`
	Total      int                           `json:"total"`       // matching dossiers
	TotalPages int                           `json:"total_pages"` // matching pages
	Offset     int                           `json:"offset"`
	Limit      int                           `json:"limit"`
	Fuzzy      bool                          `json:"fuzzy"`
	Dossiers   []SearchDossier               `json:"dossiers"`
	Facets     map[string][]index.FacetCount `json:"facets,omitempty"`
}

// SearchDossier is a matching dossier with its best matching pages.
type SearchDossier struct {
	Code           string                `json:"code"`
	Subject        string                `json:"subject"`
	Unit           string                `json:"unit,omitempty"`
	Classification domain.Classification `json:"classification"`
	Score          float64               `json:"score"`
	MatchedPages   int                   `json:"matched_pages"`
	Hits           []SearchHit           `json:"hits"`
}

// SearchHit is a matching page: where it is, snippets with the matched
// words in <mark> (everything else HTML-escaped), and the boxes of the
// matched words on the page image (pixels of an image Width x Height).
type SearchHit struct {
	DocumentID string              `json:"document_id"`
	Kind       domain.DocumentKind `json:"kind"`
	Title      string              `json:"title,omitempty"`
	Date       domain.Date         `json:"date,omitzero"`
	Page       int                 `json:"page"`
	Score      float64             `json:"score"`
	Snippets   []string            `json:"snippets"`
	Width      int                 `json:"width"`
	Height     int                 `json:"height"`
	Boxes      []Box               `json:"boxes"`
}

// Box is a matched word's box on the page image.
type Box struct {
	Text string `json:"t"`
	X0   int    `json:"x0"`
	Y0   int    `json:"y0"`
	X1   int    `json:"x1"`
	Y1   int    `json:"y1"`
}

// Search runs req with who's clearance (permission Search) and audits the
// query with its result count. Errors: ErrForbidden, ErrBadQuery,
// ErrInvalid, ErrAudit, and index.ErrOutOfSync while the index is damaged
// or being filled from the store (see searchReady).
func (a *App) Search(ctx context.Context, who Actor, req SearchRequest) (*SearchResult, error) {
	e := auditEvent{Action: ActionSearch, Target: req.Query}
	if err := require(who, auth.Search); err != nil {
		return nil, a.denied(ctx, who, e.Action, e.Target, err)
	}
	if req.Limit == 0 {
		req.Limit = 20
	}
	if req.Limit < 1 || req.Limit > MaxSearchLimit || req.Offset < 0 || req.HitsPerDossier < 0 || req.HitsPerDossier > 10 {
		e.Outcome = outcomeInvalid
		return nil, a.recordAfter(ctx, who, e, fmt.Errorf("%w: limit must be 1-%d, offset >= 0, hits 0-10", ErrInvalid, MaxSearchLimit))
	}
	if err := a.searchReady(ctx); err != nil {
		return nil, err
	}
	resp, err := a.ix.Search(ctx, index.Request{Query: req.Query, Clearance: who.User.Clearance, Offset: req.Offset,
		Limit: req.Limit, Sort: req.Sort, HitsPerDossier: req.HitsPerDossier, Facets: req.Facets})
	if errors.Is(err, index.ErrQuery) {
		e.Outcome, e.Detail = outcomeInvalid, err.Error()
		return nil, a.recordAfter(ctx, who, e, fmt.Errorf("%w: %s", ErrBadQuery, strings.TrimPrefix(err.Error(), index.ErrQuery.Error()+": ")))
	}
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	out := &SearchResult{Query: req.Query, Total: resp.Total, TotalPages: resp.TotalPages, Offset: req.Offset, Limit: req.Limit,
		Fuzzy: resp.Fuzzy, Dossiers: make([]SearchDossier, len(resp.Dossiers)), Facets: resp.Facets}
	if err := a.fillHits(ctx, resp, out); err != nil {
		return nil, err
	}
	e.Outcome = outcomeOK
	e.Fields = map[string]any{"results": resp.Total, "pages": resp.TotalPages, "offset": req.Offset, "shown": len(resp.Dossiers)}
	if err := a.record(ctx, who, e); err != nil {
		return nil, err
	}
	return out, nil
}

// fillHits converts the index's dossiers and loads each hit's OCRResult to
// find the boxes of its matched words.
func (a *App) fillHits(ctx context.Context, resp *index.Response, out *SearchResult) error {
	texts := map[string]*domain.OCRResult{}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, dh := range resp.Dossiers {
		for _, h := range dh.Hits {
			if h.TextKey == "" || len(h.Terms) == 0 {
				continue
			}
			g.Go(func() error {
				res, err := a.arch.LoadText(gctx, h.TextKey)
				if errors.Is(err, storage.ErrNotExist) {
					a.log.Warn("search hit names a missing text", "text_key", h.TextKey)
					return nil
				}
				if err != nil {
					return fmt.Errorf("load text for word boxes: %w", err)
				}
				mu.Lock()
				texts[h.TextKey] = res
				mu.Unlock()
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for i, dh := range resp.Dossiers {
		sd := SearchDossier{Code: dh.Code, Subject: dh.Subject, Unit: dh.Unit, Classification: dh.Classification,
			Score: dh.Score, MatchedPages: dh.MatchedPages, Hits: make([]SearchHit, 0, len(dh.Hits))}
		for _, h := range dh.Hits {
			sh := SearchHit{DocumentID: h.DocumentID, Kind: h.Kind, Title: h.Title, Date: h.Date, Page: h.Page, Score: h.Score,
				Snippets: h.Snippets, Boxes: []Box{}}
			if sh.Snippets == nil {
				sh.Snippets = []string{}
			}
			if res := texts[h.TextKey]; res != nil {
				sh.Width, sh.Height = res.Width, res.Height
				for _, w := range index.Boxes(h, res) {
					sh.Boxes = append(sh.Boxes, Box{Text: w.Text, X0: w.X0, Y0: w.Y0, X1: w.X1, Y1: w.Y1})
				}
			}
			sd.Hits = append(sd.Hits, sh)
		}
		out.Dossiers[i] = sd
	}
	return nil
}
