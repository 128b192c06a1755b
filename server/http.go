package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hoso/auth"
	"hoso/index"
	"hoso/storage"
)

// HTTPConfig tunes a Server. The zero value of each field means its default.
type HTTPConfig struct {
	// MaxUpload bounds the body of one upload request (1 GiB).
	MaxUpload int64
	// MaxUploadFiles bounds the files of one upload request (100).
	MaxUploadFiles int
	// MaxJSON bounds a JSON request body (1 MiB).
	MaxJSON int64
	// ReadTimeout and WriteTimeout bound ordinary requests (1 min, 2 min);
	// uploads get UploadTimeout to send their body, and page images and
	// originals StreamTimeout to be sent (1 h, 15 min).
	ReadTimeout, WriteTimeout      time.Duration
	UploadTimeout, StreamTimeout   time.Duration
	ReadHeaderTimeout, IdleTimeout time.Duration // 10 s, 2 min
	// SecureCookies sets Secure on the session cookie even for requests
	// that did not come over TLS (behind a TLS-terminating proxy). Requests
	// over TLS always get Secure cookies.
	SecureCookies bool
	Logger        *slog.Logger // slog.Default()
}

func (c HTTPConfig) withDefaults() HTTPConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.ReadTimeout, time.Minute)
	def(&c.WriteTimeout, 2*time.Minute)
	def(&c.UploadTimeout, time.Hour)
	def(&c.StreamTimeout, 15*time.Minute)
	def(&c.ReadHeaderTimeout, 10*time.Second)
	def(&c.IdleTimeout, 2*time.Minute)
	if c.MaxUpload <= 0 {
		c.MaxUpload = 1 << 30
	}
	if c.MaxUploadFiles <= 0 {
		c.MaxUploadFiles = 100
	}
	if c.MaxJSON <= 0 {
		c.MaxJSON = 1 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Server serves the JSON API (and whatever is mounted with Handle and
// HandleAuth) over an App.
type Server struct {
	app *App
	cfg HTTPConfig
	mux *http.ServeMux
	log *slog.Logger
}

// NewServer returns a Server with the API routes registered.
func NewServer(app *App, cfg HTTPConfig) *Server {
	cfg = cfg.withDefaults()
	s := &Server{app: app, cfg: cfg, mux: http.NewServeMux(), log: cfg.Logger}
	s.routes()
	return s
}

// HTTPServer returns an http.Server for addr with the configured
// timeouts, serving s. Use its Shutdown to stop gracefully.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{Addr: addr, Handler: s, ReadTimeout: s.cfg.ReadTimeout, WriteTimeout: s.cfg.WriteTimeout,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout, IdleTimeout: s.cfg.IdleTimeout, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
}

// Handle mounts h at pattern (http.ServeMux syntax) without sign-in, behind
// the security headers and metrics of every route.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// HandleAuth mounts h at pattern behind sign-in: requests without a valid
// session cookie or API token get 401, cookie requests with an unsafe
// method and without the session's X-CSRF-Token get 403. h finds the user
// with ActorFrom.
func (s *Server) HandleAuth(pattern string, h http.Handler) {
	s.mux.Handle(pattern, s.authed(h.ServeHTTP))
}

// ServeHTTP serves a request: security headers, metrics, then the route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
	defer func() {
		s.app.metrics.ObserveRequest(r.Pattern, sw.code, time.Since(start))
	}()
	s.mux.ServeHTTP(sw, r)
}

// statusWriter records the status code written.
type statusWriter struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.code, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type actorKey struct{}

// ActorFrom returns the signed-in user of a request served by a handler
// mounted with HandleAuth.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// sessionCookie names the cookie that carries the session id.
const sessionCookie = "hoso_session"

// authed wraps h with authentication and the CSRF check.
func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who, err := s.authenticate(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if who.Session != nil && !safeMethod(r.Method) && !auth.CheckCSRF(who.Session, r.Header.Get("X-CSRF-Token")) {
			s.writeError(w, r, errCSRF)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), actorKey{}, who)))
	}
}

var errCSRF = errors.New("missing or wrong X-CSRF-Token header")

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// authenticate finds the user of r: an Authorization: Bearer API token, or
// else the session cookie.
func (s *Server) authenticate(r *http.Request) (Actor, error) {
	who := Actor{Remote: remoteAddr(r)}
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return who, fmt.Errorf("%w: use Authorization: Bearer <token>", auth.ErrUnauthenticated)
		}
		u, err := s.app.auth.AuthenticateToken(r.Context(), tok)
		if err != nil {
			s.log.Info("api token refused", "remote", who.Remote, "err", err)
			return who, err
		}
		who.User = u
		return who, nil
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return who, fmt.Errorf("%w: sign in first", auth.ErrUnauthenticated)
	}
	sess, err := s.app.sessions.Lookup(r.Context(), c.Value)
	if err != nil {
		return who, err
	}
	who.User, who.Session = sess.User, sess
	return who, nil
}

// remoteAddr is the client's IP address. Forwarding headers are not
// trusted: behind a proxy every client has the proxy's address.
func remoteAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// writeJSON writes v as JSON with status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":{"code":"internal","message":"internal error"}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// ErrorBody is the JSON of every error response.
type ErrorBody struct {
	Error ErrorInfo `json:"error"`
}

// ErrorInfo is a stable, machine-readable code and a message for people.
type ErrorInfo struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// notFoundMessage is the one message of every 404, so that a record above
// the user's clearance answers byte for byte like one that does not exist.
const notFoundMessage = "no such record"

// HTTPError maps an error of App (or of the HTTP layer) to a status, a
// stable code and a message safe to show. Codes: not_found, forbidden,
// csrf, unauthenticated, rate_limited, invalid, bad_query, conflict,
// too_large, unsupported_media_type, audit_unavailable, index_unavailable,
// unavailable, internal.
func HTTPError(err error) (status int, code, message string) {
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound, "not_found", notFoundMessage
	case errors.Is(err, errCSRF):
		return http.StatusForbidden, "csrf", err.Error()
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden, "forbidden", err.Error()
	case errors.Is(err, auth.ErrRateLimited):
		return http.StatusTooManyRequests, "rate_limited", "too many failed sign-in attempts; try again later"
	case errors.Is(err, auth.ErrUnauthenticated):
		if errors.Is(err, errWrongPassword) {
			return http.StatusUnauthorized, "unauthenticated", "wrong user name or password"
		}
		return http.StatusUnauthorized, "unauthenticated", "sign in, or send a valid API token"
	case errors.Is(err, ErrBadQuery):
		return http.StatusBadRequest, "bad_query", err.Error()
	case errors.Is(err, ErrInvalid), errors.Is(err, auth.ErrInvalid):
		return http.StatusBadRequest, "invalid", err.Error()
	case errors.Is(err, ErrConflict), errors.Is(err, auth.ErrExists):
		return http.StatusConflict, "conflict", err.Error()
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("request body larger than %d bytes", mbe.Limit)
	case errors.Is(err, errMediaType):
		return http.StatusUnsupportedMediaType, "unsupported_media_type", err.Error()
	case errors.Is(err, ErrAudit):
		return http.StatusServiceUnavailable, "audit_unavailable", "the audit log cannot record this action, so it was not done; try again later"
	case errors.Is(err, index.ErrOutOfSync):
		return http.StatusServiceUnavailable, "index_unavailable", "the search index is being rebuilt from the store; try again in a minute"
	case errors.Is(err, storage.ErrUnavailable), errors.Is(err, index.ErrClosed), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, "unavailable", "the archive is temporarily unavailable; try again later"
	}
	return http.StatusInternalServerError, "internal", "internal error"
}

// errWrongPassword marks a failed sign-in, whose message may say so.
var errWrongPassword = errors.New("wrong user name or password")

var errMediaType = errors.New("unsupported media type")

// writeError writes err as an ErrorBody; 429 gets Retry-After, 401 a
// WWW-Authenticate challenge, 5xx are logged.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg := HTTPError(err)
	var rl *auth.RateLimitedError
	if errors.As(err, &rl) {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(rl.RetryAfter.Seconds()))))
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="hoso"`)
	}
	if status >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	writeJSON(w, status, ErrorBody{Error: ErrorInfo{Code: code, Message: msg}})
}

// decodeJSON reads r's body as one JSON value into v: Content-Type must be
// application/json, the body at most MaxJSON bytes, no unknown fields.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return fmt.Errorf("%w: send Content-Type: application/json", errMediaType)
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.cfg.MaxJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return fmt.Errorf("%w: body: %v", ErrInvalid, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: body holds more than one JSON value", ErrInvalid)
	}
	return nil
}
