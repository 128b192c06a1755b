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
	"testing"
	"time"

	"hoso/archive"
	"hoso/internal/faulttest"
	"hoso/server"
	"hoso/storage/fs"
)

// TestIndexLostUnderServe damages the search index of hoso serve in three
// ways: deleted while it runs (and more is committed), damaged while it is
// stopped (it then starts with an empty index), and damaged before hoso
// reindex. Throughout, every search answers either the whole truth or 503
// index_unavailable, never a partial result; /healthz is 503 until the
// index is whole again, which the server does by itself; hoso reindex
// rebuilds a damaged index.
func TestIndexLostUnderServe(t *testing.T) {
	data := t.TempDir()
	s, err := fs.New(filepath.Join(data, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	arch := archive.New(s)
	seeded := faulttest.Seed(t, arch, "HS-IDX", 60, 2)
	if code, out, errOut := cli(t, data, "reindex"); code != exitOK {
		t.Fatalf("reindex: %d %s%s", code, out, errOut)
	}
	base, pw, stop := startServe(t, data)
	c := signIn(t, base, "admin", pw)
	want := len(seeded.Codes)
	checkSearches(t, c, base, want, 0, 0)

	// 1. the index folder deleted under the running server, then commits
	if err := os.RemoveAll(filepath.Join(data, "index")); err != nil {
		t.Fatal(err)
	}
	more := faulttest.Seed(t, arch, "HS-IDY", 3, 1)
	refused := checkSearches(t, c, base, want+len(more.Codes), want, 30*time.Second)
	want += len(more.Codes)
	waitHealthy(t, base)
	if _, err := os.Stat(filepath.Join(data, "index", "CURRENT")); err != nil {
		t.Errorf("the index was not rebuilt on disk: %v", err)
	}
	t.Logf("deleted under the server: %d searches refused before it was whole again", refused)
	if code := stop(); code != exitOK {
		t.Fatalf("serve exit %d", code)
	}

	// 2. damaged while the server is stopped: it starts all the same
	damageIndex(t, data)
	base, stop = serveAgain(t, data)
	c = signIn(t, base, "admin", pw)
	refused = checkSearches(t, c, base, want, 0, 30*time.Second)
	waitHealthy(t, base)
	t.Logf("damaged before a start: %d searches refused before it was whole again", refused)
	stop()

	// 3. damaged, then hoso reindex
	damageIndex(t, data)
	if code, out, _ := cli(t, data, "reindex", "--check"); code != exitPartial || !strings.Contains(out, "missing") {
		t.Errorf("reindex --check of a damaged index: exit %d\n%s", code, out)
	}
	if code, out, errOut := cli(t, data, "reindex"); code != exitOK || !strings.Contains(out, "indexed 63 dossiers, 123 pages") {
		t.Errorf("reindex of a damaged index: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := cli(t, data, "reindex", "--check"); code != exitOK {
		t.Errorf("reindex --check after reindex: exit %d\n%s", code, out)
	}
}

// serveAgain starts hoso serve in-process on a data folder that has its
// first user already, and returns its URL and its stop function.
func serveAgain(t *testing.T, data string) (string, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &faulttest.Buffer{}
	done := make(chan int, 1)
	go func() {
		done <- cliWith(ctx, t, map[string]string{"HOSO_DATA": data}, out, out, "serve", "--addr", "127.0.0.1:0", "--workers", "1")
	}()
	urlRE := regexp.MustCompile(`listening on (http://[0-9.:]+)/`)
	for deadline := time.Now().Add(30 * time.Second); urlRE.FindStringSubmatch(out.String()) == nil; time.Sleep(20 * time.Millisecond) {
		select {
		case code := <-done:
			t.Fatalf("hoso serve exited %d:\n%s", code, out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("hoso serve did not start:\n%s", out)
		}
	}
	stopped := false
	stop := func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { stop() })
	return urlRE.FindStringSubmatch(out.String())[1], stop
}

// damageIndex overwrites the active index's bolt file with garbage.
func damageIndex(t *testing.T, data string) {
	t.Helper()
	cur, err := os.ReadFile(filepath.Join(data, "index", "CURRENT"))
	if err != nil {
		t.Fatal(err)
	}
	bolt := filepath.Join(data, "index", strings.TrimSpace(string(cur)), "store", "root.bolt")
	if err := os.WriteFile(bolt, bytes.Repeat([]byte("garbage "), 1000), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkSearches searches every dossier's code prefix until the index
// answers all want dossiers (within d; at once when d is 0), and fails on
// any answer that is neither that, nor 503 index_unavailable, nor the
// count before (the follower's usual lag of a second behind commits; 0
// when nothing was committed). It returns the number of refusals.
func checkSearches(t *testing.T, c *http.Client, base string, want, before int, d time.Duration) int {
	t.Helper()
	deadline, refused := time.Now().Add(d), 0
	for {
		status, body := get(t, c, base+"/api/v1/search?limit=100&q="+url.QueryEscape("code:HS-ID*"))
		var res server.SearchResult
		var eb server.ErrorBody
		switch {
		case status == http.StatusOK && json.Unmarshal(body, &res) == nil && res.Total == want:
			return refused
		case before > 0 && status == http.StatusOK && res.Total == before:
		case status == http.StatusServiceUnavailable && json.Unmarshal(body, &eb) == nil && eb.Error.Code == "index_unavailable":
			refused++
		default:
			t.Fatalf("search answered %d %.300s; want all %d dossiers or 503 index_unavailable", status, body, want)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the index was not whole again within %v (%d refusals)", d, refused)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitHealthy(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, body := get(t, http.DefaultClient, base+"/healthz")
		if status == http.StatusOK {
			return
		}
		if status != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("healthz: %d %s", status, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// signIn returns a client with a session of user.
func signIn(t *testing.T, base, user, pw string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	body, _ := json.Marshal(map[string]string{"name": user, "password": pw})
	resp, err := c.Post(base+"/api/v1/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign in as %s: %d", user, resp.StatusCode)
	}
	return c
}

func get(t *testing.T, c *http.Client, u string) (int, []byte) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}
