package index

import (
	"context"
	"reflect"
	"strconv"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"

	"hoso/domain"
	"hoso/index/qparse"
)

// postingsLocate is how locate worked before it analyzed the stored text:
// it reads the occurrences of the query's words on the shown pages from
// fText's postings (terms, positions, offsets as indexed). It is the
// reference TestLocateMatchesPostings compares with.
func postingsLocate(l *locator, pages []selHit) (map[string][]TermLoc, error) {
	out := map[string][]TermLoc{}
	bySeg := map[*segView][]selHit{}
	for _, h := range pages {
		bySeg[h.sv] = append(bySeg[h.sv], h)
	}
	for sv, hs := range bySeg {
		shown := roaring.New()
		ids := map[uint32]string{}
		for _, h := range hs {
			shown.Add(h.local)
			ids[h.local] = h.id
		}
		occ := map[uint32]map[string][]vecLoc{}
		for t := range l.terms {
			pl, err := sv.postings(fText, t)
			if err != nil {
				return nil, err
			}
			bm := postingsBitmap(pl)
			if !bm.Intersects(shown) {
				continue
			}
			it := pl.Iterator(true, true, true, nil)
			for _, d := range roaring.And(bm, shown).ToArray() {
				p, err := it.Advance(uint64(d))
				if err != nil {
					return nil, err
				}
				if p == nil || p.Number() != uint64(d) {
					continue
				}
				for _, loc := range p.Locations() {
					if occ[d] == nil {
						occ[d] = map[string][]vecLoc{}
					}
					occ[d][t] = append(occ[d][t], vecLoc{pos: loc.Pos(), start: int(loc.Start()), end: int(loc.End())})
				}
			}
		}
		for d, byTerm := range occ {
			out[ids[d]] = l.mark(byTerm)
		}
	}
	return out, nil
}

// TestLocateMatchesPostings: the matched words found by analyzing the
// shown pages' text again are those the index holds for them (same terms,
// positions and byte offsets), for words, phrases, spellings, prefixes and
// fuzzy words, on pages of several segments.
func TestLocateMatchesPostings(t *testing.T) {
	ix := openTestIndex(t, t.TempDir())
	ctx := context.Background()
	names := indexCorpus(t, ix, 60, 20) // several segments
	qs := []string{"nguyen", "Nguyễn Thị", "tiêu chuẩn chính trị", `"tiêu chuẩn chính trị" nguyen`,
		`"hoàn thành tốt nhiệm vụ"`, "hoàn thành -nguyen", "nguy*", "thanh~", `"Sở Nội vụ"`, "chính trị~2"}
	for _, n := range names[:10] {
		qs = append(qs, n, FoldString(n), strconv.Quote(n))
	}
	marked := 0
	for _, q := range qs {
		req, err := Request{Query: q, Clearance: domain.TopSecret, Limit: 20, HitsPerDossier: 5}.normalize()
		if err != nil {
			t.Fatal(err)
		}
		bi, release, err := ix.acquire()
		if err != nil {
			t.Fatal(err)
		}
		snap, err := cachesFor(ix, bi).openSnapshot(bi)
		if err != nil {
			t.Fatal(err)
		}
		s := &searchRun{ix: ix, bi: bi, snap: snap, req: req, comp: &compiler{an: ix.text}}
		pq, err := qparse.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.comp.compile(pq, req.Clearance)
		if err != nil {
			t.Fatal(err)
		}
		s.plan = p
		evals, err := snap.run(ctx, p, req)
		if err != nil {
			t.Fatal(err)
		}
		g, err := groupResults(snap, evals, req)
		if err != nil {
			t.Fatal(err)
		}
		var shown []selHit
		for _, d := range g.selected {
			shown = append(shown, d.hits...)
		}
		want, err := postingsLocate(newLocator(p), shown)
		if err != nil {
			t.Fatal(err)
		}
		hits, err := s.details(ctx, g)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, d := range hits {
			for _, h := range d.Hits {
				n++
				if !reflect.DeepEqual(h.Terms, want[h.ID]) {
					t.Errorf("%s: page %s: marked %v, the postings say %v", q, h.ID, h.Terms, want[h.ID])
				}
				if len(h.Terms) > 0 {
					marked++
				}
			}
		}
		if n == 0 {
			t.Errorf("%s: no hits", q)
		}
		snap.Close()
		release()
	}
	if marked < 100 {
		t.Errorf("only %d pages with marked words: the comparison proves little", marked)
	}
}
