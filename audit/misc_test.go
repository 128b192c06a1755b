package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"testing"
	"time"

	"hoso/archive"
	"hoso/internal/miniotest"
	"hoso/storage/fs"
	"hoso/storage/s3"
)

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		cfg Config
		ok  bool
	}{
		{Config{}, true},
		{Config{Key: testKey, SegmentSize: 10, MaxAttempts: 3}, true},
		{Config{Key: []byte("short")}, false},
		{Config{SegmentSize: -1}, false},
		{Config{MaxAttempts: -1}, false},
	} {
		if err := c.cfg.Validate(); (err == nil) != c.ok {
			t.Errorf("%+v: %v", c.cfg, err)
		}
	}
	if _, err := Open(t.Context(), newFS(t), Config{Key: []byte("short")}); err == nil {
		t.Fatal("open with a short key")
	}
}

func TestCheckpoint(t *testing.T) {
	c := Checkpoint{Seq: 42, Hash: hashOf([]byte("x"))}
	got, err := ParseCheckpoint(c.String())
	if err != nil || got != c {
		t.Fatalf("round trip: %v, %v", got, err)
	}
	for _, bad := range []string{"", "42", "0:" + c.Hash, "42:abc", "x:" + c.Hash, "42:" + string(bytes.ToUpper([]byte(c.Hash)))} {
		if _, err := ParseCheckpoint(bad); err == nil {
			t.Errorf("ParseCheckpoint(%q) accepted", bad)
		}
	}
}

// TestKey checks MACs: verified with the key, required once a key is set,
// and ignored by a Log without the key.
func TestKey(t *testing.T) {
	s := newFS(t)
	plain := openLog(t, s, Config{ManualSeal: true})
	appendN(t, plain, 2)
	keyed := openLog(t, s, Config{ManualSeal: true, Key: testKey})
	in := appendN(t, keyed, 2)
	if in[0].MAC == "" || in[0].MAC != macOf(testKey, toWire(in[0]).canonical()) {
		t.Fatalf("MAC %q", in[0].MAC)
	}
	rep := verify(t, keyed)
	wantProblem(t, rep, 1, KindMAC)
	wantProblem(t, rep, 2, KindMAC)
	if rep.ProblemCount != 2 || !rep.MACs {
		t.Fatalf("report %+v", rep)
	}
	if err := rep.Err(); !errors.Is(err, ErrTampered) {
		t.Fatalf("Err: %v", err)
	}
	if rep := verify(t, plain); !rep.OK() || rep.MACs {
		t.Fatalf("without the key: %+v", rep)
	}
	other := openLog(t, s, Config{ManualSeal: true, Key: []byte("another key, 16+ bytes")})
	wantProblem(t, verify(t, other), 3, KindMAC)
}

// TestSealRefusesBrokenRun: a run with a gap or a bad hash is not sealed.
func TestSealRefusesBrokenRun(t *testing.T) {
	s := newFS(t)
	l := openLog(t, s, Config{SegmentSize: 4, ManualSeal: true})
	appendN(t, l, 5)
	editEntry(t, s, 3, false, func(w *wireEntry) { w.User = "mallory" })
	if n, err := l.Seal(t.Context()); n != 0 || !errors.Is(err, ErrTampered) {
		t.Fatalf("seal of an edited run: %d, %v", n, err)
	}
	wantKeys(t, s, archive.PrefixAuditSeg)
	if err := s.Delete(t.Context(), archive.AuditEntryKey(3)); err != nil {
		t.Fatal(err)
	}
	if n, err := l.Seal(t.Context()); n != 0 || err != nil {
		t.Fatalf("seal of a run with a gap: %d, %v", n, err)
	}
	wantKeys(t, s, archive.PrefixAuditSeg)
}

// TestOpenSealsMissed: a Log that finds a complete run unsealed seals it.
func TestOpenSealsMissed(t *testing.T) {
	s := newFS(t)
	appendN(t, openLog(t, s, Config{SegmentSize: 4, ManualSeal: true}), 9)
	l := openLog(t, s, Config{SegmentSize: 4})
	if err := l.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantKeys(t, s, archive.PrefixAuditSeg, archive.AuditSegmentKey(1, 4), archive.AuditSegmentKey(5, 8))
}

// TestTamperedTail: a newest entry that is not an entry stops appends.
func TestTamperedTail(t *testing.T) {
	s := newFS(t)
	appendN(t, openLog(t, s, Config{ManualSeal: true}), 3)
	putRaw(t, s, archive.AuditEntryKey(3), []byte("garbage\n"))
	if _, err := Open(t.Context(), s, Config{}); !errors.Is(err, ErrTampered) {
		t.Fatalf("open: %v", err)
	}
}

func TestCloseCancels(t *testing.T) {
	s := newFS(t)
	l := openLog(t, s, Config{SegmentSize: 2})
	appendN(t, l, 2)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// Whatever the seal got to, the log is intact and a new Log finishes.
	l2 := openLog(t, s, Config{SegmentSize: 2})
	l2.Close(t.Context())
	mustOK(t, verify(t, l2))
	wantKeys(t, s, archive.PrefixAuditSeg, archive.AuditSegmentKey(1, 2))
}

func FuzzDecodeEntry(f *testing.F) {
	l, err := Open(context.Background(), mustFS(f), Config{ManualSeal: true})
	if err != nil {
		f.Fatal(err)
	}
	e, err := l.Append(context.Background(), Entry{User: "u", Action: "search", Outcome: OutcomeOK,
		Detail: map[string]any{"q": "hồ sơ", "n": 3, "f": 1.5, "list": []any{1, "a", nil, true}}})
	if err != nil {
		f.Fatal(err)
	}
	b, _ := e.MarshalJSON()
	f.Add(b)
	f.Add([]byte(`{"schema":1,"seq":1,"time":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"schema":2}`))
	f.Add([]byte(`{"schema":1,"time":"x"}`))
	f.Add([]byte(`{"schema":1,"seq":1,"time":"2026-01-01T00:00:00Z","detail":{"n":1e400}} {}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := decodeWire(b)
		if err != nil {
			return
		}
		// What decodes encodes, and decodes again to the same stored form
		// and hash: the hash is stable across readers.
		s1 := w.stored()
		w2, err := decodeWire(s1)
		if err != nil {
			t.Fatalf("stored form %s does not decode: %v", s1, err)
		}
		if s2 := w2.stored(); !bytes.Equal(s1, s2) || hashOf(w.canonical()) != hashOf(w2.canonical()) {
			t.Fatalf("unstable encoding:\n%s\n%s", s1, s2)
		}
		var e Entry
		if err := e.UnmarshalJSON(b); err != nil {
			t.Fatalf("UnmarshalJSON: %v", err)
		}
	})
}

func FuzzParseCheckpoint(f *testing.F) {
	f.Add("42:" + hashOf(nil))
	f.Add("1:x")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCheckpoint(s)
		if err == nil && c.String() != s {
			t.Fatalf("%q parsed as %v", s, c)
		}
	})
}

func mustFS(f *testing.F) *fs.Store {
	dir, err := os.MkdirTemp("", "audit-fuzz")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { os.RemoveAll(dir) })
	s, err := fs.New(dir)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkAppend measures durable appends to the folder store (each one
// a create-only put: temp file, fsync, link, fsync of the folder), from one
// goroutine and from many (serialized inside the Log), with background
// sealing every 1000. HOSO_BENCH_DIR chooses the folder (default a temp
// folder).
func BenchmarkAppend(b *testing.B) {
	for _, par := range []int{1, 16} {
		b.Run(fmt.Sprintf("goroutines=%d", par), func(b *testing.B) {
			if par%runtime.GOMAXPROCS(0) != 0 && par > 1 {
				b.Skipf("%d goroutines is not a multiple of GOMAXPROCS %d", par, runtime.GOMAXPROCS(0))
			}
			dir := b.TempDir()
			if d := os.Getenv("HOSO_BENCH_DIR"); d != "" {
				var err error
				if dir, err = os.MkdirTemp(d, "audit-bench"); err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { os.RemoveAll(dir) })
			}
			s, err := fs.New(dir)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			l, err := Open(b.Context(), s, Config{})
			if err != nil {
				b.Fatal(err)
			}
			e := Entry{User: "cán bộ 1", Remote: "10.1.2.3:51234", Action: "search", Outcome: OutcomeOK,
				Detail: map[string]any{"query": "nguyễn văn an 1975", "results": 17}}
			b.ResetTimer()
			start := time.Now()
			if par == 1 {
				for b.Loop() {
					if _, err := l.Append(b.Context(), e); err != nil {
						b.Fatal(err)
					}
				}
			} else {
				b.SetParallelism(par / runtime.GOMAXPROCS(0))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := l.Append(b.Context(), e); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "appends/s")
			b.StopTimer()
			l.Close(b.Context())
		})
	}
}

// BenchmarkAppendMinIO measures appends to a real MinIO through the S3
// store (one conditional PUT each).
func BenchmarkAppendMinIO(b *testing.B) {
	srv := miniotest.Start(b)
	s, err := s3.New(b.Context(), s3.Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Bucket: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	l, err := Open(b.Context(), s, Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close(b.Context())
	e := Entry{User: "u", Action: "search", Outcome: OutcomeOK, Detail: map[string]any{"query": "x", "results": 1}}
	start := time.Now()
	for b.Loop() {
		if _, err := l.Append(b.Context(), e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "appends/s")
}

// TestAppendReturnsStored: what Append returns is what readers get.
func TestAppendReturnsStored(t *testing.T) {
	l := openLog(t, newFS(t), Config{ManualSeal: true})
	type point struct{ B, A int }
	e, err := l.Append(t.Context(), Entry{User: "bad\xffutf8", Action: "view", Outcome: OutcomeOK,
		Detail: map[string]any{"p": point{2, 1}, "big": uint64(1<<63 + 1), "f": 0.1}})
	if err != nil {
		t.Fatal(err)
	}
	got := collect(t, l, Filter{})
	if len(got) != 1 || !reflect.DeepEqual(got[0], e) {
		t.Fatalf("appended %#v\nread %#v", e, got)
	}
	if e.User != "bad\uFFFDutf8" || e.Detail["big"] != json.Number("9223372036854775809") {
		t.Fatalf("entry %#v", e)
	}
	mustOK(t, verify(t, l))
}

// FuzzEncode: whatever strings and numbers an entry holds, what Append
// would store reads back to the same hash and MAC.
func FuzzEncode(f *testing.F) {
	f.Add("lan", "HS-1/01.pdf/p3", "q", "lý lịch <b>&\u2028", 1.5)
	f.Add("bad\xff", "\x00\t\n", "", "\xed\xa0\x80", 1e300)
	f.Fuzz(func(t *testing.T, user, target, k, v string, x float64) {
		l := &Log{cfg: Config{Key: testKey}.withDefaults()}
		w, err := l.prepare(Entry{User: user, Target: target, Action: "search", Outcome: OutcomeOK,
			Detail: map[string]any{k: v, "x": x, "list": []any{v, x}}})
		if err != nil {
			return // NaN or Inf: not JSON
		}
		w, raw, err := l.encode(w, Checkpoint{Seq: 6, Hash: hashOf(nil)})
		if errors.Is(err, ErrInvalidEntry) && len(w.stored()) >= MaxEntrySize {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeWire(raw[:len(raw)-1])
		if err != nil {
			t.Fatal(err)
		}
		if fs := inspect(back, raw[:len(raw)-1], testKey); len(fs) > 0 || back.Seq != 7 {
			t.Fatalf("%+v: %v", back, fs)
		}
	})
}
