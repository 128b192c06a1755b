package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"hoso/domain"
	"hoso/index"
)

// TestHiddenIsNotFound checks that a record above the user's clearance
// answers byte for byte (status, headers, body) like one that does not
// exist, on every route that names a record.
func TestHiddenIsNotFound(t *testing.T) {
	e := newEnv(t, envOptions{})
	tests := []struct {
		user, method, hidden, missing string
		body                          any
	}{
		{"readpub", "GET", "/api/v1/dossiers/HS-TS", "/api/v1/dossiers/HS-NOPE", nil},
		{"readpub", "GET", "/api/v1/dossiers/HS-CONF", "/api/v1/dossiers/HS-CONE", nil},
		{"readpub", "GET", pagePath("HS-TS", "d1", 1), pagePath("HS-NOPE", "d1", 1), nil},
		{"readpub", "GET", pagePath("HS-PUB", "d2", 1), pagePath("HS-PUB", "d9", 1), nil},
		{"readpub", "GET", pagePath("HS-PUB", "d2", 1), pagePath("HS-PUB", "d1", 7), nil},
		{"readpub", "GET", pagePath("HS-TS", "d1", 1) + "/image", pagePath("HS-NOPE", "d1", 1) + "/image", nil},
		{"readpub", "GET", pagePath("HS-PUB", "d2", 1) + "/image", pagePath("HS-PUB", "d1", 0) + "/image", nil},
		{"readpub", "GET", pagePath("HS-PUB", "d2", 1) + "?version=ocr-vie-test", pagePath("HS-PUB", "d1", 1) + "?version=nope", nil},
		{"archpub", "GET", "/api/v1/dossiers/HS-TS/documents/d1/original", "/api/v1/dossiers/HS-NOPE/documents/d1/original", nil},
		{"archpub", "GET", "/api/v1/dossiers/HS-PUB/documents/d2/original", "/api/v1/dossiers/HS-PUB/documents/..%2Fd1/original", nil},
		{"archpub", "PATCH", "/api/v1/dossiers/HS-TS", "/api/v1/dossiers/HS-NOPE", map[string]any{"unit": "x"}},
		{"archpub", "PATCH", "/api/v1/dossiers/HS-PUB", "/api/v1/dossiers/HS-PUB", map[string]any{"documents": []any{map[string]any{"id": "d2", "title": "x"}}}},
		{"archpub", "PUT", pagePath("HS-TS", "d1", 1) + "/text", pagePath("HS-NOPE", "d1", 1) + "/text", map[string]any{"text": "x"}},
		{"archpub", "POST", "/api/v1/dossiers/HS-TS/documents", "/api/v1/dossiers/HS-NOPE/documents", multipartOf(t, []mpFile{{"a.png", []byte("x")}}, nil)},
		{"arch", "GET", "/api/v1/dossiers/HS-TS", "/api/v1/dossiers/..%2F..%2Fusers%2Fadmin", nil},
		{"arch", "GET", pagePath("HS-TS", "d1", 1), "/api/v1/dossiers/HS-PUB/documents/d1/pages/01", nil},
		{"arch", "GET", pagePath("HS-TS", "d1", 1), "/api/v1/dossiers/HS-PUB/documents/d1/pages/-1", nil},
	}
	for _, tc := range tests {
		c := e.as(tc.user)
		hc, hb, hh := c.do(tc.method, tc.hidden, tc.body)
		mc, mb, mh := c.do(tc.method, tc.missing, tc.body)
		if hc != http.StatusNotFound || mc != http.StatusNotFound {
			t.Errorf("%s %s %s: %d, %s: %d", tc.user, tc.method, tc.hidden, hc, tc.missing, mc)
		}
		if !bytes.Equal(hb, mb) {
			t.Errorf("%s %s: bodies differ:\n%s\n%s", tc.user, tc.hidden, hb, mb)
		}
		for _, h := range []string{"Content-Type", "Content-Length", "Cache-Control", "Content-Security-Policy"} {
			if hh.Get(h) != mh.Get(h) {
				t.Errorf("%s %s: header %s differs: %q vs %q", tc.user, tc.hidden, h, hh.Get(h), mh.Get(h))
			}
		}
	}
	// the dossier itself leaves out the secret document
	var v DossierView
	e.as("readpub").get("/api/v1/dossiers/HS-PUB", &v)
	if len(v.Documents) != 1 || v.Documents[0].ID != "d1" {
		t.Errorf("public reader sees documents %+v", v.Documents)
	}
	e.as("arch").get("/api/v1/dossiers/HS-PUB", &v)
	if len(v.Documents) != 2 || v.Documents[1].Effective != domain.Secret {
		t.Errorf("secret archivist sees documents %+v", v.Documents)
	}
}

// TestSearchHidesAboveClearance checks totals, facets, hits and snippets
// for every clearance.
func TestSearchHidesAboveClearance(t *testing.T) {
	e := newEnv(t, envOptions{})
	tests := []struct {
		user       string
		total      int
		pages      int
		codes      []string
		classFacet []string
		mat        bool // the secret document's page (its word "mật") may show
	}{
		{"readpub", 1, 2, []string{"HS-PUB"}, []string{"public"}, false},
		{"reader", 2, 3, []string{"HS-CONF", "HS-PUB"}, []string{"confidential", "public"}, false},
		{"arch", 2, 4, []string{"HS-CONF", "HS-PUB"}, []string{"confidential", "public"}, true},
		{"admin", 3, 5, []string{"HS-CONF", "HS-PUB", "HS-TS"}, []string{"confidential", "public", "top-secret"}, true},
	}
	for _, tc := range tests {
		var res SearchResult
		e.as(tc.user).get("/api/v1/search?q=thanh&facets=1&sort=code&hits=10", &res)
		var codes []string
		for _, d := range res.Dossiers {
			codes = append(codes, d.Code)
		}
		var classes []string
		for _, f := range res.Facets[index.FacetClassification] {
			classes = append(classes, f.Value)
		}
		slices.Sort(classes)
		if res.Total != tc.total || res.TotalPages != tc.pages || !slices.Equal(codes, tc.codes) || !slices.Equal(classes, tc.classFacet) {
			t.Errorf("%s: total %d pages %d codes %v classes %v; want %d %d %v %v", tc.user, res.Total, res.TotalPages, codes, classes, tc.total, tc.pages, tc.codes, tc.classFacet)
		}
		raw, _ := json.Marshal(res)
		if strings.Contains(string(raw), "mật") != tc.mat {
			t.Errorf("%s: secret snippet shown = %v", tc.user, !tc.mat)
		}
		for _, f := range res.Facets[index.FacetKind] {
			if f.Value == "verification-report" && !tc.mat {
				t.Errorf("%s: kind facet counts the secret document", tc.user)
			}
		}
	}
}

func TestSearchHitsHaveWordBoxes(t *testing.T) {
	e := newEnv(t, envOptions{})
	var res SearchResult
	e.as("readpub").get("/api/v1/search?q="+strings.ReplaceAll("\"Nghệ An\"", " ", "+"), &res)
	if res.Total != 1 || len(res.Dossiers[0].Hits) != 1 {
		t.Fatalf("results %+v", res)
	}
	h := res.Dossiers[0].Hits[0]
	want := ocrOf(seedData[0].docs[0].pages[0].text, 91).Words
	if h.DocumentID != "d1" || h.Page != 1 || h.Width != 2480 || len(h.Boxes) != 2 {
		t.Fatalf("hit %+v", h)
	}
	for i, b := range h.Boxes {
		w := want[len(want)-2+i]
		if b.Text != w.Text || b.X0 != w.X0 || b.Y1 != w.Y1 {
			t.Errorf("box %d = %+v, want the word %+v", i, b, w)
		}
	}
	if len(h.Snippets) == 0 || !strings.Contains(h.Snippets[0], "<mark>Nghệ</mark>") {
		t.Errorf("snippets %q", h.Snippets)
	}
	for _, q := range []string{"born:xyz", "thanh&sort=sideways"} {
		code, body, _ := e.as("readpub").do("GET", "/api/v1/search?q="+q, nil)
		if code != http.StatusBadRequest || errCode(body) != "bad_query" {
			t.Errorf("query %q: %d %s", q, code, body)
		}
	}
	if code, body, _ := e.as("readpub").do("GET", "/api/v1/search?q=thanh&limit=1000", nil); code != http.StatusBadRequest || errCode(body) != "invalid" {
		t.Errorf("limit 1000: %d %s", code, body)
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.as("arch")
	patch := map[string]any{"unit": "Sở Nội vụ"}
	for _, tok := range []string{"", "wrong", c.csrf[:len(c.csrf)-1] + "x"} {
		cc := *c
		cc.csrf = tok
		code, body, _ := cc.do("PATCH", "/api/v1/dossiers/HS-PUB", patch)
		if code != http.StatusForbidden || errCode(body) != "csrf" {
			t.Errorf("token %q: %d %s", tok, code, body)
		}
	}
	if code, body, _ := c.do("PATCH", "/api/v1/dossiers/HS-PUB", patch); code != http.StatusOK {
		t.Errorf("with the token: %d %s", code, body)
	}
	// safe methods need no token; API tokens need none
	cc := *c
	cc.csrf = ""
	if code, _, _ := cc.do("GET", "/api/v1/me", nil); code != http.StatusOK {
		t.Errorf("GET without token: %d", code)
	}
	var nt NewToken
	code, body, _ := c.do("POST", "/api/v1/tokens", map[string]string{"label": "script"})
	if code != http.StatusCreated || json.Unmarshal(body, &nt) != nil {
		t.Fatalf("create token: %d %s", code, body)
	}
	if code, body, _ := e.bearer(nt.Token).do("PATCH", "/api/v1/dossiers/HS-PUB", patch); code != http.StatusOK {
		t.Errorf("bearer without CSRF: %d %s", code, body)
	}
	// a login posted as a form (a cross-site form cannot send JSON) is refused
	code, body, _ = e.anon().do("POST", "/api/v1/login", &multipartBody{data: []byte("name=arch&password=x"), contentType: "application/x-www-form-urlencoded"})
	if code != http.StatusUnsupportedMediaType {
		t.Errorf("form login: %d %s", code, body)
	}
}

func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t, envOptions{noSeed: true})
	// a wrong password says no more than that, for known and unknown names
	for _, name := range []string{"nobody", "reader", "reader"} {
		code, body, _ := e.anon().do("POST", "/api/v1/login", map[string]string{"name": name, "password": "wrong password"})
		if code != http.StatusUnauthorized || !strings.Contains(string(body), "wrong user name or password") {
			t.Errorf("%s: %d %s", name, code, body)
		}
	}
	// the limit (3 failures in tests) is reached: even the right password waits
	code, body, h := e.anon().do("POST", "/api/v1/login", map[string]string{"name": "reader", "password": password})
	if code != http.StatusTooManyRequests || errCode(body) != "rate_limited" {
		t.Fatalf("4th attempt: %d %s", code, body)
	}
	if s, err := strconv.Atoi(h.Get("Retry-After")); err != nil || s <= 0 {
		t.Errorf("Retry-After %q", h.Get("Retry-After"))
	}
	if h.Get("Set-Cookie") != "" {
		t.Errorf("refused sign-in set a cookie")
	}
}

func TestSessionCookieAndLogout(t *testing.T) {
	for _, tlsOn := range []bool{false, true} {
		e := newEnv(t, envOptions{noSeed: true, tls: tlsOn})
		code, _, h := e.anon().do("POST", "/api/v1/login", map[string]string{"name": "reader", "password": password})
		if code != http.StatusOK {
			t.Fatal(code)
		}
		ck := h.Get("Set-Cookie")
		for _, part := range []string{"hoso_session=", "Path=/", "HttpOnly", "SameSite=Strict"} {
			if !strings.Contains(ck, part) {
				t.Errorf("cookie %q lacks %s", ck, part)
			}
		}
		if strings.Contains(ck, "Secure") != tlsOn {
			t.Errorf("tls %v: cookie %q", tlsOn, ck)
		}
		c := e.as("reader")
		var me Me
		c.get("/api/v1/me", &me)
		if me.User.Name != "reader" || me.CSRFToken != c.csrf || slices.Contains(me.Permissions, "download") {
			t.Errorf("me %+v", me)
		}
		if code, body, _ := c.do("POST", "/api/v1/logout", nil); code != http.StatusNoContent {
			t.Fatalf("logout: %d %s", code, body)
		}
		if code, _, _ := c.do("GET", "/api/v1/me", nil); code != http.StatusUnauthorized {
			t.Errorf("after logout: %d", code)
		}
	}
}

func TestTokenRevocation(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.as("arch")
	var nt NewToken
	code, body, _ := c.do("POST", "/api/v1/tokens", map[string]string{"label": "backup script"})
	if code != http.StatusCreated || json.Unmarshal(body, &nt) != nil {
		t.Fatalf("create: %d %s", code, body)
	}
	b := e.bearer(nt.Token)
	var me Me
	b.get("/api/v1/me", &me)
	if me.User.Name != "arch" || me.CSRFToken != "" {
		t.Errorf("bearer me %+v", me)
	}
	b.get("/api/v1/dossiers/HS-PUB", nil)
	var tl TokenList
	c.get("/api/v1/tokens", &tl)
	if len(tl.Tokens) != 1 || tl.Tokens[0].Label != "backup script" || strings.Contains(string(body[:0]), "sha256") {
		t.Errorf("tokens %+v", tl)
	}
	// someone else cannot revoke it; its owner can
	if code, _, _ := e.as("archpub").do("DELETE", "/api/v1/users/arch/tokens/"+nt.Info.ID, nil); code != http.StatusForbidden {
		t.Errorf("revoke another's token: %d", code)
	}
	if code, body, _ := c.do("DELETE", "/api/v1/tokens/"+nt.Info.ID, nil); code != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", code, body)
	}
	for _, p := range []string{"/api/v1/me", "/api/v1/dossiers/HS-PUB"} {
		if code, body, _ := b.do("GET", p, nil); code != http.StatusUnauthorized || errCode(body) != "unauthenticated" {
			t.Errorf("revoked token, %s: %d %s", p, code, body)
		}
	}
	if code, _, _ := c.do("DELETE", "/api/v1/tokens/0000000000000000", nil); code != http.StatusNotFound {
		t.Errorf("revoke unknown: %d", code)
	}
	for _, h := range []string{"Bearer nonsense", "Basic YWRtaW46eA==", "Bearer " + nt.Token + "x"} {
		cl := e.anon()
		req, _ := http.NewRequest("GET", e.ts.URL+"/api/v1/me", nil)
		req.Header.Set("Authorization", h)
		resp, err := cl.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%q: %d", h, resp.StatusCode)
		}
	}
}
