package decode

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"hoso/internal/lept"
)

// TIFF pages are found by walking the directory (IFD) chain in Go, which
// checks every page's dimensions and format against Limits before any C code
// sees the file; Leptonica (libtiff) then decodes one directory at a time,
// by offset, from the file on disk.

// TIFF tags read from each directory.
const (
	tagNewSubfileType  = 254
	tagImageWidth      = 256
	tagImageLength     = 257
	tagBitsPerSample   = 258
	tagCompression     = 259
	tagOrientation     = 274
	tagSamplesPerPixel = 277
	tagXResolution     = 282
	tagYResolution     = 283
	tagResolutionUnit  = 296
)

// tiffCompressions are the compression schemes Debian's libtiff decodes.
var tiffCompressions = map[uint64]string{
	1: "none", 2: "CCITT RLE", 3: "CCITT G3", 4: "CCITT G4", 5: "LZW", 6: "old JPEG",
	7: "JPEG", 8: "Deflate", 32773: "PackBits", 32946: "Deflate", 34661: "JBIG",
	34925: "LZMA", 50000: "ZSTD", 50001: "WebP",
}

// maxIFDEntries bounds the entries of one directory; real files have ~20.
const maxIFDEntries = 4096

// ifd is what hoso needs from one TIFF directory.
type ifd struct {
	offset              int64
	width, height       uint64
	bps, spp, compr     uint64
	subfile             uint64
	xres, yres          float64 // pixels per inch, 0 when unknown
	orient              int     // Orientation 1-8, 0 when absent or invalid
	hasWidth, hasHeight bool
}

// tiffReader walks TIFF structures (also Exif blocks) in r.
type tiffReader struct {
	r       io.ReaderAt
	size    int64
	order   binary.ByteOrder
	big     bool // BigTIFF: 8-byte offsets and counts
	first   int64
	scratch [8]byte
}

var errTIFF = errors.New("bad TIFF structure")

func newTIFFReader(r io.ReaderAt, size int64) (*tiffReader, error) {
	var h [16]byte
	n, _ := r.ReadAt(h[:], 0)
	if n < 8 {
		return nil, fmt.Errorf("%w: header truncated", errTIFF)
	}
	t := &tiffReader{r: r, size: size}
	switch string(h[:2]) {
	case "II":
		t.order = binary.LittleEndian
	case "MM":
		t.order = binary.BigEndian
	default:
		return nil, fmt.Errorf("%w: byte order %q", errTIFF, h[:2])
	}
	switch t.order.Uint16(h[2:]) {
	case 42:
		t.first = int64(t.order.Uint32(h[4:]))
	case 43:
		if n < 16 || t.order.Uint16(h[4:]) != 8 {
			return nil, fmt.Errorf("%w: BigTIFF header", errTIFF)
		}
		t.big = true
		t.first = int64(t.order.Uint64(h[8:]))
	default:
		return nil, fmt.Errorf("%w: magic number", errTIFF)
	}
	return t, nil
}

func (t *tiffReader) read(off int64, n int) ([]byte, error) {
	if off < 0 || off+int64(n) > t.size || n > len(t.scratch) {
		return nil, fmt.Errorf("%w: offset %d beyond end of file (%d bytes)", errTIFF, off, t.size)
	}
	b := t.scratch[:n]
	if _, err := t.r.ReadAt(b, off); err != nil {
		return nil, fmt.Errorf("%w: %v", errTIFF, err)
	}
	return b, nil
}

func (t *tiffReader) uint(off int64, n int) (uint64, error) {
	b, err := t.read(off, n)
	if err != nil {
		return 0, err
	}
	switch n {
	case 1:
		return uint64(b[0]), nil
	case 2:
		return uint64(t.order.Uint16(b)), nil
	case 4:
		return uint64(t.order.Uint32(b)), nil
	}
	return t.order.Uint64(b), nil
}

// typeSize is the byte size of TIFF field types.
var typeSize = map[uint64]int{1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8}

// dir reads the directory at off and returns it with the next offset.
func (t *tiffReader) dir(off int64) (ifd, int64, error) {
	d := ifd{offset: off, bps: 1, spp: 1, compr: 1}
	cntSize, entSize, offSize := 2, 12, 4
	if t.big {
		cntSize, entSize, offSize = 8, 20, 8
	}
	n, err := t.uint(off, cntSize)
	if err != nil {
		return d, 0, err
	}
	if n == 0 || n > maxIFDEntries {
		return d, 0, fmt.Errorf("%w: directory at %d has %d entries", errTIFF, off, n)
	}
	unit := uint64(2)
	for i := int64(0); i < int64(n); i++ {
		e := off + int64(cntSize) + i*int64(entSize)
		tag, err := t.uint(e, 2)
		if err != nil {
			return d, 0, err
		}
		typ, _ := t.uint(e+2, 2)
		count, err := t.uint(e+4, offSize)
		if err != nil {
			return d, 0, err
		}
		if count > uint64(t.size) {
			return d, 0, fmt.Errorf("%w: tag %d claims %d values", errTIFF, tag, count)
		}
		sz, ok := typeSize[typ]
		if !ok || count == 0 {
			continue // unknown type: libtiff ignores it too
		}
		valOff := e + 4 + int64(offSize)
		if uint64(sz)*count > uint64(offSize) {
			p, err := t.uint(valOff, offSize)
			if err != nil {
				return d, 0, err
			}
			valOff = int64(p)
		}
		switch tag {
		case tagXResolution, tagYResolution:
			if typ == 5 {
				num, err1 := t.uint(valOff, 4)
				den, err2 := t.uint(valOff+4, 4)
				if err1 == nil && err2 == nil && den != 0 {
					if tag == tagXResolution {
						d.xres = float64(num) / float64(den)
					} else {
						d.yres = float64(num) / float64(den)
					}
				}
			}
			continue
		case tagOrientation: // one SHORT, 1-8; anything else is ignored
			if typ == 3 && count == 1 {
				if v, err := t.uint(valOff, 2); err == nil && v >= 1 && v <= 8 {
					d.orient = int(v)
				}
			}
			continue
		case tagNewSubfileType, tagImageWidth, tagImageLength, tagBitsPerSample,
			tagCompression, tagSamplesPerPixel, tagResolutionUnit:
		default:
			continue
		}
		if sz > 8 || (sz != 1 && sz != 2 && sz != 4 && sz != 8) {
			continue
		}
		v, err := t.uint(valOff, sz) // first value (BitsPerSample repeats per sample)
		if err != nil {
			return d, 0, err
		}
		switch tag {
		case tagNewSubfileType:
			d.subfile = v
		case tagImageWidth:
			d.width, d.hasWidth = v, true
		case tagImageLength:
			d.height, d.hasHeight = v, true
		case tagBitsPerSample:
			d.bps = v
		case tagCompression:
			d.compr = v
		case tagSamplesPerPixel:
			d.spp = v
		case tagResolutionUnit:
			unit = v
		}
	}
	switch unit {
	case 1:
		d.xres, d.yres = 0, 0 // no absolute unit
	case 3:
		d.xres *= 2.54
		d.yres *= 2.54
	}
	next, err := t.uint(off+int64(cntSize)+int64(n)*int64(entSize), offSize)
	if err != nil {
		return d, 0, err
	}
	return d, int64(next), nil
}

// tiffDoc decodes the pages of a TIFF file.
type tiffDoc struct {
	path string
	dirs []ifd
}

// openTIFF walks all directories of the TIFF file f and checks each page.
// Reduced-resolution images (thumbnails, NewSubfileType bit 0) are skipped.
func openTIFF(f *os.File, size int64, path string, lim Limits) (pager, int, error) {
	t, err := newTIFFReader(f, size)
	if err != nil {
		return nil, 0, newErr(path, 0, ErrCorrupt, "%v", err)
	}
	seen := map[int64]bool{}
	var dirs []ifd
	for off := t.first; off != 0; {
		if seen[off] {
			return nil, 0, newErr(path, 0, ErrCorrupt, "%v: directory chain loops at offset %d", errTIFF, off)
		}
		seen[off] = true
		if len(seen) > 4*lim.MaxPages+16 {
			return nil, 0, newErr(path, 0, ErrTooLarge, "more than %d directories", len(seen)-1)
		}
		d, next, err := t.dir(off)
		if err != nil {
			return nil, 0, newErr(path, len(dirs)+1, ErrCorrupt, "%v", err)
		}
		off = next
		if d.subfile&1 != 0 {
			continue
		}
		dirs = append(dirs, d)
		if len(dirs) > lim.MaxPages {
			return nil, 0, newErr(path, 0, ErrTooLarge, "more than %d pages", lim.MaxPages)
		}
		if err := checkTIFFDir(d, lim); err != nil {
			err.File, err.Page = path, len(dirs)
			return nil, 0, err
		}
	}
	if len(dirs) == 0 {
		return nil, 0, newErr(path, 0, ErrNoPages, "no full-resolution image in the TIFF file")
	}
	return &tiffDoc{path: path, dirs: dirs}, len(dirs), nil
}

func checkTIFFDir(d ifd, lim Limits) *Error {
	if !d.hasWidth || !d.hasHeight || d.width == 0 || d.height == 0 {
		return &Error{Err: ErrCorrupt, Detail: "image width or height missing"}
	}
	if d.width > 1<<20 || d.height > 1<<20 || int64(d.width*d.height) > lim.MaxPixels {
		return &Error{Err: ErrTooLarge, Detail: fmt.Sprintf("%dx%d pixels, limit %d", d.width, d.height, lim.MaxPixels)}
	}
	if _, ok := tiffCompressions[d.compr]; !ok {
		return &Error{Err: ErrUnsupported, Detail: fmt.Sprintf("TIFF compression %d", d.compr)}
	}
	switch d.bps {
	case 1, 2, 4, 8, 16:
	default:
		return &Error{Err: ErrUnsupported, Detail: fmt.Sprintf("%d bits per sample", d.bps)}
	}
	if d.spp < 1 || d.spp > 4 {
		return &Error{Err: ErrUnsupported, Detail: fmt.Sprintf("%d samples per pixel", d.spp)}
	}
	return nil
}

func (t *tiffDoc) page(ctx context.Context, n int) (Page, error) {
	d := t.dirs[n-1]
	img, res, err := lept.ReadTIFFPage(t.path, d.offset)
	if err != nil {
		return Page{}, newErr(t.path, n, ErrCorrupt, "%s data cannot be decoded", tiffCompressions[d.compr])
	}
	// Leptonica applies the Orientation tag: 5-8 come out turned a quarter.
	w, h, xres := d.width, d.height, d.xres
	if d.orient >= 5 {
		w, h = h, w
		if d.yres > 0 {
			xres = d.yres
		}
	}
	if uint64(img.Rect.Dx()) != w || uint64(img.Rect.Dy()) != h {
		return Page{}, newErr(t.path, n, ErrCorrupt, "decoded %dx%d, directory says %dx%d", img.Rect.Dx(), img.Rect.Dy(), d.width, d.height)
	}
	if xres > 0 {
		res = xres
	}
	p := Page{Number: n, Image: img, DPI: tidyDPI(res)}
	if d.orient > 1 {
		p.Orientation = d.orient
	}
	return p, nil
}

func (t *tiffDoc) close() error { return nil }
