package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"golang.org/x/sync/errgroup"

	"hoso/storage"
)

// Ref is one object a manifest references, with where it is referenced.
type Ref struct {
	Code     string // dossier
	Document string // document id, "" for the manifest itself
	Page     int    // 0 for the original or manifest
	What     string // "manifest", "original", "page image", "page text"
	Key      string
}

func (r Ref) String() string {
	s := r.Code
	if r.Document != "" {
		s += " document " + r.Document
	}
	if r.Page > 0 {
		s += fmt.Sprintf(" page %d", r.Page)
	}
	return s + " " + r.What + " " + r.Key
}

// Problem is a referenced object that is missing, corrupt or unreadable.
type Problem struct {
	Ref
	Kind string // "missing", "corrupt" or "unreadable"
	Err  error
}

func (p Problem) String() string { return fmt.Sprintf("%s: %s: %v", p.Kind, p.Ref, p.Err) }

// Refs yields every object referenced by the current manifest of every
// dossier (the manifest itself first), in code order. A manifest that cannot
// be read is yielded as a Ref with What "manifest" and the error.
func (a *Archive) Refs(ctx context.Context) func(yield func(Ref, error) bool) {
	return func(yield func(Ref, error) bool) {
		for dr, err := range a.Dossiers(ctx) {
			if err != nil {
				yield(Ref{}, err)
				return
			}
			mref := Ref{Code: dr.Code, What: "manifest", Key: ManifestKey(dr.Code, dr.Version)}
			d, err := a.LoadVersion(ctx, dr.Code, dr.Version)
			if !yield(mref, err) || err != nil {
				continue
			}
			for _, doc := range d.Documents {
				if !yield(Ref{dr.Code, doc.ID, 0, "original", doc.Original.Key}, nil) {
					return
				}
				for _, p := range doc.Pages {
					if !yield(Ref{dr.Code, doc.ID, p.Number, "page image", p.ImageKey}, nil) {
						return
					}
					for _, k := range p.TextVersions {
						if !yield(Ref{dr.Code, doc.ID, p.Number, "page text", k}, nil) {
							return
						}
					}
					if p.TextKey != "" && !contains(p.TextVersions, p.TextKey) {
						if !yield(Ref{dr.Code, doc.ID, p.Number, "page text", p.TextKey}, nil) {
							return
						}
					}
				}
			}
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// VerifyStats counts what Verify checked.
type VerifyStats struct {
	Dossiers int
	Objects  int   // distinct objects read in full
	Bytes    int64 // bytes read and hashed
	Problems int
}

// Verify checks that every object the current manifests reference exists
// and that its content matches its recorded SHA-256, reading each distinct
// object once with the given number of workers. total is called once with
// the number of objects to check; done after each; problem for each
// reference to a missing or corrupt object. The error is non-nil only when
// the walk itself could not be done (store unreachable, cancelled).
func (a *Archive) Verify(ctx context.Context, workers int, total func(int), done func(), problem func(Problem)) (VerifyStats, error) {
	var st VerifyStats
	var refs []Ref
	byKey := map[string][]Ref{}
	for r, err := range a.Refs(ctx) {
		if r.What == "manifest" {
			st.Dossiers++
		}
		if err != nil {
			if r.Key == "" { // the listing failed
				return st, err
			}
			st.Problems++
			problem(Problem{Ref: r, Kind: "unreadable", Err: err})
			continue
		}
		if _, seen := byKey[r.Key]; !seen {
			refs = append(refs, r)
		}
		byKey[r.Key] = append(byKey[r.Key], r)
	}
	total(len(refs))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(workers, 1))
	for _, r := range refs {
		g.Go(func() error {
			n, err := a.checkObject(gctx, r.Key)
			if gctx.Err() != nil {
				return gctx.Err()
			}
			mu.Lock()
			defer mu.Unlock()
			st.Objects++
			st.Bytes += n
			if err != nil {
				if errors.Is(err, storage.ErrUnavailable) {
					return err
				}
				kind := "corrupt"
				if errors.Is(err, storage.ErrNotExist) {
					kind = "missing"
				}
				for _, rr := range byKey[r.Key] {
					st.Problems++
					problem(Problem{Ref: rr, Kind: kind, Err: err})
				}
			}
			done()
			return nil
		})
	}
	err := g.Wait()
	return st, err
}

// checkObject reads the object under key in full, which verifies its
// checksum, and returns the bytes read.
func (a *Archive) checkObject(ctx context.Context, key string) (int64, error) {
	rc, _, err := a.store.Get(ctx, key)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	return io.Copy(io.Discard, rc)
}
