package fs_test

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"hoso/storage"
	"hoso/storage/fs"
)

const helperEnv = "HOSO_FS_CRASH_HELPER_DIR"

// blockingReader gives n bytes, says so on stdout, then blocks forever.
type blockingReader struct{ n int }

func (r *blockingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		os.Stdout.WriteString("ready\n")
		select {}
	}
	k := min(len(p), r.n)
	clear(p[:k])
	r.n -= k
	return k, nil
}

// TestCrashHelper is the writer process of TestKilledWriter.
func TestCrashHelper(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		return // not run as the helper
	}
	s, err := fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Put(t.Context(), "victim", &blockingReader{n: 1 << 20}, 2<<20, storage.PutOptions{})
}

// TestKilledWriter kills a process in the middle of a Put: the key does not
// exist, and the next New removes the dead writer's temp file.
func TestKilledWriter(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "ready\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper said %q, %v", line, err)
	}
	temps, _ := filepath.Glob(filepath.Join(dir, ".tmp", "*"))
	if len(temps) != 1 {
		t.Errorf("temp files while writing: %q, want one", temps)
	}
	// A store opened meanwhile keeps the live writer's temp file.
	s, err := fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if again, _ := filepath.Glob(filepath.Join(dir, ".tmp", "*")); len(again) != 1 {
		t.Errorf("live temp file removed: %q", again)
	}
	cmd.Process.Kill()
	cmd.Wait()
	io.Copy(io.Discard, out)

	s, err = fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if left, _ := filepath.Glob(filepath.Join(dir, ".tmp", "*")); len(left) != 0 {
		t.Errorf("dead writer's temp files left: %q", left)
	}
	if _, err := s.Stat(t.Context(), "victim"); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("stat victim: %v, want ErrNotExist", err)
	}
	for info, err := range s.List(t.Context(), "", "") {
		t.Errorf("listed %+v, %v", info, err)
	}
}
