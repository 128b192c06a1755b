package ocr

// #cgo LDFLAGS: -ltesseract -lleptonica
// #include <stdlib.h>
// #include <tesseract/capi.h>
//
// static int hoso_osd(TessBaseAPI *h, const unsigned char *pix, int w, int hgt, int stride, int dpi, int *deg, float *conf) {
//     const char *script = NULL;
//     float script_conf = 0;
//     TessBaseAPISetImage(h, pix, w, hgt, 1, stride);
//     if (dpi > 0) TessBaseAPISetSourceResolution(h, dpi);
//     BOOL ok = TessBaseAPIDetectOrientationScript(h, deg, conf, &script, &script_conf);
//     TessBaseAPIClear(h);
//     return ok ? 1 : 0;
// }
import "C"

import (
	"errors"
	"image"
	"unsafe"
)

// osdEngine detects page orientation with Tesseract's osd model through the
// C API, which gosseract v2.4.1 does not expose. Not safe for concurrent use.
type osdEngine struct {
	h *C.TessBaseAPI
}

// newOSD loads the osd model from datadir ("" = Tesseract's default). The
// caller holds initMu.
func newOSD(datadir string) (*osdEngine, error) {
	h := C.TessBaseAPICreate()
	var dir *C.char
	if datadir != "" {
		dir = C.CString(datadir)
		defer C.free(unsafe.Pointer(dir))
	}
	lang := C.CString("osd")
	defer C.free(unsafe.Pointer(lang))
	if C.TessBaseAPIInit3(h, dir, lang) != 0 {
		C.TessBaseAPIDelete(h)
		return nil, errors.New("cannot load the osd model")
	}
	for k, v := range map[string]string{"debug_file": "/dev/null"} {
		ck, cv := C.CString(k), C.CString(v)
		C.TessBaseAPISetVariable(h, ck, cv)
		C.free(unsafe.Pointer(ck))
		C.free(unsafe.Pointer(cv))
	}
	C.TessBaseAPISetPageSegMode(h, C.PSM_OSD_ONLY)
	return &osdEngine{h: h}, nil
}

// detect returns Tesseract's orientation in degrees (0, 90, 180, 270) and
// its confidence; ok is false when the page has too little text to tell.
func (o *osdEngine) detect(img *image.Gray, dpi int) (deg int, conf float64, ok bool) {
	b := img.Bounds()
	if b.Dx() == 0 || b.Dy() == 0 {
		return 0, 0, false
	}
	var d C.int
	var c C.float
	r := C.hoso_osd(o.h, (*C.uchar)(unsafe.Pointer(&img.Pix[img.PixOffset(b.Min.X, b.Min.Y)])),
		C.int(b.Dx()), C.int(b.Dy()), C.int(img.Stride), C.int(dpi), &d, &c)
	return int(d), float64(c), r == 1
}

func (o *osdEngine) close() {
	if o != nil && o.h != nil {
		C.TessBaseAPIEnd(o.h)
		C.TessBaseAPIDelete(o.h)
		o.h = nil
	}
}
