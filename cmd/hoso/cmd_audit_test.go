package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hoso/archive"
	"hoso/audit"
	"hoso/storage"
	"hoso/storage/fs"
)

// runHoso runs a command line in-process and returns the exit code and
// what it printed.
func runHoso(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	code = run(t.Context(), env, args)
	return code, out.String(), errb.String()
}

// auditFixture writes five entries to the folder store of a data folder.
func auditFixture(t *testing.T, key []byte) (data string, store storage.Store, in []audit.Entry) {
	t.Helper()
	data = t.TempDir()
	s, err := fs.New(filepath.Join(data, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	l, err := audit.Open(t.Context(), s, audit.Config{Key: key, ManualSeal: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(t.Context())
	at := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	for i, e := range []audit.Entry{
		{User: "lan", Remote: "10.0.0.7", Action: "sign-in", Target: "lan", Outcome: audit.OutcomeOK},
		{User: "lan", Remote: "10.0.0.7", Action: "search", Outcome: audit.OutcomeOK, Detail: map[string]any{"query": "Nguyễn Văn An", "results": 3}},
		{User: "lan", Remote: "10.0.0.7", Action: "view", Target: "HS-1/01.pdf/p3", Dossier: "HS-1", Outcome: audit.OutcomeOK},
		{User: "minh", Remote: "10.0.0.9", Action: "download", Target: "HS-2/02.pdf", Dossier: "HS-2", Outcome: audit.OutcomeDenied},
		{User: "minh\tx\nfake", Remote: "10.0.0.9", Action: "view", Target: "HS-1", Dossier: "HS-1", Outcome: audit.OutcomeNotFound},
	} {
		e.Time = at.Add(time.Duration(i) * 24 * time.Hour)
		got, err := l.Append(t.Context(), e)
		if err != nil {
			t.Fatal(err)
		}
		in = append(in, got)
	}
	return data, s, in
}

func TestAuditLog(t *testing.T) {
	data, _, in := auditFixture(t, nil)
	code, out, errs := runHoso(t, "audit", "log", "--data", data)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[0], "TIME") || !strings.Contains(lines[4], "HS-2/02.pdf") ||
		!strings.Contains(lines[4], "denied") || !strings.Contains(lines[1], in[0].Time.Local().Format(time.DateTime)) {
		t.Fatalf("table:\n%s", out)
	}
	if !strings.Contains(lines[5], "minh?x?fake") {
		t.Fatalf("control characters not escaped in the table:\n%s", out)
	}

	for _, c := range []struct {
		args []string
		want []uint64
	}{
		{[]string{"--user", "lan"}, []uint64{1, 2, 3}},
		{[]string{"--dossier", "HS-1"}, []uint64{3, 5}},
		{[]string{"--action", "view", "--user", "lan"}, []uint64{3}},
		{[]string{"--outcome", "denied"}, []uint64{4}},
		{[]string{"--since", "2026-03-03T02:00:00Z"}, []uint64{3, 4, 5}},
		{[]string{"--since", "2026-03-02T00:00:00+07:00", "--until", "2026-03-04T02:00:00Z"}, []uint64{2, 3}},
		{[]string{"--since", "2020-01-01"}, []uint64{1, 2, 3, 4, 5}},
		{[]string{"--until", "2020-01-01"}, nil},
		{[]string{"--limit", "2"}, []uint64{4, 5}},
		{[]string{"--user", "lan", "--limit", "1"}, []uint64{3}},
	} {
		code, out, errs := runHoso(t, append([]string{"audit", "log", "--data", data, "--json"}, c.args...)...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", c.args, code, errs)
		}
		var got []uint64
		dec := json.NewDecoder(strings.NewReader(out))
		for dec.More() {
			var e audit.Entry
			if err := dec.Decode(&e); err != nil {
				t.Fatalf("%v: %v in\n%s", c.args, err, out)
			}
			if e.Hash != in[e.Seq-1].Hash {
				t.Fatalf("%v: entry %d printed with hash %s", c.args, e.Seq, e.Hash)
			}
			got = append(got, e.Seq)
		}
		if !equalSeqs(got, c.want) {
			t.Errorf("%v: seqs %v, want %v", c.args, got, c.want)
		}
	}

	for _, args := range [][]string{{"--since", "yesterday"}, {"--limit", "-1"}, {"extra"}} {
		if code, _, _ := runHoso(t, append([]string{"audit", "log", "--data", data}, args...)...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

func TestAuditVerify(t *testing.T) {
	key := []byte("0123456789abcdef0123")
	data, s, in := auditFixture(t, key)
	keyFile := filepath.Join(t.TempDir(), "audit.key")
	if err := os.WriteFile(keyFile, append(key, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runHoso(t, "audit", "verify", "--data", data, "--key-file", keyFile)
	head := audit.Checkpoint{Seq: 5, Hash: in[4].Hash}
	if code != exitOK || !strings.Contains(out, "checked 5 entries") || !strings.Contains(out, "MACs checked: 0 problems") ||
		!strings.Contains(out, "head "+head.String()) {
		t.Fatalf("exit %d:\n%s%s", code, out, errs)
	}

	// Edit entry 3 through the store; remove the newest.
	key3 := archive.AuditEntryKey(3)
	b, _, err := storage.ReadAll(t.Context(), s, key3)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte(`"user":"lan"`), []byte(`"user":"ann"`), 1)
	if _, err := storage.PutBytes(t.Context(), s, key3, b, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(t.Context(), archive.AuditEntryKey(5)); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runHoso(t, "audit", "verify", "--data", data, "--key-file", keyFile, "--expect", head.String())
	if code != exitPartial || !strings.Contains(out, "seq 3: edited in "+key3) || !strings.Contains(out, "seq 3: bad-mac") ||
		!strings.Contains(out, "seq 5: truncated") || !strings.Contains(errs, "3 problems") {
		t.Fatalf("exit %d:\n%s%s", code, out, errs)
	}
	code, out, _ = runHoso(t, "audit", "verify", "--data", data, "--json")
	var last map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		last = nil
		if err := json.Unmarshal([]byte(line), &last); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
	}
	if code != exitPartial || last["problems"] != 1.0 || last["macs"] != false {
		t.Fatalf("exit %d, json:\n%s", code, out)
	}
	if code, _, _ := runHoso(t, "audit", "verify", "--data", data, "--expect", "5:nothex"); code != exitUsage {
		t.Fatalf("bad --expect: exit %d", code)
	}
}

func TestAuditSealAndHelp(t *testing.T) {
	data, s, _ := auditFixture(t, nil)
	// With the default segment size nothing is complete yet.
	if code, out, errs := runHoso(t, "audit", "seal", "--data", data); code != exitOK || out != "sealed 0 entries\n" {
		t.Fatalf("exit %d: %s%s", code, out, errs)
	}
	if n := len(keysOf(t, s, archive.PrefixAudit)); n != 5 {
		t.Fatalf("%d entry objects", n)
	}
	if code, out, _ := runHoso(t, "audit", "--help"); code != exitOK || !strings.Contains(out, "verify") {
		t.Fatalf("help: exit %d: %s", code, out)
	}
	if code, _, _ := runHoso(t, "audit"); code != exitUsage {
		t.Fatalf("no subcommand: exit %d", code)
	}
	if code, _, _ := runHoso(t, "audit", "frobnicate"); code != exitUsage {
		t.Fatalf("unknown subcommand: exit %d", code)
	}
	if code, out, _ := runHoso(t, "audit", "log", "--help"); code != exitOK || !strings.Contains(out, "--since") {
		t.Fatalf("log help: exit %d: %s", code, out)
	}
}

func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Time
	}{
		{"", time.Time{}},
		{"2026-03-01T08:00:00+07:00", time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC)},
		{"2026-03-01", time.Date(2026, 3, 1, 0, 0, 0, 0, time.Local)},
		{"24h", now.Add(-24 * time.Hour)},
		{"90m", now.Add(-90 * time.Minute)},
		{"7d", now.AddDate(0, 0, -7)},
	} {
		got, err := parseWhen(c.in, now)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("parseWhen(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"yesterday", "-1h", "2026-13-01", "d", "-3d"} {
		if _, err := parseWhen(bad, now); err == nil {
			t.Errorf("parseWhen(%q) accepted", bad)
		}
	}
}

func keysOf(t *testing.T, s storage.Store, prefix string) []string {
	t.Helper()
	var out []string
	for info, err := range s.List(t.Context(), prefix, "") {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, info.Key)
	}
	return out
}

func equalSeqs(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
