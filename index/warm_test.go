package index

import (
	"context"
	"io/fs"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"hoso/domain"
)

// TestWarm: Warm computes what searches read once per segment (common
// words' impacts, name syllables' representative values) for every large
// segment, once; a search after it computes none of it again, and finds
// what it finds on a cold index.
func TestWarm(t *testing.T) {
	defer func(minSeg uint64, budget int) { weakMinSegment, repBudget = minSeg, budget }(weakMinSegment, repBudget)
	weakMinSegment = 64
	repBudget = 4 << 10 // small segments: room for all names
	stopMerging(t)      // (a merge between two Warms makes a segment to warm)
	ix := openTestIndex(t, t.TempDir())
	names := indexCorpus(t, ix, 60, 20)
	ctx := context.Background()
	var qs []string
	for _, n := range names[:6] {
		qs = append(qs, n, FoldString(n), strconv.Quote(n))
	}
	nameQueries := len(qs)
	qs = append(qs, "nguyen van", "tiêu chuẩn chính trị", "hoàn thành tốt nhiệm vụ")
	search := func(q string) *Response {
		res := doSearch(t, ix, Request{Query: q, Clearance: domain.Secret, HitsPerDossier: 3})
		res.Took = 0
		return res
	}
	var cold []*Response
	for _, q := range qs {
		cold = append(cold, search(q))
	}
	dropCaches(ix)
	st, err := ix.Warm(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Segments == 0 || st.Words == 0 || st.Names == 0 {
		t.Fatalf("Warm did nothing: %+v", st)
	}
	again, err := ix.Warm(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again.Segments != 0 {
		t.Errorf("a second Warm warmed %d segments again", again.Segments)
	}
	// the segment files were preloaded, once, and they are what was
	var files int64
	filepath.WalkDir(ix.Path(), func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".zap") {
			if info, err := d.Info(); err == nil {
				files += info.Size()
			}
		}
		return nil
	})
	if st.Preload == 0 || st.Preload > files {
		t.Errorf("Warm preloaded %d bytes; the segment files hold %d", st.Preload, files)
	}
	if again.Preload != 0 {
		t.Errorf("a second Warm preloaded %d bytes again", again.Preload)
	}
	// what the caches hold, per warmed segment
	held := func(cut bool) (impacts, reps int) {
		bi, release, err := ix.acquire()
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		c := cachesFor(ix, bi)
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, sc := range c.segs {
			if sc.warmed.Load() && sc.reps != nil {
				for k, level := range []string{"dossier", "document"} {
					if sc.reps.covers(k == 0) && sc.reps.pages[k].off == nil {
						t.Errorf("a warmed segment has no lists of the pages of each %s", level)
					}
				}
			}
			// (a small segment's budget may not hold all names: searches
			// then read the others each time)
			if !sc.warmed.Load() || sc.warmCut.Load() && !cut {
				continue
			}
			sc.impMu.Lock()
			impacts += len(sc.impacts)
			for k := range sc.repImp {
				if v := sc.repImp[k]; v != nil && k[:len(fNameRep)] == fNameRep { // (a name absent from the segment is cheap to find absent)
					reps++
				}
			}
			sc.impMu.Unlock()
		}
		return impacts, reps
	}
	if i, r := held(true); i != st.Words || r != st.Names {
		t.Errorf("the caches hold %d impacts and %d name values, Warm reported %d and %d", i, r, st.Words, st.Names)
	}
	i0, r0 := held(false)
	if i0 == 0 || r0 == 0 {
		t.Fatalf("no segment warmed in full: %d impacts, %d name values", i0, r0)
	}
	// names (words and phrases): Warm computed all they read
	for k, q := range qs {
		if k == nameQueries {
			if i1, r1 := held(false); i1 != i0 || r1 != r0 {
				t.Errorf("searches of names after Warm computed %d impacts and %d name values again", i1-i0, r1-r0)
			}
		}
		if got := search(q); !reflect.DeepEqual(got, cold[k]) {
			t.Errorf("%q: warmed %+v\ncold %+v", q, got, cold[k])
		}
	}
}

// TestPositionTablesAreExact compares searches reading the position tables
// Warm makes (postable.go) with searches reading the postings: phrases of
// names, retries, common phrases, names as words (their frequencies).
func TestPositionTablesAreExact(t *testing.T) {
	defer func(minSeg uint64) { weakMinSegment, usePosTables = minSeg, true }(weakMinSegment)
	weakMinSegment = 64
	ix := openTestIndex(t, t.TempDir())
	names := indexCorpus(t, ix, 80, 30)
	if _, err := ix.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	tables := 0
	bi, release, err := ix.acquire()
	if err != nil {
		t.Fatal(err)
	}
	c := cachesFor(ix, bi)
	c.mu.Lock()
	for _, sc := range c.segs {
		if pt := sc.pos.Load(); pt != nil {
			tables += len(pt.terms)
		}
	}
	c.mu.Unlock()
	release()
	if tables < 3 {
		t.Fatalf("Warm made %d position tables: the test compares too little", tables)
	}
	qs := []string{`"nguyen van"`, `"tiêu chuẩn chính trị"`, `"nguyen van"~`, "nguyen van thi"}
	for i, n := range names[:12] {
		other := names[(i+5)%len(names)]
		f := strings.Fields(n)
		qs = append(qs, n, strconv.Quote(n), strconv.Quote(FoldString(n))+"~",
			strconv.Quote(strings.Join(append(f[:len(f)-1:len(f)-1], strings.Fields(other)[len(strings.Fields(other))-1]), " "))) // someone else's given name: a retry
	}
	posTableReads.Store(0)
	for _, q := range qs {
		// (scorch may have merged segments meanwhile: warm the new ones)
		if _, err := ix.Warm(context.Background()); err != nil {
			t.Fatal(err)
		}
		usePosTables = false
		want := doSearch(t, ix, Request{Query: q, Clearance: domain.Secret, HitsPerDossier: 3})
		usePosTables = true
		got := doSearch(t, ix, Request{Query: q, Clearance: domain.Secret, HitsPerDossier: 3})
		want.Took, got.Took = 0, 0
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: with position tables %d dossiers %d pages, without %d dossiers %d pages", q, got.Total, got.TotalPages, want.Total, want.TotalPages)
		}
	}
	if n := posTableReads.Load(); n < int64(len(qs)) {
		t.Errorf("the searches read %d position tables: they are hardly tested", n)
	}
	checkEngineAgainstBleve(t, ix, qs)
}
