package index

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"hoso/domain"
)

// searchCase is one entry of testdata/searches.json.
type searchCase struct {
	Name      string   `json:"name"`
	Query     string   `json:"query"`
	Clearance string   `json:"clearance"` // default top-secret
	Sort      string   `json:"sort"`
	Offset    int      `json:"offset"`
	Limit     int      `json:"limit"`
	Codes     []string `json:"codes"` // exact dossier order
	Set       []string `json:"set"`   // dossiers in any order
	First     []string `json:"first"` // the first len(First) dossiers, any order
	Total     int      `json:"total"`
	Count     int      `json:"count"`
	Fuzzy     bool     `json:"fuzzy"`
	Error     string   `json:"error"`
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}

func TestSearches(t *testing.T) {
	ix, _ := fixtureIndex(t)
	b, err := os.ReadFile("testdata/searches.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []searchCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			cl := domain.TopSecret
			if c.Clearance != "" {
				cl = domain.Classification(c.Clearance)
			}
			res, err := ix.Search(context.Background(), Request{Query: c.Query, Clearance: cl, Sort: c.Sort, Offset: c.Offset, Limit: c.Limit})
			if c.Error != "" {
				if err == nil || !strings.Contains(err.Error(), c.Error) {
					t.Fatalf("Search(%q) error %v, want one containing %q", c.Query, err, c.Error)
				}
				return
			}
			if err != nil {
				t.Fatalf("Search(%q): %v", c.Query, err)
			}
			got := codes(res)
			if c.Codes != nil && !reflect.DeepEqual(got, c.Codes) {
				t.Errorf("Search(%q) = %v, want %v", c.Query, got, c.Codes)
			}
			if c.Set != nil && !reflect.DeepEqual(sorted(got), sorted(c.Set)) {
				t.Errorf("Search(%q) = %v, want (any order) %v", c.Query, got, c.Set)
			}
			if n := len(c.First); n > 0 && (len(got) < n || !reflect.DeepEqual(sorted(got[:n]), sorted(c.First))) {
				t.Errorf("Search(%q) = %v, want first %v", c.Query, got, c.First)
			}
			want := c.Total
			if want == 0 && c.Offset == 0 && c.Codes != nil {
				want = len(c.Codes)
			}
			if want == 0 && c.Set != nil {
				want = len(c.Set)
			}
			if (c.Codes != nil || c.Set != nil || c.Total > 0) && res.Total != want {
				t.Errorf("Search(%q) total %d, want %d", c.Query, res.Total, want)
			}
			if c.Count > 0 && len(got) != c.Count {
				t.Errorf("Search(%q) returned %d dossiers, want %d", c.Query, len(got), c.Count)
			}
			if res.Fuzzy != c.Fuzzy {
				t.Errorf("Search(%q) fuzzy %v, want %v", c.Query, res.Fuzzy, c.Fuzzy)
			}
		})
	}
}

func TestSearchErrorsAreSentinels(t *testing.T) {
	ix, _ := fixtureIndex(t)
	ctx := context.Background()
	if _, err := ix.Search(ctx, Request{Query: `"open`, Clearance: domain.Public}); !errors.Is(err, ErrQuery) {
		t.Errorf("unterminated phrase: %v, want ErrQuery", err)
	}
	for _, cl := range []domain.Classification{"", "bogus"} {
		if _, err := ix.Search(ctx, Request{Query: "thanh", Clearance: cl}); !errors.Is(err, ErrClearance) {
			t.Errorf("clearance %q: %v, want ErrClearance", cl, err)
		}
	}
}
