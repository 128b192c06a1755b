package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"hoso/archive"
	"hoso/storage"
	"hoso/storage/storeurl"
)

// globalOptions are the flags every command takes. Embed it in a command's
// options struct and call AddFlags.
type globalOptions struct {
	Data     string
	Store    string
	Index    string
	LogLevel string
}

// AddFlags registers the global flags with defaults from the environment.
func (g *globalOptions) AddFlags(fs *flag.FlagSet, env *Env) {
	def := func(name, fallback string) string {
		if v := env.Getenv(name); v != "" {
			return v
		}
		return fallback
	}
	fs.StringVar(&g.Data, "data", def("HOSO_DATA", "hoso-data"), "data `folder` [HOSO_DATA]")
	fs.StringVar(&g.Store, "store", env.Getenv("HOSO_STORE"), "object store `URL` [HOSO_STORE] (default file://DATA/objects)")
	fs.StringVar(&g.Index, "index", env.Getenv("HOSO_INDEX"), "search index `folder` [HOSO_INDEX] (default DATA/index)")
	fs.StringVar(&g.LogLevel, "log-level", def("HOSO_LOG_LEVEL", "warn"), "log `level`: debug, info, warn, error [HOSO_LOG_LEVEL]")
}

// StoreURL is the object store URL after defaults.
func (g *globalOptions) StoreURL() (string, error) {
	if g.Store != "" {
		return g.Store, nil
	}
	abs, err := filepath.Abs(filepath.Join(g.Data, "objects"))
	if err != nil {
		return "", err
	}
	return "file://" + filepath.ToSlash(abs), nil
}

// IndexDir is the index folder after defaults.
func (g *globalOptions) IndexDir() string {
	if g.Index != "" {
		return g.Index
	}
	return filepath.Join(g.Data, "index")
}

// logger returns env's logger at the chosen level.
func (g *globalOptions) logger(env *Env) *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(g.LogLevel)); err != nil {
		lvl = slog.LevelWarn
	}
	return slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: lvl}))
}

// openStore opens the object store named by the options.
func (g *globalOptions) openStore(ctx context.Context) (storage.Store, error) {
	u, err := g.StoreURL()
	if err != nil {
		return nil, err
	}
	s, err := storeurl.Open(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", redact(u), err)
	}
	return s, nil
}

// openArchive opens the store and wraps it in an Archive. Close the store
// when done.
func (g *globalOptions) openArchive(ctx context.Context) (*archive.Archive, storage.Store, error) {
	s, err := g.openStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	return archive.New(s), s, nil
}

// redact hides credentials a URL may carry.
func redact(u string) string {
	if i := strings.Index(u, "@"); i > 0 {
		if j := strings.Index(u, "://"); j > 0 && j < i {
			return u[:j+3] + "***" + u[i:]
		}
	}
	return u
}

// auditKey returns the audit log's HMAC key from file, or from DATA/audit.key
// when file is "". With create set (hoso serve) a missing default key file is
// made with 32 random bytes, readable by its owner only, so that entries are
// MAC'd from the first one; without it (hoso audit) a missing default means
// no key. The key lives outside the object store on purpose: whoever can
// write the store must not be able to forge entries.
func (g *globalOptions) auditKey(file string, create bool) ([]byte, error) {
	explicit := file != ""
	if !explicit {
		file = filepath.Join(g.Data, "audit.key")
	}
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		if !create {
			return nil, nil
		}
		if err := os.MkdirAll(g.Data, 0o700); err != nil {
			return nil, fmt.Errorf("audit key: %w", err)
		}
		raw := make([]byte, 32)
		rand.Read(raw)
		b = []byte(hex.EncodeToString(raw))
		f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) { // made by another process just now
			return g.auditKey(file, false)
		}
		if err != nil {
			return nil, fmt.Errorf("audit key: %w", err)
		}
		if _, err := f.Write(append(b, '\n')); err != nil {
			f.Close()
			return nil, fmt.Errorf("audit key: %w", err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("audit key: %w", err)
		}
		return b, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit key: %w", err)
	}
	if b = bytes.TrimSpace(b); len(b) < 16 {
		return nil, fmt.Errorf("audit key: %s holds fewer than 16 bytes", file)
	}
	return b, nil
}
