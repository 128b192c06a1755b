package server

import (
	"context"
	"fmt"

	"hoso/index"
)

// errIndexFilling refuses a search while the index is being filled from
// the store: it would miss dossiers, and a search that finds nothing must
// mean there is nothing.
var errIndexFilling = fmt.Errorf("%w: the search index is being rebuilt from the store", index.ErrOutOfSync)

// searchReady reports whether the index may answer searches. It refuses
// (an error wrapping index.ErrOutOfSync, a 503) when the index is damaged
// (its files were lost while open: the follower rebuilds it) or when it was
// never filled from the store since it was created (a new, deleted or
// damaged index the follower is filling) while the store holds dossiers.
// An index that is merely a few commits behind answers: the follower
// catches up within a second. The cost, for a synced index, is one read of
// the index's cursor.
func (a *App) searchReady(ctx context.Context) error {
	synced, err := a.ix.Synced()
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	if synced {
		return nil
	}
	for _, err := range a.arch.Dossiers(ctx) {
		if err != nil {
			return fmt.Errorf("search: %w", err)
		}
		return errIndexFilling
	}
	return nil
}
