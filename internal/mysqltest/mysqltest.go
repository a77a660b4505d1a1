// Package mysqltest gives database tests a real MySQL or MariaDB server.
//
// Server finds a server once per test binary: $STRATA_TEST_MYSQL_URL when
// set (it must answer, or every test calling Server fails), else
// mysql://root@127.0.0.1:3306/mysql when it answers within about two
// seconds. The URL's user must be allowed to create and drop databases.
// When no server answers, Server skips the test with a reason, except when
// $CI is true: then it fails, because database tests must not silently
// skip in CI. Start the local MariaDB with
//
//	start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
//
// Database creates a fresh, empty database for one test and drops it when
// the test ends. Messages never show passwords.
package mysqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stratadb/strata/engine/mysql"
	"github.com/stratadb/strata/internal/redact"
)

// EnvURL names the server to use instead of the local one.
const EnvURL = "STRATA_TEST_MYSQL_URL"

// LocalURL is the server tried when EnvURL is not set.
const LocalURL = "mysql://root@127.0.0.1:3306/mysql"

// dbPrefix starts the name of every database Database creates.
const dbPrefix = "strata_t_"

var (
	once     sync.Once
	resolved string
	problem  string // why no server is available
	fatal    bool   // problem is an error even outside CI
)

// Server returns the admin URL of the server, or skips (fails in CI).
func Server(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		if u := os.Getenv(EnvURL); u != "" {
			if err := ping(u, 10*time.Second); err != nil {
				problem, fatal = fmt.Sprintf("%s=%s does not answer: %v; start that server or unset %s", EnvURL, redact.URL(u), err, EnvURL), true
				return
			}
			resolved = u
			return
		}
		if err := ping(LocalURL, 2*time.Second); err != nil {
			problem = fmt.Sprintf("no MySQL or MariaDB server for tests: %s is not set and %s does not answer (%v); start MariaDB "+
				"(start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd) or set %s", EnvURL, LocalURL, err, EnvURL)
			return
		}
		resolved = LocalURL
	})
	switch {
	case problem != "" && (fatal || envTrue("CI")):
		t.Fatalf("mysqltest: %s (CI is true, so database tests fail instead of skipping)", problem)
	case problem != "":
		t.Skipf("mysqltest: %s", problem)
	}
	return resolved
}

// Database creates a database with a unique name, registers a t.Cleanup
// that drops it, and returns its URL: the server's URL with the database
// replaced.
func Database(t testing.TB) string {
	t.Helper()
	admin := Server(t)
	name := DatabaseName(t.Name())
	if err := AdminExec(admin, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4"); err != nil {
		t.Fatalf("mysqltest: create database: %v", err)
	}
	t.Cleanup(func() {
		if err := AdminExec(admin, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			t.Errorf("mysqltest: drop database %s: %v", name, err)
		}
	})
	u, err := WithDatabase(admin, name)
	if err != nil {
		t.Fatalf("mysqltest: %v", err)
	}
	return u
}

// WithDatabase returns the mysql:// URL admin with its database replaced.
func WithDatabase(admin, name string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil {
		return "", fmt.Errorf("parse server url %s: %v", redact.URL(admin), err)
	}
	u.Path, u.RawPath = "/"+name, ""
	return u.String(), nil
}

// AdminExec runs statements on the server at admin, one connection.
func AdminExec(admin string, stmts ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := mysql.Open(ctx, admin, mysql.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// DropDatabases drops every database whose name starts with prefix.
func DropDatabases(admin, prefix string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := mysql.Open(ctx, admin, mysql.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE LEFT(SCHEMA_NAME, ?) = ?", len(prefix), prefix)
	if err != nil {
		return err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		names = append(names, n)
	}
	rows.Close()
	for _, n := range names {
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+strings.ReplaceAll(n, "`", "``")+"`"); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Open opens a handle on the database at u, closed when the test ends.
func Open(t testing.TB, u string) *sql.DB {
	t.Helper()
	db, err := mysql.Open(context.Background(), u, mysql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// DatabaseName returns a unique database name for the test called
// testName: dbPrefix, the test name reduced to [a-z0-9_], and a random
// suffix, at most 64 bytes (MySQL's limit).
func DatabaseName(testName string) string {
	var b strings.Builder
	under := true
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
	rand.Read(suffix)
	const limit = 64 - len(dbPrefix) - 1 - 8
	s := strings.TrimRight(b.String(), "_")
	if len(s) > limit {
		s = strings.TrimRight(s[:limit], "_")
	}
	if s == "" {
		return dbPrefix + hex.EncodeToString(suffix)
	}
	return dbPrefix + s + "_" + hex.EncodeToString(suffix)
}

func ping(u string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	db, err := mysql.Open(ctx, u, mysql.Options{ConnectTimeout: timeout})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.PingContext(ctx)
}

func envTrue(name string) bool {
	v, err := strconv.ParseBool(os.Getenv(name))
	return err == nil && v
}
