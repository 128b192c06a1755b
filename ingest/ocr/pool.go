package ocr

import (
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sync"
	"time"

	"hoso/domain"
	"hoso/ingest/prep"
)

// Input is one page to recognize.
type Input struct {
	Image *image.Gray // the page, normally prep.Page.Image; never modified
	DPI   float64     // its resolution, 0 when unknown (Tesseract estimates it)
	Lang  string      // "" = the pool's default
	Label string      // names the page in errors, e.g. "01.pdf page 3"
}

// Result is the recognized page.
type Result struct {
	// Image is the image the word boxes refer to (in pixels from its
	// Bounds().Min): Input.Image itself, or a turned copy when orientation
	// detection turned the page.
	Image       *image.Gray
	OCR         domain.OCRResult
	Orientation int      // degrees the page was turned counter-clockwise: 0, 90, 180 or 270
	Flags       []string // domain.FlagRotated, domain.FlagLowConfidence
}

// Limits on Input.Image. Tesseract keeps coordinates in 16 bits.
const (
	minSide   = 16
	maxSide   = 32767
	maxPixels = 100_000_000
)

// Orientation is checked (see Process) when the mean confidence is below
// this, or when the words stand vertical.
const osdBelow = 65

// Below this many words Tesseract's OSD often cannot tell (it wants about
// 50 letters); such a page is tried upside down instead.
const osdMinWords = 40

// Pool runs Tesseract on Config.Workers goroutines. Its methods are safe for
// concurrent use.
type Pool struct {
	cfg     Config
	dir     string
	langs   []string // installed when the pool was made
	version string   // Tesseract's, e.g. "5.3.0"
	osdOn   bool
	jobs    chan *job
	quit    chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
}

type job struct {
	ctx   context.Context
	in    Input
	lang  string
	reply chan reply // buffered: a worker never blocks on a caller that left
}

type reply struct {
	res *Result
	err error
}

// New checks that Tesseract has every language of cfg.Lang (the error,
// matching ErrLanguage, names the missing one and its Debian package) and
// starts cfg.Workers workers, each with a client loaded for cfg.Lang. With
// DetectOrientation on and no osd model installed, orientation detection is
// turned off with a warning on cfg.Logger. Close the pool when done.
func New(cfg Config) (*Pool, error) {
	cfg = cfg.withDefaults()
	if cfg.ReviewBelow < 0 || cfg.ReviewBelow > 100 {
		return nil, fmt.Errorf("ocr config: review threshold %v outside 0-100", cfg.ReviewBelow)
	}
	dir, err := tessdataDir(cfg.TessdataDir)
	if err != nil {
		return nil, err
	}
	langs, err := installed(dir)
	if err != nil {
		return nil, fmt.Errorf("ocr: list languages in %s: %w", dir, err)
	}
	if err := checkLang(cfg.Lang, dir, langs); err != nil {
		return nil, err
	}
	p := &Pool{cfg: cfg, dir: dir, langs: langs, version: engineVersion(),
		osdOn: cfg.DetectOrientation, jobs: make(chan *job), quit: make(chan struct{})}
	if p.osdOn {
		if _, err := os.Stat(filepath.Join(dir, "osd.traineddata")); err != nil {
			cfg.Logger.Warn("ocr: orientation detection off: osd model missing (install with apt-get install tesseract-ocr-osd)", logDir, dir)
			p.osdOn = false
		}
	}
	workers := make([]*worker, 0, cfg.Workers)
	for i := 0; i < cfg.Workers; i++ {
		w, err := p.newWorker(i)
		if err != nil {
			for _, w := range workers {
				w.close()
			}
			return nil, err
		}
		workers = append(workers, w)
	}
	for _, w := range workers {
		p.wg.Add(1)
		go w.loop()
	}
	return p, nil
}

// Log keys.
const (
	logDir    = "dir"
	logWorker = "worker"
	logLang   = "lang"
	logPages  = "pages"
)

// Process recognizes one page. It waits for a free worker (returning
// ctx.Err() wrapped if ctx ends first, ErrClosed once Close was called). A
// page that is cancelled while Tesseract works on it returns at once; the
// worker finishes the page and drops the result, as Tesseract cannot be
// interrupted. in.Image is not modified and may be returned as
// Result.Image.
//
// When orientation detection is on and the page has words but looks wrong
// (mean confidence below 65, or most words taller than wide, as when
// Tesseract reads a page turned by 90° as vertical text), Tesseract's OSD
// is asked for the orientation (or, on a page of under 40 words where OSD
// cannot tell, 180° is tried). The turned page is recognized again and kept
// if its confidence is at most 5 points lower; then FlagRotated is set. An
// upright page thus costs one recognition, a turned one two plus OSD.
// FlagLowConfidence is set when the mean confidence is below
// Config.ReviewBelow, which includes pages where nothing was recognized
// (confidence 0).
//
// Errors wrap ErrInput, ErrLanguage, ErrEngine or ErrClosed, prefixed with
// "ocr " and in.Label.
func (p *Pool) Process(ctx context.Context, in Input) (*Result, error) {
	if err := validate(in.Image); err != nil {
		return nil, p.wrap(in, err)
	}
	lang := in.Lang
	if lang == "" {
		lang = p.cfg.Lang
	} else if err := checkLang(lang, p.dir, p.langs); err != nil {
		return nil, p.wrap(in, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, p.wrap(in, err)
	}
	j := &job{ctx: ctx, in: in, lang: lang, reply: make(chan reply, 1)}
	select {
	case p.jobs <- j:
	case <-ctx.Done():
		return nil, p.wrap(in, ctx.Err())
	case <-p.quit:
		return nil, p.wrap(in, ErrClosed)
	}
	select {
	case r := <-j.reply:
		if r.err != nil {
			return nil, p.wrap(in, r.err)
		}
		return r.res, nil
	case <-ctx.Done():
		return nil, p.wrap(in, ctx.Err())
	}
}

func (p *Pool) wrap(in Input, err error) error {
	if in.Label == "" {
		return fmt.Errorf("ocr: %w", err)
	}
	return fmt.Errorf("ocr %s: %w", in.Label, err)
}

func validate(img *image.Gray) error {
	if img == nil {
		return fmt.Errorf("%w: no image", ErrInput)
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	switch {
	case w < minSide || h < minSide:
		return fmt.Errorf("%w: %dx%d pixels is smaller than %dx%d", ErrInput, w, h, minSide, minSide)
	case w > maxSide || h > maxSide || w*h > maxPixels:
		return fmt.Errorf("%w: %dx%d pixels is larger than Tesseract takes (%d per side, %d in all)", ErrInput, w, h, maxSide, maxPixels)
	case len(img.Pix) < img.PixOffset(b.Max.X-1, b.Max.Y-1)+1:
		return fmt.Errorf("%w: pixel buffer shorter than %dx%d", ErrInput, w, h)
	}
	return nil
}

// Close stops accepting pages, waits for the pages in progress and frees
// every Tesseract client. It is safe to call more than once.
func (p *Pool) Close() error {
	p.once.Do(func() { close(p.quit) })
	p.wg.Wait()
	return nil
}

// worker owns its clients; only its goroutine touches them.
type worker struct {
	p       *Pool
	id      int
	engines map[string]*engine // by language combination
	osd     *osdEngine
	lru     []string // languages, least recently used first
}

// maxEngines bounds the language combinations a worker keeps loaded.
const maxEngines = 3

func (p *Pool) newWorker(id int) (*worker, error) {
	w := &worker{p: p, id: id, engines: map[string]*engine{}}
	if _, err := w.engine(p.cfg.Lang); err != nil {
		return nil, err
	}
	if p.osdOn {
		initMu.Lock()
		o, err := newOSD(p.dir)
		initMu.Unlock()
		if err != nil {
			w.close()
			return nil, fmt.Errorf("%w: %v", ErrEngine, err)
		}
		w.osd = o
	}
	return w, nil
}

func (w *worker) loop() {
	defer w.p.wg.Done()
	defer w.close()
	for {
		select {
		case j := <-w.p.jobs:
			res, err := w.run(j)
			j.reply <- reply{res, err}
		case <-w.p.quit:
			return
		}
	}
}

func (w *worker) close() {
	for _, e := range w.engines {
		e.close()
	}
	w.engines = nil
	w.osd.close()
}

// engine returns the worker's client for lang, creating it or replacing a
// client that has served RecycleAfter pages.
func (w *worker) engine(lang string) (*engine, error) {
	e := w.engines[lang]
	if e != nil && e.pages >= w.p.cfg.RecycleAfter {
		w.p.cfg.Logger.Debug("ocr: recycling client", logWorker, w.id, logLang, lang, logPages, e.pages)
		e.close()
		delete(w.engines, lang)
		e = nil
	}
	w.lru = append(deleteString(w.lru, lang), lang)
	if e != nil {
		return e, nil
	}
	if len(w.engines) >= maxEngines {
		old := w.lru[0]
		w.lru = w.lru[1:]
		w.engines[old].close()
		delete(w.engines, old)
	}
	e, err := newEngine(w.p.dir, lang)
	if err != nil {
		w.lru = deleteString(w.lru, lang)
		return nil, err
	}
	w.engines[lang] = e
	return e, nil
}

func deleteString(s []string, v string) []string {
	for i, x := range s {
		if x == v {
			return append(s[:i], s[i+1:]...)
		}
	}
	return s
}

func (w *worker) run(j *job) (*Result, error) {
	if err := j.ctx.Err(); err != nil {
		return nil, err
	}
	e, err := w.engine(j.lang)
	if err != nil {
		return nil, err
	}
	img := j.in.Image
	boxes, err := e.recognize(img, j.in.DPI)
	if err != nil {
		return nil, err
	}
	pg, orient := assemble(boxes), 0
	if w.osd != nil && len(pg.words) > 0 && (pg.conf < osdBelow || sideways(pg.words)) && j.ctx.Err() == nil {
		deg, _, ok := w.osd.detect(img, int(j.in.DPI))
		if !ok && len(pg.words) <= osdMinWords {
			deg = 180 // too little text for OSD: try upside down
		}
		if deg != 0 {
			turned := prep.Rotate90(img, deg)
			if e, err = w.engine(j.lang); err != nil { // may have been recycled
				return nil, err
			}
			boxes, err := e.recognize(turned, j.in.DPI)
			if err != nil {
				return nil, err
			}
			if tp := assemble(boxes); len(tp.words) > 0 && tp.conf >= pg.conf-5 {
				pg, img, orient = tp, turned, deg
			}
		}
	}
	return w.result(j, img, pg, orient), nil
}

func (w *worker) result(j *job, img *image.Gray, pg page, orient int) *Result {
	b := img.Bounds()
	r := &Result{
		Image: img,
		OCR: domain.OCRResult{
			Schema: domain.SchemaVersion, Source: "ocr", Engine: "tesseract " + w.p.version, Lang: j.lang,
			Text: pg.text, Words: pg.words, MeanConfidence: pg.conf,
			Width: b.Dx(), Height: b.Dy(), CreatedAt: time.Now().UTC(),
		},
		Orientation: orient,
	}
	if orient != 0 {
		r.Flags = append(r.Flags, domain.FlagRotated)
	}
	if pg.conf < w.p.cfg.ReviewBelow {
		r.Flags = append(r.Flags, domain.FlagLowConfidence)
	}
	return r
}
