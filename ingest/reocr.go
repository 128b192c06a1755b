package ingest

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"hoso/domain"
)

// Reocr runs OCR again over the stored originals of a dossier's documents
// (all, or the one with id docID) with the pipeline's language, even when a
// result for the same settings exists. Each page's earlier text stays as a
// version; the new text becomes current unless a person corrected the page.
// The dossier is committed and handed to the indexer.
func (p *Pipeline) Reocr(ctx context.Context, code, docID string) (*domain.Dossier, error) {
	arch := p.cfg.Archive
	d, err := arch.Load(ctx, code)
	if err != nil {
		return nil, err
	}
	spec := &Spec{Source: "reocr", Dossier: *d}
	spec.Dossier.Documents = nil
	settings := fmt.Sprintf("%s-r%d", p.cfg.OCR.SettingsID(p.cfg.Lang), time.Now().UnixNano())
	var results []*fileResult
	for _, doc := range d.Documents {
		if docID != "" && doc.ID != docID {
			continue
		}
		r, err := p.reocrDocument(ctx, d.Code, doc, settings)
		if err != nil {
			return nil, fmt.Errorf("reocr %s document %s: %w", d.Code, doc.ID, err)
		}
		results = append(results, r)
	}
	if len(results) == 0 {
		return nil, fmt.Errorf("dossier %s has no document %q", d.Code, docID)
	}
	out, _, err := p.commit(ctx, spec, results)
	return out, err
}

func (p *Pipeline) reocrDocument(ctx context.Context, code string, doc domain.Document, settings string) (*fileResult, error) {
	tmp, err := os.CreateTemp("", "hoso-reocr-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	rc, _, err := p.cfg.Archive.Store().Get(ctx, doc.Original.Key)
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(tmp, rc) // verifies the original's checksum
	rc.Close()
	if err != nil {
		return nil, fmt.Errorf("read original %s: %w", doc.Original.Key, err)
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	fs := FileSpec{Path: tmp.Name(), Kind: doc.Kind, Title: doc.Title, Date: doc.Date, Classification: doc.Classification, Listed: true}
	r, err := p.processFile(ctx, code, fs, settings)
	if err != nil {
		return nil, err
	}
	r.Doc.Original = doc.Original
	r.Spec.Path = doc.Original.Filename
	return r, nil
}
