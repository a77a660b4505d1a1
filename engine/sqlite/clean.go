package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Objects implements engine.Cleaner: the tables, views and triggers of the
// database (indexes go with their tables).
func (d Dialect) Objects(ctx context.Context, conn *sql.Conn, schema string) ([]string, error) {
	rows, err := conn.QueryContext(ctx, "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view', 'trigger') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY CASE type WHEN 'trigger' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ, name string
		if err := rows.Scan(&typ, &name); err != nil {
			return nil, err
		}
		out = append(out, strings.ToUpper(typ)+" "+d.Quote(name))
	}
	return out, rows.Err()
}

// CleanSchema implements engine.Cleaner: SQLite has one schema, which is
// emptied, never dropped. Foreign keys are switched off meanwhile so that
// dropping a referenced table does not fail.
func (d Dialect) CleanSchema(ctx context.Context, conn *sql.Conn, schema string, drop bool) error {
	objs, err := d.Objects(ctx, conn, schema)
	if err != nil {
		return err
	}
	var fk int
	if err := conn.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA foreign_keys = %d", fk))
	for _, o := range objs {
		kind, name, _ := strings.Cut(o, " ")
		if _, err := conn.ExecContext(ctx, "DROP "+kind+" IF EXISTS "+name); err != nil {
			return fmt.Errorf("drop %s: %w", o, err)
		}
	}
	return nil
}
