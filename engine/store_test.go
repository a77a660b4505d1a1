package engine_test

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/internal/splittest"
	"github.com/stratadb/strata/engine/mysql"
	"github.com/stratadb/strata/engine/postgres"
	"github.com/stratadb/strata/engine/sqlite"
	"github.com/stratadb/strata/engine/sqlserver"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// TestStoreGolden pins every statement Strata runs on its own tables, for
// each dialect: testdata/store/<dialect>.sql.
func TestStoreGolden(t *testing.T) {
	for _, d := range []engine.Dialect{sqlite.New(), postgres.New(), sqlserver.New(), mysql.New()} {
		t.Run(d.Name(), func(t *testing.T) {
			got := engine.RenderStore(d, engine.Tables{Schema: "app", History: "strata_schema_history"})
			splittest.GoldenFile(t, filepath.Join("testdata", "store", d.Name()+".sql"), got, *update)
		})
	}
}
