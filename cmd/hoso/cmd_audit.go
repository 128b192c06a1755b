package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"hoso/audit"
	"hoso/storage"
)

// auditOptions are the flags every audit subcommand takes.
type auditOptions struct {
	globalOptions
	KeyFile string
	JSON    bool
}

func (o *auditOptions) AddFlags(fs *flag.FlagSet, env *Env) {
	o.globalOptions.AddFlags(fs, env)
	fs.StringVar(&o.KeyFile, "key-file", env.Getenv("HOSO_AUDIT_KEY_FILE"),
		"`file` holding the audit log's HMAC key [HOSO_AUDIT_KEY_FILE] (default DATA/audit.key, made by hoso serve); verify checks MACs only with a key")
	fs.BoolVar(&o.JSON, "json", false, "print JSON lines")
}

type auditVerifyOptions struct {
	auditOptions
	Expect []audit.Checkpoint
}

func (o *auditVerifyOptions) AddFlags(fs *flag.FlagSet, env *Env) {
	o.auditOptions.AddFlags(fs, env)
	fs.Func("expect", "checkpoint `SEQ:HASH` (from an earlier verify) the log must still reach unchanged; repeatable",
		func(s string) error {
			c, err := audit.ParseCheckpoint(s)
			o.Expect = append(o.Expect, c)
			return err
		})
}

type auditLogOptions struct {
	auditOptions
	User, Dossier, Action, Outcome string
	Since, Until                   string
	Limit                          int
}

func (o *auditLogOptions) AddFlags(fs *flag.FlagSet, env *Env) {
	o.auditOptions.AddFlags(fs, env)
	fs.StringVar(&o.User, "user", "", "only entries of this `user`")
	fs.StringVar(&o.Dossier, "dossier", "", "only entries about this dossier `code`")
	fs.StringVar(&o.Action, "action", "", "only entries of this `action` (sign-in, search, view, download, ...)")
	fs.StringVar(&o.Outcome, "outcome", "", "only entries with this `outcome` (ok, denied, error, not-found)")
	fs.StringVar(&o.Since, "since", "", "only entries at or after `T`: RFC 3339, YYYY-MM-DD (local midnight) or a duration ago (24h, 7d)")
	fs.StringVar(&o.Until, "until", "", "only entries before `T` (same forms as --since)")
	fs.IntVar(&o.Limit, "limit", 0, "print only the newest `N` matching entries (0: all)")
}

func init() { register(auditCommand()) }

const auditHelp = `Usage: hoso audit <subcommand> [flags]

The audit log records every sign-in, search, view, download, upload, edit,
correction and admin action of the server, hash-chained in the object store.

Subcommands:
  log      print entries, oldest first, filtered by user, dossier, action, time
  verify   check the whole log for edited, removed, inserted or reordered entries
  seal     move complete runs of entries into segments (the server does this itself)

Run 'hoso audit <subcommand> --help' for its flags.
`

func auditCommand() *command {
	return &command{
		Name:  "audit",
		Short: "read and verify the tamper-evident audit log",
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
				fmt.Fprint(env.Stdout, auditHelp)
				if len(args) == 0 {
					return fmt.Errorf("%w: name a subcommand: log, verify or seal", errUsage)
				}
				return flag.ErrHelp
			}
			switch args[0] {
			case "log":
				return auditLogCommand(ctx, env, args[1:])
			case "verify":
				return auditVerifyCommand(ctx, env, args[1:])
			case "seal":
				return auditSealCommand(ctx, env, args[1:])
			}
			return fmt.Errorf("%w: unknown audit subcommand %q (log, verify or seal)", errUsage, args[0])
		},
	}
}

func auditLogCommand(ctx context.Context, env *Env, args []string) error {
	var o auditLogOptions
	fs := newFlagSet(env, "audit log", "audit log [flags]", `
Prints audit entries in order (oldest first) as a table of time (local),
user, remote address, action, target and outcome, or with --json as JSON
lines in the stored form (with detail, prev and hash). Filters combine.
Unreadable entries are reported on stderr and make the exit code 3; run
'hoso audit verify' for a full check.`)
	o.AddFlags(fs, env)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: audit log takes no arguments", errUsage)
	}
	if o.Limit < 0 {
		return fmt.Errorf("%w: negative --limit", errUsage)
	}
	return runAuditLog(ctx, env, &o, time.Now())
}

func runAuditLog(ctx context.Context, env *Env, o *auditLogOptions, now time.Time) error {
	f := audit.Filter{User: o.User, Dossier: o.Dossier, Action: o.Action, Outcome: o.Outcome}
	var err error
	if f.Since, err = parseWhen(o.Since, now); err != nil {
		return fmt.Errorf("%w: --since: %v", errUsage, err)
	}
	if f.Until, err = parseWhen(o.Until, now); err != nil {
		return fmt.Errorf("%w: --until: %v", errUsage, err)
	}
	l, store, err := o.openAuditLog(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	defer l.Close(ctx)

	var p entryPrinter = newTablePrinter(env.Stdout)
	if o.JSON {
		p = jsonPrinter{json.NewEncoder(env.Stdout)}
	}
	var keep []audit.Entry // the newest o.Limit, when limited
	bad := 0
	for e, err := range l.Entries(ctx, f) {
		switch {
		case errors.Is(err, audit.ErrTampered):
			fmt.Fprintf(env.Stderr, "hoso audit log: entry %d: %v\n", e.Seq, err)
			bad++
			continue
		case err != nil:
			return err
		}
		if o.Limit == 0 {
			p.Print(e)
			continue
		}
		if len(keep) == o.Limit {
			keep = append(keep[:0], keep[1:]...)
		}
		keep = append(keep, e)
	}
	for _, e := range keep {
		p.Print(e)
	}
	if err := p.Flush(); err != nil {
		return err
	}
	if bad > 0 {
		return fmt.Errorf("%w: %d unreadable entries; run hoso audit verify", errPartial, bad)
	}
	return nil
}

// parseWhen reads RFC 3339, YYYY-MM-DD (local midnight), or a duration
// before now ("90m", "24h", "7d"). "" is the zero time.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, time.Local); err == nil {
		return t, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.AddDate(0, 0, -n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not RFC 3339, YYYY-MM-DD or a duration like 24h or 7d", s)
}

type entryPrinter interface {
	Print(audit.Entry)
	Flush() error
}

type jsonPrinter struct{ enc *json.Encoder }

func (p jsonPrinter) Print(e audit.Entry) { p.enc.Encode(e) }
func (p jsonPrinter) Flush() error        { return nil }

type tablePrinter struct{ tw *tabwriter.Writer }

func newTablePrinter(w io.Writer) tablePrinter {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tUSER\tREMOTE\tACTION\tTARGET\tOUTCOME")
	return tablePrinter{tw}
}

func (p tablePrinter) Print(e audit.Entry) {
	fmt.Fprintf(p.tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.Local().Format(time.DateTime),
		cell(e.User), cell(e.Remote), cell(e.Action), cell(e.Target), cell(e.Outcome))
}

func (p tablePrinter) Flush() error { return p.tw.Flush() }

// cell makes a value safe for one table cell: no tabs, newlines or other
// control characters (a user name or target cannot forge table rows).
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

func auditVerifyCommand(ctx context.Context, env *Env, args []string) error {
	var o auditVerifyOptions
	fs := newFlagSet(env, "audit verify", "audit verify [flags]", `
Reads the whole audit log and checks every entry: its hash, its MAC (with
--key-file), that seqs run without gap, repeat or disorder, that each entry
names the hash of the one before, and that entry objects left beside a
segment match it. Prints each problem with its seq and object, then a
summary with the head (SEQ:HASH of the newest entry): keep that somewhere
the store's writers cannot change, and pass it later with --expect to
detect removal of the newest entries. Exits with 3 when anything is wrong.`)
	o.AddFlags(fs, env)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: audit verify takes no arguments", errUsage)
	}
	return runAuditVerify(ctx, env, &o)
}

func runAuditVerify(ctx context.Context, env *Env, o *auditVerifyOptions) error {
	l, store, err := o.openAuditLog(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	defer l.Close(ctx)
	rep, err := l.Verify(ctx, o.Expect...)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(env.Stdout)
	for _, p := range rep.Problems {
		if o.JSON {
			enc.Encode(map[string]any{"problem": p.Kind, "seq": p.Seq, "key": p.Key, "line": p.Line, "detail": p.Detail})
		} else {
			fmt.Fprintln(env.Stdout, p)
		}
	}
	if o.JSON {
		enc.Encode(map[string]any{"entries": rep.Entries, "segments": rep.Segments, "objects": rep.Objects,
			"leftovers": rep.Leftovers, "macs": rep.MACs, "head": rep.Head.String(), "problems": rep.ProblemCount})
	} else {
		if n := rep.ProblemCount - len(rep.Problems); n > 0 {
			fmt.Fprintf(env.Stdout, "... and %d more problems\n", n)
		}
		macs := "MACs checked"
		if !rep.MACs {
			macs = "MACs not checked (no key: DATA/audit.key is missing and no --key-file)"
		}
		head := rep.Head.String()
		if rep.Head.Seq == 0 {
			head = "none (empty log)"
		}
		fmt.Fprintf(env.Stdout, "checked %d entries (%d segments, %d entry objects), %s: %d problems\nhead %s\n",
			rep.Entries, rep.Segments, rep.Objects, macs, rep.ProblemCount, head)
	}
	if !rep.OK() {
		return fmt.Errorf("%w: %d problems in the audit log", errPartial, rep.ProblemCount)
	}
	return nil
}

func auditSealCommand(ctx context.Context, env *Env, args []string) error {
	var o auditOptions
	fs := newFlagSet(env, "audit seal", "audit seal [flags]", `
Moves every complete run of audit entries into a segment object and removes
entry objects an interrupted seal left behind. The server seals on its own;
this is for a log written by other processes only, or after an error.`)
	o.AddFlags(fs, env)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: audit seal takes no arguments", errUsage)
	}
	l, store, err := o.openAuditLog(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	defer l.Close(ctx)
	n, err := l.Seal(ctx)
	fmt.Fprintf(env.Stdout, "sealed %d entries\n", n)
	return err
}

// openAuditLog opens the store and the audit log in it (without background
// sealing). Close the store when done.
func (o *auditOptions) openAuditLog(ctx context.Context) (*audit.Log, storage.Store, error) {
	key, err := o.auditKey(o.KeyFile, false)
	if err != nil {
		return nil, nil, err
	}
	s, err := o.openStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	l, err := audit.Open(ctx, s, audit.Config{Key: key, ManualSeal: true})
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return l, s, nil
}
