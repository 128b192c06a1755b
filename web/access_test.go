package web_test

import (
	"bytes"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"hoso/internal/browsertest"
)

// mainOf is the page's <main> element, where records are shown.
func mainOf(body string) string {
	i, j := strings.Index(body, "<main"), strings.Index(body, "</main>")
	if i < 0 || j < i {
		return body
	}
	return body[i:j]
}

// TestNoTraceAboveClearance: a reader below a dossier's level finds no
// link, count, facet, snippet or thumbnail of it, and its URLs answer
// exactly as those of a dossier that does not exist.
func TestNoTraceAboveClearance(t *testing.T) {
	e := seeded(t)
	for _, c := range []struct {
		user    string
		visible []string // codes the user may see
		hidden  []string
		total   string // the summary's start
	}{
		{"readpub", []string{pubCode}, []string{confCode, secCode}, "1 hồ sơ, 2 trang"},
		{"reader", []string{pubCode, confCode}, []string{secCode}, "2 hồ sơ, 3 trang"},
		{"admin", []string{pubCode, confCode, secCode}, nil, "3 hồ sơ, 4 trang"},
	} {
		cl := e.As(t, c.user)
		r := cl.Get("/search?q=nguyen+van+thanh")
		body := mainOf(r.Body)
		if !strings.Contains(body, c.total) {
			t.Errorf("%s: summary is not %q:\n%s", c.user, c.total, regexp.MustCompile(`id="result-summary">\s*([^<]*)`).FindStringSubmatch(body))
		}
		for _, code := range c.visible {
			if !strings.Contains(body, code) {
				t.Errorf("%s: %s missing from the results", c.user, code)
			}
		}
		for _, code := range c.hidden {
			if strings.Contains(body, code) {
				t.Errorf("%s: results name %s", c.user, code)
			}
			for _, p := range []string{"/dossiers/" + code, "/dossiers/" + code + "/d1/1", "/dossiers/" + code + "/d1/1?q=thanh",
				"/dossiers/" + code + "/d1/1/image", "/dossiers/" + code + "/d1/1/thumb", "/dossiers/" + code + "/d1/original",
				"/dossiers/" + code + "/upload"} {
				got := cl.Get(p)
				if strings.HasSuffix(p, "/original") || strings.HasSuffix(p, "/upload") {
					if c.user != "admin" && got.Code != http.StatusNotFound && got.Code != http.StatusForbidden {
						t.Errorf("%s %s: %d", c.user, p, got.Code)
					}
					continue
				}
				// The same URL with a code that does not exist answers the
				// same, but for the URL itself (echoed in the language switch).
				missing := cl.Get(strings.ReplaceAll(p, code, "HS-0000-000000"))
				if got.Code != http.StatusNotFound || strings.ReplaceAll(got.Body, code, "HS-0000-000000") != missing.Body {
					t.Errorf("%s %s: %d, not the not-found page of a missing dossier", c.user, p, got.Code)
				}
			}
		}
		if c.user == "reader" {
			for _, trace := range []string{browsertest.SecretUnit, "Trần Thị Hoa", "Tối mật"} {
				if strings.Contains(body, trace) {
					t.Errorf("reader's results show %q", trace)
				}
			}
			// The person view counts only what the reader may see.
			p := mainOf(cl.Get("/person?" + url.Values{"name": {person}, "born": {browsertest.PersonBorn}}.Encode()).Body)
			if !strings.Contains(p, "2 hồ sơ, 2 tài liệu") || strings.Contains(p, secCode) {
				t.Errorf("reader's person view:\n%s", p)
			}
		}
	}
}

func TestSignIn(t *testing.T) {
	e := seeded(t)
	c := e.NewClient(t)
	if r := c.Get("/search"); r.Code != http.StatusSeeOther || r.Header.Get("Location") != "/login?next=%2Fsearch" {
		t.Errorf("signed-out search: %d %s", r.Code, r.Header.Get("Location"))
	}
	// The form's own token is required: a forged sign-in fails.
	r := c.PostForm("/login", url.Values{"name": {"arch"}, "password": {browsertest.Password}})
	if r.Code != http.StatusForbidden {
		t.Errorf("sign-in without the form token: %d", r.Code)
	}
	// next goes back to a local page only.
	form := c.Get("/login?next=" + url.QueryEscape("//evil.example/x"))
	if !strings.Contains(form.Body, `name="next" value="/search"`) {
		t.Error("the sign-in form keeps a foreign next")
	}
	r = c.Login("arch", browsertest.Password)
	if r.Code != http.StatusSeeOther || r.Header.Get("Location") != "/search" {
		t.Errorf("sign-in: %d %s", r.Code, r.Header.Get("Location"))
	}
	// Sign-out needs the session's CSRF token.
	if r := c.PostForm("/logout", url.Values{"csrf": {"forged"}}); r.Code != http.StatusForbidden {
		t.Errorf("sign-out with a wrong token: %d", r.Code)
	}
	c.Get("/search")
	if r := c.PostForm("/logout", nil); r.Code != http.StatusSeeOther {
		t.Errorf("sign-out: %d", r.Code)
	}
	if r := c.Get("/search"); r.Code != http.StatusSeeOther {
		t.Errorf("after sign-out: %d", r.Code)
	}
	// The language switch stays on the site.
	if r := c.Get("/lang?l=en&next=https://evil.example/"); r.Header.Get("Location") != "/search" {
		t.Errorf("lang redirect to %q", r.Header.Get("Location"))
	}
	// Wrong passwords, then the rate limit (per name and per address).
	c.Get("/lang?l=vi")
	r = c.Login("reader", "wrong password!")
	if r.Code != http.StatusUnauthorized || !strings.Contains(r.Body, "Sai tên đăng nhập hoặc mật khẩu") {
		t.Errorf("wrong password: %d", r.Code)
	}
	c.Login("reader", "wrong password!")
	c.Login("reader", "wrong password!")
	r = c.Login("reader", browsertest.Password)
	if r.Code != http.StatusTooManyRequests || !strings.Contains(r.Body, "Đăng nhập sai quá nhiều lần") || r.Header.Get("Retry-After") == "" {
		t.Errorf("after 3 failures: %d %q", r.Code, regexp.MustCompile(`id="login-error">([^<]*)`).FindStringSubmatch(r.Body))
	}
}

func TestPageViewMarksHits(t *testing.T) {
	e := seeded(t)
	c := e.As(t, "reader")
	r := c.Get("/dossiers/" + pubCode + "/d1/1?q=nguyen+van+thanh")
	if r.Code != http.StatusOK {
		t.Fatalf("page view: %d", r.Code)
	}
	// Seeded boxes: line 1 at y 130-152, words from x 60, 14 px a letter.
	rects := regexp.MustCompile(`<rect class="hit" x="([0-9.]+)%" y="([0-9.]+)%" width="([0-9.]+)%" height="([0-9.]+)%" data-word="([^"]+)"`).FindAllStringSubmatch(r.Body, -1)
	if len(rects) != 3 {
		t.Fatalf("%d hit boxes, want 3:\n%s", len(rects), mainOf(r.Body))
	}
	if rects[0][5] != "Nguyễn" || rects[0][2] != "7.4116" || rects[0][4] != "1.2543" {
		t.Errorf("first box %q", rects[0][1:])
	}
	if got := regexp.MustCompile(`<mark>([^<]*)</mark>`).FindAllStringSubmatch(r.Body, -1); len(got) != 3 || got[2][1] != "Thành" {
		t.Errorf("marked words %q", got)
	}
	if !strings.Contains(r.Body, `data-nav="next-hit"`) || !strings.Contains(r.Body, "Kết quả 1 / 2") {
		t.Error("no way to the next hit")
	}
	if strings.Contains(r.Body, "/original") {
		t.Error("a reader is offered the original")
	}
	if a := e.As(t, "arch").Get("/dossiers/" + pubCode + "/d1/1"); !strings.Contains(a.Body, "/d1/original") {
		t.Error("an archivist is not offered the original")
	}
	// Pages and originals stream with their types.
	if r := c.Get("/dossiers/" + pubCode + "/d1/1/thumb"); r.Code != http.StatusOK || r.Header.Get("Content-Type") != "image/png" || len(r.Body) < 100 {
		t.Errorf("thumbnail: %d %s %d bytes", r.Code, r.Header.Get("Content-Type"), len(r.Body))
	}
	if r := c.Get("/dossiers/" + pubCode + "/d1/original"); r.Code != http.StatusForbidden {
		t.Errorf("reader's download: %d", r.Code)
	}
	if r := e.As(t, "arch").Get("/dossiers/" + pubCode + "/d1/original"); r.Code != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("archivist's download: %d %q", r.Code, r.Header.Get("Content-Disposition"))
	}
}

func TestFacetLinks(t *testing.T) {
	e := seeded(t)
	c := e.As(t, "admin")
	r := c.Get("/search?q=thanh")
	add := regexp.MustCompile(`<a href="(/search\?q=thanh&#43;unit[^"]*)"[^>]*>Sở Nội vụ</a>`).FindStringSubmatch(r.Body)
	if add == nil {
		t.Fatalf("no facet link to filter by unit:\n%s", mainOf(r.Body))
	}
	r = c.Get(html.UnescapeString(add[1]))
	if !strings.Contains(r.Body, "1 hồ sơ") || !strings.Contains(r.Body, `class="active-filters"`) {
		t.Errorf("filtered search:\n%s", mainOf(r.Body))
	}
	if !strings.Contains(r.Body, `<a href="/search?q=thanh" class="chip">`) {
		t.Error("no link removing the filter")
	}
}

// TestClassificationFacetLinks: a classification facet value is a link
// adding class:VALUE, whose search finds as many dossiers as the facet
// counted, with a chip removing it; a level above the reader's clearance
// is neither offered nor found, and asking for it is no error.
func TestClassificationFacetLinks(t *testing.T) {
	e := seeded(t)
	c := e.As(t, "admin")
	r := c.Get("/search?q=nguyen+van+thanh")
	add := regexp.MustCompile(`<a href="(/search\?q=nguyen&#43;van&#43;thanh&#43;class%3Aconfidential)">Mật</a> <span class="count">(\d+)</span>`).FindStringSubmatch(r.Body)
	if add == nil {
		t.Fatalf("no facet link to filter by class:confidential:\n%s", mainOf(r.Body))
	}
	r = c.Get(html.UnescapeString(add[1]))
	body := mainOf(r.Body)
	if !strings.Contains(body, add[2]+" hồ sơ,") || !strings.Contains(body, `class="active-filters"`) || !strings.Contains(body, confCode) {
		t.Errorf("filtered search does not find the %s dossiers counted:\n%s", add[2], body)
	}
	for _, code := range []string{pubCode, secCode} {
		if strings.Contains(body, code) {
			t.Errorf("class:confidential finds %s", code)
		}
	}
	if !strings.Contains(body, `<a href="/search?q=nguyen&#43;van&#43;thanh" class="chip">Mật`) {
		t.Errorf("no chip removing the filter:\n%s", body)
	}
	if !strings.Contains(body, `<a href="/search?q=nguyen&#43;van&#43;thanh" class="active" aria-current="true">Mật</a>`) {
		t.Errorf("the facet value is not marked active:\n%s", body)
	}

	reader := e.As(t, "reader") // confidential clearance
	r = reader.Get("/search?q=nguyen+van+thanh")
	if strings.Contains(r.Body, "class%3Asecret") || strings.Contains(r.Body, "class%3Atop-secret") {
		t.Errorf("reader is offered a level above the clearance:\n%s", mainOf(r.Body))
	}
	r = reader.Get("/search?q=nguyen+van+thanh+class%3Asecret")
	body = mainOf(r.Body)
	if r.Code != http.StatusOK || !strings.Contains(body, "Không có kết quả.") || strings.Contains(body, `id="query-error"`) || strings.Contains(body, secCode) {
		t.Errorf("reader's class:secret: %d, want no results and no error:\n%s", r.Code, body)
	}
	r = c.Get("/search?q=class%3Arestricted")
	if !strings.Contains(mainOf(r.Body), `id="query-error"`) {
		t.Errorf("class:restricted: no query error:\n%s", mainOf(r.Body))
	}
}

func TestCorrectionByForm(t *testing.T) {
	e := seeded(t)
	c := e.As(t, "arch")
	if r := c.Get("/review"); !strings.Contains(r.Body, "/d1/2/correct") {
		t.Fatalf("review queue without the low-confidence page:\n%s", mainOf(r.Body))
	}
	form := c.Get("/dossiers/" + pubCode + "/d1/2/correct")
	base := regexp.MustCompile(`name="base" value="([^"]+)"`).FindStringSubmatch(form.Body)
	r := c.PostForm("/dossiers/"+pubCode+"/d1/2/correct?from=review", url.Values{"base": {base[1]},
		"text": {"Quá trình công tác\nNăm 2001 về công tác tại Sở Nội vụ tỉnh Quảng Trị"}})
	if r.Code != http.StatusSeeOther || r.Header.Get("Location") != "/review?flash=saved" {
		t.Fatalf("save: %d %s", r.Code, r.Header.Get("Location"))
	}
	if r := c.Get("/review"); strings.Contains(r.Body, pubCode+"/d1/2/") {
		t.Error("the corrected page is still in the queue")
	}
	if r := c.Get("/search?q=quang+tri"); !strings.Contains(r.Body, pubCode) {
		t.Error("search does not find the corrected word")
	}
	// A second save from the same (now old) text is a conflict, shown in the form.
	r = c.PostForm("/dossiers/"+pubCode+"/d1/2/correct", url.Values{"base": {base[1]}, "text": {"x"}})
	if r.Code != http.StatusConflict || !strings.Contains(r.Body, `id="correct-error"`) {
		t.Errorf("stale save: %d", r.Code)
	}
	if r := e.As(t, "reader").PostForm("/dossiers/"+pubCode+"/d1/2/correct", url.Values{"text": {"x"}}); r.Code != http.StatusForbidden {
		t.Errorf("reader's correction: %d", r.Code)
	}
}

func TestNewDossierValidation(t *testing.T) {
	e := seeded(t)
	c := e.As(t, "arch")
	c.Get("/upload")
	r := c.PostForm("/upload", url.Values{"code": {"bad code"}, "birth_date": {"1975-13-45"}, "classification": {"confidential"}})
	if r.Code != http.StatusBadRequest {
		t.Fatalf("invalid form: %d", r.Code)
	}
	for _, id := range []string{"e-code", "e-full_name", "e-birth_date"} {
		if !strings.Contains(r.Body, `id="`+id+`"`) {
			t.Errorf("no message %s beside its field", id)
		}
	}
	r = c.PostForm("/upload", url.Values{"code": {pubCode}, "full_name": {"X"}, "classification": {"public"}})
	if !strings.Contains(r.Body, `id="e-code">Mã hồ sơ này đã có.`) {
		t.Errorf("taken code: %d", r.Code)
	}
	r = c.PostForm("/upload", url.Values{"code": {"HS-2099-1"}, "full_name": {"X"}, "classification": {"top-secret"}})
	if r.Code != http.StatusBadRequest || !strings.Contains(r.Body, `id="e-classification"`) {
		t.Errorf("level above the archivist's clearance: %d", r.Code)
	}
	r = c.PostForm("/upload", url.Values{"code": {"hs-2099-1"}, "full_name": {"Lê Thị Lan"}, "classification": {"public"}})
	if r.Code != http.StatusSeeOther || r.Header.Get("Location") != "/dossiers/HS-2099-1/upload?flash=created" {
		t.Errorf("create: %d %s", r.Code, r.Header.Get("Location"))
	}
}

// TestUploadWithoutScript posts the upload form as a browser without
// JavaScript does: multipart, the CSRF token in the form's URL.
func TestUploadWithoutScript(t *testing.T) {
	e := seeded(t)
	c := e.As(t, "arch")
	form := c.Get("/dossiers/" + pubCode + "/upload")
	action := html.UnescapeString(regexp.MustCompile(`action="([^"]+)" enctype`).FindStringSubmatch(form.Body)[1])
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("kind", "no-such-kind")
	fw, _ := mw.CreateFormFile("file", "02.png")
	fw.Write([]byte("not really a png"))
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, action, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	r := c.Do(req)
	if r.Code != http.StatusBadRequest || !strings.Contains(r.Body, `id="e-kind"`) {
		t.Errorf("bad kind: %d\n%s", r.Code, mainOf(r.Body))
	}
	// Without the token the upload is refused before anything is read.
	req, _ = http.NewRequest(http.MethodPost, "/dossiers/"+pubCode+"/upload", strings.NewReader("x"))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	if r := c.Do(req); r.Code != http.StatusForbidden {
		t.Errorf("upload without the CSRF token: %d", r.Code)
	}
}

func TestAuditViewer(t *testing.T) {
	e := seeded(t)
	e.As(t, "reader").Get("/search?q=thanh")
	c := e.As(t, "admin")
	r := c.Get("/admin/audit?user=reader&action=search")
	if r.Code != http.StatusOK || !regexp.MustCompile(`<td class="target"[^>]*>thanh`).MatchString(r.Body) {
		t.Errorf("audit filtered to the reader's searches: %d\n%s", r.Code, mainOf(r.Body))
	}
	if strings.Contains(mainOf(r.Body), "<code>login</code>") {
		t.Error("the action filter lets other actions through")
	}
	if r := c.Get("/admin/audit?since=yesterday"); r.Code != http.StatusBadRequest {
		t.Errorf("bad date: %d", r.Code)
	}
	if r := e.As(t, "arch").Get("/admin/audit"); r.Code != http.StatusForbidden {
		t.Errorf("archivist reads the audit log: %d", r.Code)
	}
}

func TestAdminPages(t *testing.T) {
	e := seeded(t)
	c := e.As(t, "admin")
	c.Get("/admin/users")
	if r := c.PostForm("/admin/users", url.Values{"name": {"lan"}, "role": {"archivist"}, "clearance": {"secret"},
		"password": {browsertest.Password}}); r.Code != http.StatusSeeOther {
		t.Fatalf("create user: %d\n%s", r.Code, mainOf(r.Body))
	}
	if r := c.PostForm("/admin/users", url.Values{"name": {"Bad Name"}, "password": {"short"}}); r.Code != http.StatusBadRequest ||
		!strings.Contains(r.Body, `id="e-name"`) || !strings.Contains(r.Body, `id="e-password"`) {
		t.Errorf("invalid user: %d", r.Code)
	}
	if r := c.PostForm("/admin/users/lan", url.Values{"action": {"save"}, "role": {"reader"}, "clearance": {"public"}}); r.Code != http.StatusSeeOther {
		t.Errorf("change role: %d", r.Code)
	}
	lan := e.As(t, "lan")
	if r := lan.Get("/review"); r.Code != http.StatusForbidden {
		t.Errorf("lan, now a reader, opens the review queue: %d", r.Code)
	}
	// Tokens: made once, shown once, revoked.
	lan.Get("/tokens")
	r := lan.PostForm("/tokens", url.Values{"label": {"script"}})
	secret := regexp.MustCompile(`id="new-token" readonly value="([^"]+)"`).FindStringSubmatch(r.Body)
	if secret == nil {
		t.Fatalf("no new token shown:\n%s", mainOf(r.Body))
	}
	req, _ := http.NewRequest(http.MethodGet, "/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+secret[1])
	if r := e.NewClient(t).Do(req); r.Code != http.StatusOK {
		t.Errorf("the token does not work: %d", r.Code)
	}
	if strings.Contains(lan.Get("/tokens").Body, secret[1]) {
		t.Error("the token's secret is shown again")
	}
	id := regexp.MustCompile(`action="/tokens/([^/]+)/revoke"`).FindStringSubmatch(lan.Get("/tokens").Body)
	if r := lan.PostForm("/tokens/"+id[1]+"/revoke", nil); r.Code != http.StatusSeeOther {
		t.Errorf("revoke: %d", r.Code)
	}
	if r := c.PostForm("/admin/users/lan", url.Values{"action": {"disable"}}); r.Code != http.StatusSeeOther {
		t.Errorf("disable: %d", r.Code)
	}
	if r := lan.Get("/search"); r.Code != http.StatusSeeOther {
		t.Errorf("a disabled user's session still works: %d", r.Code)
	}
}
