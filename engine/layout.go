package engine

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
)

// LayoutUpgrader is implemented by dialects that can bring Strata's tables
// from an older layout to the next one in place. UpgradeTables returns the
// statements that take the tables from layout from to from+1; they run in
// one transaction under the bootstrap lock, together with the update of the
// recorded layout, and each is harmless when its change is already there.
type LayoutUpgrader interface {
	UpgradeTables(t Tables, from int) []string
}

// Layout history:
//
//	1: Flyway's ten columns, tenant, version_key, error, failed_statement,
//	   progress; the state and meta tables.
//	2: statement_checksums in the history table: the checksums of the
//	   statements a non-transactional file applied, so that a re-run after a
//	   fix of a statement that had not run yet can resume.
//	3: mark in the history table: Strata's note on a row ("discard" on the
//	   UNDO_SQL row of undo --discard, "skip" on a row of mark-applied).

// statementChecksumsColumn is the history column added by layout 2.
const statementChecksumsColumn = "statement_checksums"

// markColumn is the history column added by layout 3.
const markColumn = "mark"

// readColumns is the history column list to read for a layout.
func readColumns(layout int) []string {
	cols := historyColumns[:len(historyColumns):len(historyColumns)]
	if layout >= 2 {
		cols = append(cols, statementChecksumsColumn)
	}
	if layout >= 3 {
		cols = append(cols, markColumn)
	}
	return cols
}

// ensureLayout brings Strata's tables to the current layout: it reads the
// recorded layout and, when it is older, takes the bootstrap lock, reads it
// again and runs the dialect's upgrade statements together with the new
// layout number in one transaction. A newer layout is refused.
func (m *run) ensureLayout(ctx context.Context, conn *sql.Conn) error {
	n, err := m.historyLayout(ctx, conn)
	if err != nil || n == Layout || n == 0 {
		return err // 0: no layout recorded, nothing to upgrade from
	}
	if n > Layout {
		return &LayoutError{Found: n, Known: Layout}
	}
	up, ok := m.dialect.(LayoutUpgrader)
	if !ok {
		return fmt.Errorf("strata's tables have layout %d and the %s dialect cannot upgrade them to layout %d", n, m.dialect.Name(), Layout)
	}
	what := "upgrade of strata's tables to layout " + strconv.Itoa(Layout)
	d := m.dialect
	stmts := func(from int) []string {
		var out []string
		for l := from; l < Layout; l++ {
			out = append(out, up.UpgradeTables(m.tables, l)...)
		}
		return append(out, m.store().updateLayout(from))
	}
	if m.pooling == TransactionPooling {
		// The transaction-level lock is taken first in the transaction; a
		// concurrent upgrade makes the statements no-ops (each is
		// idempotent) and the guarded UPDATE changes nothing.
		if err := m.runLocked(ctx, conn, m.bootstrapKey(), what, stmts(n)); err != nil {
			return err
		}
		m.layoutSeen.Store(Layout)
		return nil
	}
	release, err := m.lockSession(ctx, conn, []int64{m.bootstrapKey()}, m.lockTimeout, what)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer release()
	if n, err = m.historyLayout(ctx, conn); err != nil || n >= Layout {
		return err // another process upgraded meanwhile
	}
	parts := []Part{{SQL: d.Begin()}}
	for _, q := range stmts(n) {
		parts = append(parts, Part{SQL: q})
	}
	parts = append(parts, Part{SQL: "COMMIT"})
	if err := d.Exec(ctx, conn, parts); err != nil {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return fmt.Errorf("%s (nothing was changed): %w", what, err)
	}
	m.layoutSeen.Store(Layout)
	return nil
}
