package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to read Strata's tables

	"github.com/stratadb/strata/internal/pgtest"
)

// Every secret of these tests contains one of these markers, so that any
// piece of a secret that reaches an output contains one too.
const (
	urlMarker = "TAILSECRET"   // in every password of a URL
	phMarker  = "APIKEYSECRET" // in the sensitive placeholder value
)

// apiKey is the value of the sensitive placeholder ${api_key} (from env()).
const apiKey = "x-" + phMarker + "-42"

// urlMode is how the URL reaches strata.
type urlMode string

const (
	inFile urlMode = "file"  // written in strata.hcl
	inFlag urlMode = "flag"  // --url
	inEnv  urlMode = "env()" // url = env("STRATA_SECRET_URL")
)

var urlModes = []urlMode{inFile, inFlag, inEnv}

// secretProject is a project directory whose env "pg" reaches its
// database by a URL given as mode says.
type secretProject struct {
	t    *testing.T
	dir  string
	mode urlMode
	url  string
	runs int // commands run, for the report
}

const secretFiles = `
-- db/V1__init.sql --
CREATE TABLE t (k text, v text);
INSERT INTO t VALUES ('api', '${api_key}');
-- db/U1__init.sql --
DROP TABLE t;
`

// newSecretProject writes strata.hcl and the migrations of secretFiles
// into a new directory.
func newSecretProject(t *testing.T, mode urlMode, u string) *secretProject {
	t.Helper()
	dir := t.TempDir()
	urlExpr := `env("STRATA_SECRET_URL")`
	switch mode {
	case inFile:
		if strings.Contains(u, `"`) || strings.Contains(u, "${") || strings.Contains(u, "%{") {
			t.Fatalf("url %q cannot be written as an HCL string literal here", u)
		}
		urlExpr = `"` + u + `"`
	case inFlag:
		urlExpr = `"postgres://nobody@127.0.0.1:1/replaced_by_flag"`
	}
	hcl := fmt.Sprintf(`locations = ["db"]
env "pg" {
  url            = %s
  clean_disabled = false
  placeholders {
    values = { api_key = env("API_KEY") }
  }
}
`, urlExpr)
	writeFiles(t, dir, "\n-- strata.hcl --\n"+hcl+secretFiles)
	t.Setenv("STRATA_SECRET_URL", u)
	t.Setenv("API_KEY", apiKey)
	return &secretProject{t: t, dir: dir, mode: mode, url: u}
}

// writeFiles writes "-- name --" sections of text under dir.
func writeFiles(t *testing.T, dir, text string) {
	t.Helper()
	parts := strings.Split(text, "\n-- ")
	for _, p := range parts[1:] {
		head, body, _ := strings.Cut(p, "\n")
		name := strings.TrimSuffix(head, " --")
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// run runs strata in-process with args, fails the test if stdout or
// stderr shows a secret, and returns the exit code and both outputs.
func (p *secretProject) run(args ...string) (code int, stdout, stderr string) {
	p.t.Helper()
	full := []string{"--config", filepath.Join(p.dir, "strata.hcl")}
	if p.mode == inFlag {
		full = append(full, "--url", p.url)
	}
	full = append(full, args...)
	var out, errOut testWriter
	code = run(context.Background(), full, &out, &errOut)
	p.runs++
	for _, w := range []struct{ name, text string }{{"stdout", string(out)}, {"stderr", string(errOut)}} {
		if m := leak(w.text); m != "" {
			p.t.Errorf("url in %s, strata %s: exit %d; %s shows the secret %q:\n%s", p.mode, strings.Join(args, " "), code, w.name, m, w.text)
		}
	}
	if slices.Contains(args, "json") {
		// Every JSON document, of a failure too, keeps the contract.
		sch, err := outputSchema()
		if err != nil {
			p.t.Fatal(err)
		}
		if _, err := checkJSONOutput(sch, string(out), code); err != nil {
			p.t.Errorf("url in %s, strata %s: exit %d: %v\n%s", p.mode, strings.Join(args, " "), code, err, out)
		}
	}
	return code, string(out), string(errOut)
}

// expect runs strata and fails the test unless it exits with want.
func (p *secretProject) expect(want int, args ...string) (stdout, stderr string) {
	p.t.Helper()
	code, stdout, stderr := p.run(args...)
	if code != want {
		p.t.Errorf("url in %s, strata %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", p.mode, strings.Join(args, " "), code, want, stdout, stderr)
	}
	return stdout, stderr
}

// leak returns the marker s shows, or "".
func leak(s string) string {
	for _, m := range []string{urlMarker, phMarker} {
		if strings.Contains(strings.ToUpper(s), m) {
			return m
		}
	}
	return ""
}

// withPassword returns the URL u with its user information replaced by
// user:password, written as given (raw '@' and ':' included) and an
// optional extra query parameter.
func withPassword(t *testing.T, u, user, password, query string) string {
	t.Helper()
	pu, err := url.Parse(u)
	if err != nil || pu.Scheme != "postgres" && pu.Scheme != "postgresql" {
		t.Skipf("the test server's URL is not a postgres:// URL; this test builds URLs from one")
	}
	userinfo := user
	if password != "" {
		userinfo += ":" + password
	}
	q := pu.RawQuery
	if query != "" {
		if q != "" {
			q += "&"
		}
		q += query
	}
	s := "postgres://" + userinfo + "@" + pu.Host + pu.Path
	if q != "" {
		s += "?" + q
	}
	return s
}

// checkStoredErrors fails the test if an error column of Strata's tables
// in the database at dbURL shows a secret, and returns the error texts
// stored.
func checkStoredErrors(t *testing.T, dbURL string, mode urlMode) []string {
	t.Helper()
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var texts []string
	for _, table := range []string{"strata_schema_history", "strata_schema_history_state"} {
		var exists bool
		if err := db.QueryRow("SELECT to_regclass($1) IS NOT NULL", "public."+table).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if !exists {
			continue
		}
		rows, err := db.Query(`SELECT "error" FROM public.` + table + ` WHERE "error" IS NOT NULL`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			texts = append(texts, s)
			if m := leak(s); m != "" {
				t.Errorf("url in %s: %s.error shows the secret %q: %s", mode, table, m, s)
			}
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return texts
}

// TestSecretsNeverLeak runs every command against PostgreSQL with a
// password in the URL (in strata.hcl, in --url and through env()) and a
// sensitive placeholder, through success, a failing statement that shows
// the sensitive value, and a failing undo, and checks that no output
// (text and JSON) and no error column of Strata's tables shows a secret.
// The password has a %-encoded '@' and ':' and one more in a query
// parameter; the shared server trusts local connections, so it connects.
func TestSecretsNeverLeak(t *testing.T) {
	pgtest.Server(t)
	for _, mode := range urlModes {
		t.Run(string(mode), func(t *testing.T) {
			dbURL := pgtest.Database(t)
			u := withPassword(t, dbURL, "postgres", "p%40ss%3A"+urlMarker, "password=q%40"+urlMarker)
			p := newSecretProject(t, mode, u)

			for _, f := range []string{"text", "json"} {
				p.expect(0, "config", "--format", f)
				p.expect(0, "wait", "--timeout", "10s", "--format", f)
				p.expect(3, "validate", "--format", f) // V1 pending
				out, _ := p.expect(0, "migrate", "--dry-run", "--format", f)
				if !strings.Contains(out, "'***'") {
					t.Errorf("url in %s: migrate --dry-run --format %s does not show the masked value '***':\n%s", mode, f, out)
				}
			}
			p.expect(0, "migrate")

			// A non-transactional file whose last statement shows the
			// sensitive value in the server's message: the history row
			// and the state row keep the error.
			writeFiles(t, p.dir, "\n-- db/V2__fails.sql --\nINSERT INTO t VALUES ('again', '${api_key}');\n"+
				"CREATE INDEX CONCURRENTLY t_k ON t (k);\nSELECT '${api_key}'::int;\n")
			p.expect(0, "migrate", "--dry-run")
			_, errOut := p.expect(1, "migrate")
			if !strings.Contains(errOut, "invalid input syntax for type integer") {
				t.Errorf("url in %s: the failure is not the one this test makes:\n%s", mode, errOut)
			}
			stored := checkStoredErrors(t, dbURL, mode)
			if len(stored) < 2 || !strings.Contains(strings.Join(stored, "\n"), `"***"`) {
				t.Errorf("url in %s: want the failure stored in the history and state rows with the value masked as \"***\"; stored: %q", mode, stored)
			}
			for _, f := range []string{"text", "json"} {
				p.expect(1, "migrate", "--format", f)
				p.expect(0, "info", "--format", f)
				p.expect(0, "info", "--details", "--format", f)
				p.expect(3, "validate", "--format", f)
				p.expect(0, "migrate", "--dry-run", "--format", f)
				p.expect(2, "repair", "--format", f) // needs --yes
			}
			p.expect(0, "repair", "--yes")
			writeFiles(t, p.dir, "\n-- db/V2__fails.sql --\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_k ON t (k);\n"+
				"-- db/U2__fails.sql --\nSELECT '${api_key}'::int;\n")
			p.expect(0, "migrate", "--format", "json")
			for _, f := range []string{"text", "json"} {
				p.expect(2, "undo", "--format", f) // needs --yes
				p.expect(1, "undo", "--yes", "--format", f)
				p.run("baseline", "--version", "1", "--yes", "--format", f) // history exists: refused
			}
			p.expect(0, "new", "add things")
			checkStoredErrors(t, dbURL, mode)
			p.expect(2, "clean", "--format", "json") // needs --yes
			p.expect(0, "clean", "--yes")
			p.expect(0, "baseline", "--version", "1", "--yes", "--format", "json")
			checkStoredErrors(t, dbURL, mode)
			t.Logf("url in %s: %d commands, no secret shown", mode, p.runs)
		})
	}
}

// TestSecretsNeverLeakOnConnectFailure runs the commands that connect with
// URLs that cannot connect, each with its password (or a piece of it) where
// a driver could show it, and checks that no output shows a secret: a raw
// '@' in the password (libpq and pgx take the rest for the host), a raw
// ':' and '/', a password taken for a port, a password in the query, a
// closed port, SQL Server's URL, and a wrong password against a server
// that checks passwords.
func TestSecretsNeverLeakOnConnectFailure(t *testing.T) {
	pgtest.Server(t)
	host := closedPort(t) // 127.0.0.1:port
	cases := map[string]string{
		"raw @ in password":             "postgres://app:p@ss@" + urlMarker + "@127.0.0.1/db",
		"raw @ and port":                "postgres://app:p@ss@" + urlMarker + "@" + host + "/db",
		"raw @ then a host that is not": "postgres://app:p@" + urlMarker + "@nohost.invalid/db",
		"raw : and / in password":       "postgres://app:pa:ss/" + urlMarker + "@" + host + "/db",
		"encoded @":                     "postgres://app:p%40" + urlMarker + "@" + host + "/db",
		"password taken for a port":     "postgres://app:" + urlMarker + "/db",
		"password in the query":         "postgres://app@" + host + "/db?password=p@" + urlMarker,
		"query password without path":   "postgres://" + host + "?password=p@" + urlMarker,
		"sqlserver raw @":               "sqlserver://sa:p@ss@" + urlMarker + "@" + host + "?database=db",
		"sqlserver query password":      "sqlserver://sa@" + host + "?database=db&password=p;" + urlMarker,
		"mysql raw @":                   "mysql://app:p@ss@" + urlMarker + "@" + host + "/db",
		"mariadb raw : and /":           "mariadb://app:pa:ss/" + urlMarker + "@" + host + "/db",
	}
	for name, u := range cases {
		t.Run(name, func(t *testing.T) {
			for _, mode := range urlModes {
				if mode == inFile && strings.Contains(u, "%{") {
					continue
				}
				p := newSecretProject(t, mode, u)
				p.expect(0, "config", "--format", "json")
				for _, f := range []string{"text", "json"} {
					for _, args := range [][]string{
						{"migrate"}, {"migrate", "--dry-run"}, {"info"}, {"validate"},
						{"baseline", "--version", "1", "--yes"}, {"repair", "--yes"}, {"undo", "--yes"}, {"clean", "--yes"},
					} {
						code, _, _ := p.run(append(args, "--format", f)...)
						if code == 0 {
							t.Errorf("url in %s: strata %s connected to %q", mode, strings.Join(args, " "), u)
						}
					}
				}
				if code, _, _ := p.run("wait", "--timeout", "300ms", "--interval", "100ms"); code == 0 {
					t.Errorf("url in %s: strata wait connected to %q", mode, u)
				}
			}
		})
	}

	t.Run("wrong password", func(t *testing.T) {
		good := pgtest.PasswordServer(t, "strata_pw", "right-"+urlMarker)
		for _, bad := range []string{"wrong:" + urlMarker, "wrong%40" + urlMarker, "wrong%2F" + urlMarker} {
			u := withPassword(t, good, "strata_pw", bad, "")
			for _, mode := range urlModes {
				p := newSecretProject(t, mode, u)
				for _, f := range []string{"text", "json"} {
					code, _, errOut := p.run("info", "--format", f)
					if code == 0 || f == "text" && !strings.Contains(errOut, "password authentication failed") {
						t.Errorf("url in %s: info with a wrong password: exit %d, want a failed login:\n%s", mode, code, errOut)
					}
					p.run("migrate", "--format", f)
				}
				p.run("wait", "--timeout", "300ms", "--interval", "100ms")
			}
		}
		// The right password connects: the failures above were the password's.
		u := withPassword(t, good, "strata_pw", url.PathEscape("right-"+urlMarker), "")
		p := newSecretProject(t, inEnv, u)
		p.expect(0, "migrate")
	})
}
