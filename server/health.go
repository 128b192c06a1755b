package server

import (
	"context"
	"errors"
	"sync"
	"time"

	"hoso/archive"
	"hoso/index"
)

// Health is the server's state as /healthz reports it. It names no
// dossier and gives no counts: it is served without sign-in.
type Health struct {
	OK     bool   `json:"ok"`
	Store  string `json:"store"` // "ok" or what is wrong
	Index  string `json:"index"` // "ok" or what is wrong
	Reason string `json:"reason,omitempty"`
}

type healthCache struct {
	mu   sync.Mutex
	at   time.Time
	last Health
}

// Health checks that the store answers, that the index is open, not
// damaged and filled from the store at least once (index.Synced: a new,
// deleted or damaged index is reported out of sync while the follower fills
// it, unless the store is empty), and that the index agrees with the
// store (index.Check). When they disagree only by
// dossiers missing from or stale in the index, which is normal for the
// second after another process commits, it lets the index catch up once
// and checks again, so that healthy servers do not flap; an empty or
// damaged index, or one holding dossiers the store has not, is reported at
// once. Details go to the log. Results are reused for
// Config.HealthCacheTTL.
func (a *App) Health(ctx context.Context) Health {
	c := &a.health
	c.mu.Lock()
	defer c.mu.Unlock()
	if ttl := a.cfg.HealthCacheTTL; ttl > 0 && time.Since(c.at) < ttl {
		return c.last
	}
	h := a.checkHealth(ctx)
	c.at, c.last = time.Now(), h
	return h
}

func (a *App) checkHealth(ctx context.Context) Health {
	h := Health{Store: "ok", Index: "ok"}
	for _, err := range a.arch.Store().List(ctx, archive.PrefixDossiers, "") {
		if err != nil {
			a.log.Warn("health: store", "err", err)
			h.Store, h.Reason = "unreachable", "the object store does not answer"
			return h
		}
		break
	}
	synced, err := a.ix.Synced()
	switch {
	case errors.Is(err, index.ErrDamaged):
		a.log.Warn("health: index", "err", err)
		h.Index, h.Reason = "damaged", "the search index files are damaged or gone; it is being rebuilt from the store"
		return h
	case err != nil:
		a.log.Warn("health: index", "err", err)
		h.Index, h.Reason = "unavailable", "the search index is not open"
		return h
	case !synced:
		// new, deleted or damaged and opened empty: the follower is filling
		// it; a Sync here would wait for that.
		h.Index, h.Reason = "out of sync", "the search index is being filled from the store"
		for _, err := range a.arch.Store().List(ctx, archive.PrefixDossiers, "") {
			if err == nil {
				return h
			}
			break
		}
		h.Index, h.Reason = "ok", ""
	}
	hc, err := a.ix.Check(ctx, a.arch)
	if errors.Is(err, index.ErrOutOfSync) && !hc.Empty && hc.NumExtra == 0 && hc.NumDamaged == 0 {
		if _, serr := a.ix.Sync(ctx, a.arch); serr == nil {
			hc, err = a.ix.Check(ctx, a.arch)
		}
	}
	switch {
	case errors.Is(err, index.ErrOutOfSync):
		a.log.Warn("health: index out of sync", "err", err, "missing", hc.Missing, "stale", hc.Stale, "extra", hc.Extra, "damaged", hc.Damaged)
		h.Index, h.Reason = "out of sync", "the search index does not agree with the store (run hoso reindex if it persists)"
	case err != nil:
		a.log.Warn("health: index check", "err", err)
		h.Index, h.Reason = "check failed", "the search index could not be compared with the store"
	default:
		h.OK = true
	}
	return h
}
