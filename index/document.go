package index

import (
	"strconv"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/numeric"
	bindex "github.com/blevesearch/bleve_index_api"

	"hoso/domain"
)

// Indexing options of the fields, as the mapping in mapping.go declares
// them (pageDocument builds documents directly, without the mapping's
// reflection over a map, and analyzes the page text once for three fields).
const (
	optKeyword       = bindex.IndexField
	optKeywordStored = bindex.IndexField | bindex.StoreField
	optText          = bindex.IndexField | bindex.IncludeTermVectors
	optTextStored    = bindex.IndexField | bindex.StoreField | bindex.IncludeTermVectors
	optStored        = bindex.StoreField
)

// textAnalyzer is AnalyzerName built directly (the same pieces the
// registered analyzer uses), for the short text fields.
var textAnalyzer analysis.Analyzer = &analysis.DefaultAnalyzer{
	Tokenizer:    textTokenizer,
	TokenFilters: []analysis.TokenFilter{textLower, FoldFilter{}},
}

// pageDocument builds the index document of one page. The page's Text may be
// nil (blank page, or not loaded): the page is then indexed without text.
// record is the dossier's index record (recordTerm), carried by its
// representative page.
func pageDocument(d *domain.Dossier, doc *domain.Document, p *domain.Page, record string) *document.Document {
	eff := d.Effective(doc)
	out := document.NewDocument(pageID(d.Code, doc.ID, p.Number))
	kw := func(name, v string, opts bindex.FieldIndexingOptions) {
		out.AddField(document.NewTextFieldCustom(name, nil, []byte(v), opts, nil))
	}
	text := func(name, v string, opts bindex.FieldIndexingOptions) {
		out.AddField(document.NewTextFieldCustom(name, nil, []byte(v), opts, textAnalyzer))
	}
	num := func(name string, v float64, opts bindex.FieldIndexingOptions) {
		out.AddField(document.NewNumericFieldWithIndexingOptions(name, nil, v, opts))
	}
	date := func(name string, t time.Time, opts bindex.FieldIndexingOptions) {
		if f, err := document.NewDateTimeFieldWithIndexingOptions(name, nil, t, time.RFC3339, opts); err == nil {
			out.AddField(&exactDateField{DateTimeField: f, term: numeric.MustNewPrefixCodedInt64(t.UnixNano(), 0)})
		}
	}
	kw(fCode, d.Code, optKeywordStored)
	text(fName, d.Subject.FullName, optTextStored)
	text(fHometown, d.Subject.Hometown, optText)
	kw(fUnit, d.Unit, optKeywordStored)
	text(fUnitText, d.Unit, optText)
	kw(fClass, string(d.Classification), optKeywordStored)
	kw(fLevel, strconv.Itoa(eff.Level()), optKeyword)
	kw(fDoc, doc.ID, optKeywordStored)
	kw(fKind, string(doc.Kind), optKeywordStored)
	text(fTitle, doc.Title, optTextStored)
	// representative pages: the dossier's first page (of the first
	// document that has pages), each document's first page (Indexer.Add
	// passes pointers into d)
	dossierRep := p == firstPage(d)
	docRep := len(doc.Pages) > 0 && p == &doc.Pages[0]
	if dossierRep {
		text(fNameRep, d.Subject.FullName, optText)
		text(fHometownRep, d.Subject.Hometown, optText)
		text(fUnitTextRep, d.Unit, optText)
		kw(fRep, "dossier", optKeyword)
		kw(fRecord, record, optKeyword)
	}
	if docRep {
		text(fTitleRep, doc.Title, optText)
		kw(fRep, "document", optKeyword)
	}
	num(fPage, float64(p.Number), optStored)
	kw(fTextKey, p.TextKey, optStored)
	num(fConf, p.MeanConfidence, optStored)
	for i, f := range p.Flags {
		out.AddField(document.NewTextFieldCustom(fFlags, []uint64{uint64(i)}, []byte(f), optKeyword, nil))
	}
	if p.Text != nil {
		pa := &pageAnalysis{text: p.Text.Text}
		out.AddField(&pageTextField{name: fText, pa: pa, opts: optTextStored, value: []byte(p.Text.Text)})
		out.AddField(&pageTextField{name: fTextExact, pa: pa, opts: optKeyword})
		out.AddField(&pageTextField{name: fTextPairs, pa: pa, opts: optKeyword})
	}
	if b := d.Subject.BirthDate; !b.IsZero() {
		date(fBirth, b.Time, optKeyword)
	}
	if dt := doc.Date; !dt.IsZero() {
		date(fDate, dt.Time, optKeywordStored)
	}
	return out
}

// firstPage returns the first page of the first document of d that has
// pages, nil when d has none.
func firstPage(d *domain.Dossier) *domain.Page {
	for i := range d.Documents {
		if len(d.Documents[i].Pages) > 0 {
			return &d.Documents[i].Pages[0]
		}
	}
	return nil
}

// exactDateField is a bleve date field indexed as its exact value only
// (one term), without the 15 coarser terms bleve adds for its range
// searches: the engine reads ranges of exact terms (and its per-segment
// date tables).
type exactDateField struct {
	*document.DateTimeField
	term  []byte
	freqs bindex.TokenFrequencies
}

func (f *exactDateField) Analyze() {
	tf := &bindex.TokenFreq{Term: f.term}
	tf.SetFrequency(1)
	f.freqs = bindex.TokenFrequencies{string(f.term): tf}
}

func (f *exactDateField) AnalyzedLength() int                               { return 1 }
func (f *exactDateField) AnalyzedTokenFrequencies() bindex.TokenFrequencies { return f.freqs }

// pageAnalysis is one page text's analysis, shared by its three text
// fields and run by whichever of them scorch analyzes first (the fields of
// one document are analyzed by one goroutine; the Once is for safety).
type pageAnalysis struct {
	text string
	once sync.Once
	res  *textAnalysis
}

func (pa *pageAnalysis) get() *textAnalysis {
	pa.once.Do(func() {
		pa.res = analyzeText([]byte(pa.text)) // a private copy: analysis lower-cases in place
	})
	return pa.res
}

// pageTextField is one of fText, fTextExact and fTextPairs of a page, a
// bleve document field whose analysis comes from the page's shared
// pageAnalysis.
type pageTextField struct {
	name   string
	pa     *pageAnalysis
	opts   bindex.FieldIndexingOptions
	value  []byte // stored value (fText only)
	length int
	freqs  bindex.TokenFrequencies
}

func (f *pageTextField) Name() string                                      { return f.name }
func (f *pageTextField) ArrayPositions() []uint64                          { return nil }
func (f *pageTextField) Options() bindex.FieldIndexingOptions              { return f.opts }
func (f *pageTextField) Value() []byte                                     { return f.value }
func (f *pageTextField) Text() string                                      { return string(f.value) }
func (f *pageTextField) EncodedFieldType() byte                            { return 't' }
func (f *pageTextField) AnalyzedLength() int                               { return f.length }
func (f *pageTextField) AnalyzedTokenFrequencies() bindex.TokenFrequencies { return f.freqs }
func (f *pageTextField) NumPlainTextBytes() uint64                         { return uint64(len(f.value)) }

// Size estimates the memory held, as bleve's fields do.
func (f *pageTextField) Size() int {
	n := 64 + len(f.name) + len(f.value)
	for _, tf := range f.freqs {
		n += tf.Size()
	}
	return n
}

func (f *pageTextField) Analyze() {
	a := f.pa.get()
	switch f.name {
	case fText:
		f.freqs, f.length = a.folded, a.nFolded
	case fTextExact:
		f.freqs, f.length = a.exact, a.nExact
	case fTextPairs:
		f.freqs, f.length = a.pairs, a.nPairs
	}
}
