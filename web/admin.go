package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"hoso/audit"
	"hoso/auth"
	"hoso/domain"
	"hoso/server"
)

type tokensData struct {
	Tokens []auth.Token
	// New is the token just made: its secret is shown this once.
	New   *server.NewToken
	Error string
}

func (h *Handler) tokens(rq *request) error {
	return h.renderTokens(rq, http.StatusOK, tokensData{})
}

func (h *Handler) renderTokens(rq *request, code int, d tokensData) error {
	ts, err := h.app.Tokens(rq.r.Context(), rq.who)
	if err != nil {
		return err
	}
	d.Tokens = ts
	return rq.render(code, "tokens", rq.lang.T("tokens.title"), "tokens", d)
}

func (h *Handler) createToken(rq *request) error {
	if err := rq.r.ParseForm(); err != nil {
		return server.ErrInvalid
	}
	nt, err := h.app.CreateToken(rq.r.Context(), rq.who, strings.TrimSpace(rq.r.PostForm.Get("label")))
	if errors.Is(err, auth.ErrInvalid) {
		_, _, msg := server.HTTPError(err)
		return h.renderTokens(rq, http.StatusBadRequest, tokensData{Error: msg})
	}
	if err != nil {
		return err
	}
	// Rendered, not redirected: the secret must not go into a URL.
	return h.renderTokens(rq, http.StatusOK, tokensData{New: nt})
}

func (h *Handler) revokeOwnToken(rq *request) error {
	if err := h.app.RevokeToken(rq.r.Context(), rq.who, rq.who.User.Name, rq.r.PathValue("id")); err != nil {
		return err
	}
	return rq.redirect("/tokens?flash=token_revoked")
}

type usersData struct {
	Users []*auth.User
	Form  *formData
	Roles []auth.Role
	All   []domain.Classification
}

func (h *Handler) users(rq *request) error {
	return h.renderUsers(rq, http.StatusOK, newForm(rq.who.User))
}

func (h *Handler) renderUsers(rq *request, code int, f *formData) error {
	list, err := h.app.Users(rq.r.Context(), rq.who)
	if err != nil {
		return err
	}
	if f.Values["role"] == "" {
		f.Values["role"] = string(auth.Reader)
		f.Values["clearance"] = string(domain.Public)
	}
	d := usersData{Users: list, Form: f, Roles: auth.Roles, All: domain.Classifications}
	return rq.render(code, "users", rq.lang.T("users.title"), "users", d)
}

// userFields maps names in auth's messages to the new-user form.
var userFields = map[string]string{"name": "name", "password": "password", "role": "role", "clearance": "clearance"}

func (h *Handler) createUser(rq *request) error {
	r := rq.r
	if err := r.ParseForm(); err != nil {
		return server.ErrInvalid
	}
	f := newForm(rq.who.User)
	for _, k := range []string{"name", "role", "clearance"} {
		f.Values[k] = strings.TrimSpace(r.PostForm.Get(k))
	}
	nu := server.NewUser{Name: f.Values["name"], Role: auth.Role(f.Values["role"]),
		Clearance: domain.Classification(f.Values["clearance"]), Password: r.PostForm.Get("password")}
	if !auth.ValidName(nu.Name) {
		f.Errors["name"] = rq.lang.T("form.user_name")
	}
	if err := auth.CheckPassword(nu.Name, nu.Password); err != nil {
		f.Errors["password"] = rq.lang.T("form.password", auth.MinPasswordLen)
	}
	if len(f.Errors) == 0 {
		_, err := h.app.CreateUser(r.Context(), rq.who, nu)
		switch {
		case errors.Is(err, auth.ErrExists):
			f.Errors["name"] = rq.lang.T("form.user_exists")
		case errors.Is(err, auth.ErrInvalid):
			_, _, msg := server.HTTPError(err)
			if field := fieldOf(msg, userFields); field != "" {
				f.Errors[field] = msg
			} else {
				f.Error = msg
			}
		case err != nil:
			return err
		default:
			return rq.redirect("/admin/users?flash=user_created")
		}
	}
	return h.renderUsers(rq, http.StatusBadRequest, f)
}

// updateUser applies one of the row forms of the users page: save the role
// and clearance, disable, enable, sign out everywhere, or set a password.
func (h *Handler) updateUser(rq *request) error {
	r := rq.r
	if err := r.ParseForm(); err != nil {
		return server.ErrInvalid
	}
	var p server.UserPatch
	switch r.PostForm.Get("action") {
	case "save":
		role, clear := auth.Role(r.PostForm.Get("role")), domain.Classification(r.PostForm.Get("clearance"))
		p.Role, p.Clearance = &role, &clear
	case "disable", "enable":
		v := r.PostForm.Get("action") == "disable"
		p.Disabled = &v
	case "signout":
		p.SignOut = true
	case "password":
		pw := r.PostForm.Get("password")
		p.Password = &pw
	default:
		return server.ErrInvalid
	}
	_, err := h.app.UpdateUser(r.Context(), rq.who, r.PathValue("name"), p)
	if errors.Is(err, auth.ErrInvalid) {
		f := newForm(rq.who.User)
		_, _, msg := server.HTTPError(err)
		f.Error = r.PathValue("name") + ": " + msg
		return h.renderUsers(rq, http.StatusBadRequest, f)
	}
	if err != nil {
		return err
	}
	return rq.redirect("/admin/users?flash=user_saved")
}

func (h *Handler) revokeToken(rq *request) error {
	if err := h.app.RevokeToken(rq.r.Context(), rq.who, rq.r.PathValue("name"), rq.r.PathValue("id")); err != nil {
		return err
	}
	return rq.redirect("/admin/users?flash=token_revoked")
}

type auditData struct {
	Filter  map[string]string
	Page    *server.AuditPage
	Rows    []auditRow
	Limit   int
	Error   string
	Actions []string
}

type auditRow struct {
	audit.Entry
	DetailText string
}

// auditActions are offered in the action filter.
var auditActions = []string{server.ActionLogin, server.ActionLogout, server.ActionSearch, server.ActionDossierView,
	server.ActionPageView, server.ActionImageView, server.ActionDownload, server.ActionCreate, server.ActionUpload,
	server.ActionEdit, server.ActionCorrect, server.ActionReview, server.ActionJobView, server.ActionTokenCreate,
	server.ActionTokenRevoke, server.ActionUserList, server.ActionUserCreate, server.ActionUserUpdate, server.ActionAuditView}

func (h *Handler) auditLog(rq *request) error {
	q := rq.r.URL.Query()
	d := auditData{Filter: map[string]string{}, Limit: 200, Actions: auditActions}
	for _, k := range []string{"user", "dossier", "action", "outcome", "since", "until"} {
		d.Filter[k] = strings.TrimSpace(q.Get(k))
	}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n >= 1 && n <= server.MaxAuditEntries {
		d.Limit = n
	}
	f := audit.Filter{User: d.Filter["user"], Dossier: strings.ToUpper(d.Filter["dossier"]), Action: d.Filter["action"],
		Outcome: d.Filter["outcome"]}
	var err error
	if f.Since, err = parseDay(d.Filter["since"], false); err == nil {
		f.Until, err = parseDay(d.Filter["until"], true)
	}
	if err != nil {
		d.Error = rq.lang.T("form.date_invalid")
		return rq.render(http.StatusBadRequest, "audit", rq.lang.T("audit.title"), "audit", d)
	}
	if d.Page, err = h.app.AuditLog(rq.r.Context(), rq.who, f, d.Limit); err != nil {
		return err
	}
	for _, e := range d.Page.Entries {
		row := auditRow{Entry: e}
		if len(e.Detail) > 0 {
			b, _ := json.Marshal(e.Detail)
			row.DetailText = string(b)
		}
		d.Rows = append(d.Rows, row)
	}
	return rq.render(http.StatusOK, "audit", rq.lang.T("audit.title"), "audit", d)
}

// parseDay reads YYYY-MM-DD as the start of that day in UTC, or with end
// the start of the next day (so "until" includes the day).
func parseDay(s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, err
	}
	if end {
		t = t.AddDate(0, 0, 1)
	}
	return t, nil
}

// auditURL is the audit page filtered to one user or dossier (links in
// the table).
func auditURL(key, value string) string {
	return "/admin/audit?" + url.Values{key: {value}}.Encode()
}
