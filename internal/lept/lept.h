// Helpers between Go and Leptonica; see lept.go.
#ifndef HOSO_LEPT_H
#define HOSO_LEPT_H
#include <stddef.h>
#include <stdint.h>
#include <leptonica/allheaders.h>

void hoso_lept_init(void);
PIX *hoso_pix_from_gray(const uint8_t *src, int w, int h, int stride, int res);
int hoso_pix_to_gray(PIX *pix, uint8_t *dst, int w, int h);
PIX *hoso_read_tiff_page(const char *fname, size_t offset);
int hoso_write_tiff_page(const char *fname, PIX *pix, int comptype, int append);
int hoso_pdf(PIX **pixs, int n, int res, int type, int quality, uint8_t **data, size_t *size);
#endif
