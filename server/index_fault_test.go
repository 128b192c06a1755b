package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"

	"hoso/domain"
	"hoso/index"
)

// TestSearchRefusesUnfilledIndex: a search over an index that was never
// filled from the store (new, deleted, or damaged and opened empty) would
// answer "nothing" for dossiers that exist. It is refused with 503
// index_unavailable until the index has caught up, and /healthz says why;
// over an empty store an empty index is the truth and answers. Before, it
// answered 200 with no results.
func TestSearchRefusesUnfilledIndex(t *testing.T) {
	e := newEnv(t, envOptions{})
	empty, err := index.Open(t.TempDir(), index.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	app := newAppWith(t, e, empty, e.arch) // not started: no follower fills it
	srv := NewServer(app, HTTPConfig{})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	saved := e.ts
	e.ts = ts // sign in on this server
	defer func() { e.ts = saved }()
	c := e.login("admin", password)
	q := "/api/v1/search?q=" + url.QueryEscape("Thành")
	code, body, _ := c.do("GET", q, nil)
	if code != http.StatusServiceUnavailable || errCode(body) != "index_unavailable" {
		t.Errorf("search of an unfilled index: %d %s", code, body)
	}
	assertHealth(t, srv, http.StatusServiceUnavailable, "out of sync")
	if err := empty.CatchUp(context.Background(), e.arch); err != nil {
		t.Fatal(err)
	}
	var res SearchResult
	c.get(q, &res)
	if res.Total == 0 {
		t.Errorf("search after the catch-up: %+v", res)
	}
	assertHealth(t, srv, http.StatusOK, "")

	// an empty store: nothing is missing
	e2 := newEnv(t, envOptions{noSeed: true})
	if code, body, _ := e2.as("admin").do("GET", q, nil); code != http.StatusOK {
		t.Errorf("search of an empty index over an empty store: %d %s", code, body)
	}

	// the index folder deleted under the server, then a commit: refused
	// (bleve panicked here before), healthz 503, until the follower rebuilds
	if err := os.RemoveAll(empty.Path()); err != nil {
		t.Fatal(err)
	}
	commitSeed(t, e.arch, seedDossier{"HS-LATE", "Ngô Văn Muộn", "", domain.Public, []seedDoc{{"d1", "cv", "", []seedPage{{"muộn Thành", 90}}}}})
	if _, err := empty.Sync(context.Background(), e.arch); err == nil {
		t.Fatal("a batch into a deleted index folder persisted")
	}
	if code, body, _ := c.do("GET", q, nil); code != http.StatusServiceUnavailable || errCode(body) != "index_unavailable" {
		t.Errorf("search of a damaged index: %d %s", code, body)
	}
	app.cfg.HealthCacheTTL = 0
	assertHealth(t, srv, http.StatusServiceUnavailable, "damaged")
	if _, err := empty.Rebuild(context.Background(), e.arch, nil); err != nil {
		t.Fatal(err)
	}
	c.get(q, &res)
	assertHealth(t, srv, http.StatusOK, "")
}
