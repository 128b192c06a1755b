package auth

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// limiter counts sign-in attempts per key in a sliding window: a key with
// max attempts logged in the last window is refused until the oldest leaves
// the window. An attempt is logged when it begins, and a successful one is
// taken off again (all of the user's, only itself for a remote address), so
// attempts in flight count as failures and concurrent guesses cannot pass
// the limit.
type limiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu        sync.Mutex
	log       map[string][]time.Time // key → attempt times, oldest first
	lastSweep time.Time
}

func newLimiter(max int, window time.Duration, now func() time.Time) *limiter {
	return &limiter{max: max, window: window, now: now, log: make(map[string][]time.Time)}
}

// limitKey is one counter an attempt is charged to.
type limitKey struct {
	key string // "" for none
	by  string // "user" or "remote", for RateLimitedError.By
}

// begin logs an attempt against every non-empty key and returns its time, or
// refuses it with the longest wait among the keys at their limit, logging
// nothing.
func (l *limiter) begin(keys ...limitKey) (time.Time, *RateLimitedError) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweep(now)
	var refused *RateLimitedError
	for _, k := range keys {
		if k.key == "" {
			continue
		}
		ts := l.prune(k.key, now)
		if len(ts) >= l.max {
			wait := ts[len(ts)-l.max].Add(l.window).Sub(now)
			if wait <= 0 {
				wait = time.Nanosecond
			}
			if refused == nil || wait > refused.RetryAfter {
				refused = &RateLimitedError{RetryAfter: wait, By: k.by}
			}
		}
	}
	if refused != nil {
		return time.Time{}, refused
	}
	for _, k := range keys {
		if k.key != "" {
			l.log[k.key] = append(l.log[k.key], now)
		}
	}
	return now, nil
}

// reset forgets every attempt logged against key.
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.log, key)
}

// forget takes one attempt logged at t off key.
func (l *limiter) forget(key string, t time.Time) {
	if key == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.log[key]
	for i := range ts {
		if ts[i].Equal(t) {
			ts = append(ts[:i], ts[i+1:]...)
			break
		}
	}
	if len(ts) == 0 {
		delete(l.log, key)
	} else {
		l.log[key] = ts
	}
}

// prune drops key's attempts older than the window and returns the rest.
func (l *limiter) prune(key string, now time.Time) []time.Time {
	ts := l.log[key]
	i := 0
	for i < len(ts) && !ts[i].After(now.Add(-l.window)) {
		i++
	}
	if i > 0 {
		ts = append(ts[:0], ts[i:]...)
		if len(ts) == 0 {
			delete(l.log, key)
		} else {
			l.log[key] = ts
		}
	}
	return ts
}

// sweep, at most once per window, drops keys whose attempts have all left
// the window, so that the map does not grow with every name ever tried.
func (l *limiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < l.window {
		return
	}
	l.lastSweep = now
	for k := range l.log {
		l.prune(k, now)
	}
}

// remoteKey is the rate-limit key of a remote address ("host" or
// "host:port"): the IPv4 address, or the /64 of an IPv6 address (one host
// usually holds a whole /64). An empty remote (the CLI) has no key.
func remoteKey(remote string) string {
	if remote == "" {
		return ""
	}
	host := remote
	if h, _, err := net.SplitHostPort(remote); err == nil {
		host = h
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return "remote:" + host
	}
	a = a.WithZone("").Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return "remote:" + p.String()
	}
	return "remote:" + a.String()
}
