// Package fs is hoso's embedded default storage.Store: objects are files
// under a root folder.
//
// Each object is one file whose path below the root is its key: the content
// at offset 0 followed by a small trailer recording its SHA-256, size and
// content type (see format.go). A Put streams into a temp file under
// <root>/.tmp while hashing, appends the trailer, fsyncs, and publishes the
// file with one rename (or, for IfAbsent, one hard link, which fails
// atomically when the key exists), then fsyncs the directory. Readers thus
// see an object whole or not at all, and a crash leaves at most a temp file,
// which is never listed and is removed by the next New.
//
// Limits of a folder: a key cannot be both an object and a prefix of other
// keys ("a" and "a/b"); such a Put fails with an error wrapping
// storage.ErrInvalidKey. The top-level segment ".tmp" is reserved. Keys are
// resolved with os.Root, so neither ".." nor a symbolic link can reach
// outside the root.
package fs

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"hoso/storage"
)

const (
	tmpDir      = ".tmp"
	defaultType = "application/octet-stream"
	copyBufSize = 256 << 10
	// publishTries bounds the retries of a rename or link that races with
	// Delete removing the (then empty) parent folders.
	publishTries = 32
)

var errClosed = errors.New("store is closed")

var copyBufs = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

// Store is a storage.Store keeping objects in a folder. It is safe for
// concurrent use, also by several processes sharing the folder.
type Store struct {
	root   *os.Root
	dir    string
	closed atomic.Bool
}

var _ storage.Store = (*Store)(nil)

// New opens the store in folder root, creating it if needed, and removes
// temp files left by writers that died (a temp file still being written by a
// live process, which holds a lock on it, is kept).
func New(root string) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("open store %s: %w", abs, mapErr(err))
	}
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", abs, err)
	}
	s := &Store{root: r, dir: abs}
	if err := r.Mkdir(tmpDir, 0o755); err != nil && !errors.Is(err, iofs.ErrExist) {
		r.Close()
		return nil, fmt.Errorf("open store %s: %w", abs, mapErr(err))
	}
	if err := s.cleanTemp(); err != nil {
		r.Close()
		return nil, fmt.Errorf("open store %s: clean temp files: %w", abs, err)
	}
	return s, nil
}

// Dir returns the absolute path of the store's root folder.
func (s *Store) Dir() string { return s.dir }

// Path returns the file holding the object under key (which need not
// exist). Tests use it to damage objects behind the store's back.
func (s *Store) Path(key string) string { return filepath.Join(s.dir, filepath.FromSlash(key)) }

// cleanTemp removes temp files no live writer holds.
func (s *Store) cleanTemp() error {
	d, err := s.root.Open(tmpDir)
	if err != nil {
		return err
	}
	entries, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := tmpDir + "/" + e.Name()
		f, err := s.root.Open(name)
		if err != nil {
			continue // removed by someone else
		}
		stale := isStale(f)
		if stale {
			if err := s.root.Remove(name); err != nil && !errors.Is(err, iofs.ErrNotExist) {
				f.Close()
				return err
			}
		}
		f.Close()
	}
	return nil
}

// checkKey validates key for this store.
func (s *Store) checkKey(key string) error {
	if s.closed.Load() {
		return errClosed
	}
	if err := storage.ValidateKey(key); err != nil {
		return err
	}
	if key == tmpDir || strings.HasPrefix(key, tmpDir+"/") {
		return fmt.Errorf("%w %q: %s is reserved by the folder store", storage.ErrInvalidKey, key, tmpDir)
	}
	return nil
}

// Put implements storage.Store.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	if err := s.checkKey(key); err != nil {
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
	tmp, tmpName, err := s.createTemp()
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	// Remove the temp name before closing: the lock keeps New in another
	// process from removing it while we still use it.
	defer func() {
		s.root.Remove(tmpName)
		tmp.Close()
	}()
	info, err := writeTemp(ctx, tmp, key, r, size, opts)
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	if opts.IfAbsent {
		return s.link(ctx, tmpName, info)
	}
	if err := s.publish(key, func() error { return s.root.Rename(tmpName, key) }); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	if err := s.syncDir(path.Dir(key)); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("put %s: sync folder: %w", key, err)
	}
	return info, nil
}

// createTemp creates and locks a new temp file.
func (s *Store) createTemp() (*os.File, string, error) {
	for {
		name := tmpDir + "/" + rand.Text()
		f, err := s.root.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, iofs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, "", mapErr(err)
		}
		if err := lockTemp(f); err != nil {
			s.root.Remove(name)
			f.Close()
			return nil, "", fmt.Errorf("lock temp file: %w", err)
		}
		return f, name, nil
	}
}

// writeTemp streams exactly size bytes of r into tmp while hashing, appends
// the trailer and fsyncs. The returned info is the new object's.
func writeTemp(ctx context.Context, tmp *os.File, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	h := sha256.New()
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	cr := storage.ContextReader(ctx, r)
	n, err := io.CopyBuffer(io.MultiWriter(tmp, h), io.LimitReader(cr, size), *bp)
	if err != nil {
		return storage.ObjectInfo{}, mapErr(err)
	}
	if n < size {
		return storage.ObjectInfo{}, fmt.Errorf("content is %d bytes, size says %d", n, size)
	}
	var one [1]byte
	if m, err := io.ReadFull(cr, one[:]); m > 0 {
		return storage.ObjectInfo{}, fmt.Errorf("content is longer than size %d", size)
	} else if err != io.EOF {
		return storage.ObjectInfo{}, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if opts.SHA256 != "" && sum != opts.SHA256 {
		return storage.ObjectInfo{}, fmt.Errorf("%w: content has sha256 %s, expected %s", storage.ErrChecksum, sum, opts.SHA256)
	}
	ct := opts.ContentType
	if ct == "" {
		ct = defaultType
	}
	tb, err := appendTrailer(trailer{Version: 1, SHA256: sum, Size: size, ContentType: ct})
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	if _, err := tmp.Write(tb); err != nil {
		return storage.ObjectInfo{}, mapErr(err)
	}
	if err := tmp.Sync(); err != nil {
		return storage.ObjectInfo{}, mapErr(err)
	}
	fi, err := tmp.Stat()
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	return storage.ObjectInfo{Key: key, Size: size, SHA256: sum, ContentType: ct, Modified: fi.ModTime()}, nil
}

// link publishes tmpName under info.Key only if the key is free, and
// otherwise compares the content with the existing object's.
func (s *Store) link(ctx context.Context, tmpName string, info storage.ObjectInfo) (storage.ObjectInfo, error) {
	key := info.Key
	for range publishTries {
		err := s.publish(key, func() error { return s.root.Link(tmpName, key) })
		if err == nil {
			if err := s.syncDir(path.Dir(key)); err != nil {
				return storage.ObjectInfo{}, fmt.Errorf("put %s: sync folder: %w", key, err)
			}
			return info, nil
		}
		if !errors.Is(err, iofs.ErrExist) {
			return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
		}
		old, err := s.Stat(ctx, key)
		if errors.Is(err, storage.ErrNotExist) {
			if fi, lerr := s.root.Lstat(key); lerr == nil && fi.IsDir() {
				return storage.ObjectInfo{}, fmt.Errorf("put: %w", collision(key))
			}
			continue // deleted meanwhile: try again
		}
		if err != nil {
			return storage.ObjectInfo{}, fmt.Errorf("put %s: existing object: %w", key, err)
		}
		if old.SHA256 != info.SHA256 {
			return old, fmt.Errorf("put %s: %w (existing sha256 %s, new %s)", key, storage.ErrConflict, old.SHA256, info.SHA256)
		}
		return old, nil
	}
	return storage.ObjectInfo{}, fmt.Errorf("put %s: key keeps appearing and vanishing", key)
}

// publish runs op (a rename or link to key), creating the parent folders
// when they are missing.
func (s *Store) publish(key string, op func() error) error {
	for i := 0; ; i++ {
		err := op()
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.EISDIR), errors.Is(err, syscall.ENOTEMPTY):
			return collision(key)
		case errors.Is(err, iofs.ErrExist):
			if fi, lerr := s.root.Lstat(key); lerr == nil && fi.IsDir() {
				return collision(key)
			}
			return err
		case errors.Is(err, iofs.ErrNotExist) && i < publishTries:
			// A concurrent Delete may remove folders mkdirs just made
			// or found: then go round again.
			if err := s.mkdirs(path.Dir(key)); err != nil && !errors.Is(err, iofs.ErrNotExist) {
				return err
			}
		default:
			return mapErr(err)
		}
	}
}

// mkdirs creates the folder dir and its missing parents, fsyncing the
// parent of each folder it creates.
func (s *Store) mkdirs(dir string) error {
	if dir == "." {
		return nil
	}
	segs := strings.Split(dir, "/")
	for i := range segs {
		d := strings.Join(segs[:i+1], "/")
		err := s.root.Mkdir(d, 0o755)
		if errors.Is(err, iofs.ErrExist) {
			continue
		}
		if err != nil {
			// os.Root reports a file in the path as "not a directory",
			// not always as ENOTDIR: look.
			for j := range i + 1 {
				if fi, lerr := s.root.Lstat(strings.Join(segs[:j+1], "/")); lerr == nil && !fi.IsDir() {
					return collision(dir)
				}
			}
			return mapErr(err)
		}
		if err := s.syncDir(path.Dir(d)); err != nil {
			return err
		}
	}
	if fi, err := s.root.Lstat(dir); err == nil && !fi.IsDir() {
		return collision(dir)
	}
	return nil
}

func (s *Store) syncDir(dir string) error {
	d, err := s.root.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Get implements storage.Store.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, storage.ObjectInfo, error) {
	f, info, err := s.open(ctx, key)
	if err != nil {
		return nil, storage.ObjectInfo{}, fmt.Errorf("get %s: %w", key, err)
	}
	rc := &fileReader{ctx: ctx, r: io.NewSectionReader(f, 0, info.Size), f: f}
	return storage.VerifyingReader(rc, key, info.SHA256, info.Size), info, nil
}

// Stat implements storage.Store.
func (s *Store) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	f, info, err := s.open(ctx, key)
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat %s: %w", key, err)
	}
	f.Close()
	return info, nil
}

// open opens the object file of key and reads its trailer.
func (s *Store) open(ctx context.Context, key string) (*os.File, storage.ObjectInfo, error) {
	if err := s.checkKey(key); err != nil {
		return nil, storage.ObjectInfo{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, storage.ObjectInfo{}, err
	}
	f, err := s.root.Open(key)
	if isNotExist(err) {
		return nil, storage.ObjectInfo{}, storage.ErrNotExist
	}
	if err != nil {
		return nil, storage.ObjectInfo{}, err
	}
	info, err := statFile(f, key)
	if err != nil {
		f.Close()
		return nil, storage.ObjectInfo{}, err
	}
	return f, info, nil
}

// Delete implements storage.Store. It also removes the parent folders the
// deletion leaves empty.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.checkKey(key); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	fi, err := s.root.Lstat(key)
	if isNotExist(err) || err == nil && fi.IsDir() {
		return fmt.Errorf("delete %s: %w", key, storage.ErrNotExist)
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	if err := s.root.Remove(key); isNotExist(err) {
		return fmt.Errorf("delete %s: %w", key, storage.ErrNotExist)
	} else if err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	dir := path.Dir(key)
	for dir != "." && s.root.Remove(dir) == nil {
		dir = path.Dir(dir)
	}
	if err := s.syncDir(dir); err != nil && !isNotExist(err) {
		return fmt.Errorf("delete %s: sync folder: %w", key, err)
	}
	return nil
}

// Close implements storage.Store.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return errClosed
	}
	return s.root.Close()
}

func collision(key string) error {
	return fmt.Errorf("%w %q: in a folder store a key cannot be both an object and a prefix of other keys", storage.ErrInvalidKey, key)
}

func isNotExist(err error) bool {
	return errors.Is(err, iofs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// mapErr marks out-of-space errors with storage.ErrNoSpace.
func mapErr(err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("%w: %w", storage.ErrNoSpace, err)
	}
	return err
}

// fileReader serves an object's content and closes its file.
type fileReader struct {
	ctx context.Context
	r   io.Reader
	f   *os.File
}

func (r *fileReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

func (r *fileReader) Close() error { return r.f.Close() }
