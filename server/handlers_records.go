package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"hoso/jobs"
)

// intParam reads an integer query parameter; absent gives def.
func intParam(q url.Values, name string, def int) (int, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%w: %s must be a whole number", ErrInvalid, name)
	}
	return n, nil
}

func boolParam(q url.Values, name string) bool {
	switch q.Get(name) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req := SearchRequest{Query: q.Get("q"), Sort: q.Get("sort"), Facets: boolParam(q, "facets")}
	var err error
	if req.Offset, err = intParam(q, "offset", 0); err == nil {
		if req.Limit, err = intParam(q, "limit", 0); err == nil {
			req.HitsPerDossier, err = intParam(q, "hits", 0)
		}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.app.Search(r.Context(), actor(r), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) handleDossier(w http.ResponseWriter, r *http.Request) {
	v, err := s.app.Dossier(r.Context(), actor(r), r.PathValue("code"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) handleCreateDossier(w http.ResponseWriter, r *http.Request) {
	var nd NewDossier
	if err := s.decodeJSON(w, r, &nd); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.app.CreateDossier(r.Context(), actor(r), nd)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/dossiers/"+url.PathEscape(v.Code))
	writeJSON(w, http.StatusCreated, v)
}

func (s *Server) handleUpdateDossier(w http.ResponseWriter, r *http.Request) {
	var p DossierPatch
	if err := s.decodeJSON(w, r, &p); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.app.UpdateDossier(r.Context(), actor(r), r.PathValue("code"), p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) handlePage(w http.ResponseWriter, r *http.Request) {
	n, err := pageNumber(r)
	if err == nil {
		var v *PageView
		if v, err = s.app.Page(r.Context(), actor(r), r.PathValue("code"), r.PathValue("doc"), n, r.URL.Query().Get("version")); err == nil {
			writeJSON(w, http.StatusOK, v)
			return
		}
	}
	s.writeError(w, r, err)
}

func (s *Server) handlePageImage(w http.ResponseWriter, r *http.Request) {
	n, err := pageNumber(r)
	if err == nil {
		var obj *Object
		if obj, err = s.app.PageImage(r.Context(), actor(r), r.PathValue("code"), r.PathValue("doc"), n); err == nil {
			s.serveObject(w, r, obj, false)
			return
		}
	}
	s.writeError(w, r, err)
}

func (s *Server) handleOriginal(w http.ResponseWriter, r *http.Request) {
	obj, err := s.app.Original(r.Context(), actor(r), r.PathValue("code"), r.PathValue("doc"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.serveObject(w, r, obj, true)
}

func (s *Server) handleCorrect(w http.ResponseWriter, r *http.Request) {
	n, err := pageNumber(r)
	var c Correction
	if err == nil {
		err = s.decodeJSON(w, r, &c)
	}
	if err == nil {
		var v *PageView
		if v, err = s.app.CorrectPage(r.Context(), actor(r), r.PathValue("code"), r.PathValue("doc"), n, c); err == nil {
			writeJSON(w, http.StatusOK, v)
			return
		}
	}
	s.writeError(w, r, err)
}

func (s *Server) handleReview(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	offset, err := intParam(q, "offset", 0)
	limit := 0
	if err == nil {
		limit, err = intParam(q, "limit", 0)
	}
	if err == nil {
		var page *ReviewPage
		if page, err = s.app.ReviewQueue(r.Context(), actor(r), offset, limit); err == nil {
			writeJSON(w, http.StatusOK, page)
			return
		}
	}
	s.writeError(w, r, err)
}

// JobList is the body of GET /api/v1/jobs.
type JobList struct {
	Jobs []*jobs.Status `json:"jobs"`
}

func (s *Server) handleJobs(w http.ResponseWriter, r *http.Request) {
	list, err := s.app.Jobs(r.Context(), actor(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, JobList{Jobs: list})
}

func (s *Server) handleJob(w http.ResponseWriter, r *http.Request) {
	st, err := s.app.Job(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// UploadResponse answers an upload: the job that ingests the files.
type UploadResponse struct {
	Job *jobs.Status `json:"job"`
	URL string       `json:"url"` // where to follow the job
}

// handleUpload streams a multipart upload to temporary files (no file is
// held in memory), then starts the job. The read deadline is extended for
// large bodies; the body is limited to MaxUpload bytes.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	ctx, who, code := r.Context(), actor(r), r.PathValue("code")
	if err := s.app.CanUpload(ctx, who, code); err != nil {
		// audited by Upload, which fails the same way
		_, err = s.app.Upload(ctx, who, code, nil)
		s.writeError(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	deadline := time.Now().Add(s.cfg.UploadTimeout)
	_ = rc.SetReadDeadline(deadline)
	_ = rc.SetWriteDeadline(deadline.Add(time.Minute))
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload)
	up, err := ParseUpload(r, s.app.cfg.TempDir, s.cfg.MaxUploadFiles)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	st, err := s.app.Upload(ctx, who, code, up)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u := "/api/v1/jobs/" + st.ID
	w.Header().Set("Location", u)
	writeJSON(w, http.StatusAccepted, UploadResponse{Job: st, URL: u})
}
