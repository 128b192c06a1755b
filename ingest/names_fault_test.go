package ingest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hoso/internal/fixtures"
)

// TestListedLinkOutsideFolder: a dossier.json entry that is a symbolic link
// to a file outside the dossier folder is refused like "../" is; a link
// inside the folder is fine.
func TestListedLinkOutsideFolder(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret.png")
	os.WriteFile(outside, []byte("x"), 0o644)
	in := t.TempDir()
	dir := writeDossier(t, in, "HS-LINK", map[string][]byte{"01.png": []byte("x")})
	os.Symlink(outside, filepath.Join(dir, "out.png"))
	os.Symlink(filepath.Join(dir, "01.png"), filepath.Join(dir, "in.png"))
	list := func(names ...string) {
		var docs []string
		for _, n := range names {
			docs = append(docs, `{"file":"`+n+`","kind":"other"}`)
		}
		os.WriteFile(filepath.Join(dir, "dossier.json"), []byte(`{"code":"HS-LINK","subject":{"full_name":"Phạm Đức Hùng"},"classification":"public","documents":[`+strings.Join(docs, ",")+`]}`), 0o644)
	}
	list("01.png", "out.png")
	if _, err := ReadDossierDir(dir); err == nil || !strings.Contains(err.Error(), "outside the metadata's folder") {
		t.Errorf("link out of the folder: %v", err)
	}
	list("01.png", "in.png")
	if _, err := ReadDossierDir(dir); err != nil {
		t.Errorf("link inside the folder: %v", err)
	}
	csv := filepath.Join(in, "inv.csv")
	os.WriteFile(csv, []byte("dossier_code,full_name,classification,file,kind\nHS-LINK,Phạm Đức Hùng,public,HS-LINK/out.png,other\n"), 0o644)
	if _, errs := Discover([]string{csv}); len(errs) != 1 || !strings.Contains(errs[0].Error(), "outside the metadata's folder") {
		t.Errorf("link out of the folder in a CSV inventory: %v", errs)
	}
}

// TestControlCharacterFileName: a file whose name holds control characters
// fails alone, named with the characters escaped; the dossier commits its
// other files.
func TestControlCharacterFileName(t *testing.T) {
	in := t.TempDir()
	png, err := fixtures.PNG(smallPage(t, "Trang một"), 150)
	if err != nil {
		t.Fatal(err)
	}
	writeDossier(t, in, "HS-CTRL", map[string][]byte{"01.png": png, "a\x1b[31mb.png": png})
	specs, errs := Discover([]string{in})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var failed []string
	p, arch, _ := newPipeline(t, echoOCR{}, nil, Events{FileFailed: func(_, _ string, err error) { failed = append(failed, err.Error()) }})
	if _, err := p.Run(context.Background(), specs); err != nil {
		t.Fatal(err)
	}
	if len(failed) != 1 || !strings.Contains(failed[0], `"a\x1b[31mb.png" has control characters`) {
		t.Errorf("failures %q", failed)
	}
	d, err := arch.Load(context.Background(), "HS-CTRL")
	if err != nil || len(d.Documents) != 1 || d.Documents[0].Original.Filename != "01.png" {
		t.Errorf("dossier %+v %v", d, err)
	}
}
