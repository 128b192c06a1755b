package archive

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"hoso/domain"
	"hoso/storage"
	"hoso/storage/fs"
)

func newArchive(t *testing.T) (*Archive, *fs.Store) {
	t.Helper()
	s, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return New(s), s
}

// storeDossier stores an original with n pages (image + text each) and
// returns a valid dossier referencing them.
func storeDossier(t *testing.T, a *Archive, code string, content string, n int) *domain.Dossier {
	t.Helper()
	ctx := context.Background()
	sha := storage.SHA256Hex([]byte(content))
	key, err := a.PutOriginal(ctx, strings.NewReader(content), int64(len(content)), sha, "application/pdf")
	if err != nil {
		t.Fatal(err)
	}
	doc := domain.Document{ID: "01.pdf", Kind: domain.KindCV, Original: domain.Original{Key: key, SHA256: sha, Size: int64(len(content)), MediaType: "application/pdf", Filename: "01.pdf"}}
	for i := 1; i <= n; i++ {
		img, err := a.PutPageImage(ctx, sha, i, "png", []byte(fmt.Sprintf("image %d", i)))
		if err != nil {
			t.Fatal(err)
		}
		tk, err := a.PutText(ctx, sha, i, "ocr-test", &domain.OCRResult{Source: "ocr", Text: fmt.Sprintf("trang %d", i)})
		if err != nil {
			t.Fatal(err)
		}
		doc.Pages = append(doc.Pages, domain.Page{Number: i, ImageKey: img, TextKey: tk, TextVersions: []string{tk}})
	}
	return &domain.Dossier{Code: code, Subject: domain.Subject{FullName: "Nguyễn Văn Thành"}, Classification: domain.Public, Documents: []domain.Document{doc}}
}

func TestCommitLoadVersions(t *testing.T) {
	ctx := context.Background()
	a, _ := newArchive(t)
	d := storeDossier(t, a, "hs-1", "scan bytes", 2)
	if err := a.Commit(ctx, d); err != nil {
		t.Fatal(err)
	}
	if d.Version != 1 || d.Code != "HS-1" {
		t.Fatalf("version %d code %s", d.Version, d.Code)
	}
	stale := *d
	d.Unit = "Sở Nội vụ"
	if err := a.Commit(ctx, d); err != nil || d.Version != 2 {
		t.Fatalf("second commit: %v, version %d", err, d.Version)
	}
	// A writer that read version 1 loses.
	stale.Unit = "other"
	if err := a.Commit(ctx, &stale); !errors.Is(err, ErrVersionConflict) {
		t.Fatalf("stale commit: %v", err)
	}
	got, err := a.Load(ctx, "Hs-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || got.Unit != "Sở Nội vụ" || got.PageCount() != 2 {
		t.Fatalf("loaded %+v", got)
	}
	if _, err := a.Load(ctx, "HS-404"); !errors.Is(err, ErrNoDossier) {
		t.Fatalf("missing: %v", err)
	}
	res, err := a.LoadText(ctx, got.Documents[0].Pages[1].TextKey)
	if err != nil || res.Text != "trang 2" {
		t.Fatalf("text %+v %v", res, err)
	}
}

func TestCommitRejectsInvalid(t *testing.T) {
	a, _ := newArchive(t)
	d := storeDossier(t, a, "HS-1", "x", 1)
	d.Documents[0].Pages[0].Number = 2
	if err := a.Commit(context.Background(), d); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("err %v", err)
	}
	if n := count(t, a.Dossiers(context.Background())); n != 0 {
		t.Fatalf("%d dossiers after a rejected commit", n)
	}
}

func count[T any](t *testing.T, seq func(func(T, error) bool)) int {
	n := 0
	for _, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}

func TestOriginalStoredOnce(t *testing.T) {
	ctx := context.Background()
	a, s := newArchive(t)
	body := "the same scan"
	sha := storage.SHA256Hex([]byte(body))
	k1, err := a.PutOriginal(ctx, strings.NewReader(body), int64(len(body)), sha, "image/png")
	if err != nil {
		t.Fatal(err)
	}
	info1, _ := s.Stat(ctx, k1)
	// Second put reads nothing from the reader.
	k2, err := a.PutOriginal(ctx, errReader{}, int64(len(body)), sha, "image/png")
	if err != nil || k1 != k2 {
		t.Fatalf("second put: %v %s %s", err, k1, k2)
	}
	info2, _ := s.Stat(ctx, k1)
	if !info1.Modified.Equal(info2.Modified) {
		t.Fatal("original rewritten")
	}
	// Wrong digest: nothing stored.
	if _, err := a.PutOriginal(ctx, strings.NewReader("other"), 5, sha[:63]+"0", "image/png"); err == nil {
		t.Fatal("bad digest accepted")
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("read called") }

func TestDossiersAndJournal(t *testing.T) {
	ctx := context.Background()
	a, _ := newArchive(t)
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a.now = func() time.Time { clock = clock.Add(time.Second); return clock }
	for _, c := range []string{"HS-2", "HS-1", "HS-2"} {
		d, err := a.Load(ctx, c)
		if errors.Is(err, ErrNoDossier) {
			d = storeDossier(t, a, c, "scan "+c, 1)
		} else if err != nil {
			t.Fatal(err)
		}
		if err := a.Commit(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	var refs []DossierRef
	for r, err := range a.Dossiers(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, r)
	}
	if fmt.Sprint(refs) != "[{HS-1 1} {HS-2 2}]" {
		t.Fatalf("dossiers %v", refs)
	}
	var entries []string
	var second string
	for e, err := range a.Journal(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, fmt.Sprintf("%s@%d", e.Code, e.Version))
		if len(entries) == 2 {
			second = e.Key
		}
	}
	if fmt.Sprint(entries) != "[HS-2@1 HS-1@1 HS-2@2]" {
		t.Fatalf("journal %v", entries)
	}
	if n := count(t, a.Journal(ctx, second)); n != 1 {
		t.Fatalf("after cursor: %d entries", n)
	}
	if n := count(t, a.Journal(ctx, JournalCursor(time.Date(2026, 1, 2, 3, 4, 7, 0, time.UTC)))); n != 2 {
		t.Fatalf("from time: %d entries", n)
	}
}

func TestJournalKeyRoundTrip(t *testing.T) {
	for _, code := range []string{"HS-1", "A-V2", "X.Y_Z-V9"} {
		k := journalKey(1234567890123456789, code, 42)
		n, c, v, ok := parseJournalKey(k)
		if !ok || n != 1234567890123456789 || c != code || v != 42 {
			t.Errorf("%s -> %d %s %d %v", k, n, c, v, ok)
		}
	}
	for _, bad := range []string{"journal/", "journal/abc", "dossiers/x", "journal/00000000000000000001-X-vq"} {
		if _, _, _, ok := parseJournalKey(bad); ok {
			t.Errorf("parsed %q", bad)
		}
	}
}

func TestVerifyFindsMissingAndCorrupt(t *testing.T) {
	ctx := context.Background()
	a, s := newArchive(t)
	d := storeDossier(t, a, "HS-9", "original scan", 3)
	if err := a.Commit(ctx, d); err != nil {
		t.Fatal(err)
	}
	verify := func() (VerifyStats, []Problem) {
		var ps []Problem
		st, err := a.Verify(ctx, 4, func(int) {}, func() {}, func(p Problem) { ps = append(ps, p) })
		if err != nil {
			t.Fatal(err)
		}
		return st, ps
	}
	st, ps := verify()
	if len(ps) != 0 || st.Objects != 1+1+3+3 || st.Dossiers != 1 {
		t.Fatalf("clean store: %+v %v", st, ps)
	}
	page2 := d.Documents[0].Pages[1]
	if err := s.Delete(ctx, page2.ImageKey); err != nil {
		t.Fatal(err)
	}
	// Corrupt the original behind the store's back: flip its first byte.
	p := s.Path(d.Documents[0].Original.Key)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, ps = verify()
	if len(ps) != 2 {
		t.Fatalf("problems %v", ps)
	}
	got := map[string]Problem{}
	for _, p := range ps {
		got[p.Kind] = p
	}
	if m := got["missing"]; m.Page != 2 || m.What != "page image" || m.Code != "HS-9" || m.Document != "01.pdf" {
		t.Errorf("missing: %+v", m)
	}
	if c := got["corrupt"]; c.What != "original" || !errors.Is(c.Err, storage.ErrChecksum) {
		t.Errorf("corrupt: %+v", c)
	}
}
