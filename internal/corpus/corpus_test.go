package corpus

import (
	"reflect"
	"strings"
	"testing"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Nguyễn Văn Thành": "Nguyen Van Thanh",
		"Đặng Đức Dũng":    "Dang Duc Dung",
		"đường":            "duong",
		"Quyết định số 12": "Quyet dinh so 12",
		"plain":            "plain",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDossiersArePagesAndDeterministic: a dossier is the same every time,
// its pages are as Subject says, and Pages and Dossiers agree with them.
func TestDossiersArePagesAndDeterministic(t *testing.T) {
	total := 0
	for i := range 30 {
		d := Dossier(i)
		if again := Dossier(i); !reflect.DeepEqual(d, again) {
			t.Fatalf("dossier %d differs between two calls", i)
		}
		s := Subject(i)
		if d.Code != s.Code || d.Subject.FullName != s.Person.Name() || len(d.Documents) != len(s.DocPages) {
			t.Fatalf("dossier %d does not match its subject: %s %s, %d documents, want %s %s, %d",
				i, d.Code, d.Subject.FullName, len(d.Documents), s.Code, s.Person.Name(), len(s.DocPages))
		}
		for j, doc := range d.Documents {
			if len(doc.Pages) != s.DocPages[j] {
				t.Fatalf("dossier %d document %d: %d pages, want %d", i, j, len(doc.Pages), s.DocPages[j])
			}
			for _, p := range doc.Pages {
				if n := len(strings.Fields(p.Text.Text)); n < 100 {
					t.Errorf("dossier %d document %d page %d: %d words", i, j, p.Number, n)
				}
			}
		}
		total += d.PageCount()
		if got := Pages(i + 1); got != total {
			t.Fatalf("Pages(%d) = %d, want %d", i+1, got, total)
		}
		if got := Dossiers(total); got != i+1 {
			t.Fatalf("Dossiers(%d) = %d, want %d", total, got, i+1)
		}
		if got := Dossiers(total + 1); got != i+2 {
			t.Fatalf("Dossiers(%d) = %d, want %d", total+1, got, i+2)
		}
	}
}

func TestQueriesHaveEveryKind(t *testing.T) {
	q := Queries(200)
	if len(q) != len(Kinds) {
		t.Errorf("%d kinds, Kinds lists %d", len(q), len(Kinds))
	}
	for _, k := range Kinds {
		if len(q[k]) == 0 {
			t.Errorf("no %s queries", k)
		}
	}
	if !reflect.DeepEqual(q, Queries(200)) {
		t.Error("the query mix differs between two calls")
	}
}
