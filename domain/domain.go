// Package domain holds hoso's vocabulary: dossiers, the documents in them and
// their pages, with the rules that make a record valid. It imports nothing of
// hoso's and no vendor library; every other package speaks these types.
//
// A Dossier is one person's folder. Its Documents are the files scanned from
// it (a CV, a verification report, ...), each kept as an immutable original
// addressed by its SHA-256. A Document has Pages; a page's text and word boxes
// live in an OCRResult stored beside the page image (see package archive).
package domain

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// SchemaVersion is the version of the JSON written for manifests, OCR results
// and journal entries. Readers accept versions up to and including it.
const SchemaVersion = 1

// Classification is a dossier's or document's sensitivity. The zero value is
// invalid; levels are ordered Public < Confidential < Secret < TopSecret.
type Classification string

// The four classification levels, lowest first.
const (
	Public       Classification = "public"
	Confidential Classification = "confidential"
	Secret       Classification = "secret"
	TopSecret    Classification = "top-secret"
)

// Classifications lists the levels, lowest first.
var Classifications = []Classification{Public, Confidential, Secret, TopSecret}

// Level returns the rank of c (0 for public) or -1 when c is not a level.
func (c Classification) Level() int {
	for i, l := range Classifications {
		if c == l {
			return i
		}
	}
	return -1
}

// Valid reports whether c is one of the four levels.
func (c Classification) Valid() bool { return c.Level() >= 0 }

// ParseClassification accepts a level name in any case, with '_' or ' ' for '-'.
func ParseClassification(s string) (Classification, error) {
	c := Classification(strings.NewReplacer("_", "-", " ", "-").Replace(strings.ToLower(strings.TrimSpace(s))))
	if !c.Valid() {
		return "", fmt.Errorf("unknown classification %q (want public, confidential, secret or top-secret)", s)
	}
	return c, nil
}

// Allows reports whether a reader cleared to level c may see a record
// classified at level r.
func (c Classification) Allows(r Classification) bool {
	return c.Level() >= 0 && r.Level() >= 0 && r.Level() <= c.Level()
}

// Stricter returns the higher of a and b; an empty value counts as absent.
func Stricter(a, b Classification) Classification {
	if b.Level() > a.Level() {
		return b
	}
	return a
}

// DocumentKind says what a document is.
type DocumentKind string

// The document kinds an archivist can choose.
const (
	KindCV                 DocumentKind = "cv"
	KindVerification       DocumentKind = "verification-report"
	KindPoliticalStandards DocumentKind = "political-standards-conclusion"
	KindLetter             DocumentKind = "letter"
	KindDecision           DocumentKind = "decision"
	KindOther              DocumentKind = "other"
)

// DocumentKinds lists every kind.
var DocumentKinds = []DocumentKind{KindCV, KindVerification, KindPoliticalStandards, KindLetter, KindDecision, KindOther}

// ParseDocumentKind accepts a kind name in any case; "" means other.
func ParseDocumentKind(s string) (DocumentKind, error) {
	k := DocumentKind(strings.ToLower(strings.TrimSpace(s)))
	if k == "" {
		return KindOther, nil
	}
	for _, v := range DocumentKinds {
		if k == v {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown document kind %q (want one of %s)", s, kindList())
}

func kindList() string {
	s := make([]string, len(DocumentKinds))
	for i, k := range DocumentKinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// Date is a calendar date (no time of day), written as YYYY-MM-DD in JSON.
// The zero Date means unknown.
type Date struct{ time.Time }

// ParseDate parses YYYY-MM-DD; "" gives the zero Date.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Date{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("bad date %q (want YYYY-MM-DD)", s)
	}
	return Date{t}, nil
}

// String formats d as YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Format(time.DateOnly)
}

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler. It also accepts an
// RFC 3339 timestamp and keeps its date.
func (d *Date) UnmarshalText(b []byte) error {
	s := string(b)
	if len(s) > len(time.DateOnly) {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			*d = Date{time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)}
			return nil
		}
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON writes "YYYY-MM-DD" (or ""). It must be declared here: the
// embedded time.Time's MarshalJSON would otherwise be promoted and win over
// MarshalText.
func (d Date) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

// UnmarshalJSON reads what MarshalJSON writes (and null).
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("bad date %s: %w", b, err)
	}
	return d.UnmarshalText([]byte(s))
}

// Subject is the person a dossier is about.
type Subject struct {
	FullName  string `json:"full_name"`
	BirthDate Date   `json:"birth_date,omitzero"`
	Hometown  string `json:"hometown,omitempty"`
}

var codeRE = regexp.MustCompile(`^[A-Z0-9][A-Z0-9._-]{0,63}$`)

// NormalizeCode upper-cases and trims a dossier code and checks its form:
// 1-64 characters of A-Z, 0-9, '.', '_' and '-', starting with a letter or
// digit. Codes are case-insensitive; the upper-case form is canonical.
func NormalizeCode(code string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(code))
	if !codeRE.MatchString(c) {
		return "", fmt.Errorf("bad dossier code %q (want 1-64 of A-Z 0-9 . _ -, e.g. HS-2024-000123)", code)
	}
	return c, nil
}

// ErrInvalid marks a record that breaks a rule; the message names the field.
var ErrInvalid = errors.New("invalid record")

// FieldError names the field that is wrong and why.
type FieldError struct {
	Field string // e.g. "documents[2].date"
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Unwrap() error { return ErrInvalid }
