package ocr

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/otiai10/gosseract/v2"
	"golang.org/x/image/bmp"
	"hoso/internal/fixtures"
)

func expPage(t testing.TB, n int, o fixtures.PageOptions) (*image.Gray, []string) {
	rng := rand.New(rand.NewPCG(7, 9))
	lines := fixtures.DocumentLines(rng, fixtures.RandomPerson(rng), n)
	img, err := fixtures.Page(lines, o)
	if err != nil {
		t.Fatal(err)
	}
	return img, lines
}

func pgm(img *image.Gray) []byte {
	b := img.Bounds()
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "P5\n%d %d\n255\n", b.Dx(), b.Dy())
	for y := 0; y < b.Dy(); y++ {
		buf.Write(img.Pix[y*img.Stride : y*img.Stride+b.Dx()])
	}
	return buf.Bytes()
}

func TestExpFormats(t *testing.T) {
	if os.Getenv("EXP") == "" {
		t.Skip()
	}
	img, _ := expPage(t, 40, fixtures.PageOptions{})
	var pb bytes.Buffer
	t0 := time.Now()
	png.Encode(&pb, img)
	t.Logf("png encode %v %d", time.Since(t0), pb.Len())
	var bb bytes.Buffer
	t0 = time.Now()
	bmp.Encode(&bb, img)
	t.Logf("bmp encode %v %d", time.Since(t0), bb.Len())
	t0 = time.Now()
	pg := pgm(img)
	t.Logf("pgm encode %v %d", time.Since(t0), len(pg))
	c := gosseract.NewClient()
	defer c.Close()
	c.SetLanguage("vie")
	for name, data := range map[string][]byte{"png": pb.Bytes(), "bmp": bb.Bytes(), "pgm": pg} {
		t0 = time.Now()
		for i := 0; i < 5; i++ {
			c.SetImageFromBytes(data)
		}
		t.Logf("%s SetImageFromBytes %v", name, time.Since(t0)/5)
	}
	c.SetImageFromBytes(pg)
	t0 = time.Now()
	txt, err := c.Text()
	t.Logf("first Text (init+recog psm default) %v err=%v len=%d", time.Since(t0), err, len(txt))
	c.SetPageSegMode(gosseract.PSM_AUTO)
	for _, name := range []string{"pgm", "bmp", "png"} {
		data := map[string][]byte{"png": pb.Bytes(), "bmp": bb.Bytes(), "pgm": pg}[name]
		c.SetImageFromBytes(data)
		t0 = time.Now()
		txt, err = c.Text()
		t.Logf("%s Text psm3 %v err=%v len=%d", name, time.Since(t0), err, len(txt))
	}
	c.SetImageFromBytes(pg)
	t0 = time.Now()
	bx, err := c.GetBoundingBoxesVerbose()
	t.Logf("Verbose %v err=%v n=%d", time.Since(t0), err, len(bx))
	c.SetVariable("user_defined_dpi", "300")
	c.SetImageFromBytes(pg)
	t0 = time.Now()
	bx, err = c.GetBoundingBoxesVerbose()
	t.Logf("Verbose dpi300 %v err=%v n=%d", time.Since(t0), err, len(bx))
	t0 = time.Now()
	h, err := c.HOCRText()
	t.Logf("HOCR %v err=%v n=%d", time.Since(t0), err, len(h))
	t.Log(strings.Join(func() []string {
		var s []string
		for _, b := range bx[:20] {
			s = append(s, fmt.Sprintf("%s(%.0f %d/%d/%d/%d %v)", b.Word, b.Confidence, b.BlockNum, b.ParNum, b.LineNum, b.WordNum, b.Box))
		}
		return s
	}(), " "))

	o, err := newOSD("")
	if err != nil {
		t.Fatal(err)
	}
	defer o.close()
	for _, rot := range []float64{0, 90, 180, 270} {
		r := img
		if rot != 0 {
			r = fixtures.Rotate(img, rot)
		}
		t0 = time.Now()
		d, cf, ok := o.detect(r, 300)
		t.Logf("osd rot %v: deg=%d conf=%.2f ok=%v %v", rot, d, cf, ok, time.Since(t0))
	}
}
