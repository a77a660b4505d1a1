package postgres_test

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/internal/pgtest"
)

// TestGroupCommitServerCrash crashes the server of a throwaway cluster
// (pg_ctl restart -m immediate) while strata sends small migrations
// several at a time with group commit: every commit of a request but the
// last returns before its flush. The crash may lose migrations committed
// but not yet flushed, each together with its history row. What strata
// reported applied must have survived, and a re-run must finish with
// every migration applied exactly once.
func TestGroupCommitServerCrash(t *testing.T) {
	c := pgtest.NewCluster(t)
	admin := openURL(t, c.URL())
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	const n = 150
	files := map[string]string{"V1__ledger.sql": "CREATE TABLE ledger (k int NOT NULL);\nINSERT INTO ledger VALUES (1);\n"}
	for v := 2; v <= n; v++ {
		files[fmt.Sprintf("V%d__step.sql", v)] = fmt.Sprintf("INSERT INTO ledger VALUES (%d);\nSELECT pg_sleep(0.002);\n", v)
	}
	lostTotal := 0
	for round := range 3 {
		name := "crash" + strconv.Itoa(round)
		// The cluster commits asynchronously by default; this database
		// flushes every commit unless strata defers it.
		for _, q := range []string{"CREATE DATABASE " + name, "ALTER DATABASE " + name + " SET synchronous_commit = on"} {
			if _, err := admin.ExecContext(ctx(t), q); err != nil {
				t.Fatal(err)
			}
		}
		u, _ := url.Parse(c.URL())
		u.Path = "/" + name
		db := openURL(t, u.String())
		watch := openURL(t, u.String())
		type outcome struct {
			res *engine.Result
			err error
		}
		done := make(chan outcome, 1)
		go func() {
			res, err := migrator(t, db, files).Migrate(ctx(t))
			done <- outcome{res, err}
		}()
		at := 1 + rng.IntN(n-20) // crash once this many history rows are there
		for {
			var rows int
			_ = watch.QueryRowContext(ctx(t), "SELECT count(*) FROM strata_schema_history").Scan(&rows)
			if rows >= at {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err := c.Restart(); err != nil {
			t.Fatal(err)
		}
		out := <-done
		if out.err == nil {
			t.Fatalf("round %d: migrate finished before the crash", round)
		}
		db, watch = openURL(t, u.String()), openURL(t, u.String()) // the old pools died with the server
		kept := scalar[int](t, watch, "SELECT count(*) FROM strata_schema_history WHERE success")
		reported := 0
		if out.res != nil {
			reported = out.res.Applied()
		}
		if kept < reported {
			t.Errorf("round %d: strata reported %d migrations applied, but only %d survived the crash: %v", round, reported, kept, out.err)
		}
		// Applied rows in the ledger and the history agree: a lost
		// migration lost its history row with it.
		if l := scalar[int](t, watch, "SELECT CASE WHEN to_regclass('ledger') IS NULL THEN 0 ELSE (xpath('/row/c/text()', query_to_xml('SELECT count(*) AS c FROM ledger', false, true, '')))[1]::text::int END"); l != kept {
			t.Errorf("round %d: after the crash the ledger has %d rows and the history %d", round, l, kept)
		}
		lostTotal += max(0, at-kept)
		res, err := migrator(t, db, files).Migrate(ctx(t))
		if err != nil {
			t.Fatalf("round %d: re-run: %v", round, err)
		}
		if got := kept + res.Applied(); got != n {
			t.Errorf("round %d: %d kept + %d re-applied = %d, want %d", round, kept, res.Applied(), got, n)
		}
		if s := scalar[string](t, watch, "SELECT count(*) || ' ' || count(DISTINCT k) || ' ' || min(k) || ' ' || max(k) FROM ledger"); s != fmt.Sprintf("%d %d 1 %d", n, n, n) {
			t.Errorf("round %d: ledger rows, distinct, min, max = %s; want each of 1..%d once", round, s, n)
		}
		if s := scalar[int](t, watch, "SELECT count(DISTINCT version) FROM strata_schema_history WHERE success"); s != n {
			t.Errorf("round %d: %d distinct versions in the history, want %d", round, s, n)
		}
		t.Logf("round %d: crash at >= %d history rows; strata had reported %d applied; %d survived; the re-run applied %d (%v)",
			round, at, reported, kept, res.Applied(), out.err)
	}
	t.Logf("history rows seen before a crash and lost in it, all rounds: at least %d", lostTotal)
}
