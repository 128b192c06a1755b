package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"hoso/storage"
)

// userCache keeps recently read accounts for AuthenticateToken and
// Sessions.Lookup. An entry older than ttl is read again from the store
// before use, which bounds how long a change made elsewhere goes unseen.
// Token ids map to their user's name; an id not known is looked for by
// reading all accounts, at most once per ttl.
type userCache struct {
	store storage.Store
	ttl   time.Duration
	now   func() time.Time

	mu     sync.Mutex
	users  map[string]cachedUser // by name
	tokens map[string]string     // token id → user name
	listed time.Time             // last time all accounts were read

	reloadMu sync.Mutex // one full reload at a time
}

type cachedUser struct {
	u       *User
	fetched time.Time
}

func newUserCache(s storage.Store, ttl time.Duration, now func() time.Time) *userCache {
	return &userCache{store: s, ttl: ttl, now: now, users: make(map[string]cachedUser), tokens: make(map[string]string)}
}

// put records u as read now.
func (c *userCache) put(u *User) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.users[u.Name] = cachedUser{u: u.clone(), fetched: c.now()}
	for _, t := range u.Tokens {
		c.tokens[t.ID] = u.Name
	}
}

func (c *userCache) forget(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.users, name)
}

// fresh returns a copy of the cached user if it is younger than ttl.
func (c *userCache) fresh(name string) *User {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.users[name]
	if !ok || c.now().Sub(e.fetched) >= c.ttl {
		return nil
	}
	return e.u.clone()
}

// get returns user name, from the cache when fresh. Errors: ErrNotFound,
// store errors.
func (c *userCache) get(ctx context.Context, name string) (*User, error) {
	if u := c.fresh(name); u != nil {
		return u, nil
	}
	u, err := loadUser(ctx, c.store, name)
	if errors.Is(err, ErrNotFound) {
		c.forget(name)
	}
	if err != nil {
		return nil, err
	}
	c.put(u)
	return u.clone(), nil
}

// byToken returns the user owning token id. Errors: ErrNotFound, store
// errors.
func (c *userCache) byToken(ctx context.Context, id string) (*User, error) {
	if name, ok := c.tokenOwner(id); ok {
		return c.get(ctx, name)
	}
	c.reloadMu.Lock()
	defer c.reloadMu.Unlock()
	// Another caller may have reloaded while this one waited.
	if name, ok := c.tokenOwner(id); ok {
		return c.get(ctx, name)
	}
	c.mu.Lock()
	stale := c.now().Sub(c.listed) >= c.ttl
	c.mu.Unlock()
	if !stale {
		return nil, fmt.Errorf("token %s: %w", id, ErrNotFound)
	}
	if err := c.reload(ctx); err != nil {
		return nil, err
	}
	if name, ok := c.tokenOwner(id); ok {
		return c.get(ctx, name)
	}
	return nil, fmt.Errorf("token %s: %w", id, ErrNotFound)
}

func (c *userCache) tokenOwner(id string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	name, ok := c.tokens[id]
	return name, ok
}

// reload reads every account into the cache.
func (c *userCache) reload(ctx context.Context) error {
	names, err := listNames(ctx, c.store)
	if err != nil {
		return err
	}
	for _, n := range names {
		u, err := loadUser(ctx, c.store, n)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		c.put(u)
	}
	c.mu.Lock()
	c.listed = c.now()
	c.mu.Unlock()
	return nil
}
