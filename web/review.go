package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"hoso/auth"
	"hoso/server"
)

// reviewPerPage is how many queue items a page shows.
const reviewPerPage = 50

type reviewData struct {
	Q          *server.ReviewPage
	Items      []reviewItem
	Prev, Next string
	First      int
	Last       int
}

type reviewItem struct {
	server.ReviewItem
	URL string // the correction form
}

func (h *Handler) review(rq *request) error {
	offset, _ := strconv.Atoi(rq.r.URL.Query().Get("offset"))
	q, err := h.app.ReviewQueue(rq.r.Context(), rq.who, max(0, offset), reviewPerPage)
	if err != nil {
		return err
	}
	d := reviewData{Q: q, First: q.Offset + 1, Last: q.Offset + len(q.Items)}
	for _, it := range q.Items {
		d.Items = append(d.Items, reviewItem{ReviewItem: it, URL: pageURL(it.Code, it.DocumentID, it.Page, "") + "/correct?from=review"})
	}
	if q.Offset > 0 {
		d.Prev = "/review?offset=" + strconv.Itoa(max(0, q.Offset-reviewPerPage))
	}
	if q.Offset+len(q.Items) < q.Total {
		d.Next = "/review?offset=" + strconv.Itoa(q.Offset+reviewPerPage)
	}
	return rq.render(http.StatusOK, "review", rq.lang.T("review.title"), "review", d)
}

// correctData is the correction form: the scan beside its editable text.
type correctData struct {
	D        *server.DossierView
	P        *server.PageView
	Text     string // what the text area holds
	Error    string
	ImageURL string
	PageURL  string
	Action   string
	From     string
}

func (h *Handler) correctForm(rq *request) error {
	return h.renderCorrect(rq, http.StatusOK, "", "")
}

// renderCorrect shows the form; text (when not "") replaces the page's
// current text in the text area, as after a refused save.
func (h *Handler) renderCorrect(rq *request, code int, text, msg string) error {
	if !rq.can(auth.CorrectText) {
		return server.ErrForbidden
	}
	ctx := rq.r.Context()
	n, err := pageNumber(rq.r)
	if err != nil {
		return err
	}
	p, err := h.app.Page(ctx, rq.who, rq.r.PathValue("code"), rq.r.PathValue("doc"), n, "")
	if err != nil {
		return err
	}
	dv, err := h.app.Dossier(ctx, rq.who, p.Code)
	if err != nil {
		return err
	}
	d := correctData{D: dv, P: p, Text: p.Text, Error: msg, PageURL: pageURL(p.Code, p.DocumentID, n, ""),
		From: rq.r.URL.Query().Get("from")}
	if text != "" {
		d.Text = text
	}
	d.ImageURL = d.PageURL + "/image"
	d.Action = d.PageURL + "/correct"
	if d.From == "review" {
		d.Action += "?from=review"
	}
	title := rq.lang.T("correct.title") + " · " + rq.lang.T("page.n", n) + " · " + dv.Code
	return rq.render(code, "correct", title, "review", d)
}

func (h *Handler) correct(rq *request) error {
	n, err := pageNumber(rq.r)
	if err != nil {
		return err
	}
	r := rq.r
	if err := r.ParseForm(); err != nil {
		return server.ErrInvalid
	}
	text := r.PostForm.Get("text")
	pv, err := h.app.CorrectPage(r.Context(), rq.who, r.PathValue("code"), r.PathValue("doc"), n,
		server.Correction{Text: text, Base: r.PostForm.Get("base")})
	switch {
	case errors.Is(err, server.ErrConflict):
		return h.renderCorrect(rq, http.StatusConflict, text, rq.lang.T("correct.conflict"))
	case errors.Is(err, server.ErrInvalid):
		_, _, msg := server.HTTPError(err)
		return h.renderCorrect(rq, http.StatusBadRequest, text, msg)
	case err != nil:
		return err
	}
	if r.URL.Query().Get("from") == "review" {
		return rq.redirect("/review?flash=saved")
	}
	return rq.redirect(pageURL(pv.Code, pv.DocumentID, n, "") + "?" + url.Values{"flash": {"saved"}}.Encode())
}
