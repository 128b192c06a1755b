//go:build !unix

package fs

import (
	"os"
	"time"
)

// staleAge is how long a temp file must have gone unwritten before New
// removes it, on systems without flock.
const staleAge = time.Hour

func lockTemp(*os.File) error { return nil }

func isStale(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && time.Since(fi.ModTime()) > staleAge
}
