package index

// The bleve query compiler hoso used before its engine (engine.go), kept
// as the reference the engine is tested against (engine_test.go).

import (
	"fmt"
	"strings"

	"github.com/blevesearch/bleve/v2/numeric"
	"github.com/blevesearch/bleve/v2/search/query"

	"hoso/index/qparse"
)

// compiled is a parsed query turned into bleve queries.
type refCompiled struct {
	must, mustNot []query.Query
	// should only adds score: the original (diacritic) words of phrases,
	// so exact spellings rank first
	should []query.Query
	// fuzzyable tells whether an automatic fuzzy retry could change the
	// result: there is a positive exact word or phrase.
	fuzzyable bool
}

// refCompiler turns clauses into bleve queries: the query compiler before
// the engine, kept as the reference the engine is tested against.
type refCompiler struct {
	*compiler
}

func (c *refCompiler) compile(q *qparse.Query) (*refCompiled, error) {
	out := &refCompiled{}
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

func (c *refCompiler) clause(cl qparse.Clause) (query.Query, []query.Query, error) {
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
func (c *refCompiler) filter(cl qparse.Clause, valuePos int) (query.Query, error) {
	switch cl.Field {
	case "code":
		return refKeywordQuery(fCode, strings.ToUpper(strings.TrimSpace(cl.Text)), cl.Prefix), nil
	case "flag":
		return refKeywordQuery(fFlags, strings.ToLower(strings.TrimSpace(cl.Text)), cl.Prefix), nil
	case "kind":
		k, err := resolveKind(cl.Text)
		if err != nil {
			return nil, &qparse.Error{Pos: valuePos, Msg: err.Error()}
		}
		return refKeywordQuery(fKind, k, false), nil
	case "class", "classification":
		return refKeywordQuery(fClass, cl.Text, false), nil
	case "born":
		return refDateRange(fBirth, cl.Range), nil
	case "date", "year":
		return refDateRange(fDate, cl.Range), nil
	}
	return nil, &qparse.Error{Pos: cl.Pos, Msg: fmt.Sprintf("field %q is not supported", cl.Field)}
}

func refKeywordQuery(field, v string, prefix bool) query.Query {
	if prefix {
		q := query.NewPrefixQuery(v)
		q.SetField(field)
		return q
	}
	q := query.NewTermQuery(v)
	q.SetField(field)
	return q
}

func refDateRange(field string, r *qparse.Range) query.Query {
	// dates are indexed as their exact term only (layout 4): a range of
	// those terms, as bytes
	lo, hi := string([]byte{shiftStart}), string([]byte{shiftStart + 1})
	if !r.From.IsZero() {
		lo = string(numeric.MustNewPrefixCodedInt64(r.From.UnixNano(), 0))
	}
	if !r.To.IsZero() {
		hi = string(numeric.MustNewPrefixCodedInt64(r.To.UnixNano(), 0))
	}
	t, f := true, false
	q := query.NewTermRangeInclusiveQuery(lo, hi, &t, &f)
	q.SetField(field)
	return q
}

// text builds the query for a word or phrase on the given fields (nil: all
// text fields, with their boosts). A phrase is matched on the folded terms
// only (half the positions to check, which is most of a phrase's cost); its
// original words come back as optional boosts.
func (c *refCompiler) text(cl qparse.Clause, fields []string) (query.Query, []query.Query) {
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
				q = refWithPairs(mp, folded)
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
			q = refTermAlternatives(field, pos[0], fuzzy, cl.Prefix, boost)
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
func refTermAlternatives(field string, terms []string, fuzzy int, prefix bool, boost float64) query.Query {
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

// withPairs puts a conjunction of the phrase's folded word pairs, matched
// as single terms of the text_pairs field, before the phrase: bleve's
// conjunction advances the rarest pair first, so positions are only checked
// on pages that have every pair. The pairs have zero boost: they filter, the
// phrase scores.
func refWithPairs(phrase query.Query, folded [][]string) query.Query {
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
