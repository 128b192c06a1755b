package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"hoso/archive"
	"hoso/domain"
	"hoso/ingest/ocr"
	"hoso/internal/samples"
	"hoso/storage"
	"hoso/storage/faulty"
	"hoso/storage/fs"
)

// echoOCR recognizes every page as the same words, at once.
type echoOCR struct{}

func (echoOCR) Process(ctx context.Context, in ocr.Input) (*ocr.Result, error) {
	return &ocr.Result{Image: in.Image, OCR: domain.OCRResult{Source: "ocr", Text: "trang", MeanConfidence: 90}}, nil
}

func (echoOCR) SettingsID(string) string { return "ocr-echo" }

// TestFatalErrorReportsOnlyItsDossier: when the store fills up, the run
// stops with ErrNoSpace and only the dossier that hit it is reported
// failed; the dossiers stopped because the run stopped are not failures
// of their own (they were reported "context canceled", which buried the
// one error that matters). A rerun on a store with room completes.
func TestFatalErrorReportsOnlyItsDossier(t *testing.T) {
	in := t.TempDir()
	if _, err := samples.WriteBulk(in, samples.BulkOptions{Dossiers: 3, Pages: 6, Prefix: "HS-STOP"}); err != nil {
		t.Fatal(err)
	}
	specs, errs := Discover([]string{in})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	s, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f := faulty.New(s)
	full := fmt.Errorf("put: %w", storage.ErrNoSpace)
	f.FailNth(faulty.Put, 3, full)
	var mu sync.Mutex
	var failed []string
	ev := Events{DossierFailed: func(code string, err error) {
		mu.Lock()
		defer mu.Unlock()
		failed = append(failed, fmt.Sprintf("%s: %v", code, err))
	}}
	p, err := New(Config{Archive: archive.New(f), OCR: echoOCR{}, Workers: 2, Events: ev})
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.Run(context.Background(), specs)
	if !errors.Is(err, storage.ErrNoSpace) {
		t.Fatalf("run on a full store: %v", err)
	}
	if len(failed) != 1 || st.DossiersFailed != 1 {
		t.Errorf("dossiers reported failed: %d %q, want only the one that hit the full store", st.DossiersFailed, failed)
	}
	p2, _ := New(Config{Archive: archive.New(s), OCR: echoOCR{}, Workers: 2})
	if st, err := p2.Run(context.Background(), specs); err != nil || st.Dossiers != 3 {
		t.Errorf("rerun: %+v %v", st, err)
	}
}
