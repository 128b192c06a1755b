package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"hoso/archive"
	"hoso/internal/faulttest"
	"hoso/internal/loadgen"
	"hoso/internal/samples"
	"hoso/server"
	"hoso/storage/fs"
)

// TestSearchLoadDuringIngest: 8 signed-in clients search hoso serve
// (in-process, on loopback) at once, 60 queries each or 20 s at most,
// while hoso ingest OCRs a bulk job beside it and the server's follower
// indexes its commits. Every search must answer 200 with a well-formed
// result; latency percentiles are reported, not asserted (the machine is
// shared).
func TestSearchLoadDuringIngest(t *testing.T) {
	faulttest.RequireTools(t, "tesseract", "pdfinfo", "pdftoppm")
	data, in := t.TempDir(), t.TempDir()
	s, err := fs.New(filepath.Join(data, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	seeded := faulttest.Seed(t, archive.New(s), "HS-LOAD", 80, 2)
	s.Close()
	bulk, err := samples.WriteBulk(in, samples.BulkOptions{Pages: 6, Dossiers: 3, Prefix: "HS-LOADB", Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	base, pw, _ := startServe(t, data)
	const clients, perClient = 8, 60
	cs := make([]*http.Client, clients)
	for i := range cs {
		cs[i] = signIn(t, base, "admin", pw)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		_, body := get(t, cs[0], base+"/api/v1/search?q="+url.QueryEscape("code:HS-LOAD-*"))
		var res server.SearchResult
		if json.Unmarshal(body, &res) == nil && res.Total == len(seeded.Codes) {
			break // the follower has filled the index
		}
		if time.Now().After(deadline) {
			t.Fatalf("seeded dossiers not searchable: %.300s", body)
		}
	}
	queries := []string{"ho va ten", "quyet dinh bo nhiem", "\"Độc lập - Tự do\"", "khen thuong", "thanh~", "nguy*",
		"code:HS-LOAD-00*", "born:1960..1979", "unit:\"Sở Nội vụ\"", "kind:other", "ly lich -trang", "trang 2"}
	for _, c := range seeded.Codes[:10] {
		queries = append(queries, faulttest.Fold(seeded.Names[c]))
	}

	ingestDone := make(chan string, 1)
	go func() {
		var out, errOut faulttest.Buffer
		code := cliWith(context.Background(), t, map[string]string{"HOSO_DATA": data}, &out, &errOut, "ingest", "--workers", "1", in)
		ingestDone <- fmt.Sprintf("exit %d: %s", code, summaryOf(out.String()))
	}()
	start := time.Now()
	sum := loadgen.Run(context.Background(), clients, perClient, 20*time.Second, func(ctx context.Context, c, i int) error {
		q := queries[(c*7+i)%len(queries)]
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/search?facets=1&q="+url.QueryEscape(q), nil)
		resp, err := cs[c].Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var res server.SearchResult
		if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != http.StatusOK {
			return fmt.Errorf("search %q: %d %v", q, resp.StatusCode, err)
		}
		if res.Total < len(res.Dossiers) {
			return fmt.Errorf("search %q: total %d < %d shown", q, res.Total, len(res.Dossiers))
		}
		return nil
	})
	loadTime := time.Since(start)
	var ingest string
	select {
	case ingest = <-ingestDone:
		t.Logf("ingest ended during or before the load's end: %s", ingest)
	default:
		ingest = <-ingestDone
		t.Logf("ingest ran through the whole load (%v) and ended %v later: %s", loadTime.Round(time.Millisecond), (time.Since(start) - loadTime).Round(time.Millisecond), ingest)
	}
	t.Logf("search load: %s", sum)
	if sum.Errors > 0 {
		t.Errorf("%d of %d searches failed; first: %v", sum.Errors, sum.Calls, sum.FirstErr)
	}
	if sum.Calls < clients {
		t.Errorf("only %d searches made", sum.Calls)
	}
	// the bulk job is searchable through the server once its follower caught up
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		_, body := get(t, cs[0], base+"/api/v1/search?q="+url.QueryEscape("code:HS-LOADB*"))
		var res server.SearchResult
		if json.Unmarshal(body, &res) == nil && res.Total == len(bulk.Codes) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bulk job not searchable: %s", body)
		}
	}
}
