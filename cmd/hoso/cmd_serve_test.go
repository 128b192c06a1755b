package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"hoso/jobs"
	"hoso/server"
)

// lockedBuffer is a bytes.Buffer safe for a command writing while the test
// reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServe runs hoso serve in-process on a free port and returns its URL,
// the first admin's password and a function that stops it and returns its
// exit code.
func startServe(t *testing.T, data string) (base, password string, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errb := &lockedBuffer{}, &lockedBuffer{}
	env := &Env{Stdin: strings.NewReader(""), Stdout: out, Stderr: errb, Getenv: func(k string) string {
		if k == "HOSO_DATA" {
			return data
		}
		return ""
	}}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, env, []string{"serve", "--addr", "127.0.0.1:0", "--workers", "1", "--log-level", "info"})
	}()
	urlRE := regexp.MustCompile(`listening on (http://[0-9.:]+)/`)
	pwRE := regexp.MustCompile(`created user "admin" with password (\S+)`)
	deadline := time.Now().Add(30 * time.Second)
	for urlRE.FindStringSubmatch(out.String()) == nil {
		select {
		case code := <-done:
			t.Fatalf("hoso serve exited %d:\n%s\n%s", code, out, errb)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("hoso serve did not start:\n%s\n%s", out, errb)
		}
		time.Sleep(20 * time.Millisecond)
	}
	m := pwRE.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no admin password printed:\n%s", out)
	}
	stopped := false
	stop = func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			if !strings.Contains(out.String(), "hoso serve: stopped") {
				t.Errorf("no stop message:\n%s", out)
			}
			return code
		case <-time.After(40 * time.Second):
			t.Fatal("hoso serve did not stop")
			return -1
		}
	}
	t.Cleanup(func() { stop() })
	return urlRE.FindStringSubmatch(out.String())[1], m[1], stop
}

// TestServeFollowsCLIIngest is the deployment the design promises: hoso
// serve holds the index, hoso ingest runs beside it (it cannot open the
// index and says so), and what it commits becomes searchable through the
// server within seconds; its job shows in the server's job list.
func TestServeFollowsCLIIngest(t *testing.T) {
	data, in := t.TempDir(), t.TempDir()
	base, pw, stop := startServe(t, data)
	if resp, err := http.Get(base + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	body, _ := json.Marshal(map[string]string{"name": "admin", "password": pw})
	resp, err := c.Post(base+"/api/v1/login", "application/json", bytes.NewReader(body))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("sign in with the printed password: %v %v", resp, err)
	}
	resp.Body.Close()

	tinyDossier(t, in, "HS-SERVE-1", nil)
	start := time.Now()
	code, out, errOut := cli(t, data, "ingest", "--workers", "1", in)
	if code != exitOK || !strings.Contains(errOut, "held by another hoso process") {
		t.Fatalf("ingest beside serve: exit %d\n%s\n%s", code, out, errOut)
	}
	jobID := regexp.MustCompile(`job: (j[0-9a-f-]+)`).FindStringSubmatch(out)
	if jobID == nil {
		t.Fatalf("no job id in:\n%s", out)
	}
	var res server.SearchResult
	for deadline := time.Now().Add(10 * time.Second); res.Total == 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the CLI's commit did not become searchable within 10 s")
		}
		getJSON(t, c, base+"/api/v1/search?q="+url.QueryEscape("Đặng Thị Yến"), &res)
	}
	t.Logf("searchable %v after the ingest started", time.Since(start).Round(time.Millisecond))
	if res.Dossiers[0].Code != "HS-SERVE-1" || len(res.Dossiers[0].Hits[0].Boxes) == 0 {
		t.Errorf("result %+v", res)
	}
	var st jobs.Status
	getJSON(t, c, base+"/api/v1/jobs/"+jobID[1], &st)
	if st.Kind != jobs.KindIngest || st.State != jobs.StateDone || st.PagesDone != 1 || st.User != "tester" {
		t.Errorf("the CLI's job as the server shows it: %+v", st)
	}
	if code := stop(); code != exitOK {
		t.Errorf("serve exit code %d", code)
	}
	// serve made the audit key; audit verify uses it and checks MACs.
	if st, err := os.Stat(filepath.Join(data, "audit.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("audit key: %v %v", st, err)
	}
	code, out, errOut = cli(t, data, "audit", "verify")
	if code != exitOK || strings.Contains(out, "not checked") || !strings.Contains(out, "head ") {
		t.Fatalf("audit verify: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = cli(t, data, "audit", "log", "--action", "login")
	if code != exitOK || !strings.Contains(out, "admin") {
		t.Fatalf("audit log of the sign-in: exit %d\n%s", code, out)
	}
}

func getJSON(t *testing.T, c *http.Client, u string, v any) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func TestServeUsage(t *testing.T) {
	data := t.TempDir()
	for _, args := range [][]string{
		{"serve", "extra"},
		{"serve", "--tls-cert", "c.pem"},
		{"serve", "--max-upload", "lots"},
	} {
		if code, _, errOut := cli(t, data, args...); code != exitUsage {
			t.Errorf("%v: exit %d\n%s", args, code, errOut)
		}
	}
	for s, want := range map[string]int64{"1GiB": 1 << 30, "500MB": 500e6, "2048": 2048, "10 MiB": 10 << 20, "3k": 3072} {
		if n, err := parseSize(s); err != nil || n != want {
			t.Errorf("parseSize(%q) = %d, %v", s, n, err)
		}
	}
	for _, s := range []string{"", "0", "-1", "1TB", "1.5GB"} {
		if _, err := parseSize(s); err == nil {
			t.Errorf("parseSize(%q) accepted", s)
		}
	}
}
