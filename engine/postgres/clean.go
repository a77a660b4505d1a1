package postgres

import (
	"context"
	"database/sql"
	"fmt"
)

// objectsQuery lists a schema's objects as (kind, drop target) pairs, in the
// order they can be dropped; objects that belong to an extension are left
// out, and so are sequences owned by a column (they go with their table).
const objectsQuery = `
SELECT kind, target FROM (
  SELECT 1 AS ord, CASE c.relkind WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'v' THEN 'VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END AS kind,
         quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS target
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
  UNION ALL
  SELECT 2, CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END,
         quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')'
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname = $1
    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
  UNION ALL
  SELECT 3, 'SEQUENCE', quote_ident(n.nspname) || '.' || quote_ident(c.relname)
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $1 AND c.relkind = 'S'
    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('e', 'a', 'i'))
  UNION ALL
  SELECT 4, CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, quote_ident(n.nspname) || '.' || quote_ident(t.typname)
  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
  WHERE n.nspname = $1 AND t.typtype IN ('c', 'd', 'e', 'r', 'm')
    AND (t.typrelid = 0 OR (SELECT relkind FROM pg_catalog.pg_class WHERE oid = t.typrelid) = 'c')
    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
    AND NOT (t.typtype = 'm')
) o ORDER BY ord, target`

func objects(ctx context.Context, conn *sql.Conn, schema string) ([][2]string, error) {
	rows, err := conn.QueryContext(ctx, objectsQuery, schema)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var kind, target string
		if err := rows.Scan(&kind, &target); err != nil {
			return nil, err
		}
		out = append(out, [2]string{kind, target})
	}
	return out, rows.Err()
}

// Objects implements engine.Cleaner.
func (Dialect) Objects(ctx context.Context, conn *sql.Conn, schema string) ([]string, error) {
	objs, err := objects(ctx, conn, schema)
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o[0] + " " + o[1]
	}
	return out, err
}

// CleanSchema implements engine.Cleaner.
func (d Dialect) CleanSchema(ctx context.Context, conn *sql.Conn, schema string, drop bool) error {
	if drop {
		_, err := conn.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+d.Quote(schema)+" CASCADE")
		return err
	}
	objs, err := objects(ctx, conn, schema)
	if err != nil {
		return err
	}
	for _, o := range objs {
		// IF EXISTS: an earlier CASCADE may have taken it already.
		if _, err := conn.ExecContext(ctx, "DROP "+o[0]+" IF EXISTS "+o[1]+" CASCADE"); err != nil {
			return fmt.Errorf("drop %s %s: %w", o[0], o[1], err)
		}
	}
	return nil
}

// ExistingSchemas implements engine.SchemaFinder.
func (Dialect) ExistingSchemas(ctx context.Context, conn *sql.Conn, names []string) (map[string]bool, error) {
	rows, err := conn.QueryContext(ctx, `SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname = ANY($1)`, names)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out[s] = true
	}
	return out, rows.Err()
}
