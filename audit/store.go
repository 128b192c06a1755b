package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"hoso/archive"
	"hoso/storage"
)

// maxSegmentSize bounds how much of a segment object is read.
const maxSegmentSize = 256 << 20

// errRace: a concurrent Seal moved what was being read; start over.
var errRace = errors.New("audit objects moved by a concurrent seal")

// unavailable wraps a storage error met while reading the log.
func unavailable(what string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, what, err)
}

// readObject reads the object under key, at most limit bytes. Errors:
// storage.ErrNotExist as is; on a checksum mismatch it returns the bytes
// with an error wrapping storage.ErrChecksum; others wrap ErrUnavailable.
func readObject(ctx context.Context, s storage.Store, key string, limit int64) ([]byte, error) {
	rc, _, err := s.Get(ctx, key)
	if errors.Is(err, storage.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, unavailable("read "+key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	switch {
	case errors.Is(err, storage.ErrChecksum):
		return b, fmt.Errorf("read %s: %w", key, err)
	case err != nil:
		return nil, unavailable("read "+key, err)
	case int64(len(b)) > limit:
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrTampered, key, limit)
	}
	return b, nil
}

// listLoose returns the seqs of the entry objects after startAfter in
// ascending order, and the keys under the prefix that name no entry.
func listLoose(ctx context.Context, s storage.Store, startAfter string) (seqs []uint64, bad []string, err error) {
	for info, err := range s.List(ctx, archive.PrefixAudit, startAfter) {
		if err != nil {
			return nil, nil, unavailable("list audit entries", err)
		}
		if seq, ok := parseEntryKey(info.Key); ok {
			seqs = append(seqs, seq)
		} else {
			bad = append(bad, info.Key)
		}
	}
	return seqs, bad, nil
}

// listSegments returns the segments after startAfter in key order (which
// is the order of First), and the keys under the prefix that name none.
func listSegments(ctx context.Context, s storage.Store, startAfter string) (segs []segRef, bad []string, err error) {
	for info, err := range s.List(ctx, archive.PrefixAuditSeg, startAfter) {
		if err != nil {
			return nil, nil, unavailable("list audit segments", err)
		}
		if ref, ok := parseSegmentKey(info.Key); ok {
			segs = append(segs, ref)
		} else {
			bad = append(bad, info.Key)
		}
	}
	return segs, bad, nil
}

// segmentLines reads a segment and splits it into lines (without their
// newlines). A missing final newline is tolerated here; Verify reports it.
func segmentLines(ctx context.Context, s storage.Store, ref segRef) (lines [][]byte, raw []byte, err error) {
	raw, err = readObject(ctx, s, ref.Key, maxSegmentSize)
	if err != nil && raw == nil {
		return nil, nil, err
	}
	body := bytes.TrimSuffix(raw, []byte("\n"))
	if len(body) > 0 {
		lines = bytes.Split(body, []byte("\n"))
	}
	return lines, raw, err
}

// loadTail brings l.tail up to the newest entry in the store. It lists the
// entry objects before the segments: a Seal writes its segment before it
// deletes the entries, so every entry is found in one of the two listings.
// Called with l.mu held.
func (l *Log) loadTail(ctx context.Context) error {
	var err error
	for range 8 {
		if err = l.loadTailOnce(ctx); !errors.Is(err, errRace) {
			return err
		}
	}
	return fmt.Errorf("%w: find the newest audit entry: %w", ErrUnavailable, err)
}

func (l *Log) loadTailOnce(ctx context.Context) error {
	after := ""
	if l.tail.Seq > 0 {
		after = archive.AuditEntryKey(l.tail.Seq)
	}
	seqs, _, err := listLoose(ctx, l.store, after)
	if err != nil {
		return err
	}
	segs, _, err := listSegments(ctx, l.store, l.segKey)
	if err != nil {
		return err
	}
	var newest segRef
	for _, s := range segs {
		if s.Last > newest.Last {
			newest = s
		}
	}
	if len(segs) > 0 {
		l.segKey = segs[len(segs)-1].Key
	}
	l.covered = max(l.covered, newest.Last)
	var maxLoose uint64
	if len(seqs) > 0 {
		maxLoose = seqs[len(seqs)-1]
	}
	seq := max(l.tail.Seq, maxLoose, newest.Last)
	if seq == l.tail.Seq {
		return nil
	}
	var line []byte
	where := archive.AuditEntryKey(seq)
	if maxLoose == seq {
		raw, err := readObject(ctx, l.store, where, MaxEntrySize)
		if errors.Is(err, storage.ErrNotExist) {
			return errRace // sealed since the listing
		}
		if err != nil {
			return fmt.Errorf("%w: newest entry: %w", ErrTampered, err)
		}
		line = bytes.TrimSuffix(raw, []byte("\n"))
	} else {
		where = newest.Key
		lines, _, err := segmentLines(ctx, l.store, newest)
		if err != nil {
			return fmt.Errorf("%w: newest entry: %w", ErrTampered, err)
		}
		if len(lines) > 0 {
			line = lines[len(lines)-1]
		}
	}
	w, err := decodeWire(line)
	if err != nil {
		return fmt.Errorf("%w: newest entry in %s: %v", ErrTampered, where, err)
	}
	if w.Seq != seq {
		return fmt.Errorf("%w: newest entry in %s has seq %d, want %d", ErrTampered, where, w.Seq, seq)
	}
	l.tail = Checkpoint{Seq: seq, Hash: w.Hash}
	return nil
}
