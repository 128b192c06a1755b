// Package storage defines hoso's object store: the source of truth for
// originals, page images, OCR results, manifests and the audit log.
//
// Store is the one interface every backend implements (storage/fs, the
// embedded default, and storage/s3 for MinIO or any S3 server) and every
// decorator wraps (retry, fault injection). storage/storetest is the
// conformance suite each must pass. Which keys hold what is not decided here:
// package archive owns the object layout.
//
// Every object carries the SHA-256 of its content, computed while streaming
// on Put and verified while streaming on Get: a reader whose bytes do not
// match returns an error wrapping ErrChecksum instead of io.EOF, so corrupt
// data is never returned as good.
package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"
	"unicode/utf8"
)

// Sentinel errors. Backends wrap vendor errors so that callers test with
// errors.Is and never import a vendor package.
var (
	// ErrNotExist: no object under the key.
	ErrNotExist = errors.New("object does not exist")
	// ErrConflict: Put with IfAbsent found an object with different content.
	ErrConflict = errors.New("object exists with different content")
	// ErrChecksum: content does not match its recorded or expected SHA-256.
	ErrChecksum = errors.New("checksum mismatch")
	// ErrInvalidKey: the key is not a valid object key (see ValidateKey).
	ErrInvalidKey = errors.New("invalid object key")
	// ErrUnavailable: the store cannot be reached or refused for a transient
	// reason; the same call may succeed later.
	ErrUnavailable = errors.New("object store unavailable")
	// ErrNoSpace: the store has no room for the object.
	ErrNoSpace = errors.New("object store full")
)

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Key         string
	Size        int64
	SHA256      string // lower-case hex; may be empty in List results
	ContentType string // may be empty in List results
	Modified    time.Time
}

// PutOptions tune Put.
type PutOptions struct {
	// ContentType is recorded with the object ("application/octet-stream"
	// when empty).
	ContentType string
	// SHA256, when set (lower-case hex), is the expected digest: Put fails
	// with ErrChecksum and stores nothing when the content differs.
	SHA256 string
	// IfAbsent makes Put create-only. When an object already exists under
	// the key, Put stores nothing and returns the existing object's info
	// with a nil error if its SHA-256 equals the new content's, and
	// ErrConflict otherwise. Among concurrent IfAbsent puts of one key,
	// exactly one content wins.
	IfAbsent bool
}

// Store is a flat namespace of immutable-by-convention objects.
//
// Keys are '/'-separated paths (see ValidateKey). All methods are safe for
// concurrent use and honour ctx cancellation.
//
// A key should not also be a folder of other keys ("a" and "a/b"): the
// folder store refuses the second with ErrInvalidKey, and MinIO stores both
// but lists only "a". Package archive's layout never does this.
type Store interface {
	// Put stores size bytes read from r under key, streaming. It records the
	// SHA-256 of the content and returns the new object's info. The object
	// becomes visible whole or not at all: a failed or cancelled Put leaves
	// any earlier object under the key unchanged and no partial object.
	// Put without IfAbsent replaces an existing object. size must be the
	// exact length of r (>= 0); a mismatch is an error and stores nothing.
	Put(ctx context.Context, key string, r io.Reader, size int64, opts PutOptions) (ObjectInfo, error)

	// Get opens the object for reading. Errors: ErrNotExist. The reader
	// verifies the SHA-256 as it is read: at the end of the content it
	// returns an error wrapping ErrChecksum instead of io.EOF when the bytes
	// do not match. The caller must Close the reader.
	Get(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error)

	// Stat returns the object's info, including SHA256 and ContentType.
	// Errors: ErrNotExist.
	Stat(ctx context.Context, key string) (ObjectInfo, error)

	// List yields the objects whose keys start with prefix and sort after
	// startAfter ("" for all), in ascending byte order of key. Every yielded
	// info has Key, Size and Modified; SHA256 and ContentType may be empty
	// (use Stat). An error ends the sequence after being yielded once.
	List(ctx context.Context, prefix, startAfter string) iter.Seq2[ObjectInfo, error]

	// Delete removes the object. Deleting a missing key returns ErrNotExist.
	Delete(ctx context.Context, key string) error

	// Close releases the store's resources. Calls after Close fail.
	Close() error
}

// MaxKeyLen is the longest key a Store accepts, in bytes.
const MaxKeyLen = 512

// MaxSegmentLen is the longest '/'-separated key segment, in bytes: the
// longest file name of common file systems, and the longest path segment
// MinIO accepts.
const MaxSegmentLen = 255

// ValidateKey reports whether key is a valid object key: non-empty valid
// UTF-8 of at most MaxKeyLen bytes, '/'-separated segments that are neither
// empty, "." nor "..", nor longer than MaxSegmentLen bytes, no leading '/',
// no backslash or control character.
// It returns an error wrapping ErrInvalidKey naming the problem.
func ValidateKey(key string) error {
	bad := func(why string) error { return fmt.Errorf("%w %q: %s", ErrInvalidKey, key, why) }
	switch {
	case key == "":
		return bad("empty")
	case len(key) > MaxKeyLen:
		return bad("too long")
	case !utf8.ValidString(key):
		return bad("not UTF-8")
	case strings.HasPrefix(key, "/"):
		return bad("absolute path")
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return bad("control character or backslash")
		}
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return bad("empty, '.' or '..' path segment")
		}
		if len(seg) > MaxSegmentLen {
			return bad("path segment longer than 255 bytes")
		}
	}
	return nil
}

// ValidPrefix reports whether some valid key starts with prefix. List of a
// prefix for which it is false yields nothing.
func ValidPrefix(prefix string) bool {
	return prefix == "" || ValidateKey(prefix) == nil || ValidateKey(prefix+"x") == nil
}

// ReadAll gets the whole object under key, verifying its checksum.
func ReadAll(ctx context.Context, s Store, key string) ([]byte, ObjectInfo, error) {
	rc, info, err := s.Get(ctx, key)
	if err != nil {
		return nil, info, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, info, fmt.Errorf("read %s: %w", key, err)
	}
	return b, info, nil
}

// PutBytes stores b under key.
func PutBytes(ctx context.Context, s Store, key string, b []byte, opts PutOptions) (ObjectInfo, error) {
	return s.Put(ctx, key, bytes.NewReader(b), int64(len(b)), opts)
}
