package mysql_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/mysql"
	"github.com/stratadb/strata/engine/postgres"
	"github.com/stratadb/strata/internal/mysqltest"
	"github.com/stratadb/strata/internal/pgtest"
	"github.com/stratadb/strata/locations"
	"github.com/stratadb/strata/placeholders"
)

// compatFiles run unchanged on MySQL and PostgreSQL: DDL (statement by
// statement on MySQL, in one transaction on PostgreSQL), DML, a repeatable
// with a placeholder, CRLF line ends and a BOM.
var compatFiles = map[string]string{
	"V1__create_items.sql":        "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL);\nCREATE INDEX items_name ON items (name);\n",
	"V1_1__add_items.sql":         "\ufeffINSERT INTO items (id, name) VALUES (1, 'one');\r\nINSERT INTO items (id, name) VALUES (2, '${who}');\r\n",
	"V2__a_much_longer_name.sql":  "-- comment only\n",
	"R__items_view.sql":           "DROP VIEW IF EXISTS item_names;\nCREATE VIEW item_names AS SELECT name, '${who}' AS who FROM items;\n",
	"V3__more_rows_and_index.sql": "INSERT INTO items (id, name) VALUES (3, 'three');\n",
}

func migrate(t *testing.T, d engine.Dialect, db *sql.DB) {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, text := range compatFiles {
		fsys[name] = &fstest.MapFile{Data: []byte(text)}
	}
	set, err := locations.Collect([]locations.Root{{Name: "db", FS: fsys}}, locations.Options{})
	if err != nil {
		t.Fatal(err)
	}
	vals, err := placeholders.NewValues(map[string]string{"who": "strata"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := engine.New(d, db, set, engine.WithPlaceholders(placeholders.Syntax{}, vals), engine.WithInstalledBy("ci"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := m.Migrate(ctx); err != nil {
		t.Fatalf("%s: migrate: %v", d.Name(), err)
	}
}

// flywayRows reads Flyway's columns of the history but installed_rank,
// installed_on and execution_time, which differ from run to run.
func flywayRows(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query("SELECT version, description, type, script, checksum, installed_by, success FROM strata_schema_history ORDER BY installed_rank")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var version, checksum sql.NullString
		var desc, typ, script, by string
		var success bool
		if err := rows.Scan(&version, &desc, &typ, &script, &checksum, &by, &success); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s|%s|%s|%s|%s|%s|%v\n", version.String, desc, typ, script, checksum.String, by, success)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestHistoryRowsMatchPostgres applies the same files on MariaDB and on
// PostgreSQL (Flyway-compatible there): the history rows, checksums
// included, are the same.
func TestHistoryRowsMatchPostgres(t *testing.T) {
	my := mysqltest.Open(t, mysqltest.Database(t))
	pgURL := pgtest.Database(t)
	pg, err := postgres.Open(context.Background(), pgURL, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	migrate(t, mysql.New(), my)
	migrate(t, postgres.New(), pg)
	got, want := flywayRows(t, my), flywayRows(t, pg)
	if got != want {
		t.Fatalf("MariaDB history:\n%s\nPostgreSQL history:\n%s", got, want)
	}
	if strings.Count(got, "\n") != 5 {
		t.Fatalf("history:\n%s", got)
	}
}

// TestFlywayColumns checks Flyway's ten columns of the history table
// against Flyway's MySQL history table: names, order and types.
func TestFlywayColumns(t *testing.T) {
	db := mysqltest.Open(t, mysqltest.Database(t))
	migrate(t, mysql.New(), db)
	rows, err := db.Query(`SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'strata_schema_history' ORDER BY ORDINAL_POSITION LIMIT 10`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var name, typ, null string
		if err := rows.Scan(&name, &typ, &null); err != nil {
			t.Fatal(err)
		}
		typ = strings.TrimSuffix(typ, "(11)") // int(11) on MariaDB and MySQL 5.7
		got = append(got, name+" "+typ+" "+null)
	}
	want := []string{
		"installed_rank int NO", "version varchar(50) YES", "description varchar(200) NO", "type varchar(20) NO",
		"script varchar(1000) NO", "checksum int YES", "installed_by varchar(100) NO", "installed_on timestamp NO",
		"execution_time int NO", "success tinyint(1) NO",
	}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Fatalf("Flyway's columns:\n got  %s\n want %s", strings.Join(got, ", "), strings.Join(want, ", "))
	}
}

// flywayDDL is Flyway's MySQL history table (createMetaDataTable.sql).
const flywayDDL = "CREATE TABLE `flyway_schema_history` (\n" +
	"    `installed_rank` INT NOT NULL,\n    `version` VARCHAR(50),\n    `description` VARCHAR(200) NOT NULL,\n" +
	"    `type` VARCHAR(20) NOT NULL,\n    `script` VARCHAR(1000) NOT NULL,\n    `checksum` INT,\n" +
	"    `installed_by` VARCHAR(100) NOT NULL,\n    `installed_on` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,\n" +
	"    `execution_time` INT NOT NULL,\n    `success` BOOL NOT NULL,\n" +
	"    CONSTRAINT `flyway_schema_history_pk` PRIMARY KEY (`installed_rank`)\n) ENGINE=InnoDB"

// TestAdoptFlywayHistory adopts a history written by Flyway into its MySQL
// table (the rows Strata would write for the same files): nothing runs
// again, and validate passes.
func TestAdoptFlywayHistory(t *testing.T) {
	u := mysqltest.Database(t)
	db := mysqltest.Open(t, u)
	// Strata's rows in another database give the rows Flyway writes.
	ref := mysqltest.Open(t, mysqltest.Database(t))
	migrate(t, mysql.New(), ref)
	if _, err := db.Exec(flywayDDL); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE INDEX `flyway_schema_history_s_idx` ON `flyway_schema_history` (`success`)"); err != nil {
		t.Fatal(err)
	}
	rows, err := ref.Query("SELECT installed_rank, version, description, type, script, checksum, installed_by, execution_time, success FROM strata_schema_history ORDER BY installed_rank")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var rank, exe int
		var version, checksum sql.NullString
		var desc, typ, script, by string
		var success bool
		if err := rows.Scan(&rank, &version, &desc, &typ, &script, &checksum, &by, &exe, &success); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			rank, version, desc, typ, script, checksum, by, exe, success); err != nil {
			t.Fatal(err)
		}
	}
	rows.Close()
	// The objects the migrations made, as Flyway left them.
	for _, q := range []string{"CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL)",
		"CREATE VIEW item_names AS SELECT name, 'strata' AS who FROM items"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	fsys := fstest.MapFS{}
	for name, text := range compatFiles {
		fsys[name] = &fstest.MapFile{Data: []byte(text)}
	}
	set, err := locations.Collect([]locations.Root{{Name: "db", FS: fsys}}, locations.Options{})
	if err != nil {
		t.Fatal(err)
	}
	vals, _ := placeholders.NewValues(map[string]string{"who": "strata"})
	m, err := engine.New(mysql.New(), db, set, engine.WithPlaceholders(placeholders.Syntax{}, vals))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := m.AdoptFlyway(ctx, ""); err != nil {
		t.Fatalf("adopt: %v", err)
	}
	if res, err := m.Migrate(ctx); err != nil || res.Applied() != 0 {
		t.Fatalf("migrate after adoption: %v, %+v", err, res)
	}
	if _, err := m.Validate(ctx); err != nil {
		t.Fatalf("validate after adoption: %v", err)
	}
	if got, want := flywayRows(t, db), flywayRows(t, ref); got != want {
		t.Fatalf("adopted history:\n%s\nwant:\n%s", got, want)
	}
}
