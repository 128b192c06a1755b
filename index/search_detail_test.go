package index

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"hoso/domain"
)

func simpleDossier(code, name string, class domain.Classification, pages ...string) *domain.Dossier {
	d := &domain.Dossier{Code: code, Version: 1, Subject: domain.Subject{FullName: name}, Classification: class, Unit: "Sở Nội vụ"}
	doc := domain.Document{ID: "d1", Kind: domain.KindCV, Title: "Lý lịch", Date: mustDate("2015-01-01")}
	for i, p := range pages {
		doc.Pages = append(doc.Pages, domain.Page{Number: i + 1, TextKey: fmt.Sprintf("t/%s/%d", code, i+1), Text: ocrOf(p)})
	}
	d.Documents = []domain.Document{doc}
	return d
}

func indexAll(t *testing.T, ix *Index, ds ...*domain.Dossier) {
	t.Helper()
	for _, d := range ds {
		if err := ix.IndexDossier(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
}

func doSearch(t *testing.T, ix *Index, req Request) *Response {
	t.Helper()
	if req.Clearance == "" {
		req.Clearance = domain.TopSecret
	}
	res, err := ix.Search(context.Background(), req)
	if err != nil {
		t.Fatalf("Search(%+v): %v", req, err)
	}
	return res
}

func TestExactRanksAboveFolded(t *testing.T) {
	ix := openTestIndex(t, t.TempDir())
	indexAll(t, ix,
		simpleDossier("A-1", "X", domain.Public, "ông Thanh công tác tại phòng"),
		simpleDossier("A-2", "X", domain.Public, "ông Thành công tác tại phòng"),
		simpleDossier("A-3", "X", domain.Public, "ông Thạnh công tác tại phòng"),
	)
	if got := codes(doSearch(t, ix, Request{Query: "Thành"})); !reflect.DeepEqual(got[:1], []string{"A-2"}) || len(got) != 3 {
		t.Errorf("Thành: %v, want A-2 first of 3", got)
	}
	if got := codes(doSearch(t, ix, Request{Query: "Thạnh"})); got[0] != "A-3" || len(got) != 3 {
		t.Errorf("Thạnh: %v, want A-3 first of 3", got)
	}
	if got := codes(doSearch(t, ix, Request{Query: "thanh"})); len(got) != 3 {
		t.Errorf("thanh: %v, want all 3", got)
	}
	if got := codes(doSearch(t, ix, Request{Query: `"ông Thành"`})); got[0] != "A-2" || len(got) != 3 {
		t.Errorf("phrase: %v, want A-2 first of 3", got)
	}
}

func TestSnippetsAndTermOffsets(t *testing.T) {
	ix, ds := fixtureIndex(t)
	res := doSearch(t, ix, Request{Query: "thanh", Clearance: domain.Public, HitsPerDossier: 10})
	var hit *PageHit
	for _, d := range res.Dossiers {
		for i := range d.Hits {
			if d.Hits[i].ID == "HS-001/d1/p1" {
				hit = &d.Hits[i]
			}
		}
	}
	if hit == nil {
		t.Fatalf("HS-001/d1/p1 not among hits: %+v", res.Dossiers)
	}
	text := ds[0].Documents[0].Pages[0].Text.Text
	if len(hit.Terms) != 1 || text[hit.Terms[0].Start:hit.Terms[0].End] != "Thành" {
		t.Fatalf("terms %+v do not point at Thành in %q", hit.Terms, text)
	}
	if len(hit.Snippets) == 0 || !strings.Contains(hit.Snippets[0], "Nguyễn Văn <mark>Thành</mark>.") {
		t.Errorf("snippets %q", hit.Snippets)
	}
	if hit.Kind != domain.KindCV || hit.Page != 1 || hit.DocumentID != "d1" || hit.Title != "Sơ yếu lý lịch" || hit.Date.String() != "2015-04-01" || hit.TextKey == "" {
		t.Errorf("hit fields %+v", hit)
	}
	// HTML in page text is escaped, marks are not
	res = doSearch(t, ix, Request{Query: "giao", Clearance: domain.Public})
	sn := res.Dossiers[0].Hits[0].Snippets
	if len(sn) != 1 || !strings.Contains(sn[0], "&lt;được <mark>giao</mark>&gt; &amp; khen") {
		t.Errorf("escaped snippet %q", sn)
	}
}

func TestBoxes(t *testing.T) {
	ix, ds := fixtureIndex(t)
	res := doSearch(t, ix, Request{Query: `"Nguyễn Văn Thành" năm`, Clearance: domain.Public, HitsPerDossier: 10})
	for _, d := range res.Dossiers {
		for _, h := range d.Hits {
			if h.ID != "HS-001/d1/p1" {
				continue
			}
			ocr := ds[0].Documents[0].Pages[0].Text
			var words []string
			for _, w := range Boxes(h, ocr) {
				words = append(words, w.Text)
			}
			want := []string{"Nguyễn", "Văn", "Thành.", "Nam", "năm"} // năm also matches Nam
			if !reflect.DeepEqual(words, want) {
				t.Errorf("boxes %q, want %q", words, want)
			}
			return
		}
	}
	t.Fatalf("HS-001/d1/p1 not found in %+v", res.Dossiers)
}

func TestClearanceHidesEverything(t *testing.T) {
	ix, _ := fixtureIndex(t)
	// "tiêu chuẩn" is only on a secret page of a public dossier;
	// "mật" only in a top-secret dossier.
	for _, q := range []string{"tiêu chuẩn", "mật", "kind:verification-report", "code:HS-006"} {
		res := doSearch(t, ix, Request{Query: q, Clearance: domain.Public, Facets: true})
		if res.Total != 0 || res.TotalPages != 0 || len(res.Dossiers) != 0 || res.Fuzzy {
			t.Errorf("%q public: %+v", q, res)
		}
		for name, f := range res.Facets {
			if len(f) != 0 {
				t.Errorf("%q public: facet %s = %v", q, name, f)
			}
		}
	}
	// the secret page is not among HS-001's hits, snippets or counts
	res := doSearch(t, ix, Request{Query: "nguyen van thanh", Clearance: domain.Public, HitsPerDossier: 10, Facets: true})
	for _, d := range res.Dossiers {
		if d.Code == "HS-001" {
			// d1/p1 and d1/p2 (name field + "hoàn thành"), not the secret d2/p1
			if d.MatchedPages != 2 || len(d.Hits) != 2 || d.Hits[0].ID != "HS-001/d1/p1" || d.Hits[1].ID != "HS-001/d1/p2" {
				t.Errorf("HS-001 public hits %+v (matched %d)", d.Hits, d.MatchedPages)
			}
		}
		for _, h := range d.Hits {
			for _, s := range h.Snippets {
				if strings.Contains(s, "tiêu chuẩn") || strings.Contains(s, "mật") {
					t.Errorf("snippet leaks: %q", s)
				}
			}
		}
	}
	if got := res.Facets[FacetKind]; !reflect.DeepEqual(got, []FacetCount{{"cv", 1}, {"letter", 1}}) {
		t.Errorf("kind facet %v", got)
	}
	if got := res.Facets[FacetClassification]; !reflect.DeepEqual(got, []FacetCount{{"public", 2}}) {
		t.Errorf("classification facet %v", got)
	}
}

func TestFacetCountsDossiers(t *testing.T) {
	ix, _ := fixtureIndex(t)
	res := doSearch(t, ix, Request{Query: "", Facets: true})
	if res.Total != 7 || res.TotalPages != 10 {
		t.Fatalf("total %d pages %d", res.Total, res.TotalPages)
	}
	want := map[string][]FacetCount{
		FacetUnit:           {{"Sở Nội vụ", 3}, {"Ban Tuyên giáo", 1}, {"Bệnh viện Đa khoa tỉnh", 1}, {"Trường Đại học Sư phạm", 1}, {"Văn phòng Ủy ban", 1}},
		FacetKind:           {{"cv", 3}, {"letter", 2}, {"decision", 1}, {"other", 1}, {"verification-report", 1}},
		FacetClassification: {{"public", 4}, {"confidential", 1}, {"secret", 1}, {"top-secret", 1}},
		FacetBirthDecade:    {{"1970s", 3}, {"1980s", 2}, {"1960s", 1}, {"1990s", 1}},
		FacetDocYear:        {{"2010", 1}, {"2012", 1}, {"2015", 1}, {"2016", 1}, {"2018", 1}, {"2019", 1}, {"2020", 1}, {"2021", 1}},
	}
	for name, w := range want {
		if got := res.Facets[name]; !reflect.DeepEqual(got, w) {
			t.Errorf("facet %s = %v, want %v", name, got, w)
		}
	}
	// a dossier counts once per value although two of its pages match
	res = doSearch(t, ix, Request{Query: "code:HS-005", Facets: true})
	if got := res.Facets[FacetKind]; !reflect.DeepEqual(got, []FacetCount{{"letter", 1}}) || res.TotalPages != 2 {
		t.Errorf("HS-005 kind facet %v, pages %d", got, res.TotalPages)
	}
}

// TestGroupingManyPages has dossiers with many matching pages each, so the
// first window holds few dossiers and the fill query is needed.
func TestGroupingManyPages(t *testing.T) {
	ix := openTestIndex(t, t.TempDir())
	const nd, np = 30, 40
	w := ix.NewIndexer()
	for i := range nd {
		var pages []string
		for j := range np {
			// word repeated more on earlier pages and in later dossiers
			pages = append(pages, "hồ sơ "+strings.Repeat("lý lịch ", 1+(j+i)%7)+fmt.Sprintf("trang %d", j))
		}
		if err := w.Add(context.Background(), simpleDossier(fmt.Sprintf("G-%02d", i), "X", domain.Public, pages...)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var last float64 = 1e9
	for off := 0; off < nd; off += 7 {
		res := doSearch(t, ix, Request{Query: "lịch", Offset: off, Limit: 7})
		if res.Total != nd || res.TotalPages != nd*np {
			t.Fatalf("total %d pages %d", res.Total, res.TotalPages)
		}
		for _, d := range res.Dossiers {
			if seen[d.Code] {
				t.Errorf("dossier %s on two pages", d.Code)
			}
			seen[d.Code] = true
			if d.Score > last+1e-9 {
				t.Errorf("dossier %s score %v after %v", d.Code, d.Score, last)
			}
			last = d.Score
			if len(d.Hits) != 3 || d.MatchedPages != np {
				t.Errorf("%s: %d hits, %d matched", d.Code, len(d.Hits), d.MatchedPages)
			}
			if d.Hits[0].Score != d.Score {
				t.Errorf("%s: best hit %v, dossier %v", d.Code, d.Hits[0].Score, d.Score)
			}
			for i := 1; i < len(d.Hits); i++ {
				if d.Hits[i].Score > d.Hits[i-1].Score {
					t.Errorf("%s: hits not best first: %v", d.Code, d.Hits)
				}
			}
		}
	}
	if len(seen) != nd {
		t.Errorf("paging saw %d dossiers, want %d", len(seen), nd)
	}
	res := doSearch(t, ix, Request{Query: "lịch", Sort: SortCode, Offset: 25, Limit: 10, HitsPerDossier: 5})
	if got := codes(res); !reflect.DeepEqual(got, []string{"G-25", "G-26", "G-27", "G-28", "G-29"}) {
		t.Errorf("code sort page: %v", got)
	}
	for _, d := range res.Dossiers {
		if len(d.Hits) != 5 {
			t.Errorf("%s: %d hits", d.Code, len(d.Hits))
		}
	}
}

func TestIndexDossierReplacesPages(t *testing.T) {
	ix := openTestIndex(t, t.TempDir())
	ctx := context.Background()
	d := simpleDossier("R-1", "X", domain.Public, "trang một", "trang hai", "trang ba")
	d.Documents = append(d.Documents, domain.Document{ID: "d2", Kind: domain.KindLetter, Pages: []domain.Page{{Number: 1, Text: ocrOf("thư cũ")}}})
	indexAll(t, ix, d)
	if n, _ := ix.DocCount(); n != 4 {
		t.Fatalf("doc count %d", n)
	}
	d2 := simpleDossier("R-1", "X", domain.Public, "trang một mới")
	d2.Version = 2
	indexAll(t, ix, d2)
	if n, _ := ix.DocCount(); n != 1 {
		t.Errorf("after replace: doc count %d, want 1", n)
	}
	if v, _ := ix.IndexedVersion("R-1"); v != 2 {
		t.Errorf("indexed version %d", v)
	}
	for q, want := range map[string]int{"hai": 0, "thư": 0, "mới": 1} {
		if res := doSearch(t, ix, Request{Query: q}); res.TotalPages != want {
			t.Errorf("%q: %d pages, want %d", q, res.TotalPages, want)
		}
	}
	// two versions of one dossier in one unflushed batch
	w := ix.NewIndexer()
	d3 := simpleDossier("R-1", "X", domain.Public, "a", "b")
	d3.Version = 3
	d4 := simpleDossier("R-1", "X", domain.Public, "c")
	d4.Version = 4
	if err := w.Add(ctx, d3); err != nil {
		t.Fatal(err)
	}
	if err := w.Add(ctx, d4); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := ix.DocCount(); n != 1 {
		t.Errorf("after two versions in a batch: %d docs, want 1", n)
	}
	if err := ix.DeleteDossier(ctx, "R-1"); err != nil {
		t.Fatal(err)
	}
	if n, _ := ix.DocCount(); n != 0 {
		t.Errorf("after delete: %d docs", n)
	}
}
