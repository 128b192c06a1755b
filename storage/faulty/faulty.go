// Package faulty is a storage.Store decorator for tests that injects
// failures: the Nth call of an operation, the next N calls, or every call
// while the store is "down". It counts calls per operation.
//
// A fault either replaces the call (nothing reaches the wrapped store), or,
// with After, runs the call and then reports the error, as when an answer is
// lost on the way back.
package faulty

import (
	"context"
	"fmt"
	"io"
	"iter"
	"sync"

	"hoso/storage"
)

// Op names an operation of storage.Store.
type Op string

// Operations.
const (
	Put    Op = "put"
	Get    Op = "get"
	Stat   Op = "stat"
	List   Op = "list"
	Delete Op = "delete"
)

// ErrInjected is the default injected error; it wraps
// storage.ErrUnavailable.
var ErrInjected = fmt.Errorf("injected fault: %w", storage.ErrUnavailable)

// fault is one planned failure.
type fault struct {
	err   error
	after bool
	items int // List with after: fail after this many items (-1: all)
}

// Store injects faults into the store it wraps. Its methods are safe for
// concurrent use.
type Store struct {
	s storage.Store

	mu    sync.Mutex
	calls map[Op]int
	nth   map[Op]map[int]fault
	next  map[Op][]fault
	down  error
}

var _ storage.Store = (*Store)(nil)

// New wraps s, injecting nothing until told to.
func New(s storage.Store) *Store {
	return &Store{s: s, calls: map[Op]int{}, nth: map[Op]map[int]fault{}, next: map[Op][]fault{}}
}

// Unwrap returns the wrapped store.
func (f *Store) Unwrap() storage.Store { return f.s }

// FailNth makes the nth call (1-based, counted since New) of op fail with
// err (ErrInjected when nil) without reaching the wrapped store.
func (f *Store) FailNth(op Op, n int, err error) { f.addNth(op, n, fault{err: orDefault(err)}) }

// FailNthAfter makes the nth call of op reach the wrapped store and then
// fail with err (ErrInjected when nil): the work is done, the answer lost.
func (f *Store) FailNthAfter(op Op, n int, err error) {
	f.addNth(op, n, fault{err: orDefault(err), after: true, items: -1})
}

// FailListAt makes the nth List call yield items objects and then fail
// with err (ErrInjected when nil), as a listing cut off mid-way.
func (f *Store) FailListAt(n, items int, err error) {
	f.addNth(List, n, fault{err: orDefault(err), after: true, items: items})
}

// FailNext makes the next n calls of op fail with err (ErrInjected when
// nil) without reaching the wrapped store.
func (f *Store) FailNext(op Op, n int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.next[op] = append(f.next[op], fault{err: orDefault(err)})
	}
}

// SetDown makes every call fail with err until SetDown(nil); use
// ErrInjected for an outage.
func (f *Store) SetDown(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = err
}

// Calls returns how many calls of op were made, failed ones included.
func (f *Store) Calls(op Op) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

// Reset forgets counts and planned faults, and brings the store up.
func (f *Store) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls, f.nth, f.next, f.down = map[Op]int{}, map[Op]map[int]fault{}, map[Op][]fault{}, nil
}

func (f *Store) addNth(op Op, n int, ft fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.nth[op] == nil {
		f.nth[op] = map[int]fault{}
	}
	f.nth[op][n] = ft
}

func orDefault(err error) error {
	if err == nil {
		return ErrInjected
	}
	return err
}

// enter counts a call of op and returns the fault to inject, if any.
func (f *Store) enter(op Op) (fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	if f.down != nil {
		return fault{err: f.down}, true
	}
	if ft, ok := f.nth[op][f.calls[op]]; ok {
		delete(f.nth[op], f.calls[op])
		return ft, true
	}
	if q := f.next[op]; len(q) > 0 {
		f.next[op] = q[1:]
		return q[0], true
	}
	return fault{}, false
}

func wrap(op Op, key string, err error) error { return fmt.Errorf("%s %s: %w", op, key, err) }

// Put implements storage.Store.
func (f *Store) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	ft, ok := f.enter(Put)
	if ok && !ft.after {
		return storage.ObjectInfo{}, wrap(Put, key, ft.err)
	}
	info, err := f.s.Put(ctx, key, r, size, opts)
	if ok && err == nil {
		return storage.ObjectInfo{}, wrap(Put, key, ft.err)
	}
	return info, err
}

// Get implements storage.Store.
func (f *Store) Get(ctx context.Context, key string) (io.ReadCloser, storage.ObjectInfo, error) {
	ft, ok := f.enter(Get)
	if ok && !ft.after {
		return nil, storage.ObjectInfo{}, wrap(Get, key, ft.err)
	}
	rc, info, err := f.s.Get(ctx, key)
	if ok && err == nil {
		rc.Close()
		return nil, storage.ObjectInfo{}, wrap(Get, key, ft.err)
	}
	return rc, info, err
}

// Stat implements storage.Store.
func (f *Store) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	ft, ok := f.enter(Stat)
	if ok && !ft.after {
		return storage.ObjectInfo{}, wrap(Stat, key, ft.err)
	}
	info, err := f.s.Stat(ctx, key)
	if ok && err == nil {
		return storage.ObjectInfo{}, wrap(Stat, key, ft.err)
	}
	return info, err
}

// Delete implements storage.Store.
func (f *Store) Delete(ctx context.Context, key string) error {
	ft, ok := f.enter(Delete)
	if ok && !ft.after {
		return wrap(Delete, key, ft.err)
	}
	err := f.s.Delete(ctx, key)
	if ok && err == nil {
		return wrap(Delete, key, ft.err)
	}
	return err
}

// List implements storage.Store. A fault fails the listing before its first
// item, or with After, after its last.
func (f *Store) List(ctx context.Context, prefix, startAfter string) iter.Seq2[storage.ObjectInfo, error] {
	return func(yield func(storage.ObjectInfo, error) bool) {
		ft, ok := f.enter(List)
		if ok && !ft.after {
			yield(storage.ObjectInfo{}, wrap(List, prefix, ft.err))
			return
		}
		n := 0
		for info, err := range f.s.List(ctx, prefix, startAfter) {
			if ok && n == ft.items {
				break
			}
			if !yield(info, err) || err != nil {
				return
			}
			n++
		}
		if ok {
			yield(storage.ObjectInfo{}, wrap(List, prefix, ft.err))
		}
	}
}

// Close implements storage.Store.
func (f *Store) Close() error { return f.s.Close() }
