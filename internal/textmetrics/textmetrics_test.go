package textmetrics

import "testing"

func TestCER(t *testing.T) {
	for _, c := range []struct {
		ref, hyp string
		want     float64
	}{
		{"", "", 0},
		{"abc", "", 1},
		{"", "x", 1},
		{"Nguyễn Văn", "Nguyễn Văn", 0},
		{"Nguyễn  Văn\n", " Nguyễn\nVăn", 0}, // layout ignored
		{"Nguye\u0302\u0303n", "Nguyễn", 0},  // NFC: combining marks compose
		{"Đảng", "Dảng", 0.25},               // one rune substituted
		{"kitten", "sitting", 3.0 / 6},       // classic distance 3
		{"Hạnh phúc", "Hanh phuc", 2.0 / 9},  // two marks lost
	} {
		if got := CER(c.ref, c.hyp); got != c.want {
			t.Errorf("CER(%q, %q) = %v, want %v", c.ref, c.hyp, got, c.want)
		}
	}
}

func TestDistanceSymmetric(t *testing.T) {
	for _, p := range [][2]string{{"abc", "yabd"}, {"", "ab"}, {"ỘỘ", "Ộ"}} {
		if a, b := Distance(p[0], p[1]), Distance(p[1], p[0]); a != b {
			t.Errorf("Distance(%q,%q)=%d but reversed %d", p[0], p[1], a, b)
		}
	}
}
