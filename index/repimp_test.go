package index

import (
	"math/rand/v2"
	"testing"
)

// sparseRepImp makes a sparse repImp over count local indices holding
// those where keep says so, with made-up values, and returns the indices
// it holds too.
func sparseRepImp(count int, keep func(i int) bool) (*repImp, []uint32) {
	r := &repImp{has: make([]uint64, (count+63)/64)}
	var idx []uint32
	for i := range count {
		if keep(i) {
			idx = append(idx, uint32(i))
			r.val = append(r.val, tfNorm{tf: uint32(i%7 + 1), norm: float32(i) + 0.5})
			r.has[i/64] |= 1 << (i % 64)
		}
	}
	r.setRank()
	return r, idx
}

// plainAt is a sparse repImp's value at local index i, looked up plainly
// in the list of its indices (the reference for at).
func plainAt(r *repImp, idx []uint32, i uint32) tfNorm {
	for k, x := range idx {
		if x == i {
			return r.val[k]
		}
	}
	return tfNorm{}
}

// FuzzRepImpAt: lookups through at find what a plain search of the list
// of indices finds, whatever their order (mostly ascending, as in a pass
// over pages, or not) and whatever the share of indices present (none,
// a few, every one: the rank crosses words of the bitset empty and full).
func FuzzRepImpAt(f *testing.F) {
	f.Add(uint64(1), uint16(300), uint8(3), uint8(0))
	f.Add(uint64(2), uint16(5000), uint8(50), uint8(10))
	f.Add(uint64(3), uint16(64), uint8(1), uint8(255))
	f.Add(uint64(4), uint16(1), uint8(1), uint8(0))
	f.Add(uint64(5), uint16(700), uint8(0), uint8(30))
	f.Fuzz(func(t *testing.T, seed uint64, n uint16, every, back uint8) {
		count := int(n) + 1
		rng := rand.New(rand.NewPCG(seed, 7))
		r, idx := sparseRepImp(count, func(int) bool { return every > 0 && rng.IntN(int(every)) == 0 })
		l := uint32(0)
		for range 3 * count {
			// mostly forward by a few, sometimes anywhere
			if back > 0 && rng.IntN(256) < int(back) {
				l = uint32(rng.IntN(count))
			} else {
				l = min(l+uint32(rng.IntN(4)), uint32(count-1))
			}
			if got, want := r.at(l), plainAt(r, idx, l); got != want {
				t.Fatalf("at(%d) = %v, plainly %v (%d of %d present)", l, got, want, len(idx), count)
			}
		}
	})
}
