package index

import (
	"math/rand/v2"
	"testing"
)

// sparseRepImp makes a sparse repImp over count local indices holding
// those where keep says so, with made-up values.
func sparseRepImp(count int, keep func(i int) bool) *repImp {
	r := &repImp{has: make([]uint64, (count+63)/64)}
	for i := range count {
		if keep(i) {
			r.idx = append(r.idx, uint32(i))
			r.val = append(r.val, tfNorm{tf: uint32(i%7 + 1), norm: float32(i) + 0.5})
			r.has[i/64] |= 1 << (i % 64)
		}
	}
	return r
}

// at is a repImp's value at local index i, looked up plainly (the
// reference for atFrom).
func (r *repImp) at(i uint32) tfNorm {
	if r.dense != nil {
		return r.dense[i]
	}
	for k, x := range r.idx {
		if x == i {
			return r.val[k]
		}
	}
	return tfNorm{}
}

// FuzzRepImpAtFrom: a sequence of lookups through atFrom, carrying its
// position, finds what at finds, whatever the order of the lookups
// (mostly ascending, as in a pass over pages, or not).
func FuzzRepImpAtFrom(f *testing.F) {
	f.Add(uint64(1), uint16(300), uint8(3), uint8(0))
	f.Add(uint64(2), uint16(5000), uint8(50), uint8(10))
	f.Add(uint64(3), uint16(64), uint8(1), uint8(255))
	f.Add(uint64(4), uint16(1), uint8(1), uint8(0))
	f.Fuzz(func(t *testing.T, seed uint64, n uint16, every, back uint8) {
		count := int(n) + 1
		rng := rand.New(rand.NewPCG(seed, 7))
		r := sparseRepImp(count, func(int) bool { return every > 0 && rng.IntN(int(every)) == 0 })
		k, l := 0, uint32(0)
		for range 3 * count {
			// mostly forward by a few, sometimes anywhere
			if back > 0 && rng.IntN(256) < int(back) {
				l = uint32(rng.IntN(count))
			} else {
				l = min(l+uint32(rng.IntN(4)), uint32(count-1))
			}
			var got tfNorm
			got, k = r.atFrom(l, k)
			if want := r.at(l); got != want {
				t.Fatalf("atFrom(%d) = %v, at = %v (%d of %d present)", l, got, want, len(r.idx), count)
			}
			if k < 0 || k > len(r.idx) {
				t.Fatalf("atFrom(%d): next position %d out of 0..%d", l, k, len(r.idx))
			}
		}
	})
}
