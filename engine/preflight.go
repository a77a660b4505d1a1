package engine

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/stratadb/strata/locations"
)

// objectsShown is how many objects of a non-empty schema a refusal names.
const objectsShown = 5

// inspectSchemas looks at the schemas of the targets in at most two
// queries, whatever the number of targets: a target with a history whose
// schema is gone is reported, never re-created; a target without history
// whose schemas hold objects is refused (Flyway's "non-empty schema
// without schema history table"), or, with baseline on migrate, gets a
// baseline row first.
func (m *run) inspectSchemas(ctx context.Context, conn *sql.Conn, p *Plan, mode inspectMode) error {
	si, ok := m.dialect.(SchemaInspector)
	if !ok {
		return nil
	}
	var known, fresh []string
	seen := map[string]bool{}
	for _, tp := range p.Targets {
		if tp.hasHistory {
			if tp.Target.Schema != "" {
				known = append(known, tp.Target.Schema)
			}
			continue
		}
		for _, s := range m.schemasOf(tp) {
			if !seen[s] {
				seen[s] = true
				fresh = append(fresh, s)
			}
		}
	}
	if len(known) > 0 {
		exists, err := si.SchemaObjects(ctx, conn, known, m.tables, 0)
		if err != nil {
			return err
		}
		for _, tp := range p.Targets {
			if _, ok := exists[tp.Target.Schema]; ok || !tp.hasHistory || tp.Target.Schema == "" {
				continue
			}
			tp.schemaMissing = true
			tp.structural = append(tp.structural, m.schemaMissingFinding(tp))
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	objects, err := si.SchemaObjects(ctx, conn, fresh, m.tables, objectsShown)
	if err != nil {
		return err
	}
	// Another runner may have migrated a target since its history was
	// read: its objects are committed together with their history rows,
	// so reading the history again, after the objects, tells.
	late, err := m.lateHistory(ctx, conn, p, objects)
	if err != nil {
		return err
	}
	for i, tp := range p.Targets {
		if tp.hasHistory {
			continue
		}
		if rows := late[tp.Target.Name]; len(rows) > 0 {
			ltp, err := m.planTarget(p.session, tp.Target, rows, p.start)
			if err != nil {
				return err
			}
			ltp.hasHistory = true
			p.Targets[i] = ltp
			continue
		}
		for _, s := range m.schemasOf(tp) {
			if len(objects[s]) == 0 {
				continue
			}
			if m.baselineOnMigrate && mode == forMigrate {
				row := m.baselineRow(tp.Target.Name)
				btp, err := m.planTarget(p.session, tp.Target, []HistoryRow{row}, p.start)
				if err != nil {
					return err
				}
				btp.baselineOnMigrate = true
				p.Targets[i] = btp
				break
			}
			tp.NonEmpty = &NonEmptySchemaError{Target: tp.Target.Name, Schema: s, Objects: objects[s]}
			if tp.NonEmpty.FlywayTable, err = m.findFlywayTable(ctx, conn, s); err != nil {
				return err
			}
			break
		}
	}
	return nil
}

// lateHistory reads again the history of the targets without history
// whose schemas hold objects.
func (m *run) lateHistory(ctx context.Context, conn *sql.Conn, p *Plan, objects map[string][]string) (map[string][]HistoryRow, error) {
	var tenants []string
	for _, tp := range p.Targets {
		if tp.hasHistory {
			continue
		}
		for _, s := range m.schemasOf(tp) {
			if len(objects[s]) > 0 {
				tenants = append(tenants, tp.Target.Name)
				break
			}
		}
	}
	if len(tenants) == 0 {
		return nil, nil
	}
	ok, err := m.dialect.TableExists(ctx, conn, m.tables.Schema, m.tables.History)
	if err != nil || !ok {
		return nil, err
	}
	if !p.tablesExist {
		if err := m.checkLayout(ctx, conn); err != nil {
			return nil, err
		}
	}
	rows, err := m.readHistoryOf(ctx, conn, tenants)
	if err != nil {
		return nil, err
	}
	out := map[string][]HistoryRow{}
	for _, r := range rows {
		out[r.Tenant] = append(out[r.Tenant], r)
	}
	return out, nil
}

// schemasOf are the schemas that must be empty for a target without
// history to be migrated from its first version: a tenant's own schema,
// else every managed schema (Flyway checks all of its schemas), else the
// target's (the connection's default).
func (m *run) schemasOf(tp *TargetPlan) []string {
	if !tp.Target.Tenant && len(m.schemas) > 0 {
		return m.schemas
	}
	if tp.Target.Schema == "" {
		return nil
	}
	return []string{tp.Target.Schema}
}

// findFlywayTable returns the quoted name of a Flyway history table in
// schema (Flyway's default name, its old one, or the one configured), ""
// when there is none.
func (m *run) findFlywayTable(ctx context.Context, conn *sql.Conn, schema string) (string, error) {
	for _, name := range []string{m.flywayTable, "flyway_schema_history", "schema_version"} {
		ok, err := m.dialect.TableExists(ctx, conn, schema, name)
		if err != nil {
			return "", err
		}
		if ok {
			return m.dialect.Table(schema, name), nil
		}
	}
	return "", nil
}

// baselineRow is the BASELINE row baseline on migrate writes.
func (m *run) baselineRow(tenant string) HistoryRow {
	return HistoryRow{Version: m.baselineVersion.String(), Description: abbreviate(m.baselineDescription), Type: TypeBaseline,
		Script: abbreviate(m.baselineDescription), InstalledBy: m.installedBy, Success: true, Tenant: tenant,
		VersionKey: m.baselineVersion.Key(), FailedStatement: -1}
}

func (m *run) schemaMissingFinding(tp *TargetPlan) Finding {
	what := "a history"
	if tp.Current != "" {
		what = "a history (version " + tp.Current + ")"
	}
	return Finding{Target: tp.Target.Name, Code: "SCHEMA_MISSING", Message: fmt.Sprintf(
		"schema %s of target %s does not exist, but the target has %s: the schema was dropped outside strata, and strata will not re-create it half-migrated\n"+
			"restore the schema, or %s; to start it afresh, %s and run migrate",
		m.dialect.Quote(tp.Target.Schema), tp.Target.Name, what, advise(AdviceRemoveTenant), advise(AdviceCleanTenant, tp.Target.Name))}
}

// stateMismatch compares the fingerprint of a target's history rows with
// the one its state row recorded when strata last wrote them. They differ
// only when the history was changed outside strata. A difference that
// edits of a row's type, checksum or description explain is left to the
// findings that name those; a single deleted row of a local file is named.
func (m *run) stateMismatch(tp *TargetPlan, st targetStatus) (Finding, bool) {
	rows := fingerprint(tp.state)
	if fmt.Sprintf("%016x", rows) == st.fp {
		return Finding{}, false
	}
	asFile := rows
	for _, e := range tp.Entries {
		if e.Row == nil || e.File == nil || e.Version == "" || !e.Row.Success || e.Row.synthetic() || e.Row.undo() {
			continue
		}
		r, f := e.Row, e.File
		c := f.Checksum
		alt := entryHash(typeOfKind(f.Kind), r.Version, abbreviate(f.Description), &c)
		if own := entryHash(r.Type, r.Version, r.Description, r.Checksum); own != alt {
			asFile ^= own ^ alt
			if fmt.Sprintf("%016x", rows^own^alt) == st.fp {
				return Finding{}, false
			}
		}
	}
	if fmt.Sprintf("%016x", asFile) == st.fp {
		return Finding{}, false
	}
	for _, e := range tp.Entries {
		if e.Row != nil || e.File == nil || e.File.Kind != locations.Versioned {
			continue
		}
		c := e.File.Checksum
		if fmt.Sprintf("%016x", rows^entryHash(TypeSQL, e.Version, abbreviate(e.File.Description), &c)) == st.fp {
			return Finding{Target: tp.Target.Name, Code: "HISTORY_ROW_MISSING", Version: e.Version, Description: e.Description, Script: e.Script,
				Message: fmt.Sprintf("the history row of version %s (%s) of target %s is gone, though strata recorded it as applied: it was deleted outside strata, and the migration is not run again\n"+
					"restore the row; or, if version %s really is not applied, run repair, which rewrites strata's state from the history as it stands", e.Version, e.File.Path(), tp.Target.Name, e.Version)}, true
		}
	}
	recorded := "no version"
	if st.version != "" {
		recorded = "version " + st.version
	}
	now := "no version"
	if tp.Current != "" {
		now = "version " + tp.Current
	}
	return Finding{Target: tp.Target.Name, Code: "HISTORY_STATE_MISMATCH", Message: fmt.Sprintf(
		"the history of target %s disagrees with strata's state record (recorded: %s; history now: %s): history rows were deleted, added or edited outside strata, so what the history says is applied cannot be trusted\n"+
			"restore the history; or, if it is right as it stands, run repair, which rewrites strata's state from it", tp.Target.Name, recorded, now)}, true
}

// refuseNonTransactional refuses, before anything runs, pending files
// that cannot run in one transaction: a transaction pooler cannot keep
// their progress and locks across statements. Each file is read once.
func (m *run) refuseNonTransactional(p *Plan, tps []*TargetPlan) error {
	seen := map[*locations.File]bool{} // each file is judged once, for all targets
	var bad []string
	for _, tp := range tps {
		for _, e := range tp.Pending {
			if e.File == nil {
				continue
			}
			if e.Row != nil {
				bad = append(bad, e.File.Path()+" (target "+tp.Target.Name+": a failed run to resume)")
				continue
			}
			if seen[e.File] {
				continue
			}
			seen[e.File] = true
			sc, err := m.openScript(p.session, tp.Target, e.File, p.start)
			if err != nil {
				return err
			}
			head, err := SplitAll(m.dialect, sc)
			sc.Close()
			if err != nil {
				return fmt.Errorf("%s: %w", e.File.Path(), err)
			}
			if !transactional(e.File, head) {
				bad = append(bad, e.File.Path())
			}
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("through a transaction pooler (pooler = \"transaction\") only files that run in one transaction can be applied; nothing was applied: connect directly to apply %s", strings.Join(bad, ", "))
	}
	return nil
}
