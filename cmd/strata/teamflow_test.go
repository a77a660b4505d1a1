package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestTeamflowExample runs the walkthrough of examples/teamflow/README.md on
// a copy of the example and checks what each step says it prints.
func TestTeamflowExample(t *testing.T) {
	_, here, _, _ := runtime.Caller(0)
	work := t.TempDir()
	if err := copyDir(filepath.Join(filepath.Dir(here), "..", "..", "examples", "teamflow"), filepath.Join(work, "examples", "teamflow")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(work)
	ex := filepath.Join("examples", "teamflow")
	step := func(wantCode int, args string, want ...string) {
		t.Helper()
		var out, errOut testWriter
		code := run(context.Background(), append([]string{"--config", filepath.Join(ex, "strata.hcl")}, strings.Fields(args)...), &out, &errOut)
		all := out.String() + errOut.String()
		if code != wantCode {
			t.Fatalf("strata %s: exit %d, want %d:\n%s", args, code, wantCode, all)
		}
		for _, w := range want {
			if !strings.Contains(all, w) {
				t.Fatalf("strata %s: output lacks %q:\n%s", args, w, all)
			}
		}
	}
	incoming := func(names ...string) {
		t.Helper()
		for _, n := range names {
			b, err := os.ReadFile(filepath.Join(ex, "incoming", n))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(ex, "migrations", n), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// 1. The committed strata.sum is current.
	step(0, "--env dev ack", "migrations/strata.sum: up to date (3 files)")
	step(0, "--env dev migrate", "applied 2 migrations to main, now at version 2")
	// 2. A new migration must be acknowledged.
	incoming("V3__add_legacy_flag.sql", "U3__add_legacy_flag.sql")
	step(exitValidation, "--env dev migrate", "2 migration files changed since the last strata ack, so nothing was run:",
		"added:   examples/teamflow/migrations/V3__add_legacy_flag.sql")
	step(0, "--env dev ack", "migrations/strata.sum: 5 files acknowledged")
	step(0, "--env dev migrate", "applied 1 migration to main, now at version 3")
	// 3. Dev, then prod.
	step(exitUsage, "--env prod migrate", "migrate (confirm = true in env prod) changes the database and needs confirmation",
		"pending: 3 migrations on 1 target:", "take a backup first")
	step(0, "--env dev --env prod migrate --yes", "== env prod (2 of 2) ==", "applied 3 migrations to main, now at version 3", "envs: dev done, prod done")
	// 4. Discard V3.
	step(0, "--env dev --env prod undo --to 2 --discard --yes", "and discard it (migrate will not apply it again)", "envs: dev done, prod done")
	step(0, "--env dev info", "| Discarded |")
	step(0, "--env dev --env prod migrate --yes", "main is up to date at version 2 (sqlite examples/teamflow/prod.db)")
	step(0, "--env dev --env prod validate", "envs: dev done, prod done")
	incoming("V4__add_status.sql")
	step(0, "--env dev ack", "added:   examples/teamflow/migrations/V4__add_status.sql")
	step(0, "--env dev --env prod migrate --yes", "applied 1 migration to main, now at version 4", "envs: dev done, prod done")
	step(0, "--env prod info", "| Discarded |")
}
