//go:build unix

package fs

import (
	"os"
	"syscall"
)

// lockTemp takes an exclusive flock on a temp file being written. The kernel
// drops it when the writer closes the file or dies, which is how New tells a
// live writer's temp file from a stale one.
func lockTemp(f *os.File) error {
	return flock(f, syscall.LOCK_EX|syscall.LOCK_NB)
}

// isStale reports whether no writer holds the temp file f.
func isStale(f *os.File) bool {
	return flock(f, syscall.LOCK_EX|syscall.LOCK_NB) == nil
}

func flock(f *os.File, how int) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = syscall.Flock(int(fd), how) }); err != nil {
		return err
	}
	return ferr
}
