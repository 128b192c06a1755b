package index

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/numeric"

	"hoso/domain"
	"hoso/index/qparse"
)

// A query is compiled into a plan: a tree of nodes that the engine
// (engine.go) evaluates segment by segment, first as sets of pages
// (bitmaps), then as scores of the matching pages.

type nodeKind uint8

const (
	// nTerm: pages holding term in field. Scored with boost.
	nTerm nodeKind = iota
	// nAny: pages matching any of kids. Score: the sum of the matching
	// kids' scores times the share of kids that match (a page with the
	// exact spelling matches the original and the folded term and ranks
	// above one with the folded term only).
	nAny
	// nPhrase: pages holding one alternative of each position at
	// consecutive positions of field. Score: as an nAny per position,
	// summed.
	nPhrase
	// nExpand: the terms of field starting with term (prefix) or within
	// fuzzy edits of it, resolved against the index into an nAny of nTerm.
	nExpand
	// nRange: pages whose date field is in [lo, hi) (prefix-coded keys,
	// nil: open). A filter: not scored.
	nRange
)

type node struct {
	kind  nodeKind
	field string
	term  string
	boost float64
	kids  []*node

	// nPhrase
	pos   [][]*node   // per position, alternatives (nTerm or nExpand)
	pairs []pairGroup // phrase pre-filter: every match is in each group (set when resolved)
	// per position, per alternative: the pairs a page must hold for the
	// alternative to stand there (set when resolved; nil: none)
	altPairs [][]altPairs

	// nExpand
	prefix bool
	fuzzy  int

	// nRange
	lo, hi []byte

	idf float64 // nTerm: set when the plan is resolved
}

func termNode(field, term string, boost float64) *node {
	return &node{kind: nTerm, field: field, term: term, boost: boost}
}

// plan is a compiled query.
type plan struct {
	must, mustNot []*node
	// should only adds score: the original (diacritic) words of phrases,
	// so exact spellings rank first
	should []*node
	// fuzzyable tells whether an automatic fuzzy retry could change the
	// result: there is a positive exact word or phrase.
	fuzzyable bool
	// level restricts pages to the reader's clearance.
	level *node
}

// textFields are searched by words and phrases without a field, with the
// boost of a match in each. Hometown and unit are left to their filters:
// they are short fields whose rare words would outweigh the page text.
var textFields = []struct {
	name  string
	boost float64
}{{fText, 1}, {fName, 1.5}, {fTitle, 1.2}}

// filterFields maps the query language's text fields to index fields.
var filterFields = map[string]string{
	"name": fName, "unit": fUnitText, "hometown": fHometown, "title": fTitle, "text": fText,
}

// compiler turns clauses into plan nodes using the index's analyzer.
type compiler struct {
	an        analysis.Analyzer
	autoFuzzy bool // make exact positive words and phrases fuzzy (fallback)
	// missing reports whether a folded word occurs nowhere in the index
	// (set for the retry)
	missing func(string) bool
	// lacking is set by compile in the retry when some positive word of
	// the query occurs nowhere: then only such words are made fuzzy
	lacking bool
	absent  map[string]bool // missing's answers
	// maxEdits caps the retry's letters off per word (0: no cap); capped
	// tells whether compile capped some word's
	maxEdits int
	capped   bool
}

// retryFuzziness is autoFuzziness in the retry, capped by maxEdits, and
// whether the cap lowered it.
func (c *compiler) retryFuzziness(pos [][]string) (int, bool) {
	fz := autoFuzziness(pos)
	if c.maxEdits > 0 && fz > c.maxEdits {
		return c.maxEdits, true
	}
	return fz, false
}

// isMissing is c.missing, asked once per word.
func (c *compiler) isMissing(term string) bool {
	m, ok := c.absent[term]
	if !ok {
		m = c.missing(term)
		if c.absent == nil {
			c.absent = map[string]bool{}
		}
		c.absent[term] = m
	}
	return m
}

func (c *compiler) compile(q *qparse.Query, clearance domain.Classification) (*plan, error) {
	out := &plan{level: levelNode(clearance)}
	c.lacking, c.capped = false, false
	if c.autoFuzzy && c.missing != nil {
		for _, cl := range q.Clauses {
			if cl.Not || cl.Prefix || cl.Range != nil || cl.Fuzzy > 0 || (cl.Field != "" && filterFields[cl.Field] == "") {
				continue
			}
			for _, p := range c.positions(cl.Text) {
				if c.isMissing(p[len(p)-1]) {
					c.lacking = true
				}
			}
		}
	}
	for _, cl := range q.Clauses {
		n, boosts, err := c.clause(cl)
		if err != nil {
			return nil, err
		}
		if !cl.Not {
			out.should = append(out.should, boosts...)
		}
		if n == nil {
			continue // only punctuation: matches anything
		}
		if cl.Not {
			out.mustNot = append(out.mustNot, n)
			continue
		}
		out.must = append(out.must, n)
		if cl.Range == nil && !cl.Prefix && cl.Fuzzy == 0 && (cl.Field == "" || filterFields[cl.Field] != "") {
			out.fuzzyable = true
		}
	}
	return out, nil
}

// levelNode matches the pages a reader with clearance c may see: effective
// level at most c's.
func levelNode(c domain.Classification) *node {
	n := &node{kind: nAny}
	for l := 0; l <= c.Level(); l++ {
		n.kids = append(n.kids, termNode(fLevel, strconv.Itoa(l), 0))
	}
	return n
}

func (c *compiler) clause(cl qparse.Clause) (*node, []*node, error) {
	valuePos := cl.Pos
	if cl.Not {
		valuePos++
	}
	if cl.Field != "" {
		valuePos += len(cl.Field) + 1
	}
	switch cl.Field {
	case "":
		n, boosts := c.text(cl, nil)
		return n, boosts, nil
	case "name", "unit", "hometown", "title", "text":
		n, boosts := c.text(cl, []string{filterFields[cl.Field]})
		return n, boosts, nil
	}
	n, err := c.filter(cl, valuePos)
	return n, nil, err
}

// filter builds the node of a keyword or range filter (not scored).
func (c *compiler) filter(cl qparse.Clause, valuePos int) (*node, error) {
	switch cl.Field {
	case "code":
		return keywordNode(fCode, strings.ToUpper(strings.TrimSpace(cl.Text)), cl.Prefix), nil
	case "flag":
		return keywordNode(fFlags, strings.ToLower(strings.TrimSpace(cl.Text)), cl.Prefix), nil
	case "kind":
		k, err := resolveKind(cl.Text)
		if err != nil {
			return nil, &qparse.Error{Pos: valuePos, Msg: err.Error()}
		}
		return keywordNode(fKind, k, false), nil
	case "class", "classification":
		// the dossier's level, the value the classification facet counts
		// (not the page's effective level): class:X selects exactly the
		// pages counted under X. The clearance filter (plan.level) still
		// applies, so a level above the clearance matches nothing.
		l := domain.Classification(cl.Text)
		if !l.Valid() {
			return nil, &qparse.Error{Pos: valuePos, Msg: fmt.Sprintf("unknown classification %q", cl.Text)}
		}
		return keywordNode(fClass, string(l), false), nil
	case "born":
		return dateRange(fBirth, cl.Range), nil
	case "date", "year":
		return dateRange(fDate, cl.Range), nil
	}
	return nil, &qparse.Error{Pos: cl.Pos, Msg: fmt.Sprintf("field %q is not supported", cl.Field)}
}

func keywordNode(field, v string, prefix bool) *node {
	if prefix {
		return &node{kind: nExpand, field: field, term: v, prefix: true}
	}
	return termNode(field, v, 0)
}

// dateRange matches dates in [r.From, r.To) through the exact (shift 0)
// prefix-coded terms bleve indexes for a date.
func dateRange(field string, r *qparse.Range) *node {
	n := &node{kind: nRange, field: field}
	key := func(t time.Time) []byte {
		return numeric.MustNewPrefixCodedInt64(t.UnixNano(), 0)
	}
	if !r.From.IsZero() {
		n.lo = key(r.From)
	}
	if !r.To.IsZero() {
		n.hi = key(r.To)
	}
	return n
}

// resolveKind accepts a document kind or a unique prefix of one.
func resolveKind(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	var found []string
	for _, k := range domain.DocumentKinds {
		if string(k) == s {
			return s, nil
		}
		if strings.HasPrefix(string(k), s) {
			found = append(found, string(k))
		}
	}
	if len(found) == 1 {
		return found[0], nil
	}
	all := make([]string, len(domain.DocumentKinds))
	for i, k := range domain.DocumentKinds {
		all[i] = string(k)
	}
	return "", fmt.Errorf("unknown document kind %q (kinds: %s)", s, strings.Join(all, ", "))
}

// positions analyzes text and groups the terms by position: each group holds
// the original (diacritic) term first and its folded form after it, if any.
func (c *compiler) positions(text string) [][]string {
	var out [][]string
	last := -1
	for _, tok := range c.an.Analyze([]byte(text)) {
		if tok.Position != last {
			out = append(out, nil)
			last = tok.Position
		}
		out[len(out)-1] = append(out[len(out)-1], string(tok.Term))
	}
	return out
}

// text builds the node for a word or phrase on the given fields (nil: all
// text fields, with their boosts). A phrase is matched on the folded terms
// only; its original words come back as optional boosts.
//
// In the automatic fuzzy retry (autoFuzzy), a word is made fuzzy when it
// is long enough (see autoFuzziness). When some words of the query occur
// nowhere in the index, only they are made fuzzy, in every clause (the
// query found nothing because of them: "vo thanh khuyen" retries
// khuyen~, not thanh~ too, which matches a hundred spellings and OCR
// errors of other words). Otherwise, when every word occurs somewhere, a
// phrase is retried with one word fuzzy at a time and by one letter (an
// OCR error or a typo rarely hits two words of a name; a phrase whose
// every word is fuzzy costs seconds on a large index; and a real syllable
// two letters off is another real name: "nhuong" would find "truong",
// "luong", "duong", "cuong" and list a tenth of all dossiers on a large
// archive), other clauses with all their words fuzzy. A word that occurs
// nowhere keeps up to two letters, but Search retries with words 1 letter
// off first (maxEdits) and 2 only when that finds nothing: the nearest
// spellings, as a spelling checker offers them (khuyen~1 is huyen and
// chuyen; khuyen~2 adds nguyen, on 80% of the pages).
func (c *compiler) text(cl qparse.Clause, fields []string) (*node, []*node) {
	pos := c.positions(cl.Text)
	if len(pos) == 0 {
		return nil, nil
	}
	// variants: per variant, the fuzziness of each position
	variants := [][]int{make([]int, len(pos))}
	switch {
	case cl.Fuzzy > 0:
		for i := range pos {
			variants[0][i] = cl.Fuzzy
		}
	case c.autoFuzzy && !cl.Not && !cl.Prefix:
		variants = c.retryVariants(pos, len(pos) > 1 || cl.Phrase)
	}
	var boosts []*node
	var per []*node
	add := func(field string, boost float64) {
		if len(pos) > 1 || cl.Phrase {
			var phrases []*node
			for _, fz := range variants {
				ph := &node{kind: nPhrase, field: field, boost: boost}
				for i, p := range pos {
					folded := p[len(p)-1]
					alt := termNode(field, folded, boost)
					if fz[i] > 0 {
						alt = &node{kind: nExpand, field: field, term: folded, fuzzy: fz[i], boost: boost}
					}
					ph.pos = append(ph.pos, []*node{alt})
				}
				phrases = append(phrases, ph)
			}
			for _, p := range pos {
				if len(p) > 1 {
					boosts = append(boosts, termNode(exactField(field), p[0], boost))
				}
			}
			if len(phrases) == 1 {
				per = append(per, phrases[0])
			} else {
				per = append(per, &node{kind: nAny, kids: phrases})
			}
			return
		}
		per = append(per, termAlternatives(field, pos[0], variants[0][0], cl.Prefix, boost))
	}
	if fields == nil {
		for _, f := range textFields {
			add(f.name, f.boost)
		}
	} else {
		for _, f := range fields {
			add(f, 1)
		}
	}
	if len(per) == 1 {
		return per[0], boosts
	}
	return &node{kind: nAny, kids: per}, boosts
}

// retryVariants returns the fuzziness of each position for the automatic
// fuzzy retry of a clause (see text): one variant, or one per position for
// a phrase whose words all occur in the index.
func (c *compiler) retryVariants(pos [][]string, phrase bool) [][]int {
	fz := make([]int, len(pos))
	capped := make([]bool, len(pos))
	var missing []int
	for i, p := range pos {
		fz[i], capped[i] = c.retryFuzziness(pos[i : i+1])
		if c.missing != nil && c.isMissing(p[len(p)-1]) {
			missing = append(missing, i)
		}
	}
	// uses notes that the variant makes a capped word fuzzy: a retry
	// with a higher cap could find more
	uses := func(v []int) [][]int {
		for i := range v {
			if v[i] > 0 && capped[i] {
				c.capped = true
			}
		}
		return [][]int{v}
	}
	switch {
	case c.lacking && len(missing) == 0:
		return [][]int{make([]int, len(pos))}
	case len(pos) == 1:
		return uses(fz)
	case len(missing) > 0:
		one := make([]int, len(pos))
		for _, i := range missing {
			one[i] = fz[i]
		}
		return uses(one)
	case !phrase:
		return uses(fz)
	}
	var out [][]int
	for i := range pos {
		if fz[i] == 0 {
			continue // too short to be fuzzy
		}
		v := make([]int, len(pos))
		v[i] = min(fz[i], 1)
		out = append(out, v)
	}
	if len(out) == 0 {
		return [][]int{make([]int, len(pos))}
	}
	return out
}

// termAlternatives matches one position: the original term or its folded
// form (a document with the exact spelling matches both and ranks higher),
// optionally a prefix of them or within an edit distance of the folded form.
func termAlternatives(field string, terms []string, fuzzy int, prefix bool, boost float64) *node {
	n := &node{kind: nAny}
	for i, t := range terms {
		f := field
		if i < len(terms)-1 {
			f = exactField(field) // the original spelling
		}
		if prefix {
			n.kids = append(n.kids, &node{kind: nExpand, field: f, term: t, prefix: true, boost: boost})
			continue
		}
		n.kids = append(n.kids, termNode(f, t, boost))
	}
	if fuzzy > 0 {
		n.kids = append(n.kids, &node{kind: nExpand, field: field, term: terms[len(terms)-1], fuzzy: fuzzy, boost: boost})
	}
	return n
}

// exactField is the field holding the original (diacritic) spellings of
// field's words: the page text keeps them apart from its folded words (no
// term vectors needed); the short text fields hold both at each position.
func exactField(field string) string {
	if field == fText {
		return fTextExact
	}
	return field
}

// autoFuzziness is the edit distance used by the automatic fallback, from
// the shortest (folded) word: none up to 2 letters, 1 up to 5, else 2.
func autoFuzziness(pos [][]string) int {
	shortest := -1
	for _, p := range pos {
		n := utf8.RuneCountInString(p[len(p)-1])
		if shortest < 0 || n < shortest {
			shortest = n
		}
	}
	switch {
	case shortest <= 2:
		return 0
	case shortest <= 5:
		return 1
	}
	return 2
}
