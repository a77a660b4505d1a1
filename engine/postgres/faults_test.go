package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/postgres"
	"github.com/stratadb/strata/internal/faultproxy"
	"github.com/stratadb/strata/internal/pgtest"
)

// The network-fault tests run migrations through a faultproxy in front of
// the test server, with a network timeout of two seconds, then check that
// the interrupted migration is there with its history row or not at all,
// that the server session does not keep the target's lock, and that a plain
// re-run leaves every migration applied exactly once (each inserts its name
// into a ledger table).

const testNetworkTimeout = 2 * time.Second

// faulty is a test database reached directly and through a proxy.
type faulty struct {
	url, proxied string
	proxy        *faultproxy.Proxy
	direct       *sql.DB
}

func newFaulty(t *testing.T) *faulty {
	t.Helper()
	return faultyAt(t, pgtest.Database(t))
}

func faultyAt(t *testing.T, dbURL string) *faulty {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil || u.Host == "" {
		t.Skipf("the fault tests need a postgres:// URL with a host: %v", err)
	}
	p, err := faultproxy.New(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	pu := *u
	pu.Host = p.Addr()
	return &faulty{url: dbURL, proxied: pu.String(), proxy: p, direct: openURL(t, dbURL)}
}

// open opens the proxied database with short deadlines.
func (f *faulty) open(t *testing.T) *sql.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), f.proxied, postgres.Options{ConnectTimeout: testNetworkTimeout, NetworkTimeout: testNetworkTimeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// ledgerFiles are migrations that each insert their name into ledger; V2
// is the one a fault interrupts.
func ledgerFiles(v2 string) map[string]string {
	return map[string]string{
		"V1__ledger.sql": "CREATE TABLE ledger (v TEXT NOT NULL);\nCREATE TABLE data (id INT PRIMARY KEY, pad TEXT);\nINSERT INTO ledger VALUES ('V1');\n",
		"V2__faulty.sql": "INSERT INTO ledger VALUES ('V2');\n" + v2,
		"V3__after.sql":  "INSERT INTO ledger VALUES ('V3');\n",
	}
}

// exactlyOnce checks that every migration ran exactly once, in the ledger
// and in the history.
func (f *faulty) exactlyOnce(t *testing.T) {
	t.Helper()
	var got []string
	rows, err := f.direct.QueryContext(ctx(t), "SELECT v || ':' || count(*) FROM ledger GROUP BY v ORDER BY v")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	if s := strings.Join(got, " "); s != "V1:1 V2:1 V3:1" {
		t.Errorf("ledger %q, want every migration once: V1:1 V2:1 V3:1", s)
	}
	hist := scalar[string](t, f.direct, `SELECT string_agg(version || ':' || success, ' ' ORDER BY installed_rank) FROM strata_schema_history`)
	if hist != "1:true 2:true 3:true" {
		t.Errorf("history %q, want 1:true 2:true 3:true", hist)
	}
	if failed := scalar[bool](t, f.direct, `SELECT bool_or(failed) FROM strata_schema_history_state`); failed {
		t.Error("the state table still says failed")
	}
}

// v2Applied reports whether V2's history row is there.
func (f *faulty) v2Applied(t *testing.T) bool {
	return scalar[int](t, f.direct, `SELECT count(*) FROM strata_schema_history WHERE version = '2'`) == 1
}

// locksGone waits until no session holds an advisory lock in the database
// (the interrupted session ended), failing after limit.
func (f *faulty) locksGone(t *testing.T, limit time.Duration) {
	t.Helper()
	q := `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`
	deadline := time.Now().Add(limit)
	for scalar[int](t, f.direct, q) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the server session still holds the target's advisory lock %s after the fault", limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// rerun migrates again over a direct connection and returns how many
// migrations it applied.
func (f *faulty) rerun(t *testing.T, files map[string]string) int {
	t.Helper()
	res, err := migrator(t, f.direct, files).Migrate(ctx(t))
	if err != nil {
		t.Fatalf("re-run: %v", err)
	}
	return res.Applied()
}

// waitFired waits for the fault to have happened.
func waitFired(t *testing.T, fired <-chan struct{}, err error) {
	t.Helper()
	select {
	case <-fired:
	case <-time.After(30 * time.Second):
		t.Fatalf("the fault never happened; migrate returned %v", err)
	}
}

// migrationError checks that err reports V2 cut off by a lost connection,
// never rolled back: as the migration that failed or, where the small
// migrations went in one request with group commit, as one sent with the
// failed one (V1, whose commit was not yet flushed).
func migrationError(t *testing.T, err error) *engine.MigrationError {
	t.Helper()
	var me *engine.MigrationError
	if !errors.As(err, &me) {
		t.Fatalf("want a migration error, got %v", err)
	}
	v2 := me.Version == "2" || me.Version == "1" && me.OutcomeUnknown && slices.Contains(me.SentWith, "V2__faulty.sql")
	if !v2 || me.RolledBack || !me.ConnectionLost {
		t.Fatalf("error of %s (sent with it: %v): rolled back %v, connection lost %v; want V2 with a lost connection, never rolled back: %v", me.Version, me.SentWith, me.RolledBack, me.ConnectionLost, err)
	}
	return me
}

// TestFaultCutDuringCommit: V2's request, COMMIT included, reaches the
// server, which runs and commits it; its answer is lost with the
// connection. The client cannot know the outcome and says so; the next run
// finds V2 in the history and does not run it again. (A cut while the
// server still works makes it abort at its next write to the client: then
// the same report, and the next run applies V2.) The three small files go
// in one request: with group commit V1's outcome is unknown too (its
// commit was not yet flushed); committing each, V1 is applied and V2's
// outcome is the unknown one.
func TestFaultCutDuringCommit(t *testing.T) {
	for _, mode := range []struct {
		name string
		opt  engine.CommitMode
	}{{"group commit", engine.GroupCommit}, {"commit each", engine.CommitEach}} {
		t.Run(mode.name, func(t *testing.T) {
			f := newFaulty(t)
			// The server sends its answers when its buffer fills or the
			// request ends: V2's first statement fills it, so V1's COMMIT
			// is answered before the cut.
			files := ledgerFiles("SELECT repeat('x', 100000) AS fill;\nSELECT pg_sleep(0.2) AS cut_here;\n")
			fired := f.proxy.Arm(faultproxy.Trigger{Marker: []byte("cut_here"), OnReply: true, ReplyMarker: []byte("cut_here"), Action: faultproxy.Cut})
			res, err := migrator(t, f.open(t), files, engine.WithCommitMode(mode.opt)).Migrate(ctx(t))
			waitFired(t, fired, err)
			me := migrationError(t, err)
			if !me.OutcomeUnknown || !strings.Contains(err.Error(), "it may have been committed or rolled back; the next run reads the history") {
				t.Fatalf("want an unknown outcome, got: %v", err)
			}
			if mode.opt == engine.CommitEach && (me.Version != "2" || res.Applied() != 1) {
				t.Fatalf("committing each: want V1 applied and V2's outcome unknown; applied %d, error: %v", res.Applied(), err)
			}
			f.locksGone(t, 10*testNetworkTimeout)
			if !f.v2Applied(t) {
				t.Fatal("the server was expected to commit V2 (only its answer was lost)")
			}
			if n := f.rerun(t, files); n > 1 {
				t.Errorf("re-run applied %d migrations, want at most 1 (V3): V2 is in the history", n)
			}
			f.exactlyOnce(t)
		})
	}
}

// TestFaultCutMidLargeMigration: the connection is cut while a file larger
// than one batch is streamed, before its COMMIT is sent: not committed.
func TestFaultCutMidLargeMigration(t *testing.T) {
	f := newFaulty(t)
	var b strings.Builder
	for i := 1; b.Len() < 3<<20; i++ {
		fmt.Fprintf(&b, "INSERT INTO data VALUES (%d, '%s');\n", i, strings.Repeat("x", 200))
	}
	files := ledgerFiles(b.String())
	fired := f.proxy.Arm(faultproxy.Trigger{Bytes: 512 << 10, Action: faultproxy.Cut})
	_, err := migrator(t, f.open(t), files).Migrate(ctx(t))
	waitFired(t, fired, err)
	me := migrationError(t, err)
	if me.OutcomeUnknown || !strings.Contains(err.Error(), "before its COMMIT was sent: it was not committed") {
		t.Fatalf("want not committed, got: %v", err)
	}
	f.locksGone(t, 10*testNetworkTimeout)
	if f.v2Applied(t) || scalar[int](t, f.direct, "SELECT count(*) FROM data") != 0 {
		t.Fatal("V2 was cut before its COMMIT was sent, yet something of it is there")
	}
	if n := f.rerun(t, files); n != 2 {
		t.Errorf("re-run applied %d migrations, want 2", n)
	}
	f.exactlyOnce(t)
}

// TestFaultPartitionMidMigration: the network stops passing packets in
// both directions while V2 runs. Strata gives up within its network
// timeout (the probe over a new connection fails), and the server ends the
// session, releasing the lock, within the same bound
// (idle_session_timeout, since the proxy keeps the TCP connection up).
func TestFaultPartitionMidMigration(t *testing.T) {
	f := newFaulty(t)
	files := ledgerFiles("SELECT pg_sleep(0.5) AS partition_here;\n")
	fired := f.proxy.Arm(faultproxy.Trigger{Marker: []byte("partition_here"), Delay: 100 * time.Millisecond, Action: faultproxy.Blackhole})
	_, err := migrator(t, f.open(t), files).Migrate(ctx(t))
	waitFired(t, fired, err)
	var le *postgres.LostError
	if !errors.As(err, &le) {
		t.Fatalf("want the connection given up at the network timeout, got: %v", err)
	}
	me := migrationError(t, err)
	if !me.OutcomeUnknown {
		t.Fatalf("the COMMIT was sent before the partition: want an unknown outcome, got: %v", err)
	}
	f.locksGone(t, 5*testNetworkTimeout)
	f.proxy.Cut()
	f.proxy.Blackhole(false)
	t.Logf("V2 committed by the server before it ended the session: %v", f.v2Applied(t))
	f.rerun(t, files)
	f.exactlyOnce(t)
}

// TestFaultLongStatementSurvivesSilence: a statement that runs longer than
// the network timeout, sending nothing, is not cut short: the probe finds
// the server reachable and the session's process there.
func TestFaultLongStatementSurvivesSilence(t *testing.T) {
	f := newFaulty(t)
	files := ledgerFiles("SELECT pg_sleep(3);\n")
	res, err := migrator(t, f.open(t), files).Migrate(ctx(t))
	if err != nil {
		t.Fatalf("a statement longer than network_timeout: %v", err)
	}
	if res.Applied() != 3 {
		t.Fatalf("applied %d, want 3", res.Applied())
	}
	f.exactlyOnce(t)
}

// TestFaultDelayedPackets: a slow network is slow, not broken.
func TestFaultDelayedPackets(t *testing.T) {
	f := newFaulty(t)
	f.proxy.Delay(10 * time.Millisecond)
	files := ledgerFiles("")
	res, err := migrator(t, f.open(t), files).Migrate(ctx(t))
	if err != nil || res.Applied() != 3 {
		t.Fatalf("through a slow network: applied %v, %v", res, err)
	}
	f.exactlyOnce(t)
}

// TestFaultRefusedConnections: a server that refuses connections is a
// connection error that says so, with nothing applied.
func TestFaultRefusedConnections(t *testing.T) {
	f := newFaulty(t)
	if err := f.proxy.Refuse(true); err != nil {
		t.Fatal(err)
	}
	db := f.open(t)
	err := db.PingContext(ctx(t))
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("ping of a refusing server: %v, want connection refused", err)
	}
	_, err = migrator(t, db, ledgerFiles("")).Migrate(ctx(t))
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("migrate against a refusing server: %v, want connection refused", err)
	}
	if n := scalar[int](t, f.direct, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"); n != 0 {
		t.Fatalf("%d tables created while the server refused connections", n)
	}
	if err := f.proxy.Refuse(false); err != nil {
		t.Fatal(err)
	}
	f.rerun(t, ledgerFiles(""))
	f.exactlyOnce(t)
}

// TestFaultServerRestart: the server of a throwaway cluster restarts
// (pg_ctl restart -m immediate) while V2 runs: its transaction is lost in
// the crash, strata says the outcome is unknown, and a re-run applies it.
func TestFaultServerRestart(t *testing.T) {
	c := pgtest.NewCluster(t)
	f := faultyAt(t, c.URL())
	// V2 sleeps as long as ctl.slow says: long until the restart, not at
	// all on the re-run.
	// The throwaway cluster commits asynchronously; what is committed must
	// survive the crash here.
	if _, err := f.direct.ExecContext(ctx(t), "ALTER DATABASE postgres SET synchronous_commit = on; CREATE SCHEMA ctl; CREATE TABLE ctl.slow (s INT); INSERT INTO ctl.slow VALUES (30)"); err != nil {
		t.Fatal(err)
	}
	files := ledgerFiles("SELECT pg_sleep((SELECT s FROM ctl.slow)) AS restart_here;\n")
	errc := make(chan error, 1)
	m := migrator(t, f.open(t), files)
	c2 := ctx(t)
	go func() {
		_, err := m.Migrate(c2)
		errc <- err
	}()
	// The query text may be the three files in one request, longer than
	// pg_stat_activity keeps: look for the sleep.
	for scalar[int](t, f.direct, `SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND wait_event = 'PgSleep' AND pid <> pg_backend_pid()`) == 0 {
		select {
		case err := <-errc:
			t.Fatalf("migrate ended before the restart: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	err := <-errc
	f.direct = openURL(t, f.url) // the old pool's connections died with the server
	me := migrationError(t, err)
	if !me.OutcomeUnknown {
		t.Fatalf("want an unknown outcome, got: %v", err)
	}
	if f.v2Applied(t) {
		t.Fatal("V2 was interrupted by the crash during pg_sleep, yet its history row is there")
	}
	if _, err := f.direct.ExecContext(ctx(t), "UPDATE ctl.slow SET s = 0"); err != nil {
		t.Fatal(err)
	}
	// V1 committed before V2 began; with group commit its commit may not
	// have been flushed before the crash, and then it was lost together
	// with its history row: the re-run applies it again.
	if n := f.rerun(t, files); n != 2 && n != 3 {
		t.Errorf("re-run applied %d, want 2 (V2, V3) or 3 (V1 lost in the crash too)", n)
	}
	f.exactlyOnce(t)
}
