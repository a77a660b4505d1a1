package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/stratadb/strata/engine"
)

// SchemaObjects implements engine.SchemaInspector. Only "main" exists as
// a schema to migrate; its objects are read from sqlite_schema, leaving
// out SQLite's internal tables and Strata's own with their indexes.
func (d Dialect) SchemaObjects(ctx context.Context, conn *sql.Conn, names []string, skip engine.Tables, limit int) (map[string][]string, error) {
	out := map[string][]string{}
	for _, n := range names {
		if n != "main" && n != "" {
			continue
		}
		out[n] = nil
		if limit <= 0 {
			continue
		}
		q := "SELECT type || ' ' || name FROM main.sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND tbl_name NOT IN (" +
			d.Literal(skip.History) + ", " + d.Literal(skip.State()) + ", " + d.Literal(skip.Meta()) + ") AND type IN ('table', 'view', 'trigger', 'index')" +
			" ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'view' THEN 1 ELSE 2 END, name LIMIT " + strconv.Itoa(limit)
		rows, err := conn.QueryContext(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("inspect schema main: %w", err)
		}
		var list []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return nil, fmt.Errorf("inspect schema main: %w", err)
			}
			list = append(list, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("inspect schema main: %w", err)
		}
		out[n] = list
	}
	return out, nil
}
