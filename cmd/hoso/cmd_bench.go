package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"hoso/ingest/ocr"
)

type benchOptions struct {
	Quick       bool
	Workers     int
	Lang        string
	OCRPages    int
	IngestPages int
	IndexPages  int
	SearchPages string
	Clients     int
	Queries     int
	MinIO       bool
	Dir         string
	Keep        bool

	args []string // as given, for the table's heading
}

func (o *benchOptions) AddFlags(fs *flag.FlagSet) {
	fs.BoolVar(&o.Quick, "quick", false, "smoke run: a few small pages and a small index (seconds, for tests); explicit flags still win")
	fs.IntVar(&o.Workers, "workers", runtime.NumCPU(), "OCR workers, and tesseract processes at once")
	fs.StringVar(&o.Lang, "lang", "vie", "OCR `language`")
	fs.IntVar(&o.OCRPages, "ocr-pages", 6, "A4 pages at 300 dpi OCR'd by plain tesseract and by the pipeline")
	fs.IntVar(&o.IngestPages, "ingest-pages", 10, "pages of the end-to-end ingest job (PDF, TIFF, PNG, JPEG at 300 dpi)")
	fs.IntVar(&o.IndexPages, "index-pages", 20000, "synthetic pages indexed to measure indexing")
	fs.StringVar(&o.SearchPages, "search-pages", "20000", "index `sizes` (pages, comma-separated) to measure search latency at, e.g. 100000,1000000")
	fs.IntVar(&o.Clients, "clients", 8, "concurrent searchers")
	fs.IntVar(&o.Queries, "queries", 50, "searches per searcher")
	fs.BoolVar(&o.MinIO, "minio", true, "also ingest into a MinIO server started for the run (needs the minio binary)")
	fs.StringVar(&o.Dir, "dir", "", "work `folder` (default a new temp folder, removed at the end)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the work folder")
}

// quick sets the smoke-run sizes for every flag not given explicitly.
func (o *benchOptions) quick(set map[string]bool) {
	def := func(name string, p *int, v int) {
		if !set[name] {
			*p = v
		}
	}
	def("ocr-pages", &o.OCRPages, 2)
	def("ingest-pages", &o.IngestPages, 4)
	def("index-pages", &o.IndexPages, 500)
	def("clients", &o.Clients, 4)
	def("queries", &o.Queries, 20)
	if !set["search-pages"] {
		o.SearchPages = "1000"
	}
}

func init() { register(benchCommand()) }

func benchCommand() *command {
	return &command{
		Name:  "bench",
		Short: "measure OCR, ingest, indexing and search speed; print one table",
		Run: func(ctx context.Context, env *Env, args []string) error {
			var o benchOptions
			fs := newFlagSet(env, "bench", "bench [flags]", `
Measures hoso on this machine and prints one table:
  - OCR pages/s of plain tesseract (one process per page, hOCR output, as
    many at once as --workers) and of the ingest pipeline (decode, prepare,
    OCR with word boxes, store) on the same rendered pages and cores;
  - ingest pages/s end to end into a folder store and into MinIO (a server
    is started for the run), and the re-ingest of the unchanged files (no
    OCR);
  - indexing pages/s, incremental (--index-pages through the Indexer, as
    ingest does) and bulk (each --search-pages size through Index.Load, as
    reindex does), and search latency (p50/p95/p99, --clients searching at
    once) over those synthetic indexes;
  - peak memory (RSS) of hoso and of the largest tesseract.
Everything runs in a temporary folder on loopback; the archive in --data is
not touched. Large --search-pages take long: bulk indexing runs at about
2,000 pages/s on two cores (1000000 pages: ~9 minutes and ~7 GB of disk
in --dir). --quick is a smoke run of seconds.`)
			o.AddFlags(fs)
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if fs.NArg() > 0 {
				return fmt.Errorf("%w: bench takes no arguments", errUsage)
			}
			o.args = args
			set := map[string]bool{}
			fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
			if o.Quick {
				o.quick(set)
			}
			sizes, err := parseSizes(o.SearchPages)
			if err != nil {
				return fmt.Errorf("%w: --search-pages: %v", errUsage, err)
			}
			if o.Workers < 1 || o.OCRPages < 1 || o.IngestPages < 1 || o.IndexPages < 1 || o.Clients < 1 || o.Queries < 1 {
				return fmt.Errorf("%w: counts must be at least 1", errUsage)
			}
			return runBench(ctx, env, &o, sizes)
		},
	}
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad page count %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// benchRow is one line of the table.
type benchRow struct{ measure, value, detail string }

func runBench(ctx context.Context, env *Env, o *benchOptions, sizes []int) error {
	ocr.EnsureThreadLimit()
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "hoso-bench-")
		if err != nil {
			return err
		}
		dir = d
	}
	if !o.Keep {
		defer os.RemoveAll(dir)
	}
	load0 := loadAverage()
	start := time.Now()
	anon := startMemSampler(100 * time.Millisecond)
	defer anon.Stop()
	b := &bench{o: o, dir: dir, log: env.Stderr, mem: anon}
	defer func() {
		if b.pool != nil {
			b.pool.Close()
		}
	}()
	steps := []func(context.Context) error{b.ocrRows, b.ingestRows}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	if err := b.indexRows(ctx, sizes); err != nil {
		return err
	}
	b.rows = append(b.rows, peakMemoryRow(anon))
	host, _ := os.Hostname()
	mode := "with its defaults"
	if len(o.args) > 0 {
		mode = strings.Join(o.args, " ")
	}
	fmt.Fprintf(env.Stdout, "hoso bench %s, on %s: %d cores, %s, %s, %s; load average %s at the start, %s at the end; %v in all\n\n",
		mode, host, runtime.NumCPU(), cpuModel(), tesseractVersion(), runtime.Version(), load0, loadAverage(), time.Since(start).Round(time.Second))
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "measure\tresult\tdetail")
	fmt.Fprintln(tw, "-------\t------\t------")
	for _, r := range b.rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.measure, r.value, r.detail)
	}
	return tw.Flush()
}

// bench holds what the steps share.
type bench struct {
	o    *benchOptions
	dir  string
	log  io.Writer
	rows []benchRow
	pool *ocr.Pool
	mem  *memSampler
}

func (b *bench) add(measure, value, detail string, args ...any) {
	b.rows = append(b.rows, benchRow{measure, value, fmt.Sprintf(detail, args...)})
}

// step says what runs now, on stderr (the table goes to stdout).
func (b *bench) step(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(b.log, "bench: %s\n", msg)
	if b.mem != nil {
		b.mem.setPhase(msg)
	}
}

func rate(n int, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	v := float64(n) / d.Seconds()
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f pages/s", v)
	case v >= 10:
		return fmt.Sprintf("%.1f pages/s", v)
	}
	return fmt.Sprintf("%.2f pages/s", v)
}

// peakMemoryRow reports the peak RSS of this process and of its largest
// child (a tesseract of the plain OCR run, or MinIO).
func peakMemoryRow(anon *memSampler) benchRow {
	self := "?"
	if kb, ok := procStatusKB("VmHWM:"); ok {
		self = fmt.Sprintf("%d MiB", kb/1024)
	}
	own := "?"
	if kb, phase := anon.Stop(); kb > 0 {
		own = fmt.Sprintf("%d MiB", kb/1024)
		if phase != "" {
			own += ", while " + phase
		}
	}
	var ru syscall.Rusage
	child := "?"
	if syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru) == nil {
		child = fmt.Sprintf("%d MiB", ru.Maxrss/1024)
	}
	return benchRow{"peak memory (RSS)", self, "hoso (pipeline, OCR pool, indexes), of which its own memory (anonymous RSS: heap, stacks; sampled every 100 ms) at most " + own +
		", the rest index files mapped in (page cache the kernel can reclaim); largest child process " + child + " (tesseract or MinIO)"}
}

// procStatusKB reads a "Name:  N kB" line of /proc/self/status.
func procStatusKB(name string) (int64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, name); ok {
			if f := strings.Fields(v); len(f) > 0 {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb, err == nil
			}
		}
	}
	return 0, false
}

// memSampler tracks the largest anonymous RSS of the process (its own
// memory, without the files it maps) until Stop: the kernel keeps a peak
// of the whole RSS only (VmHWM), and the bench's mapped index files count
// in it.
type memSampler struct {
	stop, done chan struct{}
	mu         sync.Mutex
	phase      string // what runs now
	peak       int64  // kB
	peakPhase  string
}

func startMemSampler(every time.Duration) *memSampler {
	m := &memSampler{stop: make(chan struct{}), done: make(chan struct{})}
	sample := func() {
		kb, ok := procStatusKB("RssAnon:")
		m.mu.Lock()
		defer m.mu.Unlock()
		if ok && kb > m.peak {
			m.peak, m.peakPhase = kb, m.phase
		}
	}
	sample()
	go func() {
		defer close(m.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				sample()
				return
			case <-t.C:
				sample()
			}
		}
	}()
	return m
}

// setPhase names what runs from now on, for the peak's report.
func (m *memSampler) setPhase(s string) {
	m.mu.Lock()
	m.phase = s
	m.mu.Unlock()
}

// Stop ends the sampling and returns the peak in kB (0: unknown) and the
// phase it was seen in. It may be called more than once.
func (m *memSampler) Stop() (int64, string) {
	select {
	case <-m.stop:
	default:
		close(m.stop)
	}
	<-m.done
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.peak, m.peakPhase
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return runtime.GOARCH
}

func tesseractVersion() string {
	out, err := exec.Command("tesseract", "--version").CombinedOutput()
	if err != nil {
		return "tesseract not found"
	}
	return strings.TrimSpace(strings.Split(string(out), "\n")[0])
}

// benchPath joins the work folder and name.
func (b *bench) path(name ...string) string {
	return filepath.Join(append([]string{b.dir}, name...)...)
}
