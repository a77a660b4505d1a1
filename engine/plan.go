package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"strings"
	"time"

	"github.com/stratadb/strata/locations"
	"github.com/stratadb/strata/placeholders"
	"github.com/stratadb/strata/schemas"
)

// Plan is what Apply will do: the pending migrations of every target,
// computed without taking any lock.
type Plan struct {
	Targets     []*TargetPlan
	Waves       []PlanWave // WithWaves: the waves in order, Targets grouped by them
	run         *run       // the run that made the plan: its targets, tables and caches
	session     Session
	start       time.Time
	tablesExist bool
}

// Pending is the number of migrations pending over all targets.
func (p *Plan) Pending() int {
	n := 0
	for _, t := range p.Targets {
		n += len(t.Pending)
	}
	return n
}

// TargetPlan is the view of one target.
type TargetPlan struct {
	Target    schemas.Target
	Current   string   // the target's schema version, "" when empty
	UpToDate  bool     // known from the state table alone: Entries is empty
	LastError string   // the error of the target's last failed run, from the state table
	Entries   []*Entry // info rows, in Flyway's order
	Pending   []*Entry // what Apply runs, in order
	// NonEmpty refuses a target whose schema holds objects but which has
	// no history; nil otherwise.
	NonEmpty *NonEmptySchemaError
	state    *targetState
	problems []PlaceholderProblem
	// structural are findings about the target itself (its schema is gone,
	// its history and state disagree), which every command reports.
	structural        []Finding
	hasHistory        bool // the target has history rows or a state fingerprint
	schemaMissing     bool // the target has a history but its schema is gone
	baselineOnMigrate bool // the schema is not empty: migrate writes a baseline row first
}

// Plan reads the history of every target and computes what is pending. It
// fails before anything runs when any target has a problem that must stop
// a run, and reports every such problem of every target together:
// validation findings, out-of-order versions, undefined placeholders, a
// non-empty schema without history, files a transaction pooler cannot run.
func (m *Migrator) Plan(ctx context.Context) (*Plan, error) {
	return m.newRun().plan(ctx)
}

func (m *run) plan(ctx context.Context) (*Plan, error) {
	conn, err := m.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("plan: connect: %w", err)
	}
	defer conn.Close()
	p, err := m.inspect(ctx, conn, m.details, forMigrate)
	if err != nil {
		return nil, err
	}
	p.Waves = m.waves
	if err := m.preflight(p, p.Targets); err != nil {
		return nil, m.maskErr(err)
	}
	return p, nil
}

// preflight gathers every problem of the given targets that must stop a
// migrate before anything runs, and returns them joined: one run reports
// them all.
func (m *run) preflight(p *Plan, tps []*TargetPlan) error {
	var errs []error
	var findings []Finding
	for _, tp := range tps {
		findings = append(findings, m.findings(tp, true)...)
	}
	if len(findings) > 0 {
		errs = append(errs, &ValidationError{Findings: findings})
	}
	errs = append(errs, m.joinChecks(tps)...)
	for _, tp := range tps {
		if tp.NonEmpty != nil && !tp.Target.Tenant {
			errs = append(errs, tp.NonEmpty) // tenants: refused one by one, the others proceed
		}
	}
	if m.pooling == TransactionPooling {
		errs = append(errs, m.refuseNonTransactional(p, tps))
	}
	return errors.Join(errs...)
}

// inspectMode says what a plan is for.
type inspectMode int

const (
	// forMigrate: what migrate would do; with baseline on migrate, a
	// non-empty schema without history is planned with its baseline row.
	forMigrate inspectMode = iota
	// asRecorded: the history as it is, for the lifecycle commands.
	asRecorded
)

// inspect reads the session and the history and computes every target's
// state. With details, every target's history is read, even of those the
// state table shows up to date.
func (m *run) inspect(ctx context.Context, conn *sql.Conn, details bool, mode inspectMode) (*Plan, error) {
	s, err := m.session(ctx, conn)
	if err != nil {
		return nil, err
	}
	if err := checkLimits(m.files); err != nil {
		return nil, err
	}
	p := &Plan{run: m, session: s, start: m.now()}
	p.tablesExist, err = m.dialect.TableExists(ctx, conn, m.tables.Schema, m.tables.History)
	if err != nil {
		return nil, fmt.Errorf("plan: look for history table: %w", err)
	}
	byTenant := map[string][]HistoryRow{}
	var states map[string]targetStatus
	var upToDate map[string]string
	if p.tablesExist {
		meta, err := m.dialect.TableExists(ctx, conn, m.tables.Schema, m.tables.Meta())
		if err != nil {
			return nil, fmt.Errorf("plan: look for %s: %w", m.tables.Meta(), err)
		}
		if !meta {
			return nil, fmt.Errorf("history table %s exists but was not created by strata (there is no %s table next to it): if it is Flyway's, keep Strata's own history table and %s", m.tables.History, m.tables.Meta(), advise(AdviceAdoptFlywayTable, m.tables.History))
		}
		if err := m.checkLayout(ctx, conn); err != nil {
			return nil, err
		}
		// The state table and the history are read by two queries, without
		// a lock: a runner committing between them (history and state rows
		// together) would make them disagree and look edited by hand. The
		// state is read again after the history; if it changed, both are
		// read again.
		for attempt := 1; ; attempt++ {
			if states, err = m.readStatus(ctx, conn); err != nil {
				return nil, err
			}
			upToDate = nil
			if !details {
				if upToDate, err = m.upToDate(s, states, p.start); err != nil {
					return nil, err
				}
			}
			if len(upToDate) == len(m.targets) {
				break
			}
			var tenants []string
			if len(upToDate) > 0 {
				for _, t := range m.targets {
					if _, ok := upToDate[t.Name]; !ok {
						tenants = append(tenants, t.Name)
					}
				}
			}
			rows, err := m.readHistoryOf(ctx, conn, tenants)
			if err != nil {
				return nil, err
			}
			byTenant = map[string][]HistoryRow{}
			for _, r := range rows {
				byTenant[r.Tenant] = append(byTenant[r.Tenant], r)
			}
			again, err := m.readStatus(ctx, conn)
			if err != nil {
				return nil, err
			}
			if maps.Equal(states, again) || attempt == 5 {
				break
			}
		}
	}
	for _, t := range m.targets {
		st, hasState := states[t.Name]
		if version, ok := upToDate[t.Name]; ok {
			p.Targets = append(p.Targets, &TargetPlan{Target: t, Current: version, UpToDate: true, state: &targetState{}, hasHistory: true})
			continue
		}
		rows := byTenant[t.Name]
		tp, err := m.planTarget(s, t, rows, p.start)
		if err != nil {
			return nil, err
		}
		tp.hasHistory = len(rows) > 0 || hasState && st.fp != ""
		if hasState && st.fp != "" {
			if f, ok := m.stateMismatch(tp, st); ok {
				tp.structural = append(tp.structural, f)
			}
		}
		if hasState && st.failed {
			tp.LastError = st.errText
		}
		p.Targets = append(p.Targets, tp)
	}
	if err := m.inspectSchemas(ctx, conn, p, mode); err != nil {
		return nil, err
	}
	return p, nil
}

// upToDate finds the targets whose applied set is exactly the files' (the
// state table's fingerprint equals the files', not failed): they need no
// history read and no connection. It returns their versions. With one
// target, or a target other than latest, it finds none.
func (m *run) upToDate(s Session, states map[string]targetStatus, start time.Time) (map[string]string, error) {
	if len(m.targets) < 2 || m.target != "" && !strings.EqualFold(m.target, "latest") || states == nil {
		return nil, nil
	}
	// The versioned part of the expected fingerprint is the same for every
	// target; repeatables with placeholders differ per target.
	var shared uint64
	for _, f := range m.files.Versioned {
		c := f.Checksum
		shared ^= entryHash(TypeSQL, f.Version.String(), f.Description, &c)
	}
	var perTarget []*locations.File
	for _, f := range m.files.Repeatable {
		if has, err := m.hasPrefix(f); err != nil {
			return nil, err
		} else if has {
			perTarget = append(perTarget, f)
			continue
		}
		c := f.Checksum
		shared ^= entryHash(TypeSQL, "", f.Description, &c)
	}
	out := map[string]string{}
	for _, t := range m.targets {
		st, ok := states[t.Name]
		if !ok || st.failed || st.fp == "" {
			continue
		}
		fp := shared
		for _, f := range perTarget {
			c, err := m.checkScript(s, t, f, start)
			if err != nil {
				fp = ^fp // undefined placeholders: let the full plan report them
				break
			}
			fp ^= entryHash(TypeSQL, "", f.Description, &c)
		}
		if fmt.Sprintf("%016x", fp) == st.fp {
			out[t.Name] = st.version
		}
	}
	return out, nil
}

// planTarget computes the state of one target from its history rows.
func (m *run) planTarget(s Session, t schemas.Target, rows []HistoryRow, start time.Time) (*TargetPlan, error) {
	target, err := parseTarget(m.target)
	if err != nil {
		return nil, err
	}
	in := stateInput{rows: rows, target: target, allowOOO: m.allowOutOfOrder, includeDiscarded: m.includeDiscarded}
	tp := &TargetPlan{Target: t}
	for _, f := range m.files.Versioned {
		in.versioned = append(in.versioned, resolved{file: f, checksum: f.Checksum})
	}
	for _, f := range m.files.Baseline {
		in.baselines = append(in.baselines, resolved{file: f, checksum: f.Checksum})
	}
	for _, f := range m.files.Undo {
		in.undos = append(in.undos, resolved{file: f, checksum: f.Checksum})
	}
	for _, f := range m.files.Repeatable {
		c := f.Checksum
		if m.replaces(f) {
			var err error
			c, err = m.checkScript(s, t, f, start)
			var ue *placeholders.UndefinedError
			switch {
			case errors.As(err, &ue):
				tp.problems = append(tp.problems, problemsOf(t, f, ue)...)
				c = f.Checksum
			case err != nil:
				return nil, err
			}
		}
		in.repeatables = append(in.repeatables, resolved{file: f, checksum: c})
	}
	if err := checkTargetExists(target, in); err != nil {
		return nil, err
	}
	ts := computeStates(in)
	if ts.corrupt != nil {
		return nil, fmt.Errorf("target %s: %w", t.Name, ts.corrupt)
	}
	tp.state, tp.Entries, tp.Current = ts, ts.entries, ts.current
	tp.structural = append(tp.structural, duplicateRows(t, rows)...)
	tp.Pending = ts.pending
	// A failed non-transactional file of Strata's resumes where it stopped
	// (a repeatable after the versioned migrations).
	m.judgePartials(s, t, ts.entries, start)
	for _, e := range ts.entries {
		if e.Row != nil && e.State == StateFailed && m.resumable(e) {
			tp.Pending = insertByVersion(tp.Pending, e)
		}
	}
	for _, e := range tp.Pending {
		if e.File == nil || !m.replaces(e.File) || e.Category == CategoryRepeatable {
			continue
		}
		if _, err := m.checkScript(s, t, e.File, start); err != nil {
			var ue *placeholders.UndefinedError
			if !errors.As(err, &ue) {
				return nil, err
			}
			tp.problems = append(tp.problems, problemsOf(t, e.File, ue)...)
		}
	}
	return tp, nil
}

// resumable reports whether a failed row is one of Strata's
// non-transactional runs whose file is unchanged, or changed only after the
// statements that ran (judgePartials compared them).
func (m *run) resumable(e *Entry) bool {
	r := e.Row
	return r.Type == TypeSQL && e.File != nil && partialRow(e) &&
		r.Checksum != nil && (*r.Checksum == e.File.Checksum || e.Partial != nil && e.Partial.Resumable())
}

func insertByVersion(list []*Entry, e *Entry) []*Entry {
	i := 0
	for i < len(list) && list[i].Category != CategoryRepeatable && (e.Category == CategoryRepeatable || list[i].version.Compare(e.version) < 0) {
		i++
	}
	list = append(list, nil)
	copy(list[i+1:], list[i:])
	list[i] = e
	return list
}

// abbreviate cuts a description to Flyway's 200 characters.
func abbreviate(s string) string {
	r := []rune(s)
	if len(r) <= 200 {
		return s
	}
	return string(r[:197]) + "..."
}

// fingerprint summarises the applied set of a target: the XOR of a hash of
// every live versioned row and of the latest run of every repeatable,
// whether or not a local file still matches it (so that it depends on the
// history alone and a mismatch with the state table means the history
// was changed outside strata). It
// is stored in the state table so that status over many targets compares
// one value per target.
func fingerprint(ts *targetState) uint64 {
	var fp uint64
	for _, e := range ts.entries {
		if e.Row == nil || !e.Row.Success || e.Row.synthetic() || e.Row.undo() {
			continue
		}
		switch e.State {
		case StateSuccess, StateOutOfOrder, StateBaseline, StateOutdated, StateMissing, StateFuture:
			fp ^= entryHash(e.Row.Type, e.Row.Version, e.Row.Description, e.Row.Checksum)
		}
	}
	return fp
}

func entryHash(typ, version, description string, checksum *int32) uint64 {
	h := fnv.New64a()
	key := description
	if version != "" {
		if v, err := locations.ParseVersion(version); err == nil {
			key = v.Key()
		}
	}
	fmt.Fprintf(h, "%s\x00%s\x00%s", typ, key, checksumText(checksum))
	return h.Sum64()
}
