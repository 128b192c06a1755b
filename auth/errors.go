package auth

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrUnauthenticated: the credentials (password, token, session) are
	// wrong, unknown, expired, revoked, or the account is disabled. The
	// message never says which to a caller that shows it to a client.
	ErrUnauthenticated = errors.New("not authenticated")
	// ErrForbidden: the user is known but may not do this. auth itself does
	// not return it; it is here so that callers share one sentinel.
	ErrForbidden = errors.New("forbidden")
	// ErrRateLimited: too many failed sign-ins; errors.As to
	// *RateLimitedError for the wait.
	ErrRateLimited = errors.New("too many failed sign-in attempts")
	// ErrExists: a user with that name already exists.
	ErrExists = errors.New("already exists")
	// ErrNotFound: no such user or token.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: a bad user name, role, clearance, label or a weak password;
	// the message says which.
	ErrInvalid = errors.New("invalid")
)

// RateLimitedError is returned by Login when attempts are refused. It wraps
// ErrRateLimited.
type RateLimitedError struct {
	// RetryAfter is how long until one more attempt will be accepted (> 0).
	RetryAfter time.Duration
	// By names what is limited: "user" or "remote".
	By string
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("%v for this %s: retry after %v", ErrRateLimited, e.By, e.RetryAfter.Round(time.Second))
}

// Unwrap makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitedError) Unwrap() error { return ErrRateLimited }

// invalid returns an error wrapping ErrInvalid.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}
