package main

// Process tests of an env whose instances come from a registry: a table in
// one throwaway PostgreSQL database lists the tenants of two others; each
// instance gets exactly its listed tenants and its own history table; bad
// registries and an unreachable instance are reported, and no password of
// a registry or instance URL is ever shown.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stratadb/strata/engine/sqlite"
	"github.com/stratadb/strata/internal/pgtest"
)

// registryPassword is put in every URL of these tests (the local server
// trusts its connections, so it is ignored); it must never be shown.
const registryPassword = "hunter2registry"

// registryURLWithPassword is a throwaway database's URL with registryPassword in it.
func registryURLWithPassword(t *testing.T, u string) string {
	t.Helper()
	if !strings.Contains(u, "://postgres@") {
		t.Fatalf("unexpected test database URL %s", u)
	}
	return strings.Replace(u, "://postgres@", "://postgres:"+registryPassword+"@", 1)
}

// registryProject writes a project whose env "test" takes its instances
// from a registry at registryURL with query.
func registryProject(t *testing.T, registryURL, query, extra string) *project {
	t.Helper()
	p := newProject(t, "unused", "", map[string]string{
		"V1__create_orders.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric NOT NULL);\n",
		"V2__add_status.sql":    "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'open';\n",
	})
	p.writeRegistry(t, registryURL, query, extra)
	return p
}

// writeRegistry rewrites the project's strata.hcl with another registry.
func (p *project) writeRegistry(t *testing.T, registryURL, query, extra string) {
	t.Helper()
	hcl := fmt.Sprintf("locations = [\"migrations\"]\nenv \"test\" {\n  registry {\n    url   = %s\n    query = %s\n  }\n%s}\n",
		hclString(registryURL), hclString(query), extra)
	if err := os.WriteFile(filepath.Join(p.dir, "strata.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
}

// noPassword fails the test when r shows registryPassword.
func noPassword(t *testing.T, r result) {
	t.Helper()
	if strings.Contains(r.stdout+r.stderr, registryPassword) {
		t.Fatalf("the output shows a password:\n%s", r)
	}
}

func TestRegistryTwoInstances(t *testing.T) {
	urlA, urlB, urlR := pgtest.Database(t), pgtest.Database(t), pgtest.Database(t)
	a, b, reg := connect(t, urlA), connect(t, urlB), connect(t, urlR)
	execAll(t, a, `CREATE SCHEMA tenant_acme`, `CREATE SCHEMA tenant_globex`)
	execAll(t, b, `CREATE SCHEMA tenant_initech`, `CREATE SCHEMA tenant_hooli`)
	pwA, pwB := registryURLWithPassword(t, urlA), registryURLWithPassword(t, urlB)
	execAll(t, reg, `CREATE SCHEMA control`,
		`CREATE TABLE control.tenants (instance_url text NOT NULL, tenant text NOT NULL, active boolean NOT NULL DEFAULT true)`)
	// tenant_globex lives on A but is not in the registry: it is left alone.
	if _, err := reg.Exec(t.Context(), `INSERT INTO control.tenants VALUES ($1, 'tenant_acme', true), ($2, 'tenant_initech', true),
		($2, 'tenant_hooli', true), ($1, 'tenant_globex', false)`, pwA, pwB); err != nil {
		t.Fatal(err)
	}
	p := registryProject(t, registryURLWithPassword(t, urlR), "SELECT instance_url, tenant FROM control.tenants WHERE active ORDER BY tenant",
		"  tenants { parallel = 2 }\n  max_connections = 6\n")
	nameA, nameB := instanceNameOf(t, urlA), instanceNameOf(t, urlB)
	sch, err := outputSchema()
	if err != nil {
		t.Fatal(err)
	}

	r := p.mustRun(t, exitOK, "config", "--format", "json")
	noPassword(t, r)
	if _, err := checkJSONOutput(sch, r.stdout, r.code); err != nil || !strings.Contains(r.stdout, `"query": "SELECT instance_url, tenant FROM control.tenants`) {
		t.Fatalf("config --format json: %v\n%s", err, r)
	}

	r = p.mustRun(t, exitOK, "wait")
	noPassword(t, r)
	if !strings.Contains(r.stdout, nameA+"): the database accepts connections") || !strings.Contains(r.stdout, nameB+"): the database accepts connections") ||
		!strings.Contains(r.stdout, instanceNameOf(t, urlR)+"): the database accepts connections") {
		t.Fatalf("wait on a registry fleet:\n%s", r)
	}

	r = p.mustRun(t, exitOK, "info")
	noPassword(t, r)
	for _, want := range []string{"Fleet: env test, 2 instances, 3 tenants: 0 up to date, 3 pending, 0 failed", nameA, nameB} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("info before migrate lacks %q:\n%s", want, r)
		}
	}

	r = p.mustRun(t, exitOK, "migrate")
	noPassword(t, r)
	// max_connections 6 with parallel 2: both instances (3 connections each) at once.
	if !strings.Contains(r.stdout, "2 instances, 2 at once, 2 tenants in parallel on each, max_connections 6") ||
		!strings.Contains(r.stdout, "instance "+nameA+": 1 tenant: 1 migrated (2 migrations)") ||
		!strings.Contains(r.stdout, "instance "+nameB+": 2 tenants: 2 migrated (4 migrations)") {
		t.Fatalf("migrate output:\n%s", r)
	}
	gotA := counts(t, a, `SELECT tenant, count(*) FROM strata_schema_history WHERE success AND type <> 'SCHEMA' GROUP BY 1`)
	gotB := counts(t, b, `SELECT tenant, count(*) FROM strata_schema_history WHERE success AND type <> 'SCHEMA' GROUP BY 1`)
	if fmt.Sprint(gotA) != "map[tenant_acme:2]" || fmt.Sprint(gotB) != "map[tenant_hooli:2 tenant_initech:2]" {
		t.Fatalf("history rows per tenant: instance A %v, instance B %v", gotA, gotB)
	}
	if n := queryInt(t, a, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'tenant_globex'`); n != 0 {
		t.Fatalf("tenant_globex, not in the registry, has %d tables", n)
	}

	// A tenant added to the registry: info shows it pending on its
	// instance; --tenant migrates it there and leaves the other alone.
	execAll(t, a, `CREATE SCHEMA tenant_wayne`)
	if _, err := reg.Exec(t.Context(), `INSERT INTO control.tenants VALUES ($1, 'tenant_wayne', true)`, pwA); err != nil {
		t.Fatal(err)
	}
	r = p.mustRun(t, exitOK, "info", "--format", "json")
	noPassword(t, r)
	var fi jsonFleetInfo
	checkedResult(t, r, &fi)
	if fi.Summary != (jsonFleetSummary{Instances: 2, Targets: 4, UpToDate: 3, Behind: 1}) || len(fi.Instances) != 2 ||
		fi.Instances[0].Instance != nameA || fi.Instances[1].Instance != nameB || fi.Instances[0].Summary.Behind != 1 {
		t.Fatalf("fleet info: %+v\n%s", fi, r)
	}
	// --shard i/2 on each instance: the two shards cover the 4 tenants once.
	shardTargets := 0
	for _, shard := range []string{"1/2", "2/2"} {
		r = p.mustRun(t, exitOK, "--shard", shard, "info", "--format", "json")
		var sd struct {
			Result jsonFleetInfo `json:"result"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &sd); err != nil {
			t.Fatal(err)
		}
		shardTargets += sd.Result.Summary.Targets
	}
	if shardTargets != 4 {
		t.Fatalf("--shard 1/2 and 2/2 cover %d tenants, want 4", shardTargets)
	}
	r = p.mustRun(t, exitOK, "--tenant", "tenant_wayne", "migrate", "--format", "json")
	noPassword(t, r)
	if _, err := checkJSONOutput(sch, r.stdout, r.code); err != nil || !strings.Contains(r.stdout, `"target": "tenant_wayne"`) {
		t.Fatalf("migrate --tenant --format json: %v\n%s", err, r)
	}
	if n := queryInt(t, b, `SELECT count(*) FROM strata_schema_history WHERE tenant = 'tenant_wayne'`); n != 0 {
		t.Fatalf("instance B's history names tenant_wayne %d times", n)
	}

	// A command on one database: refused without --url; with --url, it
	// runs on that instance with the tenants the registry lists there.
	r = p.mustRun(t, exitUsage, "validate")
	if !strings.Contains(r.stderr, "env test takes its instances from a registry, and this command works on one database") {
		t.Fatalf("validate on a registry fleet:\n%s", r)
	}
	execAll(t, b, `CREATE SCHEMA tenant_unlisted`)
	r = p.mustRun(t, exitOK, "--url", urlB, "info", "--format", "json")
	if !strings.Contains(r.stdout, `"tenant_hooli"`) || strings.Contains(r.stdout, "tenant_unlisted") || strings.Contains(r.stdout, "tenant_acme") {
		t.Fatalf("info --url on one instance of the registry:\n%s", r)
	}
	other := pgtest.Database(t)
	r = p.mustRun(t, exitUsage, "--url", other, "validate")
	if !strings.Contains(r.stderr, "not an instance of env test's registry, whose query returns 2 ("+nameA+", "+nameB+")") {
		t.Fatalf("validate --url of another database:\n%s", r)
	}
}

func TestRegistryInstanceUnreachable(t *testing.T) {
	urlA, urlR := pgtest.Database(t), pgtest.Database(t)
	a := connect(t, urlA)
	execAll(t, a, `CREATE SCHEMA tenant_acme`)
	addr := closedPort(t)
	bad := fmt.Sprintf("postgres://postgres:%s@%s/nowhere?sslmode=disable&connect_timeout=5", registryPassword, addr)
	badName := addr + "/nowhere"
	query := fmt.Sprintf("SELECT * FROM (VALUES ('%s', 'tenant_x'), ('%s', 'tenant_acme')) AS r (instance_url, tenant)", bad, registryURLWithPassword(t, urlA))
	p := registryProject(t, urlR, query, "")

	r := p.mustRun(t, exitUnreachable, "migrate")
	noPassword(t, r)
	if !strings.Contains(r.stdout, "instance "+badName+": FAILED: database unreachable") ||
		!strings.Contains(r.stdout, "instance "+instanceNameOf(t, urlA)+": 1 tenant: 1 migrated (2 migrations)") ||
		!strings.Contains(r.stdout, "2 instances: 1 done, 1 failed; 2 migrations applied") {
		t.Fatalf("migrate with one registry instance down:\n%s", r)
	}
	r = p.mustRun(t, exitUnreachable, "info", "--format", "json")
	noPassword(t, r)
	if !strings.Contains(r.stdout, `"code": "UNREACHABLE"`) {
		t.Fatalf("info --format json with one registry instance down:\n%s", r)
	}
}

func TestRegistryErrors(t *testing.T) {
	urlA, urlR := pgtest.Database(t), pgtest.Database(t)
	a := connect(t, urlA)
	execAll(t, a, `CREATE SCHEMA tenant_acme`)
	pwA := registryURLWithPassword(t, urlA)
	nameA := instanceNameOf(t, urlA)
	values := func(rows string) string { return "SELECT * FROM (VALUES " + rows + ") AS r (instance_url, tenant)" }
	p := registryProject(t, urlR, "SELECT 1", "")
	for _, tt := range []struct {
		name, registry, query string
		code                  int
		want                  string
	}{
		{"registry unreachable", fmt.Sprintf("postgres://postgres:%s@%s/registry?sslmode=disable&connect_timeout=5", registryPassword, closedPort(t)),
			values("('" + pwA + "', 'tenant_acme')"), exitUnreachable, "registry: database unreachable: env test: connect to postgres://postgres:***@127.0.0.1:"},
		{"query error", urlR, "SELECT instance_url, tenant FROM control.nowhere", exitUsage,
			`env test: registry query (strata.hcl:5): ERROR: relation "control.nowhere" does not exist`},
		{"one column", urlR, "SELECT 'x' AS instance_url", exitUsage,
			"registry query (strata.hcl:5) returns 1 column (instance_url), but it must return two: the instance URL, then the tenant"},
		{"null url", urlR, values("('" + pwA + "', 'tenant_acme'), (NULL, 'tenant_b')"), exitFailed, "registry query (strata.hcl:5): row 2: the instance URL is NULL"},
		{"empty tenant", urlR, values("('" + pwA + "', '')"), exitFailed, "row 1: the tenant of instance " + nameA + " is empty"},
		{"null tenant", urlR, values("('" + pwA + "', 'tenant_acme'), ('" + pwA + "', NULL)"), exitFailed, "row 2: the tenant of instance " + nameA + " is NULL"},
		{"tenant twice", urlR, values("('" + pwA + "', 'tenant_acme'), ('" + pwA + "', 'tenant_acme')"), exitFailed,
			"rows 1 and 2 both list tenant tenant_acme on instance " + nameA + ": list each tenant once per instance"},
		{"two urls for one database", urlR, values("('" + pwA + "', 'tenant_acme'), ('" + urlA + "&application_name=x', 'tenant_b')"), exitFailed,
			"rows 1 and 2 give different URLs for the database " + nameA},
		{"no rows", urlR, values("('"+pwA+"', 'tenant_acme')") + " WHERE false", exitFailed,
			"registry query (strata.hcl:5) returned no rows, so the env has no instance and no tenant; nothing was run"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p.writeRegistry(t, tt.registry, tt.query, "")
			for _, args := range [][]string{{"migrate"}, {"info"}} {
				r := p.mustRun(t, tt.code, args...)
				noPassword(t, r)
				if !strings.Contains(r.stderr, tt.want) {
					t.Fatalf("want %q in:\n%s", tt.want, r)
				}
			}
		})
	}
	if n := queryInt(t, a, `SELECT count(*) FROM information_schema.tables WHERE table_name = 'strata_schema_history'`); n != 0 {
		t.Fatalf("a bad registry ran something: %d history tables on the instance", n)
	}
}

// TestRegistrySQLite: the registry can be any database strata opens; a
// SQLite file is read, never created.
func TestRegistrySQLite(t *testing.T) {
	urlA := pgtest.Database(t)
	a := connect(t, urlA)
	execAll(t, a, `CREATE SCHEMA tenant_acme`)
	p := registryProject(t, "sqlite://registry.db", "SELECT instance_url, tenant FROM tenants", "")
	db, err := sqlite.Open(filepath.Join(p.dir, "registry.db"), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE tenants (instance_url text, tenant text)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO tenants VALUES (?, 'tenant_acme')`, registryURLWithPassword(t, urlA)); err != nil {
		t.Fatal(err)
	}
	r := p.mustRun(t, exitOK, "migrate")
	noPassword(t, r)
	if !strings.Contains(r.stdout, "instance "+instanceNameOf(t, urlA)+": 1 tenant: 1 migrated (2 migrations)") {
		t.Fatalf("migrate with a SQLite registry:\n%s", r)
	}
	p.writeRegistry(t, "sqlite://missing.db", "SELECT instance_url, tenant FROM tenants", "")
	r = p.mustRun(t, exitNoDatabase, "info")
	if !strings.Contains(r.stderr, "env test: registry: sqlite database missing.db does not exist; nothing was run") {
		t.Fatalf("info with a missing SQLite registry:\n%s", r)
	}
	if _, err := os.Stat(filepath.Join(p.dir, "missing.db")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the missing registry file was created (%v)", err)
	}
}
