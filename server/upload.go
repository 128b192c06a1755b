package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"hoso/auth"
	"hoso/domain"
	"hoso/ingest"
	"hoso/jobs"
	"hoso/storage"
)

// Upload is a set of uploaded files waiting in a temporary folder
// (ParseUpload makes one from a multipart request).
type Upload struct {
	Dir   string // holds the files; removed when the upload's job ends
	Files []UploadFile
}

// UploadFile is one uploaded file and the metadata given for it.
type UploadFile struct {
	Path           string // in Dir
	Name           string // the file name given by the client, made safe
	Size           int64
	Kind           domain.DocumentKind
	Title          string
	Date           domain.Date
	Classification domain.Classification // "" = the dossier's
}

// Remove deletes the upload's temporary folder.
func (u *Upload) Remove() error {
	if u == nil || u.Dir == "" {
		return nil
	}
	return os.RemoveAll(u.Dir)
}

// CanUpload reports whether who may upload to dossier code, so that a
// handler can refuse before reading a large body. It audits nothing;
// Upload checks and audits again. Errors: ErrForbidden, ErrNotFound.
func (a *App) CanUpload(ctx context.Context, who Actor, code string) error {
	if err := require(who, auth.Upload); err != nil {
		return err
	}
	_, _, err := a.loadVisible(ctx, who, code)
	return err
}

// Upload adds up's files to dossier code (permission Upload) in a
// background job and returns the job's status at once; Job reports its
// progress. Each file becomes a document (a file with the name of an
// existing document replaces that document's scan, as a re-ingest would);
// levels given must be within who's clearance. Upload takes ownership of
// up: its folder is removed when the job ends, or at once on error.
// Errors: ErrForbidden, ErrNotFound, ErrInvalid, ErrAudit, and ErrInvalid
// when the App has no OCR.
func (a *App) Upload(ctx context.Context, who Actor, code string, up *Upload) (*jobs.Status, error) {
	st, err := a.upload(ctx, who, code, up)
	if err != nil {
		up.Remove()
	}
	return st, err
}

func (a *App) upload(ctx context.Context, who Actor, code string, up *Upload) (*jobs.Status, error) {
	e := auditEvent{Action: ActionUpload, Target: code}
	if err := require(who, auth.Upload); err != nil {
		return nil, a.denied(ctx, who, e.Action, e.Target, err)
	}
	d, outcome, err := a.loadVisible(ctx, who, code)
	if err != nil {
		e.Outcome = outcome
		return nil, a.recordAfter(ctx, who, e, err)
	}
	e.Target, e.Dossier = d.Code, d.Code
	spec, err := a.uploadSpec(who, d, up)
	if err != nil {
		e.Outcome, e.Detail = outcomeInvalid, err.Error()
		return nil, a.recordAfter(ctx, who, e, err)
	}
	names := make([]string, len(up.Files))
	for i, f := range up.Files {
		names[i] = fmt.Sprintf("%s (%d bytes)", f.Name, f.Size)
	}
	e.Outcome, e.Detail = outcomeOK, strings.Join(names, ", ")
	if err := a.record(ctx, who, e); err != nil {
		return nil, err
	}
	job, err := a.jobs.Start(ctx, jobs.NewJob{Kind: jobs.KindUpload, User: who.name(), Specs: []*ingest.Spec{spec}, Queued: true})
	if err != nil {
		a.failed(ctx, who, e, err)
		return nil, err
	}
	a.metrics.jobsRunning.Add(1)
	a.wg.Go(func() { a.runUpload(job, spec, up, who.name()) })
	return job.Status(), nil
}

// uploadSpec checks the files and makes the pipeline's spec: the dossier's
// current metadata and one listed file per upload.
func (a *App) uploadSpec(who Actor, d *domain.Dossier, up *Upload) (*ingest.Spec, error) {
	switch {
	case a.ocr == nil:
		return nil, fmt.Errorf("%w: this server does not accept uploads (no OCR)", ErrInvalid)
	case up == nil || len(up.Files) == 0:
		return nil, fmt.Errorf("%w: no file uploaded (send multipart/form-data with file parts named \"file\")", ErrInvalid)
	}
	spec := &ingest.Spec{Source: "upload by " + who.name(), Dossier: *d, KeepMetadata: true}
	spec.Dossier.Documents = nil
	seen := map[string]bool{}
	for i, f := range up.Files {
		if seen[f.Name] {
			return nil, fmt.Errorf("%w: file %d: the name %q is used twice", ErrInvalid, i, f.Name)
		}
		seen[f.Name] = true
		if f.Classification != "" && (!f.Classification.Valid() || !who.User.Allows(f.Classification)) {
			return nil, fmt.Errorf("%w: file %d (%s): classification %q is above your clearance or not a level", ErrInvalid, i, f.Name, f.Classification)
		}
		spec.Files = append(spec.Files, ingest.FileSpec{Path: f.Path, Name: f.Name, Kind: f.Kind, Title: f.Title, Date: f.Date,
			Classification: f.Classification, Listed: true})
	}
	return spec, nil
}

// runUpload runs an upload job: it waits for a job slot, ingests the files
// (OCR, store, commit, index) and ends the job.
func (a *App) runUpload(job *jobs.Job, spec *ingest.Spec, up *Upload, user string) {
	defer a.metrics.jobsRunning.Add(-1)
	defer up.Remove()
	err := a.ingestUpload(job, spec, user)
	if err != nil && a.ctx.Err() == nil {
		a.log.Warn("upload job", "job", job.ID(), "dossier", spec.Dossier.Code, "err", err)
	}
	if errors.Is(err, context.Canceled) && a.ctx.Err() != nil {
		err = fmt.Errorf("server shut down before the job ended; upload the files again: %w", err)
	}
	if ferr := job.Finish(err); ferr != nil {
		a.log.Error("write final job status", "job", job.ID(), "err", ferr)
	}
}

func (a *App) ingestUpload(job *jobs.Job, spec *ingest.Spec, user string) error {
	select {
	case a.jobSem <- struct{}{}:
		defer func() { <-a.jobSem }()
	case <-a.ctx.Done():
		return a.ctx.Err()
	}
	job.Run()
	p, err := ingest.New(ingest.Config{Archive: a.arch, OCR: a.ocr, Indexer: a.ix, Lang: a.cfg.Lang, Workers: a.cfg.Workers,
		User: user, Logger: a.log, Events: job.Events(a.metrics.ingestEvents())})
	if err != nil {
		return err
	}
	_, err = p.Ingest(a.ctx, spec)
	if err != nil && job.Status().NumFailures > 0 && a.ctx.Err() == nil &&
		!errors.Is(err, storage.ErrUnavailable) && !errors.Is(err, storage.ErrNoSpace) {
		return nil // the files' or dossier's failure is listed in the job, which ran to its end
	}
	return err
}
