package storeurl_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"hoso/internal/miniotest"
	"hoso/storage"
	"hoso/storage/retry"
	"hoso/storage/s3"
	"hoso/storage/storeurl"
)

func TestParse(t *testing.T) {
	cases := []struct {
		url     string
		want    storeurl.Config
		wantErr string // substring of the error naming the bad part
	}{
		{url: "file:///srv/hoso", want: storeurl.Config{Scheme: "file", Path: "/srv/hoso"}},
		{url: "file://localhost/srv/hoso/", want: storeurl.Config{Scheme: "file", Path: "/srv/hoso"}},
		{url: "file:/srv/hoso", want: storeurl.Config{Scheme: "file", Path: "/srv/hoso"}},
		{url: "file:data/hoso", want: storeurl.Config{Scheme: "file", Path: "data/hoso"}},
		{url: "file:./data", want: storeurl.Config{Scheme: "file", Path: "data"}},
		{url: "file:../up/x", want: storeurl.Config{Scheme: "file", Path: "../up/x"}},
		{url: "file:///srv/h%C3%B4%20so", want: storeurl.Config{Scheme: "file", Path: "/srv/hô so"}},
		{url: "file:h%C3%B4", want: storeurl.Config{Scheme: "file", Path: "hô"}},
		{url: "/srv/hoso", want: storeurl.Config{Scheme: "file", Path: "/srv/hoso"}},
		{url: "data/hoso/", want: storeurl.Config{Scheme: "file", Path: "data/hoso"}},
		{url: "data?x", want: storeurl.Config{Scheme: "file", Path: "data?x"}},
		{url: "s3://hoso?endpoint=127.0.0.1:9000&secure=false",
			want: storeurl.Config{Scheme: "s3", S3: s3.Config{Bucket: "hoso", Endpoint: "127.0.0.1:9000"}}},
		{url: "s3://hoso/?endpoint=minio.local:9000&region=vn-1&part_size=33554432&max_retries=2&retries=7",
			want: storeurl.Config{Scheme: "s3", S3: s3.Config{Bucket: "hoso", Endpoint: "minio.local:9000", Secure: true, Region: "vn-1", PartSize: 32 << 20, MaxRetries: 2}, Retry: retry.Policy{Attempts: 7}}},
		{url: "s3://hoso", want: storeurl.Config{Scheme: "s3", S3: s3.Config{Bucket: "hoso", Secure: true}}},

		{url: "", wantErr: "empty"},
		{url: "ftp://x/y", wantErr: `unknown scheme "ftp"`},
		{url: "file://server/share", wantErr: `host "server"`},
		{url: "file:", wantErr: "no path"},
		{url: "file:///srv?x=1", wantErr: "no parameters"},
		{url: "s3:bucket", wantErr: "two slashes"},
		{url: "s3://?endpoint=h:1", wantErr: "no bucket"},
		{url: "s3://b/prefix?endpoint=h:1", wantErr: `path "/prefix"`},
		{url: "s3://key:secret@b?endpoint=h:1", wantErr: "credentials do not belong"},
		{url: "s3://b?endpoint=h:1&secure=maybe", wantErr: `secure="maybe"`},
		{url: "s3://b?endpoint=h:1&part_size=16MiB", wantErr: `part_size="16MiB"`},
		{url: "s3://b?endpoint=h:1&max_retries=0", wantErr: `max_retries="0"`},
		{url: "s3://b?endpoint=h:1&retries=x", wantErr: `retries="x"`},
		{url: "s3://b?endpoint=h:1&endpont=h:2", wantErr: `unknown parameter "endpont"`},
		{url: "s3://b?endpoint=h:1&endpoint=h:2", wantErr: `"endpoint" given 2 times`},
		{url: "s3://b?endpoint=%zz", wantErr: "parameters"},
	}
	for _, c := range cases {
		got, err := storeurl.Parse(c.url)
		switch {
		case c.wantErr != "" && err == nil:
			t.Errorf("Parse(%q) = %+v, want error containing %q", c.url, got, c.wantErr)
		case c.wantErr != "" && !strings.Contains(err.Error(), c.wantErr):
			t.Errorf("Parse(%q): %v, want error containing %q", c.url, err, c.wantErr)
		case c.wantErr == "" && err != nil:
			t.Errorf("Parse(%q): %v", c.url, err)
		case c.wantErr == "" && !reflect.DeepEqual(got, c.want):
			t.Errorf("Parse(%q) = %+v, want %+v", c.url, got, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, u := range []string{"file:///srv", "file:rel", "s3://b?endpoint=h:1&secure=false", "s3://b/p", "x"} {
		f.Add(u)
	}
	f.Fuzz(func(t *testing.T, u string) {
		c, err := storeurl.Parse(u)
		if err == nil && c.Scheme != "file" && c.Scheme != "s3" {
			t.Errorf("Parse(%q): scheme %q", u, c.Scheme)
		}
		if err == nil && c.Scheme == "file" && c.Path == "" {
			t.Errorf("Parse(%q): empty path", u)
		}
	})
}

func clearCreds(t *testing.T) {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"} {
		t.Setenv(k, "")
	}
}

func TestValidate(t *testing.T) {
	clearCreds(t)
	cases := map[string]string{
		"s3://hoso":                          "no endpoint",
		"s3://hoso?endpoint=h:1":             "no credentials",
		"s3://Hoso_Bucket?endpoint=h:1":      `bucket "Hoso_Bucket"`,
		"s3://hoso?endpoint=h:1&part_size=1": "no credentials",
	}
	for u, want := range cases {
		c, err := storeurl.Parse(u)
		if err != nil {
			t.Fatalf("Parse(%q): %v", u, err)
		}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate(%q): %v, want error containing %q", u, err, want)
		}
	}
	t.Setenv("MINIO_ROOT_USER", "u")
	t.Setenv("MINIO_ROOT_PASSWORD", "p")
	c, _ := storeurl.Parse("s3://hoso?endpoint=h:1&part_size=1")
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "part size") {
		t.Errorf("Validate part_size=1: %v", err)
	}
}

func roundTrip(t *testing.T, s storage.Store) {
	t.Helper()
	if _, err := storage.PutBytes(t.Context(), s, "k/v", []byte("hello"), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	b, _, err := storage.ReadAll(t.Context(), s, "k/v")
	if err != nil || string(b) != "hello" {
		t.Fatalf("read: %q, %v", b, err)
	}
}

func TestOpenFile(t *testing.T) {
	dir := t.TempDir()
	for _, u := range []string{"file://" + dir + "/a", dir + "/b"} {
		s, err := storeurl.Open(t.Context(), u)
		if err != nil {
			t.Fatalf("Open(%q): %v", u, err)
		}
		roundTrip(t, s)
		s.Close()
	}
	t.Chdir(dir)
	s, err := storeurl.Open(t.Context(), "file:rel/store")
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, s)
	s.Close()
}

func TestOpenS3(t *testing.T) {
	srv := miniotest.Start(t)
	clearCreds(t)
	t.Setenv("MINIO_ROOT_USER", srv.AccessKey)
	t.Setenv("MINIO_ROOT_PASSWORD", srv.SecretKey)
	s, err := storeurl.Open(t.Context(), srv.URL("hoso-url"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.(*retry.Store); !ok {
		t.Errorf("s3 store is a %T, want it wrapped in *retry.Store", s)
	}
	roundTrip(t, s)
	srv.Stop()
	if _, err := s.Stat(t.Context(), "k/v"); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("stat with the server down: %v, want ErrUnavailable", err)
	}
}
