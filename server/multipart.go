package server

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"hoso/domain"
)

// maxFieldBytes bounds a form field's value in an upload.
const maxFieldBytes = 4 << 10

// uploadFields are the per-file metadata fields of an upload.
var uploadFields = []string{"kind", "title", "date", "classification"}

var indexedField = regexp.MustCompile(`^([a-z]+)\[([0-9]{1,4})\]$`)

// ParseUpload streams the multipart/form-data body of r into files in a new
// folder under tempDir, never holding a file in memory. Parts named "file"
// (at most maxFiles) are the files, in order; the fields kind, title, date
// (YYYY-MM-DD) and classification give every file's metadata, and
// kind[i], title[i], date[i], classification[i] the i-th file's (0-based),
// overriding. Fields may come before or after the files. The caller limits
// the body's size (http.MaxBytesReader). On error nothing is left on disk.
func ParseUpload(r *http.Request, tempDir string, maxFiles int) (*Upload, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, fmt.Errorf("%w: send multipart/form-data with file parts named \"file\"", errMediaType)
	}
	dir, err := os.MkdirTemp(tempDir, "hoso-upload-")
	if err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	up := &Upload{Dir: dir}
	fields := map[string]string{}
	if err := readParts(mr, up, fields, maxFiles); err != nil {
		up.Remove()
		return nil, err
	}
	if err := applyFields(up, fields); err != nil {
		up.Remove()
		return nil, err
	}
	return up, nil
}

func readParts(mr *multipart.Reader, up *Upload, fields map[string]string, maxFiles int) error {
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return err
			}
			return fmt.Errorf("%w: multipart body: %v", ErrInvalid, err)
		}
		name := part.FormName()
		if name == "file" {
			if len(up.Files) >= maxFiles {
				return fmt.Errorf("%w: more than %d files in one upload", ErrInvalid, maxFiles)
			}
			err = saveFile(part, up)
		} else {
			err = readField(part, name, fields)
		}
		part.Close()
		if err != nil {
			return err
		}
	}
}

func saveFile(part *multipart.Part, up *Upload) error {
	i := len(up.Files)
	path := filepath.Join(up.Dir, fmt.Sprintf("f%04d", i))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	n, err := io.Copy(f, part)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return fmt.Errorf("%w: file %d: %v", ErrInvalid, i, err)
	}
	name := SafeFilename(part.FileName(), fmt.Sprintf("upload-%d", i+1))
	up.Files = append(up.Files, UploadFile{Path: path, Name: name, Size: n})
	return nil
}

func readField(part *multipart.Part, name string, fields map[string]string) error {
	base := name
	if m := indexedField.FindStringSubmatch(name); m != nil {
		base = m[1]
	}
	known := false
	for _, f := range uploadFields {
		known = known || f == base
	}
	if !known {
		return fmt.Errorf("%w: unknown form field %q (want file, %s, or those with [i])", ErrInvalid, name, strings.Join(uploadFields, ", "))
	}
	b, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
	if err != nil {
		return fmt.Errorf("%w: field %s: %v", ErrInvalid, name, err)
	}
	if len(b) > maxFieldBytes {
		return fmt.Errorf("%w: field %s longer than %d bytes", ErrInvalid, name, maxFieldBytes)
	}
	fields[name] = strings.TrimSpace(string(b))
	return nil
}

// applyFields sets each file's metadata from the form fields.
func applyFields(up *Upload, fields map[string]string) error {
	for name := range fields {
		if m := indexedField.FindStringSubmatch(name); m != nil {
			if i, _ := strconv.Atoi(m[2]); i >= len(up.Files) {
				return fmt.Errorf("%w: field %s names file %d, but %d were sent", ErrInvalid, name, i, len(up.Files))
			}
		}
	}
	for i := range up.Files {
		f := &up.Files[i]
		get := func(field string) string {
			if v, ok := fields[fmt.Sprintf("%s[%d]", field, i)]; ok {
				return v
			}
			return fields[field]
		}
		var err error
		if f.Kind, err = domain.ParseDocumentKind(get("kind")); err != nil {
			return fmt.Errorf("%w: file %d (%s): %v", ErrInvalid, i, f.Name, err)
		}
		f.Title = get("title")
		if f.Date, err = domain.ParseDate(get("date")); err != nil {
			return fmt.Errorf("%w: file %d (%s): %v", ErrInvalid, i, f.Name, err)
		}
		if c := get("classification"); c != "" {
			if f.Classification, err = domain.ParseClassification(c); err != nil {
				return fmt.Errorf("%w: file %d (%s): %v", ErrInvalid, i, f.Name, err)
			}
		}
	}
	return nil
}
