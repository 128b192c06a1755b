package main

import (
	"context"
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"hoso/archive"
	"hoso/ingest"
	"hoso/ingest/ocr"
	"hoso/internal/fixtures"
	"hoso/internal/samples"
	"hoso/storage"
	"hoso/storage/fs"
	"hoso/storage/retry"
	"hoso/storage/s3"
)

// pageSize is the resolution and height of the bench's pages: A4 at 300
// dpi, or short 150-dpi pages for --quick.
func (b *bench) pageSize() (dpi int, heightIn float64) {
	if b.o.Quick {
		return 150, 4
	}
	return 300, 11.69
}

// ocrRows compares plain tesseract with the pipeline on the same pages.
func (b *bench) ocrRows(ctx context.Context) error {
	dpi, height := b.pageSize()
	n := b.o.OCRPages
	b.step("rendering %d pages at %d dpi", n, dpi)
	in := b.path("ocr-in", "HS-BENCH-OCR")
	paths, err := writeOCRPages(in, n, dpi, height)
	if err != nil {
		return err
	}
	b.step("plain tesseract: %d pages, %d at once", n, b.o.Workers)
	plain, err := plainTesseract(ctx, paths, b.o.Workers, b.o.Lang, dpi, b.path("tess-out"))
	if err != nil {
		return err
	}
	pool, err := ocr.New(ocr.Config{Lang: b.o.Lang, Workers: b.o.Workers, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	b.pool = pool
	store, err := fs.New(b.path("ocr-store"))
	if err != nil {
		return err
	}
	defer store.Close()
	b.step("pipeline: %d pages, %d workers", n, b.o.Workers)
	st, took, err := b.pipeline(ctx, filepath.Dir(in), store)
	if err != nil {
		return err
	}
	pr, tr := float64(n)/took.Seconds(), float64(n)/plain.Seconds()
	b.add(fmt.Sprintf("OCR, plain tesseract (%d processes)", b.o.Workers), rate(n, plain),
		"%d full pages at %d dpi, -l %s, hOCR out, a process per page, %v", n, dpi, b.o.Lang, plain.Round(10*time.Millisecond))
	b.add(fmt.Sprintf("OCR, hoso pipeline (%d workers)", b.o.Workers), rate(n, took),
		"same pages: decode, prepare, OCR with boxes, store; %d OCR'd in %v; %.2fx plain tesseract", st.PagesOCR, took.Round(10*time.Millisecond), pr/tr)
	return nil
}

// writeOCRPages renders n dossier pages as PNG files in dir, with a
// dossier.json, and returns their paths.
func writeOCRPages(dir string, n, dpi int, heightIn float64) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	p := fixtures.RandomPerson(rng)
	opts := fixtures.PageOptions{DPI: float64(dpi), HeightIn: heightIn}
	var paths []string
	var docs []map[string]string
	for i := 1; i <= n; i++ {
		img, err := fixtures.Page(fixtures.DocumentLines(rng, p, fixtures.LinesPerPage(opts)), opts)
		if err != nil {
			return nil, err
		}
		b, err := fixtures.PNG(img, float64(dpi))
		if err != nil {
			return nil, err
		}
		name := fmt.Sprintf("%03d.png", i)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return nil, err
		}
		paths = append(paths, filepath.Join(dir, name))
		docs = append(docs, map[string]string{"file": name, "kind": "cv"})
	}
	meta, _ := json.Marshal(map[string]any{"code": "HS-BENCH-OCR", "subject": map[string]string{"full_name": p.FullName},
		"classification": "public", "documents": docs})
	return paths, os.WriteFile(filepath.Join(dir, "dossier.json"), meta, 0o644)
}

// plainTesseract runs one tesseract process per page, workers at once,
// one thread each, and returns the wall time.
func plainTesseract(ctx context.Context, paths []string, workers int, lang string, dpi int, out string) (time.Duration, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return 0, err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	start := time.Now()
	for i, p := range paths {
		g.Go(func() error {
			cmd := exec.CommandContext(gctx, "tesseract", p, filepath.Join(out, fmt.Sprint(i)), "-l", lang, "--dpi", fmt.Sprint(dpi), "hocr")
			cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
			if b, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("tesseract %s: %v: %s", p, err, strings.TrimSpace(string(b)))
			}
			return nil
		})
	}
	err := g.Wait()
	return time.Since(start), err
}

// pipeline ingests the dossiers under in into store with the bench's OCR
// pool and returns the stats and the wall time of the run.
func (b *bench) pipeline(ctx context.Context, in string, store storage.Store) (ingest.Stats, time.Duration, error) {
	specs, errs := ingest.Discover([]string{in})
	if len(errs) > 0 {
		return ingest.Stats{}, 0, errors.Join(errs...)
	}
	var failed []error
	p, err := ingest.New(ingest.Config{Archive: archive.New(store), OCR: b.pool, Lang: b.o.Lang, Workers: b.o.Workers, User: "bench",
		Events: ingest.Events{FileFailed: func(_, _ string, err error) { failed = append(failed, err) }}})
	if err != nil {
		return ingest.Stats{}, 0, err
	}
	start := time.Now()
	st, err := p.Run(ctx, specs)
	took := time.Since(start)
	if err == nil && len(failed) > 0 {
		err = fmt.Errorf("bench ingest: %w", errors.Join(failed...))
	}
	return st, took, err
}

// ingestRows measures ingest end to end (folder store, re-ingest, MinIO).
func (b *bench) ingestRows(ctx context.Context) error {
	dpi, height := b.pageSize()
	n := b.o.IngestPages
	in := b.path("ingest-in")
	b.step("rendering a bulk job of %d pages", n)
	bulk, err := samples.WriteBulk(in, samples.BulkOptions{Pages: n, Dossiers: max(1, n/3), DPI: dpi, HeightIn: height, Prefix: "HS-BENCH"})
	if err != nil {
		return err
	}
	formats := map[string]bool{}
	for _, f := range bulk.Format {
		formats[f] = true
	}
	what := fmt.Sprintf("%d pages (8 text lines each) at %d dpi in %d files (%s) of %d dossiers", bulk.Total, dpi, len(bulk.Format), strings.Join(slices.Sorted(maps.Keys(formats)), ", "), len(bulk.Codes))
	store, err := fs.New(b.path("ingest-fs"))
	if err != nil {
		return err
	}
	defer store.Close()
	b.step("ingest into a folder store")
	st, took, err := b.pipeline(ctx, in, store)
	if err != nil {
		return err
	}
	b.add("ingest end to end, folder store", rate(bulk.Total, took), "%s; %d OCR'd in %v", what, st.PagesOCR, took.Round(10*time.Millisecond))
	b.step("re-ingest of the unchanged files")
	st, took, err = b.pipeline(ctx, in, store)
	if err != nil {
		return err
	}
	b.add("re-ingest unchanged, folder store", fmt.Sprintf("%d pages OCR'd", st.PagesOCR), "%d pages reused, %d of %d dossiers unchanged, in %v",
		st.PagesReused, st.Dossiers-st.Changed, st.Dossiers, took.Round(time.Millisecond))
	if !b.o.MinIO {
		b.add("ingest end to end, MinIO", "skipped", "--minio=false")
		return nil
	}
	b.step("ingest into MinIO")
	srv, err := startBenchMinIO(ctx, b.path("minio"))
	if err != nil {
		b.add("ingest end to end, MinIO", "n/a", "%v", err)
		return nil
	}
	defer srv.stop()
	s3s, err := s3.New(ctx, s3.Config{Endpoint: srv.endpoint, Bucket: "hoso-bench", AccessKey: srv.user, SecretKey: srv.password})
	if err != nil {
		return err
	}
	rs := retry.New(s3s, retry.Policy{})
	defer rs.Close()
	st, took, err = b.pipeline(ctx, in, rs)
	if err != nil {
		return err
	}
	b.add("ingest end to end, MinIO", rate(bulk.Total, took), "same job, local single-drive MinIO on loopback; %d OCR'd in %v", st.PagesOCR, took.Round(10*time.Millisecond))
	return nil
}

// benchMinIO is a MinIO server started for the bench.
type benchMinIO struct {
	endpoint, user, password string
	cmd                      *exec.Cmd
	done                     chan struct{}
}

// startBenchMinIO starts the minio binary (PATH, $GOBIN, ~/go/bin) on free
// loopback ports with data in dir, and waits until it serves.
func startBenchMinIO(ctx context.Context, dir string) (*benchMinIO, error) {
	bin, err := exec.LookPath("minio")
	if err != nil {
		home, _ := os.UserHomeDir()
		for _, d := range []string{os.Getenv("GOBIN"), filepath.Join(os.Getenv("GOPATH"), "bin"), filepath.Join(home, "go", "bin")} {
			if st, err := os.Stat(filepath.Join(d, "minio")); d != "" && err == nil && st.Mode()&0o111 != 0 {
				bin = filepath.Join(d, "minio")
				break
			}
		}
	}
	if bin == "" {
		return nil, errors.New("minio not found (go install github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c)")
	}
	free := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return ""
		}
		defer l.Close()
		return l.Addr().String()
	}
	s := &benchMinIO{endpoint: free(), user: "bench-" + strings.ToLower(crand.Text()[:8]), password: crand.Text(), done: make(chan struct{})}
	s.cmd = exec.Command(bin, "server", "--quiet", "--address", s.endpoint, "--console-address", free(), dir)
	s.cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+s.user, "MINIO_ROOT_PASSWORD="+s.password, "MINIO_BROWSER=off", "MINIO_UPDATE=off")
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start minio: %w", err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if ready(s.endpoint) {
			return s, nil
		}
		select {
		case <-s.done:
			return nil, errors.New("minio exited before it was ready")
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, errors.New("minio not ready after 60 s")
		}
	}
}

// ready reports whether MinIO at endpoint serves S3 requests: health says
// ready, and an anonymous request is no longer refused with 503 (not
// initialized).
func ready(endpoint string) bool {
	for _, path := range []string{"/minio/health/ready", "/"} {
		resp, err := http.Get("http://" + endpoint + path)
		if err != nil {
			return false
		}
		resp.Body.Close()
		if (path != "/" && resp.StatusCode != http.StatusOK) || resp.StatusCode == http.StatusServiceUnavailable {
			return false
		}
	}
	return true
}

func (s *benchMinIO) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}
