// Package qparse parses hoso's search language into clauses. It knows nothing
// of the index: package index turns the clauses into index queries.
//
// # Syntax
//
// A query is a list of clauses separated by spaces. Every clause must match
// (clauses are ANDed, as archivists expect); there is no OR.
//
//	nguyen van thanh        words: each must occur (in the page text, the
//	                        subject's name, hometown or unit, or the title)
//	"Nguyễn Văn Thành"      an exact phrase: the words in this order
//	Thành                   typed with diacritics: exact spellings rank above
//	                        other spellings ("Thanh", "Thạnh"), which match too
//	thanh~  thanh~2         fuzzy: up to 1 (or 2) letters wrong, for OCR errors
//	nguy*                   prefix: words starting with "nguy"
//	-word  -"a phrase"      exclusion: pages containing it are left out
//	-unit:"Sở Nội vụ"       exclusion of a filter
//
// Field filters (a value with spaces is quoted):
//
//	name:thanh  name:"Nguyễn Văn Thành"   the subject's name
//	code:HS-2024-000123  code:HS-2024*    dossier code (any case; * = prefix)
//	unit:"Sở Nội vụ"  hometown:"Nghệ An"  words or phrase in unit, hometown
//	title:"quyết định"  text:lý lịch      words in the document title, page text
//	kind:verification-report             document kind (a unique prefix will do)
//	flag:low-confidence                  page flag
//	class:secret  -class:top-secret      the dossier's classification: public,
//	                                     confidential, secret or top-secret
//	                                     (classification: is an alias)
//	born:1975  born:1970..1979  born:>1970  born:<=1980-06  born:1975-05-02
//	date:>2015  date:2010..2015  year:2019    document date (year: is an alias)
//
// When a query finds nothing, it is retried once with fuzzy words (1 letter
// off for words of 3-5 letters, 2 beyond; shorter words stay exact), for
// OCR errors and typos, and the answer says so. In a phrase or a word of
// several parts, only the words that occur nowhere in the archive are made
// fuzzy when there are such words; otherwise a quoted phrase is retried
// with one word fuzzy at a time, so "Nguyễn Văn Thàng" finds "Nguyễn Văn
// Thành" but a phrase with two misspelled words needs an explicit ~.
//
// Dates are YYYY, YYYY-MM or YYYY-MM-DD; a value stands for its whole period,
// so born:1970..1979 is 1970-01-01 up to and including 1979-12-31, born:>1970
// is from 1971 on and born:>=1970 from 1970 on. Ranges may be open (1970..).
//
// A class: value is a level name in any case, with '_' or ' ' for '-'
// (class:Top_Secret, class:"top secret"). The filter selects the pages of
// the dossiers classified at exactly that level (the dossier's level, as in
// the classification facet, not its documents'). A search sees only pages
// at or below the reader's clearance, so a level above it matches nothing.
//
// Errors are *Error values naming the 1-based column (in characters) where
// the problem is.
package qparse

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"hoso/domain"
)

// Fields lists the field names a filter may use.
var Fields = []string{"name", "code", "unit", "hometown", "title", "text", "kind", "flag", "class", "classification", "born", "date", "year"}

// RangeFields are the fields whose values are date ranges.
var RangeFields = map[string]bool{"born": true, "date": true, "year": true}

// ClassFields are the fields whose value is a classification level (the
// clause's Text is then the level's canonical name, see domain.Classification).
var ClassFields = map[string]bool{"class": true, "classification": true}

// Clause is one term of a query.
type Clause struct {
	Pos    int    // 1-based column (in characters) where the clause starts
	Not    bool   // exclusion (-)
	Field  string // "" for words and phrases on any text field
	Phrase bool   // Text is a quoted phrase
	Prefix bool   // Text ended in '*': match words starting with it
	Text   string // the word, phrase or filter value (without quotes, ~, *); class: the level's name
	Fuzzy  int    // 0 exact; 1 or 2 letters may differ
	Range  *Range // for born:, date:, year:
}

// Range is the half-open time interval [From, To); a zero bound is open.
type Range struct {
	From, To time.Time
}

// Query is a parsed query: its clauses in input order.
type Query struct {
	Clauses []Clause
}

// Error is a syntax error at a column of the input.
type Error struct {
	Pos int // 1-based column, in characters
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("column %d: %s", e.Pos, e.Msg) }

// MaxFuzzy is the largest edit distance a ~ suffix may ask for.
const MaxFuzzy = 2

// Parse parses s. An empty or blank s gives a Query without clauses.
func Parse(s string) (*Query, error) {
	if !utf8.ValidString(s) {
		return nil, &Error{Pos: 1, Msg: "query is not valid UTF-8"}
	}
	p := &parser{src: []rune(s)}
	q := &Query{}
	for {
		p.skipSpace()
		if p.eof() {
			return q, nil
		}
		c, err := p.clause()
		if err != nil {
			return nil, err
		}
		q.Clauses = append(q.Clauses, c)
	}
}

type parser struct {
	src []rune
	i   int
}

func (p *parser) eof() bool  { return p.i >= len(p.src) }
func (p *parser) peek() rune { return p.src[p.i] }
func (p *parser) errAt(i int, format string, args ...any) error {
	return &Error{Pos: i + 1, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) skipSpace() {
	for !p.eof() && unicode.IsSpace(p.peek()) {
		p.i++
	}
}

func (p *parser) clause() (Clause, error) {
	c := Clause{Pos: p.i + 1}
	if p.peek() == '-' {
		c.Not = true
		p.i++
		if p.eof() || unicode.IsSpace(p.peek()) {
			return c, p.errAt(p.i-1, "'-' must be followed by a word, phrase or filter to exclude")
		}
	}
	if p.peek() == '"' {
		return p.phrase(c)
	}
	if name, ok := p.fieldName(); ok {
		return p.filter(c, name)
	}
	return p.word(c)
}

// fieldName recognizes "name:" at the current position and consumes it.
func (p *parser) fieldName() (string, bool) {
	j := p.i
	for j < len(p.src) && p.src[j] < utf8.RuneSelf && unicode.IsLetter(p.src[j]) {
		j++
	}
	if j == p.i || j >= len(p.src) || p.src[j] != ':' {
		return "", false
	}
	name := strings.ToLower(string(p.src[p.i:j]))
	p.i = j + 1
	return name, true
}

func (p *parser) filter(c Clause, name string) (Clause, error) {
	start := c.Pos - 1
	if c.Not {
		start++
	}
	known := false
	for _, f := range Fields {
		known = known || f == name
	}
	if !known {
		return c, p.errAt(start, "unknown field %q (fields: %s)", name, strings.Join(Fields, ", "))
	}
	c.Field = name
	if p.eof() || unicode.IsSpace(p.peek()) {
		return c, p.errAt(p.i-1, "missing value after %s:", name)
	}
	if RangeFields[name] {
		at := p.i
		v := p.token()
		r, err := ParseRange(v)
		if err != nil {
			return c, p.errAt(at, "%s: %v", name, err)
		}
		c.Range = r
		return c, nil
	}
	if ClassFields[name] {
		return p.class(c)
	}
	if p.peek() == '"' {
		return p.phrase(c)
	}
	return p.word(c)
}

// class reads the value of a class: filter, a classification level in any
// case, quoted or not, with '_' or ' ' for '-' (domain.ParseClassification).
func (p *parser) class(c Clause) (Clause, error) {
	at := p.i
	var v string
	if p.peek() == '"' {
		var err error
		if c, err = p.phrase(c); err != nil {
			return c, err
		}
		if c.Fuzzy > 0 {
			return c, p.errAt(at, "a classification cannot be fuzzy (~)")
		}
		v = c.Text
		c.Phrase, c.Text = false, ""
	} else {
		v = p.token()
	}
	l, err := domain.ParseClassification(v)
	if err != nil {
		names := make([]string, len(domain.Classifications))
		for i, l := range domain.Classifications {
			names[i] = string(l)
		}
		return c, p.errAt(at, "unknown classification %q (classifications: %s)", v, strings.Join(names, ", "))
	}
	c.Text = string(l)
	return c, nil
}

// token consumes up to the next space or quote.
func (p *parser) token() string {
	j := p.i
	for p.i < len(p.src) && !unicode.IsSpace(p.src[p.i]) && p.src[p.i] != '"' {
		p.i++
	}
	return string(p.src[j:p.i])
}

func (p *parser) word(c Clause) (Clause, error) {
	at := p.i
	w := p.token()
	if w == "" {
		return c, p.errAt(at, "unexpected '\"'")
	}
	tilde := max(strings.LastIndexByte(w, '~'), 0)
	w, fuzzy, err := splitFuzzy(w)
	if err != nil {
		return c, p.errAt(at+utf8.RuneCountInString(w[:tilde]), "%v", err)
	}
	c.Fuzzy = fuzzy
	if strings.HasSuffix(w, "*") {
		w = strings.TrimRight(w, "*")
		c.Prefix = true
		if c.Fuzzy > 0 {
			return c, p.errAt(at, "a word cannot be both a prefix (*) and fuzzy (~)")
		}
	}
	if strings.Trim(w, "~*") == "" {
		return c, p.errAt(at, "expected a word")
	}
	c.Text = w
	return c, nil
}

func (p *parser) phrase(c Clause) (Clause, error) {
	open := p.i
	p.i++ // opening quote
	var b strings.Builder
	for {
		if p.eof() {
			return c, p.errAt(open, "unterminated phrase: missing closing '\"'")
		}
		r := p.src[p.i]
		p.i++
		if r == '\\' && !p.eof() && (p.peek() == '"' || p.peek() == '\\') {
			b.WriteRune(p.peek())
			p.i++
			continue
		}
		if r == '"' {
			break
		}
		b.WriteRune(r)
	}
	c.Phrase, c.Text = true, strings.TrimSpace(b.String())
	if c.Text == "" {
		return c, p.errAt(open, "empty phrase")
	}
	if !p.eof() && p.peek() == '~' {
		at := p.i
		rest := p.token()
		_, f, err := splitFuzzy("x" + rest)
		if err != nil {
			return c, p.errAt(at, "%v", err)
		}
		c.Fuzzy = f
	} else if !p.eof() && !unicode.IsSpace(p.peek()) {
		return c, p.errAt(p.i, "expected a space after the closing '\"'")
	}
	return c, nil
}

// splitFuzzy splits "word~N" into word and N (a bare ~ is 1).
func splitFuzzy(w string) (string, int, error) {
	i := strings.LastIndexByte(w, '~')
	if i < 0 {
		return w, 0, nil
	}
	if i == 0 {
		return w, 0, fmt.Errorf("'~' must follow a word")
	}
	num := w[i+1:]
	if num == "" {
		return w[:i], 1, nil
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || n > MaxFuzzy {
		return w[:i], 0, fmt.Errorf("fuzziness after '~' must be 0, 1 or %d, not %q", MaxFuzzy, num)
	}
	return w[:i], n, nil
}

// ParseRange parses a date range value: A, A..B, A.., ..B, >A, >=A, <B,
// <=B, where A and B are YYYY, YYYY-MM or YYYY-MM-DD.
func ParseRange(v string) (*Range, error) {
	var r Range
	var err error
	switch {
	case strings.HasPrefix(v, ">="):
		r.From, _, err = period(v[2:])
	case strings.HasPrefix(v, ">"):
		_, r.From, err = period(v[1:])
	case strings.HasPrefix(v, "<="):
		_, r.To, err = period(v[2:])
	case strings.HasPrefix(v, "<"):
		r.To, _, err = period(v[1:])
	case strings.Contains(v, ".."):
		a, b, _ := strings.Cut(v, "..")
		if a == "" && b == "" {
			return nil, fmt.Errorf("empty range %q", v)
		}
		if a != "" {
			if r.From, _, err = period(a); err != nil {
				return nil, err
			}
		}
		if b != "" {
			if _, r.To, err = period(b); err != nil {
				return nil, err
			}
		}
		if !r.From.IsZero() && !r.To.IsZero() && !r.From.Before(r.To) {
			return nil, fmt.Errorf("range %q ends before it starts", v)
		}
	default:
		r.From, r.To, err = period(v)
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// period returns the half-open interval a date value stands for.
func period(s string) (time.Time, time.Time, error) {
	for _, f := range []struct {
		layout string
		years  int
		months int
		days   int
	}{{"2006", 1, 0, 0}, {"2006-01", 0, 1, 0}, {"2006-01-02", 0, 0, 1}} {
		if len(s) != len(f.layout) {
			continue
		}
		t, err := time.Parse(f.layout, s)
		if err != nil {
			break
		}
		return t, t.AddDate(f.years, f.months, f.days), nil
	}
	return time.Time{}, time.Time{}, fmt.Errorf("bad date %q (want YYYY, YYYY-MM or YYYY-MM-DD)", s)
}
