package server

// Support for package web, the server-rendered page: the pieces of sign-in
// and the service layer it needs beyond what the JSON API uses. The access
// rules stay here, in package server; package web only presents.

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"mime"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"hoso/audit"
	"hoso/auth"
	"hoso/domain"
	"hoso/index"
	"hoso/index/qparse"
)

// CSRFField is the form field (and, for multipart uploads, the query
// parameter) that carries the session's CSRF token in HTML forms.
const CSRFField = "csrf"

// maxFormBytes bounds a urlencoded form body read by FormActor: a page
// correction of MaxCorrectionBytes, percent-encoded, fits.
const maxFormBytes = 4 * MaxCorrectionBytes

// FormActor authenticates a request of the web page as HandleAuth does (a
// session cookie or an API token) and, for an unsafe method of a cookie
// session, checks the session's CSRF token: the X-CSRF-Token header, else
// the form field CSRFField of an application/x-www-form-urlencoded body
// (read here, at most 1 MiB), else the query parameter CSRFField (multipart
// bodies are streamed by ReadUpload, so the token cannot come after the
// files in them). Errors: auth.ErrUnauthenticated, and the CSRF error that
// HTTPError maps to 403 "csrf".
func (s *Server) FormActor(w http.ResponseWriter, r *http.Request) (Actor, error) {
	who, err := s.authenticate(r)
	if err != nil || who.Session == nil || safeMethod(r.Method) {
		return who, err
	}
	tok := r.Header.Get("X-CSRF-Token")
	if tok == "" {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt == "application/x-www-form-urlencoded" {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			tok = r.PostFormValue(CSRFField)
		} else {
			tok = r.URL.Query().Get(CSRFField)
		}
	}
	if !auth.CheckCSRF(who.Session, tok) {
		return who, errCSRF
	}
	return who, nil
}

// SetSessionCookie gives the browser the cookie of sess, a session Login
// made, with the attributes the API's sign-in sets.
func (s *Server) SetSessionCookie(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sess.ID, Path: "/", HttpOnly: true,
		Secure: s.SecureRequest(r), SameSite: http.SameSiteStrictMode})
}

// ClearSessionCookie removes the session cookie (after Logout).
func (s *Server) ClearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.SecureRequest(r), SameSite: http.SameSiteStrictMode})
}

// SecureRequest reports whether cookies set in answer to r must be Secure:
// r came over TLS, or HTTPConfig.SecureCookies says a proxy terminates it.
func (s *Server) SecureRequest(r *http.Request) bool { return r.TLS != nil || s.cfg.SecureCookies }

// RemoteAddr is the client address the App audits for r.
func RemoteAddr(r *http.Request) string { return remoteAddr(r) }

// UploadLimits returns the most bytes and files one upload request may
// carry.
func (s *Server) UploadLimits() (maxBytes int64, maxFiles int) {
	return s.cfg.MaxUpload, s.cfg.MaxUploadFiles
}

// ReadUpload streams the multipart body of an upload request to temporary
// files as the API's upload route does: with the upload timeouts and the
// body limited to HTTPConfig.MaxUpload. Hand the result to App.Upload (or
// Remove it). Errors: ErrInvalid, a *http.MaxBytesError, and the
// unsupported-media-type error (HTTPError 415).
func (s *Server) ReadUpload(w http.ResponseWriter, r *http.Request) (*Upload, error) {
	rc := http.NewResponseController(w)
	deadline := time.Now().Add(s.cfg.UploadTimeout)
	_ = rc.SetReadDeadline(deadline)
	_ = rc.SetWriteDeadline(deadline.Add(time.Minute))
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload)
	return ParseUpload(r, s.app.cfg.TempDir, s.cfg.MaxUploadFiles)
}

// MaxDossierHits is the most matching pages DossierHits returns.
const MaxDossierHits = 500

// DossierHits runs query within dossier code (permission Search, the
// user's clearance) and returns its matching pages with snippets and word
// boxes, best first: what a page view needs to mark the hits of a search
// on the scan and to step from hit to hit. It is audited as a search with
// the dossier named. An empty query has no hits. Errors: ErrForbidden,
// ErrNotFound (a malformed code), ErrBadQuery, ErrAudit.
func (a *App) DossierHits(ctx context.Context, who Actor, code, query string) ([]SearchHit, error) {
	e := auditEvent{Action: ActionSearch, Target: query, Dossier: code}
	if err := require(who, auth.Search); err != nil {
		return nil, a.denied(ctx, who, e.Action, e.Target, err)
	}
	c, err := domain.NormalizeCode(code)
	if err != nil {
		e.Outcome = outcomeNotFound
		return nil, a.recordAfter(ctx, who, e, ErrNotFound)
	}
	e.Dossier = c
	pq, err := qparse.Parse(query)
	if err != nil {
		e.Outcome, e.Detail = outcomeInvalid, err.Error()
		return nil, a.recordAfter(ctx, who, e, fmt.Errorf("%w: %v", ErrBadQuery, err))
	}
	if len(pq.Clauses) == 0 {
		return []SearchHit{}, nil
	}
	// Clauses are separated by spaces and the query parsed alone, so the
	// code filter is a clause of its own.
	resp, err := a.ix.Search(ctx, index.Request{Query: query + " code:" + c, Clearance: who.User.Clearance, Limit: 1,
		HitsPerDossier: MaxDossierHits})
	if errors.Is(err, index.ErrQuery) {
		e.Outcome, e.Detail = outcomeInvalid, err.Error()
		return nil, a.recordAfter(ctx, who, e, fmt.Errorf("%w: %s", ErrBadQuery, err))
	}
	if err != nil {
		return nil, fmt.Errorf("search in dossier %s: %w", c, err)
	}
	out := &SearchResult{Dossiers: make([]SearchDossier, len(resp.Dossiers))}
	if err := a.fillHits(ctx, resp, out); err != nil {
		return nil, err
	}
	hits := []SearchHit{}
	for _, d := range out.Dossiers {
		if d.Code == c {
			hits = append(hits, d.Hits...)
		}
	}
	e.Outcome = outcomeOK
	e.Fields = map[string]any{"pages": len(hits)}
	if err := a.record(ctx, who, e); err != nil {
		return nil, err
	}
	return hits, nil
}

// Subjects returns the subjects (full name, birth date, hometown) of the
// dossiers named in res, a result App.Search gave who, for showing beside
// the results; dossiers who may no longer see are left out. It audits
// nothing: the search that named them was audited. (The index's hits do
// not carry the birth date.)
func (a *App) Subjects(ctx context.Context, who Actor, res *SearchResult) (map[string]domain.Subject, error) {
	if err := require(who, auth.Search); err != nil {
		return nil, err
	}
	out := make(map[string]domain.Subject, len(res.Dossiers))
	subjects := make([]domain.Subject, len(res.Dossiers))
	seen := make([]bool, len(res.Dossiers))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, sd := range res.Dossiers {
		g.Go(func() error {
			d, _, err := a.loadVisible(gctx, who, sd.Code)
			if errors.Is(err, ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			subjects[i], seen[i] = d.Subject, true
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for i, sd := range res.Dossiers {
		if seen[i] {
			out[sd.Code] = subjects[i]
		}
	}
	return out, nil
}

// ActionAuditView is the audited action of reading the audit log.
const ActionAuditView = "audit.view"

// MaxAuditEntries is the most entries AuditLog returns.
const MaxAuditEntries = 1000

// AuditPage is the newest entries of the audit log that match a filter.
type AuditPage struct {
	Entries []audit.Entry // newest first
	// More is true when older matching entries were left out.
	More bool
}

// auditReader is the reading side of *audit.Log.
type auditReader interface {
	Entries(ctx context.Context, f audit.Filter) iter.Seq2[audit.Entry, error]
}

// AuditLog returns the newest limit (1-MaxAuditEntries) entries matching
// f (permission ViewAudit), and audits the reading. It reads the whole log,
// as audit.Log.Entries does. Entries that cannot be read (tampered) are
// skipped here; hoso audit verify reports them. Errors: ErrForbidden,
// ErrInvalid (no readable audit log configured, or a bad limit), ErrAudit.
func (a *App) AuditLog(ctx context.Context, who Actor, f audit.Filter, limit int) (*AuditPage, error) {
	e := auditEvent{Action: ActionAuditView, Target: "audit", Dossier: f.Dossier}
	if err := require(who, auth.ViewAudit); err != nil {
		return nil, a.denied(ctx, who, e.Action, e.Target, err)
	}
	rd, ok := a.audit.(auditReader)
	if !ok || limit < 1 || limit > MaxAuditEntries {
		return nil, fmt.Errorf("%w: the audit log cannot be read here, or limit is not 1-%d", ErrInvalid, MaxAuditEntries)
	}
	e.Outcome = outcomeOK
	e.Fields = map[string]any{}
	for k, v := range map[string]string{"user": f.User, "dossier": f.Dossier, "action": f.Action, "outcome": f.Outcome} {
		if v != "" {
			e.Fields[k] = v
		}
	}
	if err := a.record(ctx, who, e); err != nil {
		return nil, err
	}
	ring := make([]audit.Entry, 0, limit)
	next, total := 0, 0
	for en, err := range rd.Entries(ctx, f) {
		if errors.Is(err, audit.ErrTampered) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read audit log: %w", err)
		}
		total++
		if len(ring) < limit {
			ring = append(ring, en)
		} else {
			ring[next] = en
		}
		next = (next + 1) % limit
	}
	out := &AuditPage{Entries: make([]audit.Entry, 0, len(ring)), More: total > len(ring)}
	for i := range ring {
		out.Entries = append(out.Entries, ring[(next-1-i+2*len(ring))%len(ring)])
	}
	return out, nil
}
