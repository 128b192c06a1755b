package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type searchJSON struct {
	Total    int `json:"total"`
	Dossiers []struct {
		Code string `json:"code"`
		Hits []struct {
			Page     int      `json:"page"`
			Snippets []string `json:"snippets"`
		} `json:"hits"`
	} `json:"dossiers"`
	Facets map[string][]struct {
		Value string `json:"value"`
		Count int    `json:"count"`
	} `json:"facets"`
}

func searchCLI(t *testing.T, data string, args ...string) searchJSON {
	t.Helper()
	code, out, errOut := cli(t, data, append([]string{"search", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("search %v: exit %d\n%s", args, code, errOut)
	}
	var r searchJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("search %v: %v\n%s", args, err, out)
	}
	return r
}

// TestCLISearchReindex: ingest indexes; search folds diacritics and honours
// clearance; a deleted index is detected, rebuilt by reindex, and answers
// as before.
func TestCLISearchReindex(t *testing.T) {
	data, in := t.TempDir(), t.TempDir()
	tinyDossier(t, in, "HS-200", nil)
	secret := filepath.Join(in, "HS-201")
	tinyDossier(t, in, "HS-201", nil)
	meta, _ := os.ReadFile(filepath.Join(secret, "dossier.json"))
	os.WriteFile(filepath.Join(secret, "dossier.json"), []byte(strings.Replace(string(meta), `"public"`, `"secret"`, 1)), 0o644)
	if code, out, errOut := cli(t, data, "ingest", in); code != 0 {
		t.Fatalf("ingest: %d\n%s%s", code, out, errOut)
	}
	all := searchCLI(t, data, "--clearance", "secret", "--no-sync", "dang thi yen")
	if all.Total != 2 || len(all.Dossiers[0].Hits) == 0 || !strings.Contains(all.Dossiers[0].Hits[0].Snippets[0], "<mark>Đặng</mark>") {
		t.Fatalf("secret clearance: %+v", all)
	}
	pub := searchCLI(t, data, "--clearance", "public", "--no-sync", "dang thi yen")
	if pub.Total != 1 || pub.Dossiers[0].Code != "HS-200" {
		t.Fatalf("public clearance: %+v", pub)
	}
	for _, f := range pub.Facets["classification"] {
		if f.Value == "secret" {
			t.Fatalf("public facets show a secret dossier: %+v", pub.Facets)
		}
	}
	// class: filters as the classification facet counts; a level above
	// the clearance finds nothing, without an error
	if r := searchCLI(t, data, "--clearance", "secret", "--no-sync", "dang thi yen class:secret"); r.Total != 1 || r.Dossiers[0].Code != "HS-201" {
		t.Errorf("class:secret at secret: %+v", r)
	}
	if r := searchCLI(t, data, "--clearance", "secret", "--no-sync", "dang thi yen -class:secret"); r.Total != 1 || r.Dossiers[0].Code != "HS-200" {
		t.Errorf("-class:secret at secret: %+v", r)
	}
	if r := searchCLI(t, data, "--clearance", "public", "--no-sync", "class:secret"); r.Total != 0 || len(r.Facets["classification"]) != 0 {
		t.Errorf("class:secret at public: %+v", r)
	}
	if code, _, errOut := cli(t, data, "search", "--no-sync", "class:restricted"); code == 0 || !strings.Contains(errOut, "unknown classification") {
		t.Errorf("class:restricted: %d %s", code, errOut)
	}
	if code, _, errOut := cli(t, data, "search", "--clearance", "nobody", "x"); code != exitUsage && code != exitError || !strings.Contains(errOut, "clearance") {
		t.Errorf("bad clearance: %d %s", code, errOut)
	}

	// Lose the index: check says so, reindex restores the same answers.
	if err := os.RemoveAll(filepath.Join(data, "index")); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := cli(t, data, "reindex", "--check"); code != exitPartial {
		t.Fatalf("check of a lost index: exit %d\n%s", code, out)
	}
	if code, out, errOut := cli(t, data, "reindex"); code != 0 {
		t.Fatalf("reindex: %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := cli(t, data, "reindex", "--check"); code != 0 {
		t.Fatalf("check after reindex: exit %d\n%s", code, out)
	}
	again := searchCLI(t, data, "--clearance", "secret", "--no-sync", "dang thi yen")
	a, _ := json.Marshal(all)
	b, _ := json.Marshal(again)
	if string(a) != string(b) {
		t.Fatalf("after reindex:\n%s\nbefore:\n%s", b, a)
	}
}
