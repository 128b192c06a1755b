package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"runtime"

	"hoso/archive"
	"hoso/internal/progress"
)

type verifyOptions struct {
	globalOptions
	Workers int
	JSON    bool
}

func (o *verifyOptions) AddFlags(fs *flag.FlagSet, env *Env) {
	o.globalOptions.AddFlags(fs, env)
	fs.IntVar(&o.Workers, "workers", 2*runtime.NumCPU(), "objects checked in parallel")
	fs.BoolVar(&o.JSON, "json", false, "print each problem and the summary as JSON lines")
}

func init() { register(verifyCommand()) }

func verifyCommand() *command {
	return &command{
		Name:  "verify",
		Short: "check every stored object against its checksum",
		Run: func(ctx context.Context, env *Env, args []string) error {
			var o verifyOptions
			fs := newFlagSet(env, "verify", "verify [flags]", `
Walks every object the dossier manifests reference (manifests, originals,
page images, page texts), checks that it exists and that its content matches
its SHA-256, and prints each missing or corrupt object with its dossier,
document and page. Exits with 3 when anything is wrong.`)
			o.AddFlags(fs, env)
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if fs.NArg() > 0 {
				return fmt.Errorf("%w: verify takes no arguments", errUsage)
			}
			return runVerify(ctx, env, &o)
		},
	}
}

func runVerify(ctx context.Context, env *Env, o *verifyOptions) error {
	arch, store, err := o.openArchive(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	bar := progress.New(env.Stderr, "verify", "objects", 0)
	enc := json.NewEncoder(env.Stdout)
	st, err := arch.Verify(ctx, o.Workers,
		func(n int) { bar.SetTotal(int64(n)) },
		func() { bar.Add(1) },
		func(p archive.Problem) {
			if o.JSON {
				enc.Encode(map[string]any{"problem": p.Kind, "dossier": p.Code, "document": p.Document, "page": p.Page, "object": p.What, "key": p.Key, "error": p.Err.Error()})
				return
			}
			fmt.Fprintf(env.Stdout, "%s\n", p)
		})
	bar.Done()
	if err != nil {
		return err
	}
	if o.JSON {
		enc.Encode(map[string]any{"dossiers": st.Dossiers, "objects": st.Objects, "bytes": st.Bytes, "problems": st.Problems})
	} else {
		fmt.Fprintf(env.Stdout, "checked %d dossiers, %d objects, %s: %d problems\n", st.Dossiers, st.Objects, humanBytes(st.Bytes), st.Problems)
	}
	if st.Problems > 0 {
		return fmt.Errorf("%w: %d problems found", errPartial, st.Problems)
	}
	return nil
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
