package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"hoso/storage"
)

func testRoundTrip(t *testing.T, s storage.Store) {
	small := []byte("Hồ sơ cán bộ, trang 1\n")
	cases := []struct {
		name string
		b    []byte
		r    func(b []byte) io.Reader
		opts storage.PutOptions
	}{
		{"empty", nil, func(b []byte) io.Reader { return bytes.NewReader(b) }, storage.PutOptions{}},
		{"empty-stream", nil, func(b []byte) io.Reader { return streamOnly{bytes.NewReader(b)} }, storage.PutOptions{}},
		{"small-seekable", small, func(b []byte) io.Reader { return bytes.NewReader(b) }, storage.PutOptions{}},
		{"small-stream", small, func(b []byte) io.Reader { return streamOnly{bytes.NewReader(b)} }, storage.PutOptions{}},
		{"small-sha-given", small, func(b []byte) io.Reader { return streamOnly{bytes.NewReader(b)} }, storage.PutOptions{SHA256: sha(small)}},
		{"binary", bytes.Repeat([]byte{0, 0xff, '\n', 0x80}, 3000), func(b []byte) io.Reader { return bytes.NewReader(b) }, storage.PutOptions{}},
	}
	for _, c := range cases {
		key := "roundtrip/" + c.name
		info, err := s.Put(ctx(t), key, c.r(c.b), int64(len(c.b)), c.opts)
		if err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
		if info.Key != key || info.Size != int64(len(c.b)) || info.SHA256 != sha(c.b) {
			t.Errorf("put %s: info %+v, want size %d sha %s", key, info, len(c.b), sha(c.b))
		}
		got := mustRead(t, s, key, c.b)
		if got.Size != int64(len(c.b)) || got.SHA256 != sha(c.b) {
			t.Errorf("get %s: info %+v", key, got)
		}
	}
}

// testLarge streams objects larger than an S3 part (16 MiB), with and
// without the expected digest, and reads them back without buffering.
func testLarge(t *testing.T, s storage.Store) {
	const big, medium = 50 << 20, 20 << 20
	cases := []struct {
		key  string
		seed byte
		n    int64
		give bool
	}{
		{"large/50MB", 1, big, false},
		{"large/20MB-sha-given", 2, medium, true},
	}
	for _, c := range cases {
		want := genSHA(c.seed, c.n)
		opts := storage.PutOptions{ContentType: "image/tiff"}
		if c.give {
			opts.SHA256 = want
		}
		info, err := s.Put(ctx(t), c.key, newGen(c.seed, c.n), c.n, opts)
		if err != nil {
			t.Fatalf("put %s: %v", c.key, err)
		}
		if info.SHA256 != want || info.Size != c.n {
			t.Fatalf("put %s: info %+v, want sha %s", c.key, info, want)
		}
		rc, info, err := s.Get(ctx(t), c.key)
		if err != nil {
			t.Fatalf("get %s: %v", c.key, err)
		}
		h := sha256.New()
		n, err := io.Copy(h, rc)
		rc.Close()
		if err != nil {
			t.Fatalf("read %s: %v", c.key, err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != want || n != c.n {
			t.Fatalf("read %s: %d bytes sha %s, want %d bytes sha %s", c.key, n, got, c.n, want)
		}
		if info.ContentType != "image/tiff" || info.SHA256 != want {
			t.Errorf("get %s: info %+v", c.key, info)
		}
	}
}

func testInfo(t *testing.T, s storage.Store) {
	b := []byte(`{"page":1}`)
	before := time.Now().Add(-time.Minute)
	put(t, s, "info/typed.json", b, storage.PutOptions{ContentType: "application/json"})
	put(t, s, "info/untyped", b, storage.PutOptions{})
	for key, ct := range map[string]string{"info/typed.json": "application/json", "info/untyped": "application/octet-stream"} {
		info, err := s.Stat(ctx(t), key)
		if err != nil {
			t.Fatalf("stat %s: %v", key, err)
		}
		want := storage.ObjectInfo{Key: key, Size: int64(len(b)), SHA256: sha(b), ContentType: ct}
		if info.Key != want.Key || info.Size != want.Size || info.SHA256 != want.SHA256 || info.ContentType != want.ContentType {
			t.Errorf("stat %s: got %+v, want %+v", key, info, want)
		}
		if info.Modified.Before(before) || info.Modified.After(time.Now().Add(time.Minute)) {
			t.Errorf("stat %s: modified %v, want about now", key, info.Modified)
		}
		got := mustRead(t, s, key, b)
		if got.SHA256 != want.SHA256 || got.ContentType != ct || got.Size != want.Size {
			t.Errorf("get %s: info %+v, want %+v", key, got, want)
		}
	}
}

func testNotFound(t *testing.T, s storage.Store) {
	put(t, s, "nf/dir/obj", []byte("x"), storage.PutOptions{})
	for _, key := range []string{"nf/missing", "nf/dir", "nf/dir/obj/deeper", "other"} {
		if _, _, err := s.Get(ctx(t), key); !errors.Is(err, storage.ErrNotExist) {
			t.Errorf("get %s: %v, want ErrNotExist", key, err)
		}
		mustNotExist(t, s, key)
		if err := s.Delete(ctx(t), key); !errors.Is(err, storage.ErrNotExist) {
			t.Errorf("delete %s: %v, want ErrNotExist", key, err)
		}
	}
	if err := s.Delete(ctx(t), "nf/dir/obj"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	mustNotExist(t, s, "nf/dir/obj")
	if err := s.Delete(ctx(t), "nf/dir/obj"); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("second delete: %v, want ErrNotExist", err)
	}
	equalKeys(t, "list after delete", listKeys(t, s, "", ""), nil)
	put(t, s, "nf/dir/obj", []byte("again"), storage.PutOptions{})
	mustRead(t, s, "nf/dir/obj", []byte("again"))
}

func testOverwrite(t *testing.T, s storage.Store) {
	const key = "ow/obj"
	v1, v2 := []byte("version one"), []byte("version two, longer")
	put(t, s, key, v1, storage.PutOptions{})
	put(t, s, key, v2, storage.PutOptions{ContentType: "text/plain"})
	mustRead(t, s, key, v2)

	info, err := storage.PutBytes(ctx(t), s, key, v2, storage.PutOptions{IfAbsent: true})
	if err != nil || info.SHA256 != sha(v2) || info.Size != int64(len(v2)) {
		t.Fatalf("put if absent, same content: %+v, %v; want existing info, nil", info, err)
	}
	if _, err := storage.PutBytes(ctx(t), s, key, v1, storage.PutOptions{IfAbsent: true}); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("put if absent, other content: %v, want ErrConflict", err)
	}
	got := mustRead(t, s, key, v2)
	if got.ContentType != "text/plain" {
		t.Errorf("content type %q after refused put, want text/plain", got.ContentType)
	}
	put(t, s, "ow/new", v1, storage.PutOptions{IfAbsent: true})
	mustRead(t, s, "ow/new", v1)
}

// testIfAbsentRace has 20 writers create one key with different contents:
// exactly one wins, and the stored content is the winner's.
func testIfAbsentRace(t *testing.T, s storage.Store) {
	const key, n = "race/obj", 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	content := func(i int) []byte { return fmt.Appendf(nil, "writer %d %s", i, strings.Repeat("x", i*100)) }
	for i := range n {
		wg.Go(func() {
			_, errs[i] = storage.PutBytes(ctx(t), s, key, content(i), storage.PutOptions{IfAbsent: true})
		})
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("writers %d and %d both won", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, storage.ErrConflict):
			t.Errorf("writer %d: %v, want nil or ErrConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer won")
	}
	mustRead(t, s, key, content(winner))
}

func testSizeMismatch(t *testing.T, s storage.Store) {
	old := []byte("old content")
	put(t, s, "size/existing", old, storage.PutOptions{})
	cases := []struct {
		name    string
		content string
		size    int64
	}{
		{"short", "12345", 10},
		{"long", "1234567890", 5},
		{"empty-but-size", "", 3},
		{"nonempty-but-zero", "abc", 0},
	}
	for _, c := range cases {
		for _, key := range []string{"size/" + c.name, "size/existing"} {
			for _, r := range []io.Reader{strings.NewReader(c.content), streamOnly{strings.NewReader(c.content)}} {
				if _, err := s.Put(ctx(t), key, r, c.size, storage.PutOptions{}); err == nil {
					t.Errorf("put %s: %d bytes with size %d: no error", key, len(c.content), c.size)
				}
			}
		}
		mustNotExist(t, s, "size/"+c.name)
	}
	mustRead(t, s, "size/existing", old)
	equalKeys(t, "list", listKeys(t, s, "size/", ""), []string{"size/existing"})
}

func testSHA256Mismatch(t *testing.T, s storage.Store) {
	old := []byte("old content")
	put(t, s, "sha/existing", old, storage.PutOptions{})
	b := []byte("new content")
	wrong := sha([]byte("something else"))
	for _, key := range []string{"sha/new", "sha/existing"} {
		for _, ifAbsent := range []bool{false, true} {
			for _, r := range []io.Reader{bytes.NewReader(b), streamOnly{bytes.NewReader(b)}} {
				_, err := s.Put(ctx(t), key, r, int64(len(b)), storage.PutOptions{SHA256: wrong, IfAbsent: ifAbsent})
				if !errors.Is(err, storage.ErrChecksum) {
					t.Errorf("put %s with wrong sha (if absent %v): %v, want ErrChecksum", key, ifAbsent, err)
				}
			}
		}
	}
	// Empty content: there is no last byte to hold back.
	if _, err := s.Put(ctx(t), "sha/empty", streamOnly{strings.NewReader("")}, 0, storage.PutOptions{SHA256: wrong}); !errors.Is(err, storage.ErrChecksum) {
		t.Errorf("put empty with wrong sha: %v, want ErrChecksum", err)
	}
	mustNotExist(t, s, "sha/empty")
	mustNotExist(t, s, "sha/new")
	mustRead(t, s, "sha/existing", old)
	// A large streamed object with a wrong digest stores nothing either.
	const n = 17 << 20
	if _, err := s.Put(ctx(t), "sha/large", newGen(3, n), n, storage.PutOptions{SHA256: wrong}); !errors.Is(err, storage.ErrChecksum) {
		t.Errorf("put large with wrong sha: %v, want ErrChecksum", err)
	}
	mustNotExist(t, s, "sha/large")
}

func testInvalidKey(t *testing.T, s storage.Store) {
	keys := []string{
		"", "../x", "x/..", "x/../y", "/abs", "a//b", "a/./b", "./a", "a/", "a/b/",
		"ctl\x00", "ctl\nx", "tab\tx", "del\x7f", `back\slash`, "bad\xffutf8",
		strings.Repeat("k", storage.MaxKeyLen+1), strings.Repeat("s", storage.MaxSegmentLen+1),
		"seg/" + strings.Repeat("s", storage.MaxSegmentLen+1) + "/x",
	}
	for _, key := range keys {
		if _, err := storage.PutBytes(ctx(t), s, key, []byte("x"), storage.PutOptions{}); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("put %q: %v, want ErrInvalidKey", key, err)
		}
		if _, _, err := s.Get(ctx(t), key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("get %q: %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.Stat(ctx(t), key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("stat %q: %v, want ErrInvalidKey", key, err)
		}
		if err := s.Delete(ctx(t), key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("delete %q: %v, want ErrInvalidKey", key, err)
		}
	}
	equalKeys(t, "list", listKeys(t, s, "", ""), nil)
	// The longest valid key works.
	for _, long := range []string{
		strings.Repeat("k/", storage.MaxKeyLen/2-1) + "kk",
		strings.Repeat("s", storage.MaxSegmentLen) + "/" + strings.Repeat("t", storage.MaxSegmentLen),
	} {
		put(t, s, long, []byte("x"), storage.PutOptions{})
		mustRead(t, s, long, []byte("x"))
	}
}

// testKeyAndPrefix: a key that is also a folder of other keys ("a" and
// "a/b"). The folder store refuses the second with ErrInvalidKey; S3 stores
// both (and MinIO then lists only "a", see storage.Store). Either way the
// first objects are intact, and a store that accepts both returns both.
func testKeyAndPrefix(t *testing.T, s storage.Store) {
	put(t, s, "kp/a", []byte("a"), storage.PutOptions{})
	put(t, s, "kp/b/c", []byte("c"), storage.PutOptions{})
	for _, key := range []string{"kp/a/x", "kp/b"} {
		for _, ifAbsent := range []bool{false, true} {
			_, err := storage.PutBytes(ctx(t), s, key, []byte("x"), storage.PutOptions{IfAbsent: ifAbsent})
			if err != nil && !errors.Is(err, storage.ErrInvalidKey) {
				t.Errorf("put %s: %v, want nil or ErrInvalidKey", key, err)
			}
			if err == nil {
				mustRead(t, s, key, []byte("x"))
			}
		}
	}
	mustRead(t, s, "kp/a", []byte("a"))
	mustRead(t, s, "kp/b/c", []byte("c"))
}

func testChecksum(t *testing.T, s storage.Store, corrupt func(*testing.T, string)) {
	if corrupt == nil {
		t.Skip("store cannot be corrupted behind its back")
	}
	b := bytes.Repeat([]byte("page image bytes "), 1000)
	for _, key := range []string{"sum/small", "sum/empty"} {
		content := b
		if key == "sum/empty" {
			content = nil
		}
		put(t, s, key, content, storage.PutOptions{})
		corrupt(t, key)
		rc, _, err := s.Get(ctx(t), key)
		if err == nil {
			_, err = io.Copy(io.Discard, rc)
			rc.Close()
		}
		if !errors.Is(err, storage.ErrChecksum) {
			t.Errorf("get %s after corruption: %v, want ErrChecksum", key, err)
		}
		if _, _, err := storage.ReadAll(ctx(t), s, key); err == nil {
			t.Errorf("read all %s after corruption: no error", key)
		}
	}
}

func testCancel(t *testing.T, s storage.Store) {
	put(t, s, "cancel/obj", []byte("x"), storage.PutOptions{})
	c, cancel := context.WithCancel(ctx(t))
	cancel()
	if _, err := s.Put(c, "cancel/new", strings.NewReader("x"), 1, storage.PutOptions{}); err == nil {
		t.Error("put with cancelled ctx: no error")
	}
	if _, _, err := s.Get(c, "cancel/obj"); err == nil {
		t.Error("get with cancelled ctx: no error")
	}
	if _, err := s.Stat(c, "cancel/obj"); err == nil {
		t.Error("stat with cancelled ctx: no error")
	}
	if err := s.Delete(c, "cancel/obj"); err == nil {
		t.Error("delete with cancelled ctx: no error")
	}
	var listErr error
	for _, err := range s.List(c, "", "") {
		if err != nil {
			listErr = err
		}
	}
	if listErr == nil {
		t.Error("list with cancelled ctx: no error")
	}
	mustNotExist(t, s, "cancel/new")
	mustRead(t, s, "cancel/obj", []byte("x"))
}

// cancelReader cancels its context once after bytes have been read, and goes
// on producing.
type cancelReader struct {
	r      io.Reader
	after  int64
	n      int64
	cancel context.CancelFunc
}

func (c *cancelReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n >= c.after {
		c.cancel()
	}
	return n, err
}

func testCancelMidStream(t *testing.T, s storage.Store) {
	old := []byte("old content")
	put(t, s, "mid/existing", old, storage.PutOptions{})
	const n = 20 << 20
	for _, key := range []string{"mid/new", "mid/existing"} {
		for _, give := range []bool{false, true} {
			c, cancel := context.WithCancel(ctx(t))
			r := &cancelReader{r: newGen(4, n), after: 17 << 20, cancel: cancel}
			opts := storage.PutOptions{}
			if give {
				opts.SHA256 = genSHA(4, n)
			}
			if _, err := s.Put(c, key, r, n, opts); err == nil {
				t.Errorf("put %s cancelled mid-stream (sha given %v): no error", key, give)
			}
			cancel()
		}
	}
	mustNotExist(t, s, "mid/new")
	mustRead(t, s, "mid/existing", old)
}

func testClose(t *testing.T, s storage.Store) {
	put(t, s, "close/obj", []byte("x"), storage.PutOptions{})
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if _, err := s.Stat(ctx(t), "close/obj"); err == nil {
		t.Error("stat after close: no error")
	}
	if _, err := storage.PutBytes(ctx(t), s, "close/new", []byte("x"), storage.PutOptions{}); err == nil {
		t.Error("put after close: no error")
	}
}
