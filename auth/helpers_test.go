package auth

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"hoso/domain"
	"hoso/storage"
	"hoso/storage/fs"
)

// cheap argon2 parameters for tests: microseconds per hash.
var cheap = Argon2Params{Memory: 64, Time: 1, Threads: 1}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newStore(t testing.TB) storage.Store {
	t.Helper()
	s, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// newService returns a Service on store with cheap hashing and clock c.
func newService(t testing.TB, store storage.Store, c *fakeClock) *Service {
	t.Helper()
	s, err := New(store, Config{Argon2: cheap, Now: c.Now, Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const goodPW = "correct horse battery"

func mustAdd(t testing.TB, s *Service, name string, r Role, c domain.Classification) *User {
	t.Helper()
	u, err := s.AddUser(context.Background(), name, r, c, goodPW)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
