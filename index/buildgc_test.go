package index

import (
	"runtime/debug"
	"testing"
)

func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestRaiseGCForBuild(t *testing.T) {
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	r1 := raiseGCForBuild()
	if got := gcPercent(); got != buildGCPercent {
		t.Fatalf("during a build: GC percent %d, want %d", got, buildGCPercent)
	}
	r2 := raiseGCForBuild() // an overlapping build
	r1()
	r1() // a second call changes nothing
	if got := gcPercent(); got != buildGCPercent {
		t.Fatalf("one of two builds done: GC percent %d, want %d", got, buildGCPercent)
	}
	r2()
	if got := gcPercent(); got != 100 {
		t.Fatalf("after the builds: GC percent %d, want 100 restored", got)
	}

	for _, before := range []int{300, -1} { // already higher, or off: kept
		debug.SetGCPercent(before)
		r := raiseGCForBuild()
		if got := gcPercent(); got != before {
			t.Errorf("GC percent %d before: %d during the build", before, got)
		}
		r()
		if got := gcPercent(); got != before {
			t.Errorf("GC percent %d before: %d after the build", before, got)
		}
	}

	debug.SetGCPercent(100)
	t.Setenv("GOGC", "50") // the operator's choice is left alone
	r := raiseGCForBuild()
	if got := gcPercent(); got != 100 {
		t.Errorf("with GOGC set: GC percent %d during the build, want it untouched (100)", got)
	}
	r()
}
