package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"hoso/internal/faulttest"
	"hoso/internal/samples"
	"hoso/storage"
	"hoso/storage/fs"
)

// TestKillIngest kills hoso ingest with SIGKILL at random moments of a bulk
// job (ten 150-dpi pages in four dossiers, as PDF, TIFF, PNG and JPEG),
// then runs it to completion, and checks what a crash may never leave
// behind: every page of every dossier is in the store and the index exactly
// once, every object the store holds (referenced or not) reads back whole
// with its checksum, no temp file is left, hoso verify is clean, and
// searches answer exactly as over an uninterrupted run on a fresh data
// folder (see faulttest.NormalizeSearch for what is compared).
func TestKillIngest(t *testing.T) {
	faulttest.RequireTools(t, "tesseract", "pdfinfo", "pdftoppm")
	bin := faulttest.BuildHoso(t)
	in := t.TempDir()
	bulk, err := samples.WriteBulk(in, samples.BulkOptions{Prefix: "HS-KILL", Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d (kill delays)", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	data := t.TempDir()
	env := faulttest.Env(data)
	args := []string{"ingest", "--workers", "2", in}
	// Kill points spread over the whole job: four when a random number of
	// pages is stored (plus up to 0.3 s), one within 50 ms of the last
	// page, in the commit and index phase. Pages finish two at a time, so
	// a kill may come too late: the job is then done, and at least three
	// kills must have landed.
	var targets []int
	for range 4 {
		targets = append(targets, 1+rng.IntN(bulk.Total-2))
	}
	slices.Sort(targets)
	targets = append(targets, bulk.Total)
	kills, start := 0, time.Now()
	for _, target := range targets {
		p := faulttest.Start(t, bin, env, args...)
		for countTexts(t, data) < target && !p.Done() {
			time.Sleep(20 * time.Millisecond)
		}
		wait := time.Duration(rng.Int64N(int64(300 * time.Millisecond)))
		if target == bulk.Total {
			wait = time.Duration(rng.Int64N(int64(50 * time.Millisecond)))
		}
		time.Sleep(wait)
		if !p.Kill() {
			t.Logf("the job ended before the kill at %d pages: %s", target, lastLine(p.Output()))
			break
		}
		kills++
		t.Logf("kill %d at %v: %d of %d page texts stored", kills, time.Since(start).Round(time.Millisecond), countTexts(t, data), bulk.Total)
	}
	if kills < 3 {
		t.Errorf("only %d kills landed during the job", kills)
	}
	p := faulttest.Start(t, bin, env, args...)
	if code := p.Wait(3 * time.Minute); code != 0 {
		t.Fatalf("rerun after the kills: exit %d\n%s", code, p.Output())
	}
	t.Logf("%d kills, rerun done after %v in all: %s", kills, time.Since(start).Round(time.Second), summaryOf(p.Output()))

	checkBulkStored(t, data, bulk)
	fresh := t.TempDir()
	q := faulttest.Start(t, bin, faulttest.Env(fresh), args...)
	if code := q.Wait(3 * time.Minute); code != 0 {
		t.Fatalf("uninterrupted run: exit %d\n%s", code, q.Output())
	}
	compareSearches(t, bin, data, fresh, bulkQueries(bulk))
}

// checkBulkStored checks that data holds every page of bulk exactly once,
// in the folder store and the index, and nothing damaged or left over.
func checkBulkStored(t *testing.T, data string, bulk *samples.Bulk) {
	t.Helper()
	rep := faulttest.CheckFolderStore(t, filepath.Join(data, "objects"))
	t.Logf("store: %d objects, %d bytes: %v", rep.Objects, rep.Bytes, rep.ByPrefix)
	s, err := fs.New(filepath.Join(data, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkPageObjects(t, s, bulk)
	checkBulkIn(t, map[string]string{"HOSO_DATA": data}, bulk)
}

// checkPageObjects checks that s holds one original per file of bulk and
// one page image and one page text per page.
func checkPageObjects(t *testing.T, s storage.Store, bulk *samples.Bulk) {
	t.Helper()
	files := 0
	for _, n := range bulk.Files {
		files += n
	}
	var originals, texts, images, manifests int
	textRE, imageRE := regexp.MustCompile(`^pages/.*/p[0-9]{4}/[^/]+\.json$`), regexp.MustCompile(`^pages/.*/p[0-9]{4}\.(png|jpg)$`)
	for info, err := range s.List(t.Context(), "", "") {
		if err != nil {
			t.Fatal(err)
		}
		switch k := info.Key; {
		case strings.HasPrefix(k, "originals/"):
			originals++
		case strings.HasPrefix(k, "dossiers/"):
			manifests++
		case textRE.MatchString(k):
			texts++
		case imageRE.MatchString(k):
			images++
		}
	}
	if originals != files || texts != bulk.Total || images != bulk.Total || manifests < len(bulk.Codes) {
		t.Errorf("store holds %d originals (want %d), %d page texts and %d page images (want %d each), %d manifests for %d dossiers",
			originals, files, texts, images, bulk.Total, manifests, len(bulk.Codes))
	}
}

// checkBulkIn checks, through the CLI with environment vars, that verify is
// clean, that every dossier of bulk has its documents once each with every
// page numbered in order, and that the index holds every page.
func checkBulkIn(t *testing.T, vars map[string]string, bulk *samples.Bulk) {
	t.Helper()
	hoso := func(args ...string) (int, string, string) {
		var out, errOut faulttest.Buffer
		code := cliWith(context.Background(), t, vars, &out, &errOut, args...)
		return code, out.String(), errOut.String()
	}
	if code, out, errOut := hoso("verify"); code != exitOK || !strings.Contains(out, " 0 problems") {
		t.Errorf("verify: exit %d\n%s%s", code, out, errOut)
	}
	for _, c := range bulk.Codes {
		code, out, _ := hoso("show", "--json", "--no-text", c)
		var d struct {
			Version   int
			Documents []struct {
				Original struct{ Filename string }
				Pages    []struct{ Number int }
			}
		}
		if code != exitOK || json.Unmarshal([]byte(out), &d) != nil {
			t.Fatalf("show %s: exit %d\n%s", c, code, out)
		}
		pages, names := 0, map[string]bool{}
		for _, doc := range d.Documents {
			names[doc.Original.Filename] = true
			for i, p := range doc.Pages {
				if p.Number != i+1 {
					t.Errorf("%s %s: page %d numbered %d", c, doc.Original.Filename, i+1, p.Number)
				}
			}
			pages += len(doc.Pages)
		}
		if len(d.Documents) != bulk.Files[c] || len(names) != bulk.Files[c] || pages != bulk.Pages[c] {
			t.Errorf("%s v%d: %d documents (%d names), %d pages; want %d documents, %d pages", c, d.Version, len(d.Documents), len(names), pages, bulk.Files[c], bulk.Pages[c])
		}
	}
	code, out, errOut := hoso("reindex", "--check", "--json")
	var h struct {
		OK         bool
		IndexPages int
	}
	if code != exitOK || json.Unmarshal([]byte(out), &h) != nil || !h.OK || h.IndexPages != bulk.Total {
		t.Errorf("index check: exit %d, want %d pages in sync\n%s%s", code, bulk.Total, out, errOut)
	}
}

func countTexts(t *testing.T, data string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(filepath.Join(data, "objects", "pages"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") && !strings.Contains(filepath.Base(p), "run-") {
			n++
		}
		return nil
	})
	return n
}

// bulkQueries are searches over a bulk job: each subject's name typed
// without diacritics, phrases, prefixes, fuzzy words, fields and filters.
func bulkQueries(bulk *samples.Bulk) []string {
	qs := []string{"trang 2", "khen thuong", "\"Độc lập - Tự do\"", "lý lịch", "quyet dinh bo nhiem", "code:" + bulk.Codes[0][:7] + "*",
		"thanh~", "tai lieu 1", "kind:cv date:>2011", "nguy*", "-trang ho va ten", "unit:\"Sở Nội vụ\""}
	for _, c := range bulk.Codes {
		qs = append(qs, faulttest.Fold(bulk.Names[c]), "code:"+c)
	}
	return qs
}

// compareSearches runs every query over both data folders and compares the
// normalized results.
func compareSearches(t *testing.T, bin, a, b string, queries []string) {
	t.Helper()
	matched := 0
	for _, q := range queries {
		var outs [2]string
		for i, data := range []string{a, b} {
			code, out, errOut := cli(t, data, "search", "--json", "--limit", "50", "--hits", "10", "--clearance", "top-secret", "--", q)
			if code != exitOK {
				t.Fatalf("search %q in %s: exit %d\n%s", q, data, code, errOut)
			}
			n, err := faulttest.NormalizeSearch([]byte(out))
			if err != nil {
				t.Fatal(err)
			}
			outs[i] = n
		}
		if outs[0] != outs[1] {
			t.Errorf("search %q differs after the kills:\n--- killed and resumed\n%s\n--- uninterrupted\n%s", q, outs[0], outs[1])
		}
		if !strings.Contains(outs[0], `"total": 0,`) {
			matched++
		}
	}
	t.Logf("%d queries compared, %d with results", len(queries), matched)
	if matched < len(queries)/2 {
		t.Errorf("only %d of %d queries found anything: the comparison says little", matched, len(queries))
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// summaryOf returns the summary lines of hoso ingest's output.
func summaryOf(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "dossiers:") || strings.HasPrefix(l, "pages:") {
			keep = append(keep, l)
		}
	}
	return fmt.Sprint(keep)
}
