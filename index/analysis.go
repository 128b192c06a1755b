package index

import (
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/shingle"
	unitok "github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/registry"
	bindex "github.com/blevesearch/bleve_index_api"
	"golang.org/x/text/unicode/norm"
)

// Names under which the analysis pieces are registered with bleve. They are
// written into the index's stored mapping, so they must never change.
const (
	// FoldFilterName is the token filter that NFC-normalizes a token, folds
	// Latin diacritics (đ→d included) and keeps the original token at the
	// same position when folding changed it.
	FoldFilterName = "hoso_fold"
	// AnalyzerName is the text analyzer: Unicode word segmentation (UAX #29),
	// lower case, then FoldFilterName.
	AnalyzerName = "hoso_vi"
	// FoldOnlyFilterName is FoldFilterName without the original token.
	FoldOnlyFilterName = "hoso_fold_only"
	// ShingleAnalyzerName makes folded word pairs ("nguyen van", "van
	// thanh") for the phrase pre-filter field.
	ShingleAnalyzerName = "hoso_vi_pairs"
	shingleFilterName   = "hoso_pairs"
)

func init() {
	if err := registry.RegisterTokenFilter(FoldFilterName, func(map[string]interface{}, *registry.Cache) (analysis.TokenFilter, error) {
		return FoldFilter{}, nil
	}); err != nil {
		panic(err)
	}
	if err := registry.RegisterTokenFilter(FoldOnlyFilterName, func(map[string]interface{}, *registry.Cache) (analysis.TokenFilter, error) {
		return FoldFilter{FoldedOnly: true}, nil
	}); err != nil {
		panic(err)
	}
}

// addAnalyzer registers the text analyzers in an index mapping.
func addAnalyzer(im *mapping.IndexMappingImpl) error {
	if err := im.AddCustomTokenFilter(shingleFilterName, map[string]interface{}{
		"type": shingle.Name, "min": 2.0, "max": 2.0, "output_original": false, "separator": " ",
	}); err != nil {
		return err
	}
	if err := im.AddCustomAnalyzer(ShingleAnalyzerName, map[string]interface{}{
		"type":          custom.Name,
		"tokenizer":     unitok.Name,
		"token_filters": []string{lowercase.Name, FoldOnlyFilterName, shingleFilterName},
	}); err != nil {
		return err
	}
	return im.AddCustomAnalyzer(AnalyzerName, map[string]interface{}{
		"type":          custom.Name,
		"tokenizer":     unitok.Name,
		"token_filters": []string{lowercase.Name, FoldFilterName},
	})
}

// FoldFilter is a bleve token filter in the manner of Elasticsearch's
// asciifolding with preserve_original: every token is first normalized to NFC
// (so decomposed input with combining marks indexes like composed input);
// when folding its Latin letters to ASCII changes it, the filter emits the
// original token and then the folded one, both at the same position and byte
// offsets. A query typed with diacritics then matches documents that have the
// exact word on two terms and documents with other diacritics on one, so
// exact matches rank first; a query typed without diacritics matches every
// variant through the folded term. Letters of other scripts (Cyrillic,
// Arabic, ...) are left as they are.
//
// With FoldedOnly set, only the folded token is emitted.
//
// FoldFilter has no state and is safe for concurrent use; it never modifies
// the input's bytes in place.
type FoldFilter struct {
	FoldedOnly bool
}

// Filter implements analysis.TokenFilter.
func (ff FoldFilter) Filter(input analysis.TokenStream) analysis.TokenStream {
	out := make(analysis.TokenStream, 0, len(input)+len(input)/2)
	for _, tok := range input {
		if isASCII(tok.Term) {
			out = append(out, tok)
			continue
		}
		term := tok.Term
		if !norm.NFC.IsNormal(term) {
			term = norm.NFC.Bytes(term)
		}
		orig := *tok
		orig.Term = term
		folded, changed := Fold(term)
		if ff.FoldedOnly {
			orig.Term = folded
			out = append(out, &orig)
			continue
		}
		out = append(out, &orig)
		if changed {
			f := orig
			f.Term = folded
			out = append(out, &f)
		}
	}
	return out
}

// Fold returns b with Latin diacritics removed and Latin special letters
// mapped to ASCII (đ→d, ø→o, ß→ss, ...), and whether anything changed. Other
// scripts are kept, including their combining marks. b is not modified.
func Fold(b []byte) ([]byte, bool) {
	if isASCII(b) {
		return b, false
	}
	out, changed := appendFold(make([]byte, 0, len(b)), b)
	if !changed {
		return b, false
	}
	return out, true
}

// appendFold appends Fold(b) to dst (b itself when nothing changes), and
// whether anything changed.
func appendFold(dst, b []byte) ([]byte, bool) {
	changed := false
	latinBase := false
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		i += n
		if r < utf8.RuneSelf {
			dst = append(dst, byte(r))
			latinBase = true
			continue
		}
		if rep, ok := foldRune(r); ok {
			dst = append(dst, rep...)
			changed, latinBase = true, true
			continue
		}
		if latinBase && unicode.Is(unicode.Mn, r) {
			changed = true // a stray combining mark on a Latin letter
			continue
		}
		latinBase = unicode.Is(unicode.Latin, r)
		dst = utf8.AppendRune(dst, r)
	}
	return dst, changed
}

// FoldString is Fold for strings.
func FoldString(s string) string {
	f, _ := Fold([]byte(s))
	return string(f)
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// foldTable maps the letters of Latin-1 Supplement, Latin Extended-A/B and
// Latin Extended Additional (where Vietnamese letters such as ạ, ế, ữ live)
// to ASCII. It is built once at init and only read afterwards.
var foldTable = buildFoldTable()

type foldRange struct {
	lo, hi rune
	rep    []string
}

func (t *foldRange) lookup(r rune) (string, bool) {
	if r < t.lo || r >= t.hi {
		return "", false
	}
	s := t.rep[r-t.lo]
	return s, s != ""
}

var foldSpecial = map[rune]string{
	'đ': "d", 'Đ': "D", 'ð': "d", 'Ð': "D", 'ø': "o", 'Ø': "O", 'ł': "l", 'Ł': "L",
	'ß': "ss", 'æ': "ae", 'Æ': "AE", 'œ': "oe", 'Œ': "OE", 'ı': "i", 'þ': "th", 'Þ': "TH",
	'ħ': "h", 'Ħ': "H", 'ŧ': "t", 'Ŧ': "T", 'ƀ': "b", 'ƒ': "f",
}

func buildFoldTable() []*foldRange {
	ranges := []*foldRange{{lo: 0xC0, hi: 0x250}, {lo: 0x1E00, hi: 0x1F00}}
	for _, fr := range ranges {
		fr.rep = make([]string, fr.hi-fr.lo)
		for r := fr.lo; r < fr.hi; r++ {
			if s, ok := foldSpecial[r]; ok {
				fr.rep[r-fr.lo] = s
				continue
			}
			var base []rune
			for _, d := range norm.NFD.String(string(r)) {
				if !unicode.Is(unicode.Mn, d) {
					base = append(base, d)
				}
			}
			if s := string(base); s != string(r) && isASCII([]byte(s)) && s != "" {
				fr.rep[r-fr.lo] = s
			}
		}
	}
	return ranges
}

func foldRune(r rune) (string, bool) {
	for _, t := range foldTable {
		if s, ok := t.lookup(r); ok {
			return s, true
		}
	}
	return "", false
}

// Tokenizer and lower-case filter of AnalyzerName, used directly by
// analyzeText (both are stateless and safe for concurrent use).
var (
	textTokenizer = unitok.NewUnicodeTokenizer()
	textLower     = lowercase.NewLowerCaseFilter()
)

// textAnalysis is a page text analyzed once for the fields fText (folded
// terms, with locations), fTextExact (original spellings that folding
// changes, without locations) and fTextPairs (adjacent folded words that
// are both name syllables, see pairWords).
type textAnalysis struct {
	folded, exact, pairs    bindex.TokenFrequencies
	nFolded, nExact, nPairs int
}

// analyzeText tokenizes and folds text in one pass, with the tokens of
// AnalyzerName: each position's folded term goes to folded, the original
// term to exact when folding changed it. buf must be a private copy of the
// text: lower-casing overwrites it.
func analyzeText(buf []byte) *textAnalysis {
	toks := textLower.Filter(tokenize(buf))
	n := len(toks)
	folded := make([][]byte, n)
	locs := make([]bindex.TokenLocation, n)
	exact := make([][]byte, 0, n)
	pairBytes, npairs := 0, 0
	for i, tok := range toks {
		term, orig := foldTerm(tok.Term)
		if orig != nil {
			exact = append(exact, orig)
		}
		folded[i] = term
		locs[i] = bindex.TokenLocation{Start: tok.Start, End: tok.End, Position: tok.Position}
		if i > 0 && isPairWord(folded[i-1]) && isPairWord(term) {
			pairBytes += len(folded[i-1]) + 1 + len(term)
			npairs++
		}
	}
	var pairs [][]byte
	if npairs > 0 {
		pairs = make([][]byte, 0, npairs)
		slab := make([]byte, 0, pairBytes)
		for i := 1; i < n; i++ {
			if !isPairWord(folded[i-1]) || !isPairWord(folded[i]) {
				continue
			}
			at := len(slab)
			slab = append(slab, folded[i-1]...)
			slab = append(slab, ' ')
			slab = append(slab, folded[i]...)
			pairs = append(pairs, slab[at:len(slab):len(slab)])
		}
	}
	return &textAnalysis{
		folded: tokenFreqs(folded, locs), nFolded: n,
		exact: tokenFreqs(exact, nil), nExact: len(exact),
		pairs: tokenFreqs(pairs, nil), nPairs: len(pairs),
	}
}

// foldTerm returns a lower-cased token's folded term for fText and, when
// folding changed it, its original spelling (NFC) for fTextExact.
func foldTerm(term []byte) (folded, orig []byte) {
	if isASCII(term) {
		return term, nil
	}
	folded, orig, _ = foldTermInto(make([]byte, 0, len(term)), term)
	return folded, orig
}

// foldTermInto is foldTerm writing the folded term into buf's array (from
// its start), and returning that array for the next term.
func foldTermInto(buf, term []byte) (folded, orig, spare []byte) {
	if isASCII(term) {
		return term, nil, buf
	}
	if !norm.NFC.IsNormal(term) {
		term = norm.NFC.Bytes(term)
	}
	out, changed := appendFold(buf[:0], term)
	if !changed {
		return term, nil, out
	}
	return out, term, out
}

// foldedTokens calls fn with each folded term of text and its location, as
// analyzeText indexes them in fText. The term's bytes are fn's only until
// it returns.
func foldedTokens(text string, fn func(term []byte, pos uint64, start, end int)) {
	buf := []byte(text) // lower-casing overwrites it
	// a stream of one token, reused: bleve's filter lower-cases each term
	// as indexing did
	one := analysis.TokenStream{{}}
	var spare []byte
	eachToken(buf, func(term []byte, start, end, pos int) {
		one[0].Term = term
		term, _, spare = foldTermInto(spare, textLower.Filter(one)[0].Term)
		fn(term, uint64(pos), start, end)
	})
}

// tokenFreqs counts terms, with their locations when locs is not nil, in
// a few large allocations rather than one per term and location.
func tokenFreqs(terms [][]byte, locs []bindex.TokenLocation) bindex.TokenFrequencies {
	m := make(bindex.TokenFrequencies, len(terms)/2+1)
	slab := make([]bindex.TokenFreq, 0, len(terms))
	var of []*bindex.TokenFreq
	if locs != nil {
		of = make([]*bindex.TokenFreq, len(terms))
	}
	for i, t := range terms {
		tf := m[string(t)]
		if tf == nil {
			slab = append(slab, bindex.TokenFreq{Term: t})
			tf = &slab[len(slab)-1]
			// The key shares t's bytes rather than copying them (one
			// allocation less per distinct term): the terms of a page's
			// analysis are never modified once made.
			m[unsafe.String(unsafe.SliceData(t), len(t))] = tf
		}
		tf.SetFrequency(tf.Frequency() + 1)
		if of != nil {
			of[i] = tf
		}
	}
	if of != nil {
		ptrs := make([]*bindex.TokenLocation, len(terms))
		off := 0
		for k := range slab {
			f := slab[k].Frequency()
			slab[k].Locations = ptrs[off : off : off+f]
			off += f
		}
		for i, tf := range of {
			tf.Locations = append(tf.Locations, &locs[i])
		}
	}
	return m
}

// pairWords are the (folded) syllables of Vietnamese family, middle and
// given names. Two adjacent words of the page text that are both in it are
// indexed as one term of fTextPairs, so a phrase made of such words ("nguyen
// van hung", the commonest kind of phrase query) is checked only on pages
// that have all its pairs: name syllables are the commonest words of a
// dossier, and pages holding all of a name's words are many times more than
// pages holding the name. Pairs of other words are not indexed (a phrase
// with a rarer word is cheap to check without them), which keeps the field
// at a quarter of all pairs. The list is part of the index layout
// (layoutVersion): changing it requires a rebuild.
var pairWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(pairWordList) {
		m[w] = true
	}
	return m
}()

const pairWordList = `
an anh au ba bac bach bang banh bao be bich binh bui cam canh cao chanh chau
chi chien chinh chu chuong cong cu cuc cuong dai dam dan dang danh dao dat
dau diem dien diep dieu dinh do doan doanh dong duc dung duoc duong duy
duyen gam gia giang giao giap gioi ha hai han hang hanh hao hau hien hiep
hieu ho hoa hoai hoan hoang hoc hoe hoi hong hop hua huan hue hung huong huu
huy huyen huynh hy ke kha khac khai khang khanh khiem khiet khoa khoi khong
khuc khue khuong khuyen kien kiet kieu kim kinh ky la lac lai lam lan lap le
liem lien lieu linh lo loan loc loi long lu lua luan luc luong luu luyen ly
ma mac mai man manh mau mien minh mo mong mui mung my nam nga ngan nghi
nghia nghiem ngo ngoan ngoc nguyen nguyet nha nham nhan nhat nhi nhien nhon
nhu nhuan nhung nhuong nhut ninh nong nu nuong oai oanh ong pham phan phap
phat phi phong phu phuc phung phuoc phuong quach quan quang que quoc quy
quyen quyet quynh sam sang sen si sinh son suong suu sy ta tai tam tan tang
tao thach thai tham than thang thanh thao the thi thiem thien thiep thiet
thieu thin thinh tho thoa thoai thong thu thuan thuat thuc thuong thuy tich
tien tiep tieu tin tinh to toai toan ton tong tra tram tran trang tri triet
trieu trinh trong truc trung truong truyen tu tuan tuat tue tung tuoi tuong
tuyen tuyet ty ung uoc uy uyen van vien viet vinh vo vu vui vuong vy xoan
xuan xuyen yen
`

func isPairWord(b []byte) bool { return pairWords[string(b)] }
