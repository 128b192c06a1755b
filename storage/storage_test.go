package storage_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"hoso/storage"
)

func TestValidateKey(t *testing.T) {
	valid := []string{"a", "a/b", "dossiers/A001/v00000001.json", "a.b/.hidden", "a/..x", "hồ sơ/trang 1",
		strings.Repeat("s", storage.MaxSegmentLen), strings.Repeat("k/", storage.MaxKeyLen/2-1) + "kk"}
	invalid := []string{"", "/a", "a/", "a//b", "./a", "a/./b", "a/..", "..", "a\\b", "a\x00", "a\nb", "a\x7f",
		"\xff", strings.Repeat("s", storage.MaxSegmentLen+1), strings.Repeat("k", storage.MaxKeyLen+1)}
	for _, k := range valid {
		if err := storage.ValidateKey(k); err != nil {
			t.Errorf("ValidateKey(%q): %v", k, err)
		}
	}
	for _, k := range invalid {
		if err := storage.ValidateKey(k); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("ValidateKey(%q): %v, want ErrInvalidKey", k, err)
		}
	}
}

func TestValidPrefix(t *testing.T) {
	for p, want := range map[string]bool{
		"": true, "a": true, "a/": true, "a/b": true, "a/.": true, "a/..": true, "a/.hid": true,
		"../": false, "a//": false, "/a": false, "a/./": false, "a\x00": false, "a/../": false,
	} {
		if got := storage.ValidPrefix(p); got != want {
			t.Errorf("ValidPrefix(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestVerifyingReader(t *testing.T) {
	content := []byte("page one")
	sum := storage.SHA256Hex(content)
	cases := []struct {
		name    string
		body    []byte
		want    string
		size    int64
		wantErr bool
	}{
		{"good", content, sum, int64(len(content)), false},
		{"flipped", []byte("page onE"), sum, int64(len(content)), true},
		{"short", content[:4], sum, int64(len(content)), true},
		{"size differs", content, sum, int64(len(content)) + 1, true},
		{"empty good", nil, storage.SHA256Hex(nil), 0, false},
	}
	for _, c := range cases {
		r := storage.VerifyingReader(io.NopCloser(bytes.NewReader(c.body)), "k", c.want, c.size)
		b, err := io.ReadAll(r)
		if c.wantErr != errors.Is(err, storage.ErrChecksum) || !c.wantErr && err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if !c.wantErr && !bytes.Equal(b, c.body) {
			t.Errorf("%s: read %q", c.name, b)
		}
		if c.wantErr {
			if _, err2 := r.Read(make([]byte, 1)); !errors.Is(err2, storage.ErrChecksum) {
				t.Errorf("%s: error not sticky: %v", c.name, err2)
			}
		}
	}
}
