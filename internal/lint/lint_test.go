package lint_test

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/stratadb/strata/internal/lint"
	"github.com/stratadb/strata/internal/pgsql"
	"github.com/stratadb/strata/locations"
	"github.com/stratadb/strata/placeholders"
)

var update = flag.Bool("update", false, "rewrite the want section of the golden files")

// file reads the directives of a script as Collect does and returns it as
// lint's input.
func file(t testing.TB, path, text string) lint.File {
	t.Helper()
	d, err := locations.ParseDirectives(path, []byte(text), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return lint.File{Path: path, Text: text, Transactional: d.Transaction, LockTimeout: d.LockTimeout, Ignore: d.LintIgnore}
}

func render(fs []lint.Finding, rule string) string {
	var b strings.Builder
	for _, f := range fs {
		if f.Rule == rule {
			b.WriteString(f.String() + "\n")
		}
	}
	return b.String()
}

// TestRules runs each rule's golden file: positive.sql gives the findings
// in want (and at least one), negative.sql none of that rule.
func TestRules(t *testing.T) {
	paths, _ := filepath.Glob("testdata/rules/*.txtar")
	seen := map[string]bool{}
	for _, p := range paths {
		rule := strings.TrimSuffix(filepath.Base(p), ".txtar")
		seen[rule] = true
		t.Run(rule, func(t *testing.T) {
			ar, err := txtar.ParseFile(p)
			if err != nil {
				t.Fatal(err)
			}
			files := map[string]string{}
			for _, f := range ar.Files {
				files[f.Name] = string(f.Data)
			}
			pos, err := lint.Lint([]lint.File{file(t, "positive.sql", files["positive.sql"])}, lint.Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := render(pos, rule)
			if got == "" {
				t.Errorf("positive.sql: no %s finding", rule)
			}
			neg, err := lint.Lint([]lint.File{file(t, "negative.sql", files["negative.sql"])}, lint.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if n := render(neg, rule); n != "" {
				t.Errorf("negative.sql: %s", n)
			}
			if *update {
				ar.Files = slices.DeleteFunc(ar.Files, func(f txtar.File) bool { return f.Name == "want" })
				ar.Files = append(ar.Files, txtar.File{Name: "want", Data: []byte(got)})
				if err := os.WriteFile(p, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != files["want"] {
				t.Errorf("positive.sql findings differ (go test -update rewrites want):\n--- got\n%s--- want\n%s", got, files["want"])
			}
		})
	}
	for _, r := range lint.Rules {
		if !seen[r.ID] {
			t.Errorf("rule %s has no testdata/rules/%s.txtar", r.ID, r.ID)
		}
	}
}

// TestIgnore turns rules off per file and per env.
func TestIgnore(t *testing.T) {
	src := "-- strata:lint-ignore=index-not-concurrent\nCREATE INDEX i ON t (a);\nLOCK TABLE t;\n"
	fs, err := lint.Lint([]lint.File{file(t, "V1__x.sql", src)}, lint.Options{Disabled: []string{"lock-table"}, LockTimeout: "5s"})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 0 {
		t.Fatalf("findings despite lint-ignore and Disabled: %v", fs)
	}
	if u := lint.UnknownRules([]string{"lock-table", "no-such-rule"}); !slices.Equal(u, []string{"no-such-rule"}) {
		t.Fatalf("UnknownRules = %v", u)
	}
}

// TestAcrossFiles: a table created by an earlier file is new.
func TestAcrossFiles(t *testing.T) {
	fs, err := lint.Lint([]lint.File{
		file(t, "V1__a.sql", "CREATE TABLE a (id int);"),
		file(t, "V2__b.sql", "CREATE INDEX a_id ON a (id);"),
	}, lint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 0 {
		t.Fatalf("findings on a table created by an earlier file: %v", fs)
	}
}

// FuzzLint feeds arbitrary SQL: no panic, positions inside the file.
func FuzzLint(f *testing.F) {
	for _, s := range []string{"CREATE INDEX i ON t (a);", "ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT random()", "CREAT x; LOCK t", "${x}.t", "COPY t FROM stdin;\n1\n\\.\n"} {
		f.Add(s)
	}
	// Compile the parser before the fuzzing starts: the first parse of a
	// process takes seconds, which the fuzzer would take for a hang.
	if _, err := pgsql.Parse("SELECT 1", placeholders.Syntax{}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		fs, err := lint.Lint([]lint.File{{Path: "f.sql", Text: sql}}, lint.Options{})
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Count(sql, "\n") + strings.Count(sql, "\r") + 1
		for _, x := range fs {
			if x.Line < 1 || x.Line > lines || x.Column < 1 {
				t.Fatalf("finding outside the file: %v", x)
			}
		}
	})
}

// TestReadmeListsRules: the README's rules table has a row per rule, with
// its severity and reason as Rules says.
func TestReadmeListsRules(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range lint.Rules {
		row := "| `" + r.ID + "` | " + string(r.Severity) + " | " + r.Reason + " |"
		if !strings.Contains(string(b), row) {
			t.Errorf("README has no row %s", row)
		}
	}
}
