package jobs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"hoso/domain"
	"hoso/ingest"
)

// NewJob describes a job to start.
type NewJob struct {
	Kind Kind
	User string
	// Specs are the job's dossiers and files, as handed to the pipeline;
	// their codes and levels are recorded in the status.
	Specs []*ingest.Spec
	// Queued starts the job in StateQueued; Job.Run moves it to running.
	Queued bool
}

// Job is a job this process runs. Feed it the pipeline's events (Events)
// and end it with Finish. It is safe for concurrent use.
type Job struct {
	m     *Manager
	mu    sync.Mutex
	st    Status
	dirty bool
	files map[string]fileInfo // FileSpec.Path -> name and level
	codes map[string]int      // code -> index in st.Dossiers
	stop  chan struct{}
	done  chan struct{}
	ended bool
	wctx  context.Context // for writes: not cancelled with the job's ctx
}

type fileInfo struct {
	name  string
	class domain.Classification
}

// Start records a new job (written to the store before Start returns) and
// starts writing its status every Config.Interval while it changes.
func (m *Manager) Start(ctx context.Context, nj NewJob) (*Job, error) {
	now := m.cfg.Now().UTC()
	id, err := m.newID(now)
	if err != nil {
		return nil, err
	}
	j := &Job{m: m, files: map[string]fileInfo{}, codes: map[string]int{},
		stop: make(chan struct{}), done: make(chan struct{}), wctx: context.WithoutCancel(ctx)}
	j.st = Status{Schema: domain.SchemaVersion, ID: id, Kind: nj.Kind, State: StateRunning, User: nj.User,
		Host: m.cfg.Host, Dossiers: []Dossier{}, Failures: []Failure{}, Created: now, Updated: now}
	if nj.Queued {
		j.st.State = StateQueued
	}
	for _, s := range nj.Specs {
		j.addSpec(s)
	}
	if err := m.put(ctx, &j.st); err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.live[id] = j
	m.mu.Unlock()
	go j.flushLoop()
	return j, nil
}

func (j *Job) addSpec(s *ingest.Spec) {
	code, class := s.Dossier.Code, s.Dossier.Classification
	i, ok := j.codes[code]
	if !ok {
		i = len(j.st.Dossiers)
		j.codes[code] = i
		j.st.Dossiers = append(j.st.Dossiers, Dossier{Code: code, Classification: class, State: DossierPending})
	}
	j.st.Dossiers[i].Files += len(s.Files)
	for _, f := range s.Files {
		name := f.Path
		if f.Name != "" {
			name = f.Name
		}
		j.files[f.Path] = fileInfo{name: name, class: domain.Stricter(class, f.Classification)}
	}
}

// ID returns the job's id.
func (j *Job) ID() string { return j.st.ID }

// Status returns a copy of the job's current status.
func (j *Job) Status() *Status {
	j.mu.Lock()
	defer j.mu.Unlock()
	st := j.st
	st.Dossiers = slices.Clone(j.st.Dossiers)
	st.Failures = slices.Clone(j.st.Failures)
	return &st
}

// Run moves a queued job to running.
func (j *Job) Run() {
	j.update(func(st *Status) {
		if st.State == StateQueued {
			st.State = StateRunning
		}
	})
}

func (j *Job) update(fn func(st *Status)) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.ended {
		return
	}
	fn(&j.st)
	j.st.Updated = j.m.cfg.Now().UTC()
	j.dirty = true
}

func (j *Job) dossier(code string) *Dossier {
	i, ok := j.codes[code]
	if !ok {
		i = len(j.st.Dossiers)
		j.codes[code] = i
		j.st.Dossiers = append(j.st.Dossiers, Dossier{Code: code, State: DossierPending})
	}
	return &j.st.Dossiers[i]
}

// Events returns pipeline events that record progress in the job and then
// call next's (each may be nil).
func (j *Job) Events(next ingest.Events) ingest.Events {
	return ingest.Events{
		Pages: func(n int) {
			j.update(func(st *Status) { st.PagesTotal += n })
			if next.Pages != nil {
				next.Pages(n)
			}
		},
		PageDone: func(code string, reused bool) {
			j.update(func(st *Status) { st.PagesDone++; j.dossier(code).PagesDone++ })
			if next.PageDone != nil {
				next.PageDone(code, reused)
			}
		},
		FileFailed: func(code, file string, err error) {
			j.fail(code, file, err)
			if next.FileFailed != nil {
				next.FileFailed(code, file, err)
			}
		},
		DossierDone: func(d *domain.Dossier, changed bool) {
			j.update(func(st *Status) {
				ds := j.dossier(d.Code)
				ds.State, ds.Version = DossierUnchanged, d.Version
				if changed {
					ds.State = DossierCommitted
				}
			})
			if next.DossierDone != nil {
				next.DossierDone(d, changed)
			}
		},
		DossierFailed: func(code string, err error) {
			j.fail(code, "", err)
			if next.DossierFailed != nil {
				next.DossierFailed(code, err)
			}
		},
	}
}

// fail records a failure of a file (file != "") or a whole dossier. A
// temporary copy's path is replaced by the file's name, in the record and
// in the message.
func (j *Job) fail(code, file string, err error) {
	j.update(func(st *Status) {
		ds := j.dossier(code)
		f := Failure{Dossier: code, Classification: ds.Classification, Error: err.Error(), Time: st.Updated}
		if file != "" {
			ds.FilesFailed++
			f.File = file
			if fi, ok := j.files[file]; ok {
				f.File, f.Classification = fi.name, fi.class
				f.Error = strings.ReplaceAll(f.Error, file, fi.name)
			}
		} else {
			ds.State = DossierFailed
		}
		st.NumFailures++
		if len(st.Failures) < MaxFailures {
			st.Failures = append(st.Failures, f)
		}
	})
}

// Finish ends the job: done when err is nil, interrupted when err is a
// context cancellation, failed otherwise. It stops the periodic writes and
// writes the final status, even when the job's context was cancelled (with
// a time limit of 30 s). Later calls do nothing and return nil.
func (j *Job) Finish(err error) error {
	j.mu.Lock()
	if j.ended {
		j.mu.Unlock()
		return nil
	}
	now := j.m.cfg.Now().UTC()
	switch {
	case err == nil:
		j.st.State = StateDone
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		j.st.State, j.st.Error = StateInterrupted, err.Error()
	default:
		j.st.State, j.st.Error = StateFailed, err.Error()
	}
	j.st.PagesTotal = j.st.PagesDone
	j.st.Updated, j.st.Finished = now, now
	j.ended = true
	st := j.st
	j.mu.Unlock()

	close(j.stop)
	<-j.done
	ctx, cancel := context.WithTimeout(j.wctx, 30*time.Second)
	defer cancel()
	werr := j.m.put(ctx, &st)
	j.m.mu.Lock()
	delete(j.m.live, j.st.ID)
	j.m.mu.Unlock()
	if werr != nil {
		return fmt.Errorf("finish job %s: %w", st.ID, werr)
	}
	return nil
}

// flushLoop writes the status every Interval while it changes, and at
// least every StaleAfter/3 while it does not.
func (j *Job) flushLoop() {
	defer close(j.done)
	t := time.NewTicker(j.m.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-j.stop:
			return
		case <-t.C:
		}
		j.mu.Lock()
		now := j.m.cfg.Now().UTC()
		if !j.dirty && now.Sub(j.st.Updated) < j.m.cfg.StaleAfter/3 {
			j.mu.Unlock()
			continue
		}
		if !j.dirty { // a heartbeat, so that readers do not take it for stale
			j.st.Updated = now
		}
		j.dirty = false
		st := j.st
		st.Dossiers = slices.Clone(j.st.Dossiers)
		st.Failures = slices.Clone(j.st.Failures)
		j.mu.Unlock()
		ctx, cancel := context.WithTimeout(j.wctx, j.m.cfg.Interval*5)
		if err := j.m.put(ctx, &st); err != nil {
			j.m.cfg.Logger.Warn("write job status", "job", st.ID, "err", err)
			j.mu.Lock()
			j.dirty = true
			j.mu.Unlock()
		}
		cancel()
	}
}
