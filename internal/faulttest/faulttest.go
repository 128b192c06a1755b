// Package faulttest holds what hoso's fault, load and end-to-end tests
// share: building the hoso binary so that a test can kill it, reading a
// folder store behind its writer's back, comparing search results without
// their scores, mounting a tiny file system to fill, and checking that the
// components those tests need are installed.
//
// A missing component (Tesseract, Poppler, MinIO, the right to mount) fails
// the test with what to install or why; nothing here skips.
package faulttest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hoso/storage"
	"hoso/storage/fs"
)

// ModuleRoot returns the folder of hoso's go.mod.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		t.Fatal("not inside the hoso module")
	}
	return filepath.Dir(mod)
}

// BuildHoso builds cmd/hoso into a temp folder and returns the binary's
// path, for tests that need a real process to kill.
func BuildHoso(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hoso")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/hoso")
	cmd.Dir = ModuleRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/hoso: %v\n%s", err, out)
	}
	return bin
}

// RequireTools fails t when one of the named programs is not in PATH,
// saying which Debian package brings it.
func RequireTools(t testing.TB, names ...string) {
	t.Helper()
	pkg := map[string]string{"tesseract": "tesseract-ocr tesseract-ocr-vie", "pdfinfo": "poppler-utils",
		"pdftoppm": "poppler-utils", "mount": "mount", "umount": "mount"}
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			t.Fatalf("%s not found in PATH: install it (apt-get install %s)", n, pkg[n])
		}
	}
}

// Env returns the process environment without HOSO_* variables, plus
// HOSO_DATA=data and extra.
func Env(data string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HOSO_") {
			env = append(env, kv)
		}
	}
	return append(append(env, "HOSO_DATA="+data, "OMP_THREAD_LIMIT=1"), extra...)
}

// Proc is a hoso process started by Start.
type Proc struct {
	Cmd    *exec.Cmd
	out    *Buffer
	done   chan struct{}
	err    error
	killed bool
}

// Start runs bin with args and env; its output is kept (Output). The
// process is killed when the test ends, if still running.
func Start(t testing.TB, bin string, env []string, args ...string) *Proc {
	t.Helper()
	p := &Proc{Cmd: exec.Command(bin, args...), out: &Buffer{}, done: make(chan struct{})}
	p.Cmd.Env = env
	p.Cmd.Stdout, p.Cmd.Stderr = p.out, p.out
	if err := p.Cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() { p.err = p.Cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.Cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// Kill sends SIGKILL (kill -9) and waits for the process to end. It
// reports whether the process was still running.
func (p *Proc) Kill() bool {
	select {
	case <-p.done:
		return false
	default:
	}
	p.killed = true
	p.Cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	return true
}

// Wait waits up to d for the process to end and returns its exit code
// (-1 when killed by a signal, or when it did not end in time: it is then
// killed).
func (p *Proc) Wait(d time.Duration) int {
	select {
	case <-p.done:
	case <-time.After(d):
		p.Kill()
		return -1
	}
	if p.err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// Done reports whether the process has ended.
func (p *Proc) Done() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Output returns what the process printed so far (stdout and stderr).
func (p *Proc) Output() string { return p.out.String() }

// Buffer is a bytes buffer safe for concurrent writers and readers.
type Buffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// StoreReport is what CheckFolderStore found.
type StoreReport struct {
	Objects  int            // objects listed
	Bytes    int64          // content bytes read
	ByPrefix map[string]int // objects per top-level folder (originals, pages, ...)
}

// CheckFolderStore checks a folder store behind its writer's back: the
// temp folder holds nothing (no half-written object is left over), and
// every object the store lists, referenced or not, reads back whole with
// its checksum. It fails t on any problem. Call it with no writer running:
// opening the store removes a dead writer's temp files, so the temp folder
// is looked at first.
func CheckFolderStore(t testing.TB, dir string) StoreReport {
	t.Helper()
	if ents, err := os.ReadDir(filepath.Join(dir, ".tmp")); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("read temp folder: %v", err)
	} else if len(ents) > 0 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("temp files left in %s/.tmp: %v", dir, names)
	}
	s, err := fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rep, err := ReadAllObjects(context.Background(), s)
	if err != nil {
		t.Error(err)
	}
	return rep
}

// ReadAllObjects lists every object of s and reads each in full, which
// verifies its checksum. The error names every object that failed.
func ReadAllObjects(ctx context.Context, s storage.Store) (StoreReport, error) {
	rep := StoreReport{ByPrefix: map[string]int{}}
	var bad []string
	for info, err := range s.List(ctx, "", "") {
		if err != nil {
			return rep, fmt.Errorf("list: %w", err)
		}
		if strings.Contains(info.Key, ".tmp") {
			bad = append(bad, info.Key+": temp object listed")
		}
		rep.Objects++
		top, _, _ := strings.Cut(info.Key, "/")
		rep.ByPrefix[top]++
		rc, _, err := s.Get(ctx, info.Key)
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", info.Key, err))
			continue
		}
		n, err := io.Copy(io.Discard, rc)
		rc.Close()
		rep.Bytes += n
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", info.Key, err))
		}
	}
	if len(bad) > 0 {
		return rep, fmt.Errorf("%d unreadable objects: %s", len(bad), strings.Join(bad, "; "))
	}
	return rep, nil
}
