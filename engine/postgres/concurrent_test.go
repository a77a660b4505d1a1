package postgres_test

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/enginetest"
	"github.com/stratadb/strata/engine/postgres"
	"github.com/stratadb/strata/internal/pgtest"
	"github.com/stratadb/strata/locations"
)

// TestConcurrentCallsOnOneMigrator runs two Migrate calls on one Migrator
// at once, each resolving tenants from a query that takes a moment, so
// that both calls resolve their targets at the same time. A Migrator is
// safe for concurrent use: run under -race, a command that wrote its run
// state into the shared Migrator is reported here.
func TestConcurrentCallsOnOneMigrator(t *testing.T) {
	db := openURL(t, pgtest.Database(t))
	set, err := locations.Collect([]locations.Root{{Name: "db", FS: fstest.MapFS{
		"V1__items.sql":     {Data: []byte("CREATE TABLE items (id INTEGER);\n")},
		"V2__add_items.sql": {Data: []byte("INSERT INTO items (id) VALUES (1);\n")},
	}}}, locations.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := engine.New(postgres.New(), db, set, engine.WithTenantSource(engine.TenantSource{
		Query: "SELECT name FROM pg_sleep(0.2), unnest(ARRAY['tenant_a', 'tenant_b']) AS name",
	}))
	if err != nil {
		t.Fatal(err)
	}
	const calls = 2
	conns := make([]interface{ Close() error }, 0, calls)
	for range calls { // one idle connection for each call, so that both start at once
		c, err := db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
	total := enginetest.MigrateConcurrently(t, m, calls)
	if total != 4 {
		t.Fatalf("the calls applied %d migrations in all, want 4 (two files on two tenants, each once)", total)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM strata_schema_history WHERE type = 'SQL'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Fatalf("history rows = %d, want 4", n)
	}
}
