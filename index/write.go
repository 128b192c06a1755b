package index

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"hoso/domain"
)

// Keys of the values this package keeps inside the bleve index.
const (
	internalVersionPrefix = "hoso/v/"     // + CODE -> "<manifest version> <page count>", for a dossier indexed without pages
	internalCursor        = "hoso/cursor" // journal time (RFC 3339, ns) followed up to
	internalBuilt         = "hoso/built"  // when Rebuild finished this index
)

// maxPagesPerDossier bounds the lookup of a dossier's indexed pages.
const maxPagesPerDossier = 1 << 20

// indexed is what the index records about one dossier.
type indexed struct {
	Version int
	Pages   int
}

func encodeIndexed(v indexed) []byte {
	return []byte(strconv.Itoa(v.Version) + " " + strconv.Itoa(v.Pages))
}

func decodeIndexed(b []byte) (indexed, bool) {
	a, c, ok := strings.Cut(string(b), " ")
	v, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(c)
	if !ok || err1 != nil || err2 != nil {
		return indexed{}, false
	}
	return indexed{Version: v, Pages: n}, true
}

// recordTerm is the fRecord term of a dossier: "CODE VERSION PAGES" (codes
// hold no spaces, so "CODE " prefixes exactly one dossier's terms).
func recordTerm(code string, v indexed) string {
	return code + " " + string(encodeIndexed(v))
}

// parseRecord splits an fRecord term.
func parseRecord(term []byte) (string, indexed, bool) {
	code, rest, ok := strings.Cut(string(term), " ")
	if !ok {
		return "", indexed{}, false
	}
	v, ok := decodeIndexed([]byte(rest))
	return code, v, ok
}

// IndexedVersion returns the manifest version of the dossier the index holds,
// or 0 when it holds none.
func (ix *Index) IndexedVersion(code string) (int, error) {
	bi, release, err := ix.acquire()
	if err != nil {
		return 0, err
	}
	defer release()
	v, err := indexedOf(bi, code)
	return v.Version, err
}

// indexedOf returns what the index records about the dossier code: the
// fRecord term of its live representative page, or for a dossier indexed
// without pages its internal value.
func indexedOf(bi bleve.Index, code string) (indexed, error) {
	var v indexed
	prefix := code + " "
	end := code + "!" // '!' follows ' '
	err := liveTerms(bi, fRecord, []byte(prefix), []byte(end), func(term []byte) {
		if c, r, ok := parseRecord(term); ok && c == code && r.Version > v.Version {
			v = r
		}
	})
	if err != nil || v.Version > 0 {
		return v, err
	}
	b, err := bi.GetInternal([]byte(internalVersionPrefix + code))
	if err != nil {
		return indexed{}, mapErr(err)
	}
	v, _ = decodeIndexed(b)
	return v, nil
}

// allIndexed returns the records of every dossier indexed with pages.
func allIndexed(bi bleve.Index) (map[string]indexed, error) {
	out := map[string]indexed{}
	err := liveTerms(bi, fRecord, nil, nil, func(term []byte) {
		if c, r, ok := parseRecord(term); ok && r.Version > out[c].Version {
			out[c] = r
		}
	})
	return out, err
}

// liveTerms calls fn with each term of field in [start, end) (nil: open)
// held by a page that is not deleted, once per segment holding it.
func liveTerms(bi bleve.Index, field string, start, end []byte, fn func(term []byte)) error {
	is, err := scorchSnapshot(bi)
	if err != nil {
		return err
	}
	defer is.Close()
	for _, ss := range is.Segments() {
		del := ss.Deleted()
		err := visitTerms(ss.Segment(), field, start, end, func(term []byte, bm *roaring.Bitmap) {
			if del == nil || del.IsEmpty() || roaring.AndNot(bm, del).GetCardinality() > 0 {
				fn(term)
			}
		})
		if err != nil {
			return mapErr(err)
		}
	}
	return nil
}

// IndexDossier replaces every page of the dossier in the index with the pages
// of d, in one batch: pages of documents or pages no longer in d are
// deleted, and d.Version is recorded as the indexed version. Each page's Text
// must be filled in by the caller (nil indexes the page without text). It is
// safe to call concurrently with searches.
func (ix *Index) IndexDossier(ctx context.Context, d *domain.Dossier) error {
	w := ix.NewIndexer()
	if err := w.Add(ctx, d); err != nil {
		return err
	}
	return w.Flush(ctx)
}

// DeleteDossier removes every page of the dossier and its recorded version.
func (ix *Index) DeleteDossier(ctx context.Context, code string) error {
	w := ix.NewIndexer()
	if err := w.delete(ctx, code); err != nil {
		return err
	}
	return w.Flush(ctx)
}

// Indexer batches dossiers for bulk indexing: Add queues a dossier's pages
// and flushes a batch whenever it reaches Config.BatchSize pages; Flush
// writes what is queued. A dossier's pages and its recorded version always go
// in the same batch, so an index closed or killed before Flush simply lacks
// the dossier (CatchUp adds it again). An Indexer is not safe for concurrent
// use; several Indexers on one Index are.
type Indexer struct {
	ix      *Index
	target  bleve.Index // nil: the Index's active bleve index at each use
	fresh   bool        // target holds no pages of the dossiers added
	batch   *bleve.Batch
	pending map[string]bool
	ops     int
}

// NewIndexer returns an Indexer writing to ix.
func (ix *Index) NewIndexer() *Indexer {
	return &Indexer{ix: ix, pending: map[string]bool{}}
}

// withIndex runs fn with the bleve index written to.
func (w *Indexer) withIndex(fn func(bleve.Index) error) error {
	if w.target != nil {
		return fn(w.target)
	}
	bi, release, err := w.ix.acquire()
	if err != nil {
		return err
	}
	defer release()
	return fn(bi)
}

// Add queues every page of d, replacing whatever the index holds for d.Code.
// Errors from a flush it triggers are returned.
func (w *Indexer) Add(ctx context.Context, d *domain.Dossier) error {
	if d == nil || d.Code == "" {
		return fmt.Errorf("index dossier: no code")
	}
	if w.pending[d.Code] {
		// an earlier version is in the unflushed batch: flush it so the
		// lookup below sees its pages
		if err := w.Flush(ctx); err != nil {
			return err
		}
	}
	keep := make(map[string]bool, d.PageCount())
	for i := range d.Documents {
		for _, p := range d.Documents[i].Pages {
			keep[pageID(d.Code, d.Documents[i].ID, p.Number)] = true
		}
	}
	rec := indexed{Version: d.Version, Pages: len(keep)}
	var old []string
	if !w.fresh {
		var err error
		if old, err = w.pageIDs(ctx, d.Code); err != nil {
			return fmt.Errorf("index dossier %s: %w", d.Code, err)
		}
	}
	b, err := w.ensureBatch()
	if err != nil {
		return fmt.Errorf("index dossier %s: %w", d.Code, err)
	}
	term := recordTerm(d.Code, rec)
	for i := range d.Documents {
		doc := &d.Documents[i]
		for j := range doc.Pages {
			p := &doc.Pages[j]
			if err := b.IndexAdvanced(pageDocument(d, doc, p, term)); err != nil {
				return fmt.Errorf("index dossier %s page %s: %w", d.Code, pageID(d.Code, doc.ID, p.Number), mapErr(err))
			}
			w.ops++
		}
	}
	for _, id := range old {
		if !keep[id] {
			b.Delete(id)
			w.ops++
		}
	}
	// the record goes with the representative page (fRecord); a dossier
	// without pages has none, so its record is an internal value
	switch {
	case len(keep) == 0:
		b.SetInternal([]byte(internalVersionPrefix+d.Code), encodeIndexed(rec))
	case !w.fresh:
		b.DeleteInternal([]byte(internalVersionPrefix + d.Code))
	}
	w.pending[d.Code] = true
	if w.ops >= w.ix.cfg.BatchSize {
		return w.Flush(ctx)
	}
	return nil
}

// delete queues the removal of every page of code and of its version.
func (w *Indexer) delete(ctx context.Context, code string) error {
	if w.pending[code] {
		if err := w.Flush(ctx); err != nil {
			return err
		}
	}
	old, err := w.pageIDs(ctx, code)
	if err != nil {
		return fmt.Errorf("delete dossier %s: %w", code, err)
	}
	b, err := w.ensureBatch()
	if err != nil {
		return fmt.Errorf("delete dossier %s: %w", code, err)
	}
	for _, id := range old {
		b.Delete(id)
		w.ops++
	}
	b.DeleteInternal([]byte(internalVersionPrefix + code))
	w.pending[code] = true
	return nil
}

func (w *Indexer) ensureBatch() (*bleve.Batch, error) {
	if w.batch != nil {
		return w.batch, nil
	}
	err := w.withIndex(func(bi bleve.Index) error {
		w.batch = bi.NewBatch()
		return nil
	})
	return w.batch, err
}

// Pending returns the number of queued operations.
func (w *Indexer) Pending() int { return w.ops }

// Flush writes the queued batch. It holds the Index's write lock meanwhile.
func (w *Indexer) Flush(ctx context.Context) error {
	if w.batch == nil || (w.ops == 0 && len(w.pending) == 0) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if w.target == nil {
		w.ix.wmu.Lock()
		defer w.ix.wmu.Unlock()
	}
	err := w.withIndex(func(bi bleve.Index) error { return bi.Batch(w.batch) })
	if err != nil && w.target == nil && !errors.Is(err, ErrDamaged) && !errors.Is(err, ErrClosed) {
		// The batch may have been half applied in memory and not persisted
		// (folder deleted, disk full): scorch then panics on later
		// searches, so the index is refused until rebuilt.
		w.ix.markBroken(err)
	}
	if err != nil {
		return fmt.Errorf("index batch: %w", mapErr(err))
	}
	// a new batch rather than Reset: scorch may still be ranging over the
	// old batch's map in a goroutine when Batch returns (a data race the
	// race detector reports in bleve v2.6.3)
	w.batch = nil
	w.ops = 0
	clear(w.pending)
	return nil
}

// pageIDs returns the ids of the pages the index holds for a dossier.
func (w *Indexer) pageIDs(ctx context.Context, code string) ([]string, error) {
	var ids []string
	err := w.withIndex(func(bi bleve.Index) error {
		q := query.NewTermQuery(code)
		q.SetField(fCode)
		req := bleve.NewSearchRequestOptions(q, maxPagesPerDossier, 0, false)
		req.Score = "none"
		res, err := bi.SearchInContext(ctx, req)
		if err != nil {
			return mapErr(err)
		}
		for _, h := range res.Hits {
			ids = append(ids, h.ID)
		}
		return nil
	})
	return ids, err
}
