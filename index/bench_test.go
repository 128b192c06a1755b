package index

// Benchmarks over a generated corpus of Vietnamese-like dossier pages.
//
//	go test ./index -run '^$' -bench . -benchtime 1x                  # 20k pages
//	HOSO_BENCH_PAGES=100000 go test ./index -run '^$' -bench . -benchtime 1x -timeout 60m
//
// HOSO_BENCH_PAGES sets the corpus size (default 20000). HOSO_BENCH_DIR keeps
// the built index in that folder and reuses it when it already holds the
// requested number of pages, so query benchmarks can be rerun without
// reindexing. BenchmarkIndex measures bulk indexing (pages/s, disk, heap);
// BenchmarkSearch/<kind> measures query latency (p50/p95/p99 in ms) over a
// mixed set per kind, each query run HOSO_BENCH_ROUNDS times (default 5).

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hoso/domain"
	"hoso/internal/corpus"
)

func benchEnv(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

var benchIndex struct {
	once sync.Once
	ix   *Index
	dir  string
	err  error
	st   benchBuild // when built in this process
}

// benchVersion names the corpus generator and index layout; an index in
// HOSO_BENCH_DIR built by another version is rebuilt.
const benchVersion = "corpus-v2 layout-" + layoutVersion

// benchCorpus returns the shared benchmark index, building it if needed.
func benchCorpus(b *testing.B) *Index {
	b.Helper()
	pages := benchEnv("HOSO_BENCH_PAGES", 20000)
	benchIndex.once.Do(func() {
		dir := os.Getenv("HOSO_BENCH_DIR")
		if dir == "" {
			benchIndex.dir, benchIndex.err = os.MkdirTemp("", "hoso-bench-")
			dir = benchIndex.dir
		}
		ix, err := Open(dir, Config{})
		if err != nil {
			benchIndex.err = err
			return
		}
		benchIndex.ix = ix
		marker := filepath.Join(dir, "BENCH")
		want := fmt.Sprintf("%s %d\n", benchVersion, pages)
		if got, _ := os.ReadFile(marker); string(got) == want {
			return
		}
		benchIndex.st, benchIndex.err = buildBench(ix, pages, nil)
		if benchIndex.err == nil {
			benchIndex.err = os.WriteFile(marker, []byte(want), 0o644)
		}
	})
	if benchIndex.err != nil {
		b.Fatal(benchIndex.err)
	}
	return benchIndex.ix
}

// benchBuild is what a bulk build measured.
type benchBuild struct {
	pages    int
	wall     time.Duration
	cpu      time.Duration // process CPU time (user+sys), generator included
	genCPU   time.Duration // of which the generator's, measured apart
	peakLive float64       // MB, largest live heap after a GC
	peakRSS  float64       // MB, process high-water mark
}

func (st benchBuild) rate() float64 { return float64(st.pages) / st.wall.Seconds() }

// cpuMsPerPage is the CPU time per page without the generator.
func (st benchBuild) cpuMsPerPage() float64 {
	return float64((st.cpu - st.genCPU).Microseconds()) / 1000 / float64(st.pages)
}

// buildBench fills ix with generated pages through Load (Rebuild's bulk
// path), with the generator standing in for the store.
func buildBench(ix *Index, pages int, progress func(int)) (benchBuild, error) {
	var st benchBuild
	stopMem := memSampler(&st.peakLive)
	start, cpu0 := time.Now(), processCPU()
	var genCPU time.Duration
	gen := func(yield func(*domain.Dossier, error) bool) {
		runtime.LockOSThread() // Load runs the generator in a goroutine of its own: its thread CPU time is the generator's
		defer runtime.UnlockOSThread()
		t0 := threadCPU()
		defer func() { genCPU = threadCPU() - t0 }()
		for i, total := 0, 0; total < pages; i++ {
			d := corpus.Dossier(i)
			total += d.PageCount()
			if !yield(d, nil) {
				return
			}
		}
	}
	res, err := ix.Load(context.Background(), gen, progress)
	if err != nil {
		return st, err
	}
	st.pages, st.wall, st.cpu, st.genCPU = res.Pages, time.Since(start), processCPU()-cpu0, genCPU
	stopMem()
	st.peakRSS = rssMB("VmHWM")
	return st, nil
}

// memSampler records the largest live heap (as of the last GC) every 100ms
// until the returned func is called.
func memSampler(peak *float64) func() {
	stop := make(chan struct{})
	done := make(chan struct{})
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	go func() {
		defer close(done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			*peak = max(*peak, float64(s[0].Value.Uint64())/(1<<20))
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(stop); <-done }
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func threadCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rssMB reads a field of /proc/self/status (VmRSS, VmHWM) in MB.
func rssMB(field string) float64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// settleTime polls the files under dir every second until their number
// and sizes have not changed for quiet (or until max), and returns the time
// that took, less the quiet period, and the number of files.
func settleTime(dir string, quiet, max time.Duration) (time.Duration, int) {
	state := func() (string, int) {
		var b strings.Builder
		n := 0
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if info, err := d.Info(); err == nil {
					fmt.Fprintf(&b, "%s %d\n", p, info.Size())
					n++
				}
			}
			return nil
		})
		return b.String(), n
	}
	start := time.Now()
	last, n := state()
	changed := start
	for time.Since(changed) < quiet && time.Since(start) < max {
		time.Sleep(time.Second)
		if cur, m := state(); cur != last {
			last, n, changed = cur, m, time.Now()
		}
	}
	return changed.Sub(start), n
}

func heapMB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

// BenchmarkIndex bulk-indexes HOSO_BENCH_PAGES pages into a fresh index.
// Besides pages/s (wall time, which depends on the machine's load) it
// reports CPU milliseconds per page without the generator's share, which
// does not.
func BenchmarkIndex(b *testing.B) {
	pages := benchEnv("HOSO_BENCH_PAGES", 20000)
	for range b.N {
		dir := b.TempDir()
		ix, err := Open(dir, Config{BatchSize: benchEnv("HOSO_BENCH_BATCH", 0), IndexWorkers: benchEnv("HOSO_BENCH_WORKERS", 0)})
		if err != nil {
			b.Fatal(err)
		}
		la := loadavg()
		st, err := buildBench(ix, pages, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%d pages in %s, load average %s before, %s after; generator %.3f ms/page CPU",
			st.pages, st.wall.Round(time.Millisecond), la, loadavg(), float64(st.genCPU.Microseconds())/1000/float64(st.pages))
		b.ReportMetric(st.rate(), "pages/s")
		b.ReportMetric(st.cpuMsPerPage(), "cpu-ms/page")
		b.ReportMetric(float64(dirSize(dir))/(1<<20), "disk-MB")
		b.ReportMetric(st.peakLive, "peak-live-heap-MB")
		b.ReportMetric(st.peakRSS, "peak-RSS-MB")
		b.ReportMetric(0, "ns/op")
		// Load returns once every page is persisted and searchable; scorch
		// goes on merging segments (and removing the merged ones) in the
		// background: report how long until the files stop changing, and
		// the size then
		settle, files := settleTime(dir, 5*time.Second, 10*time.Minute)
		b.Logf("background merging settled %s after the build: %d files", settle.Round(time.Second), files)
		b.ReportMetric(settle.Seconds(), "merge-settle-s")
		b.ReportMetric(float64(dirSize(dir))/(1<<20), "settled-disk-MB")
		ix.Close()
	}
}

// BenchmarkSearch reports latency percentiles per query kind, searching as
// the server would (secret clearance, 20 dossiers, 3 hits each, snippets),
// and with facets for the "facets" kind (name queries plus all facets).
// "name" is the full name of a subject in the corpus as words (with and
// without diacritics), "phrase" the same as a quoted phrase.
func BenchmarkSearch(b *testing.B) {
	ix := benchCorpus(b)
	if st := benchIndex.st; st.pages > 0 {
		b.Logf("built %s: %.0f pages/s, %.3f CPU ms/page, peak live heap %.0f MB, peak RSS %.0f MB",
			ix.Path(), st.rate(), st.cpuMsPerPage(), st.peakLive, st.peakRSS)
	}
	n, _ := ix.DocCount()
	b.Logf("index: %d pages, %.0f MB on disk, heap %.0f MB, RSS %.0f MB, load average %s",
		n, float64(dirSize(ix.Path()))/(1<<20), heapMB(), rssMB("VmRSS"), loadavg())
	// the first search builds the per-segment tables (dossier of each page,
	// dates, representatives) that later searches read: report it apart
	t0 := time.Now()
	if _, err := ix.Search(context.Background(), Request{Query: "nguyen", Clearance: domain.Secret, Facets: true, Sort: SortDate}); err != nil {
		b.Fatal(err)
	}
	b.Logf("first search (builds the per-segment tables): %s", time.Since(t0).Round(time.Millisecond))
	// as the server does after opening the index (Follow)
	ws, err := ix.Warm(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("warm: %d segments, %d common words, %d name syllables, %d MB preloaded in %s", ws.Segments, ws.Words, ws.Names, ws.Preload>>20, ws.Took.Round(time.Millisecond))
	// and the garbage of warming collected, as the runtime does within two
	// minutes in an idle server
	runtime.GC()
	rounds := benchEnv("HOSO_BENCH_ROUNDS", 5)
	qs := corpus.Queries(corpus.Dossiers(n))
	qs["facets"] = qs["name"][:10]
	for _, kind := range []string{"name", "phrase", "filter", "fuzzy", "fallback", "facets", "common-phrase"} {
		b.Run(kind, func(b *testing.B) {
			var lat []time.Duration
			var hits, fuzzy int
			cpu0 := processCPU()
			for range b.N {
				for range rounds {
					for _, q := range qs[kind] {
						t0 := time.Now()
						res, err := ix.Search(context.Background(), Request{Query: q, Clearance: domain.Secret, Facets: kind == "facets"})
						if err != nil {
							b.Fatal(err)
						}
						lat = append(lat, time.Since(t0))
						hits += res.Total
						if res.Fuzzy {
							fuzzy++
						}
					}
				}
			}
			slices.Sort(lat)
			pct := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.95), "p95-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(float64(hits)/float64(len(lat)), "dossiers/query")
			b.ReportMetric(float64(fuzzy)/float64(len(lat)), "fuzzy/query")
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/1000/float64(len(lat)), "cpu-ms/query")
			b.ReportMetric(0, "ns/op")
		})
	}
	b.Logf("after queries: heap %.0f MB, RSS %.0f MB (peak %.0f MB), load average %s", heapMB(), rssMB("VmRSS"), rssMB("VmHWM"), loadavg())
}
