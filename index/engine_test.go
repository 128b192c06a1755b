package index

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"hoso/domain"
	"hoso/index/qparse"
	"hoso/internal/corpus"
)

// refQuery is the bleve query the search compiled to before the engine.
func refQuery(t *testing.T, ix *Index, q string, clearance domain.Classification, autoFuzzy bool) query.Query {
	t.Helper()
	pq, err := qparse.Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	rc := &refCompiler{&compiler{an: ix.text, autoFuzzy: autoFuzzy}}
	c, err := rc.compile(pq)
	if err != nil {
		t.Fatal(err)
	}
	var levels []query.Query
	for l := 0; l <= clearance.Level(); l++ {
		tq := query.NewTermQuery(strconv.Itoa(l))
		tq.SetField(fLevel)
		tq.SetBoost(0)
		levels = append(levels, tq)
	}
	must := append([]query.Query{query.NewDisjunctionQuery(levels)}, c.must...)
	if len(c.must) == 0 {
		must = append(must, query.NewMatchAllQuery())
	}
	return query.NewBooleanQuery(must, c.should, c.mustNot)
}

// refPages returns the ids of the pages bleve matches for q.
func refPages(t *testing.T, ix *Index, q string, clearance domain.Classification, autoFuzzy bool) []string {
	t.Helper()
	req := bleve.NewSearchRequestOptions(refQuery(t, ix, q, clearance, autoFuzzy), 1<<20, 0, false)
	req.Score = "none"
	res, err := ix.bi.Search(req)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, h := range res.Hits {
		out = append(out, h.ID)
	}
	sort.Strings(out)
	return out
}

// enginePages returns the ids of the pages the engine matches for q.
func enginePages(t *testing.T, ix *Index, q string, clearance domain.Classification, autoFuzzy bool) []string {
	t.Helper()
	pq, err := qparse.Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	p, err := (&compiler{an: ix.text, autoFuzzy: autoFuzzy}).compile(pq, clearance)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := cachesFor(ix, ix.bi).openSnapshot(ix.bi)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	results, err := snap.run(context.Background(), p, Request{Sort: SortCode})
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, r := range results {
		for _, d := range r.docs {
			id, err := r.sv.seg.DocID(uint64(d))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(id))
		}
	}
	sort.Strings(out)
	return out
}

// engineQueries cover every kind of clause.
var engineQueries = []string{
	"", "nguyen", "Nguyễn", "NGUYỄN VĂN", "nguyen van thanh", "Nguyễn Văn Thành", `"Nguyễn Văn Thành"`, `"nguyen van"`,
	`"van thanh"`, "thanh", "Thành", "Thạnh", "text:Thành", "name:thanh", `name:"Trần Thị"`, "title:quyết", "hometown:nghệ",
	`unit:"Sở Nội vụ"`, "nguy*", "Nguy*", "thanh~", "thanh~2", "nguyen~ thanh~", `"nguyen van"~`, "-thanh", "nguyen -van",
	`nguyen -"van thanh"`, "code:HS-001", "code:hs-00*", "kind:cv", "kind:dec", "flag:low-confidence", "born:1970..1979",
	"born:>1980", "born:<=1975-06", "date:>2015", "date:2010..2015", "year:2019", "thanh date:<2016 -kind:letter",
	`"hoàn thành"`, `"cộng hòa xã hội"`, "lý lịch", `"tiêu chuẩn"`, "mật", "đặng", "Đặng", "dang duc dung", `"Kính gửi"`,
	"nguyễn văn khoi", `"nguyen van khoi"`, "nguyen thanh -code:HS-001", "HS-001", "1975", "05", "thành phố",
	"class:public", "class:secret", "class:top-secret", "thanh -class:public", "classification:confidential kind:cv",
}

func checkEngineAgainstBleve(t *testing.T, ix *Index, queries []string) {
	t.Helper()
	for _, q := range queries {
		for _, cl := range []domain.Classification{domain.Public, domain.Secret, domain.TopSecret} {
			for _, fz := range []bool{false, true} {
				if fz && hasPhrase(t, ix, q) {
					continue // the retry of a phrase differs from before: see TestPhraseRetry
				}
				want := refPages(t, ix, q, cl, fz)
				got := enginePages(t, ix, q, cl, fz)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%q %s fuzzy=%v: engine matches %d pages, bleve %d\n engine %v\n bleve  %v", q, cl, fz, len(got), len(want), head(got), head(want))
				}
			}
		}
	}
}

func head(s []string) []string { return s[:min(len(s), 8)] }

// TestEngineMatchesBleve compares the pages the engine matches with those
// bleve matches for the query the search compiled to before the engine.
func TestEngineMatchesBleve(t *testing.T) {
	ix, _ := fixtureIndex(t)
	checkEngineAgainstBleve(t, ix, engineQueries)
}

// TestEngineMatchesBleveCorpus does the same on a generated corpus, over
// several segments and with deleted pages.
func TestEngineMatchesBleveCorpus(t *testing.T) {
	ix := openTestIndex(t, t.TempDir())
	ctx := context.Background()
	names := indexCorpus(t, ix, 60, 17)
	// replace a few dossiers: their old pages are deleted in older segments
	for _, i := range []int{3, 20, 41} {
		d := corpus.Dossier(i)
		d.Version = 2
		d.Documents = d.Documents[:1]
		if err := ix.IndexDossier(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	qs := append([]string{}, engineQueries...)
	for _, n := range names[:8] {
		// a fuzzy phrase: its positions' alternatives mix name syllables
		// (pair words) with OCR-noise words, both sides of the pair
		// pre-filter (phrasePairs)
		qs = append(qs, n, strconv.Quote(n), FoldString(n), fmt.Sprintf("%q kind:cv", n), strconv.Quote(n)+"~", strconv.Quote(FoldString(n))+"~2")
	}
	qs = append(qs, `"tiêu chuẩn chính trị"`, `"hoàn thành tốt nhiệm vụ"`, "kết luận", `"Sở Nội vụ"`, "nguyen van~", "chinh tri -dang")
	checkEngineAgainstBleve(t, ix, qs)
}

// TestPhraseTwoPassIsExact compares phrase searches checking positions in
// two passes (single words first, then the positions with many
// alternatives on the pages left) with one pass over all positions:
// phrase retries mixing exact and fuzzy positions, fuzzy phrases, exact
// phrases, on a corpus of several segments.
func TestPhraseTwoPassIsExact(t *testing.T) {
	ix, qs := phraseTestIndex(t)
	defer func() { phraseTwoPass = true }()
	covered0 := pairCovered.Load()
	retried := 0
	for _, got := range searchBothWays(t, ix, qs, "two passes", "one pass", func(on bool) { phraseTwoPass = on }) {
		if got.Fuzzy && got.Total > 0 {
			retried++
		}
	}
	if retried < 5 {
		t.Errorf("only %d queries found something through the fuzzy retry: the mixed positions are hardly tested", retried)
	}
	if pairCovered.Load() == covered0 {
		t.Error("no phrase was checked in one pass because a pair term covers its first pass: that path is not tested")
	}
}

// TestPhraseAltPairsIsExact compares phrase searches reading a fuzzy
// word's alternatives on the pages of their pairs only (phraseAltPairs)
// with searches reading them on every candidate: same dossiers, pages,
// scores and hits.
func TestPhraseAltPairsIsExact(t *testing.T) {
	ix, qs := phraseTestIndex(t)
	defer func() { useAltPairs = true }()
	skipped0, filled0 := altPairSkipped.Load(), altPairFilled.Load()
	searchBothWays(t, ix, qs, "with the pairs of alternatives", "without", func(on bool) { useAltPairs = on })
	if altPairSkipped.Load() == skipped0 {
		t.Error("no alternative was left unread on a page for lack of its pairs: the filter is not tested")
	}
	if altPairFilled.Load() == filled0 {
		t.Error("no matching page had the frequency of an alternative read apart (readTF): scoring with the filter is not tested")
	}
}

// TestPhraseImpliedUnionsIsExact compares phrase searches that leave out
// the union of a fuzzy word's alternatives where a pair group implies it
// (impliedByPairs) with searches that make it: the same candidate pages
// (the union was implied, not just a filter the position check makes up
// for), and the same dossiers, pages, scores and hits.
func TestPhraseImpliedUnionsIsExact(t *testing.T) {
	ix, qs := phraseTestIndex(t)
	defer func() { useImplied = true }()
	implied0 := unionsImplied.Load()
	searchBothWays(t, ix, qs, "with implied unions left out", "without", func(on bool) { useImplied = on })
	cand := candidatesBothWays(t, ix, qs, func(on bool) { useImplied = on })
	if cand[0] != cand[1] || cand[0] == 0 {
		t.Errorf("phrases checked %d candidate pages with the unions, %d without", cand[0], cand[1])
	}
	if unionsImplied.Load() == implied0 {
		t.Error("no union of alternatives was left out: the shortcut is not tested")
	}
}

// TestPhraseLateUnionsIsExact compares phrase searches that narrow the
// candidates by the unions (a fuzzy word's alternatives, pair groups with
// single words) last, each bitmap cut to the candidates first (narrowTo),
// with searches that make the unions and intersect them with the other
// parts: the same candidate pages, and the same dossiers, pages, scores
// and hits.
func TestPhraseLateUnionsIsExact(t *testing.T) {
	ix, qs := phraseTestIndex(t)
	defer func() { useLateUnions = true }()
	groups0, narrowed0 := lateGroups.Load(), unionsNarrowed.Load()
	searchBothWays(t, ix, qs, "with the unions last", "among the parts", func(on bool) { useLateUnions = on })
	cand := candidatesBothWays(t, ix, qs, func(on bool) { useLateUnions = on })
	if cand[0] != cand[1] || cand[0] == 0 {
		t.Errorf("phrases checked %d candidate pages with the unions among the parts, %d with them last", cand[0], cand[1])
	}
	if lateGroups.Load() == groups0 {
		t.Error("no pair group with single words was applied last: that path is not tested")
	}
	if unionsNarrowed.Load()-narrowed0 <= lateGroups.Load()-groups0 {
		t.Error("no union of a position's alternatives was applied last: that path is not tested")
	}
}

// candidatesBothWays returns the candidate pages the phrases of qs had
// their positions checked on, with set(false) and then with set(true).
func candidatesBothWays(t *testing.T, ix *Index, qs []string, set func(bool)) [2]int64 {
	t.Helper()
	var cand [2]int64
	for k, on := range []bool{false, true} {
		set(on)
		c0 := phraseCandidates.Load()
		for _, q := range qs {
			doSearch(t, ix, Request{Query: q, Clearance: domain.Secret})
		}
		cand[k] = phraseCandidates.Load() - c0
	}
	return cand
}

// searchBothWays runs each query with set(false) and then set(true),
// reports every response that differs (on, off: what each way is called)
// and returns the responses with set(true).
func searchBothWays(t *testing.T, ix *Index, qs []string, on, off string, set func(bool)) []*Response {
	t.Helper()
	var out []*Response
	for _, q := range qs {
		set(false)
		want := doSearch(t, ix, Request{Query: q, Clearance: domain.Secret, HitsPerDossier: 3})
		set(true)
		got := doSearch(t, ix, Request{Query: q, Clearance: domain.Secret, HitsPerDossier: 3})
		want.Took, got.Took = 0, 0
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %s %d dossiers %d pages, %s %d dossiers %d pages", q, on, got.Total, got.TotalPages, off, want.Total, want.TotalPages)
		}
		out = append(out, got)
	}
	return out
}

// phraseTestIndex indexes 60 generated dossiers in three segments and
// returns phrase queries on their subjects' names: exact, someone else's
// given name (a fuzzy retry), another family name, a whole phrase fuzzy,
// a misspelled given name; and common phrases of the page text.
func phraseTestIndex(t *testing.T) (*Index, []string) {
	ix := openTestIndex(t, t.TempDir())
	ctx := context.Background()
	w := ix.NewIndexer()
	var people []corpus.Person
	for i := range 60 {
		people = append(people, corpus.Subject(i).Person)
		if err := w.Add(ctx, corpus.Dossier(i)); err != nil {
			t.Fatal(err)
		}
		if i%20 == 0 {
			if err := w.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var qs []string
	for i, p := range people[:15] {
		other := people[(i+7)%len(people)]
		qs = append(qs,
			strconv.Quote(p.Name()),
			strconv.Quote(p.Family+" "+p.Middle+" "+other.Given), // someone else's given name: a retry
			strconv.Quote(other.Family+" "+p.Middle+" "+p.Given),
			strconv.Quote(FoldString(p.Name()))+"~",
			strconv.Quote(p.Family+" "+p.Middle+" "+p.Given[:len(p.Given)-1]+"x"),
		)
	}
	qs = append(qs, `"tiêu chuẩn chính trị"`, `"hoàn thành tốt nhiệm vụ"`, `"Sở Nội vụ"`, `"nguyen van"~`)
	return ix, qs
}

// TestPruningIsExact compares searches with the bounds-based pruning of
// scoring (score.go) forced on every segment with searches that score
// every page: same dossiers, order, totals, scores and hits.
func TestPruningIsExact(t *testing.T) {
	ix := openTestIndex(t, t.TempDir())
	ctx := context.Background()
	names := indexCorpus(t, ix, 80, 0)
	qs := []string{"nguyen", "nguyen van", "Nguyễn Thị", "thanh", "tiêu chuẩn chính trị", `"tiêu chuẩn chính trị" nguyen`, "hoàn thành -nguyen"}
	for _, n := range names[:12] {
		qs = append(qs, n, FoldString(n), strconv.Quote(n))
	}
	search := func(q string, cl domain.Classification, off, lim int) *Response {
		res, err := ix.Search(ctx, Request{Query: q, Clearance: cl, Offset: off, Limit: lim, HitsPerDossier: 4})
		if err != nil {
			t.Fatal(err)
		}
		res.Took = 0
		return res
	}
	defer func(share, minSeg uint64) { weakShare, weakMinSegment = share, minSeg }(weakShare, weakMinSegment)
	for _, q := range qs {
		for _, cl := range []domain.Classification{domain.Public, domain.Secret} {
			for _, page := range [][2]int{{0, 5}, {0, 20}, {7, 3}, {0, 2}, {1, 1}} {
				weakShare, weakMinSegment = 16, 1<<62
				want := search(q, cl, page[0], page[1])
				weakShare, weakMinSegment = 3, 0
				got := search(q, cl, page[0], page[1])
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%q %s %v: pruned search differs\n got  %+v\n want %+v", q, cl, page, got, want)
				}
			}
		}
	}
}

// hasPhrase reports whether q has a clause of several words.
func hasPhrase(t *testing.T, ix *Index, q string) bool {
	pq, err := qparse.Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	c := &compiler{an: ix.text}
	for _, cl := range pq.Clauses {
		if cl.Phrase || len(c.positions(cl.Text)) > 1 {
			return true
		}
	}
	return false
}

// TestPhraseRetry: the automatic fuzzy retry of a phrase finds a name with
// one misspelled word, and makes fuzzy only the words the index lacks, in
// phrases and in words, by 1 letter first.
func TestPhraseRetry(t *testing.T) {
	ix := openTestIndex(t, t.TempDir())
	indexAll(t, ix,
		simpleDossier("R-1", "X", domain.Public, "Họ và tên: Nguyễn Văn Thành, sinh năm 1970"),
		simpleDossier("R-2", "X", domain.Public, "Người khai: Trần Văn Thạch, tháng 5"),
		simpleDossier("R-3", "X", domain.Public, "Người làm chứng: Lê Văn Trường; ông Nhượng, bà Khuê"),
		simpleDossier("R-4", "X", domain.Public, "Họ tên: Vũ Thị Huyền"),
		simpleDossier("R-5", "X", domain.Public, "Họ tên: Vũ Thị Nguyễn"),
	)
	for q, want := range map[string][]string{
		`"Nguyễn Văn Thàng"`: {"R-1"}, // one word off: found
		`"Nguyễn Văm Thành"`: {"R-1"}, // "văm" occurs nowhere: only it is fuzzy
		`"Trần Văn Thách"`:   {"R-2"}, // thách ~ thạch
		`"Nguyễn Văm Thàng"`: {},      // vam is missing, thang is not: only vam is fuzzy
		`"Văn Thành"`:        {"R-1"}, // exact
		`"năm 1970"`:         {"R-1"}, // exact
		`"Trần Văn"`:         {"R-2"}, // exact
		`"Nguyen Van Thach"`: {"R-1"}, // thach~ matches thanh; nguyen~ is far from tran
		`"Lê Văn Nhượng"`:    {},      // every word occurs: one letter only, and truong is two off nhuong
		`"Lê Văn Khượng"`:    {"R-3"}, // khuong occurs nowhere: two letters (truong)
		// words: when some occur nowhere, only they are fuzzy
		`Nguyễn Vam Thành`: {"R-1"}, // vam~ finds van
		`Nguyễn Vam Thàng`: {},      // thang (tháng) occurs: not fuzzy
		`nguyen van thanx`: {"R-1"}, // thanx~1: thanh, not thach
		`tran van thacx`:   {"R-2"},
		`Nguyễn Văn Thàng`: {"R-1"}, // every word occurs: all fuzzy
		// the nearest spellings first: 1 letter off, 2 only when 1 finds nothing
		`vu thi khuyen`:   {"R-4"}, // huyen (1 off), not nguyen (2 off)
		`vu thi khuyan`:   {"R-4"}, // nothing 1 off: huyen (2 off)
		`"Vũ Thị Khuyên"`: {"R-4"},
	} {
		res := doSearch(t, ix, Request{Query: q})
		got := codes(res)
		sort.Strings(got)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v (fuzzy %v), want %v", q, got, res.Fuzzy, want)
		}
	}
}

// TestRepresentativesScoreAlike compares searches scoring the dossier's
// and document's fields from their representative pages with searches
// reading every page's postings.
func TestRepresentativesScoreAlike(t *testing.T) {
	ix := openTestIndex(t, t.TempDir())
	names := indexCorpus(t, ix, 50, 13)
	// dossiers committed again, changed: their former pages are deleted
	// pages of the segments (representatives included)
	w := ix.NewIndexer()
	for i := 3; i < 50; i += 7 {
		d := corpus.Dossier(i)
		d.Version++
		d.Subject.FullName = names[(i+1)%len(names)]
		d.Documents = d.Documents[1:]
		names[i] = d.Subject.FullName
		if err := w.Add(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	qs := []string{"nguyen", "Nguyễn Thị", `name:"Nguyễn Văn"`, "title:kết", `unit:"Sở Nội vụ"`, "hometown:nghệ", "quyết định nguyen",
		// phrases on the dossier's and document's fields are checked on
		// representative pages (phraseOnReps)
		`title:"tiêu chuẩn chính trị"`, `"quyết định bổ nhiệm"`, `hometown:"Thành phố Hồ Chí Minh"`, `hometown:"ha noi"`,
		`"Sở Nội vụ" -"nguyen van"`, `"lý lịch nguyen"~`, `name:"van nguyen"`}
	for _, n := range names[:10] {
		qs = append(qs, n, FoldString(n), strconv.Quote(n))
	}
	defer func(share int) { useReps, repSparseShare, denseLeaves = true, share, true }(repSparseShare)
	for _, q := range qs {
		useReps = false
		want := doSearch(t, ix, Request{Query: q, HitsPerDossier: 5})
		want.Took = 0
		// the representatives' values kept as arrays (their scores on the
		// pages as arrays too, or as sparse lists), then as sparse lists
		for _, tc := range []struct {
			share int
			dense bool
		}{{0, true}, {0, false}, {1 << 20, true}} {
			useReps, repSparseShare, denseLeaves = true, tc.share, tc.dense
			dropCaches(ix)
			got := doSearch(t, ix, Request{Query: q, HitsPerDossier: 5})
			got.Took = 0
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%q: with representatives (sparse share %d, dense leaves %v) %+v\nwithout %+v", q, tc.share, tc.dense, got, want)
			}
		}
		got := want
		if strings.Contains(q, `"`) && !strings.Contains(q, "van nguyen") && got.Total == 0 {
			t.Errorf("%q finds nothing: the phrase is not tested", q)
		}
	}
}

// TestSortedDossiersAreScoredExactly: by code or date, the shown dossiers
// carry the same score and hits as in relevance order (they are scored
// only once selected), and date order holds.
func TestSortedDossiersAreScoredExactly(t *testing.T) {
	ix := openTestIndex(t, t.TempDir())
	indexCorpus(t, ix, 40, 0)
	for _, q := range []string{"nguyen", "tiêu chuẩn", `"Nguyễn Văn"`, "kind:cv"} {
		rel := doSearch(t, ix, Request{Query: q, Limit: 1000, HitsPerDossier: 3})
		byCode := map[string]DossierHit{}
		for _, d := range rel.Dossiers {
			byCode[d.Code] = d
		}
		for _, sort := range []string{SortCode, SortDate, SortDateDesc} {
			for _, page := range [][2]int{{0, 5}, {3, 4}, {0, 1000}} {
				res := doSearch(t, ix, Request{Query: q, Sort: sort, Offset: page[0], Limit: page[1], HitsPerDossier: 3})
				if res.Total != rel.Total || res.TotalPages != rel.TotalPages {
					t.Errorf("%q %s: totals %d/%d, want %d/%d", q, sort, res.Total, res.TotalPages, rel.Total, rel.TotalPages)
				}
				for _, d := range res.Dossiers {
					if want := byCode[d.Code]; !reflect.DeepEqual(d, want) {
						t.Errorf("%q %s: %s = %+v, want %+v", q, sort, d.Code, d, want)
					}
				}
			}
		}
	}
}

// TestRetryCapped: the retry's first round (words 1 letter off) reports a
// cap only when it lowered the fuzziness of a word it makes fuzzy, so a
// second round runs only when it could find more.
func TestRetryCapped(t *testing.T) {
	ix := openTestIndex(t, t.TempDir())
	absent := map[string]bool{"vam": true, "khuyen": true, "thanx": true}
	for q, want := range map[string]bool{
		`Nguyễn Vam Thành`:   false, // only vam (3 letters, 1) is fuzzy; nguyen is not
		`"Nguyễn Vam Thành"`: false, // the same in a phrase
		`nguyen van khuyen`:  true,  // khuyen (6 letters) would be 2
		`"vo thanh khuyen"`:  true,
		`nguyen van thanx`:   false, // 5 letters: 1 anyway
		`"Nguyễn Văn Thành"`: false, // every word occurs: one at a time, 1 letter
		`nguyen van thanh`:   true,  // every word occurs: all fuzzy, nguyen and thanh capped
		`nguyen~2 vam`:       false, // an explicit ~2 is the searcher's
	} {
		pq, err := qparse.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		c := &compiler{an: ix.text, autoFuzzy: true, missing: func(s string) bool { return absent[s] }, maxEdits: 1}
		if _, err := c.compile(pq, domain.Public); err != nil {
			t.Fatal(err)
		}
		if c.capped != want {
			t.Errorf("%s: capped %v, want %v", q, c.capped, want)
		}
	}
}

// TestBoundsShortcutsAreExact compares the score bounds of every segment
// computed with the shortcuts (a weak term's constant upper bound added
// without a pass over its term, term scores kept as arrays) and without,
// bit for bit: the shortcuts change how the work is done, never a bound.
func TestBoundsShortcutsAreExact(t *testing.T) {
	defer func(minSeg uint64) { weakMinSegment, useConst, denseLeaves, boundsHook = minSeg, true, true, nil }(weakMinSegment)
	weakMinSegment = 64 // (small segments have weak terms too)
	stopMerging(t)
	ix := openTestIndex(t, t.TempDir())
	names := indexCorpus(t, ix, 80, 20)
	qs := []string{"nguyen", "Nguyễn Thị", "quyết định nguyen", "tiêu chuẩn chính trị", `"Nguyễn Văn" nguyen`}
	for _, n := range names[:8] {
		qs = append(qs, n, FoldString(n), strconv.Quote(n)+" "+FoldString(n))
	}
	type key struct {
		q    string
		base uint64
	}
	var mu sync.Mutex
	var got map[key][4][]float32
	var cur string // the query searched
	boundsHook = func(e *segEval) {
		mu.Lock()
		defer mu.Unlock()
		got[key{cur, e.sv.base}] = [4][]float32{slices.Clone(e.lb), slices.Clone(e.ub), slices.Clone(e.dl), slices.Clone(e.du)}
	}
	collect := func(cons, dense bool) map[key][4][]float32 {
		useConst, denseLeaves = cons, dense
		got = map[key][4][]float32{}
		for _, q := range qs {
			dropCaches(ix)
			cur = q
			doSearch(t, ix, Request{Query: q, HitsPerDossier: 3})
		}
		return got
	}
	want := collect(false, false)
	if len(want) == 0 {
		t.Fatal("no segment had its bounds computed")
	}
	const0, dense0 := constApplied.Load(), denseLeafCount.Load()
	for _, tc := range [][2]bool{{true, true}, {true, false}, {false, true}} {
		b := collect(tc[0], tc[1])
		if len(b) != len(want) {
			t.Errorf("shortcuts %v: bounds of %d segments, want %d", tc, len(b), len(want))
		}
		for k, w := range want {
			for j, name := range []string{"lb", "ub", "dl", "du"} {
				if !slices.EqualFunc(b[k][j], w[j], func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) }) {
					t.Errorf("shortcuts %v, %q, segment at %d: %s differs\n got %v\nwant %v", tc, k.q, k.base, name, b[k][j], w[j])
				}
			}
		}
	}
	if constApplied.Load() == const0 {
		t.Error("no constant upper bound was added without a pass: constOf is not tested")
	}
	if denseLeafCount.Load() == dense0 {
		t.Error("no term scores were kept as an array: dense leaves are not tested")
	}
}

// TestParallelAggregateIsExact: matching pages aggregated by dossier on
// two cores (each half of the segments apart, then merged) give the same
// responses as on one, in every sort order.
func TestParallelAggregateIsExact(t *testing.T) {
	defer func(n int) { parallelAggregate = n }(parallelAggregate)
	stopMerging(t)
	ix := openTestIndex(t, t.TempDir())
	names := indexCorpus(t, ix, 60, 10) // (several segments)
	for _, by := range []string{SortRelevance, SortDate, SortDateDesc, SortCode} {
		for _, q := range []string{"nguyen", "tiêu chuẩn", names[3], "kind:cv"} {
			req := Request{Query: q, Sort: by, Limit: 7, HitsPerDossier: 2}
			parallelAggregate = 1 << 30
			want := doSearch(t, ix, req)
			parallelAggregate = 0
			got := doSearch(t, ix, req)
			want.Took, got.Took = 0, 0
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%q by %s: on two cores %+v\non one %+v", q, by, got, want)
			}
			if want.Total == 0 {
				t.Errorf("%q by %s finds nothing", q, by)
			}
		}
	}
}
