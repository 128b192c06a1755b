// Package archive owns hoso's object layout: which key holds what, the JSON
// written there, and the order of writes that makes a dossier committed. No
// other package builds a key. ARCHITECTURE.md documents the same layout.
//
//	originals/<aa>/<sha256>                       original file, content-addressed, never changed
//	pages/<aa>/<sha256>/p<NNNN>.<ext>             image of page N of that original (png or jpg)
//	pages/<aa>/<sha256>/p<NNNN>/<text-id>.json    OCRResult of that page (one per OCR run or correction)
//	dossiers/<CODE>/v<NNNNNNNN>.json              manifest versions, create-only; the highest is current
//	journal/<nanos 20 digits>-<CODE>-v<NNNNNNNN>  change journal: one entry per manifest commit
//	audit/<seq 16 digits>.json                    audit log entries, hash-chained, create-only
//	audit-segments/<first>-<last>.jsonl           sealed runs of audit entries (see package audit)
//	users/<name>.json                             user accounts (see package auth)
//	jobs/<id>.json                                ingest job status
//
// <aa> is the first two hex digits of the SHA-256, keeping listings of one
// prefix small. Everything but the manifests is written before the manifest
// that references it, so a reader that finds a manifest finds its objects.
package archive

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"hoso/storage"
)

// Key prefixes of the layout.
const (
	PrefixOriginals = "originals/"
	PrefixPages     = "pages/"
	PrefixDossiers  = "dossiers/"
	PrefixJournal   = "journal/"
	PrefixAudit     = "audit/"
	PrefixAuditSeg  = "audit-segments/"
	PrefixUsers     = "users/"
	PrefixJobs      = "jobs/"
)

// AuditEntryKey is where audit entry seq (1-based) is stored.
func AuditEntryKey(seq uint64) string { return fmt.Sprintf("%s%016d.json", PrefixAudit, seq) }

// AuditSegmentKey is where the sealed audit entries first..last are stored.
func AuditSegmentKey(first, last uint64) string {
	return fmt.Sprintf("%s%016d-%016d.jsonl", PrefixAuditSeg, first, last)
}

// UserKey is where the account of the user with this (validated) name is stored.
func UserKey(name string) string { return PrefixUsers + name + ".json" }

// JobKey is where the status of ingest job id is stored.
func JobKey(id string) string { return PrefixJobs + id + ".json" }

// OriginalKey is where the original with this SHA-256 (hex) is stored.
func OriginalKey(sha string) string {
	return PrefixOriginals + sha[:2] + "/" + sha
}

// PageImageKey is where the image of page n (1-based) of the original with
// this SHA-256 is stored; ext is "png" or "jpg".
func PageImageKey(sha string, n int, ext string) string {
	return fmt.Sprintf("%s%s/%s/p%04d.%s", PrefixPages, sha[:2], sha, n, ext)
}

var textIDRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,80}$`)

// TextKey is where the OCRResult with the given id for page n of the
// original with this SHA-256 is stored. Ids are chosen by the writer: an OCR
// run uses one derived from its settings ("ocr-vie-1a2b3c"), so the same
// settings find the same result and do no OCR again; a correction uses a
// fresh one ("corr-<nanos>").
func TextKey(sha string, n int, id string) string {
	return fmt.Sprintf("%s%s/%s/p%04d/%s.json", PrefixPages, sha[:2], sha, n, id)
}

// ValidTextID reports whether id may name an OCRResult.
func ValidTextID(id string) bool { return textIDRE.MatchString(id) }

// ManifestKey is where version v of dossier code's manifest is stored.
func ManifestKey(code string, v int) string {
	return fmt.Sprintf("%s%s/v%08d.json", PrefixDossiers, code, v)
}

// parseManifestKey splits "dossiers/CODE/v00000003.json".
func parseManifestKey(key string) (code string, v int, ok bool) {
	rest, found := strings.CutPrefix(key, PrefixDossiers)
	if !found {
		return "", 0, false
	}
	code, file, found := strings.Cut(rest, "/")
	if !found || !strings.HasPrefix(file, "v") || !strings.HasSuffix(file, ".json") {
		return "", 0, false
	}
	v, err := strconv.Atoi(strings.TrimSuffix(file[1:], ".json"))
	if err != nil || v < 1 {
		return "", 0, false
	}
	return code, v, true
}

// journalKey names the journal entry for a commit of code at version v.
func journalKey(nanos int64, code string, v int) string {
	return fmt.Sprintf("%s%020d-%s-v%08d", PrefixJournal, nanos, code, v)
}

// parseJournalKey splits a journal key.
func parseJournalKey(key string) (nanos int64, code string, v int, ok bool) {
	rest, found := strings.CutPrefix(key, PrefixJournal)
	if !found || len(rest) < 20+2+1+9 {
		return 0, "", 0, false
	}
	nanos, err := strconv.ParseInt(rest[:20], 10, 64)
	if err != nil || rest[20] != '-' {
		return 0, "", 0, false
	}
	i := strings.LastIndex(rest, "-v")
	if i <= 21 {
		return 0, "", 0, false
	}
	v, err = strconv.Atoi(rest[i+2:])
	if err != nil {
		return 0, "", 0, false
	}
	return nanos, rest[21:i], v, true
}

// SHAFromKey returns the SHA-256 of the original that an originals/ or
// pages/ key belongs to, or "".
func SHAFromKey(key string) string {
	for _, p := range []string{PrefixOriginals, PrefixPages} {
		if rest, ok := strings.CutPrefix(key, p); ok && len(rest) >= 3+64 {
			if sha := rest[3 : 3+64]; storage.ValidSHA256(sha) {
				return sha
			}
		}
	}
	return ""
}

// RunKey is where the record of processing all pages of the original with
// this SHA-256 under one settings id is stored (see Run).
func RunKey(sha, settingsID string) string {
	return fmt.Sprintf("%s%s/%s/run-%s.json", PrefixPages, sha[:2], sha, settingsID)
}
