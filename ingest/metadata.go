package ingest

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"hoso/domain"
)

// MetadataFile is the name of a dossier folder's metadata.
const MetadataFile = "dossier.json"

// Spec is one dossier to ingest: its metadata and the files of its
// documents, as read from a dossier.json or a CSV inventory.
type Spec struct {
	Source  string         // where the metadata came from, for messages
	Dossier domain.Dossier // metadata only; Documents empty
	Files   []FileSpec
	// KeepMetadata makes the stored dossier's metadata win over Dossier
	// when the dossier exists: the spec only adds documents (uploads), so
	// a metadata edit made while its files were OCR'd is kept.
	KeepMetadata bool
}

// FileSpec is one file to ingest as a document.
type FileSpec struct {
	Path           string // on disk
	Name           string // the original file name when Path is a temporary copy (uploads); "" = base of Path
	Kind           domain.DocumentKind
	Title          string
	Date           domain.Date
	Classification domain.Classification
	Listed         bool // named by the metadata (false: found in the folder)
}

// MetadataError says which line or field of which metadata file is wrong.
type MetadataError struct {
	File  string
	Line  int    // 0 when unknown (JSON)
	Field string // e.g. "documents[1].date" or a CSV column
	Msg   string
}

func (e *MetadataError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += fmt.Sprintf(" line %d", e.Line)
	}
	if e.Field != "" {
		loc += " field " + e.Field
	}
	return loc + ": " + e.Msg
}

// Unwrap makes errors.Is(err, domain.ErrInvalid) true.
func (e *MetadataError) Unwrap() error { return domain.ErrInvalid }

// jsonMeta is the shape of dossier.json.
type jsonMeta struct {
	Code           string         `json:"code"`
	Subject        jsonSubject    `json:"subject"`
	Unit           string         `json:"unit"`
	Classification string         `json:"classification"`
	Documents      []jsonDocument `json:"documents"`
}

type jsonSubject struct {
	FullName  string `json:"full_name"`
	BirthDate string `json:"birth_date"`
	Hometown  string `json:"hometown"`
}

type jsonDocument struct {
	File           string `json:"file"`
	Kind           string `json:"kind"`
	Title          string `json:"title"`
	Date           string `json:"date"`
	Classification string `json:"classification"`
}

// ParseDossierJSON parses a dossier.json read from file (a path used for
// messages and to resolve document files relative to its folder). Files in
// the folder that it does not list are not added here; see ReadDossierDir.
func ParseDossierJSON(file string, data []byte) (*Spec, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m jsonMeta
	if err := dec.Decode(&m); err != nil {
		return nil, &MetadataError{File: file, Msg: "not valid dossier JSON: " + err.Error()}
	}
	bad := func(field, msg string) error { return &MetadataError{File: file, Field: field, Msg: msg} }
	d, field, err := buildDossier(m.Code, m.Subject.FullName, m.Subject.BirthDate, m.Subject.Hometown, m.Unit, m.Classification)
	if err != nil {
		return nil, bad(field, err.Error())
	}
	spec := &Spec{Source: file, Dossier: *d}
	dir := filepath.Dir(file)
	seen := map[string]bool{}
	for i, jd := range m.Documents {
		f := fmt.Sprintf("documents[%d]", i)
		fs, field, err := buildFile(dir, jd.File, jd.Kind, jd.Title, jd.Date, jd.Classification)
		if err != nil {
			return nil, bad(f+"."+field, err.Error())
		}
		if seen[fs.Path] {
			return nil, bad(f+".file", fmt.Sprintf("%q is listed twice", jd.File))
		}
		seen[fs.Path] = true
		spec.Files = append(spec.Files, fs)
	}
	return spec, nil
}

// buildDossier validates dossier fields; on error it names the field.
func buildDossier(code, name, birth, hometown, unit, class string) (*domain.Dossier, string, error) {
	c, err := domain.NormalizeCode(code)
	if err != nil {
		return nil, "code", err
	}
	if strings.TrimSpace(name) == "" {
		return nil, "full_name", errors.New("is empty")
	}
	bd, err := domain.ParseDate(birth)
	if err != nil {
		return nil, "birth_date", err
	}
	cl, err := domain.ParseClassification(class)
	if err != nil {
		return nil, "classification", err
	}
	d := &domain.Dossier{ID: c, Code: c, Unit: strings.TrimSpace(unit), Classification: cl,
		Subject: domain.Subject{FullName: normSpace(name), BirthDate: bd, Hometown: strings.TrimSpace(hometown)}}
	if err := d.ValidateMetadata(); err != nil {
		var fe *domain.FieldError
		if errors.As(err, &fe) {
			return nil, fe.Field, errors.New(fe.Msg)
		}
		return nil, "", err
	}
	return d, "", nil
}

// buildFile validates one document entry; on error it names the field.
func buildFile(dir, file, kind, title, date, class string) (FileSpec, string, error) {
	file = strings.TrimSpace(file)
	if file == "" {
		return FileSpec{}, "file", errors.New("is empty")
	}
	if filepath.IsAbs(file) || strings.Contains(filepath.ToSlash(file), "../") || file == ".." {
		return FileSpec{}, "file", fmt.Errorf("%q must be a path inside the metadata's folder", file)
	}
	if filepath.Clean(filepath.FromSlash(file)) == "." { // ".", "a/..": the folder itself
		return FileSpec{}, "file", fmt.Errorf("%q names the metadata's folder, not a file in it", file)
	}
	k, err := domain.ParseDocumentKind(kind)
	if err != nil {
		return FileSpec{}, "kind", err
	}
	dt, err := domain.ParseDate(date)
	if err != nil {
		return FileSpec{}, "date", err
	}
	var cl domain.Classification
	if strings.TrimSpace(class) != "" {
		if cl, err = domain.ParseClassification(class); err != nil {
			return FileSpec{}, "classification", err
		}
	}
	return FileSpec{Path: filepath.Join(dir, filepath.FromSlash(file)), Kind: k, Title: strings.TrimSpace(title), Date: dt, Classification: cl, Listed: true}, "", nil
}

func normSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// csvColumns are the columns of a CSV inventory, in any order.
var csvColumns = []string{"dossier_code", "full_name", "birth_date", "hometown", "unit", "classification", "file", "kind", "title", "date"}

// ParseInventory parses a CSV inventory (UTF-8, header row, one row per
// file; file paths relative to the CSV's folder) into one Spec per dossier
// code, in order of first appearance. Rows of one code must agree on the
// subject, unit and classification. Errors name the line and column.
func ParseInventory(file string, r io.Reader) ([]*Spec, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, &MetadataError{File: file, Line: 1, Msg: "no header row: " + err.Error()}
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		col[h] = i
	}
	for _, c := range csvColumns {
		if _, ok := col[c]; !ok && c != "hometown" && c != "unit" && c != "title" && c != "date" && c != "birth_date" {
			return nil, &MetadataError{File: file, Line: 1, Field: c, Msg: "missing column (want " + strings.Join(csvColumns, ",") + ")"}
		}
	}
	dir := filepath.Dir(file)
	var specs []*Spec
	byCode := map[string]*Spec{}
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			return nil, &MetadataError{File: file, Line: line, Msg: err.Error()}
		}
		line, _ := cr.FieldPos(0)
		get := func(c string) string {
			if i, ok := col[c]; ok && i < len(rec) {
				return rec[i]
			}
			return ""
		}
		bad := func(field, msg string) error { return &MetadataError{File: file, Line: line, Field: field, Msg: msg} }
		d, field, err := buildDossier(get("dossier_code"), get("full_name"), get("birth_date"), get("hometown"), get("unit"), get("classification"))
		if err != nil {
			if field == "code" {
				field = "dossier_code"
			}
			return nil, bad(field, err.Error())
		}
		fs, field, err := buildFile(dir, get("file"), get("kind"), get("title"), get("date"), "")
		if err != nil {
			return nil, bad(field, err.Error())
		}
		spec := byCode[d.Code]
		if spec == nil {
			spec = &Spec{Source: file, Dossier: *d}
			byCode[d.Code] = spec
			specs = append(specs, spec)
		} else if diff := dossierDiff(&spec.Dossier, d); diff != "" {
			return nil, bad(diff, fmt.Sprintf("dossier %s already has a different %s on an earlier line", d.Code, diff))
		}
		if prev, dup := seen[fs.Path]; dup {
			return nil, bad("file", fmt.Sprintf("%q is already listed on line %d", get("file"), prev))
		}
		seen[fs.Path] = line
		spec.Files = append(spec.Files, fs)
	}
	if len(specs) == 0 {
		return nil, &MetadataError{File: file, Line: 2, Msg: "no rows"}
	}
	return specs, nil
}

// dossierDiff names the first field in which b differs from a, or "".
func dossierDiff(a, b *domain.Dossier) string {
	switch {
	case a.Subject.FullName != b.Subject.FullName:
		return "full_name"
	case a.Subject.BirthDate != b.Subject.BirthDate:
		return "birth_date"
	case a.Subject.Hometown != b.Subject.Hometown:
		return "hometown"
	case a.Unit != b.Unit:
		return "unit"
	case a.Classification != b.Classification:
		return "classification"
	}
	return ""
}

// ReadDossierDir reads dir/dossier.json and adds the folder's other files
// (not hidden, not the metadata) as documents of kind other, sorted by name.
// A listed file that does not exist is an error for the dossier.
func ReadDossierDir(dir string) (*Spec, error) {
	mf := filepath.Join(dir, MetadataFile)
	data, err := os.ReadFile(mf)
	if err != nil {
		return nil, &MetadataError{File: mf, Msg: err.Error()}
	}
	spec, err := ParseDossierJSON(mf, data)
	if err != nil {
		return nil, err
	}
	listed := map[string]bool{}
	for i, f := range spec.Files {
		if st, err := os.Stat(f.Path); err != nil || !st.Mode().IsRegular() {
			return nil, &MetadataError{File: mf, Field: fmt.Sprintf("documents[%d].file", i), Msg: fmt.Sprintf("listed file %s does not exist or is not a regular file", f.Path)}
		}
		if err := insideDir(dir, f.Path); err != nil {
			return nil, &MetadataError{File: mf, Field: fmt.Sprintf("documents[%d].file", i), Msg: err.Error()}
		}
		listed[filepath.Clean(f.Path)] = true
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var extra []string
	for _, e := range entries {
		name := e.Name()
		p := filepath.Join(dir, name)
		if !e.Type().IsRegular() || strings.HasPrefix(name, ".") || name == MetadataFile || listed[p] {
			continue
		}
		extra = append(extra, p)
	}
	sort.Strings(extra)
	for _, p := range extra {
		spec.Files = append(spec.Files, FileSpec{Path: p, Kind: domain.KindOther})
	}
	return spec, nil
}

// CheckFiles reports the first listed file of spec that is missing or is a
// link to outside the folder of the metadata that lists it.
func (s *Spec) CheckFiles() error {
	for _, f := range s.Files {
		if st, err := os.Stat(f.Path); err != nil || !st.Mode().IsRegular() {
			return &MetadataError{File: s.Source, Field: "file", Msg: fmt.Sprintf("dossier %s: listed file %s does not exist or is not a regular file", s.Dossier.Code, f.Path)}
		}
		if err := insideDir(filepath.Dir(s.Source), f.Path); err != nil {
			return &MetadataError{File: s.Source, Field: "file", Msg: fmt.Sprintf("dossier %s: %v", s.Dossier.Code, err)}
		}
	}
	return nil
}

// insideDir returns an error when path, with symbolic links resolved, is
// not inside dir: metadata may name files in its folder only, and a link
// must not lead out of it any more than "../" may.
func insideDir(dir, path string) error {
	base, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	if rel, err := filepath.Rel(base, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("listed file %s is a link to %s, outside the metadata's folder: copy the file in instead", path, real)
	}
	return nil
}

// FileName is the name the document's original is known by.
func (f FileSpec) FileName() string {
	if f.Name != "" {
		return f.Name
	}
	return filepath.Base(f.Path)
}
