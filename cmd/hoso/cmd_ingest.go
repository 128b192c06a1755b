package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"hoso/domain"
	"hoso/ingest"
	"hoso/ingest/ocr"
	"hoso/internal/progress"
	"hoso/jobs"
	"hoso/storage"
)

type ingestOptions struct {
	globalOptions
	Workers int
	Lang    string
	Report  string
	NoIndex bool
	User    string
	// StoreRetry is how long a call to an unreachable store is retried.
	StoreRetry time.Duration
}

func (o *ingestOptions) AddFlags(fs *flag.FlagSet, env *Env) {
	o.globalOptions.AddFlags(fs, env)
	fs.IntVar(&o.Workers, "workers", runtime.NumCPU(), "pages OCR'd in parallel (one Tesseract per worker)")
	fs.StringVar(&o.Lang, "lang", "vie", "OCR `language`s, e.g. vie, eng, vie+eng (installed Tesseract languages)")
	fs.StringVar(&o.Report, "report", "", "write failures as JSON lines to this `file` (default DATA/reports/ingest-TIME.jsonl)")
	fs.BoolVar(&o.NoIndex, "no-index", false, "do not update the search index (a running hoso serve or hoso reindex catches up)")
	fs.StringVar(&o.User, "user", env.Getenv("USER"), "name recorded as the author of new manifest versions")
	fs.DurationVar(&o.StoreRetry, "store-retry", defaultStoreRetry, "keep retrying an unreachable object store (S3) this `long` before the run stops")
}

func init() { register(ingestCommand()) }

func ingestCommand() *command {
	return &command{
		Name:  "ingest",
		Short: "load scans into the archive: OCR, store, index",
		Run: func(ctx context.Context, env *Env, args []string) error {
			var o ingestOptions
			fs := newFlagSet(env, "ingest", "ingest [flags] PATH...", `
Ingests dossiers. Each PATH is a dossier folder (scans plus a dossier.json),
a folder of dossier folders (any depth), or a CSV inventory with the columns
dossier_code,full_name,birth_date,hometown,unit,classification,file,kind,title,date
(file paths relative to the CSV). Files in a dossier folder that dossier.json
does not list are ingested as kind "other".

dossier.json:
  {"code":"HS-2024-000123",
   "subject":{"full_name":"Nguyễn Thị Thanh Giang","birth_date":"1978-03-14","hometown":"Nghệ An"},
   "unit":"Sở Nội vụ","classification":"confidential",
   "documents":[{"file":"01.pdf","kind":"cv","title":"Sơ yếu lý lịch","date":"2019-05-02"}]}

Formats: PDF (scanned or with a text layer), TIFF (multi-page), JPEG, PNG.
Every original is stored once by its SHA-256; pages already done with the same
settings are not OCR'd again, so running the same command again after a
failure or Ctrl-C does only the missing work. Failures are listed at the end
and written as JSON lines to the report file; the exit code is then 3.

When an S3 store stops answering, every call is retried with backoff (up to
5 s apart) for --store-retry, and the outage is reported as it starts, every
10 s while it lasts and when it ends; only then does the run stop.`)
			o.AddFlags(fs, env)
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if fs.NArg() == 0 {
				return fmt.Errorf("%w: name at least one dossier folder or CSV inventory", errUsage)
			}
			return runIngest(ctx, env, &o, fs.Args())
		},
	}
}

// failureRecord is one line of the JSON-lines failure report.
type failureRecord struct {
	Time    time.Time `json:"time"`
	Dossier string    `json:"dossier,omitempty"`
	File    string    `json:"file,omitempty"`
	Error   string    `json:"error"`
}

func runIngest(ctx context.Context, env *Env, o *ingestOptions, paths []string) error {
	log := o.logger(env)
	specs, errs := ingest.Discover(paths)
	outage := newStoreOutage(env.Stderr, "ingest", o.StoreRetry)
	arch, store, err := o.openArchiveRetrying(ctx, o.StoreRetry, outage)
	if err != nil {
		return err
	}
	defer store.Close()
	pool, err := ocr.New(ocr.Config{Lang: o.Lang, Workers: o.Workers, Logger: log})
	if err != nil {
		return err
	}
	defer pool.Close()
	ix, closeIndex := openIndexForWrite(ctx, env, &o.globalOptions, arch, o.NoIndex, log)
	defer closeIndex()

	rep, err := newFailureReport(o.Report, o.Data)
	if err != nil {
		return err
	}
	defer rep.Close()
	for _, e := range errs {
		rep.add("", "", e)
	}
	bar := progress.New(env.Stderr, "ingest", "pages", 0)
	var pagesTotal, dossiersDone atomic.Int64
	bar.SetExtra(func() string {
		s := fmt.Sprintf("%d/%d dossiers", dossiersDone.Load(), len(specs))
		if n := rep.count(); n > 0 {
			s += fmt.Sprintf(", %d failed", n)
		}
		if st := outage.status(); st != "" {
			s += ", " + st
		}
		return s
	})
	cfg := ingest.Config{Archive: arch, OCR: pool, Lang: o.Lang, Workers: o.Workers, User: o.User, Logger: log}
	if ix != nil {
		cfg.Indexer = ix
	}
	cfg.Events = ingest.Events{
		Pages:         func(n int) { bar.SetTotal(pagesTotal.Add(int64(n))) },
		PageDone:      func(string, bool) { bar.Add(1) },
		FileFailed:    func(code, file string, err error) { rep.add(code, file, err) },
		DossierDone:   func(*domain.Dossier, bool) { dossiersDone.Add(1); bar.Add(0) },
		DossierFailed: func(code string, err error) { rep.add(code, "", err) },
	}
	job := startJob(ctx, store, log, o.User, specs)
	if job != nil {
		cfg.Events = job.Events(cfg.Events)
	}
	p, err := ingest.New(cfg)
	if err != nil {
		return err
	}
	st, runErr := p.Run(ctx, specs)
	bar.Done()
	if job != nil {
		if err := job.Finish(runErr); err != nil {
			log.Warn("record job status", "err", err)
		}
		fmt.Fprintf(env.Stdout, "job: %s (hoso serve lists it at /api/v1/jobs)\n", job.ID())
	}
	fmt.Fprintf(env.Stdout, "dossiers: %d ingested (%d changed), %d failed; documents: %d, %d failed\n", st.Dossiers, st.Changed, st.DossiersFailed+len(errs), st.Documents, st.FilesFailed)
	fmt.Fprintf(env.Stdout, "pages: %d OCR'd, %d reused (already done), %d from text layers, %d blank\n", st.PagesOCR, st.PagesReused, st.PagesTextLayer, st.PagesBlank)
	if n := rep.count(); n > 0 {
		fmt.Fprintf(env.Stdout, "failures: %d (listed in %s)\n", n, rep.path)
		for _, r := range rep.first(10) {
			fmt.Fprintf(env.Stdout, "  %s\n", r.Error)
		}
	}
	if runErr != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(env.Stdout, "interrupted: run the same command again to finish the rest")
		}
		return runErr
	}
	if rep.count() > 0 {
		return fmt.Errorf("%w: %d failures", errPartial, rep.count())
	}
	return nil
}

// failureReport appends failures to a JSON-lines file, created on first use.
type failureReport struct {
	mu   sync.Mutex
	path string
	f    *os.File
	recs []failureRecord
}

func newFailureReport(path, data string) (*failureReport, error) {
	if path == "" {
		path = filepath.Join(data, "reports", "ingest-"+time.Now().UTC().Format("20060102T150405Z")+".jsonl")
	}
	return &failureReport{path: path}, nil
}

func (r *failureReport) add(code, file string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	msg := err.Error()
	if file != "" && !strings.Contains(msg, file) {
		msg = file + ": " + msg
	}
	if code != "" && !strings.Contains(msg, code) {
		msg = "dossier " + code + ": " + msg
	}
	msg = printable(msg)
	rec := failureRecord{Time: time.Now().UTC(), Dossier: code, File: file, Error: msg}
	r.recs = append(r.recs, rec)
	if r.f == nil {
		if e := os.MkdirAll(filepath.Dir(r.path), 0o755); e == nil {
			r.f, _ = os.OpenFile(r.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		}
	}
	if r.f != nil {
		b, _ := json.Marshal(rec)
		r.f.Write(append(b, '\n'))
	}
}

// printable replaces control characters (file names may hold any) by "?", so
// that a failure printed on a terminal cannot carry escape sequences.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || r == utf8.RuneError {
			return '?'
		}
		return r
	}, s)
}

func (r *failureReport) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.recs)
}

func (r *failureReport) first(n int) []failureRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.recs[:min(n, len(r.recs))]
}

func (r *failureReport) Close() error {
	if r.f != nil {
		return r.f.Close()
	}
	return nil
}

// startJob records the run as a job in the store, where hoso serve lists
// it; a failure to record it is logged, not fatal.
func startJob(ctx context.Context, store storage.Store, log *slog.Logger, user string, specs []*ingest.Spec) *jobs.Job {
	job, err := jobs.NewManager(store, jobs.Config{Logger: log}).Start(ctx, jobs.NewJob{Kind: jobs.KindIngest, User: user, Specs: specs})
	if err != nil {
		log.Warn("job status not recorded", "err", err)
		return nil
	}
	return job
}
