package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hoso/archive"
	"hoso/domain"
)

// box is a word's box for the alignment tests.
type box struct{ x0, y0, x1, y1 int }

func boxOf(w domain.Word) box { return box{w.X0, w.Y0, w.X1, w.Y1} }

func TestAlignWords(t *testing.T) {
	base := ocrOf("Họ và tên Nguyễn Văn Thành\nquê quán Nghệ An", 50).Words
	b := func(i int) box { return boxOf(base[i]) }
	tests := []struct {
		name string
		text string
		want []box // per word of text
	}{
		{"unchanged", "Họ và tên Nguyễn Văn Thành\nquê quán Nghệ An", []box{b(0), b(1), b(2), b(3), b(4), b(5), b(6), b(7), b(8), b(9)}},
		{"one word replaced", "Họ và tên Nguyễn Văn Thanh\nquê quán Nghệ An", []box{b(0), b(1), b(2), b(3), b(4), b(5), b(6), b(7), b(8), b(9)}},
		{"two replaced, spacing changed", "Họ  và tên Nguyễn Văn Thành\n\nquê quán Hà Tĩnh", []box{b(0), b(1), b(2), b(3), b(4), b(5), b(6), b(7), b(8), b(9)}},
		{"word deleted", "Họ và tên Nguyễn Thành\nquê quán Nghệ An", []box{b(0), b(1), b(2), b(3), b(5), b(6), b(7), b(8), b(9)}},
		{"join", "Họ và tên NguyễnVăn Thành\nquê quán Nghệ An", []box{b(0), b(1), b(2), {b(3).x0, b(3).y0, b(4).x1, b(4).y1}, b(5), b(6), b(7), b(8), b(9)}},
		{"split", "Họ và tên Nguyễn Văn Thành\nquê quán Ng hệ An", []box{b(0), b(1), b(2), b(3), b(4), b(5), b(6), b(7),
			{b(8).x0, b(8).y0, b(8).x0 + (b(8).x1-b(8).x0)*2/4, b(8).y1}, {b(8).x0 + (b(8).x1-b(8).x0)*2/4, b(8).y0, b(8).x1, b(8).y1}, b(9)}},
		{"inserted between words on a line", "Họ và tên ông Nguyễn Văn Thành\nquê quán Nghệ An", []box{b(0), b(1), b(2), {b(2).x1, b(2).y0, b(3).x0, b(2).y1}, b(3), b(4), b(5), b(6), b(7), b(8), b(9)}},
		{"appended at the end", "Họ và tên Nguyễn Văn Thành\nquê quán Nghệ An xyz", []box{b(0), b(1), b(2), b(3), b(4), b(5), b(6), b(7), b(8), b(9), b(9)}},
		{"empty", "", nil},
	}
	for _, tc := range tests {
		got := alignWords(base, tc.text)
		toks := tokenize(tc.text)
		if len(got) != len(tc.want) || len(got) != len(toks) {
			t.Errorf("%s: %d words, want %d", tc.name, len(got), len(tc.want))
			continue
		}
		for i, w := range got {
			if w.Text != toks[i].text || w.Start != toks[i].start || tc.text[w.Start:w.Start+len(w.Text)] != w.Text {
				t.Errorf("%s: word %d = %q at %d", tc.name, i, w.Text, w.Start)
			}
			if boxOf(w) != tc.want[i] {
				t.Errorf("%s: word %d %q box %v, want %v", tc.name, i, w.Text, boxOf(w), tc.want[i])
			}
		}
	}
}

func TestAlignWordsLargeRewrite(t *testing.T) {
	var a, b strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&a, "w%d ", i)
		fmt.Fprintf(&b, "v%d ", i)
	}
	base := ocrOf(a.String(), 80).Words
	got := alignWords(base, b.String())
	if len(got) != 3000 || boxOf(got[0]) != boxOf(base[0]) || boxOf(got[2999]) != boxOf(base[2999]) {
		t.Errorf("wholesale rewrite: %d words, first %v last %v", len(got), got[0], got[len(got)-1])
	}
}

// TestCorrection stores a correction beside the machine text and finds the
// page by the corrected word, with the replaced word's box.
func TestCorrection(t *testing.T) {
	e := newEnv(t, envOptions{})
	arch := e.as("arch")
	path := pagePath("HS-PUB", "d1", 1)
	var before PageView
	arch.get(path, &before)
	text := "Họ và tên Nguyễn Văn Thành\nquê quán Hà Tĩnh"
	code, body, _ := arch.do("PUT", path+"/text", map[string]any{"text": text + "\r\n", "base": before.TextID})
	if code != http.StatusOK {
		t.Fatalf("correct: %d %s", code, body)
	}
	var after PageView
	arch.get(path, &after)
	if after.Text != text || after.Source != "correction" || after.CreatedBy != "arch" || !strings.HasPrefix(after.TextID, "corr-") ||
		len(after.TextVersions) != 2 || !after.TextVersions[1].Current || after.TextVersions[0].ID != before.TextID {
		t.Fatalf("after correction: %+v", after)
	}
	if !domainHas(after.Flags, domain.FlagCorrected) {
		t.Errorf("flags %v", after.Flags)
	}
	// the machine text is still there, unchanged
	var machine PageView
	arch.get(path+"?version="+before.TextID, &machine)
	if machine.Text != before.Text || machine.Current || machine.Source != "ocr" {
		t.Errorf("machine version: %+v", machine)
	}
	d, _ := e.arch.Load(context.Background(), "HS-PUB")
	sha := d.Documents[0].Original.SHA256
	if ok, _ := e.arch.Exists(context.Background(), archive.TextKey(sha, 1, before.TextID)); !ok {
		t.Error("machine text object gone")
	}

	// searchable at once by the corrected word, with the box of "An"
	var res SearchResult
	arch.get("/api/v1/search?q="+url.QueryEscape("Tĩnh"), &res)
	if res.Total != 1 || len(res.Dossiers[0].Hits) != 1 {
		t.Fatalf("search Tĩnh: %+v", res)
	}
	hit := res.Dossiers[0].Hits[0]
	an := before.Words[9]
	if len(hit.Boxes) != 1 || hit.Boxes[0].Text != "Tĩnh" || hit.Boxes[0].X0 != an.X0 || hit.Boxes[0].Y0 != an.Y0 || hit.Boxes[0].X1 != an.X1 {
		t.Errorf("hit boxes %+v, want the box of %+v", hit.Boxes, an)
	}
	arch.get("/api/v1/search?q="+url.QueryEscape("Nghệ"), &res)
	if res.Total != 0 {
		t.Errorf("the replaced word still matches: %+v", res)
	}

	// a correction from a stale base is refused
	code, body, _ = arch.do("PUT", path+"/text", map[string]any{"text": "x", "base": before.TextID})
	if code != http.StatusConflict {
		t.Errorf("stale base: %d %s", code, body)
	}
	code, body, _ = arch.do("PUT", path+"/text", map[string]any{"text": strings.Repeat("x", MaxCorrectionBytes+1)})
	if code != http.StatusBadRequest {
		t.Errorf("too long: %d %.100s", code, body)
	}
}

func domainHas(flags []string, f string) bool {
	for _, x := range flags {
		if x == f {
			return true
		}
	}
	return false
}

// TestReviewQueue lists low-confidence pages, lowest first, within
// clearance, and drops a page once corrected.
func TestReviewQueue(t *testing.T) {
	e := newEnv(t, envOptions{})
	key := func(p *ReviewPage) string {
		var s []string
		for _, it := range p.Items {
			s = append(s, fmt.Sprintf("%s/%s/%d@%.0f", it.Code, it.DocumentID, it.Page, it.MeanConfidence))
		}
		return strings.Join(s, " ")
	}
	tests := []struct{ user, want string }{
		{"admin", "HS-TS/d1/1@20 HS-CONF/d1/1@30 HS-PUB/d1/2@40"},
		{"arch", "HS-CONF/d1/1@30 HS-PUB/d1/2@40"},
		{"archpub", "HS-PUB/d1/2@40"},
	}
	for _, tc := range tests {
		var p ReviewPage
		e.as(tc.user).get("/api/v1/review", &p)
		if key(&p) != tc.want || p.Total != strings.Count(tc.want, "@") {
			t.Errorf("%s: %q (total %d), want %q", tc.user, key(&p), p.Total, tc.want)
		}
	}
	var p ReviewPage
	e.as("admin").get("/api/v1/review?offset=1&limit=1", &p)
	if key(&p) != "HS-CONF/d1/1@30" || p.Total != 3 {
		t.Errorf("paged: %q", key(&p))
	}
	// a correction takes the page off the queue; a commit by another
	// process adds one (read from the journal)
	e.as("arch").do("PUT", pagePath("HS-CONF", "d1", 1)+"/text", map[string]any{"text": "Quyết định tiếp nhận"})
	commitSeed(t, archive.New(e.store), seedDossier{"HS-NEW", "Đỗ Văn Mới", "", domain.Public, []seedDoc{{"d1", "cv", "", []seedPage{{"mờ", 10}}}}})
	e.as("arch").get("/api/v1/review", &p)
	if key(&p) != "HS-NEW/d1/1@10 HS-PUB/d1/2@40" {
		t.Errorf("after changes: %q", key(&p))
	}
	if code, _, _ := e.as("arch").do("GET", "/api/v1/review?limit=100000", nil); code != http.StatusBadRequest {
		t.Errorf("limit too large: %d", code)
	}
}
