package web

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"strconv"

	"golang.org/x/image/draw"
)

// maxThumbSource bounds the page image a thumbnail is made from (a 600 dpi
// A3 gray page is about 35 MB of pixels; stored PNGs are far smaller).
const maxThumbSource = 64 << 20

// thumb serves a page image scaled to the thumbnail width, as PNG. It goes
// through App.PageImage, so it is checked and audited like the image.
func (h *Handler) thumb(rq *request) error {
	n, err := pageNumber(rq.r)
	if err != nil {
		return err
	}
	obj, err := h.app.PageImage(rq.r.Context(), rq.who, rq.r.PathValue("code"), rq.r.PathValue("doc"), n)
	if err != nil {
		return err
	}
	defer obj.Close()
	select {
	case h.thumbSem <- struct{}{}:
		defer func() { <-h.thumbSem }()
	case <-rq.r.Context().Done():
		return rq.r.Context().Err()
	}
	// A PNG cut by the limit fails to decode: nothing partial is shown.
	b, err := scaleImage(io.LimitReader(obj, maxThumbSource), h.thumbW)
	if err != nil {
		return fmt.Errorf("thumbnail of %s: %w", rq.r.URL.Path, err)
	}
	rq.w.Header().Set("Content-Type", "image/png")
	rq.w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, err = rq.w.Write(b)
	if err != nil {
		h.log.Debug("write thumbnail", "err", err)
	}
	return nil
}

// scaleImage decodes a PNG or JPEG page image and returns it as a PNG
// width pixels wide: a box filter (each output pixel the mean of the
// source pixels it covers) keeps thin strokes of text visible, which
// point sampling would drop.
func scaleImage(r io.Reader, width int) ([]byte, error) {
	src, _, err := image.Decode(r)
	if err != nil {
		return nil, err
	}
	b := src.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, fmt.Errorf("empty image")
	}
	width = min(width, b.Dx())
	height := max(1, b.Dy()*width/b.Dx())
	var dst image.Image
	if g, ok := src.(*image.Gray); ok {
		dst = boxScaleGray(g, width, height)
	} else {
		rgba := image.NewRGBA(image.Rect(0, 0, width, height))
		draw.CatmullRom.Scale(rgba, rgba.Bounds(), src, b, draw.Src, nil)
		dst = rgba
	}
	var out bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&out, dst); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// boxScaleGray downscales src to w x h by averaging.
func boxScaleGray(src *image.Gray, w, h int) *image.Gray {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	dst := image.NewGray(image.Rect(0, 0, w, h))
	sum := make([]uint32, w)
	cnt := make([]uint32, w)
	for y := 0; y < h; y++ {
		y0, y1 := y*sh/h, max((y+1)*sh/h, y*sh/h+1)
		clear(sum)
		clear(cnt)
		for sy := y0; sy < y1; sy++ {
			off := src.PixOffset(b.Min.X, b.Min.Y+sy)
			row := src.Pix[off : off+sw]
			for sx, v := range row {
				x := sx * w / sw
				sum[x] += uint32(v)
				cnt[x]++
			}
		}
		for x := 0; x < w; x++ {
			if cnt[x] > 0 {
				dst.Pix[y*dst.Stride+x] = uint8(sum[x] / cnt[x])
			}
		}
	}
	return dst
}

// Register the decoders of the page image formats.
var (
	_ = png.Decode
	_ = jpeg.Decode
)

// thumbHeight is the height of a thumbnail width w of a w0 x h0 image.
func thumbHeight(w0, h0, w int) int {
	if w0 <= 0 {
		return w
	}
	return max(1, h0*w/w0)
}
