package engine

import (
	"fmt"
	"sort"

	"github.com/stratadb/strata/locations"
)

// State is a migration's state, named as Flyway names it.
type State string

// Flyway's migration states (FLYWAY.md 9.1).
const (
	StatePending         State = "Pending"
	StateAboveTarget     State = "Above Target"
	StateBelowBaseline   State = "Below Baseline"
	StateIgnoredBaseline State = "Ignored (Baseline)"
	StateBaseline        State = "Baseline"
	StateIgnored         State = "Ignored"
	StateMissing         State = "Missing"
	StateFailedMissing   State = "Failed (Missing)"
	StateSuccess         State = "Success"
	StateUndone          State = "Undone"
	StateAvailable       State = "Available"
	StateFailed          State = "Failed"
	StateOutOfOrder      State = "Out of Order"
	StateFuture          State = "Future"
	StateFailedFuture    State = "Failed (Future)"
	StateOutdated        State = "Outdated"
	StateSuperseded      State = "Superseded"
	StateDeleted         State = "Deleted"
	// StateDiscarded is Strata's: a versioned file whose last run was
	// undone by undo --discard, so migrate does not apply it again
	// (unless told to include it).
	StateDiscarded State = "Discarded"
)

// Applied reports whether the state is one of an applied migration.
func (s State) Applied() bool {
	switch s {
	case StateSuccess, StateOutOfOrder, StateBaseline, StateFailed, StateMissing, StateFailedMissing,
		StateFuture, StateFailedFuture, StateOutdated, StateSuperseded:
		return true
	}
	return false
}

// Failed reports whether the state is a failure.
func (s State) Failed() bool {
	return s == StateFailed || s == StateFailedMissing || s == StateFailedFuture
}

// Entry is one row of info: a migration file, a history row, or both.
type Entry struct {
	Category    Category // "" for markers (schema creation)
	Version     string   // display text, "" for repeatables and markers without one
	Description string
	Type        string // history type: SQL, SQL_BASELINE, UNDO_SQL, BASELINE, ...
	Script      string
	Checksum    *int32 // the checksum of the file (effective, after placeholders for repeatables), else of the row
	State       State
	OutOfOrder  bool
	File        *locations.File // nil when there is no local file
	Row         *HistoryRow     // nil when not applied
	// Partial describes a failed non-transactional run of Strata's: which
	// statements stayed applied and whether the file may resume (nil for
	// other entries).
	Partial  *PartialRun
	version  locations.Version
	replaces *HistoryRow // for a pending repeatable: the run it replaces
}

// targetRef is a resolved target version: latest, current, next or a version.
type targetRef struct {
	kind    string // "latest", "current", "next", "version"
	version locations.Version
	lenient bool // "V?": the version need not exist
}

// resolved is a local file with its effective checksum for one target.
type resolved struct {
	file     *locations.File
	checksum int32 // after placeholders for repeatables; the raw checksum otherwise
}

func (r resolved) matches(c *int32) bool {
	return c != nil && (*c == r.checksum || *c == r.file.Checksum)
}

// stateInput is what the state computation needs for one target.
type stateInput struct {
	versioned   []resolved
	baselines   []resolved
	undos       []resolved
	repeatables []resolved
	rows        []HistoryRow
	target      targetRef
	allowOOO    func(v locations.Version) bool // out_of_order or a listed hotfix
	// includeDiscarded says which discarded versions are pending again
	// (migrate --include-discarded); nil: none.
	includeDiscarded func(v locations.Version) bool
}

// targetState is the computed view of one target.
type targetState struct {
	entries     []*Entry // display order
	pending     []*Entry // apply order
	lastApplied locations.Version
	current     string // display version of the current schema version, "" when empty
	corrupt     error  // the history contradicts itself
}

type appliedRow struct {
	row        *HistoryRow
	ver        locations.Version
	hasVer     bool
	deleted    bool
	undone     bool
	discarded  bool // undone by a row marked MarkDiscard
	outOfOrder bool
}

func typeOfKind(k locations.Kind) string {
	switch k {
	case locations.Baseline:
		return TypeSQLBaseline
	case locations.Undo:
		return TypeUndoSQL
	}
	return TypeSQL
}

// Category is what kind of migration an Entry is, as Flyway's info names
// it.
type Category string

// The categories of Entry.
const (
	CategoryVersioned  Category = "Versioned"
	CategoryRepeatable Category = "Repeatable"
	CategoryBaseline   Category = "Baseline"
	CategoryUndo       Category = "Undo"
)

func categoryOfKind(k locations.Kind) Category {
	switch k {
	case locations.Baseline:
		return CategoryBaseline
	case locations.Undo:
		return CategoryUndo
	case locations.Repeatable:
		return CategoryRepeatable
	}
	return CategoryVersioned
}

func categoryOfRow(r *HistoryRow) Category {
	switch {
	case r.synthetic():
		return ""
	case r.undo():
		return CategoryUndo
	case r.Type == TypeSQLBaseline || (r.baseline() && r.Type != TypeBaseline):
		return CategoryBaseline
	case r.Version == "":
		return CategoryRepeatable
	}
	return CategoryVersioned
}

// sqlTypes are the history types Strata resolves from SQL files. Rows of
// other types (JDBC, SCRIPT, CUSTOM) come from migrations Strata cannot run;
// they are shown as applied, never as missing.
func resolvableType(t string) bool {
	return t == TypeSQL || t == TypeSQLBaseline || t == TypeUndoSQL
}

func computeStates(in stateInput) *targetState {
	ts := &targetState{}
	applied := make([]*appliedRow, 0, len(in.rows))
	var appliedBaseline locations.Version
	for i := range in.rows {
		r := &in.rows[i]
		a := &appliedRow{row: r}
		if r.Version != "" {
			if v, err := locations.ParseVersion(r.Version); err == nil {
				a.ver, a.hasVer = v, true
			} else if r.VersionKey != "" {
				if v, err := locations.ParseVersionKey(r.VersionKey); err == nil {
					a.ver, a.hasVer = v, true
				}
			}
		}
		if r.baseline() && r.Success && a.hasVer && a.ver.Compare(appliedBaseline) > 0 {
			appliedBaseline = a.ver
		}
		switch {
		case r.Type == TypeDelete && r.Success:
			if t := latestMatch(applied, a, func(o *appliedRow) bool { return !o.row.synthetic() && !o.row.undo() }); t != nil {
				if t.deleted {
					ts.corrupt = fmt.Errorf("corrupted history: multiple delete entries for %s", identify(a))
				}
				t.deleted = true
			}
		case r.undo() && r.Success && a.hasVer:
			if t := latestMatch(applied, a, func(o *appliedRow) bool { return !o.row.synthetic() && !o.row.undo() && !o.undone }); t != nil {
				t.undone = true
				t.discarded = r.Mark == MarkDiscard
			}
		}
		applied = append(applied, a)
	}

	// Out-of-order flags and the last applied version, in rank order.
	var running locations.Version
	haveRunning := false
	for _, a := range applied {
		if !a.hasVer || a.row.Type == TypeDelete || a.row.undo() || a.deleted || a.undone || a.row.Type == TypeSchema {
			continue
		}
		if haveRunning && a.ver.Compare(running) <= 0 {
			a.outOfOrder = true
			continue
		}
		running, haveRunning = a.ver, true
	}
	ts.lastApplied = running
	if haveRunning {
		for _, a := range applied {
			if a.hasVer && a.ver.Equal(running) && !a.deleted && !a.undone && a.row.Type != TypeDelete && !a.row.undo() {
				ts.current = a.row.Version
			}
		}
	}

	target := in.target
	if target.kind == "current" {
		target = targetRef{kind: "version", version: running}
	}
	above := func(v locations.Version) bool {
		return target.kind == "version" && v.Compare(target.version) > 0
	}

	// Index local versioned files by type and version.
	byKey := map[string]resolved{}
	var lastResolved locations.Version
	for _, list := range [][]resolved{in.versioned, in.baselines, in.undos} {
		for _, r := range list {
			byKey[typeOfKind(r.file.Kind)+"|"+r.file.Version.Key()] = r
			if r.file.Kind == locations.Versioned && r.file.Version.Compare(lastResolved) > 0 {
				lastResolved = r.file.Version
			}
		}
	}
	// matchFile finds the local file of a versioned row: same type and
	// version, or, for a row whose type Strata does not resolve (JDBC,
	// SCRIPT, CUSTOM: hand-edited, or a Java migration replaced by SQL),
	// the versioned SQL file of the same version, which validate then
	// reports as TYPE_MISMATCH instead of offering to apply it again.
	matchFile := func(a *appliedRow) (resolved, bool) {
		if f, ok := byKey[a.row.Type+"|"+a.ver.Key()]; ok {
			return f, true
		}
		if resolvableType(a.row.Type) || a.row.synthetic() || a.row.undo() {
			return resolved{}, false
		}
		f, ok := byKey[TypeSQL+"|"+a.ver.Key()]
		return f, ok
	}
	// A version is discarded when its latest run was undone by undo
	// --discard.
	latestRun := map[string]*appliedRow{}
	for _, a := range applied {
		if a.hasVer && !a.row.synthetic() && !a.row.undo() && a.row.Type == TypeSQL {
			latestRun[a.ver.Key()] = a
		}
	}
	discarded := func(f *locations.File) bool {
		a := latestRun[f.Version.Key()]
		return f.Kind == locations.Versioned && a != nil && a.discarded && !a.deleted &&
			(in.includeDiscarded == nil || !in.includeDiscarded(f.Version))
	}
	live := map[string]bool{}
	anyLive := false
	for _, a := range applied {
		if a.hasVer && !a.deleted && !a.undone && !a.row.synthetic() && !a.row.undo() {
			live[a.row.Type+"|"+a.ver.Key()] = true
			if f, ok := matchFile(a); ok {
				live[typeOfKind(f.file.Kind)+"|"+a.ver.Key()] = true
			}
			anyLive = true
		}
		if a.row.Type == TypeBaseline && a.row.Success {
			anyLive = true
		}
	}

	// Entries for history rows, in rank order.
	latestRepeatable := map[string]*appliedRow{}
	for _, a := range applied {
		if !a.hasVer && !a.row.synthetic() && !a.row.undo() && !a.deleted {
			latestRepeatable[a.row.Description] = a
		}
	}
	repeatableFiles := map[string]resolved{}
	for _, r := range in.repeatables {
		repeatableFiles[r.file.Description] = r
	}
	for _, a := range applied {
		r := a.row
		if r.Type == TypeDelete && a.hasVer && r.Success {
			continue // it only marks its target
		}
		e := &Entry{Category: categoryOfRow(r), Version: r.Version, Description: r.Description, Type: r.Type,
			Script: r.Script, Checksum: r.Checksum, Row: r, OutOfOrder: a.outOfOrder, version: a.ver}
		switch {
		case r.Type == TypeSchema || r.Type == TypeDelete:
			e.State = StateSuccess
		case r.Type == TypeBaseline:
			e.State = StateBaseline
		case a.deleted:
			e.State = StateDeleted
		case a.undone:
			e.State = StateUndone
		case !a.hasVer:
			f, ok := repeatableFiles[r.Description]
			if ok {
				e.File = f.file
			}
			switch {
			case latestRepeatable[r.Description] != a:
				e.State = StateSuperseded
			case !ok:
				e.State = failedOr(r, StateFailedMissing, StateMissing)
			case !r.Success:
				e.State = StateFailed
			case f.matches(r.Checksum):
				e.State = StateSuccess
			default:
				e.State = StateOutdated
			}
		default:
			f, ok := matchFile(a)
			if ok {
				e.File = f.file
			}
			switch {
			case !ok && !resolvableType(r.Type):
				e.State = failedOr(r, StateFailed, StateSuccess)
			case !ok && a.ver.Compare(lastResolved) < 0:
				e.State = failedOr(r, StateFailedMissing, StateMissing)
			case !ok:
				e.State = failedOr(r, StateFailedFuture, StateFuture)
			case !r.Success:
				e.State = StateFailed
			case r.baseline():
				e.State = StateBaseline
			case a.outOfOrder:
				e.State = StateOutOfOrder
			default:
				e.State = StateSuccess
			}
		}
		ts.entries = append(ts.entries, e)
	}

	// The baseline migration that runs on an empty target.
	var pendingBaseline *resolved
	if !anyLive {
		for i := range in.baselines {
			b := &in.baselines[i]
			if !above(b.file.Version) {
				pendingBaseline = b
			}
		}
	}
	baselineVer := appliedBaseline
	if appliedBaseline.IsZero() && pendingBaseline != nil {
		baselineVer = pendingBaseline.file.Version
	}

	// Entries for local files not applied.
	var unapplied []*Entry
	for _, list := range [][]resolved{in.baselines, in.versioned} {
		for _, r := range list {
			f := r.file
			if live[typeOfKind(f.Kind)+"|"+f.Version.Key()] {
				continue
			}
			c := f.Checksum
			e := &Entry{Category: categoryOfKind(f.Kind), Version: f.Version.String(), Description: f.Description,
				Type: typeOfKind(f.Kind), Script: f.Script, Checksum: &c, File: f, version: f.Version}
			failedRow := hasFailedRow(applied, f)
			switch {
			case f.Directives.ShouldExecute != nil && !*f.Directives.ShouldExecute:
				e.State = StateIgnored
			case failedRow:
				continue // shown by its failed row; resumed or refused by the planner
			case discarded(f):
				e.State = StateDiscarded
			case f.Kind == locations.Baseline && pendingBaseline != nil && pendingBaseline.file == f:
				e.State = StatePending
			case f.Kind == locations.Baseline && above(f.Version):
				e.State = StateAboveTarget
			case f.Kind == locations.Baseline && pendingBaseline != nil && f.Version.Compare(pendingBaseline.file.Version) < 0:
				e.State = StateBelowBaseline
			case f.Kind == locations.Baseline:
				e.State = StateIgnored
			case !baselineVer.IsZero() && f.Version.Compare(baselineVer) < 0:
				e.State = StateBelowBaseline
			case !baselineVer.IsZero() && f.Version.Equal(baselineVer):
				e.State = StateIgnoredBaseline
			case above(f.Version):
				e.State = StateAboveTarget
			case haveRunning && f.Version.Compare(running) < 0 && (in.allowOOO == nil || !in.allowOOO(f.Version)):
				e.State = StateIgnored
			default:
				e.State = StatePending
			}
			unapplied = append(unapplied, e)
		}
	}
	sort.SliceStable(unapplied, func(i, j int) bool {
		bi := unapplied[i].State == StateBelowBaseline || unapplied[i].State == StateIgnoredBaseline
		bj := unapplied[j].State == StateBelowBaseline || unapplied[j].State == StateIgnoredBaseline
		if bi != bj {
			return bi
		}
		if c := unapplied[i].version.Compare(unapplied[j].version); c != 0 {
			return c < 0
		}
		return unapplied[i].Category == CategoryVersioned && unapplied[j].Category != CategoryVersioned
	})
	// Flyway lists Below Baseline migrations before every applied one
	// (MigrationInfoImpl.compareTo), the rest after them.
	var below []*Entry
	rest := unapplied[:0:0]
	for _, e := range unapplied {
		if e.State == StateBelowBaseline {
			below = append(below, e)
		} else {
			rest = append(rest, e)
		}
	}
	ts.entries = append(below, append(ts.entries, rest...)...)
	for _, e := range unapplied {
		if e.State == StatePending {
			ts.pending = append(ts.pending, e)
		}
	}

	// Repeatables: pending when never applied or changed since.
	for _, r := range in.repeatables {
		a := latestRepeatable[r.file.Description]
		if a != nil && a.row.Success && r.matches(a.row.Checksum) {
			continue
		}
		if a != nil && !a.row.Success {
			continue // the failed row is shown; migrate refuses until repaired
		}
		c := r.checksum
		e := &Entry{Category: CategoryRepeatable, Description: r.file.Description, Type: TypeSQL, Script: r.file.Script,
			Checksum: &c, File: r.file, State: StatePending}
		if a != nil {
			e.replaces = a.row
		}
		ts.entries = append(ts.entries, e)
		ts.pending = append(ts.pending, e)
	}
	if target.kind == "next" && len(ts.pending) > 1 {
		ts.pending = ts.pending[:1]
	}
	return ts
}

func failedOr(r *HistoryRow, failed, ok State) State {
	if r.Success {
		return ok
	}
	return failed
}

// latestMatch finds the latest earlier row that a DELETE or UNDO row a
// refers to: same version, or same description for repeatables.
func latestMatch(earlier []*appliedRow, a *appliedRow, eligible func(*appliedRow) bool) *appliedRow {
	for i := len(earlier) - 1; i >= 0; i-- {
		o := earlier[i]
		if !eligible(o) || o.deleted {
			continue
		}
		if a.hasVer && o.hasVer && o.ver.Equal(a.ver) {
			return o
		}
		if !a.hasVer && !o.hasVer && o.row.Description == a.row.Description {
			return o
		}
	}
	return nil
}

func identify(a *appliedRow) string {
	if a.hasVer {
		return "version " + a.row.Version
	}
	return "repeatable " + a.row.Description
}

// hasFailedRow reports whether f's latest history row is a failure.
func hasFailedRow(applied []*appliedRow, f *locations.File) bool {
	for i := len(applied) - 1; i >= 0; i-- {
		a := applied[i]
		if a.hasVer && a.ver.Equal(f.Version) && a.row.Type == typeOfKind(f.Kind) && !a.deleted {
			return !a.row.Success
		}
	}
	return false
}
