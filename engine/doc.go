// Package engine plans and applies migrations: it compares the files a
// locations.Set holds with the history table of each target, computes
// Flyway's migration states, validates, and applies what is pending, one
// transaction per migration together with its history and state rows.
//
// The engine imports no database driver. A Dialect supplies the SQL text and
// the few operations that differ per database (statement splitting,
// execution, locking); engine/sqlite, engine/postgres, engine/sqlserver and
// engine/mysql implement it, and optional interfaces (FlywayLocker,
// TxLocker, Cleaner, SchemaLister, SystemSchemas, LockTimeouts,
// RetryPreparer, ProgressSender, Deadlocks, TransientErrors) add what only some databases
// can do. The engine never prints: it reports progress as
// Events to an observer given with WithObserver. A Migrator is not changed
// after New and is safe for concurrent use.
//
// A typical use:
//
//	set, err := locations.Collect([]locations.Root{{Name: "migrations", FS: fsys}}, locations.Options{})
//	db, err := sqlite.Open("app.db", 30*time.Second)
//	m, err := engine.New(sqlite.New(), db, set)
//	res, err := m.Migrate(ctx)
package engine

// Where things are (for those changing the engine):
//
//	engine.go, tenants.go  the Migrator, its options (New, With...), session and tenants
//	run.go                 a run (one command's resolved targets and caches), Apply's pool, applyTarget
//	rollout.go             waves over the tenants (WithWaves): assignment, budgets; Apply runs them in order
//	shard.go               --shard i/n: a stable share of the tenants by FNV-1a of their names
//	retry.go               a tenant tried again after a transient failure (WithTargetRetries)
//	session.go             the per-target prologue: connect, bootstrap, lock, state row, read and plan
//	lock.go                lock keys, session-level and transaction-level locks
//	bootstrap.go layout.go creating Strata's tables and schemas; upgrading their layout
//	store.go               every statement on Strata's history, state and meta tables (golden: testdata/store)
//	store_read.go          running the store's queries and scanning their rows
//	execute.go             one file in one transaction (batches); execute_bystatement.go: one by one
//	target.go              targetRun: one target's migrations on its pinned connection
//	txcontrol.go           transaction-control keywords of statements
//	plan.go state.go       planning and Flyway's migration states; findings.go: validation
//	lifecycle.go adopt.go  baseline, repair, undo (and discard), clean; adopting Flyway's history
//	markapplied.go         mark-applied: history rows without running the files
//	errors.go advice.go    typed errors; advice in the library's words
