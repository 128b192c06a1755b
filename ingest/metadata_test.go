package ingest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hoso/domain"
)

const goodJSON = `{"code":"hs-2024-000123","subject":{"full_name":"Nguyễn  Thị Thanh Giang","birth_date":"1978-03-14","hometown":"Nghệ An"},"unit":"Sở Nội vụ","classification":"confidential","documents":[{"file":"01.pdf","kind":"cv","title":"Sơ yếu lý lịch","date":"2019-05-02"}]}`

func TestParseDossierJSON(t *testing.T) {
	s, err := ParseDossierJSON("/x/dossier.json", []byte(goodJSON))
	if err != nil {
		t.Fatal(err)
	}
	d := s.Dossier
	if d.Code != "HS-2024-000123" || d.Subject.FullName != "Nguyễn Thị Thanh Giang" || d.Classification != domain.Confidential || d.Subject.BirthDate.String() != "1978-03-14" {
		t.Fatalf("got %+v", d)
	}
	if len(s.Files) != 1 || s.Files[0].Path != "/x/01.pdf" || s.Files[0].Kind != domain.KindCV || s.Files[0].Date.String() != "2019-05-02" {
		t.Fatalf("files %+v", s.Files)
	}
}

func TestParseDossierJSONErrors(t *testing.T) {
	for _, tc := range []struct{ name, from, to, field string }{
		{"bad date", `"2019-05-02"`, `"2019-13-02"`, "documents[0].date"},
		{"bad birth", `"1978-03-14"`, `"14/03/1978"`, "birth_date"},
		{"bad class", `"confidential"`, `"restricted"`, "classification"},
		{"bad kind", `"cv"`, `"memo"`, "documents[0].kind"},
		{"bad code", `"hs-2024-000123"`, `"HS 2024/1"`, "code"},
		{"no name", `"Nguyễn  Thị Thanh Giang"`, `"  "`, "full_name"},
		{"escape", `"01.pdf"`, `"../etc/passwd"`, "documents[0].file"},
		{"unknown field", `"unit"`, `"unitt"`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseDossierJSON("d/dossier.json", []byte(strings.Replace(goodJSON, tc.from, tc.to, 1)))
			var me *MetadataError
			if !errors.As(err, &me) || !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("err = %v, want MetadataError", err)
			}
			if me.Field != tc.field || !strings.Contains(err.Error(), "d/dossier.json") {
				t.Fatalf("err %q: field %q, want %q", err, me.Field, tc.field)
			}
		})
	}
}

func TestParseInventory(t *testing.T) {
	csv := "\ufeffdossier_code,full_name,birth_date,hometown,unit,classification,file,kind,title,date\n" +
		"HS-1,Trần Văn Hùng,1970-01-02,Huế,Sở Nội vụ,public,a/1.pdf,cv,\"Lý lịch, bản chính\",2001-02-03\n" +
		"HS-2,Lê Thị Lan,,,,secret,b/1.tif,,,\n" +
		"hs-1,Trần Văn Hùng,1970-01-02,Huế,Sở Nội vụ,public,a/2.pdf,letter,Thư,\n"
	specs, err := ParseInventory("/inv/list.csv", strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 2 || specs[0].Dossier.Code != "HS-1" || len(specs[0].Files) != 2 || len(specs[1].Files) != 1 {
		t.Fatalf("specs %+v", specs)
	}
	if f := specs[0].Files[0]; f.Title != "Lý lịch, bản chính" || f.Path != "/inv/a/1.pdf" {
		t.Fatalf("file %+v", f)
	}
	if specs[1].Files[0].Kind != domain.KindOther || specs[1].Dossier.Classification != domain.Secret {
		t.Fatalf("spec 2 %+v", specs[1])
	}
}

func TestParseInventoryErrors(t *testing.T) {
	head := "dossier_code,full_name,birth_date,hometown,unit,classification,file,kind,title,date\n"
	row := "HS-1,Trần Văn Hùng,1970-01-02,Huế,U,public,1.pdf,cv,T,2001-02-03\n"
	for _, tc := range []struct {
		name, csv string
		line      int
		field     string
	}{
		{"bad date", head + row + "HS-2,A,1970-01-02,,,public,2.pdf,cv,T,2001-02-30\n", 3, "date"},
		{"other subject", head + row + "HS-1,Trần Văn Hưng,1970-01-02,Huế,U,public,2.pdf,cv,T,\n", 3, "full_name"},
		{"bad class", head + "HS-1,A,,,,private,1.pdf,,,\n", 2, "classification"},
		{"dup file", head + row + row, 3, "file"},
		{"missing column", "dossier_code,full_name,file\nHS-1,A,1.pdf\n", 1, "classification"},
		{"no rows", head, 2, ""},
		{"bad quote", head + "HS-1,\"A,,,,public,1.pdf,,,\n", 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseInventory("inv.csv", strings.NewReader(tc.csv))
			var me *MetadataError
			if !errors.As(err, &me) {
				t.Fatalf("err = %v", err)
			}
			if me.Line != tc.line || me.Field != tc.field {
				t.Fatalf("err %q: line %d field %q, want %d %q", err, me.Line, me.Field, tc.line, tc.field)
			}
		})
	}
}

func TestDiscover(t *testing.T) {
	root := t.TempDir()
	mk := func(dir, meta string, files ...string) {
		os.MkdirAll(filepath.Join(root, dir), 0o755)
		if meta != "" {
			os.WriteFile(filepath.Join(root, dir, "dossier.json"), []byte(meta), 0o644)
		}
		for _, f := range files {
			os.WriteFile(filepath.Join(root, dir, f), []byte("x"), 0o644)
		}
	}
	mk("a", goodJSON, "01.pdf", "02.jpg", ".hidden")
	mk("b", strings.Replace(goodJSON, "hs-2024-000123", "HS-2", 1)) // 01.pdf missing
	mk("c/d", strings.Replace(strings.Replace(goodJSON, "hs-2024-000123", "HS-3", 1), "01.pdf", "x.png", 1), "x.png")
	specs, errs := Discover([]string{root})
	if len(specs) != 2 || len(errs) != 1 {
		t.Fatalf("specs %d errs %v", len(specs), errs)
	}
	if !strings.Contains(errs[0].Error(), "01.pdf does not exist") {
		t.Errorf("err %v", errs[0])
	}
	a := specs[0]
	if len(a.Files) != 2 || a.Files[1].Kind != domain.KindOther || !strings.HasSuffix(a.Files[1].Path, "02.jpg") || a.Files[1].Listed {
		t.Fatalf("files of a: %+v", a.Files)
	}
	_, errs = Discover([]string{filepath.Join(root, "a", "01.pdf")})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "not a folder or a .csv") {
		t.Fatalf("errs %v", errs)
	}
}
