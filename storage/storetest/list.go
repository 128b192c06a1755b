package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sync/errgroup"

	"hoso/storage"
)

func sortedCopy(keys []string) []string {
	keys = slices.Clone(keys)
	slices.Sort(keys)
	return keys
}

// expect returns the keys of all that List(prefix, startAfter) must yield.
func expect(all []string, prefix, startAfter string) []string {
	var out []string
	for _, k := range sortedCopy(all) {
		if strings.HasPrefix(k, prefix) && k > startAfter {
			out = append(out, k)
		}
	}
	return out
}

func testList(t *testing.T, s storage.Store) {
	keys := []string{
		"dossiers/A001/v00000001.json", "dossiers/A001/v00000002.json", "dossiers/B002/v00000001.json",
		"pages/ab/abc/p0001.png", "pages/ab/abc/p0001/ocr-vie.json", "pages/ab/abc/p0002.png",
		"journal/001", "journal/002", "journal/010", "top",
	}
	for _, k := range keys {
		put(t, s, k, []byte(k), storage.PutOptions{})
	}
	cases := []struct{ prefix, startAfter string }{
		{"", ""}, {"dossiers/", ""}, {"dossiers/A", ""}, {"dossiers/A001/", ""},
		{"dossiers/A001/v00000001.json", ""}, {"pages/ab/abc/p0001", ""}, {"pages/ab/abc/p0001/", ""},
		{"journal/", "journal/001"}, {"journal/", "journal/0015"}, {"journal/", "journal/010"},
		{"", "journal/002"}, {"", "dossiers/B"}, {"", "pages/ab/abc/p0001.png"}, {"", "zzz"},
		{"nothing", ""}, {"nothing/", ""}, {"dossiers/A001/v", "dossiers/A001/v00000001.json"},
		{"pages/", "pages/ab/abc/p0001"}, {"pages/", "pages/ab/abc/p0001/"}, {"t", ""}, {"top/", ""},
		{"../", ""}, {"a//", ""}, {"dossiers//", ""},
	}
	for _, c := range cases {
		got := listKeys(t, s, c.prefix, c.startAfter)
		equalKeys(t, fmt.Sprintf("list %q after %q", c.prefix, c.startAfter), got, expect(keys, c.prefix, c.startAfter))
	}
	// Sizes in List match the objects.
	for info, err := range s.List(ctx(t), "journal/", "") {
		if err != nil {
			t.Fatal(err)
		}
		if info.Size != int64(len(info.Key)) {
			t.Errorf("list: %s has size %d, want %d", info.Key, info.Size, len(info.Key))
		}
		if info.SHA256 != "" && info.SHA256 != sha([]byte(info.Key)) {
			t.Errorf("list: %s has sha256 %s, want %s or empty", info.Key, info.SHA256, sha([]byte(info.Key)))
		}
	}
	// Stopping early is allowed.
	n := 0
	for _, err := range s.List(ctx(t), "", "") {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 3 {
			break
		}
	}
}

// testListOrder checks byte order of keys with characters that sort before
// '/' and after it.
func testListOrder(t *testing.T, s storage.Store) {
	keys := []string{
		"o/a/b", "o/a-b", "o/a.b", "o/a0", "o/a b", "o/a!", "o/a/c/d", "o/a/c-d", "o/a/c0",
		"o/ab", "o/a~", "o/aé", "o/a\u00a0x", "o/a,b", "o/a+/x", "o/a%2F", "o/A", "o/a#/b",
	}
	for _, k := range keys {
		put(t, s, k, []byte(k), storage.PutOptions{})
	}
	all := listKeys(t, s, "", "")
	equalKeys(t, "list all", all, sortedCopy(keys))
	for _, prefix := range []string{"o/", "o/a", "o/a/", "o/a/c", "o/a-", "o/a+"} {
		equalKeys(t, fmt.Sprintf("list %q", prefix), listKeys(t, s, prefix, ""), expect(keys, prefix, ""))
	}
	for _, after := range append(sortedCopy(keys), "o/a", "o/a/", "o/a/c", "o/a.", "o/a/b0", "o/") {
		equalKeys(t, fmt.Sprintf("list after %q", after), listKeys(t, s, "o/", after), expect(keys, "o/", after))
	}
}

// testListMany lists more keys than one S3 page (1,000) holds.
func testListMany(t *testing.T, s storage.Store) {
	const n = 1500
	keys := make([]string, n)
	g, gctx := errgroup.WithContext(ctx(t))
	g.SetLimit(16)
	for i := range n {
		keys[i] = fmt.Sprintf("many/%02d/k%05d", i%7, i)
		g.Go(func() error {
			_, err := storage.PutBytes(gctx, s, keys[i], []byte{byte(i)}, storage.PutOptions{})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	want := sortedCopy(keys)
	equalKeys(t, "list all", listKeys(t, s, "many/", ""), want)
	equalKeys(t, "list after 1000th", listKeys(t, s, "many/", want[999]), want[1000:])
	equalKeys(t, "list one folder", listKeys(t, s, "many/03/", ""), expect(keys, "many/03/", ""))
	// Resuming page by page with startAfter visits every key once.
	var paged []string
	after := ""
	for {
		var page []string
		for info, err := range s.List(ctx(t), "many/", after) {
			if err != nil {
				t.Fatal(err)
			}
			if page = append(page, info.Key); len(page) == 400 {
				break
			}
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		after = page[len(page)-1]
	}
	equalKeys(t, "paged", paged, want)
}
