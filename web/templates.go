package web

import (
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// pageNames lists the page templates; each is parsed with layout.html.
var pageNames = []string{"login", "error", "search", "person", "dossier", "page", "correct", "new_dossier", "upload",
	"review", "jobs", "job", "tokens", "users", "audit"}

// parseTemplates parses every page with the layout.
func parseTemplates() (map[string]*template.Template, error) {
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	out := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t, err := template.Must(base.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// templateFiles lists the embedded template files (for tests).
func templateFiles() ([]string, error) {
	var out []string
	err := fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && path.Ext(p) == ".html" {
			out = append(out, p)
		}
		return err
	})
	return out, err
}

var funcs = template.FuncMap{
	"langs":    func() []*Lang { return Languages },
	"snippet":  snippetHTML,
	"pct":      pct,
	"add":      func(a, b int) int { return a + b },
	"sub":      func(a, b int) int { return a - b },
	"conf":     func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) },
	"size":     humanSize,
	"thumbH":   thumbHeight,
	"auditURL": auditURL,
	"field":    newField,
	"list":     func(s ...string) []string { return s },
	"percent": func(done, total int) int {
		if total <= 0 {
			return 0
		}
		return min(100, done*100/total)
	},
}

// snippetHTML makes a snippet of the index (text HTML-escaped, matched
// words in <mark>) safe to insert whatever it holds: every piece between
// the marks is unescaped and escaped again, and only well-nested <mark>
// and </mark> survive as tags.
func snippetHTML(s string) template.HTML {
	var b strings.Builder
	open := false
	for s != "" {
		i := strings.Index(s, "<mark>")
		j := strings.Index(s, "</mark>")
		next, tag := len(s), ""
		if i >= 0 && (j < 0 || i < j) {
			next, tag = i, "<mark>"
		} else if j >= 0 {
			next, tag = j, "</mark>"
		}
		b.WriteString(template.HTMLEscapeString(html.UnescapeString(s[:next])))
		switch {
		case tag == "<mark>" && !open:
			b.WriteString(tag)
			open = true
		case tag == "</mark>" && open:
			b.WriteString(tag)
			open = false
		}
		s = s[min(len(s), next+len(tag)):]
	}
	if open {
		b.WriteString("</mark>")
	}
	return template.HTML(b.String())
}

// pct is v as a percentage of total, for SVG coordinates.
func pct(v, total int) string {
	if total <= 0 {
		return "0%"
	}
	return strconv.FormatFloat(float64(v)*100/float64(total), 'f', 4, 64) + "%"
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return strconv.FormatInt(n, 10) + " B"
}

func itoa(n int) string { return strconv.Itoa(n) }

// fieldView is one labelled input of a form (the "field" template).
type fieldView struct {
	Name, Label, Type, Value, Placeholder, Error string
	Required                                     bool
}

func newField(l *Lang, f *formData, name, typ, placeholder string, required bool) fieldView {
	return fieldView{Name: name, Label: l.T("field." + name), Type: typ, Value: f.Values[name], Placeholder: placeholder,
		Error: f.Errors[name], Required: required}
}
