package main

// Process-level tests of tenant rollouts: the real strata binary against a
// real PostgreSQL database (helpers in process_test.go). Many tenants from a
// query, partial failures with on_error = "continue" and "stop", several
// processes over the same tenants, hostile tenant names, SIGTERM in the
// middle of a rollout, and --tenant.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stratadb/strata/internal/pgtest"
)

// --- helpers -------------------------------------------------------------

// hclList writes names as an HCL list of string literals.
func hclList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = hclString(n)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// tenantNames returns prefix01 ... prefixNN.
func tenantNames(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%02d", prefix, i+1)
	}
	return out
}

// tenantsBlock is a tenants block for newProject's extra HCL: source is
// one attribute (schemas = [...], query = "...", pattern = "..."), then
// more attributes.
func tenantsBlock(source string, more ...string) string {
	var b strings.Builder
	b.WriteString("  tenants {\n    " + source + "\n")
	for _, m := range more {
		b.WriteString("    " + m + "\n")
	}
	b.WriteString("  }\n")
	return b.String()
}

// addMigration writes one more migration file into the project.
func (p *project) addMigration(t *testing.T, name, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(p.dir, "migrations", name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// execAll runs statements on conn, failing the test on the first error.
func execAll(t *testing.T, conn *pgx.Conn, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := conn.Exec(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(s string) string { return pgx.Identifier{s}.Sanitize() }

// tenantHistory returns every tenant's successful history rows, in
// installed_rank order, as migration keys (the version, or R:description
// for a repeatable).
func tenantHistory(t *testing.T, conn *pgx.Conn) map[string][]string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT tenant, COALESCE(version, 'R:' || description)
		FROM strata_schema_history WHERE type <> 'SCHEMA' AND success ORDER BY installed_rank`)
	if err != nil {
		t.Fatalf("read history: %v", err)
	}
	out := map[string][]string{}
	for rows.Next() {
		var tenant, key string
		if err := rows.Scan(&tenant, &key); err != nil {
			t.Fatalf("read history: %v", err)
		}
		out[tenant] = append(out[tenant], key)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read history: %v", err)
	}
	return out
}

// failedHistoryRows counts history rows with success = false.
func failedHistoryRows(t *testing.T, conn *pgx.Conn) int {
	t.Helper()
	return queryInt(t, conn, `SELECT count(*) FROM strata_schema_history WHERE type <> 'SCHEMA' AND NOT success`)
}

// checkHistoryPerTenantUnique checks that no (tenant, migration) has two
// successful rows and that installed_rank is unique over the whole table.
func checkHistoryPerTenantUnique(t *testing.T, conn *pgx.Conn) {
	t.Helper()
	dups := counts(t, conn, `SELECT tenant || ' ' || COALESCE(version, 'R:' || description), count(*)
		FROM strata_schema_history WHERE type <> 'SCHEMA' AND success GROUP BY tenant, version, description HAVING count(*) > 1`)
	if len(dups) > 0 {
		t.Errorf("history has a migration applied twice to one tenant: %v", dups)
	}
	if n := queryInt(t, conn, `SELECT count(*) - count(DISTINCT installed_rank) FROM strata_schema_history`); n != 0 {
		t.Errorf("installed_rank is not unique: %d duplicate(s)", n)
	}
}

// schemaExists reports whether a schema of exactly that name exists.
func schemaExists(t *testing.T, conn *pgx.Conn, name string) bool {
	t.Helper()
	return queryInt(t, conn, `SELECT count(*) FROM pg_namespace WHERE nspname = $1`, name) == 1
}

// relationsIn returns the tables and views of a schema, sorted.
func relationsIn(t *testing.T, conn *pgx.Conn, schema string) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, schema)
	if err != nil {
		t.Fatalf("list relations of %q: %v", schema, err)
	}
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// rolloutLine matches migrate's line for one finished tenant of several.
var rolloutLine = regexp.MustCompile(`(?m)^\[\d+/\d+\] tenant (.+?): (applied (\d+), now at version (\S+)|done by another runner|up to date|FAILED: .*)`)

// singleTarget matches migrate's line when one tenant only was pending.
var singleTarget = regexp.MustCompile(`(?m)^migrating (.+): (\d+) pending$`)

// rolloutSummary matches the summary line of a run over several targets.
var rolloutSummary = regexp.MustCompile(`(?m)^(\d+) targets: (\d+) migrated \((\d+) migrations?\), (\d+) already up to date(?:, (\d+) done by another runner)?(?:, (\d+) failed)? \(`)

// rollout is what migrate's text output says about each tenant.
type rollout struct {
	applied map[string]int // tenant -> migrations applied
	byOther []string       // tenants done by another runner
	failed  []string
	summary []int // targets, migrated, migrations, up to date, by other, failed
}

func parseRollout(t *testing.T, out string) rollout {
	t.Helper()
	r := rollout{applied: map[string]int{}}
	for _, m := range rolloutLine.FindAllStringSubmatch(out, -1) {
		switch {
		case m[3] != "":
			n, _ := strconv.Atoi(m[3])
			r.applied[m[1]] += n
		case m[2] == "done by another runner":
			r.byOther = append(r.byOther, m[1])
		case strings.HasPrefix(m[2], "FAILED"):
			r.failed = append(r.failed, m[1])
		}
	}
	if m := rolloutSummary.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.Atoi(s) // "" for an absent group: 0
			r.summary = append(r.summary, n)
		}
	}
	// One tenant pending: per-migration lines instead, and the summary.
	if s := singleTarget.FindStringSubmatch(out); s != nil && len(r.applied) == 0 && len(r.summary) == 6 && r.summary[1] == 1 {
		r.applied[s[1]] = r.summary[2]
	}
	return r
}

// failedTargets returns the tenants listed under "failed targets:" on
// stderr, with their messages.
func failedTargets(stderr string) map[string]string {
	out := map[string]string{}
	_, list, ok := strings.Cut(stderr, "failed targets:\n")
	if !ok {
		return out
	}
	for _, l := range strings.Split(list, "\n") {
		if strings.HasPrefix(l, "    ") {
			continue // the failure's detail, under its target
		}
		if !strings.HasPrefix(l, "  ") {
			break
		}
		name, msg, _ := strings.Cut(strings.TrimPrefix(l, "  "), ": ")
		out[name] = msg
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sameSet(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	g := append([]string(nil), got...)
	w := append([]string(nil), want...)
	sort.Strings(g)
	sort.Strings(w)
	for i := range g {
		if g[i] != w[i] {
			return false
		}
	}
	return true
}

// infoJSON runs info --format json and decodes it.
func (p *project) infoJSON(t *testing.T, args ...string) jsonInfo {
	t.Helper()
	r := p.mustRun(t, 0, append([]string{"info", "--format", "json"}, args...)...)
	var out jsonInfo
	if _, err := decodeEnvelope(r.stdout, &out); err != nil {
		t.Fatalf("info --format json: %v\n%s", err, r)
	}
	return out
}

// waitForOutput waits until the process's stdout matches re, and fails the
// test if the process ends first.
func waitForOutput(t *testing.T, pr *proc, re *regexp.Regexp) {
	t.Helper()
	for {
		if re.MatchString(pr.stdout.String()) {
			return
		}
		select {
		case <-pr.stdout.notify:
		case <-pr.done:
			if re.MatchString(pr.stdout.String()) {
				return
			}
			t.Fatalf("strata ended before its output matched %s:\n%s", re, pr.wait())
		}
	}
}

// --- 1. tenants from a query -------------------------------------------

var queryTenantsSet = map[string]string{
	"V1__customers.sql":    "CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);\n",
	"V2__orders.sql":       "CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers (id), total numeric NOT NULL);\n",
	"V3__seed.sql":         "INSERT INTO customers VALUES (1, 'first'), (2, 'second');\nINSERT INTO orders VALUES (1, 1, 10.5);\n",
	"V4__orders_index.sql": "CREATE INDEX orders_customer_idx ON orders (customer_id);\n",
	"R__customer_totals.sql": "CREATE OR REPLACE VIEW customer_totals AS\n" +
		"  SELECT c.id, count(o.id) AS orders FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.id;\n",
}

var queryTenantsKeys = []string{"1", "2", "3", "4", "R:customer totals"}

// TestTenantsFromQuery: 50 tenants read from a registry table by
// tenants.query, migrated 4 at a time, each receiving every migration once.
func TestTenantsFromQuery(t *testing.T) {
	url := pgtest.Database(t)
	conn := connect(t, url)
	tenants := tenantNames("tenant_", 50)
	execAll(t, conn, `CREATE TABLE public.tenant_registry (schema_name text PRIMARY KEY, active boolean NOT NULL)`,
		`INSERT INTO public.tenant_registry SELECT 'tenant_' || lpad(g::text, 2, '0'), true FROM generate_series(1, 50) g`,
		`INSERT INTO public.tenant_registry VALUES ('retired_01', false), ('retired_02', false)`)
	p := newProject(t, url, tenantsBlock(`query = "SELECT schema_name FROM public.tenant_registry WHERE active ORDER BY schema_name"`, "parallel = 4"), queryTenantsSet)

	r := p.mustRun(t, 0, "migrate")
	ro := parseRollout(t, r.stdout)
	if !sameSet(sortedKeys(ro.applied), tenants) {
		t.Errorf("migrate should report every one of the 50 tenants migrated; it names %d:\n%s", len(ro.applied), r)
	}
	for tenant, n := range ro.applied {
		if n != len(queryTenantsKeys) {
			t.Errorf("tenant %s: output says %d applied, want %d", tenant, n, len(queryTenantsKeys))
		}
	}

	// Every tenant schema has the objects; no other schema has them.
	got := counts(t, conn, `SELECT table_schema::text, count(*) FROM information_schema.tables
		WHERE table_name IN ('customers', 'orders', 'customer_totals') GROUP BY 1`)
	want := map[string]int{}
	for _, tn := range tenants {
		want[tn] = 3
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("customers, orders and customer_totals per schema: got %v, want all three in each of the 50 tenants and nowhere else", got)
	}
	for _, s := range []string{"retired_01", "retired_02"} {
		if schemaExists(t, conn, s) {
			t.Errorf("schema %s exists: the query excludes it", s)
		}
	}
	if n := queryInt(t, conn, `SELECT count(*) FROM tenant_37.customers`); n != 2 {
		t.Errorf("tenant_37.customers has %d rows, want 2", n)
	}

	// History: one row per (tenant, migration), ranks unique.
	var keys []string
	for _, tn := range tenants {
		for _, k := range queryTenantsKeys {
			keys = append(keys, tn+" "+k)
		}
	}
	exactlyOnce(t, "successful history rows per (tenant, migration)",
		counts(t, conn, `SELECT tenant || ' ' || COALESCE(version, 'R:' || description), count(*) FROM strata_schema_history WHERE type <> 'SCHEMA' AND success GROUP BY 1`), keys)
	if n := queryInt(t, conn, `SELECT count(*) FROM strata_schema_history WHERE type <> 'SCHEMA'`); n != 50*5 {
		t.Errorf("history has %d rows, want %d", n, 50*5)
	}
	checkHistoryPerTenantUnique(t, conn)

	info := p.infoJSON(t)
	if len(info.Targets) != 50 || info.Summary.Targets != 50 || info.Summary.UpToDate != 50 || info.Summary.Failed != 0 || info.Summary.Behind != 0 {
		t.Errorf("info: %d targets, summary %+v; want 50 targets, all up to date", len(info.Targets), info.Summary)
	}
	for _, tg := range info.Targets {
		if !tg.UpToDate || tg.SchemaVersion != "4" || tg.Pending != 0 || tg.Failed != 0 {
			t.Errorf("info: target %s: upToDate %v, version %q, pending %d, failed %d; want up to date at 4", tg.Target, tg.UpToDate, tg.SchemaVersion, tg.Pending, tg.Failed)
		}
	}

	again := p.mustRun(t, 0, "migrate")
	if s := parseRollout(t, again.stdout).summary; len(s) != 6 || s[0] != 50 || s[1] != 0 || s[2] != 0 || s[3] != 50 {
		t.Errorf("a second migrate should apply nothing and find 50 targets up to date:\n%s", again)
	}
	if n := queryInt(t, conn, `SELECT count(*) FROM strata_schema_history WHERE type <> 'SCHEMA'`); n != 50*5 {
		t.Errorf("after a second migrate the history has %d rows, want %d", n, 50*5)
	}
	waitNoAdvisoryLocks(t, conn)
}

// --- 2. partial failure, on_error = "continue" --------------------------

// TestTenantsPartialFailureContinue: a migration fails on 3 of 20 tenants
// because of their data; the 17 others are migrated, the 3 are reported
// by migrate and info, and once the data is fixed a re-run migrates only
// those 3.
func TestTenantsPartialFailureContinue(t *testing.T) {
	url := pgtest.Database(t)
	conn := connect(t, url)
	tenants := tenantNames("tenant_", 20)
	bad := []string{"tenant_04", "tenant_11", "tenant_17"}
	for _, tn := range tenants {
		execAll(t, conn, "CREATE SCHEMA "+quoteIdent(tn))
	}
	execAll(t, conn, `CREATE SCHEMA other_app`) // not matched by the pattern
	p := newProject(t, url, tenantsBlock(`pattern = "tenant_*"`, "parallel = 4", `on_error = "continue"`), map[string]string{
		"V1__accounts.sql": "CREATE TABLE accounts (id int PRIMARY KEY, name text NOT NULL);\n",
	})
	p.mustRun(t, 0, "migrate")
	for _, tn := range bad {
		execAll(t, conn, "INSERT INTO "+quoteIdent(tn)+".accounts VALUES (1, 'conflicting')")
	}
	p.addMigration(t, "V2__system_account.sql", "INSERT INTO accounts VALUES (1, 'system');\n")
	p.addMigration(t, "V3__audit.sql", "CREATE TABLE audit_log (id int PRIMARY KEY, account_id int REFERENCES accounts (id));\n")

	r := p.mustRun(t, 1, "migrate")
	ft := failedTargets(r.stderr)
	if !sameSet(sortedKeys(ft), bad) {
		t.Errorf("stderr's failed targets: %v, want %v:\n%s", sortedKeys(ft), bad, r)
	}
	for tn, msg := range ft {
		if !strings.Contains(msg, "V2__system_account.sql") || !strings.Contains(msg, "duplicate key") {
			t.Errorf("failed target %s: the message should name the file and the error: %q", tn, msg)
		}
	}
	ro := parseRollout(t, r.stdout)
	if !sameSet(ro.failed, bad) || len(ro.applied) != 17 {
		t.Errorf("the progress lines should show 17 tenants migrated and %v failed; got %d migrated, failed %v:\n%s", bad, len(ro.applied), ro.failed, r)
	}
	if s := ro.summary; len(s) != 6 || s[0] != 20 || s[1] != 17 || s[5] != 3 {
		t.Errorf("summary should say 20 targets, 17 migrated, 3 failed:\n%s", r)
	}

	isBad := map[string]bool{}
	for _, tn := range bad {
		isBad[tn] = true
	}
	hist := tenantHistory(t, conn)
	for _, tn := range tenants {
		want := []string{"1", "2", "3"}
		if isBad[tn] {
			want = []string{"1"}
		}
		if fmt.Sprint(hist[tn]) != fmt.Sprint(want) {
			t.Errorf("tenant %s: history %v, want %v", tn, hist[tn], want)
		}
	}
	if len(hist) != 20 {
		t.Errorf("history names %d tenants, want 20: %v", len(hist), sortedKeys(hist))
	}
	if n := failedHistoryRows(t, conn); n != 0 {
		t.Errorf("%d failed history rows: a transactional migration that fails leaves none", n)
	}
	for _, tn := range bad {
		if n := queryInt(t, conn, `SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'audit_log'`, tn); n != 0 {
			t.Errorf("tenant %s has audit_log although V2 failed before V3", tn)
		}
	}

	info := p.infoJSON(t)
	var infoFailed []string
	for _, f := range info.Summary.Failures {
		infoFailed = append(infoFailed, f.Target)
	}
	if info.Summary.Failed != 3 || info.Summary.UpToDate != 17 || !sameSet(infoFailed, bad) {
		t.Errorf("info: summary failed %d (%v), up to date %d; want failed 3 %v, up to date 17", info.Summary.Failed, infoFailed, info.Summary.UpToDate, bad)
	}
	text := p.mustRun(t, 0, "info")
	if !regexp.MustCompile(`(?m)^\s*failed:\s+3$`).MatchString(text.stdout) {
		t.Errorf("info's summary should say failed: 3:\n%s", text)
	}
	for _, tn := range bad {
		if !strings.Contains(text.stdout, tn) {
			t.Errorf("info's summary should name %s:\n%s", tn, text)
		}
	}

	// Fix the data; the re-run migrates those 3 only.
	for _, tn := range bad {
		execAll(t, conn, "DELETE FROM "+quoteIdent(tn)+".accounts WHERE id = 1")
	}
	re := p.mustRun(t, 0, "migrate")
	ro = parseRollout(t, re.stdout)
	if !sameSet(sortedKeys(ro.applied), bad) {
		t.Errorf("the re-run should migrate exactly %v; it reports %v:\n%s", bad, sortedKeys(ro.applied), re)
	}
	if s := ro.summary; len(s) != 6 || s[1] != 3 || s[2] != 6 || s[3] != 17 || s[5] != 0 {
		t.Errorf("the re-run's summary should say 3 migrated (6 migrations), 17 already up to date:\n%s", re)
	}
	hist = tenantHistory(t, conn)
	for _, tn := range tenants {
		if fmt.Sprint(hist[tn]) != "[1 2 3]" {
			t.Errorf("after the re-run, tenant %s: history %v, want [1 2 3]", tn, hist[tn])
		}
	}
	checkHistoryPerTenantUnique(t, conn)
	if info := p.infoJSON(t); info.Summary.UpToDate != 20 || info.Summary.Failed != 0 {
		t.Errorf("info after the re-run: %+v; want 20 up to date", info.Summary)
	}
	waitNoAdvisoryLocks(t, conn)
}

// --- 3. on_error = "stop" -----------------------------------------------

// TestTenantsOnErrorStop: one tenant at a time; the second fails; the
// tenants after it must not be started.
func TestTenantsOnErrorStop(t *testing.T) {
	url := pgtest.Database(t)
	conn := connect(t, url)
	tenants := tenantNames("tenant_", 10)
	// V1 gives tenant_02 an account 1: V2 fails there. (A schema that
	// holds objects before its first migration would be refused instead.)
	p := newProject(t, url, tenantsBlock("schemas = "+hclList(tenants), "parallel = 1", `on_error = "stop"`), map[string]string{
		"V1__accounts.sql": "CREATE TABLE IF NOT EXISTS accounts (id int PRIMARY KEY, name text NOT NULL);\n" +
			"INSERT INTO accounts SELECT 1, 'conflicting' WHERE current_schema() = 'tenant_02';\n",
		"V2__system_account.sql": "INSERT INTO accounts VALUES (1, 'system');\n",
		"V3__audit.sql":          "CREATE TABLE audit_log (id int PRIMARY KEY);\n",
	})

	r := p.mustRun(t, 1, "migrate")
	if msg := failedTargets(r.stderr)["tenant_02"]; !strings.Contains(msg, "duplicate key") {
		t.Errorf("stderr should list tenant_02 as failed with the duplicate key error:\n%s", r)
	}
	hist := tenantHistory(t, conn)
	if fmt.Sprint(hist["tenant_01"]) != "[1 2 3]" {
		t.Errorf("tenant_01 (before the failure): history %v, want [1 2 3]", hist["tenant_01"])
	}
	if fmt.Sprint(hist["tenant_02"]) != "[1]" {
		t.Errorf("tenant_02 (failed at V2): history %v, want [1]", hist["tenant_02"])
	}
	var started []string
	for _, tn := range tenants[2:] {
		rel := relationsIn(t, conn, tn)
		if len(hist[tn]) > 0 || len(rel) > 0 {
			started = append(started, fmt.Sprintf("%s (history %v, tables %v)", tn, hist[tn], rel))
		}
	}
	if len(started) > 0 {
		t.Errorf("on_error = \"stop\", parallel = 1: tenant_02 failed, so no tenant after it may start; these were migrated:\n  %s\n%s",
			strings.Join(started, "\n  "), r)
	}
	if n := queryInt(t, conn, `SELECT count(*) FROM strata_schema_history_state WHERE tenant NOT IN ('tenant_01', 'tenant_02')`); n != 0 {
		t.Errorf("%d state rows for tenants after the failed one, want 0", n)
	}
	waitNoAdvisoryLocks(t, conn)
}

// --- 4. several processes over the same tenants --------------------------

// TestConcurrentProcessesOverTenants starts four strata processes at once
// over 40 tenants: they share the tenants, each migration runs once per
// tenant, and their outputs together name every tenant.
func TestConcurrentProcessesOverTenants(t *testing.T) {
	url := pgtest.Database(t)
	conn := connect(t, url)
	tenants := tenantNames("tenant_", 40)
	files := map[string]string{}
	var keys []string
	for v := 1; v <= 6; v++ {
		files[fmt.Sprintf("V%d__step%d.sql", v, v)] = fmt.Sprintf(
			"CREATE TABLE t%[1]d (id int PRIMARY KEY, v text);\nINSERT INTO t%[1]d SELECT g, 'row ' || g FROM generate_series(1, 200) g;\nINSERT INTO applied_log (version) VALUES (%[1]d);\n", v)
		keys = append(keys, strconv.Itoa(v))
	}
	files["V1__step1.sql"] = "CREATE TABLE applied_log (version int NOT NULL, pid int NOT NULL DEFAULT pg_backend_pid());\n" + files["V1__step1.sql"]
	p := newProject(t, url, tenantsBlock(`query = "SELECT 'tenant_' || lpad(g::text, 2, '0') FROM generate_series(1, 40) g"`, "parallel = 4"), files)
	strataBinary(t)

	procs := make([]*proc, campaignRunners(t))
	for i := range procs {
		procs[i] = p.start(t, "migrate")
	}
	appliedBy := map[string][]int{} // tenant -> processes that applied to it
	type other struct {
		proc   int
		tenant string
	}
	var byOther []other
	total := 0
	for i, pr := range procs {
		r := pr.wait()
		if r.code != 0 {
			t.Errorf("process %d: want exit 0, got:\n%s", i, r)
			continue
		}
		ro := parseRollout(t, r.stdout)
		for tn, n := range ro.applied {
			appliedBy[tn] = append(appliedBy[tn], i)
			total += n
			if n != 6 {
				t.Errorf("process %d applied %d migrations to %s, want all 6 (one runner per tenant)", i, n, tn)
			}
		}
		for _, tn := range ro.byOther {
			byOther = append(byOther, other{i, tn})
		}
		if s := ro.summary; len(s) != 6 || s[0] != 40 || s[1]+s[3]+s[4] != 40 || s[5] != 0 {
			t.Errorf("process %d: summary should account for 40 targets (migrated + up to date + done by another runner):\n%s", i, r)
		}
	}
	var missing, twice []string
	for _, tn := range tenants {
		switch n := len(appliedBy[tn]); {
		case n == 0:
			missing = append(missing, tn)
		case n > 1:
			twice = append(twice, fmt.Sprintf("%s by processes %v", tn, appliedBy[tn]))
		}
	}
	if len(missing) > 0 || len(twice) > 0 {
		t.Errorf("every tenant should be reported migrated by exactly one process; none: %v; several: %v", missing, twice)
	}
	for _, o := range byOther {
		if by := appliedBy[o.tenant]; len(by) == 0 || by[0] == o.proc {
			t.Errorf("process %d says %s was done by another runner, but no other process reports migrating it (%v)", o.proc, o.tenant, by)
		}
	}
	if total != 40*6 {
		t.Errorf("the outputs report %d migrations applied in all, want %d", total, 40*6)
	}

	var want []string
	for _, tn := range tenants {
		for _, k := range keys {
			want = append(want, tn+" "+k)
		}
	}
	exactlyOnce(t, "successful history rows per (tenant, version)",
		counts(t, conn, `SELECT tenant || ' ' || version, count(*) FROM strata_schema_history WHERE type <> 'SCHEMA' AND success GROUP BY 1`), want)
	if n := failedHistoryRows(t, conn); n != 0 {
		t.Errorf("%d failed history rows, want none", n)
	}
	checkHistoryPerTenantUnique(t, conn)
	for _, tn := range []string{"tenant_01", "tenant_20", "tenant_40"} {
		got := counts(t, conn, `SELECT version::text, count(*) FROM `+quoteIdent(tn)+`.applied_log GROUP BY 1`)
		exactlyOnce(t, tn+".applied_log (one row per file run)", got, keys)
	}
	waitNoAdvisoryLocks(t, conn)
}

// --- 5. hostile tenant names ----------------------------------------------

// TestHostileTenantName: tenant names that need quoting (one that tries SQL
// injection, one with a space and a capital letter) are schemas like any
// other; ${strata:schema} quotes them; ${strata:tenant}, raw, is refused
// for them before anything runs.
func TestHostileTenantName(t *testing.T) {
	const hostile = `x"; DROP TABLE y; --`
	const spaced = "Acme Corp"
	const plain = "plain_t"
	tenants := []string{hostile, spaced, plain}
	url := pgtest.Database(t)
	conn := connect(t, url)
	execAll(t, conn, `CREATE TABLE public.y (id int)`, `INSERT INTO public.y VALUES (42)`)
	p := newProject(t, url, tenantsBlock("schemas = "+hclList(tenants), "parallel = 2"), map[string]string{
		"V1__items.sql": "CREATE TABLE items (id int PRIMARY KEY, label text);\nINSERT INTO items VALUES (1, 'one');\n",
		"V2__notes.sql": "-- notes for ${strata:schema}\nCREATE TABLE ${strata:schema}.notes (id int);\nINSERT INTO ${strata:schema}.notes VALUES (1);\n" +
			"COMMENT ON TABLE ${strata:schema}.notes IS 'notes';\n",
	})

	r := p.mustRun(t, 0, "migrate")
	if !sameSet(sortedKeys(parseRollout(t, r.stdout).applied), tenants) {
		t.Errorf("migrate should report the three tenants migrated:\n%s", r)
	}
	if n := queryInt(t, conn, `SELECT count(*) FROM public.y WHERE id = 42`); n != 1 {
		t.Errorf("public.y lost its row")
	}
	for _, tn := range tenants {
		if !schemaExists(t, conn, tn) {
			t.Errorf("schema %q does not exist", tn)
			continue
		}
		if rel := relationsIn(t, conn, tn); fmt.Sprint(rel) != "[items notes]" {
			t.Errorf("schema %q holds %v, want [items notes]", tn, rel)
		}
		if n := queryInt(t, conn, `SELECT count(*) FROM `+quoteIdent(tn)+`.notes`); n != 1 {
			t.Errorf("%q.notes has %d rows, want 1", tn, n)
		}
	}
	if rel := relationsIn(t, conn, "public"); fmt.Sprint(rel) != "[strata_schema_history strata_schema_history_meta strata_schema_history_state y]" {
		t.Errorf("public holds %v: a migration ran outside its tenant's schema", rel)
	}
	for _, s := range []string{"x", "acme corp", "Acme", "acme"} {
		if schemaExists(t, conn, s) {
			t.Errorf("schema %q exists: a tenant name was not quoted", s)
		}
	}
	hist := tenantHistory(t, conn)
	for _, tn := range tenants {
		if fmt.Sprint(hist[tn]) != "[1 2]" {
			t.Errorf("tenant %q: history %v, want [1 2]", tn, hist[tn])
		}
	}

	// A raw ${strata:tenant} is refused for names that need quoting,
	// before anything runs on any tenant.
	p.addMigration(t, "V3__raw_tenant.sql", "-- for tenant ${strata:tenant}\nCREATE TABLE raw_t (id int);\n")
	r = p.run(t, "migrate")
	if r.code != exitValidation {
		t.Errorf("a migration with ${strata:tenant} for tenant %q: want exit %d (refused before anything runs, like undefined placeholders), got:\n%s", hostile, exitValidation, r)
	}
	if r.code == 0 {
		t.Fatalf("the migration was not refused")
	}
	if !strings.Contains(r.stderr, "${strata:schema}") || !strings.Contains(r.stderr, "V3__raw_tenant.sql") {
		t.Errorf("the refusal should name the file and say to use ${strata:schema}:\n%s", r)
	}
	if n := queryInt(t, conn, `SELECT count(*) FROM strata_schema_history WHERE type <> 'SCHEMA' AND version = '3'`); n != 0 {
		t.Errorf("%d history rows for V3: it must be refused before anything runs, on every tenant", n)
	}
	if n := queryInt(t, conn, `SELECT count(*) FROM information_schema.tables WHERE table_name = 'raw_t'`); n != 0 {
		t.Errorf("raw_t was created in %d schema(s): V3 must not run", n)
	}
	if n := queryInt(t, conn, `SELECT count(*) FROM public.y`); n != 1 {
		t.Errorf("public.y has %d rows, want 1", n)
	}
	// For a plain name the raw placeholder is fine.
	p.mustRun(t, 0, "migrate", "--tenant", plain)
	if n := queryInt(t, conn, `SELECT count(*) FROM information_schema.tables WHERE table_name = 'raw_t' AND table_schema = $1`, plain); n != 1 {
		t.Errorf("migrate --tenant %s should apply V3 there", plain)
	}
	waitNoAdvisoryLocks(t, conn)
}

// --- 6. SIGTERM in the middle of a rollout --------------------------------

// TestSigtermMidRollout sends SIGTERM once the first of 30 tenants is
// done: exit 130, each tenant migrated or untouched, no lock left, and a
// plain re-run finishes the job.
//
// The only migration is one transaction (a slow one): the SIGTERM rolls
// it back or it commits whole. With several migrations per tenant, a
// tenant interrupted between two of them keeps the first, by design
// ("migrations already applied are kept").
func TestSigtermMidRollout(t *testing.T) {
	url := pgtest.Database(t)
	conn := connect(t, url)
	tenants := tenantNames("tenant_", 30)
	p := newProject(t, url, tenantsBlock(`query = "SELECT 'tenant_' || lpad(g::text, 2, '0') FROM generate_series(1, 30) g"`, "parallel = 2"), map[string]string{
		"V1__slow.sql": "CREATE TABLE items (id int PRIMARY KEY);\nINSERT INTO items VALUES (1);\nSELECT pg_sleep(0.2);\nINSERT INTO items VALUES (2);\nCREATE INDEX items_id_idx ON items (id);\n",
	})
	strataBinary(t)

	pr := p.start(t, "migrate")
	waitForOutput(t, pr, regexp.MustCompile(`(?m)^\[1/\d+\] `))
	if err := pr.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	r := pr.wait()
	if r.code != exitInterrupted {
		t.Errorf("after SIGTERM: want exit %d, got:\n%s", exitInterrupted, r)
	}
	waitNoAdvisoryLocks(t, conn)

	hist := tenantHistory(t, conn)
	var migrated, untouched []string
	for _, tn := range tenants {
		rel := relationsIn(t, conn, tn)
		switch {
		case len(hist[tn]) == 0 && len(rel) == 0:
			untouched = append(untouched, tn)
		case fmt.Sprint(hist[tn]) == "[1]" && fmt.Sprint(rel) == "[items]" &&
			queryInt(t, conn, `SELECT count(*) FROM `+quoteIdent(tn)+`.items`) == 2:
			migrated = append(migrated, tn)
		default:
			t.Errorf("tenant %s is neither migrated nor untouched: history %v, tables %v", tn, hist[tn], rel)
		}
	}
	if n := failedHistoryRows(t, conn); n != 0 {
		t.Errorf("%d failed history rows, want none", n)
	}
	for tn := range parseRollout(t, r.stdout).applied {
		if !contains(migrated, tn) {
			t.Errorf("the interrupted run reported %s migrated, but it is not", tn)
		}
	}
	if len(migrated) == 0 {
		t.Errorf("the tenant reported done before the SIGTERM is not migrated")
	}
	t.Logf("after SIGTERM: %d tenants migrated, %d untouched", len(migrated), len(untouched))

	re := p.mustRun(t, 0, "migrate")
	if s := parseRollout(t, re.stdout).summary; len(s) != 6 || s[1] != len(untouched) || s[3] != len(migrated) {
		t.Errorf("the re-run should migrate the %d untouched tenants and find %d up to date:\n%s", len(untouched), len(migrated), re)
	}
	hist = tenantHistory(t, conn)
	for _, tn := range tenants {
		if fmt.Sprint(hist[tn]) != "[1]" {
			t.Errorf("after the re-run, tenant %s: history %v, want [1]", tn, hist[tn])
		}
	}
	checkHistoryPerTenantUnique(t, conn)
	waitNoAdvisoryLocks(t, conn)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestSigtermRollsBackRunningMigration: SIGTERM while a tenant's migration
// runs (it waits on an advisory lock the test holds) must roll that
// migration back and release the tenant's lock before strata exits 130.
// The migration must not go on running after strata has exited, and must
// not commit when the lock it waited for is released.
//
// Whether it does depends on a race inside strata (pgx sends the server
// its cancel request from a goroutine that os.Exit may cut short), so the
// scenario is repeated a few times; it stops at the first orphaned run.
func TestSigtermRollsBackRunningMigration(t *testing.T) {
	const gate = 4250
	url := pgtest.Database(t)
	conn := connect(t, url)
	p := newProject(t, url, tenantsBlock(`schemas = ["tenant_a", "tenant_b"]`, "parallel = 1"), map[string]string{
		"V1__t.sql":     "CREATE TABLE t (id int);\n",
		"V2__gated.sql": fmt.Sprintf("SELECT pg_advisory_xact_lock(%d);\nINSERT INTO t VALUES (2);\n", gate),
	})
	strataBinary(t)
	ctx := context.Background()
	var self int
	if err := conn.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&self); err != nil {
		t.Fatal(err)
	}
	// Advisory locks held or awaited by sessions other than the test's:
	// strata's.
	const strataLocks = `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid <> $1
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`

	const rounds = 8
	orphaned := false
	for round := 1; round <= rounds && !orphaned; round++ {
		execAll(t, conn, fmt.Sprintf(`SELECT pg_advisory_lock(%d)`, gate))
		pr := p.start(t, "migrate")
		backend := waitForWaiter(t, conn, pr, gate) // tenant_a's V2 waits
		if err := pr.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatalf("SIGTERM: %v", err)
		}
		r := pr.wait()
		if r.code != exitInterrupted {
			t.Errorf("round %d: after SIGTERM: want exit %d, got:\n%s", round, exitInterrupted, r)
		}
		// strata has exited: its session must neither hold tenant_a's lock
		// nor run V2 any more, although the gate is still held. A cancelled
		// statement ends at once; the bound only keeps a broken build from
		// hanging the suite (no speed is asserted).
		deadline := time.Now().Add(time.Minute)
		for queryInt(t, conn, strataLocks, self) > 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if n := queryInt(t, conn, strataLocks, self); n > 0 {
			orphaned = true
			held := queryInt(t, conn, strataLocks+` AND granted`, self)
			var state, query string
			_ = conn.QueryRow(ctx, `SELECT COALESCE(state, '') || '/' || COALESCE(wait_event_type, ''), left(query, 200) FROM pg_stat_activity WHERE pid = $1`, backend).Scan(&state, &query)
			t.Errorf("round %d: strata exited with %d after SIGTERM, but a minute later its backend (pid %d, %s) still holds %d advisory lock(s) (the tenant's) and still runs V2's transaction (%q): "+
				"the running migration was not cancelled on the server, so it was not rolled back and the tenant's lock was not released",
				round, r.code, backend, state, held, query)
		}
		execAll(t, conn, fmt.Sprintf(`SELECT pg_advisory_unlock(%d)`, gate))
		waitNoAdvisoryLocks(t, conn)
		// Once the gate opens, V2 must stay rolled back.
		hist := tenantHistory(t, conn)
		if rows := queryInt(t, conn, `SELECT count(*) FROM tenant_a.t`); fmt.Sprint(hist["tenant_a"]) != "[1]" || rows != 0 {
			orphaned = true
			t.Errorf("round %d: tenant_a after the interrupted run: history %v, %d row(s) in t; want [1] and none: V2 committed after strata had exited "+
				"(which reported tenant_a as %q) instead of being rolled back", round, hist["tenant_a"], rows, failedTargets(r.stderr)["tenant_a"])
		}
		if len(hist["tenant_b"]) != 0 {
			t.Errorf("round %d: tenant_b should not have been started: history %v", round, hist["tenant_b"])
		}
		if !orphaned {
			t.Logf("round %d: V2 was rolled back and the lock released", round)
		}
	}

	p.mustRun(t, 0, "migrate")
	hist := tenantHistory(t, conn)
	for _, tn := range []string{"tenant_a", "tenant_b"} {
		if fmt.Sprint(hist[tn]) != "[1 2]" {
			t.Errorf("after the re-run, %s: history %v, want [1 2]", tn, hist[tn])
		}
	}
	waitNoAdvisoryLocks(t, conn)
}

// --- 7. --tenant -----------------------------------------------------------

// TestTenantFlag: --tenant restricts a run to the named tenants; an
// unknown name is an error that names it, and changes nothing.
func TestTenantFlag(t *testing.T) {
	url := pgtest.Database(t)
	conn := connect(t, url)
	tenants := tenantNames("tenant_", 8)
	p := newProject(t, url, tenantsBlock("schemas = "+hclList(tenants)), map[string]string{
		"V1__a.sql": "CREATE TABLE a (id int PRIMARY KEY);\n",
		"V2__b.sql": "CREATE TABLE b (id int PRIMARY KEY);\n",
	})

	r := p.mustRun(t, 0, "migrate", "--tenant", "tenant_03", "--tenant", "tenant_05")
	want := []string{"tenant_03", "tenant_05"}
	if got := sortedKeys(parseRollout(t, r.stdout).applied); !sameSet(got, want) {
		t.Errorf("migrate --tenant tenant_03 --tenant tenant_05 reports %v migrated, want %v:\n%s", got, want, r)
	}
	check := func(when string) {
		t.Helper()
		hist := tenantHistory(t, conn)
		if got := sortedKeys(hist); !sameSet(got, want) {
			t.Errorf("%s: history names %v, want %v", when, got, want)
		}
		for _, tn := range want {
			if fmt.Sprint(hist[tn]) != "[1 2]" {
				t.Errorf("%s: %s history %v, want [1 2]", when, tn, hist[tn])
			}
		}
		for _, tn := range tenants {
			if contains(want, tn) {
				continue
			}
			if rel := relationsIn(t, conn, tn); len(rel) > 0 {
				t.Errorf("%s: %s has tables %v, want none", when, tn, rel)
			}
		}
	}
	check("after --tenant tenant_03 --tenant tenant_05")

	for _, args := range [][]string{
		{"migrate", "--tenant", "tenant_99"},
		{"migrate", "--tenant", "tenant_03", "--tenant", "no_such_tenant"},
		{"info", "--tenant", "tenant_99"},
	} {
		r := p.run(t, args...)
		unknown := args[len(args)-1]
		if r.code == 0 {
			t.Errorf("an unknown tenant must be an error; got:\n%s", r)
		}
		if !strings.Contains(r.stderr, unknown) {
			t.Errorf("the error should name %s:\n%s", unknown, r)
		}
		if schemaExists(t, conn, unknown) {
			t.Errorf("%s: schema %s was created", strings.Join(args, " "), unknown)
		}
	}
	check("after the unknown tenants")

	r = p.mustRun(t, 0, "migrate")
	if s := parseRollout(t, r.stdout).summary; len(s) != 6 || s[1] != 6 || s[3] != 2 {
		t.Errorf("a plain migrate should migrate the 6 other tenants:\n%s", r)
	}
	waitNoAdvisoryLocks(t, conn)
}
