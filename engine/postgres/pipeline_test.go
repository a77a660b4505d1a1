package postgres_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/internal/pgtest"
)

// pipelineFiles are n small migrations that each record the request they
// came in: statement_timestamp() is the time the server received the
// request, the same for every transaction of a pipelined one.
func pipelineFiles(n int) map[string]string {
	files := map[string]string{"V1__seen.sql": "CREATE TABLE seen (v int PRIMARY KEY, request timestamptz NOT NULL);\nINSERT INTO seen VALUES (1, statement_timestamp());\n"}
	for v := 2; v <= n; v++ {
		files[fmt.Sprintf("V%d__step.sql", v)] = fmt.Sprintf("-- step %d\nINSERT INTO seen VALUES (%d, statement_timestamp());\n", v, v)
	}
	return files
}

// TestPipelinedRequests: 100 small files reach the server in two requests
// (64 + 36), each file still its own transaction with its history row.
func TestPipelinedRequests(t *testing.T) {
	db := openURL(t, pgtest.Database(t))
	res, err := migrator(t, db, pipelineFiles(100)).Migrate(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied() != 100 {
		t.Fatalf("applied %d, want 100", res.Applied())
	}
	if n := scalar[int](t, db, "SELECT count(DISTINCT request) FROM seen"); n != 2 {
		t.Errorf("the 100 files came in %d requests, want 2 (64 per request)", n)
	}
	// One transaction per file: each history row has its own xmin.
	if n := scalar[int](t, db, "SELECT count(DISTINCT xmin::text) FROM strata_schema_history"); n != 100 {
		t.Errorf("%d distinct transactions wrote the 100 history rows, want 100", n)
	}
	if n := scalar[int](t, db, "SELECT count(*) FROM strata_schema_history WHERE execution_time < 0 OR execution_time > 60000"); n != 0 {
		t.Errorf("%d history rows with an implausible execution_time", n)
	}
}

// TestPipelineStopsAtTheFailingFile: V6 of ten pipelined files fails on its
// third line. V1 to V5 stay committed with their history rows, V6 is
// rolled back and reported at its line and column, V7 to V10 did not run.
func TestPipelineStopsAtTheFailingFile(t *testing.T) {
	for name, mode := range map[string]engine.CommitMode{"group commit": engine.GroupCommit, "commit each": engine.CommitEach} {
		t.Run(name, func(t *testing.T) {
			db := openURL(t, pgtest.Database(t))
			files := pipelineFiles(10)
			files["V6__step.sql"] = "-- step 6\nINSERT INTO seen VALUES (6, statement_timestamp());\nSELECT * FROM   no_such_table;\n"
			res, err := migrator(t, db, files, engine.WithCommitMode(mode)).Migrate(ctx(t))
			var me *engine.MigrationError
			if !errors.As(err, &me) {
				t.Fatalf("want a migration error, got %v", err)
			}
			if me.Version != "6" || !me.RolledBack || me.Line != 3 || me.Column != 17 || me.Code != "42P01" || me.ConnectionLost {
				t.Errorf("error: version %s, rolled back %v, line %d, column %d, code %s; want V6 rolled back at 3:17 with 42P01: %v",
					me.Version, me.RolledBack, me.Line, me.Column, me.Code, err)
			}
			if !strings.Contains(me.Statement, "no_such_table") {
				t.Errorf("failing statement %q, want the SELECT", me.Statement)
			}
			if res == nil || res.Applied() != 5 {
				t.Fatalf("reported applied: %v, want V1 to V5", res)
			}
			if s := scalar[string](t, db, "SELECT string_agg(v::text, ',' ORDER BY v) FROM seen"); s != "1,2,3,4,5" {
				t.Errorf("rows of the files: %s, want 1,2,3,4,5", s)
			}
			if s := scalar[string](t, db, "SELECT string_agg(version || ':' || success, ',' ORDER BY installed_rank) FROM strata_schema_history"); s != "1:true,2:true,3:true,4:true,5:true" {
				t.Errorf("history %s, want V1 to V5, each successful", s)
			}
			// Fixed, the next run applies V6 to V10 once.
			files["V6__step.sql"] = "-- step 6\nINSERT INTO seen VALUES (6, statement_timestamp());\n"
			res, err = migrator(t, db, files).Migrate(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			if res.Applied() != 5 || scalar[int](t, db, "SELECT count(*) FROM seen") != 10 {
				t.Errorf("re-run applied %d; seen has %d rows, want 5 and 10", res.Applied(), scalar[int](t, db, "SELECT count(*) FROM seen"))
			}
		})
	}
}
