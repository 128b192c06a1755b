// Package storetest is the conformance suite every storage.Store passes: the
// backends (storage/fs, storage/s3) and each decorator (retry, faulty).
//
// A backend's test calls Run with a constructor for fresh, empty stores and,
// where it can, a function that damages an object behind the store's back:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, newStore, corrupt)
//	}
package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"testing"

	"hoso/storage"
)

// Run runs the suite, each case in a parallel subtest with its own store.
//
// newStore returns a new, empty store and registers its cleanup with t.
// The suite may Close the store itself, so that cleanup should ignore the
// error of a second Close.
//
// corrupt changes the stored content of key without going through the store
// (keeping the recorded checksum); it is called with the t that created the
// store holding key. A nil corrupt skips the checksum-detection case.
func Run(t *testing.T, newStore func(t *testing.T) storage.Store, corrupt func(t *testing.T, key string)) {
	cases := []struct {
		name string
		fn   func(t *testing.T, s storage.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"Large", testLarge},
		{"Info", testInfo},
		{"List", testList},
		{"ListOrder", testListOrder},
		{"ListMany", testListMany},
		{"NotFound", testNotFound},
		{"Overwrite", testOverwrite},
		{"IfAbsentRace", testIfAbsentRace},
		{"SizeMismatch", testSizeMismatch},
		{"SHA256Mismatch", testSHA256Mismatch},
		{"InvalidKey", testInvalidKey},
		{"KeyAndPrefix", testKeyAndPrefix},
		{"Checksum", func(t *testing.T, s storage.Store) { testChecksum(t, s, corrupt) }},
		{"Cancel", testCancel},
		{"CancelMidStream", testCancelMidStream},
		{"Close", testClose},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, newStore(t))
		})
	}
}

// put stores b under key and fails the test on error.
func put(t *testing.T, s storage.Store, key string, b []byte, opts storage.PutOptions) storage.ObjectInfo {
	t.Helper()
	info, err := storage.PutBytes(t.Context(), s, key, b, opts)
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	return info
}

// mustRead gets key and fails the test unless its content is want.
func mustRead(t *testing.T, s storage.Store, key string, want []byte) storage.ObjectInfo {
	t.Helper()
	got, info, err := storage.ReadAll(t.Context(), s, key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("get %s: got %d bytes %.40q, want %d bytes %.40q", key, len(got), got, len(want), want)
	}
	return info
}

// mustNotExist fails the test unless Stat of key reports ErrNotExist.
func mustNotExist(t *testing.T, s storage.Store, key string) {
	t.Helper()
	if info, err := s.Stat(t.Context(), key); !errors.Is(err, storage.ErrNotExist) {
		t.Fatalf("stat %s: got %+v, %v; want ErrNotExist", key, info, err)
	}
}

// listKeys lists and returns the keys, failing the test on error.
func listKeys(t *testing.T, s storage.Store, prefix, startAfter string) []string {
	t.Helper()
	var keys []string
	for info, err := range s.List(t.Context(), prefix, startAfter) {
		if err != nil {
			t.Fatalf("list %q after %q: %v", prefix, startAfter, err)
		}
		if info.Key == "" || info.Size < 0 || info.Modified.IsZero() {
			t.Errorf("list %q: incomplete info %+v", prefix, info)
		}
		keys = append(keys, info.Key)
	}
	return keys
}

// equalKeys fails the test unless got equals want (nil and empty alike).
func equalKeys(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %d keys %q, want %d keys %q", what, len(got), got, len(want), want)
	}
}

func sha(b []byte) string { return storage.SHA256Hex(b) }

// genReader streams n deterministic pseudo-random bytes without holding them.
type genReader struct {
	src *rand.ChaCha8
	n   int64
}

func newGen(seed byte, n int64) *genReader {
	return &genReader{src: rand.NewChaCha8([32]byte{seed}), n: n}
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > g.n {
		p = p[:g.n]
	}
	n, _ := g.src.Read(p)
	g.n -= int64(n)
	return n, nil
}

// genSHA returns the SHA-256 of newGen(seed, n)'s bytes.
func genSHA(seed byte, n int64) string {
	h := sha256.New()
	io.Copy(h, newGen(seed, n))
	return hex.EncodeToString(h.Sum(nil))
}

// streamOnly hides every method but Read (no Seek, ReadAt, WriteTo), so a
// store cannot take a shortcut.
type streamOnly struct{ r io.Reader }

func (s streamOnly) Read(p []byte) (int, error) { return s.r.Read(p) }

// ctx returns the test's context.
func ctx(t *testing.T) context.Context { return t.Context() }
