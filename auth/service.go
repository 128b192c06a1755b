package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"hoso/domain"
	"hoso/storage"
)

// Log attribute keys.
const (
	logKeyUser   = "user"
	logKeyRemote = "remote"
	logKeyToken  = "token"
	logKeyWait   = "retry_after"
	logKeyErr    = "err"
)

// Config tunes a Service. The zero value of each field means its default.
type Config struct {
	// Argon2 are the cost parameters for new password hashes (DefaultArgon2).
	// Existing hashes verify with the parameters recorded in them. Tests may
	// use cheap ones, e.g. {Memory: 64, Time: 1, Threads: 1}.
	Argon2 Argon2Params
	// MaxConcurrentHashes bounds argon2id hashes running at once, each
	// holding Argon2.Memory (runtime.NumCPU()).
	MaxConcurrentHashes int
	// MaxFailures sign-in attempts per user name, and per remote address,
	// within FailureWindow are allowed; more are refused (5, 15 min).
	MaxFailures   int
	FailureWindow time.Duration
	// CacheTTL is how old a cached account may be before AuthenticateToken
	// and Sessions.Lookup read it again (2 s): the longest a change made by
	// another process takes to apply.
	CacheTTL time.Duration
	// SessionIdle ends a session unused for this long (30 min);
	// SessionLifetime ends any session this long after its creation (12 h).
	SessionIdle     time.Duration
	SessionLifetime time.Duration
	// Now is the clock (time.Now); tests inject a fake one.
	Now func() time.Time
	// Log receives sign-in failures, rate limiting and account changes
	// (slog.Default()).
	Log *slog.Logger
}

// Default values of Config.
const (
	DefaultMaxFailures     = 5
	DefaultFailureWindow   = 15 * time.Minute
	DefaultCacheTTL        = 2 * time.Second
	DefaultSessionIdle     = 30 * time.Minute
	DefaultSessionLifetime = 12 * time.Hour
)

func (c Config) withDefaults() Config {
	c.Argon2 = c.Argon2.withDefaults()
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.FailureWindow, DefaultFailureWindow)
	def(&c.CacheTTL, DefaultCacheTTL)
	def(&c.SessionIdle, DefaultSessionIdle)
	def(&c.SessionLifetime, DefaultSessionLifetime)
	if c.MaxFailures == 0 {
		c.MaxFailures = DefaultMaxFailures
	}
	if c.MaxConcurrentHashes == 0 {
		c.MaxConcurrentHashes = runtime.NumCPU()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return c
}

// Validate reports the first bad setting of c after defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	if err := c.Argon2.validate(); err != nil {
		return err
	}
	switch {
	case c.MaxConcurrentHashes < 1, c.MaxFailures < 1:
		return errors.New("MaxConcurrentHashes and MaxFailures must be at least 1")
	case c.FailureWindow < 0, c.CacheTTL < 0, c.SessionIdle < 0, c.SessionLifetime < 0:
		return errors.New("durations must not be negative")
	}
	return nil
}

// Service manages accounts stored in an object store and checks
// credentials. It is safe for concurrent use.
type Service struct {
	store   storage.Store
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	hashSem chan struct{}
	limit   *limiter
	cache   *userCache
	// dummyHash is verified for unknown users so that they cost what a
	// known user costs.
	dummyHash string
	// mu serializes this Service's read-modify-write updates (not those of
	// other processes: last writer wins, see the package comment).
	mu sync.Mutex
}

// New returns a Service keeping accounts in store. The store is not closed
// by the Service.
func New(store storage.Store, cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("auth config: %w", err)
	}
	cfg = cfg.withDefaults()
	s := &Service{store: store, cfg: cfg, log: cfg.Log, now: cfg.Now,
		hashSem: make(chan struct{}, cfg.MaxConcurrentHashes),
		limit:   newLimiter(cfg.MaxFailures, cfg.FailureWindow, cfg.Now),
	}
	s.cache = newUserCache(store, cfg.CacheTTL, cfg.Now)
	// A well-formed hash with the configured parameters and random bytes:
	// verifying against it costs one real hash and never matches.
	p := cfg.Argon2
	salt, key := make([]byte, p.SaltLen), make([]byte, p.KeyLen)
	rand.Read(salt)
	rand.Read(key)
	s.dummyHash = fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
	return s, nil
}

// hash returns the PHC hash of pw, waiting for a hashing slot.
func (s *Service) hash(ctx context.Context, pw string) (string, error) {
	if err := s.acquire(ctx); err != nil {
		return "", err
	}
	defer func() { <-s.hashSem }()
	return HashPassword(pw, s.cfg.Argon2), nil
}

// verify checks pw against a PHC hash, waiting for a hashing slot.
func (s *Service) verify(ctx context.Context, pw, hash string) (bool, error) {
	if err := s.acquire(ctx); err != nil {
		return false, err
	}
	defer func() { <-s.hashSem }()
	return VerifyPassword(pw, hash)
}

func (s *Service) acquire(ctx context.Context) error {
	select {
	case s.hashSem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// AddUser creates an account. It fails with ErrInvalid for a bad name, role,
// clearance or weak password (see CheckPassword) and with ErrExists when the
// name is taken; creation is create-only, so of two concurrent AddUser calls
// for one name exactly one succeeds.
func (s *Service) AddUser(ctx context.Context, name string, role Role, clearance domain.Classification, password string) (*User, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if !role.Valid() {
		return nil, invalid("unknown role %q", role)
	}
	if err := checkClearance(clearance); err != nil {
		return nil, err
	}
	if err := CheckPassword(name, password); err != nil {
		return nil, err
	}
	h, err := s.hash(ctx, password)
	if err != nil {
		return nil, err
	}
	u := &User{Name: name, Role: role, Clearance: clearance, PasswordHash: h, CreatedAt: s.now().UTC()}
	if err := storeUser(ctx, s.store, u, true); err != nil {
		return nil, err
	}
	s.cache.put(u)
	s.log.Info("user added", logKeyUser, name, "role", role, "clearance", clearance)
	return u.clone(), nil
}

// update reads user name, applies fn and writes the result back. Errors:
// ErrNotFound, fn's error (nothing written), store errors.
func (s *Service) update(ctx context.Context, name string, fn func(u *User) error) (*User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := loadUser(ctx, s.store, name)
	if err != nil {
		return nil, err
	}
	if err := fn(u); err != nil {
		return nil, err
	}
	if err := storeUser(ctx, s.store, u, false); err != nil {
		return nil, err
	}
	s.cache.put(u)
	return u.clone(), nil
}

// SetPassword replaces name's password (ErrInvalid when weak) and ends all
// the user's sessions (a server changing a signed-in user's own password
// creates a new session for them afterwards); API tokens stay valid.
func (s *Service) SetPassword(ctx context.Context, name, password string) error {
	if err := CheckPassword(name, password); err != nil {
		return err
	}
	h, err := s.hash(ctx, password)
	if err != nil {
		return err
	}
	_, err = s.update(ctx, name, func(u *User) error {
		u.PasswordHash = h
		u.SessionsValidAfter = s.now().UTC()
		return nil
	})
	if err == nil {
		s.log.Info("password changed", logKeyUser, name)
	}
	return err
}

// SetRole changes name's role. Taking the admin role from the last enabled
// admin fails with ErrInvalid.
func (s *Service) SetRole(ctx context.Context, name string, role Role) error {
	if !role.Valid() {
		return invalid("unknown role %q", role)
	}
	_, err := s.update(ctx, name, func(u *User) error {
		if u.Role == Admin && role != Admin && !u.Disabled {
			if err := s.otherAdmins(ctx, name); err != nil {
				return err
			}
		}
		u.Role = role
		return nil
	})
	if err == nil {
		s.log.Info("role changed", logKeyUser, name, "role", role)
	}
	return err
}

// SetClearance changes name's clearance (ErrInvalid for an unknown level).
func (s *Service) SetClearance(ctx context.Context, name string, c domain.Classification) error {
	if err := checkClearance(c); err != nil {
		return err
	}
	_, err := s.update(ctx, name, func(u *User) error {
		u.Clearance = c
		return nil
	})
	if err == nil {
		s.log.Info("clearance changed", logKeyUser, name, "clearance", c)
	}
	return err
}

// Disable stops name from signing in, ends all its sessions and revokes all
// its tokens for good (Enable does not bring them back). Disabling the last
// enabled admin fails with ErrInvalid. Disabling a disabled user is a no-op.
func (s *Service) Disable(ctx context.Context, name string) error {
	_, err := s.update(ctx, name, func(u *User) error {
		if u.Role == Admin && !u.Disabled {
			if err := s.otherAdmins(ctx, name); err != nil {
				return err
			}
		}
		now := s.now().UTC()
		u.Disabled = true
		u.SessionsValidAfter = now
		for i := range u.Tokens {
			if u.Tokens[i].Active() {
				u.Tokens[i].Revoked = now
			}
		}
		return nil
	})
	if err == nil {
		s.log.Info("user disabled", logKeyUser, name)
	}
	return err
}

// Enable lets a disabled user sign in again with their password.
func (s *Service) Enable(ctx context.Context, name string) error {
	_, err := s.update(ctx, name, func(u *User) error {
		u.Disabled = false
		return nil
	})
	if err == nil {
		s.log.Info("user enabled", logKeyUser, name)
	}
	return err
}

// RevokeSessions ends every session of name created before now ("sign out
// everywhere"), in this process and, within CacheTTL, in others.
func (s *Service) RevokeSessions(ctx context.Context, name string) error {
	_, err := s.update(ctx, name, func(u *User) error {
		u.SessionsValidAfter = s.now().UTC()
		return nil
	})
	return err
}

// otherAdmins returns ErrInvalid unless an enabled admin other than name
// exists.
func (s *Service) otherAdmins(ctx context.Context, name string) error {
	users, err := s.List(ctx)
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.Name != name && u.Role == Admin && !u.Disabled {
			return nil
		}
	}
	return invalid("%s is the last enabled admin", name)
}

// Get reads user name from the store (not the cache). Errors: ErrNotFound.
func (s *Service) Get(ctx context.Context, name string) (*User, error) {
	u, err := loadUser(ctx, s.store, name)
	if err != nil {
		return nil, err
	}
	s.cache.put(u)
	return u.clone(), nil
}

// List reads every user from the store, in ascending order of name.
func (s *Service) List(ctx context.Context) ([]*User, error) {
	names, err := listNames(ctx, s.store)
	if err != nil {
		return nil, err
	}
	users := make([]*User, 0, len(names))
	for _, n := range names {
		u, err := loadUser(ctx, s.store, n)
		if errors.Is(err, ErrNotFound) {
			continue // deleted since listed
		}
		if err != nil {
			return nil, err
		}
		s.cache.put(u)
		users = append(users, u.clone())
	}
	return users, nil
}

// MaxActiveTokens is how many unrevoked tokens one user may have.
const MaxActiveTokens = 20

// CreateToken makes an API token for name and returns its secret, to be
// shown once: it is not stored and cannot be recovered. Errors: ErrNotFound,
// ErrInvalid (disabled user, bad label, too many tokens).
func (s *Service) CreateToken(ctx context.Context, name, label string) (string, Token, error) {
	if err := checkLabel(label); err != nil {
		return "", Token{}, err
	}
	id, secret, hash := newTokenSecret()
	t := Token{ID: id, Label: label, Hash: hash, Created: s.now().UTC()}
	_, err := s.update(ctx, name, func(u *User) error {
		switch {
		case u.Disabled:
			return invalid("user %s is disabled", name)
		case u.ActiveTokens() >= MaxActiveTokens:
			return invalid("user %s has %d tokens; revoke one first", name, MaxActiveTokens)
		}
		u.Tokens = append(u.Tokens, t)
		return nil
	})
	if err != nil {
		return "", Token{}, err
	}
	s.log.Info("token created", logKeyUser, name, logKeyToken, id)
	return secret, t, nil
}

// RevokeToken revokes token id of name, at once in this process and within
// CacheTTL in others. Revoking a revoked token is a no-op. Errors:
// ErrNotFound (user or token).
func (s *Service) RevokeToken(ctx context.Context, name, id string) error {
	_, err := s.update(ctx, name, func(u *User) error {
		t := u.token(id)
		if t == nil {
			return fmt.Errorf("token %s of %s: %w", id, name, ErrNotFound)
		}
		if t.Active() {
			t.Revoked = s.now().UTC()
		}
		return nil
	})
	if err == nil {
		s.log.Info("token revoked", logKeyUser, name, logKeyToken, id)
	}
	return err
}

// AdminName is the user EnsureAdmin creates.
const AdminName = "admin"

// EnsureAdmin creates user "admin" (role admin, clearance top-secret) with a
// random password when the store has no users at all, and returns the
// password, to be shown once. With any user present it does nothing and
// returns created false; of processes racing on an empty store one creates.
func (s *Service) EnsureAdmin(ctx context.Context) (password string, created bool, err error) {
	names, err := listNames(ctx, s.store)
	if err != nil || len(names) > 0 {
		return "", false, err
	}
	pw := GeneratePassword()
	if _, err := s.AddUser(ctx, AdminName, Admin, domain.TopSecret, pw); err != nil {
		if errors.Is(err, ErrExists) {
			return "", false, nil
		}
		return "", false, err
	}
	return pw, true, nil
}
