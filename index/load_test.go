package index

import (
	"context"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"hoso/domain"
)

func seqOf(ds []*domain.Dossier, errAt int, err error) func(func(*domain.Dossier, error) bool) {
	return func(yield func(*domain.Dossier, error) bool) {
		for i, d := range ds {
			if i == errAt && !yield(nil, err) {
				return
			}
			if !yield(d, nil) {
				return
			}
		}
	}
}

// TestLoadReplacesContent loads the fixtures into an index holding another
// dossier: the result answers like an index built through the Indexer, the
// old dossier is gone, and a failed item is counted and skipped.
func TestLoadReplacesContent(t *testing.T) {
	want, ds := fixtureIndex(t)
	dir := t.TempDir()
	ix := openTestIndex(t, dir)
	old := &domain.Dossier{Code: "HS-OLD-1", Version: 1, Classification: domain.Public, Subject: domain.Subject{FullName: "Lò Văn Cũ"},
		Documents: []domain.Document{{ID: "d1", Kind: domain.DocumentKinds[0], Pages: []domain.Page{{Number: 1, TextKey: "t/old/1", Text: ocrOf("hồ sơ cũ zyxwv")}}}}}
	w := ix.NewIndexer()
	if err := w.Add(context.Background(), old); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}

	done := 0
	st, err := ix.Load(context.Background(), seqOf(ds, 1, errors.New("bad item")), func(n int) { done = n })
	if err != nil {
		t.Fatal(err)
	}
	pages := 0
	for _, d := range ds {
		pages += d.PageCount()
	}
	if st.Dossiers != len(ds) || st.Pages != pages || st.Failed != 1 || done != len(ds)+1 {
		t.Fatalf("stats %+v, progress %d; want %d dossiers, %d pages, 1 failed, progress %d", st, done, len(ds), pages, len(ds)+1)
	}
	gotN, err := ix.DocCount()
	if err != nil {
		t.Fatal(err)
	}
	wantN, err := want.DocCount()
	if err != nil {
		t.Fatal(err)
	}
	if gotN != wantN {
		t.Fatalf("doc count %d, want %d", gotN, wantN)
	}
	if r := searchAll(t, ix, "zyxwv"); r.Total != 0 {
		t.Fatalf("the replaced dossier is still found: %v", codes(r))
	}
	for _, q := range []string{"nguyen van thanh", "Thành", `"kết luận"`, "born:1960..1979", "kind:cv", "thanh~"} {
		a, b := searchAll(t, ix, q), searchAll(t, want, q)
		a.Took, b.Took = 0, 0
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%q: loaded index answers\n%+v\nthe Indexer-built one\n%+v", q, a, b)
		}
	}
	if subs := indexSubs(t, dir); len(subs) != 1 {
		t.Fatalf("index folder holds %v, want one index subfolder", subs)
	}
}

func indexSubs(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var subs []string
	for _, e := range ents {
		if e.IsDir() && strings.HasPrefix(e.Name(), "idx-") {
			subs = append(subs, e.Name())
		}
	}
	return subs
}

func searchAll(t *testing.T, ix *Index, q string) *Response {
	t.Helper()
	r, err := ix.Search(context.Background(), Request{Query: q, Clearance: domain.TopSecret, Limit: 50, HitsPerDossier: 3, Facets: true})
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	return r
}

// TestLoadCancelledKeepsOld cancels a load midway: the error says so and the
// old content still answers.
func TestLoadCancelledKeepsOld(t *testing.T) {
	ix, ds := fixtureIndex(t)
	subs := indexSubs(t, ix.root)
	before := searchAll(t, ix, "nguyen van thanh")
	ctx, cancel := context.WithCancel(context.Background())
	seq := func(yield func(*domain.Dossier, error) bool) {
		for i, d := range ds {
			if i == 2 {
				cancel()
			}
			if !yield(d, nil) {
				return
			}
		}
	}
	if _, err := ix.Load(ctx, seq, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Load after cancel: %v, want context.Canceled", err)
	}
	after := searchAll(t, ix, "nguyen van thanh")
	before.Took, after.Took = 0, 0
	if !reflect.DeepEqual(before, after) || after.Total == 0 {
		t.Fatalf("old content changed by a cancelled load:\n%+v\n%+v", before, after)
	}
	if now := indexSubs(t, ix.root); !reflect.DeepEqual(now, subs) {
		t.Fatalf("index subfolders %v after a cancelled load, want %v (the partial one removed)", now, subs)
	}
}
