package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
)

// SHA256Hex returns the lower-case hex SHA-256 of b.
func SHA256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// ValidSHA256 reports whether s is 64 lower-case hex digits.
func ValidSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// VerifyingReader wraps rc so that reading to the end checks the content
// against want (hex SHA-256) and size. On a mismatch the final Read returns
// an error wrapping ErrChecksum (naming key) instead of io.EOF. Backends use
// it to implement Get's contract.
func VerifyingReader(rc io.ReadCloser, key, want string, size int64) io.ReadCloser {
	return &verifyingReader{rc: rc, key: key, want: want, size: size, h: sha256.New()}
}

type verifyingReader struct {
	rc   io.ReadCloser
	key  string
	want string
	size int64
	n    int64
	h    hash.Hash
	err  error
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if err == io.EOF {
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.want || v.n != v.size {
			err = fmt.Errorf("%w: %s: got sha256 %s (%d bytes), recorded %s (%d bytes)", ErrChecksum, v.key, got, v.n, v.want, v.size)
		}
	}
	if err != nil {
		v.err = err
	}
	return n, err
}

func (v *verifyingReader) Close() error { return v.rc.Close() }

// HashingReader computes the SHA-256 and length of what is read through it.
type HashingReader struct {
	R io.Reader
	h hash.Hash
	N int64
}

// NewHashingReader returns a HashingReader over r.
func NewHashingReader(r io.Reader) *HashingReader { return &HashingReader{R: r, h: sha256.New()} }

func (h *HashingReader) Read(p []byte) (int, error) {
	n, err := h.R.Read(p)
	h.h.Write(p[:n])
	h.N += int64(n)
	return n, err
}

// SHA256 returns the hex digest of what was read so far.
func (h *HashingReader) SHA256() string { return hex.EncodeToString(h.h.Sum(nil)) }
