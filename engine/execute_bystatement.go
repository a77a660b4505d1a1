package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// applyStatementByStatement runs a file that cannot run in one transaction.
// A history row with success = false records progress and the checksums
// of the statements applied so far; each statement that can run in a
// transaction runs in one together with its progress update, the others
// run bare. A re-run resumes after the last recorded statement (plan.go
// decides whether it may: the file unchanged, or changed only after the
// statements that ran). A failure reports exactly which statements stayed
// applied.
func (r *targetRun) applyStatementByStatement(ctx context.Context, e *Entry, row HistoryRow, sc *script, src *replay) error {
	m, d := r.m, r.m.dialect
	began := time.Now()
	// The each-migrate callbacks run as Flyway runs them around a
	// migration outside a transaction: beforeEachMigrate before its first
	// statement (in a transaction of its own, before anything is
	// recorded), afterEachMigrate in the transaction that records its
	// success.
	var after []cbPart
	if e.Category != CategoryUndo {
		if err := r.eachCallbacks(ctx, e, BeforeEachMigrate); err != nil {
			return err
		}
		var err error
		if after, err = r.callbackParts(AfterEachMigrate); err != nil {
			return err
		}
	}
	from := 0
	var rank int64
	if e.Row != nil {
		rank, from = e.Row.InstalledRank, e.Row.Progress
		if _, err := r.conn.ExecContext(ctx, r.progressSQL(rank, from, "", -1)); err != nil {
			return fmt.Errorf("apply %s (target %s): %w", e.File.Path(), r.target.Name, err)
		}
	} else {
		start := row
		start.Success, start.Progress = false, 0
		if _, err := r.conn.ExecContext(ctx, m.store().insertHistory(start, "0")); err != nil {
			return fmt.Errorf("apply %s (target %s): record start: %w", e.File.Path(), r.target.Name, err)
		}
		if err := r.conn.QueryRowContext(ctx, m.store().selectLastRank(r.target.Name)).Scan(&rank); err != nil {
			return fmt.Errorf("apply %s (target %s): record start: %w", e.File.Path(), r.target.Name, err)
		}
	}
	defer r.reset(ctx) // session settings of this file must not reach the next one
	if setup := d.SessionSetup(r.cur, ScopeSession); len(setup) > 0 {
		parts := make([]Part, len(setup))
		for i, s := range setup {
			parts[i] = Part{SQL: s}
		}
		if err := d.Exec(ctx, r.conn, parts); err != nil {
			return fmt.Errorf("apply %s (target %s): set up session: %w", e.File.Path(), r.target.Name, err)
		}
	}
	tracker := newTracker(e.File, sc.toSource)
	defer tracker.Close()
	step := func(n int) string { return r.stepSQL(rank, n, tracker) }
	ps, sendsProgress := d.(ProgressSender)
	applied := from // statements 1..applied are applied and recorded
	inUserTx := false
	count := 0
	var b batch
	for {
		st, i, err := src.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if inUserTx {
				r.rollback(ctx)
			}
			rerr := r.readError(e.File, err)
			var me *MigrationError
			if errors.As(rerr, &me) {
				me.Partial = &PartialRun{Applied: applied}
				me.Partial.Statements, me.Partial.More = tracker.shown(applied)
				me.Advice = me.Partial.resumeAdvice()
			}
			return rerr
		}
		count = i + 1
		ref := tracker.add(st, i)
		if i < from {
			continue
		}
		// Before a statement that may have been cut short outside a
		// transaction (this run's resume point, or any statement of a file
		// run again after repair), the dialect cleans up what a broken run
		// leaves (an INVALID index). Only a resume may take a finished
		// result as the statement's work done.
		resume := e.Row != nil && i == from
		if rp, ok := d.(RetryPreparer); ok && st.NoTx && (resume || e.Row == nil) {
			done, err := rp.PrepareRetry(ctx, r.conn, st, r.cur)
			if err != nil {
				return fmt.Errorf("apply %s (target %s): prepare statement %d: %w", e.File.Path(), r.target.Name, i+1, err)
			}
			if done && resume {
				if _, err := r.conn.ExecContext(ctx, step(i+1)); err != nil {
					return fmt.Errorf("apply %s (target %s): %w", e.File.Path(), r.target.Name, err)
				}
				applied = i + 1
				continue
			}
		}
		opens, closes := txEffect(st)
		b.reset()
		b.add(st, i)
		script := 0
		switch {
		case closes && inUserTx && commits(st):
			// The file's own COMMIT: record progress inside its transaction,
			// so that both commit together and a kill in between cannot make
			// a re-run repeat the transaction.
			script = 1
			err = d.Exec(ctx, r.conn, []Part{{SQL: step(i + 1)}, b.part()})
			if err == nil {
				inUserTx = false
				applied = i + 1
			}
		case st.NoTx && st.Tx == TxNone && sendsProgress:
			// The statement commits on its own, and first whatever the
			// file's own transaction did: progress goes with it.
			err = ps.ExecWithProgress(ctx, r.conn, b.part(), step(i+1))
			if err == nil {
				inUserTx = false
				applied = i + 1
			}
		case st.NoTx || st.Tx != TxNone || inUserTx:
			err = d.Exec(ctx, r.conn, []Part{b.part()})
			if err == nil && opens {
				inUserTx = true
			}
			if err == nil && closes {
				inUserTx = false
			}
			if err == nil && !inUserTx {
				if _, err = r.conn.ExecContext(ctx, step(i+1)); err == nil {
					applied = i + 1
				}
			}
		default:
			script = 1
			err = d.Exec(ctx, r.conn, []Part{{SQL: d.Begin()}, b.part(), {SQL: step(i + 1)}, {SQL: "COMMIT"}})
			if err != nil {
				r.rollback(ctx)
			} else {
				applied = i + 1
			}
		}
		if err != nil {
			if inUserTx {
				r.rollback(ctx)
			}
			var ee *ExecError
			if !errors.As(err, &ee) || ee.Part != script {
				ee = &ExecError{Part: script, Offset: 0, Statement: st.Text, Err: err}
			}
			me := r.migrationError(e, sc, &b, ee)
			me.StatementIndex = i
			me.Partial = &PartialRun{Applied: applied, Failed: i + 1, Total: countRest(src, count)}
			me.Partial.Statements, me.Partial.More = tracker.shown(applied)
			if alreadyExists(ee.Code, ee.Err) {
				me.Advice = existsAdvice(ref)
			} else {
				me.Advice = me.Partial.resumeAdvice()
			}
			if lost := r.connectionLost(e, err, true); lost != nil {
				// The statement may have completed: its progress (when
				// it ran in a transaction) says so to the next run.
				me.ConnectionLost, me.OutcomeUnknown = true, lost.OutcomeUnknown
				return me
			}
			if _, uerr := r.conn.ExecContext(context.WithoutCancel(ctx), r.failureSQL(rank, me.Err.Error(), i, tracker.encode(applied))); uerr != nil {
				return errors.Join(me, fmt.Errorf("record failure of %s: %w", e.File.Path(), uerr))
			}
			return me
		}
	}
	row.Progress = count
	fp := r.nextFingerprint(e, row)
	// A resumed file may have changed after the statements that had run:
	// the row takes the checksum of the file that completed.
	done := m.store().markSucceeded(rank, count, row.Checksum, time.Since(began))
	parts := append([]Part{{SQL: d.Begin()}}, partsOf(after)...)
	parts = append(parts, Part{SQL: done}, Part{SQL: r.stateUpdateSQL(row, fp)}, Part{SQL: "COMMIT"})
	if err := d.Exec(ctx, r.conn, parts); err != nil {
		r.rollback(ctx)
		var ee *ExecError
		if errors.As(err, &ee) && ee.Part >= 1 && ee.Part <= len(after) {
			return r.callbackError(AfterEachMigrate, after[ee.Part-1], ee, e)
		}
		return fmt.Errorf("apply %s (target %s): record success: %w", e.File.Path(), r.target.Name, err)
	}
	r.fp = fp
	return nil
}

// countRest reads the statements after a failed one to count the file's
// statements; 0 when the rest cannot be read.
func countRest(src *replay, count int) int {
	for {
		_, i, err := src.next()
		if errors.Is(err, io.EOF) {
			return max(count, i)
		}
		if err != nil {
			return 0
		}
	}
}

// stepSQL records that statements 1..n of a non-transactional file are
// applied, with their checksums while there are at most
// maxTrackedStatements of them.
func (r *targetRun) stepSQL(rank int64, n int, tr *stmtTracker) string {
	if n > maxTrackedStatements {
		return r.progressSQL(rank, n, "", -1)
	}
	return r.progressSQL(rank, n, "", -1, r.sumsSet(tr.encode(n)))
}

// failureSQL records the failure of statement failed (0-based) with the
// checksums of the statements applied before it.
func (r *targetRun) failureSQL(rank int64, errText string, failed int, sums string) string {
	return r.progressSQL(rank, -1, errText, failed, r.sumsSet(sums))
}

// sumsSet is the assignment of the statement checksums column.
func (r *targetRun) sumsSet(sums string) string {
	return r.m.store().statementChecksums(sums)
}

// progressSQL updates a non-transactional file's history row: progress (when
// >= 0), the error with the failing statement's index, and extra
// assignments.
func (r *targetRun) progressSQL(rank int64, progress int, errText string, failed int, extra ...string) string {
	return r.m.store().updateProgress(rank, progress, r.m.mask(errText), failed, extra...)
}

// eachCallbacks runs an each-migrate event's callbacks for migration e,
// each file in a transaction of its own; a failure is a *CallbackError
// naming e.
func (r *targetRun) eachCallbacks(ctx context.Context, e *Entry, event string) error {
	return r.callbacksFor(ctx, event, e)
}
