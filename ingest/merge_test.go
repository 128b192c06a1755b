package ingest

import (
	"strings"
	"testing"

	"hoso/domain"
)

func page(n int, textKey string, flags ...string) domain.Page {
	return domain.Page{Number: n, ImageKey: "img", TextKey: textKey, TextVersions: []string{textKey}, Flags: flags}
}

func result(file, sha string, listed bool, kind domain.DocumentKind, pages ...domain.Page) *fileResult {
	return &fileResult{Spec: FileSpec{Path: "/x/" + file, Listed: listed, Kind: kind}, Doc: domain.Document{Kind: kind, Title: file,
		Original: domain.Original{Filename: file, SHA256: sha, Key: "originals/" + sha}, Pages: pages}}
}

func baseSpec() *Spec {
	return &Spec{Source: "d/dossier.json", Dossier: domain.Dossier{ID: "HS-1", Code: "HS-1", Subject: domain.Subject{FullName: "Lê Thị Lan"}, Classification: domain.Public}}
}

func TestMergeNewAndUnchanged(t *testing.T) {
	spec := baseSpec()
	r := []*fileResult{result("01.pdf", "aa", true, domain.KindCV, page(1, "t1")), result("01 (copy).PDF", "bb", false, domain.KindOther, page(1, "t2")), nil}
	d, changed, err := merge(nil, spec, r)
	if err != nil || !changed {
		t.Fatalf("new: %v %v", changed, err)
	}
	if len(d.Documents) != 2 || d.Documents[0].ID != "01.pdf" || d.Documents[1].ID != "01-copy-.pdf" {
		t.Fatalf("ids %q %q", d.Documents[0].ID, d.Documents[1].ID)
	}
	d.Version = 1
	_, changed, err = merge(d, spec, r)
	if err != nil || changed {
		t.Fatalf("re-merge of the same results: changed=%v err=%v", changed, err)
	}
}

func TestMergeKeepsCorrectionAndHistory(t *testing.T) {
	spec := baseSpec()
	cur, _, _ := merge(nil, spec, []*fileResult{result("01.pdf", "aa", true, domain.KindCV, page(1, "ocr-vie"), page(2, "ocr-vie"))})
	// Page 1 was corrected by a person.
	cur.Documents[0].Pages[0] = domain.Page{Number: 1, ImageKey: "img", TextKey: "corr-1", TextVersions: []string{"ocr-vie", "corr-1"}, Flags: []string{domain.FlagCorrected}}
	// Re-OCR with other settings.
	d, changed, err := merge(cur, spec, []*fileResult{result("01.pdf", "aa", true, domain.KindCV, page(1, "ocr-eng"), page(2, "ocr-eng"))})
	if err != nil || !changed {
		t.Fatal(changed, err)
	}
	p1, p2 := d.Documents[0].Pages[0], d.Documents[0].Pages[1]
	if p1.TextKey != "corr-1" || strings.Join(p1.TextVersions, ",") != "ocr-vie,corr-1,ocr-eng" {
		t.Errorf("corrected page: %+v", p1)
	}
	if p2.TextKey != "ocr-eng" || strings.Join(p2.TextVersions, ",") != "ocr-vie,ocr-eng" {
		t.Errorf("page 2: %+v", p2)
	}
}

func TestMergeNewScanAndMetadata(t *testing.T) {
	spec := baseSpec()
	cur, _, _ := merge(nil, spec, []*fileResult{result("01.pdf", "aa", true, domain.KindCV, page(1, "t"))})
	cur.Documents[0].Kind = domain.KindLetter // edited by an archivist
	// Unlisted file found again: the archivist's kind stays.
	d, _, _ := merge(cur, spec, []*fileResult{result("01.pdf", "aa", false, domain.KindOther, page(1, "t"))})
	if d.Documents[0].Kind != domain.KindLetter {
		t.Errorf("kind %s", d.Documents[0].Kind)
	}
	// A new scan under the same name replaces the original and pages.
	d, changed, _ := merge(cur, spec, []*fileResult{result("01.pdf", "cc", true, domain.KindCV, page(1, "x"), page(2, "y"))})
	if !changed || d.Documents[0].Original.SHA256 != "cc" || len(d.Documents[0].Pages) != 2 || len(d.Documents) != 1 {
		t.Errorf("new scan: %+v", d.Documents)
	}
	// Unit changes in the metadata.
	spec2 := baseSpec()
	spec2.Dossier.Unit = "Sở Nội vụ"
	d, changed, _ = merge(cur, spec2, nil)
	if !changed || d.Unit != "Sở Nội vụ" {
		t.Errorf("unit: %v %q", changed, d.Unit)
	}
}

func TestMergeRefusesOtherSubject(t *testing.T) {
	cur, _, _ := merge(nil, baseSpec(), []*fileResult{result("01.pdf", "aa", true, domain.KindCV, page(1, "t"))})
	spec := baseSpec()
	spec.Dossier.Subject.FullName = "Lê Thị Lân"
	if _, _, err := merge(cur, spec, nil); err == nil || !strings.Contains(err.Error(), "Lê Thị Lan") {
		t.Fatalf("err %v", err)
	}
}

func TestMergeKeepMetadata(t *testing.T) {
	cur, _, _ := merge(nil, baseSpec(), []*fileResult{result("01.pdf", "aa", true, domain.KindCV, page(1, "t"))})
	cur.Unit = "edited while the upload ran"
	up := baseSpec()
	up.KeepMetadata = true
	up.Dossier.Unit = "stale"
	up.Dossier.Subject.FullName = "whatever the upload read"
	d, changed, err := merge(cur, up, []*fileResult{result("02.png", "bb", true, domain.KindLetter, page(1, "u"))})
	if err != nil || !changed || d.Unit != "edited while the upload ran" || d.Subject.FullName != "Lê Thị Lan" || len(d.Documents) != 2 {
		t.Fatalf("%v %v %+v", changed, err, d)
	}
}
