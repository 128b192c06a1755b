package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"hoso/audit"
	"hoso/auth"
	"hoso/index"
	"hoso/ingest/ocr"
	"hoso/jobs"
	"hoso/server"
	"hoso/web"
)

type serveOptions struct {
	globalOptions
	Addr          string
	MaxUpload     string
	TLSCert       string
	TLSKey        string
	Workers       int
	Lang          string
	AuditKeyFile  string
	SecureCookies bool
}

func (o *serveOptions) AddFlags(fs *flag.FlagSet, env *Env) {
	o.globalOptions.AddFlags(fs, env)
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:8080", "listen on this `host:port` (port 0 picks a free one)")
	fs.StringVar(&o.MaxUpload, "max-upload", "1GiB", "largest upload request, e.g. 500MB, 2GiB or bytes")
	fs.StringVar(&o.TLSCert, "tls-cert", "", "serve HTTPS with this certificate `file` (PEM; with --tls-key)")
	fs.StringVar(&o.TLSKey, "tls-key", "", "the TLS private key `file` (PEM)")
	fs.IntVar(&o.Workers, "workers", runtime.NumCPU(), "pages of uploads OCR'd in parallel (one Tesseract per worker)")
	fs.StringVar(&o.Lang, "lang", "vie", "OCR `language`s of uploads, e.g. vie or vie+eng")
	fs.StringVar(&o.AuditKeyFile, "audit-key-file", env.Getenv("HOSO_AUDIT_KEY_FILE"),
		"`file` holding the audit log's HMAC key, at least 16 bytes [HOSO_AUDIT_KEY_FILE] (default DATA/audit.key, made on first start)")
	fs.BoolVar(&o.SecureCookies, "secure-cookies", false, "mark the session cookie Secure without --tls-cert (HTTPS ends at a proxy)")
}

func init() { register(serveCommand()) }

func serveCommand() *command {
	return &command{
		Name:  "serve",
		Short: "serve the JSON API (search, view, upload, correct) over HTTP",
		Run: func(ctx context.Context, env *Env, args []string) error {
			var o serveOptions
			fs := newFlagSet(env, "serve", "serve [flags]", `
Serves the archive over HTTP: the JSON API under /api/v1/ (see README, "HTTP
API"), /healthz and /metrics. Everyone signs in; roles (admin, archivist,
reader) and clearances decide what they may do and see, and every access is
written to the audit log in the store before it happens.

The server holds the search index and follows the store's change journal, so
hoso ingest may run meanwhile (from here or another host): its commits become
searchable within about a second. Uploads are OCR'd in the background; their
jobs, and hoso ingest runs, are listed at /api/v1/jobs.

On first start, with no users in the store, it creates the user "admin" and
prints its password once. Manage users with hoso user. Ctrl-C (or SIGTERM)
stops it gracefully: requests in flight finish, running uploads end
interrupted.`)
			o.AddFlags(fs, env)
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if fs.NArg() > 0 {
				return fmt.Errorf("%w: serve takes no arguments", errUsage)
			}
			if (o.TLSCert == "") != (o.TLSKey == "") {
				return fmt.Errorf("%w: give both --tls-cert and --tls-key, or neither", errUsage)
			}
			maxUpload, err := parseSize(o.MaxUpload)
			if err != nil {
				return fmt.Errorf("%w: --max-upload: %v", errUsage, err)
			}
			return runServe(ctx, env, &o, maxUpload)
		},
	}
}

// parseSize reads a byte count: digits with an optional unit, B, KB, MB,
// GB (powers of 1000) or K, KiB, M, MiB, G, GiB (powers of 1024).
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	num, unit := s, ""
	if i >= 0 {
		num, unit = s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	}
	n, err := strconv.ParseInt(num, 10, 64)
	mult := map[string]int64{"": 1, "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9,
		"k": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mib": 1 << 20, "g": 1 << 30, "gib": 1 << 30}[unit]
	if err != nil || mult == 0 || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("bad size %q (want e.g. 500MB, 2GiB or a number of bytes)", s)
	}
	return n * mult, nil
}

func runServe(ctx context.Context, env *Env, o *serveOptions, maxUpload int64) error {
	log := o.logger(env)
	arch, store, err := o.openArchive(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	ix, err := index.Open(o.IndexDir(), index.Config{Logger: log})
	if errors.Is(err, index.ErrLocked) {
		return fmt.Errorf("the search index %s is held by another hoso process (another hoso serve, or hoso reindex): %w", o.IndexDir(), err)
	}
	if err != nil {
		return err
	}
	defer ix.Close()
	key, err := o.auditKey(o.AuditKeyFile, true)
	if err != nil {
		return err
	}
	alog, err := audit.Open(ctx, store, audit.Config{Key: key, Logger: log})
	if err != nil {
		return err
	}
	defer alog.Close(context.WithoutCancel(ctx))
	accounts, err := auth.New(store, auth.Config{Log: log})
	if err != nil {
		return err
	}
	if pw, created, err := accounts.EnsureAdmin(ctx); err != nil {
		return fmt.Errorf("create the first user: %w", err)
	} else if created {
		fmt.Fprintf(env.Stdout, "created user %q with password %s\n(shown only now: sign in and change it, or run hoso user passwd %s)\n", auth.AdminName, pw, auth.AdminName)
	}
	pool, err := ocr.New(ocr.Config{Lang: o.Lang, Workers: o.Workers, Logger: log})
	if err != nil {
		return err
	}
	defer pool.Close()
	app, err := server.NewApp(server.Config{Archive: arch, Index: ix, Auth: accounts, Audit: alog,
		Jobs: jobs.NewManager(store, jobs.Config{Logger: log}), OCR: pool, Lang: o.Lang, Workers: o.Workers,
		HealthCacheTTL: 5 * time.Second, Logger: log})
	if err != nil {
		return err
	}
	app.Start()
	srv := server.NewServer(app, server.HTTPConfig{MaxUpload: maxUpload, SecureCookies: o.SecureCookies, Logger: log})
	if _, err := web.Mount(web.Config{App: app, Server: srv, Logger: log}); err != nil {
		app.Close(ctx)
		return err
	}
	return serveUntilDone(ctx, env, o, srv, app, log)
}

// serveUntilDone listens, prints the URL and serves until ctx is
// cancelled, then shuts down gracefully (30 s for requests in flight, then
// background work).
func serveUntilDone(ctx context.Context, env *Env, o *serveOptions, srv *server.Server, app *server.App, log *slog.Logger) error {
	hs := srv.HTTPServer(o.Addr)
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		app.Close(ctx)
		return err
	}
	scheme := "http"
	if o.TLSCert != "" {
		scheme = "https"
	}
	url := fmt.Sprintf("%s://%s/", scheme, ln.Addr())
	fmt.Fprintf(env.Stdout, "hoso serve: listening on %s (Ctrl-C stops)\n", url)
	log.Info("serving", "url", url)
	errc := make(chan error, 1)
	go func() {
		if o.TLSCert != "" {
			errc <- hs.ServeTLS(ln, o.TLSCert, o.TLSKey)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		log.Warn("shutdown: requests still running were cut", "err", err)
	}
	if err := app.Close(sctx); err != nil {
		log.Warn("shutdown", "err", err)
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	fmt.Fprintln(env.Stdout, "hoso serve: stopped")
	return nil
}
