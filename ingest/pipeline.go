// Package ingest turns scan files into stored, OCR'd dossiers: metadata
// (dossier.json or a CSV inventory) in, committed manifests out.
//
// For each file the pipeline hashes the bytes, and when a run record for the
// same bytes and OCR settings exists it reuses it without decoding. Otherwise
// it validates the file (ingest/decode), stores the original once under its
// SHA-256, and sends every page through preprocessing (ingest/prep) and OCR
// (ingest/ocr) on a bounded pool, storing each page's image and text as it
// completes. When all of a dossier's files are done it merges them into the
// dossier's manifest and commits it (package archive), then hands the
// dossier to the Indexer. A crash at any point leaves only complete objects;
// a rerun finds the pages already done and does only the rest.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"hoso/archive"
	"hoso/domain"
	"hoso/ingest/decode"
	"hoso/ingest/ocr"
	"hoso/ingest/prep"
	"hoso/storage"
)

// Indexer receives each committed dossier, with every page's Text filled.
// Package index implements it.
type Indexer interface {
	IndexDossier(ctx context.Context, d *domain.Dossier) error
}

// Recognizer is the OCR stage; *ocr.Pool implements it.
type Recognizer interface {
	Process(ctx context.Context, in ocr.Input) (*ocr.Result, error)
	SettingsID(lang string) string
}

// Events are called as work progresses, from several goroutines; each may
// be nil.
type Events struct {
	// Pages is called when a file's page count is known (n pages to do or reuse).
	Pages func(n int)
	// PageDone is called for each page finished; reused says no OCR was run.
	PageDone func(code string, reused bool)
	// FileFailed is called once for each file that could not be ingested.
	FileFailed func(code, file string, err error)
	// DossierDone is called after a dossier is committed (or found unchanged).
	DossierDone func(d *domain.Dossier, changed bool)
	// DossierFailed is called when a dossier could not be committed at all.
	DossierFailed func(code string, err error)
}

// Config configures a Pipeline. Archive and OCR are required.
type Config struct {
	Archive *archive.Archive
	OCR     Recognizer
	Indexer Indexer // optional
	Lang    string  // OCR language ("" = the recognizer's default)
	Limits  decode.Limits
	Prep    prep.Config
	Workers int // pages in flight; default runtime.NumCPU()
	User    string
	Logger  *slog.Logger
	Events  Events
}

// Stats counts what a run did.
type Stats struct {
	Dossiers       int // committed or unchanged
	Changed        int // dossiers with a new manifest version
	Documents      int
	PagesOCR       int // pages that went through OCR now
	PagesReused    int // pages whose stored result was reused (no OCR)
	PagesTextLayer int
	PagesBlank     int
	FilesFailed    int
	DossiersFailed int
}

// Pipeline ingests dossiers. It is safe for concurrent use.
type Pipeline struct {
	cfg     Config
	pageSem chan struct{}
	stats   struct {
		sync.Mutex
		Stats
	}
}

// New returns a pipeline with cfg's defaults filled in.
func New(cfg Config) (*Pipeline, error) {
	if cfg.Archive == nil || cfg.OCR == nil {
		return nil, errors.New("ingest: Archive and OCR are required")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.NumCPU()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Prep == (prep.Config{}) {
		cfg.Prep = prep.DefaultConfig()
	}
	cfg.Limits = cfg.Limits.WithDefaults()
	return &Pipeline{cfg: cfg, pageSem: make(chan struct{}, cfg.Workers)}, nil
}

// Stats returns the counts so far.
func (p *Pipeline) Stats() Stats {
	p.stats.Lock()
	defer p.stats.Unlock()
	return p.stats.Stats
}

func (p *Pipeline) count(f func(*Stats)) {
	p.stats.Lock()
	f(&p.stats.Stats)
	p.stats.Unlock()
}

// Run ingests every spec, dossiers in parallel. Failures of single files or
// dossiers are reported through Events and counted in Stats; Run's error is
// non-nil only when the whole run stopped (cancelled, store unreachable).
func (p *Pipeline) Run(ctx context.Context, specs []*Spec) (Stats, error) {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(2, p.cfg.Workers))
	for _, s := range specs {
		g.Go(func() error {
			_, err := p.Ingest(gctx, s)
			if err != nil && (gctx.Err() != nil || isFatal(err)) {
				return err
			}
			return nil
		})
	}
	err := g.Wait()
	return p.Stats(), err
}

// Ingest processes one dossier: every file, then the merge and commit. It
// returns the committed dossier (or the stored one when nothing changed).
// File failures are reported through Events and do not stop the others; a
// dossier with no usable file and no stored manifest returns an error.
func (p *Pipeline) Ingest(ctx context.Context, spec *Spec) (*domain.Dossier, error) {
	code := spec.Dossier.Code
	docs := make([]*fileResult, len(spec.Files))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.cfg.Workers)
	var failed atomic.Int32
	for i, f := range spec.Files {
		g.Go(func() error {
			r, err := p.processFile(gctx, code, f, "")
			if err != nil {
				if gctx.Err() != nil || isFatal(err) {
					return err
				}
				failed.Add(1)
				p.count(func(s *Stats) { s.FilesFailed++ })
				if e := p.cfg.Events.FileFailed; e != nil {
					e(code, f.Path, err)
				}
				p.cfg.Logger.Warn("file failed", "dossier", code, "file", f.Path, "err", err)
				return nil
			}
			docs[i] = r
			p.count(func(s *Stats) { s.Documents++ })
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, p.dossierFailed(ctx, code, err)
	}
	d, changed, err := p.commit(ctx, spec, docs)
	if err != nil {
		return nil, p.dossierFailed(ctx, code, err)
	}
	p.count(func(s *Stats) {
		s.Dossiers++
		if changed {
			s.Changed++
		}
	})
	if e := p.cfg.Events.DossierDone; e != nil {
		e(d, changed)
	}
	return d, nil
}

func (p *Pipeline) dossierFailed(ctx context.Context, code string, err error) error {
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		// stopped with the run (cancelled, or another dossier hit a fatal
		// error): not a failure of its own; Run's error says why
		return fmt.Errorf("dossier %s: %w", code, err)
	}
	p.count(func(s *Stats) { s.DossiersFailed++ })
	if e := p.cfg.Events.DossierFailed; e != nil {
		e(code, err)
	}
	return fmt.Errorf("dossier %s: %w", code, err)
}

// isFatal reports errors that stop the whole run rather than one file: the
// store is unreachable (after the store's own retries) or full. A rerun
// resumes where the run stopped.
func isFatal(err error) bool {
	return errors.Is(err, storage.ErrUnavailable) || errors.Is(err, storage.ErrNoSpace)
}
