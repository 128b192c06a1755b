package faulttest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Tmpfs mounts a tmpfs of the given size (mount's syntax: "2m") on a new
// folder and unmounts it when the test ends. It fails the test, saying
// why, when mounting is not possible (not root, no CAP_SYS_ADMIN in a
// container): a disk-full test that does not fill a disk proves nothing.
func Tmpfs(t testing.TB, size string) string {
	t.Helper()
	RequireTools(t, "mount", "umount")
	dir := filepath.Join(t.TempDir(), "tmpfs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0755", "tmpfs", dir).CombinedOutput()
	if err != nil {
		why := "mounting needs root (or CAP_SYS_ADMIN in a container)"
		if os.Geteuid() == 0 {
			why = "this container may lack CAP_SYS_ADMIN: run the tests with --cap-add SYS_ADMIN or on a VM"
		}
		t.Fatalf("mount a %s tmpfs on %s: %v: %s (%s)", size, dir, err, strings.TrimSpace(string(out)), why)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// Fill writes a ballast file in dir that leaves about free bytes of its
// file system free, and returns the file's path; removing it frees the
// space again.
func Fill(t testing.TB, dir string, free int64) string {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	avail := int64(st.Bavail) * st.Bsize
	if avail <= free {
		t.Fatalf("%s has only %d bytes free, less than the %d to leave", dir, avail, free)
	}
	p := filepath.Join(dir, "ballast")
	if err := os.WriteFile(p, make([]byte, avail-free), 0o644); err != nil {
		t.Fatalf("write ballast: %v", err)
	}
	return p
}

// FreeBytes returns the bytes available on dir's file system.
func FreeBytes(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return int64(st.Bavail) * st.Bsize, nil
}
