package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/stratadb/strata/internal/mysqltest"
	"github.com/stratadb/strata/internal/pgtest"
)

var update = flag.Bool("update", false, "rewrite testscript files with actual output (cmp lines)")

// pgtestM (process_test.go) also stops pgtest's throwaway cluster, if any.
func TestMain(m *testing.M) {
	testscript.Main(pgtestM{m}, map[string]func(){
		"strata": func() { os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the CLI scenarios in testdata/script. Every script gets
// a copy of examples/quickstart in $WORK/quickstart.
func TestScripts(t *testing.T) {
	_, here, _, _ := runtime.Caller(0)
	quickstart := filepath.Join(filepath.Dir(here), "..", "..", "examples", "quickstart")
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		Cmds:          badInputCmds, // jsonout, sqlite, pg, ...
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			return copyDir(quickstart, filepath.Join(env.WorkDir, "quickstart"))
		},
	})
}

// TestScriptsPostgres runs the scenarios in testdata/script-pg against
// PostgreSQL: every script gets a fresh database in $STRATA_PG_URL.
func TestScriptsPostgres(t *testing.T) {
	pgtest.Server(t)
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script-pg",
		UpdateScripts: *update,
		Cmds:          badInputCmds, // jsonout, sqlite, pg, ...
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			return setPGURLs(env, pgtest.Database(t))
		},
	})
}

// TestScriptsMySQL runs the scenarios in testdata/script-mysql against
// MariaDB or MySQL (internal/mysqltest): every script gets a fresh
// database in $STRATA_MYSQL_URL and a prefix $DBP for the databases it
// creates (tenants), which are dropped when it ends.
func TestScriptsMySQL(t *testing.T) {
	admin := mysqltest.Server(t)
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script-mysql",
		UpdateScripts: *update,
		Cmds:          map[string]func(*testscript.TestScript, bool, []string){"jsonout": jsonoutCmd},
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			u := mysqltest.Database(t)
			env.Setenv("STRATA_MYSQL_URL", u)
			prefix := mysqltest.DatabaseName("s") + "_"
			env.Setenv("DBP", prefix)
			env.Defer(func() {
				if err := mysqltest.DropDatabases(admin, prefix); err != nil {
					t.Errorf("drop databases %s*: %v", prefix, err)
				}
			})
			return nil
		},
	})
}

func copyDir(src, dst string) error {
	return filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if filepath.Ext(p) == ".db" || filepath.Base(p) == ".gitignore" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

func TestDescription(t *testing.T) {
	tests := map[string]string{
		"add users":          "add_users",
		"  Add-Users table ": "Add_Users_table",
		"créer ユーザー":         "créer_ユーザー",
		"v2.1 fix":           "v2_1_fix",
	}
	for in, want := range tests {
		got, err := description(in)
		if err != nil || got != want {
			t.Errorf("description(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "   ", "a/b", "drop;table"} {
		if _, err := description(bad); err == nil {
			t.Errorf("description(%q) accepted", bad)
		}
	}
}

func TestNewUsesUTCTimestamp(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "m"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "strata.hcl")
	if err := os.WriteFile(cfg, []byte("locations = [\"m\"]\nenv \"dev\" {\n  url = \"sqlite://x.db\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := now
	now = func() time.Time { return time.Date(2026, 11, 21, 10, 30, 0, 0, time.FixedZone("CET", 3600)) }
	defer func() { now = old }()
	var out, errOut testWriter
	if code := run(context.Background(), []string{"--config", cfg, "new", "add users", "--undo"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, name := range []string{"V20261121093000__add_users.sql", "U20261121093000__add_users.sql"} {
		if _, err := os.Stat(filepath.Join(dir, "m", name)); err != nil {
			t.Errorf("%s not created: %v (stdout %s)", name, err, out)
		}
	}
}

type testWriter []byte

func (w *testWriter) Write(p []byte) (int, error) { *w = append(*w, p...); return len(p), nil }
func (w testWriter) String() string               { return string(w) }
