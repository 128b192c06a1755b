package index

import (
	"math"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
)

// tokenize returns the tokens of bleve's unicode tokenizer (Unicode word
// segmentation, UAX #29, keeping the words and numbers): by a fast path
// when buf is written in Latin script, as Vietnamese pages are, and by the
// tokenizer itself otherwise. The tokenizer's general segmenter was a
// third of the analysis of a page; the fast path applies the rules of
// UAX #29 that Latin text can reach:
//
//   - letters, digits and "_" join one another (WB5, WB8-10, WB13a/b);
//   - a combining mark belongs to the letter or digit before it (WB4);
//   - ":" or "." or "'" between two letters joins them (WB6/7), and "," or
//     ";" or "." or "'" between two digits (WB11/12);
//   - everything else breaks; the segments of letters, digits and "_" are
//     the tokens (underscores alone too, as the tokenizer keeps them).
//
// Any other rune (another script, a symbol or punctuation outside ASCII, a
// combining mark after anything but a letter or digit) sends the whole
// text to the tokenizer. The token types are not set (analyzeText does
// not read them). TestTokenizeMatchesBleve and FuzzTokenize compare the
// two.
func tokenize(buf []byte) analysis.TokenStream {
	if toks, ok := latinTokens(buf); ok {
		return toks
	}
	return textTokenizer.Tokenize(buf)
}

// Character classes of the fast path.
const (
	cOther       = iota // breaks (space, ASCII punctuation not below)
	cLetter             // ALetter
	cDigit              // Numeric
	cUnderscore         // ExtendNumLet
	cMark               // Extend: U+0300-U+036F
	cMidLetter          // ":"
	cMidNumLet          // "." and "'" (Single_Quote, treated alike)
	cMidNum             // "," and ";"
	cUnsupported        // anything else: use the tokenizer
)

// latinClass is the class of r.
func latinClass(r rune) int {
	switch {
	case r < utf8.RuneSelf:
		return int(asciiClass[r])
	case r < latinLow:
		return int(latinClasses[r-utf8.RuneSelf])
	case 0x1e00 <= r && r <= 0x1eff:
		return int(latinExtClasses[r-0x1e00])
	}
	return cUnsupported
}

// latinLow bounds the runes of latinClasses.
const latinLow = 0x370

// The classes of the runes below latinLow and of Latin Extended
// Additional, by latinClassSlow, in tables: the tokenizer looks up every
// rune of every page.
var asciiClass, latinClasses, latinExtClasses = func() (ascii [utf8.RuneSelf]uint8, low [latinLow - utf8.RuneSelf]uint8, ext [0x100]uint8) {
	for r := range rune(utf8.RuneSelf) {
		ascii[r] = uint8(latinClassSlow(r))
	}
	for r := rune(utf8.RuneSelf); r < latinLow; r++ {
		low[r-utf8.RuneSelf] = uint8(latinClassSlow(r))
	}
	for r := rune(0x1e00); r <= 0x1eff; r++ {
		ext[r-0x1e00] = uint8(latinClassSlow(r))
	}
	return
}()

// latinClassSlow is the class of r, by the rules above.
func latinClassSlow(r rune) int {
	if r < utf8.RuneSelf {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
			return cLetter
		case '0' <= r && r <= '9':
			return cDigit
		case r == '_':
			return cUnderscore
		case r == ':':
			return cMidLetter
		case r == '.', r == '\'':
			return cMidNumLet
		case r == ',', r == ';':
			return cMidNum
		}
		return cOther
	}
	switch {
	case 0x300 <= r && r <= 0x36f:
		return cMark
	case (0xc0 <= r && r <= 0x24f) || (0x1e00 <= r && r <= 0x1eff):
		if unicode.IsLetter(r) {
			return cLetter
		}
	}
	return cUnsupported
}

// latinTokens is the fast path of tokenize; ok is false when buf has a
// rune it does not handle.
func latinTokens(buf []byte) (analysis.TokenStream, bool) {
	spans, ok := latinSpans(buf, make([]int32, 0, len(buf)/2))
	if !ok {
		return nil, false
	}
	toks := make([]analysis.Token, len(spans)/2)
	out := make(analysis.TokenStream, len(toks))
	for i := range toks {
		from, end := int(spans[2*i]), int(spans[2*i+1])
		toks[i] = analysis.Token{Term: buf[from:end:end], Start: from, End: end, Position: i + 1}
		out[i] = &toks[i]
	}
	return out, true
}

// eachToken calls fn with the tokens tokenize returns for buf, in order
// (the term is buf's bytes), without making the token stream when buf
// takes the fast path: locating the matched words of a page's text
// analyzes it again at every search.
func eachToken(buf []byte, fn func(term []byte, start, end, pos int)) {
	if spans, ok := latinSpans(buf, make([]int32, 0, len(buf)/2)); ok {
		for i := 0; i < len(spans); i += 2 {
			from, end := int(spans[i]), int(spans[i+1])
			fn(buf[from:end:end], from, end, i/2+1)
		}
		return
	}
	for _, tok := range textTokenizer.Tokenize(buf) {
		fn(tok.Term, tok.Start, tok.End, tok.Position)
	}
}

// latinSpans appends to spans the byte range (from, end) of each token of
// buf by the rules of the fast path, in order, in one pass over its runes.
// ok is false when buf has a rune the fast path does not handle (spans
// then holds some tokens: discard them).
func latinSpans(buf []byte, spans []int32) (_ []int32, ok bool) {
	if len(buf) > math.MaxInt32 {
		return spans, false
	}
	const none = -1
	last := cOther           // the class of the last character (marks belong to it)
	from, end := none, 0     // the token being read, when from is not none
	prev := cOther           // the class of its last character
	mid, midClass := none, 0 // a middle character after it, which joins it to the next character or ends it
	for i := 0; i < len(buf); {
		c, n := 0, 1
		if b := buf[i]; b < utf8.RuneSelf {
			c = int(asciiClass[b])
		} else {
			var r rune
			r, n = utf8.DecodeRune(buf[i:])
			c = latinClass(r)
		}
		switch c {
		case cUnsupported:
			return spans, false
		case cMark:
			// WB4: it extends a letter or digit (and its marks); handled
			// here only there
			if last != cLetter && last != cDigit {
				return spans, false
			}
			if from != none {
				end = i + n
			}
			i += n
			continue
		}
		last = c
		if mid != none {
			if joinsWord(prev, midClass, c) {
				mid, prev, end = none, c, i+n
				i += n
				continue
			}
			spans = append(spans, int32(from), int32(mid))
			from, mid = none, none
		}
		switch {
		case c == cLetter || c == cDigit || c == cUnderscore:
			if from == none {
				from = i
			}
			prev, end = c, i+n
		case from == none:
		case c == cMidLetter || c == cMidNumLet || c == cMidNum:
			mid, midClass = i, c
		default:
			spans = append(spans, int32(from), int32(end))
			from = none
		}
		i += n
	}
	if from != none {
		if mid != none {
			end = mid
		}
		spans = append(spans, int32(from), int32(end))
	}
	return spans, true
}

// joinsWord reports whether a middle character of class m between
// characters of classes p and nx joins them into one token (WB6/7,
// WB11/12).
func joinsWord(p, m, nx int) bool {
	switch {
	case p == cLetter && nx == cLetter:
		return m == cMidLetter || m == cMidNumLet
	case p == cDigit && nx == cDigit:
		return m == cMidNum || m == cMidNumLet
	}
	return false
}
