package server

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzSafeFilename: whatever a client sends as a file name, the name kept
// is one non-empty path segment of valid UTF-8, without control or
// shell-special characters.
func FuzzSafeFilename(f *testing.F) {
	for _, s := range []string{"quyết định 01.png", `C:\scans\a.pdf`, "../../etc/passwd", "..", "", "a\x00b", "\xff\xfe.tif", strings.Repeat("ễ", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := SafeFilename(name, "upload-1")
		switch {
		case got == "" || got == "." || got == "..":
			t.Fatalf("%q -> %q", name, got)
		case strings.ContainsAny(got, `/\"<>:|?*;`) || strings.ContainsFunc(got, unicode.IsControl):
			t.Fatalf("%q -> %q keeps an unsafe character", name, got)
		case !utf8.ValidString(got) || len(got) > 150*utf8.UTFMax:
			t.Fatalf("%q -> %q", name, got)
		}
	})
}

// FuzzParseUpload feeds arbitrary multipart bodies to ParseUpload: it never
// panics, keeps files inside its temp folder under safe names, and leaves
// nothing behind when it fails.
func FuzzParseUpload(f *testing.F) {
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\nPNG\r\n--B\r\nContent-Disposition: form-data; name=\"kind[0]\"\r\n\r\ncv\r\n--B--\r\n"))
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../x\"\r\n\r\n\r\n--B\r\nContent-Disposition: form-data; name=\"date\"\r\n\r\n2019-13-45\r\n--B--\r\n"))
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"title[9999]\"\r\n\r\nx\r\n--B--"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/api/v1/dossiers/HS-1/documents", bytes.NewReader(body))
		r.Header.Set("Content-Type", "multipart/form-data; boundary=B")
		up, err := ParseUpload(r, dir, 4)
		if err != nil {
			if ents, _ := os.ReadDir(dir); len(ents) > 0 {
				t.Fatalf("failed upload left %d entries: %v", len(ents), err)
			}
			return
		}
		defer up.Remove()
		if len(up.Files) > 4 {
			t.Fatalf("%d files, limit 4", len(up.Files))
		}
		for _, uf := range up.Files {
			if rel, err := filepath.Rel(dir, uf.Path); err != nil || strings.HasPrefix(rel, "..") {
				t.Fatalf("file stored at %s, outside %s", uf.Path, dir)
			}
			if uf.Name == "" || strings.ContainsAny(uf.Name, `/\`) || strings.ContainsFunc(uf.Name, unicode.IsControl) {
				t.Fatalf("unsafe name %q", uf.Name)
			}
		}
	})
}
