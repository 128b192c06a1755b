package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"hoso/archive"
	"hoso/domain"
	"hoso/index"
	"hoso/jobs"
	"hoso/storage/faulty"
	"hoso/storage/fs"
)

// TestFollowOtherWriters commits from a second Archive over the same store,
// as hoso ingest in another process does while the server holds the index:
// the server's follower makes it searchable within seconds.
func TestFollowOtherWriters(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.app.Start()
	other, err := fs.New(e.dir + "/objects")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	start := time.Now()
	commitSeed(t, archive.New(other), seedDossier{"HS-CLI-1", "Hoàng Văn Khách", "Sở Y tế", domain.Public,
		[]seedDoc{{"d1", "cv", "", []seedPage{{"Bác sĩ Hoàng Văn Khách công tác tại bệnh viện", 93}}}}})
	var res SearchResult
	waitFor(t, 10*time.Second, "the follower", func() bool {
		e.as("readpub").get("/api/v1/search?q="+url.QueryEscape("bệnh viện"), &res)
		return res.Total == 1
	})
	t.Logf("searchable after %v", time.Since(start).Round(time.Millisecond))
	if h := res.Dossiers[0].Hits[0]; res.Dossiers[0].Code != "HS-CLI-1" || len(h.Boxes) != 2 {
		t.Errorf("result %+v", res)
	}
}

func TestHealth(t *testing.T) {
	e := newEnv(t, envOptions{})
	var h Health
	code, body, _ := e.anon().do("GET", "/healthz", nil)
	if code != http.StatusOK || json.Unmarshal(body, &h) != nil || !h.OK {
		t.Fatalf("healthy: %d %s", code, body)
	}
	// a commit the index has not seen yet is caught up, not reported
	commitSeed(t, e.arch, seedDossier{"HS-LATE", "Ngô Văn Muộn", "", domain.Public, []seedDoc{{"d1", "cv", "", []seedPage{{"muộn", 90}}}}})
	if code, body, _ := e.anon().do("GET", "/healthz", nil); code != http.StatusOK {
		t.Errorf("after a commit: %d %s", code, body)
	}

	// an empty index (deleted, or damaged and opened empty by bleve) over a full store
	empty, err := index.Open(t.TempDir(), index.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	app := newAppWith(t, e, empty, e.arch)
	srv := NewServer(app, HTTPConfig{})
	assertHealth(t, srv, http.StatusServiceUnavailable, "out of sync")
	// an index holding a dossier the store has not
	if err := empty.CatchUp(context.Background(), e.arch); err != nil {
		t.Fatal(err)
	}
	assertHealth(t, srv, http.StatusOK, "")
	ghost := &domain.Dossier{Code: "HS-GHOST", Version: 1, Documents: []domain.Document{{ID: "d1", Pages: []domain.Page{{Number: 1, Text: ocrOf("ma", 90)}}}}}
	if err := empty.IndexDossier(context.Background(), ghost); err != nil {
		t.Fatal(err)
	}
	assertHealth(t, srv, http.StatusServiceUnavailable, "out of sync")

	// the store unreachable
	down := faulty.New(e.store)
	app2 := newAppWith(t, e, e.ix, archive.New(down))
	down.SetDown(faulty.ErrInjected)
	assertHealth(t, NewServer(app2, HTTPConfig{}), http.StatusServiceUnavailable, "unreachable")
	// the index closed
	closed, err := index.Open(t.TempDir(), index.Config{})
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	assertHealth(t, NewServer(newAppWith(t, e, closed, e.arch), HTTPConfig{}), http.StatusServiceUnavailable, "unavailable")
}

func newAppWith(t *testing.T, e *env, ix *index.Index, arch *archive.Archive) *App {
	t.Helper()
	app, err := NewApp(Config{Archive: arch, Index: ix, Auth: e.auth, Audit: e.log, Jobs: e.jobs, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close(context.Background()) })
	return app
}

func assertHealth(t *testing.T, srv *Server, status int, reason string) {
	t.Helper()
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	var h Health
	json.Unmarshal(rec.Body.Bytes(), &h)
	if rec.Code != status || !strings.Contains(h.Index+h.Store, reason) || h.OK != (status == http.StatusOK) {
		t.Errorf("healthz: %d %s, want %d %q", rec.Code, rec.Body, status, reason)
	}
	if strings.Contains(rec.Body.String(), "HS-") {
		t.Errorf("healthz names a dossier: %s", rec.Body)
	}
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.as("readpub").get("/api/v1/search?q=thanh", nil)
	e.as("readpub").do("GET", "/api/v1/dossiers/HS-TS", nil)
	e.anon().do("GET", "/nowhere", nil)
	code, body, h := e.as("admin").do("GET", "/metrics", nil)
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("metrics: %d %s", code, h)
	}
	m := string(body)
	for _, want := range []string{
		`hoso_http_requests_total{route="GET /api/v1/search",code="200"} 1`,
		`hoso_http_requests_total{route="GET /api/v1/dossiers/{code}",code="404"} 1`,
		`hoso_http_requests_total{route="POST /api/v1/login",code="200"} 2`,
		`hoso_http_requests_total{route="unmatched",code="404"} 1`,
		`hoso_http_request_duration_seconds_bucket{route="GET /api/v1/search",le="+Inf"} 1`,
		`hoso_http_request_duration_seconds_count{route="GET /api/v1/search"} 1`,
		"# TYPE hoso_http_request_duration_seconds histogram",
		"hoso_ocr_pages_total 0", "hoso_ocr_queue_depth 0", "# TYPE hoso_ocr_seconds histogram",
		"hoso_ingest_files_failed_total 0", "hoso_index_documents 5",
	} {
		if !strings.Contains(m, want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
	if !regexp.MustCompile(`hoso_index_size_bytes [1-9][0-9]*\n`).MatchString(m) {
		t.Error("no index size")
	}
	// every sample line is well formed
	sample := regexp.MustCompile(`^[a-z_]+(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? [0-9.e+-]+$`)
	for _, line := range strings.Split(strings.TrimSpace(m), "\n") {
		if !strings.HasPrefix(line, "# ") && !sample.MatchString(line) {
			t.Errorf("bad line %q", line)
		}
	}
}

// TestJobsHideAboveClearance checks the job list and a job's detail for
// viewers of different clearances.
func TestJobsHideAboveClearance(t *testing.T) {
	e := newEnv(t, envOptions{})
	mixed, secret := mixedJobs(t, e)
	var list JobList
	e.as("arch").get("/api/v1/jobs", &list)
	if len(list.Jobs) != 1 || list.Jobs[0].ID != mixed {
		t.Fatalf("arch's list: %+v", list)
	}
	j := list.Jobs[0]
	raw, _ := json.Marshal(j)
	if len(j.Dossiers) != 1 || j.Dossiers[0].Code != "HS-PUB" || j.PagesDone != 1 || j.PagesTotal != 1 || j.NumFailures != 0 ||
		len(j.Failures) != 0 || strings.Contains(string(raw), "HS-TS") {
		t.Errorf("arch's view of the mixed job: %s", raw)
	}
	var full jobs.Status
	e.as("admin").get("/api/v1/jobs/"+mixed, &full)
	if len(full.Dossiers) != 2 || full.PagesDone != 3 || full.NumFailures != 1 {
		t.Errorf("admin's view: %+v", full)
	}
	e.as("admin").get("/api/v1/jobs/"+secret, &full)
	if full.State != jobs.StateFailed || !strings.Contains(full.Error, "HS-TS") {
		t.Errorf("admin's view of the failed job: %+v", full)
	}
	e.as("admin").get("/api/v1/jobs", &list)
	if len(list.Jobs) != 2 {
		t.Errorf("admin sees %d jobs", len(list.Jobs))
	}
	// a dossier raised above the viewer's clearance since the job ran
	e.as("admin").do("PATCH", "/api/v1/dossiers/HS-PUB", map[string]any{"classification": "top-secret"})
	if code, body, _ := e.as("arch").do("GET", "/api/v1/jobs/"+mixed, nil); code != http.StatusNotFound {
		t.Errorf("job of a raised dossier: %d %s", code, body)
	}
	e.as("arch").get("/api/v1/jobs", &list)
	if len(list.Jobs) != 0 {
		t.Errorf("list after the dossier was raised: %+v", list)
	}
}

func TestSecurityHeadersAndLimits(t *testing.T) {
	e := newEnv(t, envOptions{noSeed: true})
	c := e.as("admin")
	check := func(what string, h http.Header) {
		t.Helper()
		want := map[string]string{
			"Content-Security-Policy": "default-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
			"X-Content-Type-Options":  "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
		}
		for k, v := range want {
			if h.Get(k) != v {
				t.Errorf("%s: %s = %q", what, k, h.Get(k))
			}
		}
	}
	_, _, h := c.do("GET", "/api/v1/me", nil)
	check("me", h)
	_, _, h = e.anon().do("GET", "/api/v1/me", nil)
	check("401", h)
	code, body, h := e.anon().do("GET", "/api/v1/nothing/here", nil)
	check("404", h)
	if code != http.StatusNotFound || errCode(body) != "not_found" {
		t.Errorf("unknown API path: %d %s", code, body)
	}
	_, _, h = e.anon().do("GET", "/healthz", nil)
	check("healthz", h)

	big := []byte(`{"code":"HS-1","subject":{"full_name":"` + strings.Repeat("a", 1<<20) + `"},"classification":"public"}`)
	if code, body, _ := c.do("POST", "/api/v1/dossiers", big); code != http.StatusRequestEntityTooLarge || errCode(body) != "too_large" {
		t.Errorf("1 MiB JSON: %d %s", code, body)
	}
	for name, b := range map[string][]byte{
		"unknown field": []byte(`{"code":"HS-1","subject":{"full_name":"A"},"classification":"public","path":"x"}`),
		"two values":    []byte(`{"code":"HS-1"} {}`),
		"bad date":      []byte(`{"code":"HS-1","subject":{"full_name":"A","birth_date":"14/03/1978"},"classification":"public"}`),
		"bad code":      []byte(`{"code":"../../users/admin","subject":{"full_name":"A"},"classification":"public"}`),
	} {
		if code, body, _ := c.do("POST", "/api/v1/dossiers", b); code != http.StatusBadRequest {
			t.Errorf("%s: %d %s", name, code, body)
		}
	}
}

func TestUserAdministration(t *testing.T) {
	e := newEnv(t, envOptions{})
	admin := e.as("admin")
	code, body, _ := admin.do("POST", "/api/v1/users", map[string]any{"name": "lan", "role": "reader", "clearance": "public", "password": "a long enough password"})
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	if code, _, _ := admin.do("POST", "/api/v1/users", map[string]any{"name": "lan", "role": "reader", "clearance": "public", "password": "a long enough password"}); code != http.StatusConflict {
		t.Errorf("create twice: %d", code)
	}
	if code, body, _ := admin.do("POST", "/api/v1/users", map[string]any{"name": "lan2", "role": "boss", "clearance": "public", "password": "a long enough password"}); code != http.StatusBadRequest {
		t.Errorf("bad role: %d %s", code, body)
	}
	lan := e.login("lan", "a long enough password")
	if code, _, _ := lan.do("GET", "/api/v1/dossiers/HS-CONF", nil); code != http.StatusNotFound {
		t.Errorf("before: %d", code)
	}
	if code, body, _ := admin.do("PATCH", "/api/v1/users/lan", map[string]any{"clearance": "confidential"}); code != http.StatusOK {
		t.Fatalf("raise clearance: %d %s", code, body)
	}
	if code, _, _ := lan.do("GET", "/api/v1/dossiers/HS-CONF", nil); code != http.StatusOK {
		t.Errorf("after raising clearance: %d", code)
	}
	if code, body, _ := admin.do("PATCH", "/api/v1/users/lan", map[string]any{"disabled": true}); code != http.StatusOK {
		t.Fatalf("disable: %d %s", code, body)
	}
	if code, _, _ := lan.do("GET", "/api/v1/me", nil); code != http.StatusUnauthorized {
		t.Errorf("disabled user's session: %d", code)
	}
	if code, _, _ := admin.do("PATCH", "/api/v1/users/nobody", map[string]any{"clearance": "public"}); code != http.StatusNotFound {
		t.Errorf("unknown user: %d", code)
	}
	var ul UserList
	admin.get("/api/v1/users", &ul)
	if len(ul.Users) != len(testUsers)+1 || strings.Contains(mustJSON(ul), "argon2") {
		t.Errorf("users %s", mustJSON(ul))
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
