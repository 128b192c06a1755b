package web

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"hoso/auth"
	"hoso/server"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config configures the web page. App and Server are required.
type Config struct {
	App    *server.App
	Server *server.Server
	Logger *slog.Logger // slog.Default()
	// ThumbWidth is the width of page thumbnails in pixels (160).
	ThumbWidth int
}

// Handler serves the web page's routes; Mount makes one and registers them.
type Handler struct {
	app      *server.App
	srv      *server.Server
	log      *slog.Logger
	pages    map[string]*template.Template
	static   http.Handler
	thumbW   int
	thumbSem chan struct{} // bounds concurrent thumbnail scaling
}

// Mount registers the web page's routes on cfg.Server (see the package
// comment for the list). The API's routes (/api/, /healthz, /metrics) are
// left to the server.
func Mount(cfg Config) (*Handler, error) {
	h, err := New(cfg)
	if err != nil {
		return nil, err
	}
	h.routes()
	return h, nil
}

// New returns a Handler without registering it; Mount is what servers use.
func New(cfg Config) (*Handler, error) {
	if cfg.App == nil || cfg.Server == nil {
		return nil, errors.New("web: App and Server are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ThumbWidth <= 0 {
		cfg.ThumbWidth = 160
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	return &Handler{app: cfg.App, srv: cfg.Server, log: cfg.Logger, pages: pages,
		static: http.StripPrefix("/static/", http.FileServerFS(sub)), thumbW: cfg.ThumbWidth,
		thumbSem: make(chan struct{}, 2)}, nil
}

func (h *Handler) routes() {
	s := h.srv
	s.Handle("GET /static/", http.HandlerFunc(h.serveStatic))
	s.Handle("GET /login", h.public(h.loginForm))
	s.Handle("POST /login", h.public(h.login))
	s.Handle("GET /lang", h.public(h.setLang))
	s.Handle("POST /logout", h.authed(h.logout))
	s.Handle("GET /{$}", h.authed(func(rq *request) error { return rq.redirect("/search") }))
	s.Handle("GET /search", h.authed(h.search))
	s.Handle("GET /person", h.authed(h.person))
	s.Handle("GET /dossiers/{code}", h.authed(h.dossier))
	s.Handle("GET /dossiers/{code}/{doc}/original", h.authed(h.original))
	s.Handle("GET /dossiers/{code}/{doc}/{n}", h.authed(h.pageView))
	s.Handle("GET /dossiers/{code}/{doc}/{n}/image", h.authed(h.pageImage))
	s.Handle("GET /dossiers/{code}/{doc}/{n}/thumb", h.authed(h.thumb))
	s.Handle("GET /dossiers/{code}/{doc}/{n}/correct", h.authed(h.correctForm))
	s.Handle("POST /dossiers/{code}/{doc}/{n}/correct", h.authed(h.correct))
	s.Handle("GET /upload", h.authed(h.newDossierForm))
	s.Handle("POST /upload", h.authed(h.createDossier))
	s.Handle("GET /dossiers/{code}/upload", h.authed(h.uploadForm))
	s.Handle("POST /dossiers/{code}/upload", h.authed(h.upload))
	s.Handle("GET /review", h.authed(h.review))
	s.Handle("GET /jobs", h.authed(h.jobs))
	s.Handle("GET /jobs/{id}", h.authed(h.job))
	s.Handle("GET /jobs/{id}/status", h.authed(h.jobStatus))
	s.Handle("GET /tokens", h.authed(h.tokens))
	s.Handle("POST /tokens", h.authed(h.createToken))
	s.Handle("POST /tokens/{id}/revoke", h.authed(h.revokeOwnToken))
	s.Handle("GET /admin/users", h.authed(h.users))
	s.Handle("POST /admin/users", h.authed(h.createUser))
	s.Handle("POST /admin/users/{name}", h.authed(h.updateUser))
	s.Handle("POST /admin/users/{name}/tokens/{id}/revoke", h.authed(h.revokeToken))
	s.Handle("GET /admin/audit", h.authed(h.auditLog))
	s.Handle("/", h.public(func(rq *request) error { return server.ErrNotFound }))
}

// serveStatic serves the embedded style sheet and scripts. They hold
// nothing secret, so unlike every other response they may be cached.
func (h *Handler) serveStatic(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=3600")
	h.static.ServeHTTP(w, r)
}

// request is one request to a page handler.
type request struct {
	h    *Handler
	w    http.ResponseWriter
	r    *http.Request
	who  server.Actor
	lang *Lang
}

// public wraps a handler that needs no sign-in; a signed-in user is still
// known (for the header), and unsafe methods need no CSRF token (the login
// form has its own).
func (h *Handler) public(fn func(*request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rq := &request{h: h, w: w, r: r, lang: langOf(r)}
		if r.Method == http.MethodGet {
			if who, err := h.srv.FormActor(w, r); err == nil {
				rq.who = who
			}
		}
		if rq.who.Remote == "" {
			rq.who.Remote = server.RemoteAddr(r)
		}
		if err := fn(rq); err != nil {
			rq.fail(err)
		}
	})
}

// authed wraps a handler that needs a signed-in user: without one, the
// browser is sent to the sign-in page (and back after it); an unsafe
// request without the session's CSRF token gets the error page.
func (h *Handler) authed(fn func(*request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rq := &request{h: h, w: w, r: r, lang: langOf(r)}
		who, err := h.srv.FormActor(w, r)
		if errors.Is(err, auth.ErrUnauthenticated) {
			next := r.URL.RequestURI()
			if r.Method != http.MethodGet {
				next = "/search"
			}
			rq.redirect("/login?next=" + url.QueryEscape(next))
			return
		}
		if err != nil {
			rq.fail(err)
			return
		}
		rq.who = who
		if err := fn(rq); err != nil {
			rq.fail(err)
		}
	})
}

// redirect sends a 303 to a local path.
func (rq *request) redirect(path string) error {
	http.Redirect(rq.w, rq.r, path, http.StatusSeeOther)
	return nil
}

// can reports whether the user's role has permission p (for showing
// links; App checks again on use).
func (rq *request) can(p auth.Permission) bool { return rq.who.User.Can(p) }

// view is what every page template gets.
type view struct {
	L     *Lang
	Title string
	User  *auth.User
	CSRF  string
	// Path is the page's own URL, for the language switch to come back to.
	Path string
	Nav  string // the menu entry to mark current
	// Scripts are the script files (under /static/) the page loads.
	Scripts []string
	// Flash is a message shown on top (after a redirect).
	Flash string
	Data  any
}

// Can reports whether the signed-in user may use permission p.
func (v *view) Can(p string) bool { return v.User.Can(auth.Permission(p)) }

// render writes page name with status code.
func (rq *request) render(code int, name, title, nav string, data any, scripts ...string) error {
	t := rq.h.pages[name]
	if t == nil {
		return fmt.Errorf("web: no template %q", name)
	}
	v := &view{L: rq.lang, Title: title, User: rq.who.User, Path: rq.r.URL.RequestURI(), Nav: nav, Scripts: scripts, Data: data}
	if rq.who.Session != nil {
		v.CSRF = rq.who.Session.CSRF
	}
	if f := rq.r.URL.Query().Get("flash"); f != "" && rq.lang.Has("flash."+f) {
		v.Flash = rq.lang.T("flash." + f)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	hd := rq.w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Language", rq.lang.Code)
	rq.w.WriteHeader(code)
	_, err := rq.w.Write(buf.Bytes())
	if err != nil {
		rq.h.log.Debug("write page", "path", rq.r.URL.Path, "err", err)
	}
	return nil
}

// errorData is the error page's.
type errorData struct {
	Status  int
	Message string
}

// fail renders the error page for err: the status and a message chosen by
// server.HTTPError's stable code, so a record above the user's clearance
// shows exactly the page of a missing one.
func (rq *request) fail(err error) {
	status, code, _ := server.HTTPError(err)
	if status >= 500 {
		rq.h.log.Error("web page failed", "method", rq.r.Method, "path", rq.r.URL.Path, "status", status, "err", err)
	}
	if status == http.StatusUnauthorized {
		rq.redirect("/login")
		return
	}
	msg := rq.lang.T("error." + code)
	if code == "invalid" || code == "bad_query" || code == "conflict" {
		_, _, detail := server.HTTPError(err)
		msg += " " + detail
	}
	title := rq.lang.T("error.title")
	if status == http.StatusNotFound {
		title = rq.lang.T("error.title_not_found")
	}
	if rerr := rq.render(status, "error", title, "", errorData{Status: status, Message: msg}); rerr != nil {
		rq.h.log.Error("render error page", "err", rerr)
		http.Error(rq.w, http.StatusText(status), status)
	}
}

// localPath returns p when it is a path on this site (for ?next=), else
// "/search": never another host, scheme or a protocol-relative URL.
func localPath(p string) string {
	if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") ||
		strings.ContainsAny(p, "\r\n\\") {
		return "/search"
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return "/search"
	}
	return p
}
