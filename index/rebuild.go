package index

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/blevesearch/bleve/v2"

	"hoso/archive"
)

// Rebuild builds a new index from the store alone (manifests and stored page
// texts; no OCR) in a sibling subfolder, catches it up with commits made
// meanwhile, and switches to it atomically by rewriting CURRENT; the old
// subfolder is then removed. Searches keep using the old index until the
// switch. A process killed during Rebuild leaves the old index in use (the
// partial one is removed by the next Open).
//
// progress, when not nil, is called after each dossier with the number done
// and the total. Dossiers that cannot be loaded are counted in the returned
// stats and logged; the new index is used all the same (CatchUp retries
// them). The error is for a rebuild that was abandoned.
func (ix *Index) Rebuild(ctx context.Context, arch *archive.Archive, progress func(done, total int)) (SyncStats, error) {
	start := time.Now().UTC()
	defer raiseGCForBuild()()
	var codes []string
	for ref, err := range arch.Dossiers(ctx) {
		if err != nil {
			return SyncStats{}, fmt.Errorf("rebuild: list dossiers: %w", err)
		}
		codes = append(codes, ref.Code)
	}
	sub, nbi, err := createSub(ix.root, ix.cfg, true)
	if err != nil {
		return SyncStats{}, fmt.Errorf("rebuild: %w", err)
	}
	abandon := func(err error) (SyncStats, error) {
		ix.dropSub(sub, nbi)
		return SyncStats{}, fmt.Errorf("rebuild: %w", err)
	}
	w := &Indexer{ix: ix, target: nbi, fresh: true, pending: map[string]bool{}}
	st, _, err := ix.syncCodes(ctx, arch, w, codes, progress)
	if err != nil {
		return abandon(err)
	}
	// Commits made while building: catch up from the start, with the old
	// index's follower held off, then switch.
	ix.cmu.Lock()
	defer ix.cmu.Unlock()
	w.fresh = false
	if err := w.setCursor(start); err != nil {
		return abandon(err)
	}
	more, err := ix.catchUp(ctx, arch, w)
	if err != nil {
		return abandon(err)
	}
	st.Dossiers += more.Dossiers
	st.Pages += more.Pages
	if nbi, err = persistAndReopen(ctx, nbi, filepath.Join(ix.root, sub), ix.cfg); err != nil {
		return abandon(err)
	}
	if err := ix.swapIn(sub, nbi); err != nil {
		return abandon(err)
	}
	ix.log.Info("index rebuilt", logKeyPath, sub, logKeyCount, st.Dossiers, "pages", st.Pages, "failed", st.Failed)
	return st, nil
}

// Rebuild opens (or creates) the index in dir, rebuilds it from the store
// and closes it. See (*Index).Rebuild.
func Rebuild(ctx context.Context, arch *archive.Archive, dir string, cfg Config, progress func(done, total int)) (SyncStats, error) {
	ix, err := Open(dir, cfg)
	if err != nil {
		return SyncStats{}, err
	}
	st, err := ix.Rebuild(ctx, arch, progress)
	if cerr := ix.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return st, err
}

// persistAndReopen waits until everything written to bi (opened with unsafe
// batches) is on disk, then reopens it with batches that wait for
// persistence.
func persistAndReopen(ctx context.Context, bi bleve.Index, dir string, cfg Config) (bleve.Index, error) {
	persisted := make(chan error, 1)
	b := bi.NewBatch()
	b.SetInternal([]byte(internalBuilt), []byte(time.Now().UTC().Format(time.RFC3339Nano)))
	b.SetPersistedCallback(func(err error) { persisted <- err })
	if err := bi.Batch(b); err != nil {
		return bi, mapErr(err)
	}
	select {
	case err := <-persisted:
		if err != nil {
			return bi, fmt.Errorf("persist: %w", err)
		}
	case <-ctx.Done():
		return bi, ctx.Err()
	}
	if err := bi.Close(); err != nil {
		return nil, mapErr(err)
	}
	nbi, err := openBleve(dir, cfg)
	return nbi, mapErr(err)
}

// swapIn makes the bleve index in subfolder sub the active one: CURRENT is
// rewritten, searches move over, and the old index is closed and removed.
func (ix *Index) swapIn(sub string, nbi bleve.Index) error {
	ix.wmu.Lock()
	ix.mu.Lock()
	if ix.closed {
		ix.mu.Unlock()
		ix.wmu.Unlock()
		return ErrClosed
	}
	if err := writeCurrent(ix.root, sub); err != nil {
		ix.mu.Unlock()
		ix.wmu.Unlock()
		return err
	}
	old, oldSub := ix.bi, ix.sub
	ix.bi, ix.sub, ix.broken = nbi, sub, nil
	if an := nbi.Mapping().AnalyzerNamed(AnalyzerName); an != nil {
		ix.text = an
	}
	ix.mu.Unlock()
	ix.wmu.Unlock()
	if err := old.Close(); err != nil {
		ix.log.Warn("close old index", logKeyPath, oldSub, logKeyErr, err)
	}
	ix.removeLeftovers()
	return nil
}
