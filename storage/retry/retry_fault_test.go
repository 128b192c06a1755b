package retry_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"hoso/storage"
	"hoso/storage/faulty"
	"hoso/storage/fs"
	"hoso/storage/retry"
)

// TestMaxElapsed: with a time budget a call outlasts an outage of any
// number of tries, reports each retry and its recovery, and gives up once
// the budget is spent.
func TestMaxElapsed(t *testing.T) {
	s, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := storage.PutBytes(ctx, s, "k", []byte("v"), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	f := faulty.New(s)
	var (
		mu        sync.Mutex
		retries   int
		recovered []time.Duration
	)
	p := retry.Policy{Attempts: 2, Base: 5 * time.Millisecond, Max: 20 * time.Millisecond, MaxElapsed: 400 * time.Millisecond,
		OnRetry: func(op, key string, attempt int, err error) { mu.Lock(); retries++; mu.Unlock() },
		OnRecovered: func(op, key string, failures int, down time.Duration) {
			mu.Lock()
			recovered = append(recovered, down)
			mu.Unlock()
			if op == "get" && (key != "k" || failures < 3) {
				t.Errorf("recovered %s %s after %d failures", op, key, failures)
			}
		}}
	r := retry.New(f, p)

	// an outage shorter than the budget: the call waits it out
	f.SetDown(faulty.ErrInjected)
	time.AfterFunc(150*time.Millisecond, func() { f.SetDown(nil) })
	start := time.Now()
	if _, _, err := storage.ReadAll(ctx, r, "k"); err != nil {
		t.Fatalf("get across a 150 ms outage: %v", err)
	}
	if took := time.Since(start); took < 140*time.Millisecond || retries < 3 || len(recovered) != 1 || recovered[0] < 140*time.Millisecond {
		t.Errorf("took %v, %d retries (Attempts is 2), recovered %v", took, retries, recovered)
	}

	// a longer outage: the call fails once the budget is spent
	f.SetDown(faulty.ErrInjected)
	start = time.Now()
	_, err = r.Stat(ctx, "k")
	if took := time.Since(start); !errors.Is(err, storage.ErrUnavailable) || took < 350*time.Millisecond || took > 2*time.Second {
		t.Errorf("stat during a long outage: %v after %v", err, took)
	}
	// a cancelled context ends the wait at once
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start = time.Now()
	if _, err := r.Stat(cctx, "k"); err == nil || time.Since(start) > 300*time.Millisecond {
		t.Errorf("cancelled: %v after %v", err, time.Since(start))
	}

	// List resumes across an outage and reports the recovery
	f.SetDown(nil)
	recovered = nil
	f.FailNext(faulty.List, 5, nil)
	n := 0
	for _, err := range r.List(ctx, "", "") {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 1 || len(recovered) != 1 {
		t.Errorf("list: %d keys, recovered %v", n, recovered)
	}
}
