package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stratadb/strata/engine"
)

// TestCLIAdviceCoversEveryAdvice checks that each engine advice has CLI
// words with the same slots, and that a message holding the engine's
// phrase, values filled in, comes out with the CLI's phrase and the same
// values.
func TestCLIAdviceCoversEveryAdvice(t *testing.T) {
	slots := regexp.MustCompile(`%[sd]`)
	for a := engine.AdviceOutOfOrder; a.String() != ""; a++ {
		cli, ok := cliAdvice[a]
		if !ok {
			t.Errorf("advice %d (%q) has no CLI words", a, a)
			continue
		}
		lib := a.String()
		if got, want := slots.FindAllString(cli, -1), slots.FindAllString(lib, -1); strings.Join(got, "") != strings.Join(want, "") {
			t.Errorf("advice %q: CLI words %q have slots %v, want %v", lib, cli, got, want)
			continue
		}
		var args []any
		for i, s := range slots.FindAllString(lib, -1) {
			if s == "%d" {
				args = append(args, 40+i)
			} else {
				args = append(args, fmt.Sprintf(`"v%d"`, i))
			}
		}
		msg := "before: " + fmt.Sprintf(lib, args...) + " :after"
		want := "before: " + fmt.Sprintf(cli, args...) + " :after"
		if got := cliWords(msg); got != want {
			t.Errorf("cliWords(%q)\n got %q\nwant %q", msg, got, want)
		}
	}
}

func TestCLIWordsLeavesOtherTextAlone(t *testing.T) {
	for _, s := range []string{"", "plain text", "undo to", "tenant filter: ", "ignore it with WithIgnorePatterns"} {
		if got := cliWords(s); got != s {
			t.Errorf("cliWords(%q) = %q, want it unchanged", s, got)
		}
	}
}
