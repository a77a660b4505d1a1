// Package sqlite is Strata's SQLite dialect, on modernc.org/sqlite (pure Go,
// no cgo). It is the embedded default: the quickstart and most tests run on
// it.
//
// SQLite has one schema (main), so an environment on SQLite has one target
// named "main" and no tenants. Each migration runs in a BEGIN IMMEDIATE
// transaction, statement by statement, so that an error names the statement
// and its line. The target's lock is an operating-system file lock on
// "<database>.strata-lock" next to the database file, taken with flock(2):
// it is released by the kernel when the process dies, so a killed run never
// leaves a lock behind, and it also covers files that cannot run in a
// transaction (PRAGMA foreign_keys, a file's own BEGIN/COMMIT), which
// SQLite's own write lock alone could not.
package sqlite
