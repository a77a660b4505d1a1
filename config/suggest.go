package config

import (
	"fmt"
	"strings"

	"github.com/agext/levenshtein"
)

// suggest returns the candidate closest to given, or "" when none is close:
// a case-insensitive match, else the first within an edit distance of 2 (the
// threshold HCL uses for its own suggestions).
func suggest(given string, candidates []string) string {
	for _, c := range candidates {
		if strings.EqualFold(c, given) {
			return c
		}
	}
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := levenshtein.Distance(given, c, nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// didYouMean is " Did you mean "x"?" or "".
func didYouMean(given string, candidates []string) string {
	if s := suggest(given, candidates); s != "" {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}
