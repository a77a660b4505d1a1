package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/stratadb/strata/locations"
)

// Callback events Strata runs, Flyway's names. They run per target, under
// its lock, and only when the target has pending migrations. The "each"
// callbacks run inside each migration's transaction; the others in a
// transaction of their own.
const (
	BeforeMigrate         = "beforeMigrate"
	BeforeEachMigrate     = "beforeEachMigrate"
	AfterEachMigrate      = "afterEachMigrate"
	AfterEachMigrateError = "afterEachMigrateError"
	AfterVersioned        = "afterVersioned"
	BeforeRepeatables     = "beforeRepeatables"
	AfterMigrateApplied   = "afterMigrateApplied"
	AfterMigrate          = "afterMigrate"
	AfterMigrateError     = "afterMigrateError"
)

// RunsCallback reports whether Strata runs the callbacks of an event.
func RunsCallback(event string) bool {
	switch event {
	case BeforeMigrate, BeforeEachMigrate, AfterEachMigrate, AfterEachMigrateError, AfterVersioned,
		BeforeRepeatables, AfterMigrateApplied, AfterMigrate, AfterMigrateError:
		return true
	}
	return false
}

// callbacks returns the callback files of an event, in Flyway's order
// (by description, the one without a description first).
func (m *Migrator) callbacks(event string) []*locations.File {
	var out []*locations.File
	for _, f := range m.files.Callbacks {
		if strings.EqualFold(f.Event, event) {
			out = append(out, f)
		}
	}
	return out
}

// callbackParts returns the statements of an event's callbacks for this
// target, placeholders replaced, as parts to run inside a transaction.
func (r *targetRun) callbackParts(event string) ([]Part, error) {
	var parts []Part
	for _, f := range r.m.callbacks(event) {
		sc, err := r.m.openScript(r.cur, r.target, f, r.start)
		if err != nil {
			return nil, err
		}
		stmts, err := SplitAll(r.m.dialect, sc)
		sc.Close()
		if err != nil {
			return nil, fmt.Errorf("callback %s: %w", f.Path(), err)
		}
		var b batch
		for i, st := range stmts {
			b.add(st, i)
		}
		if len(stmts) > 0 {
			parts = append(parts, b.part())
		}
	}
	return parts, nil
}

// runCallbacks runs an event's callbacks in a transaction of their own.
func (r *targetRun) runCallbacks(ctx context.Context, event string) error {
	if len(r.m.callbacks(event)) == 0 {
		return nil
	}
	body, err := r.callbackParts(event)
	if err != nil {
		return fmt.Errorf("target %s: %w", r.target.Name, err)
	}
	prefix, _, _ := r.txPrefix()
	parts := append(append(prefix, body...), Part{SQL: "COMMIT"})
	if err := r.m.dialect.Exec(ctx, r.conn, parts); err != nil {
		r.rollback(ctx)
		return fmt.Errorf("target %s: %s callback failed: %w", r.target.Name, event, err)
	}
	return nil
}
