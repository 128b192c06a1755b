package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hoso/internal/faulttest"
	"hoso/internal/samples"
)

// TestDiskFullUnderFolderStore runs a bulk ingest into a folder store on a
// tiny tmpfs that fills up half-way: the run stops with a clear "object
// store full" error, nothing it stored is damaged (every object reads back
// whole, no temp file is left, verify is clean), and once space is freed
// the same command completes the job.
func TestDiskFullUnderFolderStore(t *testing.T) {
	faulttest.RequireTools(t, "tesseract", "pdfinfo", "pdftoppm")
	mnt := faulttest.Tmpfs(t, "2m")
	in, data := t.TempDir(), t.TempDir()
	bulk, err := samples.WriteBulk(in, samples.BulkOptions{Prefix: "HS-FULL", Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	objects := filepath.Join(mnt, "objects")
	vars := map[string]string{"HOSO_DATA": data, "HOSO_STORE": "file://" + objects}
	ballast := faulttest.Fill(t, mnt, 200<<10)
	out, errOut := &faulttest.Buffer{}, &faulttest.Buffer{}
	code := cliWith(context.Background(), t, vars, out, errOut, "ingest", "--workers", "2", in)
	free, _ := faulttest.FreeBytes(mnt)
	t.Logf("full: exit %d, %d bytes free\n%s%s", code, free, out, lastLines(errOut.String(), 3))
	if code != exitError || !strings.Contains(errOut.String(), "object store full") {
		t.Fatalf("ingest into a full store: exit %d, want %d with \"object store full\"\n%s%s", code, exitError, out, errOut)
	}
	if strings.Contains(out.String(), "context canceled") {
		t.Errorf("dossiers stopped with the run are listed as failures beside the one that matters:\n%s", out)
	}
	rep := faulttest.CheckFolderStore(t, objects)
	t.Logf("what the full store holds: %v", rep.ByPrefix)
	if code, vout, verr := cli2(t, vars, "verify"); code != exitOK {
		t.Errorf("verify of the full store: exit %d\n%s%s", code, vout, verr)
	}

	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	out, errOut = &faulttest.Buffer{}, &faulttest.Buffer{}
	if code := cliWith(context.Background(), t, vars, out, errOut, "ingest", "--workers", "2", in); code != exitOK {
		t.Fatalf("rerun after freeing space: exit %d\n%s%s", code, out, errOut)
	}
	t.Logf("rerun: %s", summaryOf(out.String()))
	faulttest.CheckFolderStore(t, objects)
	checkBulkIn(t, vars, bulk)
}

// cli2 runs hoso in-process with vars and returns the exit code and outputs.
func cli2(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut faulttest.Buffer
	code := cliWith(context.Background(), t, vars, &out, &errOut, args...)
	return code, out.String(), errOut.String()
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
