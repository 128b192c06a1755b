package storeurl_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"hoso/storage"
	"hoso/storage/storeurl"
)

func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "hoso-example")
	defer os.RemoveAll(dir)
	// s3://hoso?endpoint=127.0.0.1:9000&secure=false opens a MinIO bucket
	// the same way, with credentials from the environment.
	s, err := storeurl.Open(context.Background(), "file://"+dir)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	if _, err := storage.PutBytes(context.Background(), s, "journal/1", []byte("x"), storage.PutOptions{}); err != nil {
		log.Fatal(err)
	}
	for info, err := range s.List(context.Background(), "journal/", "") {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(info.Key, info.Size)
	}
	// Output: journal/1 1
}
