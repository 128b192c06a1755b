package index

import (
	"context"
	"fmt"
	"iter"
	"path/filepath"

	"hoso/domain"
)

// Load replaces the whole content of the index with the dossiers yielded by
// dossiers (page texts filled in), on Rebuild's bulk path: a new subfolder,
// Config.IndexWorkers indexers writing unsafe batches, one wait for
// persistence, then an atomic switch. Searches keep using the old content
// until the switch. It reads nothing from the store and sets no journal
// cursor, so it is for content generated or loaded elsewhere (benchmarks,
// tooling); an Index that follows an archive catches up from the journal's
// start afterwards.
//
// A dossier yielded with an error is counted as failed and skipped;
// progress, when not nil, is called after each dossier with the number
// done. The error is for a load that was abandoned (cancelled, or the index
// failed to write); the old content is then kept.
func (ix *Index) Load(ctx context.Context, dossiers iter.Seq2[*domain.Dossier, error], progress func(done int)) (SyncStats, error) {
	defer raiseGCForBuild()()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sub, nbi, err := createSub(ix.root, ix.cfg, true)
	if err != nil {
		return SyncStats{}, fmt.Errorf("load: %w", err)
	}
	abandon := func(err error) (SyncStats, error) {
		ix.dropSub(sub, nbi)
		return SyncStats{}, fmt.Errorf("load: %w", err)
	}
	results := make(chan loaded, 64)
	go func() {
		defer close(results)
		for d, err := range dossiers {
			r := loaded{d: d, err: err}
			if d != nil {
				r.code = d.Code
			}
			select {
			case results <- r:
			case <-ctx.Done():
				return
			}
		}
	}()
	w := &Indexer{ix: ix, target: nbi, fresh: true, pending: map[string]bool{}}
	st, _, err := ix.consume(ctx, cancel, w, results, 0, func(done, _ int) {
		if progress != nil {
			progress(done)
		}
	})
	if err != nil {
		return abandon(err)
	}
	if nbi, err = persistAndReopen(ctx, nbi, filepath.Join(ix.root, sub), ix.cfg); err != nil {
		return abandon(err)
	}
	if err := ix.swapIn(sub, nbi); err != nil {
		return abandon(err)
	}
	ix.log.Info("index loaded", logKeyPath, sub, logKeyCount, st.Dossiers, "pages", st.Pages, "failed", st.Failed)
	return st, nil
}
