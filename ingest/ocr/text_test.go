package ocr

import (
	"image"
	"testing"

	"github.com/otiai10/gosseract/v2"

	"hoso/domain"
)

func TestAssemble(t *testing.T) {
	box := func(word string, conf float64, block, par, line int) gosseract.BoundingBox {
		return gosseract.BoundingBox{Word: word, Confidence: conf, Box: image.Rect(1, 2, 30, 12), BlockNum: block, ParNum: par, LineNum: line}
	}
	pg := assemble([]gosseract.BoundingBox{
		box("Họ", 90, 1, 1, 1),
		box("và", 80, 1, 1, 1),
		box("  ", 10, 1, 1, 1), // whitespace only: dropped
		box("Nguye\u0302\u0303n", 70, 1, 1, 2),
		box("Văn\u00a0 Thành", 60, 1, 2, 1), // inner space collapsed
		box("Đảng", 50, 2, 1, 1),
	})
	if want := "Họ và\nNguyễn\nVăn Thành\nĐảng"; pg.text != want {
		t.Fatalf("text %q, want %q", pg.text, want)
	}
	var got []string
	for _, w := range pg.words {
		if pg.text[w.Start:w.Start+len(w.Text)] != w.Text {
			t.Fatalf("word %q at %d", w.Text, w.Start)
		}
		got = append(got, w.Text)
	}
	if len(got) != 5 || got[2] != "Nguyễn" || got[3] != "Văn Thành" {
		t.Fatalf("words %q", got)
	}
	// Weighted by letters: (2·90 + 2·80 + 6·70 + 9·60 + 4·50) / 23.
	if want := (2*90.0 + 2*80 + 6*70 + 9*60 + 4*50) / 23; pg.conf != want {
		t.Fatalf("conf %v, want %v", pg.conf, want)
	}
	if empty := assemble(nil); empty.text != "" || empty.conf != 0 || len(empty.words) != 0 {
		t.Fatalf("empty page %+v", empty)
	}
}

func TestSideways(t *testing.T) {
	wide := domain.Word{Text: "Nguyễn", X1: 120, Y1: 40}
	tall := domain.Word{Text: "Nguyễn", X1: 40, Y1: 120}
	short := domain.Word{Text: "và", X1: 10, Y1: 40}
	for _, c := range []struct {
		words []domain.Word
		want  bool
	}{
		{[]domain.Word{wide, wide, wide, tall}, false},
		{[]domain.Word{tall, tall, tall, wide}, true},
		{[]domain.Word{tall, tall, short, short, short}, false}, // too few long words
	} {
		if got := sideways(c.words); got != c.want {
			t.Errorf("sideways(%v) = %v", c.words, got)
		}
	}
}
