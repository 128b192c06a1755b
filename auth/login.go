package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Login checks name's password. remote is the client's address ("ip" or
// "ip:port"; "" when there is none, as in the CLI) and is rate limited with
// the name: once MaxFailures attempts for either have failed within
// FailureWindow, Login returns a *RateLimitedError (wrapping ErrRateLimited)
// without checking the password. A success clears the name's failures (not
// the address's, so that a valid account cannot reset an attacker's count).
//
// An unknown name costs one password hash like a known one and fails with
// the same ErrUnauthenticated. A disabled account fails with
// ErrUnauthenticated once the password is right. Names are matched
// case-insensitively (stored names are lower case). Store errors are
// returned wrapped and are not counted as failures.
func (s *Service) Login(ctx context.Context, name, password, remote string) (*User, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	uk := limitKey{by: "user"}
	if ValidName(name) {
		uk.key = "user:" + name
	}
	rk := limitKey{key: remoteKey(remote), by: "remote"}
	at, rl := s.limit.begin(uk, rk)
	if rl != nil {
		s.log.Warn("sign-in refused", logKeyUser, name, logKeyRemote, remote, "by", rl.By, logKeyWait, rl.RetryAfter)
		return nil, rl
	}
	notCounted := func() {
		s.limit.forget(uk.key, at)
		s.limit.forget(rk.key, at)
	}
	u, err := loadUser(ctx, s.store, name)
	if err != nil && !errors.Is(err, ErrNotFound) {
		notCounted()
		return nil, fmt.Errorf("sign in: %w", err)
	}
	hash := s.dummyHash
	if u != nil && u.PasswordHash != "" {
		hash = u.PasswordHash
	}
	ok, err := s.verify(ctx, password, hash)
	if ctx.Err() != nil {
		notCounted()
		return nil, ctx.Err()
	}
	if err != nil {
		s.log.Error("stored password hash unusable", logKeyUser, name, logKeyErr, err)
	}
	if !ok || u == nil || hash == s.dummyHash {
		s.log.Warn("sign-in failed", logKeyUser, name, logKeyRemote, remote)
		return nil, fmt.Errorf("sign in: wrong user name or password: %w", ErrUnauthenticated)
	}
	if u.Disabled {
		s.log.Warn("sign-in to disabled account", logKeyUser, name, logKeyRemote, remote)
		return nil, fmt.Errorf("sign in: account disabled: %w", ErrUnauthenticated)
	}
	s.limit.reset(uk.key)
	s.limit.forget(rk.key, at)
	s.cache.put(u)
	s.log.Info("signed in", logKeyUser, name, logKeyRemote, remote)
	return u.clone(), nil
}

// AuthenticateToken returns the user an API token secret belongs to. A
// malformed, unknown or revoked token, or one of a disabled user, gives
// ErrUnauthenticated; store errors are returned wrapped. The account comes
// from a cache at most CacheTTL old, so a revocation made by another process
// applies within CacheTTL (at once when made through this Service).
func (s *Service) AuthenticateToken(ctx context.Context, secret string) (*User, error) {
	id, sec, err := ParseToken(secret)
	if err != nil {
		return nil, fmt.Errorf("api token: %w", ErrUnauthenticated)
	}
	u, err := s.cache.byToken(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("api token: %w", ErrUnauthenticated)
	}
	if err != nil {
		return nil, fmt.Errorf("api token: %w", err)
	}
	t := u.token(id)
	if t == nil || !secretMatches(sec, t.Hash) || !t.Active() || u.Disabled {
		return nil, fmt.Errorf("api token: %w", ErrUnauthenticated)
	}
	return u, nil
}
