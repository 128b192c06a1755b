package index

import (
	"context"
	"testing"

	"hoso/domain"
)

// The dossier records (version and page count) live on representative
// pages, so they are replaced with the pages; only a dossier without pages
// keeps one in bleve's internal values.
func TestDossierRecords(t *testing.T) {
	ctx := context.Background()
	a, ds := storeFixtures(t)
	ix := openTestIndex(t, t.TempDir())
	if err := ix.CatchUp(ctx, a); err != nil {
		t.Fatal(err)
	}
	internal := func(code string) []byte {
		t.Helper()
		bi, release, err := ix.acquire()
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		v, err := bi.GetInternal([]byte(internalVersionPrefix + code))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	version := func(code string) int {
		t.Helper()
		v, err := ix.IndexedVersion(code)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, d := range ds {
		if v := version(d.Code); v != d.Version || v == 0 {
			t.Errorf("%s: indexed version %d, committed %d", d.Code, v, d.Version)
		}
		if v := internal(d.Code); v != nil {
			t.Errorf("%s: internal value %q for a dossier with pages", d.Code, v)
		}
	}

	// a new version: the old record goes with the old pages
	d := ds[1]
	d.Documents[0].Pages = d.Documents[0].Pages[:1]
	commitDossier(t, a, d)
	if err := ix.CatchUp(ctx, a); err != nil {
		t.Fatal(err)
	}
	if v := version(d.Code); v != d.Version {
		t.Errorf("%s after a new version: indexed %d, committed %d", d.Code, v, d.Version)
	}

	// a dossier whose first document has no pages: the record is on the
	// first page there is
	e := ds[2]
	if len(e.Documents) < 2 {
		e.Documents = append(e.Documents, domain.Document{ID: "d9", Kind: e.Documents[0].Kind, Title: "later"})
		e.Documents[1].Pages = []domain.Page{{Number: 1, Text: ocrOf("trang sau")}}
	}
	e.Documents[0].Pages = nil
	commitDossier(t, a, e)
	// a dossier without pages at all
	f := &domain.Dossier{Code: "HS-EMPTY", Subject: ds[0].Subject, Unit: ds[0].Unit, Classification: domain.Public}
	commitDossier(t, a, f)
	if err := ix.CatchUp(ctx, a); err != nil {
		t.Fatal(err)
	}
	if v := version(e.Code); v != e.Version {
		t.Errorf("%s (first document without pages): indexed %d, committed %d", e.Code, v, e.Version)
	}
	if v := version(f.Code); v != f.Version || v == 0 {
		t.Errorf("%s (no pages): indexed %d, committed %d", f.Code, v, f.Version)
	}
	if v := internal(f.Code); string(v) != string(encodeIndexed(indexed{Version: f.Version})) {
		t.Errorf("%s (no pages): internal value %q", f.Code, v)
	}
	if h, err := ix.Check(ctx, a); err != nil || h.IndexedDossiers != len(ds)+1 {
		t.Fatalf("Check: %+v, %v", h, err)
	}

	// the dossier without pages gets some: its internal value goes
	f.Documents = []domain.Document{{ID: "d1", Kind: ds[0].Documents[0].Kind, Title: "thư", Pages: []domain.Page{{Number: 1, Text: ocrOf("một trang")}}}}
	commitDossier(t, a, f)
	if err := ix.CatchUp(ctx, a); err != nil {
		t.Fatal(err)
	}
	if v := version(f.Code); v != f.Version {
		t.Errorf("%s with a page: indexed %d, committed %d", f.Code, v, f.Version)
	}
	if v := internal(f.Code); v != nil {
		t.Errorf("%s with a page: internal value %q left", f.Code, v)
	}
	if h, err := ix.Check(ctx, a); err != nil {
		t.Fatalf("Check: %+v, %v", h, err)
	}

	// deleted: no record
	if err := ix.DeleteDossier(ctx, f.Code); err != nil {
		t.Fatal(err)
	}
	if v := version(f.Code); v != 0 {
		t.Errorf("%s deleted: indexed version %d", f.Code, v)
	}
}

func TestParseRecord(t *testing.T) {
	for _, tc := range []struct {
		term string
		code string
		v    indexed
		ok   bool
	}{
		{recordTerm("HS-2024-000123", indexed{Version: 3, Pages: 17}), "HS-2024-000123", indexed{3, 17}, true},
		{"HS-1 2 0", "HS-1", indexed{2, 0}, true},
		{"HS-1", "", indexed{}, false},
		{"HS-1 2", "", indexed{}, false},
		{"HS-1 x 3", "", indexed{}, false},
	} {
		code, v, ok := parseRecord([]byte(tc.term))
		if ok != tc.ok || (ok && (code != tc.code || v != tc.v)) {
			t.Errorf("parseRecord(%q) = %q %+v %v", tc.term, code, v, ok)
		}
	}
}
