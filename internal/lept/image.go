package lept

/*
#include <stdlib.h>
#include "lept.h"
*/
import "C"

import (
	"image"
	"unsafe"
)

// DecodeMem decodes a JPEG, PNG or single-page TIFF held in data as 8-bit
// gray and returns the resolution it records (ppi, 0 when none). The caller
// must have checked the dimensions in the header against its limits.
func DecodeMem(data []byte) (*image.Gray, float64, error) {
	if len(data) == 0 {
		return nil, 0, ErrRead
	}
	p := &pix{C.pixReadMem((*C.l_uint8)(unsafe.Pointer(&data[0])), C.size_t(len(data)))}
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
