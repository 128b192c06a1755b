package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"hoso/domain"
	"hoso/index"
	"hoso/server"
)

// resultsPerPage is how many dossiers a result page shows.
const resultsPerPage = 20

// sorts are the orders the search page offers (index.Sort*).
var sorts = []string{index.SortRelevance, index.SortDateDesc, index.SortDate, index.SortCode}

type searchData struct {
	Query  string
	Sort   string
	Sorts  []string
	Error  string // the query does not parse
	Result *server.SearchResult
	// Dossiers are Result's dossiers with what the page adds.
	Dossiers   []resultDossier
	Facets     []facetGroup
	Active     []filterLink
	Pages      []pageLink
	Prev, Next string
	First      int // number of the first dossier shown
	Last       int
}

type resultDossier struct {
	server.SearchDossier
	BirthDate domain.Date
	Hometown  string
	PersonURL string
	Hits      []resultHit
}

type resultHit struct {
	server.SearchHit
	URL string // the page view with the hit marked
}

type facetGroup struct {
	Name   string // the facet's key (index.Facet*)
	Values []facetValue
}

type facetValue struct {
	Label  string
	Count  int
	URL    string // adds (or, when Active, removes) the filter; "" when the facet cannot filter
	Active bool
}

type filterLink struct {
	Label string
	URL   string // the search without this filter
}

type pageLink struct {
	Number  int
	URL     string
	Current bool
}

func (h *Handler) search(rq *request) error {
	q := rq.r.URL.Query()
	d := &searchData{Query: strings.TrimSpace(q.Get("q")), Sort: q.Get("sort"), Sorts: sorts}
	if d.Sort == "" {
		d.Sort = index.SortRelevance
	}
	offset, _ := strconv.Atoi(q.Get("offset"))
	offset = max(0, offset)
	title := rq.lang.T("search.title")
	if d.Query == "" {
		return rq.render(http.StatusOK, "search", title, "search", d)
	}
	res, err := h.app.Search(rq.r.Context(), rq.who, server.SearchRequest{Query: d.Query, Sort: d.Sort, Offset: offset,
		Limit: resultsPerPage, Facets: true, HitsPerDossier: 5})
	if errors.Is(err, server.ErrBadQuery) || errors.Is(err, server.ErrInvalid) {
		_, _, msg := server.HTTPError(err)
		d.Error = rq.lang.T("search.bad_query") + " " + msg
		return rq.render(http.StatusBadRequest, "search", title, "search", d)
	}
	if err != nil {
		return err
	}
	subjects, err := h.app.Subjects(rq.r.Context(), rq.who, res)
	if err != nil {
		return err
	}
	d.Result = res
	for _, sd := range res.Dossiers {
		rd := resultDossier{SearchDossier: sd}
		if s, ok := subjects[sd.Code]; ok {
			rd.BirthDate, rd.Hometown = s.BirthDate, s.Hometown
			rd.PersonURL = personURL(sd.Subject, s.BirthDate)
		}
		for _, hit := range sd.Hits {
			rd.Hits = append(rd.Hits, resultHit{SearchHit: hit, URL: pageURL(sd.Code, hit.DocumentID, hit.Page, d.Query)})
		}
		d.Dossiers = append(d.Dossiers, rd)
	}
	d.facets(rq.lang, res)
	d.paging(res)
	return rq.render(http.StatusOK, "search", d.Query+" · "+title, "search", d)
}

// searchURL is the search page for query q in order sort from offset.
func searchURL(q, sort string, offset int) string {
	v := url.Values{"q": {q}}
	if sort != "" && sort != index.SortRelevance {
		v.Set("sort", sort)
	}
	if offset > 0 {
		v.Set("offset", strconv.Itoa(offset))
	}
	return "/search?" + v.Encode()
}

// pageURL is the page view of a page, marking the hits of query q.
func pageURL(code, doc string, n int, q string) string {
	u := "/dossiers/" + url.PathEscape(code) + "/" + url.PathEscape(doc) + "/" + strconv.Itoa(n)
	if q != "" {
		u += "?" + url.Values{"q": {q}}.Encode()
	}
	return u
}

// personURL is the person view of a subject.
func personURL(name string, born domain.Date) string {
	v := url.Values{"name": {name}}
	if !born.IsZero() {
		v.Set("born", born.String())
	}
	return "/person?" + v.Encode()
}

// facetClause is the query clause that filters on a facet value, or ""
// when the query language has no filter for it.
func facetClause(facet, value string) string {
	value = strings.ReplaceAll(value, `"`, "")
	switch facet {
	case index.FacetUnit:
		return `unit:"` + value + `"`
	case index.FacetKind:
		return "kind:" + value
	case index.FacetClassification:
		if !domain.Classification(value).Valid() {
			return ""
		}
		return "class:" + value
	case index.FacetBirthDecade:
		y, err := strconv.Atoi(strings.TrimSuffix(value, "s"))
		if err != nil {
			return ""
		}
		return "born:" + strconv.Itoa(y) + ".." + strconv.Itoa(y+9)
	case index.FacetDocYear:
		return "year:" + value
	}
	return ""
}

// facetLabel names a facet value in the interface language.
func facetLabel(l *Lang, facet, value string) string {
	switch facet {
	case index.FacetKind:
		return l.Kind(domain.DocumentKind(value))
	case index.FacetClassification:
		return l.Class(domain.Classification(value))
	case index.FacetBirthDecade:
		return l.T("facet.decade", strings.TrimSuffix(value, "s"))
	}
	return value
}

// hasClause reports whether q holds clause as a whole clause.
func hasClause(q, clause string) bool {
	return strings.Contains(" "+q+" ", " "+clause+" ")
}

// withoutClause returns q without clause.
func withoutClause(q, clause string) string {
	s := strings.Replace(" "+q+" ", " "+clause+" ", " ", 1)
	return strings.Join(strings.Fields(s), " ")
}

var facetOrder = []string{index.FacetUnit, index.FacetKind, index.FacetClassification, index.FacetBirthDecade, index.FacetDocYear}

// maxFacetValues is how many values of a facet are shown.
const maxFacetValues = 12

func (d *searchData) facets(l *Lang, res *server.SearchResult) {
	for _, name := range facetOrder {
		g := facetGroup{Name: name}
		for i, fc := range res.Facets[name] {
			if i >= maxFacetValues {
				break
			}
			v := facetValue{Label: facetLabel(l, name, fc.Value), Count: fc.Count}
			if c := facetClause(name, fc.Value); c != "" {
				if hasClause(d.Query, c) {
					v.Active = true
					v.URL = searchURL(withoutClause(d.Query, c), d.Sort, 0)
					d.Active = append(d.Active, filterLink{Label: v.Label, URL: v.URL})
				} else {
					v.URL = searchURL(d.Query+" "+c, d.Sort, 0)
				}
			}
			g.Values = append(g.Values, v)
		}
		if len(g.Values) > 0 {
			d.Facets = append(d.Facets, g)
		}
	}
}

func (d *searchData) paging(res *server.SearchResult) {
	if res.Total == 0 {
		return
	}
	d.First, d.Last = res.Offset+1, res.Offset+len(res.Dossiers)
	if res.Offset > 0 {
		d.Prev = searchURL(d.Query, d.Sort, max(0, res.Offset-resultsPerPage))
	}
	if res.Offset+resultsPerPage < res.Total {
		d.Next = searchURL(d.Query, d.Sort, res.Offset+resultsPerPage)
	}
	pages := (res.Total + resultsPerPage - 1) / resultsPerPage
	if pages <= 1 {
		return
	}
	cur := res.Offset / resultsPerPage
	lo, hi := max(0, cur-3), min(pages-1, cur+3)
	for p := lo; p <= hi; p++ {
		d.Pages = append(d.Pages, pageLink{Number: p + 1, URL: searchURL(d.Query, d.Sort, p*resultsPerPage), Current: p == cur})
	}
}
