package index

import (
	"errors"

	vlev "github.com/blevesearch/vellum/levenshtein"
	vregexp "github.com/blevesearch/vellum/regexp"
)

// tooComplex reports an error of building the automaton of a wildcard or
// fuzzy word that is too long or intricate (vellum's state limit): the
// query's fault, not the index's.
func tooComplex(err error) bool {
	return errors.Is(err, vregexp.ErrTooManyStates) || errors.Is(err, vlev.ErrTooManyStates)
}
