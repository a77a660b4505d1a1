package postgres

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/internal/tcpopt"
	"github.com/stratadb/strata/internal/redact"
)

// Dialect implements engine.Dialect for PostgreSQL.
type Dialect struct{}

// New returns the PostgreSQL dialect.
func New() engine.Dialect { return Dialect{} }

// Options configure connections made by Open.
type Options struct {
	// ApplicationName is the session's application_name (default "strata").
	ApplicationName string
	// IdleInTransactionTimeout ends a session that sits idle inside a
	// transaction (a client cut off by the network); default
	// NetworkTimeout, a negative value leaves the server's setting.
	IdleInTransactionTimeout time.Duration
	// ConnectTimeout bounds one attempt to connect (dial, TLS, login),
	// unless the URL sets connect_timeout; default DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// NetworkTimeout bounds how long a connection may stay silent while
	// the server cannot be reached, and how long the server keeps the
	// session of a client that is gone: TCP keepalives and
	// TCP_USER_TIMEOUT on both sides, idle_session_timeout on the server
	// (PostgreSQL 14 and later), and a probe over a new connection when a
	// read has waited NetworkTimeout/2 (a long statement that the server
	// is still running is never cut short). Default DefaultNetworkTimeout;
	// a negative value switches all of it off.
	NetworkTimeout time.Duration
	// Pooler is "" or "transaction" (PgBouncer in transaction mode): only
	// the simple protocol is used, and the server-side session settings
	// are not sent (the pooler would refuse them).
	Pooler string
	// Tracer, when set, sees every query sent through database/sql (tests
	// count statements with it).
	Tracer pgx.QueryTracer
}

// Open opens a database/sql handle on PostgreSQL through pgx, with
// application_name, idle_in_transaction_session_timeout and the deadlines
// of Options. url is a postgres:// URL or a key=value connection string.
func Open(ctx context.Context, url string, opts Options) (*sql.DB, error) {
	secrets := redact.New(redact.Secrets(url)...)
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse postgres connection string: %w", secrets.Error(err))
	}
	if opts.ApplicationName == "" {
		opts.ApplicationName = "strata"
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = DefaultConnectTimeout
	}
	if opts.NetworkTimeout == 0 {
		opts.NetworkTimeout = DefaultNetworkTimeout
	}
	nt := max(opts.NetworkTimeout, 0)
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = opts.ApplicationName
	}
	switch {
	case opts.IdleInTransactionTimeout == 0 && nt > 0:
		cfg.RuntimeParams["idle_in_transaction_session_timeout"] = strconv.FormatInt(nt.Milliseconds(), 10)
	case opts.IdleInTransactionTimeout == 0:
		cfg.RuntimeParams["idle_in_transaction_session_timeout"] = "600000"
	case opts.IdleInTransactionTimeout > 0:
		cfg.RuntimeParams["idle_in_transaction_session_timeout"] = strconv.FormatInt(opts.IdleInTransactionTimeout.Milliseconds(), 10)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = opts.ConnectTimeout
	}
	d := tcpopt.Dialer(cfg.ConnectTimeout, nt)
	cfg.DialFunc = d.DialContext
	var optional map[string]string
	if nt > 0 {
		cfg.DialFunc = watch(d.DialContext, nt/2, prober(&cfg.Config, cfg.ConnectTimeout, nt/2))
		cfg.AfterConnect = notePID
		if opts.Pooler == "" {
			var params map[string]string
			params, optional = serverParams(nt)
			for k, v := range params {
				if _, ok := cfg.RuntimeParams[k]; !ok {
					cfg.RuntimeParams[k] = v
				}
			}
		}
	}
	if opts.Tracer != nil {
		cfg.Tracer = opts.Tracer
	}
	// A cancelled context (SIGINT, SIGTERM) sends PostgreSQL a cancel
	// request at once and waits for the statement to stop, so the
	// migration is rolled back before strata exits; the default handler
	// only closes the socket in the background, which a server busy with
	// a statement does not notice, and the migration could still commit.
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: 10 * time.Second}
	}
	if opts.Pooler == "transaction" {
		cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
		cfg.StatementCacheCapacity = 0
		cfg.DescriptionCacheCapacity = 0
	}
	// Connection errors can show pieces of the password (a raw '@' in it
	// makes the rest a host name: "lookup s3cret@db"): mask them here.
	basic := stdlib.GetConnector(*cfg)
	var db *sql.DB
	if len(optional) == 0 {
		db = sql.OpenDB(secrets.Connector(basic))
	} else {
		full := cfg.Copy()
		full.RuntimeParams = maps.Clone(cfg.RuntimeParams)
		for k, v := range optional {
			if _, ok := full.RuntimeParams[k]; !ok {
				full.RuntimeParams[k] = v
			}
		}
		db = sql.OpenDB(secrets.Connector(&fallbackConnector{full: stdlib.GetConnector(*full), basic: basic}))
	}
	if nt > 0 {
		// The server ends sessions idle for nt (idle_session_timeout):
		// close idle ones first.
		db.SetConnMaxIdleTime(nt / 2)
	}
	return db, nil
}

// Name implements engine.Dialect.
func (Dialect) Name() string { return "postgres" }

// Quote implements engine.Dialect.
func (Dialect) Quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// Literal implements engine.Dialect. With standard_conforming_strings on
// (the default since 9.1) only quotes need doubling; a NUL cannot be stored
// and is dropped.
func (Dialect) Literal(s string) string {
	s = strings.ReplaceAll(s, "\x00", "")
	if strings.Contains(s, `\`) {
		return "E'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", "''") + "'"
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// Bool implements engine.Dialect.
func (Dialect) Bool(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// Table implements engine.Dialect.
func (d Dialect) Table(schema, table string) string {
	if schema == "" {
		return d.Quote(table)
	}
	return d.Quote(schema) + "." + d.Quote(table)
}

// CreateTables implements engine.Dialect. The meta table comes first: a
// history table without it was not created by strata. Flyway's ten columns come first
// with Flyway's types; installed_rank is an identity column so tenants
// migrated in parallel never collide.
func (d Dialect) CreateTables(t engine.Tables) []string {
	h := d.Table(t.Schema, t.History)
	return []string{
		`CREATE TABLE IF NOT EXISTS ` + d.Table(t.Schema, t.Meta()) + ` (
    "name"  VARCHAR(100) NOT NULL PRIMARY KEY,
    "value" VARCHAR(1000) NOT NULL
)`,
		`CREATE TABLE IF NOT EXISTS ` + h + ` (
    "installed_rank"   INT GENERATED BY DEFAULT AS IDENTITY,
    "version"          VARCHAR(50),
    "description"      VARCHAR(200) NOT NULL,
    "type"             VARCHAR(20) NOT NULL,
    "script"           VARCHAR(1000) NOT NULL,
    "checksum"         INTEGER,
    "installed_by"     VARCHAR(100) NOT NULL,
    "installed_on"     TIMESTAMP NOT NULL DEFAULT now(),
    "execution_time"   INTEGER NOT NULL,
    "success"          BOOLEAN NOT NULL,
    "tenant"           TEXT NOT NULL,
    "version_key"      TEXT,
    "error"            TEXT,
    "failed_statement" INTEGER,
    "progress"         INTEGER NOT NULL DEFAULT 0,
    "statement_checksums" TEXT,
    "mark"             VARCHAR(20),
    CONSTRAINT ` + d.Quote(t.History+"_pk") + ` PRIMARY KEY ("installed_rank")
)`,
		`CREATE INDEX IF NOT EXISTS ` + d.Quote(t.History+"_s_idx") + ` ON ` + h + ` ("success")`,
		`CREATE INDEX IF NOT EXISTS ` + d.Quote(t.History+"_tv_idx") + ` ON ` + h + ` ("tenant", "version_key")`,
		`CREATE TABLE IF NOT EXISTS ` + d.Table(t.Schema, t.State()) + ` (
    "tenant"      TEXT NOT NULL PRIMARY KEY,
    "version"     VARCHAR(50),
    "version_key" TEXT,
    "fingerprint" VARCHAR(16),
    "applied"     INTEGER NOT NULL DEFAULT 0,
    "failed"      BOOLEAN NOT NULL DEFAULT false,
    "error"       TEXT,
    "generation"  BIGINT NOT NULL DEFAULT 0,
    "updated_on"  TIMESTAMP NOT NULL DEFAULT now()
)`,
	}
}

// UpgradeTables implements engine.LayoutUpgrader.
func (d Dialect) UpgradeTables(t engine.Tables, from int) []string {
	switch from {
	case 1:
		return []string{`ALTER TABLE ` + d.Table(t.Schema, t.History) + ` ADD COLUMN IF NOT EXISTS "statement_checksums" TEXT`}
	case 2:
		return []string{`ALTER TABLE ` + d.Table(t.Schema, t.History) + ` ADD COLUMN IF NOT EXISTS "mark" VARCHAR(20)`}
	}
	return nil
}

// CreateSchema implements engine.Dialect.
func (d Dialect) CreateSchema(schema string) string {
	return "CREATE SCHEMA IF NOT EXISTS " + d.Quote(schema)
}

// Begin implements engine.Dialect.
func (Dialect) Begin() string { return "BEGIN" }

// SessionSetup implements engine.Dialect.
func (d Dialect) SessionSetup(s engine.Session, scope engine.Scope) []string {
	set := "SET LOCAL "
	if scope == engine.ScopeSession {
		set = "SET "
	}
	var out []string
	if s.Schema != "" {
		path := d.Quote(s.Schema)
		for _, m := range s.Managed {
			if m != s.Schema {
				path += ", " + d.Quote(m)
			}
		}
		if s.SearchPath != "" && s.SearchPath != `""` {
			path += ", " + s.SearchPath
		}
		out = append(out, set+"search_path TO "+path)
	}
	if s.Target != "" {
		out = append(out, set+"application_name TO "+d.Literal(truncate("strata/"+s.Target, 63)))
	}
	if s.LockTimeout != "" {
		out = append(out, set+"lock_timeout TO "+d.Literal(pgDuration(s.LockTimeout)))
	}
	if s.StatementTimeout != "" {
		out = append(out, set+"statement_timeout TO "+d.Literal(pgDuration(s.StatementTimeout)))
	}
	return out
}

// ResetSession implements engine.Dialect.
func (Dialect) ResetSession() []string { return []string{"RESET ALL", "RESET ROLE"} }

// pgDuration turns a Go duration ("1m30s") into milliseconds PostgreSQL
// reads; anything else (PostgreSQL's own "1min") is passed through.
func pgDuration(s string) string {
	if d, err := time.ParseDuration(s); err == nil {
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	}
	return s
}

func truncate(s string, n int) string {
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// Elapsed implements engine.Dialect: now() is the transaction's start, and
// the transaction starts with the migration.
func (Dialect) Elapsed(time.Time) string {
	return "CAST(EXTRACT(EPOCH FROM clock_timestamp() - now()) * 1000 AS INTEGER)"
}

// Split implements engine.Dialect.
func (Dialect) Split(r io.Reader) engine.StatementReader { return statementReader{NewSplitter(r)} }

type statementReader struct{ s *Splitter }

func (r statementReader) Next() (engine.Statement, error) {
	st, err := r.s.Next()
	if err != nil {
		return engine.Statement{}, err
	}
	return engine.Statement{Text: st.Text, Offset: st.Offset, Line: st.Line, NoTx: st.NoTx, Tx: st.Tx,
		CopyData: st.CopyData, Copy: st.CopyFromStdin}, nil
}

// Describe implements engine.Dialect.
func (Dialect) Describe(ctx context.Context, conn *sql.Conn) (engine.Session, error) {
	var s engine.Session
	err := conn.QueryRowContext(ctx, `SELECT current_user, current_database(), COALESCE(current_schema(), 'public'), current_setting('search_path')`).
		Scan(&s.User, &s.Database, &s.DefaultSchema, &s.SearchPath)
	if err != nil {
		return s, fmt.Errorf("read session: %w", err)
	}
	return s, nil
}

// TableExists implements engine.Dialect.
func (Dialect) TableExists(ctx context.Context, conn *sql.Conn, schema, table string) (bool, error) {
	var ok bool
	err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = COALESCE(NULLIF($1, ''), current_schema()) AND c.relname = $2 AND c.relkind IN ('r', 'p'))`, schema, table).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("look for table %s: %w", table, err)
	}
	return ok, nil
}

// SystemSchema implements engine.SystemSchemas: pg_* and
// information_schema belong to PostgreSQL.
func (Dialect) SystemSchema(name string) bool {
	return strings.HasPrefix(name, "pg_") || name == "information_schema"
}

// ListSchemas implements engine.SchemaLister; it leaves out the system
// schemas.
func (Dialect) ListSchemas(ctx context.Context, conn *sql.Conn) ([]string, error) {
	rows, err := conn.QueryContext(ctx, `SELECT nspname FROM pg_catalog.pg_namespace
		WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema' ORDER BY nspname`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// FlywayLockKey implements engine.FlywayLocker: Flyway's advisory lock key
// for a history table, 0x466C79776179 ("Flyway") plus the Java hashCode of
// the quoted table name (FLYWAY.md 6.1).
func (d Dialect) FlywayLockKey(schema, table string) int64 {
	return 0x466C79776179 + int64(javaHash(d.Table(schema, table)))
}

// javaHash is Java's String.hashCode over UTF-16 code units.
func javaHash(s string) int32 {
	var h int32
	for _, u := range utf16.Encode([]rune(s)) {
		h = 31*h + int32(u)
	}
	return h
}

// maxLockPoll is the longest pause between two tries of a waited lock: a
// waiter notices a released lock within it. Tries are one cheap query, and
// only a run that waits makes them.
const maxLockPoll = 200 * time.Millisecond

// Lock implements engine.Dialect with a session-level advisory lock,
// polled with pg_try_advisory_lock until timeout (never waited on inside
// the server, so CREATE INDEX CONCURRENTLY cannot wait behind a waiter):
// the pause between tries grows from 20 ms to maxLockPoll.
func (Dialect) Lock(ctx context.Context, conn *sql.Conn, key int64, timeout time.Duration) (func(context.Context) error, error) {
	deadline := time.Now().Add(timeout)
	wait := 20 * time.Millisecond
	for {
		var ok bool
		if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok); err != nil {
			return nil, fmt.Errorf("take advisory lock %d: %w", key, err)
		}
		if ok {
			break
		}
		if !time.Now().Before(deadline) {
			return nil, &engine.LockError{Timeout: timeout, Holder: holder(ctx, conn, key)}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for advisory lock %d: %w", key, ctx.Err())
		case <-time.After(wait):
		}
		if wait < maxLockPoll {
			wait = min(wait*3/2, maxLockPoll)
		}
	}
	return func(ctx context.Context) error {
		var ok bool
		if err := conn.QueryRowContext(ctx, "SELECT pg_advisory_unlock($1)", key).Scan(&ok); err != nil {
			return fmt.Errorf("release advisory lock %d: %w", key, err)
		}
		if !ok {
			return fmt.Errorf("release advisory lock %d: it was no longer held (did a migration run DISCARD ALL or pg_advisory_unlock_all()?)", key)
		}
		return nil
	}, nil
}

// holder describes the session holding an advisory lock.
func holder(ctx context.Context, conn *sql.Conn, key int64) string {
	var pid int
	var app, addr, since, user string
	err := conn.QueryRowContext(ctx, `SELECT a.pid, COALESCE(a.application_name, ''), COALESCE(host(a.client_addr), 'local socket'),
		COALESCE(to_char(COALESCE(a.xact_start, a.backend_start), 'YYYY-MM-DD HH24:MI:SS TZ'), ''), COALESCE(a.usename, '')
		FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 1
		AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) LIMIT 1`,
		int64(uint64(key)>>32), int64(uint64(key)&0xffffffff)).Scan(&pid, &app, &addr, &since, &user)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("pid %d (application_name %q, user %s, client %s, since %s)", pid, app, user, addr, since)
}

// TxLock implements engine.TxLocker: a transaction-level advisory lock,
// waited for within lock_timeout (then the session's lock_timeout again).
// Through a transaction pooler nothing that could deadlock with it (CREATE
// INDEX CONCURRENTLY) runs, since such files are refused.
func (Dialect) TxLock(key int64, timeout time.Duration) []string {
	return []string{
		"SET LOCAL lock_timeout TO '" + strconv.FormatInt(max(timeout.Milliseconds(), 1), 10) + "ms'",
		"SELECT pg_advisory_xact_lock(" + strconv.FormatInt(key, 10) + ")",
		"SET LOCAL lock_timeout TO DEFAULT",
	}
}

// IsTxLockTimeout implements engine.TxLocker.
func (d Dialect) IsTxLockTimeout(err error) bool { return d.IsLockTimeout(err) }

// Guard implements engine.TxLocker with a DO block that raises
// serialization_failure (40001) with a message starting "strata:".
func (Dialect) Guard(cond string) string {
	return "DO $strata$ BEGIN IF NOT (" + cond + ") THEN RAISE EXCEPTION 'strata: another runner changed this target' USING ERRCODE = '40001'; END IF; END $strata$"
}

// IsConflict implements engine.TxLocker.
func (Dialect) IsConflict(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "40001" && strings.HasPrefix(pe.Message, "strata:")
}

// ConnectionLost implements engine.ConnectionLoss.
func (Dialect) ConnectionLost(err error) (lost, sent bool) { return connectionLost(err) }

// IsLockTimeout implements engine.LockTimeouts: SQLSTATE 55P03,
// lock_not_available, raised when lock_timeout expires.
func (Dialect) IsLockTimeout(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "55P03"
}

// forbidden reports statements that would silently drop Strata's session
// lock: DISCARD ALL and pg_advisory_unlock_all(). It runs over every
// statement, so it scans in linear time without a regular expression.
func forbidden(text string) bool {
	if strings.EqualFold(firstWords(text, 2), "discard all") {
		return true
	}
	const fn = "pg_advisory_unlock_all"
	for i := indexFold(text, fn, 0); i >= 0; i = indexFold(text, fn, i+1) {
		rest := strings.TrimLeft(text[i+len(fn):], " \t\r\n")
		if strings.HasPrefix(rest, "(") {
			return true
		}
	}
	return false
}

// firstWords returns the first n words of s joined by one space.
func firstWords(s string, n int) string {
	f := strings.Fields(s[:min(len(s), 64)])
	if len(f) > n {
		f = f[:n]
	}
	return strings.Join(f, " ")
}

// indexFold is strings.Index for an ASCII lower-case needle, ignoring the
// case of ASCII letters in s, from position from.
func indexFold(s, needle string, from int) int {
	first := needle[0]
	for i := from; i+len(needle) <= len(s); i++ {
		if s[i]|0x20 != first {
			continue
		}
		j := 1
		for j < len(needle) && lower(s[i+j]) == needle[j] {
			j++
		}
		if j == len(needle) {
			return i
		}
	}
	return -1
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// Exec implements engine.Dialect. Parts are sent as one simple-protocol
// query, unless a script part holds COPY ... FROM STDIN, whose data goes
// through the copy protocol statement by statement.
func (d Dialect) Exec(ctx context.Context, conn *sql.Conn, parts []engine.Part) error {
	_, err := d.exec(ctx, conn, parts, "")
	return err
}

// ExecPipeline implements engine.Pipeliner: the parts, several
// transactions, go as one simple-protocol query, which the server runs in
// order and stops at the first error.
func (d Dialect) ExecPipeline(ctx context.Context, conn *sql.Conn, parts []engine.Part, column string) ([]string, int, error) {
	res, err := d.exec(ctx, conn, parts, column)
	return res.values, res.commits, err
}

// batchResult is what came back from a batch besides errors: the values of
// the results whose only column has the name asked for, and the number of
// COMMITs the server confirmed.
type batchResult struct {
	values  []string
	commits int
}

// DeferFlush implements engine.Pipeliner.
func (Dialect) DeferFlush() string { return "SET LOCAL synchronous_commit = off" }

// Clock implements engine.Pipeliner: now() is the same for every
// transaction of one request, so the start is noted in a setting local to
// the transaction.
func (Dialect) Clock() (start, elapsed string) {
	return "SELECT set_config('strata.started', CAST(clock_timestamp() AS text), true)",
		"CAST(EXTRACT(EPOCH FROM clock_timestamp() - CAST(current_setting('strata.started') AS timestamptz)) * 1000 AS INTEGER)"
}

// exec runs parts and returns the values of the results whose only column
// is named column ("": none).
func (d Dialect) exec(ctx context.Context, conn *sql.Conn, parts []engine.Part, column string) (res batchResult, err error) {
	for i, p := range parts {
		for _, st := range p.Stmts {
			if forbidden(st.Text) {
				return res, &engine.ExecError{Part: i, Offset: st.Offset, Statement: st.Text,
					Err: errors.New("this statement would release strata's advisory lock, so other runners could apply the same migrations: remove it")}
			}
		}
		if p.Stmt.Text != "" && forbidden(p.Stmt.Text) {
			return res, &engine.ExecError{Part: i, Offset: 0, Statement: p.Stmt.Text,
				Err: errors.New("this statement would release strata's advisory lock, so other runners could apply the same migrations: remove it")}
		}
	}
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn().PgConn()
		if hasCopy(parts) {
			return execOneByOne(ctx, pc, parts)
		}
		res, err = execBatch(ctx, pc, parts, column)
		return err
	})
	return res, err
}

func hasCopy(parts []engine.Part) bool {
	for _, p := range parts {
		if p.Stmt.Copy {
			return true
		}
		for _, st := range p.Stmts {
			if st.Copy {
				return true
			}
		}
	}
	return false
}

// execBatch sends every part in one query and maps an error back to its
// part, offset and statement.
func execBatch(ctx context.Context, pc *pgconn.PgConn, parts []engine.Part, column string) (batchResult, error) {
	var b strings.Builder
	starts := make([]int, len(parts))
	for i, p := range parts {
		starts[i] = b.Len()
		b.WriteString(p.SQL)
		if p.Script {
			b.WriteString("\n;\n") // a file may end inside a -- comment
		} else {
			b.WriteString(";\n")
		}
	}
	query := b.String()
	closed := pc.IsClosed()
	mrr := pc.Exec(ctx, query)
	done := 0
	var first error
	var res batchResult
	for mrr.NextResult() {
		rr := mrr.ResultReader()
		if fd := rr.FieldDescriptions(); column != "" && len(fd) == 1 && fd[0].Name == column {
			for rr.NextRow() {
				res.values = append(res.values, string(rr.Values()[0]))
			}
		}
		tag, err := rr.Close()
		if err == nil && tag.String() == "COMMIT" {
			res.commits++
		}
		if err == nil {
			done++
		} else if first == nil {
			first = err
		}
	}
	err := mrr.Close()
	if err == nil {
		return res, nil
	}
	var pe *pgconn.PgError
	if first != nil && !errors.As(first, &pe) {
		// The connection broke while results came back: that error says
		// how (the request was sent), not the "conn closed" of the end.
		err = first
	}
	err = afterSend(pc, closed, err)
	if !errors.As(err, &pe) {
		return res, &engine.ExecError{Part: len(parts) - 1, Offset: -1, Err: err}
	}
	ee := &engine.ExecError{Offset: -1, Code: pe.Code, Detail: pe.Detail, Hint: pe.Hint, Err: err}
	switch {
	case pe.Position > 0:
		off := byteOffset(query, int(pe.Position)-1)
		ee.Part = partAt(starts, off)
		ee.Offset = int64(off - starts[ee.Part])
		if st, ok := statementAt(parts[ee.Part], ee.Offset); ok {
			ee.Statement = st.Text
		}
	default:
		ee.Part, ee.Offset, ee.Statement = failedByCount(parts, done)
	}
	if pe.InternalPosition > 0 && pe.InternalQuery != "" {
		// The error is inside a function body: find the body in the failing
		// statement and point into it.
		p := parts[ee.Part].SQL
		from := 0
		if st, ok := statementAt(parts[ee.Part], max(ee.Offset, 0)); ok {
			from = int(st.Offset)
		}
		if i := strings.Index(p[min(from, len(p)):], pe.InternalQuery); i >= 0 {
			ee.Offset = int64(from + i + byteOffset(pe.InternalQuery, int(pe.InternalPosition)-1))
		}
	}
	return res, ee
}

// failedByCount locates the failing statement when the server gave no
// position: done statements completed before it.
func failedByCount(parts []engine.Part, done int) (int, int64, string) {
	for i, p := range parts {
		n := 1
		if p.Stmts != nil {
			n = len(p.Stmts)
		}
		if done < n {
			if p.Stmts != nil {
				st := p.Stmts[done]
				return i, st.Offset, st.Text
			}
			if p.Script {
				return i, 0, p.Stmt.Text
			}
			return i, -1, ""
		}
		done -= n
	}
	return len(parts) - 1, -1, ""
}

// execOneByOne runs each statement on its own, COPY through the copy
// protocol.
func execOneByOne(ctx context.Context, pc *pgconn.PgConn, parts []engine.Part) error {
	run := func(i int, st engine.Statement, text string) error {
		var err error
		closed := pc.IsClosed()
		if st.Copy {
			_, err = pc.CopyFrom(ctx, bytes.NewReader(st.CopyData), text)
		} else {
			_, err = pc.Exec(ctx, text).ReadAll()
		}
		if err == nil {
			return nil
		}
		err = afterSend(pc, closed, err)
		ee := &engine.ExecError{Part: i, Offset: st.Offset, Statement: text, Err: err}
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			ee.Code, ee.Detail, ee.Hint = pe.Code, pe.Detail, pe.Hint
			if pe.Position > 0 {
				ee.Offset = st.Offset + int64(byteOffset(text, int(pe.Position)-1))
			}
		}
		return ee
	}
	for i, p := range parts {
		switch {
		case p.Stmts != nil:
			for _, st := range p.Stmts {
				if err := run(i, st, st.Text); err != nil {
					return err
				}
			}
		case p.Script:
			st := p.Stmt
			st.Offset = 0
			if err := run(i, st, p.SQL); err != nil {
				return err
			}
		default:
			if err := run(i, engine.Statement{Offset: -1}, p.SQL); err != nil {
				return err
			}
		}
	}
	return nil
}

// byteOffset converts a character offset in s into a byte offset.
func byteOffset(s string, chars int) int {
	if chars <= 0 {
		return 0
	}
	n := 0
	for i := range s {
		if n == chars {
			return i
		}
		n++
	}
	return len(s)
}

func partAt(starts []int, off int) int {
	i := len(starts) - 1
	for i > 0 && starts[i] > off {
		i--
	}
	return i
}

func statementAt(p engine.Part, off int64) (engine.Statement, bool) {
	if p.Stmts == nil {
		if p.Stmt.Text != "" {
			return p.Stmt, true
		}
		return engine.Statement{}, false
	}
	var found engine.Statement
	ok := false
	for _, st := range p.Stmts {
		if st.Offset <= off {
			found, ok = st, true
		}
	}
	return found, ok
}

var cicPattern = regexp.MustCompile(`(?is)^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?((?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*))?)\s+ON\b`)

// PrepareRetry implements engine.RetryPreparer for CREATE INDEX
// CONCURRENTLY that runs again after a failure or a kill. The server may
// have finished building the index after its client died: a valid index of
// that name is the statement's work done. An INVALID one (a failed or
// cancelled build) is dropped first, since IF NOT EXISTS would keep the
// broken index and the statement without it would fail.
func (d Dialect) PrepareRetry(ctx context.Context, conn *sql.Conn, st engine.Statement, s engine.Session) (bool, error) {
	m := cicPattern.FindStringSubmatch(st.Text)
	if m == nil {
		return false, nil
	}
	schema, name := splitQualified(m[1])
	if schema == "" {
		schema = s.Schema
	}
	var ns, rel string
	var valid bool
	err := conn.QueryRowContext(ctx, `SELECT n.nspname, c.relname, i.indisvalid
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relname = $1 AND n.nspname = COALESCE(NULLIF($2, ''), current_schema())`, name, schema).Scan(&ns, &rel, &valid)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look for index %s: %w", name, err)
	}
	if valid {
		return true, nil
	}
	if _, err := conn.ExecContext(ctx, "DROP INDEX CONCURRENTLY IF EXISTS "+d.Table(ns, rel)); err != nil {
		return false, fmt.Errorf("drop invalid index %s.%s left by an interrupted CREATE INDEX CONCURRENTLY: %w", ns, rel, err)
	}
	return false, nil
}

// splitQualified splits schema.name, unquoting each part; unquoted names
// fold to lower case as PostgreSQL folds them.
func splitQualified(s string) (schema, name string) {
	var parts []string
	for s != "" {
		s = strings.TrimSpace(s)
		if strings.HasPrefix(s, `"`) {
			end := 1
			for end < len(s) {
				if s[end] == '"' {
					if end+1 < len(s) && s[end+1] == '"' {
						end += 2
						continue
					}
					break
				}
				end++
			}
			parts = append(parts, strings.ReplaceAll(s[1:min(end, len(s))], `""`, `"`))
			s = s[min(end+1, len(s)):]
		} else {
			i := strings.IndexByte(s, '.')
			if i < 0 {
				i = len(s)
			}
			parts = append(parts, strings.ToLower(strings.TrimSpace(s[:i])))
			s = s[i:]
		}
		s = strings.TrimPrefix(strings.TrimSpace(s), ".")
	}
	if len(parts) == 2 {
		return parts[0], parts[1]
	}
	if len(parts) == 1 {
		return "", parts[0]
	}
	return "", ""
}
