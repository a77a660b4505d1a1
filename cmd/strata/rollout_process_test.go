package main

// Process-level tests of staged rollouts on one database: --shard across
// runners (helpers in process_test.go and tenants_process_test.go).

import (
	"context"
	"fmt"
	neturl "net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/internal/faultproxy"
	"github.com/stratadb/strata/internal/pgtest"
)

// TestShardsCoverTenantsOnce: four runners with --shard 1/4 to 4/4 and one
// runner without a shard, all at once over 200 tenants: every migration is
// applied exactly once per tenant, each sharded runner touches only its own
// share, and the shares are disjoint and cover every tenant.
func TestShardsCoverTenantsOnce(t *testing.T) {
	url := pgtest.Database(t)
	conn := connect(t, url)
	const n = 200
	tenants := make([]string, n)
	for i := range tenants {
		tenants[i] = fmt.Sprintf("t%03d", i+1)
	}
	files := map[string]string{
		"V1__log.sql": "CREATE TABLE applied_log (version int NOT NULL);\nINSERT INTO applied_log VALUES (1);\n",
		"V2__a.sql":   "CREATE TABLE a (id int PRIMARY KEY);\nINSERT INTO applied_log VALUES (2);\n",
		"V3__b.sql":   "CREATE TABLE b (id int PRIMARY KEY);\nINSERT INTO applied_log VALUES (3);\n",
		"R__view.sql": "CREATE OR REPLACE VIEW v AS SELECT id FROM a;\n",
	}
	// A query whose order differs from the names' order: the split must
	// not depend on it.
	p := newProject(t, url, tenantsBlock(fmt.Sprintf(`query = "SELECT 't' || lpad(g::text, 3, '0') FROM generate_series(%d, 1, -1) g"`, n), "parallel = 4"), files)
	strataBinary(t)

	var procs []*proc
	for i := 1; i <= 4; i++ {
		procs = append(procs, p.start(t, "migrate", "--shard", fmt.Sprintf("%d/4", i)))
	}
	procs = append(procs, p.start(t, "migrate")) // overlaps every shard
	seen := map[string]int{}                     // tenant -> shards whose runner reported it
	for i, pr := range procs {
		r := pr.wait()
		if r.code != 0 {
			t.Errorf("runner %d: want exit 0, got:\n%s", i+1, r)
			continue
		}
		if i == 4 {
			continue
		}
		ro := parseRollout(t, r.stdout)
		reported := append(sortedKeys(ro.applied), ro.byOther...)
		for _, tn := range reported {
			seen[tn]++
			if s := engine.ShardOf(tn, 4); s != i+1 {
				t.Errorf("runner --shard %d/4 reports %s, which is in shard %d", i+1, tn, s)
			}
		}
		// Every tenant of the shard was pending when the runner started
		// (the overlapping runner may have done some): the summary counts
		// the shard's tenants, no more.
		want := 0
		for _, tn := range tenants {
			if engine.ShardOf(tn, 4) == i+1 {
				want++
			}
		}
		if s := ro.summary; len(s) != 6 || s[0] != want {
			t.Errorf("runner --shard %d/4: summary should count the %d tenants of its shard:\n%s", i+1, want, r)
		}
	}
	sizes := make([]int, 4)
	for _, tn := range tenants {
		sizes[engine.ShardOf(tn, 4)-1]++
	}
	for i, sz := range sizes {
		if sz == 0 {
			t.Errorf("shard %d/4 of %d tenants is empty: the split is not spread", i+1, n)
		}
	}

	var want []string
	for _, tn := range tenants {
		for _, k := range []string{"1", "2", "3", "R:view"} {
			want = append(want, tn+" "+k)
		}
	}
	exactlyOnce(t, "successful history rows per (tenant, migration)",
		counts(t, conn, `SELECT tenant || ' ' || COALESCE(version, 'R:' || description), count(*) FROM strata_schema_history WHERE type <> 'SCHEMA' AND success GROUP BY 1`), want)
	if n := failedHistoryRows(t, conn); n != 0 {
		t.Errorf("%d failed history rows, want none", n)
	}
	checkHistoryPerTenantUnique(t, conn)
	for _, tn := range []string{"t001", "t100", "t200"} {
		exactlyOnce(t, tn+".applied_log (one row per file run)",
			counts(t, conn, `SELECT version::text, count(*) FROM `+quoteIdent(tn)+`.applied_log GROUP BY 1`), []string{"1", "2", "3"})
	}
	waitNoAdvisoryLocks(t, conn)

	// info --shard shows the shard's tenants only; a bad shard or a shard
	// of an env without tenants is a usage error before anything runs.
	info := p.infoJSON(t, "--shard", "2/4")
	if len(info.Targets) != sizes[1] {
		t.Errorf("info --shard 2/4 lists %d targets, want the %d of shard 2", len(info.Targets), sizes[1])
	}
	for _, tg := range info.Targets {
		if engine.ShardOf(tg.Target, 4) != 2 {
			t.Errorf("info --shard 2/4 lists %s, which is in shard %d", tg.Target, engine.ShardOf(tg.Target, 4))
		}
	}
	// --tenant then --shard: a shard left without tenants has nothing to do.
	other := 3 - engine.ShardOf("t001", 2)
	r := p.run(t, "migrate", "--tenant", "t001", "--shard", fmt.Sprintf("%d/2", other))
	if r.code != 0 || !strings.Contains(r.stdout, "nothing to migrate") {
		t.Errorf("an empty shard should be a run with nothing to do, got:\n%s", r)
	}
	for _, bad := range []string{"0/4", "5/4", "2", "a/b"} {
		r := p.run(t, "migrate", "--shard", bad)
		if r.code != exitUsage || !strings.Contains(r.stderr, "--shard") {
			t.Errorf("migrate --shard %s: want exit %d naming --shard, got:\n%s", bad, exitUsage, r)
		}
	}
}

// rolloutBlock is a rollout block with the given waves (each "name" { body }).
func rolloutBlock(waves ...string) string {
	var b strings.Builder
	b.WriteString("  rollout {\n")
	for _, w := range waves {
		b.WriteString("    wave " + w + "\n")
	}
	b.WriteString("  }\n")
	return b.String()
}

// failing is a migration that fails in the tenants listed in the table
// public.broken, which breakTenants fills.
const failing = "CREATE TABLE b (id int PRIMARY KEY);\nDO $$ BEGIN IF EXISTS (SELECT 1 FROM public.broken WHERE tenant = current_schema()) THEN RAISE EXCEPTION 'broken in %', current_schema(); END IF; END $$;\n"

// breakTenants makes failing fail in the given tenants only.
func breakTenants(t *testing.T, conn *pgx.Conn, tenants ...string) {
	t.Helper()
	execAll(t, conn, "DROP TABLE IF EXISTS public.broken", "CREATE TABLE public.broken (tenant text PRIMARY KEY)")
	for _, tn := range tenants {
		if _, err := conn.Exec(context.Background(), "INSERT INTO public.broken VALUES ($1)", tn); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCanaryWaveStopsRollout: a canary wave of one tenant that fails stops
// the rollout: the other tenants are untouched, the output names the
// failed tenant and the waves that did not start. --dry-run shows the
// waves; --wave 2 goes past the canary; after a fix, --resume finishes.
func TestCanaryWaveStopsRollout(t *testing.T) {
	url := pgtest.Database(t)
	conn := connect(t, url)
	tenants := tenantNames("w", 10)
	p := newProject(t, url, tenantsBlock("schemas = "+hclList(tenants))+
		rolloutBlock(`"canary" { tenants = ["w03"] }`, `"first" {
      count = 4
      pause = "1ms"
    }`, `"rest" {}`), map[string]string{
		"V1__a.sql": "CREATE TABLE a (id int PRIMARY KEY);\n",
		"V2__b.sql": failing,
	})

	breakTenants(t, conn, "w03")
	r := p.mustRun(t, 0, "migrate", "--dry-run")
	for _, want := range []string{
		"-- wave 1 canary (1 tenant, parallel 4, max_failures 0): w03\n",
		"-- wave 2 first (4 tenants, parallel 4, max_failures 0, then a pause of 1ms): w01, w02, w04, w05\n",
		"-- wave 3 rest (5 tenants, parallel 4, max_failures 0): w06, w07, w08, w09, w10\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("migrate --dry-run should print %q:\n%s", want, r)
		}
	}

	report := filepath.Join(p.dir, "canary.json")
	r = p.mustRun(t, 1, "migrate", "--report", report)
	rep := readReport(t, report)
	checkReport(t, conn, rep)
	if rep.Outcome != "stopped" || len(rep.Waves) != 3 || rep.Waves[0].Outcome != "failed" || rep.Waves[1].Outcome != "not started" ||
		rep.Waves[2].Outcome != "not started" || rep.Summary.Failed != 1 || rep.Summary.NotStarted != 9 {
		t.Errorf("report of the stopped rollout: %+v", rep)
	}
	for _, tn := range rep.Tenants {
		want := "not started"
		if tn.Tenant == "w03" {
			want = "failed"
			if tn.Wave == nil || *tn.Wave != "canary" || tn.VersionBefore != "" || tn.VersionAfter != "1" || len(tn.Errors) != 1 || tn.Errors[0].Kind != "permanent" {
				t.Errorf("report: w03 %+v", tn)
			}
		}
		if tn.Outcome != want {
			t.Errorf("report: %s is %q, want %q", tn.Tenant, tn.Outcome, want)
		}
	}
	if !strings.Contains(r.stdout, "wave 1 canary: 1 failed, more than max_failures (0): the rollout stops here") ||
		!strings.Contains(r.stdout, "waves not started: 2 first (4 tenants), 3 rest (5 tenants)") {
		t.Errorf("the output should say the canary stopped the rollout and which waves did not start:\n%s", r)
	}
	if f := failedTargets(r.stderr); len(f) != 1 || !strings.Contains(f["w03"], "broken in w03") {
		t.Errorf("failed targets should be w03 alone, got %v:\n%s", f, r)
	}
	if hist := tenantHistory(t, conn); len(hist) != 1 || fmt.Sprint(hist["w03"]) != "[1]" {
		t.Errorf("only the canary should have history (V1), got %v", hist)
	}
	for _, tn := range tenants {
		if rel := relationsIn(t, conn, tn); tn != "w03" && len(rel) > 0 {
			t.Errorf("%s should be untouched, has %v", tn, rel)
		}
	}

	// --wave 2: past the canary, which stays as it is.
	r = p.mustRun(t, 0, "migrate", "--wave", "first")
	if strings.Contains(r.stdout, "wave 1") || !strings.Contains(r.stdout, "wave 2/3 first: 4 tenants, 4 pending") {
		t.Errorf("--wave first should start at wave 2:\n%s", r)
	}
	if !strings.Contains(r.stdout, "pausing 1ms before wave 3 rest\n") {
		t.Errorf("the pause after wave 2 should be announced:\n%s", r)
	}
	hist := tenantHistory(t, conn)
	for _, tn := range tenants {
		want := "[1 2]"
		if tn == "w03" {
			want = "[1]"
		}
		if fmt.Sprint(hist[tn]) != want {
			t.Errorf("after --wave first: %s history %v, want %s", tn, hist[tn], want)
		}
	}

	// Fixed: --resume goes on at the canary, the only wave left.
	breakTenants(t, conn)
	r = p.mustRun(t, 0, "migrate", "--resume")
	if !strings.Contains(r.stdout, "resuming the rollout at wave 1 canary: no wave is complete yet") {
		t.Errorf("--resume should say where it resumes:\n%s", r)
	}
	exactlyOnce(t, "history rows per (tenant, version)",
		counts(t, conn, `SELECT tenant || ' ' || version, count(*) FROM strata_schema_history WHERE type <> 'SCHEMA' AND success GROUP BY 1`),
		func() (w []string) {
			for _, tn := range tenants {
				w = append(w, tn+" 1", tn+" 2")
			}
			return w
		}())
	r = p.mustRun(t, 0, "migrate", "--resume")
	if !strings.Contains(r.stdout, "every wave of the rollout is complete") {
		t.Errorf("a second --resume should find every wave complete:\n%s", r)
	}
	for _, args := range [][]string{{"migrate", "--wave", "nope"}, {"migrate", "--wave", "2", "--resume"}} {
		if r := p.run(t, args...); r.code == 0 {
			t.Errorf("%v should fail:\n%s", args, r)
		}
	}
	waitNoAdvisoryLocks(t, conn)
}

// TestWaveBudget: a wave whose budget tolerates one failure lets the next
// wave start; the failed tenant is the only one left behind.
func TestWaveBudget(t *testing.T) {
	url := pgtest.Database(t)
	conn := connect(t, url)
	tenants := tenantNames("w", 10)
	p := newProject(t, url, tenantsBlock("schemas = "+hclList(tenants), "parallel = 2")+
		rolloutBlock(`"canary" { tenants = ["w01"] }`, `"early" {
      percent      = 40
      max_failures = 1
    }`, `"rest" { parallel = 3 }`), map[string]string{
		"V1__a.sql": "CREATE TABLE a (id int PRIMARY KEY);\n",
		"V2__b.sql": failing,
	})
	breakTenants(t, conn, "w02")
	report := filepath.Join(p.dir, "budget.json")
	r := p.mustRun(t, 1, "migrate", "--report", report)
	rep := readReport(t, report)
	checkReport(t, conn, rep)
	if rep.Outcome != "failed" || rep.Summary.Applied != 9 || rep.Summary.Failed != 1 || rep.Summary.MigrationsApplied != 19 || len(rep.Waves) != 3 ||
		rep.Waves[1].Failed != 1 || rep.Waves[1].MaxFailures != 1 || rep.Waves[1].Outcome != "completed" {
		t.Errorf("report of the rollout with one failure in budget: %+v", rep)
	}
	for _, want := range []string{
		"wave 1/3 canary: 1 tenant, 1 pending",
		"wave 1 canary: done, 0 failed (max_failures 0)",
		"wave 2/3 early: 4 tenants, 4 pending", // 40% of the 9 left, rounded up
		"wave 2 early: done, 1 failed (max_failures 1)",
		"wave 3/3 rest: 5 tenants, 5 pending",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the output should say %q:\n%s", want, r)
		}
	}
	if strings.Contains(r.stdout, "waves not started") {
		t.Errorf("every wave should have started:\n%s", r)
	}
	if f := failedTargets(r.stderr); len(f) != 1 || f["w02"] == "" {
		t.Errorf("failed targets should be w02 alone, got %v:\n%s", f, r)
	}
	hist := tenantHistory(t, conn)
	for _, tn := range tenants {
		want := "[1 2]"
		if tn == "w02" {
			want = "[1]"
		}
		if fmt.Sprint(hist[tn]) != want {
			t.Errorf("%s history %v, want %s", tn, hist[tn], want)
		}
	}
	waitNoAdvisoryLocks(t, conn)
	// Again, in JSON: w02 fails again, in its wave.
	r = p.mustRun(t, 1, "migrate", "--format", "json")
	sch, err := outputSchema()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := checkJSONOutput(sch, r.stdout, 1); err != nil {
		t.Fatalf("migrate --format json: %v\n%s", err, r)
	}
	var out jsonMigrate
	if _, err := decodeEnvelope(r.stdout, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Targets) != 10 {
		t.Errorf("migrate --format json lists %d targets, want 10", len(out.Targets))
	}
	for _, tg := range out.Targets {
		if failed := tg.Error != nil; failed != (tg.Target == "w02") || (tg.Target == "w02" && tg.Wave != "early") || tg.Wave == "" {
			t.Errorf("migrate --format json: %+v; want w02 alone failed, in wave early, and every target with its wave", tg)
		}
	}
}

// TestTenantRetriedAfterCut: the connection of one tenant is cut in the
// middle of its migrations; that tenant is tried again on a new
// connection and finishes; every migration ran once in every tenant.
func TestTenantRetriedAfterCut(t *testing.T) {
	retriedAfterCut(t, faultproxy.Trigger{Marker: []byte("cut_w04_now"), Action: faultproxy.Cut})
}

// TestTenantRetriedAfterCommittedCut: the server runs and commits the
// tenant's migrations (sent in one request), and only its answer is lost
// with the connection. The retry finds them in the history: the tenant
// is reported applied (by the first attempt), not done by another runner.
func TestTenantRetriedAfterCommittedCut(t *testing.T) {
	retriedAfterCut(t, faultproxy.Trigger{Marker: []byte("cut_w04_now"), OnReply: true, ReplyMarker: []byte("COMMIT"), Action: faultproxy.Cut})
}

func retriedAfterCut(t *testing.T, trigger faultproxy.Trigger) {
	direct := pgtest.Database(t)
	u, err := neturl.Parse(direct)
	if err != nil || u.Host == "" {
		t.Skipf("the fault tests need a postgres:// URL with a host: %v", err)
	}
	px, err := faultproxy.New(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { px.Close() })
	pu := *u
	pu.Host = px.Addr()
	tenants := tenantNames("w", 6)
	p := newProject(t, pu.String(), "  network_timeout = \"2s\"\n  connect_timeout = \"2s\"\n"+
		tenantsBlock("schemas = "+hclList(tenants), "parallel = 1"), map[string]string{
		"V1__ledger.sql": "CREATE TABLE ledger (v text NOT NULL);\nINSERT INTO ledger VALUES ('V1');\n",
		"V2__cut.sql":    "INSERT INTO ledger VALUES ('V2');\nSELECT pg_sleep(0.05), 'cut_${strata:tenant}_now';\n",
		"V3__after.sql":  "INSERT INTO ledger VALUES ('V3');\n",
	})
	fired := px.Arm(trigger)
	report := filepath.Join(p.dir, "retry.json")
	r := p.mustRun(t, 0, "migrate", "--report", report)
	select {
	case <-fired:
	default:
		t.Fatalf("the proxy never cut w04's connection:\n%s", r)
	}
	t.Logf("the run with the cut:\n%s", r)
	if !strings.Contains(r.stdout, "tenant w04: transient failure, trying again in 1s (attempt 2 of 3)") {
		t.Errorf("the output should say w04 is tried again:\n%s", r)
	}
	if strings.Contains(r.stdout, "transient failure") && strings.Count(r.stdout, "transient failure") != 1 {
		t.Errorf("only w04 should have been tried again:\n%s", r)
	}
	conn := connect(t, direct)
	waitNoAdvisoryLocks(t, conn)
	for _, tn := range tenants {
		exactlyOnce(t, tn+".ledger", counts(t, conn, "SELECT v, count(*) FROM "+quoteIdent(tn)+".ledger GROUP BY v"), []string{"V1", "V2", "V3"})
	}
	var want []string
	for _, tn := range tenants {
		want = append(want, tn+" 1", tn+" 2", tn+" 3")
	}
	exactlyOnce(t, "history rows per (tenant, version)",
		counts(t, conn, `SELECT tenant || ' ' || version, count(*) FROM strata_schema_history WHERE type <> 'SCHEMA' AND success GROUP BY 1`), want)
	if n := failedHistoryRows(t, conn); n != 0 {
		t.Errorf("%d failed history rows", n)
	}
	if n := queryInt(t, conn, "SELECT count(*) FROM strata_schema_history_state WHERE failed"); n != 0 {
		t.Errorf("%d tenants are marked failed in the state table", n)
	}
	rep := readReport(t, report)
	checkReport(t, conn, rep)
	if rep.Outcome != "succeeded" || rep.Summary.Retries != 1 || rep.Summary.Applied != 6 {
		t.Errorf("report: %+v", rep)
	}
	for _, tn := range rep.Tenants {
		switch {
		case tn.Tenant == "w04" && (tn.Retries != 1 || len(tn.Errors) != 1 || tn.Errors[0].Kind != "transient" || !tn.Errors[0].Retried || tn.Outcome != "applied"):
			t.Errorf("report: w04 should show one transient failure, retried: %+v", tn)
		case tn.Tenant != "w04" && (tn.Retries != 0 || len(tn.Errors) != 0):
			t.Errorf("report: %s should show no retry: %+v", tn.Tenant, tn)
		}
	}
}

// checkReport checks a rollout report against the database: each tenant's
// versionAfter is the highest version of its successful history rows,
// and each migration the report lists as applied has exactly one.
func checkReport(t *testing.T, conn *pgx.Conn, r jsonReport) {
	t.Helper()
	hist := tenantHistory(t, conn)
	for _, tn := range r.Tenants {
		rows := hist[tn.Tenant]
		last := ""
		if len(rows) > 0 {
			last = rows[len(rows)-1]
		}
		if tn.VersionAfter != last {
			t.Errorf("report: %s at version %q, the history says %q (%v)", tn.Tenant, tn.VersionAfter, last, rows)
		}
		for _, ap := range tn.Applied {
			if n := strings.Count(" "+strings.Join(rows, " ")+" ", " "+ap.Version+" "); n != 1 {
				t.Errorf("report: %s applied %s, the history has it %d times", tn.Tenant, ap.Version, n)
			}
		}
		if (tn.Outcome == "not started" || tn.Outcome == "skipped") && len(tn.Applied) > 0 {
			t.Errorf("report: %s is %s but lists applied migrations", tn.Tenant, tn.Outcome)
		}
	}
}

// TestTransientSQLStatesRetried: a migration that fails once with a
// transient SQLSTATE (serialization failure, deadlock, lock not
// available, admin shutdown) is tried again and succeeds; a permanent
// error (a unique violation) is not tried again; a transient failure
// that lasts uses up the retries and is reported as transient.
func TestTransientSQLStatesRetried(t *testing.T) {
	url := pgtest.Database(t)
	conn := connect(t, url)
	// tenant -> the SQLSTATE its first attempts raise, and how many times.
	plan := []struct {
		tenant, code string
		times        int
	}{{"w01", "40001", 1}, {"w02", "40P01", 1}, {"w03", "55P03", 1}, {"w04", "57P01", 1}, {"w05", "23505", 1}, {"w06", "40001", 5}, {"w07", "", 0}}
	var tenants []string
	execAll(t, conn, "CREATE TABLE public.faults (tenant text PRIMARY KEY, code text NOT NULL, times int NOT NULL)")
	for _, f := range plan {
		tenants = append(tenants, f.tenant)
		execAll(t, conn, "CREATE SEQUENCE public."+quoteIdent("tries_"+f.tenant))
		if f.code != "" {
			if _, err := conn.Exec(context.Background(), "INSERT INTO public.faults VALUES ($1, $2, $3)", f.tenant, f.code, f.times); err != nil {
				t.Fatal(err)
			}
		}
	}
	p := newProject(t, url, tenantsBlock("schemas = "+hclList(tenants), "retries = 2"), map[string]string{
		"V1__a.sql": "CREATE TABLE a (id int PRIMARY KEY);\n",
		// nextval is not rolled back with the migration: it counts the attempts.
		"V2__flaky.sql": `CREATE TABLE b (id int PRIMARY KEY);
DO $$
DECLARE f record;
BEGIN
  SELECT * INTO f FROM public.faults WHERE tenant = current_schema();
  IF FOUND AND nextval(format('public.%I', 'tries_' || current_schema())) <= f.times THEN
    RAISE EXCEPTION 'injected %', f.code USING ERRCODE = f.code;
  END IF;
END $$;
`,
	})
	report := filepath.Join(p.dir, "report.json")
	r := p.mustRun(t, 1, "migrate", "--report", report)
	t.Logf("the run:\n%s", r)
	rep := readReport(t, report)
	checkReport(t, conn, rep)
	got := map[string]jsonReportTenant{}
	for _, tn := range rep.Tenants {
		got[tn.Tenant] = tn
	}
	// 55P03 (lock_timeout) is tried again inside the attempt, migration by
	// migration (engine.WithRetries), before the tenant's retries.
	if g := got["w03"]; g.Outcome != "applied" || g.Retries != 0 || len(g.Errors) != 0 || len(g.Applied) != 2 {
		t.Errorf("w03 should have been applied, its lock timeout retried by the migration's own retry: %+v", g)
	}
	for _, tn := range []string{"w01", "w02", "w04"} {
		g := got[tn]
		if g.Outcome != "applied" || g.Retries != 1 || len(g.Errors) != 1 || g.Errors[0].Kind != "transient" || !g.Errors[0].Retried || len(g.Applied) != 2 {
			t.Errorf("%s should have failed once, transiently, and been applied on the retry: %+v", tn, g)
		}
	}
	if g := got["w05"]; g.Outcome != "failed" || g.Retries != 0 || len(g.Errors) != 1 || g.Errors[0].Kind != "permanent" || g.Errors[0].Retried {
		t.Errorf("w05 (unique violation) should fail at once, permanent: %+v", g)
	}
	if g := got["w06"]; g.Outcome != "failed" || g.Retries != 2 || len(g.Errors) != 3 || g.Errors[2].Kind != "transient" || g.Errors[2].Retried {
		t.Errorf("w06 should use up its 2 retries and fail, transient: %+v", g)
	}
	if g := got["w07"]; g.Outcome != "applied" || g.Retries != 0 || len(g.Errors) != 0 {
		t.Errorf("w07 should be applied at once: %+v", g)
	}
	// The attempts the database saw: one more than the retries.
	for tn, want := range map[string]int{"w01": 2, "w02": 2, "w03": 2, "w04": 2, "w05": 1, "w06": 3} {
		if n := queryInt(t, conn, "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM public."+quoteIdent("tries_"+tn)); n != want {
			t.Errorf("%s: V2 ran %d times, want %d", tn, n, want)
		}
	}
	if f := failedTargets(r.stderr); len(f) != 2 || f["w05"] == "" || f["w06"] == "" {
		t.Errorf("failed targets should be w05 and w06, got %v", f)
	}
	// The progress line of a retried tenant counts every attempt's work.
	if ro := parseRollout(t, r.stdout); ro.applied["w01"] != 2 || ro.applied["w02"] != 2 || ro.applied["w04"] != 2 {
		t.Errorf("w01, w02 and w04 should be reported with 2 migrations applied: %v", ro.applied)
	}
	waitNoAdvisoryLocks(t, conn)
}

// TestQueryWave: a wave's query, run on the database when the run is
// planned, selects the tenants it returns among those left (names that
// are not tenants, or that an earlier wave took, are ignored).
func TestQueryWave(t *testing.T) {
	url := pgtest.Database(t)
	conn := connect(t, url)
	tenants := tenantNames("w", 6)
	execAll(t, conn, "CREATE TABLE public.tiers (tenant text PRIMARY KEY, tier text NOT NULL)",
		"INSERT INTO public.tiers VALUES ('w01', 'beta'), ('w04', 'beta'), ('w05', 'beta'), ('nobody', 'beta')")
	p := newProject(t, url, tenantsBlock("schemas = "+hclList(tenants))+
		rolloutBlock(`"canary" { tenants = ["w01"] }`, `"beta" { query = "SELECT tenant FROM public.tiers WHERE tier = 'beta'" }`),
		map[string]string{"V1__a.sql": "CREATE TABLE a (id int PRIMARY KEY);\n"})
	r := p.mustRun(t, exitOK, "migrate", "--dry-run")
	for _, want := range []string{"-- wave 1 canary (1 tenant, parallel 4, max_failures 0): w01",
		"-- wave 2 beta (2 tenants, parallel 4, max_failures 0): w04, w05",
		"-- wave 3 rest (3 tenants, parallel 4, max_failures 0): w02, w03, w06"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the dry run should say %q:\n%s", want, r)
		}
	}
	execAll(t, conn, "DROP TABLE public.tiers")
	r = p.mustRun(t, exitFailed, "migrate")
	if !strings.Contains(r.stderr+r.stdout, `wave "beta": run query:`) || !strings.Contains(r.stderr+r.stdout, "tiers") {
		t.Errorf("a wave query that fails should say which wave and why:\n%s", r)
	}
	if n := queryInt(t, conn, "SELECT count(*) FROM pg_tables WHERE tablename = 'a'"); n != 0 {
		t.Errorf("a failed wave query must stop the run before any tenant: %d tenants migrated", n)
	}
}
