package prep_test

import (
	"fmt"
	"math/rand/v2"

	"hoso/ingest/prep"
	"hoso/internal/fixtures"
)

func ExamplePrepare() {
	rng := rand.New(rand.NewPCG(1, 2))
	lines := fixtures.DocumentLines(rng, fixtures.RandomPerson(rng), 10)
	scan, _ := fixtures.Page(lines, fixtures.PageOptions{DPI: 150, RotateDeg: 3})

	p, err := prep.Prepare(scan, 150, prep.DefaultConfig())
	if err != nil {
		panic(err)
	}
	fmt.Printf("%v dpi, skew %.0f°, flags %v\n", p.DPI, p.SkewDeg, p.Flags)
	// Output: 300 dpi, skew 3°, flags [low-resolution skewed]
}
