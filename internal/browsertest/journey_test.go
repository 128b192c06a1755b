package browsertest

import (
	"context"
	"image"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"hoso/domain"
	"hoso/index"
	"hoso/ingest/ocr"
	"hoso/internal/fixtures"
	"hoso/server"
)

func TestMain(m *testing.M) {
	ocr.EnsureThreadLimit()
	os.Exit(m.Run())
}

// The dossier the journey uploads.
const (
	journeyCode = "HS-2024-000123"
	journeyName = "Nguyễn Văn Thành"
)

// journeyScan renders a two-page scan at 200 dpi as a multi-page TIFF.
func journeyScan(t *testing.T) string {
	t.Helper()
	o := fixtures.PageOptions{DPI: 200, FontPt: 14}
	page1, err := fixtures.Page([]string{
		"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
		"Độc lập - Tự do - Hạnh phúc",
		"SƠ YẾU LÝ LỊCH",
		"Họ và tên: " + journeyName,
		"Ngày sinh: 02 tháng 5 năm 1975",
		"Quê quán: xã Nghi Lộc, tỉnh Nghệ An",
		"Trình độ chuyên môn: Cử nhân Kinh tế",
	}, o)
	if err != nil {
		t.Fatal(err)
	}
	page2, err := fixtures.Page([]string{
		"Quá trình công tác: từ năm 2001 đến nay công tác tại Sở Nội vụ",
		"Khen thưởng: Bằng khen của Bộ trưởng năm 2015",
		"Kỷ luật: không",
		"Nhận xét của thủ trưởng cơ quan: hoàn thành tốt nhiệm vụ",
	}, o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := fixtures.TIFF([]*image.Gray{page1, page2}, fixtures.TIFFLZW, 200)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "so-yeu-ly-lich.tif")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestJourney walks the web page in headless Chromium over real
// components (folder store, bleve index, Tesseract): an archivist uploads
// a scan, a reader finds it typed without diacritics and sees the hit
// boxed on the scan, the archivist corrects a word from the review queue
// and search finds it; a reader below a dossier's level sees no trace of
// it.
func TestJourney(t *testing.T) {
	cfg := ocr.DefaultConfig()
	cfg.Workers = 1
	cfg.ReviewBelow = 100 // every OCR'd page goes to the review queue
	pool, err := ocr.New(cfg)
	if err != nil {
		t.Fatalf("OCR pool (apt-get install tesseract-ocr-vie libtesseract-dev): %v", err)
	}
	t.Cleanup(func() { pool.Close() })
	e := NewEnv(t, EnvOptions{OCR: pool})
	scan := journeyScan(t)
	b := NewBrowser(t, 1366, 768)

	// An archivist creates the dossier; the form shows errors by the fields.
	signIn(t, b, e.URL, "arch")
	b.Screenshot("signed-in")
	b.Open(e.URL+"/upload", "#f-code")
	b.Do(chromedp.SendKeys(chromedp.ID("f-code"), "not a code!"), chromedp.Click(chromedp.ID("create-dossier")),
		chromedp.WaitVisible(chromedp.ID("e-code")))
	if !strings.Contains(b.Text("#e-full_name"), "Bắt buộc") {
		t.Errorf("no message beside the empty name: %q", b.Text("#e-full_name"))
	}
	b.Screenshot("new-dossier-errors")
	b.Do(chromedp.SetValue(chromedp.ID("f-code"), journeyCode),
		chromedp.SendKeys(chromedp.ID("f-full_name"), journeyName),
		chromedp.SetValue(chromedp.ID("f-birth_date"), "1975-05-02"),
		chromedp.SendKeys(chromedp.ID("f-hometown"), "Nghệ An"),
		chromedp.SendKeys(chromedp.ID("f-unit"), "Sở Nội vụ"),
		chromedp.SetValue(chromedp.ID("f-classification"), string(domain.Confidential)),
		chromedp.Click(chromedp.ID("create-dossier")),
		chromedp.WaitVisible(chromedp.ID("f-file")))

	// It uploads the scan, slowly enough to watch the progress bar.
	b.Do(chromedp.SetUploadFiles(chromedp.ID("f-file"), []string{scan}),
		chromedp.SetValue(chromedp.ID("f-kind"), "cv"),
		chromedp.SendKeys(chromedp.ID("f-title"), "Sơ yếu lý lịch"),
		chromedp.SetValue(chromedp.ID("f-date"), "2019-05-02"),
		chromedp.WaitVisible(chromedp.CSS("#file-list li")))
	fi, err := os.Stat(scan)
	if err != nil {
		t.Fatal(err)
	}
	b.ThrottleUpload(float64(fi.Size()) / 4) // about 4 s
	b.Do(chromedp.Click(chromedp.ID("upload-submit")))
	b.WaitVisible("#upload-progress", 10*time.Second)
	waitUntil(t, b, 10*time.Second, "upload progress", `(() => { const p = document.getElementById("upload-bar");
		return p && p.value > 0 && p.value < p.max; })()`)
	b.Screenshot("upload-progress")
	b.WaitVisible("#job", 30*time.Second)
	b.ThrottleUpload(0)
	b.Screenshot("ocr-progress")
	b.WaitVisible("#job-done", 4*time.Minute)
	b.Screenshot("job-done")
	b.Do(chromedp.Click(chromedp.CSS("#job-done a.button")), chromedp.WaitVisible(chromedp.CSS(".thumbs img")))
	waitUntil(t, b, 20*time.Second, "thumbnails", `[...document.querySelectorAll(".thumbs img")].every(i => i.complete && i.naturalWidth > 0)`)
	if n := Eval[int](b, `document.querySelectorAll(".thumbs img").length`); n != 2 {
		t.Errorf("dossier view shows %d thumbnails, want 2", n)
	}
	b.Screenshot("dossier-thumbnails")
	signOut(t, b)

	// A reader below nothing it should see: a secret dossier naming the
	// same person is seeded, and must leave no trace.
	e.Seed(t, SeedDossier{Code: SecretCode, Name: "Trần Thị Hoa", Unit: SecretUnit, Class: domain.Secret,
		Docs: []SeedDocument{{ID: "d1", Kind: "verification-report", Title: "Báo cáo xác minh",
			Pages: []SeedPage{{Text: "Xác minh quan hệ với Nguyễn Văn Thành", Conf: 90}}}}})
	signIn(t, b, e.URL, "reader")
	b.Do(chromedp.SendKeys(chromedp.ID("q"), "nguyen van thanh"), chromedp.Submit(chromedp.ID("q")),
		chromedp.WaitVisible(chromedp.CSS(".result")))
	b.Screenshot("search-results")
	if s := b.Text("#result-summary"); !strings.HasPrefix(strings.TrimSpace(s), "1 hồ sơ") {
		t.Errorf("reader's result summary %q, want 1 dossier (the secret one must not count)", s)
	}
	html := Must(b, chromedp.OuterHTML(chromedp.CSS("main")))
	for _, trace := range []string{SecretCode, SecretUnit, "Trần Thị Hoa", "Tối mật"} {
		if strings.Contains(html, trace) {
			t.Errorf("search results show %q of a dossier above the reader's clearance", trace)
		}
	}
	checkLayout(t, b, "search results")
	checkFonts(t, b, ".result h2 a", journeyName)

	// The hit opens on the page view with the words boxed on the scan.
	b.Do(chromedp.Click(chromedp.CSS(".hit-link")), chromedp.WaitVisible(chromedp.CSS("#hit-boxes rect.hit")))
	waitUntil(t, b, 10*time.Second, "page image", `document.getElementById("page-image").complete`)
	b.Screenshot("page-view-hits")
	checkBoxes(t, b, e, "1x")
	checkFonts(t, b, "#page-text", "Nguyễn Văn Thành")
	if marks := Eval[[]string](b, `[...document.querySelectorAll("#page-text mark")].map(m => m.textContent)`); len(marks) < 3 {
		t.Errorf("text beside the scan marks %q, want the three words of the name", marks)
	}
	b.Do(chromedp.Click(chromedp.CSS(`.zoom-link[data-zoom="200"]`)))
	checkBoxes(t, b, e, "2x")
	b.Screenshot("page-view-zoom-200")
	b.Do(chromedp.KeyEvent(kb.ArrowRight)) // → next page
	b.WaitVisible(`a[data-nav="prev-page"]`, 10*time.Second)
	if h := b.Text("h1"); !strings.Contains(h, "Trang 2") {
		t.Errorf("the right arrow key led to %q, want page 2", h)
	}
	b.SetViewport(375, 740)
	b.Do(chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("page-image")))
	checkLayout(t, b, "page view at 375")
	b.Screenshot("page-view-375")
	b.SetViewport(1366, 768)
	checkNoTrace(t, b, e)
	signOut(t, b)

	// The archivist corrects a word of page 2 from the review queue.
	signIn(t, b, e.URL, "arch")
	b.Open(e.URL+"/review", "table.review")
	b.Screenshot("review-queue")
	if n := Eval[int](b, `document.querySelectorAll("a.review-link").length`); n != 2 {
		t.Errorf("review queue lists %d pages, want the 2 uploaded ones", n)
	}
	b.Do(chromedp.Click(chromedp.CSS(`a.review-link[href*="/2/correct"]`)), chromedp.WaitVisible(chromedp.ID("text")))
	old := Must(b, chromedp.Value(chromedp.ID("text")))
	word := wordToCorrect(t, old)
	b.Do(chromedp.SetValue(chromedp.ID("text"), strings.Replace(old, word, "Huân", 1)))
	b.Screenshot("correcting")
	b.Do(chromedp.Click(chromedp.ID("save-correction")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if n := Eval[int](b, `document.querySelectorAll("a.review-link").length`); n != 1 {
		t.Errorf("after the correction the queue lists %d pages, want 1", n)
	}
	b.Screenshot("review-after-correction")
	b.Open(e.URL+"/search?q=huan", ".result")
	b.Do(chromedp.Click(chromedp.CSS(".hit-link")), chromedp.WaitVisible(chromedp.CSS("#hit-boxes rect.hit")))
	if w := Eval[[]string](b, `[...document.querySelectorAll("#hit-boxes rect")].map(r => r.dataset.word)`); len(w) != 1 || w[0] != "Huân" {
		t.Errorf("the corrected word's box is %q, want [Huân]", w)
	}
	if n := Eval[int](b, `document.querySelectorAll(".versions li").length`); n != 2 {
		t.Errorf("page lists %d text versions, want the machine text and the correction", n)
	}
	b.Screenshot("corrected-word-found")
	b.Do(chromedp.Click(chromedp.CSS(".versions a")), chromedp.WaitVisible(chromedp.CSS(".ocr .note")))
	if txt := b.Text("#page-text"); !strings.Contains(txt, word) {
		t.Errorf("the machine text (%q) no longer holds %q", txt, word)
	}
	b.Screenshot("machine-text-kept")
	signOut(t, b)
}

// wordToCorrect picks the word of page 2's OCR text the journey replaces.
func wordToCorrect(t *testing.T, text string) string {
	t.Helper()
	for _, w := range []string{"Bằng", "khen", "thưởng", "luật"} {
		if strings.Contains(text, w) {
			return w
		}
	}
	for _, w := range strings.Fields(text) {
		if len([]rune(w)) >= 4 {
			return w
		}
	}
	t.Fatalf("page 2 was read as %q: nothing to correct", text)
	return ""
}

// checkBoxes checks the hit boxes of the page view against the OCR words:
// each box lies over the image, where its word's box is, in proportion to
// the image as shown, and covers ink.
func checkBoxes(t *testing.T, b *Browser, e *Env, what string) {
	t.Helper()
	img := b.Rect("#page-image")
	ctx := context.Background()
	u, err := e.Auth.Get(ctx, "reader")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(Eval[string](b, `location.pathname`), "/") // /dossiers/CODE/DOC/N
	if len(parts) != 5 || parts[4] != "1" {
		t.Fatalf("%s: page view at %q, want page 1 of a document", what, parts)
	}
	pv, err := e.App.Page(ctx, server.Actor{User: u, Remote: "test"}, parts[2], parts[3], 1, "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]domain.Word{}
	for _, w := range pv.Words {
		if f := index.FoldString(strings.ToLower(w.Text)); f == "nguyen" || f == "van" || f == "thanh" {
			want[w.Text] = w
		}
	}
	boxes := Eval[[]struct {
		Word       string
		X, Y, W, H float64
	}](b, `[...document.querySelectorAll("#hit-boxes rect")].map(r => { const c = r.getBoundingClientRect();
		return {Word: r.dataset.word, X: c.left + scrollX, Y: c.top + scrollY, W: c.width, H: c.height}; })`)
	if len(boxes) < 3 {
		t.Fatalf("%s: %d hit boxes drawn, want the 3 words of the name", what, len(boxes))
	}
	sx, sy := img.W/float64(pv.Width), img.H/float64(pv.Height)
	for _, bx := range boxes {
		w, ok := want[bx.Word]
		if !ok {
			t.Errorf("%s: box over %q, which is not a word of the name", what, bx.Word)
			continue
		}
		exp := Rect{X: img.X + float64(w.X0)*sx, Y: img.Y + float64(w.Y0)*sy, W: float64(w.X1-w.X0) * sx, H: float64(w.Y1-w.Y0) * sy}
		if d := math.Max(math.Max(math.Abs(bx.X-exp.X), math.Abs(bx.Y-exp.Y)), math.Max(math.Abs(bx.W-exp.W), math.Abs(bx.H-exp.H))); d > 1.5 {
			t.Errorf("%s: box of %q at %+v, want %+v (off by %.1f px)", what, bx.Word, bx, exp, d)
		}
		if bx.X < img.X || bx.Y < img.Y || bx.X+bx.W > img.Right()+0.5 || bx.Y+bx.H > img.Bottom()+0.5 {
			t.Errorf("%s: box of %q at %+v is not over the image %+v", what, bx.Word, bx, img)
		}
	}
	// The boxes cover ink: the image under them is darker than the page.
	ink := Eval[float64](b, `(() => { const img = document.getElementById("page-image");
		const c = document.createElement("canvas"); c.width = img.naturalWidth; c.height = img.naturalHeight;
		const g = c.getContext("2d"); g.drawImage(img, 0, 0);
		let dark = 0, all = 0;
		for (const r of document.querySelectorAll("#hit-boxes rect")) {
			const x = parseFloat(r.getAttribute("x")) / 100 * c.width, y = parseFloat(r.getAttribute("y")) / 100 * c.height;
			const w = parseFloat(r.getAttribute("width")) / 100 * c.width, h = parseFloat(r.getAttribute("height")) / 100 * c.height;
			const d = g.getImageData(Math.round(x), Math.round(y), Math.max(1, Math.round(w)), Math.max(1, Math.round(h))).data;
			for (let i = 0; i < d.length; i += 4) { all++; if (d[i] < 128) dark++; }
		}
		return dark / all; })()`)
	if ink < 0.08 {
		t.Errorf("%s: only %.1f%% of the pixels under the boxes are ink: the boxes miss the words", what, 100*ink)
	}
}

// checkNoTrace opens the secret dossier's URLs as the reader: each is the
// not-found page, the same as for a code that does not exist.
func checkNoTrace(t *testing.T, b *Browser, e *Env) {
	t.Helper()
	b.Open(e.URL+"/dossiers/HS-0000-000000", ".error-page")
	missing := b.Text("main")
	b.Screenshot("not-found")
	for _, p := range []string{"/dossiers/" + SecretCode, "/dossiers/" + SecretCode + "/d1/1", "/dossiers/" + SecretCode + "/d1/1?q=thanh",
		"/person?name=" + "Tr%E1%BA%A7n+Th%E1%BB%8B+Hoa"} {
		b.Open(e.URL+p, "main")
		got := b.Text("main")
		if strings.HasPrefix(p, "/person") {
			if strings.Contains(got, SecretCode) || !strings.Contains(got, "0 hồ sơ") {
				t.Errorf("%s shows %q", p, got)
			}
			continue
		}
		if got != missing {
			t.Errorf("%s shows %q, want the not-found page %q", p, got, missing)
		}
	}
	for _, p := range []string{"/dossiers/" + SecretCode + "/d1/1/image", "/dossiers/" + SecretCode + "/d1/1/thumb"} {
		if s := Eval[int](b, `fetch(`+jsString(p)+`).then(r => r.status)`); s != 404 {
			t.Errorf("%s: status %d, want 404", p, s)
		}
	}
}

// waitUntil polls a JavaScript condition every 50 ms.
func waitUntil(t *testing.T, b *Browser, d time.Duration, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !Eval[bool](b, cond) {
		if time.Now().After(deadline) {
			b.fail("waited %v for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
