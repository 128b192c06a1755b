package web

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"hoso/auth"
	"hoso/domain"
	"hoso/server"
)

// pageData is the page view: the scan with the hits boxed, the text with
// them marked, and the ways on.
type pageData struct {
	D     *server.DossierView
	Doc   server.DocumentView
	P     *server.PageView
	Query string
	// Boxes are the hit words' boxes as percentages of the page image.
	Boxes []boxView
	Text  []textSegment
	// Where the page sits: the page and hit before and after it.
	PrevPage, NextPage string
	PrevHit, NextHit   string
	HitNumber, Hits    int // this page's position among the pages with hits (0: none)
	Versions           []versionLink
	Zoom               int
	ZoomLinks          []zoomLink
	OriginalURL        string // "" when the role may not download
	CorrectURL         string // "" when the role may not correct
	ImageURL           string
}

type boxView struct {
	Text       string
	X, Y, W, H string
}

type textSegment struct {
	Text string
	Mark bool
}

type versionLink struct {
	server.TextVersion
	URL   string
	Shown bool
}

type zoomLink struct {
	Level   int
	URL     string
	Current bool
}

// zoomLevels are the scan's widths in percent of its column, by level.
var zoomLevels = []int{100, 150, 200, 300}

func (h *Handler) pageView(rq *request) error {
	ctx := rq.r.Context()
	code, docID := rq.r.PathValue("code"), rq.r.PathValue("doc")
	n, err := pageNumber(rq.r)
	if err != nil {
		return err
	}
	q := rq.r.URL.Query()
	p, err := h.app.Page(ctx, rq.who, code, docID, n, q.Get("v"))
	if err != nil {
		return err
	}
	dv, err := h.app.Dossier(ctx, rq.who, p.Code)
	if err != nil {
		return err
	}
	d := &pageData{D: dv, P: p, Query: q.Get("q")}
	for _, doc := range dv.Documents {
		if doc.ID == p.DocumentID {
			d.Doc = doc
		}
	}
	d.Zoom, _ = strconv.Atoi(q.Get("z"))
	d.Zoom = min(max(d.Zoom, 1), len(zoomLevels))
	d.ImageURL = "/dossiers/" + url.PathEscape(p.Code) + "/" + url.PathEscape(p.DocumentID) + "/" + strconv.Itoa(n) + "/image"
	if rq.can(auth.Download) {
		d.OriginalURL = "/dossiers/" + url.PathEscape(p.Code) + "/" + url.PathEscape(p.DocumentID) + "/original"
	}
	if rq.can(auth.CorrectText) {
		d.CorrectURL = pageURL(p.Code, p.DocumentID, n, "") + "/correct"
	}
	d.neighbours(n)
	var marked map[domain.Word]bool
	if d.Query != "" && validQuery(d.Query) && rq.can(auth.Search) {
		hits, err := h.app.DossierHits(ctx, rq.who, p.Code, d.Query)
		if err != nil {
			return err
		}
		marked = d.hits(hits, n)
	}
	d.Text = segments(p.Text, p.Words, marked)
	for _, v := range p.TextVersions {
		u := d.link(p.DocumentID, n)
		if !v.Current {
			u = withParam(u, "v", v.ID)
		}
		d.Versions = append(d.Versions, versionLink{TextVersion: v, URL: u, Shown: v.ID == p.TextID})
	}
	for i := range zoomLevels {
		d.ZoomLinks = append(d.ZoomLinks, zoomLink{Level: zoomLevels[i], Current: i+1 == d.Zoom,
			URL: withParam(withParam(d.link(p.DocumentID, n), "v", q.Get("v")), "z", strconv.Itoa(i+1))})
	}
	title := rq.lang.T("page.n", n) + " · " + dv.Subject.FullName + " · " + dv.Code
	return rq.render(http.StatusOK, "page", title, "search", d, "page.js")
}

// link is the page view of page n of document doc, keeping the query.
func (d *pageData) link(doc string, n int) string { return pageURL(d.D.Code, doc, n, d.Query) }

// withParam adds name=value to u's query when value is not empty.
func withParam(u, name, value string) string {
	if value == "" {
		return u
	}
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + url.Values{name: {value}}.Encode()
}

// neighbours sets the previous and next page over all visible documents.
func (d *pageData) neighbours(n int) {
	type ref struct {
		doc string
		n   int
	}
	var all []ref
	cur := -1
	for _, doc := range d.D.Documents {
		for _, pg := range doc.Pages {
			if doc.ID == d.P.DocumentID && pg.Number == n {
				cur = len(all)
			}
			all = append(all, ref{doc.ID, pg.Number})
		}
	}
	if cur > 0 {
		d.PrevPage = d.link(all[cur-1].doc, all[cur-1].n)
	}
	if cur >= 0 && cur+1 < len(all) {
		d.NextPage = d.link(all[cur+1].doc, all[cur+1].n)
	}
}

// hits sets the boxes of this page's hit and the previous and next hit
// pages (in document order), and returns the hit words to mark in the
// text.
func (d *pageData) hits(hits []server.SearchHit, n int) map[domain.Word]bool {
	order := map[string]int{}
	for i, doc := range d.D.Documents {
		order[doc.ID] = i
	}
	slices.SortFunc(hits, func(a, b server.SearchHit) int {
		return cmp.Or(cmp.Compare(order[a.DocumentID], order[b.DocumentID]), cmp.Compare(a.Page, b.Page))
	})
	d.Hits = len(hits)
	var marked map[domain.Word]bool
	for i, hit := range hits {
		if hit.DocumentID != d.P.DocumentID || hit.Page != n {
			continue
		}
		d.HitNumber = i + 1
		if i > 0 {
			d.PrevHit = d.link(hits[i-1].DocumentID, hits[i-1].Page)
		}
		if i+1 < len(hits) {
			d.NextHit = d.link(hits[i+1].DocumentID, hits[i+1].Page)
		}
		w, hgt := cmp.Or(hit.Width, d.P.Width), cmp.Or(hit.Height, d.P.Height)
		marked = map[domain.Word]bool{}
		for _, b := range hit.Boxes {
			d.Boxes = append(d.Boxes, boxView{Text: b.Text, X: pct(b.X0, w), Y: pct(b.Y0, hgt), W: pct(b.X1-b.X0, w), H: pct(b.Y1-b.Y0, hgt)})
			marked[domain.Word{Text: b.Text, X0: b.X0, Y0: b.Y0, X1: b.X1, Y1: b.Y1}] = true
		}
	}
	if d.HitNumber == 0 && len(hits) > 0 {
		// Not a hit page: offer the first hit after it, or the first one.
		d.NextHit = d.link(hits[0].DocumentID, hits[0].Page)
		for _, hit := range hits {
			if order[hit.DocumentID] > order[d.P.DocumentID] || (hit.DocumentID == d.P.DocumentID && hit.Page > n) {
				d.NextHit = d.link(hit.DocumentID, hit.Page)
				break
			}
		}
	}
	return marked
}

// segments splits text into plain runs and the marked words (found by
// their box; a word whose offset does not fit the text is left plain).
func segments(text string, words []domain.Word, marked map[domain.Word]bool) []textSegment {
	var ws []domain.Word
	for _, w := range words {
		if marked[domain.Word{Text: w.Text, X0: w.X0, Y0: w.Y0, X1: w.X1, Y1: w.Y1}] {
			ws = append(ws, w)
		}
	}
	slices.SortFunc(ws, func(a, b domain.Word) int { return cmp.Compare(a.Start, b.Start) })
	var out []textSegment
	pos := 0
	for _, w := range ws {
		end := w.Start + len(w.Text)
		if w.Start < pos || end > len(text) || text[w.Start:end] != w.Text {
			continue
		}
		if w.Start > pos {
			out = append(out, textSegment{Text: text[pos:w.Start]})
		}
		out = append(out, textSegment{Text: w.Text, Mark: true})
		pos = end
	}
	if pos < len(text) {
		out = append(out, textSegment{Text: text[pos:]})
	}
	return out
}
