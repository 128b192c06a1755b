// Package textmetrics measures recognized text against the truth, for tests
// and benchmarks of OCR.
package textmetrics

import (
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Normalize NFC-normalizes s and collapses each run of whitespace (spaces,
// line breaks) into one space, trimming the ends: layout is not measured.
func Normalize(s string) string {
	return strings.Join(strings.Fields(norm.NFC.String(s)), " ")
}

// Distance is the Levenshtein distance between a and b counted in runes
// (insertions, deletions and substitutions all cost 1).
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) < len(rb) {
		ra, rb = rb, ra
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// CER is the character error rate of hyp against the reference ref: the
// edit distance between the normalized texts divided by the reference's
// length in runes. It is 0 for a perfect match, can exceed 1 when hyp is
// much longer, and is 0 when both are empty (1 when only ref is).
func CER(ref, hyp string) float64 {
	r, h := Normalize(ref), Normalize(hyp)
	n := len([]rune(r))
	if n == 0 {
		if h == "" {
			return 0
		}
		return 1
	}
	return float64(Distance(r, h)) / float64(n)
}
