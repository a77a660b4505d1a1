package main

import (
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestEveryCommandHasWorkingExamples checks that each command shows
// examples, and that every example names this command and only flags it
// has: an example that drifted from the flags fails here.
func TestEveryCommandHasWorkingExamples(t *testing.T) {
	a := &app{stdout: io.Discard, stderr: io.Discard}
	root := a.rootCommand()
	for _, c := range root.Commands() {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" || c.Name() == "version" {
			continue
		}
		t.Run(c.Name(), func(t *testing.T) {
			if strings.TrimSpace(c.Example) == "" {
				t.Fatalf("strata %s has no Example", c.Name())
			}
			for _, line := range strings.Split(c.Example, "\n") {
				line, _, _ = strings.Cut(line, "#")
				words := strings.Fields(line)
				if len(words) < 2 || words[0] != "strata" {
					t.Errorf("example %q does not start with strata", line)
					continue
				}
				found, args, err := root.Find(words[1:])
				if err != nil || found != c {
					t.Errorf("example %q runs %v, not strata %s", line, found.Name(), c.Name())
					continue
				}
				checkFlags(t, line, found, args)
			}
		})
	}
}

func checkFlags(t *testing.T, line string, c *cobra.Command, args []string) {
	t.Helper()
	for _, w := range args {
		if !strings.HasPrefix(w, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(w, "-"), "=")
		var ok bool
		if strings.HasPrefix(w, "--") {
			ok = c.Flags().Lookup(name) != nil || c.InheritedFlags().Lookup(name) != nil
		} else {
			ok = c.Flags().ShorthandLookup(name) != nil || c.InheritedFlags().ShorthandLookup(name) != nil
		}
		if !ok {
			t.Errorf("example %q: strata %s has no flag %s", line, c.Name(), w)
		}
	}
}
