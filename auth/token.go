package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// API token secrets look like
//
//	hoso_<id>_<secret>
//
// where <id> is 16 lower-case hex digits (8 random bytes) naming the token
// in its user's account, and <secret> is 32 random bytes in unpadded
// base64url (43 characters). Only the SHA-256 of the 32 bytes is stored: the
// secret has full entropy, so a slow hash would add nothing.
const (
	tokenPrefix    = "hoso_"
	tokenIDLen     = 16 // hex digits
	tokenSecretLen = 32 // bytes
	tokenLen       = len(tokenPrefix) + tokenIDLen + 1 + 43
)

// newTokenSecret returns a fresh token id, the secret string to hand out
// once, and the hash to store.
func newTokenSecret() (id, secret, hash string) {
	var idb [tokenIDLen / 2]byte
	var sec [tokenSecretLen]byte
	rand.Read(idb[:])
	rand.Read(sec[:])
	id = hex.EncodeToString(idb[:])
	return id, formatToken(id, sec[:]), hashSecret(sec[:])
}

func formatToken(id string, secret []byte) string {
	return tokenPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(secret)
}

// hashSecret is the stored form of a token secret: lower-case hex SHA-256.
func hashSecret(secret []byte) string {
	h := sha256.Sum256(secret)
	return hex.EncodeToString(h[:])
}

// ParseToken splits an API token string into its id and its 32 secret
// bytes. Surrounding white space is ignored. Anything else malformed gives
// ErrUnauthenticated, so that callers can hand it straight to a client.
func ParseToken(s string) (id string, secret []byte, err error) {
	s = strings.TrimSpace(s)
	rest, ok := strings.CutPrefix(s, tokenPrefix)
	if !ok || len(s) != tokenLen || rest[tokenIDLen] != '_' {
		return "", nil, ErrUnauthenticated
	}
	id = rest[:tokenIDLen]
	for _, c := range []byte(id) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", nil, ErrUnauthenticated
		}
	}
	secret, err = base64.RawURLEncoding.Strict().DecodeString(rest[tokenIDLen+1:])
	if err != nil || len(secret) != tokenSecretLen {
		return "", nil, ErrUnauthenticated
	}
	return id, secret, nil
}

// secretMatches compares the hash of secret with a stored hash in constant
// time.
func secretMatches(secret []byte, stored string) bool {
	return subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(stored)) == 1
}
