package fs_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"hoso/storage"
	"hoso/storage/fs"
)

func ExampleNew() {
	dir, _ := os.MkdirTemp("", "hoso-example")
	defer os.RemoveAll(dir)
	s, err := fs.New(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	info, err := storage.PutBytes(ctx, s, "dossiers/A001/v00000001.json", []byte(`{"code":"A001"}`),
		storage.PutOptions{ContentType: "application/json", IfAbsent: true})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.Key, info.Size, info.SHA256[:12])
	b, _, err := storage.ReadAll(ctx, s, "dossiers/A001/v00000001.json")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(b))
	// Output:
	// dossiers/A001/v00000001.json 15 39f7a30bc6f9
	// {"code":"A001"}
}
