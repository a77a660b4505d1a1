package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	neturl "net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stratadb/strata/internal/pgtest"
)

// TestRepeatedEnvRefused: an env given twice, and several envs for a
// command that runs on one, exit with the usage code before the config is
// even read (migrate, undo, info and validate run several, scopes.go).
func TestRepeatedEnvRefused(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "strata.hcl")
	if err := os.WriteFile(cfg, []byte("env \"a\" {\n  url = \"sqlite://a.db\"\n}\nenv \"b\" {\n  url = \"sqlite://b.db\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for args, want := range map[*[]string]string{
		{"--config", cfg, "-e", "a", "-e", "b", "baseline", "--version", "1"}:     "--env is given 2 times (a, b): only migrate, undo, info, validate run over several envs",
		{"--config", cfg, "migrate", "--env", "a", "--env", "a"}:                  "--env a is given twice",
		{"--config", cfg, "-e", "a", "repair", "-e", "b"}:                         "--env is given 2 times",
		{"--config", cfg, "-e", "a", "-e", "b", "--url", "sqlite://c.db", "info"}: "--url with several --env",
	} {
		var out, errOut testWriter
		code := run(context.Background(), *args, &out, &errOut)
		if code != exitUsage || !strings.Contains(errOut.String(), want) || out.String() != "" {
			t.Errorf("%v: exit %d\nstdout %s\nstderr %s", args, code, out, errOut)
		}
	}
	for _, name := range []string{"a.db", "b.db"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s was created", name)
		}
	}
}

// closedPort returns a loopback address nothing listens on: a port that was
// free a moment ago.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// writeProject writes strata.hcl (one env "test" on url with extra
// attributes) and migrations/V1__a.sql, and returns the config path.
func writeProject(t *testing.T, url, extra string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "migrations"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "migrations", "V1__a.sql"), []byte("CREATE TABLE a (id int);\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hcl := fmt.Sprintf("locations = [\"migrations\"]\nenv \"test\" {\n  url = %s\n%s\n}\n", hclString(url), extra)
	cfg := filepath.Join(dir, "strata.hcl")
	if err := os.WriteFile(cfg, []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// lockedWriter is a writer safe for a running command and a test reading
// it; lines receives a value after every write.
type lockedWriter struct {
	mu    sync.Mutex
	buf   strings.Builder
	lines chan struct{}
}

func newLockedWriter() *lockedWriter { return &lockedWriter{lines: make(chan struct{}, 64)} }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.buf.Write(p)
	w.mu.Unlock()
	select {
	case w.lines <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// waitFor waits until w contains s.
func (w *lockedWriter) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.After(time.Minute)
	for !strings.Contains(w.String(), s) {
		select {
		case <-w.lines:
		case <-deadline:
			t.Fatalf("no %q after a minute; output so far:\n%s", s, w.String())
		}
	}
}

var retryLine = regexp.MustCompile(`(?m)^warning: env test: cannot connect to postgres://deploy:\*\*\*@127\.0\.0\.1:\d+/app\?sslmode=disable \(attempt (\d) of 3\): .*connection refused; trying again in 10ms$`)

// TestConnectRetriesClosedPort: with connect_retries = 2 a closed port is
// tried three times, with one line per retry, then fails with exit 5; the
// password never shows.
func TestConnectRetriesClosedPort(t *testing.T) {
	const password = "Sup3r-S3cret-pw"
	url := "postgres://deploy:" + password + "@" + closedPort(t) + "/app?sslmode=disable"
	cfg := writeProject(t, url, "  connect_retries = 2\n  connect_retries_interval = \"10ms\"")
	for _, args := range [][]string{{"migrate"}, {"info"}, {"validate"}} {
		var out, errOut testWriter
		code := run(context.Background(), append([]string{"--config", cfg}, args...), &out, &errOut)
		all := out.String() + errOut.String()
		if code != exitUnreachable || strings.Contains(all, password) {
			t.Fatalf("%v: exit %d\n%s", args, code, all)
		}
		m := retryLine.FindAllStringSubmatch(errOut.String(), -1)
		if len(m) != 2 || m[0][1] != "1" || m[1][1] != "2" {
			t.Errorf("%v: want the retry lines of attempts 1 and 2, got:\n%s", args, errOut)
		}
		if !strings.Contains(errOut.String(), "error: database unreachable: env test: connect to postgres://deploy:***@") ||
			!strings.Contains(errOut.String(), "(after 3 attempts, connect_retries = 2)") ||
			!strings.Contains(errOut.String(), "nothing was run; start the database") {
			t.Errorf("%v: final error:\n%s", args, errOut)
		}
	}

	// JSON mode: no retry lines, the same final error.
	var out, errOut testWriter
	code := run(context.Background(), []string{"--config", cfg, "migrate", "--format", "json"}, &out, &errOut)
	if code != exitUnreachable || strings.Contains(errOut.String(), "trying again") || !strings.Contains(errOut.String(), "after 3 attempts") {
		t.Errorf("json: exit %d\n%s", code, errOut)
	}

	// The default is Flyway's: no retry.
	cfg = writeProject(t, url, "")
	out, errOut = nil, nil
	code = run(context.Background(), []string{"--config", cfg, "migrate"}, &out, &errOut)
	if code != exitUnreachable || strings.Contains(errOut.String(), "trying again") || strings.Contains(errOut.String(), "attempts") {
		t.Errorf("default: exit %d\n%s", code, errOut)
	}
}

// TestConnectRetriesNotForRefusedLogin: a server that answers "no such
// role" is not tried again.
func TestConnectRetriesNotForRefusedLogin(t *testing.T) {
	u, err := neturl.Parse(pgtest.Server(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = neturl.UserPassword("strata_no_such_role", "pw-Secret-1")
	cfg := writeProject(t, u.String(), "  connect_retries = 3\n  connect_retries_interval = \"10ms\"")
	var out, errOut testWriter
	code := run(context.Background(), []string{"--config", cfg, "migrate"}, &out, &errOut)
	if code != exitAuth || strings.Contains(errOut.String(), "trying again") || strings.Contains(errOut.String(), "pw-Secret-1") ||
		!strings.Contains(errOut.String(), "28000") || !strings.Contains(errOut.String(), "check the url's user, password and database") {
		t.Errorf("exit %d\n%s", code, errOut)
	}
}

// proxyLater listens on addr once started and forwards every connection to
// target (loopback only), until the test ends.
func proxyLater(t *testing.T, addr, target string) (start func()) {
	t.Helper()
	var l net.Listener
	var wg sync.WaitGroup
	t.Cleanup(func() {
		if l != nil {
			l.Close()
		}
		wg.Wait()
	})
	return func() {
		var err error
		l, err = net.Listen("tcp", addr)
		if err != nil {
			t.Errorf("listen %s: %v", addr, err)
			return
		}
		wg.Go(func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				wg.Go(func() {
					defer c.Close()
					s, err := net.Dial("tcp", target)
					if err != nil {
						return
					}
					defer s.Close()
					done := make(chan struct{}, 2)
					go func() { io.Copy(s, c); s.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
					go func() { io.Copy(c, s); c.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
					<-done
					<-done
				})
			}
		})
	}
}

// serverLater returns a URL of a fresh PostgreSQL database on a loopback
// port that accepts connections only once start is called.
func serverLater(t *testing.T) (url string, start func()) {
	t.Helper()
	u, err := neturl.Parse(pgtest.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	if h := u.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
		t.Fatalf("the test server is not on loopback: %s", h)
	}
	target := u.Host
	addr := closedPort(t)
	u.Host = addr
	return u.String(), proxyLater(t, addr, target)
}

// TestConnectRetriesServerComesUp: the server starts listening during the
// retries, and migrate then succeeds.
func TestConnectRetriesServerComesUp(t *testing.T) {
	url, start := serverLater(t)
	cfg := writeProject(t, url, "  connect_retries = 10\n  connect_retries_interval = \"200ms\"")
	stdout, stderr := newLockedWriter(), newLockedWriter()
	done := make(chan int)
	go func() { done <- run(context.Background(), []string{"--config", cfg, "migrate"}, stdout, stderr) }()
	stderr.waitFor(t, "(attempt 1 of 11)")
	start()
	code := <-done
	if code != exitOK || !strings.Contains(stdout.String(), "applied 1 migration") {
		t.Fatalf("exit %d\n--- stdout\n%s--- stderr\n%s", code, stdout, stderr)
	}
	if n := strings.Count(stderr.String(), "trying again"); n < 1 || n > 10 {
		t.Errorf("%d retry lines:\n%s", n, stderr)
	}
}

// TestWaitCommand: strata wait returns 0 once the server listens, 5 when it
// never does, and 6 at once for a refused login.
func TestWaitCommand(t *testing.T) {
	t.Run("server comes up", func(t *testing.T) {
		url, start := serverLater(t)
		cfg := writeProject(t, url, "")
		stdout, stderr := newLockedWriter(), newLockedWriter()
		done := make(chan int)
		go func() {
			done <- run(context.Background(), []string{"--config", cfg, "wait", "--interval", "50ms", "--timeout", "1m"}, stdout, stderr)
		}()
		stderr.waitFor(t, "(attempt 2)")
		start()
		code := <-done
		if code != exitOK || !strings.Contains(stdout.String(), "env test (postgres 127.0.0.1:") || !strings.Contains(stdout.String(), "): the database accepts connections (attempt ") {
			t.Fatalf("exit %d\n--- stdout\n%s--- stderr\n%s", code, stdout, stderr)
		}
		if !regexp.MustCompile(`(?m)^waiting for env test: cannot connect to postgres://\S+ \(attempt 1\): .*; trying again in 50ms$`).MatchString(stderr.String()) {
			t.Errorf("want one line per attempt off a terminal:\n%s", stderr)
		}
	})
	t.Run("closed port times out", func(t *testing.T) {
		cfg := writeProject(t, "postgres://deploy:pw-Secret-2@"+closedPort(t)+"/app?sslmode=disable", "  connect_retries = 5")
		var out, errOut testWriter
		code := run(context.Background(), []string{"--config", cfg, "wait", "--interval", "20ms", "--timeout", "300ms"}, &out, &errOut)
		if code != exitUnreachable || strings.Contains(errOut.String(), "pw-Secret-2") ||
			!strings.Contains(errOut.String(), "did not accept connections within 300ms") || !strings.Contains(errOut.String(), "(attempt 1)") {
			t.Errorf("exit %d\n%s", code, errOut)
		}
	})
	t.Run("sqlserver closed port", func(t *testing.T) {
		cfg := writeProject(t, "sqlserver://sa:pw-Secret-3@"+closedPort(t)+"?database=app", "")
		var out, errOut testWriter
		code := run(context.Background(), []string{"--config", cfg, "wait", "--interval", "20ms", "--timeout", "200ms"}, &out, &errOut)
		if code != exitUnreachable || strings.Contains(errOut.String(), "pw-Secret-3") || !strings.Contains(errOut.String(), "connection refused") {
			t.Errorf("exit %d\n%s", code, errOut)
		}
	})
	t.Run("refused login", func(t *testing.T) {
		u, err := neturl.Parse(pgtest.Server(t))
		if err != nil {
			t.Fatal(err)
		}
		u.User = neturl.User("strata_no_such_role")
		cfg := writeProject(t, u.String(), "")
		var out, errOut testWriter
		code := run(context.Background(), []string{"--config", cfg, "wait", "--timeout", "1h"}, &out, &errOut)
		if code != exitAuth || !strings.Contains(errOut.String(), "waiting cannot help") || strings.Contains(errOut.String(), "(attempt") {
			t.Errorf("exit %d\n%s", code, errOut)
		}
	})
}

func TestConnectFailure(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{"wrapped refused", fmt.Errorf("connect: %w", syscall.ECONNREFUSED), true},
		{"dns", fmt.Errorf("x: %w", &net.DNSError{Err: "no such host", Name: "db"}), true},
		{"eof", fmt.Errorf("handshake: %w", io.ErrUnexpectedEOF), true},
		{"timeout", fmt.Errorf("x: %w", context.DeadlineExceeded), true},
		{"starting up", fmt.Errorf("x: %w", sqlState("57P03")), true},
		{"too many connections", sqlState("53300"), true},
		{"bad password", sqlState("28P01"), false},
		{"no role", sqlState("28000"), false},
		{"no database", sqlState("3D000"), false},
		{"interrupted", fmt.Errorf("x: %w", context.Canceled), false},
		{"other", errors.New("tls: bad certificate"), false},
	}
	for _, tt := range tests {
		if got := connectFailure(tt.err); got != tt.want {
			t.Errorf("%s: connectFailure(%v) = %v", tt.name, tt.err, got)
		}
	}
}

type sqlState string

func (s sqlState) Error() string    { return "SQLSTATE " + string(s) }
func (s sqlState) SQLState() string { return string(s) }

func TestRetryWait(t *testing.T) {
	var got []string
	for n := 1; n <= 9; n++ {
		got = append(got, retryWait(n, 120*time.Second).String())
	}
	if want := "1s 2s 4s 8s 16s 32s 1m4s 2m0s 2m0s"; strings.Join(got, " ") != want {
		t.Errorf("got %s, want %s (Flyway: 1s doubled, capped at connectRetriesInterval)", strings.Join(got, " "), want)
	}
	for n := 1; n <= 3; n++ {
		if d := retryWait(n, 10*time.Millisecond); d != 10*time.Millisecond {
			t.Errorf("retryWait(%d, 10ms) = %s", n, d)
		}
	}
}

// TestSignalStopsConnectRetries: SIGTERM or SIGINT during a retry's wait (or
// strata wait's) ends the process at once with exit 130, saying that
// nothing was run.
func TestSignalStopsConnectRetries(t *testing.T) {
	url := "postgres://deploy@" + closedPort(t) + "/app?sslmode=disable"
	p := newProject(t, url, "  connect_retries = 5\n  connect_retries_interval = \"10m\"\n", map[string]string{"V1__a.sql": "SELECT 1;\n"})
	for _, tc := range []struct {
		sig  syscall.Signal
		args []string
		line string
	}{
		{syscall.SIGTERM, []string{"migrate"}, "(attempt 1 of 6)"},
		{syscall.SIGINT, []string{"info"}, "(attempt 1 of 6)"},
		{syscall.SIGTERM, []string{"wait", "--interval", "10m", "--timeout", "1h"}, "(attempt 1)"},
	} {
		pr := p.start(t, tc.args...)
		deadline := time.After(time.Minute)
		for !strings.Contains(pr.stderr.String(), tc.line) {
			select {
			case <-pr.stderr.notify:
			case <-pr.done:
				t.Fatalf("ended before retrying:\n%s", pr.res)
			case <-deadline:
				t.Fatalf("no retry line after a minute:\n%s", pr.kill())
			}
		}
		if err := pr.cmd.Process.Signal(tc.sig); err != nil {
			t.Fatal(err)
		}
		r := pr.wait()
		if r.code != exitInterrupted || !strings.Contains(r.stderr, "interrupted while waiting for the database; nothing was run") ||
			strings.Contains(r.stderr, "rolled back") {
			t.Errorf("%v after %v: want exit %d saying nothing was run, got:\n%s", tc.args, tc.sig, exitInterrupted, r)
		}
	}
}
