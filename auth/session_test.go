package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"hoso/domain"
)

func TestTokens(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	clk := newClock()
	s := newService(t, store, clk)
	mustAdd(t, s, "root", Admin, domain.TopSecret)
	mustAdd(t, s, "scanner", Archivist, domain.Secret)
	secret, tok, err := s.CreateToken(ctx, "scanner", "scan station 1")
	if err != nil {
		t.Fatal(err)
	}
	if tok.Label != "scan station 1" || !tok.Active() || !tok.Created.Equal(clk.Now()) {
		t.Errorf("token = %+v", tok)
	}
	u, err := s.AuthenticateToken(ctx, secret)
	if err != nil || u.Name != "scanner" || u.Role != Archivist {
		t.Fatalf("AuthenticateToken = %+v, %v", u, err)
	}
	// Another process (a fresh Service) finds the token in the store.
	other := newService(t, store, clk)
	if u, err := other.AuthenticateToken(ctx, secret); err != nil || u.Name != "scanner" {
		t.Fatalf("other process: AuthenticateToken = %+v, %v", u, err)
	}

	id, sec, _ := ParseToken(secret)
	sec[0] ^= 1
	for name, bad := range map[string]string{
		"flipped bit": formatToken(id, sec),
		"unknown id":  formatToken("00000000000000ff", sec),
		"garbage":     "hoso_x",
		"empty":       "",
	} {
		if _, err := s.AuthenticateToken(ctx, bad); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("%s: AuthenticateToken = %v, want ErrUnauthenticated", name, err)
		}
	}
	if _, _, err := s.CreateToken(ctx, "scanner", "bad\nlabel"); !errors.Is(err, ErrInvalid) {
		t.Errorf("CreateToken(bad label) = %v", err)
	}
	if _, _, err := s.CreateToken(ctx, "nobody", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("CreateToken(nobody) = %v", err)
	}

	// Revoked through this Service: at once here; within CacheTTL in the other.
	if err := s.RevokeToken(ctx, "scanner", tok.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, "scanner", tok.ID); err != nil {
		t.Errorf("second revoke: %v", err)
	}
	if _, err := s.AuthenticateToken(ctx, secret); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("revoked token here: %v", err)
	}
	if _, err := other.AuthenticateToken(ctx, secret); err != nil {
		t.Errorf("revoked token in the other process before its cache expired: %v (the cache should still hold it)", err)
	}
	clk.Advance(DefaultCacheTTL)
	if _, err := other.AuthenticateToken(ctx, secret); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("revoked token in the other process after CacheTTL: %v", err)
	}
	u, _ = s.Get(ctx, "scanner")
	if len(u.Tokens) != 1 || u.Tokens[0].Active() || u.ActiveTokens() != 0 {
		t.Errorf("tokens after revoke = %+v", u.Tokens)
	}
}

func TestTokenCreatedElsewhereAndLimit(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	clk := newClock()
	s := newService(t, store, clk)
	mustAdd(t, s, "bob", Reader, domain.Public)
	// This Service has read all users (and found no token) just now.
	if _, err := s.AuthenticateToken(ctx, formatToken("00000000000000ff", make([]byte, 32))); !errors.Is(err, ErrUnauthenticated) {
		t.Fatal(err)
	}
	secret, _, err := newService(t, store, clk).CreateToken(ctx, "bob", "")
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(DefaultCacheTTL)
	if _, err := s.AuthenticateToken(ctx, secret); err != nil {
		t.Errorf("token made by another process, after CacheTTL: %v", err)
	}
	for range MaxActiveTokens - 1 {
		if _, _, err := s.CreateToken(ctx, "bob", ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.CreateToken(ctx, "bob", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("token %d: %v, want ErrInvalid", MaxActiveTokens+1, err)
	}
}

func TestDisableEndsTokensAndSessions(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	clk := newClock()
	s := newService(t, store, clk)
	sessions := NewSessions(s)
	mustAdd(t, s, "root", Admin, domain.TopSecret)
	mustAdd(t, s, "bob", Archivist, domain.Secret)
	secret, _, err := s.CreateToken(ctx, "bob", "")
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.Login(ctx, "bob", goodPW, "")
	if err != nil {
		t.Fatal(err)
	}
	sess, err := sessions.Create(u)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	// Disabled by another process (the CLI): effective here within CacheTTL.
	if err := newService(t, store, clk).Disable(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(DefaultCacheTTL)
	if _, err := s.AuthenticateToken(ctx, secret); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("token of disabled user: %v", err)
	}
	if _, err := sessions.Lookup(ctx, sess.ID); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("session of disabled user: %v", err)
	}
	if _, err := sessions.Create(&User{Name: "bob", Disabled: true}); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("Create for disabled user: %v", err)
	}
	if _, _, err := s.CreateToken(ctx, "bob", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("CreateToken for disabled user: %v", err)
	}
	// Enabling does not bring back the tokens.
	if err := s.Enable(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateToken(ctx, secret); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("token after re-enable: %v", err)
	}
}

func TestSessionTimeouts(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	s := newService(t, newStore(t), clk)
	m := NewSessions(s)
	u := mustAdd(t, s, "alice", Reader, domain.Confidential)
	sess, err := m.Create(u)
	if err != nil {
		t.Fatal(err)
	}
	if len(sess.ID) != 43 || len(sess.CSRF) != 43 || sess.ID == sess.CSRF {
		t.Errorf("session id %q, csrf %q", sess.ID, sess.CSRF)
	}
	if !sess.Expires.Equal(clk.Now().Add(DefaultSessionIdle)) {
		t.Errorf("Expires = %v", sess.Expires)
	}
	// Used every 29 minutes, the session slides for 12 h, then ends.
	start := clk.Now()
	for clk.Now().Sub(start) <= DefaultSessionLifetime-29*time.Minute {
		clk.Advance(29 * time.Minute)
		got, err := m.Lookup(ctx, sess.ID)
		if err != nil {
			t.Fatalf("at %v: %v", clk.Now().Sub(start), err)
		}
		if got.User.Name != "alice" || got.CSRF != sess.CSRF {
			t.Fatalf("Lookup = %+v", got)
		}
		want := clk.Now().Add(DefaultSessionIdle)
		if end := start.Add(DefaultSessionLifetime); end.Before(want) {
			want = end
		}
		if !got.Expires.Equal(want) {
			t.Fatalf("Expires = %v, want %v", got.Expires, want)
		}
	}
	clk.Advance(29 * time.Minute)
	if _, err := m.Lookup(ctx, sess.ID); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("after the absolute lifetime: %v", err)
	}

	// Idle for 30 minutes: gone.
	sess, _ = m.Create(u)
	clk.Advance(DefaultSessionIdle - time.Nanosecond)
	if _, err := m.Lookup(ctx, sess.ID); err != nil {
		t.Errorf("just before the idle timeout: %v", err)
	}
	clk.Advance(DefaultSessionIdle)
	if _, err := m.Lookup(ctx, sess.ID); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("after the idle timeout: %v", err)
	}
	if n := m.Len(); n != 0 {
		t.Errorf("%d sessions left, want the expired ones forgotten", n)
	}

	sess, _ = m.Create(u)
	m.Revoke(sess.ID)
	m.Revoke(sess.ID)
	if _, err := m.Lookup(ctx, sess.ID); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("after Revoke: %v", err)
	}
	if _, err := m.Lookup(ctx, "no such session"); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("unknown id: %v", err)
	}
}

func TestSessionsValidAfter(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	s := newService(t, newStore(t), clk)
	m := NewSessions(s)
	u := mustAdd(t, s, "alice", Reader, domain.Confidential)
	before, _ := m.Create(u)
	other, _ := m.Create(u)
	clk.Advance(time.Second)
	if err := s.SetPassword(ctx, "alice", "another good one"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	after, _ := m.Create(u)
	if _, err := m.Lookup(ctx, before.ID); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("session from before the password change: %v", err)
	}
	if _, err := m.Lookup(ctx, after.ID); err != nil {
		t.Errorf("session from after the password change: %v", err)
	}
	if err := s.RevokeSessions(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Lookup(ctx, after.ID); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("after RevokeSessions: %v", err)
	}
	_ = other
	clk.Advance(time.Second)
	a, _ := m.Create(u)
	b, _ := m.Create(u)
	if n := m.RevokeUser("alice"); n != 3 { // other, a, b: other was not looked up since
		t.Errorf("RevokeUser = %d, want 3", n)
	}
	for _, x := range []*Session{a, b} {
		if _, err := m.Lookup(ctx, x.ID); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("after RevokeUser: %v", err)
		}
	}
}

func TestSessionSeesRoleChange(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	s := newService(t, newStore(t), clk)
	m := NewSessions(s)
	u := mustAdd(t, s, "alice", Reader, domain.Public)
	sess, _ := m.Create(u)
	if err := s.SetClearance(ctx, "alice", domain.Secret); err != nil {
		t.Fatal(err)
	}
	got, err := m.Lookup(ctx, sess.ID)
	if err != nil || got.User.Clearance != domain.Secret || !got.User.Allows(domain.Secret) {
		t.Errorf("Lookup after SetClearance = %+v, %v", got, err)
	}
}

func TestCheckCSRF(t *testing.T) {
	s := &Session{CSRF: "abc"}
	for tok, want := range map[string]bool{"abc": true, "abd": false, "ab": false, "abcd": false, "": false} {
		if got := CheckCSRF(s, tok); got != want {
			t.Errorf("CheckCSRF(%q) = %v", tok, got)
		}
	}
	if CheckCSRF(nil, "abc") || CheckCSRF(&Session{}, "") {
		t.Error("CheckCSRF accepted a nil session or empty tokens")
	}
}
