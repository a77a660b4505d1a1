package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/postgres"
	"github.com/stratadb/strata/locations"
	"github.com/stratadb/strata/placeholders"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func set(t *testing.T, files map[string]string) *locations.Set {
	t.Helper()
	fsys := fstest.MapFS{}
	for k, v := range files {
		fsys[k] = &fstest.MapFile{Data: []byte(v)}
	}
	s, err := locations.Collect([]locations.Root{{Name: "db", FS: fsys}}, locations.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func migrator(t *testing.T, db *sql.DB, files map[string]string, opts ...engine.Option) *engine.Migrator {
	t.Helper()
	m, err := engine.New(postgres.New(), db, set(t, files), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func scalar[T any](t *testing.T, db *sql.DB, q string) T {
	t.Helper()
	var v T
	if err := db.QueryRowContext(ctx(t), q).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

func TestCreateIndexConcurrentlyWithoutAnnotation(t *testing.T) {
	db := opener(t)()
	files := map[string]string{
		"V1__t.sql":     "CREATE TABLE t (id INT PRIMARY KEY, v TEXT);\nINSERT INTO t SELECT g, 'x' || g FROM generate_series(1, 1000) g;\n",
		"V2__cic.sql":   "CREATE INDEX CONCURRENTLY t_v_idx ON t (v);\n",
		"V3__after.sql": "CREATE TABLE after_cic (id INT);\n",
	}
	if _, err := migrator(t, db, files).Migrate(ctx(t)); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if !scalar[bool](t, db, `SELECT indisvalid FROM pg_index WHERE indexrelid = 't_v_idx'::regclass`) {
		t.Fatal("index not valid")
	}
	if n := scalar[int](t, db, `SELECT count(*) FROM strata_schema_history WHERE success`); n != 3 {
		t.Fatalf("success rows = %d, want 3", n)
	}
}

func TestInvalidIndexDroppedOnResume(t *testing.T) {
	db := opener(t)()
	files := map[string]string{
		"V1__t.sql":    "CREATE TABLE u (id INT, v TEXT);\nINSERT INTO u VALUES (1, 'dup'), (2, 'dup');\n",
		"V2__uniq.sql": "CREATE UNIQUE INDEX CONCURRENTLY u_v_key ON u (v);\n",
	}
	_, err := migrator(t, db, files).Migrate(ctx(t))
	var me *engine.MigrationError
	if !errors.As(err, &me) || me.Code != "23505" {
		t.Fatalf("migrate = %v, want a unique violation", err)
	}
	if scalar[bool](t, db, `SELECT indisvalid FROM pg_index WHERE indexrelid = 'u_v_key'::regclass`) {
		t.Fatal("expected PostgreSQL to leave an invalid index behind")
	}
	if _, err := db.ExecContext(ctx(t), "UPDATE u SET v = 'other' WHERE id = 2"); err != nil {
		t.Fatal(err)
	}
	if _, err := migrator(t, db, files).Migrate(ctx(t)); err != nil {
		t.Fatalf("resume: %v", err)
	}
	if !scalar[bool](t, db, `SELECT indisvalid FROM pg_index WHERE indexrelid = 'u_v_key'::regclass`) {
		t.Fatal("index still invalid after resume")
	}
}

func TestErrorPositionThroughMultilinePlaceholders(t *testing.T) {
	db := opener(t)()
	var b strings.Builder
	b.WriteString("CREATE TABLE pos (id INT, note TEXT);\n") // line 1
	for i := 2; i <= 11; i++ {
		b.WriteString("INSERT INTO pos VALUES (1, 'ünïcödé ${banner}');\n") // multibyte characters and more multi-line values
	}
	b.WriteString("INSERT INTO pos VALUES (1, 'é', 'one too many');\n") // line 12: fails at the third value
	vals, _ := placeholders.NewValues(map[string]string{"banner": "first line\nsecond line\nthird line"})
	m := migrator(t, db, map[string]string{"V1__pos.sql": b.String()}, engine.WithPlaceholders(placeholders.Syntax{}, vals))
	_, err := m.Migrate(ctx(t))
	var me *engine.MigrationError
	if !errors.As(err, &me) {
		t.Fatalf("migrate = %v, want a migration error", err)
	}
	if me.Line != 12 || me.Column != 33 || me.Code != "42601" {
		t.Fatalf("error at line %d column %d code %s, want line 12 column 33 (the extra value), 42601: %v", me.Line, me.Column, me.Code, err)
	}
	if !strings.Contains(me.Statement, "one too many") {
		t.Fatalf("statement = %q", me.Statement)
	}
}

func TestErrorWithoutPositionLocatedByStatementCount(t *testing.T) {
	db := opener(t)()
	files := map[string]string{"V1__count.sql": "CREATE TABLE c (id INT PRIMARY KEY);\nINSERT INTO c VALUES (1);\n\n\nINSERT INTO c VALUES (1);\n"}
	_, err := migrator(t, db, files).Migrate(ctx(t))
	var me *engine.MigrationError
	if !errors.As(err, &me) || me.Line != 5 || me.Code != "23505" {
		t.Fatalf("migrate = %v (line %d), want the duplicate key at line 5", err, lineOf(me))
	}
	if !strings.Contains(me.Detail, "already exists") {
		t.Fatalf("detail = %q, want PostgreSQL's detail", me.Detail)
	}
}

func lineOf(me *engine.MigrationError) int {
	if me == nil {
		return -1
	}
	return me.Line
}

func TestErrorInsideFunctionBody(t *testing.T) {
	db := opener(t)()
	body := "CREATE TABLE f (id INT);\n" +
		"CREATE FUNCTION broken() RETURNS INT LANGUAGE sql AS $$\n" +
		"  SELECT id\n" +
		"  FROM no_such_table\n" +
		"$$;\n"
	_, err := migrator(t, db, map[string]string{"V1__fn.sql": body}).Migrate(ctx(t))
	var me *engine.MigrationError
	if !errors.As(err, &me) || me.Line != 4 || me.Column != 8 {
		t.Fatalf("migrate = %v (line %d col %d), want line 4 column 8 inside the body", err, lineOf(me), colOf(me))
	}
}

func colOf(me *engine.MigrationError) int {
	if me == nil {
		return -1
	}
	return me.Column
}

func TestSchemasAndSearchPath(t *testing.T) {
	db := opener(t)()
	files := map[string]string{
		"V1__in_schema.sql":  "CREATE TABLE widgets (id INT);\nCREATE TABLE ${strata:schema}.gadgets (id INT);\n",
		"V2__own_set.sql":    "SET search_path TO public;\nCREATE TABLE leaked_if_wrong (id INT);\n",
		"V3__still_app.sql":  "CREATE TABLE sprockets (id INT);\n",
		"R__uses_schema.sql": "CREATE OR REPLACE VIEW widget_count AS SELECT count(*) AS n FROM widgets;\n",
	}
	vals, _ := placeholders.NewValues(nil)
	m := migrator(t, db, files, engine.WithSchemas("app", "audit"), engine.WithPlaceholders(placeholders.Syntax{}, vals))
	if _, err := m.Migrate(ctx(t)); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	for _, q := range []string{"app.widgets", "app.gadgets", "app.sprockets", "app.widget_count", "app.strata_schema_history"} {
		if !scalar[bool](t, db, "SELECT to_regclass('"+q+"') IS NOT NULL") {
			t.Errorf("%s missing", q)
		}
	}
	if !scalar[bool](t, db, "SELECT to_regnamespace('audit') IS NOT NULL") {
		t.Error("managed schema audit not created")
	}
	// V2's own SET search_path is session-level inside Strata's transaction;
	// it may not reach V3, which must still land in app.
	if scalar[bool](t, db, "SELECT to_regclass('public.sprockets') IS NOT NULL") {
		t.Error("a file's own SET search_path leaked into the next migration")
	}
	if n := scalar[string](t, db, "SELECT tenant FROM app.strata_schema_history LIMIT 1"); n != "app" {
		t.Errorf("tenant column = %q, want the default schema", n)
	}
}

func TestDiscardAllRefused(t *testing.T) {
	db := opener(t)()
	_, err := migrator(t, db, map[string]string{"V1__d.sql": "CREATE TABLE d (id INT);\nDISCARD ALL;\n"}).Migrate(ctx(t))
	if err == nil || !strings.Contains(err.Error(), "advisory lock") {
		t.Fatalf("migrate = %v, want a refusal explaining the lock", err)
	}
	_, err = migrator(t, db, map[string]string{"V1__d.sql": "SELECT pg_advisory_unlock_all();\n"}).Migrate(ctx(t))
	if err == nil || !strings.Contains(err.Error(), "advisory lock") {
		t.Fatalf("migrate = %v, want a refusal explaining the lock", err)
	}
}

func TestCopyFromStdin(t *testing.T) {
	db := opener(t)()
	files := map[string]string{
		"V1__copy.sql": "CREATE TABLE cp (id INT, name TEXT);\nCOPY cp (id, name) FROM stdin;\n1\talice\n2\tbob\n\\.\nINSERT INTO cp VALUES (3, 'carol');\n",
	}
	if _, err := migrator(t, db, files).Migrate(ctx(t)); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if n := scalar[int](t, db, "SELECT count(*) FROM cp"); n != 3 {
		t.Fatalf("rows = %d, want 3", n)
	}
	// The COPY ran inside the migration's transaction: a failure after it
	// rolls it back.
	files["V2__copy_fail.sql"] = "COPY cp (id, name) FROM stdin;\n4\tdave\n\\.\nINSERT INTO nope VALUES (1);\n"
	if _, err := migrator(t, db, files).Migrate(ctx(t)); err == nil {
		t.Fatal("migrate succeeded")
	}
	if n := scalar[int](t, db, "SELECT count(*) FROM cp"); n != 3 {
		t.Fatalf("rows = %d after the failed migration, want 3", n)
	}
}

func TestLockTimeoutNamesHolder(t *testing.T) {
	open := opener(t)
	db := open()
	files := map[string]string{"V1__a.sql": "CREATE TABLE a (id INT);\n"}
	m := migrator(t, db, files, engine.WithLockWait(200*time.Millisecond))
	p, err := m.Plan(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	other := open()
	conn, err := other.Conn(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx(t), "SET application_name = 'the-other-runner'"); err != nil {
		t.Fatal(err)
	}
	release, err := postgres.New().Lock(ctx(t), conn, p.LockKey(p.Targets[0].Target.Name), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer release(context.Background())
	_, err = m.Apply(ctx(t), p)
	if !errors.Is(err, engine.ErrLocked) || !strings.Contains(err.Error(), "the-other-runner") || !strings.Contains(err.Error(), "pid ") {
		t.Fatalf("apply = %v, want ErrLocked naming the holder", err)
	}
}

func TestFlywayLockKey(t *testing.T) {
	// FLYWAY.md 6.1: "public"."flyway_schema_history" hashes to 2125624436.
	got := postgres.New().(engine.FlywayLocker).FlywayLockKey("public", "flyway_schema_history")
	if got != 77433833903597 {
		t.Fatalf("key = %d, want 77433833903597", got)
	}
}

func TestSplitQualifiedAndLiteral(t *testing.T) {
	d := postgres.New()
	if got := d.Literal(`it's a \ path`); got != `E'it''s a \\ path'` {
		t.Errorf("Literal = %s", got)
	}
	if got := d.Table(`we"ird`, "t"); got != `"we""ird"."t"` {
		t.Errorf("Table = %s", got)
	}
}

// A file larger than one batch whose non-transactional statement comes late
// is rolled back and run statement by statement: every row once.
func TestLargeFileWithLateConcurrentIndex(t *testing.T) {
	db := opener(t)()
	var b strings.Builder
	b.WriteString("CREATE TABLE big (id INT PRIMARY KEY, payload TEXT);\n")
	rows := 0
	for b.Len() < 3<<20 {
		b.WriteString("INSERT INTO big VALUES ")
		for j := 0; j < 100; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			rows++
			b.WriteString("(" + strconv.Itoa(rows) + ", '" + strings.Repeat("x", 200) + "')")
		}
		b.WriteString(";\n")
	}
	b.WriteString("CREATE INDEX CONCURRENTLY big_payload_idx ON big (payload);\n")
	if _, err := migrator(t, db, map[string]string{"V1__big.sql": b.String()}).Migrate(ctx(t)); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if n := scalar[int](t, db, "SELECT count(*) FROM big"); n != rows {
		t.Fatalf("rows = %d, want %d", n, rows)
	}
	if !scalar[bool](t, db, `SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_payload_idx'::regclass`) {
		t.Fatal("index not valid")
	}
	if n := scalar[int](t, db, "SELECT progress FROM strata_schema_history WHERE version = '1' AND success"); n < 2 {
		t.Fatalf("progress = %d, want every statement recorded", n)
	}
}

// retryHandler signals on retries logged by the engine.
type retryHandler struct {
	slog.Handler
	retried chan struct{}
}

func (h retryHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h retryHandler) Handle(ctx context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "retrying") {
		select {
		case h.retried <- struct{}{}:
		default:
		}
	}
	return nil
}

func TestLockTimeoutRetried(t *testing.T) {
	open := opener(t)
	db := open()
	files := map[string]string{"V1__t.sql": "CREATE TABLE locked (id INT);\n"}
	if _, err := migrator(t, db, files).Migrate(ctx(t)); err != nil {
		t.Fatal(err)
	}
	// Another session holds the table.
	holder, err := open().Conn(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if _, err := holder.ExecContext(ctx(t), "BEGIN; LOCK TABLE locked IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	h := retryHandler{Handler: slog.DiscardHandler, retried: make(chan struct{}, 1)}
	go func() {
		<-h.retried // the first attempt timed out and was rolled back
		holder.ExecContext(context.Background(), "COMMIT")
	}()
	files["V2__alter.sql"] = "ALTER TABLE locked ADD COLUMN name TEXT;\n"
	m := migrator(t, db, files, engine.WithServerTimeouts(engine.ServerTimeouts{Lock: "100ms"}), engine.WithLockRetries(20, 50*time.Millisecond), engine.WithLogger(slog.New(h)))
	if _, err := m.Migrate(ctx(t)); err != nil {
		t.Fatalf("migrate with retries: %v", err)
	}
	if n := scalar[int](t, db, "SELECT count(*) FROM strata_schema_history WHERE version = '2' AND success"); n != 1 {
		t.Fatalf("V2 rows = %d, want 1", n)
	}
}

func TestLockTimeoutRetriesExhausted(t *testing.T) {
	open := opener(t)
	db := open()
	files := map[string]string{"V1__t.sql": "CREATE TABLE locked2 (id INT);\n"}
	if _, err := migrator(t, db, files).Migrate(ctx(t)); err != nil {
		t.Fatal(err)
	}
	holder, err := open().Conn(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if _, err := holder.ExecContext(ctx(t), "BEGIN; LOCK TABLE locked2 IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	defer holder.ExecContext(context.Background(), "ROLLBACK")
	files["V2__alter.sql"] = "ALTER TABLE locked2 ADD COLUMN name TEXT;\n"
	_, err = migrator(t, db, files, engine.WithServerTimeouts(engine.ServerTimeouts{Lock: "50ms"}), engine.WithLockRetries(2, time.Millisecond)).Migrate(ctx(t))
	var me *engine.MigrationError
	if !errors.As(err, &me) || me.Code != "55P03" || !me.RolledBack {
		t.Fatalf("migrate = %v, want the lock timeout after the retries", err)
	}
}

func TestForbiddenStatements(t *testing.T) {
	for text, want := range map[string]bool{
		"DISCARD ALL":                            true,
		"discard\n  all":                         true,
		"DISCARD PLANS":                          false,
		"SELECT pg_advisory_unlock_all()":        true,
		"select PG_ADVISORY_UNLOCK_ALL ( )":      true,
		"SELECT 'pg_advisory_unlock_all is bad'": false,
		"SELECT pg_advisory_unlock(1)":           false,
		"INSERT INTO t VALUES ('discard all')":   false,
	} {
		if got := postgres.Forbidden(text); got != want {
			t.Errorf("forbidden(%q) = %v, want %v", text, got, want)
		}
	}
}

// A file's own statement_timeout directive applies to that file only.
func TestPerFileStatementTimeout(t *testing.T) {
	db := opener(t)()
	files := map[string]string{
		"V1__slow.sql": "-- strata:statement_timeout=100ms\nSELECT pg_sleep(2);\n",
	}
	_, err := migrator(t, db, files).Migrate(ctx(t))
	var me *engine.MigrationError
	if !errors.As(err, &me) || me.Code != "57014" {
		t.Fatalf("migrate = %v, want the file's statement_timeout to cancel it (57014)", err)
	}
	// Without the directive the env's setting (none) applies and the same
	// statement completes.
	files["V1__slow.sql"] = "SELECT pg_sleep(0.3);\n"
	if _, err := migrator(t, db, files).Migrate(ctx(t)); err != nil {
		t.Fatalf("migrate without the directive: %v", err)
	}
}
