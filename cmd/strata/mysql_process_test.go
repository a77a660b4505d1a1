package main

// Process tests on MySQL/MariaDB (internal/mysqltest): strata killed at
// random moments of a DDL-heavy run, and several runners at once. On
// MySQL every DDL statement commits on its own, so these files run
// statement by statement: a re-run must resume exactly where the killed
// one stopped, never running a committed statement again.

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stratadb/strata/internal/mysqltest"
)

// digits is a derived table of the digits 0 to 9 (MySQL has no
// generate_series, and MariaDB's seq_1_to_N tables are not MySQL's).
const digits = "(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)"

// mysqlKills is how many kills must land while strata runs.
const mysqlKills = 20

// mysqlDDLSet is a DDL-heavy workload. Every DDL statement fails when it
// runs twice (ADD COLUMN of a column that exists, CREATE TABLE without IF
// NOT EXISTS), so a statement run again makes the final run fail; every
// INSERT writes its key to the ledger, once. ALGORITHM=COPY makes each
// ALTER rebuild the table, so kills land inside DDL too. keys are the
// ledger keys; columns the columns items ends with.
func mysqlDDLSet() (files map[string]string, keys []string, columns int) {
	files = map[string]string{
		"V1__base.sql": "CREATE TABLE ledger (k VARCHAR(20) NOT NULL);\n" +
			"CREATE TABLE items (id INT PRIMARY KEY, v VARCHAR(20));\n" +
			"INSERT INTO items SELECT n, CONCAT('v', n) FROM (SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 1 AS n\n" +
			"  FROM " + digits + " a, " + digits + " b, " + digits + " c, " + digits + " e) x WHERE n <= 10000;\n" +
			"INSERT INTO ledger VALUES ('1');\n",
	}
	keys = []string{"1"}
	columns = 2
	for f := 2; f <= 5; f++ {
		var b strings.Builder
		for i := 1; i <= 4; i++ {
			fmt.Fprintf(&b, "ALTER TABLE items ADD COLUMN c%d_%d INT, ALGORITHM=COPY;\n", f, i)
			fmt.Fprintf(&b, "CREATE TABLE t%d_%d (id INT PRIMARY KEY);\n", f, i)
			fmt.Fprintf(&b, "INSERT INTO ledger VALUES ('%d.%d');\n", f, i)
			keys = append(keys, fmt.Sprintf("%d.%d", f, i))
			columns++
		}
		files[fmt.Sprintf("V%d__ddl_%d.sql", f, f)] = b.String()
	}
	// A file of DML only: one transaction with its history row.
	files["V6__dml.sql"] = "UPDATE items SET v = CONCAT(v, '!') WHERE id % 7 = 0;\nINSERT INTO ledger VALUES ('6');\n"
	keys = append(keys, "6")
	files["R__view.sql"] = "CREATE OR REPLACE VIEW items_view AS SELECT id, v FROM items;\nINSERT INTO ledger VALUES ('R');\n"
	keys = append(keys, "R")
	return files, keys, columns
}

// mysqlCounts runs q, which returns (text, integer) rows, into a map.
func mysqlCounts(t *testing.T, db *sql.DB, q string) map[string]int {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out[k] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

func mysqlInt(t *testing.T, db *sql.DB, q string) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(t.Context(), q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// checkMySQLRun checks the end state of a DDL-heavy run: every statement
// applied exactly once, the history complete and successful, validate
// clean.
func checkMySQLRun(t *testing.T, p *project, db *sql.DB, keys []string, files map[string]string, columns int) {
	t.Helper()
	exactlyOnce(t, "ledger", mysqlCounts(t, db, "SELECT k, COUNT(*) FROM ledger GROUP BY k"), keys)
	if n := mysqlInt(t, db, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'items'"); n != columns {
		t.Errorf("items has %d columns, want %d", n, columns)
	}
	hist := mysqlCounts(t, db, "SELECT script, COUNT(*) FROM strata_schema_history WHERE success GROUP BY script")
	var scripts []string
	for name := range files {
		scripts = append(scripts, name)
	}
	exactlyOnce(t, "successful history rows", hist, scripts)
	if n := mysqlInt(t, db, "SELECT COUNT(*) FROM strata_schema_history WHERE NOT success"); n != 0 {
		t.Errorf("%d failed history rows left", n)
	}
	if r := p.run(t, "validate"); r.code != 0 {
		t.Errorf("validate:\n%s", r)
	}
}

// TestKillDDLMySQL kills strata migrate (SIGKILL) at random moments of a
// DDL-heavy run until mysqlKills kills have landed while it ran, each
// round on a fresh database; after a round's kills a plain run must finish
// the work, every DDL statement and every INSERT applied exactly once.
func TestKillDDLMySQL(t *testing.T) {
	mysqltest.Server(t)
	strataBinary(t)
	rng := campaignRand(t)
	files, keys, columns := mysqlDDLSet()
	// A first, uninterrupted run measures how long the work takes, to
	// spread the kills over it.
	u := mysqltest.Database(t)
	p := newProject(t, u, "", files)
	began := time.Now()
	p.mustRun(t, 0, "migrate")
	full := time.Since(began)
	checkMySQLRun(t, p, mysqltest.Open(t, u), keys, files, columns)

	kills, finished, rounds := 0, 0, 0
	for kills < mysqlKills && rounds < 30 {
		rounds++
		u := mysqltest.Database(t)
		p := newProject(t, u, "", files)
		// Each run starts where the last one stopped: the window shrinks
		// with the work left, but not below what starting strata and
		// taking the lock take.
		window := full
		for first := true; kills < mysqlKills; first = false {
			pr := p.start(t, "migrate")
			began := time.Now()
			select {
			case <-pr.done:
			case <-time.After(time.Duration(rng.Int64N(int64(window) + 1))):
			}
			r := pr.kill()
			if r.code == 0 {
				finished++
				if first {
					// A whole run took less than the measure said (the
					// machine was busier then): measure again.
					full = time.Since(began)
				}
				break // nothing left to interrupt in this database
			}
			if r.code != -1 {
				t.Fatalf("round %d: a run failed before it was killed:\n%s", rounds, r)
			}
			kills++
			window = max(window*4/5, full/5)
		}
		if r := p.run(t, "migrate"); r.code != 0 {
			t.Fatalf("round %d: the plain run after the kills failed (a statement ran twice?):\n%s", rounds, r)
		}
		checkMySQLRun(t, p, mysqltest.Open(t, u), keys, files, columns)
		if t.Failed() {
			t.Fatalf("round %d failed after %d kills", rounds, kills)
		}
	}
	if kills < mysqlKills {
		t.Fatalf("only %d kills landed while strata ran in %d rounds (a full run takes %s)", kills, rounds, full)
	}
	t.Logf("%d kills in %d rounds (%d runs finished before their kill; a full run takes %s): every statement applied exactly once", kills, rounds, finished, full)
}

// TestConcurrentProcessesMySQL starts 8 strata processes at once on one
// database with the DDL-heavy workload: the lock lets one apply each
// migration, and every statement runs exactly once.
func TestConcurrentProcessesMySQL(t *testing.T) {
	mysqltest.Server(t)
	strataBinary(t)
	files, keys, columns := mysqlDDLSet()
	u := mysqltest.Database(t)
	p := newProject(t, u, "  lock { timeout = \"2m\" }\n", files)
	procs := make([]*proc, campaignRunners(t))
	for i := range procs {
		procs[i] = p.start(t, "migrate", "--format", "json")
	}
	applied := 0
	for i, pr := range procs {
		r := pr.wait()
		if r.code != 0 {
			t.Errorf("process %d: want exit 0, got:\n%s", i, r)
			continue
		}
		var out jsonMigrate
		if _, err := decodeEnvelope(r.stdout, &out); err != nil {
			t.Errorf("process %d: stdout is not migrate's JSON: %v\n%s", i, err, r)
			continue
		}
		applied += out.MigrationsApplied
	}
	if applied != len(files) {
		t.Errorf("the processes report %d migrations applied in all, want %d (each once)", applied, len(files))
	}
	checkMySQLRun(t, p, mysqltest.Open(t, u), keys, files, columns)
	r := p.mustRun(t, 0, "migrate")
	if !strings.Contains(r.stdout, "nothing to migrate") {
		t.Errorf("a migrate afterwards should find nothing pending:\n%s", r)
	}
}

// TestExampleMySQL runs examples/mysql as its README says, on a fresh
// database: everything applies, and a second migrate finds nothing to do.
func TestExampleMySQL(t *testing.T) {
	u := mysqltest.Database(t)
	t.Setenv("STRATA_MYSQL_URL", u)
	cfg := filepath.Join("..", "..", "examples", "mysql", "strata.hcl")
	var out, errOut testWriter
	if code := run(t.Context(), []string{"--config", cfg, "migrate"}, &out, &errOut); code != 0 {
		t.Fatalf("migrate: exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "applied 4 migrations") {
		t.Fatalf("migrate:\n%s", out.String())
	}
	out, errOut = testWriter{}, testWriter{}
	if code := run(t.Context(), []string{"--config", cfg, "migrate"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "nothing to migrate") {
		t.Fatalf("second migrate: exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	db := mysqltest.Open(t, u)
	if n := mysqlInt(t, db, "SELECT COUNT(*) FROM customer_totals WHERE total_cents = 1250"); n != 1 {
		t.Fatalf("customer_totals has %d rows of 1250, want 1", n)
	}
	if n := mysqlInt(t, db, "SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_NAME = 'purge_old_customers'"); n != 1 {
		t.Fatalf("the procedure is missing")
	}
}
