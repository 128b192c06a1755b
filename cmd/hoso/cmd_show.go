package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"

	"hoso/domain"
	"hoso/ingest"
)

type showOptions struct {
	globalOptions
	JSON     bool
	NoText   bool
	Document string
}

func (o *showOptions) AddFlags(fs *flag.FlagSet, env *Env) {
	o.globalOptions.AddFlags(fs, env)
	fs.BoolVar(&o.JSON, "json", false, "print the manifest with each page's text as JSON")
	fs.BoolVar(&o.NoText, "no-text", false, "leave out the pages' text")
	fs.StringVar(&o.Document, "document", "", "show only the document with this `id`")
}

func init() { register(showCommand()) }

func showCommand() *command {
	return &command{
		Name:  "show",
		Short: "print a stored dossier with its documents and pages' text",
		Run: func(ctx context.Context, env *Env, args []string) error {
			var o showOptions
			fs := newFlagSet(env, "show", "show [flags] CODE", `
Prints the current version of a dossier from the object store: subject,
unit, classification, then each document (kind, title, date, original file)
and each page with its flags, OCR confidence and text.`)
			o.AddFlags(fs, env)
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if fs.NArg() != 1 {
				return fmt.Errorf("%w: show takes one dossier code", errUsage)
			}
			return runShow(ctx, env, &o, fs.Arg(0))
		},
	}
}

func runShow(ctx context.Context, env *Env, o *showOptions, code string) error {
	arch, store, err := o.openArchive(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	d, err := arch.Load(ctx, code)
	if err != nil {
		return err
	}
	if o.Document != "" {
		doc := d.Document(o.Document)
		if doc == nil {
			return fmt.Errorf("dossier %s has no document %q", d.Code, o.Document)
		}
		d.Documents = []domain.Document{*doc}
	}
	if !o.NoText {
		if err := ingest.FillTexts(ctx, arch, d, nil); err != nil {
			return err
		}
	}
	if o.JSON {
		return json.NewEncoder(env.Stdout).Encode(showJSON(d, !o.NoText))
	}
	w := env.Stdout
	fmt.Fprintf(w, "%s  %s", d.Code, d.Subject.FullName)
	if !d.Subject.BirthDate.IsZero() {
		fmt.Fprintf(w, ", born %s", d.Subject.BirthDate)
	}
	if d.Subject.Hometown != "" {
		fmt.Fprintf(w, ", %s", d.Subject.Hometown)
	}
	fmt.Fprintf(w, "\nunit: %s\nclassification: %s\nversion %d, updated %s", d.Unit, d.Classification, d.Version, d.UpdatedAt.Format("2006-01-02 15:04"))
	if d.UpdatedBy != "" {
		fmt.Fprintf(w, " by %s", d.UpdatedBy)
	}
	fmt.Fprintln(w)
	for _, doc := range d.Documents {
		fmt.Fprintf(w, "\n[%s] %s %q", doc.ID, doc.Kind, doc.Title)
		if !doc.Date.IsZero() {
			fmt.Fprintf(w, " %s", doc.Date)
		}
		if doc.Classification != "" {
			fmt.Fprintf(w, " (%s)", doc.Classification)
		}
		fmt.Fprintf(w, "\n  original: %s, %s, %s, sha256 %s\n", doc.Original.Filename, doc.Original.MediaType, humanBytes(doc.Original.Size), doc.Original.SHA256[:16])
		for _, p := range doc.Pages {
			fmt.Fprintf(w, "  page %d: %dx%d", p.Number, p.Width, p.Height)
			if p.DPI > 0 {
				fmt.Fprintf(w, " %.0f dpi", p.DPI)
			}
			fmt.Fprintf(w, ", confidence %.0f", p.MeanConfidence)
			if len(p.Flags) > 0 {
				fmt.Fprintf(w, " [%s]", strings.Join(p.Flags, ", "))
			}
			fmt.Fprintln(w)
			if p.Text != nil && p.Text.Text != "" {
				for _, line := range strings.Split(strings.TrimRight(p.Text.Text, "\n"), "\n") {
					fmt.Fprintf(w, "    | %s\n", line)
				}
			}
		}
	}
	return nil
}

// showJSON is the manifest plus each page's text.
func showJSON(d *domain.Dossier, withText bool) any {
	type page struct {
		domain.Page
		Text string `json:"text,omitempty"`
	}
	type document struct {
		domain.Document
		Pages []page `json:"pages"`
	}
	out := struct {
		*domain.Dossier
		Documents []document `json:"documents"`
	}{Dossier: d}
	for _, doc := range d.Documents {
		od := document{Document: doc}
		for _, p := range doc.Pages {
			op := page{Page: p}
			if withText && p.Text != nil {
				op.Text = p.Text.Text
			}
			od.Pages = append(od.Pages, op)
		}
		out.Documents = append(out.Documents, od)
	}
	return out
}
