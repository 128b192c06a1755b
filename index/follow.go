package index

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"

	"hoso/archive"
	"hoso/domain"
)

// SyncStats counts what a CatchUp or Rebuild did.
type SyncStats struct {
	Dossiers int     // dossiers (re)indexed
	Pages    int     // pages in them
	Failed   int     // dossiers that could not be loaded or indexed
	Errors   []error // the first few failures
}

const maxReportedErrors = 10

func (s *SyncStats) fail(err error) {
	s.Failed++
	if len(s.Errors) < maxReportedErrors {
		s.Errors = append(s.Errors, err)
	}
}

// CatchUp brings the index up to date with the store once; see Sync. Its
// error also reports dossiers that could not be indexed.
func (ix *Index) CatchUp(ctx context.Context, arch *archive.Archive) error {
	st, err := ix.Sync(ctx, arch)
	if err == nil && st.Failed > 0 {
		err = fmt.Errorf("catch up: %d dossiers not indexed (first: %w)", st.Failed, st.Errors[0])
	}
	return err
}

// Sync brings the index up to date with the store once and returns what
// it did. A new index (no journal cursor yet) is filled by listing every
// dossier's current version; afterwards the store's journal is read from the
// cursor minus Config.Lookback, and each dossier named there whose current
// manifest is newer than the indexed version is reloaded (manifest and page
// texts) and reindexed. Journal entries are hints: the latest manifest is
// what gets indexed, and entries naming versions that never appear are
// harmless. The cursor advances only past dossiers that were indexed, so a
// failed dossier is retried on the next call; failures are logged and
// counted, not returned: the error is for the store or index being unusable.
func (ix *Index) Sync(ctx context.Context, arch *archive.Archive) (SyncStats, error) {
	ix.cmu.Lock()
	defer ix.cmu.Unlock()
	return ix.catchUp(ctx, arch, ix.NewIndexer())
}

// Follow calls Sync every interval until ctx is cancelled, so pages
// committed by other processes become searchable within about interval. It
// returns nil when ctx is cancelled. When the index turns out damaged
// (ErrDamaged: its files were deleted or could not be written), Follow
// rebuilds it from the store.
func (ix *Index) Follow(ctx context.Context, arch *archive.Archive, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		st, err := ix.Sync(ctx, arch)
		if errors.Is(err, ErrDamaged) && ctx.Err() == nil {
			ix.log.Warn("index follow: rebuilding the damaged index from the store", logKeyErr, err)
			st, err = ix.Rebuild(ctx, arch, nil)
		}
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, ErrClosed):
			return err
		case err != nil:
			ix.log.Warn("index follow", logKeyErr, err)
		case st.Dossiers > 0 || st.Failed > 0:
			ix.log.Info("index follow", logKeyCount, st.Dossiers, "pages", st.Pages, "failed", st.Failed)
		}
		// the segments scorch made since (new pages, merges): what their
		// first searches would compute
		if ws, err := ix.Warm(ctx); err != nil && ctx.Err() == nil && !errors.Is(err, ErrClosed) {
			ix.log.Warn("index warm", logKeyErr, err)
		} else if ws.Segments > 0 || ws.Preload > 0 {
			ix.log.Debug("index warm", "segments", ws.Segments, "words", ws.Words, "names", ws.Names, "preload_bytes", ws.Preload, "took", ws.Took)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (ix *Index) catchUp(ctx context.Context, arch *archive.Archive, w *Indexer) (SyncStats, error) {
	var cursorVal []byte
	err := w.withIndex(func(bi bleve.Index) (err error) {
		cursorVal, err = bi.GetInternal([]byte(internalCursor))
		return mapErr(err)
	})
	if err != nil {
		return SyncStats{}, err
	}
	if len(cursorVal) == 0 {
		return ix.fullScan(ctx, arch, w)
	}
	cursor, err := time.Parse(time.RFC3339Nano, string(cursorVal))
	if err != nil {
		return ix.fullScan(ctx, arch, w)
	}
	latest := map[string]time.Time{} // code -> time of its newest entry
	newCursor := cursor
	for e, err := range arch.Journal(ctx, archive.JournalCursor(cursor.Add(-ix.cfg.Lookback))) {
		if err != nil {
			return SyncStats{}, fmt.Errorf("catch up: read journal: %w", err)
		}
		if e.Time.After(latest[e.Code]) {
			latest[e.Code] = e.Time
		}
		if e.Time.After(newCursor) {
			newCursor = e.Time
		}
	}
	codes := make([]string, 0, len(latest))
	for c := range latest {
		codes = append(codes, c)
	}
	st, failed, err := ix.syncCodes(ctx, arch, w, codes, nil)
	if err != nil {
		return st, err
	}
	for _, c := range failed {
		if t := latest[c].Add(-time.Nanosecond); t.Before(newCursor) {
			newCursor = t
		}
	}
	if newCursor.Before(cursor) {
		newCursor = cursor
	}
	return st, w.setCursor(newCursor)
}

// fullScan indexes every dossier whose current version is newer than the
// indexed one, then sets the journal cursor to the scan's start.
func (ix *Index) fullScan(ctx context.Context, arch *archive.Archive, w *Indexer) (SyncStats, error) {
	start := time.Now().UTC()
	var codes []string
	for ref, err := range arch.Dossiers(ctx) {
		if err != nil {
			return SyncStats{}, fmt.Errorf("catch up: list dossiers: %w", err)
		}
		codes = append(codes, ref.Code)
	}
	st, failed, err := ix.syncCodes(ctx, arch, w, codes, nil)
	if err != nil || len(failed) > 0 {
		return st, err // no cursor: the next call scans again
	}
	return st, w.setCursor(start)
}

func (w *Indexer) setCursor(t time.Time) error {
	return w.withIndex(func(bi bleve.Index) error {
		return mapErr(bi.SetInternal([]byte(internalCursor), []byte(t.UTC().Format(time.RFC3339Nano))))
	})
}

// loaded is a dossier read from the store with its page texts.
type loaded struct {
	code string
	d    *domain.Dossier
	err  error
}

// syncCodes loads the current manifest and page texts of each code with
// Config.TextWorkers loaders and indexes those newer than the indexed
// version through w, flushing at the end. It returns the codes that failed;
// the error is for an index write that failed (which stops everything).
func (ix *Index) syncCodes(ctx context.Context, arch *archive.Archive, w *Indexer, codes []string, progress func(done, total int)) (SyncStats, []string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan string)
	results := make(chan loaded, ix.cfg.TextWorkers)
	var wg sync.WaitGroup
	for range ix.cfg.TextWorkers {
		wg.Go(func() {
			for code := range jobs {
				d, err := ix.loadIfNewer(ctx, arch, w, code)
				select {
				case results <- loaded{code: code, d: d, err: err}:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() {
		defer close(jobs)
		for _, c := range codes {
			select {
			case jobs <- c:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	return ix.consume(ctx, cancel, w, results, len(codes), progress)
}

// consume adds loaded dossiers through w; when w writes a fresh index of
// its own (Rebuild), Config.IndexWorkers Indexers build batches in
// parallel (scorch builds each batch's segment in the calling goroutine).
func (ix *Index) consume(ctx context.Context, cancel func(), w *Indexer, results <-chan loaded, total int, progress func(done, total int)) (SyncStats, []string, error) {
	var (
		mu       sync.Mutex
		st       SyncStats
		failed   []string
		done     int
		firstErr error
		cg       sync.WaitGroup
	)
	setErr := func(err error) {
		if err != nil && firstErr == nil {
			firstErr = err
			cancel()
		}
	}
	consumers := 1
	if w.target != nil && w.fresh {
		consumers = ix.cfg.IndexWorkers
	}
	for k := range consumers {
		iw := w
		if k > 0 {
			iw = &Indexer{ix: w.ix, target: w.target, fresh: w.fresh, pending: map[string]bool{}}
		}
		cg.Go(func() {
			for r := range results {
				var err error
				if r.err == nil && r.d != nil {
					err = iw.Add(ctx, r.d)
				}
				mu.Lock()
				done++
				if progress != nil {
					progress(done, total)
				}
				switch {
				case r.err != nil:
					st.fail(r.err)
					failed = append(failed, r.code)
					ix.log.Warn("index dossier", logKeyCode, r.code, logKeyErr, r.err)
				case r.d != nil && err == nil:
					st.Dossiers++
					st.Pages += r.d.PageCount()
				}
				setErr(err)
				mu.Unlock()
			}
			err := iw.Flush(ctx)
			mu.Lock()
			setErr(err)
			mu.Unlock()
		})
	}
	cg.Wait()
	if firstErr != nil {
		return st, failed, firstErr
	}
	return st, failed, ctx.Err()
}

// loadIfNewer loads the dossier's current manifest and, when its version is
// newer than the one indexed, its page texts. It returns nil when the index
// is up to date.
func (ix *Index) loadIfNewer(ctx context.Context, arch *archive.Archive, w *Indexer, code string) (*domain.Dossier, error) {
	d, err := arch.Load(ctx, code)
	if err != nil {
		return nil, fmt.Errorf("load dossier %s: %w", code, err)
	}
	if !w.fresh {
		var cur indexed
		err := w.withIndex(func(bi bleve.Index) (err error) {
			cur, err = indexedOf(bi, d.Code)
			return err
		})
		if err != nil {
			return nil, err
		}
		if cur.Version >= d.Version {
			return nil, nil
		}
	}
	if err := LoadTexts(ctx, arch, d); err != nil {
		return nil, err
	}
	return d, nil
}

// LoadTexts fills in Text of every page of d that has a TextKey, reading the
// OCRResults from the store.
func LoadTexts(ctx context.Context, arch *archive.Archive, d *domain.Dossier) error {
	for i := range d.Documents {
		for j := range d.Documents[i].Pages {
			p := &d.Documents[i].Pages[j]
			if p.TextKey == "" || p.Text != nil {
				continue
			}
			res, err := arch.LoadText(ctx, p.TextKey)
			if err != nil {
				return fmt.Errorf("load text of %s page %d: %w", d.Code, p.Number, err)
			}
			p.Text = res
		}
	}
	return nil
}
