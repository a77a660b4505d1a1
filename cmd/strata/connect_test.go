package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRepeatedEnvRefused: -e a -e b exits with the usage code before the
// config is even read.
func TestRepeatedEnvRefused(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "strata.hcl")
	if err := os.WriteFile(cfg, []byte("env \"a\" {\n  url = \"sqlite://a.db\"\n}\nenv \"b\" {\n  url = \"sqlite://b.db\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--config", cfg, "-e", "a", "-e", "b", "migrate"},
		{"--config", cfg, "migrate", "--env", "a", "--env", "a"},
		{"--config", cfg, "-e", "a", "info", "-e", "b"},
	} {
		var out, errOut testWriter
		code := run(context.Background(), args, &out, &errOut)
		if code != exitUsage || !strings.Contains(errOut.String(), "--env is given 2 times") || out.String() != "" {
			t.Errorf("%v: exit %d\nstdout %s\nstderr %s", args, code, out, errOut)
		}
	}
	for _, name := range []string{"a.db", "b.db"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s was created", name)
		}
	}
}
