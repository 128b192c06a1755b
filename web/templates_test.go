package web

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"hoso/audit"
	"hoso/auth"
	"hoso/domain"
	"hoso/index"
	"hoso/jobs"
	"hoso/server"
)

func date(s string) domain.Date {
	d, err := domain.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// sampleData returns data for every page, as the handlers build it.
func sampleData(u *auth.User) map[string]any {
	l := Languages[0]
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	doc := server.DocumentView{ID: "d1", Kind: domain.KindCV, Title: "Sơ yếu lý lịch",
		Effective: domain.Public, Original: server.OriginalView{Filename: "01.pdf", Size: 123456},
		Pages: []server.PageSummary{{Number: 1, Width: 1240, Height: 1754, Flags: []string{domain.FlagLowConfidence}}, {Number: 2}}}
	doc.Date.Time = date("2019-05-02").Time
	dv := &server.DossierView{Code: "HS-1", Subject: server.Subject{FullName: "Nguyễn Văn Thành"},
		Unit: "Sở Nội vụ", Classification: domain.Confidential, Version: 3, UpdatedAt: now, Documents: []server.DocumentView{doc}}
	dv.Subject.BirthDate.Time = date("1975-05-02").Time
	words := []domain.Word{{Text: "Nguyễn", X0: 100, Y0: 200, X1: 200, Y1: 230, Start: 12}, {Text: "Văn", X0: 210, Y0: 200, X1: 260, Y1: 230, Start: 22}}
	pv := &server.PageView{Code: "HS-1", DocumentID: "d1", PageSummary: doc.Pages[0], TextID: "ocr-vie", Current: true, Source: "ocr",
		Text: "Họ và tên:  Nguyễn Văn Thành", Words: words,
		TextVersions: []server.TextVersion{{ID: "ocr-vie", Source: "machine"}, {ID: "corr-1", Source: "correction", Current: true}}}
	hit := server.SearchHit{DocumentID: "d1", Kind: domain.KindCV, Page: 1, Width: 1240, Height: 1754,
		Snippets: []string{"Họ và tên: <mark>Nguyễn</mark> &lt;b&gt;"}, Boxes: []server.Box{{Text: "Nguyễn", X0: 100, Y0: 200, X1: 200, Y1: 230}}}
	res := &server.SearchResult{Query: "nguyen", Total: 45, TotalPages: 60, Offset: 20, Limit: 20,
		Dossiers: []server.SearchDossier{{Code: "HS-1", Subject: "Nguyễn Văn Thành", Unit: "Sở Nội vụ", Classification: domain.Public,
			MatchedPages: 2, Hits: []server.SearchHit{hit}}},
		Facets: map[string][]index.FacetCount{index.FacetUnit: {{Value: "Sở Nội vụ", Count: 3}}, index.FacetKind: {{Value: "cv", Count: 2}},
			index.FacetClassification: {{Value: "public", Count: 3}}, index.FacetBirthDecade: {{Value: "1970s", Count: 1}},
			index.FacetDocYear: {{Value: "2019", Count: 1}}}}
	sd := &searchData{Query: `nguyen unit:"Sở Nội vụ"`, Sort: "relevance", Sorts: sorts, Result: res,
		Dossiers: []resultDossier{{SearchDossier: res.Dossiers[0], BirthDate: date("1975-05-02"), PersonURL: personURL("Nguyễn Văn Thành", date("1975-05-02")),
			Hits: []resultHit{{SearchHit: hit, URL: pageURL("HS-1", "d1", 1, "nguyen")}}}}}
	sd.facets(l, res)
	sd.paging(res)
	pd := &pageData{D: dv, Doc: doc, P: pv, Query: "nguyen", Zoom: 2, ImageURL: "/img", OriginalURL: "/orig", CorrectURL: "/c"}
	pd.neighbours(1)
	marked := pd.hits([]server.SearchHit{hit, {DocumentID: "d1", Page: 2}}, 1)
	pd.Text = segments(pv.Text, pv.Words, marked)
	for _, z := range zoomLevels {
		pd.ZoomLinks = append(pd.ZoomLinks, zoomLink{Level: z, URL: "/z", Current: z == 150})
	}
	for _, v := range pv.TextVersions {
		pd.Versions = append(pd.Versions, versionLink{TextVersion: v, URL: "/v"})
	}
	form := newForm(u)
	form.Values["code"], form.Errors["code"], form.Error = "x y", "bad code", "something else"
	st := &jobs.Status{ID: "j1", Kind: jobs.KindUpload, State: jobs.StateRunning, User: "arch", PagesDone: 1, PagesTotal: 2, Created: now,
		Dossiers: []jobs.Dossier{{Code: "HS-1", State: jobs.DossierPending, Files: 1}},
		Failures: []jobs.Failure{{Dossier: "HS-1", File: "02.tif", Error: "decode: bad <tiff>"}}, NumFailures: 1}
	done := *st
	done.State, done.Finished = jobs.StateDone, now
	users := []*auth.User{{Name: "admin", Role: auth.Admin, Clearance: domain.TopSecret, Tokens: []auth.Token{{ID: "t1", Label: "ci", Created: now}}},
		{Name: "old", Role: auth.Reader, Clearance: domain.Public, Disabled: true}}
	return map[string]any{
		"login":  loginData{Token: "t", Next: "/search", Error: l.T("login.rate_limited", 15)},
		"error":  errorData{Status: 404, Message: l.T("error.not_found")},
		"search": sd,
		"person": &personData{Name: "Nguyễn Văn Thành", Born: date("1975-05-02"), Dossiers: []*server.DossierView{dv}, More: true,
			Events: []timelineEntry{{Date: asDate(doc.Date.Time), Code: "HS-1", Doc: doc, FirstPg: "/p"}, {Code: "HS-2", Doc: server.DocumentView{Kind: domain.KindOther}}}},
		"dossier":     dossierData{D: dv, PersonURL: "/person", Pages: 2, CanUpload: true},
		"page":        pd,
		"correct":     correctData{D: dv, P: pv, Text: pv.Text, Error: "conflict", ImageURL: "/i", PageURL: "/p", Action: "/a", From: "review"},
		"new_dossier": form,
		"upload":      uploadData{formData: form, D: dv, Action: "/dossiers/HS-1/upload?csrf=x", MaxBytes: 1 << 30, MaxFiles: 100},
		"review": reviewData{Q: &server.ReviewPage{Total: 1, Items: []server.ReviewItem{{Code: "HS-1", Subject: "Nguyễn Văn Thành", DocumentID: "d1", Page: 2, MeanConfidence: 41}}},
			Items: []reviewItem{{ReviewItem: server.ReviewItem{Code: "HS-1", Subject: "Nguyễn Văn Thành", DocumentID: "d1", Page: 2, MeanConfidence: 41, Flags: []string{domain.FlagLowConfidence}}, URL: "/c"}},
			First: 1, Last: 1, Next: "/review?offset=50"},
		"jobs":   jobsData{Jobs: []*jobs.Status{st, &done}},
		"job":    jobData{J: st},
		"tokens": tokensData{Tokens: []auth.Token{{ID: "t1", Label: "ci", Created: now}, {ID: "t0", Label: "old", Created: now, Revoked: now}}, New: &server.NewToken{Token: "hoso_secret"}},
		"users":  usersData{Users: users, Form: form, Roles: auth.Roles, All: domain.Classifications},
		"audit": auditData{Filter: map[string]string{"user": "reader"}, Limit: 200, Actions: auditActions,
			Page: &server.AuditPage{More: true}, Rows: []auditRow{{Entry: audit.Entry{Seq: 7, Time: now, User: "reader", Action: "search", Target: "<q>",
				Dossier: "HS-1", Outcome: "ok"}, DetailText: `{"results":1}`}}},
	}
}

// TestEveryPageRendersForEveryRole renders each page template with sample
// data, in both languages, for a user of each role, and checks the HTML
// for missing strings and for markup the CSP forbids.
func TestEveryPageRendersForEveryRole(t *testing.T) {
	pages, err := parseTemplates()
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{pages: pages, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	forbidden := regexp.MustCompile(`(?i)\sstyle\s*=|\son[a-z]+\s*=|<script(?:\s[^>]*)?>[^<]|<style|javascript:`)
	for _, role := range auth.Roles {
		u := &auth.User{Name: "u-" + string(role), Role: role, Clearance: domain.Secret}
		data := sampleData(u)
		for _, l := range Languages {
			for _, name := range pageNames {
				w := httptest.NewRecorder()
				rq := &request{h: h, w: w, r: httptest.NewRequest("GET", "/x?flash=saved", nil), lang: l,
					who: server.Actor{User: u, Session: &auth.Session{CSRF: "csrf-token"}}}
				if err := rq.render(200, name, "title", "search", data[name], "page.js"); err != nil {
					t.Errorf("%s %s %s: %v", role, l.Code, name, err)
					continue
				}
				body := w.Body.String()
				what := string(role) + " " + l.Code + " " + name
				if strings.Contains(body, "⟦") {
					t.Errorf("%s: missing string %s", what, regexp.MustCompile(`⟦[^⟧]*⟧`).FindString(body))
				}
				if m := forbidden.FindString(body); m != "" {
					t.Errorf("%s: %q breaks the CSP", what, m)
				}
				if !strings.Contains(body, `<html lang="`+l.Code+`">`) {
					t.Errorf("%s: no lang attribute", what)
				}
				if got := strings.Contains(body, `href="/admin/users"`); got != (role == auth.Admin) {
					t.Errorf("%s: users link shown = %v", what, got)
				}
				if got := strings.Contains(body, `href="/upload"`); got != (role != auth.Reader) {
					t.Errorf("%s: upload link shown = %v", what, got)
				}
			}
		}
	}
}

func TestSnippetHTML(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Họ và tên: <mark>Nguyễn</mark> Văn", "Họ và tên: <mark>Nguyễn</mark> Văn"},
		{"a &lt;script&gt;alert(1)&lt;/script&gt; <mark>b</mark>", "a &lt;script&gt;alert(1)&lt;/script&gt; <mark>b</mark>"},
		{"raw <script>alert(1)</script> <img src=x onerror=alert(1)>", "raw &lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt;"},
		{"<mark>open", "<mark>open</mark>"},
		{"close</mark> <mark>x</mark></mark>", "close <mark>x</mark>"},
		{"<mark><mark>x</mark>", "<mark>x</mark>"},
		{"&amp;quot; &#34; \"q\" 'a'", "&amp;quot; &#34; &#34;q&#34; &#39;a&#39;"},
		{"<MARK>x</MARK>", "&lt;MARK&gt;x&lt;/MARK&gt;"},
	} {
		if got := string(snippetHTML(c.in)); got != c.want {
			t.Errorf("snippetHTML(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSegments(t *testing.T) {
	text := "Họ tên: Nguyễn Văn\nThành"
	at := func(w string) int { return strings.Index(text, w) }
	words := []domain.Word{{Text: "Nguyễn", X0: 1, Start: at("Nguyễn")}, {Text: "Văn", X0: 2, Start: at("Văn")}, {Text: "Thành", X0: 3, Start: at("Thành")},
		{Text: "bad", X0: 4, Start: 100}}
	marked := map[domain.Word]bool{{Text: "Nguyễn", X0: 1}: true, {Text: "Thành", X0: 3}: true, {Text: "bad", X0: 4}: true}
	var b strings.Builder
	for _, s := range segments(text, words, marked) {
		if s.Mark {
			b.WriteString("[" + s.Text + "]")
		} else {
			b.WriteString(s.Text)
		}
	}
	if got, want := b.String(), "Họ tên: [Nguyễn] Văn\n[Thành]"; got != want {
		t.Errorf("segments: %q, want %q", got, want)
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/dossiers/HS-1?q=a": "/dossiers/HS-1?q=a", "": "/search", "https://evil.example/": "/search",
		"//evil.example/x": "/search", "/\\evil.example": "/search", "search": "/search", "/a\r\nSet-Cookie: x": "/search",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFacetClauses(t *testing.T) {
	for _, c := range []struct{ facet, value, want string }{
		{index.FacetUnit, `Sở "Nội" vụ`, `unit:"Sở Nội vụ"`},
		{index.FacetKind, "cv", "kind:cv"},
		{index.FacetBirthDecade, "1970s", "born:1970..1979"},
		{index.FacetDocYear, "2019", "year:2019"},
		{index.FacetClassification, "secret", "class:secret"},
		{index.FacetClassification, "top-secret", "class:top-secret"},
		{index.FacetClassification, "restricted", ""},
		{index.FacetBirthDecade, "junk", ""},
	} {
		if got := facetClause(c.facet, c.value); got != c.want {
			t.Errorf("facetClause(%s, %q) = %q, want %q", c.facet, c.value, got, c.want)
		}
	}
	q := `nguyen unit:"Sở Nội vụ" year:2019`
	if !hasClause(q, "year:2019") || hasClause(q, "year:201") {
		t.Error("hasClause")
	}
	if got := withoutClause(q, `unit:"Sở Nội vụ"`); got != "nguyen year:2019" {
		t.Errorf("withoutClause: %q", got)
	}
}
