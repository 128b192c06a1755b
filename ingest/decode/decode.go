package decode

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"time"

	"hoso/domain"
)

// Sentinel errors. Every input fault is reported as an *Error whose Unwrap
// returns one of these, so callers test with errors.Is.
var (
	// ErrUnsupported: the content is not PDF, TIFF, JPEG or PNG (whatever
	// the file name says), or uses a feature the decoders lack.
	ErrUnsupported = errors.New("unsupported format")
	// ErrCorrupt: the file is empty, truncated or damaged.
	ErrCorrupt = errors.New("corrupt file")
	// ErrEncrypted: the PDF needs a password to open.
	ErrEncrypted = errors.New("encrypted file")
	// ErrNoPages: the file holds no page.
	ErrNoPages = errors.New("no pages")
	// ErrTooLarge: the file, its page count or a page's pixel count is
	// beyond Limits.
	ErrTooLarge = errors.New("too large")
)

// Error is an input fault in File, on page Page (1-based; 0 for the whole
// file). Err is one of the sentinels; Detail says what was found.
type Error struct {
	File   string
	Page   int
	Err    error
	Detail string
}

// Error formats e as "scans/01.pdf page 3: corrupt file: detail".
func (e *Error) Error() string {
	s := e.File
	if e.Page > 0 {
		s += fmt.Sprintf(" page %d", e.Page)
	}
	s += ": " + e.Err.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }

func newErr(file string, page int, sentinel error, format string, args ...any) *Error {
	return &Error{File: file, Page: page, Err: sentinel, Detail: fmt.Sprintf(format, args...)}
}

// Limits bound what Open and Pages accept. Zero fields take the defaults of
// WithDefaults.
type Limits struct {
	MaxFileBytes int64 // default 1 GiB
	MaxPixels    int64 // per page, default 120e6 (decompression bombs)
	MaxPages     int   // default 5000
	// RenderDPI is the resolution PDF pages are rendered at when they hold no
	// full-page image whose resolution can be used; default 300.
	RenderDPI float64
	// Timeout bounds each run of an external program (pdfinfo, or rendering
	// one PDF page); default 2 minutes. A run that takes longer fails with an
	// error wrapping context.DeadlineExceeded (not an *Error: the input may
	// be fine on a less busy machine).
	Timeout time.Duration
}

// Defaults of Limits.
const (
	DefaultMaxFileBytes = 1 << 30
	DefaultMaxPixels    = 120_000_000
	DefaultMaxPages     = 5000
	DefaultRenderDPI    = 300
	DefaultTimeout      = 2 * time.Minute
)

// WithDefaults returns l with zero (or negative) fields set to the defaults.
func (l Limits) WithDefaults() Limits {
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = DefaultMaxFileBytes
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = DefaultMaxPixels
	}
	if l.MaxPages <= 0 {
		l.MaxPages = DefaultMaxPages
	}
	if l.RenderDPI <= 0 {
		l.RenderDPI = DefaultRenderDPI
	}
	if l.Timeout <= 0 {
		l.Timeout = DefaultTimeout
	}
	return l
}

// Page is one decoded page.
type Page struct {
	Number int         // 1-based
	Image  *image.Gray // grayscale raster (color converted by luminance); never nil
	// DPI is the effective resolution: from TIFF, JPEG (JFIF/Exif) or PNG
	// (pHYs) metadata, for PDF pixels / page width in inches; 0 when unknown.
	DPI  float64
	Text *TextLayer // non-nil when a PDF page already has a text layer
	// Orientation is the orientation tag (2-8: a JPEG's Exif Orientation, a
	// TIFF's Orientation) that Image was rotated and/or mirrored by to make
	// it upright, as viewers show it (6: the stored image was turned 90°
	// clockwise); 0 when nothing was applied. DPI then is the resolution
	// across the upright page.
	Orientation int
}

// TextLayer is the text a PDF page already carries, born-digital or from an
// earlier OCR run (invisible text counts).
type TextLayer struct {
	Text string // page text, lines separated by '\n'
	// Words have boxes in Image pixel coordinates, Start = byte offset of the
	// word in Text, Confidence 100.
	Words []domain.Word
}

// MinTextChars is the number of non-space characters from which a PDF
// page's text counts as a text layer.
const MinTextChars = 20

// pager decodes the pages of one format.
type pager interface {
	// page decodes page n (1-based, n <= NumPages).
	page(ctx context.Context, n int) (Page, error)
	close() error
}

// Doc is an opened scan file. Its methods are not safe for concurrent use.
type Doc struct {
	File      string // path as given to Open
	MediaType string // application/pdf, image/tiff, image/jpeg or image/png
	NumPages  int
	lim       Limits
	p         pager
}

// Open checks the file at path and prepares to decode it. The format comes
// from the content (Sniff), never the extension. Open checks up front what
// it can without decoding pixels: file size, format, encryption, page count
// and each page's pixel count against lim (zero fields take defaults); a
// fault is returned as *Error. Decoding errors in the pixel data show up
// only in Pages. Close the Doc when done.
func Open(path string, lim Limits) (*Doc, error) {
	lim = lim.WithDefaults()
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, newErr(path, 0, ErrUnsupported, "not a regular file")
	}
	if st.Size() == 0 {
		return nil, newErr(path, 0, ErrCorrupt, "empty file")
	}
	if st.Size() > lim.MaxFileBytes {
		return nil, newErr(path, 0, ErrTooLarge, "%d bytes, limit %d", st.Size(), lim.MaxFileBytes)
	}
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("decode: read %s: %w", path, err)
	}
	mt, ok := Sniff(head[:n])
	if !ok {
		return nil, newErr(path, 0, ErrUnsupported, "content is none of PDF, TIFF, JPEG, PNG (starts %q)", printable(head[:min(n, 8)]))
	}
	d := &Doc{File: path, MediaType: mt, lim: lim}
	switch mt {
	case MediaPDF:
		d.p, d.NumPages, err = openPDF(path, lim)
	case MediaTIFF:
		d.p, d.NumPages, err = openTIFF(f, st.Size(), path, lim)
	default:
		d.p, d.NumPages, err = openImage(f, mt, path, lim)
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Pages calls fn with each page in order, one at a time: the next page is
// decoded while fn runs, so at most two decoded pages are held. It stops at
// the first error: fn's error and ctx's error are returned as they are, a
// fault in the input as *Error. Pages may be called again to start over.
func (d *Doc) Pages(ctx context.Context, fn func(Page) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		p   Page
		err error
	}
	ch := make(chan result)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for n := 1; n <= d.NumPages; n++ {
			p, err := d.p.page(ctx, n)
			if err == nil && ctx.Err() != nil {
				err = ctx.Err()
			}
			select {
			case ch <- result{p, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	defer func() { cancel(); <-done }()
	for n := 1; n <= d.NumPages; n++ {
		var r result
		select {
		case r = <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		if r.err != nil {
			return r.err
		}
		if err := fn(r.p); err != nil {
			return err
		}
	}
	return nil
}

// Close releases the Doc's resources, including any temporary files. It is
// safe to call more than once.
func (d *Doc) Close() error {
	if d.p == nil {
		return nil
	}
	err := d.p.close()
	d.p = nil
	return err
}

func printable(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '.'
		}
		out[i] = c
	}
	return string(out)
}
