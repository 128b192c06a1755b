package audit

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxProblems is how many problems a Report lists; ProblemCount counts all.
const MaxProblems = 10000

// Checkpoint names an entry by seq and hash. Kept somewhere the store's
// writers cannot change, it pins the log up to that entry (see Verify).
type Checkpoint struct {
	Seq  uint64
	Hash string
}

// String returns "<seq>:<hash>", the form ParseCheckpoint reads.
func (c Checkpoint) String() string { return strconv.FormatUint(c.Seq, 10) + ":" + c.Hash }

// ParseCheckpoint reads "<seq>:<hash>".
func ParseCheckpoint(s string) (Checkpoint, error) {
	a, h, ok := strings.Cut(s, ":")
	seq, okSeq := parseSeq(a)
	// only the canonical form (no leading zeros): the one hoso prints
	if b, err := hex.DecodeString(h); !ok || !okSeq || a != fmt.Sprint(seq) || err != nil || len(b) != 32 || strings.ToLower(h) != h {
		return Checkpoint{}, fmt.Errorf("checkpoint %q: want <seq>:<64 lower-case hex digits>", s)
	}
	return Checkpoint{Seq: seq, Hash: h}, nil
}

// Kind classifies a Problem.
type Kind string

// Kinds of problem.
const (
	KindEdited    Kind = "edited"    // content does not match its hash, or is not in the stored form
	KindMAC       Kind = "bad-mac"   // MAC missing or wrong
	KindRemoved   Kind = "removed"   // entries missing from the sequence
	KindInserted  Kind = "inserted"  // an entry or object that should not be there
	KindReordered Kind = "reordered" // an entry in the wrong place
	KindChain     Kind = "chain"     // prev does not match the previous entry's hash
	KindDisagree  Kind = "disagree"  // a segment and an entry object differ on an entry
	KindMalformed Kind = "malformed" // not an entry at all
	KindCorrupt   Kind = "corrupt"   // the store's checksum of the object does not match
	KindTruncated Kind = "truncated" // the log ends before, or differs at, a checkpoint
)

// Problem is one thing Verify found wrong.
type Problem struct {
	Seq    uint64 // the entry concerned (0 when none)
	Key    string // the object
	Line   int    // 1-based line in a segment, 0 for other objects
	Kind   Kind
	Detail string
}

func (p Problem) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seq %d: %s", p.Seq, p.Kind)
	if p.Key != "" {
		fmt.Fprintf(&b, " in %s", p.Key)
		if p.Line > 0 {
			fmt.Fprintf(&b, " line %d", p.Line)
		}
	}
	if p.Detail != "" {
		b.WriteString(": " + p.Detail)
	}
	return b.String()
}

// Report is the result of Verify.
type Report struct {
	Entries      uint64     // distinct entries checked
	Segments     int        // segment objects read
	Objects      int        // entry objects read
	Leftovers    int        // entry objects also in a segment
	Head         Checkpoint // the newest entry (record it to detect truncation later)
	MACs         bool       // MACs were checked (a key is configured)
	Problems     []Problem  // in the order found, at most MaxProblems
	ProblemCount int
}

// OK reports whether no problem was found.
func (r Report) OK() bool { return r.ProblemCount == 0 }

// Err is nil when the log is intact, else an error wrapping ErrTampered.
func (r Report) Err() error {
	if r.OK() {
		return nil
	}
	return fmt.Errorf("%w: %d problems, first: %v", ErrTampered, r.ProblemCount, r.Problems[0])
}

func (r *Report) add(p Problem) {
	r.ProblemCount++
	if len(r.Problems) < MaxProblems {
		r.Problems = append(r.Problems, p)
	}
}

// Verify reads the whole log in seq order and checks every entry: stored
// form, hash, MAC (when a key is configured: entries without one are
// problems), that seqs run 1, 2, 3, … without gap, repeat or disorder,
// that each prev is the previous entry's hash, that entry objects beside a
// segment are identical to its lines, and that the log reaches each given
// checkpoint with the same hash. It also reports a log shorter than what
// this Log has appended or seen. Problems go in the Report; the error is
// only for failing to read (ErrUnavailable). Entries appended while it runs
// may or may not be checked.
func (l *Log) Verify(ctx context.Context, pins ...Checkpoint) (Report, error) {
	seen := l.Head()
	rep := Report{MACs: l.cfg.Key != nil}
	c := chain{key: l.cfg.Key, next: 1, prevKnown: true, rep: &rep, pins: map[uint64]string{}}
	for _, p := range pins {
		c.pins[p.Seq] = ""
	}
	w := &walk{l: l, problem: rep.add}
	if err := w.run(ctx, func(r rec) bool { c.check(r); return ctx.Err() == nil }); err != nil {
		return rep, err
	}
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	rep.Segments, rep.Objects, rep.Leftovers = w.segments, w.objects, w.leftovers
	end := c.next - 1
	if seen.Seq > end {
		rep.add(Problem{Seq: end + 1, Kind: KindTruncated,
			Detail: fmt.Sprintf("log ends at seq %d but this process saw seq %d", end, seen.Seq)})
	}
	for _, p := range pins {
		switch h, ok := c.pins[p.Seq]; {
		case p.Seq > end:
			rep.add(Problem{Seq: p.Seq, Kind: KindTruncated, Detail: fmt.Sprintf("log ends at seq %d before checkpoint %v", end, p)})
		case !ok || h == "":
			rep.add(Problem{Seq: p.Seq, Kind: KindTruncated, Detail: fmt.Sprintf("entry of checkpoint %v not found", p)})
		case h != p.Hash:
			rep.add(Problem{Seq: p.Seq, Kind: KindTruncated, Detail: fmt.Sprintf("hash %s differs from checkpoint %v", h, p)})
		}
	}
	return rep, nil
}

// chain checks the entries of a walk one after the other.
type chain struct {
	key       []byte
	next      uint64 // the seq expected next
	prev      string // hash of entry next-1
	prevKnown bool   // prev is known (entry next-1 was read as an entry)
	last      rec
	rep       *Report
	pins      map[uint64]string // checkpoint seq -> hash found
}

func (c *chain) check(r rec) {
	add := func(k Kind, format string, args ...any) {
		c.rep.add(Problem{Seq: r.seq, Key: r.key, Line: r.line, Kind: k, Detail: fmt.Sprintf(format, args...)})
	}
	if r.seq < c.next {
		add(KindInserted, "seq %d again after %s (overlapping segments?)", r.seq, c.last.where())
		return
	}
	if r.seq > c.next {
		n := r.seq - c.next
		detail := fmt.Sprintf("%d entries missing before %s", n, r.where())
		if n == 1 {
			detail = "missing before " + r.where()
		}
		c.rep.add(Problem{Seq: c.next, Key: r.key, Line: r.line, Kind: KindRemoved, Detail: detail})
		c.prevKnown = false
	}
	c.next, c.last = r.seq+1, r
	c.rep.Entries++
	if r.err != nil {
		add(KindMalformed, "%v", r.err)
		c.prevKnown = false
		return
	}
	for _, f := range inspect(r.w, r.raw, c.key) {
		add(f.kind, "%s", f.detail)
	}
	if c.prevKnown && r.w.Prev != c.prev {
		if r.seq == 1 {
			add(KindChain, "first entry has prev %q, want none", r.w.Prev)
		} else {
			add(KindChain, "prev %s is not the hash %s of seq %d", short(r.w.Prev), short(c.prev), r.seq-1)
		}
	}
	c.prev, c.prevKnown = r.w.Hash, true
	if _, ok := c.pins[r.seq]; ok {
		c.pins[r.seq] = r.w.Hash
	}
	c.rep.Head = Checkpoint{Seq: r.seq, Hash: r.w.Hash}
}

type finding struct {
	kind   Kind
	detail string
}

// inspect checks one decoded entry against its stored bytes and, when key
// is set, its MAC.
func inspect(w wireEntry, line, key []byte) []finding {
	var fs []finding
	canon := w.canonical()
	if h := hashOf(canon); h != w.Hash {
		fs = append(fs, finding{KindEdited, fmt.Sprintf("content hashes to %s, entry says %s", short(h), short(w.Hash))})
	} else if !bytes.Equal(w.stored(), line) {
		fs = append(fs, finding{KindEdited, "not in the stored form (re-encoded by something else)"})
	}
	if key != nil {
		switch want := macOf(key, canon); {
		case w.MAC == "":
			fs = append(fs, finding{KindMAC, "no MAC"})
		case !hmac.Equal([]byte(w.MAC), []byte(want)):
			fs = append(fs, finding{KindMAC, "MAC does not match"})
		}
	}
	return fs
}

// inspectErr is inspect as an error wrapping ErrTampered, or nil.
func inspectErr(w wireEntry, line, key []byte) error {
	var errs []error
	for _, f := range inspect(w, line, key) {
		errs = append(errs, fmt.Errorf("seq %d: %s: %s", w.Seq, f.kind, f.detail))
	}
	if errs == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrTampered, errors.Join(errs...))
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}
