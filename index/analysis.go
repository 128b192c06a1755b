package index

import (
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/shingle"
	unitok "github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/registry"
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
	out := make([]byte, 0, len(b))
	changed := false
	latinBase := false
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		i += n
		if r < utf8.RuneSelf {
			out = append(out, byte(r))
			latinBase = true
			continue
		}
		if rep, ok := foldRune(r); ok {
			out = append(out, rep...)
			changed, latinBase = true, true
			continue
		}
		if latinBase && unicode.Is(unicode.Mn, r) {
			changed = true // a stray combining mark on a Latin letter
			continue
		}
		latinBase = unicode.Is(unicode.Latin, r)
		out = utf8.AppendRune(out, r)
	}
	if !changed {
		return b, false
	}
	return out, true
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
