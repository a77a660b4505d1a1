package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/sqlite"
	"github.com/stratadb/strata/locations"
)

// adoptRow is one row as Flyway writes it; nil version or checksum is
// NULL, an empty installedOn leaves the column's default.
type adoptRow struct {
	rank        int
	version     any
	description string
	typ         string
	script      string
	checksum    any
	execTime    int
	success     bool
	installedOn string
}

func adoptCtx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

func adoptDB(t *testing.T) *sql.DB {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "app.db"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func adoptMigrator(t *testing.T, db *sql.DB, files map[string]string, opts ...engine.Option) *engine.Migrator {
	t.Helper()
	fsys := fstest.MapFS{}
	for k, v := range files {
		fsys[k] = &fstest.MapFile{Data: []byte(v)}
	}
	set, err := locations.Collect([]locations.Root{{Name: "db", FS: fsys}}, locations.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := engine.New(sqlite.New(), db, set, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func adoptCRC(t *testing.T, text string) int32 {
	t.Helper()
	c, err := locations.Checksum(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// createFlywaySQLite creates the table as Flyway's SQLite support does and
// inserts rows as Flyway would (booleans as 1/0, installed_on as text).
func createFlywaySQLite(t *testing.T, db *sql.DB, table string, rows []adoptRow) {
	t.Helper()
	d := sqlite.New()
	stmts := []string{
		`CREATE TABLE "main".` + d.Quote(table) + ` (
    "installed_rank" INT NOT NULL PRIMARY KEY,
    "version" VARCHAR(50),
    "description" VARCHAR(200) NOT NULL,
    "type" VARCHAR(20) NOT NULL,
    "script" VARCHAR(1000) NOT NULL,
    "checksum" INT,
    "installed_by" VARCHAR(100) NOT NULL,
    "installed_on" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')),
    "execution_time" INT NOT NULL,
    "success" BOOLEAN NOT NULL
)`,
		`CREATE INDEX "main".` + d.Quote(table+"_s_idx") + ` ON ` + d.Quote(table) + ` ("success")`,
	}
	for _, r := range rows {
		cols := `installed_rank, version, description, type, script, checksum, installed_by, execution_time, success`
		vals := fmt.Sprintf(`%d, %s, %s, %s, %s, %s, 'flyway_user', %d, %s`, r.rank, adoptValue(d, r.version), d.Literal(r.description),
			d.Literal(r.typ), d.Literal(r.script), adoptValue(d, r.checksum), r.execTime, d.Bool(r.success))
		if r.installedOn != "" {
			cols += ", installed_on"
			vals += ", " + d.Literal(r.installedOn)
		}
		stmts = append(stmts, `INSERT INTO "main".`+d.Quote(table)+` (`+cols+`) VALUES (`+vals+`)`)
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(adoptCtx(t), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func adoptValue(d engine.Dialect, v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return d.Literal(x)
	default:
		return fmt.Sprint(x)
	}
}

func adoptDump(t *testing.T, db *sql.DB, q string) string {
	t.Helper()
	rows, err := db.QueryContext(adoptCtx(t), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var b strings.Builder
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if i > 0 {
				b.WriteString(" | ")
			}
			fmt.Fprint(&b, v)
		}
		b.WriteByte('\n')
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

const adoptCopied = `version, description, type, script, checksum, installed_by, installed_on, execution_time, success`

var sqliteAdoptFiles = map[string]string{
	"V1__init.sql":         "CREATE TABLE base (id INT);\n",
	"V2__create_users.sql": "CREATE TABLE users (id INT);\r\nCREATE TABLE roles (id INT);\r\n",
	"V3__add_index.sql":    "CREATE INDEX users_id ON users (id);\n",
	"U3__add_index.sql":    "DROP INDEX users_id;\n",
	"R__views.sql":         "CREATE VIEW IF NOT EXISTS v AS SELECT 1 AS one;\n",
}

func TestAdoptFlyway(t *testing.T) {
	db := adoptDB(t)
	files := sqliteAdoptFiles
	c := func(name string) any { return adoptCRC(t, files[name]) }
	createFlywaySQLite(t, db, "flyway_schema_history", []adoptRow{
		{0, nil, "<< Flyway Schema Creation >>", "SCHEMA", `"main"`, nil, 0, true, "2021-03-04 05:06:07.001"},
		{1, "1", "<< Flyway Baseline >>", "BASELINE", "<< Flyway Baseline >>", nil, 0, true, "2021-03-04 05:06:08.500"},
		{2, "2", "create users", "SQL", "V2__create_users.sql", c("V2__create_users.sql"), 12, true, "2021-04-01 10:00:00.000"},
		{3, "2.1", "java fix", "JDBC", "db.migration.V2_1__java_fix", nil, 40, true, "2021-04-02 10:00:00.000"},
		{4, "3", "add index", "SQL", "V3__add_index.sql", c("V3__add_index.sql"), 8, true, "2021-04-03 10:00:00.000"},
		{5, "3", "add index", "UNDO_SQL", "U3__add_index.sql", c("U3__add_index.sql"), 5, true, "2021-04-04 10:00:00.000"},
		{6, "3", "add index", "SQL", "V3__add_index.sql", c("V3__add_index.sql"), 7, true, "2021-04-05 10:00:00.000"},
		{7, "4", "dropped", "SQL", "V4__dropped.sql", 123456, 3, true, "2021-04-06 10:00:00.000"},
		{8, "4", "dropped", "DELETE", "V4__dropped.sql", 123456, 0, true, "2021-04-07 10:00:00.000"},
		{9, nil, "views", "SQL", "R__views.sql", c("R__views.sql"), 4, true, ""},
		{10, "5", "shell step", "SCRIPT", "V5__shell_step.sh", -42, 100, true, ""},
	})
	before := adoptDump(t, db, `SELECT * FROM flyway_schema_history ORDER BY installed_rank`)

	res, err := adoptMigrator(t, db, files).AdoptFlyway(adoptCtx(t), "")
	if err != nil {
		t.Fatalf("adopt: %v", err)
	}
	if len(res.Targets) != 1 || res.Targets[0].Target != "main" || res.Targets[0].Rows != 11 || res.Targets[0].Skipped {
		t.Fatalf("adopt result = %+v", res.Targets)
	}
	want := adoptDump(t, db, `SELECT `+adoptCopied+` FROM flyway_schema_history ORDER BY installed_rank`)
	got := adoptDump(t, db, `SELECT `+adoptCopied+` FROM strata_schema_history WHERE tenant = 'main' ORDER BY installed_rank`)
	if got != want {
		t.Fatalf("strata history:\n%s\nwant:\n%s", got, want)
	}

	m := adoptMigrator(t, db, files)
	if _, err := m.Validate(adoptCtx(t)); err != nil {
		t.Fatalf("validate after adoption: %v", err)
	}
	info, err := m.Info(adoptCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	ti := info.Targets[0]
	var states []string
	for _, e := range ti.Entries {
		states = append(states, e.Type+" "+e.Version+" "+string(e.State))
		if e.Version == "2" && e.Row != nil && e.Row.InstalledOn.Format("2006-01-02 15:04:05") != "2021-04-01 10:00:00" {
			t.Errorf("V2 installed on %v", e.Row.InstalledOn)
		}
	}
	wantStates := []string{
		"SCHEMA  Success", "BASELINE 1 Baseline", "SQL 2 Success", "JDBC 2.1 Success", "SQL 3 Undone",
		"UNDO_SQL 3 Success", "SQL 3 Success", "SQL 4 Deleted", "SQL  Success", "SCRIPT 5 Success", "SQL 1 Ignored (Baseline)",
	}
	if ti.Current != "5" || strings.Join(states, "\n") != strings.Join(wantStates, "\n") {
		t.Fatalf("current %q, states:\n%s\nwant:\n%s", ti.Current, strings.Join(states, "\n"), strings.Join(wantStates, "\n"))
	}

	if res, err := adoptMigrator(t, db, files).AdoptFlyway(adoptCtx(t), ""); err != nil || !res.Targets[0].Skipped {
		t.Fatalf("second adopt = %+v, %v; want skipped", res, err)
	}

	more := map[string]string{"V6__new.sql": "CREATE TABLE app_new (id INT);\n"}
	for k, v := range files {
		more[k] = v
	}
	mres, err := adoptMigrator(t, db, more).Migrate(adoptCtx(t))
	if err != nil {
		t.Fatalf("migrate after adoption: %v", err)
	}
	if mres.Applied() != 1 || mres.Targets[0].Applied[0].Version != "6" {
		t.Fatalf("migrate applied %+v, want only V6", mres.Targets[0].Applied)
	}
	if _, err := adoptMigrator(t, db, more).Validate(adoptCtx(t)); err != nil {
		t.Fatalf("validate after migrate: %v", err)
	}
	if after := adoptDump(t, db, `SELECT * FROM flyway_schema_history ORDER BY installed_rank`); after != before {
		t.Fatalf("flyway table changed:\n%s\nwas:\n%s", after, before)
	}
}

// A migration that failed under Flyway stays failed: validate reports it
// and migrate refuses, as Flyway does, rather than resuming it as one of
// Strata's own non-transactional runs.
func TestAdoptFlywayFailedRowAndCustomTable(t *testing.T) {
	db := adoptDB(t)
	files := map[string]string{"V1__a.sql": "CREATE TABLE a (id INT);\n", "V2__b.sql": "CREATE TABLE b (id INT);\n"}
	createFlywaySQLite(t, db, "fw_history", []adoptRow{
		{1, "1", "a", "SQL", "V1__a.sql", adoptCRC(t, files["V1__a.sql"]), 3, true, ""},
		{2, "2", "b", "SQL", "V2__b.sql", adoptCRC(t, files["V2__b.sql"]), 2, false, ""},
	})
	if _, err := adoptMigrator(t, db, files).AdoptFlyway(adoptCtx(t), ""); err == nil || !strings.Contains(err.Error(), `"flyway_schema_history"`) {
		t.Fatalf("adopt of the default table = %v, want an error naming it", err)
	}
	res, err := adoptMigrator(t, db, files).AdoptFlyway(adoptCtx(t), "fw_history")
	if err != nil || res.Copied() != 2 || res.Targets[0].Source != `"fw_history"` {
		t.Fatalf("adopt = %+v, %v", res, err)
	}
	_, err = adoptMigrator(t, db, files).Validate(adoptCtx(t))
	var ve *engine.ValidationError
	if !errors.As(err, &ve) || len(ve.Findings) != 1 || ve.Findings[0].Code != "FAILED_VERSIONED_MIGRATION" {
		t.Fatalf("validate = %v, want the failed migration", err)
	}
	if _, err := adoptMigrator(t, db, files).Migrate(adoptCtx(t)); !errors.As(err, &ve) {
		t.Fatalf("migrate = %v, want it refused", err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'b'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("V2 ran after adoption (%d, %v)", n, err)
	}
}

func TestAdoptFlywayUnknownType(t *testing.T) {
	db := adoptDB(t)
	createFlywaySQLite(t, db, "flyway_schema_history", []adoptRow{
		{1, "1", "a", "SQL", "V1__a.sql", 1, 3, true, ""},
		{2, "2", "b", "LIQUIBASE", "V2__b.xml", nil, 2, true, ""},
	})
	_, err := adoptMigrator(t, db, map[string]string{}).AdoptFlyway(adoptCtx(t), "")
	if err == nil || !strings.Contains(err.Error(), `"LIQUIBASE" (installed_rank 2)`) {
		t.Fatalf("adopt = %v, want the unknown type named", err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM strata_schema_history`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d rows copied (%v), want none", n, err)
	}
}
