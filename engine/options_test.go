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
		{"shard without tenants", []engine.Option{engine.WithShard(engine.Shard{Index: 1, Count: 2})}, "WithShard needs WithTenantSource"},
		{"bad shard", []engine.Option{engine.WithTenants("a"), engine.WithShard(engine.Shard{Index: 3, Count: 2})}, "shard 3/2: i/n needs 1 <= i <= n"},
		{"waves without tenants", []engine.Option{engine.WithWaves(engine.Wave{Name: "all"})}, "WithWaves runs waves over tenants"},
		{"start wave without waves", []engine.Option{engine.WithTenants("a"), engine.WithStartWave("2")}, "WithStartWave needs WithWaves"},
		{"waves with one name", []engine.Option{engine.WithTenants("a"), engine.WithWaves(engine.Wave{Name: "w", Count: 1}, engine.Wave{Name: "w"})}, `two waves are named "w"`},
		{"the rest before the last", []engine.Option{engine.WithTenants("a"), engine.WithWaves(engine.Wave{Name: "rest"}, engine.Wave{Name: "b", Count: 1})},
			`wave "rest" selects no tenants, so it takes the rest: only the last wave may`},
		{"two selectors", []engine.Option{engine.WithTenants("a"), engine.WithWaves(engine.Wave{Name: "w", Count: 1, Percent: 5})}, "give one of schemas, pattern, query, count or percent"},
		{"negative retries", []engine.Option{engine.WithTargetRetries(-1, 0)}, "must not be negative"},
		{"waves and shard", []engine.Option{engine.WithTenants("a"), engine.WithWaves(engine.Wave{Name: "w"}), engine.WithStartWave("w"),
			engine.WithShard(engine.Shard{Index: 1, Count: 1}), engine.WithTargetRetries(2, 0)}, ""},
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
