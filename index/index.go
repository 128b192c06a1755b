// Package index is hoso's full-text search over dossier pages, and the only
// package that imports bleve.
//
// Every page is one index document (id CODE/docID/pN) carrying its dossier's
// and document's fields (see mapping.go). Text fields use a Vietnamese-aware
// analyzer: Unicode word segmentation, lower case, and folding of diacritics
// (đ→d included) that keeps the original word too, so "nguyen van thanh",
// "Nguyễn Văn Thành" and "NGUYEN VAN THANH" all match and a query typed with
// diacritics ranks exact matches first. The page text is analyzed once per
// page into three fields (document.go): its folded words with positions
// (phrases, highlighting), the original spellings of the words that carry
// diacritics (ranking only), and the adjacent pairs of name syllables (a
// phrase pre-filter, see pairWords).
//
// Searches do not go through bleve's searchers and collector but through
// this package's engine (engine.go, score.go, grouping.go), which reads
// scorch's segments directly: matching on bitmaps, scoring only the pages
// that can reach the requested page of dossiers, per-segment tables for the
// dossier of every page. Totals, facets, the order of dossiers and their
// scores are exact, as before. Behaviour that differs from the bleve-based
// search this replaced:
//
//   - The automatic fuzzy retry (when nothing matches exactly): in a clause
//     of several words, only the words that occur nowhere in the index are
//     made fuzzy when there are such words; when all occur, a quoted phrase
//     is retried with one word fuzzy at a time (a phrase whose every word is
//     fuzzy took seconds on 100,000 pages). A phrase with two misspelled
//     words that both occur elsewhere is therefore not found by the retry;
//     ask for it explicitly ("..."~). Words of 2 letters or less are never
//     made fuzzy by the retry (before, one such word disabled the retry of
//     the whole phrase).
//   - Highlighting (PageHit.Terms and Snippets) marks a phrase's words where
//     they form the phrase, not every occurrence of its words.
//   - The field boosts (name 1.5, title 1.2) now apply to single words as
//     they did to phrases (bleve ignored them on a disjunction).
//   - A dossier's hits are its best-scoring pages whatever the sort, ties
//     broken by page id; dossiers tied on score are ordered by code.
//
// The object store is the source of truth; the index is derived and can be
// deleted at any time. It records, inside the index, the manifest version it
// holds for each dossier and a cursor into the store's change journal, so
// CatchUp and Follow bring it up to date with commits made by any process,
// and Rebuild makes a new one from the store alone.
//
// On disk an index folder holds:
//
//	LOCK       flock'd by the one process that has the index open
//	CURRENT    names the active bleve index subfolder (replaced by rename)
//	idx-<n>/   bleve (scorch) indexes; any but CURRENT's are left-overs
//
// Only one process may open an index: a second Open fails within
// Config.LockTimeout with an error wrapping ErrLocked.
package index

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Sentinel errors. Bleve's errors are mapped to these at this package's
// boundary; callers never import bleve.
var (
	// ErrLocked: another process (or another Open in this one) holds the index.
	ErrLocked = errors.New("index is in use by another hoso process (is hoso serve running?)")
	// ErrOutOfSync: the index does not hold what the store holds (empty,
	// damaged, or behind); CatchUp or Rebuild repairs it.
	ErrOutOfSync = errors.New("index is out of sync with the store")
	// ErrClosed: the Index was closed.
	ErrClosed = errors.New("index is closed")
	// ErrQuery: the query text is not valid; the message names the position.
	ErrQuery = errors.New("bad query")
	// ErrClearance: the request's clearance is not a valid level. A search
	// without a valid clearance returns nothing, never everything.
	ErrClearance = errors.New("invalid clearance")
	// ErrDamaged: the index's files were lost or could not be written
	// while it was open (its folder deleted, its disk full). It wraps
	// ErrOutOfSync: reads are refused until Rebuild replaces it (Follow
	// does so by itself), because bleve may panic searching an index
	// whose last batch failed to persist.
	ErrDamaged = fmt.Errorf("%w: the index files are damaged or gone", ErrOutOfSync)
)

// Config tunes an Index. The zero value is usable.
type Config struct {
	// Logger receives operational logs; nil discards them.
	Logger *slog.Logger
	// LockTimeout is how long Open waits for another holder (default 1s).
	LockTimeout time.Duration
	// BatchSize is the number of pages per bleve batch (default 1000).
	BatchSize int
	// Lookback is how far before its cursor the follower re-reads the
	// journal, to catch commits from hosts with skewed clocks and commits in
	// flight (default 2m).
	Lookback time.Duration
	// TextWorkers is the number of dossiers loaded from the store at once
	// (default 8).
	TextWorkers int
	// IndexWorkers is the number of batches Rebuild builds at once
	// (default 2).
	IndexWorkers int
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.LockTimeout <= 0 {
		c.LockTimeout = time.Second
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 1000
	}
	if c.Lookback <= 0 {
		c.Lookback = 2 * time.Minute
	}
	if c.TextWorkers <= 0 {
		c.TextWorkers = 8
	}
	if c.IndexWorkers <= 0 {
		c.IndexWorkers = 2
	}
	return c
}

// Log keys.
const (
	logKeyCode    = "code"
	logKeyVersion = "version"
	logKeyPath    = "path"
	logKeyErr     = "err"
	logKeyCount   = "count"
)

// Index is an open search index. It is safe for concurrent use: searches run
// in parallel; writes are serialized.
type Index struct {
	root string
	cfg  Config
	log  *slog.Logger
	lock *os.File

	mu     sync.RWMutex // guards bi, sub, closed, broken
	bi     bleve.Index
	sub    string // active subfolder name
	closed bool
	broken error // why bi may not be read (ErrDamaged), until a Rebuild swaps in a new one

	wmu  sync.Mutex // serializes batches and the rebuild swap
	cmu  sync.Mutex // serializes CatchUp runs and the rebuild's final catch-up
	text analysis.Analyzer
}

// Open opens the index in folder path, creating it when missing. When another
// holder has it open, Open fails within cfg.LockTimeout with an error
// wrapping ErrLocked. Left-overs of an interrupted Rebuild are removed.
//
// An index whose files were damaged may open empty without an error (a
// property of bleve's scorch): call Check to compare it with the store.
func Open(path string, cfg Config) (*Index, error) {
	cfg = cfg.withDefaults()
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	lock, err := lockDir(path, cfg.LockTimeout)
	if err != nil {
		return nil, err
	}
	ix := &Index{root: path, cfg: cfg, log: cfg.Logger, lock: lock}
	sub, err := readCurrent(path)
	if err != nil {
		unlockDir(lock)
		return nil, err
	}
	var bi bleve.Index
	if sub != "" {
		bi, err = openBleve(filepath.Join(path, sub), cfg)
		switch {
		case errors.Is(err, bleve.ErrorIndexPathDoesNotExist) || errors.Is(err, bleve.ErrorIndexMetaMissing):
			ix.log.Warn("index folder named by CURRENT is missing; starting empty", logKeyPath, sub)
			sub = ""
		case errors.Is(mapErr(err), ErrLocked):
			unlockDir(lock)
			return nil, fmt.Errorf("open index %s: %w", path, mapErr(err))
		case err != nil:
			// Damaged files (bolt, segments, metadata): the index is derived
			// data, so start empty as if the folder had been deleted; the
			// damaged subfolder is removed below, and CatchUp, Follow or
			// Rebuild fill the new one from the store.
			ix.log.Warn("index damaged; starting empty (the store is the truth: hoso serve refills it, or run hoso reindex)", logKeyPath, sub, logKeyErr, err)
			sub = ""
		}
	} else if err := currentDamaged(path); err != nil {
		ix.log.Warn("index CURRENT damaged; starting empty", logKeyErr, err)
	}
	if sub != "" && !hasCurrentLayout(bi) {
		// built by an older hoso: the store is the truth, refill it
		ix.log.Warn("index built with an older layout; starting empty (hoso serve refills it, or run hoso reindex)", logKeyPath, sub)
		_ = bi.Close()
		sub = ""
	}
	if sub == "" {
		sub, bi, err = createSub(path, cfg, false)
		if err == nil {
			err = writeCurrent(path, sub)
		}
		if err != nil {
			unlockDir(lock)
			return nil, fmt.Errorf("create index %s: %w", path, err)
		}
	}
	ix.bi, ix.sub = bi, sub
	ix.text = bi.Mapping().AnalyzerNamed(AnalyzerName)
	if ix.text == nil {
		_ = ix.Close()
		return nil, fmt.Errorf("open index %s: analyzer %s missing from mapping", path, AnalyzerName)
	}
	ix.removeLeftovers()
	return ix, nil
}

// Close closes the index and releases the lock. Writes not flushed by an
// Indexer are lost (they are redone by CatchUp: versions are recorded in the
// same batch as the pages).
func (ix *Index) Close() error {
	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed {
		return nil
	}
	ix.closed = true
	err := ix.bi.Close()
	if e := unlockDir(ix.lock); err == nil {
		err = e
	}
	if err != nil {
		return fmt.Errorf("close index: %w", mapErr(err))
	}
	return nil
}

// Path returns the index folder.
func (ix *Index) Path() string { return ix.root }

// DocCount returns the number of pages in the index.
func (ix *Index) DocCount() (int, error) {
	bi, release, err := ix.acquire()
	if err != nil {
		return 0, err
	}
	defer release()
	n, err := bi.DocCount()
	return int(n), mapErr(err)
}

// acquire returns the active bleve index for reading, holding off a swap
// until release is called. A damaged index is refused (ErrDamaged).
func (ix *Index) acquire() (bleve.Index, func(), error) {
	ix.mu.RLock()
	if ix.closed {
		ix.mu.RUnlock()
		return nil, nil, ErrClosed
	}
	if ix.broken != nil {
		err := ix.broken
		ix.mu.RUnlock()
		return nil, nil, err
	}
	return ix.bi, ix.mu.RUnlock, nil
}

// markBroken records that the active index failed to persist a batch: it
// is refused from now on, until Rebuild swaps in a new one.
func (ix *Index) markBroken(cause error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.broken == nil {
		ix.broken = fmt.Errorf("%w (%v): rebuild it from the store", ErrDamaged, cause)
		ix.log.Error("search index damaged; refusing searches until it is rebuilt from the store", logKeyErr, cause)
	}
}

// openBleve opens a bleve index; batches wait until they are persisted.
func openBleve(dir string, cfg Config) (bleve.Index, error) {
	return bleve.OpenUsing(dir, scorchConfig(cfg, false))
}

// scorchConfig is the runtime configuration of a bleve index (see
// createSub for unsafe).
func scorchConfig(cfg Config, unsafe bool) map[string]interface{} {
	m := map[string]interface{}{"bolt_timeout": cfg.LockTimeout.String(), "unsafe_batch": unsafe}
	maps.Copy(m, testScorchConfig)
	return m
}

// testScorchConfig is added to every index's configuration: tests set it
// (to stop scorch's background merging, for one).
var testScorchConfig map[string]interface{}

// dropSub closes bi (if any), the index of a build that failed, and
// removes its subfolder sub: the current index stays as it was.
func (ix *Index) dropSub(sub string, bi bleve.Index) {
	if bi != nil {
		_ = bi.Close()
	}
	_ = os.RemoveAll(filepath.Join(ix.root, sub))
}

// createSub creates a new empty bleve index in a fresh subfolder of root.
// With unsafe, batches return once searchable, without waiting to be
// persisted (used by Rebuild, which waits for persistence once at the end;
// later opens are safe again).
func createSub(root string, cfg Config, unsafe bool) (string, bleve.Index, error) {
	m, err := newMapping()
	if err != nil {
		return "", nil, err
	}
	sub := "idx-" + strconv.FormatInt(time.Now().UnixNano(), 10)
	bi, err := bleve.NewUsing(filepath.Join(root, sub), m, bleve.Config.DefaultIndexType, bleve.Config.DefaultKVStore, scorchConfig(cfg, unsafe))
	if err != nil {
		return "", nil, mapErr(err)
	}
	if err := bi.SetInternal([]byte(internalLayout), []byte(layoutVersion)); err != nil {
		_ = bi.Close()
		return "", nil, mapErr(err)
	}
	return sub, bi, nil
}

// readCurrent returns the subfolder named by root/CURRENT, or "".
func readCurrent(root string) (string, error) {
	b, err := os.ReadFile(filepath.Join(root, "CURRENT"))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read index CURRENT: %w", err)
	}
	sub := strings.TrimSpace(string(b))
	if !strings.HasPrefix(sub, "idx-") || strings.ContainsAny(sub, `/\`) {
		return "", nil // damaged: see currentDamaged
	}
	return sub, nil
}

// currentDamaged returns an error when root/CURRENT exists but does not
// name an index subfolder (readCurrent then reports no index).
func currentDamaged(root string) error {
	b, err := os.ReadFile(filepath.Join(root, "CURRENT"))
	if err != nil {
		return nil
	}
	if sub := strings.TrimSpace(string(b)); !strings.HasPrefix(sub, "idx-") || strings.ContainsAny(sub, `/\`) {
		return fmt.Errorf("index CURRENT names %q", sub)
	}
	return nil
}

// writeCurrent atomically points root/CURRENT at sub: temp file, fsync,
// rename, fsync the folder.
func writeCurrent(root, sub string) error {
	tmp := filepath.Join(root, "CURRENT.tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err = f.WriteString(sub + "\n"); err == nil {
		err = f.Sync()
	}
	if e := f.Close(); err == nil {
		err = e
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(root, "CURRENT"))
	}
	if err != nil {
		return fmt.Errorf("write index CURRENT: %w", err)
	}
	if d, err := os.Open(root); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// removeLeftovers deletes subfolders other than the active one (an
// interrupted rebuild, or the old index after a swap).
func (ix *Index) removeLeftovers() {
	entries, err := os.ReadDir(ix.root)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "idx-") && e.Name() != ix.sub {
			p := filepath.Join(ix.root, e.Name())
			if err := os.RemoveAll(p); err != nil {
				ix.log.Warn("remove old index folder", logKeyPath, p, logKeyErr, err)
			} else {
				ix.log.Info("removed old index folder", logKeyPath, p)
			}
		}
	}
	_ = os.Remove(filepath.Join(ix.root, "CURRENT.tmp"))
}

// mapErr maps bleve's and bolt's errors to this package's sentinels.
func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bleve.ErrorIndexClosed):
		return fmt.Errorf("%w: %v", ErrClosed, err)
	case errors.Is(err, bolterrors.ErrTimeout):
		return fmt.Errorf("%w: %v", ErrLocked, err)
	case errors.Is(err, bleve.ErrorIndexMetaCorrupt):
		return fmt.Errorf("%w: %v", ErrOutOfSync, err)
	}
	return err
}
