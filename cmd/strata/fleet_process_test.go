package main

// Process tests of an env with several database instances: two throwaway
// PostgreSQL databases as two instances, each with its own tenants and
// history table; fleet info; one instance unreachable.

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stratadb/strata/config"
	"github.com/stratadb/strata/internal/pgtest"
)

// fleetProject writes a project whose env "test" has the given instances
// and a tenants block over tenant_*.
func fleetProject(t *testing.T, extra string, instances ...string) *project {
	t.Helper()
	p := newProject(t, "unused", "", map[string]string{
		"V1__create_orders.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric NOT NULL);\n",
		"V2__add_status.sql":    "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'open';\n",
	})
	hcl := fmt.Sprintf("locations = [\"migrations\"]\nenv \"test\" {\n  instances = %s\n%s  tenants {\n    pattern  = \"tenant_*\"\n    parallel = 3\n  }\n}\n",
		hclList(instances), extra)
	if err := os.WriteFile(filepath.Join(p.dir, "strata.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// instanceName is how strata names the instance of a URL.
func instanceNameOf(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Host + p.Path
}

func TestFleetTwoInstances(t *testing.T) {
	urlA, urlB := pgtest.Database(t), pgtest.Database(t)
	a, b := connect(t, urlA), connect(t, urlB)
	execAll(t, a, `CREATE SCHEMA tenant_acme`, `CREATE SCHEMA tenant_globex`, `CREATE SCHEMA other`)
	execAll(t, b, `CREATE SCHEMA tenant_initech`, `CREATE SCHEMA tenant_hooli`, `CREATE SCHEMA tenant_umbrella`)
	p := fleetProject(t, "  max_connections = 5\n", urlA, urlB)
	nameA, nameB := instanceNameOf(t, urlA), instanceNameOf(t, urlB)

	r := p.mustRun(t, exitOK, "config", "--format", "json")
	if sch, err := outputSchema(); err != nil {
		t.Fatal(err)
	} else if _, err := checkJSONOutput(sch, r.stdout, r.code); err != nil || !strings.Contains(r.stdout, `"name": "`+nameB+`"`) || !strings.Contains(r.stdout, `"maxConnections": 5`) {
		t.Fatalf("config --format json: %v\n%s", err, r)
	}

	r = p.mustRun(t, exitOK, "wait")
	if !strings.Contains(r.stdout, nameA+"): the database accepts connections") || !strings.Contains(r.stdout, nameB+"): the database accepts connections") {
		t.Fatalf("wait on a fleet:\n%s", r)
	}

	r = p.mustRun(t, exitOK, "info")
	for _, want := range []string{"Fleet: env test, 2 instances, 5 tenants: 0 up to date, 5 pending, 0 failed", nameA, nameB} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("info before migrate lacks %q:\n%s", want, r)
		}
	}

	prom := filepath.Join(p.dir, "strata.prom")
	r = p.mustRun(t, exitOK, "migrate", "--metrics-file", prom)
	// max_connections = 5 with parallel 3: an instance opens 4, so one
	// instance at a time.
	if !strings.Contains(r.stdout, "2 instances, 1 at once, 3 tenants in parallel on each, max_connections 5") ||
		!strings.Contains(r.stdout, "instance "+nameA+": 2 tenants: 2 migrated (4 migrations)") ||
		!strings.Contains(r.stdout, "instance "+nameB+": 3 tenants: 3 migrated (6 migrations)") {
		t.Fatalf("migrate output:\n%s", r)
	}

	mf, err := os.Open(prom)
	if err != nil {
		t.Fatal(err)
	}
	fams := parseMetrics(t, mf)
	mf.Close()
	for _, c := range []struct {
		name, instance, state string
		want                  float64
	}{{"strata_tenants", nameA, "done", 2}, {"strata_tenants", nameB, "done", 3}, {"strata_tenants", nameB, "pending", 0},
		{"strata_migrations_applied_total", nameB, "", 6}, {"strata_migration_duration_seconds", nameA, "", 4}} {
		labels := []string{"env", "test", "instance", c.instance}
		if c.state != "" {
			labels = append(labels, "state", c.state)
		}
		if v, err := metricValue(fams, c.name, labels...); err != nil || v != c.want {
			t.Errorf("--metrics-file: %s %v = %v (%v), want %v", c.name, labels, v, err, c.want)
		}
	}
	if v, err := metricValue(fams, "strata_instances", "state", "done"); err != nil || v != 2 {
		t.Errorf("--metrics-file: instances done = %v (%v), want 2", v, err)
	}

	// Each database has its own history table, across its own tenants only.
	gotA := counts(t, a, `SELECT tenant, count(*) FROM strata_schema_history WHERE success AND type <> 'SCHEMA' GROUP BY 1`)
	gotB := counts(t, b, `SELECT tenant, count(*) FROM strata_schema_history WHERE success AND type <> 'SCHEMA' GROUP BY 1`)
	if fmt.Sprint(gotA) != "map[tenant_acme:2 tenant_globex:2]" || fmt.Sprint(gotB) != "map[tenant_hooli:2 tenant_initech:2 tenant_umbrella:2]" {
		t.Fatalf("history rows per tenant: instance A %v, instance B %v", gotA, gotB)
	}
	if n := queryInt(t, b, `SELECT count(*) FROM information_schema.columns WHERE table_schema = 'tenant_hooli' AND table_name = 'orders' AND column_name = 'status'`); n != 1 {
		t.Fatalf("tenant_hooli.orders.status: %d columns", n)
	}

	// --tenant: each instance gets the named tenants it holds; one that
	// holds none is left alone; a name no instance holds is an error.
	execAll(t, a, `CREATE SCHEMA tenant_wayne`)
	r = p.mustRun(t, exitOK, "--tenant", "tenant_wayne", "migrate")
	if !strings.Contains(r.stdout, "instance "+nameB+": holds none of the tenants of --tenant, left alone") ||
		!strings.Contains(r.stdout, "instance "+nameA+": 1 tenant: 1 migrated (2 migrations)") ||
		!strings.Contains(r.stdout, "2 instances: 1 done, 1 left alone (none of --tenant), 0 failed; 2 migrations applied") {
		t.Fatalf("migrate --tenant on a fleet:\n%s", r)
	}
	r = p.mustRun(t, exitUsage, "--tenant", "tenant_acme", "--tenant", "tenant_nobody", "info")
	if !strings.Contains(r.stderr, "--tenant tenant_nobody: on none of the 2 instances of env test") ||
		!strings.Contains(r.stdout, "Fleet: env test, 2 instances, 1 tenant: 1 up to date") {
		t.Fatalf("info --tenant on a fleet:\n%s", r)
	}

	// A new tenant on B: fleet info shows it pending there only.
	execAll(t, b, `CREATE SCHEMA tenant_stark`)
	r = p.mustRun(t, exitOK, "info", "--format", "json")
	var fi jsonFleetInfo
	checkedResult(t, r, &fi)
	if fi.Summary != (jsonFleetSummary{Instances: 2, Targets: 7, UpToDate: 6, Behind: 1}) || len(fi.Instances) != 2 ||
		fi.Instances[0].Instance != nameA || fi.Instances[1].Instance != nameB ||
		fi.Instances[0].Summary.UpToDate != 3 || fi.Instances[1].Summary.Behind != 1 || len(fi.Instances[1].Targets) != 4 {
		t.Fatalf("fleet info: %+v\n%s", fi, r)
	}
}

func TestFleetOneInstanceUnreachable(t *testing.T) {
	urlA := pgtest.Database(t)
	a := connect(t, urlA)
	execAll(t, a, `CREATE SCHEMA tenant_acme`, `CREATE SCHEMA tenant_globex`)
	// A port where nothing listens: bind one, then close it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	bad := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/nowhere?sslmode=disable&connect_timeout=5", port)
	p := fleetProject(t, "", bad, urlA)
	badName := fmt.Sprintf("127.0.0.1:%d/nowhere", port)

	r := p.mustRun(t, exitUnreachable, "migrate")
	if !strings.Contains(r.stdout, "instance "+badName+": FAILED: database unreachable") ||
		!strings.Contains(r.stdout, "instance "+instanceNameOf(t, urlA)+": 2 tenants: 2 migrated (4 migrations)") ||
		!strings.Contains(r.stdout, "2 instances: 1 done, 1 failed; 4 migrations applied") ||
		!strings.Contains(r.stderr, "error: env test: 1 of 2 instances failed ("+badName+"); the others were migrated") {
		t.Fatalf("migrate with one instance down:\n%s", r)
	}
	if n := queryInt(t, a, `SELECT count(*) FROM strata_schema_history WHERE success AND type <> 'SCHEMA'`); n != 4 {
		t.Fatalf("the reachable instance has %d history rows, want 4", n)
	}

	r = p.mustRun(t, exitUnreachable, "migrate", "--format", "json")
	sch, err := outputSchema()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := checkJSONOutput(sch, r.stdout, r.code); err != nil {
		t.Fatalf("migrate --format json: %v\n%s", err, r)
	}
	var doc struct {
		Result jsonFleetMigrate `json:"result"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	ins := doc.Result.Instances
	if len(ins) != 2 || ins[0].Error == nil || ins[0].Error.Code != "UNREACHABLE" || ins[1].Error != nil || len(ins[1].Targets) != 2 {
		t.Fatalf("migrate --format json instances: %+v\n%s", ins, r)
	}

	r = p.mustRun(t, exitUnreachable, "info")
	if !strings.Contains(r.stdout, "2 tenants: 2 up to date, 0 pending, 0 failed, 1 instance unreadable") ||
		!strings.Contains(r.stdout, badName) || !strings.Contains(r.stderr, "1 of 2 instances could not be read") {
		t.Fatalf("info with one instance down:\n%s", r)
	}

	r = p.mustRun(t, exitUnreachable, "wait", "--timeout", "1s")
	if !strings.Contains(r.stderr, badName) {
		t.Fatalf("wait with one instance down:\n%s", r)
	}

	// A command that works on one database refuses the fleet, and works on
	// one instance given with --url; so does migrate, with its metrics.
	r = p.mustRun(t, exitUsage, "validate")
	if !strings.Contains(r.stderr, "env test has 2 instances, and this command works on one database") {
		t.Fatalf("validate on a fleet:\n%s", r)
	}
	p.mustRun(t, exitOK, "--url", urlA, "validate")
	execAll(t, a, `CREATE SCHEMA tenant_new`)
	prom := filepath.Join(p.dir, "one.prom")
	r = p.mustRun(t, exitOK, "--url", urlA, "migrate", "--metrics-file", prom)
	mf, err := os.Open(prom)
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Close()
	fams := parseMetrics(t, mf)
	for state, want := range map[string]float64{"done": 1, "up_to_date": 2, "failed": 0, "pending": 0} {
		if v, err := metricValue(fams, "strata_tenants", "instance", "", "state", state); err != nil || v != want {
			t.Errorf("--url migrate --metrics-file: %s = %v (%v), want %v\n%s", state, v, err, want, r)
		}
	}
}

func TestFleetLimits(t *testing.T) {
	insts := make([]config.Instance, 3)
	for _, tt := range []struct {
		parallel, maxConns, waveParallel int
		atOnce, perInstance              int
	}{
		{4, 0, 0, 3, 4},   // no overall limit: every instance at once
		{4, 10, 0, 2, 4},  // 5 connections each, two fit in 10
		{4, 5, 0, 1, 4},   // exactly one
		{4, 3, 0, 1, 2},   // fewer than one instance needs: its parallel is cut
		{2, 100, 8, 3, 8}, // a wave's parallel counts
		{2, 2, 8, 1, 1},
	} {
		env := &config.Env{Instances: insts, MaxConnections: tt.maxConns, Tenants: &config.Tenants{Parallel: tt.parallel}}
		if tt.waveParallel > 0 {
			env.Rollout = &config.Rollout{Waves: []config.Wave{{Parallel: tt.waveParallel}}}
		}
		atOnce, per := fleetLimits(env)
		if atOnce != tt.atOnce || per != tt.perInstance {
			t.Errorf("parallel %d, max_connections %d, wave parallel %d: %d at once with %d each, want %d with %d",
				tt.parallel, tt.maxConns, tt.waveParallel, atOnce, per, tt.atOnce, tt.perInstance)
		}
		if tt.maxConns > 0 && atOnce*(per+1) > tt.maxConns {
			t.Errorf("max_connections %d exceeded: %d instances with %d connections each", tt.maxConns, atOnce, per+1)
		}
	}
}

// TestExampleFleet runs examples/fleet as its README says, on two
// throwaway databases in place of strata_fleet_eu and strata_fleet_us.
func TestExampleFleet(t *testing.T) {
	dir := filepath.Join("..", "..", "examples", "fleet")
	urls := map[string]string{"eu": pgtest.Database(t), "us": pgtest.Database(t)}
	for _, name := range []string{"eu", "us"} {
		setup, err := os.ReadFile(filepath.Join(dir, name+".sql"))
		if err != nil {
			t.Fatal(err)
		}
		execAll(t, connect(t, urls[name]), string(setup))
	}
	cfg := filepath.Join(dir, "strata.hcl")
	strata := func(want int, args ...string) string {
		t.Helper()
		cfg := cfg
		if args[0] == "staged" {
			cfg, args = filepath.Join(dir, "staged.hcl"), args[1:]
		}
		args = append([]string{"--config", cfg, "--var", "eu_url=" + urls["eu"], "--var", "us_url=" + urls["us"]}, args...)
		var out, errOut testWriter
		if code := run(t.Context(), args, &out, &errOut); code != want {
			t.Fatalf("strata %s: exit %d, want %d\n%s\n%s", strings.Join(args[5:], " "), code, want, out.String(), errOut.String())
		}
		return out.String() + errOut.String()
	}
	eu, us := instanceNameOf(t, urls["eu"]), instanceNameOf(t, urls["us"])
	// staged.hcl: the same fleet in waves; the canary spans both instances.
	out := strata(exitOK, "staged", "migrate", "--dry-run")
	if !strings.Contains(out, "-- wave 1 canary (2 tenants, parallel 3, max_failures 0): tenant_acme on "+eu+", tenant_hooli on "+us) ||
		!strings.Contains(out, "-- wave 2 rest (3 tenants, parallel 3, max_failures 1): tenant_globex on "+eu+", tenant_initech on "+us+", tenant_soylent on "+eu) {
		t.Fatalf("migrate --dry-run of staged.hcl:\n%s", out)
	}
	out = strata(exitOK, "migrate")
	if !strings.Contains(out, "2 instances, 2 at once, 3 tenants in parallel on each, max_connections 8") ||
		!strings.Contains(out, "instance "+eu+": 3 tenants: 3 migrated (9 migrations)") ||
		!strings.Contains(out, "instance "+us+": 2 tenants: 2 migrated (6 migrations)") {
		t.Fatalf("migrate:\n%s", out)
	}
	out = strata(exitOK, "info")
	if !strings.Contains(out, "Fleet: env local, 2 instances, 5 tenants: 5 up to date, 0 pending, 0 failed") {
		t.Fatalf("info:\n%s", out)
	}
	if n := queryInt(t, connect(t, urls["us"]), `SELECT count(DISTINCT tenant) FROM strata_schema_history WHERE success`); n != 2 {
		t.Fatalf("the US instance's history names %d tenants, want 2", n)
	}
	if n := queryInt(t, connect(t, urls["eu"]), `SELECT count(*) FROM tenant_soylent.account_totals`); n != 0 {
		t.Fatalf("tenant_soylent.account_totals has %d rows", n)
	}
}
