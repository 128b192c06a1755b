package browsertest

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// signIn fills in the sign-in form in the browser.
func signIn(t *testing.T, b *Browser, base, name string) {
	t.Helper()
	b.Open(base+"/login", "#name")
	b.Do(chromedp.SendKeys(chromedp.ID("name"), name), chromedp.SendKeys(chromedp.ID("password"), Password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("signout")))
}

// signOut presses the header's sign-out button.
func signOut(t *testing.T, b *Browser) {
	t.Helper()
	b.Do(chromedp.Click(chromedp.ID("signout")), chromedp.WaitVisible(chromedp.ID("name")))
}

// checkLayout fails when the page is wider than the window.
func checkLayout(t *testing.T, b *Browser, what string) {
	t.Helper()
	l := b.Layout()
	if l.ScrollWidth > l.ClientWidth {
		t.Errorf("%s: page is %d px wide in a %d px window (widest: %s)", what, l.ScrollWidth, l.ClientWidth, l.Widest)
	}
}

// checkFonts fails when text of sel was drawn with fonts other than the
// style sheet's Vietnamese-capable ones (a fallback means a missing glyph).
func checkFonts(t *testing.T, b *Browser, sel, text string) {
	t.Helper()
	if ok := Eval[bool](b, `document.fonts.check('16px "Noto Sans"', `+jsString(text)+`)`); !ok {
		t.Errorf("document.fonts.check fails for %q", text)
	}
	fonts := b.PlatformFonts(sel)
	if len(fonts) == 0 {
		t.Errorf("%s: no platform fonts reported", sel)
	}
	for name := range fonts {
		if name != "Noto Sans" && name != "DejaVu Sans" {
			t.Errorf("%s (%q) drawn with %q (fonts used: %v): a glyph is missing from the page's fonts", sel, text, name, fonts)
		}
	}
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

// TestEveryPageFits opens every page, as the role that may see it, at
// 1366x768 and at 375x740, and checks that nothing overflows sideways and
// that Vietnamese text is drawn with the page's own fonts.
func TestEveryPageFits(t *testing.T) {
	e := NewEnv(t, EnvOptions{})
	e.SeedExamples(t)
	b := NewBrowser(t, 1366, 768)
	pages := []struct {
		user, name, path, sel string
	}{
		{"", "login", "/login", "#name"},
		{"reader", "search-help", "/search", "#q"},
		{"reader", "search-results", "/search?q=nguyen+van+thanh", ".result"},
		{"reader", "person", "/person?" + url.Values{"name": {Person}, "born": {PersonBorn}}.Encode(), ".timeline"},
		{"reader", "dossier", "/dossiers/" + PublicCode, ".thumbs img"},
		{"reader", "page", "/dossiers/" + PublicCode + "/d1/1?q=nguyen+van+thanh", "#hit-boxes"},
		{"reader", "not-found", "/dossiers/" + SecretCode, ".error-page"},
		{"arch", "review", "/review", "table.review"},
		{"arch", "correct", "/dossiers/" + PublicCode + "/d1/2/correct", "#text"},
		{"arch", "new-dossier", "/upload", "#f-code"},
		{"arch", "upload", "/dossiers/" + PublicCode + "/upload", "#f-file"},
		{"arch", "jobs", "/jobs", "h1"},
		{"admin", "users", "/admin/users", "table.users"},
		{"admin", "audit", "/admin/audit", "table.audit"},
		{"admin", "tokens", "/tokens", "#label"},
	}
	user := ""
	for _, size := range []struct{ w, h int }{{1366, 768}, {375, 740}} {
		b.SetViewport(size.w, size.h)
		for _, p := range pages {
			if p.user != user {
				if user != "" {
					signOut(t, b)
				}
				if p.user != "" {
					signIn(t, b, e.URL, p.user)
				}
				user = p.user
			}
			b.Open(e.URL+p.path, p.sel)
			what := p.name + " at " + strconv.Itoa(size.w)
			b.FullScreenshot(p.name + "-" + strconv.Itoa(size.w))
			checkLayout(t, b, what)
		}
	}
	b.SetViewport(1366, 768)
	b.Open(e.URL+"/search", ".syntax")
	checkFonts(t, b, ".syntax dt:nth-of-type(2) code", `"Nguyễn Văn Thành"`)
	b.Open(e.URL+"/search?q=nguyen+van+thanh", ".result")
	checkFonts(t, b, ".result h2 a", Person)
	checkFonts(t, b, ".snippet", "Nguyễn Văn Thành")

	// The language switch keeps the page and remembers the choice.
	b.Do(chromedp.Click(chromedp.CSS(`.langs a[hreflang="en"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] .result`)))
	if s := b.Text("#result-summary"); !strings.Contains(s, "dossiers") {
		t.Errorf("English summary %q", s)
	}
	b.Screenshot("search-results-english")
	b.Open(e.URL+"/dossiers/"+PublicCode, `html[lang="en"] .thumbs`)
}
