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

func latinClass(r rune) int {
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
	// classes of the runes, and where each starts
	type ch struct {
		at    int32 // page texts are far below 2 GiB; len(buf) is checked
		class uint8
	}
	if len(buf) > math.MaxInt32 {
		return nil, false
	}
	chars := make([]ch, 0, len(buf))
	for i := 0; i < len(buf); {
		r, n := rune(buf[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRune(buf[i:])
		}
		c := latinClass(r)
		switch {
		case c == cUnsupported:
			return nil, false
		case c == cMark:
			// WB4: it extends the character before; handled here only
			// after a letter, digit or another such mark
			if len(chars) == 0 {
				return nil, false
			}
			switch chars[len(chars)-1].class {
			case cLetter, cDigit:
			default:
				return nil, false
			}
			i += n
			continue // the mark belongs to the previous character
		}
		chars = append(chars, ch{int32(i), uint8(c)})
		i += n
	}
	word := func(c int) bool { return c == cLetter || c == cDigit || c == cUnderscore }
	joins := func(k int) bool { // whether chars[k] (a middle character) joins its neighbours
		if k == 0 || k+1 >= len(chars) {
			return false
		}
		p, m, nx := int(chars[k-1].class), int(chars[k].class), int(chars[k+1].class)
		switch {
		case p == cLetter && nx == cLetter:
			return m == cMidLetter || m == cMidNumLet
		case p == cDigit && nx == cDigit:
			return m == cMidNum || m == cMidNumLet
		}
		return false
	}
	var toks []analysis.Token
	pos := 1
	for k := 0; k < len(chars); {
		if !word(int(chars[k].class)) {
			k++
			continue
		}
		start := k
		for k < len(chars) {
			c := int(chars[k].class)
			if word(c) {
				k++
				continue
			}
			if (c == cMidLetter || c == cMidNumLet || c == cMidNum) && joins(k) {
				k++
				continue
			}
			break
		}
		end := len(buf)
		if k < len(chars) {
			end = int(chars[k].at)
		}
		from := int(chars[start].at)
		toks = append(toks, analysis.Token{Term: buf[from:end:end], Start: from, End: end, Position: pos})
		pos++
	}
	out := make(analysis.TokenStream, len(toks))
	for i := range toks {
		out[i] = &toks[i]
	}
	return out, true
}
