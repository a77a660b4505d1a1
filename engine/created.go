package engine

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/stratadb/strata/schemas"
)

// SchemaCreationDescription is the description of Flyway's SCHEMA row,
// which records the schemas the tool created.
const SchemaCreationDescription = "<< Flyway Schema Creation >>"

// SchemaFinder is implemented by dialects with schemas: it reports which
// of the named schemas exist, in one query. Bootstrap asks it, under the
// bootstrap lock, which schemas it is about to create, so that only the
// schemas a run really created are recorded (and later dropped by Clean).
// Without it nothing is recorded, and Clean only ever empties schemas.
type SchemaFinder interface {
	ExistingSchemas(ctx context.Context, conn *sql.Conn, names []string) (map[string]bool, error)
}

// missingSchemas returns, of the schemas bootstrap creates when missing,
// those that do not exist; it must run under the bootstrap lock.
func (m *run) missingSchemas(ctx context.Context, conn *sql.Conn, names []string) ([]string, error) {
	var want []string
	for _, s := range names {
		if m.dialect.CreateSchema(s) != "" {
			want = append(want, s)
		}
	}
	sf, ok := m.dialect.(SchemaFinder)
	if len(want) == 0 || !ok {
		return nil, nil
	}
	exist, err := sf.ExistingSchemas(ctx, conn, want)
	if err != nil {
		return nil, fmt.Errorf("look for schemas: %w", err)
	}
	var out []string
	for _, s := range want {
		if !exist[s] {
			out = append(out, s)
		}
	}
	return out, nil
}

// schemaMarkers returns the SCHEMA rows recording the schemas a bootstrap
// for target t created, as Flyway writes them (FLYWAY.md 1.5): version
// and checksum NULL, the quoted names comma-joined in script. A tenant's
// own schema belongs to the tenant; the other schemas (managed, history)
// belong to the single target of an env without tenants, and to no target
// (tenant "") in an env with tenants, where they are not migrated per
// tenant. A list longer than the script column is split over several rows.
func (m *run) schemaMarkers(t schemas.Target, created []string) []HistoryRow {
	byOwner := map[string][]string{}
	var owners []string
	for _, s := range created {
		owner := t.Name
		if t.Tenant && s != t.Schema {
			owner = ""
		}
		if _, ok := byOwner[owner]; !ok {
			owners = append(owners, owner)
		}
		byOwner[owner] = append(byOwner[owner], m.dialect.Quote(s))
	}
	var rows []HistoryRow
	for _, owner := range owners {
		var cur []string
		size := 0
		flush := func() {
			if len(cur) > 0 {
				rows = append(rows, HistoryRow{Description: SchemaCreationDescription, Type: TypeSchema, Script: strings.Join(cur, ","),
					InstalledBy: m.installedBy, Success: true, Tenant: owner, FailedStatement: -1})
			}
			cur, size = nil, 0
		}
		for _, q := range byOwner[owner] {
			if size+len(q)+1 > 1000 {
				flush()
			}
			cur = append(cur, q)
			size += len(q) + 1
		}
		flush()
	}
	return rows
}

// parseSchemaList reads the script of a SCHEMA row: names separated by
// commas, each quoted as "name" (inner quotes doubled), [name] (inner ]
// doubled) or bare, as Flyway writes them on each database.
func parseSchemaList(s string) []string {
	var out []string
	i := 0
	for i < len(s) {
		for i < len(s) && (s[i] == ' ' || s[i] == ',') {
			i++
		}
		if i >= len(s) {
			break
		}
		var b strings.Builder
		switch open := s[i]; open {
		case '"', '[', '`':
			close := open
			if open == '[' {
				close = ']'
			}
			i++
			for i < len(s) {
				if s[i] == close {
					if i+1 < len(s) && s[i+1] == close {
						b.WriteByte(close)
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			for i < len(s) && s[i] != ',' {
				i++
			}
		default:
			j := strings.IndexByte(s[i:], ',')
			if j < 0 {
				j = len(s) - i
			}
			b.WriteString(strings.TrimSpace(s[i : i+j]))
			i += j
		}
		if b.Len() > 0 {
			out = append(out, b.String())
		}
	}
	return out
}

// markerRow is one successful SCHEMA row of the history table.
type markerRow struct {
	rank    int64
	tenant  string
	schemas []string
}

// forgetDropped rewrites the SCHEMA rows after Clean dropped schemas, when
// the history table survived: a dropped schema is no longer recorded as
// created (a schema of that name made later by someone else must not be
// dropped by the next clean). A row left with no schema is deleted.
func (m *run) forgetDropped(ctx context.Context, conn *sql.Conn, markers []markerRow, dropped map[string]bool) error {
	d := m.dialect
	for _, mr := range markers {
		var keep []string
		for _, s := range mr.schemas {
			if !dropped[s] {
				keep = append(keep, d.Quote(s))
			}
		}
		if len(keep) == len(mr.schemas) {
			continue
		}
		q := m.store().deleteHistoryRow(mr.rank)
		if len(keep) > 0 {
			q = m.store().setMarkerScript(mr.rank, strings.Join(keep, ","))
		}
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("clean: forget dropped schemas: %w", err)
		}
	}
	return nil
}
