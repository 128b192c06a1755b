package audit

import (
	"bytes"
	"strings"
	"testing"

	"hoso/archive"
)

var testKey = []byte("0123456789abcdef-test-key")

// testTamperLoose tampers with entry objects (not yet sealed) through the
// store's API and checks that Verify names the entry.
func testTamperLoose(t *testing.T, mk storeMaker) {
	setup := func(t *testing.T, key []byte) (*Log, []Entry) {
		l := openLog(t, mk(t), Config{ManualSeal: true, Key: key})
		in := appendN(t, l, 8)
		mustOK(t, verify(t, l))
		return l, in
	}
	t.Run("edit", func(t *testing.T) {
		l, _ := setup(t, nil)
		editEntry(t, l.store, 5, false, func(w *wireEntry) { w.User = "mallory" })
		p := wantProblem(t, verify(t, l), 5, KindEdited)
		if p.Key != archive.AuditEntryKey(5) {
			t.Fatalf("reported on %s", p.Key)
		}
	})
	t.Run("edit-rehash", func(t *testing.T) {
		// Without a key a rewritten hash passes, but the next entry's prev
		// no longer matches.
		l, _ := setup(t, nil)
		editEntry(t, l.store, 5, true, func(w *wireEntry) { w.Outcome = OutcomeDenied })
		rep := verify(t, l)
		wantProblem(t, rep, 6, KindChain)
		if rep.ProblemCount != 1 {
			t.Fatalf("problems:\n%s", problemList(rep))
		}
	})
	t.Run("edit-rehash-key", func(t *testing.T) {
		l, _ := setup(t, testKey)
		editEntry(t, l.store, 5, true, func(w *wireEntry) { w.Outcome = OutcomeDenied })
		wantProblem(t, verify(t, l), 5, KindMAC)
	})
	t.Run("edit-format", func(t *testing.T) {
		l, _ := setup(t, nil)
		key := archive.AuditEntryKey(3)
		putRaw(t, l.store, key, bytes.Replace(getRaw(t, l.store, key), []byte(`,"user"`), []byte(`, "user"`), 1))
		wantProblem(t, verify(t, l), 3, KindEdited)
	})
	t.Run("remove", func(t *testing.T) {
		l, _ := setup(t, nil)
		if err := l.store.Delete(t.Context(), archive.AuditEntryKey(5)); err != nil {
			t.Fatal(err)
		}
		rep := verify(t, l)
		wantProblem(t, rep, 5, KindRemoved)
		if rep.ProblemCount != 1 {
			t.Fatalf("problems:\n%s", problemList(rep))
		}
	})
	t.Run("remove-newest", func(t *testing.T) {
		// A shorter log is a valid chain: only a checkpoint, or the Log
		// that saw the newest entry, notices.
		l, in := setup(t, nil)
		pin := Checkpoint{8, in[7].Hash}
		if err := l.store.Delete(t.Context(), archive.AuditEntryKey(8)); err != nil {
			t.Fatal(err)
		}
		wantProblem(t, verify(t, l), 8, KindTruncated)
		fresh := openLog(t, l.store, Config{ManualSeal: true})
		mustOK(t, verify(t, fresh))
		wantProblem(t, verify(t, fresh, pin), 8, KindTruncated)
		mustOK(t, verify(t, fresh, Checkpoint{7, in[6].Hash}))
	})
	t.Run("insert", func(t *testing.T) {
		// Shift entries 5..8 up by one and slip a well-formed entry in at 5.
		l, in := setup(t, nil)
		for seq := uint64(8); seq >= 5; seq-- {
			putRaw(t, l.store, archive.AuditEntryKey(seq+1), getRaw(t, l.store, archive.AuditEntryKey(seq)))
		}
		putRaw(t, l.store, archive.AuditEntryKey(5), forge(getRaw(t, l.store, archive.AuditEntryKey(6)), true, nil,
			func(w *wireEntry) { w.User, w.Prev = "mallory", in[3].Hash }))
		rep := verify(t, l)
		wantProblem(t, rep, 5, KindInserted)
		wantProblem(t, rep, 6, KindChain)
	})
	t.Run("insert-newest-key", func(t *testing.T) {
		// A forged newest entry with a correct chain needs the key.
		l, in := setup(t, testKey)
		putRaw(t, l.store, archive.AuditEntryKey(9), forge(getRaw(t, l.store, archive.AuditEntryKey(8)), true, []byte("not the key, 16+ bytes"),
			func(w *wireEntry) { w.Seq, w.Prev, w.User = 9, in[7].Hash, "mallory" }))
		rep := verify(t, l)
		wantProblem(t, rep, 9, KindMAC)
		if rep.ProblemCount != 1 {
			t.Fatalf("problems:\n%s", problemList(rep))
		}
	})
	t.Run("insert-junk", func(t *testing.T) {
		l, _ := setup(t, nil)
		putRaw(t, l.store, archive.PrefixAudit+"notes.txt", []byte("hello"))
		p := wantProblem(t, verify(t, l), 0, KindInserted)
		if p.Key != archive.PrefixAudit+"notes.txt" {
			t.Fatalf("reported on %s", p.Key)
		}
	})
	t.Run("reorder", func(t *testing.T) {
		l, _ := setup(t, nil)
		a, b := getRaw(t, l.store, archive.AuditEntryKey(3)), getRaw(t, l.store, archive.AuditEntryKey(4))
		putRaw(t, l.store, archive.AuditEntryKey(3), b)
		putRaw(t, l.store, archive.AuditEntryKey(4), a)
		rep := verify(t, l)
		wantProblem(t, rep, 3, KindReordered)
		wantProblem(t, rep, 4, KindReordered)
	})
	t.Run("reorder-renumbered", func(t *testing.T) {
		// Swapped and renumbered with fresh hashes: the prevs give it away.
		l, _ := setup(t, nil)
		a, b := getRaw(t, l.store, archive.AuditEntryKey(3)), getRaw(t, l.store, archive.AuditEntryKey(4))
		putRaw(t, l.store, archive.AuditEntryKey(3), forge(b, true, nil, func(w *wireEntry) { w.Seq = 3 }))
		putRaw(t, l.store, archive.AuditEntryKey(4), forge(a, true, nil, func(w *wireEntry) { w.Seq = 4 }))
		rep := verify(t, l)
		wantProblem(t, rep, 3, KindChain)
		wantProblem(t, rep, 4, KindChain)
	})
	t.Run("malformed", func(t *testing.T) {
		l, _ := setup(t, nil)
		putRaw(t, l.store, archive.AuditEntryKey(2), []byte("{not json\n"))
		wantProblem(t, verify(t, l), 2, KindMalformed)
		var errs int
		for _, err := range l.Entries(t.Context(), Filter{}) {
			if err != nil {
				errs++
			}
		}
		if errs != 1 {
			t.Fatalf("Entries yielded %d errors, want 1", errs)
		}
	})
}

// testTamperSegment tampers with sealed entries.
func testTamperSegment(t *testing.T, mk storeMaker) {
	seg := archive.AuditSegmentKey(5, 8)
	setup := func(t *testing.T) (*Log, []Entry) {
		l := openLog(t, mk(t), Config{ManualSeal: true, SegmentSize: 4})
		in := appendN(t, l, 10)
		if _, err := l.Seal(t.Context()); err != nil {
			t.Fatal(err)
		}
		wantKeys(t, l.store, archive.PrefixAudit, archive.AuditEntryKey(9), archive.AuditEntryKey(10))
		mustOK(t, verify(t, l))
		return l, in
	}
	t.Run("edit", func(t *testing.T) {
		l, _ := setup(t)
		lines := segLines(t, l.store, seg)
		lines[1] = forge(lines[1], false, nil, func(w *wireEntry) { w.Target = "HS-9" })
		putLines(t, l.store, seg, lines)
		p := wantProblem(t, verify(t, l), 6, KindEdited)
		if p.Key != seg || p.Line != 2 {
			t.Fatalf("reported at %s line %d", p.Key, p.Line)
		}
	})
	t.Run("remove", func(t *testing.T) {
		l, _ := setup(t)
		lines := segLines(t, l.store, seg)
		putLines(t, l.store, seg, append(lines[:1:1], lines[2:]...))
		rep := verify(t, l)
		wantProblem(t, rep, 6, KindRemoved)
		if rep.ProblemCount != 1 {
			t.Fatalf("problems:\n%s", problemList(rep))
		}
	})
	t.Run("remove-segment", func(t *testing.T) {
		l, _ := setup(t)
		if err := l.store.Delete(t.Context(), seg); err != nil {
			t.Fatal(err)
		}
		p := wantProblem(t, verify(t, l), 5, KindRemoved)
		if !strings.Contains(p.Detail, "4 entries") {
			t.Fatalf("detail %q", p.Detail)
		}
	})
	t.Run("insert", func(t *testing.T) {
		l, in := setup(t)
		lines := segLines(t, l.store, seg)
		forged := forge(lines[1], true, nil, func(w *wireEntry) { w.Action, w.Prev = "download", in[4].Hash })
		putLines(t, l.store, seg, [][]byte{lines[0], forged, lines[1], lines[2], lines[3]})
		p := wantProblem(t, verify(t, l), 6, KindInserted)
		if p.Line != 3 {
			t.Fatalf("reported at line %d", p.Line)
		}
	})
	t.Run("insert-out-of-range", func(t *testing.T) {
		l, _ := setup(t)
		lines := segLines(t, l.store, seg)
		stray := getRaw(t, l.store, archive.AuditEntryKey(9))
		putLines(t, l.store, seg, append(lines, stray))
		p := wantProblem(t, verify(t, l), 9, KindInserted)
		if p.Key != seg || p.Line != 5 {
			t.Fatalf("reported at %s line %d", p.Key, p.Line)
		}
	})
	t.Run("reorder", func(t *testing.T) {
		l, _ := setup(t)
		lines := segLines(t, l.store, seg)
		lines[1], lines[2] = lines[2], lines[1]
		putLines(t, l.store, seg, lines)
		rep := verify(t, l)
		p := wantProblem(t, rep, 6, KindReordered)
		if p.Line != 3 || !strings.Contains(p.Detail, "seq 7") {
			t.Fatalf("problem %v", p)
		}
		if rep.ProblemCount != 1 {
			t.Fatalf("problems:\n%s", problemList(rep))
		}
	})
	t.Run("reorder-segments", func(t *testing.T) {
		// Contents of two segments swapped.
		l, _ := setup(t)
		a, b := getRaw(t, l.store, archive.AuditSegmentKey(1, 4)), getRaw(t, l.store, seg)
		putRaw(t, l.store, archive.AuditSegmentKey(1, 4), b)
		putRaw(t, l.store, seg, a)
		rep := verify(t, l)
		wantProblem(t, rep, 5, KindInserted)
		wantProblem(t, rep, 1, KindInserted)
	})
}
