package index

import "fmt"

// Synced reports whether the index has been brought up to date with the
// store at least once since it was created: CatchUp, Sync or Rebuild
// completed and left a journal cursor. A new index, one whose folder was
// deleted, and one that was damaged and opened empty are not synced until
// then, and their answers miss dossiers; a server should refuse searches
// meanwhile (unless the store is empty). A damaged open index returns an
// error wrapping ErrDamaged.
func (ix *Index) Synced() (bool, error) {
	bi, release, err := ix.acquire()
	if err != nil {
		return false, err
	}
	defer release()
	v, err := bi.GetInternal([]byte(internalCursor))
	if err != nil {
		return false, fmt.Errorf("read index cursor: %w", mapErr(err))
	}
	return len(v) > 0, nil
}

// Damaged returns the error that made the open index unusable (wrapping
// ErrDamaged), or nil.
func (ix *Index) Damaged() error {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.broken
}
