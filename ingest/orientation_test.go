package ingest

import (
	"context"
	"encoding/binary"
	"image"
	"slices"
	"testing"

	"hoso/domain"
	"hoso/internal/fixtures"
)

// TestExifOrientationFlag: a phone photo stored sideways with Exif
// Orientation 6 is stored upright and its page flagged orientation-tag;
// a page without the tag is not flagged.
func TestExifOrientationFlag(t *testing.T) {
	upright := smallPage(t, "Quyết định", "Phạm Đức Hùng") // wider than tall
	w, h := upright.Rect.Dx(), upright.Rect.Dy()
	// as the camera stored it: turned 90° counter-clockwise (Orientation 6
	// says to turn it 90° clockwise)
	stored := image.NewGray(image.Rect(0, 0, h, w))
	for y := 0; y < w; y++ {
		for x := 0; x < h; x++ {
			stored.Pix[y*h+x] = upright.GrayAt(w-1-y, x).Y
		}
	}
	jpg, err := fixtures.JPEG(stored, 150, 90)
	if err != nil {
		t.Fatal(err)
	}
	// APP1: Exif header, big-endian TIFF header, IFD0 with Orientation = 6
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00\x00\x00")
	app1 := binary.BigEndian.AppendUint16([]byte{0xFF, 0xE1}, uint16(2+6+len(tiff)))
	app1 = append(append(app1, "Exif\x00\x00"...), tiff...)
	photo := append(append(append([]byte{}, jpg[:2]...), app1...), jpg[2:]...)
	png, err := fixtures.PNG(upright, 150)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeDossier(t, dir, "HS-EXIF", map[string][]byte{"01.jpg": photo, "02.png": png})
	specs, errs := Discover([]string{dir})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	p, arch, _ := newPipeline(t, echoOCR{}, nil, Events{})
	ctx := context.Background()
	if st, err := p.Run(ctx, specs); err != nil || st.FilesFailed != 0 {
		t.Fatalf("run: %+v %v", st, err)
	}
	d, err := arch.Load(ctx, "HS-EXIF")
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range d.Documents {
		pg := doc.Pages[0]
		flagged := slices.Contains(pg.Flags, domain.FlagOrientationTag)
		if flagged != (doc.ID == "01.jpg") {
			t.Errorf("%s: flags %v", doc.ID, pg.Flags)
		}
		if pg.Width <= pg.Height {
			t.Errorf("%s stored %dx%d, want upright (wider than tall)", doc.ID, pg.Width, pg.Height)
		}
		res, err := arch.LoadText(ctx, pg.TextKey)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(res.Flags, domain.FlagOrientationTag) != flagged {
			t.Errorf("%s: text flags %v, page flags %v", doc.ID, res.Flags, pg.Flags)
		}
	}
}
