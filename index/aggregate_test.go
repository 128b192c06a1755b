package index

import (
	"math/rand/v2"
	"testing"
)

// FuzzAggregate: aggregating a segment's pages by runs of a dossier's
// pages gives what aggregating them page by page gives (count, best
// score where scored, first date by each sort), whatever the order of the
// pages' dossiers, on top of what earlier segments left in agg.
func FuzzAggregate(f *testing.F) {
	f.Add(uint64(1), uint8(5), uint8(40), uint8(3), false)
	f.Add(uint64(2), uint8(1), uint8(10), uint8(1), true)
	f.Add(uint64(3), uint8(30), uint8(200), uint8(50), false)
	f.Fuzz(func(t *testing.T, seed uint64, nd, np, runLen uint8, all bool) {
		rng := rand.New(rand.NewPCG(seed, 11))
		ndoss := int(nd)%40 + 1
		agg := make([]dossierAgg, ndoss)
		want := make([]dossierAgg, ndoss)
		for _, sort := range []string{SortDate, SortDateDesc, SortRelevance} {
			for seg := range 3 { // segments aggregated one after the other
				n := int(np)
				dt := make([]uint32, n)
				for i := 0; i < n; {
					o := uint32(rng.IntN(ndoss + 1))
					if int(o) == ndoss {
						o = noOrd
					}
					for k := 0; k < 1+rng.IntN(int(runLen)+1) && i < n; k++ {
						dt[i] = o
						i++
					}
				}
				var docs []uint32
				var scores []float32
				var scored []bool
				for d := range n {
					if rng.IntN(4) > 0 {
						docs = append(docs, uint32(d))
						scores = append(scores, float32(rng.IntN(50))/7)
						scored = append(scored, rng.IntN(3) > 0)
					}
				}
				var dates []int64
				if sort != SortRelevance {
					dates = make([]int64, n)
					for d := range dates {
						dates[d] = noDate
						if rng.IntN(3) > 0 {
							dates[d] = int64(rng.IntN(1000))
						}
					}
				}
				aggregate(agg, docs, dt, scores, scored, all, dates, sort)
				for j, d := range docs { // page by page
					o := dt[d]
					if o == noOrd {
						continue
					}
					a := &want[o]
					if a.pages == 0 {
						a.best, a.date = -1, noDate
					}
					a.pages++
					if scores[j] > a.best && (all || scored[j]) {
						a.best = scores[j]
					}
					if dates != nil {
						if v := dates[d]; v != noDate && (a.date == noDate || sort == SortDate && v < a.date || sort == SortDateDesc && v > a.date) {
							a.date = v
						}
					}
				}
				for o := range agg {
					if agg[o] != want[o] {
						t.Fatalf("%s, segment %d, dossier %d: %+v by runs, %+v page by page", sort, seg, o, agg[o], want[o])
					}
				}
			}
			clear(agg)
			clear(want)
		}
	})
}
