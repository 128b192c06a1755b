package web

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"hoso/audit"
	"hoso/auth"
	"hoso/domain"
	"hoso/index"
	"hoso/jobs"
)

// verbs counts the fmt verbs of a message.
var verbs = regexp.MustCompile(`%[-+# 0]*[0-9]*[a-zA-Z%]`)

// TestMessagesComplete checks the two tables against each other and
// against every key the templates and handlers use.
func TestMessagesComplete(t *testing.T) {
	vi, en := Languages[0], Languages[1]
	for _, pair := range [][2]*Lang{{vi, en}, {en, vi}} {
		for k, v := range pair[0].msgs {
			w, ok := pair[1].msgs[k]
			if !ok {
				t.Errorf("%q is in the %s table, not in the %s one", k, pair[0].Code, pair[1].Code)
				continue
			}
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s %q is empty", pair[0].Code, k)
			}
			if a, b := verbs.FindAllString(v, -1), verbs.FindAllString(w, -1); !slices.Equal(a, b) {
				t.Errorf("%q: %s has verbs %q, %s has %q", k, pair[0].Code, a, pair[1].Code, b)
			}
		}
	}
	for _, key := range usedKeys(t) {
		for _, l := range Languages {
			if !l.Has(key) {
				t.Errorf("%q is used but missing from the %s table", key, l.Code)
			}
		}
	}
}

// usedKeys lists the keys the code uses: literal keys in templates and Go
// files, and every value of the key families built at run time.
func usedKeys(t *testing.T) []string {
	t.Helper()
	var keys []string
	files, err := templateFiles()
	if err != nil {
		t.Fatal(err)
	}
	goFiles, _ := filepath.Glob("*.go")
	literal := regexp.MustCompile(`(?:\.T|T\()\s*"([a-z_.-]+)"`)
	for _, f := range files {
		b, err := templateFS.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, m[1])
		}
	}
	flash := regexp.MustCompile(`flash=([a-z_]+)`)
	for _, f := range goFiles {
		if strings.HasSuffix(f, "_test.go") || strings.HasPrefix(f, "i18n_") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			if !strings.HasSuffix(m[1], ".") { // a prefix of a family, below
				keys = append(keys, m[1])
			}
		}
		for _, m := range flash.FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, "flash."+m[1])
		}
	}
	family := func(prefix string, values ...string) {
		for _, v := range values {
			keys = append(keys, prefix+v)
		}
	}
	for _, k := range domain.DocumentKinds {
		family("kind.", string(k))
	}
	for _, c := range domain.Classifications {
		family("class.", string(c))
	}
	for _, r := range auth.Roles {
		family("role.", string(r))
	}
	family("flag.", domain.FlagBlank, domain.FlagLowResolution, domain.FlagSkewed, domain.FlagRotated,
		domain.FlagLowConfidence, domain.FlagTextLayer, domain.FlagCorrected, domain.FlagOrientationTag)
	family("state.", string(jobs.StateQueued), string(jobs.StateRunning), string(jobs.StateDone), string(jobs.StateFailed),
		string(jobs.StateInterrupted))
	family("jobkind.", string(jobs.KindUpload), string(jobs.KindIngest))
	family("dstate.", jobs.DossierPending, jobs.DossierCommitted, jobs.DossierUnchanged, jobs.DossierFailed)
	family("outcome.", audit.OutcomeOK, audit.OutcomeDenied, audit.OutcomeError, audit.OutcomeNotFound)
	family("sort.", sorts...)
	family("facet.", facetOrder...)
	family("facet.", index.FacetUnit, index.FacetKind, index.FacetClassification, index.FacetBirthDecade, index.FacetDocYear)
	family("source.", "ocr", "text-layer", "blank", "correction")
	family("version.", "machine", "correction")
	family("error.", "not_found", "forbidden", "csrf", "unauthenticated", "rate_limited", "invalid", "bad_query",
		"conflict", "too_large", "unsupported_media_type", "audit_unavailable", "unavailable", "internal")
	family("field.", "code", "full_name", "birth_date", "hometown", "unit", "classification", "name", "password")
	return keys
}

func TestLangFallback(t *testing.T) {
	if got := Languages[0].T("no.such.key"); got != "⟦no.such.key⟧" {
		t.Errorf("missing key gives %q", got)
	}
	d, _ := domain.ParseDate("2019-05-02")
	if got := Languages[0].Date(d); got != "02/05/2019" {
		t.Errorf("vi date %q", got)
	}
	if got := Languages[1].Date(d); got != "2 May 2019" {
		t.Errorf("en date %q", got)
	}
	if got := Languages[0].Date(domain.Date{}); got != "" {
		t.Errorf("zero date %q", got)
	}
}
