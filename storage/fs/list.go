package fs

import (
	"context"
	"fmt"
	iofs "io/fs"
	"iter"
	"os"
	"slices"
	"strings"

	"hoso/storage"
)

// List implements storage.Store.
//
// It walks the folders depth first, reading one folder at a time: memory
// grows with the depth and the size of the largest folder, not with the
// number of objects. Keys sort in byte order, which is not the order of a
// plain walk: "a-b" < "a/b" < "a0", so the entries of a folder are sorted by
// name, with "/" appended to the names of sub-folders, before descending.
// Folders that cannot hold a key in range (wrong prefix, all keys <=
// startAfter) are skipped without being read.
//
// A file whose trailer is unreadable is still listed, with its size on disk
// and no SHA256, so that a caller checking the store finds it; Get and Stat
// report it as storage.ErrChecksum.
func (s *Store) List(ctx context.Context, prefix, startAfter string) iter.Seq2[storage.ObjectInfo, error] {
	return func(yield func(storage.ObjectInfo, error) bool) {
		if s.closed.Load() {
			yield(storage.ObjectInfo{}, fmt.Errorf("list %s: %w", prefix, errClosed))
			return
		}
		if !storage.ValidPrefix(prefix) {
			return // no key has it
		}
		// Start in the deepest folder the prefix names.
		dir := ""
		if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
			dir = prefix[:i]
		}
		w := walker{s: s, ctx: ctx, prefix: prefix, startAfter: startAfter, yield: yield}
		if err := w.walk(dir); err != nil {
			yield(storage.ObjectInfo{}, fmt.Errorf("list %s: %w", prefix, err))
		}
	}
}

type walker struct {
	s                  *Store
	ctx                context.Context
	prefix, startAfter string
	yield              func(storage.ObjectInfo, error) bool
	stopped            bool
}

type entry struct {
	name  string // file name
	sort  string // name, plus "/" for a folder
	isDir bool
}

// walk lists folder dir ("" for the root); it returns an error to yield, or
// nil when done or stopped.
func (w *walker) walk(dir string) error {
	name, keyPrefix := ".", ""
	if dir != "" {
		name, keyPrefix = dir, dir+"/"
	}
	d, err := w.s.root.OpenRoot(name)
	if err != nil {
		// Missing, or a file (os.Root's "not a directory" is no ENOTDIR):
		// nothing to list there.
		if fi, lerr := w.s.root.Lstat(name); isNotExist(lerr) || lerr == nil && !fi.IsDir() {
			return nil
		}
		return err
	}
	defer d.Close()
	entries, err := readDir(d)
	if isNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		if dir == "" && e.name == tmpDir {
			continue
		}
		k := keyPrefix + e.sort
		if !strings.HasPrefix(k, w.prefix) && !strings.HasPrefix(w.prefix, k) {
			if k > w.prefix {
				return nil // sorted: nothing later matches either
			}
			continue
		}
		if e.isDir {
			if k <= w.startAfter && !strings.HasPrefix(w.startAfter, k) {
				continue // every key below k is <= startAfter
			}
			if err := w.walk(keyPrefix + e.name); err != nil || w.stopped {
				return err
			}
			continue
		}
		if k <= w.startAfter || !strings.HasPrefix(k, w.prefix) {
			continue
		}
		info, ok, err := stat(d, e.name, k)
		if err != nil {
			return err
		}
		if ok && !w.yield(info, nil) {
			w.stopped = true
			return nil
		}
	}
	return nil
}

// readDir returns the entries of folder d sorted in key order.
func readDir(d *os.Root) ([]entry, error) {
	f, err := d.Open(".")
	if err != nil {
		return nil, err
	}
	des, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return nil, err
	}
	entries := make([]entry, 0, len(des))
	for _, de := range des {
		isDir := de.IsDir()
		if de.Type()&iofs.ModeSymlink != 0 {
			fi, err := d.Stat(de.Name())
			if err != nil {
				continue
			}
			isDir = fi.IsDir()
		}
		e := entry{name: de.Name(), sort: de.Name(), isDir: isDir}
		if isDir {
			e.sort += "/"
		}
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.sort, b.sort) })
	return entries, nil
}

// stat returns the info of the object in file name of folder d, under key;
// ok is false when it vanished since its folder was read.
func stat(d *os.Root, name, key string) (storage.ObjectInfo, bool, error) {
	f, err := d.Open(name)
	if isNotExist(err) {
		return storage.ObjectInfo{}, false, nil
	}
	if err != nil {
		return storage.ObjectInfo{}, false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return storage.ObjectInfo{}, false, err
	}
	if !fi.Mode().IsRegular() {
		return storage.ObjectInfo{}, false, nil
	}
	t, err := readTrailer(f, key, fi.Size())
	if err != nil {
		return storage.ObjectInfo{Key: key, Size: fi.Size(), Modified: fi.ModTime()}, true, nil
	}
	return storage.ObjectInfo{Key: key, Size: t.Size, SHA256: t.SHA256, ContentType: t.ContentType, Modified: fi.ModTime()}, true, nil
}
