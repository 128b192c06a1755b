package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"hoso/archive"
	"hoso/internal/progress"
	"hoso/storage"
	"hoso/storage/storeurl"
)

// defaultStoreRetry is how long hoso ingest keeps retrying a call to an
// unreachable store before the run stops (a rerun resumes).
const defaultStoreRetry = 10 * time.Minute

// openArchiveRetrying opens the store like openArchive, but a network
// store (S3) retries each failing call for up to budget, with backoff
// capped at 5 s, reporting the outage to out while it lasts.
func (g *globalOptions) openArchiveRetrying(ctx context.Context, budget time.Duration, out *storeOutage) (*archive.Archive, storage.Store, error) {
	u, err := g.StoreURL()
	if err != nil {
		return nil, nil, err
	}
	c, err := storeurl.Parse(u)
	if err != nil {
		return nil, nil, err
	}
	c.Retry.MaxElapsed = budget
	c.Retry.OnRetry = out.retry
	c.Retry.OnRecovered = out.recovered
	s, err := c.Open(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("open store %s: %w", redact(u), err)
	}
	return archive.New(s), s, nil
}

// storeOutage tells a person that the store is unreachable and the run is
// waiting for it: one line when the outage starts, one every
// outageReportEvery while it lasts, one when the store answers again. It
// is safe for concurrent use (every retrying call reports to it).
type storeOutage struct {
	mu        sync.Mutex
	w         io.Writer
	tty       bool
	cmd       string
	budget    time.Duration
	since     time.Time // first failure of the outage; zero while the store answers
	lastPrint time.Time
	now       func() time.Time
}

const outageReportEvery = 10 * time.Second

func newStoreOutage(w io.Writer, cmd string, budget time.Duration) *storeOutage {
	return &storeOutage{w: w, tty: progress.IsTerminal(w), cmd: cmd, budget: budget, now: time.Now}
}

func (o *storeOutage) retry(op, key string, attempt int, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.now()
	switch {
	case o.since.IsZero():
		o.since = now
		o.printf("object store unavailable (%v); retrying with backoff for up to %v", err, o.budget)
	case now.Sub(o.lastPrint) >= outageReportEvery:
		o.printf("object store still unavailable after %v; retrying", now.Sub(o.since).Round(time.Second))
	default:
		return
	}
	o.lastPrint = now
}

func (o *storeOutage) recovered(op, key string, failures int, down time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.since.IsZero() {
		return
	}
	o.printf("object store reachable again after %v; continuing", o.now().Sub(o.since).Round(100*time.Millisecond))
	o.since = time.Time{}
}

func (o *storeOutage) printf(format string, args ...any) {
	if o.tty {
		fmt.Fprintln(o.w) // end the progress bar's line
	}
	fmt.Fprintf(o.w, "hoso %s: %s\n", o.cmd, fmt.Sprintf(format, args...))
}

// status is shown with the progress while the store is down.
func (o *storeOutage) status() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.since.IsZero() {
		return ""
	}
	return fmt.Sprintf("store unavailable for %v, retrying", o.now().Sub(o.since).Round(time.Second))
}
