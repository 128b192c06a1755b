package ingest

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Discover turns command-line paths into dossier specs. A path is a CSV
// inventory (a file ending in .csv), a dossier folder (holding
// dossier.json), or a folder tree whose every folder holding a dossier.json
// is a dossier. Problems with one dossier are returned in errs and do not
// stop the others; a code that appears twice with different subjects is an
// error for the later one.
func Discover(paths []string) (specs []*Spec, errs []error) {
	byCode := map[string]*Spec{}
	add := func(s *Spec) {
		if prev, ok := byCode[s.Dossier.Code]; ok {
			if diff := dossierDiff(&prev.Dossier, &s.Dossier); diff != "" {
				errs = append(errs, &MetadataError{File: s.Source, Field: diff, Msg: fmt.Sprintf("dossier %s is also defined in %s with a different %s", s.Dossier.Code, prev.Source, diff)})
				return
			}
			prev.Files = append(prev.Files, s.Files...)
			return
		}
		byCode[s.Dossier.Code] = s
		specs = append(specs, s)
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !st.IsDir() {
			if !strings.EqualFold(filepath.Ext(p), ".csv") {
				errs = append(errs, fmt.Errorf("%s: not a folder or a .csv inventory", p))
				continue
			}
			f, err := os.Open(p)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			ss, err := ParseInventory(p, f)
			f.Close()
			if err != nil {
				errs = append(errs, err)
				continue
			}
			for _, s := range ss {
				if err := s.CheckFiles(); err != nil {
					errs = append(errs, err)
					continue
				}
				add(s)
			}
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, err)
				return nil
			}
			if !d.IsDir() {
				return nil
			}
			if path != p && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, MetadataFile)); err != nil {
				return nil
			}
			s, err := ReadDossierDir(path)
			if err != nil {
				errs = append(errs, err)
			} else {
				add(s)
			}
			return filepath.SkipDir
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(specs) == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("no dossiers found in %s (a dossier is a folder with a %s, or rows of a .csv inventory)", strings.Join(paths, ", "), MetadataFile))
	}
	return specs, errs
}
