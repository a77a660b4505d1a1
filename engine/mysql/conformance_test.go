package mysql_test

import (
	"database/sql"
	"testing"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/enginetest"
	"github.com/stratadb/strata/engine/mysql"
	"github.com/stratadb/strata/internal/mysqltest"
)

var (
	_ engine.Cleaner         = (*mysql.Dialect)(nil)
	_ engine.SchemaLister    = (*mysql.Dialect)(nil)
	_ engine.SystemSchemas   = (*mysql.Dialect)(nil)
	_ engine.SchemaInspector = (*mysql.Dialect)(nil)
	_ engine.SchemaFinder    = (*mysql.Dialect)(nil)
	_ engine.FlywayLocker    = (*mysql.Dialect)(nil)
	_ engine.LockTimeouts    = (*mysql.Dialect)(nil)
	_ engine.ConnectionLoss  = (*mysql.Dialect)(nil)
	_ engine.LayoutUpgrader  = (*mysql.Dialect)(nil)
	_ engine.ProgressSender  = (*mysql.Dialect)(nil)
	_ engine.Deadlocks       = (*mysql.Dialect)(nil)
)

// TestConformance runs the shared suite against the local MariaDB (or the
// server of STRATA_TEST_MYSQL_URL).
func TestConformance(t *testing.T) {
	enginetest.Run(t, mysql.New(), func(t *testing.T) func() *sql.DB {
		u := mysqltest.Database(t)
		return func() *sql.DB { return mysqltest.Open(t, u) }
	}, enginetest.SchemaNames(schemaName))
}

// schemaName gives each schema of a conformance test a database of its
// own, dropped when the test ends: databases are shared by the whole
// server.
func schemaName(t *testing.T, name string) string {
	db := mysqltest.DatabaseName(name)
	t.Cleanup(func() {
		if err := mysqltest.AdminExec(mysqltest.Server(t), "DROP DATABASE IF EXISTS `"+db+"`"); err != nil {
			t.Errorf("drop database %s: %v", db, err)
		}
	})
	return db
}
