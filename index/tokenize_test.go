package index

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"

	"hoso/internal/corpus"
)

// sameTokens compares tokenize's tokens of s, and eachToken's, with
// bleve's unicode tokenizer's (terms, offsets, positions; not types).
func sameTokens(t *testing.T, s string) bool {
	t.Helper()
	str := func(term []byte, start, end, pos int) string {
		return fmt.Sprintf("%s@%d-%d#%d", term, start, end, pos)
	}
	strs := func(ts analysis.TokenStream) string {
		var out []string
		for _, tok := range ts {
			out = append(out, str(tok.Term, tok.Start, tok.End, tok.Position))
		}
		return strings.Join(out, " ")
	}
	var each []string
	eachToken([]byte(s), func(term []byte, start, end, pos int) { each = append(each, str(term, start, end, pos)) })
	g, e, w := strs(tokenize([]byte(s))), strings.Join(each, " "), strs(textTokenizer.Tokenize([]byte(s)))
	if g != w || e != w {
		t.Errorf("%q:\n fast  %v\n each  %v\n bleve %v", s, g, e, w)
		return false
	}
	return true
}

// TestTokenizeMatchesBleve: the fast path gives bleve's tokens on a table
// of the rules' corner cases, on generated dossier pages, and on random
// strings over letters, digits, marks and the characters that join or
// break words; and it does take the fast path on Vietnamese pages.
func TestTokenizeMatchesBleve(t *testing.T) {
	for _, s := range []string{
		"", " ", "Nguyễn Văn Thành", "NGUYỄN VĂN THÀNH", "Số: 123/QĐ-UBND", "ngày 12/03/2019", "3.14 1,000,000 1;2 1'2 1:2",
		"a.b a:b a'b a,b a;b a..b a.:b .a a. :a a:", "e.g. U.S.A. don't l'amour", "a_b _a a_ __ _ 1_2 _1_ a_.b",
		"HS-2024-000123", "CCCD: 012345678901", "Nguye\u0302\u0303n", "a\u0301b", "1\u0301", "x\u0301\u0302y", "tel:0912.345.678",
		"ĐẶNG ĐỨC DŨNG", "Ưu tiên; ý kiến: đồng ý.", "(Hà Nội)", "a\tb\nc\r\nd", "'a' \"b\"", "a'", "'a", "1.", ".1",
		"a1b2 1a 1.a a.1 1,a", "ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúýĂăĐđĨĩŨũƠơƯưẠạẢả", "Øre Æble œuvre ß",
	} {
		sameTokens(t, s)
	}
	for i := range 30 {
		d := corpus.Dossier(i)
		for _, doc := range d.Documents {
			for _, p := range doc.Pages {
				if _, ok := latinTokens([]byte(p.Text.Text)); !ok {
					t.Errorf("dossier %d: a corpus page does not take the fast path", i)
				}
				sameTokens(t, p.Text.Text)
			}
		}
	}
	alphabet := []string{"a", "Z", "đ", "Ư", "ễ", "1", "0", "_", ":", ".", "'", ",", ";", " ", "-", "\n", "/", "\u0301", "\u0323", "×", "ª", "·", "’", "й", "\u00ad"}
	rng := rand.New(rand.NewPCG(1, 2))
	failures := 0
	for range 20000 {
		var b strings.Builder
		for range 1 + rng.IntN(12) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		if !sameTokens(t, b.String()) {
			if failures++; failures > 10 {
				t.Fatal("too many differences")
			}
		}
	}
}

// FuzzTokenize: tokenize and bleve's tokenizer agree on any input.
func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"Nguyễn Văn Thành", "a.b 1,2 a_b", "a\u0301b", "Số: 12/QĐ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sameTokens(t, s)
	})
}
