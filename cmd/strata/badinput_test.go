package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for the pg command
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/stratadb/strata/internal/pgtest"
	_ "modernc.org/sqlite" // database/sql driver "sqlite" for the sqlite command
)

// The bad-input corpus: one refused input per script. Every script asserts
// the message's key phrase, the position (file:line[:col]) where the input
// has one, the exit code (exits), and that nothing was applied (no database
// file, or the history's rows counted with sqlite / pg). The first comment
// line of each script names the input; a line "# position: none" says why a
// case has no position.

// TestBadInputs runs testdata/bad: configuration, file names, placeholders,
// SQL text, SQLite database state and command-line misuse.
func TestBadInputs(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/bad",
		UpdateScripts: *update,
		Cmds:          badInputCmds,
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			return nil
		},
	})
}

// TestBadInputsPostgres runs testdata/bad-pg: PostgreSQL database state
// edited or dropped behind strata's back. Every script gets a fresh
// database in $STRATA_PG_URL.
func TestBadInputsPostgres(t *testing.T) {
	pgtest.Server(t)
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/bad-pg",
		UpdateScripts: *update,
		Cmds:          badInputCmds,
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			return setPGURLs(env, pgtest.Database(t))
		},
	})
}

// setPGURLs sets $STRATA_PG_URL to url, and next to it two URLs on the same
// server that cannot log in: $STRATA_PG_NO_ROLE_URL (a role that does not
// exist) and $STRATA_PG_NO_DB_URL (a database that does not exist).
func setPGURLs(env *testscript.Env, url string) error {
	env.Setenv("STRATA_PG_URL", url)
	u, err := neturl.Parse(url)
	if err != nil {
		return err
	}
	noRole := *u
	noRole.User = neturl.User("strata_no_such_role")
	env.Setenv("STRATA_PG_NO_ROLE_URL", noRole.String())
	noDB := *u
	noDB.Path = "/strata_no_such_database"
	env.Setenv("STRATA_PG_NO_DB_URL", noDB.String())
	return nil
}

var badInputCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"jsonout": jsonoutCmd, // see jsonout_test.go
	// exits N command args...: run the command and require exit code N;
	// stdout and stderr are kept for the next stdout / stderr lines.
	"exits": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) < 2 {
			ts.Fatalf("usage: exits code command [args...]")
		}
		want, err := strconv.Atoi(args[0])
		if err != nil {
			ts.Fatalf("exits: bad code %q", args[0])
		}
		got := 0
		if err := ts.Exec(args[1], args[2:]...); err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				ts.Fatalf("exits: %v", err)
			}
			got = ee.ExitCode()
		}
		if got != want {
			ts.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", got, want, ts.ReadFile("stdout"), ts.ReadFile("stderr"))
		}
	},
	// write NAME CONTENT: create a file whose name or content holds bytes a
	// txtar archive cannot show (control characters, NUL, invalid UTF-8, a
	// byte order mark, CRLF); both are Go string literal bodies ("\x00").
	"write": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: write name content")
		}
		var dec [2]string
		for i, a := range args {
			v, err := strconv.Unquote(`"` + strings.ReplaceAll(a, `"`, `\"`) + `"`)
			if err != nil {
				ts.Fatalf("write: %q: %v", a, err)
			}
			dec[i] = v
		}
		path := ts.MkAbs(dec[0])
		ts.Check(os.MkdirAll(filepath.Dir(path), 0o755))
		ts.Check(os.WriteFile(path, []byte(dec[1]), 0o644))
	},
	// sqlite FILE QUERY WANT: the one value QUERY returns on the SQLite
	// database FILE, as text.
	"sqlite": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 3 {
			ts.Fatalf("usage: sqlite file query want")
		}
		path := ts.MkAbs(args[0])
		if _, err := os.Stat(path); err != nil {
			ts.Fatalf("sqlite: %v", err)
		}
		queryValue(ts, neg, "sqlite", "file:"+path+"?mode=ro", args[1], args[2])
	},
	// sqlite-exec FILE STATEMENT: run STATEMENT on the SQLite database FILE
	// (to edit strata's tables behind its back).
	"sqlite-exec": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: sqlite-exec file statement")
		}
		execStatement(ts, "sqlite", "file:"+ts.MkAbs(args[0]), args[1])
	},
	// pg-exec STATEMENT: run STATEMENT on $STRATA_PG_URL.
	"pg-exec": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: pg-exec statement")
		}
		execStatement(ts, "pgx", ts.Getenv("STRATA_PG_URL"), args[0])
	},
	// pg-wait QUERY WANT: wait (up to a minute) until QUERY returns WANT on
	// $STRATA_PG_URL, for a background command to get somewhere.
	"pg-wait": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: pg-wait query want")
		}
		db, err := sql.Open("pgx", ts.Getenv("STRATA_PG_URL"))
		if err != nil {
			ts.Fatalf("pgx: %v", err)
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for {
			var v sql.NullString
			if err := db.QueryRowContext(ctx, args[0]).Scan(&v); err == nil && strings.TrimSpace(v.String) == args[1] {
				return
			} else if ctx.Err() != nil {
				ts.Fatalf("pg-wait: %s never returned %q (last: %q, %v)", args[0], args[1], v.String, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	},
	// pg QUERY WANT: the one value QUERY returns on $STRATA_PG_URL.
	"pg": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: pg query want")
		}
		queryValue(ts, neg, "pgx", ts.Getenv("STRATA_PG_URL"), args[0], args[1])
	},
}

func execStatement(ts *testscript.TestScript, driver, dsn, stmt string) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		ts.Fatalf("%s: %v", driver, err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := db.ExecContext(ctx, stmt); err != nil {
		ts.Fatalf("%s: %s: %v", driver, stmt, err)
	}
}

func queryValue(ts *testscript.TestScript, neg bool, driver, dsn, query, want string) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		ts.Fatalf("%s: %v", driver, err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var v sql.NullString
	if err := db.QueryRowContext(ctx, query).Scan(&v); err != nil {
		ts.Fatalf("%s: %s: %v", driver, query, err)
	}
	got := v.String
	if !v.Valid {
		got = "NULL"
	}
	if (strings.TrimSpace(got) == want) == neg {
		ts.Fatalf("%s: %s = %q, want %s%q", driver, query, got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
	ts.Logf("%s", fmt.Sprintf("%s = %s", query, got))
}
