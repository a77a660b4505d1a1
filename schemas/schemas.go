// Package schemas expands an environment's managed schemas and tenants into
// the targets the engine migrates. A target is one schema with its own rows
// in the shared history table.
package schemas

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// Target is one schema that receives the migrations.
type Target struct {
	// Name is the value of the history table's tenant column: the tenant, or
	// the default schema when there are no tenants ("main" on SQLite).
	Name string
	// Schema is the schema the migrations run in; "" when the database has
	// no schemas to switch to (SQLite).
	Schema string
	// Tenant reports whether the target comes from a tenants list.
	Tenant bool
}

// Expand returns the targets of an environment. With tenants, the targets are
// the tenants only; otherwise the single target is the first managed schema,
// else defaultSchema (the connection's default). Duplicate tenants are an
// error.
func Expand(managed, tenants []string, defaultSchema string) ([]Target, error) {
	if len(tenants) > 0 {
		seen := make(map[string]bool, len(tenants))
		out := make([]Target, 0, len(tenants))
		for _, t := range tenants {
			if t == "" {
				return nil, &TenantError{Reason: "empty tenant name"}
			}
			if i := strings.IndexFunc(t, unicode.IsControl); i >= 0 {
				// Placeholders are replaced inside comments too: a newline in
				// ${strata:schema} would end a -- comment and run the rest.
				return nil, &TenantError{Tenant: t, Reason: fmt.Sprintf("tenant %q contains a control character (%U); such names are refused", t, []rune(t[i:])[0])}
			}
			if seen[t] {
				return nil, &TenantError{Tenant: t, Reason: fmt.Sprintf("tenant %q is listed twice", t)}
			}
			seen[t] = true
			out = append(out, Target{Name: t, Schema: t, Tenant: true})
		}
		return out, nil
	}
	if len(managed) > 0 {
		return []Target{{Name: managed[0], Schema: managed[0]}}, nil
	}
	return []Target{{Name: defaultSchema, Schema: defaultSchema}}, nil
}

// TenantError reports a tenant name that cannot be a target: empty, with a
// control character, or listed twice.
type TenantError struct {
	Tenant string // the name as given
	Reason string
}

func (e *TenantError) Error() string { return "expand tenants: " + e.Reason }

var plainName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Plain reports whether name can be written without quoting in SQL. Raw
// tenant placeholders (${strata:tenant}, ${flyway:defaultSchema}) are refused
// for names that are not plain.
func Plain(name string) bool { return plainName.MatchString(name) }
