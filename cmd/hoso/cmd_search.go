package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"strings"

	"hoso/domain"
	"hoso/index"
	"hoso/internal/progress"
)

type searchOptions struct {
	globalOptions
	JSON      bool
	Limit     int
	Page      int
	Clearance string
	Sort      string
	Hits      int
	NoFacets  bool
	NoSync    bool
}

func (o *searchOptions) AddFlags(fs *flag.FlagSet, env *Env) {
	o.globalOptions.AddFlags(fs, env)
	fs.BoolVar(&o.JSON, "json", false, "print the results as JSON (total, total_pages, dossiers, facets, fuzzy)")
	fs.IntVar(&o.Limit, "limit", 10, "dossiers per page of results")
	fs.IntVar(&o.Page, "page", 1, "page of results (1 is the first)")
	clr := env.Getenv("HOSO_CLEARANCE")
	if clr == "" {
		clr = string(domain.Public)
	}
	fs.StringVar(&o.Clearance, "clearance", clr, "your `level`: public, confidential, secret or top-secret [HOSO_CLEARANCE]")
	fs.StringVar(&o.Sort, "sort", index.SortRelevance, "order: relevance, code, date (earliest first) or -date (latest first)")
	fs.IntVar(&o.Hits, "hits", 3, "matching pages shown per dossier")
	fs.BoolVar(&o.NoFacets, "no-facets", false, "do not count results per unit, kind, classification, decade and year")
	fs.BoolVar(&o.NoSync, "no-sync", false, "search the index as it is, without first reading new commits from the store")
}

func init() { register(searchCommand()) }

const searchHelp = `
Searches the dossiers' pages and prints the matching dossiers, best first,
each with its best matching pages and the matched words in context. Only
pages at or below your clearance are searched; counts never include others.

Query syntax (all terms must match; there is no OR):
  nguyen van thanh          words, in any case, with or without diacritics
  Thành                     typed with diacritics, exact spellings rank first
  "Nguyễn Văn Thành"        an exact phrase
  thanh~  thanh~2           fuzzy: up to 1 (or 2) letters wrong (OCR errors)
  nguy*                     words starting with "nguy"
  -word  -"a phrase"        leave out pages containing it
  name:thanh  name:"Trần Thị Thanh"      the subject's name
  code:HS-2024-000123  code:HS-2024*     dossier code (* = prefix)
  unit:"Sở Nội vụ"  hometown:"Nghệ An"  title:"quyết định"  text:lý lịch
  kind:verification-report  kind:cv     document kind (a unique prefix will do)
  flag:low-confidence                   page flag
  class:secret  -class:top-secret       dossier classification (public,
                                        confidential, secret, top-secret)
  born:1975  born:1970..1979  born:>1970  born:<=1980-06
  date:>2015  date:2010..2015  year:2019 document date
  -unit:"Sở Nội vụ"                     exclude a filter
When nothing matches exactly, words are retried allowing 1 wrong letter,
then 2 (from 6 letters on) if that finds nothing (only the words the
archive lacks, if any; in a phrase of words that all occur, one word at a
time, 1 letter), and the output says so.

Examples:
  hoso search 'nguyen van thanh born:1970..1979'
  hoso search --clearance secret 'kind:verif "tiêu chuẩn chính trị"'
  hoso search --json --limit 50 'unit:"Sở Nội vụ" date:>2015'`

func searchCommand() *command {
	return &command{
		Name:  "search",
		Short: "full-text search of the dossiers",
		Run: func(ctx context.Context, env *Env, args []string) error {
			var o searchOptions
			fs := newFlagSet(env, "search", "search [flags] QUERY", searchHelp)
			o.AddFlags(fs, env)
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if fs.NArg() == 0 {
				return fmt.Errorf("%w: search needs a QUERY (see hoso search --help)", errUsage)
			}
			return runSearch(ctx, env, &o, strings.Join(fs.Args(), " "))
		},
	}
}

func runSearch(ctx context.Context, env *Env, o *searchOptions, q string) error {
	clearance, err := domain.ParseClassification(o.Clearance)
	if err != nil {
		return fmt.Errorf("%w: --clearance: %v", errUsage, err)
	}
	if o.Limit < 1 || o.Page < 1 {
		return fmt.Errorf("%w: --limit and --page must be at least 1", errUsage)
	}
	log := o.logger(env)
	ix, err := index.Open(o.IndexDir(), index.Config{Logger: log})
	if err != nil {
		return err
	}
	defer ix.Close()
	if !o.NoSync {
		syncIndex(ctx, env, &o.globalOptions, ix)
	}
	res, err := ix.Search(ctx, index.Request{
		Query: q, Clearance: clearance, Offset: (o.Page - 1) * o.Limit, Limit: o.Limit,
		Sort: o.Sort, HitsPerDossier: o.Hits, Facets: !o.NoFacets,
	})
	if errors.Is(err, index.ErrQuery) {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if err != nil {
		return err
	}
	if o.JSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{
			"query": q, "total": res.Total, "total_pages": res.TotalPages, "dossiers": res.Dossiers,
			"facets": res.Facets, "fuzzy": res.Fuzzy, "took_ms": res.Took.Milliseconds(),
		})
	}
	printResults(env.Stdout, progress.IsTerminal(env.Stdout), q, o, res)
	return nil
}

// syncIndex reads commits the index has not seen yet; a store that cannot
// be opened only earns a warning (the index is searched as it is).
func syncIndex(ctx context.Context, env *Env, g *globalOptions, ix *index.Index) {
	arch, store, err := g.openArchive(ctx)
	if err != nil {
		fmt.Fprintf(env.Stderr, "warning: searching without reading new commits: %v\n", err)
		return
	}
	defer store.Close()
	if err := ix.CatchUp(ctx, arch); err != nil {
		fmt.Fprintf(env.Stderr, "warning: index catch-up: %v\n", err)
	}
}

func printResults(w io.Writer, tty bool, q string, o *searchOptions, res *index.Response) {
	from := (o.Page-1)*o.Limit + 1
	fmt.Fprintf(w, "%d dossiers (%d pages) match %q", res.Total, res.TotalPages, q)
	if res.Total > 0 {
		fmt.Fprintf(w, "; showing %d-%d", min(from, res.Total), min(from+len(res.Dossiers)-1, res.Total))
	}
	fmt.Fprintf(w, " [%s]\n", res.Took.Round(100_000))
	if res.Fuzzy {
		fmt.Fprintln(w, "No exact match: these results allow 1-2 wrong letters per word.")
	}
	for _, d := range res.Dossiers {
		fmt.Fprintf(w, "\n%s  %s", bold(tty, d.Code), d.Subject)
		if d.Unit != "" {
			fmt.Fprintf(w, "  · %s", d.Unit)
		}
		fmt.Fprintf(w, "  · %s  score %.3f  (%d matching pages)\n", d.Classification, d.Score, d.MatchedPages)
		for _, h := range d.Hits {
			fmt.Fprintf(w, "    page %d of %s", h.Page, h.Kind)
			if h.Title != "" {
				fmt.Fprintf(w, " %q", h.Title)
			}
			if !h.Date.IsZero() {
				fmt.Fprintf(w, " (%s)", h.Date)
			}
			fmt.Fprintf(w, "  [%s]\n", h.DocumentID)
			for _, s := range h.Snippets {
				fmt.Fprintf(w, "        %s\n", terminalSnippet(tty, s))
			}
		}
	}
	if len(res.Facets) > 0 && res.Total > 0 {
		fmt.Fprintln(w, "\nNarrow by (dossiers):")
		for _, name := range []string{index.FacetUnit, index.FacetKind, index.FacetClassification, index.FacetBirthDecade, index.FacetDocYear} {
			var parts []string
			for i, f := range res.Facets[name] {
				if i == 8 {
					parts = append(parts, "…")
					break
				}
				parts = append(parts, fmt.Sprintf("%s (%d)", f.Value, f.Count))
			}
			if len(parts) > 0 {
				fmt.Fprintf(w, "  %-15s %s\n", strings.ReplaceAll(name, "_", " ")+":", strings.Join(parts, ", "))
			}
		}
	}
	if res.Total > from-1+len(res.Dossiers) {
		fmt.Fprintf(w, "\nMore: --page %d\n", o.Page+1)
	}
}

func bold(tty bool, s string) string {
	if tty {
		return "\x1b[1m" + s + "\x1b[0m"
	}
	return s
}

// terminalSnippet turns a snippet's <mark> into bold on a terminal and
// [brackets] elsewhere, and unescapes the rest.
func terminalSnippet(tty bool, s string) string {
	open, close := "[", "]"
	if tty {
		open, close = "\x1b[1m", "\x1b[0m"
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "<mark>")
		if i < 0 {
			b.WriteString(html.UnescapeString(s))
			return b.String()
		}
		j := strings.Index(s[i:], "</mark>")
		if j < 0 {
			b.WriteString(html.UnescapeString(s))
			return b.String()
		}
		b.WriteString(html.UnescapeString(s[:i]))
		b.WriteString(open + html.UnescapeString(s[i+len("<mark>"):i+j]) + close)
		s = s[i+j+len("</mark>"):]
	}
}
