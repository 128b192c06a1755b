#include <string.h>
#include "lept.h"

static void hoso_discard(const char *msg) { (void)msg; }

void hoso_lept_init(void) {
	leptSetStderrHandler(hoso_discard);
}

PIX *hoso_pix_from_gray(const uint8_t *src, int w, int h, int stride, int res) {
	PIX *pix = pixCreate(w, h, 8);
	if (pix == NULL) return NULL;
	if (res > 0) pixSetResolution(pix, res, res);
	l_uint32 *data = pixGetData(pix);
	int wpl = pixGetWpl(pix);
	for (int y = 0; y < h; y++) {
		l_uint32 *line = data + (size_t)y * wpl;
		const uint8_t *s = src + (size_t)y * stride;
		for (int j = 0; j < w; j++) SET_DATA_BYTE(line, j, s[j]);
	}
	return pix;
}

// hoso_pix_to_gray converts pix (any depth, colormap or not) to 8-bit gray
// and copies it into dst (w*h bytes, w and h as checked by the caller).
// Returns 0 on success.
int hoso_pix_to_gray(PIX *pix, uint8_t *dst, int w, int h) {
	if (pix == NULL || pixGetWidth(pix) != w || pixGetHeight(pix) != h) return 1;
	PIX *g;
	if (pixGetDepth(pix) == 32) {
		g = pixConvertRGBToLuminance(pix);
	} else {
		g = pixConvertTo8(pix, 0);
	}
	if (g == NULL) return 2;
	if (pixGetDepth(g) != 8 || pixGetColormap(g) != NULL) {
		pixDestroy(&g);
		return 3;
	}
	l_uint32 *data = pixGetData(g);
	int wpl = pixGetWpl(g);
	int full = w / 4;
	for (int y = 0; y < h; y++) {
		l_uint32 *line = data + (size_t)y * wpl;
		uint8_t *d = dst + (size_t)y * w;
		for (int k = 0; k < full; k++) {
			uint32_t v = line[k];
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			v = __builtin_bswap32(v);
#endif
			memcpy(d + 4 * k, &v, 4);
		}
		for (int j = full * 4; j < w; j++) d[j] = GET_DATA_BYTE(line, j);
	}
	pixDestroy(&g);
	return 0;
}

PIX *hoso_read_tiff_page(const char *fname, size_t offset) {
	size_t off = offset;
	return pixReadFromMultipageTiff(fname, &off);
}

int hoso_write_tiff_page(const char *fname, PIX *pix, int comptype, int append) {
	return pixWriteTiff(fname, pix, comptype, append ? "a" : "w");
}

int hoso_pdf(PIX **pixs, int n, int res, int type, int quality, uint8_t **data, size_t *size) {
	PIXA *pixa = pixaCreate(n);
	if (pixa == NULL) return 1;
	for (int i = 0; i < n; i++) pixaAddPix(pixa, pixs[i], L_CLONE);
	int r = pixaConvertToPdfData(pixa, res, 1.0, type, quality, NULL, data, size);
	pixaDestroy(&pixa);
	return r;
}
