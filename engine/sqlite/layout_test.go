package sqlite

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
	tables := engine.Tables{History: "strata_schema_history"}
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
