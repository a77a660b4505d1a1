package engine

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestMessagesSpeakLibraryWords fails when a string literal in the engine
// names a CLI flag, command or strata.hcl attribute: the CLI adds its own
// words when it renders (RewriteAdvice), a library user has none of them.
func TestMessagesSpeakLibraryWords(t *testing.T) {
	cliWords := []string{"--placeholder", "--tenant", "--target", "--table", "--from-flyway", "--to ", "--version",
		"hotfixes =", "hotfixes,", "out_of_order", "ignore_migration_patterns", "baseline_on_migrate", "baseline_version",
		"strata baseline", "strata clean", "strata repair", "strata.hcl", "the env's", "in the env"}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			for _, w := range cliWords {
				if strings.Contains(s, w) {
					t.Errorf("%s: string %q names %q, a CLI word: say it in the library's terms and add the CLI's words in cmd/strata/advice.go", fset.Position(lit.Pos()), s, w)
				}
			}
			return true
		})
	}
}

func TestRewriteAdviceFillsSlots(t *testing.T) {
	words := func(a Advice) (string, bool) {
		if a == AdviceTenantFilter {
			return "TENANTS %s COUNT %d", true
		}
		return "", false
	}
	msg := "x " + advise(AdviceTenantFilter, "a, b", 7) + " y\n" + advise(AdviceRemoveTenant)
	want := "x TENANTS a, b COUNT 7 y\n" + AdviceRemoveTenant.String()
	if got := RewriteAdvice(msg, words); got != want {
		t.Errorf("RewriteAdvice = %q, want %q", got, want)
	}
}
