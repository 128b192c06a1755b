package ocr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"hoso/internal/fixtures"
)

func TestThreadLimitSet(t *testing.T) {
	// TestMain called EnsureThreadLimit, which re-executed the test binary
	// with the variable when it was missing.
	if os.Getenv(ThreadLimitEnv) == "" {
		t.Fatalf("%s unset after EnsureThreadLimit", ThreadLimitEnv)
	}
}

func TestCancel(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Workers = 1
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	img := render(t, docLines(3, 12), fixtures.PageOptions{DPI: 200})

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Process(ctx, Input{Image: img, Label: "p1"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled before: %v", err)
	}

	// Cancelled while Tesseract works: Process returns at once.
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	t0 := time.Now()
	_, err = p.Process(ctx, Input{Image: img, Label: "p2"})
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "ocr p2: ") {
		t.Fatalf("cancelled during: %v", err)
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("Process returned %v after cancellation", d)
	}

	// Waiting for a busy worker ends with the deadline.
	done := make(chan error, 1)
	go func() {
		_, err := p.Process(context.Background(), Input{Image: img})
		done <- err
	}()
	time.Sleep(50 * time.Millisecond) // let it take the worker
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := p.Process(ctx, Input{Image: img}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting for a worker: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The pool still works.
	res, err := p.Process(context.Background(), Input{Image: img, DPI: 200})
	if err != nil || !strings.Contains(res.OCR.Text, "CỘNG HÒA") {
		t.Fatalf("after cancellations: %v", err)
	}
}

// TestConcurrent sends pages from several goroutines into a two-worker pool;
// run with -race.
func TestConcurrent(t *testing.T) {
	p := shared(t)
	const goroutines, pages = 4, 2
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*pages)
	for g := 0; g < goroutines; g++ {
		lines := docLines(uint64(20+g), 4)
		img := render(t, lines, fixtures.PageOptions{DPI: 150})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < pages; i++ {
				res, err := p.Process(context.Background(), Input{Image: img, DPI: 150, Label: fmt.Sprintf("g%d-%d", g, i)})
				if err != nil {
					errs <- err
					continue
				}
				if !strings.Contains(res.OCR.Text, "Độc lập") {
					errs <- fmt.Errorf("g%d-%d: text %q", g, i, res.OCR.Text)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// recorder keeps the messages of the records it handles.
type recorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, rec.Message)
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

func (r *recorder) count(substr string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.msgs {
		if strings.Contains(m, substr) {
			n++
		}
	}
	return n
}

func TestRecycle(t *testing.T) {
	rec := &recorder{}
	cfg := DefaultConfig()
	cfg.Workers, cfg.RecycleAfter, cfg.Logger = 1, 2, slog.New(rec)
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	img := render(t, vietLines[:3], fixtures.PageOptions{DPI: 150})
	for i := 0; i < 5; i++ {
		res, err := p.Process(context.Background(), Input{Image: img, DPI: 150})
		if err != nil {
			t.Fatalf("page %d: %v", i+1, err)
		}
		if !strings.Contains(res.OCR.Text, "Nguyễn") {
			t.Fatalf("page %d: %q", i+1, res.OCR.Text)
		}
	}
	// Pages 1-2 on the first client, 3-4 on the second, 5 on the third.
	if n := rec.count("recycling"); n != 2 {
		t.Fatalf("%d recycles over 5 pages with RecycleAfter=2, want 2", n)
	}
}

func TestClose(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Workers = 1
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	img := render(t, vietLines[:2], fixtures.PageOptions{DPI: 150})
	done := make(chan error, 1)
	go func() {
		_, err := p.Process(context.Background(), Input{Image: img, DPI: 150})
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := p.Close(); err != nil { // waits for the page in progress
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("page in progress at Close: %v", err)
	}
	if _, err := p.Process(context.Background(), Input{Image: img}); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSettingsID(t *testing.T) {
	p := shared(t)
	id := p.SettingsID("")
	if !regexp.MustCompile(`^ocr-vie-[0-9]+\.[0-9]+\.[0-9]+-p[0-9]+-s[0-9]+$`).MatchString(id) {
		t.Fatalf("SettingsID(\"\") = %q", id)
	}
	if id != p.SettingsID("vie") || id != p.SettingsID("vie") {
		t.Fatal("SettingsID not stable")
	}
	if c := p.SettingsID("vie+eng"); !strings.HasPrefix(c, "ocr-vie.eng-") || !regexp.MustCompile(`^[a-z0-9._-]+$`).MatchString(c) {
		t.Fatalf("SettingsID(vie+eng) = %q", c)
	}
}

// TestNoOSD points the pool at a tessdata directory without the osd model.
func TestNoOSD(t *testing.T) {
	sys, err := tessdataDir("")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(sys, "vie.traineddata"), filepath.Join(dir, "vie.traineddata")); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	cfg := DefaultConfig()
	cfg.Workers, cfg.TessdataDir, cfg.Logger = 1, dir, slog.New(rec)
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if rec.count("osd model missing") != 1 || !strings.HasSuffix(p.SettingsID(""), "-noosd") {
		t.Fatalf("warnings %v, id %q", rec.msgs, p.SettingsID(""))
	}
	img := fixtures.Rotate(render(t, vietLines[:3], fixtures.PageOptions{DPI: 150}), 180)
	res, err := p.Process(context.Background(), Input{Image: img, DPI: 150})
	if err != nil {
		t.Fatal(err)
	}
	if res.Orientation != 0 || res.Image != img {
		t.Fatalf("turned without osd: %d", res.Orientation)
	}
	if _, err := New(Config{Lang: "eng", Workers: 1, TessdataDir: dir}); !errors.Is(err, ErrLanguage) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("eng missing from %s: %v", dir, err)
	}
}

// TestManyLanguages makes one worker serve more language combinations than
// it keeps loaded.
func TestManyLanguages(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Workers = 1
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	img := render(t, []string{"Độc lập - Tự do"}, fixtures.PageOptions{DPI: 150})
	for _, lang := range []string{"eng", "vie+eng", "eng+vie", "vie", "eng"} {
		res, err := p.Process(context.Background(), Input{Image: img, DPI: 150, Lang: lang})
		if err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		if res.OCR.Lang != lang || !strings.Contains(res.OCR.Text, "T") {
			t.Fatalf("%s: lang %q text %q", lang, res.OCR.Lang, res.OCR.Text)
		}
	}
}
