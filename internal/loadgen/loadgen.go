// Package loadgen runs a bounded load (a number of clients, each making a
// number of calls, within a time limit) and summarizes the latencies: the
// load test of hoso serve and hoso bench's search figures use it. It
// measures; it asserts nothing about time.
package loadgen

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Summary describes the calls of a run.
type Summary struct {
	Calls, Errors  int
	P50, P95, P99  time.Duration
	Max, Mean      time.Duration
	Elapsed        time.Duration
	FirstErr       error
	PerSecond      float64
	Clients, Limit int // clients, and calls per client asked for
}

func (s Summary) String() string {
	return fmt.Sprintf("%d calls by %d clients in %v (%.0f/s), %d errors; latency p50 %v, p95 %v, p99 %v, max %v",
		s.Calls, s.Clients, s.Elapsed.Round(time.Millisecond), s.PerSecond, s.Errors, ms(s.P50), ms(s.P95), ms(s.P99), ms(s.Max))
}

func ms(d time.Duration) time.Duration {
	if d < 10*time.Millisecond {
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(100 * time.Microsecond)
}

// Recorder collects latencies; it is safe for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	lat    []time.Duration
	errs   int
	first  error
	start  time.Time
	finish time.Time
}

// Add records one call.
func (r *Recorder) Add(d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lat = append(r.lat, d)
	if err != nil {
		r.errs++
		if r.first == nil {
			r.first = err
		}
	}
}

// Summary summarizes the calls recorded so far.
func (r *Recorder) Summary() Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Summary{Calls: len(r.lat), Errors: r.errs, FirstErr: r.first}
	if !r.start.IsZero() {
		end := r.finish
		if end.IsZero() {
			end = time.Now()
		}
		s.Elapsed = end.Sub(r.start)
	}
	if len(r.lat) == 0 {
		return s
	}
	sorted := slices.Clone(r.lat)
	slices.Sort(sorted)
	var sum time.Duration
	for _, d := range sorted {
		sum += d
	}
	s.P50, s.P95, s.P99 = Percentile(sorted, 50), Percentile(sorted, 95), Percentile(sorted, 99)
	s.Max, s.Mean = sorted[len(sorted)-1], sum/time.Duration(len(sorted))
	if s.Elapsed > 0 {
		s.PerSecond = float64(s.Calls) / s.Elapsed.Seconds()
	}
	return s
}

// Percentile returns the p-th percentile (nearest rank) of sorted latencies.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p/100*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// Run starts clients goroutines; client c makes calls call(ctx, c, i) for
// i = 0..perClient-1, one after the other, until it has made them all or
// limit has passed (or ctx ends). It returns the summary of every call.
func Run(ctx context.Context, clients, perClient int, limit time.Duration, call func(ctx context.Context, client, i int) error) Summary {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	r := &Recorder{start: time.Now()}
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := 0; i < perClient && ctx.Err() == nil; i++ {
				t := time.Now()
				err := call(ctx, c, i)
				if ctx.Err() != nil && err != nil {
					return // cut off by the limit: not a failure of the call
				}
				r.Add(time.Since(t), err)
			}
		})
	}
	wg.Wait()
	r.finish = time.Now()
	s := r.Summary()
	s.Clients, s.Limit = clients, perClient
	return s
}
