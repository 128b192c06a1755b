// Package s3 is the storage.Store on an S3 server (MinIO or any other),
// through github.com/minio/minio-go/v7. Only S3 APIs are used, nothing
// MinIO-specific.
//
// # Checksums
//
// Every object carries the hex SHA-256 of its whole content in the user
// metadata "sha256" (header X-Amz-Meta-Sha256); Get verifies it while
// streaming with storage.VerifyingReader. S3's own checksums do not serve:
// multipart uploads only have a composite one. Metadata travels in the PUT
// headers, before the body, so Put must know the digest before it uploads:
//
//   - PutOptions.SHA256 given and content over Config.SpoolMem (smaller
//     content takes the ways below): the content streams straight up. A reader
//     between hashes it and, before handing over the last byte, checks digest
//     and length; on a mismatch it fails the read, so the server never gets
//     a complete body and stores nothing (a multipart upload is aborted).
//   - r is an io.Seeker (a file, a bytes.Reader): one pass hashes it, then it
//     is rewound and uploaded through the same checking reader, which also
//     catches a file that changed in between.
//   - otherwise the content is spooled, in memory up to Config.SpoolMem
//     (8 MiB) and to a temp file in Config.SpoolDir beyond, hashing on the
//     way, and uploaded from there.
//
// # Create-only puts
//
// PutOptions.IfAbsent sends the conditional header If-None-Match: *, so the
// server refuses atomically when the key exists (412 PreconditionFailed).
// Put then stats the existing object and returns its info when its digest
// equals the new content's, storage.ErrConflict otherwise. Such puts are
// always one PUT request, never multipart: minio-go v7.4.1 sends the
// condition when it starts a multipart upload but not when it completes it,
// and concurrent uploads then all won (TestIfAbsentMultipart). A single PUT
// is limited to 5 GiB on AWS; hoso's objects are far smaller.
//
// # Errors
//
// NoSuchKey and NoSuchBucket become storage.ErrNotExist; refused or broken
// connections, timeouts, 5xx, 429 and SlowDown become storage.ErrUnavailable
// once minio-go's own retries (Config.MaxRetries attempts per request) are
// spent; a full server becomes storage.ErrNoSpace. The original error stays
// wrapped.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"hoso/storage"
)

// metaSHA256 is the user metadata key holding the content's SHA-256.
const metaSHA256 = "sha256"

// Config says how to reach the bucket. The zero values of the optional
// fields take the defaults noted.
type Config struct {
	Endpoint string // host:port, required
	Bucket   string // required; created by New when missing
	Region   string // optional
	Secure   bool   // TLS

	// AccessKey and SecretKey default to AWS_ACCESS_KEY_ID and
	// AWS_SECRET_ACCESS_KEY, else MINIO_ROOT_USER and MINIO_ROOT_PASSWORD.
	AccessKey, SecretKey string

	PartSize      uint64        // multipart part size; default 16 MiB, at least 5 MiB
	UploadThreads uint          // parallel part uploads from a spool file; default 2
	MaxRetries    int           // attempts per request inside minio-go; default 3
	DialTimeout   time.Duration // default 5s
	SpoolMem      int64         // largest content spooled in memory; default 8 MiB
	SpoolDir      string        // folder for larger spools; default os.TempDir()
}

// Defaults.
const (
	DefaultPartSize      = 16 << 20
	DefaultUploadThreads = 2
	DefaultMaxRetries    = 3
	DefaultDialTimeout   = 5 * time.Second
	DefaultSpoolMem      = 8 << 20
	minPartSize          = 5 << 20
)

// WithDefaults returns c with defaults filled in, credentials from the
// environment included.
func (c Config) WithDefaults() Config {
	if c.AccessKey == "" && c.SecretKey == "" {
		c.AccessKey, c.SecretKey = os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
		if c.AccessKey == "" {
			c.AccessKey, c.SecretKey = os.Getenv("MINIO_ROOT_USER"), os.Getenv("MINIO_ROOT_PASSWORD")
		}
	}
	if c.PartSize == 0 {
		c.PartSize = DefaultPartSize
	}
	if c.UploadThreads == 0 {
		c.UploadThreads = DefaultUploadThreads
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = DefaultMaxRetries
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.SpoolMem == 0 {
		c.SpoolMem = DefaultSpoolMem
	}
	if c.SpoolDir == "" {
		c.SpoolDir = os.TempDir()
	}
	return c
}

// Validate reports the first problem of a config with defaults applied.
func (c Config) Validate() error {
	switch {
	case c.Endpoint == "":
		return errors.New("s3 config: endpoint is empty")
	case strings.Contains(c.Endpoint, "/"):
		return fmt.Errorf("s3 config: endpoint %q must be host:port, without scheme or path", c.Endpoint)
	case c.Bucket == "":
		return errors.New("s3 config: bucket is empty")
	case !validBucket(c.Bucket):
		return fmt.Errorf("s3 config: bucket %q: use 3-63 lower-case letters, digits, '-' and '.'", c.Bucket)
	case c.AccessKey == "" || c.SecretKey == "":
		return errors.New("s3 config: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or MINIO_ROOT_USER and MINIO_ROOT_PASSWORD)")
	case c.PartSize != 0 && c.PartSize < minPartSize:
		return fmt.Errorf("s3 config: part size %d is below S3's minimum of 5 MiB", c.PartSize)
	case c.MaxRetries < 0:
		return fmt.Errorf("s3 config: max retries %d is negative", c.MaxRetries)
	case c.SpoolMem < 0:
		return fmt.Errorf("s3 config: spool memory %d is negative", c.SpoolMem)
	}
	return nil
}

func validBucket(b string) bool {
	if len(b) < 3 || len(b) > 63 || b[0] == '-' || b[0] == '.' || b[len(b)-1] == '-' || b[len(b)-1] == '.' {
		return false
	}
	for _, c := range b {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return !strings.Contains(b, "..")
}

// Store is a storage.Store on one S3 bucket.
type Store struct {
	client *minio.Client
	cfg    Config
	closed atomic.Bool
}

var _ storage.Store = (*Store)(nil)

// New connects to the server and creates the bucket if it is missing.
func New(ctx context.Context, cfg Config) (*Store, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tr, err := minio.DefaultTransport(cfg.Secure)
	if err != nil {
		return nil, fmt.Errorf("s3 transport: %w", err)
	}
	tr.DialContext = (&net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second}).DialContext
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:      credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:     cfg.Secure,
		Region:     cfg.Region,
		Transport:  tr,
		MaxRetries: cfg.MaxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 client for %s: %w", cfg.Endpoint, err)
	}
	s := &Store{client: client, cfg: cfg}
	ok, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("s3 bucket %s on %s: %w", cfg.Bucket, cfg.Endpoint, mapErr(ctx, err))
	}
	if !ok {
		err := client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region})
		if code := minio.ToErrorResponse(err).Code; err != nil && code != minio.BucketAlreadyOwnedByYou && code != minio.BucketAlreadyExists {
			return nil, fmt.Errorf("create s3 bucket %s on %s: %w", cfg.Bucket, cfg.Endpoint, mapErr(ctx, err))
		}
	}
	return s, nil
}

// Client returns the underlying minio client; tests use it to reach behind
// the store.
func (s *Store) Client() *minio.Client { return s.client }

// Bucket returns the bucket's name.
func (s *Store) Bucket() string { return s.cfg.Bucket }

func (s *Store) check(key string) error {
	if s.closed.Load() {
		return errClosed
	}
	return storage.ValidateKey(key)
}

var errClosed = errors.New("store is closed")

// Get implements storage.Store. An object without a recorded SHA-256 (not
// written by this package) cannot be verified and is refused with
// storage.ErrChecksum.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, storage.ObjectInfo, error) {
	if err := s.check(key); err != nil {
		return nil, storage.ObjectInfo{}, fmt.Errorf("get: %w", err)
	}
	// One GET: info and body come from the same response, so the digest
	// always belongs to the bytes read (minio.Object would HEAD first).
	obj, oi, _, err := minio.Core{Client: s.client}.GetObject(ctx, s.cfg.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, storage.ObjectInfo{}, fmt.Errorf("get %s: %w", key, mapErr(ctx, err))
	}
	info, err := objectInfo(key, oi)
	if err != nil {
		obj.Close()
		return nil, storage.ObjectInfo{}, fmt.Errorf("get %s: %w", key, err)
	}
	return storage.VerifyingReader(&bodyReader{ctx: ctx, key: key, rc: obj}, key, info.SHA256, info.Size), info, nil
}

// bodyReader maps the errors of a response body (a connection lost
// mid-object) like those of requests.
type bodyReader struct {
	ctx context.Context
	key string
	rc  io.ReadCloser
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("read %s: %w", b.key, mapErr(b.ctx, err))
	}
	return n, err
}

func (b *bodyReader) Close() error { return b.rc.Close() }

// Stat implements storage.Store.
func (s *Store) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	if err := s.check(key); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat: %w", err)
	}
	oi, err := s.client.StatObject(ctx, s.cfg.Bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat %s: %w", key, mapErr(ctx, err))
	}
	info, err := objectInfo(key, oi)
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat %s: %w", key, err)
	}
	return info, nil
}

// objectInfo converts minio's info, requiring a recorded SHA-256.
func objectInfo(key string, oi minio.ObjectInfo) (storage.ObjectInfo, error) {
	var sum string
	for k, v := range oi.UserMetadata {
		if strings.EqualFold(k, metaSHA256) {
			sum = v
		}
	}
	if !storage.ValidSHA256(sum) {
		return storage.ObjectInfo{}, fmt.Errorf("%w: %s: no valid sha256 recorded (%q)", storage.ErrChecksum, key, sum)
	}
	return storage.ObjectInfo{Key: key, Size: oi.Size, SHA256: sum, ContentType: oi.ContentType, Modified: oi.LastModified}, nil
}

// List implements storage.Store. Infos have no SHA256 or ContentType: S3
// listings do not carry user metadata.
func (s *Store) List(ctx context.Context, prefix, startAfter string) iter.Seq2[storage.ObjectInfo, error] {
	return func(yield func(storage.ObjectInfo, error) bool) {
		if s.closed.Load() {
			yield(storage.ObjectInfo{}, fmt.Errorf("list %s: %w", prefix, errClosed))
			return
		}
		if !storage.ValidPrefix(prefix) {
			return // no key has it, and servers refuse some ("../")
		}
		ctx, cancel := context.WithCancel(ctx) // stops minio's lister on break
		defer cancel()
		ch := s.client.ListObjects(ctx, s.cfg.Bucket, minio.ListObjectsOptions{Prefix: prefix, StartAfter: startAfter, Recursive: true})
		for oi := range ch {
			if oi.Err != nil {
				yield(storage.ObjectInfo{}, fmt.Errorf("list %s: %w", prefix, mapErr(ctx, oi.Err)))
				return
			}
			if oi.Key <= startAfter { // servers that ignore StartAfter
				continue
			}
			if !yield(storage.ObjectInfo{Key: oi.Key, Size: oi.Size, Modified: oi.LastModified}, nil) {
				return
			}
		}
		if err := ctx.Err(); err != nil {
			yield(storage.ObjectInfo{}, fmt.Errorf("list %s: %w", prefix, err))
		}
	}
}

// Delete implements storage.Store. S3 deletes of missing keys succeed, so
// Delete stats first to report ErrNotExist; the two calls are not atomic.
func (s *Store) Delete(ctx context.Context, key string) error {
	if _, err := s.Stat(ctx, key); err != nil && !errors.Is(err, storage.ErrChecksum) {
		return fmt.Errorf("delete: %w", err)
	}
	if err := s.client.RemoveObject(ctx, s.cfg.Bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("delete %s: %w", key, mapErr(ctx, err))
	}
	return nil
}

// Close implements storage.Store.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return errClosed
	}
	return nil
}

// mapErr turns minio and network errors into storage sentinels, keeping the
// original error wrapped.
func mapErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		if errors.Is(err, ctx.Err()) {
			return err
		}
		return fmt.Errorf("%w: %w", ctx.Err(), err)
	}
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.Code == minio.NoSuchKey || resp.Code == minio.NoSuchBucket:
		return fmt.Errorf("%w: %w", storage.ErrNotExist, err)
	case resp.Code == "XMinioStorageFull":
		return fmt.Errorf("%w: %w", storage.ErrNoSpace, err)
	case resp.StatusCode >= 500, resp.StatusCode == 429, resp.StatusCode == 408,
		resp.Code == "SlowDown", resp.Code == "RequestTimeout", resp.Code == "XMinioServerNotInitialized",
		resp.Code == "ConditionalRequestConflict": // AWS: a concurrent conditional write; try again
		return fmt.Errorf("%w: %w", storage.ErrUnavailable, err)
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.EPIPE) {
		return fmt.Errorf("%w: %w", storage.ErrUnavailable, err)
	}
	return err
}
