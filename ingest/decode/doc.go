// Package decode turns a scan file into its pages, in order: multi-page
// PDF (scans with JPEG, Flate, CCITT G4, JBIG2 or JPEG 2000 images, and
// born-digital or already OCR'd files), multi-page TIFF (any compression
// libtiff reads: CCITT G3/G4, LZW, Deflate, PackBits, JPEG), JPEG and PNG.
// Every page comes out as an 8-bit *image.Gray with its resolution and, for
// PDF, any text layer it already has.
//
// Open sniffs the content (the extension is ignored) and checks up front
// what can be checked without decoding pixels: file size, format,
// encryption, page count and every page's pixel count. Doc.Pages then
// decodes one page at a time. Input faults are *Error values naming file,
// page and reason, wrapping ErrUnsupported, ErrCorrupt, ErrEncrypted,
// ErrNoPages or ErrTooLarge.
//
// # Design
//
// PDF goes through Poppler's command-line programs (poppler-utils), run with
// exec.CommandContext and a per-run timeout, never through cgo: the
// file-level facts come from pdfinfo (page count, encryption, crop boxes,
// rotation), pdfimages -list (the resolution of each page's scan image, so
// a scan is rendered at its own resolution and its pixels are kept without
// resampling) and pdffonts (no fonts means no text layer, so pdftotext is
// skipped). Each page is then rendered by its own pdftoppm -gray run whose
// PGM output is read from a pipe straight into the image (no temporary
// files), and, when the file has fonts, read by pdftotext -bbox-layout for
// the text layer with word boxes scaled to pixels. One process per page
// costs 30-60 ms per page over a single multi-page run (10 A4 JPEG pages at
// 300 dpi: 2.8 s as ten pdftoppm runs, 2.2-2.5 s as one), but it ties every
// Poppler message to its page: Poppler
// exits 0 on damaged image data and only says so on stderr, which is how
// corrupt pages are caught. Doc.Pages decodes page n+1 while the caller
// works on page n, which hides that cost behind OCR. A crashing or hanging
// Poppler cannot take the process down. JBIG2 and CCITT come free.
//
// TIFF goes through Leptonica (internal/lept, cgo), because Go's x/image/tiff
// reads only the first directory and lacks JPEG compression, and Leptonica's
// pixReadMem (used by gosseract) reads only the first page. The directory
// chain is walked in Go first, which counts pages and checks every page's
// dimensions, sample format and compression before C sees the file; then
// Leptonica decodes one directory at a time by file offset
// (pixReadFromMultipageTiff), so memory holds one page, not the file.
// Leptonica applies a directory's Orientation tag (5-8 turn the page a
// quarter, so the decoded size is checked against the turned one).
//
// JPEG and PNG go through Go's standard decoders, after DecodeConfig has
// checked the dimensions. Measured for a 300 dpi A4 page (2481x3507, 1%
// noise; go test -bench Decode, 2 shared cores), Go vs Leptonica took: gray
// JPEG 74 vs 55 ms, color JPEG 93 vs 270 ms, gray PNG 27 vs 63 ms, color PNG
// 75 vs 390 ms. Go wins three of four, and a hostile file then never reaches
// C code. A color JPEG's gray page is its Y (luma) plane, copied as is. A
// JPEG's Exif Orientation (IFD0 tag 0x0112; phone photos of pages) is
// applied while that copy is made, so the page comes out upright as viewers
// show it and Page.Orientation says so; a damaged Exif block is ignored.
//
// BenchmarkPages (10 A4 pages at 300 dpi, 2 cores shared with a load
// average near 9, so a quiet machine does better) decodes PDF at 1.4-2.1
// pages/s with JPEG images, 1.5 with G4 and 1.8 with JBIG2, and TIFF at
// 53 pages/s with G4, 36 with LZW and 31 with JPEG.
//
// # Policies
//
//   - An empty file is ErrCorrupt. Thumbnails in a TIFF (reduced-resolution
//     directories) are not pages.
//   - A PDF that opens without a password (owner password only) is decoded;
//     one that needs a user password is ErrEncrypted.
//   - A PDF page is rendered at its scan image's resolution when one image
//     covers at least half of the page at 70-1200 ppi and the result fits
//     MaxPixels, else at Limits.RenderDPI; beyond MaxPixels even then it is
//     ErrTooLarge. Page.DPI is the rendered width in pixels over the page
//     width in inches.
//   - Any Poppler message other than a warning while rendering a page makes
//     that page ErrCorrupt: a silently blank page is worse than an error.
//   - A PDF page has a text layer when pdftotext finds at least
//     MinTextChars non-space characters on it, visible or not (OCR layers are
//     invisible text, render mode 3).
//   - Running out of time (Limits.Timeout) or a missing program is not an
//     *Error: the input may be fine.
package decode
