package index_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"hoso/archive"
	"hoso/domain"
	"hoso/index"
	"hoso/internal/faulttest"
	"hoso/storage/fs"
)

// FuzzSearch runs arbitrary query text through the whole search path
// (parser, compiler to bleve queries, fuzzy retry, grouping, snippets) on a
// small index: it never panics, and every error is a bad query.
func FuzzSearch(f *testing.F) {
	for _, q := range []string{`nguyen van thanh`, `"Nguyễn Văn Thành" -unit:"Sở Nội vụ"`, `thanh~2 nguy* code:HS-*`,
		`born:1970..1979 date:>2015 year:2019 kind:cv flag:low-confidence`, `name:"" -"" ~ * "`, `title:(x) text:"a b" hometown:Nghệ`} {
		f.Add(q)
	}
	s, err := fs.New(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	arch := archive.New(s)
	faulttest.Seed(f, arch, "HS-FZ", 4, 2)
	ix, err := index.Open(filepath.Join(f.TempDir(), "index"), index.Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { ix.Close(); s.Close() })
	if err := ix.CatchUp(context.Background(), arch); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, q string) {
		res, err := ix.Search(context.Background(), index.Request{Query: q, Clearance: domain.TopSecret, Limit: 5, HitsPerDossier: 2, Facets: true})
		if err != nil {
			if !errors.Is(err, index.ErrQuery) {
				t.Fatalf("%q: %v", q, err)
			}
			return
		}
		if res.Total < len(res.Dossiers) || res.TotalPages < res.Total {
			t.Fatalf("%q: total %d dossiers (%d shown), %d pages", q, res.Total, len(res.Dossiers), res.TotalPages)
		}
	})
}
