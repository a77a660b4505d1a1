package main

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stratadb/strata/internal/pgtest"
)

// pipelineSet is many small transactional migrations: PostgreSQL gets them
// up to 64 at a time in one request (engine.Pipeliner), each in its own
// transaction with its history row, the flush of all but the last commit
// of a request deferred (group commit). Each sleeps a little, so that a
// request takes long enough for kills to land inside it.
func pipelineSet(n int) (map[string]string, []string) {
	files := map[string]string{"V1__ledger.sql": "CREATE TABLE ledger (k text NOT NULL);\nINSERT INTO ledger VALUES ('1');\n"}
	keys := []string{"1"}
	for v := 2; v <= n; v++ {
		k := strconv.Itoa(v)
		files[fmt.Sprintf("V%d__step.sql", v)] = "INSERT INTO ledger VALUES ('" + k + "');\nSELECT pg_sleep(0.003);\n"
		keys = append(keys, k)
	}
	return files, keys
}

// TestKillMidPipeline kills strata migrate (SIGKILL) at many moments while
// it sends pipelined requests of small migrations, several times in a row
// on one database, then runs it plainly: every migration must be applied
// exactly once, in the ledger and the history, with nothing left failed or
// locked. The server goes on with a request after its client died until
// it notices; the next run waits for the lock it still holds.
func TestKillMidPipeline(t *testing.T) {
	strataBinary(t)
	rng := campaignRand(t)
	const n = 200
	files, keys := pipelineSet(n)

	var full time.Duration
	{
		p := newProject(t, pgtest.Database(t), "", files)
		began := time.Now()
		p.mustRun(t, 0, "migrate")
		full = time.Since(began)
	}
	rounds := campaignRounds(t)
	mid := 0 // kills after which the history held part of a request
	kills := 0
	for round := 0; round < rounds; round++ {
		url := pgtest.Database(t)
		p := newProject(t, url, "", files)
		for k := 0; k < killsPerRound; k++ {
			pr := p.start(t, "migrate")
			time.Sleep(time.Duration(rng.Int64N(int64(full) + 1)))
			r := pr.kill()
			if r.code == 0 {
				break // it finished first
			}
			if r.code != -1 {
				t.Fatalf("round %d: a run failed before it was killed:\n%s", round, r)
			}
			kills++
			conn := connect(t, url)
			got := 0 // the history table may not be there yet
			if queryInt(t, conn, "SELECT count(*) FROM pg_tables WHERE tablename = 'strata_schema_history'") == 1 {
				got = queryInt(t, conn, "SELECT count(*) FROM strata_schema_history WHERE success")
			}
			if got%64 != 0 && got != n {
				mid++
			}
			conn.Close(t.Context())
		}
		if r := p.run(t, "migrate"); r.code != 0 {
			t.Fatalf("round %d: the plain run after the kills failed:\n%s", round, r)
		}
		conn := connect(t, url)
		exactlyOnce(t, "ledger", counts(t, conn, "SELECT k, count(*)::int FROM ledger GROUP BY k"), keys)
		ok, failed := historyCounts(t, conn)
		exactlyOnce(t, "history", ok, keys)
		if failed != 0 {
			t.Errorf("round %d: %d failed history rows", round, failed)
		}
		checkNoDuplicateHistory(t, conn)
		waitNoAdvisoryLocks(t, conn)
		conn.Close(t.Context())
		if r := p.run(t, "validate"); r.code != 0 {
			t.Errorf("round %d: validate after recovery:\n%s", round, r)
		}
		if t.Failed() {
			t.Fatalf("round %d failed", round)
		}
	}
	t.Logf("%d rounds, %d kills while strata ran, %d of them left a request partly committed (a full run takes %v); 0 migrations lost or duplicated",
		rounds, kills, mid, full.Round(time.Millisecond))
}
