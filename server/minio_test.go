package server

import (
	"net/http"
	"net/url"
	"testing"

	"hoso/audit"
	"hoso/internal/miniotest"
	"hoso/storage/s3"
)

// TestOnMinIO runs the main paths against a real MinIO server: sign-in
// (accounts in the bucket), search with word boxes, views, an edit and a
// correction (create-only commits), and the audit log in the bucket.
func TestOnMinIO(t *testing.T) {
	srv := miniotest.Start(t)
	store, err := s3.New(t.Context(), s3.Config{Endpoint: srv.Endpoint, Bucket: "hoso-server-test", AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, envOptions{store: store})
	arch, reader := e.as("arch"), e.as("readpub")

	var res SearchResult
	reader.get("/api/v1/search?q="+url.QueryEscape(`"Nghệ An"`)+"&facets=1", &res)
	if res.Total != 1 || len(res.Dossiers[0].Hits[0].Boxes) != 2 {
		t.Fatalf("search: %+v", res)
	}
	if code, _, _ := reader.do("GET", "/api/v1/dossiers/HS-TS", nil); code != http.StatusNotFound {
		t.Errorf("top-secret for a public reader: %d", code)
	}
	if code, b, h := reader.do("GET", pagePath("HS-PUB", "d1", 1)+"/image", nil); code != http.StatusOK || h.Get("Content-Type") != "image/png" || len(b) == 0 {
		t.Errorf("image: %d %s", code, h)
	}
	if code, body, _ := arch.do("PATCH", "/api/v1/dossiers/HS-PUB", map[string]any{"unit": "Sở Nội vụ tỉnh Nghệ An", "version": 1}); code != http.StatusOK {
		t.Fatalf("edit: %d %s", code, body)
	}
	if code, body, _ := arch.do("PATCH", "/api/v1/dossiers/HS-PUB", map[string]any{"unit": "x", "version": 1}); code != http.StatusConflict {
		t.Errorf("edit of a stale version: %d %s", code, body)
	}
	if code, body, _ := arch.do("PUT", pagePath("HS-PUB", "d1", 1)+"/text", map[string]any{"text": "Họ và tên Nguyễn Văn Thành\nquê quán Hà Tĩnh"}); code != http.StatusOK {
		t.Fatalf("correct: %d %s", code, body)
	}
	reader.get("/api/v1/search?q="+url.QueryEscape("Tĩnh unit:\"Sở Nội vụ tỉnh Nghệ An\""), &res)
	if res.Total != 1 || len(res.Dossiers[0].Hits[0].Boxes) != 1 {
		t.Errorf("after edit and correction: %+v", res)
	}
	if n := len(e.entries(audit.Filter{Action: ActionCorrect})); n != 1 {
		t.Errorf("%d correction entries in the bucket's audit log", n)
	}
	if code, body, _ := e.anon().do("GET", "/healthz", nil); code != http.StatusOK {
		t.Errorf("healthz: %d %s", code, body)
	}
}
