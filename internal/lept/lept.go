// Package lept is hoso's small cgo bridge to Leptonica (libleptonica-dev):
// reading any page of a TIFF file, whatever its compression, as an
// 8-bit *image.Gray, and writing TIFF and image-only PDF files for tests.
//
// Callers validate input before it reaches C: ReadTIFFPage trusts that the
// file is a TIFF whose directory at offset declares sane dimensions (package
// ingest/decode walks the directories in Go first). Leptonica's messages on
// stderr are silenced; failures come back as Go errors.
//
// Leptonica and libtiff are safe for concurrent use on distinct images, so
// every function here may be called from several goroutines.
package lept

/*
#cgo pkg-config: lept
#include <stdlib.h>
#include "lept.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"unsafe"
)

func init() { C.hoso_lept_init() }

// ErrRead reports that Leptonica could not decode an image.
var ErrRead = errors.New("leptonica could not decode the image")

// maxSide is the largest width or height passed to Leptonica, which refuses
// anything beyond 1,000,000 pixels a side anyway.
const maxSide = 1 << 19

// pix wraps a Leptonica PIX that the caller must free.
type pix struct{ p *C.PIX }

func (p *pix) free() {
	if p.p != nil {
		C.pixDestroy(&p.p)
	}
}

// fromGray copies img into a new 8-bit PIX with resolution dpi (0 = unset).
func fromGray(img *image.Gray, dpi int) (*pix, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 || w > maxSide || h > maxSide {
		return nil, fmt.Errorf("lept: image size %dx%d out of range", w, h)
	}
	off := img.PixOffset(b.Min.X, b.Min.Y)
	p := C.hoso_pix_from_gray((*C.uint8_t)(unsafe.Pointer(&img.Pix[off])), C.int(w), C.int(h), C.int(img.Stride), C.int(dpi))
	if p == nil {
		return nil, fmt.Errorf("lept: cannot allocate %dx%d image", w, h)
	}
	return &pix{p}, nil
}

// binary returns a 1-bit copy of p: pixels darker than 128 become black.
func (p *pix) binary() (*pix, error) {
	q := C.pixThresholdToBinary(p.p, 128)
	if q == nil {
		return nil, errors.New("lept: cannot binarize image")
	}
	C.pixCopyResolution(q, p.p)
	return &pix{q}, nil
}

// toGray converts p (any depth, with or without colormap) to *image.Gray.
func (p *pix) toGray() (*image.Gray, error) {
	w, h := int(C.pixGetWidth(p.p)), int(C.pixGetHeight(p.p))
	if w <= 0 || h <= 0 {
		return nil, ErrRead
	}
	img := image.NewGray(image.Rect(0, 0, w, h))
	if r := C.hoso_pix_to_gray(p.p, (*C.uint8_t)(unsafe.Pointer(&img.Pix[0])), C.int(w), C.int(h)); r != 0 {
		return nil, fmt.Errorf("%w: cannot convert %d-bit image to gray (code %d)", ErrRead, int(C.pixGetDepth(p.p)), int(r))
	}
	return img, nil
}

// res returns the horizontal resolution recorded in p, 0 when unknown.
func (p *pix) res() float64 { return float64(C.pixGetXRes(p.p)) }
