// Package retry is a storage.Store decorator that retries calls failing with
// storage.ErrUnavailable, with exponential backoff and jitter, honouring the
// context. Other errors (ErrNotExist, ErrConflict, ErrChecksum, a cancelled
// context...) are returned at once.
//
// What is retried:
//   - Put, only when its reader is an io.Seeker: the reader is rewound to
//     where it stood when Put was called. A plain stream is tried once, as
//     its bytes are gone. A retried IfAbsent put whose first attempt did
//     land finds its own content and returns nil, per the contract.
//   - Get and Stat (opening the object; a read failing mid-stream is not
//     retried), and Delete; a Delete retried after a lost response finds
//     nothing and counts as done.
//   - List, also mid-way: it resumes after the last key it yielded.
//
// By default a call is tried Policy.Attempts times (about 1.5 s of waiting
// in all), which suits requests a person waits for. A bulk job sets
// Policy.MaxElapsed instead, to wait out an outage of the store for minutes
// with capped backoff; OnRetry and OnRecovered let it say so meanwhile.
package retry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"time"

	"hoso/storage"
)

// Policy says how often and how patiently to retry.
type Policy struct {
	// Attempts is the total number of tries of one call (default 4).
	Attempts int
	// Base is the backoff before the second try (default 200ms); it doubles
	// with each try up to Max (default 5s). Each wait is drawn at random
	// from [d/2, d].
	Base, Max time.Duration
	// MaxElapsed, when set, replaces Attempts by a time budget: a call is
	// tried again as long as the next try would start within MaxElapsed of
	// its first failure, with waits growing to Max. Set it for bulk work
	// that should outlast an outage of the store (minutes) rather than fail.
	MaxElapsed time.Duration
	// OnRetry, when set, is called before each wait with the failed try's
	// number (1-based) and error.
	OnRetry func(op, key string, attempt int, err error)
	// OnRecovered, when set, is called when a call succeeds after failed
	// tries, with their number and the time since the first failure.
	OnRecovered func(op, key string, failures int, down time.Duration)
}

// Defaults.
const (
	DefaultAttempts = 4
	DefaultBase     = 200 * time.Millisecond
	DefaultMax      = 5 * time.Second
)

// WithDefaults returns p with zero fields set to the defaults.
func (p Policy) WithDefaults() Policy {
	if p.Attempts <= 0 {
		p.Attempts = DefaultAttempts
	}
	if p.Base <= 0 {
		p.Base = DefaultBase
	}
	if p.Max <= 0 {
		p.Max = DefaultMax
	}
	if p.Max < p.Base {
		p.Max = p.Base
	}
	return p
}

// Backoff returns the wait after the attempt-th failed try.
func (p Policy) Backoff(attempt int) time.Duration {
	d := p.Base
	for i := 1; i < attempt && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	return d/2 + rand.N(d/2+1)
}

// Store retries the calls of the store it wraps.
type Store struct {
	s storage.Store
	p Policy
}

var _ storage.Store = (*Store)(nil)

// New wraps s.
func New(s storage.Store, p Policy) *Store {
	return &Store{s: s, p: p.WithDefaults()}
}

// Unwrap returns the wrapped store.
func (s *Store) Unwrap() storage.Store { return s.s }

// call tracks the tries of one call.
type call struct {
	op, key string
	first   time.Time // of the first failure
}

// wait reports whether to try again after the attempt-th try failed with
// err, sleeping the backoff first.
func (s *Store) wait(ctx context.Context, c *call, attempt int, err error) bool {
	if !errors.Is(err, storage.ErrUnavailable) || ctx.Err() != nil {
		return false
	}
	if c.first.IsZero() {
		c.first = time.Now()
	}
	d := s.p.Backoff(attempt)
	if s.p.MaxElapsed > 0 {
		if time.Since(c.first)+d > s.p.MaxElapsed {
			return false
		}
	} else if attempt >= s.p.Attempts {
		return false
	}
	if s.p.OnRetry != nil {
		s.p.OnRetry(c.op, c.key, attempt, err)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// done reports a call that ended after attempt tries with err.
func (s *Store) done(c *call, attempt int, err error) {
	if err == nil && attempt > 1 && s.p.OnRecovered != nil {
		s.p.OnRecovered(c.op, c.key, attempt-1, time.Since(c.first))
	}
}

// Put implements storage.Store.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	sk, _ := r.(io.Seeker)
	var start int64
	if sk != nil {
		var err error
		if start, err = sk.Seek(0, io.SeekCurrent); err != nil {
			sk = nil // not really seekable (a pipe behind an *os.File)
		}
	}
	c := &call{op: "put", key: key}
	for attempt := 1; ; attempt++ {
		info, err := s.s.Put(ctx, key, r, size, opts)
		if err == nil || sk == nil || !s.wait(ctx, c, attempt, err) {
			s.done(c, attempt, err)
			return info, err
		}
		if _, serr := sk.Seek(start, io.SeekStart); serr != nil {
			return storage.ObjectInfo{}, fmt.Errorf("%w (rewind for retry: %v)", err, serr)
		}
	}
}

// Get implements storage.Store.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, storage.ObjectInfo, error) {
	c := &call{op: "get", key: key}
	for attempt := 1; ; attempt++ {
		rc, info, err := s.s.Get(ctx, key)
		if err == nil || !s.wait(ctx, c, attempt, err) {
			s.done(c, attempt, err)
			return rc, info, err
		}
	}
}

// Stat implements storage.Store.
func (s *Store) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	c := &call{op: "stat", key: key}
	for attempt := 1; ; attempt++ {
		info, err := s.s.Stat(ctx, key)
		if err == nil || !s.wait(ctx, c, attempt, err) {
			s.done(c, attempt, err)
			return info, err
		}
	}
}

// Delete implements storage.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	c := &call{op: "delete", key: key}
	for attempt := 1; ; attempt++ {
		err := s.s.Delete(ctx, key)
		if attempt > 1 && errors.Is(err, storage.ErrNotExist) {
			err = nil // an earlier try deleted it and its answer was lost
		}
		if err == nil || !s.wait(ctx, c, attempt, err) {
			s.done(c, attempt, err)
			return err
		}
	}
}

// List implements storage.Store. A failure resumes the listing after the
// last key yielded; the attempts (and MaxElapsed) count failures in a row
// without progress.
func (s *Store) List(ctx context.Context, prefix, startAfter string) iter.Seq2[storage.ObjectInfo, error] {
	return func(yield func(storage.ObjectInfo, error) bool) {
		after := startAfter
		c := &call{op: "list", key: prefix}
		for attempt := 1; ; attempt++ {
			var failed error
			for info, err := range s.s.List(ctx, prefix, after) {
				if err != nil {
					failed = err
					break
				}
				if attempt > 1 {
					s.done(c, attempt, nil)
					c.first = time.Time{}
				}
				if !yield(info, nil) {
					return
				}
				after, attempt = info.Key, 1
			}
			if failed == nil {
				if attempt > 1 {
					s.done(c, attempt, nil)
				}
				return
			}
			if !s.wait(ctx, c, attempt, failed) {
				yield(storage.ObjectInfo{}, failed)
				return
			}
		}
	}
}

// Close implements storage.Store.
func (s *Store) Close() error { return s.s.Close() }
