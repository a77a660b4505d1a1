package engine

import (
	"fmt"
	"strings"
)

// ignorePattern is one of Flyway's ignoreMigrationPatterns: type:state.
type ignorePattern struct {
	kind  string // "versioned", "repeatable", "*"
	state string // "missing", "pending", "ignored", "future", "*"
}

func parseIgnorePatterns(patterns []string) ([]ignorePattern, error) {
	var out []ignorePattern
	for _, raw := range patterns {
		for _, p := range strings.Split(raw, ",") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			kind, state, ok := strings.Cut(strings.ToLower(p), ":")
			if !ok {
				return nil, fmt.Errorf("ignore pattern %q: want type:state, e.g. *:missing", p)
			}
			switch kind {
			case "versioned", "repeatable", "*":
			default:
				return nil, fmt.Errorf("ignore pattern %q: type must be versioned, repeatable or *", p)
			}
			switch state {
			case "missing", "pending", "ignored", "future", "*":
			default:
				return nil, fmt.Errorf("ignore pattern %q: state must be missing, pending, ignored, future or *", p)
			}
			out = append(out, ignorePattern{kind: kind, state: state})
		}
	}
	return out, nil
}

// ignored reports whether an entry in state st matches a pattern. As in
// Flyway, "missing" matches Missing but not Failed (Missing).
func ignored(patterns []ignorePattern, e *Entry, st State) bool {
	kind := "versioned"
	if e.Category == CategoryRepeatable {
		kind = "repeatable"
	}
	for _, p := range patterns {
		if p.kind != "*" && p.kind != kind {
			continue
		}
		if p.state == "*" || strings.EqualFold(p.state, string(st)) {
			return true
		}
	}
	return false
}
