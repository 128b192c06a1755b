package server

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"hoso/archive"
	"hoso/internal/faulttest"
	"hoso/internal/fixtures"
	"hoso/internal/miniotest"
	"hoso/jobs"
	"hoso/storage/retry"
	"hoso/storage/s3"
)

// TestUploadDuringMinIOOutage: with MinIO stopped, an upload is refused at
// once with a 503 and a JSON error code; an upload accepted just before
// MinIO stops ends as a failed job. Either way the dossier keeps its last
// committed version, which verifies clean once MinIO is back, and no
// temporary upload is left behind.
func TestUploadDuringMinIOOutage(t *testing.T) {
	srv := miniotest.Start(t)
	s, err := s3.New(t.Context(), s3.Config{Endpoint: srv.Endpoint, Bucket: "hoso-upload-outage", AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	// as storeurl opens it for hoso serve: the default, short, retry policy
	e := newEnv(t, envOptions{ocr: true, store: retry.New(s, retry.Policy{})})
	arch := e.as("arch")
	img, err := fixtures.Page([]string{"Họ và tên: Đặng Thị Yến", "Quyết định khen thưởng"}, fixtures.PageOptions{DPI: 150, HeightIn: 3, FontPt: 14})
	if err != nil {
		t.Fatal(err)
	}
	png, err := fixtures.PNG(img, 150)
	if err != nil {
		t.Fatal(err)
	}
	before := manifestVersion(t, e.arch, "HS-PUB")

	// 1. MinIO down: the upload is refused with a 503 before any work
	srv.Stop()
	start := time.Now()
	code, body, _ := arch.do("POST", "/api/v1/dossiers/HS-PUB/documents", multipartOf(t, []mpFile{{"moi.png", png}}, nil))
	t.Logf("upload while MinIO is down: %d %s in %v", code, body, time.Since(start).Round(time.Millisecond))
	if c := errCode(body); code != http.StatusServiceUnavailable || (c != "unavailable" && c != "audit_unavailable") {
		t.Errorf("upload while MinIO is down: %d %s, want 503 unavailable or audit_unavailable", code, body)
	}
	srv.Restart()

	// 2. MinIO stops while an accepted upload's job runs
	code, body, _ = arch.do("POST", "/api/v1/dossiers/HS-PUB/documents", multipartOf(t, []mpFile{{"moi.png", png}}, nil))
	if code != http.StatusAccepted {
		t.Fatalf("upload: %d %s", code, body)
	}
	jobID := jobOf(t, body)
	srv.Stop()
	waitFor(t, 60*time.Second, "the upload job to end", func() bool {
		st, err := e.jobs.Get(context.Background(), jobID)
		return err == nil && st.State.Final()
	})
	st, _ := e.jobs.Get(context.Background(), jobID)
	t.Logf("job during the outage: %s: %s", st.State, st.Error)
	if st.State == jobs.StateDone {
		t.Logf("the job finished before MinIO stopped: nothing to check for this half")
	}
	srv.Restart()
	after := manifestVersion(t, e.arch, "HS-PUB")
	if st.State != jobs.StateDone && after != before {
		t.Errorf("the failed upload committed version %d (was %d)", after, before)
	}
	if _, err := e.arch.Verify(context.Background(), 4, func(int) {}, func() {}, func(p archive.Problem) { t.Errorf("verify: %s", p) }); err != nil {
		t.Fatal(err)
	}
	rep, err := faulttest.ReadAllObjects(context.Background(), e.store)
	if err != nil {
		t.Error(err)
	}
	t.Logf("bucket after the outage: %v", rep.ByPrefix)
	waitFor(t, 10*time.Second, "the temporary uploads to be removed", func() bool { return len(dirEntries(t, e.app.cfg.TempDir)) == 0 })

	// 3. and with MinIO back, the same upload goes through
	code, body, _ = arch.do("POST", "/api/v1/dossiers/HS-PUB/documents", multipartOf(t, []mpFile{{"moi.png", png}}, nil))
	if code != http.StatusAccepted {
		t.Fatalf("upload after the outage: %d %s", code, body)
	}
	jobID = jobOf(t, body)
	waitFor(t, 90*time.Second, "the upload job", func() bool {
		st, err := e.jobs.Get(context.Background(), jobID)
		return err == nil && st.State.Final()
	})
	if st, _ := e.jobs.Get(context.Background(), jobID); st.State != jobs.StateDone {
		t.Errorf("upload after the outage: %+v", st)
	}
	if v := manifestVersion(t, e.arch, "HS-PUB"); v != before+1 {
		t.Errorf("version %d after the upload, want %d", v, before+1)
	}
}

func manifestVersion(t *testing.T, arch *archive.Archive, code string) int {
	t.Helper()
	d, err := arch.Load(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	return d.Version
}

func jobOf(t *testing.T, body []byte) string {
	t.Helper()
	var ur UploadResponse
	if err := json.Unmarshal(body, &ur); err != nil || ur.Job == nil {
		t.Fatalf("upload response %s: %v", body, err)
	}
	return ur.Job.ID
}
