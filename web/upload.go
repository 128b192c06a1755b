package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"hoso/auth"
	"hoso/domain"
	"hoso/jobs"
	"hoso/server"
)

// formData is a form's values and the messages shown next to its fields.
type formData struct {
	Values  map[string]string
	Errors  map[string]string
	Error   string // not tied to a field
	Classes []domain.Classification
	Kinds   []domain.DocumentKind
}

func newForm(u *auth.User) *formData {
	f := &formData{Values: map[string]string{}, Errors: map[string]string{}, Kinds: domain.DocumentKinds}
	for _, c := range domain.Classifications {
		if u.Allows(c) {
			f.Classes = append(f.Classes, c)
		}
	}
	return f
}

// fieldOf maps an App error message to the form field it is about: the
// service layer names fields (subject.full_name, code, ...) in its
// messages.
func fieldOf(msg string, fields map[string]string) string {
	low := strings.ToLower(msg)
	best, at := "", -1
	for key, field := range fields {
		if i := strings.Index(low, key); i >= 0 && (at < 0 || i < at) {
			best, at = field, i
		}
	}
	return best
}

// dossierFields maps names in App's messages to the new-dossier form.
var dossierFields = map[string]string{"subject.full_name": "full_name", "subject.birth_date": "birth_date",
	"subject.hometown": "hometown", "code": "code", "unit": "unit", "classification": "classification"}

func (h *Handler) newDossierForm(rq *request) error {
	if !rq.can(auth.Upload) {
		return server.ErrForbidden
	}
	f := newForm(rq.who.User)
	f.Values["classification"] = string(domain.Confidential)
	return rq.render(http.StatusOK, "new_dossier", rq.lang.T("upload.new_title"), "upload", f)
}

func (h *Handler) createDossier(rq *request) error {
	r := rq.r
	if err := r.ParseForm(); err != nil {
		return server.ErrInvalid
	}
	f := newForm(rq.who.User)
	for _, k := range []string{"code", "full_name", "birth_date", "hometown", "unit", "classification"} {
		f.Values[k] = strings.TrimSpace(r.PostForm.Get(k))
	}
	nd := server.NewDossier{Code: f.Values["code"], Unit: f.Values["unit"],
		Subject:        server.Subject{FullName: f.Values["full_name"], Hometown: f.Values["hometown"]},
		Classification: domain.Classification(f.Values["classification"])}
	if _, err := domain.NormalizeCode(nd.Code); err != nil {
		f.Errors["code"] = rq.lang.T("form.code_invalid")
	}
	if nd.Subject.FullName == "" {
		f.Errors["full_name"] = rq.lang.T("form.required")
	}
	if b, err := domain.ParseDate(f.Values["birth_date"]); err != nil {
		f.Errors["birth_date"] = rq.lang.T("form.date_invalid")
	} else if b.After(time.Now()) {
		f.Errors["birth_date"] = rq.lang.T("form.date_future")
	} else {
		nd.Subject.BirthDate.Time = b.Time
	}
	if !nd.Classification.Valid() {
		f.Errors["classification"] = rq.lang.T("form.choose")
	}
	title := rq.lang.T("upload.new_title")
	if len(f.Errors) > 0 {
		return rq.render(http.StatusBadRequest, "new_dossier", title, "upload", f)
	}
	v, err := h.app.CreateDossier(r.Context(), rq.who, nd)
	if errors.Is(err, server.ErrInvalid) || errors.Is(err, server.ErrConflict) {
		_, _, msg := server.HTTPError(err)
		if errors.Is(err, server.ErrConflict) {
			f.Errors["code"] = rq.lang.T("form.code_taken")
		} else if field := fieldOf(msg, dossierFields); field != "" {
			f.Errors[field] = msg
		} else {
			f.Error = msg
		}
		return rq.render(http.StatusBadRequest, "new_dossier", title, "upload", f)
	}
	if err != nil {
		return err
	}
	return rq.redirect("/dossiers/" + url.PathEscape(v.Code) + "/upload?flash=created")
}

// uploadData is the form that adds documents to a dossier.
type uploadData struct {
	*formData
	D        *server.DossierView
	Action   string // the form's URL, with the CSRF token for browsers without scripts
	MaxBytes int64
	MaxFiles int
}

// uploadFields maps names in upload errors to the upload form's fields.
var uploadFields = map[string]string{"kind": "kind", "date": "date", "classification": "classification",
	"title": "title", "no file": "file", "file parts": "file", "files in one upload": "file", "used twice": "file"}

func (h *Handler) uploadForm(rq *request) error {
	return h.renderUpload(rq, http.StatusOK, newForm(rq.who.User))
}

func (h *Handler) renderUpload(rq *request, code int, f *formData) error {
	if !rq.can(auth.Upload) {
		return server.ErrForbidden
	}
	v, err := h.app.Dossier(rq.r.Context(), rq.who, rq.r.PathValue("code"))
	if err != nil {
		return err
	}
	d := uploadData{formData: f, D: v}
	d.MaxBytes, d.MaxFiles = h.srv.UploadLimits()
	d.Action = "/dossiers/" + url.PathEscape(v.Code) + "/upload"
	if rq.who.Session != nil {
		d.Action += "?" + url.Values{server.CSRFField: {rq.who.Session.CSRF}}.Encode()
	}
	return rq.render(code, "upload", rq.lang.T("upload.title")+" · "+v.Code, "upload", d, "upload.js")
}

// wantsJSON reports whether the upload came from the page's script, which
// reads the outcome as JSON instead of following a redirect.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

type uploadReply struct {
	Location string            `json:"location,omitempty"`
	Error    string            `json:"error,omitempty"`
	Errors   map[string]string `json:"errors,omitempty"`
}

func (h *Handler) upload(rq *request) error {
	ctx, code := rq.r.Context(), rq.r.PathValue("code")
	if err := h.app.CanUpload(ctx, rq.who, code); err != nil {
		_, err = h.app.Upload(ctx, rq.who, code, nil) // audits the refusal
		return err
	}
	up, err := h.srv.ReadUpload(rq.w, rq.r)
	var st *jobs.Status
	if err == nil {
		st, err = h.app.Upload(ctx, rq.who, code, up)
	}
	if err != nil {
		status, apiCode, msg := server.HTTPError(err)
		if status >= 500 || status == http.StatusNotFound || status == http.StatusForbidden {
			return err
		}
		f := newForm(rq.who.User)
		if apiCode == "too_large" {
			msg = rq.lang.T("upload.too_large")
		}
		if field := fieldOf(msg, uploadFields); field != "" {
			f.Errors[field] = msg
		} else {
			f.Error = msg
		}
		if wantsJSON(rq.r) {
			return writeJSON(rq.w, status, uploadReply{Error: f.Error, Errors: f.Errors})
		}
		return h.renderUpload(rq, status, f)
	}
	loc := "/jobs/" + url.PathEscape(st.ID)
	if wantsJSON(rq.r) {
		return writeJSON(rq.w, http.StatusOK, uploadReply{Location: loc})
	}
	return rq.redirect(loc)
}

func writeJSON(w http.ResponseWriter, code int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_, err = w.Write(b)
	return err
}
