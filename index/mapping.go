package index

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/mapping"

	"hoso/domain"
)

// Index fields. Every index document is one page and carries its dossier's
// and document's fields, so a query on any of them finds pages.
const (
	fCode      = "code"       // keyword, canonical upper case; stored
	fName      = "name"       // subject full name, text; stored
	fBirth     = "birth"      // birth date, datetime (its exact term only)
	fHometown  = "hometown"   // text
	fUnit      = "unit"       // keyword; stored
	fUnitText  = "unit_text"  // unit as text, for words in unit:
	fClass     = "class"      // dossier classification keyword; stored
	fLevel     = "level"      // effective level number (dossier or document, stricter), keyword "0".."3"
	fDoc       = "doc"        // document id, keyword; stored
	fKind      = "kind"       // document kind keyword; stored
	fTitle     = "title"      // document title, text; stored
	fDate      = "date"       // document date, datetime (its exact term only); stored
	fPage      = "page"       // page number; stored
	fTextKey   = "text_key"   // OCRResult key; stored only
	fConf      = "conf"       // mean OCR confidence; stored only
	fFlags     = "flags"      // page flags, keyword
	fText      = "text"       // page text: folded words with term vectors (phrases); the original text stored (snippets, boxes)
	fTextExact = "text_exact" // the page text's words that carry diacritics, as written (exact spellings rank first)
	fTextPairs = "text_pairs" // page text as folded word pairs: phrase pre-filter

	// The dossier's and document's text fields again, indexed only on one
	// page of the dossier (its first) or of the document: scoring reads
	// their terms there and gives every page of the dossier or document the
	// same value (engine.go), instead of reading postings as long as the
	// dossier's page count (a family name is in the name field of 40% of
	// pages). Matching keeps the fields above, on every page.
	fNameRep     = "name_d"
	fHometownRep = "hometown_d"
	fUnitTextRep = "unit_text_d"
	fTitleRep    = "title_d"
	fRep         = "rep" // keyword "dossier" and/or "document" on those pages

	// fRecord is what the index records about a dossier, "CODE VERSION
	// PAGES" (recordTerm), on its representative page: it is replaced
	// together with the pages. (Bleve's internal values would do, but
	// scorch copies all of them into every snapshot it introduces and
	// writes all of them into bolt on every persist: with one per dossier
	// that was 15% of the CPU of a 1,000,000-page build, and growing with
	// the index. Only a dossier indexed without pages keeps its record
	// there.)
	fRecord = "record"
)

// repFields maps a field to its field on representative pages, and whether
// the representative is the dossier's (else the document's).
var repFields = map[string]struct {
	field   string
	dossier bool
}{
	fName: {fNameRep, true}, fHometown: {fHometownRep, true}, fUnitText: {fUnitTextRep, true}, fTitle: {fTitleRep, false},
}

// Facet names as returned in Response.Facets.
const (
	FacetUnit           = "unit"
	FacetKind           = "kind"
	FacetClassification = "classification"
	FacetBirthDecade    = "birth_decade"
	FacetDocYear        = "doc_year"
)

// facetNames lists the facets in a stable order.
var facetNames = []string{FacetUnit, FacetKind, FacetClassification, FacetBirthDecade, FacetDocYear}

// storedFields are loaded for the page hits that are returned.
var storedFields = []string{fCode, fName, fUnit, fClass, fDoc, fKind, fTitle, fDate, fPage, fTextKey, fConf, fText}

// newMapping returns the lean mapping: one static document type, no _all, no
// dynamic fields, and storage, term vectors and doc values only where a
// feature needs them.
func newMapping() (*mapping.IndexMappingImpl, error) {
	im := mapping.NewIndexMapping()
	if err := addAnalyzer(im); err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	im.DefaultAnalyzer = AnalyzerName
	im.IndexDynamic, im.StoreDynamic, im.DocValuesDynamic = false, false, false

	dm := mapping.NewDocumentStaticMapping()
	dm.Dynamic = false
	dm.AddSubDocumentMapping("_all", mapping.NewDocumentDisabledMapping())
	add := func(name string, fm *mapping.FieldMapping) {
		fm.IncludeInAll = false
		dm.AddFieldMappingsAt(name, fm)
	}
	text := func(store, vectors bool) *mapping.FieldMapping {
		fm := mapping.NewTextFieldMapping()
		fm.Analyzer = AnalyzerName
		fm.Store, fm.IncludeTermVectors, fm.DocValues = store, vectors, false
		return fm
	}
	kw := func(store, docValues bool) *mapping.FieldMapping {
		fm := mapping.NewKeywordFieldMapping()
		fm.Analyzer = keyword.Name
		fm.Store, fm.IncludeTermVectors, fm.DocValues = store, false, docValues
		return fm
	}
	num := func(index, store, docValues bool) *mapping.FieldMapping {
		fm := mapping.NewNumericFieldMapping()
		fm.Index, fm.Store, fm.DocValues = index, store, docValues
		return fm
	}
	date := func(store, docValues bool) *mapping.FieldMapping {
		fm := mapping.NewDateTimeFieldMapping()
		fm.Store, fm.DocValues = store, docValues
		return fm
	}
	add(fCode, kw(true, false))
	add(fName, text(true, true)) // term vectors: positions for phrases
	add(fBirth, date(false, false))
	add(fHometown, text(false, true))
	add(fUnit, kw(true, false))
	add(fUnitText, text(false, true))
	add(fClass, kw(true, false))
	add(fLevel, kw(false, false))
	add(fDoc, kw(true, false))
	add(fKind, kw(true, false))
	add(fTitle, text(true, true))
	add(fDate, date(true, false))
	add(fPage, num(false, true, false))
	stored := kw(true, false)
	stored.Index = false
	add(fTextKey, stored)
	add(fConf, num(false, true, false))
	add(fFlags, kw(false, false))
	add(fText, text(true, true))
	add(fTextExact, text(false, false))
	for _, r := range repFields {
		add(r.field, text(false, true)) // positions: phrases on these fields are checked there
	}
	add(fRep, kw(false, false))
	add(fRecord, kw(false, false))
	pairs := text(false, false)
	pairs.Analyzer = ShingleAnalyzerName
	add(fTextPairs, pairs)
	im.DefaultMapping = dm
	return im, im.Validate()
}

// pageID is the index document id of a page: CODE/docID/pN.
func pageID(code, docID string, page int) string {
	return code + "/" + docID + "/p" + strconv.Itoa(page)
}

// codeOfID returns the dossier code of a page id.
func codeOfID(id string) string {
	c, _, _ := strings.Cut(id, "/")
	return c
}

// parseStoredDate reads a datetime field value as returned in hit fields.
func parseStoredDate(v interface{}) domain.Date {
	s, _ := v.(string)
	if s == "" {
		return domain.Date{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return domain.Date{}
	}
	return domain.Date{Time: t.UTC()}
}

// The index layout: the fields, their analysis and the pair word list.
// Every new bleve index records layoutVersion under internalLayout; Open
// starts afresh (empty, refilled from the store like a damaged index) when
// the active index was built with another layout.
const (
	internalLayout = "hoso/layout"
	// layoutVersion 2: page text split into folded words (fText) and
	// original spellings (fTextExact); name-syllable pairs; level as a
	// keyword; documents built without the mapping.
	// 3: representative pages (repFields). 4: dates as one exact term, no
	// doc values, no facet fields (the engine's tables serve sorting and
	// facets). 5: dossier records on representative pages (fRecord), not
	// in bleve's internal values. 6: positions on the representative
	// pages' fields (phrases on the dossier's and document's fields are
	// checked there). 7: more name syllables in the pair word list
	// (pairWords: Thiệu, Nhượng, Khuyến, Giáp, Lập, the zodiac names...).
	layoutVersion = "7"
)

// hasCurrentLayout reports whether bi was built with layoutVersion.
func hasCurrentLayout(bi bleve.Index) bool {
	v, err := bi.GetInternal([]byte(internalLayout))
	return err == nil && string(v) == layoutVersion
}
