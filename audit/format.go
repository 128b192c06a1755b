package audit

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"hoso/archive"
)

// Schema is the "schema" member of every stored entry. Readers refuse
// entries with a higher one.
const Schema = 1

// MaxEntrySize is the largest stored form of one entry, in bytes. Append
// refuses bigger entries (keep Detail small: a query, a count, an id).
const MaxEntrySize = 64 << 10

// wireEntry is the stored form of an Entry. The order of its fields is the
// order of the members in the JSON, and so part of the hash definition.
type wireEntry struct {
	Schema  int            `json:"schema"`
	Seq     uint64         `json:"seq"`
	Time    string         `json:"time"`
	User    string         `json:"user"`
	Remote  string         `json:"remote"`
	Action  string         `json:"action"`
	Target  string         `json:"target"`
	Dossier string         `json:"dossier"`
	Outcome string         `json:"outcome"`
	Detail  map[string]any `json:"detail"`
	Prev    string         `json:"prev"`
	Hash    string         `json:"hash,omitempty"`
	MAC     string         `json:"mac,omitempty"`
}

func toWire(e Entry) wireEntry {
	return wireEntry{
		Schema: Schema, Seq: e.Seq, Time: e.Time.UTC().Format(time.RFC3339Nano),
		User: e.User, Remote: e.Remote, Action: e.Action, Target: e.Target,
		Dossier: e.Dossier, Outcome: e.Outcome, Detail: e.Detail,
		Prev: e.Prev, Hash: e.Hash, MAC: e.MAC,
	}
}

func (w wireEntry) entry() (Entry, error) {
	t, err := time.Parse(time.RFC3339Nano, w.Time)
	if err != nil {
		return Entry{}, fmt.Errorf("time: %w", err)
	}
	return Entry{
		Seq: w.Seq, Time: t.UTC(), User: w.User, Remote: w.Remote, Action: w.Action,
		Target: w.Target, Dossier: w.Dossier, Outcome: w.Outcome, Detail: w.Detail,
		Prev: w.Prev, Hash: w.Hash, MAC: w.MAC,
	}, nil
}

// canonical returns the bytes the hash and the MAC are computed over: the
// stored JSON without the hash and mac members.
func (w wireEntry) canonical() []byte {
	w.Hash, w.MAC = "", ""
	b, err := json.Marshal(w)
	if err != nil {
		// Detail was normalized by decoding JSON, so it always encodes.
		panic(fmt.Sprintf("audit: encode normalized entry: %v", err))
	}
	return b
}

// stored returns the object content of the entry (a segment line without
// its newline).
func (w wireEntry) stored() []byte {
	b, err := json.Marshal(w)
	if err != nil {
		panic(fmt.Sprintf("audit: encode normalized entry: %v", err))
	}
	return b
}

// hashOf is the lower-case hex SHA-256 of canonical.
func hashOf(canonical []byte) string {
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:])
}

// macOf is the lower-case hex HMAC-SHA256 of canonical under key.
func macOf(key, canonical []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(canonical)
	return hex.EncodeToString(m.Sum(nil))
}

// normalizeDetail returns d as it reads back from JSON: numbers as
// json.Number, structs as maps with sorted keys, an empty map as nil. Only
// this form hashes the same when a reader encodes it again.
func normalizeDetail(d map[string]any) (map[string]any, error) {
	if len(d) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("%w: detail: %v", ErrInvalidEntry, err)
	}
	var out map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("%w: detail: %v", ErrInvalidEntry, err)
	}
	return out, nil
}

// decodeWire parses one stored entry strictly: one JSON object, no unknown
// members, a known schema. It does not check the hash.
func decodeWire(b []byte) (wireEntry, error) {
	var w wireEntry
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return wireEntry{}, fmt.Errorf("decode entry: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return wireEntry{}, errors.New("decode entry: data after the object")
	}
	if w.Schema != Schema {
		return wireEntry{}, fmt.Errorf("decode entry: schema %d, want %d", w.Schema, Schema)
	}
	if _, err := time.Parse(time.RFC3339Nano, w.Time); err != nil {
		return wireEntry{}, fmt.Errorf("decode entry: time: %w", err)
	}
	return w, nil
}

// MarshalJSON writes the entry in its stored form (see the package comment).
func (e Entry) MarshalJSON() ([]byte, error) {
	d, err := normalizeDetail(e.Detail)
	if err != nil {
		return nil, err
	}
	w := toWire(e)
	w.Detail = d
	return w.stored(), nil
}

// UnmarshalJSON reads the stored form strictly. It does not check the hash:
// use Log.Verify.
func (e *Entry) UnmarshalJSON(b []byte) error {
	w, err := decodeWire(b)
	if err != nil {
		return err
	}
	*e, err = w.entry()
	return err
}

// parseEntryKey returns the seq of an entry object key.
func parseEntryKey(key string) (uint64, bool) {
	rest, ok := strings.CutPrefix(key, archive.PrefixAudit)
	if !ok {
		return 0, false
	}
	digits, ok := strings.CutSuffix(rest, ".json")
	if !ok {
		return 0, false
	}
	seq, ok := parseSeq(digits)
	if !ok || archive.AuditEntryKey(seq) != key {
		return 0, false
	}
	return seq, true
}

// segRef is a segment object: entries First..Last.
type segRef struct {
	Key         string
	First, Last uint64
}

// parseSegmentKey splits a segment key.
func parseSegmentKey(key string) (segRef, bool) {
	rest, ok := strings.CutPrefix(key, archive.PrefixAuditSeg)
	if !ok {
		return segRef{}, false
	}
	rest, ok = strings.CutSuffix(rest, ".jsonl")
	if !ok {
		return segRef{}, false
	}
	a, b, ok := strings.Cut(rest, "-")
	if !ok {
		return segRef{}, false
	}
	first, ok1 := parseSeq(a)
	last, ok2 := parseSeq(b)
	if !ok1 || !ok2 || first > last || archive.AuditSegmentKey(first, last) != key {
		return segRef{}, false
	}
	return segRef{Key: key, First: first, Last: last}, true
}

func parseSeq(s string) (uint64, bool) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil && n > 0
}
