package server

import (
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"hoso/auth"
)

// routes registers the API. Every route but login and /healthz requires
// sign-in (see HandleAuth).
func (s *Server) routes() {
	s.mux.HandleFunc("POST /api/v1/login", s.handleLogin)
	s.mux.HandleFunc("GET /healthz", s.handleHealth)
	auth := func(pattern string, h http.HandlerFunc) { s.mux.Handle(pattern, s.authed(h)) }
	auth("POST /api/v1/logout", s.handleLogout)
	auth("GET /api/v1/me", s.handleMe)
	auth("GET /api/v1/search", s.handleSearch)
	auth("POST /api/v1/dossiers", s.handleCreateDossier)
	auth("GET /api/v1/dossiers/{code}", s.handleDossier)
	auth("PATCH /api/v1/dossiers/{code}", s.handleUpdateDossier)
	auth("POST /api/v1/dossiers/{code}/documents", s.handleUpload)
	auth("GET /api/v1/dossiers/{code}/documents/{doc}/original", s.handleOriginal)
	auth("GET /api/v1/dossiers/{code}/documents/{doc}/pages/{n}", s.handlePage)
	auth("GET /api/v1/dossiers/{code}/documents/{doc}/pages/{n}/image", s.handlePageImage)
	auth("PUT /api/v1/dossiers/{code}/documents/{doc}/pages/{n}/text", s.handleCorrect)
	auth("GET /api/v1/review", s.handleReview)
	auth("GET /api/v1/jobs", s.handleJobs)
	auth("GET /api/v1/jobs/{id}", s.handleJob)
	auth("GET /api/v1/tokens", s.handleTokens)
	auth("POST /api/v1/tokens", s.handleCreateToken)
	auth("DELETE /api/v1/tokens/{id}", s.handleRevokeOwnToken)
	auth("GET /api/v1/users", s.handleUsers)
	auth("POST /api/v1/users", s.handleCreateUser)
	auth("PATCH /api/v1/users/{name}", s.handleUpdateUser)
	auth("DELETE /api/v1/users/{name}/tokens/{id}", s.handleRevokeToken)
	auth("GET /metrics", s.handleMetrics)
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) { s.writeError(w, r, ErrNotFound) })
}

func actor(r *http.Request) Actor {
	a, _ := ActorFrom(r.Context())
	return a
}

// pageNumber parses the {n} of a page route; anything but 1-999999 is not
// a page (ErrNotFound, like a missing one).
func pageNumber(r *http.Request) (int, error) {
	s := r.PathValue("n")
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 999999 || strconv.Itoa(n) != s {
		return 0, ErrNotFound
	}
	return n, nil
}

// LoginRequest is the body of POST /api/v1/login.
type LoginRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

// LoginResponse answers a sign-in: the account, and the CSRF token to send
// as X-CSRF-Token with every unsafe request of the session.
type LoginResponse struct {
	User      *auth.User `json:"user"`
	CSRFToken string     `json:"csrf_token"`
	Expires   time.Time  `json:"expires"`
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req LoginRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	sess, err := s.app.Login(r.Context(), req.Name, req.Password, remoteAddr(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sess.ID, Path: "/", HttpOnly: true,
		Secure: r.TLS != nil || s.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
	writeJSON(w, http.StatusOK, LoginResponse{User: sess.User, CSRFToken: sess.CSRF, Expires: sess.Expires})
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if err := s.app.Logout(r.Context(), actor(r)); err != nil {
		s.writeError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: r.TLS != nil || s.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	me, err := s.app.Me(actor(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, me)
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	h := s.app.Health(r.Context())
	code := http.StatusOK
	if !h.OK {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, h)
}

// handleMetrics serves the metrics to admins only: index totals count
// records of every classification.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if u := actor(r).User; u == nil || u.Role != auth.Admin || u.Disabled {
		s.writeError(w, r, ErrForbidden)
		return
	}
	w.Header().Set("Content-Type", ContentType)
	s.app.metrics.WriteTo(w)
}

// serveObject streams obj; attachment makes it a download named
// obj.Filename. A read error midway (a checksum mismatch) aborts the
// response so that the client never takes a truncated file for whole.
func (s *Server) serveObject(w http.ResponseWriter, r *http.Request, obj *Object, attachment bool) {
	defer obj.Close()
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.cfg.StreamTimeout))
	h := w.Header()
	h.Set("Content-Type", obj.ContentType)
	h.Set("Content-Length", strconv.FormatInt(obj.Size, 10))
	if attachment {
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": obj.Filename}))
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(w, obj); err != nil {
		s.log.Error("stream object", "path", r.URL.Path, "err", err)
		panic(http.ErrAbortHandler)
	}
}
