package mysql_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/mysql"
	"github.com/stratadb/strata/internal/mysqltest"
	"github.com/stratadb/strata/locations"
)

func newMigrator(t *testing.T, u string, files map[string]string, opts ...engine.Option) *engine.Migrator {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, text := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(text)}
	}
	set, err := locations.Collect([]locations.Root{{Name: "db", FS: fsys}}, locations.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := engine.New(mysql.New(), mysqltest.Open(t, u), set, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestFlywayLockExcludes: a Flyway node holding its named lock on the
// history table ("Flyway-" and the Java hash of `db`.`flyway_schema_history`)
// keeps strata waiting; the timeout names the holder's connection.
func TestFlywayLockExcludes(t *testing.T) {
	u := mysqltest.Database(t)
	db := mysqltest.Open(t, u)
	var dbName string
	if err := db.QueryRow("SELECT DATABASE()").Scan(&dbName); err != nil {
		t.Fatal(err)
	}
	name := mysql.LockName((&mysql.Dialect{}).FlywayLockKey(dbName, "flyway_schema_history"))
	if !strings.HasPrefix(name, "Flyway-") {
		t.Fatalf("lock name %s", name)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var got int
	if err := conn.QueryRowContext(context.Background(), "SELECT GET_LOCK(?, 1)", name).Scan(&got); err != nil || got != 1 {
		t.Fatalf("GET_LOCK(%s) = %d, %v", name, got, err)
	}
	var id int64
	conn.QueryRowContext(context.Background(), "SELECT CONNECTION_ID()").Scan(&id)
	m := newMigrator(t, u, map[string]string{"V1__a.sql": "CREATE TABLE a (id INT);\n"}, engine.WithLockWait(300*time.Millisecond))
	_, err = m.Migrate(context.Background())
	var le *engine.LockError
	if !errors.As(err, &le) || !errors.Is(err, engine.ErrLocked) {
		t.Fatalf("migrate while Flyway's lock is held = %v, want a lock error", err)
	}
	if !strings.Contains(le.Holder, "connection ") || !strings.Contains(le.Holder, name) {
		t.Fatalf("holder = %q, want the connection and the lock named", le.Holder)
	}
	if _, err := conn.ExecContext(context.Background(), "DO RELEASE_LOCK(?)", name); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate after Flyway released its lock: %v", err)
	}
}

// TestSyntaxErrorPlaced: the server's "near '...' at line N" places a
// syntax error in the file.
func TestSyntaxErrorPlaced(t *testing.T) {
	u := mysqltest.Database(t)
	m := newMigrator(t, u, map[string]string{"V1__a.sql": "CREATE TABLE a (id INT);\nINSERT INTO a (id)\n  VALUSE (1);\n"})
	_, err := m.Migrate(context.Background())
	var me *engine.MigrationError
	if !errors.As(err, &me) {
		t.Fatalf("migrate = %v, want a MigrationError", err)
	}
	if me.Line != 3 || me.Column != 3 || me.Code != "1064" || me.StatementIndex != 1 {
		t.Fatalf("error at line %d, column %d, code %s, statement %d; want line 3, column 3 (VALUSE), 1064, statement 2: %v", me.Line, me.Column, me.Code, me.StatementIndex, err)
	}
}

// TestStatementTimeout: strata:statement_timeout stops a statement that
// runs longer (max_statement_time on MariaDB; on MySQL max_execution_time
// covers SELECT only).
func TestStatementTimeout(t *testing.T) {
	u := mysqltest.Database(t)
	files := map[string]string{"V1__slow.sql": "-- strata:statement_timeout=200ms\nCREATE TABLE s (id INT);\nSELECT SLEEP(5);\n"}
	began := time.Now()
	_, err := newMigrator(t, u, files).Migrate(context.Background())
	var me *engine.MigrationError
	if !errors.As(err, &me) || me.StatementIndex != 1 {
		t.Fatalf("migrate = %v, want statement 2 stopped by the timeout", err)
	}
	if d := time.Since(began); d > 4*time.Second {
		t.Fatalf("the statement ran %s despite the 200ms timeout", d)
	}
}

// TestTenantPattern: a pattern matches databases from SHOW DATABASES and
// never a system database.
func TestTenantPattern(t *testing.T) {
	u := mysqltest.Database(t)
	prefix := mysqltest.DatabaseName("p") + "_"
	for _, n := range []string{"a", "b"} {
		if err := mysqltest.AdminExec(mysqltest.Server(t), "CREATE DATABASE `"+prefix+n+"`"); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { mysqltest.DropDatabases(mysqltest.Server(t), prefix) })
	files := map[string]string{"V1__t.sql": "CREATE TABLE t (id INT);\n"}
	res, err := newMigrator(t, u, files, engine.WithTenantSource(engine.TenantSource{Pattern: prefix + "*"})).Migrate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tr := range res.Targets {
		got = append(got, tr.Target)
	}
	if strings.Join(got, ",") != prefix+"a,"+prefix+"b" {
		t.Fatalf("targets = %v", got)
	}
	d := mysql.New().(engine.SystemSchemas)
	for _, sys := range []string{"mysql", "information_schema", "performance_schema", "sys"} {
		if !d.SystemSchema(sys) {
			t.Errorf("%s is not a system database", sys)
		}
	}
}

// TestParallelTenants migrates 16 tenant databases 8 at a time, three
// times over on fresh databases. (Under load, InnoDB's gap locks once made
// the creation of two state rows deadlock, in the tenants scenario of
// cmd/strata; engine.Deadlocks retries that statement. This test does not
// reproduce the deadlock reliably: it checks parallel tenants as such.)
func TestParallelTenants(t *testing.T) {
	u := mysqltest.Database(t)
	files := map[string]string{
		"V1__t.sql": "CREATE TABLE t (id INT PRIMARY KEY);\nINSERT INTO t VALUES (1);\n",
		"V2__u.sql": "INSERT INTO t VALUES (2);\n",
		"R__v.sql":  "CREATE OR REPLACE VIEW v AS SELECT id FROM t;\n",
	}
	for round := range 3 {
		prefix := mysqltest.DatabaseName("pt") + "_"
		t.Cleanup(func() { mysqltest.DropDatabases(mysqltest.Server(t), prefix) })
		var names []string
		for i := range 16 {
			names = append(names, fmt.Sprintf("%s%02d", prefix, i))
		}
		m := newMigrator(t, u, files, engine.WithTenants(names...), engine.WithParallel(8))
		res, err := m.Migrate(context.Background())
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if res.Applied() != 16*3 {
			t.Fatalf("round %d: applied %d, want %d", round, res.Applied(), 16*3)
		}
	}
}

// TestSessionSettings: connections made by Open record their database and
// let the server end them after twice the network timeout of silence.
func TestSessionSettings(t *testing.T) {
	u := mysqltest.Database(t)
	db, err := mysql.Open(context.Background(), u, mysql.Options{NetworkTimeout: 45 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var wait int
	var recorded, current string
	if err := db.QueryRow("SELECT @@SESSION.wait_timeout, @strata_database, DATABASE()").Scan(&wait, &recorded, &current); err != nil {
		t.Fatal(err)
	}
	if wait != 90 || recorded != current {
		t.Fatalf("wait_timeout %d, @strata_database %q (database %q); want 90 and the URL's database", wait, recorded, current)
	}
}

// TestReleaseAllLocksRefused: a migration that would drop the session's
// named locks (Strata's among them) is refused, in a transactional file
// and in one run statement by statement.
func TestReleaseAllLocksRefused(t *testing.T) {
	for name, text := range map[string]string{
		"V2__dml.sql": "INSERT INTO t VALUES (1);\nDO RELEASE_ALL_LOCKS();\n",
		"V2__ddl.sql": "CREATE TABLE t2 (id INT);\nDO RELEASE_ALL_LOCKS();\n",
	} {
		u := mysqltest.Database(t)
		files := map[string]string{"V1__t.sql": "CREATE TABLE t (id INT);\n", name: text}
		_, err := newMigrator(t, u, files).Migrate(context.Background())
		var me *engine.MigrationError
		if !errors.As(err, &me) || me.StatementIndex != 1 || !strings.Contains(err.Error(), "release strata's named lock") {
			t.Fatalf("%s: migrate = %v, want statement 2 refused", name, err)
		}
	}
}
