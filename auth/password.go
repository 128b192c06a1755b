package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the argon2id cost parameters. The zero value means
// DefaultArgon2.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8  // lanes
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultArgon2 is sized for the 2-core production machine: 64 MiB, 2
// passes, 2 lanes. Measured there (Go 1.26, amd64 assembly) with the cores
// shared with other work: about 100 ms of CPU per hash in all, split over
// the 2 lanes; 88 ms wall at best, 180-240 ms under a load of 5. Expect
// 50-60 ms on idle cores. At most Config.MaxConcurrentHashes run at once,
// so a sign-in burst holds 64 MiB for each of at most that many. Re-measure
// with TestDefaultCost -v or BenchmarkHashDefault when changing it.
var DefaultArgon2 = Argon2Params{Memory: 64 * 1024, Time: 2, Threads: 2, SaltLen: 16, KeyLen: 32}

// Limits on parameters read back from a stored hash, so that a tampered or
// corrupt account cannot make a sign-in allocate without bound.
const (
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxTime      = 64
	minSaltLen   = 8
	maxSaltLen   = 64
	minKeyLen    = 16
	maxKeyLen    = 128
)

// Password rules.
const (
	MinPasswordLen = 10   // characters
	MaxPasswordLen = 1024 // bytes
)

// CheckPassword reports whether pw is acceptable for user name: at least
// MinPasswordLen characters, at most MaxPasswordLen bytes, valid UTF-8 and
// not the user name. The error wraps ErrInvalid.
func CheckPassword(name, pw string) error {
	switch {
	case !utf8.ValidString(pw):
		return invalid("password is not valid UTF-8")
	case utf8.RuneCountInString(pw) < MinPasswordLen:
		return invalid("password shorter than %d characters", MinPasswordLen)
	case len(pw) > MaxPasswordLen:
		return invalid("password longer than %d bytes", MaxPasswordLen)
	case strings.EqualFold(strings.TrimSpace(pw), name):
		return invalid("password equals the user name")
	}
	return nil
}

// GeneratePassword returns a random password of 26 characters (A-Z, 2-7,
// 128 bits), easy to type from a printout.
func GeneratePassword() string { return rand.Text() }

var b64 = base64.RawStdEncoding // what the PHC string format uses

// HashPassword returns the argon2id hash of pw with a fresh random salt, in
// PHC string format: $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>
// with salt and hash in unpadded standard base64.
func HashPassword(pw string, p Argon2Params) string {
	p = p.withDefaults()
	salt := make([]byte, p.SaltLen)
	rand.Read(salt) // never fails (crypto/rand)
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// VerifyPassword reports whether pw matches the PHC-format argon2id hash,
// using the parameters recorded in it and comparing in constant time. A
// malformed hash gives an error wrapping ErrInvalid.
func VerifyPassword(pw, hash string) (bool, error) {
	p, salt, key, err := ParsePHC(hash)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// ParsePHC splits an argon2id PHC string into its parameters, salt and key,
// refusing other algorithms, other versions and parameters beyond sane
// limits. Errors wrap ErrInvalid.
func ParsePHC(s string) (p Argon2Params, salt, key []byte, err error) {
	bad := func(why string) (Argon2Params, []byte, []byte, error) {
		return Argon2Params{}, nil, nil, invalid("password hash: %s", why)
	}
	f := strings.Split(s, "$")
	if len(f) != 6 || f[0] != "" {
		return bad("not a PHC string")
	}
	if f[1] != "argon2id" {
		return bad("algorithm is not argon2id")
	}
	if f[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad("unsupported version")
	}
	kvs := strings.Split(f[3], ",")
	if len(kvs) != 3 {
		return bad("want parameters m, t and p")
	}
	var n [3]uint64
	for i, k := range []string{"m=", "t=", "p="} {
		v, ok := strings.CutPrefix(kvs[i], k)
		x, perr := strconv.ParseUint(v, 10, 32)
		if !ok || perr != nil || v != strconv.FormatUint(x, 10) {
			return bad("bad parameter " + strconv.Quote(kvs[i]))
		}
		n[i] = x
	}
	if n[2] > 255 {
		return bad("parameters out of range")
	}
	p.Memory, p.Time, p.Threads = uint32(n[0]), uint32(n[1]), uint8(n[2])
	if p.Time < 1 || p.Time > maxTime || p.Threads < 1 || p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemoryKiB {
		return bad("parameters out of range")
	}
	// Decoding skips '\r' and '\n'; re-encoding refuses them.
	if salt, err = b64.Strict().DecodeString(f[4]); err != nil || b64.EncodeToString(salt) != f[4] || len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return bad("bad salt")
	}
	if key, err = b64.Strict().DecodeString(f[5]); err != nil || b64.EncodeToString(key) != f[5] || len(key) < minKeyLen || len(key) > maxKeyLen {
		return bad("bad hash")
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

func (p Argon2Params) withDefaults() Argon2Params {
	if p == (Argon2Params{}) {
		return DefaultArgon2
	}
	if p.SaltLen == 0 {
		p.SaltLen = DefaultArgon2.SaltLen
	}
	if p.KeyLen == 0 {
		p.KeyLen = DefaultArgon2.KeyLen
	}
	return p
}

// validate checks p (after defaults) against the limits ParsePHC enforces,
// so that every hash made can be verified.
func (p Argon2Params) validate() error {
	switch {
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("argon2 time %d out of range 1-%d", p.Time, maxTime)
	case p.Threads < 1:
		return fmt.Errorf("argon2 threads must be at least 1")
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemoryKiB:
		return fmt.Errorf("argon2 memory %d KiB out of range %d-%d", p.Memory, 8*uint32(p.Threads), maxMemoryKiB)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("argon2 salt length %d out of range %d-%d", p.SaltLen, minSaltLen, maxSaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("argon2 key length %d out of range %d-%d", p.KeyLen, minKeyLen, maxKeyLen)
	}
	return nil
}
