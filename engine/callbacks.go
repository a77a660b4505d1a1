package engine

import (
	"context"
	"errors"
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

// cbPart is one callback file's statements for one target, as one part
// to run inside a transaction, with what is needed to locate an error in
// the file on disk.
type cbPart struct {
	file     *locations.File
	b        *batch
	toSource func(int64) int64 // offset in the replaced text -> offset in the file
}

func partsOf(cbs []cbPart) []Part {
	out := make([]Part, len(cbs))
	for i, c := range cbs {
		out[i] = c.b.part()
	}
	return out
}

// callbackParts returns the statements of an event's callbacks for this
// target, placeholders replaced, one part per file, in Flyway's order.
func (r *targetRun) callbackParts(event string) ([]cbPart, error) {
	var parts []cbPart
	for _, f := range r.m.callbacks(event) {
		sc, err := r.m.openScript(r.cur, r.target, f, r.start)
		if err != nil {
			line, col := readPosition(f, err)
			return nil, &CallbackError{Target: r.target.Name, Event: event, Path: f.Path(), StatementIndex: -1, Line: line, Column: col, Err: err}
		}
		stmts, err := SplitAll(r.m.dialect, sc)
		sc.Close()
		if err != nil {
			line, col := readPosition(f, err)
			return nil, &CallbackError{Target: r.target.Name, Event: event, Path: f.Path(), StatementIndex: -1, Line: line, Column: col, Err: err}
		}
		b := &batch{}
		for i, st := range stmts {
			b.add(st, i)
		}
		if len(stmts) > 0 {
			parts = append(parts, cbPart{file: f, b: b, toSource: sc.toSource})
		}
	}
	return parts, nil
}

// runCallbacks runs an event's callbacks, each file in a transaction of
// its own (as Flyway does); the first that fails stops the event with a
// *CallbackError, the files before it stay committed.
func (r *targetRun) runCallbacks(ctx context.Context, event string) error {
	return r.callbacksFor(ctx, event, nil)
}

// callbacksFor runs an event's callbacks as runCallbacks does; a failure
// names migration e when it is not nil (an each-migrate event).
func (r *targetRun) callbacksFor(ctx context.Context, event string, e *Entry) error {
	if len(r.m.callbacks(event)) == 0 {
		return nil
	}
	cbs, err := r.callbackParts(event)
	if err != nil {
		return err
	}
	for _, cb := range cbs {
		prefix, _, _ := r.txPrefix()
		parts := append(append(prefix, cb.b.part()), Part{SQL: "COMMIT"})
		if err := r.m.dialect.Exec(ctx, r.conn, parts); err != nil {
			r.rollback(ctx)
			var ee *ExecError
			if !errors.As(err, &ee) || ee.Part != len(prefix) {
				ee = &ExecError{Part: len(prefix), Offset: -1, Err: err}
			}
			return r.callbackError(event, cb, ee, e)
		}
	}
	return nil
}

// callbackError locates the failure of a callback file in the file on
// disk, through placeholder replacement. e is the migration an "each"
// callback ran with, rolled back with it.
func (r *targetRun) callbackError(event string, cb cbPart, ee *ExecError, e *Entry) *CallbackError {
	ce := &CallbackError{Target: r.target.Name, Event: event, Path: cb.file.Path(), Statement: ee.Statement, StatementIndex: -1,
		Code: ee.Code, Detail: ee.Detail, Hint: ee.Hint, Err: ee}
	if e != nil && e.File != nil {
		ce.Migration = e.File.Path()
	}
	ce.StatementIndex, ce.Statement, ce.Line, ce.Column = locateFailure(cb.b, ee, ce.Statement, cb.file, cb.toSource)
	return ce
}

// CallbackError is the failure of a callback file on one target. The
// failing callback's own transaction was rolled back (for the "each"
// events, together with the migration it ran with). Applied and
// NotApplied say where that left the target.
type CallbackError struct {
	Target         string
	Event          string // beforeMigrate, afterEachMigrate, ...
	Path           string // location/script of the callback file
	Migration      string // for beforeEachMigrate/afterEachMigrate: the migration rolled back with it
	Line, Column   int    // in the file on disk, 0 when unknown
	Statement      string // the failing statement, when known
	StatementIndex int    // 0-based index in the file, -1 when unknown
	Code           string // database error code
	Detail, Hint   string
	Applied        []string // migrations this run committed on the target before the failure: they stay applied
	NotApplied     []string // pending migrations this run did not apply
	Err            error
}

func (e *CallbackError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s callback %s (target %s)", e.Event, e.Path, e.Target)
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d, column %d", e.Line, e.Column)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	b.WriteString("; " + e.Outcome())
	return b.String()
}

func (e *CallbackError) Unwrap() error { return e.Err }

// Outcome says what the failure left applied and what not.
func (e *CallbackError) Outcome() string {
	var parts []string
	if e.Migration != "" {
		parts = append(parts, fmt.Sprintf("%s was rolled back with it", e.Migration))
	} else {
		parts = append(parts, "the callback's changes were rolled back")
	}
	if len(e.Applied) == 0 {
		parts = append(parts, "this run applied no migration")
	} else {
		parts = append(parts, "applied by this run and still applied: "+listNames(e.Applied))
	}
	if len(e.NotApplied) == 0 {
		parts = append(parts, "nothing is left pending")
	} else {
		parts = append(parts, "not applied: "+listNames(e.NotApplied))
	}
	return strings.Join(parts, "; ")
}

func listNames(names []string) string {
	const most = 10
	if len(names) <= most {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:most], ", "), len(names)-most)
}

// callbackFailed completes a callback's failure with where it left the
// target, marks the target failed when migrations are left pending, and
// runs afterMigrateError when the failure interrupted the migrations
// (afterVersioned, beforeRepeatables; Flyway runs it there too). A failure
// of afterMigrateError is joined after the original error, never instead.
func (r *targetRun) callbackFailed(ctx context.Context, err error, applied []AppliedMigration, notApplied []*Entry, afterError bool) error {
	annotate(err, applied, notApplied)
	if len(notApplied) > 0 {
		r.recordFailure(ctx, err)
	}
	if !afterError {
		return err
	}
	r.cur = r.session
	cbErr := r.runCallbacks(context.WithoutCancel(ctx), AfterMigrateError)
	annotate(cbErr, applied, notApplied)
	return errors.Join(err, cbErr)
}

// annotate fills in Applied and NotApplied of every *CallbackError in err.
func annotate(err error, applied []AppliedMigration, notApplied []*Entry) {
	if err == nil {
		return
	}
	var names, left []string
	for _, a := range applied {
		names = append(names, a.Script)
	}
	for _, e := range notApplied {
		left = append(left, e.Script)
	}
	var visit func(error)
	visit = func(err error) {
		switch x := err.(type) {
		case *CallbackError:
			x.Applied, x.NotApplied = names, left
		case interface{ Unwrap() []error }:
			for _, e := range x.Unwrap() {
				visit(e)
			}
		}
	}
	visit(err)
}
