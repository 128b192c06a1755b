package index

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"thanh", "thanh"},
		{"thành", "thanh"},
		{"nguyễn", "nguyen"},
		{"đặng", "dang"},
		{"ĐẶNG", "DANG"},
		{"đ", "d"},
		{"ư", "u"},
		{"Ư", "U"},
		{"ơ", "o"},
		{"ườ", "uo"},
		{"hưng", "hung"},
		{"quyết", "quyet"},
		{"søren", "soren"},
		{"straße", "strasse"},
		{"петров", "петров"},   // Cyrillic kept
		{"й", "й"},             // Cyrillic letter with a mark kept
		{"بالعالم", "بالعالم"}, // Arabic kept
		{"a\u0301", "a"},       // stray combining mark on a Latin letter
		{"東京", "東京"},
	}
	for _, tt := range tests {
		got, changed := Fold([]byte(tt.in))
		if string(got) != tt.want || changed != (tt.in != tt.want) {
			t.Errorf("Fold(%q) = %q, %v; want %q", tt.in, got, changed, tt.want)
		}
	}
}

type tok struct {
	term       string
	pos        int
	start, end int
}

func analyze(t *testing.T, text string) []tok {
	t.Helper()
	ix := openTestIndex(t, t.TempDir())
	var out []tok
	for _, k := range ix.text.Analyze([]byte(text)) {
		out = append(out, tok{string(k.Term), k.Position, k.Start, k.End})
	}
	return out
}

func TestAnalyzerKeepsOriginalAndFolded(t *testing.T) {
	text := "Nguyễn Văn THÀNH, Đà Nẵng 1975"
	got := analyze(t, text)
	at := func(w string) (int, int) { i := strings.Index(text, w); return i, i + len(w) }
	pair := func(orig, lower, folded string, pos int) []tok {
		s, e := at(orig)
		out := []tok{{lower, pos, s, e}}
		if folded != lower {
			out = append(out, tok{folded, pos, s, e})
		}
		return out
	}
	var want []tok
	want = append(want, pair("Nguyễn", "nguyễn", "nguyen", 1)...)
	want = append(want, pair("Văn", "văn", "van", 2)...)
	want = append(want, pair("THÀNH", "thành", "thanh", 3)...)
	want = append(want, pair("Đà", "đà", "da", 4)...)
	want = append(want, pair("Nẵng", "nẵng", "nang", 5)...)
	want = append(want, pair("1975", "1975", "1975", 6)...)
	if len(got) != len(want) {
		t.Fatalf("tokens %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("token %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestAnalyzerNFDInput(t *testing.T) {
	nfc := "Nguyễn Văn Thành Ư ơ"
	nfd := norm.NFD.String(nfc)
	a, b := analyze(t, nfc), analyze(t, nfd)
	if len(a) != len(b) {
		t.Fatalf("NFC %v\nNFD %v", a, b)
	}
	for i := range a {
		if a[i].term != b[i].term || a[i].pos != b[i].pos {
			t.Errorf("token %d: NFC %+v, NFD %+v", i, a[i], b[i])
		}
	}
	// offsets refer to the NFD text as given
	last := b[len(b)-1]
	if got := nfd[last.start:last.end]; norm.NFC.String(got) != "ơ" {
		t.Errorf("last NFD token spans %q", got)
	}
}

func TestAnalyzerOtherScripts(t *testing.T) {
	got := analyze(t, "Иван Петров مرحبا بالعالم")
	var terms []string
	for _, k := range got {
		terms = append(terms, k.term)
	}
	if strings.Join(terms, " ") != "иван петров مرحبا بالعالم" {
		t.Errorf("terms %q", terms)
	}
}

func TestFoldFilterConcurrent(t *testing.T) {
	ix := openTestIndex(t, t.TempDir())
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				ts := ix.text.Analyze([]byte("Nguyễn Văn Thành Đặng"))
				if len(ts) != 8 || string(ts[7].Term) != "dang" {
					t.Errorf("tokens %v", ts)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestFoldedTokensMatchIndexing: foldedTokens (which locates the matched
// words of the shown pages) gives the folded terms, positions and offsets
// analyzeText indexes in fText, on the fast path and off it (other
// scripts, decomposed marks, letters whose lower case is wider, the final
// sigma).
func TestFoldedTokensMatchIndexing(t *testing.T) {
	for _, text := range []string{
		"Nguyễn Văn THÀNH, Đà Nẵng 1975", "NGUYỄN VĂN ĐỨC đặng", norm.NFD.String("Trần Thị Bích Ngọc, Quảng Ngãi"),
		"Петров ΟΔΟΣ Σίσυφος", "Ⱥa ȺȾ ⱥ", "İstanbul ǅemal", "a.b 1,000 x_y don't", "東京 và Hà Nội", "",
	} {
		type loc struct {
			term            string
			pos, start, end int
		}
		var want []loc
		for term, tf := range analyzeText([]byte(text)).folded {
			for _, l := range tf.Locations {
				want = append(want, loc{term, l.Position, l.Start, l.End})
			}
		}
		slices.SortFunc(want, func(a, b loc) int { return a.pos - b.pos })
		var got []loc
		foldedTokens(text, func(term []byte, pos uint64, start, end int) {
			got = append(got, loc{string(term), int(pos), start, end})
		})
		if !slices.Equal(got, want) {
			t.Errorf("%q:\n foldedTokens %v\n analyzeText  %v", text, got, want)
		}
	}
}
