package index

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"hoso/domain"
	"hoso/index/qparse"
)

// facetCount returns the count of value in facet name of res (0 if absent).
func facetCount(res *Response, name, value string) int {
	for _, fc := range res.Facets[name] {
		if fc.Value == value {
			return fc.Count
		}
	}
	return 0
}

// TestClassFilterMatchesFacet: clicking a classification facet value (the
// query plus class:X) gives as many dossiers as the facet counted for X,
// at every clearance and with or without other clauses.
func TestClassFilterMatchesFacet(t *testing.T) {
	ix, _ := fixtureIndex(t)
	for _, cl := range domain.Classifications {
		for _, q := range []string{"", "thanh", "nguyen", "kind:cv", "date:>2015"} {
			base := doSearch(t, ix, Request{Query: q, Clearance: cl, Facets: true})
			sum := 0
			for _, l := range domain.Classifications {
				want := facetCount(base, FacetClassification, string(l))
				sum += want
				fq := q + " class:" + string(l)
				res := doSearch(t, ix, Request{Query: fq, Clearance: cl, Facets: true, Limit: 100})
				if res.Fuzzy && want == 0 {
					continue // nothing exact: the automatic fuzzy retry answered
				}
				if res.Total != want {
					t.Errorf("%q at %s: total %d, facet %s counted %d", fq, cl, res.Total, l, want)
				}
				if want == 0 {
					if len(res.Facets[FacetClassification]) != 0 || res.TotalPages != 0 {
						t.Errorf("%q at %s: %d pages, classification facet %v, want none", fq, cl, res.TotalPages, res.Facets[FacetClassification])
					}
					continue
				}
				if got := res.Facets[FacetClassification]; !reflect.DeepEqual(got, []FacetCount{{string(l), want}}) {
					t.Errorf("%q at %s: classification facet %v, want only %s: %d", fq, cl, got, l, want)
				}
				for _, d := range res.Dossiers {
					if d.Classification != l {
						t.Errorf("%q at %s: dossier %s is %s", fq, cl, d.Code, d.Classification)
					}
				}
				// the other facets count within the filtered dossiers
				for _, name := range facetNames {
					for _, fc := range res.Facets[name] {
						if fc.Count > facetCount(base, name, fc.Value) {
							t.Errorf("%q at %s: facet %s %q = %d, above %d unfiltered", fq, cl, name, fc.Value, fc.Count, facetCount(base, name, fc.Value))
						}
					}
				}
				// exclusion: the other dossiers, as many as the other values count
				// (a dossier has one classification)
				nq := q + " -class:" + string(l)
				ex := doSearch(t, ix, Request{Query: nq, Clearance: cl, Facets: true})
				if ex.Total != base.Total-want {
					t.Errorf("%q at %s: total %d, want %d - %d", nq, cl, ex.Total, base.Total, want)
				}
				if ex.TotalPages != base.TotalPages-res.TotalPages {
					t.Errorf("%q at %s: %d pages, want %d - %d", nq, cl, ex.TotalPages, base.TotalPages, res.TotalPages)
				}
				if n := facetCount(ex, FacetClassification, string(l)); n != 0 {
					t.Errorf("%q at %s: classification facet still counts %s: %d", nq, cl, l, n)
				}
			}
			if sum != base.Total {
				t.Errorf("%q at %s: classification facet sums to %d, total %d", q, cl, sum, base.Total)
			}
		}
	}
}

// TestClassFilterIsTheDossierLevel: class: is the dossier's classification,
// the facet's value, not a page's effective level. HS-001 is public with a
// secret document; HS-004 is secret.
func TestClassFilterIsTheDossierLevel(t *testing.T) {
	ix, _ := fixtureIndex(t)
	res := doSearch(t, ix, Request{Query: "class:secret", Clearance: domain.TopSecret})
	if got := codes(res); !reflect.DeepEqual(got, []string{"HS-004"}) {
		t.Errorf("class:secret = %v, want [HS-004]", got)
	}
	all := doSearch(t, ix, Request{Query: "code:HS-001", Clearance: domain.TopSecret})
	pub := doSearch(t, ix, Request{Query: "code:HS-001 class:public", Clearance: domain.TopSecret})
	if pub.Total != 1 || pub.TotalPages != all.TotalPages {
		t.Errorf("code:HS-001 class:public: %d dossiers, %d pages, want 1 and all %d pages (its secret document too)", pub.Total, pub.TotalPages, all.TotalPages)
	}
	// at public clearance, the secret document's pages stay hidden
	low := doSearch(t, ix, Request{Query: "code:HS-001 class:public", Clearance: domain.Public})
	lowAll := doSearch(t, ix, Request{Query: "code:HS-001", Clearance: domain.Public})
	if low.Total != 1 || low.TotalPages != lowAll.TotalPages || low.TotalPages >= all.TotalPages {
		t.Errorf("code:HS-001 class:public at public: %d dossiers, %d pages, want 1 and %d (< %d)", low.Total, low.TotalPages, lowAll.TotalPages, all.TotalPages)
	}
}

// TestClassFilterAboveClearance: a level above the reader's clearance
// matches nothing, without an error, and no count reveals it.
func TestClassFilterAboveClearance(t *testing.T) {
	ix, _ := fixtureIndex(t)
	ctx := context.Background()
	if n := facetCount(doSearch(t, ix, Request{Query: "", Clearance: domain.TopSecret, Facets: true}), FacetClassification, "top-secret"); n == 0 {
		t.Fatal("the fixtures hold no top-secret dossier")
	}
	for _, q := range []string{"class:top-secret", "classification:top-secret", "thanh class:top-secret", "class:top-secret class:secret"} {
		res, err := ix.Search(ctx, Request{Query: q, Clearance: domain.Secret, Facets: true})
		if err != nil {
			t.Fatalf("%q at secret: %v", q, err)
		}
		if res.Total != 0 || res.TotalPages != 0 || len(res.Dossiers) != 0 || res.Fuzzy {
			t.Errorf("%q at secret: total %d, %d pages, %d dossiers, fuzzy %v; want nothing", q, res.Total, res.TotalPages, len(res.Dossiers), res.Fuzzy)
		}
		for name, f := range res.Facets {
			if len(f) != 0 {
				t.Errorf("%q at secret: facet %s = %v", q, name, f)
			}
		}
	}
	// excluding it changes nothing
	all := doSearch(t, ix, Request{Query: "", Clearance: domain.Secret, Facets: true})
	ex := doSearch(t, ix, Request{Query: "-class:top-secret", Clearance: domain.Secret, Facets: true})
	if ex.Total != all.Total || ex.TotalPages != all.TotalPages || !reflect.DeepEqual(ex.Facets, all.Facets) {
		t.Errorf("-class:top-secret at secret: %d dossiers, %d pages, facets %v; want as without it: %d, %d, %v",
			ex.Total, ex.TotalPages, ex.Facets, all.Total, all.TotalPages, all.Facets)
	}
	if n := facetCount(all, FacetClassification, "top-secret"); n != 0 {
		t.Errorf("facet at secret counts top-secret: %d", n)
	}
}

func TestClassFilterBadValue(t *testing.T) {
	ix, _ := fixtureIndex(t)
	_, err := ix.Search(context.Background(), Request{Query: "thanh -class:restricted", Clearance: domain.TopSecret})
	var pe *qparse.Error
	if !errors.Is(err, ErrQuery) || !errors.As(err, &pe) || pe.Pos != 14 {
		t.Fatalf("class:restricted: %v, want ErrQuery with a *qparse.Error at column 14", err)
	}
}
