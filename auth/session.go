package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Session is a signed-in browser. ID goes in the session cookie and CSRF in
// every state-changing request (see CheckCSRF); both are 32 random bytes in
// unpadded base64url.
type Session struct {
	ID       string
	User     *User // the account as it is now (at most Config.CacheTTL old)
	CSRF     string
	Created  time.Time
	LastSeen time.Time
	// Expires is when the session ends unless used again: the earlier of
	// LastSeen+SessionIdle and Created+SessionLifetime.
	Expires time.Time
}

// Sessions keeps sign-in sessions in memory. A restart of the process signs
// everyone out; that is accepted because hoso serve is a single process, a
// sign-in costs one password, and keeping sessions durable would mean a
// store write on every request to slide the idle timeout (or a second
// database). Sessions are found by the SHA-256 of their id, so a lookup's
// timing does not depend on how much of a guessed id is right.
//
// A session ends when idle for Config.SessionIdle, SessionLifetime after
// creation, on Revoke, when its user is disabled or removed, or when the
// user's SessionsValidAfter (password change, disable, RevokeSessions) is
// at or after its creation. It is safe for concurrent use.
type Sessions struct {
	svc      *Service
	idle     time.Duration
	lifetime time.Duration

	mu        sync.Mutex
	byHash    map[[sha256.Size]byte]*sessionEntry
	lastSweep time.Time
}

type sessionEntry struct {
	user     string
	csrf     string
	created  time.Time
	lastSeen time.Time
}

func (e *sessionEntry) expires(idle, lifetime time.Duration) time.Time {
	a, b := e.lastSeen.Add(idle), e.created.Add(lifetime)
	if b.Before(a) {
		return b
	}
	return a
}

// NewSessions returns an empty session manager whose timeouts and clock
// come from svc's Config and which checks accounts through svc.
func NewSessions(svc *Service) *Sessions {
	return &Sessions{svc: svc, idle: svc.cfg.SessionIdle, lifetime: svc.cfg.SessionLifetime,
		byHash: make(map[[sha256.Size]byte]*sessionEntry)}
}

func randomString() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Create starts a session for u, normally the user Login returned. A nil or
// disabled user gives ErrUnauthenticated.
func (m *Sessions) Create(u *User) (*Session, error) {
	if u == nil || u.Disabled {
		return nil, fmt.Errorf("create session: %w", ErrUnauthenticated)
	}
	now := m.svc.now()
	id := randomString()
	e := &sessionEntry{user: u.Name, csrf: randomString(), created: now, lastSeen: now}
	m.mu.Lock()
	m.sweep(now)
	m.byHash[sha256.Sum256([]byte(id))] = e
	m.mu.Unlock()
	return &Session{ID: id, User: u.clone(), CSRF: e.csrf, Created: now, LastSeen: now,
		Expires: e.expires(m.idle, m.lifetime)}, nil
}

// Lookup returns the live session with this id and slides its idle
// timeout. An unknown, expired or revoked session, or one whose user is
// disabled, gone or has SessionsValidAfter at or after the session's
// creation,
// gives ErrUnauthenticated (and is forgotten); store errors are returned
// wrapped.
func (m *Sessions) Lookup(ctx context.Context, id string) (*Session, error) {
	h := sha256.Sum256([]byte(id))
	m.mu.Lock()
	now := m.svc.now()
	e, ok := m.byHash[h]
	if ok && !now.Before(e.expires(m.idle, m.lifetime)) {
		delete(m.byHash, h)
		ok = false
	}
	var name string
	var created time.Time
	if ok {
		name, created = e.user, e.created
	}
	m.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("session: %w", ErrUnauthenticated)
	}

	u, err := m.svc.cache.get(ctx, name)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return nil, fmt.Errorf("session: %w", err)
	case u.Disabled || !created.After(u.SessionsValidAfter):
		u = nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if u == nil || m.byHash[h] != e {
		delete(m.byHash, h)
		return nil, fmt.Errorf("session: %w", ErrUnauthenticated)
	}
	e.lastSeen = now
	return &Session{ID: id, User: u, CSRF: e.csrf, Created: e.created, LastSeen: now,
		Expires: e.expires(m.idle, m.lifetime)}, nil
}

// Revoke ends the session with this id (sign out). An unknown id is a no-op.
func (m *Sessions) Revoke(id string) {
	h := sha256.Sum256([]byte(id))
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.byHash, h)
}

// RevokeUser ends every session of user name held here and returns how many
// there were. Service.RevokeSessions does the same for every process.
func (m *Sessions) RevokeUser(name string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for h, e := range m.byHash {
		if e.user == name {
			delete(m.byHash, h)
			n++
		}
	}
	return n
}

// Len returns the number of sessions held, expired ones not yet swept
// included.
func (m *Sessions) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.byHash)
}

// sweep, at most once per idle timeout, forgets expired sessions.
func (m *Sessions) sweep(now time.Time) {
	if now.Sub(m.lastSweep) < m.idle {
		return
	}
	m.lastSweep = now
	for h, e := range m.byHash {
		if !now.Before(e.expires(m.idle, m.lifetime)) {
			delete(m.byHash, h)
		}
	}
}

// CheckCSRF reports, in constant time, whether token is s's CSRF token. A
// nil session or empty token never matches.
func CheckCSRF(s *Session, token string) bool {
	if s == nil || token == "" || s.CSRF == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(s.CSRF), []byte(token)) == 1
}
