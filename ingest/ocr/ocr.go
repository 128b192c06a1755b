// Package ocr recognizes text on page images with Tesseract through a pool
// of workers. It is the only package that imports gosseract: Tesseract's
// errors become this package's sentinels here.
//
// Each worker owns its Tesseract clients (one per language combination it
// has served, at most three, never shared between goroutines) and, for
// orientation detection, one client of Tesseract's osd model through
// Tesseract's C API (gosseract v2.4.1 has no OSD call). Clients are created
// one at a time under a process-wide lock, because gosseract's client init
// (lazy: at the first recognition, which New forces on a tiny page)
// redirects the process's stderr. They are recreated after
// Config.RecycleAfter pages because gosseract v2.4.1 leaks the word strings
// and the result iterator of every page: measured ~16 KB per page of 380
// words (about 40 bytes a word).
//
// Known hazard: gosseract's init closes and reopens file descriptor 2 for a
// moment; a file another goroutine opens in that instant could be given
// descriptor 2 and be redirected. Inits happen only in New, on recycling and
// for a language a worker has not loaded, so keep RecycleAfter in the
// hundreds.
//
// Each page is recognized once (gosseract's GetBoundingBoxesVerbose: one
// Recognize, then a word-level iterator); the text is built from the words,
// so every word's Start offset is exact. Orientation is checked only when a
// page looks wrong (low confidence or vertical words), because Tesseract's
// OSD costs 0.2-0.6 s on an A4 page at 300 dpi, a sixth to a third of a
// recognition: see Pool.Process.
//
// Debian's libtesseract uses OpenMP, whose threads fight the pool's
// workers; call EnsureThreadLimit at the start of main and TestMain.
package ocr

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/otiai10/gosseract/v2"

	"hoso/ingest/prep"
)

// Errors callers can test with errors.Is; Tesseract's own errors are mapped
// to these.
var (
	// ErrLanguage: a requested language is malformed or not installed.
	ErrLanguage = errors.New("ocr language not available")
	// ErrInput: the page image is empty, too small or too large.
	ErrInput = errors.New("unusable page image for ocr")
	// ErrEngine: Tesseract could not load its data or recognize the page.
	ErrEngine = errors.New("tesseract failed")
	// ErrClosed: the pool is closed.
	ErrClosed = errors.New("ocr pool closed")
)

// settingsRev numbers this package's recognition settings (page
// segmentation, orientation rules, text assembly); it is part of SettingsID.
const settingsRev = "s1"

// Config tunes a Pool. The zero value of a field takes its default, except
// DetectOrientation, which DefaultConfig turns on.
type Config struct {
	Lang              string  // default "vie"; combinations such as "vie+eng" allowed
	Workers           int     // default runtime.NumCPU()
	RecycleAfter      int     // pages per client before it is closed and recreated; default 200
	ReviewBelow       float64 // mean confidence below which a page is flagged low-confidence; default 60
	DetectOrientation bool    // find and undo 90/180/270° turns; default true via DefaultConfig
	// TessdataDir holds the *.traineddata files; default $TESSDATA_PREFIX,
	// else the first of DefaultTessdataDirs that exists.
	TessdataDir string
	Logger      *slog.Logger // default slog.Default()
}

// DefaultConfig returns the settings used for dossier pages.
func DefaultConfig() Config {
	return Config{Lang: "vie", Workers: runtime.NumCPU(), RecycleAfter: 200, ReviewBelow: 60, DetectOrientation: true}
}

// DefaultTessdataDirs are searched, in order, when neither
// Config.TessdataDir nor $TESSDATA_PREFIX names the directory.
var DefaultTessdataDirs = []string{
	"/usr/share/tesseract-ocr/5/tessdata",
	"/usr/share/tesseract-ocr/4.00/tessdata",
	"/usr/local/share/tessdata",
	"/usr/share/tessdata",
	"/opt/homebrew/share/tessdata",
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Lang == "" {
		c.Lang = d.Lang
	}
	if c.Workers <= 0 {
		c.Workers = d.Workers
	}
	if c.RecycleAfter <= 0 {
		c.RecycleAfter = d.RecycleAfter
	}
	if c.ReviewBelow == 0 {
		c.ReviewBelow = d.ReviewBelow
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// tessdataDir resolves where the language files are.
func tessdataDir(configured string) (string, error) {
	if configured != "" {
		return configured, nil
	}
	if env := os.Getenv("TESSDATA_PREFIX"); env != "" {
		return env, nil
	}
	for _, d := range DefaultTessdataDirs {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d, nil
		}
	}
	return "", fmt.Errorf("%w: no tessdata directory found (tried %s): install with apt-get install tesseract-ocr tesseract-ocr-vie",
		ErrLanguage, strings.Join(DefaultTessdataDirs, ", "))
}

// installed lists the languages in dir, sorted, without the osd model.
func installed(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.traineddata"))
	if err != nil {
		return nil, err
	}
	var langs []string
	for _, f := range files {
		if l := strings.TrimSuffix(filepath.Base(f), ".traineddata"); l != "osd" {
			langs = append(langs, l)
		}
	}
	slices.Sort(langs)
	return langs, nil
}

// Languages returns the installed recognition languages (Tesseract's codes,
// e.g. "eng", "vie"), sorted. The osd model is not a language and is left
// out.
func Languages() ([]string, error) {
	dir, err := tessdataDir("")
	if err != nil {
		return nil, err
	}
	return installed(dir)
}

var langRE = regexp.MustCompile(`^[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*$`)

// checkLang verifies that every part of lang ("vie+eng") is installed.
func checkLang(lang, dir string, have []string) error {
	if !langRE.MatchString(lang) {
		return fmt.Errorf("%w: bad language %q (want codes joined by '+', e.g. vie+eng)", ErrLanguage, lang)
	}
	for _, l := range strings.Split(lang, "+") {
		if l == "osd" || !slices.Contains(have, l) {
			pkg := "tesseract-ocr-" + strings.ReplaceAll(strings.ToLower(l), "_", "-")
			return fmt.Errorf("%w: %q is not installed in %s (install with apt-get install %s)", ErrLanguage, l, dir, pkg)
		}
	}
	return nil
}

var (
	versionOnce sync.Once
	version     string
)

// engineVersion is Tesseract's version, e.g. "5.3.0".
func engineVersion() string {
	versionOnce.Do(func() {
		initMu.Lock()
		defer initMu.Unlock()
		version = gosseract.Version()
	})
	return version
}

var idUnsafe = regexp.MustCompile(`[^a-z0-9._-]+`)

// SettingsID returns a stable identifier of what determines this pool's
// output for lang ("" = the pool's default): Tesseract's version, the
// language, prep.Version and this package's settings revision, e.g.
// "ocr-vie-5.3.0-p1-s1" ("ocr-vie.eng-…" for vie+eng, "…-noosd" with
// orientation detection off). It uses only [a-z0-9._-]; the same settings
// give the same id, so a page already OCR'd under it need not be redone.
func (p *Pool) SettingsID(lang string) string {
	if lang == "" {
		lang = p.cfg.Lang
	}
	id := fmt.Sprintf("ocr-%s-%s-%s-%s", strings.ReplaceAll(lang, "+", "."), p.version, prep.Version, settingsRev)
	if !p.osdOn {
		id += "-noosd"
	}
	return idUnsafe.ReplaceAllString(strings.ToLower(id), "_")
}
