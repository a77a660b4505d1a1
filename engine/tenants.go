package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
)

// SchemaLister is implemented by dialects that can list the schemas of a
// database, for tenants given by a pattern.
type SchemaLister interface {
	ListSchemas(ctx context.Context, conn *sql.Conn) ([]string, error)
}

// SystemSchemas is implemented by dialects whose databases hold schemas of
// their own (PostgreSQL's pg_* and information_schema): a tenant pattern
// never matches a schema for which SystemSchema is true.
type SystemSchemas interface {
	SystemSchema(name string) bool
}

// OnError says what a run does when a target fails.
type OnError int

const (
	// ContinueOnError finishes the other targets and reports every failure.
	ContinueOnError OnError = iota
	// StopOnError schedules no further target; running ones finish.
	StopOnError
)

// TenantSource says where the tenant schemas come from: exactly one of a
// list, a query run against the database, or a glob pattern over the
// schemas that exist.
type TenantSource struct {
	Schemas []string
	Query   string // returns one column of schema names
	Pattern string // e.g. "tenant_*"; never matches a system schema (SystemSchemas)
}

// WithTenantSource sets where tenants come from. With tenants, the targets
// are the tenants only: each receives the migrations in its own schema, and
// the managed schemas are created and put on the search path after it.
func WithTenantSource(src TenantSource) Option {
	return option("tenants", "WithTenantSource", func(m *Migrator) error {
		n := 0
		for _, set := range []bool{len(src.Schemas) > 0, src.Query != "", src.Pattern != ""} {
			if set {
				n++
			}
		}
		if n > 1 {
			return errors.New("tenants: give one of schemas, query or pattern")
		}
		if src.Pattern != "" {
			if _, err := path.Match(src.Pattern, ""); err != nil {
				return fmt.Errorf("tenants: pattern %q: %w", src.Pattern, err)
			}
		}
		m.tenantSrc = src
		return nil
	})
}

// WithTenantFilter restricts a run to the named tenants, which must be
// among the env's tenants.
func WithTenantFilter(names ...string) Option {
	return option("tenant filter", "WithTenantFilter", func(m *Migrator) error { m.tenantFilter = append([]string(nil), names...); return nil })
}

// WithParallel sets how many targets are migrated at once (default 4).
// Each uses one connection; give the *sql.DB at least parallel + 1.
func WithParallel(n int) Option {
	return option("parallel", "WithParallel", func(m *Migrator) error {
		if n < 1 {
			return errors.New("parallel must be at least 1")
		}
		m.parallel = n
		return nil
	})
}

// WithOnError sets what a failed target does to the others.
func WithOnError(o OnError) Option {
	return option("on error", "WithOnError", func(m *Migrator) error { m.onError = o; return nil })
}

// Tenants returns the tenants the tenant source finds now (see
// WithTenantSource), in its order, whatever WithTenantFilter says; nil
// without a tenant source. It reads only. A caller that runs one Migrator
// per database (several instances of an env) uses it to learn which of
// the tenants it was asked for live on this database.
func (m *Migrator) Tenants(ctx context.Context) ([]string, error) {
	if !m.hasTenants() {
		return nil, nil
	}
	conn, err := m.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("tenants: connect: %w", err)
	}
	defer conn.Close()
	names, err := m.listTenants(ctx, conn)
	return append([]string(nil), names...), err
}

// resolveTenants returns the env's tenant names, in the source's order
// (patterns: sorted), and those of the run: restricted by the filter.
func (m *Migrator) resolveTenants(ctx context.Context, conn *sql.Conn) (all, names []string, err error) {
	if !m.hasTenants() {
		return nil, nil, nil
	}
	names, err = m.listTenants(ctx, conn)
	if err != nil {
		return nil, nil, err
	}
	all = names
	if len(m.tenantFilter) > 0 {
		known := make(map[string]bool, len(names))
		for _, n := range names {
			known[n] = true
		}
		var missing []string
		for _, f := range m.tenantFilter {
			if !known[f] {
				missing = append(missing, f)
			}
		}
		if len(missing) > 0 {
			return nil, nil, errors.New(advise(AdviceTenantFilter, strings.Join(missing, ", "), len(names)))
		}
		names = m.tenantFilter
	}
	return all, names, nil
}

// listTenants returns the tenant source's names, in its order (patterns:
// sorted); nil without a source.
func (m *Migrator) listTenants(ctx context.Context, conn *sql.Conn) (names []string, err error) {
	src := m.tenantSrc
	switch {
	case len(src.Schemas) > 0:
		names = src.Schemas
	case src.Query != "":
		names, err = queryNames(ctx, conn, src.Query)
		if err != nil {
			return nil, fmt.Errorf("tenants: %w", err)
		}
	case src.Pattern != "":
		sl, ok := m.dialect.(SchemaLister)
		if !ok {
			return nil, fmt.Errorf("tenants: %s cannot list schemas for a pattern", m.dialect.Name())
		}
		all, err := sl.ListSchemas(ctx, conn)
		if err != nil {
			return nil, fmt.Errorf("tenants: list schemas: %w", err)
		}
		sys, _ := m.dialect.(SystemSchemas)
		for _, s := range all {
			if sys != nil && sys.SystemSchema(s) {
				continue
			}
			if ok, _ := path.Match(src.Pattern, s); ok {
				names = append(names, s)
			}
		}
		sort.Strings(names)
	default:
		return nil, nil
	}
	return names, nil
}

// hasTenants reports whether the env has a tenant source.
func (m *Migrator) hasTenants() bool {
	return len(m.tenantSrc.Schemas) > 0 || m.tenantSrc.Query != "" || m.tenantSrc.Pattern != ""
}

// queryNames runs query, which must return one column of schema names.
func queryNames(ctx context.Context, conn *sql.Conn, query string) ([]string, error) {
	rows, err := conn.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("run query: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n sql.NullString
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("the query must return one column of schema names: %w", err)
		}
		if !n.Valid || n.String == "" {
			return nil, errors.New("the query returned an empty or NULL schema name")
		}
		names = append(names, n.String)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("run query: %w", err)
	}
	return names, nil
}
