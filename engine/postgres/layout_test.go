package postgres

import (
	"strings"
	"testing"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/internal/splittest"
)

// TestGoldenTables pins the DDL of Strata's tables and of the in-place
// upgrade from each older layout.
func TestGoldenTables(t *testing.T) {
	d := Dialect{}
	tables := engine.Tables{Schema: "app", History: "strata_schema_history"}
	goldenFile(t, "create_tables", strings.Join(d.CreateTables(tables), ";\n")+";\n")
	var up []string
	for from := 1; from < engine.Layout; from++ {
		up = append(up, d.UpgradeTables(tables, from)...)
	}
	goldenFile(t, "upgrade_tables", strings.Join(up, ";\n")+";\n")
}

func goldenFile(t *testing.T, name, got string) {
	t.Helper()
	splittest.GoldenSQL(t, name, got, *update)
}

func TestSystemSchema(t *testing.T) {
	var _ engine.SystemSchemas = Dialect{}
	for name, want := range map[string]bool{
		"pg_catalog": true, "pg_toast": true, "pg_temp_3": true, "information_schema": true,
		"public": false, "tenant_pg_1": false, "Information_Schema": false, "pgx": false,
	} {
		if got := (Dialect{}).SystemSchema(name); got != want {
			t.Errorf("SystemSchema(%q) = %v, want %v", name, got, want)
		}
	}
}
