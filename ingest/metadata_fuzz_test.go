package ingest

import (
	"errors"
	"strings"
	"testing"

	"hoso/domain"
)

// FuzzParseDossierJSON: any input gives a Spec that passes validation or a
// MetadataError; never a panic.
func FuzzParseDossierJSON(f *testing.F) {
	f.Add([]byte(goodJSON))
	f.Add([]byte(`{"code":"A","subject":{"full_name":"x"},"classification":"public","documents":[{"file":"a"},{"file":"a"}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseDossierJSON("f/dossier.json", data)
		if err != nil {
			var me *MetadataError
			if !errors.As(err, &me) {
				t.Fatalf("error %v is not a MetadataError", err)
			}
			return
		}
		if err := s.Dossier.ValidateMetadata(); err != nil {
			t.Fatalf("accepted invalid dossier: %v", err)
		}
		for _, fs := range s.Files {
			if !strings.HasPrefix(fs.Path, "f/") {
				t.Fatalf("file %q escapes the folder", fs.Path)
			}
		}
	})
}

// FuzzParseInventory: any CSV gives valid specs or a MetadataError with a line.
func FuzzParseInventory(f *testing.F) {
	f.Add("dossier_code,full_name,birth_date,hometown,unit,classification,file,kind,title,date\nHS-1,A,1970-01-02,H,U,public,1.pdf,cv,T,2001-02-03\n")
	f.Add("dossier_code,full_name,classification,file\nX,\"a\"\"b\",secret,x\n")
	f.Fuzz(func(t *testing.T, data string) {
		specs, err := ParseInventory("inv/i.csv", strings.NewReader(data))
		if err != nil {
			var me *MetadataError
			if !errors.As(err, &me) || !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("error %v is not a MetadataError", err)
			}
			return
		}
		for _, s := range specs {
			if err := s.Dossier.ValidateMetadata(); err != nil {
				t.Fatalf("accepted invalid dossier: %v", err)
			}
			if len(s.Files) == 0 {
				t.Fatal("spec without files")
			}
		}
	})
}
