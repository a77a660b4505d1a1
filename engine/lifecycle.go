package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/stratadb/strata/locations"
	"github.com/stratadb/strata/schemas"
)

// Cleaner is implemented by dialects that can list and drop the objects of
// a schema, for Clean and for the emptiness check before Baseline.
type Cleaner interface {
	// Objects lists the objects of schema that Clean would drop, as
	// "kind name" strings; objects that belong to extensions are left out.
	Objects(ctx context.Context, conn *sql.Conn, schema string) ([]string, error)
	// CleanSchema drops every object of schema, or the schema itself with
	// everything in it when drop is set.
	CleanSchema(ctx context.Context, conn *sql.Conn, schema string, drop bool) error
}

// Action is one thing a lifecycle command did (or would do) on a target.
type Action struct {
	Target      string
	Kind        string // "baseline", "remove failed", "mark deleted", "align", "undo", "discard", "mark applied", "drop schema", "clean schema"
	Version     string
	Description string
	Script      string
	Detail      string
	// Leftover is what the action cannot undo: for a failed
	// non-transactional run, the statements that stayed applied.
	Leftover string `json:",omitempty"`
}

// LifecycleResult lists what a lifecycle command did.
type LifecycleResult struct {
	Actions []Action
}

// onTarget runs fn on one target under its lock, with the target's history
// read and planned, and then recomputes the target's state row from the
// history as it stands afterwards.
func (m *run) onTarget(ctx context.Context, p *Plan, t schemas.Target, fn func(run *targetRun, tp *TargetPlan) error) (err error) {
	conn, err := m.connectTarget(ctx, t)
	if err != nil {
		return err
	}
	defer func() { closeTarget(conn, err != nil) }()
	release, err := m.openTarget(ctx, conn, t, targetLock{keys: m.lockKeys(t), timeout: m.lockTimeout, what: t.Name})
	if err != nil {
		return err
	}
	defer release()
	tp, err := m.planOnTarget(ctx, conn, p, t)
	if err != nil {
		return err
	}
	run := m.newTargetRun(conn, p, t)
	run.fp, run.version, run.cur = fingerprint(tp.state), tp.state.lastApplied, run.session
	defer run.reset(ctx)
	if err := fn(run, tp); err != nil {
		return err
	}
	return m.refreshState(ctx, conn, p, t)
}

// refreshState rewrites a target's state row from its history: version,
// fingerprint, not failed.
func (m *run) refreshState(ctx context.Context, conn *sql.Conn, p *Plan, t schemas.Target) error {
	tp, err := m.planOnTarget(ctx, conn, p, t)
	if err != nil {
		return err
	}
	u := stateUpdate{setVersion: true, fingerprint: ptr(fingerprint(tp.state)), failed: ptr(false), setError: true, nextGeneration: true}
	if v := tp.state.lastApplied; !v.IsZero() {
		u.version, u.versionKey = tp.Current, v.Key()
	}
	if _, err := conn.ExecContext(ctx, m.store().updateState(t.Name, u)); err != nil {
		return fmt.Errorf("target %s: update state: %w", t.Name, err)
	}
	return nil
}

// planAll reads the session and the targets without checks.
func (m *run) planAll(ctx context.Context) (*Plan, error) {
	conn, err := m.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	return m.inspect(ctx, conn, true, asRecorded) // every target's history, not the state table's summary
}

// DefaultBaselineDescription is Flyway's description of a baseline row.
const DefaultBaselineDescription = "<< Flyway Baseline >>"

// Baseline marks every target as being at version: a BASELINE row, so that
// only migrations above it run. A target that already has the same
// baseline is left alone; one with other history is refused.
func (m *Migrator) Baseline(ctx context.Context, version, description string) (*LifecycleResult, error) {
	return m.newRun().baseline(ctx, version, description)
}

func (m *run) baseline(ctx context.Context, version, description string) (*LifecycleResult, error) {
	v, err := locations.ParseVersion(version)
	if err != nil {
		return nil, fmt.Errorf("baseline: version %q: %w", version, err)
	}
	if description == "" {
		description = DefaultBaselineDescription
	}
	p, err := m.planAll(ctx)
	if err != nil {
		return nil, err
	}
	// Refuse before anything changes when any target has a history.
	for _, tp := range p.Targets {
		for _, e := range tp.Entries {
			if e.Row == nil || e.Row.Type == TypeSchema {
				continue
			}
			if e.Row.Type == TypeBaseline && e.Version == v.String() && e.Description == description {
				continue
			}
			return nil, fmt.Errorf("baseline: target %s already has a history (%s %s): baseline marks a database whose history is empty", tp.Target.Name, e.Type, e.Script)
		}
	}
	res := &LifecycleResult{}
	for _, tp := range p.Targets {
		err := m.onTarget(ctx, p, tp.Target, func(run *targetRun, cur *TargetPlan) error {
			for _, e := range cur.Entries {
				if e.Row != nil && e.Row.Type == TypeBaseline {
					return nil // baselined already, with the same marker (checked above)
				}
			}
			row := HistoryRow{Version: v.String(), Description: abbreviate(description), Type: TypeBaseline, Script: abbreviate(description),
				InstalledBy: m.installedBy, Success: true, Tenant: tp.Target.Name, VersionKey: v.Key(), FailedStatement: -1}
			if _, err := run.conn.ExecContext(ctx, m.store().insertHistory(row, "0")); err != nil {
				return fmt.Errorf("target %s: baseline: %w", tp.Target.Name, err)
			}
			res.Actions = append(res.Actions, Action{Target: tp.Target.Name, Kind: "baseline", Version: v.String(), Description: description})
			return nil
		})
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// RepairPlan returns what Repair would do, changing nothing.
func (m *Migrator) RepairPlan(ctx context.Context) (*LifecycleResult, error) {
	return m.newRun().repairPlan(ctx)
}

func (m *run) repairPlan(ctx context.Context) (*LifecycleResult, error) {
	p, err := m.planAll(ctx)
	if err != nil {
		return nil, err
	}
	res := &LifecycleResult{}
	for _, tp := range p.Targets {
		res.Actions = append(res.Actions, m.repairActions(tp)...)
	}
	return res, nil
}

// repairActions is Flyway's repair for one target (FLYWAY.md 9.4): remove
// failed rows, mark applied migrations whose file is gone as deleted (unless
// an ignore pattern covers them), and align checksums, descriptions and
// types with the files.
func (m *run) repairActions(tp *TargetPlan) []Action {
	var out []Action
	for _, e := range tp.Entries {
		if e.Row == nil {
			continue
		}
		r := e.Row
		act := Action{Target: tp.Target.Name, Version: r.Version, Description: r.Description, Script: r.Script,
			Detail: strconv.FormatInt(r.InstalledRank, 10)}
		switch {
		case !r.Success:
			act.Kind = "remove failed"
			act.Leftover = leftoverText(e)
		case (e.State == StateMissing || e.State == StateFuture) && resolvableType(r.Type) && !ignored(m.ignore, e, e.State):
			act.Kind = "mark deleted"
		case e.File != nil && (e.State == StateSuccess || e.State == StateOutOfOrder) && e.Version != "" && !r.synthetic() && !r.undo():
			f := e.File
			if r.Checksum == nil || *r.Checksum != f.Checksum || r.Description != abbreviate(f.Description) || r.Type != typeOfKind(f.Kind) {
				act.Kind = "align"
			}
		case e.File != nil && e.State == StateOutdated && r.Checksum != nil && *r.Checksum == e.File.Checksum:
			act.Kind = "align" // the raw checksum Flyway accepted as equivalent
		}
		if act.Kind != "" {
			out = append(out, act)
		}
	}
	return out
}

// Repair applies RepairPlan's actions, each target in one transaction under
// its lock. A failed non-transactional run's row is removed, so the next
// migrate starts that file again from its first statement.
func (m *Migrator) Repair(ctx context.Context) (*LifecycleResult, error) {
	return m.newRun().repair(ctx)
}

func (m *run) repair(ctx context.Context) (*LifecycleResult, error) {
	p, err := m.planAll(ctx)
	if err != nil {
		return nil, err
	}
	res := &LifecycleResult{}
	for _, tp := range p.Targets {
		err := m.onTarget(ctx, p, tp.Target, func(run *targetRun, cur *TargetPlan) error {
			acts := m.repairActions(cur)
			if len(acts) == 0 {
				return nil
			}
			d := m.dialect
			parts := []Part{{SQL: d.Begin()}}
			byRank := map[string]*Entry{}
			for _, e := range cur.Entries {
				if e.Row != nil {
					byRank[strconv.FormatInt(e.Row.InstalledRank, 10)] = e
				}
			}
			for _, a := range acts {
				e := byRank[a.Detail]
				r := e.Row
				switch a.Kind {
				case "remove failed":
					parts = append(parts, Part{SQL: m.store().deleteHistoryRow(r.InstalledRank)})
				case "mark deleted":
					row := *r
					row.Type, row.ExecutionTime, row.FailedStatement, row.Error, row.Progress = TypeDelete, 0, -1, "", 0
					parts = append(parts, Part{SQL: m.store().insertHistory(row, "0")})
				case "align":
					f := e.File
					c := f.Checksum
					if e.State == StateOutdated {
						c = *e.Checksum // the checksum after placeholders
					}
					parts = append(parts, Part{SQL: m.store().alignHistoryRow(r.InstalledRank, abbreviate(f.Description), typeOfKind(f.Kind), c)})
				}
			}
			parts = append(parts, Part{SQL: "COMMIT"})
			if err := d.Exec(ctx, run.conn, parts); err != nil {
				run.rollback(ctx)
				return fmt.Errorf("target %s: repair: %w", tp.Target.Name, err)
			}
			res.Actions = append(res.Actions, acts...)
			return nil
		})
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// UndoPlan returns the migrations Undo would undo: with to == "" the most
// recently applied versioned migration of each target, otherwise every
// applied versioned migration above version to, newest (by installed_rank)
// first. Every one needs an undo (U) file: the first that has none is an
// error, before anything runs.
func (m *Migrator) UndoPlan(ctx context.Context, to string) (*LifecycleResult, error) {
	return m.newRun().undoPlan(ctx, to)
}

func (m *run) undoPlan(ctx context.Context, to string) (*LifecycleResult, error) {
	p, err := m.planAll(ctx)
	if err != nil {
		return nil, err
	}
	_, res, err := m.undoCandidates(p, to)
	return res, err
}

func (m *run) undoCandidates(p *Plan, to string) (map[string][]*Entry, *LifecycleResult, error) {
	var toV locations.Version
	if to != "" {
		v, err := locations.ParseVersion(to)
		if err != nil {
			return nil, nil, fmt.Errorf("%s %w", advise(AdviceUndoTo, strconv.Quote(to)), err)
		}
		toV = v
	}
	undoFiles := map[string]*locations.File{}
	for _, f := range m.files.Undo {
		undoFiles[f.Version.Key()] = f
	}
	byTarget := map[string][]*Entry{}
	res := &LifecycleResult{}
	var missing []string
	for _, tp := range p.Targets {
		var applied []*Entry
		for _, e := range tp.Entries {
			if e.Row != nil && e.Row.Type == TypeSQL && e.Version != "" && e.Row.Success &&
				(e.State == StateSuccess || e.State == StateOutOfOrder) {
				applied = append(applied, e)
			}
		}
		// Newest first, by installed_rank.
		for i := len(applied) - 1; i >= 0; i-- {
			e := applied[i]
			if to != "" && e.version.Compare(toV) <= 0 {
				continue
			}
			u := undoFiles[e.version.Key()]
			if u == nil {
				missing = append(missing, fmt.Sprintf("version %s (%s) on target %s", e.Version, e.Script, tp.Target.Name))
			} else {
				c := u.Checksum
				byTarget[tp.Target.Name] = append(byTarget[tp.Target.Name], &Entry{Category: CategoryUndo, Version: e.Version, Description: u.Description,
					Type: TypeUndoSQL, Script: u.Script, Checksum: &c, File: u, version: u.Version})
				res.Actions = append(res.Actions, Action{Target: tp.Target.Name, Kind: "undo", Version: e.Version, Description: e.Description, Script: u.Path()})
			}
			if to == "" {
				break
			}
		}
	}
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("undo: no undo migration (U file) for %s; nothing was undone", strings.Join(missing, ", "))
	}
	return byTarget, res, nil
}

// Undo runs the undo (U) files of UndoPlan, newest first, each in its own
// transaction with an UNDO_SQL history row; the undone migrations become
// pending again.
func (m *Migrator) Undo(ctx context.Context, to string) (*LifecycleResult, error) {
	return m.newRun().undo(ctx, to)
}

func (m *run) undo(ctx context.Context, to string) (*LifecycleResult, error) {
	p, err := m.planAll(ctx)
	if err != nil {
		return nil, err
	}
	byTarget, planned, err := m.undoCandidates(p, to)
	if err != nil {
		return nil, err
	}
	res := &LifecycleResult{}
	for _, tp := range p.Targets {
		list := byTarget[tp.Target.Name]
		if len(list) == 0 {
			continue
		}
		err := m.onTarget(ctx, p, tp.Target, func(run *targetRun, cur *TargetPlan) error {
			for _, e := range list {
				if err := run.applyWithRetry(ctx, e, 0); err != nil {
					return err
				}
				for _, a := range planned.Actions {
					if a.Target == tp.Target.Name && a.Version == e.Version {
						res.Actions = append(res.Actions, a)
					}
				}
			}
			return nil
		})
		if err != nil {
			return res, m.maskErr(err)
		}
	}
	return res, nil
}

// DiscardPlan returns what Discard would undo: UndoPlan's migrations, as
// actions of kind "discard".
func (m *Migrator) DiscardPlan(ctx context.Context, to string) (*LifecycleResult, error) {
	res, err := m.UndoPlan(ctx, to)
	return asDiscards(res), err
}

// Discard is Undo that also records the undone versions as discarded: the
// UNDO_SQL row of each, written in the undo's transaction, carries
// MarkDiscard in Strata's mark column (never a new Flyway type). A
// discarded version is in state Discarded, not Pending, while its file is
// still there: Migrate does not apply it again unless
// WithIncludeDiscarded names it, and Validate does not report it.
func (m *Migrator) Discard(ctx context.Context, to string) (*LifecycleResult, error) {
	r := m.newRun()
	r.undoMark = MarkDiscard
	res, err := r.undo(ctx, to)
	return asDiscards(res), err
}

func asDiscards(res *LifecycleResult) *LifecycleResult {
	if res == nil {
		return nil
	}
	for i := range res.Actions {
		res.Actions[i].Kind = "discard"
	}
	return res
}

// CleanPlan returns what Clean would drop and empty, changing nothing.
func (m *Migrator) CleanPlan(ctx context.Context, tenants []string) (*LifecycleResult, error) {
	return m.newRun().clean(ctx, tenants, false)
}

// Clean cleans what the env manages: its managed schemas, or, without
// managed schemas, the default schema (Strata's tables included when they
// live there); tenant schemas only when named in tenants. As Flyway does,
// a schema is dropped whole only when Strata (or Flyway, before adoption)
// created it, as recorded by a SCHEMA row of the history; any other
// schema is emptied of its objects and kept, with its owner and grants
// (action kinds "drop schema" and "clean schema"). When the history table
// survives (it lives in a schema that was not cleaned), the rows of the
// cleaned targets go, and the dropped schemas are no longer recorded as
// created. The caller decides whether cleaning is allowed
// (clean_disabled).
func (m *Migrator) Clean(ctx context.Context, tenants []string) (*LifecycleResult, error) {
	return m.newRun().clean(ctx, tenants, true)
}

func (m *run) clean(ctx context.Context, tenants []string, do bool) (*LifecycleResult, error) {
	cl, ok := m.dialect.(Cleaner)
	if !ok {
		return nil, fmt.Errorf("clean: %s cannot clean schemas", m.dialect.Name())
	}
	conn, err := m.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("clean: connect: %w", err)
	}
	defer conn.Close()
	s, err := m.session(ctx, conn)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, t := range m.targets {
		if t.Tenant {
			known[t.Name] = true
		}
	}
	markers, err := m.schemaMarkerRows(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("clean: %w", err)
	}
	created := map[string]bool{}
	for _, mr := range markers {
		for _, sch := range mr.schemas {
			created[sch] = true
		}
	}
	// A database without schemas (SQLite) has one, which is only emptied.
	hasSchemas := m.dialect.CreateSchema("x") != ""
	res := &LifecycleResult{}
	var jobs []string
	seen := map[string]bool{}
	add := func(sch string) {
		if !seen[sch] {
			seen[sch] = true
			jobs = append(jobs, sch)
		}
	}
	for _, t := range tenants {
		if !known[t] {
			return nil, errors.New(advise(AdviceCleanTenantUnknown, strconv.Quote(t)))
		}
		add(t)
	}
	if len(m.schemas) > 0 {
		for _, sch := range m.schemas {
			add(sch)
		}
	} else if len(tenants) == 0 {
		add(s.DefaultSchema)
	}
	dropped := map[string]bool{}
	for _, sch := range jobs {
		drop := hasSchemas && created[sch]
		objs, err := cl.Objects(ctx, conn, sch)
		if err != nil {
			return nil, fmt.Errorf("clean: list objects of %s: %w", sch, err)
		}
		kind := "clean schema"
		if drop {
			kind = "drop schema"
		}
		res.Actions = append(res.Actions, Action{Target: sch, Kind: kind, Detail: strings.Join(objs, ", ")})
		if do {
			if err := cl.CleanSchema(ctx, conn, sch, drop); err != nil {
				return res, fmt.Errorf("clean: %s: %w", sch, err)
			}
			dropped[sch] = drop
		}
	}
	if do {
		m.tablesSeen.Store(false)
		if err := m.forgetCleaned(ctx, conn, seen, dropped, markers); err != nil {
			return res, err
		}
	}
	return res, nil
}

// forgetCleaned removes, when the history table survived the clean, the
// history and state rows of the targets whose schema was cleaned, and the
// record of the schemas that were dropped.
func (m *run) forgetCleaned(ctx context.Context, conn *sql.Conn, cleaned, dropped map[string]bool, markers []markerRow) error {
	if ok, err := m.dialect.TableExists(ctx, conn, m.tables.Schema, m.tables.History); err != nil || !ok {
		return err
	}
	var names []string
	for _, t := range m.targets {
		if cleaned[t.Schema] || (t.Schema == "" && len(cleaned) > 0) {
			names = append(names, t.Name)
		}
	}
	if len(names) > 0 {
		for _, q := range m.store().forgetTargets(names) {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("clean: forget cleaned targets: %w", err)
			}
		}
	}
	return m.forgetDropped(ctx, conn, markers, dropped)
}
