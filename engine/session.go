package engine

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/stratadb/strata/schemas"
)

// The prologue of every command's work on one target, written once: migrate
// (applyTarget), the lifecycle commands (onTarget) and Flyway adoption
// (adoptTarget) connect, make sure Strata's tables exist, take the target's
// locks, make sure its state row exists, then read its history and plan.

// targetLock says which session-level locks a target's work holds, how
// long it waits for each, and how a LockError names the target.
type targetLock struct {
	keys    []int64
	timeout time.Duration
	what    string
}

// connectTarget pins a connection of its own for one target.
func (m *run) connectTarget(ctx context.Context, t schemas.Target) (*sql.Conn, error) {
	conn, err := m.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("target %s: connect: %w", t.Name, err)
	}
	return conn, nil
}

// closeTarget returns a target's connection to the pool, or closes it for
// good after an error: a connection is never reused after an error.
func closeTarget(conn *sql.Conn, failed bool) {
	if failed {
		discard(conn)
	}
	conn.Close()
}

// openTarget prepares conn for work on target t: Strata's tables exist
// with the current layout (bootstrap), the target's locks are held
// (directly connected; through a transaction pooler each transaction takes
// them instead), and the target's state row exists. release gives the
// locks back; the caller defers it and decides what its error means.
func (m *run) openTarget(ctx context.Context, conn *sql.Conn, t schemas.Target, lk targetLock) (release func() error, err error) {
	if err := m.bootstrap(ctx, conn, t); err != nil {
		return nil, fmt.Errorf("target %s: %w", t.Name, err)
	}
	release = func() error { return nil }
	if m.pooling == DirectConnections {
		if release, err = m.lockSession(ctx, conn, lk.keys, lk.timeout, lk.what); err != nil {
			return nil, err
		}
	}
	if err := m.ensureStateRow(ctx, conn, t); err != nil {
		_ = release()
		return nil, err
	}
	return release, nil
}

// planOnTarget reads target t's history on conn and plans it.
func (m *run) planOnTarget(ctx context.Context, conn *sql.Conn, p *Plan, t schemas.Target) (*TargetPlan, error) {
	rows, err := m.readHistory(ctx, conn, t.Name)
	if err != nil {
		return nil, err
	}
	return m.planTarget(p.session, t, rows, p.start)
}

// newTargetRun is the run of target t's migrations on conn, in the
// session the plan described, scoped to the target.
func (m *run) newTargetRun(conn *sql.Conn, p *Plan, t schemas.Target) *targetRun {
	run := &targetRun{m: m, conn: conn, session: p.session, target: t, start: p.start}
	run.session.Schema, run.session.Target = t.Schema, t.Name
	return run
}

// ensureStateRow creates the target's state row; it runs under the
// target's lock, so two runners never race to insert it.
func (m *run) ensureStateRow(ctx context.Context, conn *sql.Conn, t schemas.Target) error {
	q := m.store().insertStateRow(t.Name)
	var err error
	dl, _ := m.dialect.(Deadlocks)
	for attempt := 0; ; attempt++ {
		if m.pooling == TransactionPooling {
			err = m.runLocked(ctx, conn, m.lockKey(t.Name), t.Name, []string{q})
		} else {
			_, err = conn.ExecContext(ctx, q)
		}
		if err == nil || dl == nil || !dl.IsDeadlock(err) || attempt >= 5 || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Duration(attempt+1) * 10 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("target %s: create state row: %w", t.Name, err)
	}
	return nil
}
