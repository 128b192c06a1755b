package auth

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestParseToken(t *testing.T) {
	id, secret, hash := newTokenSecret()
	if len(secret) != tokenLen || !strings.HasPrefix(secret, "hoso_"+id+"_") {
		t.Fatalf("secret %q (id %s) not in form", secret, id)
	}
	gotID, sec, err := ParseToken(" " + secret + "\n")
	if err != nil || gotID != id || !secretMatches(sec, hash) {
		t.Fatalf("ParseToken = %q, %v; want id %s and a matching secret", gotID, err, id)
	}
	valid := "hoso_0123456789abcdef_" + strings.Repeat("A", 43)
	if _, _, err := ParseToken(valid); err != nil {
		t.Fatalf("ParseToken(%q) = %v", valid, err)
	}
	for name, s := range map[string]string{
		"empty":        "",
		"prefix":       "HOSO_0123456789abcdef_" + strings.Repeat("A", 43),
		"upper id":     "hoso_0123456789ABCDEF_" + strings.Repeat("A", 43),
		"short id":     "hoso_0123456789abcde_" + strings.Repeat("A", 44),
		"separator":    "hoso_0123456789abcdef-" + strings.Repeat("A", 43),
		"short secret": "hoso_0123456789abcdef_" + strings.Repeat("A", 42),
		"long secret":  "hoso_0123456789abcdef_" + strings.Repeat("A", 44),
		"std base64":   "hoso_0123456789abcdef_" + strings.Repeat("+", 43),
		"non-zero pad": "hoso_0123456789abcdef_" + strings.Repeat("A", 42) + "B", // 43rd char carries bits beyond 32 bytes
		"bearer":       "Bearer " + valid,
	} {
		if _, _, err := ParseToken(s); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("%s: ParseToken(%q) error = %v, want ErrUnauthenticated", name, s, err)
		}
	}
}

// FuzzParseToken checks that ParseToken never panics and that whatever it
// accepts is exactly the canonical form of what it returns.
func FuzzParseToken(f *testing.F) {
	_, secret, _ := newTokenSecret()
	f.Add(secret)
	f.Add("hoso_0123456789abcdef_" + strings.Repeat("A", 43))
	f.Add("hoso__")
	f.Add("hoso_0123456789abcdef_" + strings.Repeat("_", 43))
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		id, sec, err := ParseToken(s)
		if err != nil {
			if !errors.Is(err, ErrUnauthenticated) || id != "" || sec != nil {
				t.Fatalf("ParseToken(%q) = %q, %x, %v", s, id, sec, err)
			}
			return
		}
		if len(sec) != tokenSecretLen || len(id) != tokenIDLen {
			t.Fatalf("ParseToken(%q): id %q, %d-byte secret", s, id, len(sec))
		}
		if got := formatToken(id, sec); got != strings.TrimSpace(s) {
			t.Fatalf("ParseToken(%q) is not canonical: formats back as %q", s, got)
		}
		id2, sec2, err := ParseToken(formatToken(id, sec))
		if err != nil || id2 != id || !bytes.Equal(sec2, sec) {
			t.Fatalf("round trip of %q: %q %x %v", s, id2, sec2, err)
		}
	})
}
