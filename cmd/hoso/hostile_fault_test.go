package main

import (
	"bufio"
	"encoding/json"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hoso/internal/faulttest"
	"hoso/internal/fixtures"
)

// hostileFile is one file of the hostile batch and what its failure must
// say (want: "" means it must be ingested).
type hostileFile struct {
	name string
	data []byte
	want string
}

// TestHostileFilesEndToEnd runs one hoso ingest over a batch mixing good
// dossiers with every kind of hostile input: damaged and truncated PDF,
// TIFF, JPEG and PNG, an empty file, decompression bombs (huge declared
// dimensions, a huge PDF page, a PDF of 6,000 pages, a page tree claiming
// 100 million), an encrypted PDF, text named .jpg, and dossier.json entries
// escaping the folder by path or by symbolic link (the dossier's metadata
// is refused), and file names with control characters. Each hostile file
// fails alone with an error naming the file and the reason, printed
// without raw control characters; every good file and dossier is
// committed; verify is clean. Before, a listed link to a file outside the
// folder was ingested, and a file name with escape sequences became a
// document's name and reached the terminal raw.
func TestHostileFilesEndToEnd(t *testing.T) {
	faulttest.RequireTools(t, "tesseract", "pdfinfo", "pdftoppm")
	in, data := t.TempDir(), t.TempDir()
	img, err := fixtures.Page([]string{"Họ và tên: Lê Thị Lan", "Quyết định khen thưởng"}, fixtures.PageOptions{DPI: 150, HeightIn: 2.5, FontPt: 14})
	if err != nil {
		t.Fatal(err)
	}
	pages := []*image.Gray{img, img, img}
	must := func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	png := must(fixtures.PNG(img, 150))
	jpg := must(fixtures.JPEG(img, 150, 80))
	pdf := must(fixtures.ImagePDF(pages, 150, fixtures.PDFJPEG))
	tif := must(fixtures.TIFF(pages, fixtures.TIFFLZW, 150))
	files := []hostileFile{
		{"01.png", png, ""},
		{"scan-named.pdf", png, ""}, // a PNG with the wrong extension: read by content
		{"cut.pdf", pdf[:len(pdf)/2], "corrupt file"},
		{"cut.tif", tif[:len(tif)*2/3], "corrupt file"},
		{"header-only.tif", []byte("II*\x00"), "corrupt file"},
		{"cut.jpg", jpg[:len(jpg)/2], "corrupt file"},
		{"garbled.png", append(png[:60:60], strings.Repeat("\x07", len(png)-60)...), "corrupt file"},
		{"zero.png", nil, "corrupt file"},
		{"huge.png", faulttest.PNGSize(png, 100000, 100000), "too large"},
		{"huge.jpg", faulttest.JPEGSize(jpg, 60000, 60000), "too large"},
		{"huge-page.pdf", fixtures.SizedPDF(pages[:1], 14400, 14400), "too large"},
		{"bomb-pages.pdf", faulttest.PagesPDF(6000, 0), "too large"},
		{"bomb-count.pdf", faulttest.PagesPDF(1, 100_000_000), "corrupt file"},
		{"locked.pdf", must(fixtures.EncryptedPDF(pages[:1], 150, "secret", "owner")), "encrypted"},
		{"note.jpg", []byte("Họ và tên: Nguyễn Văn Thành\n"), "unsupported"},
		{"bell\a\x1b[2Jname.png", png, "control character"},
	}
	writeHostileDossier(t, in, "HS-HOST-MIX", files, nil)
	writeHostileDossier(t, in, "HS-HOST-GOOD", []hostileFile{{"01.jpg", jpg, ""}}, nil)
	outside := filepath.Join(t.TempDir(), "outside.png")
	os.WriteFile(outside, png, 0o644)
	// dossiers whose dossier.json names files outside their folder: the
	// metadata is refused, naming the field; the dossier alone fails
	writeHostileDossier(t, in, "HS-HOST-DOTDOT", nil, []string{"../HS-HOST-GOOD/01.jpg"})
	writeHostileDossier(t, in, "HS-HOST-ABS", nil, []string{outside})
	writeHostileDossier(t, in, "HS-HOST-LINK", []hostileFile{{"02.png", png, ""}}, []string{"link.png", "02.png"})
	if err := os.Symlink(outside, filepath.Join(in, "HS-HOST-LINK", "link.png")); err != nil {
		t.Fatal(err)
	}
	writeHostileDossier(t, in, "HS-HOST-CTRL", []hostileFile{{"03.png", png, ""}, {"x\x1b]0;pwned\ay.png", png, ""}}, nil)

	code, out, errOut := cli(t, data, "ingest", "--workers", "2", "--no-index", in)
	t.Logf("exit %d\n%s", code, out)
	if code != exitPartial {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitPartial, out, errOut)
	}
	if strings.ContainsAny(out, "\a\x1b") {
		t.Errorf("the summary prints raw control characters: %q", out)
	}
	report := readReport(t, data)
	for _, r := range report {
		t.Logf("reported: %s", r.Error)
	}
	for _, f := range files {
		if f.want == "" {
			continue
		}
		r := report.find(f.name)
		if r == nil {
			t.Errorf("%q: no failure reported", f.name)
			continue
		}
		if !strings.Contains(r.Error, f.want) || r.Dossier != "HS-HOST-MIX" {
			t.Errorf("%q: reported %+v, want the reason %q", f.name, *r, f.want)
		}
	}
	for code, want := range map[string]string{"HS-HOST-DOTDOT": "inside the metadata's folder", "HS-HOST-ABS": "inside the metadata's folder",
		"HS-HOST-LINK": "outside the metadata's folder", "HS-HOST-CTRL": `"x\x1b]0;pwned\ay.png" has control characters`} {
		if r := report.find(code); r == nil || !strings.Contains(r.Error, want) {
			t.Errorf("%s: reported %+v, want %q", code, r, want)
		}
	}
	for _, c := range []string{"HS-HOST-GOOD", "HS-HOST-MIX", "HS-HOST-CTRL"} {
		if code, out, _ := cli(t, data, "show", "--no-text", c); code != exitOK {
			t.Errorf("show %s: exit %d %s", c, code, out)
		}
	}
	_, show, _ := cli(t, data, "show", "--json", "--no-text", "HS-HOST-MIX")
	var d struct {
		Documents []struct{ Original struct{ Filename string } }
	}
	json.Unmarshal([]byte(show), &d)
	var names []string
	for _, doc := range d.Documents {
		names = append(names, doc.Original.Filename)
	}
	if strings.Join(names, ",") != "01.png,scan-named.pdf" {
		t.Errorf("HS-HOST-MIX holds %q, want the two good files", names)
	}
	for _, c := range []string{"HS-HOST-DOTDOT", "HS-HOST-ABS", "HS-HOST-LINK"} {
		if code, _, _ := cli(t, data, "show", c); code == exitOK {
			t.Errorf("%s was committed", c)
		}
	}
	if code, out, _ := cli(t, data, "verify"); code != exitOK {
		t.Errorf("verify: exit %d\n%s", code, out)
	}
	faulttest.CheckFolderStore(t, filepath.Join(data, "objects"))
}

// writeHostileDossier writes dossier code with files; list names what its
// dossier.json lists (nil: every file).
func writeHostileDossier(t *testing.T, in, code string, files []hostileFile, list []string) {
	t.Helper()
	dir := filepath.Join(in, code)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if list == nil {
		for _, f := range files {
			list = append(list, f.name)
		}
	}
	var docs []map[string]string
	for _, name := range list {
		docs = append(docs, map[string]string{"file": name, "kind": "other"})
	}
	meta, _ := json.Marshal(map[string]any{"code": code, "subject": map[string]string{"full_name": "Lê Thị Lan"}, "classification": "public", "documents": docs})
	if err := os.WriteFile(filepath.Join(dir, "dossier.json"), meta, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

type failureReportFile []failureRecord

// find returns the record naming s (a file's base name or a dossier code).
func (r failureReportFile) find(s string) *failureRecord {
	for i, rec := range r {
		if rec.Dossier == s || (rec.File != "" && filepath.Base(rec.File) == s) || strings.Contains(rec.Error, s) {
			return &r[i]
		}
	}
	return nil
}

func readReport(t *testing.T, data string) failureReportFile {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(data, "reports", "ingest-*.jsonl"))
	if len(paths) != 1 {
		t.Fatalf("failure reports: %v", paths)
	}
	f, err := os.Open(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs failureReportFile
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r failureRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	return recs
}
