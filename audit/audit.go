// Package audit is hoso's tamper-evident audit log, kept in the object store
// beside the archive. The server appends one entry for every sign-in,
// search, view, download, upload, edit, correction and admin action, and
// fails the action when the entry cannot be stored: there is no unaudited
// access.
//
// # Format
//
// Entries are numbered 1, 2, 3, … (Seq) and stored one per object, written
// create-only, at archive.AuditEntryKey(seq) ("audit/<seq, 16 digits>.json").
// Every SegmentSize entries, a complete run is sealed into one segment
// object, archive.AuditSegmentKey(first, last)
// ("audit-segments/<first>-<last>.jsonl", the entries' stored forms as lines
// in seq order), written create-only, after which the entry objects are
// deleted. A crash between the two steps leaves both; readers use the
// segment and require the leftovers to be byte-identical. Readers hold the
// unsealed entries in memory (normally fewer than two segments' worth) and
// one segment at a time.
//
// The stored form of an entry is the JSON object
//
//	{"schema":1,"seq":N,"time":T,"user":U,"remote":R,"action":A,"target":X,
//	 "dossier":D,"outcome":O,"detail":{…}|null,"prev":P,"hash":H,"mac":M}
//
// with members in exactly this order, as encoding/json's Marshal writes it:
// no insignificant white space, detail's members sorted by key at every
// level, numbers as written, "<", ">", "&", U+2028 and U+2029 escaped as
// \u003c, \u003e, \u0026, \u2028, \u2029. T is the time in UTC in RFC 3339
// with nanoseconds and trailing zeros of the fraction removed
// (time.RFC3339Nano). "mac" is left out when no key is configured.
//
// The canonical encoding of an entry is that object without its "hash" and
// "mac" members. H is the lower-case hex SHA-256 of the canonical encoding;
// M is the lower-case hex HMAC-SHA256 of it under Config.Key. P is the H of
// entry N-1, and "" for entry 1. A stored object must be exactly the stored
// form: Verify reports any other bytes, even with an intact hash.
//
// # Threat model
//
// The log detects changes made by someone who can write the object store
// but not run the server's code: an edited entry (its hash no longer
// matches), a removed one (a gap in Seq), one inserted or moved (its seq or
// position disagrees, or the next entry's prev no longer matches), and a
// segment that disagrees with a leftover entry object. Verify says which
// seq, object and line.
//
// Without a key, the hash chain only proves that the log is internally
// consistent: whoever can write the store and read this comment can rewrite
// any entry and recompute every hash after it. With Config.Key (an HMAC
// key kept off the store, e.g. in the server's configuration), rewriting,
// inserting or forging entries needs the key. What neither can detect on
// its own is removal of the newest entries (a shorter log is still a valid
// chain) or of the whole log: record a Checkpoint (seq and hash, printed by
// `hoso audit verify`) somewhere the store's writers cannot change, and pass
// it to Verify, which then reports a log that ends before it or differs up
// to it. Someone holding the key (the server's host) can rewrite the log
// entirely; only checkpoints kept elsewhere detect that. Nothing here hides
// the entries from readers of the store: they are not encrypted.
//
// An entry whose Append returned an error may still have been stored (the
// answer can be lost after the write); it is then a valid entry of the
// chain. Callers treat the error as "not audited" and refuse the action.
package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"hoso/archive"
	"hoso/storage"
)

// Sentinel errors.
var (
	// ErrUnavailable wraps the storage error (or contention) that kept
	// Append from storing an entry, and the errors of reading the log.
	ErrUnavailable = errors.New("audit log unavailable")
	// ErrTampered: stored audit data is not what this package wrote.
	// Verify reports such problems in its Report; Seal and Append return
	// errors wrapping ErrTampered when they meet them.
	ErrTampered = errors.New("audit log tampered with")
	// ErrInvalidEntry: Append was given an entry it cannot store.
	ErrInvalidEntry = errors.New("invalid audit entry")
	// ErrClosed: the Log was closed.
	ErrClosed = errors.New("audit log closed")
)

// Outcomes of an audited action.
const (
	OutcomeOK       = "ok"
	OutcomeDenied   = "denied"
	OutcomeError    = "error"
	OutcomeNotFound = "not-found"
)

// Entry is one audited action.
type Entry struct {
	Seq     uint64    // 1-based position in the log; set by Append
	Time    time.Time // when; Append sets it to now when zero and stores it in UTC
	User    string    // who (the user name; "" before sign-in)
	Remote  string    // from where (client address)
	Action  string    // what, e.g. "sign-in", "search", "view", "download"; required
	Target  string    // on what, e.g. "HS-1", "HS-1/01.pdf/p3", a user name
	Dossier string    // the dossier concerned, for filtering
	Outcome string    // OutcomeOK, OutcomeDenied, OutcomeError or OutcomeNotFound
	// Detail holds small facts (a query, a result count). It reads back as
	// JSON values: string, bool, json.Number, []any, map[string]any, nil.
	Detail map[string]any
	Prev   string // Hash of entry Seq-1; set by Append
	Hash   string // SHA-256 of the canonical encoding; set by Append
	MAC    string // HMAC-SHA256 of the canonical encoding when a key is set
}

// Config tunes a Log. The zero value is valid.
type Config struct {
	// Key, when set, makes Append add an HMAC to each entry and Verify
	// require it. Keep it off the object store; at least 16 bytes.
	Key []byte
	// SegmentSize is how many entries one segment holds (default 1000).
	// Segments end at multiples of it; every process appending to one log
	// must use the same value.
	SegmentSize int
	// ManualSeal turns off the sealing Append starts in the background
	// when an entry completes a segment; call Seal instead.
	ManualSeal bool
	// MaxAttempts bounds the tries of one Append that loses the race for a
	// seq to another process (default 50).
	MaxAttempts int
	// Logger gets the errors of background sealing (default slog.Default).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Defaults.
const (
	DefaultSegmentSize = 1000
	DefaultMaxAttempts = 50
)

// Validate reports whether c is usable.
func (c Config) Validate() error {
	switch {
	case c.Key != nil && len(c.Key) < 16:
		return errors.New("audit config: key shorter than 16 bytes")
	case c.SegmentSize < 0:
		return errors.New("audit config: negative segment size")
	case c.MaxAttempts < 0:
		return errors.New("audit config: negative max attempts")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.SegmentSize == 0 {
		c.SegmentSize = DefaultSegmentSize
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Log appends to and reads the audit log in a store. Its methods are safe
// for concurrent use; appends of one Log are serialized, and several Logs
// (in one or several processes) may append to the same store.
type Log struct {
	store storage.Store
	cfg   Config

	mu      sync.Mutex // serializes Append; guards the fields below
	tail    Checkpoint // the newest entry known to exist
	segKey  string     // the highest segment key seen
	covered uint64     // the highest seq in a segment seen

	closed bool // Close was called; guarded by mu

	sealMu     sync.Mutex  // one Seal at a time
	sealing    atomic.Bool // a background seal goroutine runs
	sealWanted atomic.Bool // a background seal was asked for
	bg         sync.WaitGroup
	bgCtx      context.Context
	cancel     context.CancelFunc
}

// Open finds the newest entry of the log in store (the last segment and the
// entry objects after it) so that Append continues the chain. An empty
// store is an empty log. Errors: ErrUnavailable, ErrTampered (the newest
// entry cannot be read as an entry).
func Open(ctx context.Context, store storage.Store, cfg Config) (*Log, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	l := &Log{store: store, cfg: cfg.withDefaults()}
	l.bgCtx, l.cancel = context.WithCancel(context.WithoutCancel(ctx))
	if err := l.loadTail(ctx); err != nil {
		l.cancel()
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	if !l.cfg.ManualSeal && l.tail.Seq >= l.covered+uint64(l.cfg.SegmentSize) {
		l.sealInBackground() // a seal was missed
	}
	return l, nil
}

// Close waits for a background seal to finish until ctx is done, then
// cancels it. Later Appends fail with ErrClosed. It does not close the store.
func (l *Log) Close(ctx context.Context) error {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	done := make(chan struct{})
	go func() { l.bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		l.cancel()
		<-done
	}
	l.cancel()
	return nil
}

// Head returns the newest entry this Log has seen (seq 0 for an empty log).
func (l *Log) Head() Checkpoint {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tail
}

// Append stores e as the next entry and returns it with Seq, Time, Detail
// (normalized), Prev, Hash and MAC set. The entry is durable in the store
// when Append returns nil. e's Seq, Prev, Hash and MAC are ignored.
//
// When another Log took the next seq first, Append reloads the newest entry
// and tries again, up to Config.MaxAttempts times. Errors: ErrInvalidEntry
// (nothing stored), ErrUnavailable wrapping the storage error (the entry
// may or may not be stored; it is never stored partially or out of chain),
// ErrTampered, ErrClosed.
func (l *Log) Append(ctx context.Context, e Entry) (Entry, error) {
	w, err := l.prepare(e)
	if err != nil {
		return Entry{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return Entry{}, ErrClosed
	}
	for attempt := range l.cfg.MaxAttempts {
		if attempt > 2 {
			time.Sleep(time.Duration(attempt) * 100 * time.Microsecond)
		}
		next, raw, err := l.encode(w, l.tail)
		if err != nil {
			return Entry{}, err
		}
		key := archive.AuditEntryKey(next.Seq)
		_, err = storage.PutBytes(ctx, l.store, key, raw, storage.PutOptions{IfAbsent: true, ContentType: "application/json"})
		if errors.Is(err, storage.ErrConflict) {
			if err := l.loadTail(ctx); err != nil {
				return Entry{}, fmt.Errorf("append audit entry: %w", err)
			}
			continue
		}
		if err != nil {
			return Entry{}, fmt.Errorf("%w: append audit entry %d: %w", ErrUnavailable, next.Seq, err)
		}
		// A seal writes its segment before it deletes the sealed entries'
		// objects, so a create-only write can succeed on a seq that now lives
		// only in a segment (our tail was stale). Then the seq was taken: take
		// our object back and try the next one.
		if sealed, err := l.sealedAt(ctx, next.Seq); err != nil {
			return Entry{}, fmt.Errorf("%w: append audit entry %d: %w", ErrUnavailable, next.Seq, err)
		} else if sealed {
			if err := l.store.Delete(ctx, key); err != nil && !errors.Is(err, storage.ErrNotExist) {
				return Entry{}, fmt.Errorf("%w: append audit entry %d: undo write on a sealed seq: %w", ErrUnavailable, next.Seq, err)
			}
			if err := l.loadTail(ctx); err != nil {
				return Entry{}, fmt.Errorf("append audit entry: %w", err)
			}
			continue
		}
		l.tail = Checkpoint{Seq: next.Seq, Hash: next.Hash}
		if !l.cfg.ManualSeal && next.Seq%uint64(l.cfg.SegmentSize) == 0 {
			l.sealInBackground()
		}
		back, _ := decodeWire(raw[:len(raw)-1])
		return back.entry() // what readers will see
	}
	return Entry{}, fmt.Errorf("%w: append audit entry: lost the race for the next seq %d times", ErrUnavailable, l.cfg.MaxAttempts)
}

// sealedAt reports whether the segment that would hold seq exists.
// Segments end on multiples of SegmentSize, so its key is known.
func (l *Log) sealedAt(ctx context.Context, seq uint64) (bool, error) {
	size := uint64(l.cfg.SegmentSize)
	first := (seq-1)/size*size + 1
	_, err := l.store.Stat(ctx, archive.AuditSegmentKey(first, first+size-1))
	if errors.Is(err, storage.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// encode chains w to tail and returns it with its hash and MAC, and its
// object content.
func (l *Log) encode(w wireEntry, tail Checkpoint) (wireEntry, []byte, error) {
	w.Seq, w.Prev = tail.Seq+1, tail.Hash
	canon := w.canonical()
	w.Hash = hashOf(canon)
	if l.cfg.Key != nil {
		w.MAC = macOf(l.cfg.Key, canon)
	}
	raw := append(w.stored(), '\n')
	if len(raw) > MaxEntrySize {
		return w, nil, fmt.Errorf("%w: %d bytes stored, at most %d", ErrInvalidEntry, len(raw), MaxEntrySize)
	}
	// Readers hash what they decode: make sure it is what was hashed.
	back, err := decodeWire(raw[:len(raw)-1])
	if err != nil || !bytes.Equal(back.canonical(), canon) {
		return w, nil, fmt.Errorf("%w: does not read back as written (%v)", ErrInvalidEntry, err)
	}
	return w, raw, nil
}

// prepare validates e and returns its stored form without seq and chain.
func (l *Log) prepare(e Entry) (wireEntry, error) {
	switch {
	case e.Action == "":
		return wireEntry{}, fmt.Errorf("%w: no action", ErrInvalidEntry)
	case e.Outcome != OutcomeOK && e.Outcome != OutcomeDenied && e.Outcome != OutcomeError && e.Outcome != OutcomeNotFound:
		return wireEntry{}, fmt.Errorf("%w: outcome %q", ErrInvalidEntry, e.Outcome)
	}
	if e.Time.IsZero() {
		e.Time = l.cfg.Now()
	}
	d, err := normalizeDetail(e.Detail)
	if err != nil {
		return wireEntry{}, err
	}
	e.Detail, e.Seq, e.Prev, e.Hash, e.MAC = d, 0, "", "", ""
	for _, s := range []*string{&e.User, &e.Remote, &e.Action, &e.Target, &e.Dossier} {
		*s = strings.ToValidUTF8(*s, "\uFFFD") // as encoding/json would store it
	}
	return toWire(e), nil
}

// sealInBackground makes a goroutine run Seal until a run seals nothing
// new, unless one is running: then that one runs Seal once more. Called
// with l.mu held (or before Open returns), so never after Close.
func (l *Log) sealInBackground() {
	l.sealWanted.Store(true)
	if !l.sealing.CompareAndSwap(false, true) {
		return
	}
	l.bg.Add(1)
	go func() {
		defer l.bg.Done()
		for {
			for l.sealWanted.Swap(false) {
				if _, err := l.Seal(l.bgCtx); err != nil && l.bgCtx.Err() == nil {
					l.cfg.Logger.Error("seal audit log", "err", err)
				}
			}
			l.sealing.Store(false)
			// An ask that came after the last Swap and before the Store
			// found sealing still set: take it over.
			if !l.sealWanted.Load() || !l.sealing.CompareAndSwap(false, true) {
				return
			}
		}
	}()
}
