package faulty_test

import (
	"errors"
	"os"
	"sync"
	"testing"

	"hoso/storage"
	"hoso/storage/faulty"
	"hoso/storage/fs"
	"hoso/storage/storetest"
)

// TestConformance: without faults the decorator is transparent.
func TestConformance(t *testing.T) {
	var roots sync.Map // *testing.T -> *fs.Store
	newStore := func(t *testing.T) storage.Store {
		s, err := fs.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		roots.Store(t, s)
		f := faulty.New(s)
		t.Cleanup(func() { f.Close() })
		return f
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

func TestFaults(t *testing.T) {
	s, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := faulty.New(s)
	ctx := t.Context()
	put := func(key string) error {
		_, err := storage.PutBytes(ctx, f, key, []byte(key), storage.PutOptions{})
		return err
	}
	f.FailNth(faulty.Put, 2, nil)
	if err := put("a"); err != nil {
		t.Fatalf("put 1: %v", err)
	}
	if err := put("b"); !errors.Is(err, faulty.ErrInjected) || !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("put 2: %v, want injected ErrUnavailable", err)
	}
	if _, err := s.Stat(ctx, "b"); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("failed put reached the store: %v", err)
	}
	if err := put("c"); err != nil {
		t.Fatalf("put 3: %v", err)
	}

	f.FailNthAfter(faulty.Put, 4, nil)
	if err := put("d"); !errors.Is(err, faulty.ErrInjected) {
		t.Fatalf("put 4: %v, want injected", err)
	}
	if _, err := s.Stat(ctx, "d"); err != nil {
		t.Errorf("put with lost answer did not reach the store: %v", err)
	}

	boom := errors.New("boom")
	f.FailNext(faulty.Stat, 2, boom)
	for i := range 3 {
		_, err := f.Stat(ctx, "a")
		if wantFail := i < 2; wantFail != errors.Is(err, boom) {
			t.Errorf("stat %d: %v", i+1, err)
		}
	}

	f.SetDown(faulty.ErrInjected)
	if err := f.Delete(ctx, "a"); !errors.Is(err, faulty.ErrInjected) {
		t.Errorf("delete while down: %v", err)
	}
	for _, err := range f.List(ctx, "", "") {
		if !errors.Is(err, faulty.ErrInjected) {
			t.Errorf("list while down: %v", err)
		}
	}
	f.SetDown(nil)
	if err := f.Delete(ctx, "a"); err != nil {
		t.Errorf("delete when up: %v", err)
	}

	if got := map[faulty.Op]int{faulty.Put: f.Calls(faulty.Put), faulty.Stat: f.Calls(faulty.Stat), faulty.Delete: f.Calls(faulty.Delete), faulty.List: f.Calls(faulty.List), faulty.Get: f.Calls(faulty.Get)}; got[faulty.Put] != 4 || got[faulty.Stat] != 3 || got[faulty.Delete] != 2 || got[faulty.List] != 1 || got[faulty.Get] != 0 {
		t.Errorf("calls %v", got)
	}
	f.Reset()
	if f.Calls(faulty.Put) != 0 {
		t.Error("reset kept counts")
	}
}
