package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// readme is the repository's README.md.
func readme(t *testing.T) (root string, text string) {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	root = filepath.Join(filepath.Dir(here), "..", "..")
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return root, string(b)
}

// section is the text of the README section headed "## title", up to the
// next "## ".
func section(t *testing.T, text, title string) string {
	t.Helper()
	_, rest, ok := strings.Cut(text, "\n## "+title+"\n")
	if !ok {
		t.Fatalf("README has no section %q", title)
	}
	if i := strings.Index(rest, "\n## "); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// fence is one fenced block of the README: its info string and its text.
type fence struct{ lang, body string }

var fenceRE = regexp.MustCompile("(?ms)^```([a-z]*)\n(.*?)^```\n")

// normalize hides what changes from run to run: durations, timestamps,
// and the column widths they move.
func normalize(s string) string {
	s = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`).ReplaceAllString(s, "TIME")
	s = regexp.MustCompile(`\b\d+(\.\d+)?(ms|µs|s)\b`).ReplaceAllString(s, "DUR")
	s = regexp.MustCompile(`[ \t]+`).ReplaceAllString(s, " ")
	s = regexp.MustCompile(`-{2,}`).ReplaceAllString(s, "--")
	return strings.TrimSpace(s)
}

// TestReadmeQuickstart runs the commands of the README's Quickstart, in a
// copy of examples/quickstart, and compares what they print with the
// output the README shows after each: the README cannot drift from the
// CLI unnoticed.
func TestReadmeQuickstart(t *testing.T) {
	root, text := readme(t)
	var fences []fence
	for _, m := range fenceRE.FindAllStringSubmatch(section(t, text, "Quickstart"), -1) {
		fences = append(fences, fence{m[1], m[2]})
	}
	work := t.TempDir()
	if err := copyDir(filepath.Join(root, "examples", "quickstart"), filepath.Join(work, "examples", "quickstart")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"dev.db", "dev.db.strata-lock"} {
		os.Remove(filepath.Join(work, "examples", "quickstart", name))
	}
	t.Chdir(work)
	t.Setenv("NO_COLOR", "1")
	ran := 0
	for i, f := range fences {
		cmd := strings.TrimSpace(f.body)
		if f.lang != "sh" || !strings.HasPrefix(cmd, "go run ./cmd/strata ") {
			continue
		}
		args := strings.Fields(strings.TrimPrefix(cmd, "go run ./cmd/strata "))
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
			t.Fatalf("README: %s exited %d\n%s%s", cmd, code, stdout.String(), stderr.String())
		}
		ran++
		if i+1 < len(fences) && fences[i+1].lang == "" {
			if got, want := normalize(stdout.String()), normalize(fences[i+1].body); got != want {
				t.Errorf("README: %s prints\n%s\nbut the README shows\n%s", cmd, stdout.String(), fences[i+1].body)
			}
		}
	}
	if ran < 2 {
		t.Fatalf("README's Quickstart has %d strata commands, want migrate and info at least", ran)
	}
	// "Running `migrate` again prints `...`" in the prose.
	if m := regexp.MustCompile("Running `migrate` again prints `([^`]+)`").FindStringSubmatch(text); m != nil {
		var stdout, stderr bytes.Buffer
		want := strings.Join(strings.Fields(m[1]), " ") // the prose may wrap it
		if code := run(context.Background(), []string{"--config", "examples/quickstart/strata.hcl", "migrate"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), want) {
			t.Errorf("README: a second migrate prints %q (exit %d), the README says %q", stdout.String(), code, want)
		}
	}
}

// TestReadmeTour checks the tour's strata.hcl: both of its envs resolve
// (strata config), and every command and flag its command table names
// exists.
func TestReadmeTour(t *testing.T) {
	_, text := readme(t)
	tour := section(t, text, "A quick tour")
	m := fenceRE.FindStringSubmatch(tour)
	if m == nil || m[1] != "hcl" {
		t.Fatal("the tour does not start with an hcl block")
	}
	work := t.TempDir()
	if err := os.WriteFile(filepath.Join(work, "strata.hcl"), []byte(m[2]), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"common", "dev", "postgres", "prod-overrides"} {
		if err := os.MkdirAll(filepath.Join(work, "migrations", d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("DATABASE_URL", "postgres://app:secret@db.example:5432/app")
	for _, env := range []string{"dev", "prod"} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{"--config", filepath.Join(work, "strata.hcl"), "--env", env, "config"}, &stdout, &stderr); code != 0 {
			t.Errorf("the tour's strata.hcl: strata --env %s config exited %d\n%s", env, code, stderr.String())
		}
	}

	a := &app{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	rootCmd := a.rootCommand()
	rows := regexp.MustCompile("(?m)^\\| `(strata [^`]+)` \\|").FindAllStringSubmatch(tour, -1)
	if len(rows) < 8 {
		t.Fatalf("the tour's command table has %d rows", len(rows))
	}
	for _, r := range rows {
		words := strings.Fields(strings.NewReplacer("[", " ", "]", " ", "|", " ", "\\", " ").Replace(r[1]))
		c, args, err := rootCmd.Find(words[1:])
		if err != nil || c == rootCmd {
			t.Errorf("the tour names %q, which is no command", r[1])
			continue
		}
		checkFlags(t, r[1], c, args)
	}
}
