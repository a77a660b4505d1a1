package engine

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/stratadb/strata/schemas"
)

// bootstrap creates the managed schemas and Strata's tables when missing,
// under the bootstrap lock, records the schemas it created in SCHEMA rows
// (Flyway's marker), which Clean reads: it drops only those; and upgrades
// tables of an older layout in place.
func (m *run) bootstrap(ctx context.Context, conn *sql.Conn, t schemas.Target) error {
	ready := m.tablesSeen.Load()
	if !ready {
		var err error
		if ready, err = m.tablesReady(ctx, conn); err != nil {
			return err
		}
	}
	if ready && t.Schema != "" && t.Tenant {
		// Only the tenant's schema may be missing. Most often it is
		// there: then neither the bootstrap lock nor any DDL (whose locks
		// on the history table would queue behind other tenants'
		// migrations) is needed.
		missing, err := m.missingSchemas(ctx, conn, []string{t.Schema})
		if err != nil {
			return fmt.Errorf("create strata tables: %w", err)
		}
		if _, finds := m.dialect.(SchemaFinder); finds && len(missing) == 0 {
			return m.ensureLayout(ctx, conn)
		}
	}
	if ready && !(t.Schema != "" && t.Tenant) {
		return m.ensureLayout(ctx, conn)
	}
	defer func() { m.tablesSeen.Store(true) }()
	what := t.Name + " (creating strata's tables)"
	if m.pooling == TransactionPooling {
		if err := m.inLockedTx(ctx, conn, m.bootstrapKey(), what, func() error { return m.bootstrapLocked(ctx, conn, t, ready) }); err != nil {
			return err
		}
		return m.ensureLayout(ctx, conn)
	}
	release, err := m.lockSession(ctx, conn, []int64{m.bootstrapKey()}, m.lockTimeout, what)
	if err != nil {
		return fmt.Errorf("create strata tables: %w", err)
	}
	err = m.bootstrapLocked(ctx, conn, t, ready)
	_ = release()
	if err != nil {
		return err
	}
	return m.ensureLayout(ctx, conn) // tables of an older layout are upgraded in place
}

// bootstrapLocked is bootstrap's work under the bootstrap lock: which
// schemas are missing is decided here, so that of several runners only the
// one that really creates a schema records it. With tablesReady Strata's
// tables are known to exist and only schemas are created.
func (m *run) bootstrapLocked(ctx context.Context, conn *sql.Conn, t schemas.Target, tablesReady bool) error {
	d := m.dialect
	want := m.schemasToCreate(t)
	created, err := m.missingSchemas(ctx, conn, want)
	if err != nil {
		return fmt.Errorf("create strata tables: %w", err)
	}
	var stmts []string
	for _, s := range want {
		if q := d.CreateSchema(s); q != "" {
			stmts = append(stmts, q)
		}
	}
	if !tablesReady {
		stmts = append(stmts, d.CreateTables(m.tables)...)
		stmts = append(stmts, m.store().insertLayout())
	}
	for _, row := range m.schemaMarkers(t, created) {
		stmts = append(stmts, m.store().insertHistory(row, "0"))
	}
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create strata tables: %w", err)
		}
	}
	return nil
}

func (m *run) tablesReady(ctx context.Context, conn *sql.Conn) (bool, error) {
	for _, name := range []string{m.tables.History, m.tables.State(), m.tables.Meta()} {
		ok, err := m.dialect.TableExists(ctx, conn, m.tables.Schema, name)
		if err != nil {
			return false, fmt.Errorf("look for %s: %w", name, err)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

func (m *run) schemasToCreate(t schemas.Target) []string {
	var out []string
	seen := map[string]bool{"": true}
	for _, s := range append(append([]string{m.tables.Schema}, m.schemas...), t.Schema) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
