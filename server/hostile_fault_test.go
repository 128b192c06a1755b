package server

import (
	"context"
	"image"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"

	"hoso/archive"
	"hoso/internal/fixtures"
	"hoso/jobs"
)

// TestHostileUploadNames uploads, in one request, good and hostile files
// under hostile multipart file names (path traversal, Windows paths,
// odd Unicode, "..", no name at all). The upload is accepted; each
// name is reduced to a safe last segment, nothing is written outside the
// upload's temp folder, the bad files fail alone in the job with their
// (safe) name and reason, the good ones are committed, verify is clean.
// A file name with control characters makes the multipart header malformed:
// that request is refused whole with 400 and the reason.
func TestHostileUploadNames(t *testing.T) {
	e := newEnv(t, envOptions{ocr: true})
	img, err := fixtures.Page([]string{"Họ và tên: Đặng Thị Yến"}, fixtures.PageOptions{DPI: 150, HeightIn: 2, FontPt: 14})
	if err != nil {
		t.Fatal(err)
	}
	png, err := fixtures.PNG(img, 150)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := fixtures.ImagePDF([]*image.Gray{img}, 150, fixtures.PDFJPEG)
	if err != nil {
		t.Fatal(err)
	}
	files := []mpFile{
		{"../../../../etc/cron.d/evil.png", png},
		{`C:\Windows\..\system32\ban-sao.png`, png},
		{"x\u202e\u00a0y.png", png}, // right-to-left override: kept, it is not a control character
		{"..", png},
		{"", png},
		{"cut.pdf", pdf[:len(pdf)/2]},
		{"zero.png", nil},
	}
	arch := e.as("arch")
	v0 := manifestVersion(t, e.arch, "HS-PUB")
	// control characters in a multipart header make the request malformed:
	// refused whole, with the reason
	code, body, _ := arch.do("POST", "/api/v1/dossiers/HS-PUB/documents", multipartOf(t, []mpFile{{"x\x1b[2J\x07y.png", png}}, nil))
	if code != http.StatusBadRequest || errCode(body) != "invalid" || !strings.Contains(string(body), "malformed MIME header") {
		t.Errorf("control characters in a file name: %d %s", code, body)
	}
	if v := manifestVersion(t, e.arch, "HS-PUB"); v != v0 {
		t.Errorf("a refused upload committed version %d", v)
	}
	code, body, _ = arch.do("POST", "/api/v1/dossiers/HS-PUB/documents", multipartOf(t, files, nil))
	if code != http.StatusAccepted {
		t.Fatalf("upload: %d %s", code, body)
	}
	id := jobOf(t, body)
	var st *jobs.Status
	waitFor(t, 2*time.Minute, "the upload job", func() bool {
		st, err = e.jobs.Get(context.Background(), id)
		return err == nil && st.State.Final()
	})
	t.Logf("job %s: %d failures: %+v", st.State, st.NumFailures, st.Failures)
	if st.State != jobs.StateDone || st.NumFailures != 2 {
		t.Errorf("job %+v", st)
	}
	for _, f := range st.Failures {
		if strings.ContainsFunc(f.Error, unicode.IsControl) || !(strings.Contains(f.File+f.Error, "cut.pdf") || strings.Contains(f.File+f.Error, "zero.png")) {
			t.Errorf("failure %+v", f)
		}
	}
	d := mustLoad(t, e.arch, "HS-PUB")
	var names []string
	for _, doc := range d.Documents {
		n := doc.Original.Filename
		names = append(names, n)
		if strings.ContainsAny(n, `/\`) || strings.ContainsFunc(n, unicode.IsControl) || n == ".." || n == "" {
			t.Errorf("unsafe stored name %q", n)
		}
	}
	t.Logf("stored names: %q", names)
	for _, want := range []string{"evil.png", "ban-sao.png"} {
		if countFile(d, want) != 1 {
			t.Errorf("no document %q in %q", want, names)
		}
	}
	if _, err := e.arch.Verify(context.Background(), 4, func(int) {}, func() {}, func(p archive.Problem) { t.Errorf("verify: %s", p) }); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the temporary upload to be removed", func() bool { return len(dirEntries(t, e.app.cfg.TempDir)) == 0 })
}
