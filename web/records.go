package web

import (
	"cmp"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"hoso/auth"
	"hoso/domain"
	"hoso/index/qparse"
	"hoso/server"
)

type dossierData struct {
	D         *server.DossierView
	PersonURL string
	Pages     int
	CanUpload bool
}

func (h *Handler) dossier(rq *request) error {
	v, err := h.app.Dossier(rq.r.Context(), rq.who, rq.r.PathValue("code"))
	if err != nil {
		return err
	}
	d := dossierData{D: v, PersonURL: personURL(v.Subject.FullName, asDate(v.Subject.BirthDate.Time)), CanUpload: rq.can(auth.Upload)}
	for _, doc := range v.Documents {
		d.Pages += len(doc.Pages)
	}
	return rq.render(http.StatusOK, "dossier", v.Subject.FullName+" · "+v.Code, "search", d)
}

// personData is every dossier and document of one person.
type personData struct {
	Name     string
	Born     domain.Date
	Dossiers []*server.DossierView
	Events   []timelineEntry
	// More is true when the search found more dossiers than are shown.
	More bool
}

type timelineEntry struct {
	Date    domain.Date
	Code    string
	Doc     server.DocumentView
	FirstPg string // the page view of its first page
}

// maxPersonDossiers bounds the dossiers of one person shown.
const maxPersonDossiers = 50

// person shows the dossiers whose subject has exactly this full name and
// birth date: found by search (so within the user's clearance), each read
// with App.Dossier (audited as a view).
func (h *Handler) person(rq *request) error {
	ctx := rq.r.Context()
	q := rq.r.URL.Query()
	name := strings.TrimSpace(strings.ReplaceAll(q.Get("name"), `"`, ""))
	d := &personData{Name: name}
	if name == "" {
		return server.ErrNotFound
	}
	query := `name:"` + name + `"`
	if b := q.Get("born"); b != "" {
		born, err := domain.ParseDate(b)
		if err != nil {
			return server.ErrNotFound
		}
		d.Born = born
		query += " born:" + born.String()
	}
	res, err := h.app.Search(ctx, rq.who, server.SearchRequest{Query: query, Limit: maxPersonDossiers, HitsPerDossier: 1, Sort: "code"})
	if err != nil {
		return err
	}
	d.More = res.Total > len(res.Dossiers)
	for _, sd := range res.Dossiers {
		if !samePerson(sd.Subject, name) {
			continue
		}
		v, err := h.app.Dossier(ctx, rq.who, sd.Code)
		if err != nil {
			continue // gone or raised meanwhile: not shown
		}
		if !samePerson(v.Subject.FullName, name) || asDate(v.Subject.BirthDate.Time) != d.Born {
			continue
		}
		d.Dossiers = append(d.Dossiers, v)
		for _, doc := range v.Documents {
			e := timelineEntry{Date: asDate(doc.Date.Time), Code: v.Code, Doc: doc}
			if len(doc.Pages) > 0 {
				e.FirstPg = pageURL(v.Code, doc.ID, 1, "")
			}
			d.Events = append(d.Events, e)
		}
	}
	// By document date; undated documents last, then by dossier and id.
	slices.SortStableFunc(d.Events, func(a, b timelineEntry) int {
		if a.Date.IsZero() != b.Date.IsZero() {
			if a.Date.IsZero() {
				return 1
			}
			return -1
		}
		return cmp.Or(a.Date.Compare(b.Date.Time), strings.Compare(a.Code, b.Code), strings.Compare(a.Doc.ID, b.Doc.ID))
	})
	return rq.render(http.StatusOK, "person", name, "search", d)
}

// asDate is a domain.Date of t (server's dates select .Time the same way
// whether they are domain.Date or wrap it).
func asDate(t time.Time) domain.Date { return domain.Date{Time: t} }

// samePerson compares full names as people write them: case and spacing
// do not matter, diacritics do.
func samePerson(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}

// pageNumber parses the {n} of a page route; anything else is not found.
func pageNumber(r *http.Request) (int, error) {
	s := r.PathValue("n")
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 999999 || strconv.Itoa(n) != s {
		return 0, server.ErrNotFound
	}
	return n, nil
}

// serveObject streams an object App opened. A read error midway (a
// checksum mismatch) aborts the response, so a truncated file is never
// taken for whole.
func (h *Handler) serveObject(rq *request, obj *server.Object, attachment bool) error {
	defer obj.Close()
	hd := rq.w.Header()
	hd.Set("Content-Type", obj.ContentType)
	hd.Set("Content-Length", strconv.FormatInt(obj.Size, 10))
	if attachment {
		hd.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": obj.Filename}))
	}
	rq.w.WriteHeader(http.StatusOK)
	if rq.r.Method == http.MethodHead {
		return nil
	}
	if _, err := io.Copy(rq.w, obj); err != nil {
		h.log.Error("stream object", "path", rq.r.URL.Path, "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

func (h *Handler) pageImage(rq *request) error {
	n, err := pageNumber(rq.r)
	if err != nil {
		return err
	}
	obj, err := h.app.PageImage(rq.r.Context(), rq.who, rq.r.PathValue("code"), rq.r.PathValue("doc"), n)
	if err != nil {
		return err
	}
	return h.serveObject(rq, obj, false)
}

func (h *Handler) original(rq *request) error {
	obj, err := h.app.Original(rq.r.Context(), rq.who, rq.r.PathValue("code"), rq.r.PathValue("doc"))
	if err != nil {
		return err
	}
	return h.serveObject(rq, obj, true)
}

// validQuery reports whether q parses, so that a page view given a broken
// ?q= shows the page without hits instead of an error.
func validQuery(q string) bool {
	_, err := qparse.Parse(q)
	return err == nil
}
