package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/stratadb/strata/locations"
	"github.com/stratadb/strata/placeholders"
	"github.com/stratadb/strata/schemas"
)

// targetRun applies the pending migrations of one target on its pinned
// connection, which holds the target's lock.
type targetRun struct {
	m           *run
	conn        *sql.Conn
	session     Session
	cur         Session           // session settings of the file being applied
	version     locations.Version // the target's schema version
	generation  int64             // the state row's generation, through a transaction pooler
	repeatables bool              // the repeatables have started (afterVersioned ran)
	target      schemas.Target
	start       time.Time
	fp          uint64
}

// readError reports a failure to read or split a file.
func (r *targetRun) readError(f *locations.File, err error) error {
	var ue *placeholders.UndefinedError
	if errors.As(err, &ue) {
		return fmt.Errorf("apply %s (target %s): %w", f.Path(), r.target.Name, err)
	}
	me := &MigrationError{Target: r.target.Name, Path: f.Path(), Version: f.Version.String(), Description: f.Description,
		StatementIndex: -1, Err: fmt.Errorf("split statements: %w", err)}
	var se interface{ SplitPosition() (int, int64) }
	if errors.As(err, &se) {
		me.Line, me.Column = splitPosition(f, se)
	}
	return me
}

// nextFingerprint is the fingerprint after applying e.
func (r *targetRun) nextFingerprint(e *Entry, row HistoryRow) uint64 {
	fp := r.fp ^ entryHash(row.Type, row.Version, row.Description, row.Checksum)
	if e.Category == CategoryRepeatable {
		for _, old := range r.previousRepeatable(e) {
			fp ^= old
		}
	}
	return fp
}

// previousRepeatable returns the hash of the run a repeatable replaces.
func (r *targetRun) previousRepeatable(e *Entry) []uint64 {
	if e.replaces == nil || !e.replaces.Success {
		return nil
	}
	return []uint64{entryHash(e.replaces.Type, e.replaces.Version, e.replaces.Description, e.replaces.Checksum)}
}

// stateUpdateSQL writes the target's state row after a migration.
func (r *targetRun) stateUpdateSQL(row HistoryRow, fp uint64) string {
	u := stateUpdate{fingerprint: &fp, addApplied: true, failed: ptr(false), setError: true, nextGeneration: true}
	if v, err := locations.ParseVersion(row.Version); row.Version != "" && err == nil && v.Compare(r.version) > 0 {
		u.setVersion, u.version, u.versionKey = true, row.Version, row.VersionKey
	}
	return r.m.store().updateState(r.target.Name, u)
}

// recordFailure marks the target failed in its state row.
func (r *targetRun) recordFailure(ctx context.Context, cause error) {
	msg := r.m.mask(cause.Error())
	var me *MigrationError
	if errors.As(cause, &me) && me.RolledBack {
		// Said here, where it is known: info shows this text later.
		msg = "rolled back: " + msg
	}
	if len(msg) > 4000 {
		msg = msg[:4000]
	}
	q := r.m.store().updateState(r.target.Name, stateUpdate{failed: ptr(true), setError: true, errText: msg})
	_, _ = r.conn.ExecContext(context.WithoutCancel(ctx), q)
}

// reset returns the connection to its initial state after the target.
func (r *targetRun) reset(ctx context.Context) {
	if r.m.pooling == TransactionPooling {
		return // only SET LOCAL is used; the next transaction may be another session
	}
	var parts []Part
	for _, q := range r.m.dialect.ResetSession() {
		parts = append(parts, Part{SQL: q})
	}
	if len(parts) > 0 {
		_ = r.m.dialect.Exec(context.WithoutCancel(ctx), r.conn, parts) // one round trip where the dialect can
	}
}

func (r *targetRun) rollback(ctx context.Context) {
	_, _ = r.conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
}

// migrationError locates an execution error of the statements in b in the
// file on disk, through placeholder replacement.
func (r *targetRun) migrationError(e *Entry, sc *script, b *batch, ee *ExecError) *MigrationError {
	me := &MigrationError{Target: r.target.Name, Path: e.File.Path(), Version: e.Version, Description: e.Description,
		Statement: ee.Statement, StatementIndex: -1, Code: ee.Code, Detail: ee.Detail, Hint: ee.Hint, Err: ee}
	me.StatementIndex, me.Statement, me.Line, me.Column = locateFailure(b, ee, me.Statement, e.File, sc.toSource)
	return me
}

// locateFailure finds the statement of b that failed with ee: its index
// (-1 when unknown), its text (statement when the error gave one), and its
// line and column in file f, through toSource (placeholder replacement);
// 0 when not known.
func locateFailure(b *batch, ee *ExecError, statement string, f *locations.File, toSource func(int64) int64) (index int, text string, line, col int) {
	if ee.Offset < 0 || len(b.stmts) == 0 {
		return -1, statement, 0, 0
	}
	index, text, off := b.locate(ee.Offset)
	if statement != "" {
		text = statement
	}
	if off >= 0 {
		if l, c, err := lineCol(f, toSource(off)); err == nil {
			line, col = l, c
		}
	}
	return index, text, line, col
}

// connectionLost returns the error of a migration whose connection broke
// (see ConnectionLoss), or nil when err is not a lost connection. commit
// says whether the request held the migration's COMMIT: then, if it may
// have reached the server, the outcome is unknown.
func (r *targetRun) connectionLost(e *Entry, err error, commit bool) *MigrationError {
	cl, ok := r.m.dialect.(ConnectionLoss)
	if !ok {
		return nil
	}
	lost, sent := cl.ConnectionLost(err)
	if !lost {
		return nil
	}
	return &MigrationError{Target: r.target.Name, Path: e.File.Path(), Version: e.Version, Description: e.Description,
		StatementIndex: -1, ConnectionLost: true, OutcomeUnknown: commit && sent, Err: err}
}

// discard marks a connection bad so the pool closes it instead of reusing it.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}

// baselineOnMigrate writes the baseline row of baseline on migrate, in one
// transaction with the target's state, and returns the history then.
// Through a transaction pooler the transaction takes the target's lock and
// checks that nobody changed the target since it was read (errConflict).
func (r *targetRun) baselineOnMigrate(ctx context.Context) ([]HistoryRow, error) {
	m, d, t := r.m, r.m.dialect, r.target
	row := m.baselineRow(t.Name)
	state := m.store().updateState(t.Name, stateUpdate{setVersion: true, version: row.Version, versionKey: row.VersionKey,
		fingerprint: ptr(uint64(0)), nextGeneration: true})
	parts, lockParts, guard := r.lockedBegin()
	parts = append(parts, Part{SQL: m.store().insertHistory(row, "0")}, Part{SQL: state}, Part{SQL: "COMMIT"})
	if err := d.Exec(ctx, r.conn, parts); err != nil {
		r.rollback(ctx)
		if perr := r.txPrefixError(err, lockParts, guard); perr != nil {
			return nil, perr
		}
		return nil, fmt.Errorf("target %s: baseline on migrate: %w", t.Name, err)
	}
	r.generation++
	m.logger.Info("baselined a non-empty schema without history", "target", t.Name, "version", row.Version)
	return m.readHistory(ctx, r.conn, t.Name)
}

// errConflict: through a transaction pooler, another runner changed the
// target between reading it and applying a migration.
var errConflict = errors.New("target changed by another runner")
