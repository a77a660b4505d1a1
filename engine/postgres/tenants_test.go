package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/postgres"
	"github.com/stratadb/strata/internal/pgtest"
)

// counter counts the queries sent through database/sql.
type counter struct {
	n       atomic.Int64
	history atomic.Int64 // queries that read the history table
}

func (c *counter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	if strings.Contains(d.SQL, `FROM "strata_schema_history" `) || strings.Contains(d.SQL, `FROM "control"."strata_schema_history"`) {
		c.history.Add(1)
	}
	return ctx
}

func (c *counter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func tracedDB(t *testing.T, url string, c *counter) *sql.DB {
	db, err := postgres.Open(context.Background(), url, postgres.Options{Tracer: c})
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(9)
	t.Cleanup(func() { db.Close() })
	return db
}

func tenantNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("tenant_%04d", i+1)
	}
	return out
}

// Status over many up-to-date tenants is a constant number of queries:
// the state table is read once; no history, no connection per tenant.
func TestInfoOverManyTenantsIsConstantQueries(t *testing.T) {
	if testing.Short() {
		t.Skip("migrates 2,000 tenants")
	}
	url := pgtest.Database(t)
	files := map[string]string{"V1__t.sql": "CREATE TABLE t (id INT);\n", "R__v.sql": "CREATE OR REPLACE VIEW v AS SELECT id FROM t;\n"}
	setup := migrator(t, tracedDB(t, url, &counter{}), files, engine.WithTenantSource(engine.TenantSource{Schemas: tenantNames(2000)}), engine.WithParallel(8))
	res, err := setup.Migrate(ctx(t))
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	if res.Applied() != 4000 {
		t.Fatalf("setup applied %d, want 4000", res.Applied())
	}
	measure := func(n int, run func(*engine.Migrator) error) (queries, history int64) {
		var c counter
		m := migrator(t, tracedDB(t, url, &c), files, engine.WithTenantSource(engine.TenantSource{Schemas: tenantNames(n)}), engine.WithParallel(8))
		if err := run(m); err != nil {
			t.Fatal(err)
		}
		return c.n.Load(), c.history.Load()
	}
	info := func(m *engine.Migrator) error {
		in, err := m.Info(ctx(t))
		if err == nil && (len(in.Targets) == 0 || in.Targets[0].Current != "1") {
			err = fmt.Errorf("info: %+v", in.Targets[0])
		}
		return err
	}
	noop := func(m *engine.Migrator) error {
		res, err := m.Migrate(ctx(t))
		if err == nil && res.Applied() != 0 {
			err = fmt.Errorf("no-op migrate applied %d", res.Applied())
		}
		return err
	}
	for name, run := range map[string]func(*engine.Migrator) error{"info": info, "no-op migrate": noop} {
		small, _ := measure(3, run)
		big, hist := measure(2000, run)
		if big != small || hist != 0 {
			t.Errorf("%s: %d queries over 2,000 tenants (%d reading history), %d over 3: want the same, none reading history", name, big, hist, small)
		}
	}
}

func TestTenantPatternFilterAndSearchPath(t *testing.T) {
	url := pgtest.Database(t)
	db := openURL(t, url)
	for _, s := range []string{"tenant_a", "tenant_b", "tenant_c", "other"} {
		if _, err := db.ExecContext(ctx(t), "CREATE SCHEMA "+s); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		// shared_lookup lives in the managed schema, found after the tenant on the path.
		"V1__shared.sql": "CREATE TABLE IF NOT EXISTS shared.lookup (id INT);\nCREATE TABLE local_t (id INT);\nCREATE VIEW uses_shared AS SELECT id FROM lookup;\n",
	}
	m := migrator(t, db, files, engine.WithSchemas("shared"), engine.WithTenantSource(engine.TenantSource{Pattern: "tenant_*"}),
		engine.WithTenantFilter("tenant_a", "tenant_c"),
		// One tenant at a time: PostgreSQL's CREATE TABLE IF NOT EXISTS of
		// the same table from two sessions at once can fail on pg_type's
		// unique index; this test is about the filter and the search path.
		engine.WithParallel(1))
	res, err := m.Migrate(ctx(t))
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	var got []string
	for _, tr := range res.Targets {
		got = append(got, tr.Target)
	}
	if strings.Join(got, ",") != "tenant_a,tenant_c" {
		t.Fatalf("targets = %v, want tenant_a and tenant_c", got)
	}
	for q, want := range map[string]bool{"tenant_a.local_t": true, "tenant_c.uses_shared": true, "tenant_b.local_t": false, "other.local_t": false, "shared.strata_schema_history": true} {
		if got := scalar[bool](t, db, "SELECT to_regclass('"+q+"') IS NOT NULL"); got != want {
			t.Errorf("%s exists = %v, want %v", q, got, want)
		}
	}
	if _, err := migrator(t, db, files, engine.WithSchemas("shared"), engine.WithTenantSource(engine.TenantSource{Pattern: "tenant_*"}),
		engine.WithTenantFilter("tenant_zz")).Plan(ctx(t)); err == nil || !strings.Contains(err.Error(), "tenant_zz") {
		t.Fatalf("unknown --tenant = %v, want an error naming it", err)
	}
	// Tenants lists the source's tenants whatever the filter says, and
	// reads only.
	all, err := migrator(t, db, files, engine.WithTenantSource(engine.TenantSource{Pattern: "tenant_*"}),
		engine.WithTenantFilter("tenant_zz")).Tenants(ctx(t))
	if err != nil || strings.Join(all, ",") != "tenant_a,tenant_b,tenant_c" {
		t.Fatalf("Tenants = %v, %v; want tenant_a, tenant_b, tenant_c", all, err)
	}
	if none, err := migrator(t, db, files).Tenants(ctx(t)); err != nil || none != nil {
		t.Fatalf("Tenants without a source = %v, %v; want nil", none, err)
	}
}

// Two runners over the same tenants share the work: each migration once,
// every tenant accounted for by one of them or as done by the other.
func TestTwoRunnersShareTenants(t *testing.T) {
	url := pgtest.Database(t)
	files := map[string]string{}
	for i := 1; i <= 4; i++ {
		files[fmt.Sprintf("V%d__s.sql", i)] = fmt.Sprintf("CREATE TABLE s%d (id INT);\nSELECT pg_sleep(0.01);\n", i)
	}
	names := tenantNames(20)
	var wg sync.WaitGroup
	results := make([]*engine.Result, 2)
	errs := make([]error, 2)
	for i := range results {
		db := openURL(t, url)
		db.SetMaxOpenConns(4)
		m := migrator(t, db, files, engine.WithTenantSource(engine.TenantSource{Schemas: names}), engine.WithParallel(3), engine.WithLockWait(time.Minute))
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i], errs[i] = m.Migrate(context.Background())
		}(i)
	}
	wg.Wait()
	applied := 0
	seen := map[string]int{}
	for i, res := range results {
		if errs[i] != nil {
			t.Fatalf("runner %d: %v", i, errs[i])
		}
		applied += res.Applied()
		for _, tr := range res.Targets {
			if len(tr.Applied) > 0 || tr.DoneByOther {
				seen[tr.Target]++
			}
		}
	}
	if applied != 80 {
		t.Fatalf("applied %d migrations in all, want 80 (20 tenants x 4, each once)", applied)
	}
	db := openURL(t, url)
	if n := scalar[int](t, db, "SELECT count(*) FROM (SELECT tenant, version FROM strata_schema_history GROUP BY 1, 2 HAVING count(*) > 1) d"); n != 0 {
		t.Fatalf("%d duplicated (tenant, version) rows", n)
	}
	for _, n := range names {
		if seen[n] == 0 {
			t.Errorf("tenant %s not accounted for by either runner", n)
		}
	}
}

// A tenant whose schema was dropped behind strata's back is reported by
// migrate, info and validate, and never re-created half-migrated; a
// tenant schema that holds objects but no history is refused alone.
func TestDroppedAndNonEmptyTenantSchemas(t *testing.T) {
	url := pgtest.Database(t)
	db := openURL(t, url)
	files := map[string]string{"V1__a.sql": "CREATE TABLE a (id INT);\n", "V2__b.sql": "CREATE TABLE b (id INT);\n"}
	tenants := engine.WithTenantSource(engine.TenantSource{Schemas: []string{"t1", "t2", "t3"}})
	if res, err := migrator(t, db, files, tenants).Migrate(ctx(t)); err != nil || res.Applied() != 6 {
		t.Fatalf("setup: %v", err)
	}
	if _, err := db.ExecContext(ctx(t), "DROP SCHEMA t2 CASCADE"); err != nil {
		t.Fatal(err)
	}
	isMissing := func(err error) bool {
		var ve *engine.ValidationError
		if !errors.As(err, &ve) {
			return false
		}
		for _, f := range ve.Findings {
			if f.Code == "SCHEMA_MISSING" && f.Target == "t2" {
				return true
			}
		}
		return false
	}
	// Up to date everywhere else: the state table's fast path must notice.
	if _, err := migrator(t, db, files, tenants).Migrate(ctx(t)); !isMissing(err) {
		t.Fatalf("migrate with nothing pending: %v, want t2's schema reported missing", err)
	}
	if _, err := migrator(t, db, files, tenants).Validate(ctx(t)); !isMissing(err) {
		t.Fatalf("validate: %v", err)
	}
	info, err := migrator(t, db, files, tenants).Info(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range info.Targets {
		if got := len(ti.Problems); (ti.Target == "t2") != (got == 1) {
			t.Fatalf("info: target %s has %d problems", ti.Target, got)
		}
	}
	files["V3__c.sql"] = "CREATE TABLE c (id INT);\n"
	if _, err := migrator(t, db, files, tenants).Migrate(ctx(t)); !isMissing(err) {
		t.Fatalf("migrate with V3 pending: %v", err)
	}
	if n := scalar[int](t, db, "SELECT count(*) FROM pg_namespace WHERE nspname = 't2'"); n != 0 {
		t.Fatal("t2 was re-created")
	}
	if n := scalar[int](t, db, "SELECT count(*) FROM strata_schema_history WHERE version = '3'"); n != 0 {
		t.Fatalf("V3 ran on %d tenants although the run was refused", n)
	}

	// A new tenant whose schema already holds a table is refused; the
	// others proceed.
	if _, err := db.ExecContext(ctx(t), "CREATE SCHEMA t4; CREATE TABLE t4.legacy (id INT)"); err != nil {
		t.Fatal(err)
	}
	four := engine.WithTenantSource(engine.TenantSource{Schemas: []string{"t1", "t3", "t4", "t5"}})
	res, err := migrator(t, db, files, four).Migrate(ctx(t))
	var ne *engine.NonEmptySchemaError
	if !errors.As(err, &ne) || ne.Target != "t4" {
		t.Fatalf("migrate: %v, want t4 refused", err)
	}
	for _, tr := range res.Targets {
		want := map[string]int{"t1": 1, "t3": 1, "t4": 0, "t5": 3}[tr.Target]
		if len(tr.Applied) != want {
			t.Fatalf("target %s applied %d, want %d", tr.Target, len(tr.Applied), want)
		}
	}
	if n := scalar[int](t, db, "SELECT count(*) FROM strata_schema_history WHERE tenant = 't4'"); n != 0 {
		t.Fatalf("t4 has %d history rows", n)
	}
}
