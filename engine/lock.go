package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/stratadb/strata/schemas"
)

// lockKey is the 64-bit key of a target's lock: a hash of the qualified
// history table and the tenant.
func (m *run) lockKey(tenant string) int64 {
	h := fnv.New64a()
	h.Write([]byte(m.store().historyTable()))
	h.Write([]byte{0})
	h.Write([]byte(tenant))
	return int64(h.Sum64())
}

// lockKeys are the keys a target's run holds: the target's own, and for a
// single target without tenants also Flyway's key on the same schema, so a
// Flyway node migrating at the same moment waits.
func (m *run) lockKeys(t schemas.Target) []int64 {
	keys := []int64{m.lockKey(t.Name)}
	if fl, ok := m.dialect.(FlywayLocker); ok && !t.Tenant && len(m.targets) == 1 {
		keys = append(keys, fl.FlywayLockKey(m.tables.Schema, m.flywayTable))
	}
	return keys
}

// adoptLockKeys are the keys an adoption of the Flyway table schema.table
// into target t holds: the target's own and Flyway's on that table.
func (m *run) adoptLockKeys(t schemas.Target, schema, table string) []int64 {
	keys := []int64{m.lockKey(t.Name)}
	if fl, ok := m.dialect.(FlywayLocker); ok {
		keys = append(keys, fl.FlywayLockKey(schema, table))
	}
	return keys
}

// lockSession takes the session-level locks with the given keys on conn,
// in order, waiting at most timeout for each. A LockError names what
// (unless the dialect named the holder's target) and, for a single try
// (timeout 0), is marked busy. On failure the locks already taken are
// released; release gives back all of them, newest first, with a context
// that is never cancelled.
func (m *run) lockSession(ctx context.Context, conn *sql.Conn, keys []int64, timeout time.Duration, what string) (release func() error, err error) {
	var releases []func(context.Context) error
	release = func() error {
		var errs []error
		for i := len(releases) - 1; i >= 0; i-- {
			errs = append(errs, releases[i](context.WithoutCancel(ctx)))
		}
		return errors.Join(errs...)
	}
	for _, key := range keys {
		rel, err := m.waitLock(ctx, conn, key, timeout, what)
		if err != nil {
			var le *LockError
			if errors.As(err, &le) {
				if le.Target == "" {
					le.Target = what
				}
				le.busy = timeout == 0
			}
			release()
			return nil, err
		}
		releases = append(releases, rel)
	}
	return release, nil
}

// waitLock takes the lock with key on conn. When it is held elsewhere and
// timeout allows waiting, a first try tells the observer (LockWaiting, with
// the holder) before the wait, and LockTaken when the lock comes.
func (m *run) waitLock(ctx context.Context, conn *sql.Conn, key int64, timeout time.Duration, what string) (func(context.Context) error, error) {
	if timeout <= 0 || m.observer == nil {
		return m.dialect.Lock(ctx, conn, key, timeout)
	}
	rel, err := m.dialect.Lock(ctx, conn, key, 0)
	var le *LockError
	if !errors.As(err, &le) {
		return rel, err // taken at once, or an error other than a held lock
	}
	began := time.Now()
	m.emit(LockWaiting{Target: what, Holder: le.Holder, Timeout: timeout})
	rel, err = m.dialect.Lock(ctx, conn, key, timeout)
	if err == nil {
		m.emit(LockTaken{Target: what, Waited: time.Since(began)})
	}
	return rel, err
}

// bootstrapKey guards creating schemas and Strata's tables.
func (m *run) bootstrapKey() int64 { return m.lockKey("\x00bootstrap") }

// txPrefix returns the statements that open a migration's transaction:
// lockedBegin, then the target's session settings.
func (r *targetRun) txPrefix() (parts []Part, lockParts int, guard int) {
	parts, lockParts, guard = r.lockedBegin()
	for _, s := range r.m.dialect.SessionSetup(r.cur, ScopeTransaction) {
		parts = append(parts, Part{SQL: s})
	}
	return parts, lockParts, guard
}

// lockedBegin returns the statements that open a transaction that writes
// the target's history: BEGIN and, through a pooler, the transaction-level
// lock and the guard (guard is its index, -1 without). lockParts is the
// number of statements that take the lock (after BEGIN); txPrefixError
// reads a failure among them.
func (r *targetRun) lockedBegin() (parts []Part, lockParts int, guard int) {
	d := r.m.dialect
	parts = []Part{{SQL: d.Begin()}}
	guard = -1
	if tl, ok := d.(TxLocker); ok && r.m.pooling == TransactionPooling {
		parts = append(parts, r.m.txLockParts(tl, r.m.lockKey(r.target.Name))...)
		lockParts = len(parts) - 1
		guard = len(parts)
		parts = append(parts, Part{SQL: tl.Guard(r.generationIs())})
	}
	return parts, lockParts, guard
}

// txLockParts are the statements that take the transaction-level locks
// with the given keys, waiting at most the lock timeout for each.
func (m *run) txLockParts(tl TxLocker, keys ...int64) []Part {
	var parts []Part
	for _, key := range keys {
		for _, q := range tl.TxLock(key, m.lockTimeout) {
			parts = append(parts, Part{SQL: q})
		}
	}
	return parts
}

// txLockError returns a LockError naming what when err is a timeout of a
// transaction-level lock taken by parts [1, 1+lockParts) of an Exec (after
// BEGIN), nil otherwise.
func (m *run) txLockError(err error, lockParts int, what string) error {
	tl, ok := m.dialect.(TxLocker)
	var ee *ExecError
	if ok && errors.As(err, &ee) && ee.Part >= 1 && ee.Part <= lockParts && tl.IsTxLockTimeout(err) {
		return &LockError{Target: what, Timeout: m.lockTimeout}
	}
	return nil
}

// execTxLocks takes the transaction-level locks with the given keys in the
// open transaction on conn, one statement at a time. A timeout is a
// LockError naming what; any other failure is returned as it is.
func (m *run) execTxLocks(ctx context.Context, conn *sql.Conn, tl TxLocker, what string, keys ...int64) error {
	for _, p := range m.txLockParts(tl, keys...) {
		if _, err := conn.ExecContext(ctx, p.SQL); err != nil {
			if tl.IsTxLockTimeout(err) {
				return &LockError{Target: what, Timeout: m.lockTimeout}
			}
			return err
		}
	}
	return nil
}

// generationIs is the SQL condition that the target's state generation is
// still the one this run read.
func (r *targetRun) generationIs() string {
	return r.m.store().generationIs(r.target.Name, r.generation)
}

// txPrefixError turns a failure of the prefix into a lock error or a
// conflict, or returns nil when the failure was elsewhere.
func (r *targetRun) txPrefixError(err error, lockParts, guard int) error {
	var ee *ExecError
	if !errors.As(err, &ee) {
		return nil
	}
	tl, ok := r.m.dialect.(TxLocker)
	if ok && ee.Part == guard && tl.IsConflict(err) {
		return errConflict
	}
	return r.m.txLockError(err, lockParts, r.target.Name)
}

// inLockedTx runs fn in one transaction that holds the transaction-level
// lock with the given key (through a transaction pooler).
func (m *run) inLockedTx(ctx context.Context, conn *sql.Conn, key int64, what string, fn func() error) error {
	tl := m.dialect.(TxLocker)
	fail := func(err error) error {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return err
	}
	if _, err := conn.ExecContext(ctx, m.dialect.Begin()); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := m.execTxLocks(ctx, conn, tl, what, key); err != nil {
		var le *LockError
		if errors.As(err, &le) {
			return fail(err)
		}
		return fail(fmt.Errorf("%s: %w", what, err))
	}
	if err := fn(); err != nil {
		return fail(err)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fail(fmt.Errorf("%s: commit: %w", what, err))
	}
	return nil
}

// runLocked runs statements in one transaction that holds the
// transaction-level lock with the given key (through a transaction pooler).
func (m *run) runLocked(ctx context.Context, conn *sql.Conn, key int64, what string, stmts []string) error {
	tl := m.dialect.(TxLocker)
	parts := append([]Part{{SQL: m.dialect.Begin()}}, m.txLockParts(tl, key)...)
	lockParts := len(parts) - 1
	for _, q := range stmts {
		parts = append(parts, Part{SQL: q})
	}
	parts = append(parts, Part{SQL: "COMMIT"})
	if err := m.dialect.Exec(ctx, conn, parts); err != nil {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		if le := m.txLockError(err, lockParts, what); le != nil {
			return le
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// LockKey returns the key of the lock a run of this plan takes for a
// target, so that tools and tests can find or take the same lock.
func (p *Plan) LockKey(target string) int64 { return p.run.lockKey(target) }
