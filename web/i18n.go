package web

import (
	"fmt"
	"net/http"
	"time"

	"hoso/domain"
)

// Lang is one interface language: its code (the lang attribute) and its
// table of strings.
type Lang struct {
	Code string // "vi", "en"
	Name string // the language's own name, for the switch
	msgs map[string]string
}

// Languages are the interface languages; the first is the default.
var Languages = []*Lang{
	{Code: "vi", Name: "Tiếng Việt", msgs: viMessages},
	{Code: "en", Name: "English", msgs: enMessages},
}

// langCookie remembers the chosen language.
const langCookie = "hoso_lang"

// langOf returns the language the request's cookie chose, or the default.
func langOf(r *http.Request) *Lang {
	if c, err := r.Cookie(langCookie); err == nil {
		if l := lookupLang(c.Value); l != nil {
			return l
		}
	}
	return Languages[0]
}

func lookupLang(code string) *Lang {
	for _, l := range Languages {
		if l.Code == code {
			return l
		}
	}
	return nil
}

// T returns the string with this key, formatted with args (fmt verbs)
// when given. A missing key gives "⟦key⟧", which tests look for.
func (l *Lang) T(key string, args ...any) string {
	s, ok := l.msgs[key]
	if !ok {
		return "⟦" + key + "⟧"
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Has reports whether key is in the table.
func (l *Lang) Has(key string) bool {
	_, ok := l.msgs[key]
	return ok
}

// calendarDate is a domain.Date, or a type wrapping one.
type calendarDate interface {
	IsZero() bool
	Format(layout string) string
}

// Date formats a calendar date the way the language writes it; the zero
// date is "".
func (l *Lang) Date(d calendarDate) string {
	if d.IsZero() {
		return ""
	}
	if l.Code == "vi" {
		return d.Format("02/01/2006")
	}
	return d.Format("2 Jan 2006")
}

// Time formats an instant in UTC, to the second.
func (l *Lang) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if l.Code == "vi" {
		return t.UTC().Format("15:04:05 02/01/2006") + " UTC"
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

// Kind names a document kind.
func (l *Lang) Kind(k domain.DocumentKind) string {
	if k == "" {
		return ""
	}
	return l.T("kind." + string(k))
}

// Doc names a document: its title, or else its kind.
func (l *Lang) Doc(k domain.DocumentKind, title string) string {
	if title != "" {
		return title
	}
	return l.Kind(k)
}

// Class names a classification level.
func (l *Lang) Class(c domain.Classification) string {
	if c == "" {
		return ""
	}
	return l.T("class." + string(c))
}

// Flag names a page flag.
func (l *Lang) Flag(f string) string {
	if l.Has("flag." + f) {
		return l.T("flag." + f)
	}
	return f
}

// setLang stores the language chosen with ?l= in a cookie (a year) and
// goes back to ?next=.
func (h *Handler) setLang(rq *request) error {
	q := rq.r.URL.Query()
	if l := lookupLang(q.Get("l")); l != nil {
		http.SetCookie(rq.w, &http.Cookie{Name: langCookie, Value: l.Code, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: h.srv.SecureRequest(rq.r), SameSite: http.SameSiteLaxMode})
	}
	return rq.redirect(localPath(q.Get("next")))
}
