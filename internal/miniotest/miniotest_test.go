package miniotest_test

import (
	"net/http"
	"testing"

	"hoso/internal/miniotest"
)

func live(t *testing.T, s *miniotest.Server) bool {
	resp, err := http.Get("http://" + s.Endpoint + "/minio/health/live")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func TestStartStopRestart(t *testing.T) {
	s := miniotest.Start(t)
	if s.Endpoint == "" || s.AccessKey == "" || s.SecretKey == "" {
		t.Fatalf("incomplete server %+v", s)
	}
	if !live(t, s) {
		t.Fatal("not live after Start")
	}
	s.Stop()
	if live(t, s) {
		t.Fatal("live after Stop")
	}
	s.Stop() // no-op
	s.Restart()
	if !live(t, s) {
		t.Fatal("not live after Restart")
	}
}

func TestFindBinary(t *testing.T) {
	if _, err := miniotest.FindBinary(); err != nil {
		t.Fatal(err) // the message says how to install it
	}
	t.Setenv("PATH", "")
	t.Setenv("GOBIN", "")
	t.Setenv("HOME", t.TempDir())
	if _, err := miniotest.FindBinary(); err == nil || err.Error() != miniotest.InstallHint {
		t.Errorf("without minio anywhere: %v, want %q", err, miniotest.InstallHint)
	}
}
