package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"hoso/internal/faulttest"
	"hoso/internal/miniotest"
	"hoso/internal/samples"
	"hoso/storage"
	"hoso/storage/s3"
)

// TestMinIOOutageDuringIngest stops a real MinIO server while hoso ingest
// stores pages in it and starts it again five seconds later: the run
// reports the outage while it lasts, waits it out (every store call is
// retried with capped backoff for --store-retry) and completes, with every
// page stored once, every object whole and verify clean.
func TestMinIOOutageDuringIngest(t *testing.T) {
	faulttest.RequireTools(t, "tesseract", "pdfinfo", "pdftoppm")
	srv := miniotest.Start(t)
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	in, data := t.TempDir(), t.TempDir()
	bulk, err := samples.WriteBulk(in, samples.BulkOptions{Prefix: "HS-S3", Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	const bucket = "hoso-outage"
	vars := map[string]string{"HOSO_DATA": data, "HOSO_STORE": srv.URL(bucket)}
	out, errOut := &faulttest.Buffer{}, &faulttest.Buffer{}
	done := make(chan int, 1)
	start := time.Now()
	go func() {
		done <- cliWith(context.Background(), t, vars, out, errOut, "ingest", "--workers", "2", "--store-retry", "2m", in)
	}()
	watch, err := s3.New(t.Context(), s3.Config{Endpoint: srv.Endpoint, Bucket: bucket, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()
	for countKeys(t, watch, "pages/") < 3 {
		select {
		case code := <-done:
			t.Fatalf("ingest ended (exit %d) before the outage\n%s%s", code, out, errOut)
		case <-time.After(50 * time.Millisecond):
		}
	}
	srv.Stop()
	down := time.Now()
	t.Logf("MinIO stopped %v into the run", down.Sub(start).Round(time.Millisecond))
	time.Sleep(5 * time.Second)
	if !strings.Contains(errOut.String(), "object store unavailable") {
		t.Errorf("nothing said while the store is down:\n%s", errOut)
	}
	srv.Restart()
	t.Logf("MinIO back after %v", time.Since(down).Round(time.Millisecond))
	var code int
	select {
	case code = <-done:
	case <-time.After(3 * time.Minute):
		t.Fatalf("ingest did not end 3 minutes after MinIO came back\n%s%s", out, errOut)
	}
	notes := regexp.MustCompile(`(?m)^hoso ingest: object store.*$`).FindAllString(errOut.String(), -1)
	t.Logf("exit %d after %v; what it said:\n%s\n%s", code, time.Since(start).Round(time.Millisecond), strings.Join(notes, "\n"), out)
	if code != exitOK {
		t.Fatalf("ingest across the outage: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut.String(), "object store reachable again") {
		t.Errorf("the end of the outage was not reported:\n%s", errOut)
	}
	rep, err := faulttest.ReadAllObjects(t.Context(), watch)
	if err != nil {
		t.Error(err)
	}
	t.Logf("bucket: %d objects: %v", rep.Objects, rep.ByPrefix)
	checkPageObjects(t, watch, bulk)
	checkBulkIn(t, vars, bulk)
}

// countKeys counts the keys under prefix.
func countKeys(t *testing.T, s storage.Store, prefix string) int {
	t.Helper()
	n := 0
	for _, err := range s.List(t.Context(), prefix, "") {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}
