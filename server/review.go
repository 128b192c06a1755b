package server

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"hoso/archive"
	"hoso/auth"
	"hoso/domain"
)

// The review queue lists pages flagged low-confidence that no person has
// corrected, lowest mean confidence first.
//
// It is built from the manifests, not the index: the index stores a page's
// confidence but cannot sort on it, and its hits do not return it, so an
// index query would still need every candidate's manifest. Instead the App
// keeps a catalog in memory: for every dossier its current version, its
// level, and its flagged pages (a few bytes per dossier, plus the flagged
// pages). It is first filled by walking every manifest once (in the
// background from Start, or on first use); later uses read the store's
// change journal from where the last one stopped (minus a lookback for
// writers with skewed clocks, as the index follower does) and reload only
// the dossiers committed since, so a use costs O(new commits). Clearance is
// applied per request. The job views use the same catalog for the current
// level of the dossiers a job names.

// ReviewItem is a page waiting for review. It carries no page text.
type ReviewItem struct {
	Code           string              `json:"code"`
	Subject        string              `json:"subject"`
	DocumentID     string              `json:"document_id"`
	Kind           domain.DocumentKind `json:"kind"`
	Title          string              `json:"title,omitempty"`
	Page           int                 `json:"page"`
	MeanConfidence float64             `json:"mean_confidence"`
	Flags          []string            `json:"flags"`

	level domain.Classification // effective level of the document
}

// ReviewPage is one page of the review queue.
type ReviewPage struct {
	Total  int          `json:"total"`
	Offset int          `json:"offset"`
	Limit  int          `json:"limit"`
	Items  []ReviewItem `json:"items"`
}

// ReviewQueue returns items offset..offset+limit of the pages awaiting
// review that who is cleared for (permission CorrectText). limit 0 means
// 50; at most 500. Errors: ErrForbidden, ErrInvalid, ErrAudit.
func (a *App) ReviewQueue(ctx context.Context, who Actor, offset, limit int) (*ReviewPage, error) {
	e := auditEvent{Action: ActionReview, Target: "review"}
	if err := require(who, auth.CorrectText); err != nil {
		return nil, a.denied(ctx, who, e.Action, e.Target, err)
	}
	if limit == 0 {
		limit = 50
	}
	if offset < 0 || limit < 1 || limit > 500 {
		return nil, fmt.Errorf("%w: offset must be >= 0 and limit 1-500", ErrInvalid)
	}
	items, err := a.catalog.items(ctx)
	if err != nil {
		return nil, err
	}
	var visible []ReviewItem
	for _, it := range items {
		if who.User.Allows(it.level) {
			visible = append(visible, it)
		}
	}
	out := &ReviewPage{Total: len(visible), Offset: offset, Limit: limit, Items: []ReviewItem{}}
	if offset < len(visible) {
		out.Items = visible[offset:min(len(visible), offset+limit)]
	}
	e.Outcome, e.Detail = outcomeOK, fmt.Sprintf("pages=%d offset=%d", out.Total, offset)
	if err := a.record(ctx, who, e); err != nil {
		return nil, err
	}
	return out, nil
}

// catalogLookback is how far before its cursor the catalog re-reads the journal.
const catalogLookback = 2 * time.Minute

// catalog holds, for every dossier, what the review queue and the job
// views need (see above).
type catalog struct {
	arch *archive.Archive

	mu       sync.Mutex // serializes refreshes
	built    bool
	cursor   time.Time
	dossiers map[string]catalogEntry
}

type catalogEntry struct {
	version int
	level   domain.Classification
	flagged []ReviewItem
}

func newCatalog(arch *archive.Archive) *catalog {
	return &catalog{arch: arch, dossiers: map[string]catalogEntry{}}
}

// items refreshes the catalog and returns every flagged page, lowest
// confidence first (then code, document, page).
func (c *catalog) items(ctx context.Context) ([]ReviewItem, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.refresh(ctx); err != nil {
		return nil, err
	}
	var out []ReviewItem
	for _, e := range c.dossiers {
		out = append(out, e.flagged...)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.MeanConfidence != b.MeanConfidence:
			return a.MeanConfidence < b.MeanConfidence
		case a.Code != b.Code:
			return a.Code < b.Code
		case a.DocumentID != b.DocumentID:
			return a.DocumentID < b.DocumentID
		}
		return a.Page < b.Page
	})
	return out, nil
}

// levels refreshes the catalog and returns the current level of each of
// codes that exists.
func (c *catalog) levels(ctx context.Context, codes []string) (map[string]domain.Classification, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.refresh(ctx); err != nil {
		return nil, err
	}
	out := make(map[string]domain.Classification, len(codes))
	for _, code := range codes {
		if e, ok := c.dossiers[code]; ok {
			out[code] = e.level
		}
	}
	return out, nil
}

func (c *catalog) refresh(ctx context.Context) error {
	start := time.Now().UTC()
	changed := map[string]int{} // code -> newest version named
	if !c.built {
		for ref, err := range c.arch.Dossiers(ctx) {
			if err != nil {
				return fmt.Errorf("catalog: list dossiers: %w", err)
			}
			changed[ref.Code] = ref.Version
		}
	} else {
		for e, err := range c.arch.Journal(ctx, archive.JournalCursor(c.cursor.Add(-catalogLookback))) {
			if err != nil {
				return fmt.Errorf("catalog: read journal: %w", err)
			}
			if e.Version > c.dossiers[e.Code].version && e.Version > changed[e.Code] {
				changed[e.Code] = e.Version
			}
			if e.Time.After(start) {
				start = e.Time
			}
		}
	}
	if err := c.load(ctx, changed); err != nil {
		return err
	}
	c.built, c.cursor = true, start
	return nil
}

// load reads the current manifests of the changed dossiers.
func (c *catalog) load(ctx context.Context, changed map[string]int) error {
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for code := range changed {
		g.Go(func() error {
			d, err := c.arch.Load(gctx, code)
			if errors.Is(err, archive.ErrNoDossier) {
				return nil // a journal entry of a commit that never completed
			}
			if err != nil {
				return fmt.Errorf("catalog: %w", err) // the cursor stays: retried next time
			}
			mu.Lock()
			c.dossiers[code] = catalogEntry{version: d.Version, level: d.Classification, flagged: flaggedPages(d)}
			mu.Unlock()
			return nil
		})
	}
	return g.Wait()
}

func flaggedPages(d *domain.Dossier) []ReviewItem {
	var out []ReviewItem
	for _, doc := range d.Documents {
		for _, p := range doc.Pages {
			if p.HasFlag(domain.FlagLowConfidence) && !p.HasFlag(domain.FlagCorrected) {
				out = append(out, ReviewItem{Code: d.Code, Subject: d.Subject.FullName, DocumentID: doc.ID, Kind: doc.Kind,
					Title: doc.Title, Page: p.Number, MeanConfidence: p.MeanConfidence, Flags: append([]string{}, p.Flags...),
					level: d.Effective(&doc)})
			}
		}
	}
	return out
}
