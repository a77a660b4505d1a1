package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/stratadb/strata/schemas"
)

// Reading Strata's tables: each function here runs a statement the store
// renders (store.go) and scans what it returns.

// targetStatus is a target's row of the state table.
type targetStatus struct {
	fp      string
	failed  bool
	errText string
	version string
}

// readStatus reads the whole state table in one query.
func (m *run) readStatus(ctx context.Context, conn *sql.Conn) (map[string]targetStatus, error) {
	ok, err := m.dialect.TableExists(ctx, conn, m.tables.Schema, m.tables.State())
	if err != nil || !ok {
		return nil, err
	}
	rows, err := conn.QueryContext(ctx, m.store().selectStates())
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", m.tables.State(), err)
	}
	defer rows.Close()
	states := map[string]targetStatus{}
	for rows.Next() {
		var tenant string
		var fp, failed, version, errText any
		if err := rows.Scan(&tenant, &fp, &failed, &version, &errText); err != nil {
			return nil, fmt.Errorf("read %s: %w", m.tables.State(), err)
		}
		states[tenant] = targetStatus{fp: asString(fp), failed: asBool(failed), version: asString(version), errText: asString(errText)}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", m.tables.State(), err)
	}
	return states, nil
}

// checkLayout refuses a database written by a newer layout.
func (m *run) checkLayout(ctx context.Context, conn *sql.Conn) error {
	ok, err := m.dialect.TableExists(ctx, conn, m.tables.Schema, m.tables.Meta())
	if err != nil || !ok {
		return err
	}
	var v string
	err = conn.QueryRowContext(ctx, m.store().selectLayout()).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read layout of %s: %w", m.tables.Meta(), err)
	}
	if n, _ := strconv.Atoi(v); n > Layout {
		return &LayoutError{Found: n, Known: Layout}
	}
	return nil
}

// readHistory reads the rows of one tenant ("" for all) in rank order.
func (m *run) readHistory(ctx context.Context, q querier, tenant string) ([]HistoryRow, error) {
	where := ""
	if tenant != "" {
		where = m.store().historyWhereTenant(tenant)
	}
	return m.readHistoryWhere(ctx, q, where)
}

// readHistoryWhere reads the rows matching an SQL condition in rank order.
func (m *run) readHistoryWhere(ctx context.Context, q querier, where string) ([]HistoryRow, error) {
	layout, err := m.historyLayout(ctx, q)
	if err != nil {
		return nil, err
	}
	cols := readColumns(layout)
	rows, err := q.QueryContext(ctx, m.store().selectHistory(layout, where))
	if err != nil {
		return nil, fmt.Errorf("read history table %s: %w", m.tables.History, err)
	}
	defer rows.Close()
	var out []HistoryRow
	for rows.Next() {
		var (
			r                                             HistoryRow
			version, checksum, on, success, key, errText  any
			failedStmt, progress, installedBy, descr, exe any
			sums, mark                                    any
		)
		dest := []any{&r.InstalledRank, &version, &descr, &r.Type, &r.Script, &checksum,
			&installedBy, &on, &exe, &success, &r.Tenant, &key, &errText, &failedStmt, &progress}
		if len(cols) > len(historyColumns) {
			dest = append(dest, &sums)
		}
		if len(cols) > len(historyColumns)+1 {
			dest = append(dest, &mark)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("read history table %s: %w", m.tables.History, err)
		}
		r.Version = asString(version)
		r.Description = asString(descr)
		r.InstalledBy = asString(installedBy)
		if checksum != nil {
			c := int32(asInt(checksum))
			r.Checksum = &c
		}
		r.InstalledOn = asTime(on)
		r.ExecutionTime = int(asInt(exe))
		r.Success = asBool(success)
		r.VersionKey = asString(key)
		r.Error = asString(errText)
		r.FailedStatement = -1
		if failedStmt != nil {
			r.FailedStatement = int(asInt(failedStmt))
		}
		r.Progress = int(asInt(progress))
		r.StatementChecksums = asString(sums)
		r.Mark = asString(mark)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read history table %s: %w", m.tables.History, err)
	}
	return out, nil
}

// readHistoryOf reads the rows of the given tenants (all rows when none is
// given) in rank order, in as few queries as the list allows.
func (m *run) readHistoryOf(ctx context.Context, q querier, tenants []string) ([]HistoryRow, error) {
	if len(tenants) == 0 {
		return m.readHistory(ctx, q, "")
	}
	var out []HistoryRow
	for len(tenants) > 0 {
		n := min(len(tenants), 1000)
		rows, err := m.readHistoryWhere(ctx, q, m.store().historyWhereTenants(tenants[:n]))
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
		tenants = tenants[n:]
	}
	return out, nil
}

// querier is what reading needs: a *sql.DB, *sql.Conn or *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// readGeneration reads the target's state generation, which every applied
// migration increments.
func (m *run) readGeneration(ctx context.Context, conn *sql.Conn, t schemas.Target) (int64, error) {
	var g int64
	err := conn.QueryRowContext(ctx, m.store().selectGeneration(t.Name)).Scan(&g)
	if err != nil {
		return 0, fmt.Errorf("target %s: read state: %w", t.Name, err)
	}
	return g, nil
}

// historyLayout returns the layout of the tables as recorded in the meta
// table (0 when it records none). The current layout is remembered; an
// older one is read again each time, since another process may upgrade it.
func (m *run) historyLayout(ctx context.Context, q querier) (int, error) {
	if n := int(m.layoutSeen.Load()); n >= Layout {
		return n, nil
	}
	rows, err := q.QueryContext(ctx, m.store().selectLayout())
	if err != nil {
		return 0, fmt.Errorf("read layout of %s: %w", m.tables.Meta(), err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var v any
		if err := rows.Scan(&v); err != nil {
			return 0, fmt.Errorf("read layout of %s: %w", m.tables.Meta(), err)
		}
		n, _ = strconv.Atoi(asString(v))
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("read layout of %s: %w", m.tables.Meta(), err)
	}
	if n >= Layout {
		m.layoutSeen.Store(int32(n))
	}
	return n, nil
}

// schemaMarkerRows reads every successful SCHEMA row of the history table,
// of every tenant: Strata's own and those adopted from Flyway. It returns
// nothing when the history table does not exist.
func (m *run) schemaMarkerRows(ctx context.Context, conn *sql.Conn) ([]markerRow, error) {
	d := m.dialect
	ok, err := d.TableExists(ctx, conn, m.tables.Schema, m.tables.History)
	if err != nil || !ok {
		return nil, err
	}
	rows, err := conn.QueryContext(ctx, m.store().selectSchemaMarkers())
	if err != nil {
		return nil, fmt.Errorf("read schema creation rows of %s: %w", m.tables.History, err)
	}
	defer rows.Close()
	var out []markerRow
	for rows.Next() {
		var r markerRow
		var script, success any
		if err := rows.Scan(&r.rank, &r.tenant, &script, &success); err != nil {
			return nil, fmt.Errorf("read schema creation rows of %s: %w", m.tables.History, err)
		}
		if !asBool(success) {
			continue
		}
		r.schemas = parseSchemaList(asString(script))
		out = append(out, r)
	}
	return out, rows.Err()
}
