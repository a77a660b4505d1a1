package sqlserver

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/stratadb/strata/engine"
)

// SchemaObjects implements engine.SchemaInspector with one query over
// sys.schemas and sys.objects (user objects, not system-shipped ones; not
// constraints or other objects that belong to a table; not Strata's own
// tables).
func (d *Dialect) SchemaObjects(ctx context.Context, conn *sql.Conn, names []string, skip engine.Tables, limit int) (map[string][]string, error) {
	if len(names) == 0 {
		return map[string][]string{}, nil
	}
	return engine.QuerySchemaObjects(ctx, conn, d.schemaObjectsSQL(names, skip, limit))
}

func (d *Dialect) schemaObjectsSQL(names []string, skip engine.Tables, limit int) string {
	lits := make([]string, len(names))
	for i, n := range names {
		lits[i] = d.Literal(n)
	}
	list := strings.Join(lits, ", ")
	if limit <= 0 {
		return "SELECT s.name, CAST(NULL AS NVARCHAR(300)) FROM sys.schemas s WHERE s.name IN (" + list + ")"
	}
	var own []string
	for _, t := range []string{skip.History, skip.State(), skip.Meta()} {
		own = append(own, "COALESCE(OBJECT_ID("+d.Literal(d.Table(skip.Schema, t))+"), 0)")
	}
	return "SELECT s.name, o.object FROM sys.schemas s LEFT JOIN (" +
		"SELECT x.schema_id, LOWER(REPLACE(x.type_desc, '_', ' ')) + N' ' + x.name AS object, " +
		"ROW_NUMBER() OVER (PARTITION BY x.schema_id ORDER BY x.name) AS n FROM sys.objects x " +
		"WHERE x.is_ms_shipped = 0 AND x.parent_object_id = 0 AND x.type <> 'IT' AND x.object_id NOT IN (" + strings.Join(own, ", ") + ")" +
		") o ON o.schema_id = s.schema_id AND o.n <= " + strconv.Itoa(limit) +
		" WHERE s.name IN (" + list + ") ORDER BY 1, 2"
}
