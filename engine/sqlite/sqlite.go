package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	msqlite "modernc.org/sqlite"

	"github.com/stratadb/strata/engine"
)

// Dialect implements engine.Dialect for SQLite.
type Dialect struct{}

// New returns the SQLite dialect.
func New() engine.Dialect { return Dialect{} }

// Name implements engine.Dialect.
func (Dialect) Name() string { return "sqlite" }

// Quote implements engine.Dialect.
func (Dialect) Quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// Literal implements engine.Dialect.
func (Dialect) Literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Bool implements engine.Dialect.
func (Dialect) Bool(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// Table implements engine.Dialect. The schema "main" is the default and is
// left out.
func (d Dialect) Table(schema, table string) string {
	if schema == "" || schema == "main" {
		return d.Quote(table)
	}
	return d.Quote(schema) + "." + d.Quote(table)
}

func (d Dialect) index(schema, name string) string { return d.Table(schema, name) }

// CreateTables implements engine.Dialect. The meta table comes first: a
// history table without it was not created by strata.
func (d Dialect) CreateTables(t engine.Tables) []string {
	h := d.Table(t.Schema, t.History)
	return []string{
		`CREATE TABLE IF NOT EXISTS ` + d.Table(t.Schema, t.Meta()) + ` (
    "name"  VARCHAR(100) NOT NULL PRIMARY KEY,
    "value" VARCHAR(1000) NOT NULL
)`,
		`CREATE TABLE IF NOT EXISTS ` + h + ` (
    "installed_rank"   INTEGER NOT NULL PRIMARY KEY,
    "version"          VARCHAR(50),
    "description"      VARCHAR(200) NOT NULL,
    "type"             VARCHAR(20) NOT NULL,
    "script"           VARCHAR(1000) NOT NULL,
    "checksum"         INT,
    "installed_by"     VARCHAR(100) NOT NULL,
    "installed_on"     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    "execution_time"   INT NOT NULL,
    "success"          BOOLEAN NOT NULL,
    "tenant"           VARCHAR(128) NOT NULL,
    "version_key"      TEXT,
    "error"            TEXT,
    "failed_statement" INT,
    "progress"         INT NOT NULL DEFAULT 0,
    "statement_checksums" TEXT,
    "mark"             VARCHAR(20)
)`,
		`CREATE INDEX IF NOT EXISTS ` + d.index(t.Schema, t.History+"_s_idx") + ` ON ` + d.Quote(t.History) + ` ("success")`,
		`CREATE INDEX IF NOT EXISTS ` + d.index(t.Schema, t.History+"_tv_idx") + ` ON ` + d.Quote(t.History) + ` ("tenant", "version_key")`,
		`CREATE TABLE IF NOT EXISTS ` + d.Table(t.Schema, t.State()) + ` (
    "tenant"      VARCHAR(128) NOT NULL PRIMARY KEY,
    "version"     VARCHAR(50),
    "version_key" TEXT,
    "fingerprint" VARCHAR(16),
    "applied"     INT NOT NULL DEFAULT 0,
    "failed"      BOOLEAN NOT NULL DEFAULT 0,
    "error"       TEXT,
    "generation"  INT NOT NULL DEFAULT 0,
    "updated_on"  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
)`,
	}
}

// UpgradeTables implements engine.LayoutUpgrader. SQLite has no ADD COLUMN
// IF NOT EXISTS: the engine runs this only after reading, under the
// bootstrap lock and in the same transaction as the layout update, that the
// layout is older.
func (d Dialect) UpgradeTables(t engine.Tables, from int) []string {
	switch from {
	case 1:
		return []string{`ALTER TABLE ` + d.Table(t.Schema, t.History) + ` ADD COLUMN "statement_checksums" TEXT`}
	case 2:
		return []string{`ALTER TABLE ` + d.Table(t.Schema, t.History) + ` ADD COLUMN "mark" VARCHAR(20)`}
	}
	return nil
}

// CreateSchema implements engine.Dialect: SQLite has no schemas to create.
func (Dialect) CreateSchema(string) string { return "" }

// Begin implements engine.Dialect: take the write lock at once, so that a
// migration never fails half-way for want of it.
func (Dialect) Begin() string { return "BEGIN IMMEDIATE" }

// SessionSetup implements engine.Dialect: nothing to scope on SQLite.
func (Dialect) SessionSetup(engine.Session, engine.Scope) []string { return nil }

// ResetSession implements engine.Dialect: nothing to reset on SQLite.
func (Dialect) ResetSession() []string { return nil }

// Elapsed implements engine.Dialect. SQLite's clock is this process's clock.
func (Dialect) Elapsed(start time.Time) string {
	return fmt.Sprintf("CAST((julianday('now') - julianday('%s')) * 86400000 AS INTEGER)", start.UTC().Format("2006-01-02 15:04:05.000"))
}

// Split implements engine.Dialect.
func (Dialect) Split(r io.Reader) engine.StatementReader { return statementReader{NewSplitter(r)} }

type statementReader struct{ s *Splitter }

func (r statementReader) Next() (engine.Statement, error) {
	st, err := r.s.Next()
	if err != nil {
		return engine.Statement{}, err
	}
	return engine.Statement{Text: st.Text, Offset: st.Offset, Line: st.Line, NoTx: st.NoTx, Tx: st.Tx}, nil
}

// Exec implements engine.Dialect: statements run one by one, so an error
// names its statement.
func (d Dialect) Exec(ctx context.Context, conn *sql.Conn, parts []engine.Part) error {
	for i, p := range parts {
		stmts := p.Stmts
		if p.Script && stmts == nil && p.Stmt.Text == "" {
			var err error
			if stmts, err = engine.SplitAll(d, strings.NewReader(p.SQL)); err != nil {
				return &engine.ExecError{Part: i, Offset: -1, Err: err}
			}
		}
		if stmts == nil {
			if _, err := conn.ExecContext(ctx, p.SQL); err != nil {
				off := int64(-1)
				if p.Script {
					off = 0
				}
				return execError(i, off, p.SQL, err)
			}
			continue
		}
		for _, st := range stmts {
			if _, err := conn.ExecContext(ctx, st.Text); err != nil {
				return execError(i, st.Offset, st.Text, err)
			}
		}
	}
	return nil
}

func execError(part int, off int64, stmt string, err error) *engine.ExecError {
	ee := &engine.ExecError{Part: part, Offset: off, Statement: stmt, Err: err}
	var se *msqlite.Error
	if errors.As(err, &se) {
		ee.Code = msqlite.ErrorCodeString[se.Code()]
	}
	return ee
}

// Describe implements engine.Dialect.
func (Dialect) Describe(ctx context.Context, conn *sql.Conn) (engine.Session, error) {
	file, err := mainFile(ctx, conn)
	if err != nil {
		return engine.Session{}, err
	}
	name := "main"
	if file != "" {
		name = filepath.Base(file)
	}
	return engine.Session{Database: name, DefaultSchema: "main"}, nil
}

// TableExists implements engine.Dialect.
func (d Dialect) TableExists(ctx context.Context, conn *sql.Conn, schema, table string) (bool, error) {
	master := "sqlite_master"
	if schema != "" && schema != "main" {
		master = d.Quote(schema) + ".sqlite_master"
	}
	var n int
	err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+master+" WHERE type = 'table' AND name = "+d.Literal(table)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look for table %s: %w", table, err)
	}
	return n > 0, nil
}

// mainFile returns the path of the main database file, "" in memory.
func mainFile(ctx context.Context, conn *sql.Conn) (string, error) {
	var file string
	err := conn.QueryRowContext(ctx, "SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&file)
	if err != nil {
		return "", fmt.Errorf("read database file name: %w", err)
	}
	return file, nil
}

// Open opens the SQLite database at path with a busy timeout of
// busyTimeout (the write lock's wait). ":memory:" opens a private in-memory
// database held by a single connection.
func Open(path string, busyTimeout time.Duration) (*sql.DB, error) {
	if busyTimeout <= 0 {
		busyTimeout = 30 * time.Second
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	// The path is a URI path: characters the URI syntax gives a meaning
	// to are escaped.
	escaped := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(path)
	dsn := "file:" + escaped + "?" + q.Encode()
	if path == ":memory:" {
		dsn = ":memory:?" + q.Encode()
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	if path == ":memory:" {
		db.SetMaxOpenConns(1)
	}
	return db, nil
}

// OpenReadOnly opens an existing SQLite database without write access; a
// path that does not exist opens an empty in-memory database instead, so
// read-only commands never create the file.
func OpenReadOnly(path string, busyTimeout time.Duration) (*sql.DB, error) {
	if path == ":memory:" {
		return Open(path, busyTimeout)
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		// A file migrate would create reads as an empty database; a missing
		// directory is an error, as it would be for migrate.
		if _, err := os.Stat(filepath.Dir(path)); err != nil {
			return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
		}
		return Open(":memory:", busyTimeout)
	}
	if busyTimeout <= 0 {
		busyTimeout = 30 * time.Second
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("mode", "ro")
	escaped := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(path)
	db, err := sql.Open("sqlite", "file:"+escaped+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	return db, nil
}

// PathFromURL returns the database path of a sqlite URL: sqlite://rel.db
// (relative to base), sqlite:///abs/path.db, sqlite:rel.db, sqlite::memory:.
func PathFromURL(u, base string) (string, error) {
	rest, ok := strings.CutPrefix(u, "sqlite:")
	if !ok {
		return "", fmt.Errorf("not a sqlite url: want sqlite://path/to/file.db")
	}
	rest = strings.TrimPrefix(rest, "//")
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest = rest[:i]
	}
	switch rest {
	case "":
		return "", fmt.Errorf("sqlite url has no file: want sqlite://path/to/file.db")
	case ":memory:":
		return rest, nil
	}
	if !filepath.IsAbs(rest) && base != "" {
		rest = filepath.Join(base, rest)
	}
	return rest, nil
}
