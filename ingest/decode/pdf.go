package decode

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os/exec"
	"strconv"
	"strings"
)

// PDF files go through poppler-utils: pdfinfo (page count, encryption, page
// boxes), pdfimages -list (the resolution of each page's scan image),
// pdffonts (is there any text at all), then per page pdftoppm (render to
// 8-bit gray) and pdftotext -bbox-layout (text layer with word boxes). One
// process per page ties every error message to its page and bounds each run
// with Limits.Timeout; a page's process starts while the previous page is
// being consumed (see Doc.Pages).

// pdfPage is what Open learns about one page.
type pdfPage struct {
	wPt, hPt float64 // crop box size in points, after /Rotate
	dpi      float64 // resolution to render at
}

type pdfDoc struct {
	path     string
	lim      Limits
	pages    []pdfPage
	hasFonts bool
}

func openPDF(path string, lim Limits) (pager, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), lim.Timeout)
	defer cancel()
	out, err := runTool(ctx, path, 0, "pdfinfo", "-box", "-f", "1", "-l", strconv.Itoa(lim.MaxPages+1), path)
	if err != nil {
		return nil, 0, err
	}
	info, err := parsePDFInfo(out)
	if err != nil {
		return nil, 0, newErr(path, 0, ErrCorrupt, "pdfinfo: %v", err)
	}
	switch {
	case info.pages == 0:
		return nil, 0, newErr(path, 0, ErrNoPages, "the PDF has no pages")
	case info.pages > lim.MaxPages:
		return nil, 0, newErr(path, 0, ErrTooLarge, "%d pages, limit %d", info.pages, lim.MaxPages)
	}
	imgs, err := runTool(ctx, path, 0, "pdfimages", "-list", path)
	if err != nil {
		return nil, 0, err
	}
	ppi := parseImageList(imgs, info)
	fonts, err := runTool(ctx, path, 0, "pdffonts", path)
	if err != nil {
		return nil, 0, err
	}
	d := &pdfDoc{path: path, lim: lim, pages: make([]pdfPage, info.pages), hasFonts: hasFonts(fonts)}
	for i := range d.pages {
		box, ok := info.boxes[i+1]
		if !ok || box.w <= 0 || box.h <= 0 {
			return nil, 0, newErr(path, i+1, ErrCorrupt, "page box %gx%g pt", box.w, box.h)
		}
		p := pdfPage{wPt: box.w, hPt: box.h}
		if box.rot == 90 || box.rot == 270 {
			p.wPt, p.hPt = box.h, box.w
		}
		pixels := func(dpi float64) float64 { return math.Ceil(p.wPt/72*dpi) * math.Ceil(p.hPt/72*dpi) }
		p.dpi = lim.RenderDPI
		if r := ppi[i+1]; r > 0 && pixels(r) <= float64(lim.MaxPixels) {
			p.dpi = r
		}
		if px := pixels(p.dpi); px > float64(lim.MaxPixels) {
			return nil, 0, newErr(path, i+1, ErrTooLarge, "page is %gx%g pt; at %g dpi that is %.3g pixels, limit %d", p.wPt, p.hPt, p.dpi, px, lim.MaxPixels)
		}
		d.pages[i] = p
	}
	return d, info.pages, nil
}

// pdfInfo is what parsePDFInfo takes from pdfinfo's output.
type pdfInfo struct {
	pages int
	boxes map[int]pdfBox // by page number
}

type pdfBox struct {
	w, h float64 // crop box size in points
	rot  int
}

// parsePDFInfo reads "Pages:", "Page N CropBox:" and "Page N rot:" lines.
// Document metadata (Title, ...) comes first in the output and could forge
// such lines, so later lines win.
func parsePDFInfo(out []byte) (pdfInfo, error) {
	info := pdfInfo{pages: -1, boxes: map[int]pdfBox{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "Pages:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 0 {
				return info, fmt.Errorf("bad page count %q", v)
			}
			info.pages = n
			continue
		}
		rest, ok := strings.CutPrefix(line, "Page ")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 3 {
			continue
		}
		n, err := strconv.Atoi(f[0])
		if err != nil || n < 1 {
			continue
		}
		b := info.boxes[n]
		switch f[1] {
		case "CropBox:":
			if len(f) != 6 {
				continue
			}
			var c [4]float64
			for i := range c {
				c[i], _ = strconv.ParseFloat(f[2+i], 64)
			}
			b.w, b.h = math.Abs(c[2]-c[0]), math.Abs(c[3]-c[1])
		case "rot:":
			r, _ := strconv.Atoi(f[2])
			b.rot = ((r % 360) + 360) % 360
		default:
			continue
		}
		info.boxes[n] = b
	}
	if info.pages < 0 {
		return info, errors.New("no page count")
	}
	return info, nil
}

// Rendering at the resolution of a page's scan image reproduces its pixels
// without resampling. The image must cover at least minCover of the page
// and have a resolution in [minDPI, maxDPI]; otherwise Limits.RenderDPI.
const (
	minCover = 0.5
	minDPI   = 70
	maxDPI   = 1200
)

// parseImageList reads pdfimages -list output and returns, by page, the
// resolution of the largest image when it covers most of the page.
func parseImageList(out []byte, info pdfInfo) map[int]float64 {
	type best struct{ area, ppi, cover float64 }
	pages := map[int]best{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		// page num type width height color comp bpc enc interp object ID x-ppi y-ppi size ratio
		f := strings.Fields(sc.Text())
		if len(f) < 14 || (f[2] != "image" && f[2] != "stencil") {
			continue
		}
		pg, err1 := strconv.Atoi(f[0])
		w, err2 := strconv.ParseFloat(f[3], 64)
		h, err3 := strconv.ParseFloat(f[4], 64)
		xp, err4 := strconv.ParseFloat(f[12], 64)
		yp, err5 := strconv.ParseFloat(f[13], 64)
		if err := errors.Join(err1, err2, err3, err4, err5); err != nil || xp <= 0 || yp <= 0 {
			continue
		}
		box, ok := info.boxes[pg]
		if !ok || box.w <= 0 || box.h <= 0 {
			continue
		}
		cover := (w / xp) * (h / yp) / (box.w / 72 * box.h / 72)
		if b := pages[pg]; w*h > b.area {
			pages[pg] = best{w * h, math.Round(max(xp, yp)), cover}
		}
	}
	res := map[int]float64{}
	for pg, b := range pages {
		if b.cover >= minCover && b.ppi >= minDPI && b.ppi <= maxDPI {
			res[pg] = b.ppi
		}
	}
	return res
}

// hasFonts reports whether pdffonts listed any font.
func hasFonts(out []byte) bool {
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	return len(lines) > 2 // header and rule, then one line per font
}

func (d *pdfDoc) page(ctx context.Context, n int) (Page, error) {
	ctx, cancel := context.WithTimeout(ctx, d.lim.Timeout)
	defer cancel()
	p := d.pages[n-1]
	type textResult struct {
		t   *bboxLayer
		err error
	}
	var textc chan textResult
	if d.hasFonts {
		textc = make(chan textResult, 1)
		go func() {
			t, err := d.text(ctx, n)
			textc <- textResult{t, err}
		}()
	}
	img, err := d.render(ctx, n, p)
	var bl *bboxLayer
	if textc != nil {
		r := <-textc
		if err == nil {
			err = r.err
		}
		bl = r.t
	}
	if err != nil {
		return Page{}, err
	}
	var tl *TextLayer
	if bl != nil {
		tl = bl.scale(img.Rect.Dx(), img.Rect.Dy())
	}
	return Page{Number: n, Image: img, DPI: math.Round(float64(img.Rect.Dx())/(p.wPt/72)*100) / 100, Text: tl}, nil
}

// render runs pdftoppm for page n and reads its PGM output straight into
// an image.
func (d *pdfDoc) render(ctx context.Context, n int, p pdfPage) (*image.Gray, error) {
	pg := strconv.Itoa(n)
	cmd := exec.CommandContext(ctx, "pdftoppm", "-gray", "-cropbox", "-r", strconv.FormatFloat(p.dpi, 'f', -1, 64), "-f", pg, "-l", pg, d.path)
	var stderr limitedBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, toolMissing("pdftoppm", err)
	}
	// The raster may round either way: allow a pixel of slack per side.
	maxW, maxH := int(p.wPt/72*p.dpi)+2, int(p.hPt/72*p.dpi)+2
	img, perr := readPGM(bufio.NewReaderSize(stdout, 1<<16), maxW, maxH)
	io.Copy(io.Discard, stdout)
	werr := cmd.Wait()
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%s page %d: pdftoppm: %w", d.path, n, ctx.Err())
	case werr != nil:
		return nil, newErr(d.path, n, ErrCorrupt, "pdftoppm: %s", stderr.firstLine(werr.Error()))
	case perr != nil:
		return nil, newErr(d.path, n, ErrCorrupt, "pdftoppm output: %v", perr)
	}
	if msg := renderErrors(stderr.String()); msg != "" {
		return nil, newErr(d.path, n, ErrCorrupt, "%s", msg)
	}
	return img, nil
}

// renderErrors returns the first message of Poppler's (or a codec's) that
// reports damaged content. Warnings and configuration notes do not count.
func renderErrors(stderr string) string {
	for _, l := range strings.Split(stderr, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.Contains(l, "Warning") || strings.HasPrefix(l, "Config Error") {
			continue
		}
		return l
	}
	return ""
}

// runTool runs a poppler program and returns its standard output. A non-zero
// exit becomes ErrEncrypted when Poppler asks for a password, else
// ErrCorrupt with Poppler's first message.
func runTool(ctx context.Context, path string, page int, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout bytes.Buffer
	var stderr limitedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err == nil {
		return stdout.Bytes(), nil
	}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%s: %s: %w", path, name, ctx.Err())
	case !errors.As(err, &ee):
		return nil, toolMissing(name, err)
	case strings.Contains(stderr.String(), "Incorrect password"):
		return nil, newErr(path, page, ErrEncrypted, "the PDF needs a password to open")
	case strings.Contains(stderr.String(), "Invalid page count 0"):
		return nil, newErr(path, page, ErrNoPages, "the PDF has no pages")
	}
	return nil, newErr(path, page, ErrCorrupt, "%s: %s", name, stderr.firstLine(err.Error()))
}

func toolMissing(name string, err error) error {
	return fmt.Errorf("decode: run %s: %w (install poppler-utils)", name, err)
}

// limitedBuffer keeps the first 64 KiB written to it.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := 64<<10 - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *limitedBuffer) firstLine(fallback string) string {
	for _, l := range strings.Split(b.String(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return fallback
}

// readPGM reads one binary 8-bit PGM (P5) image no larger than maxW x maxH.
func readPGM(r *bufio.Reader, maxW, maxH int) (*image.Gray, error) {
	var magic string
	var w, h, maxv int
	if _, err := fmt.Fscan(r, &magic, &w, &h, &maxv); err != nil {
		return nil, fmt.Errorf("no PGM header: %v", err)
	}
	if magic != "P5" || maxv != 255 {
		return nil, fmt.Errorf("not an 8-bit PGM (%s, max %d)", magic, maxv)
	}
	if w <= 0 || h <= 0 || w > maxW || h > maxH {
		return nil, fmt.Errorf("raster %dx%d, expected at most %dx%d", w, h, maxW, maxH)
	}
	if _, err := r.ReadByte(); err != nil { // the single whitespace after maxval
		return nil, err
	}
	img := image.NewGray(image.Rect(0, 0, w, h))
	if _, err := io.ReadFull(r, img.Pix); err != nil {
		return nil, fmt.Errorf("raster truncated: %v", err)
	}
	return img, nil
}

// close has nothing to release: pages stream through pipes, no temp files.
func (d *pdfDoc) close() error { return nil }
