package postgres

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/stratadb/strata/engine"
)

// SchemaObjects implements engine.SchemaInspector with one query over the
// catalog, whatever the number of schemas.
func (d Dialect) SchemaObjects(ctx context.Context, conn *sql.Conn, names []string, skip engine.Tables, limit int) (map[string][]string, error) {
	if len(names) == 0 {
		return map[string][]string{}, nil
	}
	return engine.QuerySchemaObjects(ctx, conn, d.schemaObjectsSQL(names, skip, limit))
}

// schemaObjectsSQL lists the schemas among names that exist and, with
// limit > 0, up to limit objects of each. Objects an extension owns
// (pg_depend 'e'), Strata's own tables and the sequences of serial and
// identity columns (their tables are listed) are left out, as Flyway leaves out extension
// objects when it decides whether a schema is empty.
func (d Dialect) schemaObjectsSQL(names []string, skip engine.Tables, limit int) string {
	lits := make([]string, len(names))
	for i, n := range names {
		lits[i] = d.Literal(n)
	}
	list := strings.Join(lits, ", ")
	if limit <= 0 {
		return "SELECT n.nspname, NULL::text FROM pg_catalog.pg_namespace n WHERE n.nspname IN (" + list + ")"
	}
	var own []string
	for _, t := range []string{skip.History, skip.State(), skip.Meta()} {
		own = append(own, "to_regclass("+d.Literal(d.Table(skip.Schema, t))+")")
	}
	owned := strings.Join(own, ", ")
	ext := func(class, oid string) string {
		return "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = '" + class + "'::regclass AND e.objid = " + oid + " AND e.deptype = 'e')"
	}
	return `SELECT n.nspname, o.object FROM pg_catalog.pg_namespace n
LEFT JOIN LATERAL (
  SELECT object FROM (
    SELECT CASE c.relkind WHEN 'v' THEN 'view ' WHEN 'm' THEN 'materialized view ' WHEN 'S' THEN 'sequence '
             WHEN 'f' THEN 'foreign table ' WHEN 'c' THEN 'type ' ELSE 'table ' END || c.relname AS object
    FROM pg_catalog.pg_class c
    WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')
      AND ` + ext("pg_class", "c.oid") + `
      AND c.oid NOT IN (SELECT x FROM unnest(ARRAY[` + owned + `]) x WHERE x IS NOT NULL)
      AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_catalog.pg_depend o WHERE o.classid = 'pg_class'::regclass
                      AND o.objid = c.oid AND o.deptype IN ('a', 'i')))
    UNION ALL
    SELECT CASE p.prokind WHEN 'p' THEN 'procedure ' WHEN 'a' THEN 'aggregate ' ELSE 'function ' END || p.proname || '()'
    FROM pg_catalog.pg_proc p
    WHERE p.pronamespace = n.oid AND ` + ext("pg_proc", "p.oid") + `
    UNION ALL
    SELECT CASE t.typtype WHEN 'e' THEN 'enum type ' WHEN 'd' THEN 'domain ' ELSE 'type ' END || t.typname
    FROM pg_catalog.pg_type t
    WHERE t.typnamespace = n.oid AND t.typtype IN ('b', 'd', 'e', 'r', 'm') AND t.typcategory <> 'A'
      AND ` + ext("pg_type", "t.oid") + `
    ORDER BY 1 LIMIT ` + strconv.Itoa(limit) + `
  ) l
) o ON true
WHERE n.nspname IN (` + list + `)
ORDER BY 1, 2`
}
