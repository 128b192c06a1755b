package s3_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"hoso/internal/miniotest"
	"hoso/storage"
	"hoso/storage/s3"
	"hoso/storage/storetest"
)

var bucketSeq atomic.Int64

// newStoreOn returns a store on a fresh bucket of srv.
func newStoreOn(t *testing.T, srv *miniotest.Server, cfg s3.Config) *s3.Store {
	t.Helper()
	cfg.Endpoint = srv.Endpoint
	cfg.AccessKey, cfg.SecretKey = srv.AccessKey, srv.SecretKey
	if cfg.Bucket == "" {
		cfg.Bucket = fmt.Sprintf("hoso-test-%d", bucketSeq.Add(1))
	}
	s, err := s3.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	srv := miniotest.Start(t)
	var stores sync.Map // *testing.T -> *s3.Store
	newStore := func(t *testing.T) storage.Store {
		s := newStoreOn(t, srv, s3.Config{})
		stores.Store(t, s)
		return s
	}
	// corrupt rewrites the object with one byte changed (or added), keeping
	// its recorded digest, as a bad disk or a stray client would.
	corrupt := func(t *testing.T, key string) {
		v, _ := stores.Load(t)
		s := v.(*s3.Store)
		obj, err := s.Client().GetObject(t.Context(), s.Bucket(), key, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(obj)
		if err != nil {
			t.Fatal(err)
		}
		oi, _ := obj.Stat()
		obj.Close()
		if len(b) == 0 {
			b = []byte("x")
		} else {
			b[0] ^= 0xff
		}
		_, err = s.Client().PutObject(t.Context(), s.Bucket(), key, bytes.NewReader(b), int64(len(b)),
			minio.PutObjectOptions{UserMetadata: map[string]string{"sha256": oi.UserMetadata["Sha256"]}})
		if err != nil {
			t.Fatal(err)
		}
	}
	storetest.Run(t, newStore, corrupt)
}

// TestIfAbsentMultipart races create-only puts large enough to go multipart:
// the condition must hold on the completion of the upload too.
func TestIfAbsentMultipart(t *testing.T) {
	srv := miniotest.Start(t)
	s := newStoreOn(t, srv, s3.Config{PartSize: 5 << 20})
	const n, writers = 11 << 20, 4
	content := func(i int) []byte { return bytes.Repeat([]byte{byte('a' + i)}, n) }
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			_, errs[i] = storage.PutBytes(t.Context(), s, "race/big", content(i), storage.PutOptions{IfAbsent: true})
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
	b, _, err := storage.ReadAll(t.Context(), s, "race/big")
	if err != nil || !bytes.Equal(b, content(winner)) {
		t.Fatalf("read: %d bytes, %v; want writer %d's content", len(b), err, winner)
	}
}

// TestForeignObject: an object written without our digest is refused on Get.
func TestForeignObject(t *testing.T) {
	srv := miniotest.Start(t)
	s := newStoreOn(t, srv, s3.Config{})
	if _, err := s.Client().PutObject(t.Context(), s.Bucket(), "foreign", strings.NewReader("x"), 1, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(t.Context(), "foreign"); !errors.Is(err, storage.ErrChecksum) {
		t.Errorf("get: %v, want ErrChecksum", err)
	}
	if err := s.Delete(t.Context(), "foreign"); err != nil {
		t.Errorf("delete: %v", err)
	}
}

// TestOutage stops the server: calls fail with ErrUnavailable within a few
// seconds; after a restart the same store works again.
func TestOutage(t *testing.T) {
	srv := miniotest.Start(t)
	s := newStoreOn(t, srv, s3.Config{MaxRetries: 2})
	ctx := t.Context()
	if _, err := storage.PutBytes(ctx, s, "k", []byte("before"), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	calls := map[string]func() error{
		"put": func() error {
			_, err := storage.PutBytes(ctx, s, "k2", []byte("during"), storage.PutOptions{})
			return err
		},
		"stream-put": func() error {
			_, err := s.Put(ctx, "k3", io.MultiReader(strings.NewReader("during")), 6, storage.PutOptions{})
			return err
		},
		"get": func() error {
			_, _, err := s.Get(ctx, "k")
			return err
		},
		"stat": func() error {
			_, err := s.Stat(ctx, "k")
			return err
		},
		"delete": func() error { return s.Delete(ctx, "k") },
		"list": func() error {
			for _, err := range s.List(ctx, "", "") {
				return err
			}
			return nil
		},
	}
	for name, call := range calls {
		start := time.Now()
		err := call()
		if !errors.Is(err, storage.ErrUnavailable) {
			t.Errorf("%s during outage: %v, want ErrUnavailable", name, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s took %v to fail", name, d)
		}
		t.Logf("%s: %v after %v", name, err, time.Since(start).Round(time.Millisecond))
	}
	srv.Restart()
	b, _, err := storage.ReadAll(ctx, s, "k")
	if err != nil || string(b) != "before" {
		t.Fatalf("read after restart: %q, %v", b, err)
	}
	if _, err := storage.PutBytes(ctx, s, "k2", []byte("after"), storage.PutOptions{}); err != nil {
		t.Fatalf("put after restart: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := s3.Config{Endpoint: "127.0.0.1:9000", Bucket: "hoso", AccessKey: "a", SecretKey: "b"}
	if err := ok.WithDefaults().Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	cases := map[string]func(c *s3.Config){
		"no endpoint":     func(c *s3.Config) { c.Endpoint = "" },
		"endpoint scheme": func(c *s3.Config) { c.Endpoint = "http://127.0.0.1:9000" },
		"no bucket":       func(c *s3.Config) { c.Bucket = "" },
		"bucket case":     func(c *s3.Config) { c.Bucket = "Hoso" },
		"bucket short":    func(c *s3.Config) { c.Bucket = "ab" },
		"bucket dots":     func(c *s3.Config) { c.Bucket = "a..b" },
		"no secret":       func(c *s3.Config) { c.SecretKey = "" },
		"part size":       func(c *s3.Config) { c.PartSize = 1 << 20 },
		"retries":         func(c *s3.Config) { c.MaxRetries = -1 },
	}
	for name, mod := range cases {
		c := ok
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestCredentialsFromEnv(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("MINIO_ROOT_USER", "user")
	t.Setenv("MINIO_ROOT_PASSWORD", "pass")
	c := s3.Config{}.WithDefaults()
	if c.AccessKey != "user" || c.SecretKey != "pass" {
		t.Errorf("from MINIO_ROOT_*: %q %q", c.AccessKey, c.SecretKey)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "aws")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	c = s3.Config{}.WithDefaults()
	if c.AccessKey != "aws" || c.SecretKey != "secret" {
		t.Errorf("from AWS_*: %q %q", c.AccessKey, c.SecretKey)
	}
}

// TestStreamedPutChecks: with the digest given, large content streams
// straight to the server (single PUT or multipart); a wrong digest or length
// is caught before the last byte goes out, so nothing is stored.
func TestStreamedPutChecks(t *testing.T) {
	srv := miniotest.Start(t)
	s := newStoreOn(t, srv, s3.Config{SpoolMem: 1 << 20})
	const n = 9 << 20 // one PUT; over PartSize (16 MiB) with IfAbsent still one PUT
	content := bytes.Repeat([]byte("0123456789abcdef"), n/16)
	good := storage.SHA256Hex(content)
	bad := storage.SHA256Hex([]byte("other"))
	cases := []struct {
		name string
		r    func() io.Reader
		size int64
		sha  string
	}{
		{"wrong sha", func() io.Reader { return io.MultiReader(bytes.NewReader(content)) }, n, bad},
		{"longer", func() io.Reader { return io.MultiReader(bytes.NewReader(content), strings.NewReader("x")) }, n, good},
		{"shorter", func() io.Reader { return io.MultiReader(bytes.NewReader(content[:n-1])) }, n, good},
		{"wrong sha multipart", func() io.Reader { return io.MultiReader(bytes.NewReader(content), bytes.NewReader(content)) }, 2 * n, bad},
	}
	for _, c := range cases {
		for _, ifAbsent := range []bool{false, true} {
			key := fmt.Sprintf("%s/%v", strings.ReplaceAll(c.name, " ", "-"), ifAbsent)
			_, err := s.Put(t.Context(), key, c.r(), c.size, storage.PutOptions{SHA256: c.sha, IfAbsent: ifAbsent})
			if err == nil {
				t.Errorf("%s: no error", key)
			}
			if _, err := s.Stat(t.Context(), key); !errors.Is(err, storage.ErrNotExist) {
				t.Errorf("%s: stored anyway (%v)", key, err)
			}
		}
	}
	if _, err := s.Put(t.Context(), "good", io.MultiReader(bytes.NewReader(content)), n, storage.PutOptions{SHA256: good}); err != nil {
		t.Fatalf("good put: %v", err)
	}
}
