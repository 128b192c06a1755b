package browsertest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// Client is a browser without a browser: a cookie jar that signs in
// through the web page's form and keeps the CSRF token of the last page it
// read, for tests of the web handlers over HTTP.
type Client struct {
	t    testing.TB
	base string
	c    *http.Client
	CSRF string
}

// NewClient returns a client of e that is not signed in and does not
// follow redirects (tests look at them).
func (e *Env) NewClient(t testing.TB) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: t, base: e.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// As returns a client signed in as user name with Password.
func (e *Env) As(t testing.TB, name string) *Client {
	t.Helper()
	c := e.NewClient(t)
	if r := c.Login(name, Password); r.Code != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %d\n%s", name, r.Code, r.Body)
	}
	return c
}

// Response is a response read in full.
type Response struct {
	Code   int
	Header http.Header
	Body   string
}

var (
	csrfRE      = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	loginCSRFRE = regexp.MustCompile(`name="login_csrf" value="([^"]+)"`)
)

// Login fills in and sends the sign-in form.
func (c *Client) Login(name, password string) *Response {
	c.t.Helper()
	form := c.Get("/login")
	m := loginCSRFRE.FindStringSubmatch(form.Body)
	if m == nil {
		c.t.Fatalf("sign-in form without its token:\n%s", form.Body)
	}
	return c.post("/login", url.Values{"login_csrf": {m[1]}, "name": {name}, "password": {password}})
}

// Get fetches path and remembers the page's CSRF token.
func (c *Client) Get(path string) *Response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

// PostForm sends a form with the CSRF token of the last page read.
func (c *Client) PostForm(path string, v url.Values) *Response {
	c.t.Helper()
	if v == nil {
		v = url.Values{}
	}
	if v.Get("csrf") == "" && c.CSRF != "" {
		v.Set("csrf", c.CSRF)
	}
	return c.post(path, v)
}

func (c *Client) post(path string, v url.Values) *Response {
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(v.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// Do sends req (relative URLs are resolved against the server).
func (c *Client) Do(req *http.Request) *Response {
	c.t.Helper()
	if req.URL.Host == "" {
		u, _ := url.Parse(c.base)
		req.URL.Scheme, req.URL.Host = u.Scheme, u.Host
	}
	return c.do(req)
}

func (c *Client) do(req *http.Request) *Response {
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	r := &Response{Code: resp.StatusCode, Header: resp.Header, Body: string(b)}
	if m := csrfRE.FindStringSubmatch(r.Body); m != nil {
		c.CSRF = m[1]
	}
	return r
}

// lockedWriter serializes writes (the log buffer).
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
