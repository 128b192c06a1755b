package retry_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"hoso/storage"
	"hoso/storage/faulty"
	"hoso/storage/fs"
	"hoso/storage/retry"
	"hoso/storage/storetest"
)

var fast = retry.Policy{Attempts: 3, Base: time.Millisecond, Max: 2 * time.Millisecond}

func TestConformance(t *testing.T) {
	var roots sync.Map // *testing.T -> *fs.Store
	newStore := func(t *testing.T) storage.Store {
		s, err := fs.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		roots.Store(t, s)
		r := retry.New(s, fast)
		t.Cleanup(func() { r.Close() })
		return r
	}
	corrupt := func(t *testing.T, key string) {
		v, _ := roots.Load(t)
		p := v.(*fs.Store).Path(key)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, append([]byte{'x'}, b...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	storetest.Run(t, newStore, corrupt)
}

func newFaulty(t *testing.T) (*faulty.Store, *retry.Store, *[]string) {
	s, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := faulty.New(s)
	var mu sync.Mutex
	var retries []string
	p := fast
	p.OnRetry = func(op, key string, attempt int, err error) {
		mu.Lock()
		defer mu.Unlock()
		retries = append(retries, op)
		if !errors.Is(err, storage.ErrUnavailable) {
			t.Errorf("retry of %s after %v", op, err)
		}
	}
	r := retry.New(f, p)
	t.Cleanup(func() { r.Close() })
	return f, r, &retries
}

func TestRetry(t *testing.T) {
	boom := errors.New("boom")
	content := []byte("content")
	cases := []struct {
		name    string
		op      faulty.Op
		setup   func(f *faulty.Store)
		call    func(ctx context.Context, r *retry.Store) error
		calls   int   // of op on the faulty store
		wantErr error // nil for success
	}{
		{
			name: "put seekable recovers", op: faulty.Put,
			setup: func(f *faulty.Store) { f.FailNext(faulty.Put, 2, nil) },
			call: func(ctx context.Context, r *retry.Store) error {
				_, err := storage.PutBytes(ctx, r, "k", content, storage.PutOptions{})
				return err
			},
			calls: 3,
		},
		{
			name: "put seekable gives up", op: faulty.Put,
			setup: func(f *faulty.Store) { f.FailNext(faulty.Put, 3, nil) },
			call: func(ctx context.Context, r *retry.Store) error {
				_, err := storage.PutBytes(ctx, r, "k", content, storage.PutOptions{})
				return err
			},
			calls: 3, wantErr: storage.ErrUnavailable,
		},
		{
			name: "put stream is not retried", op: faulty.Put,
			setup: func(f *faulty.Store) { f.FailNext(faulty.Put, 1, nil) },
			call: func(ctx context.Context, r *retry.Store) error {
				_, err := r.Put(ctx, "k", io.MultiReader(bytes.NewReader(content)), int64(len(content)), storage.PutOptions{})
				return err
			},
			calls: 1, wantErr: storage.ErrUnavailable,
		},
		{
			name: "put rewinds a half-read reader", op: faulty.Put,
			setup: func(f *faulty.Store) { f.FailNthAfter(faulty.Put, 1, nil) },
			call: func(ctx context.Context, r *retry.Store) error {
				rd := strings.NewReader("skip" + string(content))
				rd.Seek(4, io.SeekStart)
				if _, err := r.Put(ctx, "k", rd, int64(len(content)), storage.PutOptions{}); err != nil {
					return err
				}
				b, _, err := storage.ReadAll(ctx, r, "k")
				if err == nil && !bytes.Equal(b, content) {
					return errors.New("wrong content " + string(b))
				}
				return err
			},
			calls: 2,
		},
		{
			name: "put if absent with lost answer", op: faulty.Put,
			setup: func(f *faulty.Store) { f.FailNthAfter(faulty.Put, 1, nil) },
			call: func(ctx context.Context, r *retry.Store) error {
				_, err := storage.PutBytes(ctx, r, "k", content, storage.PutOptions{IfAbsent: true})
				return err
			},
			calls: 2,
		},
		{
			name: "other errors are not retried", op: faulty.Get,
			setup: func(f *faulty.Store) { f.FailNext(faulty.Get, 1, boom) },
			call: func(ctx context.Context, r *retry.Store) error {
				_, _, err := storage.ReadAll(ctx, r, "missing")
				return err
			},
			calls: 1, wantErr: boom,
		},
		{
			name: "not found is not retried", op: faulty.Stat,
			setup: func(f *faulty.Store) {},
			call: func(ctx context.Context, r *retry.Store) error {
				_, err := r.Stat(ctx, "missing")
				return err
			},
			calls: 1, wantErr: storage.ErrNotExist,
		},
		{
			name: "stat recovers", op: faulty.Stat,
			setup: func(f *faulty.Store) { f.FailNth(faulty.Stat, 1, nil) },
			call: func(ctx context.Context, r *retry.Store) error {
				_, err := r.Stat(ctx, "missing")
				return err
			},
			calls: 2, wantErr: storage.ErrNotExist,
		},
		{
			name: "get recovers", op: faulty.Get,
			setup: func(f *faulty.Store) { f.FailNext(faulty.Get, 2, nil) },
			call: func(ctx context.Context, r *retry.Store) error {
				if _, err := storage.PutBytes(ctx, r, "k", content, storage.PutOptions{}); err != nil {
					return err
				}
				_, _, err := storage.ReadAll(ctx, r, "k")
				return err
			},
			calls: 3,
		},
		{
			name: "delete with lost answer", op: faulty.Delete,
			setup: func(f *faulty.Store) { f.FailNthAfter(faulty.Delete, 1, nil) },
			call: func(ctx context.Context, r *retry.Store) error {
				if _, err := storage.PutBytes(ctx, r, "k", content, storage.PutOptions{}); err != nil {
					return err
				}
				if err := r.Delete(ctx, "k"); err != nil {
					return err
				}
				if _, err := r.Stat(ctx, "k"); !errors.Is(err, storage.ErrNotExist) {
					return errors.New("still there")
				}
				return nil
			},
			calls: 2,
		},
		{
			name: "delete of missing key", op: faulty.Delete,
			setup: func(f *faulty.Store) {},
			call:  func(ctx context.Context, r *retry.Store) error { return r.Delete(ctx, "missing") },
			calls: 1, wantErr: storage.ErrNotExist,
		},
		{
			name: "down", op: faulty.Stat,
			setup: func(f *faulty.Store) { f.SetDown(faulty.ErrInjected) },
			call: func(ctx context.Context, r *retry.Store) error {
				_, err := r.Stat(ctx, "k")
				return err
			},
			calls: 3, wantErr: storage.ErrUnavailable,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, r, _ := newFaulty(t)
			c.setup(f)
			err := c.call(t.Context(), r)
			if c.wantErr == nil && err != nil || c.wantErr != nil && !errors.Is(err, c.wantErr) {
				t.Errorf("got %v, want %v", err, c.wantErr)
			}
			if got := f.Calls(c.op); got != c.calls {
				t.Errorf("%d %s calls, want %d", got, c.op, c.calls)
			}
		})
	}
}

// TestListResumes: a listing cut off mid-way resumes after the last key
// yielded, each key once.
func TestListResumes(t *testing.T) {
	f, r, retries := newFaulty(t)
	var want []string
	for _, k := range []string{"a/1", "a/2", "b/1", "b/2", "c"} {
		storage.PutBytes(t.Context(), r, k, []byte(k), storage.PutOptions{})
		want = append(want, k)
	}
	f.FailListAt(1, 2, nil)
	f.FailListAt(2, 1, nil)
	var got []string
	for info, err := range r.List(t.Context(), "", "") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, info.Key)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("got %q, want %q", got, want)
	}
	if f.Calls(faulty.List) != 3 || len(*retries) != 2 {
		t.Errorf("%d list calls and %d retries, want 3 and 2", f.Calls(faulty.List), len(*retries))
	}
}

// TestCancelDuringBackoff: a cancelled context ends the waiting.
func TestCancelDuringBackoff(t *testing.T) {
	s, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := faulty.New(s)
	f.SetDown(faulty.ErrInjected)
	r := retry.New(f, retry.Policy{Attempts: 100, Base: time.Hour, Max: time.Hour})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := r.Stat(ctx, "k"); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("stat: %v, want the last ErrUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestBackoff(t *testing.T) {
	p := retry.Policy{Base: 100 * time.Millisecond, Max: time.Second}.WithDefaults()
	for attempt, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 30: time.Second} {
		for range 20 {
			if d := p.Backoff(attempt); d < want/2 || d > want {
				t.Errorf("backoff(%d) = %v, want in [%v, %v]", attempt, d, want/2, want)
			}
		}
	}
}
