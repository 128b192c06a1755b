package decode

import "bytes"

// Media types Open recognizes.
const (
	MediaPDF  = "application/pdf"
	MediaTIFF = "image/tiff"
	MediaJPEG = "image/jpeg"
	MediaPNG  = "image/png"
)

// sniffLen is how many leading bytes Sniff looks at: a PDF header may
// follow up to 1024 bytes of junk, as readers allow.
const sniffLen = 1024

// Sniff returns the media type of a file starting with head (pass at least
// the first 1024 bytes when there are that many) and whether it is one Open
// decodes: application/pdf, image/tiff (classic or BigTIFF), image/jpeg or
// image/png.
func Sniff(head []byte) (mediaType string, ok bool) {
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return MediaPNG, true
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return MediaJPEG, true
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")),
		bytes.HasPrefix(head, []byte("II+\x00")), bytes.HasPrefix(head, []byte("MM\x00+")):
		return MediaTIFF, true
	}
	if len(head) > sniffLen {
		head = head[:sniffLen]
	}
	if bytes.Contains(head, []byte("%PDF-")) {
		return MediaPDF, true
	}
	return "", false
}
