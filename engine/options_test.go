package engine_test

import (
	"database/sql"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/sqlite"
	"github.com/stratadb/strata/locations"
	"github.com/stratadb/strata/placeholders"
)

// TestNewRefusesConflictingOptions checks that New names both options of
// a conflict, and an option given twice, instead of letting the last win.
func TestNewRefusesConflictingOptions(t *testing.T) {
	db, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	set, err := locations.Collect([]locations.Root{{Name: "db", FS: fstest.MapFS{"V1__a.sql": {Data: []byte("SELECT 1;\n")}}}}, locations.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		opts []engine.Option
		want string // in the error; "" when New must succeed
	}{
		{"placeholders and none", []engine.Option{engine.WithPlaceholders(placeholders.Syntax{}, nil), engine.WithoutPlaceholders()},
			"WithPlaceholders and WithoutPlaceholders both set the placeholders: give one of them"},
		{"tenant list and source", []engine.Option{engine.WithTenants("a"), engine.WithTenantSource(engine.TenantSource{Pattern: "t_*"})},
			"WithTenants and WithTenantSource both set the tenants: give one of them"},
		{"same option twice", []engine.Option{engine.WithTarget("1"), engine.WithTarget("2")},
			"WithTarget is given twice: give each option once"},
		{"filter without tenants", []engine.Option{engine.WithTenantFilter("a")},
			"WithTenantFilter restricts a run to some tenants, but no WithTenants or WithTenantSource names any"},
		{"zero option", []engine.Option{{}}, "an Option is the zero value"},
		{"bad value names its option", []engine.Option{engine.WithLockWait(0)}, "new migrator: WithLockWait: lock wait must be positive"},
		{"filter with tenants", []engine.Option{engine.WithTenants("a", "b"), engine.WithTenantFilter("a")}, ""},
		{"each once", []engine.Option{engine.WithoutPlaceholders(), engine.WithTarget("1"), engine.WithSchemas("main")}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := engine.New(sqlite.New(), db, set, c.opts...)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("New = %v, want no error", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("New = %v, want an error containing %q", err, c.want)
			}
		})
	}
}
