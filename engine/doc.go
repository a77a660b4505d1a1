// Package engine plans and applies migrations: it compares the files a
// locations.Set holds with the history table of each target, computes
// Flyway's migration states, validates, and applies what is pending, one
// transaction per migration together with its history and state rows.
//
// The engine imports no database driver. A Dialect supplies the SQL text and
// the few operations that differ per database (statement splitting,
// execution, locking); engine/sqlite, engine/postgres and engine/sqlserver
// implement it, and optional interfaces (FlywayLocker, TxLocker, Cleaner,
// SchemaLister, LockTimeouts, RetryPreparer) add what only some databases
// can do. The engine never prints: it reports progress as Events to an
// observer given with WithObserver.
//
// A typical use:
//
//	set, err := locations.Collect([]locations.Root{{Name: "migrations", FS: fsys}}, locations.Options{})
//	db, err := sqlite.Open("app.db", 30*time.Second)
//	m, err := engine.New(sqlite.New(), db, set)
//	res, err := m.Migrate(ctx)
package engine
