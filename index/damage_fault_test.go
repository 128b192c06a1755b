package index_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hoso/archive"
	"hoso/index"
	"hoso/internal/faulttest"
	"hoso/storage/fs"
)

func seededArchive(t *testing.T, n int) (*archive.Archive, *faulttest.Seeded) {
	t.Helper()
	s, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	arch := archive.New(s)
	return arch, faulttest.Seed(t, arch, "HS-DMG", n, 2)
}

// filledIndex opens an index in a new folder and catches it up with arch.
func filledIndex(t *testing.T, arch *archive.Archive) (string, *index.Index) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "index")
	ix, err := index.Open(dir, index.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.CatchUp(context.Background(), arch); err != nil {
		t.Fatal(err)
	}
	return dir, ix
}

func activeSub(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "CURRENT"))
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, strings.TrimSpace(string(b)))
}

func overwrite(pattern string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		m, _ := filepath.Glob(filepath.Join(activeSub(t, dir), pattern))
		if len(m) == 0 {
			t.Fatalf("nothing matches %s", pattern)
		}
		for _, f := range m {
			if err := os.WriteFile(f, []byte("garbage, not what bleve wrote"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestOpenDamagedIndex damages a closed index in each way a disk or a
// person can: every damaged index opens (empty, as a deleted one does),
// Check says it is out of sync and not synced, and a catch-up from the
// store restores every page. Before, all but the deleted folder made Open
// fail, so that neither hoso serve nor hoso reindex could start.
func TestOpenDamagedIndex(t *testing.T) {
	ctx := context.Background()
	arch, seeded := seededArchive(t, 4)
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, dir string)
	}{
		{"folder deleted", func(t *testing.T, dir string) { os.RemoveAll(dir) }},
		{"CURRENT garbage", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "CURRENT"), []byte("\x00garbage\n"), 0o644)
		}},
		{"CURRENT names a missing index", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "CURRENT"), []byte("idx-1\n"), 0o644)
		}},
		{"index_meta.json garbage", overwrite("index_meta.json")},
		{"root.bolt garbage", overwrite("store/root.bolt")},
		{"root.bolt truncated", func(t *testing.T, dir string) {
			os.Truncate(filepath.Join(activeSub(t, dir), "store", "root.bolt"), 4096)
		}},
		{"segments garbage", overwrite("store/*.zap")},
		{"segments deleted", func(t *testing.T, dir string) {
			m, _ := filepath.Glob(filepath.Join(activeSub(t, dir), "store", "*.zap"))
			for _, f := range m {
				os.Remove(f)
			}
		}},
		{"store folder deleted", func(t *testing.T, dir string) { os.RemoveAll(filepath.Join(activeSub(t, dir), "store")) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, ix := filledIndex(t, arch)
			ix.Close()
			tc.damage(t, dir)
			ix, err := index.Open(dir, index.Config{})
			if err != nil {
				t.Fatalf("open a damaged index: %v", err)
			}
			defer ix.Close()
			if h, err := ix.Check(ctx, arch); !errors.Is(err, index.ErrOutOfSync) || !h.Empty {
				t.Errorf("check of the damaged index: %+v %v", h, err)
			}
			if ok, err := ix.Synced(); ok || err != nil {
				t.Errorf("damaged index synced: %v %v", ok, err)
			}
			if err := ix.CatchUp(ctx, arch); err != nil {
				t.Fatal(err)
			}
			if h, err := ix.Check(ctx, arch); err != nil || h.IndexPages != seeded.Pages {
				t.Errorf("after catch-up: %+v %v", h, err)
			}
			if ok, err := ix.Synced(); !ok || err != nil {
				t.Errorf("caught-up index not synced: %v %v", ok, err)
			}
		})
	}
}

// TestIndexDeletedWhileOpen deletes the index folder under an open index
// and commits more: the next batch fails to persist, after which bleve
// panicked on the first search (taking hoso serve down). Now the index
// refuses reads with ErrDamaged, and the follower rebuilds it from the
// store, folder and all.
func TestIndexDeletedWhileOpen(t *testing.T) {
	ctx := context.Background()
	arch, seeded := seededArchive(t, 4)
	dir, ix := filledIndex(t, arch)
	defer ix.Close()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	more := faulttest.Seed(t, arch, "HS-MORE", 2, 2)
	if _, err := ix.Sync(ctx, arch); err == nil {
		t.Fatal("a batch into a deleted folder persisted")
	}
	if ix.Damaged() == nil {
		t.Fatal("index not marked damaged")
	}
	for name, call := range map[string]func() error{
		"search": func() error {
			_, err := ix.Search(ctx, index.Request{Query: "trang", Clearance: "top-secret"})
			return err
		},
		"check":     func() error { _, err := ix.Check(ctx, arch); return err },
		"doc count": func() error { _, err := ix.DocCount(); return err },
		"synced":    func() error { _, err := ix.Synced(); return err },
	} {
		if err := call(); !errors.Is(err, index.ErrDamaged) || !errors.Is(err, index.ErrOutOfSync) {
			t.Errorf("%s on a damaged index: %v", name, err)
		}
	}
	fctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- ix.Follow(fctx, arch, 50*time.Millisecond) }()
	deadline := time.Now().Add(20 * time.Second)
	for ix.Damaged() != nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	h, err := ix.Check(ctx, arch)
	if err != nil || h.IndexPages != seeded.Pages+more.Pages {
		t.Fatalf("after the follower's rebuild: %+v %v", h, err)
	}
	res, err := ix.Search(ctx, index.Request{Query: "code:HS-MORE*", Clearance: "top-secret"})
	if err != nil || res.Total != 2 {
		t.Errorf("search after the rebuild: %v %v", res, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "CURRENT")); err != nil {
		t.Errorf("the rebuilt index is not on disk: %v", err)
	}
}
