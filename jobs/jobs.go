// Package jobs records the progress of ingest jobs in the object store, so
// that every hoso process sees every job: uploads that hoso serve runs in
// the background, and bulk runs of hoso ingest on the command line.
//
// A job's Status is one JSON object at archive.JobKey(id), rewritten by the
// process running the job every Config.Interval while it changes and once
// more when it ends. Readers in other processes therefore see progress at
// most about Interval old. A process that dies leaves its job "running";
// readers report such a job as StateInterrupted once its last update is
// older than Config.StaleAfter.
//
// Statuses name the dossiers a job touches and the level each was
// classified at by the job's metadata (and, for failures, the file's own
// level), so that a server can leave out what a reader is not cleared for;
// this package does no filtering itself.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"hoso/archive"
	"hoso/domain"
	"hoso/storage"
)

// Kind says what started a job.
type Kind string

// Job kinds.
const (
	KindUpload Kind = "upload" // files uploaded through hoso serve
	KindIngest Kind = "ingest" // a run of hoso ingest
)

// State is where a job is.
type State string

// Job states. Queued and Running are live; the others are final.
const (
	StateQueued      State = "queued"
	StateRunning     State = "running"
	StateDone        State = "done"        // finished; some files may have failed (see Failures)
	StateFailed      State = "failed"      // the run stopped with an error (store unreachable, ...)
	StateInterrupted State = "interrupted" // cancelled, or its process stopped updating it
)

// Final reports whether s is a state a job does not leave.
func (s State) Final() bool { return s == StateDone || s == StateFailed || s == StateInterrupted }

// ErrNotFound is returned for an unknown or malformed job id.
var ErrNotFound = errors.New("no such job")

// MaxFailures is how many failures a Status lists; NumFailures counts all.
const MaxFailures = 1000

// Status is a job as stored at archive.JobKey(ID).
type Status struct {
	Schema int    `json:"schema"`
	ID     string `json:"id"`
	Kind   Kind   `json:"kind"`
	State  State  `json:"state"`
	User   string `json:"user,omitempty"`
	Host   string `json:"host,omitempty"`
	// PagesDone counts pages finished (OCR'd or reused); PagesTotal the
	// pages known so far (files are opened as the run goes). When a job
	// ends, PagesTotal is set to PagesDone: pages of files that failed are
	// not counted, the failures are listed instead.
	PagesDone   int       `json:"pages_done"`
	PagesTotal  int       `json:"pages_total"`
	Dossiers    []Dossier `json:"dossiers"`
	Failures    []Failure `json:"failures"`
	NumFailures int       `json:"num_failures"`
	// Error is why the run stopped (StateFailed, StateInterrupted).
	Error    string    `json:"error,omitempty"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
	Finished time.Time `json:"finished,omitzero"`
}

// Dossier is one dossier of a job.
type Dossier struct {
	Code string `json:"code"`
	// Classification is the dossier's level in the job's metadata.
	Classification domain.Classification `json:"classification"`
	Files          int                   `json:"files"`
	FilesFailed    int                   `json:"files_failed"`
	PagesDone      int                   `json:"pages_done"`
	// State is "pending", "committed", "unchanged" or "failed".
	State   string `json:"state"`
	Version int    `json:"version,omitempty"` // the manifest version committed
}

// Dossier states.
const (
	DossierPending   = "pending"
	DossierCommitted = "committed"
	DossierUnchanged = "unchanged"
	DossierFailed    = "failed"
)

// Failure is a file or dossier that could not be ingested.
type Failure struct {
	Dossier string `json:"dossier"`
	File    string `json:"file,omitempty"` // "" when the whole dossier failed
	// Classification is the stricter of the dossier's and the file's level
	// in the job's metadata.
	Classification domain.Classification `json:"classification"`
	Error          string                `json:"error"`
	Time           time.Time             `json:"time"`
}

// Config tunes a Manager. The zero value of each field means its default.
type Config struct {
	// Interval between writes of a running job's status (2 s).
	Interval time.Duration
	// StaleAfter: a live job not updated for this long is reported as
	// interrupted (max(30 s, 10 Interval)).
	StaleAfter time.Duration
	// Host is recorded in new jobs (os.Hostname()).
	Host   string
	Logger *slog.Logger         // slog.Default()
	Now    func() time.Time     // time.Now
	Rand   func(b []byte) error // crypto/rand.Read; for job ids
}

func (c Config) withDefaults() Config {
	if c.Interval <= 0 {
		c.Interval = 2 * time.Second
	}
	if c.StaleAfter <= 0 {
		c.StaleAfter = max(30*time.Second, 10*c.Interval)
	}
	if c.Host == "" {
		c.Host, _ = os.Hostname()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rand == nil {
		c.Rand = func(b []byte) error { _, err := rand.Read(b); return err }
	}
	return c
}

// Manager starts jobs and reads them back. It is safe for concurrent use.
type Manager struct {
	store storage.Store
	cfg   Config
	mu    sync.Mutex
	live  map[string]*Job // jobs of this process not yet finished
}

// NewManager returns a Manager keeping statuses in store (not closed by it).
func NewManager(store storage.Store, cfg Config) *Manager {
	return &Manager{store: store, cfg: cfg.withDefaults(), live: map[string]*Job{}}
}

var idRE = regexp.MustCompile(`^j[0-9]{20}-[0-9a-f]{8}$`)

// ValidID reports whether id has the form of a job id ("j" + 20 digits of
// Unix nanoseconds + "-" + 8 hex digits), so that ids sort by start time and
// are safe in keys and URLs.
func ValidID(id string) bool { return idRE.MatchString(id) }

func (m *Manager) newID(now time.Time) (string, error) {
	var b [4]byte
	if err := m.cfg.Rand(b[:]); err != nil {
		return "", fmt.Errorf("job id: %w", err)
	}
	return fmt.Sprintf("j%020d-%s", now.UnixNano(), hex.EncodeToString(b[:])), nil
}

// Get returns the status of job id: the live one when this process runs
// it, else the stored one (reported interrupted when stale). Errors:
// ErrNotFound (also for a malformed id), store errors.
func (m *Manager) Get(ctx context.Context, id string) (*Status, error) {
	if !ValidID(id) {
		return nil, fmt.Errorf("job %q: %w", id, ErrNotFound)
	}
	m.mu.Lock()
	j := m.live[id]
	m.mu.Unlock()
	if j != nil {
		return j.Status(), nil
	}
	b, _, err := storage.ReadAll(ctx, m.store, archive.JobKey(id))
	if errors.Is(err, storage.ErrNotExist) {
		return nil, fmt.Errorf("job %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read job %s: %w", id, err)
	}
	var st Status
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("decode job %s: %w", id, err)
	}
	if st.Schema > domain.SchemaVersion {
		return nil, fmt.Errorf("job %s: schema %d is newer than %d", id, st.Schema, domain.SchemaVersion)
	}
	if !st.State.Final() && m.cfg.Now().Sub(st.Updated) > m.cfg.StaleAfter {
		st.State = StateInterrupted
		st.Error = fmt.Sprintf("no update since %s: the process running it stopped", st.Updated.Format(time.RFC3339))
	}
	return &st, nil
}

// List returns the newest jobs, at most limit (all when limit <= 0), newest
// first. Jobs whose status cannot be read are skipped with a warning.
func (m *Manager) List(ctx context.Context, limit int) ([]*Status, error) {
	var ids []string
	for info, err := range m.store.List(ctx, archive.PrefixJobs, "") {
		if err != nil {
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		id, ok := strings.CutSuffix(strings.TrimPrefix(info.Key, archive.PrefixJobs), ".json")
		if ok && ValidID(id) {
			ids = append(ids, id)
		}
	}
	slices.Reverse(ids)
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	out := make([]*Status, 0, len(ids))
	for _, id := range ids {
		st, err := m.Get(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			m.cfg.Logger.Warn("read job", "job", id, "err", err)
			continue
		}
		out = append(out, st)
	}
	return out, nil
}

// put writes st at its key.
func (m *Manager) put(ctx context.Context, st *Status) error {
	b, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		return err
	}
	_, err = storage.PutBytes(ctx, m.store, archive.JobKey(st.ID), b, storage.PutOptions{ContentType: "application/json"})
	if err != nil {
		return fmt.Errorf("write job %s: %w", st.ID, err)
	}
	return nil
}
