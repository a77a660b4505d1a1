package engine

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// store renders every statement Strata runs on its own tables: the history
// table (Flyway's ten columns first), the per-target state table and the
// meta table that records the layout. It is the one place that knows
// their columns (goose calls this seam database.Store, Atlas
// RevisionReadWriter); the rest of the engine asks it for SQL text and
// runs that text on the target's connection. The DDL that creates and
// upgrades the tables is the dialect's (CreateTables, UpgradeTables).
//
// A store is built from the dialect and the tables with their schema
// resolved, and renders the same text for the same inputs: the golden
// files in testdata/store pin every statement for each dialect.
type store struct {
	d Dialect
	t Tables
	// undoMark is the mark of the UNDO_SQL rows this store writes
	// (MarkDiscard for undo --discard), "" for none.
	undoMark string
}

func (s store) historyTable() string { return s.d.Table(s.t.Schema, s.t.History) }
func (s store) stateTable() string   { return s.d.Table(s.t.Schema, s.t.State()) }
func (s store) metaTable() string    { return s.d.Table(s.t.Schema, s.t.Meta()) }

func (s store) quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = s.d.Quote(n)
	}
	return strings.Join(q, ", ")
}

// nullable is the literal of s, NULL when s is empty.
func (s store) nullable(v string) string {
	if v == "" {
		return "NULL"
	}
	return s.d.Literal(v)
}

func (s store) tenantIs(tenant string) string {
	return s.d.Quote("tenant") + " = " + s.d.Literal(tenant)
}

func (s store) rankIs(rank int64) string {
	return s.d.Quote("installed_rank") + " = " + strconv.FormatInt(rank, 10)
}

// --- history table ---

// historyWhereTenant is the condition for the rows of one tenant.
func (s store) historyWhereTenant(tenant string) string { return s.tenantIs(tenant) }

// historyWhereTenants is the condition for the rows of several tenants.
func (s store) historyWhereTenants(tenants []string) string {
	lits := make([]string, len(tenants))
	for i, t := range tenants {
		lits[i] = s.d.Literal(t)
	}
	return s.d.Quote("tenant") + " IN (" + strings.Join(lits, ", ") + ")"
}

// selectHistory reads the history columns of a layout (readColumns) of
// the rows matching where ("" for all) in rank order.
func (s store) selectHistory(layout int, where string) string {
	query := "SELECT " + s.quoteList(readColumns(layout)) + " FROM " + s.historyTable()
	if where != "" {
		query += " WHERE " + where
	}
	return query + " ORDER BY " + s.d.Quote("installed_rank")
}

// insertHistory returns the INSERT of row; installed_rank and installed_on
// come from the table's defaults, execution_time from the SQL expression
// elapsed.
func (s store) insertHistory(r HistoryRow, elapsed string) string {
	d := s.d
	cols := []string{"version", "description", "type", "script", "checksum", "installed_by",
		"execution_time", "success", "tenant", "version_key", "error", "failed_statement", "progress"}
	vals := []string{
		s.nullable(r.Version), d.Literal(r.Description), d.Literal(r.Type), d.Literal(r.Script),
		checksumLiteral(r.Checksum), d.Literal(r.InstalledBy), elapsed,
		d.Bool(r.Success), d.Literal(r.Tenant), s.nullable(r.VersionKey), s.nullable(r.Error),
		failedLiteral(r.FailedStatement), strconv.Itoa(r.Progress),
	}
	if r.Mark == "" && r.undo() {
		r.Mark = s.undoMark
	}
	if r.Mark != "" {
		cols, vals = append(cols, markColumn), append(vals, d.Literal(r.Mark))
	}
	return "INSERT INTO " + s.historyTable() + " (" + s.quoteList(cols) + ") VALUES (" + strings.Join(vals, ", ") + ")"
}

// insertHistoryReturning is insertHistory returning the execution time
// as column (PostgreSQL and SQLite syntax; used where migrations are
// pipelined).
func (s store) insertHistoryReturning(r HistoryRow, elapsed, column string) string {
	return s.insertHistory(r, elapsed) + " RETURNING " + s.d.Quote("execution_time") + " AS " + s.d.Quote(column)
}

// insertAdopted is insertHistory with installed_on given: the value read
// from Flyway's table, copied as it was stored, and execution_time from
// the row.
func (s store) insertAdopted(r HistoryRow, installedOn any) string {
	d := s.d
	cols := []string{"version", "description", "type", "script", "checksum", "installed_by", "installed_on",
		"execution_time", "success", "tenant", "version_key", "error", "failed_statement", "progress"}
	vals := []string{
		s.nullable(r.Version), d.Literal(r.Description), d.Literal(r.Type), d.Literal(r.Script),
		checksumLiteral(r.Checksum), d.Literal(r.InstalledBy), s.timeLiteral(installedOn),
		strconv.Itoa(r.ExecutionTime), d.Bool(r.Success), d.Literal(r.Tenant), s.nullable(r.VersionKey),
		s.nullable(r.Error), failedLiteral(r.FailedStatement), strconv.Itoa(r.Progress),
	}
	return "INSERT INTO " + s.historyTable() + " (" + s.quoteList(cols) + ") VALUES (" + strings.Join(vals, ", ") + ")"
}

// timeLiteral writes an installed_on value: a timestamp as its wall clock
// (Flyway's column has no time zone), text verbatim.
func (s store) timeLiteral(v any) string {
	switch x := v.(type) {
	case nil:
		return "CURRENT_TIMESTAMP"
	case time.Time:
		return s.d.Literal(x.Format("2006-01-02 15:04:05.999999"))
	default:
		return s.d.Literal(asString(x))
	}
}

// selectLastRank reads the rank of a tenant's newest row: the row a
// non-transactional file's run has just inserted.
func (s store) selectLastRank(tenant string) string {
	return "SELECT MAX(" + s.d.Quote("installed_rank") + ") FROM " + s.historyTable() + " WHERE " + s.tenantIs(tenant)
}

// updateProgress updates a non-transactional file's history row: progress
// (when >= 0), the error (already masked) with the failing statement's
// index (-1: none), and extra assignments.
func (s store) updateProgress(rank int64, progress int, errText string, failed int, extra ...string) string {
	d := s.d
	var sets []string
	if progress >= 0 {
		sets = append(sets, d.Quote("progress")+" = "+strconv.Itoa(progress))
	}
	sets = append(sets, d.Quote("error")+" = "+s.nullable(errText), d.Quote("failed_statement")+" = "+failedLiteral(failed))
	sets = append(sets, extra...)
	return "UPDATE " + s.historyTable() + " SET " + strings.Join(sets, ", ") + " WHERE " + s.rankIs(rank)
}

// statementChecksums is the assignment of the statement checksums column.
func (s store) statementChecksums(sums string) string {
	return s.d.Quote(statementChecksumsColumn) + " = " + s.nullable(sums)
}

// markSucceeded completes a non-transactional file's history row: success,
// its statement count, the checksum of the file that completed, and its
// execution time.
func (s store) markSucceeded(rank int64, count int, checksum *int32, elapsed time.Duration) string {
	d := s.d
	return "UPDATE " + s.historyTable() + " SET " + d.Quote("success") + " = " + d.Bool(true) + ", " +
		d.Quote("progress") + " = " + strconv.Itoa(count) + ", " + d.Quote("error") + " = NULL, " +
		d.Quote("failed_statement") + " = NULL, " + d.Quote("checksum") + " = " + checksumLiteral(checksum) + ", " +
		d.Quote(statementChecksumsColumn) + " = NULL, " + d.Quote("execution_time") + " = " + strconv.FormatInt(elapsed.Milliseconds(), 10) +
		" WHERE " + s.rankIs(rank)
}

// deleteHistoryRow removes one row (repair's "remove failed", a SCHEMA row
// left with no schema).
func (s store) deleteHistoryRow(rank int64) string {
	return "DELETE FROM " + s.historyTable() + " WHERE " + s.rankIs(rank)
}

// alignHistoryRow rewrites a row's description, type and checksum from
// its file (repair's "align").
func (s store) alignHistoryRow(rank int64, description, typ string, checksum int32) string {
	d := s.d
	return "UPDATE " + s.historyTable() + " SET " + d.Quote("description") + " = " + d.Literal(description) +
		", " + d.Quote("type") + " = " + d.Literal(typ) + ", " + d.Quote("checksum") + " = " + strconv.FormatInt(int64(checksum), 10) +
		" WHERE " + s.rankIs(rank)
}

// selectSchemaMarkers reads the SCHEMA rows of every tenant in rank order.
func (s store) selectSchemaMarkers() string {
	return "SELECT " + s.quoteList([]string{"installed_rank", "tenant", "script", "success"}) + " FROM " + s.historyTable() +
		" WHERE " + s.d.Quote("type") + " = " + s.d.Literal(TypeSchema) + " ORDER BY " + s.d.Quote("installed_rank")
}

// setMarkerScript rewrites the schema list of a SCHEMA row.
func (s store) setMarkerScript(rank int64, script string) string {
	return "UPDATE " + s.historyTable() + " SET " + s.d.Quote("script") + " = " + s.d.Literal(script) + " WHERE " + s.rankIs(rank)
}

// notMarker is the condition for history rows other than SCHEMA rows: the
// schemas bootstrap created and recorded just before an adoption do not
// make the target adopted already. (Flyway's own SCHEMA rows are copied
// like any other row and keep counting as created schemas.)
func (s store) notMarker() string {
	return s.d.Quote("type") + " <> " + s.d.Literal(TypeSchema)
}

// selectAdoptedTenants reads the tenants that have rows other than SCHEMA
// rows.
func (s store) selectAdoptedTenants() string {
	return "SELECT DISTINCT " + s.d.Quote("tenant") + " FROM " + s.historyTable() + " WHERE " + s.notMarker()
}

// countAdopted counts a tenant's rows other than SCHEMA rows.
func (s store) countAdopted(tenant string) string {
	return "SELECT COUNT(*) FROM " + s.historyTable() + " WHERE " + s.tenantIs(tenant) + " AND " + s.notMarker()
}

// forgetTargets deletes the history and the state rows of the given
// tenants.
func (s store) forgetTargets(tenants []string) []string {
	in := s.historyWhereTenants(tenants)
	return []string{"DELETE FROM " + s.historyTable() + " WHERE " + in, "DELETE FROM " + s.stateTable() + " WHERE " + in}
}

// --- state table ---

// insertStateRow creates a tenant's state row when it is missing.
func (s store) insertStateRow(tenant string) string {
	d := s.d
	return "INSERT INTO " + s.stateTable() + " (" + s.quoteList([]string{"tenant", "generation", "applied", "failed"}) + ") SELECT " +
		d.Literal(tenant) + ", 0, 0, " + d.Bool(false) + " WHERE NOT EXISTS (SELECT 1 FROM " + s.stateTable() + " WHERE " + s.tenantIs(tenant) + ")"
}

// selectStates reads the whole state table: tenant, fingerprint, failed,
// version, error.
func (s store) selectStates() string {
	return "SELECT " + s.quoteList([]string{"tenant", "fingerprint", "failed", "version", "error"}) + " FROM " + s.stateTable()
}

// selectGeneration reads a tenant's generation, which every write of its
// history increments.
func (s store) selectGeneration(tenant string) string {
	return "SELECT " + s.d.Quote("generation") + " FROM " + s.stateTable() + " WHERE " + s.tenantIs(tenant)
}

// generationIs is the SQL condition that a tenant's generation is still
// generation.
func (s store) generationIs(tenant string, generation int64) string {
	return "(" + s.selectGeneration(tenant) + ") = " + strconv.FormatInt(generation, 10)
}

// stateUpdate says which columns of a target's state row one write sets;
// the others keep their values. updated_on is always set.
type stateUpdate struct {
	setVersion     bool
	version        string // "" writes NULL
	versionKey     string // "" writes NULL
	fingerprint    *uint64
	addApplied     bool // applied + 1
	applied        int  // with setApplied
	setApplied     bool
	failed         *bool
	setError       bool
	errText        string // with setError; "" writes NULL
	nextGeneration bool   // generation + 1: the target changed (see generationIs)
}

// updateState writes a tenant's state row: the one statement that every
// change of the state table goes through.
func (s store) updateState(tenant string, u stateUpdate) string {
	d := s.d
	var sets []string
	if u.setVersion {
		sets = append(sets, d.Quote("version")+" = "+s.nullable(u.version), d.Quote("version_key")+" = "+s.nullable(u.versionKey))
	}
	if u.fingerprint != nil {
		sets = append(sets, d.Quote("fingerprint")+" = "+d.Literal(fmt.Sprintf("%016x", *u.fingerprint)))
	}
	switch {
	case u.addApplied:
		sets = append(sets, d.Quote("applied")+" = "+d.Quote("applied")+" + 1")
	case u.setApplied:
		sets = append(sets, d.Quote("applied")+" = "+strconv.Itoa(u.applied))
	}
	if u.failed != nil {
		sets = append(sets, d.Quote("failed")+" = "+d.Bool(*u.failed))
	}
	if u.setError {
		sets = append(sets, d.Quote("error")+" = "+s.nullable(u.errText))
	}
	if u.nextGeneration {
		sets = append(sets, d.Quote("generation")+" = "+d.Quote("generation")+" + 1")
	}
	sets = append(sets, d.Quote("updated_on")+" = CURRENT_TIMESTAMP")
	return "UPDATE " + s.stateTable() + " SET " + strings.Join(sets, ", ") + " WHERE " + s.tenantIs(tenant)
}

// --- meta table ---

// insertLayout records the current layout in a new meta table.
func (s store) insertLayout() string {
	d := s.d
	return "INSERT INTO " + s.metaTable() + " (" + s.quoteList([]string{"name", "value"}) + ") SELECT " +
		d.Literal("layout") + ", " + d.Literal(strconv.Itoa(Layout)) + " WHERE NOT EXISTS (SELECT 1 FROM " + s.metaTable() +
		" WHERE " + d.Quote("name") + " = " + d.Literal("layout") + ")"
}

// selectLayout reads the recorded layout.
func (s store) selectLayout() string {
	return "SELECT " + s.d.Quote("value") + " FROM " + s.metaTable() + " WHERE " + s.d.Quote("name") + " = " + s.d.Literal("layout")
}

// updateLayout records the current layout in place of from, unless
// another process did first.
func (s store) updateLayout(from int) string {
	d := s.d
	return "UPDATE " + s.metaTable() + " SET " + d.Quote("value") + " = " + d.Literal(strconv.Itoa(Layout)) +
		" WHERE " + d.Quote("name") + " = " + d.Literal("layout") + " AND " + d.Quote("value") + " = " + d.Literal(strconv.Itoa(from))
}

func ptr[T any](v T) *T { return &v }
