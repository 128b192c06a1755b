// Package miniotest runs a real MinIO server for tests.
//
// Start finds the minio binary, starts a single-drive server on free
// loopback ports with a temp folder and random credentials, and stops it when
// the test ends. A missing binary fails the test with the command that
// installs it: the S3 store is never tested against a fake.
package miniotest

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// InstallHint is the message a test fails with when minio is missing.
const InstallHint = "minio server not found: install it with go install github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"

const (
	readyTimeout = 60 * time.Second
	stopTimeout  = 10 * time.Second
)

// Server is a running (or stopped) MinIO server.
type Server struct {
	// Endpoint is host:port of the S3 API.
	Endpoint string
	// AccessKey and SecretKey are the root credentials.
	AccessKey, SecretKey string
	// Dir is the server's data folder.
	Dir string

	t       testing.TB
	bin     string
	console string
	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	logs    *syncBuffer
}

// Start starts a server and registers its stop with t.Cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := FindBinary()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{
		Endpoint:  freeAddr(t),
		console:   freeAddr(t),
		AccessKey: "hoso-" + strings.ToLower(rand.Text()[:10]),
		SecretKey: rand.Text(),
		Dir:       t.TempDir(),
		t:         t,
		bin:       bin,
	}
	t.Cleanup(s.Stop)
	s.start()
	return s
}

// FindBinary looks for minio in PATH, $GOBIN, $(go env GOPATH)/bin and
// ~/go/bin. Its error is InstallHint.
func FindBinary() (string, error) {
	if p, err := exec.LookPath("minio"); err == nil {
		return p, nil
	}
	var dirs []string
	if d := os.Getenv("GOBIN"); d != "" {
		dirs = append(dirs, d)
	}
	if out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) > 0 && strings.TrimSpace(lines[0]) != "" {
			dirs = append(dirs, strings.TrimSpace(lines[0]))
		}
		if len(lines) > 1 {
			for _, gp := range filepath.SplitList(strings.TrimSpace(lines[1])) {
				dirs = append(dirs, filepath.Join(gp, "bin"))
			}
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "minio")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s", InstallHint)
}

// URL returns the store URL of bucket on this server, for storeurl.Open.
func (s *Server) URL(bucket string) string {
	return "s3://" + bucket + "?endpoint=" + s.Endpoint + "&secure=false"
}

// Env returns the environment variables that pass the credentials to a store
// (MINIO_ROOT_USER and MINIO_ROOT_PASSWORD).
func (s *Server) Env() []string {
	return []string{"MINIO_ROOT_USER=" + s.AccessKey, "MINIO_ROOT_PASSWORD=" + s.SecretKey}
}

// Logs returns what the server printed so far.
func (s *Server) Logs() string { return s.logs.String() }

// Stop stops the server, keeping its data folder; it is a no-op on a
// stopped server.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

// Restart starts a stopped server again on the same port, folder and
// credentials, and waits until it is ready.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

func (s *Server) start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.logs == nil {
		s.logs = &syncBuffer{}
	}
	cmd := exec.Command(s.bin, "server", "--quiet", "--address", s.Endpoint, "--console-address", s.console, s.Dir)
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+s.AccessKey,
		"MINIO_ROOT_PASSWORD="+s.SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
	)
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start minio: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	s.cmd, s.exited = cmd, exited
	if err := waitReady(s.Endpoint, exited); err != nil {
		cmd.Process.Kill()
		<-exited
		s.cmd = nil
		s.t.Fatalf("minio on %s: %v\nserver output:\n%s", s.Endpoint, err, s.logs.String())
	}
}

// waitReady polls the health endpoints until the server serves requests.
func waitReady(endpoint string, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	// Live and ready come before the S3 API serves: until then an anonymous
	// request gets 503 (XMinioServerNotInitialized), after it 403.
	checks := []struct {
		path string
		ok   func(status int) bool
	}{
		{"/minio/health/live", func(st int) bool { return st == http.StatusOK }},
		{"/minio/health/ready", func(st int) bool { return st == http.StatusOK }},
		{"/", func(st int) bool { return st != http.StatusServiceUnavailable }},
	}
	for _, c := range checks {
		for {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+endpoint+c.path, nil)
			resp, err := client.Do(req)
			if err == nil {
				resp.Body.Close()
				if c.ok(resp.StatusCode) {
					break
				}
			}
			select {
			case <-exited:
				return fmt.Errorf("server exited before it was ready")
			case <-ctx.Done():
				return fmt.Errorf("not ready after %v (last: %v)", readyTimeout, err)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// syncBuffer is a bytes.Buffer safe for the server's two output streams,
// keeping the last 256 KiB.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b.Len() > 256<<10 {
		b.b.Next(b.b.Len() - 128<<10)
	}
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
