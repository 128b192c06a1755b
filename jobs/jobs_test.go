package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"hoso/domain"
	"hoso/ingest"
	"hoso/storage"
	"hoso/storage/fs"
)

func newStore(t *testing.T) storage.Store {
	t.Helper()
	s, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func specs() []*ingest.Spec {
	return []*ingest.Spec{
		{Dossier: domain.Dossier{Code: "HS-1", Classification: domain.Public}, Files: []ingest.FileSpec{
			{Path: "/tmp/up-1/0", Name: "cv.pdf"},
			{Path: "/tmp/up-1/1", Name: "secret.pdf", Classification: domain.Secret},
		}},
		{Dossier: domain.Dossier{Code: "HS-2", Classification: domain.Confidential}, Files: []ingest.FileSpec{{Path: "in/HS-2/a.png"}}},
	}
}

func TestJobLifecycle(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	m := NewManager(store, Config{Interval: 20 * time.Millisecond, Host: "h1"})
	other := NewManager(store, Config{}) // another process reading the store

	j, err := m.Start(ctx, NewJob{Kind: KindIngest, User: "an", Specs: specs(), Queued: true})
	if err != nil {
		t.Fatal(err)
	}
	if !ValidID(j.ID()) {
		t.Fatalf("id %q", j.ID())
	}
	st, err := other.Get(ctx, j.ID())
	if err != nil || st.State != StateQueued || len(st.Dossiers) != 2 || st.Dossiers[1].Classification != domain.Confidential {
		t.Fatalf("stored at start: %+v, %v", st, err)
	}
	j.Run()
	ev := j.Events(ingest.Events{})
	ev.Pages(3)
	ev.PageDone("HS-1", false)
	ev.PageDone("HS-1", true)
	ev.FileFailed("HS-1", "/tmp/up-1/1", fmt.Errorf("/tmp/up-1/1: not a PDF"))
	ev.DossierDone(&domain.Dossier{Code: "HS-1", Version: 4}, true)
	ev.DossierFailed("HS-2", errors.New("store full"))

	// the periodic write makes progress visible to other processes
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err = other.Get(ctx, j.ID())
		if err == nil && st.PagesDone == 2 && st.NumFailures == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("progress not written: %+v, %v", st, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st.State != StateRunning || st.PagesTotal != 3 || st.Dossiers[0].State != DossierCommitted || st.Dossiers[0].Version != 4 || st.Dossiers[1].State != DossierFailed {
		t.Errorf("running status %+v", st)
	}
	f := st.Failures[0]
	if f.File != "secret.pdf" || f.Classification != domain.Secret || strings.Contains(f.Error, "/tmp/") || f.Dossier != "HS-1" {
		t.Errorf("file failure %+v", f)
	}
	if g := st.Failures[1]; g.File != "" || g.Classification != domain.Confidential {
		t.Errorf("dossier failure %+v", g)
	}

	if err := j.Finish(nil); err != nil {
		t.Fatal(err)
	}
	if err := j.Finish(errors.New("again")); err != nil {
		t.Fatal(err)
	}
	st, err = other.Get(ctx, j.ID())
	if err != nil || st.State != StateDone || st.PagesTotal != 2 || st.Finished.IsZero() {
		t.Fatalf("final %+v, %v", st, err)
	}
	ev.PageDone("HS-1", false) // late events change nothing
	if got := j.Status(); got.PagesDone != 2 {
		t.Errorf("after finish: %d pages", got.PagesDone)
	}
}

func TestFinishStates(t *testing.T) {
	ctx := context.Background()
	m := NewManager(newStore(t), Config{})
	for _, tc := range []struct {
		err  error
		want State
	}{
		{nil, StateDone},
		{fmt.Errorf("run: %w", context.Canceled), StateInterrupted},
		{errors.New("store unreachable"), StateFailed},
	} {
		cctx, cancel := context.WithCancel(ctx)
		j, err := m.Start(cctx, NewJob{Kind: KindUpload})
		if err != nil {
			t.Fatal(err)
		}
		cancel() // the final write must not depend on the job's context
		if err := j.Finish(tc.err); err != nil {
			t.Fatal(err)
		}
		st, err := m.Get(ctx, j.ID())
		if err != nil || st.State != tc.want {
			t.Errorf("Finish(%v): %+v, %v", tc.err, st, err)
		}
		if tc.err != nil && st.Error == "" {
			t.Errorf("Finish(%v): no error recorded", tc.err)
		}
	}
}

func TestListNewestFirstAndStale(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	var mu sync.Mutex
	now := time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	m := NewManager(store, Config{Now: clock, Interval: time.Hour})
	var ids []string
	for range 3 {
		j, err := m.Start(ctx, NewJob{Kind: KindIngest})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID())
		advance(time.Second)
		if len(ids) < 3 {
			j.Finish(nil)
		} else {
			t.Cleanup(func() { j.Finish(nil) })
		}
	}
	list, err := m.List(ctx, 2)
	if err != nil || len(list) != 2 || list[0].ID != ids[2] || list[1].ID != ids[1] {
		t.Fatalf("list: %v %v", list, err)
	}
	// another process reads the running job once it stopped being updated
	reader := NewManager(store, Config{Now: clock})
	if st, _ := reader.Get(ctx, ids[2]); st.State != StateRunning {
		t.Errorf("fresh job: %s", st.State)
	}
	advance(time.Hour)
	if st, _ := reader.Get(ctx, ids[2]); st.State != StateInterrupted || st.Error == "" {
		t.Errorf("stale job: %+v", st)
	}
}

func TestGetBadID(t *testing.T) {
	m := NewManager(newStore(t), Config{})
	for _, id := range []string{"", "../users/admin", "j123", "j00000000000000000001-abcdefgh", "j00000000000000000001-0000000a"} {
		if _, err := m.Get(context.Background(), id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%q): %v", id, err)
		}
	}
}
