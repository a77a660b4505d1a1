// Package pgtest gives database tests a real PostgreSQL server.
//
// Server finds a server once per test binary, trying in order:
//
//  1. $STRATA_TEST_POSTGRES_URL, if set. It must answer; otherwise every test
//     calling Server fails. It is the admin connection: its role must be
//     allowed to create and drop databases, and its database is used only for
//     those statements. Both URL (postgres://...) and key=value forms work.
//  2. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable, if it
//     answers within about two seconds.
//  3. A throwaway cluster, if PostgreSQL's server binaries are installed
//     (initdb and pg_ctl on $PATH or in /usr/lib/postgresql/<version>/bin;
//     the highest version wins). initdb creates it in a temporary directory
//     and pg_ctl starts it on a free port of 127.0.0.1, with fsync off and
//     max_connections=200; all tests of the binary share it.
//
// Main stops the throwaway cluster (pg_ctl stop -m immediate) and removes its
// directory when the tests are done, so a package whose tests may need one
// must have
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// Without it, Server fails rather than leave a server running. When the tests
// run as root, initdb, pg_ctl and postgres run as the "postgres" OS user
// through runuser(1), because PostgreSQL refuses to run as root; the temporary
// directory is then owned by that user. A test binary killed before Main
// returns (a -timeout panic, a signal) leaves its cluster running: stop it with
// pg_ctl stop -D $TMPDIR/strata-pgtest-*/data.
//
// When no server is found, Server skips the test with a reason saying what was
// tried and how to fix it, except when $CI is true: then it fails the test,
// because database tests must not silently skip in CI.
//
// Setting STRATA_TEST_POSTGRES_FORCE_THROWAWAY=1 skips steps 1 and 2, to test
// the throwaway cluster on a machine that runs a server.
//
// Database creates a fresh, empty database on that server for one test and
// drops it when the test ends, so tests can run in parallel.
//
// Messages never show passwords: every URL this package prints is masked.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Environment variables read by this package.
const (
	// EnvURL names the variable holding the admin URL of a server to use.
	EnvURL = "STRATA_TEST_POSTGRES_URL"
	// EnvForceThrowaway names the variable that, when true ("1"), skips
	// EnvURL and the local server and always starts a throwaway cluster.
	EnvForceThrowaway = "STRATA_TEST_POSTGRES_FORCE_THROWAWAY"
)

// LocalURL is the server tried when EnvURL is not set.
const LocalURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// dbPrefix starts the name of every database made by Database.
const dbPrefix = "strata_test_"

var (
	resolveOnce sync.Once
	resolved    resolution

	mainActive atomic.Bool // Main is wrapping m.Run

	clusterMu sync.Mutex
	running   *cluster // throwaway cluster started by Server, if any
)

// resolution is the outcome of looking for a server, computed once per binary.
type resolution struct {
	url         string // admin URL when a server was found
	err         error  // a server was expected but is broken: fail
	unavailable string // nothing was found: skip (fail in CI)
}

// Server returns the admin URL of a reachable PostgreSQL server for tests (see
// the package documentation for where it comes from). It skips or fails t when
// there is none.
func Server(t testing.TB) string {
	t.Helper()
	resolveOnce.Do(func() { resolved = resolve() })
	report(t, resolved, envTrue("CI"))
	return resolved.url
}

// report fails or skips t when r has no server.
func report(t testing.TB, r resolution, ci bool) {
	t.Helper()
	switch {
	case r.err != nil:
		t.Fatalf("pgtest: %v", r.err)
	case r.unavailable != "" && ci:
		t.Fatalf("pgtest: %s (CI is true, so database tests fail instead of skipping)", r.unavailable)
	case r.unavailable != "":
		t.Skipf("pgtest: %s", r.unavailable)
	}
}

// Database creates a database with a unique name on the server returned by
// Server, registers a t.Cleanup that drops it (WITH (FORCE), which ends any
// connection left open), and returns its URL: the server's URL with the
// database name replaced. The database is created from template0 with UTF8
// encoding and the C locale, so it is empty and behaves the same on every
// server.
func Database(t testing.TB) string {
	t.Helper()
	admin := Server(t)
	name := databaseName(t.Name())
	dbURL, err := withDatabase(admin, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	quoted := pgx.Identifier{name}.Sanitize()
	err = adminExec(ctx, admin, "CREATE DATABASE "+quoted+" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'")
	if err != nil {
		t.Fatalf("pgtest: create database %s on %s: %v", name, mask(admin), err)
	}
	t.Cleanup(func() {
		// t.Context is already canceled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := dropDatabase(ctx, admin, name); err != nil {
			t.Errorf("pgtest: drop database %s on %s: %v", name, mask(admin), err)
		}
	})
	return dbURL
}

// Main runs the tests and then stops the throwaway cluster, if Server started
// one, and removes its directory. It returns the exit code for os.Exit:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
func Main(m *testing.M) int {
	mainActive.Store(true)
	code := m.Run()
	clusterMu.Lock()
	c := running
	running = nil
	clusterMu.Unlock()
	if c != nil {
		if err := c.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stop throwaway cluster in %s: %v\n", c.dir, err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// resolve looks for a server in the documented order.
func resolve() resolution {
	var tried []string
	if !envTrue(EnvForceThrowaway) {
		if u := os.Getenv(EnvURL); u != "" {
			if err := ping(u, 10*time.Second); err != nil {
				return resolution{err: fmt.Errorf("%s=%s does not answer: %w; start that server or unset %s", EnvURL, mask(u), err, EnvURL)}
			}
			return resolution{url: u}
		}
		tried = append(tried, EnvURL+" is not set")
		if err := ping(LocalURL, 2*time.Second); err != nil {
			tried = append(tried, fmt.Sprintf("%s does not answer (%v)", LocalURL, err))
		} else {
			return resolution{url: LocalURL}
		}
	} else {
		tried = append(tried, EnvForceThrowaway+" is set, so "+EnvURL+" and "+LocalURL+" were not tried")
	}
	bin, err := findBinaries()
	if err != nil {
		tried = append(tried, err.Error())
		return resolution{unavailable: "no PostgreSQL server for tests: " + strings.Join(tried, "; ") +
			"; to fix, install the PostgreSQL server (e.g. apt-get install postgresql) or set " +
			EnvURL + " to the URL of a server whose role may create databases"}
	}
	if !mainActive.Load() {
		return resolution{err: fmt.Errorf("no PostgreSQL server is running (%s), and starting a throwaway cluster needs "+
			"the package's TestMain to stop it: add func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }",
			strings.Join(tried, "; "))}
	}
	c, err := startCluster(bin)
	if err != nil {
		if errors.Is(err, errNoUser) {
			return resolution{unavailable: "no PostgreSQL server for tests: " + strings.Join(tried, "; ") + "; " + err.Error()}
		}
		return resolution{err: fmt.Errorf("start throwaway cluster with %s: %w", bin.dir, err)}
	}
	clusterMu.Lock()
	running = c
	clusterMu.Unlock()
	return resolution{url: c.url}
}

// ping connects to the server at u and checks that it answers.
func ping(u string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return conn.Ping(ctx)
}

// adminExec runs statements one by one on a new connection to u.
func adminExec(ctx context.Context, u string, stmts ...string) error {
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// dropDatabase drops the database name on the server at admin, ending the
// connections still open to it.
func dropDatabase(ctx context.Context, admin, name string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	quoted := pgx.Identifier{name}.Sanitize()
	// server_version is reported at connect, e.g. "15.8 (Debian 15.8-1)".
	v := conn.PgConn().ParameterStatus("server_version")
	if i := strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		v = v[:i]
	}
	major, _ := strconv.Atoi(v)
	if major >= 13 {
		_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+quoted+" WITH (FORCE)")
		return err
	}
	// Before PostgreSQL 13 there is no FORCE: end the sessions first.
	if _, err := conn.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+quoted)
	return err
}

// databaseName returns a unique database name for the test called testName:
// dbPrefix, the test name reduced to [a-z0-9_], and a random suffix, at most
// 63 bytes (PostgreSQL's limit).
func databaseName(testName string) string {
	var b strings.Builder
	under := true // no leading '_' and no runs of '_'
	for _, r := range strings.ToLower(testName) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			under = false
		} else if !under {
			b.WriteByte('_')
			under = true
		}
	}
	suffix := make([]byte, 4)
	rand.Read(suffix) // never fails (crypto/rand)
	const max = 63 - len(dbPrefix) - 1 - 8
	s := strings.TrimRight(b.String(), "_")
	if len(s) > max {
		s = strings.TrimRight(s[:max], "_")
	}
	if s == "" {
		return dbPrefix + hex.EncodeToString(suffix)
	}
	return dbPrefix + s + "_" + hex.EncodeToString(suffix)
}

// withDatabase returns the connection string admin with its database replaced
// by name, which must need no quoting. admin is a postgres:// or postgresql://
// URL or a key=value string.
func withDatabase(admin, name string) (string, error) {
	if !isURL(admin) {
		// In key=value strings the last setting of a key wins.
		return strings.TrimSpace(admin) + " dbname=" + name, nil
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", fmt.Errorf("parse server url %s: %w", mask(admin), errors.Unwrap(err))
	}
	u.Path, u.RawPath = "/"+name, ""
	if q := u.Query(); q.Has("dbname") || q.Has("database") {
		q.Del("dbname")
		q.Del("database")
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

var (
	kvPassword  = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)`)
	urlPassword = regexp.MustCompile(`(?i)([?&]password=)[^&#]*`)
)

// mask returns the connection string s with every password replaced by xxxxx.
func mask(s string) string {
	if !isURL(s) {
		return kvPassword.ReplaceAllString(s, "${1}xxxxx")
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable url)" // it may hold a password anywhere
	}
	return urlPassword.ReplaceAllString(u.Redacted(), "${1}xxxxx")
}

// envTrue reports whether the environment variable name holds a true value
// ("1", "true", ...).
func envTrue(name string) bool {
	v, err := strconv.ParseBool(os.Getenv(name))
	return err == nil && v
}

// binaries is an installation of the PostgreSQL server.
type binaries struct {
	dir          string // holds initdb, pg_ctl and postgres
	major, minor int
}

var pgVersion = regexp.MustCompile(`\(PostgreSQL\) (\d+)(?:\.(\d+))?`)

// findBinaries returns the highest-versioned PostgreSQL server installation
// on $PATH or in /usr/lib/postgresql/*/bin.
func findBinaries() (binaries, error) {
	var dirs []string
	for _, name := range []string{"initdb", "pg_ctl"} {
		if p, err := exec.LookPath(name); err == nil {
			dirs = append(dirs, filepath.Dir(p))
		}
	}
	globbed, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	dirs = append(dirs, globbed...)
	var best binaries
	seen := map[string]bool{}
	for _, d := range dirs {
		// Resolve symlinks (e.g. /usr/local/bin/pg_ctl) to the real directory.
		p, err := filepath.EvalSymlinks(filepath.Join(d, "pg_ctl"))
		if err != nil || seen[filepath.Dir(p)] {
			continue
		}
		d = filepath.Dir(p)
		seen[d] = true
		if !isFile(filepath.Join(d, "initdb")) || !isFile(filepath.Join(d, "postgres")) {
			continue
		}
		out, err := exec.Command(p, "--version").Output()
		m := pgVersion.FindSubmatch(out)
		if err != nil || m == nil {
			continue
		}
		b := binaries{dir: d}
		b.major, _ = strconv.Atoi(string(m[1]))
		b.minor, _ = strconv.Atoi(string(m[2]))
		if best.dir == "" || b.major > best.major || b.major == best.major && b.minor > best.minor {
			best = b
		}
	}
	if best.dir == "" {
		return best, errors.New("no PostgreSQL server binaries (initdb, pg_ctl, postgres) on PATH or in /usr/lib/postgresql/*/bin")
	}
	return best, nil
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// errNoUser says the tests run as root and PostgreSQL cannot be run as
// another user.
var errNoUser = errors.New("tests run as root, PostgreSQL refuses to run as root, and it cannot be run as the postgres user: " +
	"create a 'postgres' OS user (installing the postgresql package does) with runuser(1) available, run the tests as another user, or set " + EnvURL)

// cluster is a throwaway PostgreSQL cluster.
type cluster struct {
	bin    binaries
	dir    string // temporary directory: data/, log, unix socket
	asUser string // run PostgreSQL's programs as this OS user via runuser, if set
	url    string
}

// startCluster creates and starts a throwaway cluster with the programs of bin.
func startCluster(bin binaries) (*cluster, error) {
	c := &cluster{bin: bin}
	var uid, gid int
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, errNoUser
		}
		if _, err := exec.LookPath("runuser"); err != nil {
			return nil, errNoUser
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		c.asUser = "postgres"
	}
	dir, err := os.MkdirTemp("", "strata-pgtest-")
	if err != nil {
		return nil, err
	}
	c.dir = dir
	if c.asUser != "" {
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := c.run("initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	sockets := dir
	if len(dir) > 80 {
		sockets = "" // the socket path would pass the OS limit of about 100 bytes; use TCP only
	}
	conf := fmt.Sprintf("\n# pgtest\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n"+
		"fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\nshared_buffers = 32MB\n",
		strings.ReplaceAll(sockets, "'", "''"))
	if err := appendFile(filepath.Join(data, "postgresql.conf"), conf); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := c.start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

// start starts the initialized cluster on a free port.
func (c *cluster) start() error {
	data, logFile := filepath.Join(c.dir, "data"), filepath.Join(c.dir, "log")
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		out, err := c.run("pg_ctl", "start", "-w", "-t", "120", "-s", "-D", data, "-l", logFile, "-o", "-p "+strconv.Itoa(port))
		if err == nil {
			c.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
			if err = ping(c.url, 30*time.Second); err == nil {
				return nil
			}
		}
		c.halt()
		log, _ := os.ReadFile(logFile)
		// Another process may have taken the port before postgres bound it.
		if attempt < 5 && strings.Contains(string(log), "could not bind") {
			os.Truncate(logFile, 0)
			continue
		}
		return fmt.Errorf("pg_ctl start: %w\n%s\nserver log (end):\n%s", err, out, tail(log, 2000))
	}
}

// run runs one of PostgreSQL's programs from c.bin.dir, as c.asUser if set,
// and returns its combined output.
func (c *cluster) run(program string, args ...string) ([]byte, error) {
	name := filepath.Join(c.bin.dir, program)
	if c.asUser != "" {
		args = append([]string{"-u", c.asUser, "--", name}, args...)
		name = "runuser"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = c.dir // readable by c.asUser, unlike perhaps the test's directory
	// pg_ctl sends the server's output to the -l file, but do not hang if a
	// child process keeps the output pipe open.
	cmd.WaitDelay = 10 * time.Second
	return cmd.CombinedOutput()
}

// stop stops the cluster at once and removes its directory.
func (c *cluster) stop() error {
	return errors.Join(c.halt(), os.RemoveAll(c.dir))
}

// halt stops the server, if it is running, at once (no checkpoint: the
// cluster is thrown away).
func (c *cluster) halt() error {
	data := filepath.Join(c.dir, "data")
	if !isFile(filepath.Join(data, "postmaster.pid")) {
		return nil
	}
	if out, err := c.run("pg_ctl", "stop", "-w", "-t", "120", "-s", "-D", data, "-m", "immediate"); err != nil {
		return fmt.Errorf("pg_ctl stop: %w\n%s", err, out)
	}
	return nil
}

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func appendFile(name, s string) error {
	f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(s)
	return errors.Join(err, f.Close())
}

// tail returns at most the last n bytes of b.
func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// Cluster is a throwaway cluster of one test's own, for tests that restart
// the server (never do that to the shared one).
type Cluster struct{ c *cluster }

// NewCluster starts a throwaway cluster (initdb, pg_ctl) and stops and
// removes it when the test ends. Without PostgreSQL's server binaries it
// skips the test, or fails it when $CI is true.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	bin, err := findBinaries()
	if err == nil {
		var c *cluster
		if c, err = startCluster(bin); err == nil {
			t.Cleanup(func() {
				if err := c.stop(); err != nil {
					t.Errorf("stop throwaway cluster: %v", err)
				}
			})
			return &Cluster{c: c}
		}
	}
	if envTrue("CI") {
		t.Fatalf("pgtest: cannot start a throwaway cluster: %v", err)
	}
	t.Skipf("pgtest: cannot start a throwaway cluster: %v", err)
	return nil
}

// URL is the cluster's admin URL (user postgres, database postgres).
func (c *Cluster) URL() string { return c.c.url }

// Restart restarts the server at once (pg_ctl restart -m immediate: every
// session ends without a checkpoint, as in a crash) on the same port, and
// waits until it accepts connections.
func (c *Cluster) Restart() error {
	u, err := url.Parse(c.c.url)
	if err != nil {
		return err
	}
	data, logFile := filepath.Join(c.c.dir, "data"), filepath.Join(c.c.dir, "log")
	out, err := c.c.run("pg_ctl", "restart", "-w", "-t", "120", "-s", "-m", "immediate", "-D", data, "-l", logFile, "-o", "-p "+u.Port())
	if err != nil {
		return fmt.Errorf("pg_ctl restart: %w\n%s", err, out)
	}
	return ping(c.c.url, 30*time.Second)
}
