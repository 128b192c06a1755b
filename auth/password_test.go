package auth

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestPasswordRoundTrip(t *testing.T) {
	h := HashPassword(goodPW, cheap)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q not in PHC form", h)
	}
	for pw, want := range map[string]bool{goodPW: true, goodPW + " ": false, "": false, "Correct horse battery": false} {
		ok, err := VerifyPassword(pw, h)
		if err != nil || ok != want {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	if h2 := HashPassword(goodPW, cheap); h2 == h {
		t.Error("two hashes of one password are equal: salt not random")
	}
}

func TestParsePHC(t *testing.T) {
	good := HashPassword("x", Argon2Params{Memory: 128, Time: 3, Threads: 2, SaltLen: 16, KeyLen: 32})
	p, salt, key, err := ParsePHC(good)
	if err != nil {
		t.Fatal(err)
	}
	if p != (Argon2Params{Memory: 128, Time: 3, Threads: 2, SaltLen: 16, KeyLen: 32}) || len(salt) != 16 || len(key) != 32 {
		t.Errorf("ParsePHC = %+v, %d-byte salt, %d-byte key", p, len(salt), len(key))
	}
	f := strings.Split(good, "$")
	salt64, key64 := f[4], f[5]
	bad := map[string]string{
		"empty":         "",
		"argon2i":       "$argon2i$v=19$m=128,t=3,p=2$" + salt64 + "$" + key64,
		"version 16":    "$argon2id$v=16$m=128,t=3,p=2$" + salt64 + "$" + key64,
		"no version":    "$argon2id$m=128,t=3,p=2$" + salt64 + "$" + key64,
		"order":         "$argon2id$v=19$t=3,m=128,p=2$" + salt64 + "$" + key64,
		"missing p":     "$argon2id$v=19$m=128,t=3$" + salt64 + "$" + key64,
		"extra param":   "$argon2id$v=19$m=128,t=3,p=2,x=1$" + salt64 + "$" + key64,
		"leading zero":  "$argon2id$v=19$m=0128,t=3,p=2$" + salt64 + "$" + key64,
		"sign":          "$argon2id$v=19$m=+128,t=3,p=2$" + salt64 + "$" + key64,
		"t=0":           "$argon2id$v=19$m=128,t=0,p=2$" + salt64 + "$" + key64,
		"p=0":           "$argon2id$v=19$m=128,t=3,p=0$" + salt64 + "$" + key64,
		"p=256":         "$argon2id$v=19$m=4096,t=3,p=256$" + salt64 + "$" + key64,
		"memory huge":   "$argon2id$v=19$m=4294967295,t=3,p=2$" + salt64 + "$" + key64,
		"memory < 8p":   "$argon2id$v=19$m=8,t=3,p=2$" + salt64 + "$" + key64,
		"time huge":     "$argon2id$v=19$m=128,t=1000000,p=2$" + salt64 + "$" + key64,
		"padded salt":   "$argon2id$v=19$m=128,t=3,p=2$" + salt64 + "==$" + key64,
		"url salt":      "$argon2id$v=19$m=128,t=3,p=2$" + strings.Repeat("_", 22) + "$" + key64,
		"short salt":    "$argon2id$v=19$m=128,t=3,p=2$AAAA$" + key64,
		"short key":     "$argon2id$v=19$m=128,t=3,p=2$" + salt64 + "$AAAA",
		"trailing":      good + "$",
		"no leading $":  good[1:],
		"bcrypt":        "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"garbage param": "$argon2id$v=19$m=abc,t=3,p=2$" + salt64 + "$" + key64,
	}
	for name, s := range bad {
		if _, _, _, err := ParsePHC(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: ParsePHC(%q) error = %v, want ErrInvalid", name, s, err)
		}
		if ok, err := VerifyPassword("x", s); ok || err == nil {
			t.Errorf("%s: VerifyPassword = %v, %v", name, ok, err)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	for _, tc := range []struct {
		name, pw string
		ok       bool
	}{
		{"alice", "0123456789", true},
		{"alice", "012345678", false},
		{"alice", "mật khẩu dài", true}, // 12 characters, 16 bytes
		{"alice", "mậtkhẩu12", false},   // 9 characters, 13 bytes
		{"alice", strings.Repeat("x", MaxPasswordLen), true},
		{"alice", strings.Repeat("x", MaxPasswordLen+1), false},
		{"alice", "\xff\xfe0123456789", false},
		{"alice.nguyen", "Alice.Nguyen", false},
	} {
		err := CheckPassword(tc.name, tc.pw)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("CheckPassword(%q, %q) = %v, want ok %v", tc.name, tc.pw, err, tc.ok)
		}
	}
	if pw := GeneratePassword(); CheckPassword("admin", pw) != nil || len(pw) < 20 {
		t.Errorf("generated password %q is weak", pw)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("zero Config: %v", err)
	}
	for name, c := range map[string]Config{
		"time":    {Argon2: Argon2Params{Memory: 64, Time: 100, Threads: 1}},
		"memory":  {Argon2: Argon2Params{Memory: 4, Time: 1, Threads: 1}},
		"threads": {Argon2: Argon2Params{Memory: 64, Time: 1}},
		"salt":    {Argon2: Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 4}},
		"window":  {FailureWindow: -time.Second},
		"fails":   {MaxFailures: -1},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, c)
		}
	}
}

// BenchmarkHashDefault measures one production-cost hash (DefaultArgon2),
// which should take 50-100 ms on the 2-core target.
func BenchmarkHashDefault(b *testing.B) {
	for b.Loop() {
		HashPassword(goodPW, DefaultArgon2)
	}
}

// TestDefaultCost logs the time of one production-cost hash; run with -v
// when changing DefaultArgon2.
func TestDefaultCost(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	best := time.Hour
	for range 3 {
		start := time.Now()
		HashPassword(goodPW, DefaultArgon2)
		best = min(best, time.Since(start))
	}
	t.Logf("argon2id m=%d KiB t=%d p=%d: %v per hash (best of 3)", DefaultArgon2.Memory, DefaultArgon2.Time, DefaultArgon2.Threads, best)
}

// FuzzParsePHC checks that ParsePHC never panics and accepts only hashes
// within the limits, in their one canonical form.
func FuzzParsePHC(f *testing.F) {
	f.Add(HashPassword("x", cheap))
	f.Add("$argon2id$v=19$m=65536,t=2,p=2$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("$argon2id$v=19$m=,t=,p=$$")
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := ParsePHC(s)
		if err != nil {
			return
		}
		if p.validate() != nil {
			t.Fatalf("ParsePHC(%q) accepted out-of-range %+v", s, p)
		}
		canon := fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
		if canon != s {
			t.Fatalf("ParsePHC(%q) accepted a non-canonical form of %q", s, canon)
		}
	})
}
