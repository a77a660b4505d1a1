package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/stratadb/strata/locations"
	"github.com/stratadb/strata/schemas"
)

// AdoptResult is what AdoptFlyway did.
type AdoptResult struct {
	Targets []AdoptedTarget
}

// AdoptedTarget is what AdoptFlyway did on one target.
type AdoptedTarget struct {
	Target  string
	Source  string // the qualified Flyway history table read
	Rows    int    // rows copied into Strata's history (0 when skipped)
	Skipped bool   // the target already had rows in Strata's history: nothing was copied
}

// Copied is the number of rows copied over all targets.
func (r *AdoptResult) Copied() int {
	n := 0
	for _, t := range r.Targets {
		n += t.Rows
	}
	return n
}

// flywayTypes are the values of Flyway's type column (FLYWAY.md 1.6), with
// the name a legacy value is read as.
var flywayTypes = map[string]string{
	TypeSchema: TypeSchema, TypeBaseline: TypeBaseline, TypeDelete: TypeDelete,
	TypeSQL: TypeSQL, "JDBC": "JDBC", "SCRIPT": "SCRIPT", "CUSTOM": "CUSTOM",
	TypeSQLBaseline: TypeSQLBaseline, "JDBC_BASELINE": "JDBC_BASELINE", "SCRIPT_BASELINE": "SCRIPT_BASELINE",
	TypeUndoSQL: TypeUndoSQL, "UNDO_JDBC": "UNDO_JDBC", "UNDO_SCRIPT": "UNDO_SCRIPT", "UNDO_CUSTOM": "UNDO_CUSTOM",
	// Legacy names Flyway still reads.
	"SPRING_JDBC": "JDBC", "UNDO_SPRING_JDBC": "UNDO_JDBC",
	"SQL_STATE_SCRIPT": TypeSQLBaseline, "JDBC_STATE_SCRIPT": "JDBC_BASELINE",
}

// flywayTableMarker is the type of a marker row some Flyway editions write;
// it describes no migration and is not copied.
const flywayTableMarker = "TABLE"

// flywayColumns are Flyway's ten columns, looked up by lower-cased name.
var flywayColumns = []string{
	"installed_rank", "version", "description", "type", "script", "checksum",
	"installed_by", "installed_on", "execution_time", "success",
}

// flywayRow is one row of a Flyway history table as read.
type flywayRow struct {
	rank        int64
	row         HistoryRow
	installedOn any // as the driver returned it, copied verbatim
}

// adoptSource is where one target's Flyway history lives.
type adoptSource struct {
	target   schemas.Target
	schema   string
	table    string
	exists   bool
	hasRows  bool // Strata's history already has rows for the target
	qualName string
}

// AdoptFlyway adopts existing Flyway history tables: for every target, the
// rows of the Flyway table (table, default flyway_schema_history) in the
// target's schema are copied, in installed_rank order, into Strata's
// history with the target as tenant, keeping Flyway's type, checksum,
// installed_by, installed_on, execution_time and success. Nothing is run,
// and the Flyway table is left as it is. Each target is copied in one
// transaction, under the target's lock and Flyway's own lock on its table,
// and its state row is computed from the copied rows. A target that
// already has rows in Strata's history is skipped. A target without a
// Flyway table is an error, reported for every such target before
// anything changes.
//
// With tenants, each tenant schema holds its own Flyway table; without,
// the table is in Flyway's default schema (the first managed schema, else
// the connection's current schema) or, failing that, in the history
// schema. Ranks are Strata's own (they are global across tenants); the
// order within a target is Flyway's.
func (m *Migrator) AdoptFlyway(ctx context.Context, table string) (*AdoptResult, error) {
	return m.newRun().adoptFlyway(ctx, table)
}

func (m *run) adoptFlyway(ctx context.Context, table string) (*AdoptResult, error) {
	if table == "" {
		table = m.flywayTable
	}
	conn, err := m.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("adopt flyway history: connect: %w", err)
	}
	defer conn.Close()
	if _, err := m.session(ctx, conn); err != nil {
		return nil, err
	}
	sources, err := m.adoptSources(ctx, conn, table)
	if err != nil {
		return nil, err
	}
	res := &AdoptResult{}
	for _, src := range sources {
		at, err := m.adoptTarget(ctx, conn, src)
		if err != nil {
			discard(conn)
			return res, err
		}
		res.Targets = append(res.Targets, at)
	}
	return res, nil
}

// adoptSources finds every target's Flyway table and checks, before
// anything changes, that each target either has one or was adopted
// already.
func (m *run) adoptSources(ctx context.Context, conn *sql.Conn, table string) ([]adoptSource, error) {
	d := m.dialect
	strata, err := d.TableExists(ctx, conn, m.tables.Schema, m.tables.History)
	if err != nil {
		return nil, fmt.Errorf("adopt flyway history: look for history table: %w", err)
	}
	var withRows map[string]bool
	if strata {
		meta, err := d.TableExists(ctx, conn, m.tables.Schema, m.tables.Meta())
		if err != nil {
			return nil, fmt.Errorf("adopt flyway history: look for %s: %w", m.tables.Meta(), err)
		}
		if !meta {
			return nil, fmt.Errorf("adopt flyway history: history table %s exists but was not created by strata (there is no %s table next to it); choose another name with history { table = \"...\" }",
				m.store().historyTable(), m.tables.Meta())
		}
		if err := m.checkLayout(ctx, conn); err != nil {
			return nil, err
		}
		if withRows, err = m.adoptTenantsWithRows(ctx, conn); err != nil {
			return nil, err
		}
	}
	var out []adoptSource
	var missing []string
	for _, t := range m.targets {
		src := adoptSource{target: t, table: table, hasRows: withRows[t.Name]}
		candidates := []string{t.Schema}
		if !t.Tenant && m.tables.Schema != t.Schema {
			candidates = append(candidates, m.tables.Schema)
		}
		for _, s := range candidates {
			if d.Table(s, table) == m.store().historyTable() {
				return nil, fmt.Errorf("adopt flyway history: strata's history table %s is the Flyway table itself; adopting in place is not supported: give strata's history another name (history { table = \"...\" }) and adopt again",
					m.store().historyTable())
			}
			ok, err := d.TableExists(ctx, conn, s, table)
			if err != nil {
				return nil, fmt.Errorf("adopt flyway history: target %s: %w", t.Name, err)
			}
			if ok {
				src.schema, src.exists = s, true
				break
			}
		}
		if !src.exists {
			src.schema = candidates[0]
		}
		src.qualName = d.Table(src.schema, table)
		if !src.exists && !src.hasRows {
			where := "schema " + strconv.Quote(src.schema)
			if len(candidates) > 1 {
				where = "schemas " + strconv.Quote(candidates[0]) + " and " + strconv.Quote(candidates[1])
			}
			missing = append(missing, fmt.Sprintf("target %s: no Flyway history table %q in %s", t.Name, table, where))
		}
		out = append(out, src)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("adopt flyway history: nothing was adopted: %s %s", strings.Join(missing, "; "), advise(AdviceFlywayTableName))
	}
	return out, nil
}

// adoptTenantsWithRows returns the tenants that have rows, other than
// SCHEMA rows, in Strata's history.
func (m *run) adoptTenantsWithRows(ctx context.Context, q querier) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, m.store().selectAdoptedTenants())
	if err != nil {
		return nil, fmt.Errorf("adopt flyway history: read %s: %w", m.tables.History, err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, fmt.Errorf("adopt flyway history: read %s: %w", m.tables.History, err)
		}
		out[t] = true
	}
	return out, rows.Err()
}

// adoptTarget copies one target's Flyway history in one transaction under
// the target's lock and Flyway's lock.
func (m *run) adoptTarget(ctx context.Context, conn *sql.Conn, src adoptSource) (at AdoptedTarget, err error) {
	t, d := src.target, m.dialect
	at = AdoptedTarget{Target: t.Name, Source: src.qualName}
	if !src.exists {
		at.Skipped = true // adopted before (checked by adoptSources)
		return at, nil
	}
	keys := m.adoptLockKeys(t, src.schema, src.table)
	what := t.Name + " (adopting " + src.qualName + ")"
	release, err := m.openTarget(ctx, conn, t, targetLock{keys: keys, timeout: m.lockTimeout, what: what})
	if err != nil {
		return at, err
	}
	defer func() {
		if rerr := release(); rerr != nil && err == nil {
			err = fmt.Errorf("target %s: release lock: %w", t.Name, rerr)
		}
	}()

	// One transaction: BEGIN (through a pooler, with the transaction-level
	// locks), the check, the copy, the state row, COMMIT.
	fail := func(err error) (AdoptedTarget, error) {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return at, err
	}
	if _, err := conn.ExecContext(ctx, d.Begin()); err != nil {
		return at, fmt.Errorf("target %s: adopt %s: %w", t.Name, src.qualName, err)
	}
	if tl, ok := d.(TxLocker); ok && m.pooling == TransactionPooling {
		if err := m.execTxLocks(ctx, conn, tl, what, keys...); err != nil {
			var le *LockError
			if errors.As(err, &le) {
				return fail(err)
			}
			return fail(fmt.Errorf("target %s: lock: %w", t.Name, err))
		}
	}
	var n int64
	if err := conn.QueryRowContext(ctx, m.store().countAdopted(t.Name)).Scan(&n); err != nil {
		return fail(fmt.Errorf("target %s: read %s: %w", t.Name, m.tables.History, err))
	}
	if n > 0 {
		_, _ = conn.ExecContext(ctx, "ROLLBACK")
		at.Skipped = true
		return at, nil
	}
	frows, err := m.readFlyway(ctx, conn, src)
	if err != nil {
		return fail(err)
	}
	const chunk = 500
	applied := 0
	for i := 0; i < len(frows); i += chunk {
		var parts []Part
		for _, fr := range frows[i:min(i+chunk, len(frows))] {
			r := fr.row
			r.Tenant = t.Name
			parts = append(parts, Part{SQL: m.store().insertAdopted(r, fr.installedOn)})
			if r.Success && !r.synthetic() {
				applied++
			}
		}
		if err := d.Exec(ctx, conn, parts); err != nil {
			return fail(fmt.Errorf("target %s: copy %s: %w", t.Name, src.qualName, err))
		}
	}
	rows, err := m.readHistory(ctx, conn, t.Name)
	if err != nil {
		return fail(err)
	}
	ts := m.adoptState(rows)
	if ts.corrupt != nil {
		return fail(fmt.Errorf("target %s: %s: %w", t.Name, src.qualName, ts.corrupt))
	}
	if _, err := conn.ExecContext(ctx, m.adoptStateSQL(t, ts, applied)); err != nil {
		return fail(fmt.Errorf("target %s: update state: %w", t.Name, err))
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fail(fmt.Errorf("target %s: adopt %s: commit: %w", t.Name, src.qualName, err))
	}
	at.Rows = len(frows)
	m.logger.Debug("flyway history adopted", "target", t.Name, "source", src.qualName, "rows", at.Rows)
	return at, nil
}

// readFlyway reads a Flyway history table in installed_rank order. Columns
// are found by lower-cased name, as Flyway finds them.
func (m *run) readFlyway(ctx context.Context, conn *sql.Conn, src adoptSource) ([]flywayRow, error) {
	rows, err := conn.QueryContext(ctx, "SELECT * FROM "+src.qualName)
	if err != nil {
		return nil, fmt.Errorf("target %s: read %s: %w", src.target.Name, src.qualName, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("target %s: read %s: %w", src.target.Name, src.qualName, err)
	}
	index := map[string]int{}
	for i, c := range cols {
		index[strings.ToLower(c)] = i
	}
	var absent []string
	for _, c := range flywayColumns {
		if _, ok := index[c]; !ok {
			absent = append(absent, c)
		}
	}
	if len(absent) > 0 {
		return nil, fmt.Errorf("target %s: %s is not a Flyway schema history table: it has no column %s", src.target.Name, src.qualName, strings.Join(absent, ", "))
	}
	var out []flywayRow
	var unknown []string
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("target %s: read %s: %w", src.target.Name, src.qualName, err)
		}
		get := func(c string) any { return vals[index[c]] }
		fr := flywayRow{rank: asInt(get("installed_rank")), installedOn: get("installed_on")}
		typ := strings.TrimSpace(asString(get("type")))
		if typ == flywayTableMarker {
			continue
		}
		norm, ok := flywayTypes[typ]
		if !ok {
			unknown = append(unknown, fmt.Sprintf("%q (installed_rank %d)", typ, fr.rank))
			continue
		}
		r := HistoryRow{
			Version: asString(get("version")), Description: asString(get("description")), Type: norm,
			Script: asString(get("script")), InstalledBy: asString(get("installed_by")),
			ExecutionTime: int(asInt(get("execution_time"))), Success: asBool(get("success")),
			FailedStatement: -1,
		}
		if c := get("checksum"); c != nil {
			v := int32(asInt(c))
			r.Checksum = &v
		}
		if v, err := locations.ParseVersion(r.Version); r.Version != "" && err == nil && r.Success {
			// A failed row gets no key: the key marks failed rows that are
			// Strata's own non-transactional runs, which resume; Flyway's
			// failures are repaired instead, as Flyway requires.
			r.VersionKey = v.Key()
		}
		if !r.Success {
			r.Error = "failed under Flyway before adoption; the cause was not recorded"
		}
		fr.row = r
		out = append(out, fr)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("target %s: read %s: %w", src.target.Name, src.qualName, err)
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("target %s: %s has rows of a type Flyway does not write: %s", src.target.Name, src.qualName, strings.Join(unknown, ", "))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].rank < out[j].rank })
	return out, nil
}

// adoptState computes a target's state from its copied rows and the files,
// as planning does; only the applied rows matter for the state row, so
// repeatables are taken with their raw checksums and the target is latest.
func (m *run) adoptState(rows []HistoryRow) *targetState {
	in := stateInput{rows: rows, target: targetRef{kind: "latest"}, allowOOO: m.allowOutOfOrder}
	add := func(list []*locations.File) []resolved {
		out := make([]resolved, 0, len(list))
		for _, f := range list {
			out = append(out, resolved{file: f, checksum: f.Checksum})
		}
		return out
	}
	in.versioned, in.baselines, in.undos, in.repeatables = add(m.files.Versioned), add(m.files.Baseline), add(m.files.Undo), add(m.files.Repeatable)
	return computeStates(in)
}

// adoptStateSQL writes the target's state row after the copy: version,
// fingerprint, and failed when an adopted migration failed under Flyway.
func (m *run) adoptStateSQL(t schemas.Target, ts *targetState, applied int) string {
	u := stateUpdate{setVersion: true, fingerprint: ptr(fingerprint(ts)), setApplied: true, applied: applied, setError: true, nextGeneration: true}
	if v := ts.lastApplied; !v.IsZero() {
		u.version, u.versionKey = ts.current, v.Key()
	}
	failed := false
	for _, e := range ts.entries {
		if e.Row != nil && e.State.Failed() {
			failed = true
		}
	}
	u.failed = &failed
	return m.store().updateState(t.Name, u)
}
