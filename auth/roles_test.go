package auth

import (
	"errors"
	"testing"

	"hoso/domain"
)

func TestRoleCan(t *testing.T) {
	all := Permissions
	want := map[Role][]Permission{
		Admin:     all,
		Archivist: {Search, View, Download, Upload, EditMetadata, CorrectText, ManageJobs},
		Reader:    {Search, View},
		"":        nil,
		"root":    nil,
	}
	for role, perms := range want {
		has := set(perms...)
		for _, p := range all {
			if got := role.Can(p); got != has[p] {
				t.Errorf("%q.Can(%s) = %v, want %v", role, p, got, has[p])
			}
		}
		if role.Can("fly") {
			t.Errorf("%q.Can(unknown permission) = true", role)
		}
	}
}

func TestUserCan(t *testing.T) {
	u := &User{Name: "a", Role: Admin, Clearance: domain.TopSecret}
	if !u.Can(ManageUsers) {
		t.Error("admin cannot manage users")
	}
	u.Disabled = true
	if u.Can(Search) {
		t.Error("disabled admin can search")
	}
	if (*User)(nil).Can(Search) {
		t.Error("nil user can search")
	}
}

func TestUserAllows(t *testing.T) {
	levels := domain.Classifications
	for ci, clearance := range levels {
		u := &User{Name: "u", Role: Reader, Clearance: clearance}
		for ri, record := range levels {
			if got, want := u.Allows(record), ri <= ci; got != want {
				t.Errorf("clearance %s allows %s = %v, want %v", clearance, record, got, want)
			}
		}
		if u.Allows("") || u.Allows("cosmic") {
			t.Errorf("clearance %s allows an invalid level", clearance)
		}
	}
	if (&User{Clearance: ""}).Allows(domain.Public) {
		t.Error("no clearance allows public")
	}
	if (*User)(nil).Allows(domain.Public) {
		t.Error("nil user allows public")
	}
}

func TestParseRole(t *testing.T) {
	for in, want := range map[string]Role{"admin": Admin, " Archivist ": Archivist, "READER": Reader} {
		if got, err := ParseRole(in); err != nil || got != want {
			t.Errorf("ParseRole(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "root", "readers"} {
		if _, err := ParseRole(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseRole(%q) error = %v, want ErrInvalid", in, err)
		}
	}
}
