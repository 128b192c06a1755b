package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"hoso/archive"
	"hoso/domain"
	"hoso/ingest/decode"
	"hoso/ingest/ocr"
	"hoso/ingest/prep"
	"hoso/storage"
)

// fileResult is one file made into a document (not yet merged).
type fileResult struct {
	Spec  FileSpec
	Doc   domain.Document
	Texts map[int]*domain.OCRResult // page number -> text, for the indexer
}

// processFile stores the original and every page of one file and returns
// the document. settingsID overrides the recognizer's (re-OCR); "" uses it.
func (p *Pipeline) processFile(ctx context.Context, code string, f FileSpec, settingsID string) (*fileResult, error) {
	arch := p.cfg.Archive
	if settingsID == "" {
		settingsID = p.cfg.OCR.SettingsID(p.cfg.Lang)
	}
	if name := f.FileName(); hasControl(name) {
		// it would become the document's name, printed on terminals and
		// pages: refuse it rather than store escape sequences
		return nil, fmt.Errorf("file name %q has control characters: rename the file", name)
	}
	sha, size, err := hashFile(f.Path, p.cfg.Limits.MaxFileBytes)
	if err != nil {
		return nil, err
	}
	res := &fileResult{Spec: f, Texts: map[int]*domain.OCRResult{}}
	res.Doc = domain.Document{Kind: f.Kind, Title: f.Title, Date: f.Date, Classification: f.Classification,
		Original: domain.Original{Key: archive.OriginalKey(sha), SHA256: sha, Size: size, Filename: f.FileName()}}
	if res.Doc.Title == "" {
		res.Doc.Title = res.Doc.Original.Filename
	}
	// The same bytes with the same settings were done before: no decoding.
	if run, err := arch.LoadRun(ctx, sha, settingsID); err != nil {
		return nil, err
	} else if run != nil {
		if ok, err := arch.Exists(ctx, res.Doc.Original.Key); err != nil {
			return nil, err
		} else if ok {
			info, err := arch.Store().Stat(ctx, res.Doc.Original.Key)
			if err != nil {
				return nil, err
			}
			res.Doc.Original.MediaType = info.ContentType
			res.Doc.Pages = run.Pages
			p.reportPages(code, len(run.Pages), true)
			return res, nil
		}
	}
	doc, err := decode.Open(f.Path, p.cfg.Limits)
	if err != nil {
		return nil, err
	}
	defer doc.Close()
	res.Doc.Original.MediaType = doc.MediaType
	if err := p.putOriginal(ctx, f.Path, sha, size, doc.MediaType); err != nil {
		return nil, err
	}
	if e := p.cfg.Events.Pages; e != nil {
		e(doc.NumPages)
	}
	pages, err := p.processPages(ctx, code, doc, sha, settingsID, res)
	if err != nil {
		return nil, err
	}
	res.Doc.Pages = pages
	if err := arch.PutRun(ctx, &archive.Run{SHA256: sha, SettingsID: settingsID, Pages: pages, CreatedAt: time.Now().UTC()}); err != nil {
		return nil, err
	}
	return res, nil
}

func (p *Pipeline) reportPages(code string, n int, reused bool) {
	if e := p.cfg.Events.Pages; e != nil {
		e(n)
	}
	p.count(func(s *Stats) { s.PagesReused += n })
	if e := p.cfg.Events.PageDone; e != nil {
		for range n {
			e(code, reused)
		}
	}
}

// processPages decodes pages in order and processes each on the shared
// page pool. Pages finish in any order; the result is in page order.
func (p *Pipeline) processPages(ctx context.Context, code string, doc *decode.Doc, sha, settingsID string, res *fileResult) ([]domain.Page, error) {
	var (
		mu    sync.Mutex
		pages = map[int]domain.Page{}
	)
	g, gctx := errgroup.WithContext(ctx)
	err := doc.Pages(gctx, func(pg decode.Page) error {
		select {
		case p.pageSem <- struct{}{}:
		case <-gctx.Done():
			return gctx.Err()
		}
		g.Go(func() error {
			defer func() { <-p.pageSem }()
			page, text, reused, err := p.processPage(gctx, pg, sha, settingsID, res.Spec.Path)
			if err != nil {
				return err
			}
			mu.Lock()
			pages[pg.Number] = page
			res.Texts[pg.Number] = text
			mu.Unlock()
			if e := p.cfg.Events.PageDone; e != nil {
				e(code, reused)
			}
			return nil
		})
		return nil
	})
	if werr := g.Wait(); werr != nil && (err == nil || errors.Is(err, context.Canceled)) {
		err = werr
	}
	if err != nil {
		return nil, err
	}
	out := make([]domain.Page, len(pages))
	for n, pg := range pages {
		if n < 1 || n > len(out) {
			return nil, fmt.Errorf("%s: page %d of %d", res.Spec.Path, n, len(out))
		}
		out[n-1] = pg
	}
	if len(out) == 0 {
		return nil, &decode.Error{File: res.Spec.Path, Err: decode.ErrNoPages}
	}
	return out, nil
}

// processPage stores one page's image and text, reusing a stored text for
// the same settings (a resumed run).
func (p *Pipeline) processPage(ctx context.Context, pg decode.Page, sha, settingsID, file string) (domain.Page, *domain.OCRResult, bool, error) {
	arch := p.cfg.Archive
	textKey := archive.TextKey(sha, pg.Number, settingsID)
	if ok, err := arch.Exists(ctx, textKey); err != nil {
		return domain.Page{}, nil, false, err
	} else if ok {
		r, err := arch.LoadText(ctx, textKey)
		if err == nil && r.Image != "" {
			if ok, err := arch.Exists(ctx, r.Image); err == nil && ok {
				p.count(func(s *Stats) { s.PagesReused++ })
				return pageSummary(pg.Number, textKey, r), r, true, nil
			}
		}
	}
	label := fmt.Sprintf("%s page %d", file, pg.Number)
	var (
		r   *domain.OCRResult
		img = pg.Image
	)
	switch {
	case pg.Text != nil:
		r = &domain.OCRResult{Source: "text-layer", Text: pg.Text.Text, Words: pg.Text.Words, MeanConfidence: 100, DPI: pg.DPI, Flags: []string{domain.FlagTextLayer}}
		p.count(func(s *Stats) { s.PagesTextLayer++ })
	default:
		pp, err := prep.Prepare(pg.Image, pg.DPI, p.cfg.Prep)
		if err != nil {
			return domain.Page{}, nil, false, fmt.Errorf("prepare %s: %w", label, err)
		}
		img = pp.Image
		if pp.Blank {
			r = &domain.OCRResult{Source: "blank", DPI: pp.DPI, Flags: pp.Flags}
			p.count(func(s *Stats) { s.PagesBlank++ })
			break
		}
		out, err := p.cfg.OCR.Process(ctx, ocr.Input{Image: pp.Image, DPI: pp.DPI, Lang: p.cfg.Lang, Label: label})
		if err != nil {
			return domain.Page{}, nil, false, err
		}
		img = out.Image
		ocrRes := out.OCR
		r = &ocrRes
		r.DPI = pp.DPI
		r.Flags = append(append([]string(nil), pp.Flags...), out.Flags...)
		p.count(func(s *Stats) { s.PagesOCR++ })
	}
	if pg.Orientation > 1 {
		r.Flags = append(r.Flags, domain.FlagOrientationTag)
	}
	enc, ext, err := prep.Encode(img)
	if err != nil {
		return domain.Page{}, nil, false, fmt.Errorf("encode %s: %w", label, err)
	}
	imgKey, err := arch.PutPageImage(ctx, sha, pg.Number, ext, enc)
	if err != nil {
		return domain.Page{}, nil, false, err
	}
	b := img.Bounds()
	r.Image, r.Width, r.Height = imgKey, b.Dx(), b.Dy()
	r.CreatedAt = time.Now().UTC()
	r.CreatedBy = p.cfg.User
	if _, err := arch.PutText(ctx, sha, pg.Number, settingsID, r); errors.Is(err, storage.ErrConflict) {
		// Another ingest of the same bytes with the same settings stored
		// this page first: its result is the page's text.
		if r, err = arch.LoadText(ctx, textKey); err != nil {
			return domain.Page{}, nil, false, err
		}
	} else if err != nil {
		return domain.Page{}, nil, false, err
	}
	return pageSummary(pg.Number, textKey, r), r, false, nil
}

// pageSummary is the manifest's view of a page whose current text is r.
func pageSummary(n int, textKey string, r *domain.OCRResult) domain.Page {
	return domain.Page{Number: n, ImageKey: r.Image, Width: r.Width, Height: r.Height, DPI: r.DPI,
		TextKey: textKey, TextVersions: []string{textKey}, MeanConfidence: r.MeanConfidence, Lang: r.Lang,
		Flags: append([]string(nil), r.Flags...), Text: r}
}

// putOriginal stores the file as the original with this digest (a no-op if
// stored already).
func (p *Pipeline) putOriginal(ctx context.Context, path, sha string, size int64, mediaType string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = p.cfg.Archive.PutOriginal(ctx, f, size, sha, mediaType)
	return err
}

// hasControl reports whether s holds a control character (C0, DEL or C1)
// or invalid UTF-8.
func hasControl(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) {
			return true
		}
	}
	return false
}

// hashFile returns the SHA-256 and size of a file, refusing files over max.
func hashFile(path string, max int64) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	if !st.Mode().IsRegular() {
		return "", 0, fmt.Errorf("%s: not a regular file", path)
	}
	if st.Size() > max {
		return "", 0, &decode.Error{File: path, Err: decode.ErrTooLarge, Detail: fmt.Sprintf("%d bytes, limit %d", st.Size(), max)}
	}
	h := storage.NewHashingReader(f)
	if _, err := io.Copy(io.Discard, h); err != nil {
		return "", 0, fmt.Errorf("read %s: %w", path, err)
	}
	return h.SHA256(), h.N, nil
}
