package fs_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"hoso/storage"
	"hoso/storage/fs"
)

var benchSizes = []int{4 << 10, 1 << 20, 16 << 20}

func BenchmarkPut(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			s, err := fs.New(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			data := bytes.Repeat([]byte("hoso"), size/4)
			b.SetBytes(int64(size))
			i := 0
			for b.Loop() {
				key := fmt.Sprintf("pages/%02x/p%06d", i%256, i)
				if _, err := s.Put(b.Context(), key, bytes.NewReader(data), int64(size), storage.PutOptions{}); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

func BenchmarkGet(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			s, err := fs.New(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			data := bytes.Repeat([]byte("hoso"), size/4)
			if _, err := storage.PutBytes(b.Context(), s, "obj", data, storage.PutOptions{}); err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 256<<10)
			b.SetBytes(int64(size))
			for b.Loop() {
				rc, _, err := s.Get(b.Context(), "obj")
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.CopyBuffer(io.Discard, rc, buf); err != nil {
					b.Fatal(err)
				}
				rc.Close()
			}
		})
	}
}

func BenchmarkList(b *testing.B) {
	s, err := fs.New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const n = 2000
	for i := range n {
		key := fmt.Sprintf("pages/%02x/p%06d", i%64, i)
		if _, err := storage.PutBytes(b.Context(), s, key, []byte("x"), storage.PutOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		c := 0
		for _, err := range s.List(b.Context(), "pages/", "") {
			if err != nil {
				b.Fatal(err)
			}
			c++
		}
		if c != n {
			b.Fatalf("listed %d", c)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/key")
}
