package main

import (
	"context"
	"fmt"

	"hoso/internal/samples"
)

func init() {
	register(&command{
		Name:  "samples",
		Short: "write sample dossier scans to try hoso with",
		Run: func(ctx context.Context, env *Env, args []string) error {
			fs := newFlagSet(env, "samples", "samples DIR", `
Writes four sample dossiers (eight rendered Vietnamese pages as PDF, TIFF,
PNG and JPEG scans, each folder with its dossier.json) into DIR, ready for
'hoso ingest DIR'.`)
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if fs.NArg() != 1 {
				return fmt.Errorf("%w: samples takes one folder", errUsage)
			}
			if _, err := samples.Write(fs.Arg(0)); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "wrote %d sample dossiers to %s\n", len(samples.Set), fs.Arg(0))
			return nil
		},
	})
}
