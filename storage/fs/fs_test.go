package fs_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"hoso/storage"
	"hoso/storage/fs"
	"hoso/storage/storetest"
)

// stores remembers the store each test created, for corrupt.
var stores sync.Map // *testing.T -> *fs.Store

func newStore(t *testing.T) storage.Store {
	s, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	stores.Store(t, s)
	return s
}

// corrupt flips the first content byte of key, or appends one to an empty
// object's content by rewriting the file with a longer content section.
func corrupt(t *testing.T, key string) {
	v, _ := stores.Load(t)
	p := v.(*fs.Store).Path(key)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if b[0] == '{' { // empty content: the file starts with the trailer
		b = append([]byte{'x'}, b...)
	} else {
		b[0] ^= 0xff
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, newStore, corrupt)
}

func TestLeftoverTempFile(t *testing.T) {
	dir := t.TempDir()
	s, err := fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	storage.PutBytes(t.Context(), s, "a/b", []byte("x"), storage.PutOptions{})
	s.Close()
	// A writer died mid-put: its temp file holds no lock.
	stale := filepath.Join(dir, ".tmp", "DEADWRITER")
	if err := os.WriteFile(stale, []byte("half an object"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temp file still there: %v", err)
	}
	var keys []string
	for info, err := range s.List(t.Context(), "", "") {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, info.Key)
	}
	if len(keys) != 1 || keys[0] != "a/b" {
		t.Errorf("list: %q, want [a/b]", keys)
	}
	for _, key := range []string{".tmp", ".tmp/DEADWRITER"} {
		if _, err := s.Stat(t.Context(), key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("stat %s: %v, want ErrInvalidKey", key, err)
		}
	}
}

// TestLiveTempFileKept: New in a second process (here: a second Store) must
// not remove the temp file of a Put in progress.
func TestLiveTempFileKept(t *testing.T) {
	dir := t.TempDir()
	s, err := fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pr, pw := io.Pipe()
	done := make(chan error)
	go func() {
		_, err := s.Put(t.Context(), "slow", pr, 6, storage.PutOptions{})
		done <- err
	}()
	pw.Write([]byte("abc")) // the temp file exists and is locked now
	s2, err := fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
	pw.Write([]byte("def"))
	pw.Close()
	if err := <-done; err != nil {
		t.Fatalf("put after another open: %v", err)
	}
	b, _, err := storage.ReadAll(t.Context(), s, "slow")
	if err != nil || string(b) != "abcdef" {
		t.Fatalf("read: %q, %v", b, err)
	}
}

// TestDamagedFile: truncations anywhere in the file, and a garbled trailer,
// are reported as ErrChecksum, never served as good content.
func TestDamagedFile(t *testing.T) {
	s := newStore(t)
	content := bytes.Repeat([]byte("0123456789"), 100)
	p := s.(*fs.Store).Path("obj")
	full := func() []byte {
		if _, err := storage.PutBytes(t.Context(), s, "obj", content, storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	n := len(full())
	damage := map[string]func(b []byte) []byte{
		"truncated-footer":   func(b []byte) []byte { return b[:n-3] },
		"truncated-trailer":  func(b []byte) []byte { return b[:len(content)+10] },
		"truncated-content":  func(b []byte) []byte { return b[:500] },
		"empty-file":         func(b []byte) []byte { return nil },
		"bad-magic":          func(b []byte) []byte { b[n-1] ^= 1; return b },
		"bad-json":           func(b []byte) []byte { b[len(content)+2] = '#'; return b },
		"length-too-big":     func(b []byte) []byte { b[n-9]++; return b },
		"content-cut-front":  func(b []byte) []byte { return b[10:] },
		"appended-garbage":   func(b []byte) []byte { return append(b, "junk"...) },
		"content-bit-flip":   func(b []byte) []byte { b[999] ^= 1; return b },
		"content-extra-byte": func(b []byte) []byte { return append(append(b[:len(content):len(content)], 'x'), b[len(content):]...) },
	}
	for name, fn := range damage {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(p, fn(full()), 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, err := storage.ReadAll(t.Context(), s, "obj")
			if !errors.Is(err, storage.ErrChecksum) {
				t.Errorf("read: %v, want ErrChecksum", err)
			}
		})
	}
}

func TestCollisionOfKeyAndPrefix(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	storage.PutBytes(ctx, s, "a", []byte("x"), storage.PutOptions{})
	storage.PutBytes(ctx, s, "b/c", []byte("x"), storage.PutOptions{})
	for _, key := range []string{"a/b", "a/b/c", "b"} {
		if _, err := storage.PutBytes(ctx, s, key, []byte("y"), storage.PutOptions{}); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("put %s: %v, want ErrInvalidKey", key, err)
		}
	}
}

func TestDeleteRemovesEmptyFolders(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	storage.PutBytes(ctx, s, "x/y/z/obj", []byte("1"), storage.PutOptions{})
	storage.PutBytes(ctx, s, "x/keep", []byte("2"), storage.PutOptions{})
	if err := s.Delete(ctx, "x/y/z/obj"); err != nil {
		t.Fatal(err)
	}
	dir := s.(*fs.Store).Dir()
	if _, err := os.Stat(filepath.Join(dir, "x", "y")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("x/y still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "x", "keep")); err != nil {
		t.Errorf("x/keep: %v", err)
	}
}

// TestConcurrentPutDelete races puts into a folder with deletes emptying it.
func TestConcurrentPutDelete(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	var wg sync.WaitGroup
	deadline := time.Now().Add(300 * time.Millisecond)
	for i := range 4 {
		wg.Go(func() {
			key := "d/e/f/" + string(rune('a'+i))
			for time.Now().Before(deadline) {
				if _, err := storage.PutBytes(ctx, s, key, []byte("x"), storage.PutOptions{IfAbsent: i%2 == 0}); err != nil {
					t.Errorf("put: %v", err)
					return
				}
				if err := s.Delete(ctx, key); err != nil {
					t.Errorf("delete: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestCollisionDeep: a file deep in the path of a new key.
func TestCollisionDeep(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	storage.PutBytes(ctx, s, "x/y", []byte("x"), storage.PutOptions{})
	for _, key := range []string{"x/y/z/w", "x/y/z/w/v"} {
		for _, ifAbsent := range []bool{false, true} {
			if _, err := storage.PutBytes(ctx, s, key, []byte("y"), storage.PutOptions{IfAbsent: ifAbsent}); !errors.Is(err, storage.ErrInvalidKey) {
				t.Errorf("put %s: %v, want ErrInvalidKey", key, err)
			}
		}
	}
}
