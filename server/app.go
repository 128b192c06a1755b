package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"time"

	"hoso/archive"
	"hoso/audit"
	"hoso/auth"
	"hoso/domain"
	"hoso/index"
	"hoso/ingest"
	"hoso/jobs"
)

// Sentinel errors of the service layer; HTTPError maps them to responses.
var (
	// ErrNotFound: no such record, or one above the user's clearance (the
	// two are never told apart), or a malformed code, id or number.
	ErrNotFound = errors.New("not found")
	// ErrForbidden: the user's role lacks the permission.
	ErrForbidden = errors.New("forbidden")
	// ErrInvalid: the request is malformed; the message says what is wrong.
	ErrInvalid = errors.New("invalid request")
	// ErrBadQuery: the search query does not parse; the message names the column.
	ErrBadQuery = errors.New("bad query")
	// ErrConflict: the record exists, changed meanwhile, or is busy.
	ErrConflict = errors.New("conflict")
	// ErrAudit: the audit log could not record the action, so it was not done.
	ErrAudit = errors.New("audit log unavailable")
)

// Auditor is the audit log (*audit.Log): Append must durably record e
// before it returns nil; an error means the action must not proceed.
type Auditor interface {
	Append(ctx context.Context, e audit.Entry) (audit.Entry, error)
}

// auditEvent is an action to audit, before it becomes an audit.Entry.
type auditEvent struct {
	Action  string // one of the Action* constants
	Target  string // what was acted on: HS-1/d1/p3, a query, a user name
	Dossier string // the dossier code concerned, if any
	Outcome string // one of the outcome* constants
	Detail  string // more, for people: changed fields, file names, an error
	// Fields are facts stored as they are in the entry's detail (result
	// counts, ...).
	Fields map[string]any
}

// Audited actions.
const (
	ActionLogin       = "login"
	ActionLogout      = "logout"
	ActionSearch      = "search"
	ActionDossierView = "dossier.view"
	ActionPageView    = "page.view"
	ActionImageView   = "page.image"
	ActionDownload    = "document.download"
	ActionCreate      = "dossier.create"
	ActionUpload      = "document.upload"
	ActionEdit        = "dossier.edit"
	ActionCorrect     = "page.correct"
	ActionReview      = "review.view"
	ActionJobView     = "job.view"
	ActionTokenCreate = "token.create"
	ActionTokenRevoke = "token.revoke"
	ActionUserList    = "user.list"
	ActionUserCreate  = "user.create"
	ActionUserUpdate  = "user.update"
)

// Outcomes of audited actions. The audit log knows ok, denied, error and
// not-found; the finer ones are stored as one of those with a "reason".
const (
	outcomeOK          = "ok"
	outcomeDenied      = "denied"    // by role, or by clearance (the user was told "not found")
	outcomeNotFound    = "not-found" // no such record
	outcomeFailed      = "failed"    // authorized, but it did not work (wrong password, store error)
	outcomeInvalid     = "invalid"   // a malformed request
	outcomeRateLimited = "rate-limited"
)

// entry converts ev into the audit log's form.
func (ev auditEvent) entry(who Actor) audit.Entry {
	e := audit.Entry{User: who.name(), Remote: who.Remote, Action: ev.Action, Target: ev.Target, Dossier: ev.Dossier,
		Outcome: ev.Outcome, Detail: map[string]any{}}
	for k, v := range ev.Fields {
		e.Detail[k] = v
	}
	switch ev.Outcome {
	case outcomeFailed, outcomeInvalid:
		e.Outcome, e.Detail["reason"] = audit.OutcomeError, ev.Outcome
	case outcomeRateLimited:
		e.Outcome, e.Detail["reason"] = audit.OutcomeDenied, ev.Outcome
	}
	if ev.Outcome == outcomeDenied && ev.Detail == "" {
		ev.Detail = "clearance" // denial by role says "role"
	}
	if ev.Detail != "" {
		e.Detail["detail"] = ev.Detail
	}
	return e
}

// Actor is who acts: the signed-in user and the client's address.
type Actor struct {
	User   *auth.User
	Remote string
	// Session is the browser session the request came with; nil for API
	// tokens.
	Session *auth.Session
}

func (a Actor) name() string {
	if a.User == nil {
		return ""
	}
	return a.User.Name
}

// Config configures an App. Archive, Index, Auth, Audit and Jobs are
// required; OCR is required for uploads.
type Config struct {
	Archive *archive.Archive
	Index   *index.Index
	Auth    *auth.Service
	Audit   Auditor
	Jobs    *jobs.Manager
	// OCR recognizes uploaded pages (an *ocr.Pool); App wraps it to time it.
	OCR     ingest.Recognizer
	Lang    string // OCR language of uploads ("" = the recognizer's default)
	Workers int    // pages in flight per upload job (runtime.NumCPU())
	// MaxJobs is how many upload jobs run at once (1); more wait queued.
	MaxJobs int
	// TempDir holds uploads until their job ends (os.TempDir()).
	TempDir string
	// FollowInterval is how often Start's follower reads the store's
	// journal into the index (1 s).
	FollowInterval time.Duration
	// HealthCacheTTL is how long a Health result is reused (0: never);
	// a check lists every dossier.
	HealthCacheTTL time.Duration
	Metrics        *Metrics     // NewMetrics() when nil
	Logger         *slog.Logger // slog.Default()
}

// App is the service layer; see the package comment. It is safe for
// concurrent use.
type App struct {
	arch     *archive.Archive
	ix       *index.Index
	auth     *auth.Service
	sessions *auth.Sessions
	audit    Auditor
	jobs     *jobs.Manager
	ocr      ingest.Recognizer
	cfg      Config
	log      *slog.Logger
	metrics  *Metrics
	catalog  *catalog
	health   healthCache

	ctx    context.Context // background work; cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
	jobSem chan struct{}

	mu      sync.Mutex
	started bool
}

// NewApp returns an App; call Start to run the index follower and Close to
// stop background work.
func NewApp(cfg Config) (*App, error) {
	if cfg.Archive == nil || cfg.Index == nil || cfg.Auth == nil || cfg.Audit == nil || cfg.Jobs == nil {
		return nil, errors.New("server: Archive, Index, Auth, Audit and Jobs are required")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.NumCPU()
	}
	if cfg.MaxJobs <= 0 {
		cfg.MaxJobs = 1
	}
	if cfg.TempDir == "" {
		cfg.TempDir = os.TempDir()
	}
	if cfg.FollowInterval <= 0 {
		cfg.FollowInterval = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &App{arch: cfg.Archive, ix: cfg.Index, auth: cfg.Auth, sessions: auth.NewSessions(cfg.Auth),
		audit: cfg.Audit, jobs: cfg.Jobs, cfg: cfg, log: cfg.Logger, metrics: cfg.Metrics,
		ctx: ctx, cancel: cancel, jobSem: make(chan struct{}, cfg.MaxJobs)}
	if cfg.OCR != nil {
		a.ocr = cfg.Metrics.Recognizer(cfg.OCR)
	}
	a.catalog = newCatalog(cfg.Archive)
	a.metrics.setIndex(cfg.Index)
	return a, nil
}

// Start runs the index follower until Close: every FollowInterval it reads
// the store's journal and indexes what other processes (hoso ingest)
// committed. It also fills the catalog behind the review queue (see
// ReviewQueue) in the background. It returns at once.
func (a *App) Start() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.started {
		return
	}
	a.started = true
	a.wg.Go(func() {
		if err := a.ix.Follow(a.ctx, a.arch, a.cfg.FollowInterval); err != nil {
			a.log.Error("index follower stopped", "err", err)
		}
	})
	a.wg.Go(func() {
		if _, err := a.catalog.items(a.ctx); err != nil && a.ctx.Err() == nil {
			a.log.Warn("catalog of dossiers not filled; retried on first use", "err", err)
		}
	})
}

// Close cancels background work (the follower, running upload jobs, which
// end interrupted) and waits for it, at most until ctx ends.
func (a *App) Close(ctx context.Context) error {
	a.cancel()
	done := make(chan struct{})
	go func() { a.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("close: background work still running: %w", ctx.Err())
	}
}

// Metrics returns the App's metrics.
func (a *App) Metrics() *Metrics { return a.metrics }

// Sessions returns the sign-in sessions.
func (a *App) Sessions() *auth.Sessions { return a.sessions }

// record appends an audit entry; a failure is ErrAudit.
func (a *App) record(ctx context.Context, who Actor, e auditEvent) error {
	if _, err := a.audit.Append(ctx, e.entry(who)); err != nil {
		a.log.Error("audit append failed; action refused", "action", e.Action, "user", who.name(), "target", e.Target, "err", err)
		return fmt.Errorf("%w: %v", ErrAudit, err)
	}
	return nil
}

// recordAfter appends the entry of an action that already failed or was
// refused; the action's error is returned unless the append fails.
func (a *App) recordAfter(ctx context.Context, who Actor, e auditEvent, actionErr error) error {
	if err := a.record(ctx, who, e); err != nil {
		return err
	}
	return actionErr
}

// require checks that who is signed in and its role has p.
func require(who Actor, p auth.Permission) error {
	if who.User == nil {
		return auth.ErrUnauthenticated
	}
	if !who.User.Can(p) {
		return fmt.Errorf("%w: your role (%s) may not %s", ErrForbidden, who.User.Role, p)
	}
	return nil
}

// denied audits a refusal by role and returns err.
func (a *App) denied(ctx context.Context, who Actor, action, target string, err error) error {
	return a.recordAfter(ctx, who, auditEvent{Action: action, Target: target, Outcome: outcomeDenied, Detail: "role"}, err)
}

// loadVisible returns the current manifest of code when who may see it.
// A malformed code, a missing dossier and a dossier above who's clearance
// are all ErrNotFound; outcome says which, for the audit log.
func (a *App) loadVisible(ctx context.Context, who Actor, code string) (d *domain.Dossier, outcome string, err error) {
	c, err := domain.NormalizeCode(code)
	if err != nil {
		return nil, outcomeNotFound, ErrNotFound
	}
	d, err = a.arch.Load(ctx, c)
	if errors.Is(err, archive.ErrNoDossier) {
		return nil, outcomeNotFound, ErrNotFound
	}
	if err != nil {
		return nil, outcomeFailed, fmt.Errorf("load dossier %s: %w", c, err)
	}
	if !who.User.Allows(d.Classification) {
		return nil, outcomeDenied, ErrNotFound
	}
	return d, outcomeOK, nil
}

// visibleDocument returns document id of d when who may see it.
func visibleDocument(who Actor, d *domain.Dossier, id string) (*domain.Document, string, error) {
	doc := d.Document(id)
	if doc == nil {
		return nil, outcomeNotFound, ErrNotFound
	}
	if !who.User.Allows(d.Effective(doc)) {
		return nil, outcomeDenied, ErrNotFound
	}
	return doc, outcomeOK, nil
}

// pageOf returns page n of doc.
func pageOf(doc *domain.Document, n int) (*domain.Page, error) {
	if n < 1 || n > len(doc.Pages) {
		return nil, ErrNotFound
	}
	return &doc.Pages[n-1], nil
}
