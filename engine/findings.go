package engine

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/stratadb/strata/locations"
	"github.com/stratadb/strata/placeholders"
	"github.com/stratadb/strata/schemas"
)

// checkTargetExists refuses a target version that no file and no history
// row has, as Flyway does, unless it was written with a trailing "?".
func checkTargetExists(t targetRef, in stateInput) error {
	if t.kind != "version" || t.lenient {
		return nil
	}
	for _, list := range [][]resolved{in.versioned, in.baselines} {
		for _, r := range list {
			if r.file.Version.Equal(t.version) {
				return nil
			}
		}
	}
	for _, r := range in.rows {
		if v, err := locations.ParseVersion(r.Version); err == nil && v.Equal(t.version) {
			return nil
		}
	}
	return fmt.Errorf("no migration with target version %s could be found: %s", t.version, advise(AdviceTargetVersion, t.version))
}

// checkLimits refuses files whose version or script path do not fit the
// history table's columns (Flyway's VARCHAR(50) and VARCHAR(1000)), before
// anything runs. Descriptions are never refused: they are abbreviated to 200
// characters as Flyway does (see abbreviate).
func checkLimits(files *locations.Set) error {
	var errs []error
	for _, list := range [][]*locations.File{files.Versioned, files.Baseline, files.Undo, files.Repeatable} {
		for _, f := range list {
			if n := len([]rune(f.Version.String())); n > 50 {
				errs = append(errs, &LimitError{Path: f.Path(), What: "version " + f.Version.String(), Length: n, Max: 50, Column: "version"})
			}
			if n := len([]rune(f.Script)); n > 1000 {
				errs = append(errs, &LimitError{Path: f.Path(), What: "the script path", Length: n, Max: 1000, Column: "script"})
			}
		}
	}
	return errors.Join(errs...)
}

// duplicateRows finds versions with two successful history rows and no
// undo or delete between them (rows in installed_rank order): the history
// was edited by hand or written twice. Each is a finding naming both ranks,
// so validate fails and migrate refuses until the extra row is deleted.
func duplicateRows(t schemas.Target, rows []HistoryRow) []Finding {
	live := map[string]*HistoryRow{} // version key -> the row that applied it
	var out []Finding
	for i := range rows {
		r := &rows[i]
		if r.Version == "" || !r.Success || r.Type == TypeSchema || r.Type == TypeBaseline {
			continue
		}
		v, err := locations.ParseVersion(r.Version)
		if err != nil {
			continue
		}
		key := v.Key()
		if r.undo() || r.Type == TypeDelete {
			delete(live, key)
			continue
		}
		first, ok := live[key]
		if !ok {
			live[key] = r
			continue
		}
		out = append(out, Finding{Target: t.Name, Code: "DUPLICATE_APPLIED_MIGRATION", Version: r.Version, Description: r.Description, Script: r.Script,
			Message: fmt.Sprintf("version %s has two successful history rows, installed_rank %d (%s) and installed_rank %d (%s), with no undo or delete between them: the history was edited by hand or written twice\ndelete the extra row by hand (keep the one whose checksum matches the file), then run repair, which rewrites strata's state record from the history", r.Version, first.InstalledRank, first.Script, r.InstalledRank, r.Script)})
	}
	return out
}

// CheckLimits is the check Plan makes first, for callers that want it
// before they open the database: a *LimitError per file whose version or
// script path does not fit the history table's columns.
func CheckLimits(files *locations.Set) error { return checkLimits(files) }

// LimitError reports a file whose version or script path does not fit its
// history column. It is found at plan time, before anything runs.
type LimitError struct {
	Path   string // the file, as shown
	What   string // "version 1.2.3..." or "the script path"
	Length int    // in characters
	Max    int
	Column string
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s: %s has %d characters; the history table's %s column holds %d: rename the file (nothing was applied)", e.Path, e.What, e.Length, e.Column, e.Max)
}

func problemsOf(t schemas.Target, f *locations.File, ue *placeholders.UndefinedError) []PlaceholderProblem {
	out := make([]PlaceholderProblem, 0, len(ue.Items))
	for _, it := range ue.Items {
		out = append(out, PlaceholderProblem{Target: t.Name, Path: f.Path(), Name: it.Name, Line: it.Line, Column: it.Column})
	}
	return out
}

// joinChecks collects out-of-order versions and undefined placeholders
// across targets, each kind in one error.
func (m *run) joinChecks(tps []*TargetPlan) []error {
	var order OrderError
	var ph PlaceholderError
	for _, tp := range tps {
		ph.Items = append(ph.Items, tp.problems...)
		if len(tp.structural) > 0 {
			continue // a version below the highest may be a deleted row: never offer to run it again
		}
		for _, e := range tp.Entries {
			if e.State == StateIgnored && e.File != nil && e.Category == CategoryVersioned &&
				(e.File.Directives.ShouldExecute == nil || *e.File.Directives.ShouldExecute) &&
				!ignored(m.ignore, e, StateIgnored) {
				order.Items = append(order.Items, OrderItem{Target: tp.Target.Name, Path: e.File.Path(),
					Version: e.Version, Highest: tp.state.lastApplied.String()})
			}
		}
	}
	var errs []error
	if len(order.Items) > 0 {
		errs = append(errs, &order)
	}
	if len(ph.Items) > 0 {
		errs = append(errs, &ph)
	}
	return errs
}

// findings validates one target as Flyway's validate does (FLYWAY.md 9.3).
// With migrating set, pending migrations are not findings and failed
// non-transactional files that can resume are not either.
func (m *run) findings(tp *TargetPlan, migrating bool) []Finding {
	var out []Finding
	add := func(e *Entry, code, msg string) {
		out = append(out, Finding{Target: tp.Target.Name, Code: code, Version: e.Version, Description: e.Description, Script: e.Script, Message: msg})
	}
	out = append(out, tp.structural...)
	if tp.schemaMissing {
		return out // its rows say nothing about a schema that is gone
	}
	ignorePending := migrating
	for _, e := range tp.Entries {
		st := e.State
		if st == StateUndone || st == StateDiscarded || st == StateAboveTarget || st == StateDeleted || ignored(m.ignore, e, st) {
			continue
		}
		if e.Row != nil && e.Row.synthetic() {
			continue
		}
		name := "version " + e.Version
		if e.Version == "" {
			name = "repeatable " + e.Description
		}
		switch {
		case st.Failed():
			if migrating && st == StateFailed && m.resumable(e) {
				continue
			}
			msg := failedMessage(e, name) // partial.go: what stayed applied and the next step
			code := "FAILED_VERSIONED_MIGRATION"
			if e.Version == "" {
				code = "FAILED_REPEATABLE_MIGRATION"
			}
			add(e, code, msg)
		case (st == StateMissing || st == StateFuture) && e.Row != nil && resolvableType(e.Row.Type) && !e.Row.undo():
			code := "APPLIED_VERSIONED_MIGRATION_NOT_RESOLVED"
			if e.Version == "" {
				code = "APPLIED_REPEATABLE_MIGRATION_NOT_RESOLVED"
			}
			add(e, code, fmt.Sprintf("detected applied migration not resolved locally: %s (%s)\nrestore the file, run repair to mark it deleted, or %s", name, e.Script, advise(AdviceIgnorePattern, "*:missing")))
		case st == StateIgnored && e.File != nil && len(tp.structural) > 0:
			// Named by the structural finding; "not applied" advice could
			// run an applied migration again.
		case st == StateIgnored && e.File != nil && !migrating:
			add(e, "RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED", fmt.Sprintf("detected resolved migration not applied to database: %s (%s)\n%s, or %s", name, e.File.Path(), advise(AdviceHotfixOrIgnore), advise(AdviceIgnorePattern, "*:ignored")))
		case st == StatePending && !ignorePending:
			code := "RESOLVED_VERSIONED_MIGRATION_NOT_APPLIED"
			if e.Version == "" {
				code = "RESOLVED_REPEATABLE_MIGRATION_NOT_APPLIED"
			}
			add(e, code, fmt.Sprintf("detected resolved migration not applied to database: %s (%s)\nrun migrate, or %s", name, e.File.Path(), advise(AdviceIgnorePattern, "*:pending")))
		case st == StateOutdated && !ignorePending && !ignored(m.ignore, e, StatePending):
			add(e, "OUTDATED_REPEATABLE_MIGRATION", fmt.Sprintf("detected outdated repeatable migration that should be re-applied: %s\nrun migrate", e.Description))
		}
		// Applied and resolved: type, checksum, description.
		if e.Row != nil && e.File != nil && e.Version != "" && e.Row.Success && st != StateBaseline {
			r, f := e.Row, e.File
			switch {
			case r.Type != typeOfKind(f.Kind):
				add(e, "TYPE_MISMATCH", fmt.Sprintf("migration type mismatch for migration %s\n-> applied to database : %s\n-> resolved locally    : %s (%s)\nthe migration is applied and is not run again: restore the type in the history, or run repair to update it", name, r.Type, typeOfKind(f.Kind), f.Path()))
			case r.Checksum == nil || *r.Checksum != f.Checksum:
				add(e, "CHECKSUM_MISMATCH", fmt.Sprintf("migration checksum mismatch for migration %s\n-> applied to database : %s\n-> resolved locally    : %d (%s)\neither revert the changes to the file, or run repair to update the checksum in the history", name, checksumText(r.Checksum), f.Checksum, f.Path()))
			case abbreviate(r.Description) != abbreviate(f.Description) && !(r.Description == "<< no description >>" && f.Description == ""):
				add(e, "DESCRIPTION_MISMATCH", fmt.Sprintf("migration description mismatch for migration %s\n-> applied to database : %s\n-> resolved locally    : %s\neither revert the rename, or run repair to update the description in the history", name, r.Description, f.Description))
			}
		}
	}
	return out
}

func checksumText(c *int32) string {
	if c == nil {
		return "(none)"
	}
	return strconv.FormatInt(int64(*c), 10)
}
