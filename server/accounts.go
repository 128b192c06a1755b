package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"hoso/auth"
	"hoso/domain"
)

// Login checks a password (rate limited per name and per remote address)
// and starts a session. Every attempt is audited; when the audit log fails
// the attempt fails with ErrAudit and no session is made. Errors:
// auth.ErrUnauthenticated (wrong name or password, or a disabled account,
// never said which), auth.ErrRateLimited (a *auth.RateLimitedError with the
// wait), ErrAudit.
func (a *App) Login(ctx context.Context, name, password, remote string) (*auth.Session, error) {
	who := Actor{Remote: remote}
	e := auditEvent{Action: ActionLogin, Target: strings.ToLower(strings.TrimSpace(name))}
	u, err := a.auth.Login(ctx, name, password, remote)
	switch {
	case errors.Is(err, auth.ErrRateLimited):
		e.Outcome, e.Detail = outcomeRateLimited, err.Error()
		return nil, a.recordAfter(ctx, who, e, err)
	case errors.Is(err, auth.ErrUnauthenticated):
		e.Outcome = outcomeFailed
		return nil, a.recordAfter(ctx, who, e, fmt.Errorf("%w: %w", auth.ErrUnauthenticated, errWrongPassword))
	case err != nil:
		return nil, err
	}
	who.User = u
	e.Outcome = outcomeOK
	if err := a.record(ctx, who, e); err != nil {
		return nil, err
	}
	return a.sessions.Create(u)
}

// Logout ends who's session (for an API token it does nothing) and audits it.
func (a *App) Logout(ctx context.Context, who Actor) error {
	if err := a.record(ctx, who, auditEvent{Action: ActionLogout, Target: who.name(), Outcome: outcomeOK}); err != nil {
		return err
	}
	if who.Session != nil {
		a.sessions.Revoke(who.Session.ID)
	}
	return nil
}

// Me describes the signed-in user.
type Me struct {
	User        *auth.User        `json:"user"`
	Permissions []auth.Permission `json:"permissions"`
	// CSRFToken is the session's token, to send as X-CSRF-Token on unsafe
	// requests; empty for API tokens.
	CSRFToken string    `json:"csrf_token,omitempty"`
	Expires   time.Time `json:"expires,omitzero"`
}

// Me returns who's account and what it may do.
func (a *App) Me(who Actor) (*Me, error) {
	if who.User == nil {
		return nil, auth.ErrUnauthenticated
	}
	m := &Me{User: who.User, Permissions: []auth.Permission{}}
	for _, p := range auth.Permissions {
		if who.User.Can(p) {
			m.Permissions = append(m.Permissions, p)
		}
	}
	if who.Session != nil {
		m.CSRFToken, m.Expires = who.Session.CSRF, who.Session.Expires
	}
	return m, nil
}

// NewToken is an API token just made; Token is shown once.
type NewToken struct {
	Token string     `json:"token"`
	Info  auth.Token `json:"info"`
}

// CreateToken makes an API token for who. Errors: auth.ErrInvalid, ErrAudit.
func (a *App) CreateToken(ctx context.Context, who Actor, label string) (*NewToken, error) {
	if who.User == nil {
		return nil, auth.ErrUnauthenticated
	}
	e := auditEvent{Action: ActionTokenCreate, Target: who.name(), Outcome: outcomeOK, Detail: "label " + label}
	if err := a.record(ctx, who, e); err != nil {
		return nil, err
	}
	secret, t, err := a.auth.CreateToken(ctx, who.name(), label)
	if err != nil {
		a.failed(ctx, who, e, err)
		return nil, err
	}
	return &NewToken{Token: secret, Info: t}, nil
}

// Tokens returns who's API tokens (without secrets).
func (a *App) Tokens(ctx context.Context, who Actor) ([]auth.Token, error) {
	if who.User == nil {
		return nil, auth.ErrUnauthenticated
	}
	u, err := a.auth.Get(ctx, who.name())
	if err != nil {
		return nil, err
	}
	return append([]auth.Token{}, u.Tokens...), nil
}

// RevokeToken revokes token id of user name: who's own, or anyone's when
// who may manage users. Errors: ErrNotFound, ErrAudit.
func (a *App) RevokeToken(ctx context.Context, who Actor, name, id string) error {
	if who.User == nil {
		return auth.ErrUnauthenticated
	}
	e := auditEvent{Action: ActionTokenRevoke, Target: name + "/" + id}
	if name != who.name() && !who.User.Can(auth.ManageUsers) {
		return a.denied(ctx, who, e.Action, e.Target, fmt.Errorf("%w: only admins revoke others' tokens", ErrForbidden))
	}
	e.Outcome = outcomeOK
	if err := a.record(ctx, who, e); err != nil {
		return err
	}
	err := a.auth.RevokeToken(ctx, name, id)
	if errors.Is(err, auth.ErrNotFound) {
		a.failed(ctx, who, e, err)
		return ErrNotFound
	}
	return err
}

// Users lists the accounts (permission ManageUsers).
func (a *App) Users(ctx context.Context, who Actor) ([]*auth.User, error) {
	e := auditEvent{Action: ActionUserList, Target: "users"}
	if err := require(who, auth.ManageUsers); err != nil {
		return nil, a.denied(ctx, who, e.Action, e.Target, err)
	}
	e.Outcome = outcomeOK
	if err := a.record(ctx, who, e); err != nil {
		return nil, err
	}
	return a.auth.List(ctx)
}

// NewUser is an account to create.
type NewUser struct {
	Name      string                `json:"name"`
	Role      auth.Role             `json:"role"`
	Clearance domain.Classification `json:"clearance"`
	Password  string                `json:"password"`
}

// CreateUser adds an account (permission ManageUsers). Errors:
// ErrForbidden, auth.ErrInvalid, auth.ErrExists, ErrAudit.
func (a *App) CreateUser(ctx context.Context, who Actor, nu NewUser) (*auth.User, error) {
	e := auditEvent{Action: ActionUserCreate, Target: nu.Name}
	if err := require(who, auth.ManageUsers); err != nil {
		return nil, a.denied(ctx, who, e.Action, e.Target, err)
	}
	e.Outcome, e.Detail = outcomeOK, fmt.Sprintf("role=%s clearance=%s", nu.Role, nu.Clearance)
	if err := a.record(ctx, who, e); err != nil {
		return nil, err
	}
	u, err := a.auth.AddUser(ctx, nu.Name, nu.Role, nu.Clearance, nu.Password)
	if err != nil {
		a.failed(ctx, who, e, err)
		return nil, err
	}
	return u, nil
}

// UserPatch changes an account; absent fields are kept.
type UserPatch struct {
	Role      *auth.Role             `json:"role,omitempty"`
	Clearance *domain.Classification `json:"clearance,omitempty"`
	Disabled  *bool                  `json:"disabled,omitempty"`
	Password  *string                `json:"password,omitempty"`
	// SignOut ends the user's sessions everywhere.
	SignOut bool `json:"sign_out,omitempty"`
}

// UpdateUser changes account name (permission ManageUsers). Errors:
// ErrForbidden, ErrNotFound, auth.ErrInvalid, ErrAudit.
func (a *App) UpdateUser(ctx context.Context, who Actor, name string, p UserPatch) (*auth.User, error) {
	e := auditEvent{Action: ActionUserUpdate, Target: name}
	if err := require(who, auth.ManageUsers); err != nil {
		return nil, a.denied(ctx, who, e.Action, e.Target, err)
	}
	var changes []string
	var steps []func() error
	if p.Role != nil {
		changes = append(changes, "role="+string(*p.Role))
		steps = append(steps, func() error { return a.auth.SetRole(ctx, name, *p.Role) })
	}
	if p.Clearance != nil {
		changes = append(changes, "clearance="+string(*p.Clearance))
		steps = append(steps, func() error { return a.auth.SetClearance(ctx, name, *p.Clearance) })
	}
	if p.Password != nil {
		changes = append(changes, "password")
		steps = append(steps, func() error { return a.auth.SetPassword(ctx, name, *p.Password) })
	}
	if p.Disabled != nil {
		changes = append(changes, fmt.Sprintf("disabled=%t", *p.Disabled))
		steps = append(steps, func() error {
			if *p.Disabled {
				a.sessions.RevokeUser(name)
				return a.auth.Disable(ctx, name)
			}
			return a.auth.Enable(ctx, name)
		})
	}
	if p.SignOut {
		changes = append(changes, "sign out")
		steps = append(steps, func() error { a.sessions.RevokeUser(name); return a.auth.RevokeSessions(ctx, name) })
	}
	e.Outcome, e.Detail = outcomeOK, strings.Join(changes, " ")
	if err := a.record(ctx, who, e); err != nil {
		return nil, err
	}
	for _, step := range steps {
		if err := step(); err != nil {
			a.failed(ctx, who, e, err)
			if errors.Is(err, auth.ErrNotFound) {
				return nil, ErrNotFound
			}
			return nil, err
		}
	}
	u, err := a.auth.Get(ctx, name)
	if errors.Is(err, auth.ErrNotFound) {
		return nil, ErrNotFound
	}
	return u, err
}
