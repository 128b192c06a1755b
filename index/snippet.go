package index

import (
	"html"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/search"

	"hoso/domain"
)

const (
	snippetCount = 3   // fragments per page hit
	snippetBytes = 200 // about this long each
)

// termLocs returns the distinct matched byte ranges of the page text, in
// text order. The original and folded terms of one word share one range.
func termLocs(m search.TermLocationMap, textLen int) []TermLoc {
	var out []TermLoc
	for _, locs := range m {
		for _, l := range locs {
			if int(l.End) <= textLen && l.Start < l.End {
				out = append(out, TermLoc{Start: int(l.Start), End: int(l.End)})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Start != out[j].Start {
			return out[i].Start < out[j].Start
		}
		return out[i].End > out[j].End
	})
	// drop duplicates and ranges inside the previous one
	j := 0
	for _, t := range out {
		if j > 0 && t.Start < out[j-1].End {
			continue
		}
		out[j] = t
		j++
	}
	return out[:j]
}

// snippets cuts up to n fragments of about size bytes from text around the
// matched ranges terms (sorted, disjoint), with the matches in <mark> and all
// text HTML-escaped. Fragments start and end at word boundaries where one is
// near, and always at rune boundaries; "…" marks cut text.
func snippets(text string, terms []TermLoc, n, size int) []string {
	var out []string
	for i := 0; i < len(terms) && len(out) < n; {
		start := snapBack(text, max(0, terms[i].Start-size/3))
		end := snapForward(text, min(len(text), start+size))
		if end < terms[i].End {
			end = terms[i].End
		}
		var b strings.Builder
		if start > 0 {
			b.WriteString("…")
		}
		pos := start
		for ; i < len(terms) && terms[i].End <= end; i++ {
			b.WriteString(html.EscapeString(text[pos:terms[i].Start]))
			b.WriteString("<mark>")
			b.WriteString(html.EscapeString(text[terms[i].Start:terms[i].End]))
			b.WriteString("</mark>")
			pos = terms[i].End
		}
		b.WriteString(html.EscapeString(text[pos:end]))
		if end < len(text) {
			b.WriteString("…")
		}
		out = append(out, strings.Join(strings.Fields(b.String()), " "))
	}
	return out
}

// snapBack moves i back to a rune boundary, then to just after a space if
// one is within 20 bytes.
func snapBack(s string, i int) int {
	for i > 0 && i < len(s) && !utf8.RuneStart(s[i]) {
		i--
	}
	for j := i; j >= 0 && i-j < 20; j-- {
		if j == 0 || s[j-1] == ' ' || s[j-1] == '\n' {
			return j
		}
	}
	return i
}

// snapForward moves i forward to a rune boundary, then to a space if one is
// within 20 bytes.
func snapForward(s string, i int) int {
	for i < len(s) && !utf8.RuneStart(s[i]) {
		i++
	}
	for j := i; j <= len(s) && j-i < 20; j++ {
		if j == len(s) || s[j] == ' ' || s[j] == '\n' {
			return j
		}
	}
	return i
}

// Boxes returns the OCR words of res that the hit's matched terms cover, in
// the order of res.Words, so a page view can mark them on the scan. res must
// be the OCRResult stored under hit.TextKey: term offsets and Word.Start are
// byte offsets into the same text.
func Boxes(hit PageHit, res *domain.OCRResult) []domain.Word {
	if res == nil || len(hit.Terms) == 0 {
		return nil
	}
	var out []domain.Word
	for _, w := range res.Words {
		ws, we := w.Start, w.Start+len(w.Text)
		// terms are sorted and disjoint: find the first ending after ws
		k := sort.Search(len(hit.Terms), func(i int) bool { return hit.Terms[i].End > ws })
		if k < len(hit.Terms) && hit.Terms[k].Start < we {
			out = append(out, w)
		}
	}
	return out
}
