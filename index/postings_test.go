package index

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	segment "github.com/blevesearch/scorch_segment_api/v2"
	zap "github.com/blevesearch/zapx/v17"
)

// TestPostingsOnSubsets checks zap's postings iterator restricted to a
// subset of a term's pages (ReplaceActual, as the engine reads positions
// and frequencies on candidate pages) against the unrestricted iterator
// filtered afterwards: the same pages, frequencies, norms and positions.
// The restricted path is the one patched in third_party/zapx/v17 (it skips
// the chunks before the next page in one step, and within its chunk starts
// from the last checkpoint before it). Each subset is read twice: the
// first read makes the checkpoints of the chunks it reads, the second
// reads them as made.
func TestPostingsOnSubsets(t *testing.T) {
	zap.CountCheckpointJumps = true
	defer func() { zap.CountCheckpointJumps = false }()
	jumps0 := zap.CheckpointJumps.Load()
	ix := openTestIndex(t, t.TempDir())
	indexCorpus(t, ix, 200, 0)
	bi, release, err := ix.acquire()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	is, err := scorchSnapshot(bi)
	if err != nil {
		t.Fatal(err)
	}
	defer is.Close()
	type posting struct {
		doc, freq uint64
		norm      float64
		pos       []uint64
	}
	read := func(pl segment.PostingsList, subset *roaring.Bitmap) []posting {
		it := pl.Iterator(true, true, true, nil)
		if subset != nil {
			o, ok := it.(segment.OptimizablePostingsIterator)
			if !ok || o.ActualBitmap() == nil {
				t.Fatal("postings iterator without a bitmap to restrict")
			}
			o.ReplaceActual(roaring.And(o.ActualBitmap(), subset))
		}
		var out []posting
		for {
			p, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			if p == nil {
				return out
			}
			q := posting{doc: p.Number(), freq: p.Frequency(), norm: p.Norm()}
			for _, l := range p.Locations() {
				q.pos = append(q.pos, l.Pos())
			}
			out = append(out, q)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	checked, manyChunks := 0, 0
	for _, ss := range is.Segments() {
		seg := ss.Segment()
		n := seg.Count()
		d, err := seg.Dictionary(fText)
		if err != nil {
			t.Fatal(err)
		}
		for _, term := range []string{"nguyen", "van", "thi", "chinh", "tri", "hoan", "thanh", "khen", "nhiem"} {
			pl, err := d.PostingsList([]byte(term), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if pl.Count() == 0 {
				continue
			}
			if pl.Count() >= 2*1024 { // 3 chunks or more (zap chunk mode 1026: 1024 postings a chunk)
				manyChunks++
			}
			all := read(pl, nil)
			for _, density := range []float64{0.002, 0.02, 0.2, 0.7} {
				subset := roaring.New()
				for d := range n {
					if rng.Float64() < density {
						subset.Add(uint32(d))
					}
				}
				// and a run of pages late in the segment only
				subset.AddRange(n*3/4, n*3/4+20)
				var want []posting
				for _, p := range all {
					if subset.Contains(uint32(p.doc)) {
						want = append(want, p)
					}
				}
				for round := range 2 {
					if got := read(pl, subset); !reflect.DeepEqual(got, want) {
						t.Errorf("%s on %d of %d pages, read %d: %d postings read, want %d", term, subset.GetCardinality(), n, round+1, len(got), len(want))
					}
				}
				checked++
			}
		}
	}
	if checked == 0 || manyChunks == 0 {
		t.Fatalf("%d subsets checked, %d terms of 3 chunks or more: the test reads too little", checked, manyChunks)
	}
	if zap.CheckpointJumps.Load() == jumps0 {
		t.Fatal("no read started from a checkpoint within a chunk: the test reads too little")
	}
}
