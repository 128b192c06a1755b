package archive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"time"

	"hoso/domain"
	"hoso/storage"
)

// ErrVersionConflict is returned by Commit when another writer committed the
// dossier since the version the caller read. Reload, merge and commit again.
var ErrVersionConflict = errors.New("dossier was changed by another writer")

// ErrNoDossier is returned when no manifest exists for a code.
var ErrNoDossier = errors.New("no such dossier")

// Archive reads and writes dossiers in a Store following the layout above.
// It is safe for concurrent use.
type Archive struct {
	store storage.Store
	now   func() time.Time
}

// New returns an Archive over store.
func New(store storage.Store) *Archive { return &Archive{store: store, now: time.Now} }

// Store returns the underlying store.
func (a *Archive) Store() storage.Store { return a.store }

// PutOriginal stores an original file of size bytes whose SHA-256 (hex) the
// caller computed beforehand. Storing the same bytes again is a no-op that
// reads nothing from r. It returns the key.
func (a *Archive) PutOriginal(ctx context.Context, r io.Reader, size int64, sha, mediaType string) (string, error) {
	if !storage.ValidSHA256(sha) {
		return "", fmt.Errorf("put original: bad sha256 %q", sha)
	}
	key := OriginalKey(sha)
	if info, err := a.store.Stat(ctx, key); err == nil && info.SHA256 == sha && info.Size == size {
		return key, nil
	} else if err != nil && !errors.Is(err, storage.ErrNotExist) {
		return "", fmt.Errorf("put original %s: %w", key, err)
	}
	_, err := a.store.Put(ctx, key, r, size, storage.PutOptions{ContentType: mediaType, SHA256: sha, IfAbsent: true})
	if err != nil {
		return "", fmt.Errorf("put original %s: %w", key, err)
	}
	return key, nil
}

// Exists reports whether an object is stored under key.
func (a *Archive) Exists(ctx context.Context, key string) (bool, error) {
	_, err := a.store.Stat(ctx, key)
	if errors.Is(err, storage.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// PutPageImage stores the encoded image of page n of an original; ext is
// "png" or "jpg". Page images are derived deterministically, so an existing
// one is kept. It returns the key.
func (a *Archive) PutPageImage(ctx context.Context, sha string, n int, ext string, img []byte) (string, error) {
	ct := map[string]string{"png": "image/png", "jpg": "image/jpeg"}[ext]
	if ct == "" {
		return "", fmt.Errorf("put page image: unsupported extension %q", ext)
	}
	key := PageImageKey(sha, n, ext)
	_, err := storage.PutBytes(ctx, a.store, key, img, storage.PutOptions{ContentType: ct})
	if err != nil {
		return "", fmt.Errorf("put page image %s: %w", key, err)
	}
	return key, nil
}

// PutText stores an OCRResult for page n of an original under id (see
// TextKey), create-only: an identical existing result is kept, a different
// one is ErrConflict. It returns the key.
func (a *Archive) PutText(ctx context.Context, sha string, n int, id string, res *domain.OCRResult) (string, error) {
	if !ValidTextID(id) {
		return "", fmt.Errorf("put text: bad id %q", id)
	}
	res.Schema = domain.SchemaVersion
	b, err := json.Marshal(res)
	if err != nil {
		return "", err
	}
	key := TextKey(sha, n, id)
	if _, err := storage.PutBytes(ctx, a.store, key, b, storage.PutOptions{ContentType: "application/json", IfAbsent: true}); err != nil {
		return "", fmt.Errorf("put text %s: %w", key, err)
	}
	return key, nil
}

// LoadText reads the OCRResult stored under key.
func (a *Archive) LoadText(ctx context.Context, key string) (*domain.OCRResult, error) {
	var res domain.OCRResult
	if err := a.getJSON(ctx, key, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Commit writes d as the next version of its manifest. d.Version must be the
// version the caller read (0 for a new dossier). Every object d references
// must already be stored. On success d.Version, UpdatedAt and Schema are set
// to what was written. When another writer committed first, Commit returns
// ErrVersionConflict and writes nothing.
//
// Order: a journal entry is written first, then the manifest, create-only.
// A crash between the two leaves an entry naming a version that never
// appears; followers treat entries as hints and read the latest manifest.
func (a *Archive) Commit(ctx context.Context, d *domain.Dossier) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("commit %s: %w", d.Code, err)
	}
	next := *d
	next.Schema = domain.SchemaVersion
	next.Version = d.Version + 1
	next.UpdatedAt = a.now().UTC()
	b, err := json.MarshalIndent(&next, "", " ")
	if err != nil {
		return err
	}
	key := ManifestKey(next.Code, next.Version)
	if ok, err := a.Exists(ctx, key); err != nil {
		return fmt.Errorf("commit %s: %w", key, err)
	} else if ok {
		return fmt.Errorf("commit %s: %w", key, ErrVersionConflict)
	}
	entry := JournalEntry{Code: next.Code, Version: next.Version, Time: next.UpdatedAt}
	jb, _ := json.Marshal(entry)
	jkey := journalKey(next.UpdatedAt.UnixNano(), next.Code, next.Version)
	if _, err := storage.PutBytes(ctx, a.store, jkey, jb, storage.PutOptions{ContentType: "application/json", IfAbsent: true}); err != nil {
		return fmt.Errorf("commit %s: journal: %w", next.Code, err)
	}
	_, err = storage.PutBytes(ctx, a.store, key, b, storage.PutOptions{ContentType: "application/json", IfAbsent: true})
	if errors.Is(err, storage.ErrConflict) {
		return fmt.Errorf("commit %s: %w", key, ErrVersionConflict)
	}
	if err != nil {
		return fmt.Errorf("commit %s: %w", key, err)
	}
	d.Schema, d.Version, d.UpdatedAt = next.Schema, next.Version, next.UpdatedAt
	return nil
}

// Load reads the current manifest of the dossier with this code (any case).
// Errors: ErrNoDossier.
func (a *Archive) Load(ctx context.Context, code string) (*domain.Dossier, error) {
	c, err := domain.NormalizeCode(code)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoDossier, err)
	}
	latest := 0
	for info, err := range a.store.List(ctx, PrefixDossiers+c+"/", "") {
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", c, err)
		}
		if cc, v, ok := parseManifestKey(info.Key); ok && cc == c && v > latest {
			latest = v
		}
	}
	if latest == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoDossier, c)
	}
	return a.LoadVersion(ctx, c, latest)
}

// LoadVersion reads version v of a dossier's manifest.
func (a *Archive) LoadVersion(ctx context.Context, code string, v int) (*domain.Dossier, error) {
	var d domain.Dossier
	if err := a.getJSON(ctx, ManifestKey(code, v), &d); err != nil {
		if errors.Is(err, storage.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s version %d", ErrNoDossier, code, v)
		}
		return nil, err
	}
	if d.Schema > domain.SchemaVersion {
		return nil, fmt.Errorf("manifest %s: schema %d is newer than this hoso (%d)", ManifestKey(code, v), d.Schema, domain.SchemaVersion)
	}
	d.Version = v
	return &d, nil
}

// DossierRef names the current manifest version of a dossier.
type DossierRef struct {
	Code    string
	Version int
}

// Dossiers yields every dossier's code and current version, in code order.
func (a *Archive) Dossiers(ctx context.Context) iter.Seq2[DossierRef, error] {
	return func(yield func(DossierRef, error) bool) {
		var cur DossierRef
		for info, err := range a.store.List(ctx, PrefixDossiers, "") {
			if err != nil {
				yield(DossierRef{}, err)
				return
			}
			code, v, ok := parseManifestKey(info.Key)
			if !ok {
				continue
			}
			if code != cur.Code && cur.Code != "" {
				if !yield(cur, nil) {
					return
				}
				cur = DossierRef{}
			}
			if v > cur.Version {
				cur = DossierRef{Code: code, Version: v}
			}
		}
		if cur.Code != "" {
			yield(cur, nil)
		}
	}
}

// JournalEntry records one manifest commit.
type JournalEntry struct {
	Key     string    `json:"-"` // the journal key; a cursor for Journal
	Code    string    `json:"code"`
	Version int       `json:"version"`
	Time    time.Time `json:"time"`
}

// Journal yields the journal entries whose keys sort after startAfter, in
// order, decoded from their keys alone (no object is read). Entries are
// hints: the version named may not exist (a commit that crashed midway), and
// writers on other hosts with skewed clocks may add entries behind a cursor,
// so followers re-read from a cursor some time back (see JournalCursor).
func (a *Archive) Journal(ctx context.Context, startAfter string) iter.Seq2[JournalEntry, error] {
	return func(yield func(JournalEntry, error) bool) {
		for info, err := range a.store.List(ctx, PrefixJournal, startAfter) {
			if err != nil {
				yield(JournalEntry{}, err)
				return
			}
			nanos, code, v, ok := parseJournalKey(info.Key)
			if !ok {
				continue
			}
			if !yield(JournalEntry{Key: info.Key, Code: code, Version: v, Time: time.Unix(0, nanos).UTC()}, nil) {
				return
			}
		}
	}
}

// JournalCursor returns a cursor for Journal that starts at entries written
// at or after t.
func JournalCursor(t time.Time) string {
	if t.IsZero() || t.UnixNano() <= 0 {
		return ""
	}
	return fmt.Sprintf("%s%020d", PrefixJournal, t.UnixNano()-1)
}

func (a *Archive) getJSON(ctx context.Context, key string, v any) error {
	b, _, err := storage.ReadAll(ctx, a.store, key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s: %w", key, err)
	}
	return nil
}
