package server

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"hoso/domain"
)

// Aligning a corrected text with the machine words.
//
// A correction is typed text without positions, but a search hit on a
// corrected page must still mark its word on the scan. alignWords gives the
// corrected text's words boxes taken from the words of the text it
// corrects: a word-level diff (Myers, on exact word text) pairs them, then
//
//   - an unchanged word keeps its box and confidence;
//   - in a replaced run (m old words become k new ones), new word i takes
//     the box of old word i*m/k; when several new words fall on one old word
//     (a split: "NguyễnVăn" -> "Nguyễn Văn") its box is cut across in
//     proportion to their lengths, and when one new word covers several old
//     ones (a join: "Ng uyễn" -> "Nguyễn") it takes the union of their boxes
//     if they share a line;
//   - a word inserted where no old word was (a word the OCR missed) takes
//     the gap between its neighbours when they share a line, else the
//     previous (or next) word's box, so a hit marks the right spot roughly.
//
// Words typed by a person get confidence 100. If the diff would exceed
// maxAlignEdits edits (a text replaced wholesale) the whole text is treated
// as one replaced run.

const maxAlignEdits = 1000

// token is a word of a text: a maximal run of non-space characters.
type token struct {
	text  string
	start int
}

func tokenize(text string) []token {
	var out []token
	start := -1
	for i, r := range text {
		if unicode.IsSpace(r) {
			if start >= 0 {
				out = append(out, token{text[start:i], start})
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, token{text[start:], start})
	}
	return out
}

// baseTokens splits the old words into single tokens (an OCR word may hold
// a space), cutting a word's box across for its parts.
func baseTokens(words []domain.Word) []domain.Word {
	var out []domain.Word
	for _, w := range words {
		parts := tokenize(w.Text)
		if len(parts) <= 1 {
			out = append(out, w)
			continue
		}
		lens := make([]int, len(parts))
		for i, p := range parts {
			lens[i] = utf8.RuneCountInString(p.text)
		}
		for i, b := range splitBox(w, lens) {
			b.Text, b.Start = parts[i].text, w.Start+parts[i].start
			out = append(out, b)
		}
	}
	return out
}

// alignWords returns the words of text with boxes from base (see above).
func alignWords(base []domain.Word, text string) []domain.Word {
	old := baseTokens(base)
	toks := tokenize(text)
	out := make([]domain.Word, len(toks))
	for i, t := range toks {
		out[i] = domain.Word{Text: t.text, Start: t.start, Confidence: 100}
	}
	if len(old) == 0 || len(toks) == 0 {
		return out
	}
	ops, ok := diffWords(old, toks)
	if !ok {
		ops = []diffOp{{kind: opReplace, a0: 0, a1: len(old), b0: 0, b1: len(toks)}}
	}
	var inserts []diffOp
	for _, op := range ops {
		switch {
		case op.kind == opEqual:
			for i := 0; i < op.b1-op.b0; i++ {
				w := old[op.a0+i]
				w.Text, w.Start = out[op.b0+i].Text, out[op.b0+i].Start
				out[op.b0+i] = w
			}
		case op.a1 > op.a0 && op.b1 > op.b0:
			replaceRun(old[op.a0:op.a1], out[op.b0:op.b1])
		case op.b1 > op.b0:
			inserts = append(inserts, op)
		}
	}
	for _, op := range inserts { // after the others: they need their neighbours' boxes
		insertRun(old, op, out)
	}
	return out
}

// replaceRun gives the new words nw boxes from the old words ow (both non-empty).
func replaceRun(ow []domain.Word, nw []domain.Word) {
	m, k := len(ow), len(nw)
	if k >= m {
		for j := 0; j < m; {
			// the new words i with i*m/k == j share old word j
			var idx []int
			for i := 0; i < k; i++ {
				if i*m/k == j {
					idx = append(idx, i)
				}
			}
			lens := make([]int, len(idx))
			for n, i := range idx {
				lens[n] = utf8.RuneCountInString(nw[i].Text)
			}
			for n, b := range splitBox(ow[j], lens) {
				setBox(&nw[idx[n]], b)
			}
			j++
		}
		return
	}
	for i := 0; i < k; i++ {
		lo, hi := i*m/k, (i+1)*m/k
		b := ow[lo]
		for _, w := range ow[lo+1 : hi] {
			if sameLine(b, w) {
				b = union(b, w)
			}
		}
		setBox(&nw[i], b)
	}
}

// insertRun gives words inserted at old position op.a0 boxes from their
// neighbours: the new word before the run and the old word after it.
func insertRun(old []domain.Word, op diffOp, out []domain.Word) {
	var prev, next *domain.Word
	if op.b0 > 0 {
		prev = &out[op.b0-1]
	}
	if op.a0 < len(old) {
		next = &old[op.a0]
	}
	run := out[op.b0:op.b1]
	lens := make([]int, len(run))
	for i, w := range run {
		lens[i] = utf8.RuneCountInString(w.Text)
	}
	var b domain.Word
	switch {
	case prev != nil && next != nil && sameLine(*prev, *next) && prev.X1 < next.X0:
		b = domain.Word{X0: prev.X1, X1: next.X0, Y0: min(prev.Y0, next.Y0), Y1: max(prev.Y1, next.Y1)}
	case prev != nil && prev.X1 > prev.X0:
		b = *prev
	case next != nil:
		b = *next
	default:
		return
	}
	for i, bx := range splitBox(b, lens) {
		setBox(&run[i], bx)
	}
}

func setBox(w *domain.Word, b domain.Word) {
	w.X0, w.Y0, w.X1, w.Y1 = b.X0, b.Y0, b.X1, b.Y1
}

// splitBox cuts w's box across into len(lens) boxes with widths in
// proportion to lens (rune counts).
func splitBox(w domain.Word, lens []int) []domain.Word {
	out := make([]domain.Word, len(lens))
	total := 0
	for _, l := range lens {
		total += max(l, 1)
	}
	x, acc, width := w.X0, 0, w.X1-w.X0
	for i, l := range lens {
		acc += max(l, 1)
		x1 := w.X0 + width*acc/total
		out[i] = domain.Word{X0: x, Y0: w.Y0, X1: x1, Y1: w.Y1, Confidence: w.Confidence}
		x = x1
	}
	return out
}

// sameLine reports whether two boxes overlap vertically by half the lower one.
func sameLine(a, b domain.Word) bool {
	ov := min(a.Y1, b.Y1) - max(a.Y0, b.Y0)
	return ov > 0 && 2*ov >= min(a.Y1-a.Y0, b.Y1-b.Y0)
}

func union(a, b domain.Word) domain.Word {
	a.X0, a.Y0, a.X1, a.Y1 = min(a.X0, b.X0), min(a.Y0, b.Y0), max(a.X1, b.X1), max(a.Y1, b.Y1)
	return a
}

// diffOp is a run of the edit script: old words [a0,a1) against new words
// [b0,b1); equal runs have the same length.
type diffOp struct {
	kind           int
	a0, a1, b0, b1 int
}

const (
	opEqual = iota
	opReplace
)

// diffWords returns the edit script from a to b as equal runs and changed
// runs (Myers' O(ND) algorithm, keeping O(D²) of trace). ok is false when
// more than maxAlignEdits edits are needed.
func diffWords(a []domain.Word, b []token) ([]diffOp, bool) {
	n, m := len(a), len(b)
	maxD := min(n+m, maxAlignEdits)
	off := maxD + 1
	v := make([]int, 2*maxD+3)
	var trace [][]int // trace[d][k+d+1] = v[k] before step d, k in [-d-1, d+1]
	for d := 0; d <= maxD; d++ {
		trace = append(trace, append([]int(nil), v[off-d-1:off+d+2]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1] // down: a word inserted
			} else {
				x = v[off+k-1] + 1 // right: a word deleted
			}
			y := x - k
			for x < n && y < m && a[x].Text == b[y].text {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				return runs(matches(trace, d, n, m), n, m), true
			}
		}
	}
	return nil, false
}

// matches walks the Myers trace back from (n, m) and returns the matched
// (old, new) word pairs, last first.
func matches(trace [][]int, d, n, m int) [][2]int {
	var pairs [][2]int
	x, y := n, m
	for ; d > 0; d-- {
		at := func(k int) int { return trace[d][k+d+1] }
		k := x - y
		pk := k - 1
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			pk = k + 1
		}
		px := at(pk)
		py := px - pk
		for x > px && y > py {
			x, y = x-1, y-1
			pairs = append(pairs, [2]int{x, y})
		}
		x, y = px, py
	}
	for x > 0 && y > 0 {
		x, y = x-1, y-1
		pairs = append(pairs, [2]int{x, y})
	}
	return pairs
}

// runs turns matched pairs (last first) into equal and changed runs.
func runs(pairs [][2]int, n, m int) []diffOp {
	var ops []diffOp
	ax, by := 0, 0
	for i := len(pairs) - 1; i >= 0; i-- {
		x, y := pairs[i][0], pairs[i][1]
		if x > ax || y > by {
			ops = append(ops, diffOp{kind: opReplace, a0: ax, a1: x, b0: by, b1: y})
		}
		if l := len(ops); l > 0 && ops[l-1].kind == opEqual && ops[l-1].a1 == x && ops[l-1].b1 == y {
			ops[l-1].a1, ops[l-1].b1 = x+1, y+1
		} else {
			ops = append(ops, diffOp{kind: opEqual, a0: x, a1: x + 1, b0: y, b1: y + 1})
		}
		ax, by = x+1, y+1
	}
	if ax < n || by < m {
		ops = append(ops, diffOp{kind: opReplace, a0: ax, a1: n, b0: by, b1: m})
	}
	return ops
}

// normalizeText prepares a typed text: CRLF to LF, trailing spaces of
// lines and surrounding blank lines removed.
func normalizeText(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(l, unicode.IsSpace)
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}
