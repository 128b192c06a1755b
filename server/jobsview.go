package server

import (
	"context"
	"errors"
	"fmt"

	"hoso/auth"
	"hoso/jobs"
)

// MaxJobsListed is how many of the newest jobs Jobs looks at.
const MaxJobsListed = 100

// Jobs returns the newest jobs (uploads run by any server and hoso ingest
// runs) as who may see them (permission ManageJobs), newest first, each
// filtered as by Job; jobs that name no dossier who may see are left out.
// Errors: ErrForbidden, ErrAudit.
func (a *App) Jobs(ctx context.Context, who Actor) ([]*jobs.Status, error) {
	e := auditEvent{Action: ActionJobView, Target: "jobs"}
	if err := require(who, auth.ManageJobs); err != nil {
		return nil, a.denied(ctx, who, e.Action, e.Target, err)
	}
	list, err := a.jobs.List(ctx, MaxJobsListed)
	if err != nil {
		return nil, err
	}
	out := make([]*jobs.Status, 0, len(list))
	for _, st := range list {
		v, err := a.jobView(ctx, who, st)
		if err != nil {
			return nil, err
		}
		if v != nil {
			out = append(out, v)
		}
	}
	e.Outcome, e.Detail = outcomeOK, fmt.Sprintf("jobs=%d", len(out))
	if err := a.record(ctx, who, e); err != nil {
		return nil, err
	}
	return out, nil
}

// Job returns job id as who may see it (permission ManageJobs): dossiers
// above who's clearance, by the level recorded in the job or by their
// current level (raised since; from the App's catalog), are left out with their
// failures and pages; failures of files above who's clearance are left
// out; when anything was left out the job's own error message is replaced
// by a generic one (it may name a dossier). A job naming no dossier who may
// see is ErrNotFound, like an unknown id. Errors: ErrForbidden,
// ErrNotFound, ErrAudit.
func (a *App) Job(ctx context.Context, who Actor, id string) (*jobs.Status, error) {
	e := auditEvent{Action: ActionJobView, Target: id}
	if err := require(who, auth.ManageJobs); err != nil {
		return nil, a.denied(ctx, who, e.Action, e.Target, err)
	}
	st, err := a.jobs.Get(ctx, id)
	if errors.Is(err, jobs.ErrNotFound) {
		e.Outcome = outcomeNotFound
		return nil, a.recordAfter(ctx, who, e, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	v, err := a.jobView(ctx, who, st)
	if err != nil {
		return nil, err
	}
	if v == nil {
		e.Outcome = outcomeDenied
		return nil, a.recordAfter(ctx, who, e, ErrNotFound)
	}
	e.Outcome = outcomeOK
	if err := a.record(ctx, who, e); err != nil {
		return nil, err
	}
	return v, nil
}

// jobView filters st for who by the recorded and the current levels of
// its dossiers; nil when who may see none of them.
func (a *App) jobView(ctx context.Context, who Actor, st *jobs.Status) (*jobs.Status, error) {
	codes := make([]string, len(st.Dossiers))
	for i, ds := range st.Dossiers {
		codes[i] = ds.Code
	}
	current, err := a.catalog.levels(ctx, codes)
	if err != nil {
		return nil, err
	}
	return filterJob(st, func(ds jobs.Dossier) bool {
		c, ok := current[ds.Code]
		return who.User.Allows(ds.Classification) && (!ok || who.User.Allows(c))
	}), nil
}

// filterJob returns the part of st a viewer sees: the dossiers visible
// says yes to, their failures (and of those, failures of files visible
// levels allow), and page counts without the other dossiers' pages. It
// returns nil when st names dossiers and none is visible.
func filterJob(st *jobs.Status, visible func(jobs.Dossier) bool) *jobs.Status {
	v := *st
	v.Dossiers, v.Failures = []jobs.Dossier{}, []jobs.Failure{}
	show := map[string]bool{}
	hiddenPages, hidden := 0, false
	for _, ds := range st.Dossiers {
		if visible(ds) {
			show[ds.Code] = true
			v.Dossiers = append(v.Dossiers, ds)
		} else {
			hidden = true
			hiddenPages += ds.PagesDone
		}
	}
	if len(st.Dossiers) > 0 && len(v.Dossiers) == 0 {
		return nil
	}
	for _, f := range st.Failures {
		if show[f.Dossier] && visible(jobs.Dossier{Code: f.Dossier, Classification: f.Classification}) {
			v.Failures = append(v.Failures, f)
		} else {
			hidden = true
		}
	}
	if !hidden {
		return &v
	}
	v.PagesDone -= hiddenPages
	v.PagesTotal -= hiddenPages
	v.NumFailures = len(v.Failures) + max(0, st.NumFailures-len(st.Failures))
	if v.Error != "" {
		v.Error = "the run stopped with an error"
	}
	return &v
}
