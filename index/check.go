package index

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/blevesearch/bleve/v2"

	"hoso/archive"
)

// Health compares the index with the store.
type Health struct {
	StoreDossiers   int // dossiers in the store
	IndexedDossiers int // dossiers the index holds a version of
	IndexPages      int // pages in the index
	ExpectedPages   int // pages the index should hold for the dossiers it has at their current version
	// Codes (at most 20 of each, sorted) of dossiers that are missing from
	// the index, indexed at an older version than the store's, present in
	// the index but not the store, or whose indexed pages do not match the
	// count recorded with their version (damaged).
	Missing, Stale, Extra, Damaged []string
	// Counts of the same (the lists above are truncated).
	NumMissing, NumStale, NumExtra, NumDamaged int
	// Empty is true when the index holds nothing while the store has
	// dossiers: a deleted, new or damaged index (scorch opens an index whose
	// files are damaged as empty, without an error).
	Empty bool
	OK    bool
}

const maxHealthCodes = 20

// Check compares the index with the store's current manifests: every
// dossier's indexed version against the store's (a listing, no manifest is
// read), and the pages the index holds per dossier against the count
// recorded when it was indexed. When they disagree it returns the Health and
// an error wrapping ErrOutOfSync; CatchUp repairs missing and stale
// dossiers, Rebuild repairs anything.
func (ix *Index) Check(ctx context.Context, arch *archive.Archive) (Health, error) {
	bi, release, err := ix.acquire()
	if err != nil {
		return Health{}, err
	}
	defer release()
	var h Health
	perCode, total, err := pagesPerCode(ctx, cachesFor(ix, bi), bi)
	if err != nil {
		return h, err
	}
	h.IndexPages = total
	records, err := allIndexed(bi)
	if err != nil {
		return h, fmt.Errorf("check: %w", err)
	}
	var missing, stale, damaged []string
	inStore := map[string]bool{}
	for ref, err := range arch.Dossiers(ctx) {
		if err != nil {
			return h, fmt.Errorf("check: list dossiers: %w", err)
		}
		h.StoreDossiers++
		inStore[ref.Code] = true
		v, ok := records[ref.Code]
		if !ok {
			// indexed without pages, or not at all
			if v, err = indexedOf(bi, ref.Code); err != nil {
				return h, fmt.Errorf("check: %w", err)
			}
		}
		switch {
		case v.Version == 0:
			missing = append(missing, ref.Code)
			continue
		case v.Version < ref.Version:
			stale = append(stale, ref.Code)
		}
		h.IndexedDossiers++
		h.ExpectedPages += v.Pages
		if perCode[ref.Code] != v.Pages {
			damaged = append(damaged, ref.Code)
		}
	}
	var extra []string
	for code := range perCode {
		if !inStore[code] {
			extra = append(extra, code)
		}
	}
	h.NumMissing, h.Missing = len(missing), firstCodes(missing)
	h.NumStale, h.Stale = len(stale), firstCodes(stale)
	h.NumExtra, h.Extra = len(extra), firstCodes(extra)
	h.NumDamaged, h.Damaged = len(damaged), firstCodes(damaged)
	h.Empty = total == 0 && h.IndexedDossiers == 0 && h.StoreDossiers > 0
	h.OK = h.NumMissing+h.NumStale+h.NumExtra+h.NumDamaged == 0
	if !h.OK {
		return h, fmt.Errorf("%w: %s", ErrOutOfSync, h.summary())
	}
	return h, nil
}

func (h Health) summary() string {
	var parts []string
	if h.Empty {
		parts = append(parts, fmt.Sprintf("index is empty but the store has %d dossiers", h.StoreDossiers))
	}
	for _, p := range []struct {
		n    int
		what string
	}{{h.NumMissing, "missing"}, {h.NumStale, "stale"}, {h.NumExtra, "not in the store"}, {h.NumDamaged, "with wrong page counts"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d dossiers %s", p.n, p.what))
		}
	}
	return strings.Join(parts, ", ")
}

func firstCodes(c []string) []string {
	sort.Strings(c)
	if len(c) > maxHealthCodes {
		c = c[:maxHealthCodes]
	}
	return c
}

// pagesPerCode counts the index's pages per dossier code (from the
// engine's per-segment tables, without visiting the pages).
func pagesPerCode(ctx context.Context, c *caches, bi bleve.Index) (map[string]int, int, error) {
	snap, err := c.openSnapshot(bi)
	if err != nil {
		return nil, 0, fmt.Errorf("check: %w", err)
	}
	defer snap.Close()
	counts := map[uint32]int{}
	total := 0
	for _, sv := range snap.segs {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		dt, err := sv.cache.dossiers(sv.seg, c.codes)
		if err != nil {
			return nil, 0, fmt.Errorf("check: %w", err)
		}
		for d, o := range dt {
			if o == noOrd || (sv.deleted != nil && sv.deleted.Contains(uint32(d))) {
				continue
			}
			counts[o]++
			total++
		}
	}
	names := c.codes.list()
	out := make(map[string]int, len(counts))
	for o, n := range counts {
		out[names[o]] = n
	}
	return out, total, nil
}
