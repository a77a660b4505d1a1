package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/postgres"
	"github.com/stratadb/strata/internal/pgtest"
)

// pgbouncer starts PgBouncer in transaction mode in front of the test
// server and returns the URL of dbURL's database through it.
func pgbouncer(t *testing.T, dbURL string) string {
	t.Helper()
	bin, err := exec.LookPath("pgbouncer")
	if err != nil {
		for _, p := range []string{"/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"} {
			if _, serr := os.Stat(p); serr == nil {
				bin, err = p, nil
			}
		}
	}
	if err != nil {
		msg := "pgbouncer is not installed (apt-get install pgbouncer); the transaction-pooling tests need it"
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci { // CI=true or CI=1, as pgtest reads it
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "strata-pgbouncer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil { // PgBouncer drops root for the postgres user
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	user := u.User.Username()
	ini := fmt.Sprintf(`[databases]
* = host=%s port=%s

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
max_client_conn = 200
default_pool_size = 4
ignore_startup_parameters = extra_float_digits,idle_in_transaction_session_timeout
pidfile = %s
logfile = %s
`, u.Hostname(), u.Port(), port, filepath.Join(dir, "users.txt"), filepath.Join(dir, "pgbouncer.pid"), filepath.Join(dir, "pgbouncer.log"))
	for name, text := range map[string]string{"pgbouncer.ini": ini, "users.txt": fmt.Sprintf("%q \"\"\n", user)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{filepath.Join(dir, "pgbouncer.ini")}
	if os.Geteuid() == 0 {
		args = append([]string{"-u", "postgres"}, args...)
	}
	cmd := exec.Command(bin, args...)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start pgbouncer: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			break
		}
		if i > 100 {
			log, _ := os.ReadFile(filepath.Join(dir, "pgbouncer.log"))
			t.Fatalf("pgbouncer did not start: %s\n%s", out, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	u.Host = fmt.Sprintf("127.0.0.1:%d", port)
	return u.String()
}

func pooledDB(t *testing.T, url string) *sql.DB {
	db, err := postgres.Open(context.Background(), url, postgres.Options{Pooler: "transaction"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestThroughPgBouncerTransactionMode(t *testing.T) {
	direct := pgtest.Database(t)
	bouncer := pgbouncer(t, direct)
	files := map[string]string{}
	for i := 1; i <= 15; i++ {
		files[fmt.Sprintf("V%d__step.sql", i)] = fmt.Sprintf("CREATE TABLE s%d (id INT);\nINSERT INTO s%d VALUES (%d);\n", i, i, i)
	}
	files["R__view.sql"] = "CREATE OR REPLACE VIEW steps AS SELECT id FROM s1;\n"

	// Four runners race through the pooler: every migration exactly once.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	applied := make([]int, 4)
	for i := range errs {
		m := migrator(t, pooledDB(t, bouncer), files, engine.WithPooling(engine.TransactionPooling), engine.WithLockWait(time.Minute))
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
	db := pooledDB(t, direct)
	if total != 16 {
		t.Fatalf("runners applied %d in all, want 16", total)
	}
	if n := scalar[int](t, db, "SELECT count(*) FROM strata_schema_history WHERE success"); n != 16 {
		t.Fatalf("history rows = %d, want 16", n)
	}
	for i := 1; i <= 15; i++ {
		if n := scalar[int](t, db, fmt.Sprintf("SELECT count(*) FROM s%d", i)); n != 1 {
			t.Fatalf("s%d has %d rows", i, n)
		}
	}
	// Nothing of the session lingers: no advisory lock is held.
	if n := scalar[int](t, db, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"); n != 0 {
		t.Fatalf("%d advisory locks held after the runs", n)
	}

	// A file that cannot run in a transaction is refused before anything runs.
	files["V16__cic.sql"] = "CREATE INDEX CONCURRENTLY s1_idx ON s1 (id);\n"
	files["V17__after.sql"] = "CREATE TABLE after_cic (id INT);\n"
	_, err := migrator(t, pooledDB(t, bouncer), files, engine.WithPooling(engine.TransactionPooling)).Migrate(ctx(t))
	if err == nil || !strings.Contains(err.Error(), "V16__cic.sql") || !strings.Contains(err.Error(), "connect directly") {
		t.Fatalf("migrate = %v, want a refusal naming the file", err)
	}
	if n := scalar[int](t, db, "SELECT count(*) FROM strata_schema_history"); n != 16 {
		t.Fatalf("history rows = %d after the refusal, want 16", n)
	}
}

// Through a pooler, a file that cannot run in a transaction is refused on
// a fresh database before anything is created: no schema, no table of
// strata's.
func TestPgBouncerRefusalCreatesNothing(t *testing.T) {
	direct := pgtest.Database(t)
	bouncer := pgbouncer(t, direct)
	files := map[string]string{
		"V1__t.sql":   "CREATE TABLE t (id INT);\n",
		"V2__cic.sql": "CREATE INDEX CONCURRENTLY t_idx ON t (id);\n",
	}
	_, err := migrator(t, pooledDB(t, bouncer), files, engine.WithPooling(engine.TransactionPooling), engine.WithSchemas("app")).Migrate(ctx(t))
	if err == nil || !strings.Contains(err.Error(), "V2__cic.sql") || !strings.Contains(err.Error(), "nothing was applied") {
		t.Fatalf("migrate = %v, want a refusal naming the file", err)
	}
	db := pooledDB(t, direct)
	if n := scalar[int](t, db, "SELECT count(*) FROM pg_namespace WHERE nspname = 'app'"); n != 0 {
		t.Fatal("the managed schema was created before the refusal")
	}
	if n := scalar[int](t, db, "SELECT count(*) FROM pg_class WHERE relname LIKE 'strata%'"); n != 0 {
		t.Fatalf("%d of strata's relations were created before the refusal", n)
	}
}
