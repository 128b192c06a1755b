package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

// cliWith runs hoso in-process with the given environment variables (and
// USER=tester), writing to out and errOut, and returns the exit code. Unlike
// cli it takes a context, so a test may cancel the command, and writers the
// test may read while the command runs.
func cliWith(ctx context.Context, t *testing.T, vars map[string]string, out, errOut io.Writer, args ...string) int {
	t.Helper()
	env := &Env{Stdin: strings.NewReader(""), Stdout: out, Stderr: errOut, Getenv: func(k string) string {
		if k == "USER" {
			return "tester"
		}
		return vars[k]
	}}
	return run(ctx, env, args)
}
