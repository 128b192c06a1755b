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

// PDFEncoding selects how WritePDF compresses page images.
type PDFEncoding int

// The image encodings of an image-only PDF. PDFG4 thresholds pages to black
// and white first.
const (
	PDFJPEG  PDFEncoding = C.L_JPEG_ENCODE  // DCTDecode
	PDFG4    PDFEncoding = C.L_G4_ENCODE    // CCITTFaxDecode, K -1
	PDFFlate PDFEncoding = C.L_FLATE_ENCODE // FlateDecode
)

// PDF returns an image-only PDF with one page per image, each page sized so
// that its image has resolution dpi. quality applies to JPEG (0 = 75).
func PDF(pages []*image.Gray, dpi int, enc PDFEncoding, quality int) ([]byte, error) {
	if len(pages) == 0 {
		return nil, fmt.Errorf("lept: no pages for PDF")
	}
	pixs := make([]*pix, 0, len(pages))
	defer func() {
		for _, p := range pixs {
			p.free()
		}
	}()
	for i, img := range pages {
		p, err := fromGray(img, dpi)
		if err != nil {
			return nil, fmt.Errorf("page %d: %w", i+1, err)
		}
		if enc == PDFG4 {
			q, err := p.binary()
			p.free()
			if err != nil {
				return nil, err
			}
			p = q
		}
		pixs = append(pixs, p)
	}
	arr := (**C.PIX)(C.malloc(C.size_t(len(pixs)) * C.size_t(unsafe.Sizeof(uintptr(0)))))
	defer C.free(unsafe.Pointer(arr))
	s := unsafe.Slice(arr, len(pixs))
	for i, p := range pixs {
		s[i] = p.p
	}
	var data *C.uint8_t
	var size C.size_t
	if r := C.hoso_pdf(arr, C.int(len(pixs)), C.int(dpi), C.int(enc), C.int(quality), &data, &size); r != 0 || data == nil {
		return nil, fmt.Errorf("lept: PDF encoding %d failed", int(enc))
	}
	defer C.free(unsafe.Pointer(data))
	return C.GoBytes(unsafe.Pointer(data), C.int(size)), nil
}
