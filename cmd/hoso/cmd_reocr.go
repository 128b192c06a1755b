package main

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"sync/atomic"

	"hoso/ingest"
	"hoso/ingest/ocr"
	"hoso/internal/progress"
)

type reocrOptions struct {
	globalOptions
	Document string
	Lang     string
	Workers  int
	User     string
}

func (o *reocrOptions) AddFlags(fs *flag.FlagSet, env *Env) {
	o.globalOptions.AddFlags(fs, env)
	fs.StringVar(&o.Document, "document", "", "re-OCR only the document with this `id` (see hoso show)")
	fs.StringVar(&o.Lang, "lang", "vie", "OCR `language`s, e.g. vie+eng")
	fs.IntVar(&o.Workers, "workers", runtime.NumCPU(), "pages OCR'd in parallel")
	fs.StringVar(&o.User, "user", env.Getenv("USER"), "name recorded as the author of the new manifest version")
}

func init() {
	register(&command{
		Name:  "reocr",
		Short: "run OCR of a stored dossier again with other settings",
		Run: func(ctx context.Context, env *Env, args []string) error {
			var o reocrOptions
			fs := newFlagSet(env, "reocr", "reocr [flags] CODE", `
Runs OCR again over the stored originals of a dossier (or of one document
with --document), for example with another language. Each page's earlier
text is kept as a version; the new text becomes current (a person's
correction stays current) and is reindexed.`)
			o.AddFlags(fs, env)
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if fs.NArg() != 1 {
				return fmt.Errorf("%w: reocr takes one dossier code", errUsage)
			}
			return runReocr(ctx, env, &o, fs.Arg(0))
		},
	})
}

func runReocr(ctx context.Context, env *Env, o *reocrOptions, code string) error {
	log := o.logger(env)
	arch, store, err := o.openArchive(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	pool, err := ocr.New(ocr.Config{Lang: o.Lang, Workers: o.Workers, Logger: log})
	if err != nil {
		return err
	}
	defer pool.Close()
	ix, closeIndex := openIndexForWrite(ctx, env, &o.globalOptions, arch, false, log)
	defer closeIndex()
	bar := progress.New(env.Stderr, "reocr", "pages", 0)
	var total atomic.Int64
	cfg := ingest.Config{Archive: arch, OCR: pool, Lang: o.Lang, Workers: o.Workers, User: o.User, Logger: log,
		Events: ingest.Events{Pages: func(n int) { bar.SetTotal(total.Add(int64(n))) }, PageDone: func(string, bool) { bar.Add(1) }}}
	if ix != nil {
		cfg.Indexer = ix
	}
	p, err := ingest.New(cfg)
	if err != nil {
		return err
	}
	d, err := p.Reocr(ctx, code, o.Document)
	bar.Done()
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s: %d pages OCR'd again with %s; now version %d\n", d.Code, p.Stats().PagesOCR, o.Lang, d.Version)
	return nil
}
