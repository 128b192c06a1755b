package index

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search/query"

	"hoso/domain"
	"hoso/index/qparse"
)

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

// compiled is a parsed query turned into bleve queries.
type compiled struct {
	must, mustNot []query.Query
	// should only adds score: the original (diacritic) words of phrases,
	// so exact spellings rank first
	should []query.Query
	// fuzzyable tells whether an automatic fuzzy retry could change the
	// result: there is a positive exact word or phrase.
	fuzzyable bool
}

// compiler turns clauses into bleve queries using the index's analyzer.
type compiler struct {
	an        analysis.Analyzer
	autoFuzzy bool // make exact positive words and phrases fuzzy (fallback)
}

func (c *compiler) compile(q *qparse.Query) (*compiled, error) {
	out := &compiled{}
	for _, cl := range q.Clauses {
		bq, boosts, err := c.clause(cl)
		if err != nil {
			return nil, err
		}
		if !cl.Not {
			out.should = append(out.should, boosts...)
		}
		if bq == nil {
			continue // only punctuation: matches anything
		}
		if cl.Not {
			out.mustNot = append(out.mustNot, bq)
			continue
		}
		out.must = append(out.must, bq)
		if cl.Range == nil && !cl.Prefix && cl.Fuzzy == 0 && (cl.Field == "" || filterFields[cl.Field] != "") {
			out.fuzzyable = true
		}
	}
	return out, nil
}

func (c *compiler) clause(cl qparse.Clause) (query.Query, []query.Query, error) {
	valuePos := cl.Pos
	if cl.Not {
		valuePos++
	}
	if cl.Field != "" {
		valuePos += len(cl.Field) + 1
	}
	switch cl.Field {
	case "":
		q, boosts := c.text(cl, nil)
		return q, boosts, nil
	case "name", "unit", "hometown", "title", "text":
		q, boosts := c.text(cl, []string{filterFields[cl.Field]})
		return q, boosts, nil
	}
	q, err := c.filter(cl, valuePos)
	return q, nil, err
}

// filter builds the query of a keyword or range filter.
func (c *compiler) filter(cl qparse.Clause, valuePos int) (query.Query, error) {
	switch cl.Field {
	case "code":
		return keywordQuery(fCode, strings.ToUpper(strings.TrimSpace(cl.Text)), cl.Prefix), nil
	case "flag":
		return keywordQuery(fFlags, strings.ToLower(strings.TrimSpace(cl.Text)), cl.Prefix), nil
	case "kind":
		k, err := resolveKind(cl.Text)
		if err != nil {
			return nil, &qparse.Error{Pos: valuePos, Msg: err.Error()}
		}
		return keywordQuery(fKind, k, false), nil
	case "born":
		return dateRange(fBirth, cl.Range), nil
	case "date", "year":
		return dateRange(fDate, cl.Range), nil
	}
	return nil, &qparse.Error{Pos: cl.Pos, Msg: fmt.Sprintf("field %q is not supported", cl.Field)}
}

func keywordQuery(field, v string, prefix bool) query.Query {
	if prefix {
		q := query.NewPrefixQuery(v)
		q.SetField(field)
		return q
	}
	q := query.NewTermQuery(v)
	q.SetField(field)
	return q
}

func dateRange(field string, r *qparse.Range) query.Query {
	t, f := true, false
	q := query.NewDateRangeInclusiveQuery(r.From, r.To, &t, &f)
	q.SetField(field)
	return q
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

// text builds the query for a word or phrase on the given fields (nil: all
// text fields, with their boosts). A phrase is matched on the folded terms
// only (half the positions to check, which is most of a phrase's cost); its
// original words come back as optional boosts.
func (c *compiler) text(cl qparse.Clause, fields []string) (query.Query, []query.Query) {
	pos := c.positions(cl.Text)
	if len(pos) == 0 {
		return nil, nil
	}
	folded := make([][]string, len(pos))
	for i, p := range pos {
		folded[i] = p[len(p)-1:]
	}
	var boosts []query.Query
	fuzzy := cl.Fuzzy
	if fuzzy == 0 && c.autoFuzzy && !cl.Not && !cl.Prefix {
		fuzzy = autoFuzziness(pos)
	}
	var per []query.Query
	add := func(field string, boost float64) {
		var q query.Query
		switch {
		case len(pos) > 1 || cl.Phrase:
			mp := query.NewMultiPhraseQuery(folded, field)
			if fuzzy > 0 {
				mp.SetFuzziness(fuzzy)
			}
			mp.SetBoost(boost)
			q = mp
			if field == fText && fuzzy == 0 {
				q = withPairs(mp, folded)
			}
			for _, p := range pos {
				if len(p) > 1 {
					t := query.NewTermQuery(p[0])
					t.SetField(exactField(field))
					t.SetBoost(boost)
					boosts = append(boosts, t)
				}
			}
		default:
			q = termAlternatives(field, pos[0], fuzzy, cl.Prefix, boost)
		}
		per = append(per, q)
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
	return query.NewDisjunctionQuery(per), boosts
}

// termAlternatives matches one position: the original term or its folded
// form (a document with the exact spelling matches both and ranks higher),
// optionally a prefix of them or within an edit distance of the folded form.
func termAlternatives(field string, terms []string, fuzzy int, prefix bool, boost float64) query.Query {
	var alts []query.Query
	for i, t := range terms {
		f := field
		if i < len(terms)-1 {
			f = exactField(field) // the original spelling
		}
		if prefix {
			p := query.NewPrefixQuery(t)
			p.SetField(f)
			alts = append(alts, p)
			continue
		}
		tq := query.NewTermQuery(t)
		tq.SetField(f)
		alts = append(alts, tq)
	}
	if fuzzy > 0 {
		fq := query.NewFuzzyQuery(terms[len(terms)-1])
		fq.SetField(field)
		fq.SetFuzziness(fuzzy)
		alts = append(alts, fq)
	}
	d := query.NewDisjunctionQuery(alts)
	d.SetBoost(boost)
	return d
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

// withPairs puts a conjunction of the phrase's folded word pairs, matched
// as single terms of the text_pairs field, before the phrase: bleve's
// conjunction advances the rarest pair first, so positions are only checked
// on pages that have every pair. The pairs have zero boost: they filter, the
// phrase scores.
func withPairs(phrase query.Query, folded [][]string) query.Query {
	if len(folded) < 2 {
		return phrase
	}
	qs := []query.Query{phrase}
	for i := 1; i < len(folded); i++ {
		a, b := folded[i-1][0], folded[i][0]
		if !pairWords[a] || !pairWords[b] {
			continue // not indexed
		}
		t := query.NewTermQuery(a + " " + b)
		t.SetField(fTextPairs)
		t.SetBoost(0)
		qs = append(qs, t)
	}
	if len(qs) == 1 {
		return phrase
	}
	return query.NewConjunctionQuery(qs)
}
