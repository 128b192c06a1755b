package browsertest

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"hoso/archive"
	"hoso/audit"
	"hoso/auth"
	"hoso/domain"
	"hoso/index"
	"hoso/ingest"
	"hoso/jobs"
	"hoso/server"
	"hoso/storage"
	"hoso/storage/fs"
	"hoso/web"
)

// Password is the password of every test user.
const Password = "correct horse battery staple"

// User is a test account.
type User struct {
	Name      string
	Role      auth.Role
	Clearance domain.Classification
}

// Users are the accounts of every Env.
var Users = []User{
	{"admin", auth.Admin, domain.TopSecret},
	{"arch", auth.Archivist, domain.Secret},
	{"reader", auth.Reader, domain.Confidential},
	{"readpub", auth.Reader, domain.Public},
}

// Env is hoso's server with the web page mounted, over real components in
// temporary folders: a folder store, a bleve index on disk, the auth
// service, the audit log, the job manager. Everything is closed when the
// test ends.
type Env struct {
	Dir    string
	Store  storage.Store
	Arch   *archive.Archive
	Index  *index.Index
	Auth   *auth.Service
	Audit  *audit.Log
	Jobs   *jobs.Manager
	App    *server.App
	Server *server.Server
	HTTP   *httptest.Server
	URL    string // the server's base URL
	Logs   *bytes.Buffer
}

// EnvOptions tune NewEnv.
type EnvOptions struct {
	// OCR recognizes uploads (an *ocr.Pool); nil refuses uploads.
	OCR ingest.Recognizer
	// MaxLoginFailures before sign-in is refused for a while (3).
	MaxLoginFailures int
}

// NewEnv starts an Env.
func NewEnv(t testing.TB, o EnvOptions) *Env {
	t.Helper()
	ctx := context.Background()
	e := &Env{Dir: t.TempDir(), Logs: &bytes.Buffer{}}
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: e.Logs}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var err error
	if e.Store, err = fs.New(e.Dir + "/objects"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Store.Close() })
	e.Arch = archive.New(e.Store)
	if e.Index, err = index.Open(e.Dir+"/index", index.Config{Logger: log, LockTimeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Index.Close() })
	if o.MaxLoginFailures == 0 {
		o.MaxLoginFailures = 3
	}
	cheap := auth.Argon2Params{Memory: 64, Time: 1, Threads: 1}
	if e.Auth, err = auth.New(e.Store, auth.Config{Argon2: cheap, MaxFailures: o.MaxLoginFailures, Log: log}); err != nil {
		t.Fatal(err)
	}
	if e.Audit, err = audit.Open(ctx, e.Store, audit.Config{Logger: log}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Audit.Close(context.Background()) })
	e.Jobs = jobs.NewManager(e.Store, jobs.Config{Interval: 100 * time.Millisecond, Logger: log})
	for _, u := range Users {
		if _, err := e.Auth.AddUser(ctx, u.Name, u.Role, u.Clearance, Password); err != nil {
			t.Fatal(err)
		}
	}
	tmp := e.Dir + "/uploads"
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	if e.App, err = server.NewApp(server.Config{Archive: e.Arch, Index: e.Index, Auth: e.Auth, Audit: e.Audit, Jobs: e.Jobs,
		OCR: o.OCR, Workers: 2, TempDir: tmp, FollowInterval: 200 * time.Millisecond, Logger: log}); err != nil {
		t.Fatal(err)
	}
	e.App.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := e.App.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	e.Server = server.NewServer(e.App, server.HTTPConfig{Logger: log, MaxUpload: 64 << 20})
	if _, err := web.Mount(web.Config{App: e.App, Server: e.Server, Logger: log}); err != nil {
		t.Fatal(err)
	}
	e.HTTP = httptest.NewServer(e.Server)
	t.Cleanup(e.HTTP.Close)
	e.URL = e.HTTP.URL
	return e
}

// SeedDossier describes a dossier Seed commits without OCR.
type SeedDossier struct {
	Code, Name, Unit, Hometown string
	Born                       string // YYYY-MM-DD or ""
	Class                      domain.Classification
	Docs                       []SeedDocument
}

// SeedDocument is a document of a SeedDossier.
type SeedDocument struct {
	ID, Kind, Title, Date string
	Class                 domain.Classification
	Pages                 []SeedPage
}

// SeedPage is a page: its text (one line per text line) and mean
// confidence (below 60 flags it low-confidence).
type SeedPage struct {
	Text string
	Conf float64
}

// Seed stores d's originals, page images (blank, 1240 x 1754: A4 at 150
// dpi) and texts with word boxes laid out line by line, commits it and
// indexes it.
func (e *Env) Seed(t testing.TB, sd SeedDossier) *domain.Dossier {
	t.Helper()
	ctx := context.Background()
	born, err := domain.ParseDate(sd.Born)
	if err != nil {
		t.Fatal(err)
	}
	d := &domain.Dossier{Code: sd.Code, Subject: domain.Subject{FullName: sd.Name, BirthDate: born, Hometown: sd.Hometown},
		Unit: sd.Unit, Classification: sd.Class, UpdatedBy: "seed"}
	for _, sdoc := range sd.Docs {
		orig := []byte("%PDF-1.4 stand-in original of " + sd.Code + "/" + sdoc.ID)
		h := storage.NewHashingReader(bytes.NewReader(orig))
		io.Copy(io.Discard, h)
		sha := h.SHA256()
		key, err := e.Arch.PutOriginal(ctx, bytes.NewReader(orig), int64(len(orig)), sha, "application/pdf")
		if err != nil {
			t.Fatal(err)
		}
		date, err := domain.ParseDate(sdoc.Date)
		if err != nil {
			t.Fatal(err)
		}
		doc := domain.Document{ID: sdoc.ID, Kind: domain.DocumentKind(sdoc.Kind), Title: sdoc.Title, Date: date, Classification: sdoc.Class,
			Original: domain.Original{Key: key, SHA256: sha, Size: int64(len(orig)), MediaType: "application/pdf", Filename: sdoc.ID + ".pdf"}}
		for i, sp := range sdoc.Pages {
			n := i + 1
			img, err := e.Arch.PutPageImage(ctx, sha, n, "png", blankPage(t, seedW, seedH))
			if err != nil {
				t.Fatal(err)
			}
			res := layOut(sp.Text, sp.Conf)
			res.Image, res.CreatedAt = img, time.Now().UTC()
			if sp.Conf < 60 {
				res.Flags = []string{domain.FlagLowConfidence}
			}
			tk, err := e.Arch.PutText(ctx, sha, n, "ocr-vie-seed", res)
			if err != nil {
				t.Fatal(err)
			}
			doc.Pages = append(doc.Pages, domain.Page{Number: n, ImageKey: img, Width: seedW, Height: seedH, DPI: 150,
				TextKey: tk, TextVersions: []string{tk}, MeanConfidence: sp.Conf, Lang: "vie", Flags: res.Flags})
		}
		d.Documents = append(d.Documents, doc)
	}
	if err := e.Arch.Commit(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := e.Index.CatchUp(ctx, e.Arch); err != nil {
		t.Fatal(err)
	}
	return d
}

const seedW, seedH = 1240, 1754

// layOut makes the OCRResult of text: words are runs of non-space, boxes
// laid out left to right from (60, 100), 30 px per line.
func layOut(text string, conf float64) *domain.OCRResult {
	res := &domain.OCRResult{Source: "ocr", Lang: "vie", Engine: "seed", Text: text, MeanConfidence: conf,
		Width: seedW, Height: seedH, DPI: 150}
	line, x := 0, 60
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		w := text[start:end]
		px := 14 * len([]rune(w))
		res.Words = append(res.Words, domain.Word{Text: w, X0: x, Y0: 100 + 30*line, X1: x + px, Y1: 122 + 30*line,
			Confidence: conf, Start: start})
		x += px + 10
		start = -1
	}
	for i, r := range text {
		switch {
		case r == '\n':
			flush(i)
			line, x = line+1, 60
		case strings.ContainsRune(" \t", r):
			flush(i)
		case start < 0:
			start = i
		}
	}
	flush(len(text))
	return res
}

func blankPage(t testing.TB, w, h int) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	img.SetGray(w/2, h/2, color.Gray{Y: 0})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
