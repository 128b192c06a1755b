package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"hoso/archive"
	"hoso/domain"
)

// commit merges the processed files into the dossier's current manifest and
// commits it when anything changed, retrying when another writer committed
// in between. It then hands the dossier to the indexer.
func (p *Pipeline) commit(ctx context.Context, spec *Spec, results []*fileResult) (*domain.Dossier, bool, error) {
	arch := p.cfg.Archive
	for attempt := 0; ; attempt++ {
		cur, err := arch.Load(ctx, spec.Dossier.Code)
		if errors.Is(err, archive.ErrNoDossier) {
			cur = nil
		} else if err != nil {
			return nil, false, err
		}
		d, changed, err := merge(cur, spec, results)
		if err != nil {
			return nil, false, err
		}
		if !changed {
			return d, false, nil
		}
		if len(d.Documents) == 0 {
			return nil, false, errors.New("no file of the dossier could be ingested")
		}
		d.UpdatedBy = p.cfg.User
		err = arch.Commit(ctx, d)
		if errors.Is(err, archive.ErrVersionConflict) && attempt < 10 {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		if p.cfg.Indexer != nil {
			if err := FillTexts(ctx, arch, d, results); err != nil {
				return nil, false, fmt.Errorf("load texts for the index: %w", err)
			}
			if err := p.cfg.Indexer.IndexDossier(ctx, d); err != nil {
				// The store is the truth: the index catches up from the journal.
				p.cfg.Logger.Warn("index dossier", "dossier", d.Code, "err", err)
			}
		}
		return d, true, nil
	}
}

// FillTexts sets Page.Text of every page of d, from results where a page was
// just processed and from the store otherwise.
func FillTexts(ctx context.Context, arch *archive.Archive, d *domain.Dossier, results []*fileResult) error {
	known := map[string]*domain.OCRResult{}
	for _, r := range results {
		if r == nil {
			continue
		}
		for _, pg := range r.Doc.Pages {
			if t := r.Texts[pg.Number]; t != nil {
				known[pg.TextKey] = t
			}
		}
	}
	for i := range d.Documents {
		for j := range d.Documents[i].Pages {
			pg := &d.Documents[i].Pages[j]
			if pg.Text != nil || pg.TextKey == "" {
				continue
			}
			if t := known[pg.TextKey]; t != nil {
				pg.Text = t
				continue
			}
			t, err := arch.LoadText(ctx, pg.TextKey)
			if err != nil {
				return err
			}
			pg.Text = t
		}
	}
	return nil
}

// merge applies spec and results to cur (nil for a new dossier) and reports
// whether the manifest changed. Documents are matched by original file name;
// documents not in results are kept. A person's text correction stays the
// current text of its page.
func merge(cur *domain.Dossier, spec *Spec, results []*fileResult) (*domain.Dossier, bool, error) {
	var d domain.Dossier
	if cur == nil {
		d = spec.Dossier
		d.Documents = nil
	} else if spec.KeepMetadata {
		d = *cur
		d.Documents = append([]domain.Document(nil), cur.Documents...)
	} else {
		d = *cur
		d.Documents = append([]domain.Document(nil), cur.Documents...)
		s, m := cur.Subject, spec.Dossier.Subject
		if s.FullName != m.FullName || (!s.BirthDate.IsZero() && !m.BirthDate.IsZero() && s.BirthDate != m.BirthDate) {
			return nil, false, fmt.Errorf("dossier %s is stored for %s (born %s); %s names %s (born %s)",
				cur.Code, s.FullName, s.BirthDate, spec.Source, m.FullName, m.BirthDate)
		}
		if m.BirthDate.IsZero() {
			m.BirthDate = s.BirthDate
		}
		d.Subject = m
		d.Unit, d.Classification = spec.Dossier.Unit, spec.Dossier.Classification
	}
	for _, r := range results {
		if r == nil {
			continue
		}
		i := findDocument(d.Documents, r.Doc.Original.Filename)
		if i < 0 {
			nd := r.Doc
			nd.ID = documentID(nd.Original.Filename, d.Documents)
			d.Documents = append(d.Documents, nd)
			continue
		}
		d.Documents[i] = mergeDocument(d.Documents[i], r)
	}
	if cur == nil {
		return &d, true, nil
	}
	return &d, !sameManifest(cur, &d), nil
}

func findDocument(docs []domain.Document, filename string) int {
	for i, doc := range docs {
		if doc.Original.Filename == filename {
			return i
		}
	}
	return -1
}

// mergeDocument updates an existing document from a new result for the same
// file name.
func mergeDocument(old domain.Document, r *fileResult) domain.Document {
	nd := old
	if r.Spec.Listed {
		nd.Kind, nd.Title, nd.Date, nd.Classification = r.Doc.Kind, r.Doc.Title, r.Doc.Date, r.Doc.Classification
	}
	if old.Original.SHA256 != r.Doc.Original.SHA256 || len(old.Pages) != len(r.Doc.Pages) {
		nd.Original, nd.Pages = r.Doc.Original, r.Doc.Pages // a new scan of the file
		return nd
	}
	nd.Pages = make([]domain.Page, len(old.Pages))
	for j, op := range old.Pages {
		np := r.Doc.Pages[j]
		page := op
		if !contains(op.TextVersions, np.TextKey) {
			page.TextVersions = append(append([]string(nil), op.TextVersions...), np.TextKey)
		}
		if !op.HasFlag(domain.FlagCorrected) && op.TextKey != np.TextKey {
			versions := page.TextVersions
			page = np
			page.TextVersions = versions
		}
		nd.Pages[j] = page
	}
	return nd
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

var idUnsafe = regexp.MustCompile(`[^a-z0-9._-]+`)

// documentID derives a readable, unique id from a file name.
func documentID(filename string, docs []domain.Document) string {
	base := strings.Trim(idUnsafe.ReplaceAllString(strings.ToLower(filename), "-"), "-.")
	if base == "" {
		base = "doc"
	}
	if len(base) > 60 {
		base = base[:60]
	}
	id := base
	for n := 2; ; n++ {
		taken := false
		for _, d := range docs {
			taken = taken || d.ID == id
		}
		if !taken {
			return id
		}
		id = fmt.Sprintf("%s-%d", base, n)
	}
}

// sameManifest compares the persisted content of two manifests, ignoring
// version and update stamps.
func sameManifest(a, b *domain.Dossier) bool {
	strip := func(d *domain.Dossier) string {
		c := *d
		c.Version, c.UpdatedAt, c.UpdatedBy, c.Schema = 0, time.Time{}, "", 0
		bs, _ := json.Marshal(&c)
		return string(bs)
	}
	return strip(a) == strip(b)
}
