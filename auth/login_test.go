package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hoso/domain"
)

func TestLogin(t *testing.T) {
	ctx := context.Background()
	s := newService(t, newStore(t), newClock())
	mustAdd(t, s, "root", Admin, domain.TopSecret)
	mustAdd(t, s, "alice", Archivist, domain.Secret)
	mustAdd(t, s, "bob", Reader, domain.Public)
	if err := s.Disable(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		user, pw string
		ok       bool
	}{
		{"alice", goodPW, true},
		{" Alice ", goodPW, true},
		{"alice", "wrong password", false},
		{"alice", "", false},
		{"nobody", goodPW, false},
		{"../alice", goodPW, false},
		{"bob", goodPW, false}, // disabled
	} {
		u, err := s.Login(ctx, tc.user, tc.pw, "")
		if tc.ok {
			if err != nil || u.Name != "alice" || u.Role != Archivist || u.Clearance != domain.Secret {
				t.Errorf("Login(%q, %q) = %+v, %v", tc.user, tc.pw, u, err)
			}
			continue
		}
		if u != nil || !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("Login(%q, %q) = %+v, %v; want ErrUnauthenticated", tc.user, tc.pw, u, err)
		}
	}
	if err := s.SetPassword(ctx, "alice", "a new password"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, "alice", goodPW, ""); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("old password after SetPassword: %v", err)
	}
	if _, err := s.Login(ctx, "alice", "a new password", ""); err != nil {
		t.Errorf("new password after SetPassword: %v", err)
	}
	if err := s.SetPassword(ctx, "alice", "short"); !errors.Is(err, ErrInvalid) {
		t.Errorf("SetPassword(weak) = %v", err)
	}
	if err := s.Enable(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, "bob", goodPW, ""); err != nil {
		t.Errorf("Login after Enable: %v", err)
	}
}

// An unknown user must cost a password hash, like a known one: with the
// only hashing slot taken, its Login waits for it.
func TestLoginUnknownUserHashes(t *testing.T) {
	s, err := New(newStore(t), Config{Argon2: cheap, MaxConcurrentHashes: 1, Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	s.hashSem <- struct{}{}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Login(ctx, "nobody", goodPW, "10.0.0.1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Login(unknown) with no hashing slot = %v, want it to wait for one", err)
	}
	<-s.hashSem
	// The cancelled attempt did not count.
	if n := len(s.limit.log); n != 0 {
		t.Errorf("cancelled attempt left %d rate-limit entries", n)
	}
}

func retryAfter(t *testing.T, err error) time.Duration {
	t.Helper()
	var rl *RateLimitedError
	if !errors.As(err, &rl) || !errors.Is(err, ErrRateLimited) {
		t.Fatalf("error = %v, want *RateLimitedError", err)
	}
	return rl.RetryAfter
}

func TestRateLimitPerUser(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	s := newService(t, newStore(t), clk)
	mustAdd(t, s, "alice", Reader, domain.Public)
	// Five failures from five addresses, a minute apart.
	for i := range DefaultMaxFailures {
		if _, err := s.Login(ctx, "alice", "wrong password", fmt.Sprintf("10.0.0.%d", i)); !errors.Is(err, ErrUnauthenticated) {
			t.Fatalf("failure %d: %v", i, err)
		}
		clk.Advance(time.Minute)
	}
	// Now even the right password is refused, from anywhere, unchecked.
	_, err := s.Login(ctx, "ALICE", goodPW, "192.168.1.1")
	if got, want := retryAfter(t, err), DefaultFailureWindow-5*time.Minute; got != want {
		t.Errorf("RetryAfter = %v, want %v", got, want)
	}
	// Other users are not affected.
	if _, err := s.Login(ctx, "bob", "wrong password", "192.168.1.1"); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("other user: %v", err)
	}
	// When the first failure leaves the window, one more attempt is allowed.
	clk.Advance(DefaultFailureWindow - 5*time.Minute)
	if _, err := s.Login(ctx, "alice", "wrong password", ""); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("after wait: %v", err)
	}
	if got := retryAfter(t, ignoreUser(s.Login(ctx, "alice", goodPW, ""))); got != time.Minute {
		t.Errorf("RetryAfter = %v, want 1m", got)
	}
	clk.Advance(time.Minute)
	if _, err := s.Login(ctx, "alice", goodPW, ""); err != nil {
		t.Fatalf("right password after wait: %v", err)
	}
	// Success cleared the user's failures: five more are allowed.
	for i := range DefaultMaxFailures {
		if _, err := s.Login(ctx, "alice", "wrong password", ""); !errors.Is(err, ErrUnauthenticated) {
			t.Fatalf("failure %d after success: %v", i, err)
		}
	}
	retryAfter(t, ignoreUser(s.Login(ctx, "alice", goodPW, "")))
}

func ignoreUser(_ *User, err error) error { return err }

func TestRateLimitPerRemote(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	s := newService(t, newStore(t), clk)
	mustAdd(t, s, "alice", Reader, domain.Public)
	mustAdd(t, s, "mallory", Reader, domain.Public)
	// A success does not clear the address's failures, so that a valid
	// account cannot be used to reset them.
	for i := range DefaultMaxFailures - 1 {
		if _, err := s.Login(ctx, fmt.Sprintf("user%d", i), "wrong password", "203.0.113.7:5000"); !errors.Is(err, ErrUnauthenticated) {
			t.Fatal(err)
		}
	}
	if _, err := s.Login(ctx, "mallory", goodPW, "203.0.113.7:6000"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, "user9", "wrong password", "203.0.113.7"); !errors.Is(err, ErrUnauthenticated) {
		t.Fatal(err)
	}
	_, err := s.Login(ctx, "alice", goodPW, "203.0.113.7:7000")
	retryAfter(t, err)
	var rl *RateLimitedError
	if errors.As(err, &rl); rl.By != "remote" {
		t.Errorf("limited by %q, want remote", rl.By)
	}
	// Another address is fine; the same IPv6 /64 counts as one address.
	if _, err := s.Login(ctx, "alice", goodPW, "203.0.113.8"); err != nil {
		t.Errorf("other address: %v", err)
	}
	for i := range DefaultMaxFailures {
		s.Login(ctx, "nobody", "wrong password", fmt.Sprintf("[2001:db8:1:2::%x]:443", i+1))
	}
	retryAfter(t, ignoreUser(s.Login(ctx, "alice", goodPW, "2001:db8:1:2:ffff::1")))
	if _, err := s.Login(ctx, "alice", goodPW, "2001:db8:1:3::1"); err != nil {
		t.Errorf("other /64: %v", err)
	}
	clk.Advance(DefaultFailureWindow)
	if _, err := s.Login(ctx, "alice", goodPW, "203.0.113.7"); err != nil {
		t.Errorf("after the window: %v", err)
	}
}

func TestRemoteKey(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "",
		"10.1.2.3":              "remote:10.1.2.3",
		"10.1.2.3:8080":         "remote:10.1.2.3",
		"[::ffff:10.1.2.3]:80":  "remote:10.1.2.3",
		"2001:db8::1":           "remote:2001:db8::/64",
		"[2001:db8::1%eth0]:80": "remote:2001:db8::/64",
		"proxy.local":           "remote:proxy.local",
	} {
		if got := remoteKey(in); got != want {
			t.Errorf("remoteKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// Concurrent wrong guesses cannot pass the limit: attempts in flight count.
func TestRateLimitConcurrent(t *testing.T) {
	s := newService(t, newStore(t), newClock())
	mustAdd(t, s, "alice", Reader, domain.Public)
	var wg sync.WaitGroup
	var checked, limited atomic.Int32
	for i := range 40 {
		wg.Go(func() {
			_, err := s.Login(context.Background(), "alice", "wrong password", fmt.Sprintf("10.0.%d.1", i))
			switch {
			case errors.Is(err, ErrUnauthenticated):
				checked.Add(1)
			case errors.Is(err, ErrRateLimited):
				limited.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if checked.Load() != DefaultMaxFailures || limited.Load() != 40-DefaultMaxFailures {
		t.Errorf("%d passwords checked, %d refused; want %d and %d", checked.Load(), limited.Load(), DefaultMaxFailures, 40-DefaultMaxFailures)
	}
}

// Many users signing in at once, under -race.
func TestLoginConcurrent(t *testing.T) {
	ctx := context.Background()
	s := newService(t, newStore(t), newClock())
	for i := range 8 {
		mustAdd(t, s, fmt.Sprintf("user%d", i), Reader, domain.Public)
	}
	sessions := NewSessions(s)
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			name := fmt.Sprintf("user%d", i%8)
			u, err := s.Login(ctx, name, goodPW, fmt.Sprintf("10.0.0.%d", i))
			if err != nil {
				t.Error(err)
				return
			}
			sess, err := sessions.Create(u)
			if err != nil {
				t.Error(err)
				return
			}
			if got, err := sessions.Lookup(ctx, sess.ID); err != nil || got.User.Name != name {
				t.Errorf("Lookup = %v, %v", got, err)
			}
		})
	}
	wg.Wait()
	if n := sessions.Len(); n != 32 {
		t.Errorf("%d sessions, want 32", n)
	}
}
