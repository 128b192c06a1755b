package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"

	"hoso/storage"
)

const defaultType = "application/octet-stream"

// Put implements storage.Store; see the package comment for how the digest
// is known before the upload.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	if err := s.check(key); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("put: %w", err)
	}
	if size < 0 {
		return storage.ObjectInfo{}, fmt.Errorf("put %s: negative size %d", key, size)
	}
	if opts.SHA256 != "" && !storage.ValidSHA256(opts.SHA256) {
		return storage.ObjectInfo{}, fmt.Errorf("put %s: expected sha256 %q is not 64 lower-case hex digits", key, opts.SHA256)
	}
	if err := ctx.Err(); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	body, sum, cleanup, err := s.prepare(ctx, r, size, opts.SHA256)
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	defer cleanup()
	ct := opts.ContentType
	if ct == "" {
		ct = defaultType
	}
	popts := minio.PutObjectOptions{
		ContentType:  ct,
		UserMetadata: map[string]string{metaSHA256: sum},
		PartSize:     s.cfg.PartSize,
		NumThreads:   s.cfg.UploadThreads,
	}
	if opts.IfAbsent {
		// minio-go (v7.4.1, completeUploadOpts) drops the condition from
		// the CompleteMultipartUpload request, so concurrent multipart
		// uploads would all win: create-only puts go in one PUT.
		popts.SetMatchETagExcept("*")
		popts.DisableMultipart = true
	}
	up, err := s.client.PutObject(ctx, s.cfg.Bucket, key, body, size, popts)
	if cr, ok := body.(*checkReader); ok && cr.failed != nil {
		return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, cr.failed)
	}
	if err != nil && opts.IfAbsent && minio.ToErrorResponse(err).Code == minio.PreconditionFailed {
		return s.compareExisting(ctx, key, sum)
	}
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, mapErr(ctx, err))
	}
	mod := up.LastModified
	if mod.IsZero() {
		mod = time.Now()
	}
	return storage.ObjectInfo{Key: key, Size: size, SHA256: sum, ContentType: ct, Modified: mod}, nil
}

// compareExisting answers an IfAbsent put refused because key exists.
func (s *Store) compareExisting(ctx context.Context, key, sum string) (storage.ObjectInfo, error) {
	old, err := s.Stat(ctx, key)
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("put %s: existing object: %w", key, err)
	}
	if old.SHA256 != sum {
		return old, fmt.Errorf("put %s: %w (existing sha256 %s, new %s)", key, storage.ErrConflict, old.SHA256, sum)
	}
	return old, nil
}

// prepare returns what to upload and the content's digest; cleanup releases
// a spool.
func (s *Store) prepare(ctx context.Context, r io.Reader, size int64, want string) (body io.Reader, sum string, cleanup func(), err error) {
	if want != "" && size > s.cfg.SpoolMem {
		return newCheckReader(ctx, r, size, want), want, func() {}, nil
	}
	body, sum, cleanup, err = s.prepareKnown(ctx, r, size)
	if err == nil && want != "" && sum != want {
		cleanup()
		return nil, "", nil, fmt.Errorf("%w: content has sha256 %s, expected %s", storage.ErrChecksum, sum, want)
	}
	return body, sum, cleanup, err
}

// prepareKnown learns the digest before the upload: by reading a seekable
// reader twice, or by spooling.
func (s *Store) prepareKnown(ctx context.Context, r io.Reader, size int64) (body io.Reader, sum string, cleanup func(), err error) {
	nop := func() {}
	if sk, ok := r.(io.Seeker); ok {
		if start, err := sk.Seek(0, io.SeekCurrent); err == nil {
			sum, err := hashExactly(ctx, r, size, io.Discard)
			if err != nil {
				return nil, "", nil, err
			}
			if _, err := sk.Seek(start, io.SeekStart); err != nil {
				return nil, "", nil, fmt.Errorf("rewind content: %w", err)
			}
			return newCheckReader(ctx, r, size, sum), sum, nop, nil
		}
	}
	if size <= s.cfg.SpoolMem {
		var buf bytes.Buffer
		buf.Grow(int(size))
		sum, err := hashExactly(ctx, r, size, &buf)
		if err != nil {
			return nil, "", nil, err
		}
		return bytes.NewReader(buf.Bytes()), sum, nop, nil
	}
	f, err := os.CreateTemp(s.cfg.SpoolDir, "hoso-s3-spool-*")
	if err != nil {
		return nil, "", nil, fmt.Errorf("spool: %w", err)
	}
	cleanup = func() {
		f.Close()
		os.Remove(f.Name())
	}
	sum, err = hashExactly(ctx, r, size, f)
	if err != nil {
		cleanup()
		return nil, "", nil, err
	}
	// A SectionReader is seekable (minio-go can retry) and no Closer (minio-go
	// does not close our file).
	return io.NewSectionReader(f, 0, size), sum, cleanup, nil
}

// hashExactly copies exactly size bytes of r to w and returns their digest;
// more or fewer bytes are an error.
func hashExactly(ctx context.Context, r io.Reader, size int64, w io.Writer) (string, error) {
	h := sha256.New()
	cr := storage.ContextReader(ctx, r)
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(cr, size))
	if err != nil {
		if errors.Is(err, syscall.ENOSPC) {
			return "", fmt.Errorf("spool: %w: %w", storage.ErrNoSpace, err)
		}
		return "", err
	}
	if n < size {
		return "", fmt.Errorf("content is %d bytes, size says %d", n, size)
	}
	if err := noMore(cr, size); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// noMore checks that r, having given size bytes, is at its end.
func noMore(r io.Reader, size int64) error {
	var one [1]byte
	m, err := io.ReadFull(r, one[:])
	if m > 0 {
		return fmt.Errorf("content is longer than size %d", size)
	}
	if err != io.EOF {
		return err
	}
	return nil
}

// checkReader passes exactly size bytes of r through, hashing them, and
// verifies digest and length before it hands over the last byte: on a
// mismatch the upload never completes, so the server stores nothing.
type checkReader struct {
	ctx    context.Context
	r      io.Reader
	size   int64
	n      int64
	want   string
	h      hash.Hash
	done   bool
	failed error // content error (checksum, length, ctx), reported by Put
	err    error // sticky read error
}

func newCheckReader(ctx context.Context, r io.Reader, size int64, want string) *checkReader {
	return &checkReader{ctx: ctx, r: r, size: size, want: want, h: sha256.New()}
}

func (c *checkReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if err := c.ctx.Err(); err != nil {
		return 0, c.fail(err)
	}
	if c.n == c.size {
		if err := c.verify(); err != nil {
			return 0, c.fail(err)
		}
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), c.size-c.n)]
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	if c.n == c.size {
		if verr := c.verify(); verr != nil {
			return 0, c.fail(verr) // hold back the last bytes
		}
		return n, nil
	}
	if err == io.EOF {
		return 0, c.fail(fmt.Errorf("content is %d bytes, size says %d", c.n, c.size))
	}
	if err != nil {
		c.err = err
	}
	return n, err
}

func (c *checkReader) fail(err error) error {
	c.failed, c.err = err, err
	return err
}

func (c *checkReader) verify() error {
	if c.done {
		return nil
	}
	if err := noMore(c.r, c.size); err != nil {
		return err
	}
	if got := hex.EncodeToString(c.h.Sum(nil)); got != c.want {
		return fmt.Errorf("%w: content has sha256 %s, expected %s", storage.ErrChecksum, got, c.want)
	}
	c.done = true
	return nil
}
