package web

import (
	"net/http"

	"hoso/jobs"
	"hoso/server"
)

type jobsData struct {
	Jobs []*jobs.Status
}

func (h *Handler) jobs(rq *request) error {
	list, err := h.app.Jobs(rq.r.Context(), rq.who)
	if err != nil {
		return err
	}
	return rq.render(http.StatusOK, "jobs", rq.lang.T("jobs.title"), "jobs", jobsData{Jobs: list})
}

type jobData struct {
	J     *jobs.Status
	Final bool
}

func (h *Handler) job(rq *request) error {
	st, err := h.app.Job(rq.r.Context(), rq.who, rq.r.PathValue("id"))
	if err != nil {
		return err
	}
	d := jobData{J: st, Final: st.State.Final()}
	var scripts []string
	if !d.Final {
		scripts = append(scripts, "job.js")
	}
	return rq.render(http.StatusOK, "job", rq.lang.T("jobs.job", st.ID), "jobs", d, scripts...)
}

// jobStatusReply is what the job page's script polls.
type jobStatusReply struct {
	State      jobs.State `json:"state"`
	StateText  string     `json:"state_text"`
	Final      bool       `json:"final"`
	PagesDone  int        `json:"pages_done"`
	PagesTotal int        `json:"pages_total"`
	Failures   int        `json:"failures"`
	Progress   string     `json:"progress"`
}

func (h *Handler) jobStatus(rq *request) error {
	st, err := h.app.Job(rq.r.Context(), rq.who, rq.r.PathValue("id"))
	if err != nil {
		status, code, _ := server.HTTPError(err)
		return writeJSON(rq.w, status, map[string]string{"error": code})
	}
	return writeJSON(rq.w, http.StatusOK, jobStatusReply{State: st.State, StateText: rq.lang.T("state." + string(st.State)),
		Final: st.State.Final(), PagesDone: st.PagesDone, PagesTotal: st.PagesTotal, Failures: st.NumFailures,
		Progress: rq.lang.T("jobs.progress", st.PagesDone, st.PagesTotal)})
}
