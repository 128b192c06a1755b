package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	"golang.org/x/sync/errgroup"

	"hoso/archive"
	"hoso/storage"
)

// Seal moves each complete run of entry objects after the last segment,
// up to the next multiple of Config.SegmentSize, into a segment: it writes
// the segment create-only, then deletes the entry objects. It first removes
// entry objects left beside a segment by an interrupted Seal, after checking
// that they are identical to the segment's lines. It returns how many
// entries it sealed.
//
// Seal may run while Logs in this and other processes append and seal.
// Errors: ErrUnavailable; ErrTampered when a run to seal is not a valid
// chain (nothing of it is sealed), a segment exists with other content, or
// a leftover differs from its segment (the leftover is kept). Run Verify to
// see every problem.
func (l *Log) Seal(ctx context.Context) (int, error) {
	l.sealMu.Lock()
	defer l.sealMu.Unlock()
	total := 0
	for range 8 {
		n, err := l.sealOnce(ctx)
		total += n
		if !errors.Is(err, errRace) {
			return total, err
		}
	}
	return total, fmt.Errorf("%w: seal: entries keep moving under a concurrent seal", ErrUnavailable)
}

func (l *Log) sealOnce(ctx context.Context) (int, error) {
	// Entries before segments: see loadTail.
	seqs, _, err := listLoose(ctx, l.store, "")
	if err != nil {
		return 0, err
	}
	segs, _, err := listSegments(ctx, l.store, "")
	if err != nil {
		return 0, err
	}
	var covered uint64
	for _, s := range segs {
		covered = max(covered, s.Last)
	}
	i := sort.Search(len(seqs), func(i int) bool { return seqs[i] > covered })
	var errs []error
	if err := l.cleanLeftovers(ctx, seqs[:i], segs); err != nil {
		if !errors.Is(err, ErrTampered) {
			return 0, err
		}
		errs = append(errs, err) // seal what follows anyway
	}
	pending := seqs[i:]
	size := uint64(l.cfg.SegmentSize)
	n := 0
	for {
		first, last := covered+1, (covered/size+1)*size
		j := sort.Search(len(pending), func(j int) bool { return pending[j] >= first })
		k := j + int(last-first)
		if k >= len(pending) || pending[j] != first || pending[k] != last {
			break // incomplete: pending is sorted without repeats, so this is exact
		}
		if err := l.sealRun(ctx, first, last); err != nil {
			return n, errors.Join(append(errs, err)...)
		}
		n += int(last - first + 1)
		covered = last
	}
	return n, errors.Join(errs...)
}

// sealRun seals entries first..last, all present as entry objects.
func (l *Log) sealRun(ctx context.Context, first, last uint64) error {
	objs := make([][]byte, last-first+1)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(readWorkers)
	for i := range objs {
		g.Go(func() error {
			seq := first + uint64(i)
			key := archive.AuditEntryKey(seq)
			raw, err := readObject(gctx, l.store, key, MaxEntrySize)
			switch {
			case errors.Is(err, storage.ErrNotExist):
				return errRace
			case errors.Is(err, storage.ErrChecksum):
				return fmt.Errorf("%w: seal: %w", ErrTampered, err)
			case err != nil:
				return err
			}
			objs[i] = raw
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	prev := ""
	for i, raw := range objs {
		seq := first + uint64(i)
		if err := l.checkSealable(seq, raw, prev, i > 0); err != nil {
			return fmt.Errorf("seal %d-%d: %w", first, last, err)
		}
		w, _ := decodeWire(raw[:len(raw)-1])
		prev = w.Hash
	}
	key := archive.AuditSegmentKey(first, last)
	seg := bytes.Join(objs, nil)
	_, err := storage.PutBytes(ctx, l.store, key, seg, storage.PutOptions{IfAbsent: true, ContentType: "application/jsonl"})
	if errors.Is(err, storage.ErrConflict) {
		return fmt.Errorf("%w: segment %s exists with other content", ErrTampered, key)
	}
	if err != nil {
		return fmt.Errorf("%w: write %s: %w", ErrUnavailable, key, err)
	}
	seqs := make([]uint64, len(objs))
	for i := range seqs {
		seqs[i] = first + uint64(i)
	}
	return l.deleteEntries(ctx, seqs)
}

// checkSealable refuses an entry object that is not an intact link of the
// chain. The MAC is checked when there is one and a key.
func (l *Log) checkSealable(seq uint64, raw []byte, prev string, prevKnown bool) error {
	if len(raw) == 0 || raw[len(raw)-1] != '\n' {
		return fmt.Errorf("%w: entry %d: no newline at the end", ErrTampered, seq)
	}
	line := raw[:len(raw)-1]
	w, err := decodeWire(line)
	if err != nil {
		return fmt.Errorf("%w: entry %d: %v", ErrTampered, seq, err)
	}
	if w.Seq != seq {
		return fmt.Errorf("%w: object of entry %d holds seq %d", ErrTampered, seq, w.Seq)
	}
	key := l.cfg.Key
	if w.MAC == "" {
		key = nil
	}
	if err := inspectErr(w, line, key); err != nil {
		return err
	}
	if prevKnown && w.Prev != prev {
		return fmt.Errorf("%w: entry %d: prev is not the hash of entry %d", ErrTampered, seq, seq-1)
	}
	return nil
}

// deleteEntries deletes entry objects; missing ones are fine (another
// sealer got there first).
func (l *Log) deleteEntries(ctx context.Context, seqs []uint64) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(readWorkers)
	for _, seq := range seqs {
		g.Go(func() error {
			key := archive.AuditEntryKey(seq)
			if err := l.store.Delete(ctx, key); err != nil && !errors.Is(err, storage.ErrNotExist) {
				return fmt.Errorf("%w: delete sealed %s: %w", ErrUnavailable, key, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// cleanLeftovers deletes the entry objects seqs (all at or below the last
// segment) that are identical to their segment's line. Those that differ or
// are in no segment are kept and reported as an error wrapping ErrTampered.
func (l *Log) cleanLeftovers(ctx context.Context, seqs []uint64, segs []segRef) error {
	var errs []error
	for _, ref := range segs {
		lo := sort.Search(len(seqs), func(i int) bool { return seqs[i] >= ref.First })
		hi := sort.Search(len(seqs), func(i int) bool { return seqs[i] > ref.Last })
		if lo == hi {
			continue
		}
		lines, _, err := segmentLines(ctx, l.store, ref)
		if err != nil {
			return fmt.Errorf("%w: leftovers of %s: %w", ErrTampered, ref.Key, err)
		}
		var same []uint64
		for _, seq := range seqs[lo:hi] {
			key := archive.AuditEntryKey(seq)
			raw, err := readObject(ctx, l.store, key, MaxEntrySize)
			if errors.Is(err, storage.ErrNotExist) {
				continue
			}
			if err != nil && !errors.Is(err, storage.ErrChecksum) {
				return err
			}
			i := int(seq - ref.First)
			if err != nil || i >= len(lines) || !bytes.Equal(raw, append(slices.Clip(lines[i]), '\n')) {
				errs = append(errs, fmt.Errorf("%w: %s differs from line %d of %s", ErrTampered, key, i+1, ref.Key))
				continue
			}
			same = append(same, seq)
		}
		if err := l.deleteEntries(ctx, same); err != nil {
			return err
		}
		seqs = slices.Delete(slices.Clone(seqs), lo, hi)
	}
	for _, seq := range seqs {
		errs = append(errs, fmt.Errorf("%w: entry object %d is below the last segment but in none", ErrTampered, seq))
	}
	return errors.Join(errs...)
}
