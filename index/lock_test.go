package index

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hoso/domain"
)

func TestSecondOpenInProcessIsLocked(t *testing.T) {
	dir := t.TempDir()
	openTestIndex(t, dir)
	start := time.Now()
	_, err := Open(dir, Config{}) // default timeout: 1s
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	if d := time.Since(start); d > 2*time.Second || d < 900*time.Millisecond {
		t.Errorf("second Open took %v, want about 1s", d)
	}
	if !strings.Contains(err.Error(), "is hoso serve running?") {
		t.Errorf("message %q", err)
	}
}

// TestHelperHoldIndex is run as a child process by
// TestSecondOpenInOtherProcessIsLocked: it opens the index and holds it
// until its standard input closes.
func TestHelperHoldIndex(t *testing.T) {
	dir := os.Getenv("HOSO_TEST_HOLD_INDEX")
	if dir == "" {
		t.Skip("helper process only")
	}
	ix, err := Open(dir, Config{})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	ix.Close()
	os.Exit(0)
}

func TestSecondOpenInOtherProcessIsLocked(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldIndex$")
	cmd.Env = append(os.Environ(), "HOSO_TEST_HOLD_INDEX="+dir)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		t.Fatalf("helper: %q", line)
	}
	_, err := Open(dir, Config{LockTimeout: 300 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("Open while another process holds it: %v, want ErrLocked", err)
	}
	// the bleve folder itself is guarded too (bolt_timeout), in case
	// something opens it without our lock
	sub, _ := readCurrent(dir)
	if _, err := openBleve(filepath.Join(dir, sub), Config{LockTimeout: 300 * time.Millisecond}); !errors.Is(mapErr(err), ErrLocked) {
		t.Errorf("direct bleve open: %v, want a timeout mapped to ErrLocked", err)
	}
	stdin.Close()
	cmd.Wait()
	ix, err := Open(dir, Config{})
	if err != nil {
		t.Fatalf("Open after the holder exited: %v", err)
	}
	ix.Close()
}

func TestReopenAfterCloseWithoutFlush(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ix, err := Open(dir, Config{BatchSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ds := loadFixtures(t)
	if err := ix.IndexDossier(ctx, ds[0]); err != nil {
		t.Fatal(err)
	}
	w := ix.NewIndexer()
	for _, d := range ds[1:] {
		if err := w.Add(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.Close(); err != nil { // without w.Flush
		t.Fatal(err)
	}
	ix = openTestIndex(t, dir)
	if n, _ := ix.DocCount(); n != 3 {
		t.Errorf("doc count %d, want HS-001's 3 pages", n)
	}
	if v, _ := ix.IndexedVersion("HS-002"); v != 0 {
		t.Errorf("unflushed dossier has version %d recorded", v)
	}
	if res := doSearch(t, ix, Request{Query: "thanh", Clearance: domain.TopSecret}); res.Total != 1 {
		t.Errorf("search after reopen: %v", codes(res))
	}
}

// TestCopyWhileIndexing copies the index folder while batches are written
// (what a backup or a kill -9 mid-write leaves) and opens the copy.
func TestCopyWhileIndexing(t *testing.T) {
	ctx := context.Background()
	a, _ := storeFixtures(t)
	dir := t.TempDir()
	ix := openTestIndex(t, dir)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			d := simpleDossier(fmt.Sprintf("C-%04d", i), "X", domain.Public, "trang một", "trang hai")
			if err := ix.IndexDossier(ctx, d); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	time.Sleep(300 * time.Millisecond)
	cp := filepath.Join(t.TempDir(), "copy")
	if err := os.CopyFS(cp, os.DirFS(dir)); err != nil {
		t.Logf("copy: %v", err) // files may vanish mid-copy (merges)
	}
	close(stop)
	<-done
	ix2, err := Open(cp, Config{})
	if err != nil {
		t.Fatalf("open copy: %v", err)
	}
	defer ix2.Close()
	n, err := ix2.DocCount()
	t.Logf("copy holds %d pages (error %v)", n, err)
	// whatever the copy holds, the store brings it back in line
	if err := ix2.CatchUp(ctx, a); err != nil {
		t.Fatal(err)
	}
	if res := doSearch(t, ix2, Request{Query: "nguyen van thanh"}); res.Total != 3 {
		t.Errorf("copy after catch-up: %v", codes(res))
	}
}
