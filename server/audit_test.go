package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"hoso/archive"
	"hoso/audit"
	"hoso/storage/faulty"
)

// TestAuditTrail does each audited action and reads the audit log back.
func TestAuditTrail(t *testing.T) {
	e := newEnv(t, envOptions{ocr: true})
	arch, readpub, admin := e.as("arch"), e.as("readpub"), e.as("admin")
	e.login("arch", "not the password")
	readpub.get("/api/v1/search?q=thanh", nil)
	readpub.get("/api/v1/dossiers/HS-PUB", nil)
	readpub.do("GET", "/api/v1/dossiers/HS-TS", nil)
	readpub.get(pagePath("HS-PUB", "d1", 1), nil)
	readpub.get(pagePath("HS-PUB", "d1", 1)+"/image", nil)
	readpub.do("GET", "/api/v1/dossiers/HS-PUB/documents/d1/original", nil)
	arch.get("/api/v1/dossiers/HS-PUB/documents/d1/original", nil)
	arch.do("PATCH", "/api/v1/dossiers/HS-PUB", map[string]any{"unit": "Sở Nội vụ tỉnh"})
	arch.do("PUT", pagePath("HS-PUB", "d1", 2)+"/text", map[string]any{"text": "Khen thưởng năm 2016"})
	arch.do("POST", "/api/v1/dossiers", map[string]any{"code": "HS-9", "subject": map[string]any{"full_name": "Vũ Thị Chín"}, "classification": "public"})
	code, _, _ := arch.do("POST", "/api/v1/dossiers/HS-9/documents", multipartOf(t, []mpFile{{"bad.pdf", []byte("junk")}}, nil))
	if code != http.StatusAccepted {
		t.Fatalf("upload: %d", code)
	}
	admin.do("POST", "/api/v1/users", map[string]any{"name": "newbie", "role": "reader", "clearance": "public", "password": "a long enough password"})

	tests := []struct {
		user, action, target, dossier, outcome string
		detail                                 map[string]string // key -> substring of the value
	}{
		{"arch", ActionLogin, "arch", "", audit.OutcomeOK, nil},
		{"", ActionLogin, "arch", "", audit.OutcomeError, map[string]string{"reason": "failed"}},
		{"readpub", ActionSearch, "thanh", "", audit.OutcomeOK, map[string]string{"results": "1", "pages": "2"}},
		{"readpub", ActionDossierView, "HS-PUB", "HS-PUB", audit.OutcomeOK, nil},
		{"readpub", ActionDossierView, "HS-TS", "", audit.OutcomeDenied, map[string]string{"detail": "clearance"}},
		{"readpub", ActionPageView, "HS-PUB/d1/p1", "HS-PUB", audit.OutcomeOK, nil},
		{"readpub", ActionImageView, "HS-PUB/d1/p1", "HS-PUB", audit.OutcomeOK, nil},
		{"readpub", ActionDownload, "HS-PUB/d1", "", audit.OutcomeDenied, map[string]string{"detail": "role"}},
		{"arch", ActionDownload, "HS-PUB/d1", "HS-PUB", audit.OutcomeOK, map[string]string{"detail": "d1.pdf"}},
		{"arch", ActionEdit, "HS-PUB", "HS-PUB", audit.OutcomeOK, map[string]string{"detail": "Sở Nội vụ tỉnh"}},
		{"arch", ActionCorrect, "HS-PUB/d1/p2", "HS-PUB", audit.OutcomeOK, map[string]string{"detail": "corr-"}},
		{"arch", ActionCreate, "HS-9", "HS-9", audit.OutcomeOK, nil},
		{"arch", ActionUpload, "HS-9", "HS-9", audit.OutcomeOK, map[string]string{"detail": "bad.pdf (4 bytes)"}},
		{"admin", ActionUserCreate, "newbie", "", audit.OutcomeOK, map[string]string{"detail": "role=reader"}},
	}
	all := e.entries(audit.Filter{})
	for _, tc := range tests {
		found := false
		for _, en := range all {
			if en.User != tc.user || en.Action != tc.action || en.Target != tc.target || en.Outcome != tc.outcome || en.Dossier != tc.dossier {
				continue
			}
			match := en.Remote == "127.0.0.1" && !en.Time.IsZero()
			for k, sub := range tc.detail {
				v, _ := json.Marshal(en.Detail[k])
				match = match && strings.Contains(string(v), sub)
			}
			found = found || match
		}
		if !found {
			t.Errorf("no audit entry %+v", tc)
		}
	}
	if t.Failed() {
		for _, en := range all {
			t.Logf("%s %s %s %s %s %v", en.User, en.Action, en.Target, en.Dossier, en.Outcome, en.Detail)
		}
	}
	if rep, err := e.log.Verify(context.Background()); err != nil || !rep.OK() {
		t.Errorf("audit log does not verify: %v %+v", err, rep)
	}
}

// TestAuditFailureRefusesActions makes the audit log's store fail: every
// audited action must then fail with 503 and do nothing.
func TestAuditFailureRefusesActions(t *testing.T) {
	e := newEnv(t, envOptions{ocr: true})
	arch, admin := e.as("arch"), e.as("admin")
	before, err := e.arch.Load(context.Background(), "HS-PUB")
	if err != nil {
		t.Fatal(err)
	}
	e.auditFS.SetDown(faulty.ErrInjected)
	tests := []struct {
		c            *client
		method, path string
		body         any
	}{
		{e.anon(), "POST", "/api/v1/login", map[string]string{"name": "arch", "password": password}},
		{e.anon(), "POST", "/api/v1/login", map[string]string{"name": "arch", "password": "wrong"}},
		{arch, "GET", "/api/v1/search?q=thanh", nil},
		{arch, "GET", "/api/v1/dossiers/HS-PUB", nil},
		{arch, "GET", "/api/v1/dossiers/HS-NOPE", nil},
		{arch, "GET", pagePath("HS-PUB", "d1", 1), nil},
		{arch, "GET", pagePath("HS-PUB", "d1", 1) + "/image", nil},
		{arch, "GET", "/api/v1/dossiers/HS-PUB/documents/d1/original", nil},
		{arch, "PATCH", "/api/v1/dossiers/HS-PUB", map[string]any{"unit": "changed"}},
		{arch, "PUT", pagePath("HS-PUB", "d1", 1) + "/text", map[string]any{"text": "changed"}},
		{arch, "POST", "/api/v1/dossiers", map[string]any{"code": "HS-10", "subject": map[string]any{"full_name": "X Y"}, "classification": "public"}},
		{arch, "POST", "/api/v1/dossiers/HS-PUB/documents", multipartOf(t, []mpFile{{"a.pdf", []byte("junk")}}, nil)},
		{arch, "GET", "/api/v1/review", nil},
		{arch, "GET", "/api/v1/jobs", nil},
		{arch, "POST", "/api/v1/tokens", map[string]string{"label": "x"}},
		{admin, "GET", "/api/v1/users", nil},
		{admin, "POST", "/api/v1/users", map[string]any{"name": "x1", "role": "reader", "clearance": "public", "password": "a long enough password"}},
	}
	for _, tc := range tests {
		code, body, h := tc.c.do(tc.method, tc.path, tc.body)
		if code != http.StatusServiceUnavailable || errCode(body) != "audit_unavailable" {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, code, body)
		}
		if h.Get("Set-Cookie") != "" {
			t.Errorf("%s %s set a cookie", tc.method, tc.path)
		}
	}
	after, err := e.arch.Load(context.Background(), "HS-PUB")
	if err != nil || after.Version != before.Version {
		t.Errorf("HS-PUB changed without audit: v%d -> v%d (%v)", before.Version, after.Version, err)
	}
	if _, err := e.arch.Load(context.Background(), "HS-10"); err == nil {
		t.Error("HS-10 created without audit")
	}
	for info, err := range e.store.List(context.Background(), archive.PrefixJobs, "") {
		t.Errorf("job started without audit: %s %v", info.Key, err)
	}
	if u, _ := e.auth.Get(context.Background(), "arch"); len(u.Tokens) != 0 {
		t.Error("token made without audit")
	}
	e.auditFS.Reset()
	arch.get("/api/v1/dossiers/HS-PUB", nil) // works again
}
