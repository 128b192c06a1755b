package ocr

import (
	"strings"
	"unicode/utf8"

	"github.com/otiai10/gosseract/v2"
	"golang.org/x/text/unicode/norm"

	"hoso/domain"
)

// page is one recognition's outcome.
type page struct {
	text  string
	words []domain.Word
	conf  float64 // mean word confidence weighted by letters, 0-100; 0 without words
}

// assemble builds the page text from Tesseract's words: words of one line
// joined by ' ', lines by '\n'. Each word is NFC-normalized, its inner
// whitespace collapsed, and its Start set to its byte offset in the text.
// Words that are only whitespace are dropped.
func assemble(boxes []gosseract.BoundingBox) page {
	var sb strings.Builder
	words := make([]domain.Word, 0, len(boxes))
	var confSum, letters float64
	type lineKey struct{ block, par, line int }
	var cur lineKey
	for _, b := range boxes {
		t := norm.NFC.String(strings.Join(strings.Fields(b.Word), " "))
		if t == "" {
			continue
		}
		k := lineKey{b.BlockNum, b.ParNum, b.LineNum}
		if len(words) > 0 {
			if k != cur {
				sb.WriteByte('\n')
			} else {
				sb.WriteByte(' ')
			}
		}
		cur = k
		words = append(words, domain.Word{
			Text: t, X0: b.Box.Min.X, Y0: b.Box.Min.Y, X1: b.Box.Max.X, Y1: b.Box.Max.Y,
			Confidence: b.Confidence, Start: sb.Len(),
		})
		sb.WriteString(t)
		n := float64(utf8.RuneCountInString(t))
		confSum += b.Confidence * n
		letters += n
	}
	p := page{text: sb.String(), words: words}
	if letters > 0 {
		p.conf = confSum / letters
	}
	return p
}

// sideways reports whether most longer words stand taller than wide: a page
// turned by 90° that Tesseract read as vertical text.
func sideways(words []domain.Word) bool {
	tall, n := 0, 0
	for _, w := range words {
		if utf8.RuneCountInString(w.Text) < 4 {
			continue
		}
		n++
		if w.Y1-w.Y0 > w.X1-w.X0 {
			tall++
		}
	}
	return n >= 3 && tall*2 > n
}
