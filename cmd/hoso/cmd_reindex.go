package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"

	"hoso/archive"
	"hoso/index"
	"hoso/internal/progress"
)

type reindexOptions struct {
	globalOptions
	Check bool
	JSON  bool
}

func (o *reindexOptions) AddFlags(fs *flag.FlagSet, env *Env) {
	o.globalOptions.AddFlags(fs, env)
	fs.BoolVar(&o.Check, "check", false, "only compare the index with the store and report; exit 3 when they differ")
	fs.BoolVar(&o.JSON, "json", false, "print the result as JSON")
}

func init() { register(reindexCommand()) }

func reindexCommand() *command {
	return &command{
		Name:  "reindex",
		Short: "rebuild the search index from the store",
		Run: func(ctx context.Context, env *Env, args []string) error {
			var o reindexOptions
			fs := newFlagSet(env, "reindex", "reindex [flags]", `
Builds a new search index from the object store alone (manifests and stored
page texts; nothing is OCR'd again) next to the current one, then switches to
it in one step and removes the old one. Interrupting it leaves the current
index in use. The index is derived data: deleting the index folder loses
nothing, and reindex brings it back.

With --check, it only compares the index with the store (dossier versions and
page counts) and reports missing, stale, extra or damaged dossiers.

The index must not be open elsewhere: stop hoso serve first.`)
			o.AddFlags(fs, env)
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if fs.NArg() > 0 {
				return fmt.Errorf("%w: reindex takes no arguments", errUsage)
			}
			return runReindex(ctx, env, &o)
		},
	}
}

func runReindex(ctx context.Context, env *Env, o *reindexOptions) error {
	arch, store, err := o.openArchive(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	ix, err := index.Open(o.IndexDir(), index.Config{Logger: o.logger(env)})
	if err != nil {
		return err
	}
	defer ix.Close()
	if o.Check {
		return reportHealth(ctx, env, o, ix, arch)
	}
	bar := progress.New(env.Stderr, "reindex", "dossiers", 0)
	st, err := ix.Rebuild(ctx, arch, func(done, total int) {
		bar.SetTotal(int64(total))
		bar.Add(1)
	})
	bar.Done()
	if err != nil {
		return err
	}
	if o.JSON {
		enc := json.NewEncoder(env.Stdout)
		errs := make([]string, len(st.Errors))
		for i, e := range st.Errors {
			errs[i] = e.Error()
		}
		enc.Encode(map[string]any{"dossiers": st.Dossiers, "pages": st.Pages, "failed": st.Failed, "errors": errs})
	} else {
		fmt.Fprintf(env.Stdout, "indexed %d dossiers, %d pages\n", st.Dossiers, st.Pages)
		for _, e := range st.Errors {
			fmt.Fprintf(env.Stdout, "not indexed: %v\n", e)
		}
	}
	if st.Failed > 0 {
		return fmt.Errorf("%w: %d dossiers could not be indexed", errPartial, st.Failed)
	}
	return nil
}

func reportHealth(ctx context.Context, env *Env, o *reindexOptions, ix *index.Index, arch *archive.Archive) error {
	h, err := ix.Check(ctx, arch)
	if err != nil && !errors.Is(err, index.ErrOutOfSync) {
		return err
	}
	if o.JSON {
		json.NewEncoder(env.Stdout).Encode(h)
	} else {
		fmt.Fprintf(env.Stdout, "store: %d dossiers; index: %d dossiers, %d pages (expected %d)\n",
			h.StoreDossiers, h.IndexedDossiers, h.IndexPages, h.ExpectedPages)
		for _, l := range []struct {
			what  string
			n     int
			codes []string
		}{{"missing", h.NumMissing, h.Missing}, {"stale", h.NumStale, h.Stale}, {"not in the store", h.NumExtra, h.Extra}, {"damaged", h.NumDamaged, h.Damaged}} {
			if l.n > 0 {
				fmt.Fprintf(env.Stdout, "%d dossiers %s: %v\n", l.n, l.what, l.codes)
			}
		}
		if h.OK {
			fmt.Fprintln(env.Stdout, "index is in sync with the store")
		}
	}
	if err != nil {
		return fmt.Errorf("%w: %v (run hoso reindex)", errPartial, err)
	}
	return nil
}
