package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"hoso/internal/browsertest"
)

const (
	pubCode  = browsertest.PublicCode
	confCode = browsertest.ConfidentialCode
	secCode  = browsertest.SecretCode
	person   = browsertest.Person
)

func seeded(t *testing.T) *browsertest.Env {
	t.Helper()
	e := browsertest.NewEnv(t, browsertest.EnvOptions{})
	e.SeedExamples(t)
	return e
}

// checkPage fails on strings missing from the tables and on markup the
// Content-Security-Policy would block.
func checkPage(t *testing.T, what string, body string) {
	t.Helper()
	if strings.Contains(body, "⟦") {
		t.Errorf("%s: a string is missing from the language table: %s", what, regexp.MustCompile(`⟦[^⟧]*⟧`).FindString(body))
	}
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)\sstyle\s*=`),
		regexp.MustCompile(`(?i)\son[a-z]+\s*=`),
		regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>[^<]`),
		regexp.MustCompile(`(?i)<style`),
		regexp.MustCompile(`(?i)javascript:`),
	} {
		if m := bad.FindString(body); m != "" {
			t.Errorf("%s: %q breaks the CSP (no inline script or style)", what, m)
		}
	}
}

func TestPagesRenderForEveryRole(t *testing.T) {
	e := seeded(t)
	pages := []struct {
		path string
		want map[string]int // role -> status (absent: 200)
	}{
		{"/search", nil},
		{"/search?q=nguyen+van+thanh", nil},
		{"/search?q=%22unclosed", map[string]int{"admin": 400, "arch": 400, "reader": 400, "readpub": 400}},
		{"/person?" + url.Values{"name": {person}, "born": {"1975-05-02"}}.Encode(), nil},
		{"/dossiers/" + pubCode, nil},
		{"/dossiers/" + pubCode + "/d1/1?q=thanh", nil},
		{"/dossiers/" + pubCode + "/d1/2", nil},
		{"/dossiers/" + pubCode + "/d1/2/correct", map[string]int{"reader": 403, "readpub": 403}},
		{"/review", map[string]int{"reader": 403, "readpub": 403}},
		{"/upload", map[string]int{"reader": 403, "readpub": 403}},
		{"/dossiers/" + pubCode + "/upload", map[string]int{"reader": 403, "readpub": 403}},
		{"/jobs", map[string]int{"reader": 403, "readpub": 403}},
		{"/tokens", nil},
		{"/admin/users", map[string]int{"arch": 403, "reader": 403, "readpub": 403}},
		{"/admin/audit", map[string]int{"arch": 403, "reader": 403, "readpub": 403}},
		{"/no/such/page", map[string]int{"admin": 404, "arch": 404, "reader": 404, "readpub": 404}},
	}
	for _, u := range browsertest.Users {
		for _, lang := range []string{"vi", "en"} {
			c := e.As(t, u.Name)
			c.Get("/lang?l=" + lang)
			for _, p := range pages {
				r := c.Get(p.path)
				want := http.StatusOK
				if s, ok := p.want[u.Name]; ok {
					want = s
				}
				what := u.Name + " " + lang + " " + p.path
				if r.Code != want {
					t.Errorf("%s: status %d, want %d\n%.2000s", what, r.Code, want, r.Body)
				}
				if !strings.Contains(r.Body, `<html lang="`+lang+`">`) {
					t.Errorf("%s: no <html lang=%q>", what, lang)
				}
				checkPage(t, what, r.Body)
			}
		}
	}
}
