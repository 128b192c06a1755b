package audit

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hoso/archive"
	"hoso/internal/miniotest"
	"hoso/storage"
	"hoso/storage/fs"
	"hoso/storage/s3"
)

// storeMaker returns a fresh, empty store.
type storeMaker func(t *testing.T) storage.Store

// coreTests run against every backend.
var coreTests = []struct {
	name string
	fn   func(t *testing.T, mk storeMaker)
}{
	{"RoundTrip", testRoundTrip},
	{"RoundTripSealed", testRoundTripSealed},
	{"ConcurrentLogs", testConcurrentLogs},
	{"TamperLoose", testTamperLoose},
	{"TamperSegment", testTamperSegment},
	{"SealCrash", testSealCrash},
	{"AppendFails", testAppendFails},
}

func TestFS(t *testing.T) {
	for _, c := range coreTests {
		t.Run(c.name, func(t *testing.T) { c.fn(t, newFS) })
	}
}

// TestMinIO runs the core tests against a real MinIO server through the
// S3 store. A missing minio binary fails it with how to install one.
func TestMinIO(t *testing.T) {
	srv := miniotest.Start(t)
	var n atomic.Int64
	mk := func(t *testing.T) storage.Store {
		s, err := s3.New(t.Context(), s3.Config{
			Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
			Bucket: fmt.Sprintf("audit-%d", n.Add(1)),
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	for _, c := range coreTests {
		t.Run(c.name, func(t *testing.T) { c.fn(t, mk) })
	}
}

func newFS(t *testing.T) storage.Store {
	s, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openLog(t *testing.T, s storage.Store, cfg Config) *Log {
	t.Helper()
	l, err := Open(t.Context(), s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close(t.Context()) })
	return l
}

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 123456789, time.FixedZone("ICT", 7*3600))

// appendN appends n entries numbered from the log's head; entry i is by
// user u<i%3>, on dossier HS-<i%2>, one minute after the previous.
func appendN(t *testing.T, l *Log, n int) []Entry {
	t.Helper()
	var out []Entry
	for range n {
		i := int(l.Head().Seq) + 1
		e, err := l.Append(t.Context(), Entry{
			Time: t0.Add(time.Duration(i) * time.Minute), User: fmt.Sprintf("u%d", i%3), Remote: "10.0.0.1",
			Action: []string{"search", "view", "download"}[i%3], Target: fmt.Sprintf("HS-%d/01.pdf/p%d", i%2, i),
			Dossier: fmt.Sprintf("HS-%d", i%2), Outcome: OutcomeOK, Detail: map[string]any{"i": i, "q": "lý lịch <đảng viên>"},
		})
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		out = append(out, e)
	}
	return out
}

func collect(t *testing.T, l *Log, f Filter) []Entry {
	t.Helper()
	var out []Entry
	for e, err := range l.Entries(t.Context(), f) {
		if err != nil {
			t.Fatalf("entries: %v", err)
		}
		out = append(out, e)
	}
	return out
}

func seqsOf(es []Entry) []uint64 {
	var out []uint64
	for _, e := range es {
		out = append(out, e.Seq)
	}
	return out
}

func verify(t *testing.T, l *Log, pins ...Checkpoint) Report {
	t.Helper()
	rep, err := l.Verify(t.Context(), pins...)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return rep
}

func mustOK(t *testing.T, rep Report) {
	t.Helper()
	if !rep.OK() {
		t.Fatalf("verify found %d problems:\n%s", rep.ProblemCount, problemList(rep))
	}
}

func problemList(rep Report) string {
	var b strings.Builder
	for _, p := range rep.Problems {
		b.WriteString("  " + p.String() + "\n")
	}
	return b.String()
}

// wantProblem fails unless rep has a problem of kind at seq.
func wantProblem(t *testing.T, rep Report, seq uint64, kind Kind) Problem {
	t.Helper()
	for _, p := range rep.Problems {
		if p.Seq == seq && p.Kind == kind {
			return p
		}
	}
	t.Fatalf("no %s problem at seq %d; problems:\n%s", kind, seq, problemList(rep))
	return Problem{}
}

// Tampering through the store's API, as someone who can write the bucket.

func getRaw(t *testing.T, s storage.Store, key string) []byte {
	t.Helper()
	b, _, err := storage.ReadAll(t.Context(), s, key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func putRaw(t *testing.T, s storage.Store, key string, b []byte) {
	t.Helper()
	if _, err := storage.PutBytes(t.Context(), s, key, b, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
}

// forge rewrites the stored form of an entry: fn changes it, then the hash
// (and MAC under key) are recomputed when rehash.
func forge(line []byte, rehash bool, key []byte, fn func(*wireEntry)) []byte {
	w, err := decodeWire(bytes.TrimSuffix(line, []byte("\n")))
	if err != nil {
		panic(err)
	}
	fn(&w)
	if rehash {
		c := w.canonical()
		w.Hash = hashOf(c)
		if key != nil {
			w.MAC = macOf(key, c)
		}
	}
	return append(w.stored(), '\n')
}

func editEntry(t *testing.T, s storage.Store, seq uint64, rehash bool, fn func(*wireEntry)) {
	t.Helper()
	key := archive.AuditEntryKey(seq)
	putRaw(t, s, key, forge(getRaw(t, s, key), rehash, nil, fn))
}

// segLines returns the lines of a segment, each with its newline.
func segLines(t *testing.T, s storage.Store, key string) [][]byte {
	t.Helper()
	lines := bytes.SplitAfter(getRaw(t, s, key), []byte("\n"))
	if len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func putLines(t *testing.T, s storage.Store, key string, lines [][]byte) {
	t.Helper()
	var b []byte
	for _, l := range lines {
		b = append(b, l...)
		if !bytes.HasSuffix(l, []byte("\n")) {
			b = append(b, '\n')
		}
	}
	putRaw(t, s, key, b)
}

func keysUnder(t *testing.T, s storage.Store, prefix string) []string {
	t.Helper()
	var out []string
	for info, err := range s.List(t.Context(), prefix, "") {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, info.Key)
	}
	return out
}

func wantKeys(t *testing.T, s storage.Store, prefix string, want ...string) {
	t.Helper()
	if got := keysUnder(t, s, prefix); !slices.Equal(got, want) {
		t.Fatalf("keys under %s:\n got %q\nwant %q", prefix, got, want)
	}
}

func isNotExist(err error) bool { return errors.Is(err, storage.ErrNotExist) }
