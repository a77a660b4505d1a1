// Package enginetest is the conformance suite every dialect runs against a
// real database: apply, re-plan empty, checksum drift, a failing migration
// rolled back, resuming a non-transactional file, lock timeout, files with
// their own COMMIT, without a final semicolon or with comments only,
// out-of-order refusal and hotfixes, undefined placeholders, undo, discard
// and mark-applied, and several migrators racing on one database.
package enginetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/locations"
	"github.com/stratadb/strata/placeholders"
)

// Opener returns a fresh, empty database for one test; it registers its
// own cleanup. Each call must return a new *sql.DB on the same database
// when called with the same name, so tests can race several migrators.
type Opener func(t *testing.T) (open func() *sql.DB)

// Run runs the conformance suite.
func Run(t *testing.T, d engine.Dialect, newDB Opener, opts ...Option) {
	s := &suite{d: d, newDB: newDB}
	for _, o := range opts {
		o(s)
	}
	t.Run("ApplyAndReplan", s.applyAndReplan)
	t.Run("ChecksumDrift", s.checksumDrift)
	t.Run("FailingMigrationRollsBack", s.failingRollsBack)
	t.Run("NonTransactionalResume", s.nonTxResume)
	t.Run("NonTransactionalRepeatableResumes", s.nonTxRepeatable)
	t.Run("NonTransactionalJourney", s.nonTxJourney)
	t.Run("NonTransactionalAppliedChanged", s.nonTxAppliedChanged)
	t.Run("NonTransactionalPlaceholders", s.nonTxPlaceholders)
	t.Run("NonTransactionalLong", s.nonTxLong)
	t.Run("LayoutUpgrade", s.layoutUpgrade)
	t.Run("LockTimeout", s.lockTimeout)
	t.Run("OwnCommit", s.ownCommit)
	t.Run("NoFinalSemicolonAndCommentOnly", s.noSemicolonCommentOnly)
	t.Run("OutOfOrderAndHotfix", s.outOfOrder)
	t.Run("UndefinedPlaceholders", s.undefinedPlaceholders)
	t.Run("MissingFile", s.missingFile)
	t.Run("Repeatables", s.repeatables)
	t.Run("ConcurrentMigrators", s.concurrent)
	t.Run("ConcurrentCallsOnOneMigrator", s.concurrentCalls)
	t.Run("DryRunMatchesApply", s.dryRun)
	t.Run("UndoAndForward", s.undo)
	t.Run("DiscardAndMarkApplied", s.discardAndMarkApplied)
	t.Run("RepairFailedNonTransactional", s.repairFailed)
	t.Run("RepairAlignsAndMarksDeleted", s.repairAlign)
	t.Run("BaselineThenMigrate", s.baseline)
	t.Run("BaselineMigrationOnEmpty", s.baselineFile)
	t.Run("Clean", s.clean)
	t.Run("Callbacks", s.callbacks)
	t.Run("CleanKeepsForeignSchemas", s.cleanKeepsForeignSchemas)
	t.Run("CleanTenants", s.cleanTenants)
	t.Run("SchemaCreationRace", s.schemaCreationRace)
	t.Run("CleanAdoptedFlyway", s.cleanAdoptedFlyway)
	t.Run("CallbackFailures", s.callbackFailures)
	t.Run("SafetyNet", s.safetyNet)
}

type suite struct {
	d       engine.Dialect
	newDB   Opener
	schemas func(t *testing.T, name string) string
}

// Option adjusts the suite to a dialect.
type Option func(*suite)

// SchemaNames maps the names of the schemas the suite creates to the names
// used on the server, for dialects whose schemas are the server's
// databases (MySQL), so that tests never share one with a test running at
// the same time; f also registers their removal when the test ends.
func SchemaNames(f func(t *testing.T, name string) string) Option {
	return func(s *suite) { s.schemas = f }
}

// schema returns the name of the suite's schema name on the server.
func (s *suite) schema(t *testing.T, name string) string {
	if s.schemas == nil {
		return name
	}
	return s.schemas(t, name)
}

func collect(t *testing.T, files map[string]string) *locations.Set {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, text := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(text)}
	}
	set, err := locations.Collect([]locations.Root{{Name: "db", FS: fsys}}, locations.Options{})
	if err != nil {
		t.Fatalf("collect: %v", err)
	}
	return set
}

func (s *suite) migrator(t *testing.T, db *sql.DB, files map[string]string, opts ...engine.Option) *engine.Migrator {
	t.Helper()
	vals, err := placeholders.NewValues(map[string]string{"who": "strata"})
	if err != nil {
		t.Fatal(err)
	}
	// The suite's defaults, unless the test gives the same setting: New
	// refuses an option given twice.
	given := map[string]bool{}
	for _, o := range opts {
		given[o.Name()] = true
	}
	var defaults []engine.Option
	if !given["WithPlaceholders"] && !given["WithoutPlaceholders"] {
		defaults = append(defaults, engine.WithPlaceholders(placeholders.Syntax{}, vals))
	}
	if !given["WithLockWait"] {
		defaults = append(defaults, engine.WithLockWait(5*time.Second))
	}
	m, err := engine.New(s.d, db, collect(t, files), append(defaults, opts...)...)
	if err != nil {
		t.Fatalf("new migrator: %v", err)
	}
	return m
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func mustMigrate(t *testing.T, m *engine.Migrator) *engine.Result {
	t.Helper()
	res, err := m.Migrate(ctx(t))
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return res
}

func count(t *testing.T, db *sql.DB, query string) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(ctx(t), query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func states(t *testing.T, m *engine.Migrator) string {
	t.Helper()
	info, err := m.Info(ctx(t))
	if err != nil {
		t.Fatalf("info: %v", err)
	}
	var b strings.Builder
	for _, ti := range info.Targets {
		for _, e := range ti.Entries {
			id := e.Version
			if id == "" {
				id = "R:" + e.Description
			}
			fmt.Fprintf(&b, "%s=%s;", id, e.State)
		}
	}
	return b.String()
}

var base = map[string]string{
	"V1__create_items.sql": "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL);\n",
	"V2__add_items.sql":    "INSERT INTO items (id, name) VALUES (1, '${who}');\nINSERT INTO items (id, name) VALUES (2, 'two');\n",
	"R__items_view.sql":    "DROP VIEW IF EXISTS item_names;\nCREATE VIEW item_names AS SELECT name FROM items;\n",
}

func (s *suite) applyAndReplan(t *testing.T) {
	db := s.newDB(t)()
	m := s.migrator(t, db, base)
	res := mustMigrate(t, m)
	if got := res.Applied(); got != 3 {
		t.Fatalf("applied %d migrations, want 3", got)
	}
	if got := count(t, db, "SELECT count(*) FROM items WHERE name = 'strata'"); got != 1 {
		t.Fatalf("placeholder row count = %d, want 1", got)
	}
	// Flyway's ten columns come first, with their values.
	var rank int64
	var version, desc, typ, script, by string
	var checksum sql.NullInt64
	var exe int
	var success bool
	var tenant string
	err := db.QueryRowContext(ctx(t), `SELECT installed_rank, version, description, type, script, checksum, installed_by, execution_time, success, tenant
		FROM strata_schema_history WHERE version = '1'`).Scan(&rank, &version, &desc, &typ, &script, &checksum, &by, &exe, &success, &tenant)
	if err != nil {
		t.Fatalf("read history row: %v", err)
	}
	want, _ := locations.Checksum(strings.NewReader(base["V1__create_items.sql"]))
	if desc != "create items" || typ != "SQL" || script != "V1__create_items.sql" || !checksum.Valid || int32(checksum.Int64) != want || !success || exe < 0 {
		t.Fatalf("history row = %d %q %q %q %q %v %q %d %v, want Flyway's values", rank, version, desc, typ, script, checksum, by, exe, success)
	}
	// Re-plan: nothing pending, and migrate is a no-op.
	m2 := s.migrator(t, db, base)
	p, err := m2.Plan(ctx(t))
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	if p.Pending() != 0 {
		t.Fatalf("pending after migrate = %d, want 0", p.Pending())
	}
	if res := mustMigrate(t, m2); res.Applied() != 0 {
		t.Fatalf("second migrate applied %d", res.Applied())
	}
	if got := count(t, db, "SELECT count(*) FROM strata_schema_history"); got != 3 {
		t.Fatalf("history rows = %d, want 3", got)
	}
	if got := states(t, m2); got != "1=Success;2=Success;R:items view=Success;" {
		t.Fatalf("states = %s", got)
	}
	if _, err := m2.Validate(ctx(t)); err != nil {
		t.Fatalf("validate after migrate: %v", err)
	}
}

func (s *suite) checksumDrift(t *testing.T) {
	db := s.newDB(t)()
	mustMigrate(t, s.migrator(t, db, base))
	changed := clone(base)
	changed["V1__create_items.sql"] = "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(80) NOT NULL);\n"
	m := s.migrator(t, db, changed)
	_, err := m.Validate(ctx(t))
	if !errors.Is(err, engine.ErrChecksumMismatch) {
		t.Fatalf("validate = %v, want checksum mismatch", err)
	}
	if !strings.Contains(err.Error(), "version 1") || !strings.Contains(err.Error(), "db/V1__create_items.sql") {
		t.Fatalf("validate error does not name the version and file: %v", err)
	}
	if _, err := m.Migrate(ctx(t)); !errors.Is(err, engine.ErrChecksumMismatch) {
		t.Fatalf("migrate = %v, want checksum mismatch", err)
	}
	// Line endings and a BOM do not count.
	crlf := clone(base)
	crlf["V1__create_items.sql"] = "\ufeff" + strings.ReplaceAll(base["V1__create_items.sql"], "\n", "\r\n")
	if _, err := s.migrator(t, db, crlf).Validate(ctx(t)); err != nil {
		t.Fatalf("validate with CRLF and BOM: %v", err)
	}
}

func (s *suite) failingRollsBack(t *testing.T) {
	db := s.newDB(t)()
	files := clone(base)
	files["V3__broken.sql"] = "CREATE TABLE half (id INTEGER);\n-- the next statement fails\nINSERT INTO no_such_table VALUES (1);\n"
	m := s.migrator(t, db, files)
	_, err := m.Migrate(ctx(t))
	var me *engine.MigrationError
	if !errors.As(err, &me) {
		t.Fatalf("migrate = %v, want *engine.MigrationError", err)
	}
	ddlCommits := s.ddlCommits(t)
	if me.Path != "db/V3__broken.sql" || me.Line != 3 || me.Column < 1 || me.RolledBack == ddlCommits {
		t.Fatalf("error at %s:%d:%d rolled back %v, want db/V3__broken.sql line 3, rolled back %v", me.Path, me.Line, me.Column, me.RolledBack, !ddlCommits)
	}
	if !strings.Contains(err.Error(), "V3__broken.sql") || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("message does not name file and line: %v", err)
	}
	if ddlCommits {
		// The CREATE TABLE committed on its own: the file ran statement by
		// statement, and its row records that one statement stayed applied.
		if me.Partial == nil || me.Partial.Applied != 1 {
			t.Fatalf("partial run = %+v, want statement 1 applied", me.Partial)
		}
		if n := count(t, db, "SELECT count(*) FROM strata_schema_history WHERE version = '3' AND success = "+s.d.Bool(false)+" AND progress = 1"); n != 1 {
			t.Fatalf("history has %d failed rows with progress 1 for the failed migration, want 1", n)
		}
		if n := count(t, db, "SELECT count(*) FROM half"); n != 0 {
			t.Fatalf("half has %d rows", n)
		}
	} else {
		if n := count(t, db, "SELECT count(*) FROM strata_schema_history WHERE version = '3'"); n != 0 {
			t.Fatalf("history has %d rows for the failed migration, want 0", n)
		}
		// V1 and V2 ran; the repeatable comes after all versioned migrations.
		if n := count(t, db, "SELECT count(*) FROM strata_schema_history"); n != 2 {
			t.Fatalf("history rows = %d, want the 2 before the failure", n)
		}
		if _, err := db.ExecContext(ctx(t), "SELECT * FROM half"); err == nil {
			t.Fatalf("table created by the failed migration still exists")
		}
	}
	if n := count(t, db, "SELECT count(*) FROM strata_schema_history_state WHERE failed = "+s.d.Bool(true)); n != 1 {
		t.Fatalf("state rows marked failed = %d, want 1", n)
	}
	files["V3__broken.sql"] = "CREATE TABLE half (id INTEGER);\n"
	if res := mustMigrate(t, s.migrator(t, db, files)); res.Applied() != 2 {
		t.Fatalf("after the fix applied %d, want 2 (V3 and the repeatable)", res.Applied())
	}
	if n := count(t, db, "SELECT count(*) FROM strata_schema_history_state WHERE failed = "+s.d.Bool(true)); n != 0 {
		t.Fatalf("state still failed after the fix")
	}
}

func (s *suite) nonTxResume(t *testing.T) {
	db := s.newDB(t)()
	files := clone(base)
	mustMigrate(t, s.migrator(t, db, files))
	if _, err := db.ExecContext(ctx(t), "INSERT INTO items (id, name) VALUES (10, 'blocker')"); err != nil {
		t.Fatal(err)
	}
	files["V3__backfill.sql"] = "-- strata:transaction=false\nCREATE TABLE backfill_log (n INTEGER);\nINSERT INTO backfill_log (n) VALUES (1);\nINSERT INTO items (id, name) VALUES (10, 'ten');\nINSERT INTO backfill_log (n) VALUES (2);\n"
	_, err := s.migrator(t, db, files).Migrate(ctx(t))
	var me *engine.MigrationError
	if !errors.As(err, &me) || me.StatementIndex != 2 || me.Line != 4 {
		t.Fatalf("migrate = %v (statement %d line %d), want a failure at statement 2, line 4", err, idx(me), line(me))
	}
	if n := count(t, db, "SELECT count(*) FROM strata_schema_history WHERE version = '3' AND success = "+s.d.Bool(false)+" AND progress = 2 AND failed_statement = 2"); n != 1 {
		t.Fatalf("failed row with progress 2 missing")
	}
	// A change to a statement that already ran may not resume.
	changed := clone(files)
	changed["V3__backfill.sql"] = strings.Replace(changed["V3__backfill.sql"], "(n INTEGER)", "(n INTEGER, m INTEGER)", 1)
	if _, err := s.migrator(t, db, changed).Migrate(ctx(t)); err == nil || !strings.Contains(err.Error(), "statement 1 (line 2") {
		t.Fatalf("migrate with a changed applied statement = %v, want a refusal naming statement 1", err)
	}
	// Fix the data, not the file: the re-run resumes at the failed statement.
	if _, err := db.ExecContext(ctx(t), "DELETE FROM items WHERE id = 10"); err != nil {
		t.Fatal(err)
	}
	if res := mustMigrate(t, s.migrator(t, db, files)); res.Applied() != 1 {
		t.Fatalf("resume applied %d, want 1", res.Applied())
	}
	if n := count(t, db, "SELECT count(*) FROM backfill_log"); n != 2 {
		t.Fatalf("backfill_log rows = %d, want 2: a statement ran twice or not at all", n)
	}
	if n := count(t, db, "SELECT count(*) FROM strata_schema_history WHERE version = '3' AND success = "+s.d.Bool(true)); n != 1 {
		t.Fatalf("V3 not recorded as a success")
	}
	if got := states(t, s.migrator(t, db, files)); !strings.Contains(got, "3=Success;") {
		t.Fatalf("states = %s", got)
	}
}

// ddlCommits reports whether the dialect's DDL commits on its own (MySQL):
// its splitter marks CREATE TABLE as a statement that cannot run in a
// transaction, so files with DDL run statement by statement.
func (s *suite) ddlCommits(t *testing.T) bool {
	t.Helper()
	st, err := engine.SplitAll(s.d, strings.NewReader("CREATE TABLE x (id INTEGER)"))
	if err != nil || len(st) != 1 {
		t.Fatalf("split CREATE TABLE: %d statements, %v", len(st), err)
	}
	return st[0].NoTx
}

// nonTxRepeatable: a repeatable that runs statement by statement and fails
// part way resumes at the failed statement on the next run, as a
// versioned file does (a kill during a repeatable that recreates a view
// on MySQL must not need repair).
func (s *suite) nonTxRepeatable(t *testing.T) {
	db := s.newDB(t)()
	files := clone(base)
	files["V3__log.sql"] = "CREATE TABLE rlog (n INTEGER);\n"
	mustMigrate(t, s.migrator(t, db, files))
	s.exec(t, db, "INSERT INTO items (id, name) VALUES (10, 'blocker')")
	files["R__fill.sql"] = "-- strata:transaction=false\nINSERT INTO rlog (n) VALUES (1);\nINSERT INTO items (id, name) VALUES (10, 'ten');\nINSERT INTO rlog (n) VALUES (2);\n"
	_, err := s.migrator(t, db, files).Migrate(ctx(t))
	var me *engine.MigrationError
	if !errors.As(err, &me) || me.StatementIndex != 1 || me.Partial == nil || me.Partial.Applied != 1 {
		t.Fatalf("migrate = %v, want a failure at statement 2 with statement 1 applied", err)
	}
	s.exec(t, db, "DELETE FROM items WHERE id = 10")
	res := mustMigrate(t, s.migrator(t, db, files))
	if res.Applied() != 1 {
		t.Fatalf("resume applied %d, want 1", res.Applied())
	}
	if n := count(t, db, "SELECT count(*) FROM rlog"); n != 2 {
		t.Fatalf("rlog rows = %d, want 2: a statement ran twice or not at all", n)
	}
	if got := states(t, s.migrator(t, db, files)); !strings.Contains(got, "R:fill=Success;") || strings.Contains(got, "Failed") {
		t.Fatalf("states = %s", got)
	}
	if _, err := s.migrator(t, db, files).Validate(ctx(t)); err != nil {
		t.Fatalf("validate: %v", err)
	}
}

func idx(me *engine.MigrationError) int {
	if me == nil {
		return -1
	}
	return me.StatementIndex
}

func line(me *engine.MigrationError) int {
	if me == nil {
		return -1
	}
	return me.Line
}

func (s *suite) lockTimeout(t *testing.T) {
	open := s.newDB(t)
	db := open()
	mustMigrate(t, s.migrator(t, db, map[string]string{"V1__a.sql": "CREATE TABLE a (id INTEGER);\n"}))
	files := map[string]string{"V1__a.sql": "CREATE TABLE a (id INTEGER);\n", "V2__b.sql": "CREATE TABLE b (id INTEGER);\n"}
	holderDB := open()
	conn, err := holderDB.Conn(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var mu sync.Mutex
	var waits []engine.LockWaiting
	m := s.migrator(t, db, files, engine.WithLockWait(300*time.Millisecond), engine.WithObserver(func(e engine.Event) {
		if w, ok := e.(engine.LockWaiting); ok {
			mu.Lock()
			waits = append(waits, w)
			mu.Unlock()
		}
	}))
	p, err := m.Plan(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	key := engineLockKey(t, p)
	release, err := s.d.Lock(ctx(t), conn, key, time.Second)
	if err != nil {
		t.Fatalf("take lock: %v", err)
	}
	_, err = m.Apply(ctx(t), p)
	if !errors.Is(err, engine.ErrLocked) {
		t.Fatalf("apply while locked = %v, want ErrLocked", err)
	}
	// The observer heard of the wait, with the target, the holder as the
	// database describes it, and how long the run would wait.
	mu.Lock()
	if len(waits) != 1 || waits[0].Target == "" || waits[0].Holder == "" || waits[0].Timeout != 300*time.Millisecond {
		t.Errorf("LockWaiting events = %+v, want one naming the target, the holder and the 300ms wait", waits)
	}
	mu.Unlock()
	if n := count(t, db, "SELECT count(*) FROM strata_schema_history WHERE version = '2'"); n != 0 {
		t.Fatalf("V2 applied despite the lock")
	}
	if err := release(context.Background()); err != nil {
		t.Fatal(err)
	}
	if res := mustMigrate(t, s.migrator(t, db, files)); res.Applied() != 1 {
		t.Fatalf("after release applied %d, want 1", res.Applied())
	}
}

// engineLockKey finds the key the plan's run takes for its only target.
func engineLockKey(t *testing.T, p *engine.Plan) int64 {
	t.Helper()
	if len(p.Targets) != 1 {
		t.Fatalf("targets = %d, want 1", len(p.Targets))
	}
	return p.LockKey(p.Targets[0].Target.Name)
}

func (s *suite) ownCommit(t *testing.T) {
	db := s.newDB(t)()
	files := map[string]string{
		"V1__own_tx.sql": "BEGIN;\nCREATE TABLE own (id INTEGER);\nINSERT INTO own (id) VALUES (1);\nCOMMIT;\nINSERT INTO own (id) VALUES (2);\n",
	}
	if res := mustMigrate(t, s.migrator(t, db, files)); res.Applied() != 1 {
		t.Fatalf("applied %d", res.Applied())
	}
	if n := count(t, db, "SELECT count(*) FROM own"); n != 2 {
		t.Fatalf("own rows = %d, want 2", n)
	}
	if n := count(t, db, "SELECT count(*) FROM strata_schema_history WHERE success = "+s.d.Bool(true)); n != 1 {
		t.Fatalf("history success rows = %d, want 1", n)
	}
}

func (s *suite) noSemicolonCommentOnly(t *testing.T) {
	db := s.newDB(t)()
	files := map[string]string{
		"V1__no_semicolon.sql": "CREATE TABLE nosemi (id INTEGER)",
		"V2__comments.sql":     "-- nothing to do here\n/* really\n nothing */\n",
		"V3__after.sql":        "INSERT INTO nosemi (id) VALUES (3)\n",
	}
	if res := mustMigrate(t, s.migrator(t, db, files)); res.Applied() != 3 {
		t.Fatalf("applied %d, want 3", res.Applied())
	}
	if got := states(t, s.migrator(t, db, files)); got != "1=Success;2=Success;3=Success;" {
		t.Fatalf("states = %s", got)
	}
}

func (s *suite) outOfOrder(t *testing.T) {
	db := s.newDB(t)()
	files := map[string]string{"V7__seven.sql": "CREATE TABLE seven (id INTEGER);\n", "V8__eight.sql": "CREATE TABLE eight (id INTEGER);\n"}
	mustMigrate(t, s.migrator(t, db, files))
	files["V7_1__hotfix.sql"] = "CREATE TABLE hotfix (id INTEGER);\n"
	_, err := s.migrator(t, db, files).Migrate(ctx(t))
	var oe *engine.OrderError
	if !errors.As(err, &oe) || !strings.Contains(err.Error(), "db/V7_1__hotfix.sql") || !strings.Contains(err.Error(), "hotfix") || !strings.Contains(err.Error(), "WithOutOfOrder") {
		t.Fatalf("migrate = %v, want an order error naming the file and both ways out", err)
	}
	if n := count(t, db, "SELECT count(*) FROM strata_schema_history"); n != 2 {
		t.Fatalf("history rows = %d after refusal", n)
	}
	mustMigrate(t, s.migrator(t, db, files, engine.WithOutOfOrder(engine.InOrder, "7.1")))
	if got := states(t, s.migrator(t, db, files)); got != "7=Success;8=Success;7.1=Out of Order;" {
		t.Fatalf("states = %s", got)
	}
}

func (s *suite) undefinedPlaceholders(t *testing.T) {
	db := s.newDB(t)()
	files := map[string]string{
		"V1__a.sql": "CREATE TABLE ph (v VARCHAR(20));\nINSERT INTO ph VALUES ('${nope}');\n",
		"V2__b.sql": "-- ${also_missing} in a comment counts too\nINSERT INTO ph VALUES ('${who}');\n",
	}
	_, err := s.migrator(t, db, files).Migrate(ctx(t))
	var pe *engine.PlaceholderError
	if !errors.As(err, &pe) || len(pe.Items) != 2 {
		t.Fatalf("migrate = %v, want both undefined placeholders", err)
	}
	if pe.Items[0].Path != "db/V1__a.sql" || pe.Items[0].Line != 2 || pe.Items[0].Column != 25 {
		t.Fatalf("first problem at %s:%d:%d, want db/V1__a.sql:2:25", pe.Items[0].Path, pe.Items[0].Line, pe.Items[0].Column)
	}
	ok, err := s.d.TableExists(ctx(t), mustConn(t, db), "", "ph")
	if err != nil || ok {
		t.Fatalf("something ran before the placeholder check: table exists %v, %v", ok, err)
	}
}

func mustConn(t *testing.T, db *sql.DB) *sql.Conn {
	c, err := db.Conn(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func (s *suite) missingFile(t *testing.T) {
	db := s.newDB(t)()
	mustMigrate(t, s.migrator(t, db, base))
	gone := clone(base)
	delete(gone, "V1__create_items.sql")
	_, err := s.migrator(t, db, gone).Validate(ctx(t))
	var ve *engine.ValidationError
	if !errors.As(err, &ve) || ve.Findings[0].Code != "APPLIED_VERSIONED_MIGRATION_NOT_RESOLVED" {
		t.Fatalf("validate = %v, want a missing-file finding", err)
	}
	if _, err := s.migrator(t, db, gone, engine.WithIgnorePatterns("*:missing")).Validate(ctx(t)); err != nil {
		t.Fatalf("validate with *:missing = %v", err)
	}
	// A newer applied version without a file is Future, ignored by default.
	gone2 := clone(base)
	delete(gone2, "V2__add_items.sql")
	if _, err := s.migrator(t, db, gone2).Validate(ctx(t)); err != nil {
		t.Fatalf("validate with a future row = %v", err)
	}
	if got := states(t, s.migrator(t, db, gone2)); !strings.Contains(got, "2=Future;") {
		t.Fatalf("states = %s", got)
	}
}

func (s *suite) repeatables(t *testing.T) {
	db := s.newDB(t)()
	mustMigrate(t, s.migrator(t, db, base))
	// Unchanged: not re-applied.
	if res := mustMigrate(t, s.migrator(t, db, base)); res.Applied() != 0 {
		t.Fatalf("unchanged repeatable re-applied")
	}
	changed := clone(base)
	changed["R__items_view.sql"] = "DROP VIEW IF EXISTS item_names;\nCREATE VIEW item_names AS SELECT name, id FROM items;\n"
	if res := mustMigrate(t, s.migrator(t, db, changed)); res.Applied() != 1 {
		t.Fatalf("edited repeatable applied %d, want 1", res.Applied())
	}
	if got := states(t, s.migrator(t, db, changed)); got != "1=Success;2=Success;R:items view=Superseded;R:items view=Success;" {
		t.Fatalf("states = %s", got)
	}
	// A placeholder value change re-applies a repeatable that uses it.
	withPh := clone(changed)
	withPh["R__items_view.sql"] = "DROP VIEW IF EXISTS item_names;\nCREATE VIEW item_names AS SELECT name, '${who}' AS who FROM items;\n"
	mustMigrate(t, s.migrator(t, db, withPh))
	vals, _ := placeholders.NewValues(map[string]string{"who": "somebody else"})
	m := s.migrator(t, db, withPh, engine.WithPlaceholders(placeholders.Syntax{}, vals))
	if res := mustMigrate(t, m); res.Applied() != 1 {
		t.Fatalf("repeatable not re-applied after a placeholder change")
	}
}

func (s *suite) concurrent(t *testing.T) {
	open := s.newDB(t)
	files := map[string]string{}
	for i := 1; i <= 12; i++ {
		files[fmt.Sprintf("V%d__step_%d.sql", i, i)] = fmt.Sprintf("CREATE TABLE step_%d (id INTEGER);\nINSERT INTO step_%d (id) VALUES (%d);\n", i, i, i)
	}
	files["R__steps.sql"] = "DROP VIEW IF EXISTS steps;\nCREATE VIEW steps AS SELECT id FROM step_1;\n"
	const runners = 4
	var wg sync.WaitGroup
	errs := make([]error, runners)
	applied := make([]int, runners)
	for i := 0; i < runners; i++ {
		db := open()
		m := s.migrator(t, db, files, engine.WithLockWait(time.Minute))
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			res, err := m.Migrate(context.Background())
			errs[i] = err
			if res != nil {
				applied[i] = res.Applied()
			}
		}(i)
	}
	wg.Wait()
	total := 0
	for i, err := range errs {
		if err != nil {
			t.Fatalf("runner %d: %v", i, err)
		}
		total += applied[i]
	}
	if total != 13 {
		t.Fatalf("runners applied %d migrations in all, want 13 (each exactly once)", total)
	}
	db := open()
	if n := count(t, db, "SELECT count(*) FROM strata_schema_history"); n != 13 {
		t.Fatalf("history rows = %d, want 13", n)
	}
	for i := 1; i <= 12; i++ {
		if n := count(t, db, fmt.Sprintf("SELECT count(*) FROM step_%d", i)); n != 1 {
			t.Fatalf("step_%d has %d rows, want 1", i, n)
		}
	}
}

// concurrentCalls runs two Migrate calls on one Migrator at once (a
// Migrator is safe for concurrent use; run it under -race): the target's
// lock lets one apply everything and the other find nothing left.
func (s *suite) concurrentCalls(t *testing.T) {
	db := s.newDB(t)()
	files := map[string]string{}
	for i := 1; i <= 6; i++ {
		files[fmt.Sprintf("V%d__step_%d.sql", i, i)] = fmt.Sprintf("CREATE TABLE step_%d (id INTEGER);\nINSERT INTO step_%d (id) VALUES (%d);\n", i, i, i)
	}
	files["R__steps.sql"] = "DROP VIEW IF EXISTS steps;\nCREATE VIEW steps AS SELECT id FROM step_1;\n"
	m := s.migrator(t, db, files, engine.WithLockWait(time.Minute))
	const calls = 2
	total := MigrateConcurrently(t, m, calls)
	if total != 7 {
		t.Fatalf("the calls applied %d migrations in all, want 7 (each exactly once)", total)
	}
	if n := count(t, db, "SELECT count(*) FROM strata_schema_history"); n != 7 {
		t.Fatalf("history rows = %d, want 7", n)
	}
	if got, want := states(t, m), "1=Success;2=Success;3=Success;4=Success;5=Success;6=Success;R:steps=Success;"; got != want {
		t.Fatalf("states after both calls = %s, want %s", got, want)
	}
}

// MigrateConcurrently runs calls Migrate calls on m at once and returns
// how many migrations they applied in all; any call's error fails t.
func MigrateConcurrently(t *testing.T, m *engine.Migrator, calls int) int {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, calls)
	applied := make([]int, calls)
	for i := range calls {
		wg.Go(func() {
			res, err := m.Migrate(context.Background())
			errs[i] = err
			if res != nil {
				applied[i] = res.Applied()
			}
		})
	}
	wg.Wait()
	total := 0
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		total += applied[i]
	}
	return total
}

func clone(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// recorder wraps a dialect and records the migration statements it runs.
type recorder struct {
	engine.Dialect
	mu   sync.Mutex
	stmt []string
}

func (r *recorder) Exec(ctx context.Context, conn *sql.Conn, parts []engine.Part) error {
	r.mu.Lock()
	for _, p := range parts {
		switch {
		case p.Stmts != nil:
			for _, st := range p.Stmts {
				r.stmt = append(r.stmt, st.Text)
			}
		case p.Script:
			r.stmt = append(r.stmt, p.SQL)
		}
	}
	r.mu.Unlock()
	return r.Dialect.Exec(ctx, conn, parts)
}

func (s *suite) dryRun(t *testing.T) {
	db := s.newDB(t)()
	files := clone(base)
	files["V3__more.sql"] = "-- a comment\nINSERT INTO items (id, name) VALUES (3, '${who} again');\n\nUPDATE items SET name = upper(name) WHERE id = 3"
	m := s.migrator(t, db, files)
	p, err := m.Plan(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	var printed []string
	var scripts int
	err = m.DryRun(ctx(t), p, func(sc engine.Script) error {
		scripts++
		printed = append(printed, sc.Statements...)
		return nil
	})
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if scripts != 4 {
		t.Fatalf("dry run showed %d migrations, want 4", scripts)
	}
	conn := mustConn(t, db)
	if ok, err := s.d.TableExists(ctx(t), conn, "", "strata_schema_history"); err != nil || ok {
		t.Fatalf("the dry run created the history table (%v, %v)", ok, err)
	}
	if ok, err := s.d.TableExists(ctx(t), conn, "", "items"); err != nil || ok {
		t.Fatalf("the dry run ran a migration (%v, %v)", ok, err)
	}
	rec := &recorder{Dialect: s.d}
	vals, _ := placeholders.NewValues(map[string]string{"who": "strata"})
	m2, err := engine.New(rec, db, collect(t, files), engine.WithPlaceholders(placeholders.Syntax{}, vals))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m2.Migrate(ctx(t)); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if strings.Join(printed, "\n--\n") != strings.Join(rec.stmt, "\n--\n") {
		t.Fatalf("the dry run printed\n%s\n\nbut the run executed\n%s", strings.Join(printed, "\n--\n"), strings.Join(rec.stmt, "\n--\n"))
	}
	if !strings.Contains(strings.Join(printed, "\n"), "'strata again'") {
		t.Fatalf("placeholders not replaced in the dry run: %q", printed)
	}
}

func (s *suite) undo(t *testing.T) {
	db := s.newDB(t)()
	files := map[string]string{
		"V1__a.sql": "CREATE TABLE ua (id INTEGER);\n",
		"V2__b.sql": "CREATE TABLE ub (id INTEGER);\n",
		"U2__b.sql": "DROP TABLE ub;\n",
		"V3__c.sql": "CREATE TABLE uc (id INTEGER);\n",
		"U3__c.sql": "DROP TABLE uc;\n",
	}
	mustMigrate(t, s.migrator(t, db, files))
	// Version 1 has no undo file: undoing to 0 stops before anything runs.
	if _, err := s.migrator(t, db, files).Undo(ctx(t), "0"); err == nil || !strings.Contains(err.Error(), "version 1") {
		t.Fatalf("undo --to 0 = %v, want a refusal naming version 1", err)
	}
	if n := count(t, db, "SELECT count(*) FROM strata_schema_history"); n != 3 {
		t.Fatalf("history rows = %d after the refusal", n)
	}
	res, err := s.migrator(t, db, files).Undo(ctx(t), "1")
	if err != nil {
		t.Fatalf("undo --to 1: %v", err)
	}
	if len(res.Actions) != 2 || res.Actions[0].Version != "3" || res.Actions[1].Version != "2" {
		t.Fatalf("undo actions = %+v, want 3 then 2", res.Actions)
	}
	conn := mustConn(t, db)
	for _, tbl := range []string{"ub", "uc"} {
		if ok, _ := s.d.TableExists(ctx(t), conn, "", tbl); ok {
			t.Fatalf("%s still exists after undo", tbl)
		}
	}
	if got := states(t, s.migrator(t, db, files)); got != "1=Success;2=Undone;3=Undone;3=Success;2=Success;2=Pending;3=Pending;" {
		t.Fatalf("states after undo = %s", got)
	}
	// And forward again.
	if res := mustMigrate(t, s.migrator(t, db, files)); res.Applied() != 2 {
		t.Fatalf("migrate after undo applied %d, want 2", res.Applied())
	}
	if _, err := s.migrator(t, db, files).Validate(ctx(t)); err != nil {
		t.Fatalf("validate after undo and migrate: %v", err)
	}
}

func (s *suite) repairFailed(t *testing.T) {
	db := s.newDB(t)()
	files := map[string]string{
		"V1__t.sql":  "CREATE TABLE rt (id INTEGER PRIMARY KEY);\nCREATE TABLE rlog (n INTEGER);\n",
		"V2__nt.sql": "-- strata:transaction=false\nINSERT INTO rlog (n) VALUES (1);\nINSERT INTO rt (id) VALUES (1);\nINSERT INTO rt (id) VALUES (1);\n",
	}
	if _, err := s.migrator(t, db, files).Migrate(ctx(t)); err == nil {
		t.Fatal("migrate succeeded, want the duplicate key to fail")
	}
	plan, err := s.migrator(t, db, files).RepairPlan(ctx(t))
	if err != nil || len(plan.Actions) != 1 || plan.Actions[0].Kind != "remove failed" {
		t.Fatalf("repair plan = %+v, %v", plan, err)
	}
	if _, err := s.migrator(t, db, files).Repair(ctx(t)); err != nil {
		t.Fatalf("repair: %v", err)
	}
	// After repair the file starts again from its first statement.
	if _, err := db.ExecContext(ctx(t), "DELETE FROM rt"); err != nil {
		t.Fatal(err)
	}
	files["V2__nt.sql"] = "-- strata:transaction=false\nINSERT INTO rlog (n) VALUES (1);\nINSERT INTO rt (id) VALUES (1);\n"
	mustMigrate(t, s.migrator(t, db, files))
	if n := count(t, db, "SELECT count(*) FROM rlog"); n != 2 {
		t.Fatalf("rlog rows = %d, want 2: the first statement runs again after repair", n)
	}
	if _, err := s.migrator(t, db, files).Validate(ctx(t)); err != nil {
		t.Fatalf("validate: %v", err)
	}
}

func (s *suite) repairAlign(t *testing.T) {
	db := s.newDB(t)()
	mustMigrate(t, s.migrator(t, db, base))
	changed := clone(base)
	changed["V1__create_items.sql"] = "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL); -- reformatted\n"
	delete(changed, "V2__add_items.sql")
	changed["V3__later.sql"] = "SELECT 1;\n"
	m := s.migrator(t, db, changed, engine.WithIgnorePatterns())
	if _, err := m.Validate(ctx(t)); err == nil {
		t.Fatal("validate passed before repair")
	}
	res, err := s.migrator(t, db, changed, engine.WithIgnorePatterns()).Repair(ctx(t))
	if err != nil {
		t.Fatalf("repair: %v", err)
	}
	kinds := map[string]string{}
	for _, a := range res.Actions {
		kinds[a.Version] = a.Kind
	}
	if kinds["1"] != "align" || kinds["2"] != "mark deleted" {
		t.Fatalf("repair actions = %+v, want 1 aligned and 2 marked deleted", res.Actions)
	}
	if _, err := s.migrator(t, db, changed, engine.WithIgnorePatterns("*:pending")).Validate(ctx(t)); err != nil {
		t.Fatalf("validate after repair: %v", err)
	}
	if got := states(t, s.migrator(t, db, changed)); !strings.Contains(got, "2=Deleted;") {
		t.Fatalf("states = %s", got)
	}
}

func (s *suite) baseline(t *testing.T) {
	db := s.newDB(t)()
	files := map[string]string{"V1__a.sql": "CREATE TABLE ba (id INTEGER);\n", "V2__b.sql": "CREATE TABLE bb (id INTEGER);\n", "V3__c.sql": "CREATE TABLE bc (id INTEGER);\n"}
	if _, err := s.migrator(t, db, files).Baseline(ctx(t), "2", ""); err != nil {
		t.Fatalf("baseline: %v", err)
	}
	res := mustMigrate(t, s.migrator(t, db, files))
	if res.Applied() != 1 || res.Targets[0].Applied[0].Version != "3" {
		t.Fatalf("migrate after baseline applied %+v, want only 3", res.Targets[0].Applied)
	}
	if got := states(t, s.migrator(t, db, files)); got != "1=Below Baseline;2=Baseline;3=Success;2=Ignored (Baseline);" {
		t.Fatalf("states = %s", got)
	}
	// A second baseline with the same marker is a no-op; another is refused.
	if _, err := s.migrator(t, db, files).Baseline(ctx(t), "5", ""); err == nil {
		t.Fatal("baseline over a history succeeded")
	}
}

func (s *suite) baselineFile(t *testing.T) {
	db := s.newDB(t)()
	files := map[string]string{
		"V1__a.sql":      "CREATE TABLE fa (id INTEGER);\n",
		"V2__b.sql":      "CREATE TABLE fb (id INTEGER);\n",
		"B2__schema.sql": "CREATE TABLE fa (id INTEGER);\nCREATE TABLE fb (id INTEGER);\n",
		"V3__c.sql":      "CREATE TABLE fc (id INTEGER);\n",
	}
	res := mustMigrate(t, s.migrator(t, db, files))
	var got []string
	for _, a := range res.Targets[0].Applied {
		got = append(got, a.Type+" "+a.Version)
	}
	if strings.Join(got, ",") != "SQL_BASELINE 2,SQL 3" {
		t.Fatalf("applied %v, want the B2 file then V3", got)
	}
	if _, err := s.migrator(t, db, files).Validate(ctx(t)); err != nil {
		t.Fatalf("validate: %v", err)
	}
}

func (s *suite) clean(t *testing.T) {
	db := s.newDB(t)()
	mustMigrate(t, s.migrator(t, db, base))
	plan, err := s.migrator(t, db, base).CleanPlan(ctx(t), nil)
	if err != nil || len(plan.Actions) == 0 || !strings.Contains(plan.Actions[0].Detail, "items") {
		t.Fatalf("clean plan = %+v, %v", plan, err)
	}
	if _, err := s.migrator(t, db, base).Clean(ctx(t), nil); err != nil {
		t.Fatalf("clean: %v", err)
	}
	conn := mustConn(t, db)
	for _, tbl := range []string{"items", "strata_schema_history"} {
		if ok, _ := s.d.TableExists(ctx(t), conn, "", tbl); ok {
			t.Fatalf("%s survived clean", tbl)
		}
	}
	if res := mustMigrate(t, s.migrator(t, db, base)); res.Applied() != 3 {
		t.Fatalf("migrate after clean applied %d, want 3", res.Applied())
	}
}

func (s *suite) callbacks(t *testing.T) {
	db := s.newDB(t)()
	if _, err := db.ExecContext(ctx(t), "CREATE TABLE cb_log (n INTEGER, event VARCHAR(40))"); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"V1__a.sql":                  "CREATE TABLE cba (id INTEGER);\n",
		"V2__b.sql":                  "CREATE TABLE cbb (id INTEGER);\n",
		"R__v.sql":                   "DROP VIEW IF EXISTS cbv;\nCREATE VIEW cbv AS SELECT id FROM cba;\n",
		"beforeMigrate.sql":          "INSERT INTO cb_log VALUES ((SELECT count(*) FROM cb_log), 'beforeMigrate');\n",
		"beforeEachMigrate.sql":      "INSERT INTO cb_log VALUES ((SELECT count(*) FROM cb_log), 'beforeEachMigrate');\n",
		"afterEachMigrate__note.sql": "INSERT INTO cb_log VALUES ((SELECT count(*) FROM cb_log), 'afterEachMigrate');\n",
		"afterVersioned.sql":         "INSERT INTO cb_log VALUES ((SELECT count(*) FROM cb_log), 'afterVersioned');\n",
		"afterMigrate.sql":           "INSERT INTO cb_log VALUES ((SELECT count(*) FROM cb_log), 'afterMigrate');\n",
		"afterMigrateError.sql":      "INSERT INTO cb_log VALUES ((SELECT count(*) FROM cb_log), 'afterMigrateError');\n",
	}
	// cb_log existed before the first migrate: baseline below V1, as a
	// Flyway user would, so that every migration runs.
	mustMigrate(t, s.migrator(t, db, files, engine.WithBaselineOnMigrate("0", "")))
	rows, err := db.QueryContext(ctx(t), "SELECT event FROM cb_log ORDER BY n")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var e string
		rows.Scan(&e)
		got = append(got, e)
	}
	rows.Close()
	want := "beforeMigrate,beforeEachMigrate,afterEachMigrate,beforeEachMigrate,afterEachMigrate,afterVersioned,beforeEachMigrate,afterEachMigrate,afterMigrate"
	if strings.Join(got, ",") != want {
		t.Fatalf("callbacks ran as\n%s\nwant\n%s", strings.Join(got, ","), want)
	}
	// Nothing pending: no callback runs.
	mustMigrate(t, s.migrator(t, db, files))
	if n := count(t, db, "SELECT count(*) FROM cb_log"); n != len(got) {
		t.Fatalf("callbacks ran with nothing pending: %d rows, want %d", n, len(got))
	}
	// A failing migration: its each-callbacks roll back with it; afterMigrateError runs.
	files["V3__bad.sql"] = "INSERT INTO nope VALUES (1);\n"
	if _, err := s.migrator(t, db, files).Migrate(ctx(t)); err == nil {
		t.Fatal("migrate succeeded")
	}
	if n := count(t, db, "SELECT count(*) FROM cb_log WHERE event = 'afterMigrateError'"); n != 1 {
		t.Fatalf("afterMigrateError rows = %d, want 1", n)
	}
	if n := count(t, db, "SELECT count(*) FROM cb_log WHERE event = 'beforeEachMigrate'"); n != 3 {
		t.Fatalf("beforeEachMigrate rows = %d, want 3: the failed migration's must roll back with it", n)
	}
}
