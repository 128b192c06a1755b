package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"hoso/archive"
	"hoso/domain"
	"hoso/internal/fixtures"
	"hoso/jobs"
)

// TestConcurrentUploads sends uploads to one dossier at the same time from
// several signed-in clients, with jobs running in parallel, and checks that
// one consistent dossier results. The rules (see the README, "Uploads"):
//
//   - the same bytes under the same file name are one document, however
//     many clients send them: the second job finds nothing to change and
//     commits nothing;
//   - the same bytes under two names are two documents that share one
//     original, its page images and its texts (OCR'd once);
//   - different files sent at once all land, each in its own version
//     (losers of a version race reload and merge).
//
// Every manifest version from the first to the last exists and each holds
// the documents of the one before; verify is clean.
func TestConcurrentUploads(t *testing.T) {
	e := newEnv(t, envOptions{})
	app, err := NewApp(Config{Archive: e.arch, Index: e.ix, Auth: e.auth, Audit: e.log, Jobs: e.jobs, OCR: sharedPool(t),
		Workers: 1, MaxJobs: 4, TempDir: t.TempDir(), FollowInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close(context.Background()) })
	ts := httptest.NewServer(NewServer(app, HTTPConfig{MaxUpload: 8 << 20}))
	defer ts.Close()
	e.ts = ts // clients sign in on this server
	clients := []*client{e.login("arch", password), e.login("admin", password), e.login("arch", password)}
	page := func(text string) []byte {
		img, err := fixtures.Page([]string{text, "Quyết định khen thưởng"}, fixtures.PageOptions{DPI: 150, HeightIn: 2.5, FontPt: 14})
		if err != nil {
			t.Fatal(err)
		}
		b, err := fixtures.PNG(img, 150)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	same, other, third := page("Họ và tên: Đặng Thị Yến"), page("Bản sao giấy khai sinh"), page("Giấy chứng nhận sức khỏe")
	const code = "HS-PUB"
	v0 := manifestVersion(t, e.arch, code)
	docs0 := len(mustLoad(t, e.arch, code).Documents)

	// 1. the same bytes under the same name, from two clients at once
	uploadAtOnce(t, app, clients[:2], code, []mpFile{{"giong.png", same}, {"giong.png", same}})
	d := mustLoad(t, e.arch, code)
	if n := countFile(d, "giong.png"); n != 1 || len(d.Documents) != docs0+1 || d.Version != v0+1 {
		t.Errorf("same bytes, same name twice: %d documents named giong.png, %d in all (was %d), version %d (was %d)", n, len(d.Documents), docs0, d.Version, v0)
	}

	// 2. the same bytes under two names, at once
	uploadAtOnce(t, app, clients[:2], code, []mpFile{{"ban-a.png", same}, {"ban-b.png", same}})
	d = mustLoad(t, e.arch, code)
	a, b := d.Document(docIDOf(d, "ban-a.png")), d.Document(docIDOf(d, "ban-b.png"))
	g := d.Document(docIDOf(d, "giong.png"))
	if a == nil || b == nil || g == nil {
		t.Fatalf("documents after two names: %+v", d.Documents)
	}
	if a.Original.Key != b.Original.Key || a.Original.Key != g.Original.Key || a.Pages[0].TextKey != b.Pages[0].TextKey || a.ID == b.ID {
		t.Errorf("same bytes under two names: originals %s %s, texts %s %s", a.Original.Key, b.Original.Key, a.Pages[0].TextKey, b.Pages[0].TextKey)
	}

	// 3. three different files at once
	uploadAtOnce(t, app, clients, code, []mpFile{{"khac-1.png", other}, {"khac-2.png", third}, {"giong.png", same}})
	d = mustLoad(t, e.arch, code)
	for _, name := range []string{"giong.png", "ban-a.png", "ban-b.png", "khac-1.png", "khac-2.png"} {
		if n := countFile(d, name); n != 1 {
			t.Errorf("%d documents named %s", n, name)
		}
	}
	if len(d.Documents) != docs0+5 {
		t.Errorf("%d documents, want %d", len(d.Documents), docs0+5)
	}
	checkVersionChain(t, e.arch, code, v0, d.Version)
	if _, err := e.arch.Verify(context.Background(), 4, func(int) {}, func() {}, func(p archive.Problem) { t.Errorf("verify: %s", p) }); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: versions %d..%d, %d documents", code, v0, d.Version, len(d.Documents))
}

// uploadAtOnce sends files[i] from clients[i], all released together, and
// waits for every job to end done.
func uploadAtOnce(t *testing.T, app *App, clients []*client, code string, files []mpFile) {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	ids := make([]string, len(files))
	for i, f := range files {
		body := multipartOf(t, []mpFile{f}, map[string]string{"kind": "decision"})
		wg.Go(func() {
			<-start
			st, b, _ := clients[i].do("POST", "/api/v1/dossiers/"+code+"/documents", body)
			if st != http.StatusAccepted {
				t.Errorf("upload %s: %d %s", f.name, st, b)
				return
			}
			ids[i] = jobOf(t, b)
		})
	}
	close(start)
	wg.Wait()
	for i, id := range ids {
		if id == "" {
			continue
		}
		var st *jobs.Status
		waitFor(t, 2*time.Minute, "upload job "+id, func() bool {
			var err error
			st, err = app.jobs.Get(context.Background(), id)
			return err == nil && st.State.Final()
		})
		if st.State != jobs.StateDone || st.NumFailures != 0 {
			t.Errorf("job of %s: %s %s (%d failures)", files[i].name, st.State, st.Error, st.NumFailures)
		}
	}
}

func mustLoad(t *testing.T, arch *archive.Archive, code string) *domain.Dossier {
	t.Helper()
	d, err := arch.Load(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func countFile(d *domain.Dossier, name string) int {
	n := 0
	for _, doc := range d.Documents {
		if doc.Original.Filename == name {
			n++
		}
	}
	return n
}

func docIDOf(d *domain.Dossier, name string) string {
	for _, doc := range d.Documents {
		if doc.Original.Filename == name {
			return doc.ID
		}
	}
	return ""
}

// checkVersionChain checks that every version from..to of code exists and
// that each keeps the documents of the one before.
func checkVersionChain(t *testing.T, arch *archive.Archive, code string, from, to int) {
	t.Helper()
	var prev *domain.Dossier
	for v := from; v <= to; v++ {
		d, err := arch.LoadVersion(context.Background(), code, v)
		if err != nil {
			t.Errorf("version %d of %s: %v", v, code, err)
			continue
		}
		if prev != nil {
			for _, doc := range prev.Documents {
				if d.Document(doc.ID) == nil {
					t.Errorf("version %d lost document %s of version %d", v, doc.ID, v-1)
				}
			}
		}
		prev = d
	}
	if _, err := arch.LoadVersion(context.Background(), code, to+1); err == nil {
		t.Errorf("a version %d beyond the current %d", to+1, to)
	}
}
