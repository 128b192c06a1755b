package decode

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"unicode"

	"hoso/domain"
)

// text runs pdftotext -bbox-layout for page n and returns its text layer,
// nil when the page has fewer than MinTextChars non-space characters. Boxes
// are in points until scale is called.
func (d *pdfDoc) text(ctx context.Context, n int) (*bboxLayer, error) {
	pg := strconv.Itoa(n)
	cmd := exec.CommandContext(ctx, "pdftotext", "-bbox-layout", "-cropbox", "-enc", "UTF-8", "-f", pg, "-l", pg, d.path, "-")
	var stderr limitedBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, toolMissing("pdftotext", err)
	}
	tl, perr := parseBBoxLayout(io.LimitReader(stdout, 256<<20))
	io.Copy(io.Discard, stdout)
	werr := cmd.Wait()
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%s page %d: pdftotext: %w", d.path, n, ctx.Err())
	case werr != nil:
		return nil, newErr(d.path, n, ErrCorrupt, "pdftotext: %s", stderr.firstLine(werr.Error()))
	case perr != nil:
		return nil, newErr(d.path, n, ErrCorrupt, "pdftotext output: %v", perr)
	}
	if tl == nil || nonSpace(tl.Text) < MinTextChars {
		return nil, nil
	}
	return tl, nil
}

// bboxLayer is a text layer whose word boxes are still in points, in
// boxes (xMin, yMin, xMax, yMax from the top left of a wPt x hPt page).
type bboxLayer struct {
	TextLayer
	boxes    [][4]float64
	wPt, hPt float64
}

// parseBBoxLayout reads the XHTML of pdftotext -bbox-layout for one page:
// page > flow > block > line > word, word boxes in points from the top
// left. Words of a line are joined by a space, lines by '\n'.
func parseBBoxLayout(r io.Reader) (*bboxLayer, error) {
	dec := xml.NewDecoder(r)
	dec.Strict = false
	dec.Entity = xml.HTMLEntity
	var (
		tl      *bboxLayer
		sb      strings.Builder
		inWord  bool
		box     [4]float64
		wordBuf strings.Builder
		lineHas bool
	)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "page":
				if tl != nil {
					return nil, errors.New("more than one page")
				}
				tl = &bboxLayer{wPt: attrFloat(t, "width"), hPt: attrFloat(t, "height")}
			case "line":
				lineHas = false
			case "word":
				if tl == nil {
					return nil, errors.New("word outside a page")
				}
				inWord = true
				wordBuf.Reset()
				box = [4]float64{attrFloat(t, "xMin"), attrFloat(t, "yMin"), attrFloat(t, "xMax"), attrFloat(t, "yMax")}
			}
		case xml.CharData:
			if inWord {
				wordBuf.Write(t)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "word":
				inWord = false
				w := strings.TrimSpace(wordBuf.String())
				if w == "" {
					continue
				}
				if lineHas {
					sb.WriteByte(' ')
				}
				tl.Words = append(tl.Words, domain.Word{Text: w, Start: sb.Len(), Confidence: 100})
				tl.boxes = append(tl.boxes, box)
				sb.WriteString(w)
				lineHas = true
			case "line":
				if lineHas {
					sb.WriteByte('\n')
				}
				lineHas = false
			}
		}
	}
	if tl == nil {
		return nil, nil
	}
	tl.Text = strings.TrimSuffix(sb.String(), "\n")
	return tl, nil
}

// scale sets the word boxes in pixels of a w x h image of the page,
// clamped to the image, and returns the text layer.
func (tl *bboxLayer) scale(w, h int) *TextLayer {
	sx, sy := 0.0, 0.0
	if tl.wPt > 0 && tl.hPt > 0 {
		sx, sy = float64(w)/tl.wPt, float64(h)/tl.hPt
	}
	clamp := func(v float64, hi int) int { return max(0, min(hi, int(v))) }
	for i, b := range tl.boxes {
		wd := &tl.Words[i]
		wd.X0 = clamp(math.Floor(b[0]*sx), w)
		wd.Y0 = clamp(math.Floor(b[1]*sy), h)
		wd.X1 = clamp(math.Ceil(b[2]*sx), w)
		wd.Y1 = clamp(math.Ceil(b[3]*sy), h)
	}
	return &tl.TextLayer
}

func attrFloat(t xml.StartElement, name string) float64 {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			v, err := strconv.ParseFloat(a.Value, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e9 {
				return 0
			}
			return v
		}
	}
	return 0
}

func nonSpace(s string) int {
	n := 0
	for _, r := range s {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}
