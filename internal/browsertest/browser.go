package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ChromiumCandidates are the browser programs looked for, in order, on
// PATH (and /usr/bin/chromium first).
var ChromiumCandidates = []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// FindChromium returns the path of an installed Chromium or Chrome.
func FindChromium() (string, error) {
	for _, c := range ChromiumCandidates {
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", errors.New("chromium not found: apt-get install chromium")
}

// Flags are the command-line switches the browser runs with (and a fresh
// --user-data-dir).
var Flags = []string{"headless", "no-sandbox", "disable-gpu", "disable-background-networking",
	"disable-component-update", "disable-sync", "no-first-run", "disable-quic"}

// StepTimeout bounds one browser step (Do, Run, a wait).
const StepTimeout = 30 * time.Second

// Browser is a headless Chromium for one test: one tab, a screenshot
// folder, and a record of the console errors and security (CSP) messages
// of every page, which Close reports as test errors.
type Browser struct {
	t     testing.TB
	ctx   context.Context // the tab
	shots string
	n     int
	w, h  int // the viewport

	mu       sync.Mutex
	problems []string
}

// NewBrowser starts Chromium with Flags and a fresh profile, and a tab of
// width x height CSS pixels. Without Chromium the test fails (it does not
// skip): the web page is tested in a real browser or not at all.
func NewBrowser(t testing.TB, width, height int) *Browser {
	t.Helper()
	path, err := FindChromium()
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(path), chromedp.UserDataDir(t.TempDir())}
	for _, f := range Flags {
		opts = append(opts, chromedp.Flag(f, true))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	b := &Browser{t: t, ctx: ctx, shots: ScreenshotDir(t), w: width, h: height}
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil { // starts the browser without a deadline
		t.Fatalf("start %s: %v", path, err)
	}
	if err := chromedp.Do(sctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Listen(ctx, b.record); err != nil {
		t.Fatal(err)
	}
	for _, enable := range []func() error{
		func() error { _, err := chromedp.Call(sctx, log.Enable, cdp.Empty{}); return err },
		func() error { _, err := chromedp.Call(sctx, runtime.Enable, cdp.Empty{}); return err },
	} {
		if err := enable(); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, p := range b.Problems() {
			t.Errorf("browser console: %s", p)
		}
	})
	return b
}

// record keeps console errors and log entries of level error or from the
// security source (a CSP violation). It runs in the event loop: no calls.
func (b *Browser) record(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *log.EventEntryAdded:
		if e := ev.Entry; e.Level == log.EntryLevelError || e.Source == log.EntrySourceSecurity {
			msg = fmt.Sprintf("%s %s: %s (%s)", e.Source, e.Level, e.Text, e.URL)
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError {
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, string(a.Value)+a.Description)
			}
			msg = "console.error: " + strings.Join(parts, " ")
		}
	case *runtime.EventExceptionThrown:
		msg = "exception: " + ev.ExceptionDetails.Text
		if ex := ev.ExceptionDetails.Exception; ex != nil {
			msg += " " + ex.Description
		}
	}
	if msg != "" && !ignoredProblem.MatchString(msg) {
		b.mu.Lock()
		b.problems = append(b.problems, msg)
		b.mu.Unlock()
	}
}

// ignoredProblem matches console messages that are the test's intent:
// responses with error statuses (a not-found page, a refused form).
var ignoredProblem = regexp.MustCompile(`Failed to load resource: the server responded with a status of (4\d\d)`)

// Problems returns the console errors and security messages seen so far
// and forgets them.
func (b *Browser) Problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.problems
	b.problems = nil
	return p
}

// Ctx returns the tab's context, for chromedp calls the helpers lack.
func (b *Browser) Ctx() context.Context { return b.ctx }

// Do runs actions with StepTimeout; an error fails the test.
func (b *Browser) Do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, StepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fail("%v", err)
	}
}

// fail stops the test with a screenshot of the moment.
func (b *Browser) fail(format string, args ...any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		os.WriteFile(filepath.Join(b.shots, "failure.png"), png, 0o644)
	}
	cancel()
	url, _ := Run(b, chromedp.Location())
	b.t.Fatalf("at %s: "+format, append([]any{url}, args...)...)
}

// Run runs one action that returns a value, with StepTimeout.
func Run[T any](b *Browser, a chromedp.Action[T]) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, StepTimeout)
	defer cancel()
	return chromedp.Run(ctx, a)
}

// Must is Run that fails the test on error.
func Must[T any](b *Browser, a chromedp.Action[T]) T {
	b.t.Helper()
	v, err := Run(b, a)
	if err != nil {
		b.fail("%v", err)
	}
	return v
}

// Eval evaluates a JavaScript expression (awaiting it when it is a
// promise) and decodes its value.
func Eval[T any](b *Browser, js string) T {
	b.t.Helper()
	return Must(b, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
}

// Open navigates to url and waits until sel is visible.
func (b *Browser) Open(url, sel string) {
	b.t.Helper()
	b.Do(chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(sel)))
}

// WaitVisible waits (up to d) until the element sel is visible.
func (b *Browser) WaitVisible(sel string, d time.Duration) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, d)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		b.fail("wait for %s: %v", sel, err)
	}
}

// Text returns the text content of the first element sel.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	return Must(b, chromedp.Text(chromedp.CSS(sel)))
}

// SetViewport changes the tab's size in CSS pixels.
func (b *Browser) SetViewport(width, height int) {
	b.t.Helper()
	b.Do(chromedp.EmulateViewport(int64(width), int64(height)))
	b.w, b.h = width, height
}

// Rect is an element's border box in CSS pixels of the page.
type Rect struct {
	X, Y, W, H float64
}

// Right and Bottom are the far edges.
func (r Rect) Right() float64  { return r.X + r.W }
func (r Rect) Bottom() float64 { return r.Y + r.H }

// Rect returns the bounding box of the first element sel, in CSS pixels
// relative to the document (scrolling included).
func (b *Browser) Rect(sel string) Rect {
	b.t.Helper()
	return Eval[Rect](b, fmt.Sprintf(`(() => { const e = document.querySelector(%q);
		if (!e) throw new Error("no element %s");
		const r = e.getBoundingClientRect();
		return {X: r.left + scrollX, Y: r.top + scrollY, W: r.width, H: r.height}; })()`, sel, sel))
}

// Layout is what decides horizontal overflow.
type Layout struct {
	ScrollWidth int // document.documentElement.scrollWidth
	ClientWidth int // document.documentElement.clientWidth: the window without its scroll bar
	// Widest names the element reaching furthest right, when something
	// overflows.
	Widest string
}

// Layout reads the document's width against the window's.
func (b *Browser) Layout() Layout {
	b.t.Helper()
	return Eval[Layout](b, `(() => {
		const w = document.documentElement.clientWidth;
		let widest = "", right = 0;
		for (const e of document.body.querySelectorAll("*")) {
			const r = e.getBoundingClientRect();
			if (r.right > w + 0.5 && r.right > right && getComputedStyle(e).position !== "fixed") {
				let inScroller = false;
				for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
					const o = getComputedStyle(p).overflowX;
					if (o === "auto" || o === "scroll" || o === "hidden") { inScroller = true; break; }
				}
				if (!inScroller) { right = r.right; widest = e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.split(" ").join(".") : ""); }
			}
		}
		return {ScrollWidth: document.documentElement.scrollWidth, ClientWidth: w, Widest: widest};
	})()`)
}

// PlatformFonts returns the fonts Chromium used to draw the text of the
// first element sel, with how many glyphs each drew. A font missing a
// glyph shows as another font (a fallback) drawing it.
func (b *Browser) PlatformFonts(sel string) map[string]float64 {
	b.t.Helper()
	nodes := Must(b, chromedp.Nodes(chromedp.CSS(sel)))
	if len(nodes) == 0 {
		b.fail("no element %s", sel)
	}
	ctx, cancel := context.WithTimeout(b.ctx, StepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, dom.Enable, dom.EnableParams{}); err != nil {
		b.fail("DOM.enable: %v", err)
	}
	if _, err := chromedp.Call(ctx, css.Enable, cdp.Empty{}); err != nil {
		b.fail("CSS.enable: %v", err)
	}
	out := map[string]float64{}
	// The text is in the element's text nodes; ask for each child too.
	ids := []cdp.NodeID{nodes[0].NodeID}
	for _, c := range nodes[0].Children {
		ids = append(ids, c.NodeID)
	}
	for _, id := range ids {
		res, err := chromedp.Call(ctx, css.GetPlatformFontsForNode, css.GetPlatformFontsForNodeParams{NodeID: id})
		if err != nil {
			continue // not an element with text
		}
		for _, f := range res.Fonts {
			out[f.FamilyName] += f.GlyphCount
		}
	}
	return out
}

// Screenshot saves the viewport as NN-name.png in the screenshot folder
// and returns its path.
func (b *Browser) Screenshot(name string) string {
	b.t.Helper()
	png := Must(b, chromedp.CaptureScreenshot())
	b.n++
	p := filepath.Join(b.shots, fmt.Sprintf("%02d-%s.png", b.n, name))
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	return p
}

// FullScreenshot saves the whole page (not only the viewport): the
// viewport is made as tall as the page for the shot (at most 6000 px), so
// the page is laid out at the window's width.
func (b *Browser) FullScreenshot(name string) string {
	b.t.Helper()
	h := min(6000, max(b.h, Eval[int](b, `document.documentElement.scrollHeight`)))
	b.Do(chromedp.EmulateViewport(int64(b.w), int64(h)))
	png := Must(b, chromedp.CaptureScreenshot())
	b.Do(chromedp.EmulateViewport(int64(b.w), int64(b.h)))
	b.n++
	p := filepath.Join(b.shots, fmt.Sprintf("%02d-%s.png", b.n, name))
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	return p
}

// ScreenshotDir returns (and makes, emptied) the folder of t's
// screenshots: $HOSO_SCREENSHOTS/<test>, else <repo>/out/screenshots/<test>.
func ScreenshotDir(t testing.TB) string {
	t.Helper()
	root := os.Getenv("HOSO_SCREENSHOTS")
	if root == "" {
		repo, err := repoRoot()
		if err != nil {
			t.Fatal(err)
		}
		root = filepath.Join(repo, "out", "screenshots")
	}
	dir := filepath.Join(root, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// repoRoot is the nearest folder above the working directory holding go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// ThrottleUpload limits the tab's upload rate to bytesPerSec (0: no
// limit), so a test can watch upload progress.
func (b *Browser) ThrottleUpload(bytesPerSec float64) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, StepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		b.fail("Network.enable: %v", err)
	}
	rate := bytesPerSec
	if rate <= 0 {
		rate = -1
	}
	_, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{DownloadThroughput: -1, UploadThroughput: rate}}})
	if err != nil {
		b.fail("throttle uploads: %v", err)
	}
}
