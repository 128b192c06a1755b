package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"hoso/archive"
	"hoso/storage"
)

// readWorkers is how many entry objects a walk reads at once.
const readWorkers = 8

// Filter selects entries. Empty fields match everything.
type Filter struct {
	User    string
	Dossier string
	Action  string
	Outcome string
	Since   time.Time // entries at or after
	Until   time.Time // entries before
}

// Match reports whether e passes the filter.
func (f Filter) Match(e Entry) bool {
	return (f.User == "" || e.User == f.User) &&
		(f.Dossier == "" || e.Dossier == f.Dossier) &&
		(f.Action == "" || e.Action == f.Action) &&
		(f.Outcome == "" || e.Outcome == f.Outcome) &&
		(f.Since.IsZero() || !e.Time.Before(f.Since)) &&
		(f.Until.IsZero() || e.Time.Before(f.Until))
}

// Entries yields the entries that match f in seq order: the segments', then
// those of entry objects after them. It reads the whole log (filters do not
// make it faster) and does not check hashes: use Verify for that. A record
// that cannot be read as an entry is yielded as an error wrapping
// ErrTampered (with Entry.Seq set to where it was found) and the sequence
// goes on; any other error ends it. Entries appended while it runs may or
// may not be yielded.
func (l *Log) Entries(ctx context.Context, f Filter) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		var last uint64
		stopped := false
		w := &walk{l: l}
		err := w.run(ctx, func(r rec) bool {
			if r.seq <= last {
				return true // a copy, or a segment overlapping another
			}
			last = r.seq
			if r.err != nil {
				stopped = !yield(Entry{Seq: r.seq}, fmt.Errorf("%w: %s: %v", ErrTampered, r.where(), r.err))
				return !stopped
			}
			e, err := r.w.entry()
			if err != nil || !f.Match(e) {
				return true
			}
			stopped = !yield(e, nil)
			return !stopped
		})
		if err != nil && !stopped {
			yield(Entry{}, err)
		}
	}
}

// rec is one stored entry met by a walk.
type rec struct {
	seq  uint64 // the entry's seq; where it was found when it cannot be decoded
	key  string // the object it was read from
	line int    // 1-based line in a segment; 0 for an entry object
	raw  []byte // the stored form, without newline
	w    wireEntry
	err  error // why raw is not an entry
}

func (r rec) where() string {
	if r.line > 0 {
		return fmt.Sprintf("%s line %d", r.key, r.line)
	}
	return r.key
}

// walk reads the whole log in seq order, reporting what it finds out of
// place. It reads the entry objects into memory first (there are fewer
// than about two segments' worth unless sealing fails), then lists the
// segments: a Seal writes its segment before it deletes the entries, so
// every entry is in the snapshot even while other processes seal.
type walk struct {
	l       *Log
	problem func(Problem) // nil: ignore
	// What was read.
	objects, segments, leftovers int
}

func (w *walk) report(p Problem) {
	if w.problem != nil {
		w.problem(p)
	}
}

// run calls yield for every entry in seq order: per segment in key order,
// then the entry objects not in a segment. An entry object that is also in
// a segment is compared with it and not yielded. Out-of-range, repeated and
// unordered segment lines are reported and not yielded; a seq may still
// repeat when segments overlap.
func (w *walk) run(ctx context.Context, yield func(rec) bool) error {
	loose, err := w.readLoose(ctx)
	if err != nil {
		return err
	}
	segs, bad, err := listSegments(ctx, w.l.store, "")
	if err != nil {
		return err
	}
	for _, k := range bad {
		w.report(Problem{Key: k, Kind: KindInserted, Detail: "object in audit-segments/ that is not a segment"})
	}
	for _, ref := range segs {
		recs, err := w.readSegment(ctx, ref)
		if err != nil {
			return err
		}
		w.segments++
		for _, r := range recs {
			for len(loose) > 0 && loose[0].seq < r.seq {
				if !yield(loose[0]) {
					return nil
				}
				loose = loose[1:]
			}
			if len(loose) > 0 && loose[0].seq == r.seq {
				w.leftovers++
				if !bytes.Equal(loose[0].raw, r.raw) {
					w.report(Problem{Seq: r.seq, Key: loose[0].key, Kind: KindDisagree,
						Detail: fmt.Sprintf("entry object differs from line %d of %s", r.line, r.key)})
				}
				loose = loose[1:]
			}
			if !yield(r) {
				return nil
			}
		}
	}
	for _, r := range loose {
		if !yield(r) {
			return nil
		}
	}
	return nil
}

// readLoose reads every entry object, sorted by seq, one per seq.
func (w *walk) readLoose(ctx context.Context) ([]rec, error) {
	seqs, bad, err := listLoose(ctx, w.l.store, "")
	if err != nil {
		return nil, err
	}
	for _, k := range bad {
		w.report(Problem{Key: k, Kind: KindInserted, Detail: "object in audit/ that is not an entry"})
	}
	recs := make([]rec, len(seqs))
	found := make([]bool, len(seqs))
	var mu sync.Mutex // guards reports
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(readWorkers)
	for i, seq := range seqs {
		g.Go(func() error {
			key := archive.AuditEntryKey(seq)
			raw, err := readObject(ctx, w.l.store, key, MaxEntrySize)
			if errors.Is(err, storage.ErrNotExist) {
				return nil // sealed since the listing: in a segment now
			}
			r := rec{seq: seq, key: key}
			var ps []Problem
			switch {
			case errors.Is(err, storage.ErrChecksum):
				ps = append(ps, Problem{Seq: seq, Key: key, Kind: KindCorrupt, Detail: err.Error()})
			case errors.Is(err, ErrTampered):
				r.err = err
			case err != nil:
				return err
			}
			if r.err == nil {
				r.raw = bytes.TrimSuffix(raw, []byte("\n"))
				if len(r.raw) == len(raw) {
					ps = append(ps, Problem{Seq: seq, Key: key, Kind: KindEdited, Detail: "no newline at the end"})
				}
				r.w, r.err = decodeWire(r.raw)
			}
			if r.err == nil && r.w.Seq != seq {
				ps = append(ps, Problem{Seq: seq, Key: key, Kind: KindReordered,
					Detail: fmt.Sprintf("object of seq %d holds entry seq %d", seq, r.w.Seq)})
				r.seq = r.w.Seq
			}
			mu.Lock()
			recs[i], found[i] = r, true
			for _, p := range ps {
				w.report(p)
			}
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make([]rec, 0, len(recs))
	for i, r := range recs {
		if found[i] {
			out = append(out, r)
		}
	}
	w.objects = len(out)
	// Sort by seq, the object whose key names it first; keep one per seq.
	slices.SortStableFunc(out, func(a, b rec) int {
		if a.seq != b.seq {
			return cmpU(a.seq, b.seq)
		}
		return cmpBool(a.key != archive.AuditEntryKey(a.seq), b.key != archive.AuditEntryKey(b.seq))
	})
	return slices.CompactFunc(out, func(a, b rec) bool {
		if a.seq != b.seq {
			return false
		}
		w.report(Problem{Seq: b.seq, Key: b.key, Kind: KindInserted,
			Detail: fmt.Sprintf("second entry with seq %d (the first is %s)", b.seq, a.key)})
		return true
	}), nil
}

// readSegment reads a segment's lines, reports lines out of range,
// repeated or out of order, and returns its entries sorted by seq.
func (w *walk) readSegment(ctx context.Context, ref segRef) ([]rec, error) {
	lines, raw, err := segmentLines(ctx, w.l.store, ref)
	switch {
	case errors.Is(err, storage.ErrNotExist):
		w.report(Problem{Seq: ref.First, Key: ref.Key, Kind: KindRemoved, Detail: "segment deleted during the walk"})
		return nil, nil
	case errors.Is(err, storage.ErrChecksum):
		w.report(Problem{Seq: ref.First, Key: ref.Key, Kind: KindCorrupt, Detail: err.Error()})
	case errors.Is(err, ErrTampered):
		w.report(Problem{Seq: ref.First, Key: ref.Key, Kind: KindMalformed, Detail: err.Error()})
		return nil, nil
	case err != nil:
		return nil, err
	}
	if len(raw) > 0 && raw[len(raw)-1] != '\n' {
		w.report(Problem{Seq: ref.Last, Key: ref.Key, Kind: KindEdited, Detail: "no newline at the end"})
	}
	var recs, bad []rec
	bySeq := map[uint64]int{} // seq -> line
	var lastSeq uint64
	lastLine := 0
	for i, line := range lines {
		r := rec{seq: ref.First + uint64(i), key: ref.Key, line: i + 1, raw: line}
		r.w, r.err = decodeWire(line)
		if r.err != nil {
			bad = append(bad, r)
			continue
		}
		r.seq = r.w.Seq
		p := Problem{Seq: r.seq, Key: ref.Key, Line: r.line}
		first, dup := bySeq[r.seq]
		switch {
		case r.seq < ref.First || r.seq > ref.Last:
			p.Kind, p.Detail = KindInserted, fmt.Sprintf("seq %d outside the segment's %d-%d", r.seq, ref.First, ref.Last)
		case dup:
			p.Kind, p.Detail = KindInserted, fmt.Sprintf("seq %d repeated (first on line %d)", r.seq, first)
		case r.seq < lastSeq:
			p.Kind, p.Detail = KindReordered, fmt.Sprintf("seq %d after seq %d on line %d", r.seq, lastSeq, lastLine)
			recs = append(recs, r)
		default:
			recs = append(recs, r)
		}
		if p.Kind != "" {
			w.report(p)
		}
		if !dup {
			bySeq[r.seq] = r.line
		}
		if r.seq > lastSeq {
			lastSeq, lastLine = r.seq, r.line
		}
	}
	// An unreadable line stands for its position unless an entry has it.
	for _, r := range bad {
		if _, taken := bySeq[r.seq]; !taken && r.seq <= ref.Last {
			recs = append(recs, r)
			bySeq[r.seq] = r.line
		} else {
			w.report(Problem{Seq: r.seq, Key: ref.Key, Line: r.line, Kind: KindMalformed, Detail: r.err.Error()})
		}
	}
	slices.SortFunc(recs, func(a, b rec) int { return cmpU(a.seq, b.seq) })
	return recs, nil
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}
