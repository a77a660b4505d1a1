package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stratadb/strata/internal/faultproxy"
	"github.com/stratadb/strata/internal/pgtest"
)

// The binary's side of the network faults (the engine's tests in
// engine/postgres/faults_test.go cover more): what strata prints and
// exits with when the connection breaks during a migration's COMMIT, when
// the network stops passing packets, and when the server refuses
// connections; and that a plain re-run finishes with every migration
// applied once.

// faultProject is a project whose url goes through a faultproxy to a new
// test database; it returns the direct URL too.
func faultProject(t *testing.T, files map[string]string) (*project, *faultproxy.Proxy, string) {
	t.Helper()
	direct := pgtest.Database(t)
	u, err := url.Parse(direct)
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
	return newProject(t, pu.String(), "  network_timeout = \"2s\"\n  connect_timeout = \"2s\"\n", files), px, direct
}

func faultFiles(v2 string) map[string]string {
	return map[string]string{
		"V1__ledger.sql": "CREATE TABLE ledger (v TEXT NOT NULL);\nINSERT INTO ledger VALUES ('V1');\n",
		"V2__faulty.sql": "INSERT INTO ledger VALUES ('V2');\n" + v2,
		"V3__after.sql":  "INSERT INTO ledger VALUES ('V3');\n",
	}
}

func checkLedger(t *testing.T, direct string) {
	t.Helper()
	conn := connect(t, direct)
	waitNoAdvisoryLocks(t, conn)
	exactlyOnce(t, "ledger", counts(t, conn, "SELECT v, count(*) FROM ledger GROUP BY v"), []string{"V1", "V2", "V3"})
	ok, failed := historyCounts(t, conn)
	exactlyOnce(t, "history", ok, []string{"1", "2", "3"})
	if failed != 0 {
		t.Errorf("%d failed history rows", failed)
	}
}

// TestProcessCutDuringCommit: the server commits V2, its answer is lost
// with the connection: strata says the outcome is unknown (never FAILED or
// rolled back), exits 1, and the re-run finds V2 in the history. The
// three small files go in one request, so the server also commits V3
// before it notices the cut; the re-run applies nothing or V3.
func TestProcessCutDuringCommit(t *testing.T) {
	p, px, direct := faultProject(t, faultFiles("SELECT pg_sleep(0.1) AS cut_here;\n"))
	px.Arm(faultproxy.Trigger{Marker: []byte("cut_here"), OnReply: true, Action: faultproxy.Cut})
	r := p.mustRun(t, 1, "migrate")
	if !strings.Contains(r.stdout, "OUTCOME UNKNOWN") || strings.Contains(r.stdout, "FAILED") ||
		!strings.Contains(r.stderr, "it may have been committed or rolled back; the next run reads the history and applies it only if it is not there") ||
		strings.Contains(r.stderr, "rolled back and no history row") {
		t.Fatalf("want an unknown outcome reported, got:\n%s", r)
	}
	t.Logf("the cut run:\n%s", r)
	r = p.mustRun(t, 0, "migrate")
	if !strings.Contains(r.stdout, "applied 1 migration") && !strings.Contains(r.stdout, "nothing to migrate") {
		t.Errorf("the re-run should apply V3 at most (V2 is in the history):\n%s", r)
	}
	checkLedger(t, direct)
}

// TestProcessPartition: the network stops passing packets in both
// directions while V2 runs: strata gives up at network_timeout instead of
// waiting, and the re-run finishes once the server ended the old session.
func TestProcessPartition(t *testing.T) {
	p, px, direct := faultProject(t, faultFiles("SELECT pg_sleep(0.2) AS partition_here;\n"))
	px.Arm(faultproxy.Trigger{Marker: []byte("partition_here"), Action: faultproxy.Blackhole})
	r := p.mustRun(t, 1, "migrate")
	if !strings.Contains(r.stderr, "network_timeout") || !strings.Contains(r.stdout, "OUTCOME UNKNOWN") {
		t.Fatalf("want the connection given up at network_timeout, got:\n%s", r)
	}
	px.Cut()
	px.Blackhole(false)
	p.mustRun(t, 0, "migrate")
	checkLedger(t, direct)
}

// TestProcessRefusedConnections: a server that refuses connections is exit
// 5 with nothing run.
func TestProcessRefusedConnections(t *testing.T) {
	p, px, direct := faultProject(t, faultFiles(""))
	if err := px.Refuse(true); err != nil {
		t.Fatal(err)
	}
	r := p.mustRun(t, 5, "migrate")
	if !strings.Contains(r.stderr, "connection refused") || !strings.Contains(r.stderr, "nothing was run") {
		t.Fatalf("want a refused connection and nothing run, got:\n%s", r)
	}
	if err := px.Refuse(false); err != nil {
		t.Fatal(err)
	}
	p.mustRun(t, 0, "migrate")
	checkLedger(t, direct)
}
