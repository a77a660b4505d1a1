package main

// Process-level tests of staged rollouts on one database: --shard across
// runners (helpers in process_test.go and tenants_process_test.go).

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stratadb/strata/engine"
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
