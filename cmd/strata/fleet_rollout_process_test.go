package main

// Process test of a rollout across several instances: the waves are
// assigned over the tenants of every instance, each wave runs on every
// instance that holds its tenants before its failures are counted, and a
// canary that fails on one instance stops the rollout on all of them.

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/stratadb/strata/internal/pgtest"
)

func TestFleetRolloutWaves(t *testing.T) {
	urlA, urlB := pgtest.Database(t), pgtest.Database(t)
	a, b := connect(t, urlA), connect(t, urlB)
	nameA, nameB := instanceNameOf(t, urlA), instanceNameOf(t, urlB)
	for _, c := range []struct {
		conn   *pgx.Conn
		prefix string
	}{{a, "tenant_a"}, {b, "tenant_b"}} {
		execAll(t, c.conn, "CREATE TABLE public.poisoned (tenant text PRIMARY KEY)")
		for i := 1; i <= 5; i++ {
			execAll(t, c.conn, fmt.Sprintf("CREATE SCHEMA %s%d", c.prefix, i))
		}
	}
	// V3 fails on the tenants listed in their instance's public.poisoned.
	execAll(t, b, "INSERT INTO public.poisoned VALUES ('tenant_b1')")
	p := fleetProject(t, `  rollout {
    wave "canary" { count = 2 }
    wave "beta" {
      query        = "SELECT nspname FROM pg_namespace WHERE nspname IN ('tenant_a3', 'tenant_b4')"
      max_failures = "50%"
    }
    wave "rest" { parallel = 2 }
  }
`, urlA, urlB)
	if err := os.WriteFile(filepath.Join(p.dir, "migrations", "V3__check.sql"), []byte(`DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM public.poisoned WHERE tenant = current_schema()) THEN
    RAISE EXCEPTION 'tenant % is poisoned', current_schema();
  END IF;
END $$;
`), 0o644); err != nil {
		t.Fatal(err)
	}

	// The dry run shows the waves over the fleet: the canary takes the
	// first tenant of each instance (the instances' tenants interleaved),
	// the query wave one tenant of each.
	r := p.mustRun(t, exitOK, "migrate", "--dry-run", "--format", "json")
	var dry jsonFleetDryRun
	checkedResult(t, r, &dry)
	var waves []string
	for _, w := range dry.Waves {
		var ts []string
		for _, tn := range w.Tenants {
			inst := map[string]string{nameA: "A", nameB: "B"}[tn.Instance]
			ts = append(ts, inst+":"+tn.Tenant)
		}
		waves = append(waves, fmt.Sprintf("%s(%d) %s", w.Name, w.MaxFailures, strings.Join(ts, " ")))
	}
	want := []string{"canary(0) A:tenant_a1 B:tenant_b1", "beta(1) A:tenant_a3 B:tenant_b4",
		"rest(0) A:tenant_a2 B:tenant_b2 B:tenant_b3 A:tenant_a4 A:tenant_a5 B:tenant_b5"}
	if strings.Join(waves, "\n") != strings.Join(want, "\n") {
		t.Fatalf("dry-run waves:\n%s\nwant:\n%s", strings.Join(waves, "\n"), strings.Join(want, "\n"))
	}
	if len(dry.Instances) != 2 || len(dry.Instances[0].Targets) != 5 || len(dry.Instances[1].Targets) != 5 {
		t.Fatalf("dry run: each instance should show its 5 tenants: %+v", dry.Instances)
	}
	if n := queryInt(t, a, "SELECT count(*) FROM pg_tables WHERE tablename = 'strata_schema_history'"); n != 0 {
		t.Fatalf("the dry run created the history table on instance A")
	}

	// The canary fails on B: the rollout stops on both instances.
	report := filepath.Join(p.dir, "report.json")
	r = p.mustRun(t, exitFailed, "migrate", "--report", report)
	for _, want := range []string{
		"wave 1/3 canary: 2 tenants on 2 instances, 2 pending",
		"  " + nameB + ": tenant tenant_b1: FAILED:",
		"  " + nameA + ": tenant tenant_a1: applied 3, now at version 3",
		"wave 1 canary: 1 failed, more than max_failures (0): the rollout stops here",
		"waves not started: 2 beta (2 tenants), 3 rest (6 tenants)",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the stopped rollout's output lacks %q:\n%s", want, r)
		}
	}
	if strings.Contains(r.stdout, "wave 2/3") {
		t.Errorf("wave 2 started after the canary went over its budget:\n%s", r)
	}
	if !strings.Contains(r.stderr, "the rollout stopped") {
		t.Errorf("stderr should say the rollout stopped:\n%s", r)
	}
	hist := func(conn *pgx.Conn) string {
		return fmt.Sprint(counts(t, conn, `SELECT tenant, count(*) FROM strata_schema_history WHERE success AND type <> 'SCHEMA' GROUP BY 1`))
	}
	if got := hist(a); got != "map[tenant_a1:3]" {
		t.Errorf("instance A after the stopped canary: %s, want only tenant_a1 with 3 migrations", got)
	}
	if got := hist(b); got != "map[tenant_b1:2]" {
		t.Errorf("instance B after the stopped canary: %s, want only tenant_b1 with V1 and V2", got)
	}
	rep := readReport(t, report)
	if rep.Outcome != "stopped" || rep.Database != "2 instances" || len(rep.Instances) != 2 || rep.Instances[0].Instance != nameA ||
		rep.Summary != (jsonReportSummary{Tenants: 10, Applied: 1, Failed: 1, NotStarted: 8, MigrationsApplied: 5}) {
		t.Errorf("report of the stopped rollout: outcome %s, database %q, instances %+v, summary %+v", rep.Outcome, rep.Database, rep.Instances, rep.Summary)
	}
	checkFleetReport(t, rep, map[string]*pgx.Conn{nameA: a, nameB: b})

	// Fixed, --resume goes on from the canary; the other instance's
	// canary is up to date, and every tenant ends with V1 to V3 once.
	execAll(t, b, "DELETE FROM public.poisoned")
	r = p.mustRun(t, exitOK, "migrate", "--resume", "--report", report)
	for _, want := range []string{
		"resuming the rollout at wave 1 canary: no wave is complete yet",
		"wave 1/3 canary: 2 tenants on 2 instances, 1 pending",
		"wave 2/3 beta: 2 tenants on 2 instances, 2 pending",
		"wave 3/3 rest: 6 tenants on 2 instances, 6 pending",
		"2 instances: 2 done, 0 failed; 25 migrations applied",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the resumed rollout's output lacks %q:\n%s", want, r)
		}
	}
	if got := hist(a); got != "map[tenant_a1:3 tenant_a2:3 tenant_a3:3 tenant_a4:3 tenant_a5:3]" {
		t.Errorf("instance A at the end: %s", got)
	}
	if got := hist(b); got != "map[tenant_b1:3 tenant_b2:3 tenant_b3:3 tenant_b4:3 tenant_b5:3]" {
		t.Errorf("instance B at the end: %s", got)
	}
	rep = readReport(t, report)
	if rep.Outcome != "succeeded" || rep.Summary != (jsonReportSummary{Tenants: 10, Applied: 9, Skipped: 1, MigrationsApplied: 25}) {
		t.Errorf("report of the resumed rollout: outcome %s, summary %+v", rep.Outcome, rep.Summary)
	}
	checkFleetReport(t, rep, map[string]*pgx.Conn{nameA: a, nameB: b})

	// A wave naming a tenant of one instance only: info and migrate read
	// the waves over the fleet, not on each instance (where the name would
	// be unknown on the other).
	hcl, err := os.ReadFile(filepath.Join(p.dir, "strata.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	named := strings.Replace(string(hcl), `wave "canary" { count = 2 }`, `wave "canary" { tenants = ["tenant_b1"] }`, 1)
	if err := os.WriteFile(filepath.Join(p.dir, "strata.hcl"), []byte(named), 0o644); err != nil {
		t.Fatal(err)
	}
	r = p.mustRun(t, exitOK, "info")
	if !strings.Contains(r.stdout, "Fleet: env test, 2 instances, 10 tenants: 10 up to date, 0 pending, 0 failed\n") {
		t.Errorf("fleet info with a wave naming a tenant of one instance:\n%s", r)
	}
	r = p.mustRun(t, exitOK, "migrate")
	if !strings.Contains(r.stdout, "wave 1/3 canary: 1 tenant on 1 instance, 0 pending") {
		t.Errorf("migrate with a wave naming a tenant of one instance:\n%s", r)
	}

	// A wave naming a tenant no instance holds is refused before anything runs.
	bad := strings.Replace(string(hcl), `wave "canary" { count = 2 }`, `wave "canary" { tenants = ["tenant_a1", "tenant_zz"] }`, 1)
	if err := os.WriteFile(filepath.Join(p.dir, "strata.hcl"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	r = p.mustRun(t, exitUsage, "migrate")
	if !strings.Contains(r.stderr, `wave "canary" names tenant_zz, not among the 10 tenants`) {
		t.Errorf("a wave naming an unknown tenant:\n%s", r)
	}
}

// checkFleetReport checks each tenant of a fleet's report against its
// instance's history (see checkReport).
func checkFleetReport(t *testing.T, r jsonReport, conns map[string]*pgx.Conn) {
	t.Helper()
	by := map[string][]jsonReportTenant{}
	for _, tn := range r.Tenants {
		if tn.Instance == "" {
			t.Errorf("report: tenant %s names no instance", tn.Tenant)
		}
		by[tn.Instance] = append(by[tn.Instance], tn)
	}
	for inst, tenants := range by {
		conn := conns[inst]
		if conn == nil {
			t.Errorf("report: unknown instance %q", inst)
			continue
		}
		sub := r
		sub.Tenants = tenants
		checkReport(t, conn, sub)
	}
}

// TestFleetConnectionLimit: while a fleet migrates, the connections strata
// holds across its instances (sampled from pg_stat_activity, both
// databases being on one server) never exceed max_connections, with and
// without a rollout (a wave's parallel is capped too).
func TestFleetConnectionLimit(t *testing.T) {
	for _, tc := range []struct {
		name, extra string
		limit       int
	}{
		{"tenants", "  max_connections = 5\n", 5},
		{"waves", "  max_connections = 3\n  rollout {\n    wave \"canary\" { count = 2 }\n    wave \"rest\" { parallel = 8 }\n  }\n", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			urlA, urlB := pgtest.Database(t), pgtest.Database(t)
			a, b := connect(t, urlA), connect(t, urlB)
			for i := 1; i <= 8; i++ {
				execAll(t, a, fmt.Sprintf("CREATE SCHEMA tenant_a%d", i))
				execAll(t, b, fmt.Sprintf("CREATE SCHEMA tenant_b%d", i))
			}
			p := fleetProject(t, tc.extra, urlA, urlB)
			if err := os.WriteFile(filepath.Join(p.dir, "migrations", "V3__slow.sql"), []byte("SELECT pg_sleep(0.05);\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			var dbs []string
			for _, u := range []string{urlA, urlB} {
				pu, err := url.Parse(u)
				if err != nil {
					t.Fatal(err)
				}
				dbs = append(dbs, strings.TrimPrefix(pu.Path, "/"))
			}
			watch := connect(t, urlA)
			pr := p.start(t, "migrate")
			peak, samples := 0, 0
			for running := true; running; {
				select {
				case <-pr.done:
					running = false
				default:
				}
				n := queryInt(t, watch, "SELECT count(*) FROM pg_stat_activity WHERE datname = ANY($1) AND application_name LIKE 'strata%'", dbs)
				peak = max(peak, n)
				samples++
			}
			r := pr.wait()
			if r.code != exitOK {
				t.Fatalf("migrate:\n%s", r)
			}
			t.Logf("peak %d connections over %d samples (max_connections %d)", peak, samples, tc.limit)
			if peak > tc.limit {
				t.Errorf("strata held %d connections across the instances at once, more than max_connections = %d", peak, tc.limit)
			}
			if peak == 0 {
				t.Errorf("no sample saw strata connected: the run was not observed")
			}
		})
	}
}
