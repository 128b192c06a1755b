package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"hoso/auth"
	"hoso/domain"
	"hoso/storage/fs"
)

// userCLI runs hoso in-process with HOSO_DATA=data and stdin, and returns
// the exit code and outputs.
func userCLI(t *testing.T, data, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
		if k == "HOSO_DATA" {
			return data
		}
		return ""
	}}
	code := run(context.Background(), env, args)
	return code, out.String(), errb.String()
}

// userService opens the store the CLI wrote, as the server would.
func userService(t *testing.T, data string) *auth.Service {
	t.Helper()
	store, err := fs.New(filepath.Join(data, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	svc, err := auth.New(store, auth.Config{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// cheapUserHashes makes the CLI hash passwords cheaply for the test.
func cheapUserHashes(t *testing.T) {
	old := userArgon2
	userArgon2 = auth.Argon2Params{Memory: 64, Time: 1, Threads: 1}
	t.Cleanup(func() { userArgon2 = old })
}

func TestUserCLI(t *testing.T) {
	cheapUserHashes(t)
	ctx := context.Background()
	data := t.TempDir()
	ok := func(stdin string, args ...string) string {
		t.Helper()
		code, out, errOut := userCLI(t, data, stdin, args...)
		if code != exitOK {
			t.Fatalf("hoso %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}

	// Flags may follow the name; the password comes from stdin.
	out := ok("first password\n", "user", "add", "root", "--role", "admin", "--clearance", "top-secret", "--password-stdin")
	if !strings.Contains(out, "added user root: role admin, clearance top-secret") || strings.Contains(out, "first password") {
		t.Errorf("add: %s", out)
	}
	// A generated password is printed once and works.
	out = ok("", "user", "add", "--role=Reader", "--clearance", "confidential", "lan.tran")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	pw := lines[len(lines)-1]
	if !strings.Contains(out, "shown once") || auth.CheckPassword("lan.tran", pw) != nil {
		t.Fatalf("add with generated password: %q", out)
	}
	svc := userService(t, data)
	if u, err := svc.Login(ctx, "lan.tran", pw, ""); err != nil || u.Role != auth.Reader || u.Clearance != domain.Confidential {
		t.Fatalf("login with printed password: %+v, %v", u, err)
	}
	if _, err := svc.Login(ctx, "root", "first password", ""); err != nil {
		t.Fatalf("login with stdin password: %v", err)
	}

	ok("", "user", "set", "lan.tran", "--role", "archivist", "--clearance", "secret")
	secret := strings.TrimSpace(ok("", "user", "token", "lan.tran", "--label", "scan station 1"))
	u, err := svc.AuthenticateToken(ctx, secret)
	if err != nil || u.Role != auth.Archivist || u.Clearance != domain.Secret {
		t.Fatalf("token printed by the CLI: %+v, %v", u, err)
	}

	out = ok("", "user", "list", "--tokens")
	for _, want := range []string{
		"NAME      ROLE       CLEARANCE   DISABLED  TOKENS",
		"lan.tran  archivist  secret      no        1",
		"root      admin      top-secret  no        0",
		u.Tokens[0].ID, `"scan station 1"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}

	ok("", "user", "revoke-token", "lan.tran", u.Tokens[0].ID)
	if u, _ := svc.Get(ctx, "lan.tran"); u.ActiveTokens() != 0 {
		t.Errorf("token not revoked: %+v", u.Tokens)
	}

	ok("", "user", "disable", "lan.tran")
	if !strings.Contains(ok("", "user", "list"), "lan.tran  archivist  secret      yes") {
		t.Error("list does not show lan.tran disabled")
	}
	if _, err := svc.Login(ctx, "lan.tran", pw, ""); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("login of disabled user: %v", err)
	}
	ok("", "user", "enable", "lan.tran")
	ok("a brand new password\r\n", "user", "passwd", "lan.tran", "--password-stdin")
	if _, err := svc.Login(ctx, "lan.tran", "a brand new password", ""); err != nil {
		t.Errorf("login with new password: %v", err)
	}
	out = ok("", "user", "passwd", "lan.tran")
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if _, err := svc.Login(ctx, "lan.tran", lines[len(lines)-1], ""); err != nil {
		t.Errorf("login with generated new password: %v\n%s", err, out)
	}
}

func TestUserCLIErrors(t *testing.T) {
	cheapUserHashes(t)
	data := t.TempDir()
	if code, _, errOut := userCLI(t, data, "", "user", "add", "root", "--role", "admin", "--clearance", "secret"); code != exitOK {
		t.Fatalf("add: %d %s", code, errOut)
	}
	for _, tc := range []struct {
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"", []string{"user"}, exitUsage, "name a subcommand"},
		{"", []string{"user", "--help"}, exitOK, "hoso user revoke-token NAME TOKEN-ID"},
		{"", []string{"help", "user"}, exitOK, "no download of originals"},
		{"", []string{"user", "add", "--help"}, exitOK, "-password-stdin"},
		{"", []string{"user", "frob"}, exitUsage, `unknown subcommand "frob"`},
		{"", []string{"user", "add", "bob"}, exitUsage, "--role and --clearance are required"},
		{"", []string{"user", "add", "bob", "--role", "boss", "--clearance", "public"}, exitUsage, "unknown role"},
		{"", []string{"user", "add", "bob", "--role", "reader", "--clearance", "cosmic"}, exitUsage, "unknown classification"},
		{"", []string{"user", "add", "Bob", "--role", "reader", "--clearance", "public"}, exitError, "bad user name"},
		{"", []string{"user", "add", "root", "--role", "reader", "--clearance", "public"}, exitError, "already exists"},
		{"short\n", []string{"user", "add", "bob", "--role", "reader", "--clearance", "public", "--password-stdin"}, exitError, "shorter than 10"},
		{"", []string{"user", "add", "bob", "--role", "reader", "--clearance", "public", "--password-stdin"}, exitUsage, "no password on standard input"},
		{"", []string{"user", "add", "a", "b", "--role", "reader", "--clearance", "public"}, exitUsage, "takes 1 argument(s), got 2"},
		{"", []string{"user", "list", "extra"}, exitUsage, "takes 0 argument(s)"},
		{"", []string{"user", "disable", "nobody"}, exitError, "not found"},
		{"", []string{"user", "disable", "root"}, exitError, "last enabled admin"},
		{"", []string{"user", "revoke-token", "root", "0123456789abcdef"}, exitError, "not found"},
		{"", []string{"user", "set", "root"}, exitUsage, "give --role, --clearance or both"},
		{"", []string{"user", "token", "nobody"}, exitError, "not found"},
		{"", []string{"user", "list", "--bogus"}, exitUsage, "flag provided but not defined"},
	} {
		code, out, errOut := userCLI(t, data, tc.stdin, tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("hoso %s: exit %d, want %d with %q\nstdout: %s\nstderr: %s", strings.Join(tc.args, " "), code, tc.code, tc.want, out, errOut)
		}
	}
}

func TestUserParseInterspersed(t *testing.T) {
	for _, tc := range []struct {
		args []string
		pos  string
		role string
	}{
		{[]string{"alice", "--role", "x"}, "alice", "x"},
		{[]string{"--role", "x", "alice", "bob"}, "alice bob", "x"},
		{[]string{"alice", "--role=x", "bob"}, "alice bob", "x"},
		{[]string{"--", "--role", "x"}, "--role x", ""},
		{[]string{"alice", "--", "-b"}, "alice -b", ""},
		{nil, "", ""},
	} {
		env := &Env{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}
		fs := newFlagSet(env, "t", "t", "")
		role := fs.String("role", "", "")
		pos, err := parseInterspersed(fs, tc.args)
		if err != nil || strings.Join(pos, " ") != tc.pos || *role != tc.role {
			t.Errorf("parseInterspersed(%q) = %q, role %q, %v", tc.args, pos, *role, err)
		}
	}
}

// TestUserCommandsAudited: account changes made from the shell are in the
// audit log (with the shell user and the outcome), keyed like the server's.
func TestUserCommandsAudited(t *testing.T) {
	data := t.TempDir()
	if code, out, errOut := cli(t, data, "user", "add", "lan", "--role", "reader", "--clearance", "secret"); code != 0 {
		t.Fatalf("add: %d %s%s", code, out, errOut)
	}
	if code, _, _ := cli(t, data, "user", "disable", "nobody"); code == 0 {
		t.Fatal("disabling a missing user succeeded")
	}
	if code, _, _ := cli(t, data, "user", "list"); code != 0 {
		t.Fatal("list")
	}
	code, out, _ := cli(t, data, "audit", "log", "--json")
	if code != 0 {
		t.Fatalf("audit log: %d", code)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e struct{ User, Action, Target, Outcome string }
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		got = append(got, e.User+" "+e.Action+" "+e.Target+" "+e.Outcome)
	}
	want := []string{"cli:tester user.add lan ok", "cli:tester user.disable nobody ok", "cli:tester user.disable nobody error"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if code, out, _ := cli(t, data, "audit", "verify"); code != 0 || strings.Contains(out, "not checked") {
		t.Fatalf("verify with the key made by the CLI: %d\n%s", code, out)
	}
}
