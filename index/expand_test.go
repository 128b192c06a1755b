package index

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	bindex "github.com/blevesearch/bleve_index_api"
)

// TestExpandAllAsBleve checks the engine's expansion of fuzzy and prefix
// words (one automaton per word, the segments read in parallel) against
// bleve's own over the same snapshot: the same terms, in the same order,
// with the same boosts (1/(edit distance+1) for fuzzy words), on an index
// of several segments; and the limit on the terms of an expansion.
func TestExpandAllAsBleve(t *testing.T) {
	ix := openTestIndex(t, t.TempDir())
	indexCorpus(t, ix, 60, 15)
	_, snap, done, err := ix.engineSnapshot("test")
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	if len(snap.segs) < 2 {
		t.Fatalf("%d segments: the test needs several", len(snap.segs))
	}
	fr, ok := snap.reader.(bindex.IndexReaderFuzzy)
	if !ok {
		t.Fatal("the snapshot's reader does not expand fuzzy words")
	}
	type word struct {
		field, term string
		fuzzy       int
		prefix      bool
	}
	words := []word{
		{fText, "thanh", 1, false}, {fText, "thanh", 2, false}, {fText, "nguyen", 1, false},
		{fText, "khuyen", 2, false}, {fName, "tran", 1, false}, {fTitle, "bao", 1, false},
		{fText, "zzzzqq", 1, false}, {fText, "th", 0, true}, {fText, "nguy", 0, true},
		{fName, "v", 0, true}, {fText, "qqqq", 0, true},
	}
	nonEmpty := 0
	for _, w := range words {
		n := &node{kind: nExpand, field: w.field, term: w.term, fuzzy: w.fuzzy, prefix: w.prefix, boost: 1.5}
		root := &node{kind: nAny, kids: []*node{n}}
		if err := snap.expandAll(context.Background(), root); err != nil {
			t.Fatalf("%+v: %v", w, err)
		}
		var got []string
		for _, k := range n.kids {
			got = append(got, fmt.Sprintf("%s %.4f", k.term, k.boost))
		}
		var fd bindex.FieldDict
		if w.prefix {
			fd, err = snap.reader.FieldDictPrefix(w.field, []byte(w.term))
		} else {
			fd, _, err = fr.FieldDictFuzzyAutomaton(w.field, w.term, w.fuzzy, "")
		}
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for {
			e, err := fd.Next()
			if err != nil {
				t.Fatal(err)
			}
			if e == nil {
				break
			}
			b := 1.5
			if !w.prefix {
				b /= float64(e.EditDistance) + 1
			}
			want = append(want, fmt.Sprintf("%s %.4f", e.Term, b))
		}
		fd.Close()
		if n.kind != nAny || !reflect.DeepEqual(got, want) {
			t.Errorf("%+v: expanded to %v, bleve to %v", w, got, want)
		}
		if len(want) > 0 {
			nonEmpty++
		}
	}
	if nonEmpty < 6 {
		t.Fatalf("only %d words expanded to something: the test checks too little", nonEmpty)
	}
	// a word that expands to more than maxExpansion terms is the query's fault
	n := &node{kind: nExpand, field: fText, term: "", prefix: true, boost: 1}
	if err := snap.expandAll(context.Background(), n); !errors.Is(err, ErrQuery) {
		t.Errorf("a prefix matching every word: %v, want ErrQuery", err)
	}
}
