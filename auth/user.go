package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"hoso/archive"
	"hoso/domain"
	"hoso/storage"
)

// User is an account. Values returned by Service are copies: changing them
// changes nothing stored. PasswordHash and Token.Hash are left out of JSON
// (tag "-") so that a User can be sent to a client as it is.
type User struct {
	Name      string                `json:"name"`
	Role      Role                  `json:"role"`
	Clearance domain.Classification `json:"clearance"`
	// PasswordHash is the argon2id hash in PHC form; "" means no password
	// sign-in (tokens only).
	PasswordHash string `json:"-"`
	// Disabled accounts cannot sign in, and their tokens and sessions fail.
	Disabled  bool      `json:"disabled"`
	Tokens    []Token   `json:"tokens"`
	CreatedAt time.Time `json:"created_at"`
	// SessionsValidAfter: sessions created at or before this instant are no
	// longer valid. Set on disable, password change and "sign out everywhere".
	SessionsValidAfter time.Time `json:"sessions_valid_after,omitzero"`
}

// Token is an API token of a user. Its secret is shown once, at creation.
type Token struct {
	ID      string    `json:"id"`
	Label   string    `json:"label"`
	Hash    string    `json:"-"` // lower-case hex SHA-256 of the secret bytes
	Created time.Time `json:"created"`
	Revoked time.Time `json:"revoked,omitzero"` // zero while the token is valid
}

// Active reports whether the token has not been revoked.
func (t Token) Active() bool { return t.Revoked.IsZero() }

// ActiveTokens counts u's tokens that are not revoked.
func (u *User) ActiveTokens() int {
	n := 0
	for _, t := range u.Tokens {
		if t.Active() {
			n++
		}
	}
	return n
}

// token returns u's token with this id, or nil.
func (u *User) token(id string) *Token {
	for i := range u.Tokens {
		if u.Tokens[i].ID == id {
			return &u.Tokens[i]
		}
	}
	return nil
}

func (u *User) clone() *User {
	c := *u
	c.Tokens = slices.Clone(u.Tokens)
	return &c
}

var nameRE = regexp.MustCompile(`^[a-z0-9._-]{1,64}$`)

// ValidName reports whether name may name a user: 1-64 of a-z, 0-9, '.',
// '_' and '-', not "." or "..".
func ValidName(name string) bool {
	return nameRE.MatchString(name) && name != "." && name != ".."
}

func checkName(name string) error {
	if !ValidName(name) {
		return invalid("bad user name %q (want 1-64 of a-z 0-9 . _ -)", name)
	}
	return nil
}

func checkClearance(c domain.Classification) error {
	if !c.Valid() {
		return invalid("unknown clearance %q (want public, confidential, secret or top-secret)", c)
	}
	return nil
}

const maxLabelLen = 100

func checkLabel(l string) error {
	if len(l) > maxLabelLen || strings.ContainsFunc(l, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return invalid("token label longer than %d bytes or with control characters", maxLabelLen)
	}
	return nil
}

// userRecord is the JSON stored at archive.UserKey(name). It differs from
// User in carrying the schema version and the secrets' hashes.
type userRecord struct {
	Schema             int                   `json:"schema"`
	Name               string                `json:"name"`
	Role               Role                  `json:"role"`
	Clearance          domain.Classification `json:"clearance"`
	PasswordHash       string                `json:"password_hash,omitempty"`
	Disabled           bool                  `json:"disabled,omitempty"`
	Tokens             []tokenRecord         `json:"tokens,omitempty"`
	CreatedAt          time.Time             `json:"created_at"`
	SessionsValidAfter time.Time             `json:"sessions_valid_after,omitzero"`
}

type tokenRecord struct {
	ID      string    `json:"id"`
	Label   string    `json:"label,omitempty"`
	Hash    string    `json:"sha256"`
	Created time.Time `json:"created"`
	Revoked time.Time `json:"revoked,omitzero"`
}

func encodeUser(u *User) ([]byte, error) {
	r := userRecord{Schema: domain.SchemaVersion, Name: u.Name, Role: u.Role, Clearance: u.Clearance,
		PasswordHash: u.PasswordHash, Disabled: u.Disabled, CreatedAt: u.CreatedAt.UTC(),
		SessionsValidAfter: u.SessionsValidAfter.UTC()}
	for _, t := range u.Tokens {
		r.Tokens = append(r.Tokens, tokenRecord(t))
	}
	return json.MarshalIndent(r, "", "  ")
}

func decodeUser(key string, b []byte) (*User, error) {
	var r userRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode %s: %w", key, err)
	}
	if r.Schema > domain.SchemaVersion {
		return nil, fmt.Errorf("decode %s: schema %d is newer than %d", key, r.Schema, domain.SchemaVersion)
	}
	if archive.UserKey(r.Name) != key || !r.Role.Valid() || !r.Clearance.Valid() {
		return nil, fmt.Errorf("decode %s: bad name, role or clearance", key)
	}
	u := &User{Name: r.Name, Role: r.Role, Clearance: r.Clearance, PasswordHash: r.PasswordHash,
		Disabled: r.Disabled, CreatedAt: r.CreatedAt, SessionsValidAfter: r.SessionsValidAfter}
	for _, t := range r.Tokens {
		u.Tokens = append(u.Tokens, Token(t))
	}
	return u, nil
}

// loadUser reads a user from the store. Errors: ErrNotFound, store errors.
func loadUser(ctx context.Context, s storage.Store, name string) (*User, error) {
	if !ValidName(name) {
		return nil, fmt.Errorf("user %q: %w", name, ErrNotFound)
	}
	key := archive.UserKey(name)
	b, _, err := storage.ReadAll(ctx, s, key)
	if errors.Is(err, storage.ErrNotExist) {
		return nil, fmt.Errorf("user %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load user %s: %w", name, err)
	}
	return decodeUser(key, b)
}

// storeUser writes u; with create it is create-only and fails with
// ErrExists when the user exists.
func storeUser(ctx context.Context, s storage.Store, u *User, create bool) error {
	b, err := encodeUser(u)
	if err != nil {
		return fmt.Errorf("encode user %s: %w", u.Name, err)
	}
	_, err = storage.PutBytes(ctx, s, archive.UserKey(u.Name), b,
		storage.PutOptions{ContentType: "application/json", IfAbsent: create})
	if errors.Is(err, storage.ErrConflict) {
		return fmt.Errorf("user %s: %w", u.Name, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("store user %s: %w", u.Name, err)
	}
	return nil
}

// listNames returns the names of the stored users in ascending order.
func listNames(ctx context.Context, s storage.Store) ([]string, error) {
	var names []string
	for info, err := range s.List(ctx, archive.PrefixUsers, "") {
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		name, ok := strings.CutSuffix(strings.TrimPrefix(info.Key, archive.PrefixUsers), ".json")
		if ok && ValidName(name) {
			names = append(names, name)
		}
	}
	return names, nil
}
