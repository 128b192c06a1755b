package server

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"hoso/index"
	"hoso/ingest"
	"hoso/ingest/ocr"
)

// Metrics counts what the server does and writes it in the Prometheus text
// exposition format (version 0.0.4), hand-rolled to keep the dependency
// list short. It is safe for concurrent use.
type Metrics struct {
	mu       sync.Mutex
	requests map[[2]string]uint64 // {route, code} -> count
	latency  map[string]*histogram
	ocrTime  *histogram

	ocrPages       atomic.Int64
	ocrErrors      atomic.Int64
	ocrInFlight    atomic.Int64
	filesFailed    atomic.Int64
	dossiersFailed atomic.Int64
	jobsRunning    atomic.Int64

	ix atomic.Pointer[index.Index]
}

var (
	httpBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}
	ocrBuckets  = []float64{0.25, 0.5, 1, 2, 4, 8, 15, 30, 60}
)

// NewMetrics returns empty metrics.
func NewMetrics() *Metrics {
	return &Metrics{requests: map[[2]string]uint64{}, latency: map[string]*histogram{}, ocrTime: newHistogram(ocrBuckets)}
}

func (m *Metrics) setIndex(ix *index.Index) { m.ix.Store(ix) }

// ObserveRequest counts a request answered with code after d, under its
// route pattern ("GET /api/v1/search"; "" is counted as "unmatched").
func (m *Metrics) ObserveRequest(route string, code int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[[2]string{route, strconv.Itoa(code)}]++
	h := m.latency[route]
	if h == nil {
		h = newHistogram(httpBuckets)
		m.latency[route] = h
	}
	h.observe(d.Seconds())
}

// ingestEvents returns pipeline events that count failures.
func (m *Metrics) ingestEvents() ingest.Events {
	return ingest.Events{
		FileFailed:    func(string, string, error) { m.filesFailed.Add(1) },
		DossierFailed: func(string, error) { m.dossiersFailed.Add(1) },
	}
}

// Recognizer wraps r so that every page it recognizes is counted and timed,
// and pages waiting for or in recognition are the OCR queue depth.
func (m *Metrics) Recognizer(r ingest.Recognizer) ingest.Recognizer {
	return &timedRecognizer{next: r, m: m}
}

// timedRecognizer is the timing decorator of an ingest.Recognizer.
type timedRecognizer struct {
	next ingest.Recognizer
	m    *Metrics
}

var _ ingest.Recognizer = (*timedRecognizer)(nil)

func (t *timedRecognizer) Process(ctx context.Context, in ocr.Input) (*ocr.Result, error) {
	t.m.ocrInFlight.Add(1)
	defer t.m.ocrInFlight.Add(-1)
	start := time.Now()
	res, err := t.next.Process(ctx, in)
	if err != nil {
		t.m.ocrErrors.Add(1)
		return nil, err
	}
	t.m.ocrPages.Add(1)
	t.m.mu.Lock()
	t.m.ocrTime.observe(time.Since(start).Seconds())
	t.m.mu.Unlock()
	return res, nil
}

func (t *timedRecognizer) SettingsID(lang string) string { return t.next.SettingsID(lang) }

// histogram is a Prometheus histogram; guarded by Metrics.mu.
type histogram struct {
	bounds []float64
	counts []uint64 // per bucket, not cumulative; one more for +Inf
	sum    float64
	n      uint64
}

func newHistogram(bounds []float64) *histogram {
	return &histogram{bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

func (h *histogram) observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v) // first bound >= v
	h.counts[i]++
	h.sum += v
	h.n++
}

func (h *histogram) write(w io.Writer, name, labels string) {
	sep := ""
	if labels != "" {
		sep = ","
	}
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i]
		fmt.Fprintf(w, "%s_bucket{%s%sle=\"%s\"} %d\n", name, labels, sep, formatFloat(b), cum)
	}
	fmt.Fprintf(w, "%s_bucket{%s%sle=\"+Inf\"} %d\n", name, labels, sep, h.n)
	if labels != "" {
		labels = "{" + labels + "}"
	}
	fmt.Fprintf(w, "%s_sum%s %s\n%s_count%s %d\n", name, labels, formatFloat(h.sum), name, labels, h.n)
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// labelValue escapes a label value: backslash, double quote and newline.
func labelValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func header(w io.Writer, name, typ, help string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

// ContentType is the media type of WriteTo's output.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// WriteTo writes every metric in the Prometheus text format. Index gauges
// are read at the time of the call.
func (m *Metrics) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	m.writeHTTP(cw)
	m.writeOCR(cw)
	header(cw, "hoso_ingest_files_failed_total", "counter", "Files of upload jobs that could not be ingested.")
	fmt.Fprintf(cw, "hoso_ingest_files_failed_total %d\n", m.filesFailed.Load())
	header(cw, "hoso_ingest_dossiers_failed_total", "counter", "Dossiers of upload jobs that could not be committed.")
	fmt.Fprintf(cw, "hoso_ingest_dossiers_failed_total %d\n", m.dossiersFailed.Load())
	header(cw, "hoso_jobs_running", "gauge", "Upload jobs running or queued in this process.")
	fmt.Fprintf(cw, "hoso_jobs_running %d\n", m.jobsRunning.Load())
	if ix := m.ix.Load(); ix != nil {
		if n, err := ix.DocCount(); err == nil {
			header(cw, "hoso_index_documents", "gauge", "Pages in the search index.")
			fmt.Fprintf(cw, "hoso_index_documents %d\n", n)
		}
		header(cw, "hoso_index_size_bytes", "gauge", "Bytes of the search index on disk.")
		fmt.Fprintf(cw, "hoso_index_size_bytes %d\n", dirSize(ix.Path()))
	}
	return cw.n, cw.err
}

func (m *Metrics) writeHTTP(w io.Writer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := make([][2]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	header(w, "hoso_http_requests_total", "counter", "HTTP requests by route pattern and status code.")
	for _, k := range keys {
		fmt.Fprintf(w, "hoso_http_requests_total{route=\"%s\",code=\"%s\"} %d\n", labelValue(k[0]), k[1], m.requests[k])
	}
	routes := make([]string, 0, len(m.latency))
	for r := range m.latency {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	header(w, "hoso_http_request_duration_seconds", "histogram", "HTTP request latency by route pattern.")
	for _, r := range routes {
		m.latency[r].write(w, "hoso_http_request_duration_seconds", fmt.Sprintf("route=\"%s\"", labelValue(r)))
	}
}

func (m *Metrics) writeOCR(w io.Writer) {
	header(w, "hoso_ocr_pages_total", "counter", "Pages recognized by OCR in this process.")
	fmt.Fprintf(w, "hoso_ocr_pages_total %d\n", m.ocrPages.Load())
	header(w, "hoso_ocr_errors_total", "counter", "Pages whose OCR failed.")
	fmt.Fprintf(w, "hoso_ocr_errors_total %d\n", m.ocrErrors.Load())
	header(w, "hoso_ocr_queue_depth", "gauge", "Pages waiting for or in OCR.")
	fmt.Fprintf(w, "hoso_ocr_queue_depth %d\n", m.ocrInFlight.Load())
	m.mu.Lock()
	defer m.mu.Unlock()
	header(w, "hoso_ocr_seconds", "histogram", "Time to recognize a page, queueing included.")
	m.ocrTime.write(w, "hoso_ocr_seconds", "")
}

// dirSize returns the bytes of the regular files under dir.
func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}
