package server

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"hoso/domain"
	"hoso/ingest"
	"hoso/jobs"
)

type multipartBody struct {
	data        []byte
	contentType string
}

type mpFile struct {
	name string
	data []byte
}

func multipartOf(t *testing.T, files []mpFile, fields map[string]string) *multipartBody {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	for _, f := range files {
		fw, err := w.CreateFormFile("file", f.name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(f.data)
	}
	w.Close()
	return &multipartBody{data: b.Bytes(), contentType: w.FormDataContentType()}
}

// status per user, in the order of testUsers: admin (top-secret), arch
// (archivist, secret), archpub (archivist, public), reader (confidential),
// readpub (reader, public).
type want [5]int

const (
	ok   = http.StatusOK
	made = http.StatusCreated
	acc  = http.StatusAccepted
	none = http.StatusNoContent
	bad  = http.StatusBadRequest
	no   = http.StatusForbidden
	nf   = http.StatusNotFound
)

// TestRoutesByRoleAndClearance runs every route as every role and
// clearance: 403 for a role without the permission, 404 for a record above
// the clearance.
func TestRoutesByRoleAndClearance(t *testing.T) {
	e := newEnv(t, envOptions{ocr: true})
	garbage := []mpFile{{name: "scan.pdf", data: []byte("not a scan at all")}}
	jobPub, jobTS := mixedJobs(t, e)
	tests := []struct {
		name   string
		method string
		path   string
		body   func(user string) any
		want   want
	}{
		{"me", "GET", "/api/v1/me", nil, want{ok, ok, ok, ok, ok}},
		{"search", "GET", "/api/v1/search?q=thanh&facets=1", nil, want{ok, ok, ok, ok, ok}},
		{"dossier public", "GET", "/api/v1/dossiers/HS-PUB", nil, want{ok, ok, ok, ok, ok}},
		{"dossier confidential", "GET", "/api/v1/dossiers/HS-CONF", nil, want{ok, ok, nf, ok, nf}},
		{"dossier top-secret", "GET", "/api/v1/dossiers/hs-ts", nil, want{ok, nf, nf, nf, nf}},
		{"dossier missing", "GET", "/api/v1/dossiers/HS-NONE", nil, want{nf, nf, nf, nf, nf}},
		{"page", "GET", pagePath("HS-PUB", "d1", 1), nil, want{ok, ok, ok, ok, ok}},
		{"page of secret document", "GET", pagePath("HS-PUB", "d2", 1), nil, want{ok, ok, nf, nf, nf}},
		{"page missing", "GET", pagePath("HS-PUB", "d1", 9), nil, want{nf, nf, nf, nf, nf}},
		{"image", "GET", pagePath("HS-PUB", "d1", 1) + "/image", nil, want{ok, ok, ok, ok, ok}},
		{"image top-secret", "GET", pagePath("HS-TS", "d1", 1) + "/image", nil, want{ok, nf, nf, nf, nf}},
		{"original", "GET", "/api/v1/dossiers/HS-PUB/documents/d1/original", nil, want{ok, ok, ok, no, no}},
		{"original secret document", "GET", "/api/v1/dossiers/HS-PUB/documents/d2/original", nil, want{ok, ok, nf, no, no}},
		{"original top-secret", "GET", "/api/v1/dossiers/HS-TS/documents/d1/original", nil, want{ok, nf, nf, no, no}},
		{"edit", "PATCH", "/api/v1/dossiers/HS-PUB", func(string) any { return map[string]any{"unit": "Sở Nội vụ"} }, want{ok, ok, ok, no, no}},
		{"edit confidential", "PATCH", "/api/v1/dossiers/HS-CONF", func(string) any { return map[string]any{"unit": "Sở Tài chính"} }, want{ok, ok, nf, no, no}},
		{"edit secret document", "PATCH", "/api/v1/dossiers/HS-PUB", func(string) any {
			return map[string]any{"documents": []any{map[string]any{"id": "d2", "title": "Tài liệu d2"}}}
		}, want{ok, ok, nf, no, no}},
		{"correct", "PUT", pagePath("HS-PUB", "d1", 2) + "/text", func(u string) any { return map[string]any{"text": "Khen thưởng năm 2015 " + u} }, want{ok, ok, ok, no, no}},
		{"correct top-secret", "PUT", pagePath("HS-TS", "d1", 1) + "/text", func(string) any { return map[string]any{"text": "x"} }, want{ok, nf, nf, no, no}},
		{"create", "POST", "/api/v1/dossiers", func(u string) any {
			return map[string]any{"code": "HS-NEW-" + strings.ToUpper(u), "subject": map[string]any{"full_name": "Phạm Văn Mới"}, "classification": "public"}
		}, want{made, made, made, no, no}},
		{"create secret", "POST", "/api/v1/dossiers", func(u string) any {
			return map[string]any{"code": "HS-SEC-" + strings.ToUpper(u), "subject": map[string]any{"full_name": "Phạm Văn Mật"}, "classification": "secret"}
		}, want{made, made, bad, no, no}},
		{"upload", "POST", "/api/v1/dossiers/HS-PUB/documents", func(string) any { return multipartOf(t, garbage, nil) }, want{acc, acc, acc, no, no}},
		{"upload confidential", "POST", "/api/v1/dossiers/HS-CONF/documents", func(string) any { return multipartOf(t, garbage, nil) }, want{acc, acc, nf, no, no}},
		{"review", "GET", "/api/v1/review", nil, want{ok, ok, ok, no, no}},
		{"jobs", "GET", "/api/v1/jobs", nil, want{ok, ok, ok, no, no}},
		{"job", "GET", "/api/v1/jobs/" + jobPub, nil, want{ok, ok, ok, no, no}},
		{"job top-secret", "GET", "/api/v1/jobs/" + jobTS, nil, want{ok, nf, nf, no, no}},
		{"job missing", "GET", "/api/v1/jobs/j00000000000000000001-00000000", nil, want{nf, nf, nf, no, no}},
		{"tokens", "GET", "/api/v1/tokens", nil, want{ok, ok, ok, ok, ok}},
		{"users", "GET", "/api/v1/users", nil, want{ok, no, no, no, no}},
		{"metrics", "GET", "/metrics", nil, want{ok, no, no, no, no}},
		{"healthz", "GET", "/healthz", nil, want{ok, ok, ok, ok, ok}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for i, u := range testUsers {
				var body any
				if tc.body != nil {
					body = tc.body(u.name)
				}
				code, resp, _ := e.as(u.name).do(tc.method, tc.path, body)
				if code != tc.want[i] {
					t.Errorf("%s (%s, %s): %d %s, want %d", u.name, u.role, u.clearance, code, resp, tc.want[i])
				}
			}
			// and without signing in
			if code, resp, _ := e.anon().do(tc.method, tc.path, nil); code != http.StatusUnauthorized && tc.path != "/healthz" {
				t.Errorf("signed out: %d %s, want 401", code, resp)
			}
		})
	}
}

// mixedJobs records two finished ingest jobs: one naming HS-PUB and HS-TS,
// one naming only HS-TS.
func mixedJobs(t *testing.T, e *env) (mixed, secret string) {
	t.Helper()
	ctx := context.Background()
	spec := func(code string, c domain.Classification) *ingest.Spec {
		return &ingest.Spec{Dossier: domain.Dossier{Code: code, Classification: c}, Files: []ingest.FileSpec{{Path: "in/" + code + "/a.pdf"}}}
	}
	j1, err := e.jobs.Start(ctx, jobs.NewJob{Kind: jobs.KindIngest, User: "cli", Specs: []*ingest.Spec{spec("HS-PUB", domain.Public), spec("HS-TS", domain.TopSecret)}})
	if err != nil {
		t.Fatal(err)
	}
	ev := j1.Events(ingest.Events{})
	ev.Pages(3)
	ev.PageDone("HS-PUB", false)
	ev.PageDone("HS-TS", false)
	ev.PageDone("HS-TS", false)
	ev.FileFailed("HS-TS", "in/HS-TS/a.pdf", errTest("in/HS-TS/a.pdf: broken"))
	j1.Finish(nil)
	j2, err := e.jobs.Start(ctx, jobs.NewJob{Kind: jobs.KindIngest, User: "cli", Specs: []*ingest.Spec{spec("HS-TS", domain.TopSecret)}})
	if err != nil {
		t.Fatal(err)
	}
	j2.Finish(errTest("dossier HS-TS: store unreachable"))
	return j1.ID(), j2.ID()
}

type errTest string

func (e errTest) Error() string { return string(e) }
