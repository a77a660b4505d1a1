package main

// Process tests that interrupt a fleet run: two throwaway PostgreSQL
// databases as two instances of one env, 20 tenant schemas each, 40 small
// migrations that each write their key into the tenant's ledger. strata
// migrate is killed (SIGKILL) at random moments, or stopped with SIGINT
// while its tenants wait on a table the test holds locked; the run after
// must finish the rest exactly once, and an interrupted run must say per
// instance what it applied and what it did not. STRATA_CAMPAIGN_SEED
// repeats a run (the seed is logged).

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stratadb/strata/internal/pgtest"
)

const (
	fleetTenants    = 20 // per instance
	fleetMigrations = 40
)

// fleetLedgerSet is fleetMigrations migrations: V1 makes the ledger, each
// other Vn a table obj_n and the key n in the ledger, in one transaction.
// Version special also runs extra (a pause, or a read of a gate table).
func fleetLedgerSet(special int, extra string) (map[string]string, []string) {
	files := map[string]string{"V1__ledger.sql": "CREATE TABLE ledger (k text NOT NULL);\nINSERT INTO ledger VALUES ('1');\n"}
	keys := []string{"1"}
	for v := 2; v <= fleetMigrations; v++ {
		k := strconv.Itoa(v)
		text := fmt.Sprintf("CREATE TABLE obj_%d (id int);\nINSERT INTO ledger VALUES ('%d');\n", v, v)
		if v == special {
			text = extra + text
		}
		files[fmt.Sprintf("V%d__step_%d.sql", v, v)] = text
		keys = append(keys, k)
	}
	return files, keys
}

// fleet is a project whose env "test" has two instances, each a fresh
// database with fleetTenants schemas tenant_<letter>NN.
type fleet struct {
	p       *project
	urls    [2]string
	names   [2]string // as strata names each instance
	tenants [2][]string
	keys    []string
}

func newFleet(t *testing.T, files map[string]string, keys []string, extra string) *fleet {
	t.Helper()
	f := &fleet{keys: keys}
	for i, letter := range []string{"a", "b"} {
		f.urls[i] = pgtest.Database(t)
		f.names[i] = instanceNameOf(t, f.urls[i])
		f.tenants[i] = tenantNames("tenant_"+letter, fleetTenants)
		conn := connect(t, f.urls[i])
		for _, tn := range f.tenants[i] {
			execAll(t, conn, "CREATE SCHEMA "+quoteIdent(tn))
		}
		conn.Close(t.Context())
	}
	f.p = newProject(t, "unused", "", files)
	hcl := fmt.Sprintf("locations = [\"migrations\"]\nenv \"test\" {\n  instances = %s\n%s  tenants {\n    pattern  = \"tenant_*\"\n    parallel = 3\n  }\n}\n",
		hclList(f.urls[:]), extra)
	if err := os.WriteFile(filepath.Join(f.p.dir, "strata.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// appliedPerTenant is the number of successful history rows of each of
// instance i's tenants (0 for a tenant without any, or without a history
// table). It waits first until no advisory lock is left on the instance:
// a killed runner's backend may still be finishing its request.
func (f *fleet) appliedPerTenant(t *testing.T, i int) map[string]int {
	t.Helper()
	conn := connect(t, f.urls[i])
	defer conn.Close(t.Context())
	waitNoAdvisoryLocks(t, conn)
	out := map[string]int{}
	for _, tn := range f.tenants[i] {
		out[tn] = 0
	}
	if queryInt(t, conn, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 'strata_schema_history'") == 0 {
		return out
	}
	for tn, n := range counts(t, conn, `SELECT tenant, count(*)::int FROM strata_schema_history WHERE type <> 'SCHEMA' AND success GROUP BY 1`) {
		out[tn] = n
	}
	return out
}

// expectedLine is the line migrate prints for instance i when it takes
// each tenant from before[tenant] migrations to all of them.
func (f *fleet) expectedLine(i int, before map[string]int) string {
	migrated, applied := 0, 0
	for _, tn := range f.tenants[i] {
		if n := before[tn]; n < fleetMigrations {
			migrated++
			applied += fleetMigrations - n
		}
	}
	return fmt.Sprintf("instance %s: %d tenants: %d migrated (%d migration%s), %d already up to date",
		f.names[i], fleetTenants, migrated, applied, plural(applied), fleetTenants-migrated)
}

// checkComplete checks the end state on both instances: every tenant has
// every migration exactly once in the history and in its ledger, and its
// objects; no failed row, no advisory lock, no idle transaction; validate
// (one instance at a time) and the fleet's info clean.
func (f *fleet) checkComplete(t *testing.T) {
	t.Helper()
	want := fmt.Sprint(f.keys)
	for i := range f.urls {
		conn := connect(t, f.urls[i])
		waitNoAdvisoryLocks(t, conn)
		hist := tenantHistory(t, conn)
		for _, tn := range f.tenants[i] {
			if got := fmt.Sprint(hist[tn]); got != want {
				t.Errorf("instance %s, tenant %s: history %s, want %s", f.names[i], tn, got, want)
			}
			exactlyOnce(t, "ledger of "+tn, counts(t, conn, "SELECT k, count(*)::int FROM "+quoteIdent(tn)+".ledger GROUP BY k"), f.keys)
			if n := queryInt(t, conn, "SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename LIKE 'obj\\_%'", tn); n != fleetMigrations-1 {
				t.Errorf("instance %s, tenant %s: %d obj_ tables, want %d", f.names[i], tn, n, fleetMigrations-1)
			}
		}
		if len(hist) != fleetTenants {
			t.Errorf("instance %s: the history names %d tenants, want %d", f.names[i], len(hist), fleetTenants)
		}
		checkHistoryPerTenantUnique(t, conn)
		if n := failedHistoryRows(t, conn); n != 0 {
			t.Errorf("instance %s: %d failed history rows", f.names[i], n)
		}
		if n := queryInt(t, conn, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`); n != 0 {
			t.Errorf("instance %s: %d idle-in-transaction sessions left", f.names[i], n)
		}
		conn.Close(t.Context())
		if r := f.p.run(t, "--url", f.urls[i], "validate"); r.code != exitOK {
			t.Errorf("validate on instance %s:\n%s", f.names[i], r)
		}
	}
	r := f.p.run(t, "info")
	total := 2 * fleetTenants
	if r.code != exitOK || !strings.Contains(r.stdout, fmt.Sprintf("Fleet: env test, 2 instances, %d tenants: %d up to date, 0 pending, 0 failed\n", total, total)) {
		t.Errorf("info after the fleet was migrated:\n%s", r)
	}
}

// finish runs migrate plainly to the end after interrupted runs: its
// output must name, per instance, the tenants and migrations that were
// left (read from the history first), and a run after it must find
// nothing to do.
func (f *fleet) finish(t *testing.T) {
	t.Helper()
	before := [2]map[string]int{f.appliedPerTenant(t, 0), f.appliedPerTenant(t, 1)}
	left := 0
	for i := range before {
		for _, n := range before[i] {
			left += fleetMigrations - n
		}
	}
	r := f.p.run(t, "migrate")
	wantSummary := fmt.Sprintf("2 instances: 2 done, 0 failed; %d migration%s applied", left, plural(left))
	if r.code != exitOK || !strings.Contains(r.stdout, f.expectedLine(0, before[0])) || !strings.Contains(r.stdout, f.expectedLine(1, before[1])) ||
		!strings.Contains(r.stdout, wantSummary) || r.stderr != "" {
		t.Fatalf("the run after the interruptions, want exit 0 with\n  %s\n  %s\n  %s\ngot:\n%s", f.expectedLine(0, before[0]), f.expectedLine(1, before[1]), wantSummary, r)
	}
	f.checkComplete(t)
	r = f.p.run(t, "migrate")
	if r.code != exitOK || !strings.Contains(r.stdout, "2 instances: 2 done, 0 failed; 0 migrations applied") {
		t.Errorf("a run after the fleet was migrated:\n%s", r)
	}
}

// TestFleetKillAtRandomMoments kills a fleet's migrate (SIGKILL) at random
// moments, a few times in a row on the same two instances, then runs it
// plainly: every tenant of both instances must end with every migration
// exactly once and nothing failed or locked.
func TestFleetKillAtRandomMoments(t *testing.T) {
	strataBinary(t)
	rng := campaignRand(t)
	// One migration pauses, so that a tenant takes a while and a kill
	// lands inside its request more often than between tenants.
	slow := 2 + rng.IntN(fleetMigrations-1)
	files, keys := fleetLedgerSet(slow, "SELECT pg_sleep(0.05);\n")
	t.Logf("V%d pauses", slow)

	// A full run on its own pair of databases, to spread the kills over
	// how long one takes.
	var full time.Duration
	{
		f := newFleet(t, files, keys, "")
		began := time.Now()
		r := f.p.mustRun(t, exitOK, "migrate")
		full = time.Since(began)
		all := 2 * fleetTenants * fleetMigrations
		if !strings.Contains(r.stdout, fmt.Sprintf("2 instances: 2 done, 0 failed; %d migrations applied", all)) {
			t.Fatalf("a plain run:\n%s", r)
		}
	}
	const rounds = 3
	var kills, finished, partial, midRun int
	for round := 0; round < rounds; round++ {
		f := newFleet(t, files, keys, "")
		window := full
		for k := 0; k < killsPerRound; k++ {
			pr := f.p.start(t, "migrate")
			select {
			case <-pr.done:
			case <-time.After(time.Duration(rng.Int64N(int64(window) + 1))):
			}
			r := pr.kill()
			if r.code == exitOK {
				finished++
				break // nothing is left to interrupt
			}
			if r.code != -1 {
				t.Fatalf("round %d: a run failed before it was killed:\n%s", round, r)
			}
			kills++
			done, untouched := 0, 0
			for i := range f.urls {
				for _, n := range f.appliedPerTenant(t, i) {
					switch n {
					case fleetMigrations:
						done++
					case 0:
						untouched++
					default:
						partial++
					}
				}
			}
			if done > 0 && done < 2*fleetTenants {
				midRun++
			}
			window = window * 2 / 3
		}
		f.finish(t)
		if t.Failed() {
			t.Fatalf("round %d failed", round)
		}
	}
	t.Logf("%d rounds, %d kills while strata ran (%d more runs ended before their kill), %d of them with some tenants done and some not, %d tenants left part-way by a kill (a full run takes %v); 0 migrations lost or duplicated",
		rounds, kills, finished, midRun, partial, full.Round(time.Millisecond))
}

// holdGate creates public.fleet_gate on the instance and locks it in an
// open transaction: a migration that reads it waits until the transaction
// ends.
func holdGate(t *testing.T, url string) pgx.Tx {
	t.Helper()
	conn := connect(t, url)
	execAll(t, conn, "CREATE TABLE public.fleet_gate (id int)")
	tx, err := conn.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(t.Context(), "LOCK TABLE public.fleet_gate IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	return tx
}

// gateWaiters is the number of sessions of the instance waiting for the
// gate.
func gateWaiters(t *testing.T, conn *pgx.Conn) int {
	t.Helper()
	return queryInt(t, conn, `SELECT count(*) FROM pg_locks WHERE locktype = 'relation' AND NOT granted
		AND relation = 'public.fleet_gate'::regclass`)
}

// untilAtGate polls the database until reached says the sessions the
// test waits for are at the gate; strata ending first fails the test.
func untilAtGate(t *testing.T, pr *proc, reached func() bool) {
	t.Helper()
	for !reached() {
		select {
		case <-pr.done:
			t.Fatalf("strata ended before its tenants reached the gate:\n%s", pr.wait())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestFleetInterrupt stops a fleet's migrate with SIGINT while the tenants
// it runs wait inside one migration (the gate): it must exit 130 and say,
// per instance, how many tenants and migrations it applied and that the
// rest was not; the next run applies the rest exactly once. With
// max_connections = 4 one instance runs at a time, so the other has not
// started when the signal comes; without it both run.
func TestFleetInterrupt(t *testing.T) {
	strataBinary(t)
	rng := campaignRand(t)
	for _, tc := range []struct {
		name   string
		extra  string
		atOnce int // instances that run at once
		json   bool
	}{
		{"one instance at a time", "  max_connections = 4\n", 1, false},
		{"both instances at once", "", 2, false},
		{"json", "  max_connections = 4\n", 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gate := 2 + rng.IntN(fleetMigrations-1)
			t.Logf("V%d waits on the gate", gate)
			files, keys := fleetLedgerSet(gate, "SELECT count(*) FROM public.fleet_gate;\n")
			f := newFleet(t, files, keys, tc.extra)
			txs := [2]pgx.Tx{holdGate(t, f.urls[0]), holdGate(t, f.urls[1])}
			released := false
			release := func() {
				if !released {
					released = true
					for _, tx := range txs {
						_ = tx.Rollback(context.Background())
					}
				}
			}
			defer release()
			watch := [2]*pgx.Conn{connect(t, f.urls[0]), connect(t, f.urls[1])}

			args := []string{"migrate"}
			if tc.json {
				args = append(args, "--format", "json")
			}
			pr := f.p.start(t, args...)
			// Signal when the instances that run have each three tenants
			// (parallel = 3) waiting on the gate: no clock, the database
			// says when.
			untilAtGate(t, pr, func() bool {
				waiting := 0
				for i := range watch {
					if gateWaiters(t, watch[i]) == 3 {
						waiting++
					}
				}
				return waiting == tc.atOnce
			})
			if err := pr.cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			r := pr.wait()
			release()
			if r.code != exitInterrupted {
				t.Fatalf("after SIGINT: want exit %d, got:\n%s", exitInterrupted, r)
			}
			if tc.json {
				checkInterruptedJSON(t, r)
				f.finish(t)
				return
			}

			// What the history holds: on a started instance, three
			// tenants with the migrations before the gate, the others
			// none; on one not started, nothing. The output must say the
			// same, per instance and tenant.
			var cut, notStarted []string
			applied := 0
			for i := range f.urls {
				before := f.appliedPerTenant(t, i)
				var part []string
				for _, tn := range f.tenants[i] {
					switch before[tn] {
					case gate - 1:
						part = append(part, tn)
					case 0:
					default:
						t.Errorf("instance %s, tenant %s: %d migrations applied, want %d or 0", f.names[i], tn, before[tn], gate-1)
					}
				}
				switch len(part) {
				case 0:
					notStarted = append(notStarted, f.names[i])
					if want := "instance " + f.names[i] + ": not started (interrupted before its turn): nothing applied\n"; !strings.Contains(r.stdout, want) {
						t.Errorf("the output lacks %q", want)
					}
				case 3:
					cut = append(cut, f.names[i])
					applied += 3 * (gate - 1)
					want := fmt.Sprintf("instance %s: INTERRUPTED: %d tenants: 0 migrated, 0 already up to date, 3 interrupted, %d not started; %d migrations applied (",
						f.names[i], fleetTenants, fleetTenants-3, 3*(gate-1))
					if !strings.Contains(r.stdout, want) {
						t.Errorf("the output lacks %q", want)
					}
					for _, tn := range part {
						want := fmt.Sprintf("  %s: interrupted in migrations/V%d__step_%d.sql, which was rolled back; %d applied before it are kept (now at version %d)\n",
							tn, gate, gate, gate-1, gate-1)
						if !strings.Contains(r.stdout, want) {
							t.Errorf("the output lacks %q", want)
						}
					}
				default:
					t.Errorf("instance %s: %d tenants part-way (%v), want 3 or none", f.names[i], len(part), part)
				}
			}
			if len(cut) != tc.atOnce {
				t.Errorf("%d instances started, want %d", len(cut), tc.atOnce)
			}
			summary := fmt.Sprintf("2 instances: 0 done, 0 failed, %d interrupted, %d not started; %d migrations applied (", len(cut), len(notStarted), applied)
			if !strings.Contains(r.stdout, summary) {
				t.Errorf("the output lacks %q", summary)
			}
			for _, bad := range []string{"FAILED", "failed (", "the others were migrated", "between migrations"} {
				if strings.Contains(r.stdout+r.stderr, bad) {
					t.Errorf("the output of an interrupted run says %q", bad)
				}
			}
			last := fmt.Sprintf("env test: interrupted: cut short on %s (the tenants it ran were stopped, each as said above)", strings.Join(cut, ", "))
			if len(notStarted) > 0 {
				last += "; not started on " + strings.Join(notStarted, ", ")
			}
			last += fmt.Sprintf("; the %d migrations applied on the 2 instances are kept; run migrate again: it applies only what is left\n", applied)
			if r.stderr != last {
				t.Errorf("stderr of the interrupted run:\n%s\nwant:\n%s", r.stderr, last)
			}
			if t.Failed() {
				t.Fatalf("interrupted run:\n%s", r)
			}
			f.finish(t)
		})
	}
}

// checkInterruptedJSON checks an interrupted fleet migrate's JSON: valid
// against the documented schema, and its error says interrupted, not
// failed.
func checkInterruptedJSON(t *testing.T, r result) {
	t.Helper()
	var res jsonFleetMigrate
	env := checkedResult(t, r, &res)
	msg := ""
	if env.Error != nil {
		msg = env.Error.Message
	}
	if !strings.HasPrefix(msg, "env test: interrupted: cut short on ") || !strings.Contains(msg, "; not started on ") || strings.Contains(msg, "failed") {
		t.Errorf("the JSON error of an interrupted run: %q", msg)
	}
	if len(res.Instances) != 2 || res.MigrationsApplied == 0 {
		t.Errorf("the JSON result of an interrupted run: %+v", res)
	}
	if strings.Contains(r.stderr, "between migrations") {
		t.Errorf("stderr of an interrupted run:\n%s", r.stderr)
	}
}

// TestTenantsInterrupt stops a multi-tenant migrate on one database with
// SIGINT while three tenants wait inside V2 (the gate): the output counts
// them as interrupted, not failed, says V2 was rolled back on each and V1
// kept, and does not ask to fix a cause; the next run finishes exactly
// once.
func TestTenantsInterrupt(t *testing.T) {
	url := pgtest.Database(t)
	conn := connect(t, url)
	tenants := tenantNames("w", 6)
	p := newProject(t, url, tenantsBlock("schemas = "+hclList(tenants), "parallel = 3"), map[string]string{
		"V1__a.sql":    "CREATE TABLE a (id int PRIMARY KEY);\n",
		"V2__gate.sql": "CREATE TABLE b (id int PRIMARY KEY);\nSELECT count(*) FROM public.fleet_gate;\n",
		"V3__c.sql":    "CREATE TABLE c (id int PRIMARY KEY);\n",
	})
	gate := holdGate(t, url)
	pr := p.start(t, "migrate")
	untilAtGate(t, pr, func() bool { return gateWaiters(t, conn) >= 3 })
	if err := pr.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	r := pr.wait()
	if err := gate.Rollback(t.Context()); err != nil {
		t.Fatal(err)
	}
	if r.code != exitInterrupted {
		t.Fatalf("want exit %d:\n%s", exitInterrupted, r)
	}
	if !strings.Contains(r.stdout, "3 interrupted") || !strings.Contains(r.stderr, "interrupted targets:") {
		t.Errorf("the summary should count 3 tenants interrupted:\n%s", r)
	}
	if n := strings.Count(r.stderr, "interrupted in migrations/V2__gate.sql, which was rolled back; 1 applied before it are kept (now at version 1)"); n != 3 {
		t.Errorf("each of the 3 tenants at the gate should say V2 was rolled back and V1 kept (%d do):\n%s", n, r)
	}
	for _, bad := range []string{"FAILED", "failed targets", "fix the cause"} {
		if strings.Contains(r.stdout+r.stderr, bad) {
			t.Errorf("the output of an interrupted run says %q:\n%s", bad, r)
		}
	}
	if n := queryInt(t, conn, "SELECT count(*) FROM strata_schema_history WHERE version = '2' AND success"); n != 0 {
		t.Errorf("V2 was recorded on %d tenants, though every one was interrupted in it", n)
	}
	p.mustRun(t, exitOK, "migrate")
	exactlyOnce(t, "history rows per (tenant, version)",
		counts(t, conn, `SELECT tenant || ' ' || version, count(*) FROM strata_schema_history WHERE type <> 'SCHEMA' AND success GROUP BY 1`),
		func() []string {
			var want []string
			for _, tn := range tenants {
				want = append(want, tn+" 1", tn+" 2", tn+" 3")
			}
			return want
		}())
}
