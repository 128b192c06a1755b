package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"hoso/archive"
	"hoso/storage"
	"hoso/storage/faulty"
)

// filterCases hold for the entries appendN writes from an empty log.
var filterCases = []struct {
	f    Filter
	want []uint64
}{
	{Filter{}, []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
	{Filter{User: "u1"}, []uint64{1, 4, 7, 10}},
	{Filter{Dossier: "HS-0"}, []uint64{2, 4, 6, 8, 10}},
	{Filter{Action: "download"}, []uint64{2, 5, 8}},
	{Filter{Since: t0.Add(5 * time.Minute), Until: t0.Add(8 * time.Minute)}, []uint64{5, 6, 7}},
	{Filter{Since: t0.Add(9 * time.Minute)}, []uint64{9, 10}},
	{Filter{User: "u2", Dossier: "HS-0"}, []uint64{2, 8}},
	{Filter{Outcome: OutcomeDenied}, nil},
	{Filter{User: "nobody"}, nil},
}

func checkRead(t *testing.T, l *Log, in []Entry) {
	t.Helper()
	if got := collect(t, l, Filter{}); !reflect.DeepEqual(got, in) {
		t.Fatalf("read back:\n got %+v\nwant %+v", got, in)
	}
	for _, c := range filterCases {
		if got := seqsOf(collect(t, l, c.f)); !slices.Equal(got, c.want) {
			t.Errorf("filter %+v: got seqs %v, want %v", c.f, got, c.want)
		}
	}
}

func testRoundTrip(t *testing.T, mk storeMaker) {
	s := mk(t)
	l := openLog(t, s, Config{ManualSeal: true})
	if h := l.Head(); h != (Checkpoint{}) {
		t.Fatalf("head of an empty log: %v", h)
	}
	in := appendN(t, l, 10)
	for i, e := range in {
		prev := ""
		if i > 0 {
			prev = in[i-1].Hash
		}
		if e.Seq != uint64(i+1) || e.Prev != prev || len(e.Hash) != 64 || e.MAC != "" {
			t.Fatalf("entry %d: seq %d prev %q hash %q mac %q", i, e.Seq, e.Prev, e.Hash, e.MAC)
		}
		if want := t0.Add(time.Duration(i+1) * time.Minute).UTC(); !e.Time.Equal(want) || e.Time.Location() != time.UTC {
			t.Fatalf("entry %d: time %v, want %v", i, e.Time, want)
		}
		if n, _ := e.Detail["i"].(json.Number); string(n) != fmt.Sprint(i+1) {
			t.Fatalf("entry %d: detail %#v", i, e.Detail)
		}
	}
	checkRead(t, l, in)
	mustOK(t, verify(t, l))

	// The stored form is as documented.
	raw := getRaw(t, s, archive.AuditEntryKey(1))
	want := `{"schema":1,"seq":1,"time":"2026-03-01T01:01:00.123456789Z","user":"u1","remote":"10.0.0.1","action":"view",` +
		`"target":"HS-1/01.pdf/p1","dossier":"HS-1","outcome":"ok","detail":{"i":1,"q":"lý lịch \u003cđảng viên\u003e"},` +
		`"prev":"","hash":"` + in[0].Hash + "\"}\n"
	if string(raw) != want {
		t.Fatalf("stored form:\n got %s\nwant %s", raw, want)
	}
	canon := strings.TrimSuffix(want, `,"hash":"`+in[0].Hash+"\"}\n") + "}"
	if hashOf([]byte(canon)) != in[0].Hash {
		t.Fatalf("hash is not the SHA-256 of %s", canon)
	}

	// Another Log continues the chain.
	l2 := openLog(t, s, Config{ManualSeal: true})
	if h := l2.Head(); h != (Checkpoint{10, in[9].Hash}) {
		t.Fatalf("reopened head %v, want 10:%s", h, in[9].Hash)
	}
	e := appendN(t, l2, 1)[0]
	if e.Seq != 11 || e.Prev != in[9].Hash {
		t.Fatalf("after reopen: seq %d prev %s", e.Seq, e.Prev)
	}

	// Entries Append refuses leave nothing behind.
	bad := []Entry{
		{Outcome: OutcomeOK},
		{Action: "view", Outcome: "maybe"},
		{Action: "view", Outcome: OutcomeOK, Detail: map[string]any{"c": make(chan int)}},
		{Action: "view", Outcome: OutcomeOK, Detail: map[string]any{"q": strings.Repeat("x", MaxEntrySize)}},
	}
	for _, b := range bad {
		if _, err := l2.Append(t.Context(), b); !errors.Is(err, ErrInvalidEntry) {
			t.Errorf("append %+v: %v, want ErrInvalidEntry", b.Outcome, err)
		}
	}
	if n := len(keysUnder(t, s, archive.PrefixAudit)); n != 11 {
		t.Fatalf("%d entry objects, want 11", n)
	}
	mustOK(t, verify(t, l2))
}

func testRoundTripSealed(t *testing.T, mk storeMaker) {
	s := mk(t)
	l := openLog(t, s, Config{SegmentSize: 4, ManualSeal: true})
	in := appendN(t, l, 10)
	n, err := l.Seal(t.Context())
	if err != nil || n != 8 {
		t.Fatalf("seal: %d, %v; want 8 sealed", n, err)
	}
	wantKeys(t, s, archive.PrefixAuditSeg, archive.AuditSegmentKey(1, 4), archive.AuditSegmentKey(5, 8))
	wantKeys(t, s, archive.PrefixAudit, archive.AuditEntryKey(9), archive.AuditEntryKey(10))
	checkRead(t, l, in)
	rep := verify(t, l)
	mustOK(t, rep)
	if rep.Entries != 10 || rep.Segments != 2 || rep.Objects != 2 || rep.Head != (Checkpoint{10, in[9].Hash}) {
		t.Fatalf("report %+v", rep)
	}
	if n, err := l.Seal(t.Context()); n != 0 || err != nil {
		t.Fatalf("seal of an incomplete run: %d, %v", n, err)
	}
	// A new Log finds the tail in a segment.
	lines := segLines(t, s, archive.AuditSegmentKey(5, 8))
	stored8, _ := json.Marshal(in[7])
	if len(lines) != 4 || !bytes.Equal(lines[3], append(stored8, '\n')) {
		t.Fatalf("segment lines %q, want the last %s", lines, stored8)
	}
	if err := s.Delete(t.Context(), archive.AuditEntryKey(10)); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(t.Context(), archive.AuditEntryKey(9)); err != nil {
		t.Fatal(err)
	}
	l2 := openLog(t, s, Config{SegmentSize: 4})
	if h := l2.Head(); h != (Checkpoint{8, in[7].Hash}) {
		t.Fatalf("head from a segment: %v", h)
	}

	// Automatic sealing in the background, every SegmentSize entries.
	s = mk(t)
	l = openLog(t, s, Config{SegmentSize: 4})
	in = appendN(t, l, 10)
	if err := l.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(t.Context(), Entry{Action: "view", Outcome: OutcomeOK}); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
	wantKeys(t, s, archive.PrefixAuditSeg, archive.AuditSegmentKey(1, 4), archive.AuditSegmentKey(5, 8))
	wantKeys(t, s, archive.PrefixAudit, archive.AuditEntryKey(9), archive.AuditEntryKey(10))
	checkRead(t, l, in)
	mustOK(t, verify(t, l))
}

// testConcurrentLogs appends from two Logs on one store, as the server and
// a CLI would, each from several goroutines, with sealing on.
func testConcurrentLogs(t *testing.T, mk storeMaker) {
	const workers, per = 4, 15
	s := mk(t)
	logs := []*Log{openLog(t, s, Config{SegmentSize: 16}), openLog(t, s, Config{SegmentSize: 16})}
	var mu sync.Mutex
	bySeq := map[uint64]Entry{}
	var g errgroup.Group
	for li, l := range logs {
		for w := range workers {
			g.Go(func() error {
				for i := range per {
					e, err := l.Append(t.Context(), Entry{User: fmt.Sprintf("log%d-w%d", li, w), Action: "search",
						Outcome: OutcomeOK, Detail: map[string]any{"i": i}})
					if err != nil {
						return err
					}
					mu.Lock()
					if old, dup := bySeq[e.Seq]; dup {
						mu.Unlock()
						return fmt.Errorf("seq %d given twice: %+v and %+v", e.Seq, old, e)
					}
					bySeq[e.Seq] = e
					mu.Unlock()
				}
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	for _, l := range logs {
		l.Close(t.Context())
	}
	const total = 2 * workers * per
	l := openLog(t, s, Config{SegmentSize: 16, ManualSeal: true})
	if _, err := l.Seal(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := collect(t, l, Filter{})
	if len(got) != total || len(bySeq) != total {
		t.Fatalf("read %d entries, appended %d, want %d", len(got), len(bySeq), total)
	}
	for i, e := range got {
		if e.Seq != uint64(i+1) || bySeq[e.Seq].Hash != e.Hash {
			t.Fatalf("entry %d: seq %d hash %s, appended %+v", i, e.Seq, e.Hash, bySeq[e.Seq])
		}
	}
	rep := verify(t, l)
	mustOK(t, rep)
	if rep.Segments != total/16 {
		t.Fatalf("%d segments, want %d", rep.Segments, total/16)
	}
}

func testSealCrash(t *testing.T, mk storeMaker) {
	f := faulty.New(mk(t))
	l := openLog(t, f, Config{SegmentSize: 4, ManualSeal: true})
	in := appendN(t, l, 6)
	all := []string{archive.AuditEntryKey(1), archive.AuditEntryKey(2), archive.AuditEntryKey(3),
		archive.AuditEntryKey(4), archive.AuditEntryKey(5), archive.AuditEntryKey(6)}

	// Crash before the segment: nothing changes.
	f.FailNext(faulty.Put, 1, nil)
	if _, err := l.Seal(t.Context()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("seal with a failing put: %v", err)
	}
	wantKeys(t, f, archive.PrefixAuditSeg)
	wantKeys(t, f, archive.PrefixAudit, all...)

	// Crash after the segment, before the deletes: both stay, readers dedupe.
	f.FailNext(faulty.Delete, 4, nil)
	if _, err := l.Seal(t.Context()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("seal with failing deletes: %v", err)
	}
	wantKeys(t, f, archive.PrefixAuditSeg, archive.AuditSegmentKey(1, 4))
	wantKeys(t, f, archive.PrefixAudit, all...)
	if got := collect(t, l, Filter{}); !reflect.DeepEqual(got, in) {
		t.Fatalf("read with leftovers: %v", seqsOf(got))
	}
	rep := verify(t, l)
	mustOK(t, rep)
	if rep.Leftovers != 4 || rep.Entries != 6 {
		t.Fatalf("report %+v", rep)
	}

	// A leftover that differs from the segment is tampering; Seal keeps it.
	orig := getRaw(t, f, all[1])
	editEntry(t, f, 2, true, func(w *wireEntry) { w.User = "mallory" })
	p := wantProblem(t, verify(t, l), 2, KindDisagree)
	if p.Key != all[1] {
		t.Fatalf("disagreement reported on %s", p.Key)
	}
	if _, err := l.Seal(t.Context()); !errors.Is(err, ErrTampered) {
		t.Fatalf("seal over a differing leftover: %v", err)
	}
	wantKeys(t, f, archive.PrefixAudit, all[1], all[4], all[5])

	// Put back, the next Seal removes it.
	putRaw(t, f, all[1], orig)
	if _, err := l.Seal(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantKeys(t, f, archive.PrefixAudit, all[4], all[5])
	mustOK(t, verify(t, l))
}

func testAppendFails(t *testing.T, mk storeMaker) {
	f := faulty.New(mk(t))
	l := openLog(t, f, Config{ManualSeal: true})
	appendN(t, l, 2)
	e := Entry{User: "u", Action: "view", Target: "HS-1", Outcome: OutcomeOK}

	// The put fails: an error, and nothing stored.
	f.FailNext(faulty.Put, 1, nil)
	if _, err := l.Append(t.Context(), e); !errors.Is(err, ErrUnavailable) || !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("append with a failing put: %v", err)
	}
	if _, err := f.Stat(t.Context(), archive.AuditEntryKey(3)); !isNotExist(err) {
		t.Fatalf("entry 3 after a failed put: %v", err)
	}
	if got, err := l.Append(t.Context(), e); err != nil || got.Seq != 3 {
		t.Fatalf("append after the failure: %d, %v", got.Seq, err)
	}

	// The put succeeds but its answer is lost: an error, and the entry is a
	// valid link of the chain.
	f.FailNthAfter(faulty.Put, f.Calls(faulty.Put)+1, nil)
	if _, err := l.Append(t.Context(), e); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("append with a lost answer: %v", err)
	}
	got, err := l.Append(t.Context(), e)
	if err != nil || got.Seq != 5 {
		t.Fatalf("append after a lost answer: %d, %v", got.Seq, err)
	}
	mustOK(t, verify(t, l))

	// A store that is down: Open and Append fail with ErrUnavailable.
	f.SetDown(faulty.ErrInjected)
	if _, err := l.Append(t.Context(), e); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("append to a store that is down: %v", err)
	}
	if _, err := Open(t.Context(), f, Config{}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("open on a store that is down: %v", err)
	}
	if _, err := l.Verify(t.Context()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("verify on a store that is down: %v", err)
	}
	f.SetDown(nil)
	mustOK(t, verify(t, l))
}
