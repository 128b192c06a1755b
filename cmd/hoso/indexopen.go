package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"hoso/archive"
	"hoso/index"
)

// openIndexForWrite opens the search index for a command that commits
// dossiers, and catches it up with the store first. When the index is held
// by another process (a running hoso serve), or skip is set, it returns nil:
// the holder follows the store's journal and indexes the commits itself.
func openIndexForWrite(ctx context.Context, env *Env, g *globalOptions, arch *archive.Archive, skip bool, log *slog.Logger) (*index.Index, func()) {
	if skip {
		return nil, func() {}
	}
	ix, err := index.Open(g.IndexDir(), index.Config{Logger: log})
	if errors.Is(err, index.ErrLocked) {
		fmt.Fprintf(env.Stderr, "note: the search index is held by another hoso process (hoso serve); it picks up new dossiers from the store by itself\n")
		return nil, func() {}
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "warning: search index not updated (%v); run hoso reindex later\n", err)
		return nil, func() {}
	}
	if err := ix.CatchUp(ctx, arch); err != nil {
		log.Warn("index catch-up", "err", err)
	}
	return ix, func() { ix.Close() }
}
