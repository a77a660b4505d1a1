package main

// Process-level tests: the real strata binary, run as separate OS processes
// against a real PostgreSQL server (internal/pgtest). They check what only
// whole processes can show: several runners started at once, a runner killed
// with SIGKILL at any moment, exit codes and what reaches stderr.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stratadb/strata/internal/pgtest"
)

// pgtestM runs the tests through pgtest.Main, which stops pgtest's throwaway
// cluster when they are done, and then removes the strata binary built for
// the process tests.
type pgtestM struct{ m *testing.M }

func (p pgtestM) Run() int {
	code := pgtest.Main(p.m)
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	return code
}

var (
	buildOnce sync.Once
	buildDir  string // temporary directory holding the binary
	buildBin  string
	buildErr  error
)

// strataBinary builds ./cmd/strata once per test binary and returns its path.
func strataBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			buildErr = fmt.Errorf("go env GOMOD: %w", err)
			return
		}
		gomod := strings.TrimSpace(string(out))
		if gomod == "" || gomod == os.DevNull {
			buildErr = fmt.Errorf("go env GOMOD: not in a module (%q)", gomod)
			return
		}
		buildDir, err = os.MkdirTemp("", "strata-process-test-")
		if err != nil {
			buildErr = err
			return
		}
		bin := filepath.Join(buildDir, "strata")
		cmd := exec.Command("go", "build", "-o", bin, "./cmd/strata")
		cmd.Dir = filepath.Dir(gomod)
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/strata: %w\n%s", err, out)
			return
		}
		buildBin = bin
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

// project is a directory with strata.hcl and a migrations folder.
type project struct {
	dir string
	url string
}

// newProject writes strata.hcl (one env "test" on url, extra HCL inside the
// env block) and the migration files into a new temporary directory.
func newProject(t *testing.T, url, extra string, files map[string]string) *project {
	t.Helper()
	dir := t.TempDir()
	mig := filepath.Join(dir, "migrations")
	if err := os.MkdirAll(mig, 0o755); err != nil {
		t.Fatal(err)
	}
	hcl := fmt.Sprintf("locations = [\"migrations\"]\nenv \"test\" {\n  url = %s\n%s}\n", hclString(url), extra)
	if err := os.WriteFile(filepath.Join(dir, "strata.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(mig, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return &project{dir: dir, url: url}
}

// hclString quotes s as an HCL string literal.
func hclString(s string) string {
	s = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "${", "$${", "%{", "%%{").Replace(s)
	return `"` + s + `"`
}

// result is how one strata process ended.
type result struct {
	args           []string
	code           int // -1 when killed by a signal
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("strata %s: exit %d\n--- stdout:\n%s--- stderr:\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// syncBuffer is a bytes.Buffer safe for a process's output goroutine and a
// reader; notify receives a value (without blocking) after every write.
type syncBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	notify chan struct{}
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{notify: make(chan struct{}, 1)} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	n, err := b.buf.Write(p)
	b.mu.Unlock()
	select {
	case b.notify <- struct{}{}:
	default:
	}
	return n, err
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// proc is a started strata process.
type proc struct {
	args           []string
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan struct{} // closed when Wait returned
	res            result
}

// start starts strata with args in the project's directory.
func (p *project) start(t *testing.T, args ...string) *proc {
	t.Helper()
	bin := strataBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	pr := &proc{args: args, cmd: cmd, stdout: newSyncBuffer(), stderr: newSyncBuffer(), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = pr.stdout, pr.stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start strata %s: %v", strings.Join(args, " "), err)
	}
	go func() {
		defer cancel()
		err := cmd.Wait()
		pr.res = result{args: args, code: cmd.ProcessState.ExitCode(), stdout: pr.stdout.String(), stderr: pr.stderr.String()}
		if err != nil && cmd.ProcessState == nil {
			pr.res.code = -2
			pr.res.stderr += "\n(wait: " + err.Error() + ")"
		}
		close(pr.done)
	}()
	return pr
}

// wait waits for the process to end.
func (pr *proc) wait() result {
	<-pr.done
	return pr.res
}

// kill sends SIGKILL and waits for the process to end.
func (pr *proc) kill() result {
	_ = pr.cmd.Process.Kill() // fails only when the process already ended
	return pr.wait()
}

// run runs strata with args to the end.
func (p *project) run(t *testing.T, args ...string) result {
	t.Helper()
	return p.start(t, args...).wait()
}

// mustRun runs strata and fails the test unless it exits with code.
func (p *project) mustRun(t *testing.T, code int, args ...string) result {
	t.Helper()
	r := p.run(t, args...)
	if r.code != code {
		t.Fatalf("want exit %d, got:\n%s", code, r)
	}
	return r
}

// connect opens a connection to url for the test's own queries.
func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func queryInt(t *testing.T, conn *pgx.Conn, q string, args ...any) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// counts runs q, which returns (text, integer) rows, into a map.
func counts(t *testing.T, conn *pgx.Conn, q string) map[string]int {
	t.Helper()
	rows, err := conn.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out[k] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

// exactlyOnce checks that got holds every name of want with count 1 and
// nothing else.
func exactlyOnce(t *testing.T, what string, got map[string]int, want []string) {
	t.Helper()
	var problems []string
	seen := map[string]bool{}
	for _, w := range want {
		seen[w] = true
		if got[w] != 1 {
			problems = append(problems, fmt.Sprintf("%s: %d times", w, got[w]))
		}
	}
	for k, n := range got {
		if !seen[k] {
			problems = append(problems, fmt.Sprintf("%s: unexpected, %d times", k, n))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		t.Errorf("%s, want each exactly once:\n  %s", what, strings.Join(problems, "\n  "))
	}
}

// historyCounts returns the number of successful history rows per migration
// (the version, or R:description for a repeatable), and the number of
// failed rows.
func historyCounts(t *testing.T, conn *pgx.Conn) (ok map[string]int, failed int) {
	t.Helper()
	ok = counts(t, conn, `SELECT COALESCE(version, 'R:' || description), count(*) FROM strata_schema_history WHERE type <> 'SCHEMA' AND success GROUP BY 1`)
	failed = queryInt(t, conn, `SELECT count(*) FROM strata_schema_history WHERE type <> 'SCHEMA' AND NOT success`)
	return ok, failed
}

// checkNoDuplicateHistory checks the history with the query the issue
// names: no (version, description) appears twice.
func checkNoDuplicateHistory(t *testing.T, conn *pgx.Conn) {
	t.Helper()
	dups := counts(t, conn, `SELECT COALESCE(version, '') || ' ' || description, count(*) FROM strata_schema_history
		GROUP BY version, description HAVING count(*) > 1`)
	if len(dups) > 0 {
		t.Errorf("history has duplicate rows: %v", dups)
	}
}

// waitNoAdvisoryLocks polls pg_locks until no advisory lock is held or
// awaited in conn's database. A killed client's backend ends when
// PostgreSQL notices the closed socket, after the statement it was running.
func waitNoAdvisoryLocks(t *testing.T, conn *pgx.Conn) {
	t.Helper()
	const q = `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`
	deadline := time.Now().Add(15 * time.Second)
	for {
		n := queryInt(t, conn, q)
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%d advisory lock(s) still held after every strata process ended: %v", n,
				counts(t, conn, `SELECT l.pid || ' ' || COALESCE(a.application_name, '') || ' ' || COALESCE(a.state, '') || ' ' || COALESCE(a.query, ''), l.objid::int
				FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
				WHERE l.locktype = 'advisory' AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`))
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkIndexesValid checks that the named index exists and that no index of
// the database is invalid (left by an interrupted CREATE INDEX CONCURRENTLY).
func checkIndexesValid(t *testing.T, conn *pgx.Conn, name string) {
	t.Helper()
	if n := queryInt(t, conn, `SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1 AND i.indisvalid`, name); n != 1 {
		t.Errorf("valid index %s: found %d, want 1", name, n)
	}
	if bad := counts(t, conn, `SELECT c.relname::text, 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE NOT i.indisvalid`); len(bad) > 0 {
		t.Errorf("invalid indexes left behind: %v", bad)
	}
}

// --- TestConcurrentProcesses -------------------------------------------

// concurrentSet returns a set of 30 migrations: 29 versioned (tables with
// indexes, inserts, a CREATE INDEX CONCURRENTLY file) and one repeatable.
// Every file appends its name to applied_log, in its own transaction or
// statement, so a file applied twice shows. It also returns the expected
// history keys and the expected row count per data table.
func concurrentSet() (files map[string]string, keys []string, rows map[string]int) {
	files = map[string]string{}
	rows = map[string]int{}
	v := 0
	add := func(desc, sql string) {
		v++
		ver := strconv.Itoa(v)
		files[fmt.Sprintf("V%d__%s.sql", v, desc)] = sql + fmt.Sprintf("\nINSERT INTO applied_log (name) VALUES ('%s');\n", ver)
		keys = append(keys, ver)
	}
	add("log", "CREATE TABLE applied_log (name text NOT NULL, pid int NOT NULL DEFAULT pg_backend_pid());")
	for k := 1; k <= 8; k++ {
		tbl := fmt.Sprintf("t%d", k)
		add("create_"+tbl, fmt.Sprintf("CREATE TABLE %[1]s (id int PRIMARY KEY, v text NOT NULL);\nCREATE INDEX %[1]s_v_idx ON %[1]s (v);", tbl))
		add("fill_"+tbl, fmt.Sprintf("INSERT INTO %s (id, v) SELECT g, 'row ' || g FROM generate_series(1, %d) g;", tbl, 50*k))
		add("more_"+tbl, fmt.Sprintf("INSERT INTO %[1]s (id, v) VALUES (100000, 'extra');\nUPDATE %[1]s SET v = upper(v) WHERE id = 1;", tbl))
		rows[tbl] = 50*k + 1
	}
	// Detected as non-transactional: runs statement by statement.
	add("index_concurrently", "CREATE INDEX CONCURRENTLY t1_v_id_idx ON t1 (v, id);")
	add("notes", "ALTER TABLE t2 ADD COLUMN note text;\nUPDATE t2 SET note = 'n' || id;")
	add("t9", "CREATE TABLE t9 AS SELECT id, v FROM t3 WHERE id <= 10;")
	rows["t9"] = 10
	add("t9_pk", "ALTER TABLE t9 ADD PRIMARY KEY (id);")
	files["R__summary.sql"] = "CREATE OR REPLACE VIEW summary AS SELECT 't1' AS tbl, count(*) AS n FROM t1 UNION ALL SELECT 't2', count(*) FROM t2;\n" +
		"INSERT INTO applied_log (name) VALUES ('R:summary');\n"
	keys = append(keys, "R:summary")
	return files, keys, rows
}

// TestConcurrentProcesses starts eight strata migrate processes at once on
// one database: they must share the work so that every migration runs once
// and every process exits 0.
func TestConcurrentProcesses(t *testing.T) {
	url := pgtest.Database(t)
	files, keys, rows := concurrentSet()
	p := newProject(t, url, "", files)
	strataBinary(t) // build before starting the clock-sensitive part

	n := campaignRunners(t)
	procs := make([]*proc, n)
	for i := range procs {
		procs[i] = p.start(t, "migrate", "--format", "json")
	}
	applied := 0
	for i, pr := range procs {
		r := pr.wait()
		if r.code != 0 {
			t.Errorf("process %d: want exit 0, got:\n%s", i, r)
			continue
		}
		var out jsonMigrate
		env, err := decodeEnvelope(r.stdout, &out)
		if err != nil {
			t.Errorf("process %d: stdout is not migrate's JSON: %v\n%s", i, err, r)
			continue
		}
		if !env.Success {
			t.Errorf("process %d: success = false:\n%s", i, r)
		}
		applied += out.MigrationsApplied
	}
	if applied != len(keys) {
		t.Errorf("the processes report %d migrations applied in all, want %d (each once)", applied, len(keys))
	}

	conn := connect(t, url)
	ok, failed := historyCounts(t, conn)
	exactlyOnce(t, "successful history rows", ok, keys)
	if failed != 0 {
		t.Errorf("%d failed history rows, want none", failed)
	}
	checkNoDuplicateHistory(t, conn)
	exactlyOnce(t, "applied_log rows (one per file run)", counts(t, conn, `SELECT name, count(*) FROM applied_log GROUP BY name`), keys)
	for tbl, want := range rows {
		if got := queryInt(t, conn, "SELECT count(*) FROM "+tbl); got != want {
			t.Errorf("%s has %d rows, want %d", tbl, got, want)
		}
	}
	checkIndexesValid(t, conn, "t1_v_id_idx")
	waitNoAdvisoryLocks(t, conn)

	r := p.mustRun(t, 0, "migrate")
	if !strings.Contains(r.stdout, "nothing to migrate") || strings.Contains(r.stdout, "migrating") {
		t.Errorf("a migrate afterwards should find nothing pending:\n%s", r)
	}
	p.mustRun(t, 0, "validate")
	waitNoAdvisoryLocks(t, conn)
}

// --- TestKillAtManyMoments ---------------------------------------------

// killSet: quick transactional files, a slow transactional file, a
// non-transactional file whose statements each sleep and leave a marker,
// trailing quick files and a repeatable. Every file or statement leaves one
// row in markers.
var killSet = map[string]string{
	"V1__setup.sql": `CREATE TABLE markers (name text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL);
INSERT INTO markers (name) VALUES ('V1');
`,
	"V2__items_a.sql": `INSERT INTO items SELECT g, 'a' || g FROM generate_series(1, 50) g;
INSERT INTO markers (name) VALUES ('V2');
`,
	"V3__items_b.sql": `INSERT INTO items SELECT g, 'b' || g FROM generate_series(51, 100) g;
INSERT INTO markers (name) VALUES ('V3');
`,
	// One transaction: the sleeps hold it open.
	"V4__slow.sql": `CREATE TABLE slow_t (id int PRIMARY KEY);
INSERT INTO slow_t VALUES (1);
SELECT pg_sleep(0.25);
INSERT INTO slow_t VALUES (2);
SELECT pg_sleep(0.25);
INSERT INTO slow_t VALUES (3);
INSERT INTO markers (name) VALUES ('V4');
`,
	// Statement by statement: each transactional statement commits with
	// the progress update; the index is built outside a transaction.
	"V5__non_transactional.sql": `-- strata:transaction=false
INSERT INTO markers (name) SELECT 'V5.1' FROM pg_sleep(0.15);
CREATE INDEX CONCURRENTLY IF NOT EXISTS items_label_idx ON items (label);
INSERT INTO markers (name) SELECT 'V5.3' FROM pg_sleep(0.15);
INSERT INTO items SELECT g, 'nt' || g FROM generate_series(1001, 1010) g;
INSERT INTO markers (name) SELECT 'V5.5' FROM pg_sleep(0.15);
`,
	"V6__items_c.sql": `INSERT INTO items SELECT g, 'c' || g FROM generate_series(2001, 2020) g;
INSERT INTO markers (name) VALUES ('V6');
`,
	"V7__items_view.sql": `CREATE VIEW item_labels AS SELECT label FROM items;
INSERT INTO markers (name) VALUES ('V7');
`,
	"R__item_count.sql": `CREATE OR REPLACE VIEW item_count AS SELECT count(*) AS n FROM items;
INSERT INTO markers (name) VALUES ('R');
`,
}

var (
	killHistory = []string{"1", "2", "3", "4", "5", "6", "7", "R:item count"}
	killMarkers = []string{"V1", "V2", "V3", "V4", "V5.1", "V5.3", "V5.5", "V6", "V7", "R"}
)

// checkKillSetComplete checks the database after a full migrate of killSet.
func checkKillSetComplete(t *testing.T, p *project) {
	t.Helper()
	conn := connect(t, p.url)
	waitNoAdvisoryLocks(t, conn)
	ok, failed := historyCounts(t, conn)
	exactlyOnce(t, "successful history rows", ok, killHistory)
	if failed != 0 {
		t.Errorf("%d failed history rows left, want none", failed)
	}
	checkNoDuplicateHistory(t, conn)
	exactlyOnce(t, "markers", counts(t, conn, `SELECT name, count(*) FROM markers GROUP BY name`), killMarkers)
	if n := queryInt(t, conn, `SELECT count(*) FROM items`); n != 130 {
		t.Errorf("items has %d rows, want 130", n)
	}
	if n := queryInt(t, conn, `SELECT count(*) FROM slow_t`); n != 3 {
		t.Errorf("slow_t has %d rows, want 3", n)
	}
	if n := queryInt(t, conn, `SELECT n::int FROM item_count`); n != 130 {
		t.Errorf("item_count says %d, want 130", n)
	}
	checkIndexesValid(t, conn, "items_label_idx")
	var applied int
	var stateFailed bool
	var version *string
	if err := conn.QueryRow(context.Background(), `SELECT applied, failed, version FROM strata_schema_history_state`).Scan(&applied, &stateFailed, &version); err != nil {
		t.Errorf("read the state row: %v", err)
	} else if applied != len(killHistory) || stateFailed || version == nil || *version != "7" {
		v := "NULL"
		if version != nil {
			v = *version
		}
		t.Errorf("state row: applied %d, failed %v, version %s; want applied %d, failed false, version 7", applied, stateFailed, v, len(killHistory))
	}
}

// historySummary describes the history rows, for the log: version (R for a
// repeatable), then "ok" or "failed@progress".
func historySummary(t *testing.T, url string) string {
	t.Helper()
	conn := connect(t, url)
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), `SELECT COALESCE(version, 'R'), success, progress FROM strata_schema_history WHERE type <> 'SCHEMA' ORDER BY installed_rank`)
	if err != nil {
		return "(none: " + err.Error() + ")"
	}
	var parts []string
	for rows.Next() {
		var v string
		var ok bool
		var progress int
		if err := rows.Scan(&v, &ok, &progress); err != nil {
			return err.Error()
		}
		if ok {
			parts = append(parts, v)
		} else {
			parts = append(parts, fmt.Sprintf("%s:failed@%d", v, progress))
		}
	}
	if rows.Err() != nil {
		return rows.Err().Error()
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// appliedLines counts the lines migrate's text output prints per applied
// migration ("  V1 ...", "  R ...").
func appliedLines(out string) int {
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "  V") || strings.HasPrefix(l, "  R ") {
			n++
		}
	}
	return n
}

// killAfterLines starts migrate and kills it as soon as its output shows
// that `lines` migrations were applied (0: as soon as it says it started
// migrating), or when it ends.
func killAfterLines(t *testing.T, p *project, lines int) result {
	pr := p.start(t, "migrate")
	for {
		out := pr.stdout.String()
		if (lines == 0 && strings.Contains(out, "migrating ")) || (lines > 0 && appliedLines(out) >= lines) {
			return pr.kill()
		}
		select {
		case <-pr.stdout.notify:
		case <-pr.done:
			return pr.wait()
		}
	}
}

// TestKillAtManyMoments kills strata migrate with SIGKILL at many moments of
// a run: after each delay in a spread over the length of a measured full
// run, and right after each migration it reports applied. A plain migrate
// afterwards must finish the job with every migration and every statement
// of the non-transactional file applied exactly once, and leave no lock.
func TestKillAtManyMoments(t *testing.T) {
	strataBinary(t)

	// A full run, measured to spread the kill delays over it (the delays
	// only choose moments; nothing is asserted about time).
	var full time.Duration
	t.Run("full", func(t *testing.T) {
		p := newProject(t, pgtest.Database(t), "", killSet)
		began := time.Now()
		r := p.mustRun(t, 0, "migrate")
		full = time.Since(began)
		if got := appliedLines(r.stdout); got != len(killHistory) {
			t.Errorf("migrate printed %d applied lines, want %d:\n%s", got, len(killHistory), r)
		}
		checkKillSetComplete(t, p)
		p.mustRun(t, 0, "validate")
	})
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("a full run takes %v", full)

	type moment struct {
		name   string
		delay  time.Duration // kill after this delay, when lines < 0
		lines  int           // kill after this many applied lines
		second time.Duration // if > 0, kill the first re-run too, after this delay
	}
	var moments []moment
	const spread = 14
	for i := 0; i < spread; i++ {
		d := full * time.Duration(i) / time.Duration(spread-2) // the last ones land after the end
		m := moment{name: fmt.Sprintf("after_%v", d.Round(time.Millisecond)), delay: d, lines: -1}
		if i%3 == 2 {
			m.second = d/2 + 10*time.Millisecond
			m.name += "_twice"
		}
		moments = append(moments, m)
	}
	for k := 0; k < len(killHistory); k++ {
		moments = append(moments, moment{name: fmt.Sprintf("after_%d_applied", k), lines: k})
	}

	for _, mo := range moments {
		t.Run(mo.name, func(t *testing.T) {
			p := newProject(t, pgtest.Database(t), "", killSet)
			var killed result
			if mo.lines >= 0 {
				killed = killAfterLines(t, p, mo.lines)
			} else {
				pr := p.start(t, "migrate")
				time.Sleep(mo.delay)
				killed = pr.kill()
			}
			t.Logf("killed run: exit %d, %d applied lines; history: %s", killed.code, appliedLines(killed.stdout), historySummary(t, p.url))
			if mo.second > 0 {
				pr := p.start(t, "migrate")
				time.Sleep(mo.second)
				r := pr.kill()
				t.Logf("killed re-run: exit %d, %d applied lines; history: %s", r.code, appliedLines(r.stdout), historySummary(t, p.url))
			}
			r := p.run(t, "migrate")
			if r.code != 0 {
				t.Fatalf("a plain migrate after the kill must finish the job; got:\n%s\nkilled run was:\n%s", r, killed)
			}
			checkKillSetComplete(t, p)
			if v := p.run(t, "validate"); v.code != 0 {
				t.Errorf("validate after recovery: want exit 0, got:\n%s", v)
			}
			if t.Failed() {
				t.Logf("killed run was:\n%s\nrecovery run was:\n%s", killed, r)
			}
		})
	}
}

// --- CREATE INDEX CONCURRENTLY interrupted ------------------------------

var cicSet = map[string]string{
	"V1__items.sql": `CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL);
INSERT INTO items SELECT g, 'l' || g FROM generate_series(1, 100) g;
`,
	// As Flyway users write it: no IF NOT EXISTS, no directive.
	"V2__label_index.sql": `CREATE INDEX CONCURRENTLY items_label_idx ON items (label);
`,
	"V3__after.sql": `CREATE TABLE after_index (id int);
`,
}

// startBlockedCIC applies V1, then opens a transaction that holds a lock on
// items so that V2's CREATE INDEX CONCURRENTLY waits for it, starts migrate
// and returns once the index build is waiting, with the blocking
// connection (commit to unblock).
func startBlockedCIC(t *testing.T, p *project) (*proc, pgx.Tx, *pgx.Conn) {
	t.Helper()
	p.mustRun(t, 0, "migrate", "--target", "1")
	blocker := connect(t, p.url)
	ctx := context.Background()
	tx, err := blocker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE items IN ROW EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	watch := connect(t, p.url)
	pr := p.start(t, "migrate")
	deadline := time.Now().Add(30 * time.Second)
	for {
		n := queryInt(t, watch, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND query ILIKE 'CREATE INDEX CONCURRENTLY%' AND wait_event_type = 'Lock'`)
		if n > 0 {
			return pr, tx, watch
		}
		select {
		case <-pr.done:
			t.Fatalf("migrate ended before its CREATE INDEX CONCURRENTLY waited:\n%s", pr.wait())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("CREATE INDEX CONCURRENTLY never waited for the blocking transaction")
		}
	}
}

// TestKillDuringCreateIndexConcurrently kills strata while PostgreSQL builds
// an index concurrently. Killing the client does not stop the server: the
// build goes on and completes, but the progress is never recorded. A plain
// re-run must still finish (SPEC 9: a re-run after kill -9 at any moment
// finishes the job with no manual step).
func TestKillDuringCreateIndexConcurrently(t *testing.T) {
	t.Run("client_killed", func(t *testing.T) {
		p := newProject(t, pgtest.Database(t), "", cicSet)
		pr, tx, watch := startBlockedCIC(t, p)
		killed := pr.kill()
		if err := tx.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		// The killed client's backend finishes the build, then ends.
		waitNoAdvisoryLocks(t, watch)
		r := p.run(t, "migrate")
		if r.code != 0 {
			t.Fatalf("a plain migrate after killing strata during CREATE INDEX CONCURRENTLY must finish the job; got:\n%s\nkilled run was:\n%s", r, killed)
		}
		checkCICComplete(t, p, watch)
	})
	t.Run("backend_terminated", func(t *testing.T) {
		// The server side ends too (e.g. the server restarted): the build
		// leaves an INVALID index, which the re-run must drop and rebuild.
		p := newProject(t, pgtest.Database(t), "", cicSet)
		pr, tx, watch := startBlockedCIC(t, p)
		killed := pr.kill()
		if n := queryInt(t, watch, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND query ILIKE 'CREATE INDEX CONCURRENTLY%') x`); n != 1 {
			t.Fatalf("terminated %d backends, want 1", n)
		}
		if err := tx.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		waitNoAdvisoryLocks(t, watch)
		if n := queryInt(t, watch, `SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'items_label_idx' AND NOT i.indisvalid`); n != 1 {
			t.Logf("expected the interrupted build to leave an invalid index; found %d", n)
		}
		r := p.run(t, "migrate")
		if r.code != 0 {
			t.Fatalf("a plain migrate after an interrupted CREATE INDEX CONCURRENTLY must finish the job; got:\n%s\nkilled run was:\n%s", r, killed)
		}
		checkCICComplete(t, p, watch)
	})
}

func checkCICComplete(t *testing.T, p *project, conn *pgx.Conn) {
	t.Helper()
	ok, failed := historyCounts(t, conn)
	exactlyOnce(t, "successful history rows", ok, []string{"1", "2", "3"})
	if failed != 0 {
		t.Errorf("%d failed history rows left, want none", failed)
	}
	checkIndexesValid(t, conn, "items_label_idx")
	if v := p.run(t, "validate"); v.code != 0 {
		t.Errorf("validate: want exit 0, got:\n%s", v)
	}
	waitNoAdvisoryLocks(t, conn)
}

// --- Explicit BEGIN/COMMIT interrupted ----------------------------------

// TestKillDuringExplicitCommit kills strata while PostgreSQL commits the
// file's own transaction (a file with BEGIN ... COMMIT inside, which SPEC 9
// says runs unchanged). The server completes the COMMIT after the client is
// gone; the re-run must not run the file's transaction a second time.
// A deferred constraint trigger that waits on an advisory lock the test
// holds keeps the COMMIT in flight long enough to kill at that moment.
func TestKillDuringExplicitCommit(t *testing.T) {
	const gate = 4245
	files := map[string]string{
		"V1__setup.sql": fmt.Sprintf(`CREATE TABLE t (id int NOT NULL);
CREATE FUNCTION commit_gate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(%d);
  RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER t_commit_gate AFTER INSERT ON t DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION commit_gate();
`, gate),
		"V2__explicit_transaction.sql": "BEGIN;\nINSERT INTO t VALUES (1);\nCOMMIT;\n",
		"V3__after.sql":                "CREATE TABLE after_t (id int);\n",
	}
	url := pgtest.Database(t)
	p := newProject(t, url, "", files)
	p.mustRun(t, 0, "migrate", "--target", "1")
	conn := connect(t, url)
	ctx := context.Background()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, gate); err != nil {
		t.Fatal(err)
	}
	pr := p.start(t, "migrate")
	waitForWaiter(t, conn, pr, gate) // V2's COMMIT runs the deferred trigger
	killed := pr.kill()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, gate); err != nil {
		t.Fatal(err)
	}
	waitNoAdvisoryLocks(t, conn) // the killed client's backend commits, then ends
	t.Logf("after the kill: t has %d row(s); history: %v", queryInt(t, conn, `SELECT count(*) FROM t`),
		counts(t, conn, `SELECT version || ' success=' || success || ' progress=' || progress, 1 FROM strata_schema_history WHERE type <> 'SCHEMA'`))

	r := p.run(t, "migrate")
	if r.code != 0 {
		t.Fatalf("a plain migrate after the kill must finish the job; got:\n%s\nkilled run was:\n%s", r, killed)
	}
	if n := queryInt(t, conn, `SELECT count(*) FROM t`); n != 1 {
		t.Errorf("t has %d rows: V2's transaction (BEGIN; INSERT; COMMIT) ran %d times, want once\nrecovery run:\n%s", n, n, r)
	}
	ok, failed := historyCounts(t, conn)
	exactlyOnce(t, "successful history rows", ok, []string{"1", "2", "3"})
	if failed != 0 {
		t.Errorf("%d failed history rows left, want none", failed)
	}
	waitNoAdvisoryLocks(t, conn)
}

// --- First run on a target, concurrently --------------------------------

// TestConcurrentFirstRunOfTarget starts two strata processes at once on a
// target that has no state row yet while Strata's tables already exist (a
// second env sharing the history table; also the window in which the first
// process of a fresh database has created the tables but not the state row,
// which TestConcurrentProcesses hits now and then). Both must exit 0. A
// BEFORE INSERT trigger on the state table that waits on an advisory lock
// the test holds lets both processes reach the insert before either commits.
func TestConcurrentFirstRunOfTarget(t *testing.T) {
	const gate = 4244
	url := pgtest.Database(t)
	p := newProject(t, url, "", map[string]string{"V1__marker.sql": "CREATE TABLE marker (id int);\n"})
	hcl := fmt.Sprintf(`locations = ["migrations"]
history {
  schema = "public"
}
env "a" {
  url     = %[1]s
  schemas = ["a"]
}
env "b" {
  url     = %[1]s
  schemas = ["b"]
}
`, hclString(url))
	if err := os.WriteFile(filepath.Join(p.dir, "strata.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	p.mustRun(t, 0, "--env", "a", "migrate")

	conn := connect(t, url)
	ctx := context.Background()
	for _, q := range []string{
		fmt.Sprintf(`CREATE FUNCTION state_gate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(%d);
  RETURN NEW;
END
$$`, gate),
		`CREATE TRIGGER state_gate BEFORE INSERT ON public.strata_schema_history_state FOR EACH ROW EXECUTE FUNCTION state_gate()`,
		fmt.Sprintf(`SELECT pg_advisory_lock(%d)`, gate),
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	procs := []*proc{p.start(t, "--env", "b", "migrate"), p.start(t, "--env", "b", "migrate")}
	// Release the gate once both inserts wait for it (the race), or one
	// does and the other waits for the target's lock (no race), or a
	// process ended.
	deadline := time.Now().Add(30 * time.Second)
	for {
		waiting := queryInt(t, conn, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = 0 AND objid = $1
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, gate)
		polling := queryInt(t, conn, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'SELECT pg_try_advisory_lock%'`)
		if waiting >= 2 || waiting == 1 && polling >= 1 || time.Now().After(deadline) {
			break
		}
		ended := false
		for _, pr := range procs {
			select {
			case <-pr.done:
				ended = true
			default:
			}
		}
		if ended {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, gate); err != nil {
		t.Fatal(err)
	}
	for i, pr := range procs {
		if r := pr.wait(); r.code != 0 {
			t.Errorf("process %d: want exit 0, got:\n%s", i, r)
		}
	}
	ok := counts(t, conn, `SELECT tenant || ' ' || version, count(*) FROM strata_schema_history WHERE type <> 'SCHEMA' AND success GROUP BY 1`)
	exactlyOnce(t, "successful history rows", ok, []string{"a 1", "b 1"})
	waitNoAdvisoryLocks(t, conn)
}

// --- Strata's tables half created ---------------------------------------

// bootstrapGate makes every CREATE INDEX in url's database wait for the
// advisory lock key gate, which it takes on conn: strata's bootstrap then
// stops right after creating the history table, before its indexes and the
// other tables. Event triggers need a superuser; the test is skipped
// without one. Release with pg_advisory_unlock(gate).
func bootstrapGate(t *testing.T, conn *pgx.Conn, gate int) {
	t.Helper()
	ctx := context.Background()
	var super bool
	if err := conn.QueryRow(ctx, `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&super); err != nil {
		t.Fatal(err)
	}
	if !super {
		t.Skip("needs a superuser to create an event trigger")
	}
	for _, q := range []string{
		// In a schema of its own: strata refuses a public schema that
		// holds objects but no history.
		`CREATE SCHEMA gate`,
		fmt.Sprintf(`CREATE FUNCTION gate.bootstrap_gate() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(%d);
END
$$`, gate),
		`CREATE EVENT TRIGGER bootstrap_gate ON ddl_command_start WHEN TAG IN ('CREATE INDEX') EXECUTE FUNCTION gate.bootstrap_gate()`,
		fmt.Sprintf(`SELECT pg_advisory_lock(%d)`, gate),
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

var bootstrapSet = map[string]string{
	"V1__items.sql": "CREATE TABLE items (id int PRIMARY KEY, label text);\nCREATE INDEX items_label_idx ON items (label);\n",
	"V2__fill.sql":  "INSERT INTO items SELECT g, 'l' || g FROM generate_series(1, 10) g;\n",
}

// TestKillDuringBootstrap kills strata while it creates its own tables
// (the history table exists, the others not yet). A plain re-run must
// finish the job.
func TestKillDuringBootstrap(t *testing.T) {
	const gate = 4246
	url := pgtest.Database(t)
	conn := connect(t, url)
	bootstrapGate(t, conn, gate)
	p := newProject(t, url, "", bootstrapSet)
	pr := p.start(t, "migrate")
	waitForWaiter(t, conn, pr, gate)
	killed := pr.kill()
	ctx := context.Background()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, gate); err != nil {
		t.Fatal(err)
	}
	waitNoAdvisoryLocks(t, conn)
	if _, err := conn.Exec(ctx, `DROP EVENT TRIGGER bootstrap_gate`); err != nil {
		t.Fatal(err)
	}
	// The precondition this test is about: strata was killed half-way
	// through creating its tables (some exist, not all three).
	tables := counts(t, conn, `SELECT relname::text, 1 FROM pg_class WHERE relname LIKE 'strata%' AND relkind = 'r'`)
	if len(tables) == 0 || len(tables) >= 3 {
		t.Fatalf("after the kill strata's tables are %v: the kill did not land while strata created them (the scenario did not happen)", tables)
	}

	r := p.run(t, "migrate")
	if r.code != 0 {
		t.Fatalf("a plain migrate after a kill while strata created its tables must finish the job; got:\n%s\nkilled run was:\n%s", r, killed)
	}
	ok, failed := historyCounts(t, conn)
	exactlyOnce(t, "successful history rows", ok, []string{"1", "2"})
	if failed != 0 {
		t.Errorf("%d failed history rows left, want none", failed)
	}
	if v := p.run(t, "validate"); v.code != 0 {
		t.Errorf("validate: want exit 0, got:\n%s", v)
	}
	waitNoAdvisoryLocks(t, conn)
}

// TestConcurrentBootstrap starts a second strata while the first is
// creating strata's tables (the history table exists, the others not yet):
// both must exit 0 (the window TestConcurrentProcesses hits now and then).
func TestConcurrentBootstrap(t *testing.T) {
	const gate = 4247
	url := pgtest.Database(t)
	conn := connect(t, url)
	bootstrapGate(t, conn, gate)
	p := newProject(t, url, "", bootstrapSet)
	first := p.start(t, "migrate")
	waitForWaiter(t, conn, first, gate)
	second := p.start(t, "migrate")
	// Let the second one plan and reach the bootstrap lock, or end.
	deadline := time.Now().Add(30 * time.Second)
	reached := false
	for !reached {
		reached = queryInt(t, conn, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'SELECT pg_try_advisory_lock%'`) > 0
		if reached {
			break
		}
		select {
		case <-second.done:
		case <-time.After(20 * time.Millisecond):
			if time.Now().Before(deadline) {
				continue
			}
		}
		break
	}
	if !reached {
		// Without it the run below proves nothing about the race.
		t.Errorf("the second strata never waited for the bootstrap lock while the first held it: the race this test is named for did not happen")
	}
	if _, err := conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, gate); err != nil {
		t.Fatal(err)
	}
	for i, pr := range []*proc{first, second} {
		if r := pr.wait(); r.code != 0 {
			t.Errorf("process %d: want exit 0, got:\n%s", i, r)
		}
	}
	ok, failed := historyCounts(t, conn)
	exactlyOnce(t, "successful history rows", ok, []string{"1", "2"})
	if failed != 0 {
		t.Errorf("%d failed history rows left, want none", failed)
	}
	waitNoAdvisoryLocks(t, conn)
}

// --- TestUnreachableDatabase -------------------------------------------

// TestUnreachableDatabase points strata at a closed port with a password in
// the URL: exit 5, a message naming the problem, and the password nowhere.
func TestUnreachableDatabase(t *testing.T) {
	const password = "Sup3r-S3cret-pw"
	urls := map[string]string{
		"userinfo": "postgres://deploy:" + password + "@127.0.0.1:1/app?sslmode=disable&connect_timeout=5",
		"query":    "postgresql://deploy@127.0.0.1:1/app?password=" + password + "&sslmode=disable&connect_timeout=5",
	}
	for name, url := range urls {
		t.Run(name, func(t *testing.T) {
			p := newProject(t, url, "", map[string]string{"V1__a.sql": "CREATE TABLE a (id int);\n"})
			check := func(r result) {
				t.Helper()
				if strings.Contains(r.stdout+r.stderr, password) {
					t.Errorf("the password appears in the output:\n%s", r)
				}
			}
			for _, args := range [][]string{
				{"migrate"}, {"info"}, {"validate"}, {"migrate", "--format", "json"},
			} {
				r := p.run(t, args...)
				check(r)
				if r.code != exitUnreachable {
					t.Errorf("want exit %d, got:\n%s", exitUnreachable, r)
					continue
				}
				// With --format json the error is on stderr too, and in the
				// JSON document on stdout.
				msg := r.stderr + r.stdout
				if !strings.Contains(msg, "127.0.0.1") || !regexp.MustCompile(`(?i)unreachable|connect`).MatchString(msg) {
					t.Errorf("the message should say the database at 127.0.0.1:1 cannot be reached:\n%s", r)
				}
			}
			// The same URL given with --url, over a reachable-looking config.
			q := newProject(t, "postgres://nobody@127.0.0.1:1/other?sslmode=disable", "", map[string]string{"V1__a.sql": "SELECT 1;\n"})
			r := q.run(t, "--url", url, "migrate")
			check(r)
			if r.code != exitUnreachable {
				t.Errorf("--url: want exit %d, got:\n%s", exitUnreachable, r)
			}

			r = p.mustRun(t, 0, "config")
			check(r)
			if !strings.Contains(r.stdout, "127.0.0.1:1/app") || !strings.Contains(r.stdout, "***") {
				t.Errorf("config should show the url with its password masked:\n%s", r)
			}
			r = p.mustRun(t, 0, "config", "--format", "json")
			check(r)
			var cfg struct{ URL string }
			if _, err := decodeEnvelope(r.stdout, &cfg); err != nil || !strings.Contains(cfg.URL, "***") {
				t.Errorf("config --format json: url should be masked (%v):\n%s", err, r)
			}
		})
	}
}

// --- TestLockHeldByAnotherProcess --------------------------------------

// gateKey is an advisory lock key the tests hold to stall a migration that
// waits for it.
const gateKey = 4242

// lockedProject starts a strata migrate that takes the target's lock and
// then waits, in V2, on gateKey, which the test holds on conn. It returns
// the process and the pid of its backend, which holds the target's lock.
// Release with pg_advisory_unlock(gateKey) on conn.
func lockedProject(t *testing.T, url string, conn *pgx.Conn) (*project, *proc, int) {
	t.Helper()
	files := map[string]string{
		"V1__a.sql":    "CREATE TABLE a (id int);\n",
		"V2__wait.sql": fmt.Sprintf("SELECT pg_advisory_xact_lock(%d);\nINSERT INTO a VALUES (2);\n", gateKey),
		"V3__b.sql":    "INSERT INTO a VALUES (3);\n",
	}
	p := newProject(t, url, "  lock {\n    timeout = \"1s\"\n  }\n", files)
	strataBinary(t)
	ctx := context.Background()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, gateKey); err != nil {
		t.Fatal(err)
	}
	first := p.start(t, "migrate")
	t.Cleanup(func() { first.kill() })
	pid := waitForWaiter(t, conn, first, gateKey)
	return p, first, pid
}

// waitForWaiter polls until a session of conn's database waits for the
// advisory lock key, and returns its pid. It fails if pr ends first.
func waitForWaiter(t *testing.T, conn *pgx.Conn, pr *proc, key int) int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var pid int
		err := conn.QueryRow(context.Background(), `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND classid = 0 AND objid = $1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) LIMIT 1`, key).Scan(&pid)
		if err == nil {
			return pid
		}
		if err != pgx.ErrNoRows {
			t.Fatal(err)
		}
		select {
		case <-pr.done:
			t.Fatalf("strata ended before it waited for advisory lock %d:\n%s", key, pr.wait())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no session waited for advisory lock %d", key)
		}
	}
}

var heldBy = regexp.MustCompile(`held by pid (\d+) \(application_name "([^"]*)"`)

// TestLockHeldByAnotherProcess holds the target's lock with one strata
// process (its second migration waits on an advisory lock the test holds)
// and runs a second one with a 1s lock timeout: exit 4, naming the holder.
func TestLockHeldByAnotherProcess(t *testing.T) {
	url := pgtest.Database(t)
	conn := connect(t, url)
	p, first, _ := lockedProject(t, url, conn)

	second := p.run(t, "migrate")
	if second.code != exitLocked {
		t.Errorf("second migrate: want exit %d (lock timeout), got:\n%s", exitLocked, second)
	}
	// Whether it is the right pid: see TestLockHolderInOtherDatabase.
	if !heldBy.MatchString(second.stderr) {
		t.Errorf("the lock error should name the holder: its pid and application_name:\n%s", second)
	}
	// The same in JSON: one document with the LOCKED error and its target.
	sch, err := outputSchema()
	if err != nil {
		t.Fatal(err)
	}
	third := p.run(t, "migrate", "--format", "json")
	doc, err := checkJSONOutput(sch, third.stdout, third.code)
	if err != nil || third.code != exitLocked || field(doc, "error", "code") != codeLocked || field(doc, "error", "target") == nil {
		t.Errorf("migrate --format json: want the LOCKED error with its target (%v):\n%s", err, third)
	}

	if _, err := conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, gateKey); err != nil {
		t.Fatal(err)
	}
	if r := first.wait(); r.code != 0 {
		t.Errorf("first migrate: want exit 0, got:\n%s", r)
	}
	ok, failed := historyCounts(t, conn)
	exactlyOnce(t, "successful history rows", ok, []string{"1", "2", "3"})
	if failed != 0 {
		t.Errorf("%d failed history rows, want none", failed)
	}
	if n := queryInt(t, conn, `SELECT count(*) FROM a`); n != 2 {
		t.Errorf("a has %d rows, want 2", n)
	}
	waitNoAdvisoryLocks(t, conn)
}

// TestLockHolderInOtherDatabase: the lock key depends only on the history
// table and the target, so every database of a server that Strata migrates
// uses the same keys (advisory locks are per database, so they do not
// conflict). The holder named in a lock timeout must be the session of the
// target's database that holds the lock, not a session of another database
// holding the same key number.
func TestLockHolderInOtherDatabase(t *testing.T) {
	url := pgtest.Database(t)
	other := pgtest.Database(t)
	ctx := context.Background()
	// Decoys: sessions of another database. They connect before strata
	// (the holder lookup happens to return the matching session with the
	// lowest backend slot), and take strata's keys once known (shared, so
	// that several can).
	decoys := map[int]*pgx.Conn{}
	for i := 0; i < 4; i++ {
		d := connect(t, other)
		var pid int
		if err := d.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
			t.Fatal(err)
		}
		decoys[pid] = d
	}
	conn := connect(t, url)
	p, first, holder := lockedProject(t, url, conn)

	rows, err := conn.Query(ctx, `SELECT classid::bigint, objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND pid = $1`, holder)
	if err != nil {
		t.Fatal(err)
	}
	var keys []int64
	for rows.Next() {
		var hi, lo int64
		if err := rows.Scan(&hi, &lo); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, int64(uint64(hi)<<32|uint64(lo)))
	}
	if err := rows.Err(); err != nil || len(keys) == 0 {
		t.Fatalf("read the keys held by pid %d: %v (%d keys)", holder, err, len(keys))
	}
	for _, d := range decoys {
		for _, k := range keys {
			if _, err := d.Exec(ctx, `SELECT pg_advisory_lock_shared($1)`, k); err != nil {
				t.Fatal(err)
			}
		}
	}

	second := p.run(t, "migrate")
	if second.code != exitLocked {
		t.Errorf("second migrate: want exit %d (lock timeout), got:\n%s", exitLocked, second)
	}
	m := heldBy.FindStringSubmatch(second.stderr)
	switch {
	case m == nil:
		t.Errorf("the lock error should name the holder:\n%s", second)
	case m[1] != strconv.Itoa(holder):
		n, _ := strconv.Atoi(m[1])
		what := "a session that has ended since"
		var db string
		if err := conn.QueryRow(ctx, `SELECT COALESCE(datname, '') FROM pg_stat_activity WHERE pid = $1`, n).Scan(&db); err == nil {
			what = fmt.Sprintf("a session of database %s", db)
		}
		if decoys[n] != nil {
			what = "one of the test's decoy sessions of database " + db + ", which holds the same key number there"
		}
		t.Errorf("the lock error names pid %s, %s; the holder in the target's database is pid %d:\n%s", m[1], what, holder, second)
	}

	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, gateKey); err != nil {
		t.Fatal(err)
	}
	if r := first.wait(); r.code != 0 {
		t.Errorf("first migrate: want exit 0, got:\n%s", r)
	}
}
