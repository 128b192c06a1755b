package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"hoso/auth"
	"hoso/domain"
	"hoso/storage"
)

// DossierView is a dossier as a user may see it: metadata, and the
// documents the user is cleared for with their pages' summaries. It holds no
// page text.
type DossierView struct {
	Code           string                `json:"code"`
	Subject        Subject               `json:"subject"`
	Unit           string                `json:"unit,omitempty"`
	Classification domain.Classification `json:"classification"`
	Version        int                   `json:"version"`
	UpdatedAt      time.Time             `json:"updated_at"`
	UpdatedBy      string                `json:"updated_by,omitempty"`
	Documents      []DocumentView        `json:"documents"`
}

// Subject is the person a dossier is about.
type Subject struct {
	FullName  string      `json:"full_name"`
	BirthDate domain.Date `json:"birth_date,omitzero"`
	Hometown  string      `json:"hometown,omitempty"`
}

func subjectOf(s domain.Subject) Subject {
	return Subject{FullName: s.FullName, BirthDate: s.BirthDate, Hometown: s.Hometown}
}

func (s Subject) domain() domain.Subject {
	return domain.Subject{FullName: s.FullName, BirthDate: s.BirthDate, Hometown: s.Hometown}
}

// DocumentView is one document of a DossierView.
type DocumentView struct {
	ID    string              `json:"id"`
	Kind  domain.DocumentKind `json:"kind"`
	Title string              `json:"title,omitempty"`
	Date  domain.Date         `json:"date,omitzero"`
	// Classification is the document's own level ("" = the dossier's);
	// Effective is the stricter of the two, which governs access.
	Classification domain.Classification `json:"classification,omitempty"`
	Effective      domain.Classification `json:"effective_classification"`
	Original       OriginalView          `json:"original"`
	Pages          []PageSummary         `json:"pages"`
}

// OriginalView describes a document's original file.
type OriginalView struct {
	Filename  string `json:"filename"`
	Size      int64  `json:"size"`
	MediaType string `json:"media_type"`
	SHA256    string `json:"sha256"`
}

// PageSummary is a page without its text.
type PageSummary struct {
	Number         int      `json:"number"`
	Width          int      `json:"width"`
	Height         int      `json:"height"`
	DPI            float64  `json:"dpi,omitempty"`
	MeanConfidence float64  `json:"mean_confidence"`
	Lang           string   `json:"lang,omitempty"`
	Flags          []string `json:"flags"`
	TextVersions   int      `json:"text_versions"`
}

// PageView is one page with its text and word boxes.
type PageView struct {
	Code       string `json:"code"`
	DocumentID string `json:"document_id"`
	PageSummary
	// TextID names the text shown; Current says whether it is the page's
	// current text.
	TextID       string        `json:"text_id"`
	Current      bool          `json:"current"`
	Source       string        `json:"source"`
	CreatedAt    time.Time     `json:"created_at"`
	CreatedBy    string        `json:"created_by,omitempty"`
	Text         string        `json:"text"`
	Words        []domain.Word `json:"words"`
	TextVersions []TextVersion `json:"versions"`
}

// TextVersion is one stored text of a page: a machine OCR run, a PDF text
// layer, or a person's correction.
type TextVersion struct {
	ID      string `json:"id"`
	Source  string `json:"source"` // "correction" or "machine"
	Current bool   `json:"current"`
}

// textID returns the id of the OCRResult stored under key (the file name
// without ".json"; see archive.TextKey).
func textID(key string) string { return strings.TrimSuffix(path.Base(key), ".json") }

// corrPrefix starts the text id of a correction.
const corrPrefix = "corr-"

func textVersions(p *domain.Page) []TextVersion {
	out := make([]TextVersion, 0, len(p.TextVersions))
	for _, k := range p.TextVersions {
		id := textID(k)
		src := "machine"
		if strings.HasPrefix(id, corrPrefix) {
			src = "correction"
		}
		out = append(out, TextVersion{ID: id, Source: src, Current: k == p.TextKey})
	}
	return out
}

func summary(p *domain.Page) PageSummary {
	return PageSummary{Number: p.Number, Width: p.Width, Height: p.Height, DPI: p.DPI, MeanConfidence: p.MeanConfidence,
		Lang: p.Lang, Flags: append([]string{}, p.Flags...), TextVersions: len(p.TextVersions)}
}

// viewOf returns the parts of d who may see.
func viewOf(who Actor, d *domain.Dossier) *DossierView {
	v := &DossierView{Code: d.Code, Subject: subjectOf(d.Subject), Unit: d.Unit, Classification: d.Classification, Version: d.Version,
		UpdatedAt: d.UpdatedAt, UpdatedBy: d.UpdatedBy, Documents: []DocumentView{}}
	for i := range d.Documents {
		doc := &d.Documents[i]
		eff := d.Effective(doc)
		if !who.User.Allows(eff) {
			continue
		}
		dv := DocumentView{ID: doc.ID, Kind: doc.Kind, Title: doc.Title, Date: doc.Date, Classification: doc.Classification,
			Effective: eff, Pages: make([]PageSummary, 0, len(doc.Pages)),
			Original: OriginalView{Filename: doc.Original.Filename, Size: doc.Original.Size, MediaType: doc.Original.MediaType, SHA256: doc.Original.SHA256}}
		for j := range doc.Pages {
			dv.Pages = append(dv.Pages, summary(&doc.Pages[j]))
		}
		v.Documents = append(v.Documents, dv)
	}
	return v
}

// Dossier returns the dossier with this code as who may see it (permission
// View). Errors: ErrForbidden, ErrNotFound (missing or above clearance),
// ErrAudit.
func (a *App) Dossier(ctx context.Context, who Actor, code string) (*DossierView, error) {
	e := auditEvent{Action: ActionDossierView, Target: code}
	if err := require(who, auth.View); err != nil {
		return nil, a.denied(ctx, who, e.Action, e.Target, err)
	}
	d, outcome, err := a.loadVisible(ctx, who, code)
	if err != nil {
		e.Outcome = outcome
		return nil, a.recordAfter(ctx, who, e, err)
	}
	e.Target, e.Dossier, e.Outcome = d.Code, d.Code, outcomeOK
	if err := a.record(ctx, who, e); err != nil {
		return nil, err
	}
	return viewOf(who, d), nil
}

// pageRef is a located page: the dossier, document and page after the
// permission and clearance checks.
type pageRef struct {
	d   *domain.Dossier
	doc *domain.Document
	p   *domain.Page
}

// locate finds page n of document docID of dossier code for who, auditing
// a refusal as action. The caller audits success.
func (a *App) locate(ctx context.Context, who Actor, perm auth.Permission, action, code, docID string, n int) (*pageRef, auditEvent, error) {
	e := auditEvent{Action: action, Target: pageTarget(code, docID, n)}
	if err := require(who, perm); err != nil {
		return nil, e, a.denied(ctx, who, e.Action, e.Target, err)
	}
	d, outcome, err := a.loadVisible(ctx, who, code)
	if err != nil {
		e.Outcome = outcome
		return nil, e, a.recordAfter(ctx, who, e, err)
	}
	e.Dossier = d.Code
	e.Target = pageTarget(d.Code, docID, n)
	doc, outcome, err := visibleDocument(who, d, docID)
	if err != nil {
		e.Outcome = outcome
		return nil, e, a.recordAfter(ctx, who, e, err)
	}
	ref := &pageRef{d: d, doc: doc}
	if n != 0 { // 0: the document itself
		if ref.p, err = pageOf(doc, n); err != nil {
			e.Outcome = outcomeNotFound
			return nil, e, a.recordAfter(ctx, who, e, err)
		}
	}
	e.Outcome = outcomeOK
	return ref, e, nil
}

func pageTarget(code, docID string, n int) string {
	if n == 0 {
		return code + "/" + docID
	}
	return code + "/" + docID + "/p" + strconv.Itoa(n)
}

var textIDRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,80}$`)

// Page returns page n of a document with its text and words (permission
// View). version picks a stored text by its id ("" = the current text).
// Errors: ErrForbidden, ErrNotFound (also for an unknown version), ErrAudit.
func (a *App) Page(ctx context.Context, who Actor, code, docID string, n int, version string) (*PageView, error) {
	if n < 1 {
		n = -1 // never a document
	}
	ref, e, err := a.locate(ctx, who, auth.View, ActionPageView, code, docID, n)
	if err != nil {
		return nil, err
	}
	key := ref.p.TextKey
	if version != "" {
		key = ""
		for _, k := range ref.p.TextVersions {
			if textIDRE.MatchString(version) && textID(k) == version {
				key = k
			}
		}
		if key == "" {
			e.Outcome, e.Detail = outcomeNotFound, "version "+version
			return nil, a.recordAfter(ctx, who, e, ErrNotFound)
		}
		e.Detail = "version " + version
	}
	if err := a.record(ctx, who, e); err != nil {
		return nil, err
	}
	v := &PageView{Code: ref.d.Code, DocumentID: ref.doc.ID, PageSummary: summary(ref.p), TextID: textID(key),
		Current: key == ref.p.TextKey, Words: []domain.Word{}, TextVersions: textVersions(ref.p)}
	if key == "" {
		return v, nil
	}
	res, err := a.arch.LoadText(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("load text of %s: %w", e.Target, err)
	}
	v.Source, v.CreatedAt, v.CreatedBy, v.Text = res.Source, res.CreatedAt, res.CreatedBy, res.Text
	if res.Words != nil {
		v.Words = res.Words
	}
	return v, nil
}

// Object is a stored file opened for reading. Close it.
type Object struct {
	io.ReadCloser
	Size        int64
	ContentType string
	Filename    string // a safe file name for Content-Disposition (originals)
}

// PageImage opens the image of page n (permission View). The reader
// verifies the image's checksum as it is read. Errors as Page.
func (a *App) PageImage(ctx context.Context, who Actor, code, docID string, n int) (*Object, error) {
	if n < 1 {
		n = -1
	}
	ref, e, err := a.locate(ctx, who, auth.View, ActionImageView, code, docID, n)
	if err != nil {
		return nil, err
	}
	if err := a.record(ctx, who, e); err != nil {
		return nil, err
	}
	rc, info, err := a.arch.Store().Get(ctx, ref.p.ImageKey)
	if err != nil {
		return nil, fmt.Errorf("open image of %s: %w", e.Target, err)
	}
	ct := info.ContentType
	if ct != "image/png" && ct != "image/jpeg" {
		ct = "application/octet-stream"
	}
	return &Object{ReadCloser: rc, Size: info.Size, ContentType: ct}, nil
}

// Original opens a document's original file as uploaded (permission
// Download: archivists and admins). Errors as Page.
func (a *App) Original(ctx context.Context, who Actor, code, docID string) (*Object, error) {
	ref, e, err := a.locate(ctx, who, auth.Download, ActionDownload, code, docID, 0)
	if err != nil {
		return nil, err
	}
	e.Detail = fmt.Sprintf("%s (%d bytes)", ref.doc.Original.Filename, ref.doc.Original.Size)
	if err := a.record(ctx, who, e); err != nil {
		return nil, err
	}
	rc, info, err := a.arch.Store().Get(ctx, ref.doc.Original.Key)
	if errors.Is(err, storage.ErrNotExist) {
		return nil, fmt.Errorf("original of %s is missing from the store: %w", e.Target, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open original of %s: %w", e.Target, err)
	}
	ct := ref.doc.Original.MediaType
	if !slices.Contains(originalTypes, ct) {
		ct = "application/octet-stream"
	}
	return &Object{ReadCloser: rc, Size: info.Size, ContentType: ct, Filename: SafeFilename(ref.doc.Original.Filename, ref.doc.ID)}, nil
}

// originalTypes are the media types an original is served as; anything
// else is application/octet-stream.
var originalTypes = []string{"application/pdf", "image/tiff", "image/jpeg", "image/png"}

// SafeFilename returns name reduced to a file name safe in a
// Content-Disposition header and on any file system: the last path
// element, without control characters, quotes, or characters Windows
// refuses, at most 150 bytes; fallback when nothing is left.
func SafeFilename(name, fallback string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || strings.ContainsRune(`"<>:|?*;`, r) { // C0, DEL and C1 (U+009B is an escape to terminals)
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	name = strings.Trim(strings.TrimSpace(name), ".")
	for len(name) > 150 {
		_, size := lastRune(name)
		name = name[:len(name)-size]
	}
	if name == "" {
		return fallback
	}
	return name
}

func lastRune(s string) (rune, int) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i]&0xC0 != 0x80 {
			return rune(s[i]), len(s) - i
		}
	}
	return 0, len(s)
}
