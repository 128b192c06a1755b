package main

import (
	"regexp"
	"strings"
	"testing"

	"hoso/internal/faulttest"
	"hoso/internal/miniotest"
)

// TestBenchQuick runs hoso bench --quick in-process: every row of the table
// holds a measure (MinIO included: a missing minio binary fails the test).
func TestBenchQuick(t *testing.T) {
	faulttest.RequireTools(t, "tesseract", "pdfinfo", "pdftoppm")
	if _, err := miniotest.FindBinary(); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cli(t, t.TempDir(), "bench", "--quick", "--dir", t.TempDir())
	t.Logf("\n%s", out)
	if code != exitOK {
		t.Fatalf("bench --quick: exit %d\n%s", code, errOut)
	}
	for _, row := range []string{
		`OCR, plain tesseract \(\d+ processes\)\s+[0-9.]+ pages/s`,
		`OCR, hoso pipeline \(\d+ workers\)\s+[0-9.]+ pages/s .*[0-9.]+x plain tesseract`,
		`ingest end to end, folder store\s+[0-9.]+ pages/s`,
		`re-ingest unchanged, folder store\s+0 pages OCR'd\s+4 pages reused, 1 of 1 dossiers unchanged`,
		`ingest end to end, MinIO\s+[0-9.]+ pages/s`,
		`indexing, incremental\s+[0-9.]+ pages/s`,
		`indexing, bulk, 1000 pages\s+[0-9.]+ pages/s .*Index.Load`,
		`(?m)search at 1000 pages, p50 / p95 / p99\s+[0-9.]+ / [0-9.]+ / [0-9.]+ ms .*p95 by kind \(ms\): name [0-9.]+, phrase [0-9.]+, filter [0-9.]+, fuzzy [0-9.]+, fallback [0-9.]+, common-phrase [0-9.]+$`,
		`peak memory \(RSS\)\s+\d+ MiB\s+.*its own memory .*at most \d+ MiB, while \w+`,
		`(?m)^hoso bench --quick --dir \S+, on `,
		`load average [0-9.]+ [0-9.]+ [0-9.]+ at the start`,
	} {
		if !regexp.MustCompile(row).MatchString(out) {
			t.Errorf("no row matching %s", row)
		}
	}
	if strings.Count(out, "\n") > 15 {
		t.Errorf("more than one table?\n%s", out)
	}
	if code, _, errOut := cli(t, t.TempDir(), "bench", "--search-pages", "10,x"); code != exitUsage {
		t.Errorf("bad --search-pages: exit %d %s", code, errOut)
	}
}
