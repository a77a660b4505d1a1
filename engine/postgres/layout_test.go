package postgres

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stratadb/strata/engine"
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
	path := filepath.Join("testdata", "golden", name+".sql")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Fatalf("%s differs from %s (run go test -update):\n%s", name, path, got)
	}
}
