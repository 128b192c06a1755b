package lept

/*
#include <stdlib.h>
#include "lept.h"
*/
import "C"

import (
	"fmt"
	"image"
	"unsafe"
)

// ReadTIFFPage decodes the TIFF image whose directory (IFD) starts at byte
// offset of the file at path, converting it to 8-bit gray (color by
// luminance, bitonal as 0/255). It returns the resolution recorded in the
// file in pixels per inch, 0 when none. Every TIFF compression that the
// system's libtiff supports is read, including CCITT G3/G4, LZW, Deflate,
// PackBits and JPEG.
//
// The caller must have checked that offset is a directory of a TIFF file and
// that its dimensions are acceptable: Leptonica allocates the full raster.
func ReadTIFFPage(path string, offset int64) (*image.Gray, float64, error) {
	if offset <= 0 {
		return nil, 0, fmt.Errorf("lept: bad TIFF directory offset %d", offset)
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	p := &pix{C.hoso_read_tiff_page(cpath, C.size_t(offset))}
	if p.p == nil {
		return nil, 0, ErrRead
	}
	defer p.free()
	img, err := p.toGray()
	if err != nil {
		return nil, 0, err
	}
	return img, p.res(), nil
}

// TIFFCompression selects how WriteTIFF compresses pages.
type TIFFCompression int

// The TIFF compressions WriteTIFF offers. TIFFG4 thresholds pages to
// black and white first.
const (
	TIFFNone TIFFCompression = C.IFF_TIFF
	TIFFG4   TIFFCompression = C.IFF_TIFF_G4
	TIFFLZW  TIFFCompression = C.IFF_TIFF_LZW
	TIFFZIP  TIFFCompression = C.IFF_TIFF_ZIP
	TIFFJPEG TIFFCompression = C.IFF_TIFF_JPEG
)

// WriteTIFF writes pages as one multi-page TIFF file at path (created or
// truncated), each page compressed with c and tagged with dpi.
func WriteTIFF(path string, pages []*image.Gray, c TIFFCompression, dpi int) error {
	if len(pages) == 0 {
		return fmt.Errorf("lept: no pages to write to %s", path)
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	for i, img := range pages {
		p, err := fromGray(img, dpi)
		if err != nil {
			return fmt.Errorf("page %d: %w", i+1, err)
		}
		if c == TIFFG4 {
			q, err := p.binary()
			p.free()
			if err != nil {
				return err
			}
			p = q
		}
		append := 0
		if i > 0 {
			append = 1
		}
		r := C.hoso_write_tiff_page(cpath, p.p, C.int(c), C.int(append))
		p.free()
		if r != 0 {
			return fmt.Errorf("lept: write page %d of %s", i+1, path)
		}
	}
	return nil
}
