package faulttest

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// NormalizeSearch returns the output of hoso search --json in a form that
// two indexes holding the same pages print alike: without the timing
// (took_ms) and the scores, with dossiers sorted by code and each
// dossier's hits by document and page. What stays compared: the query,
// the totals of dossiers and pages, whether the search went fuzzy, every
// matching dossier with its subject, unit, level and number of matching
// pages, each shown hit's document, kind, title, date, page, text key,
// matched terms with their offsets and highlighted snippets, and the facet
// counts.
//
// Scores are left out because BM25 statistics count documents that were
// replaced but not yet merged away: an index that saw a dossier twice (a
// run killed after indexing, then resumed) scores the same pages slightly
// differently from one that saw it once, and ties may then order
// differently.
func NormalizeSearch(out []byte) (string, error) {
	var r map[string]any
	if err := json.Unmarshal(out, &r); err != nil {
		return "", fmt.Errorf("search output is not JSON: %w\n%s", err, out)
	}
	delete(r, "took_ms")
	ds, _ := r["dossiers"].([]any)
	for _, d := range ds {
		dm, _ := d.(map[string]any)
		delete(dm, "score")
		hits, _ := dm["hits"].([]any)
		for _, h := range hits {
			hm, _ := h.(map[string]any)
			delete(hm, "score")
		}
		sort.SliceStable(hits, func(i, j int) bool {
			return hitKey(hits[i]) < hitKey(hits[j])
		})
	}
	sort.SliceStable(ds, func(i, j int) bool { return str(ds[i], "code") < str(ds[j], "code") })
	b, err := json.MarshalIndent(r, "", " ")
	return string(b), err
}

func hitKey(h any) string {
	m, _ := h.(map[string]any)
	p, _ := m["page"].(float64)
	return fmt.Sprintf("%s/%06d", m["document_id"], int(p))
}

func str(v any, k string) string {
	m, _ := v.(map[string]any)
	s, _ := m[k].(string)
	return s
}

// Fold returns s in lower case without diacritics (đ as d), as a person
// types a name on a keyboard without Vietnamese input.
func Fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'đ':
			b.WriteRune('d')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
