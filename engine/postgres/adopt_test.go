package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/postgres"
	"github.com/stratadb/strata/internal/pgtest"
	"github.com/stratadb/strata/locations"
)

// fwRow is one row as Flyway writes it; nil version or checksum is NULL.
type fwRow struct {
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

// crc is Flyway's checksum of a file's text.
func crc(t *testing.T, text string) int32 {
	t.Helper()
	c, err := locations.Checksum(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// createFlywayTable creates schema.table exactly as Flyway does on
// PostgreSQL (FLYWAY.md 1.2) and inserts rows as Flyway would, with the
// given installed_on values standing in for the server's now().
func createFlywayTable(t *testing.T, db *sql.DB, schema, table string, rows []fwRow) {
	t.Helper()
	d := postgres.New()
	q := d.Table(schema, table)
	stmts := []string{
		`CREATE SCHEMA IF NOT EXISTS ` + d.Quote(schema),
		`CREATE TABLE ` + q + ` (
    "installed_rank" INT NOT NULL,
    "version" VARCHAR(50),
    "description" VARCHAR(200) NOT NULL,
    "type" VARCHAR(20) NOT NULL,
    "script" VARCHAR(1000) NOT NULL,
    "checksum" INTEGER,
    "installed_by" VARCHAR(100) NOT NULL,
    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
    "execution_time" INTEGER NOT NULL,
    "success" BOOLEAN NOT NULL
)`,
		`ALTER TABLE ` + q + ` ADD CONSTRAINT ` + d.Quote(table+"_pk") + ` PRIMARY KEY ("installed_rank")`,
		`CREATE INDEX ` + d.Quote(table+"_s_idx") + ` ON ` + q + ` ("success")`,
	}
	for _, r := range rows {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO %s (installed_rank, version, description, type, script, checksum, installed_by, installed_on, execution_time, success) VALUES (%d, %s, %s, %s, %s, %s, 'flyway_user', %s, %d, %s)`,
			q, r.rank, sqlValue(d, r.version), d.Literal(r.description), d.Literal(r.typ), d.Literal(r.script), sqlValue(d, r.checksum),
			d.Literal(r.installedOn), r.execTime, d.Bool(r.success)))
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx(t), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func sqlValue(d engine.Dialect, v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return d.Literal(x)
	default:
		return fmt.Sprint(x)
	}
}

// dumpRows renders a query's rows as text, one line per row.
func dumpRows(t *testing.T, db *sql.DB, q string) string {
	t.Helper()
	rows, err := db.QueryContext(ctx(t), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
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

// flywayCopyColumns are the columns adoption copies unchanged, in a form
// comparable between Flyway's table and Strata's.
const flywayCopyColumns = `version, description, type, script, checksum, installed_by, to_char(installed_on, 'YYYY-MM-DD HH24:MI:SS.US'), execution_time, success`

var adoptFiles = map[string]string{
	"V1__init.sql":         "CREATE TABLE base (id INT);\n",
	"V2__create_users.sql": "CREATE TABLE users (id INT);\r\nCREATE TABLE roles (id INT);\r\n",
	"V3__add_index.sql":    "CREATE INDEX users_id ON users (id);\n",
	"U3__add_index.sql":    "DROP INDEX users_id;\n",
	"R__views.sql":         "CREATE OR REPLACE VIEW v AS SELECT 1 AS one;\n",
}

// flywayHistory is a history with every kind of row Flyway writes: schema
// creation, baseline, SQL, a Java (JDBC) migration, an undo and the
// re-applied migration, a migration deleted by repair, a repeatable and a
// script migration.
func flywayHistory(t *testing.T, schema string) []fwRow {
	c := func(name string) any { return crc(t, adoptFiles[name]) }
	return []fwRow{
		{0, nil, "<< Flyway Schema Creation >>", "SCHEMA", `"` + schema + `"`, nil, 0, true, "2021-03-04 05:06:07.000001"},
		{1, "1", "<< Flyway Baseline >>", "BASELINE", "<< Flyway Baseline >>", nil, 0, true, "2021-03-04 05:06:08.5"},
		{2, "2", "create users", "SQL", "V2__create_users.sql", c("V2__create_users.sql"), 12, true, "2021-04-01 10:00:00"},
		{3, "2.1", "java fix", "JDBC", "db.migration.V2_1__java_fix", nil, 40, true, "2021-04-02 10:00:00"},
		{4, "3", "add index", "SQL", "V3__add_index.sql", c("V3__add_index.sql"), 8, true, "2021-04-03 10:00:00"},
		{5, "3", "add index", "UNDO_SQL", "U3__add_index.sql", c("U3__add_index.sql"), 5, true, "2021-04-04 10:00:00"},
		{6, "3", "add index", "SQL", "V3__add_index.sql", c("V3__add_index.sql"), 7, true, "2021-04-05 10:00:00"},
		{7, "4", "dropped", "SQL", "V4__dropped.sql", 123456, 3, true, "2021-04-06 10:00:00"},
		{8, "4", "dropped", "DELETE", "V4__dropped.sql", 123456, 0, true, "2021-04-07 10:00:00"},
		{9, nil, "views", "SQL", "R__views.sql", c("R__views.sql"), 4, true, "2021-04-08 10:00:00"},
		{10, "5", "shell step", "SCRIPT", "V5__shell_step.sh", -42, 100, true, "2021-04-09 10:00:00"},
	}
}

func TestAdoptFlyway(t *testing.T) {
	db := opener(t)()
	createFlywayTable(t, db, "app", "flyway_schema_history", flywayHistory(t, "app"))
	flywayBefore := dumpRows(t, db, `SELECT * FROM app.flyway_schema_history ORDER BY installed_rank`)

	m := migrator(t, db, adoptFiles, engine.WithSchemas("app"))
	res, err := m.AdoptFlyway(ctx(t), "")
	if err != nil {
		t.Fatalf("adopt: %v", err)
	}
	if len(res.Targets) != 1 || res.Targets[0].Target != "app" || res.Targets[0].Rows != 11 || res.Targets[0].Skipped ||
		res.Targets[0].Source != `"app"."flyway_schema_history"` {
		t.Fatalf("adopt result = %+v", res.Targets)
	}
	// Every row copied in Flyway's order, with Flyway's values.
	want := dumpRows(t, db, `SELECT `+flywayCopyColumns+` FROM app.flyway_schema_history ORDER BY installed_rank`)
	got := dumpRows(t, db, `SELECT `+flywayCopyColumns+` FROM app.strata_schema_history WHERE tenant = 'app' ORDER BY installed_rank`)
	if got != want {
		t.Fatalf("strata history:\n%s\nwant:\n%s", got, want)
	}

	m = migrator(t, db, adoptFiles, engine.WithSchemas("app"))
	if _, err := m.Validate(ctx(t)); err != nil {
		t.Fatalf("validate after adoption: %v", err)
	}
	info, err := m.Info(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	ti := info.Targets[0]
	if ti.Current != "5" || ti.Pending != 0 || ti.Failed != 0 {
		t.Fatalf("info: current %q, pending %d, failed %d", ti.Current, ti.Pending, ti.Failed)
	}
	var states []string
	for _, e := range ti.Entries {
		states = append(states, e.Type+" "+e.Version+" "+string(e.State))
	}
	wantStates := []string{
		"SCHEMA  Success", "BASELINE 1 Baseline", "SQL 2 Success", "JDBC 2.1 Success", "SQL 3 Undone",
		"UNDO_SQL 3 Success", "SQL 3 Success", "SQL 4 Deleted", "SQL  Success", "SCRIPT 5 Success", "SQL 1 Ignored (Baseline)",
	}
	if strings.Join(states, "\n") != strings.Join(wantStates, "\n") {
		t.Fatalf("states:\n%s\nwant:\n%s", strings.Join(states, "\n"), strings.Join(wantStates, "\n"))
	}

	// Adopting again changes nothing.
	res, err = migrator(t, db, adoptFiles, engine.WithSchemas("app")).AdoptFlyway(ctx(t), "flyway_schema_history")
	if err != nil || !res.Targets[0].Skipped || res.Targets[0].Rows != 0 {
		t.Fatalf("second adopt = %+v, %v; want skipped", res, err)
	}
	if n := scalar[int](t, db, `SELECT count(*) FROM app.strata_schema_history`); n != 11 {
		t.Fatalf("history rows after a second adopt = %d, want 11", n)
	}

	// A file added afterwards is the only thing migrate runs.
	files := map[string]string{"V6__new.sql": "CREATE TABLE app_new (id INT);\n"}
	for k, v := range adoptFiles {
		files[k] = v
	}
	mres, err := migrator(t, db, files, engine.WithSchemas("app")).Migrate(ctx(t))
	if err != nil {
		t.Fatalf("migrate after adoption: %v", err)
	}
	if mres.Applied() != 1 || mres.Targets[0].Applied[0].Version != "6" {
		t.Fatalf("migrate applied %+v, want only V6", mres.Targets[0].Applied)
	}
	if !scalar[bool](t, db, `SELECT to_regclass('app.app_new') IS NOT NULL`) {
		t.Fatal("V6 did not run in schema app")
	}
	if _, err := migrator(t, db, files, engine.WithSchemas("app")).Validate(ctx(t)); err != nil {
		t.Fatalf("validate after migrate: %v", err)
	}
	if after := dumpRows(t, db, `SELECT * FROM app.flyway_schema_history ORDER BY installed_rank`); after != flywayBefore {
		t.Fatalf("flyway table changed:\n%s\nwas:\n%s", after, flywayBefore)
	}
}

func TestAdoptFlywayTenants(t *testing.T) {
	db := opener(t)()
	files := map[string]string{
		"V1__a.sql":    "CREATE TABLE a (id INT);\n",
		"V2__b.sql":    "CREATE TABLE b (id INT);\n",
		"R__views.sql": "CREATE OR REPLACE VIEW v AS SELECT 1 AS one;\n",
	}
	c := func(name string) any { return crc(t, files[name]) }
	createFlywayTable(t, db, "t1", "flyway_schema_history", []fwRow{
		{1, "1", "a", "SQL", "V1__a.sql", c("V1__a.sql"), 3, true, "2022-01-01 00:00:01"},
		{2, nil, "views", "SQL", "R__views.sql", c("R__views.sql"), 2, true, "2022-01-01 00:00:02"},
		{3, "2", "b", "SQL", "V2__b.sql", c("V2__b.sql"), 1, true, "2022-01-01 00:00:03"},
	})
	createFlywayTable(t, db, "t2", "flyway_schema_history", []fwRow{
		{1, "1", "a", "SQL", "V1__a.sql", c("V1__a.sql"), 3, true, "2022-02-01 00:00:01"},
		{2, nil, "views", "SQL", "R__views.sql", c("R__views.sql"), 2, true, "2022-02-01 00:00:02"},
	})
	tenants := engine.WithTenantSource(engine.TenantSource{Schemas: []string{"t1", "t2"}})
	res, err := migrator(t, db, files, tenants).AdoptFlyway(ctx(t), "")
	if err != nil {
		t.Fatalf("adopt: %v", err)
	}
	if len(res.Targets) != 2 || res.Targets[0].Rows != 3 || res.Targets[1].Rows != 2 || res.Copied() != 5 {
		t.Fatalf("adopt result = %+v", res.Targets)
	}
	for _, tenant := range []string{"t1", "t2"} {
		want := dumpRows(t, db, `SELECT `+flywayCopyColumns+` FROM `+tenant+`.flyway_schema_history ORDER BY installed_rank`)
		got := dumpRows(t, db, `SELECT `+flywayCopyColumns+` FROM public.strata_schema_history WHERE tenant = '`+tenant+`' ORDER BY installed_rank`)
		if got != want {
			t.Fatalf("tenant %s:\n%s\nwant:\n%s", tenant, got, want)
		}
	}
	// t1's state row matches the files: planning needs no history read.
	p, err := migrator(t, db, files, tenants).Plan(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Targets[0].UpToDate || p.Targets[1].UpToDate || p.Targets[0].Current != "2" {
		t.Fatalf("plan: t1 up to date %v (current %q), t2 up to date %v", p.Targets[0].UpToDate, p.Targets[0].Current, p.Targets[1].UpToDate)
	}
	mres, err := migrator(t, db, files, tenants).Migrate(ctx(t))
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if mres.Applied() != 1 || mres.Targets[1].Target != "t2" || len(mres.Targets[1].Applied) != 1 || mres.Targets[1].Applied[0].Version != "2" {
		t.Fatalf("migrate = %+v, want only V2 on t2", mres.Targets)
	}
	if _, err := migrator(t, db, files, tenants, engine.WithDetails()).Validate(ctx(t)); err != nil {
		t.Fatalf("validate: %v", err)
	}
}

func TestAdoptFlywayTakesFlywayLock(t *testing.T) {
	open := opener(t)
	db := open()
	createFlywayTable(t, db, "public", "custom_history", []fwRow{
		{1, "1", "a", "SQL", "V1__a.sql", crc(t, "SELECT 1;\n"), 3, true, "2022-01-01 00:00:01"},
	})
	conn, err := open().Conn(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	key := postgres.New().(engine.FlywayLocker).FlywayLockKey("public", "custom_history")
	release, err := postgres.New().Lock(ctx(t), conn, key, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"V1__a.sql": "SELECT 1;\n"}
	_, err = migrator(t, db, files, engine.WithLockWait(200*time.Millisecond)).AdoptFlyway(ctx(t), "custom_history")
	if !errors.Is(err, engine.ErrLocked) {
		t.Fatalf("adopt while Flyway holds its lock = %v, want ErrLocked", err)
	}
	if n := scalar[int](t, db, `SELECT count(*) FROM strata_schema_history`); n != 0 {
		t.Fatalf("%d rows copied without the lock", n)
	}
	if err := release(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, err := migrator(t, db, files).AdoptFlyway(ctx(t), "custom_history")
	if err != nil || res.Copied() != 1 {
		t.Fatalf("adopt = %+v, %v", res, err)
	}
	if _, err := migrator(t, db, files).Validate(ctx(t)); err != nil {
		t.Fatalf("validate: %v", err)
	}
}

func TestAdoptFlywayMissingTable(t *testing.T) {
	url := pgtest.Database(t)
	db := openURL(t, url)
	createFlywayTable(t, db, "t1", "flyway_schema_history", nil)
	if _, err := db.ExecContext(ctx(t), `CREATE SCHEMA t2`); err != nil {
		t.Fatal(err)
	}
	m := migrator(t, db, map[string]string{"V1__a.sql": "SELECT 1;\n"}, engine.WithTenantSource(engine.TenantSource{Schemas: []string{"t1", "t2"}}))
	_, err := m.AdoptFlyway(ctx(t), "")
	if err == nil || !strings.Contains(err.Error(), `"flyway_schema_history"`) || !strings.Contains(err.Error(), `schema "t2"`) ||
		strings.Contains(err.Error(), `schema "t1"`) {
		t.Fatalf("adopt = %v, want an error naming t2's missing table", err)
	}
	if scalar[bool](t, db, `SELECT to_regclass('public.strata_schema_history') IS NOT NULL`) {
		t.Fatal("strata's tables were created although nothing could be adopted")
	}
}
