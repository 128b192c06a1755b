package fs

import (
	"errors"
	"fmt"
	"syscall"
	"testing"

	"hoso/storage"
)

// TestMapErr: a full disk is ErrNoSpace, keeping the cause. (Checked for
// real on a 1 MiB tmpfs: the Put fails with ErrNoSpace, leaves no temp
// file and no object; mounting needs root, so not here.)
func TestMapErr(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT} {
		err := mapErr(fmt.Errorf("write x: %w", errno))
		if !errors.Is(err, storage.ErrNoSpace) || !errors.Is(err, errno) {
			t.Errorf("mapErr(%v) = %v", errno, err)
		}
	}
	if err := mapErr(syscall.EIO); errors.Is(err, storage.ErrNoSpace) {
		t.Errorf("mapErr(EIO) = %v", err)
	}
}
