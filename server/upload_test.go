package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"hoso/internal/fixtures"
	"hoso/jobs"
)

// TestUploadOCRSearch uploads a rendered 150-dpi page through the API, has
// the real OCR pool read it in a background job, and finds it by search
// with the boxes of the matched words.
func TestUploadOCRSearch(t *testing.T) {
	e := newEnv(t, envOptions{ocr: true})
	arch := e.as("arch")
	code, body, _ := arch.do("POST", "/api/v1/dossiers", map[string]any{"code": "hs-up-1",
		"subject": map[string]any{"full_name": "Đặng Thị Yến", "birth_date": "1969-09-09"}, "unit": "Sở Nội vụ", "classification": "confidential"})
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	img, err := fixtures.Page([]string{"Họ và tên: Đặng Thị Yến", "Quyết định khen thưởng"}, fixtures.PageOptions{DPI: 150, HeightIn: 3, FontPt: 14})
	if err != nil {
		t.Fatal(err)
	}
	png, err := fixtures.PNG(img, 150)
	if err != nil {
		t.Fatal(err)
	}
	mp := multipartOf(t, []mpFile{{`C:\scans\quyết định 01.png`, png}},
		map[string]string{"kind[0]": "decision", "title[0]": "Quyết định khen thưởng", "date[0]": "2010-01-01"})
	code, body, h := arch.do("POST", "/api/v1/dossiers/HS-UP-1/documents", mp)
	var ur UploadResponse
	if code != http.StatusAccepted || json.Unmarshal(body, &ur) != nil || h.Get("Location") != ur.URL {
		t.Fatalf("upload: %d %s", code, body)
	}
	var st jobs.Status
	waitFor(t, 90*time.Second, "the upload job", func() bool {
		arch.get(ur.URL, &st)
		return st.State.Final()
	})
	if st.State != jobs.StateDone || st.PagesDone != 1 || st.NumFailures != 0 || st.Dossiers[0].State != jobs.DossierCommitted {
		t.Fatalf("job %+v", st)
	}

	var res SearchResult
	q := url.QueryEscape("khen thưởng code:HS-UP-1")
	arch.get("/api/v1/search?q="+q, &res)
	if res.Total != 1 || res.Dossiers[0].Code != "HS-UP-1" {
		t.Fatalf("search: %+v", res)
	}
	hit := res.Dossiers[0].Hits[0]
	var words []string
	for _, b := range hit.Boxes {
		words = append(words, strings.ToLower(b.Text))
		if b.X1 <= b.X0 || b.Y1 <= b.Y0 || b.X1 > hit.Width || b.Y1 > hit.Height {
			t.Errorf("box %+v outside %dx%d", b, hit.Width, hit.Height)
		}
	}
	if strings.Join(words, " ") != "khen thưởng" || hit.Kind != "decision" || hit.Page != 1 {
		t.Errorf("hit %+v", hit)
	}
	// the reader cleared for public does not find it
	e.as("readpub").get("/api/v1/search?q="+q+"&facets=1", &res)
	if res.Total != 0 {
		t.Errorf("public reader finds %+v", res)
	}

	var v DossierView
	arch.get("/api/v1/dossiers/HS-UP-1", &v)
	doc := v.Documents[0]
	if doc.Original.Filename != "quyết định 01.png" || doc.Title != "Quyết định khen thưởng" || doc.Date.String() != "2010-01-01" || len(doc.Pages) != 1 {
		t.Fatalf("document %+v", doc)
	}
	code, orig, oh := arch.do("GET", "/api/v1/dossiers/HS-UP-1/documents/"+doc.ID+"/original", nil)
	if code != http.StatusOK || !bytes.Equal(orig, png) || oh.Get("Content-Type") != "image/png" {
		t.Errorf("original: %d %s", code, oh)
	}
	if cd := oh.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, "filename*=utf-8''quy%E1%BA%BFt%20%C4%91%E1%BB%8Bnh%2001.png") {
		t.Errorf("Content-Disposition %q", cd)
	}
	code, pimg, ph := arch.do("GET", pagePath("HS-UP-1", doc.ID, 1)+"/image", nil)
	if code != http.StatusOK || ph.Get("Content-Type") != "image/png" || len(pimg) == 0 {
		t.Errorf("page image: %d %s", code, ph)
	}
	var m string
	func() {
		_, b, _ := e.as("admin").do("GET", "/metrics", nil)
		m = string(b)
	}()
	for _, want := range []string{"hoso_ocr_pages_total 1\n", "hoso_ocr_seconds_count 1\n", "hoso_ocr_queue_depth 0\n", "hoso_jobs_running 0\n"} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestUploadRefusals(t *testing.T) {
	e := newEnv(t, envOptions{ocr: true})
	arch := e.as("archpub")
	tests := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"no file", multipartOf(t, nil, nil), http.StatusBadRequest, "invalid"},
		{"above clearance", multipartOf(t, []mpFile{{"a.png", []byte("x")}}, map[string]string{"classification": "secret"}), http.StatusBadRequest, "invalid"},
		{"bad kind", multipartOf(t, []mpFile{{"a.png", []byte("x")}}, map[string]string{"kind[0]": "poem"}), http.StatusBadRequest, "invalid"},
		{"field of no file", multipartOf(t, []mpFile{{"a.png", []byte("x")}}, map[string]string{"title[3]": "x"}), http.StatusBadRequest, "invalid"},
		{"unknown field", multipartOf(t, []mpFile{{"a.png", []byte("x")}}, map[string]string{"path": "/etc/passwd"}), http.StatusBadRequest, "invalid"},
		{"same name twice", multipartOf(t, []mpFile{{"a.png", []byte("x")}, {"a.png", []byte("y")}}, nil), http.StatusBadRequest, "invalid"},
		{"too large", multipartOf(t, []mpFile{{"a.png", make([]byte, 9<<20)}}, nil), http.StatusRequestEntityTooLarge, "too_large"},
		{"not multipart", map[string]string{"file": "x"}, http.StatusUnsupportedMediaType, "unsupported_media_type"},
	}
	for _, tc := range tests {
		code, body, _ := arch.do("POST", "/api/v1/dossiers/HS-PUB/documents", tc.body)
		if code != tc.status || errCode(body) != tc.code {
			t.Errorf("%s: %d %s", tc.name, code, body)
		}
	}
	if n := len(dirEntries(t, e.app.cfg.TempDir)); n != 0 {
		t.Errorf("%d temporary uploads left behind", n)
	}
}

// TestEditDuringUpload: a metadata edit made while an upload's pages are
// OCR'd is kept when the upload commits its documents.
func TestEditDuringUpload(t *testing.T) {
	e := newEnv(t, envOptions{ocr: true})
	arch := e.as("arch")
	code, body, _ := arch.do("POST", "/api/v1/dossiers", map[string]any{"code": "hs-up-2",
		"subject": map[string]any{"full_name": "Đặng Thị Yến"}, "unit": "Sở Nội vụ", "classification": "public"})
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	img, err := fixtures.Page([]string{"Họ và tên: Đặng Thị Yến", "Thư giới thiệu"}, fixtures.PageOptions{DPI: 150, HeightIn: 3, FontPt: 14})
	if err != nil {
		t.Fatal(err)
	}
	png, _ := fixtures.PNG(img, 150)
	mp := multipartOf(t, []mpFile{{"thu.png", png}}, map[string]string{"kind[0]": "letter"})
	code, body, _ = arch.do("POST", "/api/v1/dossiers/HS-UP-2/documents", mp)
	var ur UploadResponse
	if code != http.StatusAccepted || json.Unmarshal(body, &ur) != nil {
		t.Fatalf("upload: %d %s", code, body)
	}
	if code, body, _ := arch.do("PATCH", "/api/v1/dossiers/HS-UP-2", map[string]any{"unit": "Ban Tổ chức"}); code != http.StatusOK {
		t.Fatalf("edit during upload: %d %s", code, body)
	}
	var st jobs.Status
	waitFor(t, 90*time.Second, "the upload job", func() bool {
		arch.get(ur.URL, &st)
		return st.State.Final()
	})
	var dv DossierView
	arch.get("/api/v1/dossiers/HS-UP-2", &dv)
	if st.State != jobs.StateDone || dv.Unit != "Ban Tổ chức" || len(dv.Documents) != 1 {
		t.Fatalf("job %s, dossier %+v", st.State, dv)
	}
}
