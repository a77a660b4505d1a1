package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stratadb/strata/engine/sqlite"
	"github.com/stratadb/strata/internal/pgtest"
)

// The crash campaign: strata migrate killed (SIGKILL, and SIGTERM) at random
// moments of a mixed workload, re-run, killed again, and finally run to the
// end. Afterwards every migration must be applied exactly once per target
// (a ledger written by the migrations themselves says so), the history must
// match the files, validate must be clean, and no advisory lock,
// idle-in-transaction session or INVALID index may be left.
//
// The test suite runs a reduced campaign. The full one (docs/reliability.md):
//
//	STRATA_CAMPAIGN_ROUNDS=70 STRATA_CAMPAIGN_RUNNERS=16 go test ./cmd/strata \
//	    -run 'TestCrashCampaign|TestConcurrentProcesses' -v -timeout 60m
//
// STRATA_CAMPAIGN_SEED repeats a campaign.

// campaignRounds is the number of rounds per database: each round is a
// fresh database and up to killsPerRound kills.
func campaignRounds(t *testing.T) int {
	if v := os.Getenv("STRATA_CAMPAIGN_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("STRATA_CAMPAIGN_ROUNDS=%q: want a positive number", v)
		}
		return n
	}
	return 6
}

const killsPerRound = 3

// campaignRunners is the number of strata processes started at once by the
// concurrency campaign (TestConcurrentProcesses, one schema, and
// TestConcurrentProcessesOverTenants): 8 in the suite, 16 in the full
// campaign (STRATA_CAMPAIGN_RUNNERS=16).
func campaignRunners(t *testing.T) int {
	if v := os.Getenv("STRATA_CAMPAIGN_RUNNERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("STRATA_CAMPAIGN_RUNNERS=%q: want a positive number", v)
		}
		return n
	}
	return 8
}

func campaignRand(t *testing.T) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("STRATA_CAMPAIGN_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("STRATA_CAMPAIGN_SEED=%q: %v", v, err)
		}
		seed = s
	}
	t.Logf("campaign seed %d (STRATA_CAMPAIGN_SEED=%d repeats it)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed^0x5eed))
}

// campaignStats counts what a campaign did, for its closing log line.
type campaignStats struct {
	kills, terms, finishedBeforeSignal, rounds int
	startupTerms                               int // SIGTERMs that killed the process before it could catch them (counted in kills)
}

func (s campaignStats) String() string {
	return fmt.Sprintf("%d rounds, %d SIGKILL and %d SIGTERM landed while strata ran (%d of the kills a SIGTERM during the Go runtime's start), %d signals came after it had finished",
		s.rounds, s.kills, s.terms, s.startupTerms, s.finishedBeforeSignal)
}

// interrupt runs strata migrate and signals it after delay: SIGTERM with
// probability 1/4, else SIGKILL. A SIGTERM must end the process with 130
// (or 0 when it had already finished). It reports whether the signal
// landed while strata ran.
func interrupt(t *testing.T, p *project, rng *rand.Rand, delay time.Duration, st *campaignStats) bool {
	t.Helper()
	pr := p.start(t, "migrate")
	term := rng.IntN(4) == 0
	select {
	case <-pr.done:
		st.finishedBeforeSignal++
		if r := pr.wait(); r.code != 0 {
			t.Fatalf("an uninterrupted run failed:\n%s", r)
		}
		return false
	case <-time.After(delay):
	}
	if term {
		_ = pr.cmd.Process.Signal(syscall.SIGTERM)
		r := pr.wait()
		switch {
		case r.code == exitInterrupted:
			st.terms++
			return true
		case r.code == 0:
			st.finishedBeforeSignal++
			return false
		case r.code == -1 && r.stdout == "" && r.stderr == "":
			// The signal came while the Go runtime was still starting,
			// before any package could catch it (internal/earlysignal is
			// initialised right after os/signal): the process died of it,
			// as of a SIGKILL, before it had read or printed anything.
			st.kills++
			st.startupTerms++
			return true
		default:
			t.Fatalf("after SIGTERM: want exit %d (or 0 when it had finished), got:\n%s", exitInterrupted, r)
		}
	}
	r := pr.kill()
	switch r.code {
	case -1:
		st.kills++
		return true
	case 0:
		st.finishedBeforeSignal++
		return false
	}
	t.Fatalf("a run failed before it was killed:\n%s", r)
	return false
}

// interruptRound signals up to killsPerRound successive runs at random
// moments; the window shrinks as the work left does, and a run that
// finished ends the round's signals (nothing is left to interrupt).
func interruptRound(t *testing.T, p *project, rng *rand.Rand, full time.Duration, st *campaignStats) {
	t.Helper()
	window := full
	for k := 0; k < killsPerRound; k++ {
		if !interrupt(t, p, rng, time.Duration(rng.Int64N(int64(window)+1)), st) {
			return
		}
		window = window * 2 / 3
	}
}

// campaignRound runs one round on a fresh project: the first round runs
// to the end uninterrupted and measures how long a full run takes (only to
// spread the signal moments over it); the others interrupt successive runs
// at random moments, then run migrate plainly to the end.
func campaignRound(t *testing.T, p *project, rng *rand.Rand, round int, full *time.Duration, st *campaignStats) {
	t.Helper()
	st.rounds++
	if round == 0 {
		began := time.Now()
		p.mustRun(t, 0, "migrate")
		*full = time.Since(began)
		return
	}
	interruptRound(t, p, rng, *full, st)
	if r := p.run(t, "migrate"); r.code != 0 {
		t.Fatalf("round %d: the plain run after the signals failed:\n%s", round, r)
	}
}

// pgCampaignSet is the PostgreSQL workload: transactional files, a
// non-transactional file with two CREATE INDEX CONCURRENTLY, a COPY, a
// repeatable; every file writes its key into the tenant's ledger, in the
// same transaction or statement as its work.
var pgCampaignSet = map[string]string{
	"V1__items.sql": "CREATE TABLE ledger (k text NOT NULL);\nCREATE TABLE items (id int PRIMARY KEY, v text);\nINSERT INTO ledger VALUES ('1');\n",
	"V2__fill.sql":  "INSERT INTO items SELECT g, 'v' || g FROM generate_series(1, 3000) g;\nINSERT INTO ledger VALUES ('2');\n",
	"V3__cic.sql": "CREATE INDEX CONCURRENTLY items_v_idx ON items (v);\n" +
		"CREATE INDEX CONCURRENTLY items_id_v_idx ON items (id, v);\nINSERT INTO ledger VALUES ('3');\n",
	"V4__copy.sql": "CREATE TABLE codes (c int);\nCOPY codes (c) FROM stdin;\n1\n2\n3\n\\.\nINSERT INTO ledger VALUES ('4');\n",
	"V5__slow.sql": "SELECT pg_sleep(0.02);\nUPDATE items SET v = v || '!' WHERE id % 7 = 0;\nINSERT INTO ledger VALUES ('5');\n",
	"R__view.sql":  "CREATE OR REPLACE VIEW items_view AS SELECT id, v FROM items;\nINSERT INTO ledger VALUES ('R');\n",
}

var campaignKeys = []string{"1", "2", "3", "4", "5", "R"}

func TestCrashCampaignPostgres(t *testing.T) {
	strataBinary(t)
	rng := campaignRand(t)
	rounds := campaignRounds(t)
	tenants := tenantNames("tenant_", 20)
	extra := tenantsBlock("schemas = "+hclList(tenants), "parallel = 4")
	var st campaignStats
	var full time.Duration
	for round := 0; round < rounds; round++ {
		url := pgtest.Database(t)
		p := newProject(t, url, extra, pgCampaignSet)
		campaignRound(t, p, rng, round, &full, &st)
		checkPGCampaign(t, p, url, tenants)
		if t.Failed() {
			t.Fatalf("round %d failed (%s)", round, st)
		}
	}
	t.Logf("PostgreSQL crash campaign: %s; 0 migrations lost or duplicated, 0 locks left", st)
}

// checkPGCampaign checks the end state of one round.
func checkPGCampaign(t *testing.T, p *project, url string, tenants []string) {
	t.Helper()
	conn := connect(t, url)
	defer conn.Close(t.Context())
	hist := tenantHistory(t, conn)
	want := fmt.Sprint([]string{"1", "2", "3", "4", "5", "R:view"})
	for _, tn := range tenants {
		if got := fmt.Sprint(hist[tn]); got != want {
			t.Errorf("tenant %s: history %s, want %s", tn, got, want)
		}
		ledger := counts(t, conn, "SELECT k, count(*)::int FROM "+quoteIdent(tn)+".ledger GROUP BY k")
		exactlyOnce(t, "ledger of "+tn, ledger, campaignKeys)
		if n := queryInt(t, conn, "SELECT count(*) FROM "+quoteIdent(tn)+".codes"); n != 3 {
			t.Errorf("tenant %s: the COPY left %d rows, want 3", tn, n)
		}
	}
	checkHistoryPerTenantUnique(t, conn)
	if n := failedHistoryRows(t, conn); n != 0 {
		t.Errorf("%d failed history rows left", n)
	}
	if bad := counts(t, conn, `SELECT n.nspname || '.' || c.relname, 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT i.indisvalid`); len(bad) > 0 {
		t.Errorf("INVALID indexes left: %v", bad)
	}
	if n := queryInt(t, conn, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`); n != 0 {
		t.Errorf("%d idle-in-transaction sessions left", n)
	}
	waitNoAdvisoryLocks(t, conn)
	if r := p.run(t, "validate"); r.code != 0 {
		t.Errorf("validate after the round:\n%s", r)
	}
}

// sqliteCampaignSet is the SQLite workload: transactional files, a file
// with its own BEGIN/COMMIT (run statement by statement), a repeatable.
var sqliteCampaignSet = map[string]string{
	"V1__items.sql": "CREATE TABLE ledger (k TEXT NOT NULL);\nCREATE TABLE items (id INTEGER PRIMARY KEY, v TEXT);\nINSERT INTO ledger VALUES ('1');\n",
	"V2__fill.sql": "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 20000) INSERT INTO items SELECT n, 'v' || n FROM g;\n" +
		"INSERT INTO ledger VALUES ('2');\n",
	"V3__own_tx.sql": "CREATE TABLE notes (n INTEGER);\nBEGIN;\nINSERT INTO notes VALUES (1);\nINSERT INTO ledger VALUES ('3');\nCOMMIT;\n",
	"V4__index.sql":  "CREATE INDEX items_v ON items (v);\nINSERT INTO ledger VALUES ('4');\n",
	"V5__update.sql": "UPDATE items SET v = v || '!' WHERE id % 7 = 0;\nINSERT INTO ledger VALUES ('5');\n",
	"R__view.sql":    "DROP VIEW IF EXISTS items_view;\nCREATE VIEW items_view AS SELECT id, v FROM items;\nINSERT INTO ledger VALUES ('R');\n",
}

func TestCrashCampaignSQLite(t *testing.T) {
	strataBinary(t)
	rng := campaignRand(t)
	rounds := campaignRounds(t)
	var st campaignStats
	var full time.Duration
	for round := 0; round < rounds; round++ {
		dir := t.TempDir()
		p := newProject(t, "sqlite://"+filepath.ToSlash(filepath.Join(dir, "c.db")), "", sqliteCampaignSet)
		campaignRound(t, p, rng, round, &full, &st)
		info := p.infoJSON(t)
		if len(info.Targets) != 1 {
			t.Fatalf("info: %+v", info)
		}
		var keys []string
		for _, m := range info.Targets[0].Migrations {
			if m.State != "Success" {
				t.Errorf("round %d: %s %s is %s", round, m.Version, m.Description, m.State)
			}
			keys = append(keys, m.Version+m.Description)
		}
		if got := strings.Join(keys, ","); got != "1items,2fill,3own tx,4index,5update,view" {
			t.Errorf("round %d: history %s", round, got)
		}
		ledger := sqliteCounts(t, filepath.Join(dir, "c.db"))
		exactlyOnce(t, "ledger", ledger, campaignKeys)
		if r := p.run(t, "validate"); r.code != 0 {
			t.Errorf("round %d: validate:\n%s", round, r)
		}
		if t.Failed() {
			t.Fatalf("round %d failed (%s)", round, st)
		}
	}
	t.Logf("SQLite crash campaign: %s; 0 migrations lost or duplicated", st)
}

// sqliteCounts reads the ledger of a SQLite database.
func sqliteCounts(t *testing.T, path string) map[string]int {
	t.Helper()
	db, err := sqlite.OpenReadOnly(path, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), "SELECT k, count(*) FROM ledger GROUP BY k")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		out[k] = n
	}
	return out
}
