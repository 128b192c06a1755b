package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"math"
	"net/http"

	"hoso/auth"
)

// loginCookie holds the sign-in form's own CSRF token (double submit):
// without a session there is no session token, and a forged sign-in would
// put a victim into the forger's account.
const loginCookie = "hoso_login"

type loginData struct {
	Token, Next, Name, Error string
}

func (h *Handler) loginForm(rq *request) error {
	next := localPath(rq.r.URL.Query().Get("next"))
	if rq.who.User != nil {
		return rq.redirect(next)
	}
	return h.renderLogin(rq, http.StatusOK, loginData{Next: next})
}

// renderLogin renders the sign-in form with a fresh form token.
func (h *Handler) renderLogin(rq *request, code int, d loginData) error {
	var b [24]byte
	rand.Read(b[:])
	d.Token = base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(rq.w, &http.Cookie{Name: loginCookie, Value: d.Token, Path: "/login", HttpOnly: true,
		Secure: h.srv.SecureRequest(rq.r), SameSite: http.SameSiteStrictMode})
	return rq.render(code, "login", rq.lang.T("login.title"), "", d)
}

func (h *Handler) login(rq *request) error {
	r := rq.r
	r.Body = http.MaxBytesReader(rq.w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return h.renderLogin(rq, http.StatusBadRequest, loginData{Next: "/search", Error: rq.lang.T("login.bad_form")})
	}
	d := loginData{Next: localPath(r.PostForm.Get("next")), Name: r.PostForm.Get("name")}
	c, err := r.Cookie(loginCookie)
	tok := r.PostForm.Get("login_csrf")
	if err != nil || tok == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(tok)) != 1 {
		d.Error = rq.lang.T("login.expired")
		return h.renderLogin(rq, http.StatusForbidden, d)
	}
	sess, err := h.app.Login(r.Context(), d.Name, r.PostForm.Get("password"), rq.who.Remote)
	var rl *auth.RateLimitedError
	switch {
	case errors.As(err, &rl):
		d.Error = rq.lang.T("login.rate_limited", int(math.Ceil(rl.RetryAfter.Minutes())))
		rq.w.Header().Set("Retry-After", itoa(int(math.Ceil(rl.RetryAfter.Seconds()))))
		return h.renderLogin(rq, http.StatusTooManyRequests, d)
	case errors.Is(err, auth.ErrRateLimited):
		d.Error = rq.lang.T("login.rate_limited", 15)
		return h.renderLogin(rq, http.StatusTooManyRequests, d)
	case errors.Is(err, auth.ErrUnauthenticated):
		d.Error = rq.lang.T("login.wrong")
		return h.renderLogin(rq, http.StatusUnauthorized, d)
	case err != nil:
		return err
	}
	http.SetCookie(rq.w, &http.Cookie{Name: loginCookie, Value: "", Path: "/login", MaxAge: -1, HttpOnly: true,
		Secure: h.srv.SecureRequest(r), SameSite: http.SameSiteStrictMode})
	h.srv.SetSessionCookie(rq.w, r, sess)
	return rq.redirect(d.Next)
}

func (h *Handler) logout(rq *request) error {
	if err := h.app.Logout(rq.r.Context(), rq.who); err != nil {
		return err
	}
	h.srv.ClearSessionCookie(rq.w, rq.r)
	return rq.redirect("/login?flash=signed_out")
}
