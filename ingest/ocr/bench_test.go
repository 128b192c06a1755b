package ocr

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/otiai10/gosseract/v2"
	"golang.org/x/sync/errgroup"

	"hoso/ingest/prep"
	"hoso/internal/fixtures"
	"hoso/internal/textmetrics"
)

// benchPage is a rendered page written as a PNG, with its true text.
type benchPage struct {
	path  string
	img   *image.Gray
	truth string
}

// writePages renders one page per option (A4, 300 dpi unless set) with
// lines lines each and writes them to dir as PNGs that record their dpi,
// as a scanner's would.
func writePages(b *testing.B, dir string, lines int, opts []fixtures.PageOptions) []benchPage {
	b.Helper()
	var pages []benchPage
	for i, o := range opts {
		text := docLines(uint64(100+i), lines)
		img := render(b, text, o)
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			b.Fatal(err)
		}
		dpi := o.DPI
		if dpi == 0 {
			dpi = 300
		}
		path := filepath.Join(dir, fmt.Sprintf("page%02d.png", i))
		if err := os.WriteFile(path, withPHYs(buf.Bytes(), dpi), 0o644); err != nil {
			b.Fatal(err)
		}
		pages = append(pages, benchPage{path: path, img: img, truth: strings.Join(text, "\n")})
	}
	return pages
}

// withPHYs inserts a pHYs chunk (resolution) after a PNG's IHDR chunk.
func withPHYs(p []byte, dpi float64) []byte {
	ppm := uint32(math.Round(dpi / 0.0254))
	chunk := make([]byte, 4+4+9+4)
	binary.BigEndian.PutUint32(chunk, 9)
	copy(chunk[4:], "pHYs")
	binary.BigEndian.PutUint32(chunk[8:], ppm)
	binary.BigEndian.PutUint32(chunk[12:], ppm)
	chunk[16] = 1 // unit: metre
	binary.BigEndian.PutUint32(chunk[17:], crc32.ChecksumIEEE(chunk[4:17]))
	const ihdrEnd = 8 + 4 + 4 + 13 + 4
	return append(append(append([]byte(nil), p[:ihdrEnd]...), chunk...), p[ihdrEnd:]...)
}

func needTesseract(b *testing.B) {
	if _, err := exec.LookPath("tesseract"); err != nil {
		b.Fatal("the tesseract program is missing: apt-get install tesseract-ocr tesseract-ocr-vie")
	}
}

// cliCPU accumulates the CPU time of tesseract processes.
var cliCPU struct {
	sync.Mutex
	d time.Duration
}

// selfCPU is this process's CPU time (user and system, all threads).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runCLI runs `tesseract PNG - -l vie` once per page, procs at a time, with
// OMP_THREAD_LIMIT=1, and returns the texts.
func runCLI(b *testing.B, pages []benchPage, procs int) []string {
	out := make([]string, len(pages))
	var g errgroup.Group
	g.SetLimit(procs)
	for i, pg := range pages {
		g.Go(func() error {
			cmd := exec.Command("tesseract", pg.path, "-", "-l", "vie")
			cmd.Env = append(os.Environ(), ThreadLimitEnv+"=1")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("tesseract %s: %v: %s", pg.path, err, stderr.String())
			}
			out[i] = stdout.String()
			cliCPU.Lock()
			cliCPU.d += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			cliCPU.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	return out
}

// runPool reads and decodes each PNG and recognizes it with p, all pages
// submitted at once (Process waits for a free worker).
func runPool(b *testing.B, p *Pool, pages []benchPage, withPrep bool) []string {
	out := make([]string, len(pages))
	var g errgroup.Group
	for i, pg := range pages {
		g.Go(func() error {
			data, err := os.ReadFile(pg.path)
			if err != nil {
				return err
			}
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				return err
			}
			in := Input{Image: img.(*image.Gray), DPI: 300, Label: pg.path}
			if withPrep {
				pp, err := prep.Prepare(in.Image, in.DPI, prep.DefaultConfig())
				if err != nil {
					return err
				}
				in.Image, in.DPI = pp.Image, pp.DPI
			}
			res, err := p.Process(context.Background(), in)
			if err != nil {
				return err
			}
			out[i] = res.OCR.Text
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	return out
}

func newBenchPool(b *testing.B, workers int) *Pool {
	cfg := DefaultConfig()
	cfg.Workers = workers
	p, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	return p
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

// BenchmarkThroughput compares pages per second of the pool (1 worker and
// NumCPU workers; PNG read and decode included) with the tesseract program
// run once per page, 1 and NumCPU processes at a time, on 8 A4 pages at
// 300 dpi. Each of the b.N rounds runs the four in turn; rates are the best
// round's, as other work on a shared machine only slows a round down. Run
// it alone, on an idle machine if there is one:
//
//	go test -run '^$' -bench Throughput -benchtime 3x ./ingest/ocr
func BenchmarkThroughput(b *testing.B) {
	needTesseract(b)
	n := runtime.NumCPU()
	opts := make([]fixtures.PageOptions, 8)
	for i := range opts {
		opts[i] = fixtures.PageOptions{Noise: 0.005, Blur: 1, Seed: uint64(i)}
	}
	pages := writePages(b, b.TempDir(), 36, opts)
	pool1, poolN := newBenchPool(b, 1), newBenchPool(b, n)
	var d [4]time.Duration
	var poolCPU time.Duration
	cliCPU.d = 0
	b.Logf("load average before: %s", loadavg())
	for b.Loop() {
		for i, run := range []func(){
			func() { runPool(b, pool1, pages, false) },
			func() { runPool(b, poolN, pages, false) },
			func() { runCLI(b, pages, 1) },
			func() { runCLI(b, pages, n) },
		} {
			t0, c0 := time.Now(), selfCPU()
			run()
			if el := time.Since(t0); d[i] == 0 || el < d[i] {
				d[i] = el // best of b.N: the machine is shared
			}
			if i < 2 {
				poolCPU += selfCPU() - c0
			}
		}
	}
	b.Logf("load average after: %s", loadavg())
	rate := func(d time.Duration) float64 { return float64(len(pages)) / d.Seconds() }
	b.ReportMetric(rate(d[0]), "pool1_pages/s")
	b.ReportMetric(rate(d[1]), fmt.Sprintf("pool%d_pages/s", n))
	b.ReportMetric(rate(d[2]), "cli1_pages/s")
	b.ReportMetric(rate(d[3]), fmt.Sprintf("cli%d_pages/s", n))
	b.ReportMetric(rate(d[1])/rate(d[3]), "pool/cli")
	b.ReportMetric(rate(d[1])/rate(d[0]), "pool_scaling")
	// CPU seconds per page do not depend on what else runs on the machine.
	b.ReportMetric(poolCPU.Seconds()/float64(2*b.N*len(pages)), "pool_cpu_s/page")
	b.ReportMetric(cliCPU.d.Seconds()/float64(2*b.N*len(pages)), "cli_cpu_s/page")
}

// BenchmarkCER compares the character error rate of the pipeline (prep
// then pool), of the pool alone and of the tesseract program on the same
// PNGs: on hard pages (skew 1-3°, noise, blur) and on clean pages with a
// slight skew. It also reports prep's and Encode's time per page.
//
//	go test -run '^$' -bench CER -benchtime 1x ./ingest/ocr
func BenchmarkCER(b *testing.B) {
	needTesseract(b)
	rot := []float64{1, -1.5, 2, -2.5, 3, -3}
	hard := make([]fixtures.PageOptions, len(rot))
	for i, r := range rot {
		hard[i] = fixtures.PageOptions{RotateDeg: r, Noise: 0.02 + 0.005*float64(i%3), Blur: 1 + i%2, Seed: uint64(i)}
	}
	clean := []fixtures.PageOptions{{RotateDeg: 0.3}, {RotateDeg: -0.6}, {}, {RotateDeg: 1}}
	b.Run("hard", func(b *testing.B) { benchCER(b, hard) })
	b.Run("clean", func(b *testing.B) { benchCER(b, clean) })
}

func benchCER(b *testing.B, opts []fixtures.PageOptions) {
	pages := writePages(b, b.TempDir(), 20, opts)
	p := newBenchPool(b, runtime.NumCPU())
	cer := func(texts []string) float64 {
		var edits, n float64
		for i, pg := range pages {
			ref := textmetrics.Normalize(pg.truth)
			edits += float64(textmetrics.Distance(ref, textmetrics.Normalize(texts[i])))
			n += float64(len([]rune(ref)))
		}
		return edits / n
	}
	var prepT, encT time.Duration
	var cp, cr, cc float64
	b.Logf("load average before: %s", loadavg())
	for b.Loop() {
		cp, cr, cc = cer(runPool(b, p, pages, true)), cer(runPool(b, p, pages, false)), cer(runCLI(b, pages, runtime.NumCPU()))
		for _, pg := range pages {
			t0 := time.Now()
			pp, err := prep.Prepare(pg.img, 300, prep.DefaultConfig())
			if err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if _, _, err := prep.Encode(pp.Image); err != nil {
				b.Fatal(err)
			}
			prepT += t1.Sub(t0)
			encT += time.Since(t1)
		}
	}
	b.Logf("load average after: %s", loadavg())
	b.ReportMetric(cp, "CER_prep+pool")
	b.ReportMetric(cr, "CER_pool")
	b.ReportMetric(cc, "CER_cli")
	per := float64(b.N * len(pages))
	b.ReportMetric(float64(prepT.Milliseconds())/per, "prep_ms/page")
	b.ReportMetric(float64(encT.Milliseconds())/per, "encode_ms/page")
}

// BenchmarkPasses shows that a page is recognized once: Verbose (our path)
// costs what Text alone costs, while Text then GetBoundingBoxes costs two
// recognitions.
//
//	go test -run '^$' -bench Passes -benchtime 2x ./ingest/ocr
func BenchmarkPasses(b *testing.B) {
	dir, err := tessdataDir("")
	if err != nil {
		b.Fatal(err)
	}
	e, err := newEngine(dir, "vie")
	if err != nil {
		b.Fatal(err)
	}
	defer e.close()
	img := render(b, docLines(1, 36), fixtures.PageOptions{})
	data := appendBMP(nil, img, 300)
	var text, verbose, both time.Duration // CPU time: robust on a shared machine
	for b.Loop() {
		c0 := selfCPU()
		e.c.SetImageFromBytes(data)
		if _, err := e.c.Text(); err != nil {
			b.Fatal(err)
		}
		c1 := selfCPU()
		if _, err := e.recognize(img, 300); err != nil {
			b.Fatal(err)
		}
		c2 := selfCPU()
		e.c.SetImageFromBytes(data)
		e.c.Text()
		if _, err := e.c.GetBoundingBoxes(gosseract.RIL_WORD); err != nil {
			b.Fatal(err)
		}
		both += selfCPU() - c2
		text += c1 - c0
		verbose += c2 - c1
	}
	b.ReportMetric(verbose.Seconds()/text.Seconds(), "verbose/text")
	b.ReportMetric(both.Seconds()/text.Seconds(), "text+boxes/text")
}
