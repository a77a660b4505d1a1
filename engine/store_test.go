package engine_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/postgres"
	"github.com/stratadb/strata/engine/sqlite"
	"github.com/stratadb/strata/engine/sqlserver"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// TestStoreGolden pins every statement Strata runs on its own tables, for
// each dialect: testdata/store/<dialect>.sql.
func TestStoreGolden(t *testing.T) {
	for _, d := range []engine.Dialect{sqlite.New(), postgres.New(), sqlserver.New()} {
		t.Run(d.Name(), func(t *testing.T) {
			got := engine.RenderStore(d, engine.Tables{Schema: "app", History: "strata_schema_history"})
			path := filepath.Join("testdata", "store", d.Name()+".sql")
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
				t.Fatalf("%s differs from %s (run go test -update):\n%s", d.Name(), path, got)
			}
		})
	}
}
