package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/stratadb/strata/engine"
)

// objectsQuery lists a database's objects as (kind, name) pairs, in the
// order Clean drops them: views before the tables they read, sequences
// (MariaDB), then routines and events. Triggers go with their tables.
const objectsQuery = `
SELECT kind, name FROM (
  SELECT 1 AS ord, 'VIEW' AS kind, TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'VIEW'
  UNION ALL
  SELECT 2, 'TABLE', TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')
  UNION ALL
  SELECT 3, 'SEQUENCE', TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'SEQUENCE'
  UNION ALL
  SELECT 4, ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?
  UNION ALL
  SELECT 5, 'EVENT', EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?
) o ORDER BY ord, name`

func objects(ctx context.Context, conn *sql.Conn, schema string) ([][2]string, error) {
	rows, err := conn.QueryContext(ctx, objectsQuery, schema, schema, schema, schema, schema)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var kind, name string
		if err := rows.Scan(&kind, &name); err != nil {
			return nil, err
		}
		out = append(out, [2]string{kind, name})
	}
	return out, rows.Err()
}

// Objects implements engine.Cleaner.
func (d *Dialect) Objects(ctx context.Context, conn *sql.Conn, schema string) ([]string, error) {
	objs, err := objects(ctx, conn, schema)
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = strings.ToLower(o[0]) + " " + d.Table(schema, o[1])
	}
	return out, err
}

// CleanSchema implements engine.Cleaner: DROP DATABASE, or every object
// dropped with foreign key checks off for the session meanwhile (tables
// that refer to each other go in any order).
func (d *Dialect) CleanSchema(ctx context.Context, conn *sql.Conn, schema string, drop bool) error {
	if drop {
		_, err := conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+d.Quote(schema))
		return err
	}
	objs, err := objects(ctx, conn, schema)
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "SET SESSION foreign_key_checks = 0"); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SET SESSION foreign_key_checks = DEFAULT")
	for _, o := range objs {
		if _, err := conn.ExecContext(ctx, "DROP "+o[0]+" IF EXISTS "+d.Table(schema, o[1])); err != nil {
			return fmt.Errorf("drop %s %s: %w", strings.ToLower(o[0]), d.Table(schema, o[1]), err)
		}
	}
	return nil
}

// ExistingSchemas implements engine.SchemaFinder.
func (d *Dialect) ExistingSchemas(ctx context.Context, conn *sql.Conn, names []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(names) == 0 {
		return out, nil
	}
	rows, err := conn.QueryContext(ctx, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN ("+d.literals(names)+")")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out[s] = true
	}
	return out, rows.Err()
}

func (d *Dialect) literals(names []string) string {
	lits := make([]string, len(names))
	for i, n := range names {
		lits[i] = d.Literal(n)
	}
	return strings.Join(lits, ", ")
}

// SchemaObjects implements engine.SchemaInspector with one query over
// information_schema: tables, views, sequences, routines and events, not
// Strata's own tables.
func (d *Dialect) SchemaObjects(ctx context.Context, conn *sql.Conn, names []string, skip engine.Tables, limit int) (map[string][]string, error) {
	if len(names) == 0 {
		return map[string][]string{}, nil
	}
	return engine.QuerySchemaObjects(ctx, conn, d.schemaObjectsSQL(names, skip, limit))
}

func (d *Dialect) schemaObjectsSQL(names []string, skip engine.Tables, limit int) string {
	list := d.literals(names)
	if limit <= 0 {
		return "SELECT SCHEMA_NAME, CAST(NULL AS CHAR) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (" + list + ")"
	}
	own := d.literals([]string{skip.History, skip.State(), skip.Meta()})
	ownSchema := d.schemaExpr(skip.Schema)
	return "SELECT s.SCHEMA_NAME, o.object FROM information_schema.SCHEMATA s LEFT JOIN (" +
		"SELECT x.sch, x.object, ROW_NUMBER() OVER (PARTITION BY x.sch ORDER BY x.object) AS n FROM (" +
		"SELECT TABLE_SCHEMA AS sch, CONCAT(LOWER(CASE TABLE_TYPE WHEN 'BASE TABLE' THEN 'table' WHEN 'SYSTEM VERSIONED' THEN 'table' ELSE TABLE_TYPE END), ' ', TABLE_NAME) AS object " +
		"FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (" + list + ") AND NOT (TABLE_SCHEMA = " + ownSchema + " AND TABLE_NAME IN (" + own + "))" +
		" UNION ALL SELECT ROUTINE_SCHEMA, CONCAT(LOWER(ROUTINE_TYPE), ' ', ROUTINE_NAME) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA IN (" + list + ")" +
		" UNION ALL SELECT EVENT_SCHEMA, CONCAT('event ', EVENT_NAME) FROM information_schema.EVENTS WHERE EVENT_SCHEMA IN (" + list + ")" +
		") x) o ON o.sch = s.SCHEMA_NAME AND o.n <= " + strconv.Itoa(limit) +
		" WHERE s.SCHEMA_NAME IN (" + list + ") ORDER BY 1, 2"
}
