package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
// keeps, in memory, the flagged pages of every dossier (a few bytes each,
// and only flagged pages). The first request walks every manifest once;
// later requests read the store's change journal from where the last one
// stopped (minus a lookback for writers with skewed clocks, as the index
// follower does) and reload only the dossiers committed since, so a request
// costs O(new commits). Clearance is applied per request.

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
	items, err := a.review.items(ctx)
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

// reviewLookback is how far before its cursor the queue re-reads the journal.
const reviewLookback = 2 * time.Minute

// reviewCache holds the flagged pages of every dossier.
type reviewCache struct {
	arch *archive.Archive
	log  *slog.Logger

	mu       sync.Mutex // serializes refreshes
	built    bool
	cursor   time.Time
	versions map[string]int          // code -> manifest version held
	pages    map[string][]ReviewItem // code -> its flagged pages
}

func newReviewCache(arch *archive.Archive, log *slog.Logger) *reviewCache {
	return &reviewCache{arch: arch, log: log, versions: map[string]int{}, pages: map[string][]ReviewItem{}}
}

// items refreshes the cache and returns every flagged page, lowest
// confidence first (then code, document, page).
func (c *reviewCache) items(ctx context.Context) ([]ReviewItem, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.refresh(ctx); err != nil {
		return nil, err
	}
	var out []ReviewItem
	for _, items := range c.pages {
		out = append(out, items...)
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

func (c *reviewCache) refresh(ctx context.Context) error {
	start := time.Now().UTC()
	changed := map[string]int{} // code -> newest version named
	if !c.built {
		for ref, err := range c.arch.Dossiers(ctx) {
			if err != nil {
				return fmt.Errorf("review queue: list dossiers: %w", err)
			}
			changed[ref.Code] = ref.Version
		}
	} else {
		for e, err := range c.arch.Journal(ctx, archive.JournalCursor(c.cursor.Add(-reviewLookback))) {
			if err != nil {
				return fmt.Errorf("review queue: read journal: %w", err)
			}
			if e.Version > c.versions[e.Code] && e.Version > changed[e.Code] {
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
func (c *reviewCache) load(ctx context.Context, changed map[string]int) error {
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
				return fmt.Errorf("review queue: %w", err) // the cursor stays: retried next time
			}
			items := flaggedPages(d)
			mu.Lock()
			c.versions[code] = d.Version
			if len(items) > 0 {
				c.pages[code] = items
			} else {
				delete(c.pages, code)
			}
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
