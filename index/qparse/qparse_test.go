package qparse

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want []Clause
	}{
		{"", nil},
		{"   ", nil},
		{"nguyen van", []Clause{{Pos: 1, Text: "nguyen"}, {Pos: 8, Text: "van"}}},
		{`"Nguyễn Văn Thành"`, []Clause{{Pos: 1, Phrase: true, Text: "Nguyễn Văn Thành"}}},
		{`"a \"b\""`, []Clause{{Pos: 1, Phrase: true, Text: `a "b"`}}},
		{"thanh~ hùng~2 x~0", []Clause{{Pos: 1, Text: "thanh", Fuzzy: 1}, {Pos: 8, Text: "hùng", Fuzzy: 2}, {Pos: 15, Text: "x"}}},
		{"nguy*", []Clause{{Pos: 1, Text: "nguy", Prefix: true}}},
		{`-word -"a b" -unit:"Sở Nội vụ"`, []Clause{
			{Pos: 1, Not: true, Text: "word"},
			{Pos: 7, Not: true, Phrase: true, Text: "a b"},
			{Pos: 14, Not: true, Field: "unit", Phrase: true, Text: "Sở Nội vụ"},
		}},
		{"name:thanh~ CODE:hs-2024*", []Clause{
			{Pos: 1, Field: "name", Text: "thanh", Fuzzy: 1},
			{Pos: 13, Field: "code", Text: "hs-2024", Prefix: true},
		}},
		{`"ly lich"~1`, []Clause{{Pos: 1, Phrase: true, Text: "ly lich", Fuzzy: 1}}},
		{"born:1970..1979", []Clause{{Pos: 1, Field: "born", Range: &Range{From: day("1970-01-01"), To: day("1980-01-01")}}}},
		{"born:1975", []Clause{{Pos: 1, Field: "born", Range: &Range{From: day("1975-01-01"), To: day("1976-01-01")}}}},
		{"born:>1970", []Clause{{Pos: 1, Field: "born", Range: &Range{From: day("1971-01-01")}}}},
		{"born:>=1970", []Clause{{Pos: 1, Field: "born", Range: &Range{From: day("1970-01-01")}}}},
		{"date:<2015", []Clause{{Pos: 1, Field: "date", Range: &Range{To: day("2015-01-01")}}}},
		{"date:<=2015-06", []Clause{{Pos: 1, Field: "date", Range: &Range{To: day("2015-07-01")}}}},
		{"date:2010..2015", []Clause{{Pos: 1, Field: "date", Range: &Range{From: day("2010-01-01"), To: day("2016-01-01")}}}},
		{"date:2010..", []Clause{{Pos: 1, Field: "date", Range: &Range{From: day("2010-01-01")}}}},
		{"year:2019", []Clause{{Pos: 1, Field: "year", Range: &Range{From: day("2019-01-01"), To: day("2020-01-01")}}}},
		{"born:1975-05-02", []Clause{{Pos: 1, Field: "born", Range: &Range{From: day("1975-05-02"), To: day("1975-05-03")}}}},
		{"class:secret -class:top-secret", []Clause{
			{Pos: 1, Field: "class", Text: "secret"},
			{Pos: 14, Not: true, Field: "class", Text: "top-secret"},
		}},
		{`CLASS:Top_Secret classification:"top secret" class:Public`, []Clause{
			{Pos: 1, Field: "class", Text: "top-secret"},
			{Pos: 18, Field: "classification", Text: "top-secret"},
			{Pos: 46, Field: "class", Text: "public"},
		}},
		{"class:confidential nguyen", []Clause{{Pos: 1, Field: "class", Text: "confidential"}, {Pos: 20, Text: "nguyen"}}},
		{"Quê quán: Huế", []Clause{{Pos: 1, Text: "Quê"}, {Pos: 5, Text: "quán:"}, {Pos: 11, Text: "Huế"}}},
	}
	for _, tt := range tests {
		q, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(q.Clauses, tt.want) {
			t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.in, q.Clauses, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in      string
		pos     int
		msgPart string
	}{
		{`"open`, 1, "unterminated phrase"},
		{`a "open`, 3, "unterminated phrase"},
		{"nmae:x", 1, `unknown field "nmae"`},
		{"a -nmae:x", 4, `unknown field "nmae"`},
		{"name:", 5, "missing value"},
		{"born:19x", 6, "bad date"},
		{"born:1980..1970", 6, "ends before it starts"},
		{"thanh~3", 6, "fuzziness"},
		{"- a", 1, "must be followed"},
		{`""`, 1, "empty phrase"},
		{`"a"b`, 4, "expected a space"},
		{"~", 1, "'~' must follow a word"},
		{"ab*~", 1, "prefix"},
		{"class:topsecret", 7, `unknown classification "topsecret" (classifications: public, confidential, secret, top-secret)`},
		{"a -class:restricted", 10, `unknown classification "restricted"`},
		{"class:secret*", 7, `unknown classification "secret*"`},
		{"class:secret~", 7, `unknown classification "secret~"`},
		{`x classification:"very secret"`, 18, `unknown classification "very secret"`},
		{`class:"secret"~1`, 7, "cannot be fuzzy"},
		{"class:", 6, "missing value"},
		{`class:"secret`, 7, "unterminated phrase"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q) = %v, want *Error", tt.in, err)
			continue
		}
		if pe.Pos != tt.pos || !strings.Contains(pe.Msg, tt.msgPart) {
			t.Errorf("Parse(%q) = %v, want column %d containing %q", tt.in, err, tt.pos, tt.msgPart)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", `nguyen "van thanh" -x name:a~2 born:1970..1979`, `date:>2015 code:HS*`, `class:secret -class:"top secret"`, `"\"`, "-", "a:b", "~~", "born:..", `"x"~`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error is not *Error: %v", err)
			}
			if pe.Pos < 1 || pe.Pos > utf8.RuneCountInString(s)+1 {
				t.Fatalf("error column %d outside input of %d characters", pe.Pos, utf8.RuneCountInString(s))
			}
			return
		}
		for _, c := range q.Clauses {
			if c.Range == nil && c.Text == "" {
				t.Fatalf("clause without text or range: %+v", c)
			}
			if c.Fuzzy < 0 || c.Fuzzy > MaxFuzzy {
				t.Fatalf("fuzziness %d", c.Fuzzy)
			}
			if c.Range != nil && !c.Range.From.IsZero() && !c.Range.To.IsZero() && !c.Range.From.Before(c.Range.To) {
				t.Fatalf("empty range %+v", c.Range)
			}
		}
	})
}
