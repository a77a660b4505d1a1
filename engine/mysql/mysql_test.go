package mysql

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/internal/splittest"
)

func golden(t *testing.T, name, got string) {
	t.Helper()
	splittest.GoldenSQL(t, name, got, *update)
}

func TestGoldenSQL(t *testing.T) {
	for _, mariadb := range []bool{false, true} {
		d := &Dialect{mariadb: mariadb}
		suffix := map[bool]string{false: "_mysql", true: "_mariadb"}[mariadb]
		tables := engine.Tables{Schema: "app", History: "strata_schema_history"}
		if !mariadb {
			golden(t, "create_tables", strings.Join(d.CreateTables(tables), ";\n")+";\n")
			var up []string
			for from := 1; from < engine.Layout; from++ {
				up = append(up, d.UpgradeTables(tables, from)...)
			}
			golden(t, "upgrade_tables", strings.Join(up, ";\n")+";\n")
			golden(t, "create_schema", d.CreateSchema("we`ird")+";\n")
		}
		s := engine.Session{Schema: "tenant_1", LockTimeout: "1500ms", StatementTimeout: "2m"}
		golden(t, "session"+suffix, strings.Join(d.SessionSetup(s, engine.ScopeTransaction), ";\n")+";\n"+
			strings.Join(d.SessionSetup(engine.Session{DefaultSchema: "app"}, engine.ScopeSession), ";\n")+";\n"+
			strings.Join(d.ResetSession(), ";\n")+";\n")
	}
}

func TestQuoting(t *testing.T) {
	d := &Dialect{}
	tests := map[string]string{
		d.Quote("a`b"):                       "`a``b`",
		d.Literal("it's ünï"):                "'it''s ünï'",
		d.Literal(`back\slash'`):             "_utf8mb4 X'6261636b5c736c61736827'",
		d.Literal("nul\x00"):                 "_utf8mb4 X'6e756c00'",
		d.Table("app", "t"):                  "`app`.`t`",
		d.Table("", "t"):                     "`t`",
		d.Table("x`; DROP TABLE y; --", "t"): "`x``; DROP TABLE y; --`.`t`",
	}
	for got, want := range tests {
		if got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}

// TestJavaHash checks the hash against Java's String.hashCode ("hello" is
// the textbook value; the others were computed with a separate
// implementation over UTF-16 code units, the emoji a surrogate pair).
func TestJavaHash(t *testing.T) {
	for s, want := range map[string]int32{"": 0, "hello": 99162322, "Flyway": 2107503036, "\U0001F600": 1772899, "`shop`.`flyway_schema_history`": -1695041341} {
		if got := javaHash(s); got != want {
			t.Errorf("javaHash(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestLockNames(t *testing.T) {
	d := &Dialect{}
	key := d.FlywayLockKey("shop", "flyway_schema_history")
	want := "Flyway--1695041341"
	if got := LockName(key); got != want {
		t.Fatalf("Flyway's lock name = %s, want %s", got, want)
	}
	if got := LockName(0x7fffffff01020304); got != "strata-7fffffff01020304" {
		t.Fatalf("lock name = %s", got)
	}
	if got := LockName(-1); got != "strata-ffffffffffffffff" || len(got) > 64 {
		t.Fatalf("lock name = %s", got)
	}
}

func TestDSN(t *testing.T) {
	tests := map[string]string{
		"mysql://root@127.0.0.1:3306/app":              "root@tcp(127.0.0.1:3306)/app",
		"mariadb://u:p%40ss@db.example/app?tls=true":   "u:p@ss@tcp(db.example:3306)/app?tls=true",
		"mysql://u@[::1]:3307/app?charset=utf8mb4&x=y": "u@tcp([::1]:3307)/app?charset=utf8mb4&x=y",
		"u:p@tcp(127.0.0.1:3306)/app?parseTime=true":   "u:p@tcp(127.0.0.1:3306)/app?parseTime=true",
		"mysql://u@127.0.0.1/":                         "u@tcp(127.0.0.1:3306)/",
	}
	for in, want := range tests {
		got, err := DSN(in)
		if err != nil || got != want {
			t.Errorf("DSN(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
}

func TestSyntaxErrorPosition(t *testing.T) {
	stmt := "SELECT 1,\n  2 FORM t WHERE x = 1"
	err := fmt.Errorf("exec: %w", &gomysql.MySQLError{Number: 1064, SQLState: [5]byte{'4', '2', '0', '0', '0'},
		Message: "You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near 't WHERE x = 1' at line 2"})
	ee := execError(1, stmt, 100, err)
	if ee.Part != 1 || ee.Code != "1064" || ee.Detail != "SQLSTATE 42000" || ee.Offset != 100+int64(strings.Index(stmt, "t WHERE")) {
		t.Fatalf("exec error = %+v", ee)
	}
	if !errors.Is(ee, err) {
		t.Fatal("the driver's error is not wrapped")
	}
	// At the end of the statement the server shows nothing.
	ee = execError(0, "SELECT (1", 7, &gomysql.MySQLError{Number: 1064, Message: "... to use near '' at line 1"})
	if ee.Offset != 7+int64(len("SELECT (1")) {
		t.Fatalf("offset = %d, want the end of the statement", ee.Offset)
	}
	// Without a position the statement's start is the position.
	ee = execError(0, "INSERT INTO nope VALUES (1)", 7, &gomysql.MySQLError{Number: 1146, Message: "Table 'x.nope' doesn't exist"})
	if ee.Offset != 7 || ee.Code != "1146" {
		t.Fatalf("exec error = %+v, want the statement start", ee)
	}
}

func TestElapsedMarkerReplaced(t *testing.T) {
	d := &Dialect{}
	q := "INSERT INTO h (execution_time) VALUES (" + d.Elapsed(time.Now().Add(-1500*time.Millisecond)) + ")"
	out := elapsedMarker.ReplaceAllStringFunc(q, func(m string) string { return "X" })
	if out != "INSERT INTO h (execution_time) VALUES (X)" {
		t.Fatalf("marker not found in %s", q)
	}
}

func TestSeconds(t *testing.T) {
	for in, want := range map[string]float64{"1500ms": 1.5, "2m": 120, "5s": 5, "1min": 60, "500": 0.5, "2 h": 7200, "250us": 0.00025} {
		if got, ok := seconds(in); !ok || got != want {
			t.Errorf("seconds(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "soon", "-1s", "5 parsecs"} {
		if _, ok := seconds(bad); ok {
			t.Errorf("seconds(%q) accepted", bad)
		}
	}
}

func TestReleasesLocks(t *testing.T) {
	for text, want := range map[string]bool{
		"SELECT RELEASE_ALL_LOCKS()":            true,
		"do release_all_locks  ()":              true,
		"SELECT 1; SELECT Release_All_Locks\n(": true,
		"SELECT release_all_locks_x()":          false,
		"SELECT RELEASE_LOCK('x')":              false,
		"SELECT 'release_all_locks'":            false,
	} {
		if got := releasesLocks(text); got != want {
			t.Errorf("releasesLocks(%q) = %v, want %v", text, got, want)
		}
	}
}
