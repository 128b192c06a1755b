// Package server is hoso's HTTP side: the JSON API under /api/v1/, sign-in,
// roles and clearance, the audit trail of every access, background upload
// jobs, health and metrics. It is built in two layers.
//
// # The service layer: App
//
// App holds the archive, the search index (and runs its follower), the
// account service, the audit log and the job manager. Its methods take the
// acting user as an Actor and do everything but HTTP: permission checks,
// clearance checks, the audit entry, the work. The JSON handlers call them,
// and so does the server-rendered web page (package web), which therefore
// enforces exactly the same rules:
//
//	Login, Logout                       sign-in (rate limited) and sign-out; sessions with CSRF tokens
//	Search                              grouped results with snippets, word boxes and facets
//	Dossier, Page, PageImage, Original  reading records
//	CreateDossier, UpdateDossier        metadata (archivist)
//	Upload                              files → a background OCR job (archivist)
//	CorrectPage                         a person's text of a page (archivist)
//	ReviewQueue                         low-confidence pages, lowest first (archivist)
//	Jobs, Job                           upload and bulk ingest jobs (archivist)
//	Tokens, CreateToken, RevokeToken    the user's API tokens
//	Users, CreateUser, UpdateUser, ...  accounts (admin)
//	Health                              store, index and their agreement
//
// Errors are this package's sentinels (ErrNotFound, ErrForbidden,
// ErrInvalid, ErrBadQuery, ErrConflict, ErrAudit) or auth's
// (ErrUnauthenticated, ErrRateLimited); HTTPError maps any of them to a
// status and a stable code.
//
// # Rules every method follows
//
//   - A role that lacks the permission gets ErrForbidden before any record
//     is read, so a 403 says nothing about records.
//   - A record above the user's clearance is ErrNotFound, exactly like a
//     record that does not exist: the same error, the same response body.
//     A dossier is visible when the user's clearance allows its level; a
//     document when it allows the stricter of the dossier's and its own
//     level. Invisible documents are left out of a visible dossier; search
//     passes the clearance into the index query, so totals, facets and
//     snippets never count what the user may not see.
//   - Every access is appended to the audit log before its result is
//     returned or its change is made; when the append fails the method
//     fails with ErrAudit and nothing is shown or changed.
//
// # The HTTP layer: Server
//
// Server routes /api/v1/ to App with http.NewServeMux method patterns,
// authenticates every route but login and /healthz (a session cookie, with
// the X-CSRF-Token header on unsafe methods, or an Authorization: Bearer API
// token), sets security headers on every response, limits bodies, and
// records request metrics by route pattern. Server.Handle and
// Server.HandleAuth let package web mount its pages behind the same
// middleware; ActorFrom gives its handlers the signed-in user.
//
// # Design notes
//
//   - Sessions live in memory (auth.Sessions): a restart signs everyone
//     out. The cookie is HttpOnly, SameSite=Strict, Path=/, Secure over TLS
//     (or with HTTPConfig.SecureCookies behind a proxy); its CSRF token is
//     returned by login and /me and required as X-CSRF-Token on unsafe
//     methods. JSON bodies must be application/json, which a cross-site
//     form cannot send. API tokens need no CSRF token.
//   - The review queue and the job views read an in-memory catalog of every
//     dossier's version, level and flagged pages, filled once and then kept
//     current from the store's journal (see review.go): the index cannot
//     sort on confidence, and a job may name thousands of dossiers.
//   - A correction's words get boxes from the words it corrects by a
//     word-level diff (see align.go).
//   - Upload jobs are recorded with package jobs, like hoso ingest runs, so
//     /api/v1/jobs lists both. An upload only adds documents
//     (ingest.Spec.KeepMetadata): its commit keeps the dossier's metadata as
//     stored then, so an edit made while the upload's pages are OCR'd stays.
//   - /healthz is public and so names no dossier and gives no counts;
//     /metrics counts records of every level and is for admins only.
//   - Creating a dossier whose code exists answers 409 even when that
//     dossier is above the creator's clearance: a code cannot be given
//     twice. Only the code's existence is revealed.
package server
