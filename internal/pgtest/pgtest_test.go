package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// connect opens a connection to u that is closed when t ends.
func connect(t *testing.T, u string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatalf("connect to %s: %v", mask(u), err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// queryOne returns the single value of sql.
func queryOne[T any](t *testing.T, conn *pgx.Conn, sql string, args ...any) T {
	t.Helper()
	var v T
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

const userRelations = `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'`

func TestDatabase(t *testing.T) {
	t.Parallel()
	a, b := connect(t, Database(t)), connect(t, Database(t))
	nameA := queryOne[string](t, a, "SELECT current_database()")
	nameB := queryOne[string](t, b, "SELECT current_database()")
	if nameA == nameB {
		t.Fatalf("two calls gave the same database %q", nameA)
	}
	for _, c := range []struct {
		name string
		conn *pgx.Conn
	}{{nameA, a}, {nameB, b}} {
		if !strings.HasPrefix(c.name, "strata_test_testdatabase_") || len(c.name) > 63 {
			t.Errorf("database name %q: want prefix strata_test_testdatabase_ and at most 63 bytes", c.name)
		}
		if n := queryOne[int64](t, c.conn, userRelations); n != 0 {
			t.Errorf("database %s has %d user relations, want 0", c.name, n)
		}
		if enc := queryOne[string](t, c.conn, "SHOW server_encoding"); enc != "UTF8" {
			t.Errorf("database %s has encoding %s, want UTF8", c.name, enc)
		}
	}
	if _, err := a.Exec(context.Background(), "CREATE TABLE only_in_a (id int)"); err != nil {
		t.Fatal(err)
	}
	if got := queryOne[*string](t, b, "SELECT to_regclass('only_in_a')::text"); got != nil {
		t.Errorf("table made in %s is visible in %s", nameA, nameB)
	}
}

func TestDatabaseDroppedAfterTest(t *testing.T) {
	t.Parallel()
	var name string
	var open *pgx.Conn // still open when the database is dropped: FORCE must end it
	t.Run("sub", func(t *testing.T) {
		u := Database(t)
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		open = conn
		if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
	})
	if open != nil {
		defer open.Close(context.Background())
	}
	if name == "" {
		t.Fatal("subtest made no database")
	}
	admin := connect(t, Server(t))
	if n := queryOne[int64](t, admin, "SELECT count(*) FROM pg_database WHERE datname = $1", name); n != 0 {
		t.Errorf("database %s still exists after its test ended", name)
	}
}

func TestDatabaseParallel(t *testing.T) {
	t.Parallel()
	var names sync.Map
	for i := range 8 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			conn := connect(t, Database(t))
			if _, err := conn.Exec(context.Background(), "CREATE TABLE t (id int)"); err != nil {
				t.Fatal(err)
			}
			name := queryOne[string](t, conn, "SELECT current_database()")
			if other, dup := names.LoadOrStore(name, t.Name()); dup {
				t.Errorf("%s got the database of %s: %s", t.Name(), other, name)
			}
		})
	}
}

func TestDatabaseName(t *testing.T) {
	valid := regexp.MustCompile(`^strata_test_[a-z0-9_]+$`)
	for _, tc := range []struct {
		name, test, wantPrefix string
	}{
		{name: "simple", test: "TestApply", wantPrefix: "strata_test_testapply_"},
		{name: "subtest", test: "TestApply/Tenant ä-b__c", wantPrefix: "strata_test_testapply_tenant_b_c_"},
		{name: "long", test: strings.Repeat("TestVeryLong", 20), wantPrefix: "strata_test_testverylong"},
		{name: "empty", test: "", wantPrefix: "strata_test_"},
		{name: "only symbols", test: "/// ", wantPrefix: "strata_test_"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := databaseName(tc.test), databaseName(tc.test)
			if a == b {
				t.Errorf("two names for %q are equal: %s", tc.test, a)
			}
			for _, n := range []string{a, b} {
				if len(n) > 63 || !valid.MatchString(n) || !strings.HasPrefix(n, tc.wantPrefix) || strings.Contains(n, "__") {
					t.Errorf("databaseName(%q) = %q: want %s..., [a-z0-9_], no __, at most 63 bytes", tc.test, n, tc.wantPrefix)
				}
			}
		})
	}
}

func TestWithDatabase(t *testing.T) {
	for _, tc := range []struct{ name, admin string }{
		{name: "url", admin: "postgres://bob:pw@db.example:6543/postgres?sslmode=disable"},
		{name: "postgresql scheme no path", admin: "postgresql://bob:pw@db.example:6543?sslmode=disable"},
		{name: "dbname in query", admin: "postgres://bob:pw@db.example:6543/x?dbname=postgres&sslmode=disable"},
		{name: "key value", admin: "host=db.example port=6543 user=bob password=pw dbname=postgres sslmode=disable"},
		{name: "key value no dbname", admin: "host=db.example port=6543 user=bob password='pw' sslmode=disable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := withDatabase(tc.admin, "strata_test_x_01")
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := pgx.ParseConfig(got)
			if err != nil {
				t.Fatalf("parse %q: %v", got, err)
			}
			if cfg.Database != "strata_test_x_01" || cfg.Host != "db.example" || cfg.Port != 6543 || cfg.User != "bob" || cfg.Password != "pw" {
				t.Errorf("withDatabase(%q) = %q: database %q host %q port %d user %q password %q",
					tc.admin, got, cfg.Database, cfg.Host, cfg.Port, cfg.User, cfg.Password)
			}
		})
	}
}

func TestMask(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{name: "url", in: "postgres://bob:s3cret@h:5432/db", want: "postgres://bob:xxxxx@h:5432/db"},
		{name: "url no password", in: LocalURL, want: LocalURL},
		{name: "url query", in: "postgres://bob@h/db?password=s3cret&sslmode=disable", want: "postgres://bob@h/db?password=xxxxx&sslmode=disable"},
		{name: "key value", in: "host=h password=s3cret user=bob", want: "host=h password=xxxxx user=bob"},
		{name: "key value quoted", in: "host=h password = 's3 \\'cret' user=bob", want: "host=h password = xxxxx user=bob"},
		{name: "bad url", in: "postgres://bob:s3cret@h:bad/db", want: "(unparsable url)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := mask(tc.in); got != tc.want {
				t.Errorf("mask(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// recorder is a testing.TB that records Skipf and Fatalf instead of stopping.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                      {}
func (r *recorder) Skipf(f string, args ...any)  { r.skipped = fmt.Sprintf(f, args...) }
func (r *recorder) Fatalf(f string, args ...any) { r.failed = fmt.Sprintf(f, args...) }

func TestReport(t *testing.T) {
	none := resolution{unavailable: "no PostgreSQL server for tests: install it"}
	for _, tc := range []struct {
		name       string
		r          resolution
		ci         bool
		skip, fail bool
	}{
		{name: "found", r: resolution{url: LocalURL}},
		{name: "found in CI", r: resolution{url: LocalURL}, ci: true},
		{name: "none skips", r: none, skip: true},
		{name: "none fails in CI", r: none, ci: true, fail: true},
		{name: "broken fails", r: resolution{err: errors.New("broken")}, fail: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			report(rec, tc.r, tc.ci)
			if (rec.skipped != "") != tc.skip || (rec.failed != "") != tc.fail {
				t.Errorf("skipped %q, failed %q; want skip %v, fail %v", rec.skipped, rec.failed, tc.skip, tc.fail)
			}
			if msg := rec.skipped + rec.failed; tc.r.unavailable != "" && !strings.Contains(msg, "install it") {
				t.Errorf("message %q does not say how to fix it", msg)
			}
		})
	}
}

// TestSubprocess is run by other tests in a child test binary; it does
// nothing otherwise.
func TestSubprocess(t *testing.T) {
	switch os.Getenv("PGTEST_CHILD") {
	case "":
		t.Skip("run by TestThrowawayCluster and TestBadURL")
	case "throwaway":
		u := Server(t)
		clusterMu.Lock()
		c := running
		clusterMu.Unlock()
		if c == nil || u != c.url {
			t.Fatalf("Server gave %s, not a throwaway cluster", mask(u))
		}
		if os.Geteuid() == 0 && c.asUser != "postgres" {
			t.Errorf("running as root, but the cluster runs as %q", c.asUser)
		}
		conn := connect(t, Database(t))
		if got := queryOne[string](t, conn, "SHOW fsync"); got != "off" {
			t.Errorf("fsync = %s, want off", got)
		}
		if got := queryOne[string](t, conn, "SHOW max_connections"); got != "200" {
			t.Errorf("max_connections = %s, want 200", got)
		}
		fmt.Printf("PGTEST_DIR=%s\nPGTEST_URL=%s\n", c.dir, u)
	case "badurl":
		Server(t)
		t.Error("Server returned for a server that does not answer")
	}
}

// runChild runs TestSubprocess in a child test binary with the given
// PGTEST_CHILD mode and extra environment, and returns its output and error.
func runChild(t *testing.T, mode string, env ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSubprocess$", "-test.v", "-test.count=1")
	for _, kv := range os.Environ() {
		switch strings.SplitN(kv, "=", 2)[0] {
		case "PGTEST_CHILD", EnvURL, EnvForceThrowaway, "CI":
		default:
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "PGTEST_CHILD="+mode)
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestThrowawayCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	if _, err := findBinaries(); err != nil {
		t.Skip(err)
	}
	if os.Geteuid() == 0 {
		_, errUser := user.Lookup("postgres")
		_, errRunuser := exec.LookPath("runuser")
		if errUser != nil || errRunuser != nil {
			t.Skip(errNoUser)
		}
	}
	t.Parallel()
	out, err := runChild(t, "throwaway", EnvForceThrowaway+"=1", "CI=true")
	if err != nil || !strings.Contains(out, "--- PASS: TestSubprocess") {
		t.Fatalf("child test binary: %v\n%s", err, out)
	}
	dir := regexp.MustCompile(`(?m)^PGTEST_DIR=(.*)$`).FindStringSubmatch(out)
	u := regexp.MustCompile(`(?m)^PGTEST_URL=(.*)$`).FindStringSubmatch(out)
	if dir == nil || u == nil {
		t.Fatalf("child printed no cluster:\n%s", out)
	}
	t.Logf("child used %s in %s", u[1], dir[1])
	if _, err := os.Stat(dir[1]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cluster directory %s still exists after the child exited (stat: %v)", dir[1], err)
	}
	if err := ping(u[1], 10*time.Second); err == nil {
		t.Errorf("cluster at %s still answers after the child exited", u[1])
	}
}

func TestBadURL(t *testing.T) {
	t.Parallel()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	bad := fmt.Sprintf("postgres://strata:sekret@127.0.0.1:%d/postgres?sslmode=disable", port)
	out, err := runChild(t, "badurl", EnvURL+"="+bad)
	if err == nil {
		t.Fatalf("child passed with %s pointing at nothing:\n%s", EnvURL, out)
	}
	if !strings.Contains(out, EnvURL+"=postgres://strata:xxxxx@127.0.0.1") || !strings.Contains(out, "does not answer") {
		t.Errorf("child output does not explain the failure:\n%s", out)
	}
	if strings.Contains(out, "sekret") {
		t.Errorf("child output shows the password:\n%s", out)
	}
}
