package domain

import (
	"fmt"
	"strings"
	"time"
)

// Dossier is one person's folder: the manifest that package archive commits
// last, after every object it references is stored.
type Dossier struct {
	Schema         int            `json:"schema"`
	ID             string         `json:"id"`   // stable; the canonical code
	Code           string         `json:"code"` // e.g. HS-2024-000123, upper case
	Subject        Subject        `json:"subject"`
	Unit           string         `json:"unit,omitempty"`
	Classification Classification `json:"classification"`
	Documents      []Document     `json:"documents"`
	// Version is the manifest version this value was read from or committed
	// as (1, 2, ...); set by package archive.
	Version   int       `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

// Document is one scanned file of a dossier.
type Document struct {
	ID    string       `json:"id"` // unique within the dossier, e.g. "d1"
	Kind  DocumentKind `json:"kind"`
	Title string       `json:"title,omitempty"`
	Date  Date         `json:"date,omitzero"`
	// Classification optionally raises the dossier's level for this document;
	// Effective applies the stricter of the two.
	Classification Classification `json:"classification,omitempty"`
	Original       Original       `json:"original"`
	Pages          []Page         `json:"pages"`
}

// Original is the file as uploaded, stored once under its SHA-256.
type Original struct {
	Key       string `json:"key"`
	SHA256    string `json:"sha256"`
	Size      int64  `json:"size"`
	MediaType string `json:"media_type"`
	Filename  string `json:"filename"`
}

// Page flags recorded at intake.
const (
	FlagBlank         = "blank"          // no ink: not OCR'd
	FlagLowResolution = "low-resolution" // below 200 dpi
	FlagSkewed        = "skewed"         // strong skew found (and corrected)
	FlagRotated       = "rotated"        // orientation corrected by OSD
	FlagLowConfidence = "low-confidence" // mean confidence below the review threshold
	FlagTextLayer     = "text-layer"     // text taken from the PDF, not OCR
	FlagCorrected     = "corrected"      // current text is a person's correction

	// FlagOrientationTag: turned and/or mirrored upright, when decoded, by
	// the file's own orientation tag (a JPEG's Exif Orientation, a TIFF's).
	FlagOrientationTag = "orientation-tag"
)

// Page is one page of a document. Its text and words are in the OCRResult
// stored under TextKey; the manifest keeps only this summary.
type Page struct {
	Number         int      `json:"number"` // 1-based
	ImageKey       string   `json:"image_key"`
	Width          int      `json:"width"` // image pixels
	Height         int      `json:"height"`
	DPI            float64  `json:"dpi,omitempty"`
	TextKey        string   `json:"text_key,omitempty"` // current OCRResult
	TextVersions   []string `json:"text_versions,omitempty"`
	MeanConfidence float64  `json:"mean_confidence"`
	Lang           string   `json:"lang,omitempty"`
	Flags          []string `json:"flags,omitempty"`
	// Text is filled by readers that load the OCRResult; never in a manifest.
	Text *OCRResult `json:"-"`
}

// HasFlag reports whether the page carries flag f.
func (p Page) HasFlag(f string) bool {
	for _, x := range p.Flags {
		if x == f {
			return true
		}
	}
	return false
}

// OCRResult is the text of one page: from OCR, from a PDF text layer, or a
// person's correction. It is stored as its own object and never changed.
type OCRResult struct {
	Schema         int       `json:"schema"`
	Source         string    `json:"source"` // "ocr", "text-layer", "blank" or "correction"
	Engine         string    `json:"engine,omitempty"`
	Lang           string    `json:"lang,omitempty"`
	Text           string    `json:"text"`
	Words          []Word    `json:"words"`
	MeanConfidence float64   `json:"mean_confidence"` // 0-100
	Width          int       `json:"width"`           // page image pixels the boxes refer to
	Height         int       `json:"height"`
	DPI            float64   `json:"dpi,omitempty"`
	Image          string    `json:"image,omitempty"` // key of the page image the boxes refer to
	Flags          []string  `json:"flags,omitempty"` // intake flags (domain.Flag*)
	CreatedAt      time.Time `json:"created_at"`
	CreatedBy      string    `json:"created_by,omitempty"`
}

// Word is one recognized word with its box in page-image pixels.
type Word struct {
	Text       string  `json:"t"`
	X0         int     `json:"x0"`
	Y0         int     `json:"y0"`
	X1         int     `json:"x1"`
	Y1         int     `json:"y1"`
	Confidence float64 `json:"c"`
	// Start is the byte offset of the word in OCRResult.Text, so a search
	// hit's offsets map back to boxes.
	Start int `json:"s"`
}

// Effective returns the classification that governs the document: the
// stricter of the dossier's and the document's own.
func (d *Dossier) Effective(doc *Document) Classification {
	return Stricter(d.Classification, doc.Classification)
}

// PageCount returns the number of pages over all documents.
func (d *Dossier) PageCount() int {
	n := 0
	for _, doc := range d.Documents {
		n += len(doc.Pages)
	}
	return n
}

// Document returns the document with the given id, or nil.
func (d *Dossier) Document(id string) *Document {
	for i := range d.Documents {
		if d.Documents[i].ID == id {
			return &d.Documents[i]
		}
	}
	return nil
}

// ValidateMetadata checks the fields a person supplies (code, subject,
// classification, documents' kinds and levels). It normalizes the code in
// place. Errors are *FieldError.
func (d *Dossier) ValidateMetadata() error {
	code, err := NormalizeCode(d.Code)
	if err != nil {
		return &FieldError{"code", err.Error()}
	}
	d.Code = code
	if d.ID == "" {
		d.ID = code
	}
	if strings.TrimSpace(d.Subject.FullName) == "" {
		return &FieldError{"subject.full_name", "is empty"}
	}
	if !d.Subject.BirthDate.IsZero() && d.Subject.BirthDate.After(time.Now()) {
		return &FieldError{"subject.birth_date", "is in the future"}
	}
	if !d.Classification.Valid() {
		return &FieldError{"classification", fmt.Sprintf("unknown classification %q", d.Classification)}
	}
	seen := map[string]bool{}
	for i, doc := range d.Documents {
		f := fmt.Sprintf("documents[%d]", i)
		if doc.ID == "" || seen[doc.ID] {
			return &FieldError{f + ".id", fmt.Sprintf("missing or duplicate id %q", doc.ID)}
		}
		seen[doc.ID] = true
		if _, err := ParseDocumentKind(string(doc.Kind)); err != nil || doc.Kind == "" {
			return &FieldError{f + ".kind", fmt.Sprintf("unknown document kind %q", doc.Kind)}
		}
		if doc.Classification != "" && !doc.Classification.Valid() {
			return &FieldError{f + ".classification", fmt.Sprintf("unknown classification %q", doc.Classification)}
		}
	}
	return nil
}

// Validate checks a manifest before it is committed: the metadata rules plus
// every document having an original and numbered pages 1..n with an image.
func (d *Dossier) Validate() error {
	if err := d.ValidateMetadata(); err != nil {
		return err
	}
	for i, doc := range d.Documents {
		f := fmt.Sprintf("documents[%d]", i)
		if len(doc.Original.SHA256) != 64 || doc.Original.Key == "" {
			return &FieldError{f + ".original", "missing key or sha256"}
		}
		for j, p := range doc.Pages {
			if p.Number != j+1 {
				return &FieldError{fmt.Sprintf("%s.pages[%d].number", f, j), fmt.Sprintf("is %d, want %d", p.Number, j+1)}
			}
			if p.ImageKey == "" {
				return &FieldError{fmt.Sprintf("%s.pages[%d].image_key", f, j), "is empty"}
			}
		}
	}
	return nil
}
