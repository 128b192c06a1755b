package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hoso/ingest/ocr"
	"hoso/internal/fixtures"
)

func TestMain(m *testing.M) {
	ocr.EnsureThreadLimit()
	os.Exit(m.Run())
}

// cli runs hoso in-process with HOSO_DATA=data and returns the exit code
// and outputs.
func cli(t *testing.T, data string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb lockedBuffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
		switch k {
		case "HOSO_DATA":
			return data
		case "USER":
			return "tester"
		}
		return ""
	}}
	code := run(context.Background(), env, args)
	return code, out.String(), errb.String()
}

// tinyDossier writes a dossier folder with one small rendered page and the
// given extra files.
func tinyDossier(t *testing.T, dir, code string, extra map[string][]byte) {
	t.Helper()
	img, err := fixtures.Page([]string{"Họ và tên: Đặng Thị Yến", "Quyết định khen thưởng"}, fixtures.PageOptions{DPI: 150, HeightIn: 3, FontPt: 14})
	if err != nil {
		t.Fatal(err)
	}
	png, err := fixtures.PNG(img, 150)
	if err != nil {
		t.Fatal(err)
	}
	d := filepath.Join(dir, code)
	os.MkdirAll(d, 0o755)
	meta := `{"code":"` + code + `","subject":{"full_name":"Đặng Thị Yến","birth_date":"1969-09-09"},"unit":"Sở Nội vụ","classification":"public","documents":[{"file":"01.png","kind":"decision","title":"Quyết định","date":"2010-01-01"}]}`
	os.WriteFile(filepath.Join(d, "dossier.json"), []byte(meta), 0o644)
	os.WriteFile(filepath.Join(d, "01.png"), png, 0o644)
	for name, b := range extra {
		os.WriteFile(filepath.Join(d, name), b, 0o644)
	}
}

func TestCLIIngestShowVerify(t *testing.T) {
	data, in := t.TempDir(), t.TempDir()
	tinyDossier(t, in, "HS-100", map[string][]byte{"02.pdf": []byte("%PDF-1.4 truncated")})
	code, out, errOut := cli(t, data, "ingest", "--workers", "2", "--no-index", in)
	if code != exitPartial {
		t.Fatalf("ingest with a bad file: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "1 ingested") || !strings.Contains(out, "1 OCR'd") || !strings.Contains(out, "02.pdf") {
		t.Errorf("summary:\n%s", out)
	}
	reports, _ := filepath.Glob(filepath.Join(data, "reports", "ingest-*.jsonl"))
	if len(reports) != 1 {
		t.Fatalf("reports %v", reports)
	}
	f, _ := os.Open(reports[0])
	sc := bufio.NewScanner(f)
	var rec failureRecord
	for sc.Scan() {
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	if rec.Dossier != "HS-100" || !strings.HasSuffix(rec.File, "02.pdf") || !strings.Contains(rec.Error, "corrupt") {
		t.Errorf("report record %+v", rec)
	}

	code, out, _ = cli(t, data, "show", "hs-100")
	if code != 0 || !strings.Contains(out, "Đặng Thị Yến") || !strings.Contains(out, "khen thưởng") || !strings.Contains(out, "[01.png] decision") {
		t.Fatalf("show: %d\n%s", code, out)
	}
	code, out, _ = cli(t, data, "show", "--json", "--no-text", "HS-100")
	var shown struct {
		Code      string
		Documents []struct{ Pages []struct{ Text string } }
	}
	if code != 0 || json.Unmarshal([]byte(out), &shown) != nil || shown.Code != "HS-100" || len(shown.Documents) != 1 || shown.Documents[0].Pages[0].Text != "" {
		t.Fatalf("show --json: %d %s", code, out)
	}
	if code, _, errOut := cli(t, data, "show", "HS-404"); code != exitError || !strings.Contains(errOut, "no such dossier") {
		t.Errorf("show missing: %d %s", code, errOut)
	}

	code, out, _ = cli(t, data, "verify")
	if code != 0 || !strings.Contains(out, "0 problems") {
		t.Fatalf("verify: %d %s", code, out)
	}
	// Corrupt one page image behind the store's back.
	imgs, _ := filepath.Glob(filepath.Join(data, "objects", "pages", "*", "*", "p0001.*"))
	if len(imgs) != 1 {
		t.Fatalf("page images %v", imgs)
	}
	b, _ := os.ReadFile(imgs[0])
	b[10] ^= 0xff
	os.WriteFile(imgs[0], b, 0o644)
	code, out, _ = cli(t, data, "verify")
	if code != exitPartial || !strings.Contains(out, "corrupt: HS-100 document 01.png page 1 page image") {
		t.Fatalf("verify after corruption: %d\n%s", code, out)
	}
}

func TestCLIUsage(t *testing.T) {
	data := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{}, exitOK, "Commands:"},
		{[]string{"help", "ingest"}, exitOK, "dossier_code,full_name"},
		{[]string{"ingest", "--help"}, exitOK, "-workers int"},
		{[]string{"ingest"}, exitUsage, "name at least one"},
		{[]string{"frobnicate"}, exitUsage, "unknown command"},
		{[]string{"verify", "--bogus"}, exitUsage, "flag provided but not defined"},
		{[]string{"show"}, exitUsage, "one dossier code"},
		{[]string{"ingest", "--no-index", "/does/not/exist"}, exitPartial, "no such file"},
	} {
		code, out, errOut := cli(t, data, tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("hoso %v: exit %d, want %d with %q\n%s%s", tc.args, code, tc.code, tc.want, out, errOut)
		}
	}
}
