package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"hoso/archive"
	"hoso/auth"
	"hoso/domain"
)

// Correction is a person's text of a page.
type Correction struct {
	Text string `json:"text"`
	// Base, when set, is the id of the text the correction was made from
	// (PageView.TextID); when the page's current text is another one by
	// then, the correction fails with ErrConflict instead of replacing a
	// text its author has not seen.
	Base string `json:"base,omitempty"`
}

// MaxCorrectionBytes bounds a corrected page text.
const MaxCorrectionBytes = 256 << 10

// CorrectPage stores text as a new version of page n's text (permission
// CorrectText) and makes it current: a new OCRResult with source
// "correction" and a fresh id ("corr-<nanos>") beside the machine text,
// which is never overwritten. Its words get boxes aligned from the text it
// corrects (see alignWords), so search hits still mark the scan. The page
// is flagged corrected (and no longer low-confidence: a person has read
// it), the manifest committed (retrying on version conflicts) and the
// dossier reindexed at once. Errors: ErrForbidden, ErrNotFound, ErrInvalid,
// ErrConflict, ErrAudit.
func (a *App) CorrectPage(ctx context.Context, who Actor, code, docID string, n int, c Correction) (*PageView, error) {
	if n < 1 {
		n = -1
	}
	ref, e, err := a.locate(ctx, who, auth.CorrectText, ActionCorrect, code, docID, n)
	if err != nil {
		return nil, err
	}
	text, err := checkCorrection(c.Text)
	if err == nil && c.Base != "" && c.Base != textID(ref.p.TextKey) {
		err = fmt.Errorf("%w: the page's text is now %s, not %s; reload and try again", ErrConflict, textID(ref.p.TextKey), c.Base)
	}
	if err != nil {
		e.Outcome, e.Detail = outcomeInvalid, err.Error()
		return nil, a.recordAfter(ctx, who, e, err)
	}
	res, err := a.correction(ctx, who, ref.p, text)
	if err != nil {
		return nil, err
	}
	sha := ref.doc.Original.SHA256
	id := corrPrefix + strconv.FormatInt(res.CreatedAt.UnixNano(), 10)
	e.Detail = fmt.Sprintf("text %s -> %s (%d bytes)", textID(ref.p.TextKey), id, len(text))
	if err := a.record(ctx, who, e); err != nil {
		return nil, err
	}
	key, err := a.arch.PutText(ctx, sha, n, id, res)
	if err != nil {
		a.failed(ctx, who, e, err)
		return nil, err
	}
	d, err := a.commitCorrection(ctx, who, ref, n, key, res, c.Base)
	if err != nil {
		a.failed(ctx, who, e, err)
		return nil, err
	}
	a.reindex(ctx, d)
	doc := d.Document(docID)
	p := &doc.Pages[n-1]
	return &PageView{Code: d.Code, DocumentID: doc.ID, PageSummary: summary(p), TextID: id, Current: true,
		Source: res.Source, CreatedAt: res.CreatedAt, CreatedBy: res.CreatedBy, Text: res.Text, Words: res.Words,
		TextVersions: textVersions(p)}, nil
}

func checkCorrection(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%w: text is not valid UTF-8", ErrInvalid)
	}
	s = normalizeText(norm.NFC.String(s))
	if len(s) > MaxCorrectionBytes {
		return "", fmt.Errorf("%w: text longer than %d bytes", ErrInvalid, MaxCorrectionBytes)
	}
	return s, nil
}

// correction builds the OCRResult of a corrected text of page p.
func (a *App) correction(ctx context.Context, who Actor, p *domain.Page, text string) (*domain.OCRResult, error) {
	base := &domain.OCRResult{Width: p.Width, Height: p.Height, DPI: p.DPI, Image: p.ImageKey, Lang: p.Lang}
	if p.TextKey != "" {
		b, err := a.arch.LoadText(ctx, p.TextKey)
		if err != nil {
			return nil, fmt.Errorf("load the text being corrected: %w", err)
		}
		base = b
	}
	flags := slices.DeleteFunc(slices.Clone(base.Flags), func(f string) bool {
		return f == domain.FlagLowConfidence || f == domain.FlagCorrected
	})
	return &domain.OCRResult{Source: "correction", Lang: base.Lang, Text: text, Words: alignWords(base.Words, text),
		MeanConfidence: 100, Width: base.Width, Height: base.Height, DPI: base.DPI, Image: base.Image,
		Flags: append(flags, domain.FlagCorrected), CreatedAt: time.Now().UTC(), CreatedBy: who.name()}, nil
}

// commitCorrection makes key the current text of page n and commits,
// reloading and reapplying on version conflicts.
func (a *App) commitCorrection(ctx context.Context, who Actor, ref *pageRef, n int, key string, res *domain.OCRResult, base string) (*domain.Dossier, error) {
	d := ref.d
	for attempt := 1; ; attempt++ {
		doc := d.Document(ref.doc.ID)
		if doc == nil || n > len(doc.Pages) || doc.Original.SHA256 != ref.doc.Original.SHA256 {
			return nil, fmt.Errorf("%w: the document changed meanwhile; reload and try again", ErrConflict)
		}
		p := &doc.Pages[n-1]
		if base != "" && textID(p.TextKey) != base {
			return nil, fmt.Errorf("%w: the page's text changed meanwhile; reload and try again", ErrConflict)
		}
		p.TextKey = key
		if !slices.Contains(p.TextVersions, key) {
			p.TextVersions = append(slices.Clone(p.TextVersions), key)
		}
		p.Flags = slices.DeleteFunc(slices.Clone(p.Flags), func(f string) bool {
			return f == domain.FlagLowConfidence || f == domain.FlagCorrected
		})
		p.Flags = append(p.Flags, domain.FlagCorrected)
		p.MeanConfidence, p.Text = res.MeanConfidence, res
		d.UpdatedBy = who.name()
		err := a.arch.Commit(ctx, d)
		if err == nil {
			return d, nil
		}
		if !errors.Is(err, archive.ErrVersionConflict) || attempt >= maxCommitAttempts {
			return nil, err
		}
		if d, err = a.arch.Load(ctx, d.Code); err != nil {
			return nil, err
		}
		if !who.User.Allows(d.Classification) || d.Document(ref.doc.ID) == nil || !who.User.Allows(d.Effective(d.Document(ref.doc.ID))) {
			return nil, ErrNotFound
		}
	}
}
