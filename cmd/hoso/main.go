// Command hoso digitizes paper personnel dossiers: it ingests scans, OCRs
// them, stores everything in an object store and serves full-text search.
//
// This package is wiring only: one file per subcommand (cmd_<name>.go), each
// with an options struct, an AddFlags method and a run function that tests
// call in-process. main maps errors to the exit codes documented in usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"hoso/ingest/ocr"
)

// Exit codes.
const (
	exitOK          = 0
	exitError       = 1   // the command failed
	exitUsage       = 2   // bad flags or arguments
	exitPartial     = 3   // the command ran but some items failed (ingest) or problems were found (verify)
	exitInterrupted = 130 // cancelled by a signal
)

var (
	// errUsage marks a bad command line; the message says what is wrong.
	errUsage = errors.New("usage")
	// errPartial marks a run that finished with failures it already reported.
	errPartial = errors.New("finished with failures")
)

// command is one subcommand. Run gets the arguments after the command name;
// it parses its own flags (with the global ones added) from them.
type command struct {
	Name  string
	Short string // one line for the command list
	Run   func(ctx context.Context, env *Env, args []string) error
}

// Env is what a command may touch of the outside world, so that tests run
// commands in-process with buffers.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	Log    *slog.Logger
}

func commands() []*command {
	cmds := append([]*command(nil), registered...)
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name < cmds[j].Name })
	return cmds
}

// registered holds commands added by init functions of cmd_*.go files, so
// that adding a subcommand touches only its own file.
var registered []*command

func register(c *command) { registered = append(registered, c) }

func main() {
	ocr.EnsureThreadLimit() // before anything else: it may re-execute the binary
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	os.Exit(run(ctx, env, os.Args[1:]))
}

// run executes the command line args and returns the exit code.
func run(ctx context.Context, env *Env, args []string) int {
	if env.Log == nil {
		env.Log = newLogger(env)
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) > 1 {
			return run(ctx, env, []string{args[1], "--help"})
		}
		usage(env.Stdout)
		return exitOK
	}
	var cmd *command
	for _, c := range commands() {
		if c.Name == args[0] {
			cmd = c
		}
	}
	if cmd == nil {
		fmt.Fprintf(env.Stderr, "hoso: unknown command %q\n\n", args[0])
		usage(env.Stderr)
		return exitUsage
	}
	err := cmd.Run(ctx, env, args[1:])
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errUsage):
		fmt.Fprintf(env.Stderr, "hoso %s: %v\nRun 'hoso %s --help' for usage.\n", cmd.Name, err, cmd.Name)
		return exitUsage
	case errors.Is(err, errPartial):
		fmt.Fprintf(env.Stderr, "hoso %s: %v\n", cmd.Name, err)
		return exitPartial
	case ctx.Err() != nil:
		fmt.Fprintf(env.Stderr, "hoso %s: interrupted\n", cmd.Name)
		return exitInterrupted
	default:
		fmt.Fprintf(env.Stderr, "hoso %s: %v\n", cmd.Name, err)
		return exitError
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `hoso digitizes paper personnel dossiers: scans in, OCR, object storage, search.

Usage: hoso <command> [flags] [arguments]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.Name, c.Short)
	}
	fmt.Fprint(w, `
Global flags (every command; environment variable in brackets):
  --data DIR     data folder [HOSO_DATA] (default ./hoso-data)
  --store URL    object store [HOSO_STORE] (default file://DATA/objects);
                 s3://BUCKET?endpoint=HOST:PORT&secure=false&region=R with
                 credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
  --index DIR    search index folder [HOSO_INDEX] (default DATA/index)
  --log-level L  debug, info, warn or error [HOSO_LOG_LEVEL] (default warn)

Exit codes: 0 ok, 1 error, 2 bad usage, 3 finished but some items failed or
problems were found, 130 interrupted.

Run 'hoso <command> --help' for a command's flags.
`)
}

// newFlagSet returns a flag set for a subcommand whose --help prints the
// synopsis, the command's own text and its flags, then the global flags.
func newFlagSet(env *Env, name, synopsis, help string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		w := env.Stdout
		fmt.Fprintf(w, "Usage: hoso %s\n\n%s\n\nFlags:\n", synopsis, strings.TrimSpace(help))
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(env.Stderr)
	}
	return fs
}

// parseFlags parses args and maps flag errors to errUsage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}

func newLogger(env *Env) *slog.Logger {
	lvl := slog.LevelWarn
	if s := env.Getenv("HOSO_LOG_LEVEL"); s != "" {
		_ = lvl.UnmarshalText([]byte(s))
	}
	return slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: lvl}))
}
