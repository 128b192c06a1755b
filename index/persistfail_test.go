package index

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// TestSearchAfterFailedPersist: when scorch cannot persist a batch (its
// folder deleted under it, as TestIndexLostUnderServe does), the batch is
// already in the searchable root, yet Batch returns the error and closes
// the batch's in-memory segment. Searches of that root must still work:
// with zapx as released, the closed segment's term dictionary cache was
// nil and the next search of it panicked ("assignment to entry in nil
// map"), killing hoso serve.
func TestSearchAfterFailedPersist(t *testing.T) {
	stopMerging(t)
	dir := filepath.Join(t.TempDir(), "idx")
	m, err := newMapping()
	if err != nil {
		t.Fatal(err)
	}
	bi, err := bleve.NewUsing(dir, m, bleve.Config.DefaultIndexType, bleve.Config.DefaultKVStore, scorchConfig(Config{}, false))
	if err != nil {
		t.Fatal(err)
	}
	defer bi.Close()
	doc := func(text string) map[string]any { return map[string]any{fText: text} }
	if err := bi.Index("p1", doc("nguyen van thanh")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	b := bi.NewBatch()
	if err := b.Index("p2", doc("tran van thieu")); err != nil {
		t.Fatal(err)
	}
	if err := bi.Batch(b); err == nil {
		t.Fatal("a batch into a deleted index folder was persisted")
	}
	term := query.NewTermQuery("thieu")
	term.SetField(fText)
	for _, tc := range []struct {
		q    query.Query
		want uint64
	}{
		{query.NewDocIDQuery([]string{"p1", "p2"}), 2},
		{term, 1}, // (the unpersisted batch is searchable)
	} {
		res, err := bi.Search(bleve.NewSearchRequest(tc.q))
		if err != nil {
			t.Fatalf("%T: %v", tc.q, err)
		}
		if res.Total != tc.want {
			t.Errorf("%T: %d hits, want %d", tc.q, res.Total, tc.want)
		}
	}
	if err := bi.Index("p3", doc("nguyen van hung")); err == nil {
		t.Fatal("a later batch into a deleted index folder was persisted")
	}
}
