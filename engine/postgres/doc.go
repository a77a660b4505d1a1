// Package postgres is Strata's PostgreSQL dialect, on
// github.com/jackc/pgx/v5 (through its database/sql driver). It is the
// only package that imports pgx.
//
// A transactional migration is sent as one simple-protocol query: BEGIN,
// SET LOCAL of the target's search_path and timeouts, the file, the history
// INSERT, the state UPDATE and COMMIT, in one round trip. Errors are mapped
// back to the file through PostgreSQL's error position (which counts
// characters, not bytes), or through the number of statements that
// completed when the server gives no position; errors inside function
// bodies use the internal position.
//
// Locks are session-level advisory locks taken with pg_try_advisory_lock
// and polled, never waited on inside the server: a session blocked in
// pg_advisory_lock would be a transaction that CREATE INDEX CONCURRENTLY
// waits for (Flyway's most reported PostgreSQL bug).
package postgres
