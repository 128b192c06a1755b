package auth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"hoso/archive"
	"hoso/domain"
	"hoso/storage"
)

func TestAddUserValidation(t *testing.T) {
	ctx := context.Background()
	s := newService(t, newStore(t), newClock())
	for _, tc := range []struct {
		name string
		role Role
		c    domain.Classification
		pw   string
	}{
		{"Alice", Reader, domain.Public, goodPW},
		{"", Reader, domain.Public, goodPW},
		{"a/b", Reader, domain.Public, goodPW},
		{"..", Reader, domain.Public, goodPW},
		{strings.Repeat("a", 65), Reader, domain.Public, goodPW},
		{"nguyễn", Reader, domain.Public, goodPW},
		{"alice", "boss", domain.Public, goodPW},
		{"alice", Reader, "cosmic", goodPW},
		{"alice", Reader, "", goodPW},
		{"alice", Reader, domain.Public, "short"},
	} {
		if _, err := s.AddUser(ctx, tc.name, tc.role, tc.c, tc.pw); !errors.Is(err, ErrInvalid) {
			t.Errorf("AddUser(%q, %q, %q, %q) error = %v, want ErrInvalid", tc.name, tc.role, tc.c, tc.pw, err)
		}
	}
	for _, name := range []string{"a", "alice.nguyen", "user_2", "x-y", strings.Repeat("z", 64)} {
		mustAdd(t, s, name, Reader, domain.Public)
	}
	if _, err := s.AddUser(ctx, "a", Admin, domain.Secret, goodPW); !errors.Is(err, ErrExists) {
		t.Errorf("second AddUser(a) error = %v, want ErrExists", err)
	}
}

func TestAddUserConcurrentCreateOnly(t *testing.T) {
	store := newStore(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, exists := 0, 0
	for range 8 {
		s := newService(t, store, newClock()) // as if separate processes
		wg.Go(func() {
			_, err := s.AddUser(context.Background(), "alice", Reader, domain.Public, goodPW)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, ErrExists):
				exists++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins != 1 || exists != 7 {
		t.Errorf("%d creates won and %d got ErrExists, want 1 and 7", wins, exists)
	}
}

func TestUpdatesPersist(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	clk := newClock()
	s := newService(t, store, clk)
	mustAdd(t, s, "root", Admin, domain.TopSecret)
	mustAdd(t, s, "bob", Reader, domain.Public)
	if err := s.SetRole(ctx, "bob", Archivist); err != nil {
		t.Fatal(err)
	}
	if err := s.SetClearance(ctx, "bob", domain.Secret); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateToken(ctx, "bob", "scanner"); err != nil {
		t.Fatal(err)
	}
	// A new Service reads the store: it is the source of truth.
	u, err := newService(t, store, clk).Get(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if u.Role != Archivist || u.Clearance != domain.Secret || len(u.Tokens) != 1 || u.Tokens[0].Label != "scanner" || u.Tokens[0].Hash == "" {
		t.Errorf("reloaded user = %+v", u)
	}
	if !u.CreatedAt.Equal(clk.Now()) {
		t.Errorf("CreatedAt = %v, want %v", u.CreatedAt, clk.Now())
	}

	for _, err := range []error{
		s.SetRole(ctx, "bob", "boss"),
		s.SetClearance(ctx, "bob", "cosmic"),
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("bad update error = %v, want ErrInvalid", err)
		}
	}
	for _, err := range []error{
		s.SetRole(ctx, "nobody", Reader),
		s.SetPassword(ctx, "nobody", goodPW),
		s.Disable(ctx, "nobody"),
		s.Enable(ctx, "nobody"),
		s.RevokeToken(ctx, "bob", "0000000000000000"),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("update of missing user or token: error = %v, want ErrNotFound", err)
		}
	}
	if _, err := s.Get(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(nobody) = %v", err)
	}
	if _, err := s.Get(ctx, "../x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(../x) = %v", err)
	}

	users, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 || users[0].Name != "bob" || users[1].Name != "root" {
		t.Errorf("List = %v", users)
	}
}

func TestStoredRecordHasNoSecrets(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	s := newService(t, store, newClock())
	mustAdd(t, s, "bob", Reader, domain.Public)
	secret, _, err := s.CreateToken(ctx, "bob", "x")
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := storage.ReadAll(ctx, store, archive.UserKey("bob"))
	if err != nil {
		t.Fatal(err)
	}
	_, sec, _ := ParseToken(secret)
	for _, leak := range []string{goodPW, secret, string(sec)} {
		if strings.Contains(string(b), leak) {
			t.Errorf("stored record contains a secret %q:\n%s", leak, b)
		}
	}
	if !strings.Contains(string(b), `"password_hash": "$argon2id$`) || !strings.Contains(string(b), `"schema": 1`) {
		t.Errorf("stored record lacks hash or schema:\n%s", b)
	}
}

func TestLastAdminGuard(t *testing.T) {
	ctx := context.Background()
	s := newService(t, newStore(t), newClock())
	mustAdd(t, s, "root", Admin, domain.TopSecret)
	if err := s.Disable(ctx, "root"); !errors.Is(err, ErrInvalid) {
		t.Errorf("disabling the last admin: %v, want ErrInvalid", err)
	}
	if err := s.SetRole(ctx, "root", Reader); !errors.Is(err, ErrInvalid) {
		t.Errorf("demoting the last admin: %v, want ErrInvalid", err)
	}
	mustAdd(t, s, "root2", Admin, domain.TopSecret)
	if err := s.Disable(ctx, "root"); err != nil {
		t.Errorf("disabling one of two admins: %v", err)
	}
	if err := s.SetRole(ctx, "root2", Reader); !errors.Is(err, ErrInvalid) {
		t.Errorf("demoting the last enabled admin: %v, want ErrInvalid", err)
	}
}

func TestEnsureAdminOnce(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	s := newService(t, store, newClock())
	pw, created, err := s.EnsureAdmin(ctx)
	if err != nil || !created || CheckPassword(AdminName, pw) != nil {
		t.Fatalf("EnsureAdmin = %q, %v, %v", pw, created, err)
	}
	u, err := s.Login(ctx, AdminName, pw, "")
	if err != nil || u.Role != Admin || u.Clearance != domain.TopSecret {
		t.Fatalf("Login as admin = %+v, %v", u, err)
	}
	for range 2 {
		pw2, created, err := newService(t, store, newClock()).EnsureAdmin(ctx)
		if err != nil || created || pw2 != "" {
			t.Errorf("second EnsureAdmin = %q, %v, %v", pw2, created, err)
		}
	}

	// Any user, not only "admin", means the store is set up.
	s2 := newService(t, newStore(t), newClock())
	mustAdd(t, s2, "clerk", Reader, domain.Public)
	if _, created, err := s2.EnsureAdmin(ctx); err != nil || created {
		t.Errorf("EnsureAdmin with a user present: created %v, %v", created, err)
	}
}

func TestEnsureAdminRace(t *testing.T) {
	store := newStore(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	n := 0
	for range 4 {
		s := newService(t, store, newClock())
		wg.Go(func() {
			_, created, err := s.EnsureAdmin(context.Background())
			if err != nil {
				t.Error(err)
			}
			if created {
				mu.Lock()
				n++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if n != 1 {
		t.Errorf("%d EnsureAdmin calls created the admin, want 1", n)
	}
}
