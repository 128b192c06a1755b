package index

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"

	"hoso/archive"
	"hoso/domain"
)

// storeFixtures commits the fixture dossiers to a new folder store.
func storeFixtures(t *testing.T) (*archive.Archive, []*domain.Dossier) {
	t.Helper()
	a := newArchive(t)
	ds := loadFixtures(t)
	for _, d := range ds {
		d.Version = 0
		commitDossier(t, a, d)
	}
	return a, ds
}

// queries whose results are compared before and after a rebuild.
var equivalenceQueries = []string{"nguyen van thanh", `"Nguyễn Văn Thành"`, "Thành", "born:1970..1979", "date:>2015", "unit:\"Sở Nội vụ\"", "-thanh", "kind:cv", ""}

func snapshot(t *testing.T, ix *Index) map[string]*Response {
	t.Helper()
	out := map[string]*Response{}
	for _, q := range equivalenceQueries {
		r := doSearch(t, ix, Request{Query: q, Facets: true, HitsPerDossier: 10})
		r.Took = 0
		out[q] = r
	}
	return out
}

func TestCatchUpFullScanThenJournal(t *testing.T) {
	ctx := context.Background()
	a, ds := storeFixtures(t)
	ix := openTestIndex(t, t.TempDir())
	if _, err := ix.Check(ctx, a); !errors.Is(err, ErrOutOfSync) {
		t.Fatalf("new index Check: %v, want ErrOutOfSync", err)
	}
	st, err := ix.Sync(ctx, a)
	if err != nil || st.Dossiers != 7 || st.Pages != 10 || st.Failed != 0 {
		t.Fatalf("first sync %+v %v", st, err)
	}
	if h, err := ix.Check(ctx, a); err != nil || !h.OK || h.IndexPages != 10 || h.ExpectedPages != 10 {
		t.Fatalf("Check after sync: %+v %v", h, err)
	}
	// nothing new: nothing done
	if st, err := ix.Sync(ctx, a); err != nil || st.Dossiers != 0 {
		t.Fatalf("second sync %+v %v", st, err)
	}
	// a new version drops a document and changes a page
	d := ds[0]
	d.Documents = d.Documents[:1]
	d.Documents[0].Pages[1].Text = ocrOf("Trang sửa lại: khen thưởng năm 2020")
	commitDossier(t, a, d)
	if st, err := ix.Sync(ctx, a); err != nil || st.Dossiers != 1 || st.Pages != 2 {
		t.Fatalf("sync after commit %+v %v", st, err)
	}
	if v, _ := ix.IndexedVersion("HS-001"); v != 2 {
		t.Errorf("indexed version %d, want 2", v)
	}
	res := doSearch(t, ix, Request{Query: "code:HS-001"})
	if res.TotalPages != 2 {
		t.Errorf("HS-001 pages %d, want 2", res.TotalPages)
	}
	if res := doSearch(t, ix, Request{Query: "sửa lại"}); !reflect.DeepEqual(codes(res), []string{"HS-001"}) {
		t.Errorf("new text not found: %v", codes(res))
	}
	if h, err := ix.Check(ctx, a); err != nil || !h.OK {
		t.Errorf("Check: %+v %v", h, err)
	}
}

func TestCatchUpLookbackFindsEntriesBehindCursor(t *testing.T) {
	ctx := context.Background()
	a, ds := storeFixtures(t)
	ix := openTestIndex(t, t.TempDir())
	if err := ix.CatchUp(ctx, a); err != nil {
		t.Fatal(err)
	}
	// the cursor is ahead of this host's clock (another writer's clock ran
	// fast): a commit now is behind it, but within the lookback
	w := ix.NewIndexer()
	if err := w.setCursor(time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	d := ds[1]
	d.Documents[0].Pages[0].Text = ocrOf("Trần Thị Thanh, chuyển công tác")
	commitDossier(t, a, d)
	if err := ix.CatchUp(ctx, a); err != nil {
		t.Fatal(err)
	}
	if res := doSearch(t, ix, Request{Query: "chuyển"}); !reflect.DeepEqual(codes(res), []string{"HS-002"}) {
		t.Errorf("commit behind the cursor not indexed: %v", codes(res))
	}
}

func TestFollowPicksUpCommit(t *testing.T) {
	a, ds := storeFixtures(t)
	ix := openTestIndex(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ix.Follow(ctx, a, 50*time.Millisecond) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Follow: %v", err)
		}
	}()
	waitFor := func(q string, want int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if doSearch(t, ix, Request{Query: q}).Total == want {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("%q did not reach %d dossiers within 5s", q, want)
	}
	waitFor("", 7)
	// a new dossier committed by "another process" (the archive alone)
	nd := simpleDossier("HS-100", "Ngô Thị Yến", domain.Public, "Biên bản họp chi bộ tháng 3")
	nd.Version = 0
	nd.ID = ""
	commitDossier(t, a, nd)
	waitFor("biên bản", 1)
	d := ds[6]
	d.Documents[0].Pages[0].Text = ocrOf("Kính gửi bà Vũ Ngọc Lan, biên bản đính kèm")
	commitDossier(t, a, d)
	waitFor("biên bản", 2)
}

func TestRebuildEquivalentAndAtomic(t *testing.T) {
	ctx := context.Background()
	a, _ := storeFixtures(t)
	dir := t.TempDir()
	ix := openTestIndex(t, dir)
	if err := ix.CatchUp(ctx, a); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, ix)
	oldSub := ix.sub
	var calls, total int
	st, err := ix.Rebuild(ctx, a, func(done, n int) { calls, total = done, n })
	if err != nil || st.Dossiers != 7 || st.Pages != 10 {
		t.Fatalf("rebuild %+v %v", st, err)
	}
	if calls != 7 || total != 7 {
		t.Errorf("progress %d/%d", calls, total)
	}
	if ix.sub == oldSub {
		t.Errorf("still on %s", oldSub)
	}
	if _, err := os.Stat(filepath.Join(dir, oldSub)); !os.IsNotExist(err) {
		t.Errorf("old index folder left: %v", err)
	}
	cur, _ := readCurrent(dir)
	if cur != ix.sub {
		t.Errorf("CURRENT %q, active %q", cur, ix.sub)
	}
	after := snapshot(t, ix)
	for _, q := range equivalenceQueries {
		if !reflect.DeepEqual(before[q], after[q]) {
			t.Errorf("%q differs after rebuild:\n before %+v\n after  %+v", q, before[q], after[q])
		}
	}
	if h, err := ix.Check(ctx, a); err != nil || !h.OK {
		t.Errorf("Check after rebuild: %+v %v", h, err)
	}
}

func TestDeletedIndexIsRebuiltFromStore(t *testing.T) {
	ctx := context.Background()
	a, _ := storeFixtures(t)
	dir := t.TempDir()
	ix, err := Open(dir, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.CatchUp(ctx, a); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, ix)
	ix.Close()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	ix = openTestIndex(t, dir)
	h, err := ix.Check(ctx, a)
	if !errors.Is(err, ErrOutOfSync) || !h.Empty || h.NumMissing != 7 {
		t.Fatalf("Check of a deleted index: %+v %v", h, err)
	}
	if _, err := ix.Rebuild(ctx, a, nil); err != nil {
		t.Fatal(err)
	}
	after := snapshot(t, ix)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("results differ after rebuilding a deleted index")
	}
}

func TestInterruptedRebuildLeavesOldIndex(t *testing.T) {
	ctx := context.Background()
	a, _ := storeFixtures(t)
	dir := t.TempDir()
	ix, err := Open(dir, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.CatchUp(ctx, a); err != nil {
		t.Fatal(err)
	}
	sub := ix.sub
	// a rebuild killed midway: a partial subfolder next to the active one
	partial, bi, err := createSub(dir, Config{LockTimeout: time.Second}, false)
	if err != nil {
		t.Fatal(err)
	}
	bi.Index("X/d1/p1", map[string]interface{}{"code": "X"})
	bi.Close()
	ix.Close()
	ix = openTestIndex(t, dir)
	if ix.sub != sub {
		t.Errorf("active %s, want %s", ix.sub, sub)
	}
	if _, err := os.Stat(filepath.Join(dir, partial)); !os.IsNotExist(err) {
		t.Errorf("partial rebuild %s not removed", partial)
	}
	if n, _ := ix.DocCount(); n != 10 {
		t.Errorf("doc count %d", n)
	}
	// a rebuild cancelled midway keeps the old index too
	cctx, cancel := context.WithCancel(ctx)
	_, err = ix.Rebuild(cctx, a, func(done, total int) {
		if done == 3 {
			cancel()
		}
	})
	if err == nil {
		t.Fatalf("cancelled rebuild returned nil")
	}
	if ix.sub != sub {
		t.Errorf("cancelled rebuild switched to %s", ix.sub)
	}
	entries, _ := os.ReadDir(dir)
	var subs []string
	for _, e := range entries {
		if e.IsDir() {
			subs = append(subs, e.Name())
		}
	}
	sort.Strings(subs)
	if !reflect.DeepEqual(subs, []string{sub}) {
		t.Errorf("folders after cancelled rebuild: %v", subs)
	}
}

func TestCheckFindsDamageAndStaleness(t *testing.T) {
	ctx := context.Background()
	a, ds := storeFixtures(t)
	ix := openTestIndex(t, t.TempDir())
	if err := ix.CatchUp(ctx, a); err != nil {
		t.Fatal(err)
	}
	// pages lost behind the index's back (as a damaged segment would)
	bi, release, _ := ix.acquire()
	if err := bi.Delete("HS-005/d1/p2"); err != nil {
		t.Fatal(err)
	}
	b := bi.NewBatch()
	b.Index("ZZ-9/d1/p1", map[string]interface{}{fCode: "ZZ-9", fLevel: 0})
	if err := bi.Batch(b); err != nil {
		t.Fatal(err)
	}
	release()
	// and a commit the index has not seen
	commitDossier(t, a, ds[2])
	h, err := ix.Check(ctx, a)
	if !errors.Is(err, ErrOutOfSync) {
		t.Fatalf("Check: %v", err)
	}
	if !reflect.DeepEqual(h.Damaged, []string{"HS-005"}) || !reflect.DeepEqual(h.Stale, []string{"HS-003"}) || !reflect.DeepEqual(h.Extra, []string{"ZZ-9"}) || h.Empty {
		t.Errorf("health %+v", h)
	}
}
