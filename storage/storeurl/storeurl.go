// Package storeurl opens the storage.Store a URL names:
//
//	file:///srv/hoso             folder store at an absolute path
//	file:data/hoso               folder store at a path relative to the
//	                             working directory (also file:./data)
//	/srv/hoso, data/hoso         a bare path is a folder store too
//	s3://bucket?endpoint=127.0.0.1:9000&secure=false
//	                             S3 bucket, wrapped in storage/retry
//
// s3 parameters: endpoint (host:port, required), secure (default true),
// region, part_size (bytes), max_retries (per request, inside the S3
// client), retries (attempts of each call by the retry decorator).
// Credentials never go in the URL: they come from AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, else MINIO_ROOT_USER and MINIO_ROOT_PASSWORD.
package storeurl

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"hoso/storage"
	"hoso/storage/fs"
	"hoso/storage/retry"
	"hoso/storage/s3"
)

// Config is a parsed store URL.
type Config struct {
	// Scheme is "file" or "s3".
	Scheme string
	// Path is the folder of a file store, cleaned, absolute or relative
	// to the working directory.
	Path string
	// S3 configures an s3 store; credentials are filled from the
	// environment by Open.
	S3 s3.Config
	// Retry is the policy of the retry decorator around an s3 store.
	Retry retry.Policy
}

// Parse parses a store URL without opening anything. Errors name the part
// of the URL at fault.
func Parse(rawURL string) (Config, error) {
	bad := func(format string, args ...any) (Config, error) {
		return Config{}, fmt.Errorf("store URL %q: %s", rawURL, fmt.Sprintf(format, args...))
	}
	if strings.TrimSpace(rawURL) == "" {
		return bad("empty: use file:///abs/path, file:rel/path or s3://bucket?endpoint=host:port")
	}
	if !strings.Contains(rawURL, ":") { // a bare path, taken as it is
		return Config{Scheme: "file", Path: filepath.Clean(rawURL)}, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return bad("%v", errors.Unwrap(err))
	}
	switch u.Scheme {
	case "file":
		return parseFile(u, bad)
	case "s3":
		return parseS3(u, bad)
	default:
		return bad("unknown scheme %q: use file or s3", u.Scheme)
	}
}

func parseFile(u *url.URL, bad func(string, ...any) (Config, error)) (Config, error) {
	if u.RawQuery != "" {
		return bad("file URLs take no parameters (got %q)", u.RawQuery)
	}
	if u.User != nil {
		return bad("file URLs take no user")
	}
	p := u.Path
	if u.Opaque != "" { // file:rel/path
		var err error
		if p, err = url.PathUnescape(u.Opaque); err != nil {
			return bad("path: %v", err)
		}
	} else if u.Host != "" && u.Host != "localhost" {
		return bad("host %q: a file URL names a local folder; use file:///abs/path, or file:%s%s for a relative one", u.Host, u.Host, u.Path)
	}
	if p == "" {
		return bad("no path")
	}
	return Config{Scheme: "file", Path: filepath.Clean(filepath.FromSlash(p))}, nil
}

var s3Params = []string{"endpoint", "secure", "region", "part_size", "max_retries", "retries"}

func parseS3(u *url.URL, bad func(string, ...any) (Config, error)) (Config, error) {
	if u.User != nil {
		return bad("credentials do not belong in the URL: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	if u.Opaque != "" {
		return bad("write s3://bucket, with two slashes")
	}
	if u.Host == "" {
		return bad("no bucket: write s3://bucket?endpoint=host:port")
	}
	if u.Path != "" && u.Path != "/" {
		return bad("path %q: a key prefix inside the bucket is not supported", u.Path)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return bad("parameters: %v", err)
	}
	c := Config{Scheme: "s3", S3: s3.Config{Bucket: u.Host, Secure: true}}
	for k, vs := range q {
		if !slices.Contains(s3Params, k) {
			return bad("unknown parameter %q (known: %s)", k, strings.Join(s3Params, ", "))
		}
		if len(vs) != 1 {
			return bad("parameter %q given %d times", k, len(vs))
		}
	}
	c.S3.Endpoint = q.Get("endpoint")
	c.S3.Region = q.Get("region")
	if v := q.Get("secure"); v != "" {
		if c.S3.Secure, err = strconv.ParseBool(v); err != nil {
			return bad("secure=%q: want true or false", v)
		}
	}
	if v := q.Get("part_size"); v != "" {
		if c.S3.PartSize, err = strconv.ParseUint(v, 10, 64); err != nil {
			return bad("part_size=%q: want a number of bytes", v)
		}
	}
	if v := q.Get("max_retries"); v != "" {
		if c.S3.MaxRetries, err = strconv.Atoi(v); err != nil || c.S3.MaxRetries < 1 {
			return bad("max_retries=%q: want a number >= 1", v)
		}
	}
	if v := q.Get("retries"); v != "" {
		if c.Retry.Attempts, err = strconv.Atoi(v); err != nil || c.Retry.Attempts < 1 {
			return bad("retries=%q: want a number >= 1", v)
		}
	}
	return c, nil
}

// Validate reports what is missing or wrong, credentials from the
// environment included.
func (c Config) Validate() error {
	switch c.Scheme {
	case "file":
		if c.Path == "" {
			return errors.New("file store: no path")
		}
		return nil
	case "s3":
		if c.S3.Endpoint == "" {
			return fmt.Errorf("s3 store %s: no endpoint: add ?endpoint=host:port to the URL", c.S3.Bucket)
		}
		return c.S3.WithDefaults().Validate()
	default:
		return fmt.Errorf("store: unknown scheme %q", c.Scheme)
	}
}

// Open opens the store c describes.
func (c Config) Open(ctx context.Context) (storage.Store, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	switch c.Scheme {
	case "file":
		return fs.New(c.Path)
	default:
		s, err := s3.New(ctx, c.S3)
		if err != nil {
			return nil, err
		}
		return retry.New(s, c.Retry), nil
	}
}

// Open parses rawURL and opens its store.
func Open(ctx context.Context, rawURL string) (storage.Store, error) {
	c, err := Parse(rawURL)
	if err != nil {
		return nil, err
	}
	return c.Open(ctx)
}
