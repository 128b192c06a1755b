package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"hoso/archive"
	"hoso/auth"
	"hoso/domain"
	"hoso/index"
)

// NewDossier is the metadata of a dossier to create; documents are added
// by Upload.
type NewDossier struct {
	Code           string                `json:"code"`
	Subject        Subject               `json:"subject"`
	Unit           string                `json:"unit"`
	Classification domain.Classification `json:"classification"`
}

// CreateDossier creates an empty dossier (permission Upload). Its level
// must be within who's clearance. Errors: ErrForbidden, ErrInvalid (the
// message names the field), ErrConflict when the code is taken, ErrAudit.
//
// A taken code is reported as taken even when that dossier is above who's
// clearance: a code cannot be given twice, so its existence is the one
// thing a creator can learn of a dossier they cannot see (nothing of its
// content). Codes come from the paper registry, not from guessing.
func (a *App) CreateDossier(ctx context.Context, who Actor, nd NewDossier) (*DossierView, error) {
	e := auditEvent{Action: ActionCreate, Target: nd.Code}
	if err := require(who, auth.Upload); err != nil {
		return nil, a.denied(ctx, who, e.Action, e.Target, err)
	}
	d := &domain.Dossier{Code: nd.Code, Subject: nd.Subject.domain(), Unit: strings.TrimSpace(nd.Unit), Classification: nd.Classification, UpdatedBy: who.name()}
	d.Subject.FullName = strings.TrimSpace(d.Subject.FullName)
	err := d.ValidateMetadata()
	if err == nil && !who.User.Allows(d.Classification) {
		err = &domain.FieldError{Field: "classification", Msg: "is above your clearance"}
	}
	if err != nil {
		e.Outcome, e.Detail = outcomeInvalid, err.Error()
		return nil, a.recordAfter(ctx, who, e, fmt.Errorf("%w: %w", ErrInvalid, err))
	}
	e.Target, e.Dossier = d.Code, d.Code
	if _, err := a.arch.Load(ctx, d.Code); err == nil {
		e.Outcome, e.Detail = outcomeInvalid, "code taken"
		return nil, a.recordAfter(ctx, who, e, fmt.Errorf("%w: dossier code %s is taken", ErrConflict, d.Code))
	} else if !errors.Is(err, archive.ErrNoDossier) {
		return nil, err
	}
	e.Outcome, e.Detail = outcomeOK, fmt.Sprintf("classification=%s", d.Classification)
	if err := a.record(ctx, who, e); err != nil {
		return nil, err
	}
	if err := a.arch.Commit(ctx, d); err != nil {
		a.failed(ctx, who, e, err)
		if errors.Is(err, archive.ErrVersionConflict) {
			return nil, fmt.Errorf("%w: dossier code %s is taken", ErrConflict, d.Code)
		}
		return nil, err
	}
	a.reindex(ctx, d)
	return viewOf(who, d), nil
}

// failed audits that an authorized action did not complete. The action
// was audited before it started, so a failure to record this is logged only.
func (a *App) failed(ctx context.Context, who Actor, e auditEvent, err error) {
	e.Outcome, e.Detail = outcomeFailed, err.Error()
	if aerr := a.record(context.WithoutCancel(ctx), who, e); aerr != nil {
		a.log.Error("audit of a failed action", "action", e.Action, "err", aerr)
	}
}

// reindex puts d (with its page texts) into the index now; on failure the
// follower indexes it from the journal later.
func (a *App) reindex(ctx context.Context, d *domain.Dossier) {
	err := index.LoadTexts(ctx, a.arch, d)
	if err == nil {
		err = a.ix.IndexDossier(ctx, d)
	}
	if err != nil {
		a.log.Warn("reindex after change; the follower will retry", "dossier", d.Code, "err", err)
	}
}

// DossierPatch changes a dossier's metadata. Absent (nil) fields are kept.
type DossierPatch struct {
	Subject        *SubjectPatch          `json:"subject,omitempty"`
	Unit           *string                `json:"unit,omitempty"`
	Classification *domain.Classification `json:"classification,omitempty"`
	Documents      []DocumentPatch        `json:"documents,omitempty"`
	// Version, when not 0, must be the dossier's current version, else
	// the patch fails with ErrConflict (someone changed it meanwhile).
	Version int `json:"version,omitempty"`
}

// SubjectPatch changes fields of the subject.
type SubjectPatch struct {
	FullName  *string      `json:"full_name,omitempty"`
	BirthDate *domain.Date `json:"birth_date,omitempty"`
	Hometown  *string      `json:"hometown,omitempty"`
}

// DocumentPatch changes fields of the document with ID. An empty
// Classification makes the document take the dossier's level.
type DocumentPatch struct {
	ID             string                 `json:"id"`
	Kind           *domain.DocumentKind   `json:"kind,omitempty"`
	Title          *string                `json:"title,omitempty"`
	Date           *domain.Date           `json:"date,omitempty"`
	Classification *domain.Classification `json:"classification,omitempty"`
}

// maxCommitAttempts bounds retries after archive.ErrVersionConflict.
const maxCommitAttempts = 10

// UpdateDossier applies p to the dossier (permission EditMetadata),
// committing a new manifest version (reloading and reapplying when another
// writer committed first) and reindexing it. Levels set must be within
// who's clearance. While an upload to the dossier is running the edit
// fails with ErrConflict: the upload's commit would put back the metadata
// it started with. Errors: ErrForbidden, ErrNotFound (dossier or a
// document in p missing or above clearance), ErrInvalid, ErrConflict,
// ErrAudit.
func (a *App) UpdateDossier(ctx context.Context, who Actor, code string, p DossierPatch) (*DossierView, error) {
	e := auditEvent{Action: ActionEdit, Target: code}
	if err := require(who, auth.EditMetadata); err != nil {
		return nil, a.denied(ctx, who, e.Action, e.Target, err)
	}
	audited := false
	for attempt := 1; ; attempt++ {
		d, outcome, err := a.loadVisible(ctx, who, code)
		if err != nil {
			e.Outcome = outcome
			return nil, a.recordAfter(ctx, who, e, err)
		}
		e.Target, e.Dossier = d.Code, d.Code
		changes, outcome, err := a.applyPatch(who, d, p)
		if err != nil {
			e.Outcome, e.Detail = outcome, err.Error()
			return nil, a.recordAfter(ctx, who, e, err)
		}
		if len(changes) == 0 {
			return viewOf(who, d), nil
		}
		if !audited {
			e.Outcome, e.Detail = outcomeOK, strings.Join(changes, "; ")
			if err := a.record(ctx, who, e); err != nil {
				return nil, err
			}
			audited = true
		}
		d.UpdatedBy = who.name()
		err = a.arch.Commit(ctx, d)
		if errors.Is(err, archive.ErrVersionConflict) && p.Version == 0 && attempt < maxCommitAttempts {
			continue
		}
		if err != nil {
			a.failed(ctx, who, e, err)
			if errors.Is(err, archive.ErrVersionConflict) {
				return nil, fmt.Errorf("%w: dossier %s was changed meanwhile; reload and try again", ErrConflict, d.Code)
			}
			if errors.Is(err, domain.ErrInvalid) {
				return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
			}
			return nil, err
		}
		a.reindex(ctx, d)
		return viewOf(who, d), nil
	}
}

// applyPatch applies p to d and returns the changes made, for the audit
// log. Its errors carry the audit outcome.
func (a *App) applyPatch(who Actor, d *domain.Dossier, p DossierPatch) ([]string, string, error) {
	if p.Version != 0 && p.Version != d.Version {
		return nil, outcomeFailed, fmt.Errorf("%w: dossier %s is at version %d, not %d; reload and try again", ErrConflict, d.Code, d.Version, p.Version)
	}
	before, _ := json.Marshal(d)
	var changes []string
	set := func(field string, dst *string, v *string) {
		if v != nil && strings.TrimSpace(*v) != *dst {
			changes = append(changes, fmt.Sprintf("%s: %q -> %q", field, *dst, strings.TrimSpace(*v)))
			*dst = strings.TrimSpace(*v)
		}
	}
	if s := p.Subject; s != nil {
		set("subject.full_name", &d.Subject.FullName, s.FullName)
		set("subject.hometown", &d.Subject.Hometown, s.Hometown)
		if s.BirthDate != nil && *s.BirthDate != d.Subject.BirthDate {
			changes = append(changes, fmt.Sprintf("subject.birth_date: %s -> %s", d.Subject.BirthDate, *s.BirthDate))
			d.Subject.BirthDate = *s.BirthDate
		}
	}
	set("unit", &d.Unit, p.Unit)
	if c := p.Classification; c != nil && *c != d.Classification {
		if !who.User.Allows(*c) {
			return nil, outcomeInvalid, fmt.Errorf("%w: classification: %q is above your clearance or not a level", ErrInvalid, *c)
		}
		changes = append(changes, fmt.Sprintf("classification: %s -> %s", d.Classification, *c))
		d.Classification = *c
	}
	for _, dp := range p.Documents {
		doc, outcome, err := visibleDocument(who, d, dp.ID)
		if err != nil {
			return nil, outcome, err
		}
		ch, err := applyDocumentPatch(who, doc, dp)
		if err != nil {
			return nil, outcomeInvalid, err
		}
		changes = append(changes, ch...)
	}
	if err := d.ValidateMetadata(); err != nil {
		return nil, outcomeInvalid, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if after, _ := json.Marshal(d); string(after) == string(before) {
		return nil, outcomeOK, nil
	}
	return changes, outcomeOK, nil
}

func applyDocumentPatch(who Actor, doc *domain.Document, dp DocumentPatch) ([]string, error) {
	var changes []string
	f := "documents." + doc.ID + "."
	if dp.Kind != nil && *dp.Kind != doc.Kind {
		k, err := domain.ParseDocumentKind(string(*dp.Kind))
		if err != nil {
			return nil, fmt.Errorf("%w: %s", ErrInvalid, f+"kind: "+err.Error())
		}
		changes = append(changes, fmt.Sprintf("%skind: %s -> %s", f, doc.Kind, k))
		doc.Kind = k
	}
	if dp.Title != nil && strings.TrimSpace(*dp.Title) != doc.Title {
		changes = append(changes, fmt.Sprintf("%stitle: %q -> %q", f, doc.Title, strings.TrimSpace(*dp.Title)))
		doc.Title = strings.TrimSpace(*dp.Title)
	}
	if dp.Date != nil && *dp.Date != doc.Date {
		changes = append(changes, fmt.Sprintf("%sdate: %s -> %s", f, doc.Date, *dp.Date))
		doc.Date = *dp.Date
	}
	if c := dp.Classification; c != nil && *c != doc.Classification {
		if *c != "" && !who.User.Allows(*c) {
			return nil, fmt.Errorf("%w: %sclassification: %q is above your clearance or not a level", ErrInvalid, f, *c)
		}
		changes = append(changes, fmt.Sprintf("%sclassification: %q -> %q", f, doc.Classification, *c))
		doc.Classification = *c
	}
	return changes, nil
}
