package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// PasswordServer starts a throwaway cluster of its own, for one test, whose
// TCP connections must authenticate with scram-sha-256, and returns the URL
// of a role named role with password, on a database of the same name that
// the role owns (postgres://role:password@127.0.0.1:port/role, the password
// percent-encoded). The postgres role stays trusted, for setting up. The cluster is stopped and removed when the test ends.
//
// A shared server usually trusts every local connection, so a test of a
// wrong password needs this. When PostgreSQL's server binaries are not
// installed, or the tests run as root without a postgres OS user, the test
// is skipped (failed when $CI is true) with the reason.
func PasswordServer(t testing.TB, role, password string) string {
	t.Helper()
	bin, err := findBinaries()
	if err == nil {
		var c *cluster
		if c, err = startCluster(bin); err == nil {
			t.Cleanup(func() {
				if err := c.stop(); err != nil {
					t.Errorf("pgtest: stop password cluster in %s: %v", c.dir, err)
				}
			})
			var u string
			if u, err = c.requirePasswords(role, password); err == nil {
				return u
			}
			err = fmt.Errorf("set up password authentication: %w", err)
		}
	}
	if errors.Is(err, errNoUser) || strings.Contains(err.Error(), "no PostgreSQL server binaries") {
		report(t, resolution{unavailable: "no PostgreSQL cluster with password authentication for this test: " + err.Error()}, envTrue("CI"))
		return ""
	}
	t.Fatalf("pgtest: start a cluster with password authentication: %v", err)
	return ""
}

// requirePasswords creates role with password and makes TCP connections of
// every role but postgres authenticate with scram-sha-256.
func (c *cluster) requirePasswords(role, password string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := adminExec(ctx, c.url,
		"SET password_encryption = 'scram-sha-256'",
		"CREATE ROLE "+pgx.Identifier{role}.Sanitize()+" LOGIN CREATEDB PASSWORD "+quoteLiteral(password),
		"CREATE DATABASE "+pgx.Identifier{role}.Sanitize()+" OWNER "+pgx.Identifier{role}.Sanitize()); err != nil {
		return "", err
	}
	hba := "local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
	// Rewrite the file in place: it keeps its owner (the postgres OS user
	// when the tests run as root).
	if err := os.WriteFile(filepath.Join(c.dir, "data", "pg_hba.conf"), []byte(hba), 0o600); err != nil {
		return "", err
	}
	if err := adminExec(ctx, c.url, "SELECT pg_reload_conf()"); err != nil {
		return "", err
	}
	au, err := url.Parse(c.url)
	if err != nil {
		return "", err
	}
	au.User = url.UserPassword(role, password)
	au.Path = "/" + role
	// The reload is asynchronous: wait until a wrong password is refused.
	wrong := *au
	wrong.User = url.UserPassword(role, password+"-wrong")
	for {
		err := ping(wrong.String(), 10*time.Second)
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "28P01" {
			break
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("a wrong password is still accepted after pg_reload_conf (last error: %v)", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := ping(au.String(), 10*time.Second); err != nil {
		return "", fmt.Errorf("connect with the role's password: %v", errors.Unwrap(err))
	}
	return au.String(), nil
}

// quoteLiteral quotes s as a SQL string literal.
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
