package index

import (
	"os"
	"runtime/debug"
	"sync"
)

// Bulk builds (Rebuild) allocate heavily: every batch's analysis results
// and in-memory segments are garbage a moment later, so at Go's default
// GOGC=100 a third of a rebuild's CPU went to the garbage collector. With
// GOGC=200 during the build, 100,000 pages indexed at 2312 pages/s instead
// of 1833 (CPU per page 1.02 -> 0.79 ms) for a peak RSS of 1.9 GB instead
// of 1.3 GB (BenchmarkIndex, HOSO_BENCH_PAGES=100000, 2 cores); GOGC=400
// gained nothing more. The setting is process-wide, so it is raised only
// while a build runs (counted, for builds that overlap), never lowered
// below what the process had, and left alone when the operator set GOGC.

// buildGCPercent is the GC percentage used while a bulk build runs.
const buildGCPercent = 200

var buildGC struct {
	mu    sync.Mutex
	n     int // builds running
	saved int // the percentage before the first of them
}

// raiseGCForBuild raises the GC percentage for a bulk build; the returned
// func restores it (call it once).
func raiseGCForBuild() (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	buildGC.mu.Lock()
	defer buildGC.mu.Unlock()
	if buildGC.n == 0 {
		buildGC.saved = debug.SetGCPercent(buildGCPercent)
		if buildGC.saved < 0 || buildGC.saved > buildGCPercent {
			debug.SetGCPercent(buildGC.saved) // off or already higher: keep it
		}
	}
	buildGC.n++
	var once sync.Once
	return func() {
		once.Do(func() {
			buildGC.mu.Lock()
			defer buildGC.mu.Unlock()
			if buildGC.n--; buildGC.n == 0 {
				debug.SetGCPercent(buildGC.saved)
			}
		})
	}
}
