package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"hoso/archive"
	"hoso/audit"
	"hoso/auth"
	"hoso/domain"
	"hoso/index"
	"hoso/ingest/ocr"
	"hoso/jobs"
	"hoso/storage"
	"hoso/storage/faulty"
	"hoso/storage/fs"
)

func TestMain(m *testing.M) {
	ocr.EnsureThreadLimit()
	os.Exit(m.Run())
}

// password of every test user.
const password = "correct horse battery staple"

// testUsers are the accounts of every env: name -> role, clearance.
var testUsers = []struct {
	name      string
	role      auth.Role
	clearance domain.Classification
}{
	{"admin", auth.Admin, domain.TopSecret},
	{"arch", auth.Archivist, domain.Secret},
	{"archpub", auth.Archivist, domain.Public},
	{"reader", auth.Reader, domain.Confidential},
	{"readpub", auth.Reader, domain.Public},
}

// env is a server over real components: a folder store, a bleve index on
// disk, the auth service, the audit log and the job manager.
type env struct {
	t        *testing.T
	dir      string
	store    storage.Store
	auditFS  *faulty.Store // the audit log's view of the store: SetDown fails audits
	arch     *archive.Archive
	ix       *index.Index
	auth     *auth.Service
	log      *audit.Log
	jobs     *jobs.Manager
	app      *App
	srv      *Server
	ts       *httptest.Server
	logs     *bytes.Buffer
	clientMu sync.Mutex
	clients  map[string]*client
}

type envOptions struct {
	ocr    bool // an OCR pool for uploads
	noSeed bool
	tls    bool
	store  storage.Store // default: a folder store in a temp dir
}

var (
	poolOnce sync.Once
	pool     *ocr.Pool
	poolErr  error
)

// sharedPool is one OCR pool (one worker) for the package's tests.
func sharedPool(t *testing.T) *ocr.Pool {
	t.Helper()
	poolOnce.Do(func() {
		cfg := ocr.DefaultConfig()
		cfg.Workers = 1
		pool, poolErr = ocr.New(cfg)
	})
	if poolErr != nil {
		t.Fatalf("OCR pool (install tesseract-ocr-vie, libtesseract-dev): %v", poolErr)
	}
	return pool
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, dir: t.TempDir(), clients: map[string]*client{}, logs: &bytes.Buffer{}}
	log := slog.New(slog.NewTextHandler(syncWriter{w: e.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.store = o.store
	if e.store == nil {
		s, err := fs.New(e.dir + "/objects")
		if err != nil {
			t.Fatal(err)
		}
		e.store = s
	}
	t.Cleanup(func() { e.store.Close() })
	e.arch = archive.New(e.store)
	var err error
	if e.ix, err = index.Open(e.dir+"/index", index.Config{Logger: log, LockTimeout: 200 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.ix.Close() })
	if e.auth, err = auth.New(e.store, auth.Config{Argon2: auth.Argon2Params{Memory: 64, Time: 1, Threads: 1}, MaxFailures: 3, Log: log}); err != nil {
		t.Fatal(err)
	}
	e.auditFS = faulty.New(e.store)
	if e.log, err = audit.Open(ctx, e.auditFS, audit.Config{Logger: log}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.log.Close(context.Background()) })
	e.jobs = jobs.NewManager(e.store, jobs.Config{Interval: 50 * time.Millisecond, Logger: log})
	for _, u := range testUsers {
		if _, err := e.auth.AddUser(ctx, u.name, u.role, u.clearance, password); err != nil {
			t.Fatal(err)
		}
	}
	if !o.noSeed {
		seed(t, e.arch)
		if err := e.ix.CatchUp(ctx, e.arch); err != nil {
			t.Fatal(err)
		}
	}
	cfg := Config{Archive: e.arch, Index: e.ix, Auth: e.auth, Audit: e.log, Jobs: e.jobs, Workers: 1,
		TempDir: t.TempDir(), FollowInterval: 100 * time.Millisecond, Logger: log}
	if o.ocr {
		cfg.OCR = sharedPool(t)
	}
	if e.app, err = NewApp(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.app.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	e.srv = NewServer(e.app, HTTPConfig{Logger: log, MaxUpload: 8 << 20})
	if o.tls {
		e.ts = httptest.NewTLSServer(e.srv)
	} else {
		e.ts = httptest.NewServer(e.srv)
	}
	t.Cleanup(e.ts.Close)
	return e
}

type syncWriter struct{ w *bytes.Buffer }

var logMu sync.Mutex

func (s syncWriter) Write(p []byte) (int, error) {
	logMu.Lock()
	defer logMu.Unlock()
	return s.w.Write(p)
}

// client is a signed-in browser (cookie jar + CSRF token) or an API token.
type client struct {
	e     *env
	c     *http.Client
	csrf  string
	token string
}

// as returns a client signed in as user name (made once per env).
func (e *env) as(name string) *client {
	e.t.Helper()
	e.clientMu.Lock()
	defer e.clientMu.Unlock()
	if c := e.clients[name]; c != nil {
		return c
	}
	c := e.login(name, password)
	if c == nil {
		e.t.Fatalf("sign in as %s failed", name)
	}
	e.clients[name] = c
	return c
}

// login signs in, returning nil when refused.
func (e *env) login(name, pw string) *client {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{e: e, c: e.ts.Client()}
	hc := *c.c
	hc.Jar = jar
	c.c = &hc
	code, body, _ := c.do("POST", "/api/v1/login", map[string]string{"name": name, "password": pw})
	if code != http.StatusOK {
		return nil
	}
	var lr LoginResponse
	if err := json.Unmarshal(body, &lr); err != nil {
		e.t.Fatal(err)
	}
	c.csrf = lr.CSRFToken
	return c
}

// anon returns a client with no credentials.
func (e *env) anon() *client { return &client{e: e, c: e.ts.Client()} }

// bearer returns a client that sends an API token.
func (e *env) bearer(token string) *client { return &client{e: e, c: e.ts.Client(), token: token} }

// do sends a request; body is JSON-encoded unless it is a *multipartBody
// or []byte. It returns the status, body and headers.
func (c *client) do(method, path string, body any) (int, []byte, http.Header) {
	c.e.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case *multipartBody:
		rd, ct = bytes.NewReader(b.data), b.contentType
	case []byte:
		rd, ct = bytes.NewReader(b), "application/json"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.e.t.Fatal(err)
		}
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, c.e.ts.URL+path, rd)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.e.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, b, resp.Header
}

// get does a GET and decodes a 200 answer into v (when not nil); it fails
// the test on any other status.
func (c *client) get(path string, v any) {
	c.e.t.Helper()
	code, body, _ := c.do("GET", path, nil)
	if code != http.StatusOK {
		c.e.t.Fatalf("GET %s: %d %s", path, code, body)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			c.e.t.Fatalf("GET %s: %v", path, err)
		}
	}
}

// errCode returns the code of an ErrorBody.
func errCode(body []byte) string {
	var eb ErrorBody
	json.Unmarshal(body, &eb)
	return eb.Error.Code
}

// entries returns the audit entries matching f.
func (e *env) entries(f audit.Filter) []audit.Entry {
	e.t.Helper()
	var out []audit.Entry
	for en, err := range e.log.Entries(context.Background(), f) {
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, en)
	}
	return out
}

// seed dossiers. HS-PUB is public with a secret document d2; HS-CONF is
// confidential; HS-TS top-secret. "Thành"/"thanh" is in all of them.
type seedDoc struct {
	id, kind string
	class    domain.Classification
	pages    []seedPage
}

type seedPage struct {
	text string
	conf float64
}

type seedDossier struct {
	code, name, unit string
	class            domain.Classification
	docs             []seedDoc
}

var seedData = []seedDossier{
	{"HS-PUB", "Nguyễn Văn Thành", "Sở Nội vụ", domain.Public, []seedDoc{
		{"d1", "cv", "", []seedPage{{"Họ và tên Nguyễn Văn Thành\nquê quán Nghệ An", 91}, {"Khen thưởng năm 2015 bằng khen", 40}}},
		{"d2", "verification-report", domain.Secret, []seedPage{{"Kết luận tiêu chuẩn chính trị đồng chí Thành mật", 88}}},
	}},
	{"HS-CONF", "Trần Thị Thanh", "Sở Tài chính", domain.Confidential, []seedDoc{
		{"d1", "decision", "", []seedPage{{"Quyết định tiếp nhận đồng chí Thanh về Sở Tài chính", 30}}},
	}},
	{"HS-TS", "Lê Văn Thành", "Bộ Công an", domain.TopSecret, []seedDoc{
		{"d1", "letter", "", []seedPage{{"Thư tay đồng chí Thành gửi cấp trên", 20}}},
	}},
}

func seed(t *testing.T, arch *archive.Archive) {
	t.Helper()
	for _, sd := range seedData {
		commitSeed(t, arch, sd)
	}
}

// commitSeed stores sd's originals, page images and texts and commits it.
func commitSeed(t *testing.T, arch *archive.Archive, sd seedDossier) *domain.Dossier {
	t.Helper()
	ctx := context.Background()
	d := &domain.Dossier{Code: sd.code, Subject: domain.Subject{FullName: sd.name}, Unit: sd.unit, Classification: sd.class, UpdatedBy: "seed"}
	for _, sdoc := range sd.docs {
		orig := []byte("%PDF-1.4 fake original of " + sd.code + "/" + sdoc.id)
		h := storage.NewHashingReader(bytes.NewReader(orig))
		io.Copy(io.Discard, h)
		sha := h.SHA256()
		key, err := arch.PutOriginal(ctx, bytes.NewReader(orig), int64(len(orig)), sha, "application/pdf")
		if err != nil {
			t.Fatal(err)
		}
		doc := domain.Document{ID: sdoc.id, Kind: domain.DocumentKind(sdoc.kind), Title: "Tài liệu " + sdoc.id, Classification: sdoc.class,
			Original: domain.Original{Key: key, SHA256: sha, Size: int64(len(orig)), MediaType: "application/pdf", Filename: sdoc.id + ".pdf"}}
		for i, sp := range sdoc.pages {
			n := i + 1
			img, err := arch.PutPageImage(ctx, sha, n, "png", tinyPNG(t, n))
			if err != nil {
				t.Fatal(err)
			}
			res := ocrOf(sp.text, sp.conf)
			res.Image, res.CreatedAt = img, time.Now().UTC()
			var flags []string
			if sp.conf < 60 {
				flags = []string{domain.FlagLowConfidence}
			}
			res.Flags = flags
			tk, err := arch.PutText(ctx, sha, n, "ocr-vie-test", res)
			if err != nil {
				t.Fatal(err)
			}
			doc.Pages = append(doc.Pages, domain.Page{Number: n, ImageKey: img, Width: res.Width, Height: res.Height, DPI: 300,
				TextKey: tk, TextVersions: []string{tk}, MeanConfidence: sp.conf, Lang: "vie", Flags: flags})
		}
		d.Documents = append(d.Documents, doc)
	}
	if err := arch.Commit(ctx, d); err != nil {
		t.Fatal(err)
	}
	return d
}

// ocrOf makes an OCRResult of text: one word per run of non-space, boxes
// laid out left to right, a line per text line.
func ocrOf(text string, conf float64) *domain.OCRResult {
	res := &domain.OCRResult{Source: "ocr", Lang: "vie", Engine: "test", Text: text, MeanConfidence: conf, Width: 2480, Height: 3508, DPI: 300}
	x, line, lineStart := 100, 0, 0
	for _, tok := range tokenize(text) {
		if nl := strings.Count(text[lineStart:tok.start], "\n"); nl > 0 {
			line += nl
			x = 100
			lineStart = tok.start
		}
		w := 20 * len([]rune(tok.text))
		res.Words = append(res.Words, domain.Word{Text: tok.text, X0: x, Y0: 200 + 60*line, X1: x + w, Y1: 240 + 60*line, Confidence: conf, Start: tok.start})
		x += w + 15
	}
	return res
}

func tinyPNG(t *testing.T, n int) []byte {
	img := image.NewGray(image.Rect(0, 0, 8+n, 8))
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// waitFor polls cond every 50 ms until it is true or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func pagePath(code, doc string, n int) string {
	return fmt.Sprintf("/api/v1/dossiers/%s/documents/%s/pages/%d", code, doc, n)
}

func dirEntries(t *testing.T, dir string) []os.DirEntry {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ents
}
