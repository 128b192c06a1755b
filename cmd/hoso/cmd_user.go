package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"hoso/audit"
	"hoso/auth"
	"hoso/domain"
)

type userOptions struct {
	globalOptions
	Role          string
	Clearance     string
	PasswordStdin bool
	Label         string
	Tokens        bool
}

// userSub is one "hoso user" subcommand: flags adds its own flags, args is
// how many positional arguments it takes.
type userSub struct {
	name, synopsis, help string
	args                 int
	flags                func(fs *flag.FlagSet, o *userOptions)
	run                  func(ctx context.Context, env *Env, o *userOptions, svc *auth.Service, args []string) error
}

func (o *userOptions) roleFlag(fs *flag.FlagSet, help string) {
	fs.StringVar(&o.Role, "role", "", help)
}

func (o *userOptions) clearanceFlag(fs *flag.FlagSet, help string) {
	fs.StringVar(&o.Clearance, "clearance", "", help)
}

func (o *userOptions) passwordStdinFlag(fs *flag.FlagSet) {
	fs.BoolVar(&o.PasswordStdin, "password-stdin", false, "read the password from the first line of standard input instead of generating one")
}

func userSubs() []*userSub {
	return []*userSub{
		{name: "add", synopsis: "user add NAME --role R --clearance L [--password-stdin]", args: 1,
			help: `Creates an account. Without --password-stdin a strong password is generated
and printed once. Names are 1-64 of a-z 0-9 . _ -; passwords at least 10
characters.`,
			flags: func(fs *flag.FlagSet, o *userOptions) {
				o.roleFlag(fs, "`role`: admin, archivist or reader (required)")
				o.clearanceFlag(fs, "clearance `level`: public, confidential, secret or top-secret (required)")
				o.passwordStdinFlag(fs)
			},
			run: runUserAdd},
		{name: "list", synopsis: "user list [--tokens]",
			help: `Prints every account: name, role, clearance, whether disabled, number of
active API tokens. With --tokens, then every token: user, id, label,
created, revoked.`,
			flags: func(fs *flag.FlagSet, o *userOptions) {
				fs.BoolVar(&o.Tokens, "tokens", false, "also list the API tokens")
			},
			run: runUserList},
		{name: "disable", synopsis: "user disable NAME", args: 1,
			help: `Stops a user from signing in, ends their sessions (within seconds in a
running server) and revokes all their API tokens for good.`,
			run: func(ctx context.Context, env *Env, _ *userOptions, svc *auth.Service, a []string) error {
				if err := svc.Disable(ctx, a[0]); err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "disabled user %s: sessions ended, tokens revoked\n", a[0])
				return nil
			}},
		{name: "enable", synopsis: "user enable NAME", args: 1,
			help: "Lets a disabled user sign in again. Revoked tokens stay revoked.",
			run: func(ctx context.Context, env *Env, _ *userOptions, svc *auth.Service, a []string) error {
				if err := svc.Enable(ctx, a[0]); err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "enabled user %s\n", a[0])
				return nil
			}},
		{name: "passwd", synopsis: "user passwd NAME [--password-stdin]", args: 1,
			help: `Sets a user's password and ends their sessions. Without --password-stdin
a strong password is generated and printed once.`,
			flags: func(fs *flag.FlagSet, o *userOptions) { o.passwordStdinFlag(fs) },
			run:   runUserPasswd},
		{name: "token", synopsis: "user token NAME [--label L]", args: 1,
			help: `Creates an API token for a user and prints its secret once, alone on
standard output (the token id goes to standard error). Clients send it as
"Authorization: Bearer <secret>".`,
			flags: func(fs *flag.FlagSet, o *userOptions) {
				fs.StringVar(&o.Label, "label", "", "what the token is for, e.g. `\"scan station 1\"`")
			},
			run: runUserToken},
		{name: "revoke-token", synopsis: "user revoke-token NAME TOKEN-ID", args: 2,
			help: "Revokes one API token of a user (ids are shown by 'hoso user list --tokens').",
			run: func(ctx context.Context, env *Env, _ *userOptions, svc *auth.Service, a []string) error {
				if err := svc.RevokeToken(ctx, a[0], a[1]); err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "revoked token %s of %s\n", a[1], a[0])
				return nil
			}},
		{name: "set", synopsis: "user set NAME [--role R] [--clearance L]", args: 1,
			help: "Changes a user's role, clearance or both. Running servers apply it within seconds.",
			flags: func(fs *flag.FlagSet, o *userOptions) {
				o.roleFlag(fs, "new `role`: admin, archivist or reader")
				o.clearanceFlag(fs, "new clearance `level`: public, confidential, secret or top-secret")
			},
			run: runUserSet},
	}
}

const userHelp = `Usage: hoso user <subcommand> [flags] [arguments]

Manages the accounts kept in the object store. Roles: admin (everything),
archivist (upload, edit, correct text, jobs, search, view, download), reader
(search and view; no download of originals). A user sees records classified
at or below their clearance.

Subcommands:
`

// userArgon2 is the password hashing cost; the zero value is
// auth.DefaultArgon2. Only tests change it, to save seconds under -race.
var userArgon2 auth.Argon2Params

func init() {
	register(&command{Name: "user", Short: "manage user accounts and API tokens", Run: runUserCommand})
}

func runUserCommand(ctx context.Context, env *Env, args []string) error {
	subs := userSubs()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w := env.Stdout
		if len(args) == 0 {
			w = env.Stderr
		}
		fmt.Fprint(w, userHelp)
		for _, s := range subs {
			fmt.Fprintf(w, "  hoso %s\n", s.synopsis)
		}
		fmt.Fprint(w, "\nRun 'hoso user <subcommand> --help' for its flags.\n")
		if len(args) == 0 {
			return fmt.Errorf("%w: name a subcommand", errUsage)
		}
		return flag.ErrHelp
	}
	var sub *userSub
	for _, s := range subs {
		if s.name == args[0] {
			sub = s
		}
	}
	if sub == nil {
		return fmt.Errorf("%w: unknown subcommand %q", errUsage, args[0])
	}
	var o userOptions
	fs := newFlagSet(env, "user "+sub.name, sub.synopsis, sub.help)
	o.globalOptions.AddFlags(fs, env)
	if sub.flags != nil {
		sub.flags(fs, &o)
	}
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != sub.args {
		return fmt.Errorf("%w: user %s takes %d argument(s), got %d", errUsage, sub.name, sub.args, len(pos))
	}
	store, err := o.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	svc, err := auth.New(store, auth.Config{Argon2: userArgon2, Log: o.logger(env)})
	if err != nil {
		return err
	}
	if sub.name == "list" {
		return sub.run(ctx, env, &o, svc, pos)
	}
	// Every change to accounts is audited before it is made.
	aud, err := o.openCLIAuditor(ctx, env, store)
	if err != nil {
		return err
	}
	defer aud.Close(context.WithoutCancel(ctx))
	action := "user." + sub.name
	detail := map[string]any{"via": "cli"}
	if o.Role != "" {
		detail["role"] = o.Role
	}
	if o.Clearance != "" {
		detail["clearance"] = o.Clearance
	}
	if err := aud.record(ctx, action, pos[0], audit.OutcomeOK, detail); err != nil {
		return err
	}
	if err := sub.run(ctx, env, &o, svc, pos); err != nil {
		detail["error"] = err.Error()
		aud.record(context.WithoutCancel(ctx), action, pos[0], audit.OutcomeError, detail)
		return err
	}
	return nil
}

// parseInterspersed parses flags that may come before, between or after
// the positional arguments ("user add alice --role reader") and returns the
// positional ones. Everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func runUserAdd(ctx context.Context, env *Env, o *userOptions, svc *auth.Service, a []string) error {
	if o.Role == "" || o.Clearance == "" {
		return fmt.Errorf("%w: --role and --clearance are required", errUsage)
	}
	role, clearance, err := parseRoleClearance(o.Role, o.Clearance)
	if err != nil {
		return err
	}
	pw, generated, err := userPassword(env, o)
	if err != nil {
		return err
	}
	u, err := svc.AddUser(ctx, a[0], role, clearance, pw)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "added user %s: role %s, clearance %s\n", u.Name, u.Role, u.Clearance)
	if generated {
		printPassword(env.Stdout, u.Name, pw)
	}
	return nil
}

func runUserPasswd(ctx context.Context, env *Env, o *userOptions, svc *auth.Service, a []string) error {
	pw, generated, err := userPassword(env, o)
	if err != nil {
		return err
	}
	if err := svc.SetPassword(ctx, a[0], pw); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "password of %s changed; their sessions are ended\n", a[0])
	if generated {
		printPassword(env.Stdout, a[0], pw)
	}
	return nil
}

func printPassword(w io.Writer, name, pw string) {
	fmt.Fprintf(w, "password for %s (shown once; hand it over privately):\n%s\n", name, pw)
}

// userPassword reads the password from stdin (--password-stdin) or
// generates one.
func userPassword(env *Env, o *userOptions) (pw string, generated bool, err error) {
	if !o.PasswordStdin {
		return auth.GeneratePassword(), true, nil
	}
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, fmt.Errorf("read password: %w", err)
	}
	pw = strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", false, fmt.Errorf("%w: no password on standard input", errUsage)
	}
	return pw, false, nil
}

func parseRoleClearance(role, clearance string) (auth.Role, domain.Classification, error) {
	var r auth.Role
	var c domain.Classification
	var err error
	if role != "" {
		if r, err = auth.ParseRole(role); err != nil {
			return "", "", fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	if clearance != "" {
		if c, err = domain.ParseClassification(clearance); err != nil {
			return "", "", fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	return r, c, nil
}

func runUserSet(ctx context.Context, env *Env, o *userOptions, svc *auth.Service, a []string) error {
	if o.Role == "" && o.Clearance == "" {
		return fmt.Errorf("%w: give --role, --clearance or both", errUsage)
	}
	role, clearance, err := parseRoleClearance(o.Role, o.Clearance)
	if err != nil {
		return err
	}
	if role != "" {
		if err := svc.SetRole(ctx, a[0], role); err != nil {
			return err
		}
	}
	if clearance != "" {
		if err := svc.SetClearance(ctx, a[0], clearance); err != nil {
			return err
		}
	}
	u, err := svc.Get(ctx, a[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "user %s: role %s, clearance %s\n", u.Name, u.Role, u.Clearance)
	return nil
}

func runUserToken(ctx context.Context, env *Env, o *userOptions, svc *auth.Service, a []string) error {
	secret, tok, err := svc.CreateToken(ctx, a[0], o.Label)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "created token %s for %s (the secret below is shown once)\n", tok.ID, a[0])
	fmt.Fprintln(env.Stdout, secret)
	return nil
}

const userTimeFormat = "2006-01-02 15:04"

func runUserList(ctx context.Context, env *Env, o *userOptions, svc *auth.Service, _ []string) error {
	users, err := svc.List(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tCLEARANCE\tDISABLED\tTOKENS\tCREATED")
	for _, u := range users {
		disabled := "no"
		if u.Disabled {
			disabled = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", u.Name, u.Role, u.Clearance, disabled,
			u.ActiveTokens(), u.CreatedAt.Local().Format(userTimeFormat))
	}
	if err := tw.Flush(); err != nil || !o.Tokens {
		return err
	}
	fmt.Fprintln(env.Stdout)
	fmt.Fprintln(tw, "USER\tTOKEN-ID\tLABEL\tCREATED\tREVOKED")
	for _, u := range users {
		for _, t := range u.Tokens {
			revoked := "-"
			if !t.Active() {
				revoked = t.Revoked.Local().Format(userTimeFormat)
			}
			fmt.Fprintf(tw, "%s\t%s\t%q\t%s\t%s\n", u.Name, t.ID, t.Label, t.Created.Local().Format(userTimeFormat), revoked)
		}
	}
	return tw.Flush()
}
