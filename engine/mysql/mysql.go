package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/internal/scan"
	"github.com/stratadb/strata/engine/internal/tcpopt"
	"github.com/stratadb/strata/internal/redact"
)

// Dialect implements engine.Dialect for MySQL and MariaDB. Describe learns
// which of the two the server is (their statement timeouts differ): a
// value serves one server at a time (call New for each server used at
// once).
type Dialect struct {
	mu      sync.Mutex
	mariadb bool
}

// New returns the MySQL and MariaDB dialect. Use it with a handle from
// Open: a statement that commits implicitly is sent together with its
// progress, which needs the driver's multiStatements.
func New() engine.Dialect { return &Dialect{} }

// Defaults of Options.
const (
	DefaultConnectTimeout = 10 * time.Second
	DefaultNetworkTimeout = 30 * time.Second
)

// Options configure connections made by Open.
type Options struct {
	// ConnectTimeout bounds the dial of one attempt to connect. Default
	// DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// NetworkTimeout ends a connection whose server stopped answering
	// within about this time: TCP keepalives and, on Linux,
	// TCP_USER_TIMEOUT (a server busy with a long statement still answers
	// them). The server ends a session idle for twice this time
	// (wait_timeout), which releases the named lock of a client that
	// vanished; idle connections are closed after this time. Default
	// DefaultNetworkTimeout; negative: keepalives only.
	NetworkTimeout time.Duration
}

// DSN turns a mysql:// or mariadb:// URL into the driver's DSN
// (user:password@tcp(host:port)/database?params); any other string is
// taken for a DSN already. Query parameters are the driver's.
func DSN(s string) (string, error) {
	if !strings.HasPrefix(s, "mysql://") && !strings.HasPrefix(s, "mariadb://") {
		return s, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("parse mysql url: %w", err)
	}
	cfg := gomysql.NewConfig()
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	cfg.Net = "tcp"
	cfg.Addr = u.Host
	if u.Port() == "" && u.Host != "" {
		cfg.Addr = net.JoinHostPort(u.Hostname(), "3306")
	}
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	dsn := cfg.FormatDSN()
	if u.RawQuery != "" {
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		dsn += sep + u.RawQuery
	}
	return dsn, nil
}

var (
	dialMu  sync.Mutex
	dialers = map[string]bool{}
)

// network registers, once, a dial function with the timeouts of opts and
// returns its network name.
func network(opts Options) string {
	name := fmt.Sprintf("strata-tcp-%d-%d", opts.ConnectTimeout.Milliseconds(), opts.NetworkTimeout.Milliseconds())
	dialMu.Lock()
	defer dialMu.Unlock()
	if !dialers[name] {
		d := tcpopt.Dialer(opts.ConnectTimeout, max(opts.NetworkTimeout, 0))
		gomysql.RegisterDialContext(name, func(ctx context.Context, addr string) (net.Conn, error) {
			return d.DialContext(ctx, "tcp", addr)
		})
		dialers[name] = true
	}
	return name
}

// Open opens a database/sql handle from a mysql://, mariadb:// URL or a
// driver DSN. Connections allow several statements in one request (Exec
// sends a statement and its progress together), read TIMESTAMP columns as
// time.Time in UTC, and name the program "strata" in the connection
// attributes.
func Open(ctx context.Context, url string, opts Options) (*sql.DB, error) {
	secrets := redact.New(redact.Secrets(url)...)
	dsn, err := DSN(url)
	if err != nil {
		return nil, secrets.Error(err)
	}
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse mysql connection string: %w", secrets.Error(err))
	}
	if cfg.Passwd != "" {
		secrets = redact.New(append(redact.Secrets(url), cfg.Passwd)...)
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = DefaultConnectTimeout
	}
	if opts.NetworkTimeout == 0 {
		opts.NetworkTimeout = DefaultNetworkTimeout
	}
	if cfg.Net == "tcp" {
		cfg.Net = network(opts)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = opts.ConnectTimeout
	}
	cfg.MultiStatements = true
	cfg.ParseTime = true
	// The driver logs broken connections to stderr; Strata reports them
	// as errors (and a library's caller decides what to print).
	cfg.Logger = &gomysql.NopLogger{}
	if cfg.ConnectionAttributes == "" {
		cfg.ConnectionAttributes = "program_name:strata"
	}
	c, err := gomysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("open mysql connection: %w", secrets.Error(err))
	}
	// Connection errors can show pieces of the password: mask them here.
	conn := &connector{Connector: c, database: cfg.DBName}
	if opts.NetworkTimeout > 0 {
		// The server ends a session idle for twice the network timeout,
		// so that a client gone without a word (a host down, a network
		// cut) does not hold its named lock for wait_timeout's 8 hours;
		// Strata closes its idle connections first.
		conn.waitTimeout = int64(math.Ceil(2 * opts.NetworkTimeout.Seconds()))
	}
	db := sql.OpenDB(secrets.Connector(conn))
	if opts.NetworkTimeout > 0 {
		db.SetConnMaxIdleTime(opts.NetworkTimeout)
	}
	return db, nil
}

// connector records the database of the connection string in the session
// variable @strata_database of each new connection: a migration's USE
// (or a tenant's, or a dropped database) must not change the database a
// later run on the same pooled connection takes for its default.
type connector struct {
	driver.Connector
	database    string
	waitTimeout int64 // the session's wait_timeout in seconds, 0 for the server's
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		var me *gomysql.MySQLError
		if errors.As(err, &me) {
			return nil, &ServerError{err: err, number: me.Number}
		}
		return nil, err
	}
	var sets []string
	if c.database != "" {
		sets = append(sets, "@strata_database = "+(&Dialect{}).Literal(c.database))
	}
	if c.waitTimeout > 0 {
		sets = append(sets, "SESSION wait_timeout = "+strconv.FormatInt(c.waitTimeout, 10))
	}
	if ex, ok := conn.(driver.ExecerContext); ok && len(sets) > 0 {
		if _, err := ex.ExecContext(ctx, "SET "+strings.Join(sets, ", "), nil); err != nil {
			conn.Close()
			return nil, err
		}
	}
	return conn, nil
}

// ServerError is an error the server returned while connecting (a
// refused login: 1045, 1044, 1698; an unknown database: 1049), for
// callers that do not import the driver.
type ServerError struct {
	err    error
	number uint16
}

func (e *ServerError) Error() string { return e.err.Error() }
func (e *ServerError) Unwrap() error { return e.err }

// MySQLErrorNumber returns the server's error number.
func (e *ServerError) MySQLErrorNumber() uint16 { return e.number }

// Name implements engine.Dialect.
func (*Dialect) Name() string { return "mysql" }

// Quote implements engine.Dialect: `name` with ` doubled.
func (*Dialect) Quote(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }

// Literal implements engine.Dialect: '...' with ' doubled. Text holding a
// backslash or a control character is written as a hex literal with a
// character set introducer, which reads the same whatever the sql_mode
// (NO_BACKSLASH_ESCAPES changes what a backslash in '...' means).
func (*Dialect) Literal(s string) string {
	if strings.ContainsFunc(s, func(r rune) bool { return r == '\\' || r < ' ' && r != '\n' && r != '\t' }) {
		return "_utf8mb4 X'" + hex.EncodeToString([]byte(s)) + "'"
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// Bool implements engine.Dialect: BOOL is TINYINT(1).
func (*Dialect) Bool(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// Table implements engine.Dialect: `database`.`table`.
func (d *Dialect) Table(schema, table string) string {
	if schema == "" {
		return d.Quote(table)
	}
	return d.Quote(schema) + "." + d.Quote(table)
}

// CreateTables implements engine.Dialect. Flyway's ten columns come first
// with the types of Flyway's MySQL history table (TIMESTAMP installed_on,
// BOOL success); installed_rank is AUTO_INCREMENT so that tenants
// migrated in parallel never collide. Indexes are declared in the CREATE
// TABLE (MySQL has no CREATE INDEX IF NOT EXISTS); InnoDB is named, since
// the history must be transactional.
func (d *Dialect) CreateTables(t engine.Tables) []string {
	const style = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
	return []string{
		`CREATE TABLE IF NOT EXISTS ` + d.Table(t.Schema, t.Meta()) + ` (
    ` + "`name`" + `  VARCHAR(100) NOT NULL PRIMARY KEY,
    ` + "`value`" + ` VARCHAR(1000) NOT NULL
) ` + style,
		`CREATE TABLE IF NOT EXISTS ` + d.Table(t.Schema, t.History) + ` (
    ` + "`installed_rank`" + `   INT NOT NULL AUTO_INCREMENT,
    ` + "`version`" + `          VARCHAR(50),
    ` + "`description`" + `      VARCHAR(200) NOT NULL,
    ` + "`type`" + `             VARCHAR(20) NOT NULL,
    ` + "`script`" + `           VARCHAR(1000) NOT NULL,
    ` + "`checksum`" + `         INT,
    ` + "`installed_by`" + `     VARCHAR(100) NOT NULL,
    ` + "`installed_on`" + `     TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    ` + "`execution_time`" + `   INT NOT NULL,
    ` + "`success`" + `          BOOL NOT NULL,
    ` + "`tenant`" + `           VARCHAR(128) NOT NULL,
    ` + "`version_key`" + `      VARCHAR(400),
    ` + "`error`" + `            TEXT,
    ` + "`failed_statement`" + ` INT,
    ` + "`progress`" + `         INT NOT NULL DEFAULT 0,
    ` + "`statement_checksums`" + ` MEDIUMTEXT,
    ` + "`mark`" + `             VARCHAR(20),
    CONSTRAINT ` + d.Quote(t.History+"_pk") + ` PRIMARY KEY (` + "`installed_rank`" + `),
    INDEX ` + d.Quote(t.History+"_s_idx") + ` (` + "`success`" + `),
    INDEX ` + d.Quote(t.History+"_tv_idx") + ` (` + "`tenant`, `version_key`" + `)
) ` + style,
		`CREATE TABLE IF NOT EXISTS ` + d.Table(t.Schema, t.State()) + ` (
    ` + "`tenant`" + `      VARCHAR(128) NOT NULL PRIMARY KEY,
    ` + "`version`" + `     VARCHAR(50),
    ` + "`version_key`" + ` VARCHAR(400),
    ` + "`fingerprint`" + ` VARCHAR(16),
    ` + "`applied`" + `     INT NOT NULL DEFAULT 0,
    ` + "`failed`" + `      BOOL NOT NULL DEFAULT 0,
    ` + "`error`" + `       TEXT,
    ` + "`generation`" + `  BIGINT NOT NULL DEFAULT 0,
    ` + "`updated_on`" + `  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
) ` + style,
	}
}

// UpgradeTables implements engine.LayoutUpgrader. MySQL has no ADD COLUMN
// IF NOT EXISTS (MariaDB has): the ALTER is prepared only when
// information_schema says the column is missing.
func (d *Dialect) UpgradeTables(t engine.Tables, from int) []string {
	switch from {
	case 1:
		return d.addColumn(t, "statement_checksums", "MEDIUMTEXT")
	case 2:
		return d.addColumn(t, "mark", "VARCHAR(20)")
	}
	return nil
}

// addColumn adds a column to the history table unless it is there.
func (d *Dialect) addColumn(t engine.Tables, column, typ string) []string {
	alter := "ALTER TABLE " + d.Table(t.Schema, t.History) + " ADD COLUMN " + d.Quote(column) + " " + typ
	return []string{
		"SET @strata_ddl = IF(EXISTS(SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " + d.schemaExpr(t.Schema) +
			" AND TABLE_NAME = " + d.Literal(t.History) + " AND COLUMN_NAME = " + d.Literal(column) + "), 'DO 0', " + d.Literal(alter) + ")",
		"PREPARE strata_ddl FROM @strata_ddl",
		"EXECUTE strata_ddl",
		"DEALLOCATE PREPARE strata_ddl",
	}
}

// schemaExpr is the SQL for a database name, DATABASE() for "".
func (d *Dialect) schemaExpr(schema string) string {
	if schema == "" {
		return "DATABASE()"
	}
	return d.Literal(schema)
}

// CreateSchema implements engine.Dialect: a schema is a database.
func (d *Dialect) CreateSchema(schema string) string {
	return "CREATE DATABASE IF NOT EXISTS " + d.Quote(schema)
}

// Begin implements engine.Dialect.
func (*Dialect) Begin() string { return "START TRANSACTION" }

// SessionSetup implements engine.Dialect. MySQL has no settings that end
// with a transaction, so both scopes set the session: USE the target's
// database (the default one for a target without a schema), and one SET
// of lock_wait_timeout and innodb_lock_wait_timeout (whole seconds, at
// least 1) and of the statement timeout, max_statement_time on MariaDB
// (any statement) or max_execution_time on MySQL (SELECT only); a setting
// not given is set to its DEFAULT, so nothing of one file reaches the
// next.
func (d *Dialect) SessionSetup(s engine.Session, _ engine.Scope) []string {
	var out []string
	switch {
	case s.Schema != "":
		out = append(out, "USE "+d.Quote(s.Schema))
	case s.DefaultSchema != "":
		out = append(out, "USE "+d.Quote(s.DefaultSchema))
	}
	lock := "DEFAULT"
	if v, ok := seconds(s.LockTimeout); ok {
		lock = strconv.FormatInt(int64(math.Ceil(max(v, 1))), 10)
	}
	sets := []string{"lock_wait_timeout = " + lock, "innodb_lock_wait_timeout = " + lock}
	if d.isMariaDB() {
		stmt := "DEFAULT"
		if v, ok := seconds(s.StatementTimeout); ok {
			stmt = strconv.FormatFloat(v, 'f', -1, 64)
		}
		sets = append(sets, "max_statement_time = "+stmt)
	} else {
		stmt := "DEFAULT"
		if v, ok := seconds(s.StatementTimeout); ok {
			stmt = strconv.FormatInt(int64(v*1000), 10)
		}
		sets = append(sets, "max_execution_time = "+stmt)
	}
	return append(out, "SET SESSION "+strings.Join(sets, ", "))
}

// durationPattern is a timeout as PostgreSQL reads it, which the
// directives and the configuration accept: a number with an optional unit,
// milliseconds without one.
var durationPattern = regexp.MustCompile(`^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*$`)

// seconds reads a timeout: a Go duration ("1m30s") or PostgreSQL's form
// ("5s", "1min", "500" for milliseconds).
func seconds(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return d.Seconds(), true
	}
	m := durationPattern.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	unit := map[string]float64{"us": 1e-6, "": 1e-3, "ms": 1e-3, "s": 1, "min": 60, "h": 3600, "d": 86400}[m[2]]
	return v * unit, true
}

// ResetSession implements engine.Dialect: the timeouts back to the
// server's values (SessionSetup switches the database for each target).
func (d *Dialect) ResetSession() []string {
	stmt := "max_execution_time"
	if d.isMariaDB() {
		stmt = "max_statement_time"
	}
	return []string{"SET SESSION lock_wait_timeout = DEFAULT, innodb_lock_wait_timeout = DEFAULT, " + stmt + " = DEFAULT"}
}

func (d *Dialect) isMariaDB() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.mariadb
}

// elapsedMarker stands for the execution time in a history INSERT; Exec
// replaces it with the milliseconds since the marked start when the INSERT
// is sent (the statements before it have run by then).
var elapsedMarker = regexp.MustCompile(`/\*strata:elapsed:(\d+)\*/0`)

// Elapsed implements engine.Dialect.
func (*Dialect) Elapsed(start time.Time) string {
	return fmt.Sprintf("/*strata:elapsed:%d*/0", start.UnixNano())
}

// Split implements engine.Dialect.
func (*Dialect) Split(r io.Reader) engine.StatementReader { return statementReader{NewSplitter(r)} }

type statementReader struct{ s *Splitter }

func (r statementReader) Next() (engine.Statement, error) {
	st, err := r.s.Next()
	if err != nil {
		return engine.Statement{}, err
	}
	return engine.Statement{Text: st.Text, Offset: st.Offset, Line: st.Line, NoTx: st.NoTx, Tx: st.Tx}, nil
}

// Exec implements engine.Dialect: statements one by one, each in its own
// request; an error names the statement and, for a syntax error, the
// place the server's "near '...' at line N" points at.
func (d *Dialect) Exec(ctx context.Context, conn *sql.Conn, parts []engine.Part) error {
	for i, p := range parts {
		switch {
		case p.Stmts != nil:
			for _, st := range p.Stmts {
				if err := run(ctx, conn, i, st.Text, st.Offset); err != nil {
					return err
				}
			}
		case p.Script:
			if err := run(ctx, conn, i, p.SQL, 0); err != nil {
				return err
			}
		default:
			if err := run(ctx, conn, i, p.SQL, -1); err != nil {
				return err
			}
		}
	}
	return nil
}

// errReleasesLock refuses a statement that would drop Strata's named lock.
var errReleasesLock = errors.New("this statement would release strata's named lock (RELEASE_ALL_LOCKS), so other runners could apply the same migrations: remove it")

// releasesLocks reports a call of RELEASE_ALL_LOCKS(), which drops every
// named lock of the session, Strata's included.
func releasesLocks(text string) bool {
	const fn = "release_all_locks"
	lower := strings.ToLower(text)
	for i := strings.Index(lower, fn); i >= 0; {
		if strings.HasPrefix(strings.TrimLeft(lower[i+len(fn):], " \t\r\n"), "(") {
			return true
		}
		j := strings.Index(lower[i+1:], fn)
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

func run(ctx context.Context, conn *sql.Conn, part int, text string, base int64) error {
	if base >= 0 && releasesLocks(text) {
		return &engine.ExecError{Part: part, Offset: base, Statement: text, Err: errReleasesLock}
	}
	text = elapsedMarker.ReplaceAllStringFunc(text, func(m string) string {
		n, _ := strconv.ParseInt(elapsedMarker.FindStringSubmatch(m)[1], 10, 64)
		return strconv.FormatInt(time.Since(time.Unix(0, n)).Milliseconds(), 10)
	})
	if _, err := conn.ExecContext(ctx, text); err != nil {
		return execError(part, text, base, err)
	}
	return nil
}

// ExecWithProgress implements engine.ProgressSender: the statement and the
// update of its progress go in one request of two statements, which the
// server runs one after the other without waiting for the client. A
// statement that commits implicitly (DDL) and its progress thus both
// happen or neither does, unless the server itself stops in between: a
// client killed after sending cannot leave a committed statement
// unrecorded.
func (d *Dialect) ExecWithProgress(ctx context.Context, conn *sql.Conn, stmt engine.Part, progress string) error {
	text := stmt.SQL
	base := int64(0)
	if len(stmt.Stmts) == 1 {
		text, base = stmt.Stmts[0].Text, stmt.Stmts[0].Offset
	}
	if releasesLocks(text) {
		return &engine.ExecError{Part: 0, Offset: base, Statement: text, Err: errReleasesLock}
	}
	if _, err := conn.ExecContext(ctx, text+";\n"+progress); err != nil {
		return execError(0, text, base, err)
	}
	return nil
}

var nearPattern = regexp.MustCompile(`(?s)near '(.*)' at line (\d+)$`)

// execError locates a MySQL error in a statement whose text starts at
// offset base of its part (-1: not from a script).
func execError(part int, text string, base int64, err error) *engine.ExecError {
	ee := &engine.ExecError{Part: part, Offset: base, Statement: text, Err: err}
	var me *gomysql.MySQLError
	if !errors.As(err, &me) {
		return ee
	}
	ee.Code = strconv.Itoa(int(me.Number))
	if me.SQLState != [5]byte{} {
		ee.Detail = "SQLSTATE " + string(me.SQLState[:])
	}
	if base < 0 {
		return ee
	}
	if m := nearPattern.FindStringSubmatch(me.Message); m != nil {
		line, _ := strconv.Atoi(m[2])
		from := scan.LineOffset(text, line)
		near := m[1]
		if near == "" {
			ee.Offset = base + int64(len(text))
		} else if i := strings.Index(text[from:], near[:min(len(near), 40)]); i >= 0 {
			ee.Offset = base + int64(from+i)
		} else {
			ee.Offset = base + int64(from)
		}
	}
	return ee
}

// Describe implements engine.Dialect: the user as Flyway records it (the
// part of USER() before '@'), the database (that of the connection string
// for connections made by Open, else DATABASE()), and whether the server
// is MariaDB. A connection must name a database.
func (d *Dialect) Describe(ctx context.Context, conn *sql.Conn) (engine.Session, error) {
	var s engine.Session
	var db sql.NullString
	var version string
	if err := conn.QueryRowContext(ctx, "SELECT SUBSTRING_INDEX(USER(), '@', 1), COALESCE(@strata_database, DATABASE()), VERSION()").Scan(&s.User, &db, &version); err != nil {
		return s, fmt.Errorf("read session: %w", err)
	}
	if !db.Valid || db.String == "" {
		return s, errors.New("read session: the connection has no database: name one in the URL (mysql://user@host:3306/database)")
	}
	s.Database, s.DefaultSchema = db.String, db.String
	d.mu.Lock()
	d.mariadb = strings.Contains(strings.ToLower(version), "mariadb")
	d.mu.Unlock()
	return s, nil
}

// TableExists implements engine.Dialect.
func (d *Dialect) TableExists(ctx context.Context, conn *sql.Conn, schema, table string) (bool, error) {
	var n int
	err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = "+d.schemaExpr(schema)+
		" AND TABLE_NAME = "+d.Literal(table)+" AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')").Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look for table %s: %w", table, err)
	}
	return n > 0, nil
}

// System databases that a tenant pattern never matches and that are never
// listed.
var systemDatabases = map[string]bool{"information_schema": true, "mysql": true, "performance_schema": true, "sys": true}

// SystemSchema implements engine.SystemSchemas.
func (*Dialect) SystemSchema(name string) bool { return systemDatabases[strings.ToLower(name)] }

// ListSchemas implements engine.SchemaLister: SHOW DATABASES without the
// system ones.
func (*Dialect) ListSchemas(ctx context.Context, conn *sql.Conn) ([]string, error) {
	rows, err := conn.QueryContext(ctx, "SHOW DATABASES")
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
		if !systemDatabases[strings.ToLower(s)] {
			out = append(out, s)
		}
	}
	return out, rows.Err()
}

// FlywayLockKey implements engine.FlywayLocker: the key stands for
// Flyway's named lock on the history table, "Flyway-" and the Java
// hashCode of the quoted table name (`db`.`table`), which Lock takes under
// that name.
func (d *Dialect) FlywayLockKey(schema, table string) int64 {
	return int64(flywayTag<<32 | uint64(uint32(javaHash(d.Table(schema, table)))))
}

// flywayTag marks a lock key that stands for Flyway's lock: "Flyw".
const flywayTag = 0x466C7977

// javaHash is Java's String.hashCode over UTF-16 code units.
func javaHash(s string) int32 {
	var h int32
	for _, u := range utf16.Encode([]rune(s)) {
		h = 31*h + int32(u)
	}
	return h
}

// LockName returns the GET_LOCK name of a lock key: Flyway's name for the
// keys of FlywayLockKey, "strata-" and the key in hexadecimal for others.
func LockName(key int64) string {
	if uint64(key)>>32 == flywayTag {
		return "Flyway-" + strconv.Itoa(int(int32(uint32(key))))
	}
	return "strata-" + strconv.FormatUint(uint64(key), 16)
}

// Lock implements engine.Dialect with GET_LOCK, a named lock of the
// session that the server waits for (in whole or fractional seconds) and
// releases when the session ends. A timeout names the holder from
// IS_USED_LOCK and information_schema.PROCESSLIST.
func (d *Dialect) Lock(ctx context.Context, conn *sql.Conn, key int64, timeout time.Duration) (func(context.Context) error, error) {
	name := LockName(key)
	var got sql.NullInt64
	wait := strconv.FormatFloat(timeout.Seconds(), 'f', 3, 64)
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK("+d.Literal(name)+", "+wait+")").Scan(&got); err != nil {
		return nil, fmt.Errorf("take named lock %s: %w", name, err)
	}
	if !got.Valid || got.Int64 != 1 {
		if !got.Valid {
			return nil, fmt.Errorf("take named lock %s: GET_LOCK returned NULL (killed or out of memory)", name)
		}
		return nil, &engine.LockError{Timeout: timeout, Holder: d.holder(ctx, conn, name)}
	}
	return func(ctx context.Context) error {
		var ok sql.NullInt64
		if err := conn.QueryRowContext(ctx, "SELECT RELEASE_LOCK("+d.Literal(name)+")").Scan(&ok); err != nil {
			return fmt.Errorf("release named lock %s: %w", name, err)
		}
		if !ok.Valid || ok.Int64 != 1 {
			return fmt.Errorf("release named lock %s: it was no longer held (did a migration run RELEASE_ALL_LOCKS() or RELEASE_LOCK()?)", name)
		}
		return nil
	}, nil
}

// holder describes the session holding a named lock.
func (d *Dialect) holder(ctx context.Context, conn *sql.Conn, name string) string {
	var id sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT IS_USED_LOCK("+d.Literal(name)+")").Scan(&id); err != nil || !id.Valid {
		return "another session (lock " + name + ")"
	}
	var user, host, db, command string
	var secs sql.NullInt64
	err := conn.QueryRowContext(ctx, "SELECT COALESCE(USER, ''), COALESCE(HOST, ''), COALESCE(DB, ''), COALESCE(COMMAND, ''), TIME FROM information_schema.PROCESSLIST WHERE ID = "+
		strconv.FormatInt(id.Int64, 10)).Scan(&user, &host, &db, &command, &secs)
	if err != nil {
		return fmt.Sprintf("connection %d (lock %s)", id.Int64, name)
	}
	return fmt.Sprintf("connection %d (user %s, client %s, database %s, %s for %ds; lock %s)", id.Int64, user, host, db, strings.ToLower(command), secs.Int64, name)
}

// IsLockTimeout implements engine.LockTimeouts: error 1205, a row lock
// (innodb_lock_wait_timeout) or a metadata lock (lock_wait_timeout) not
// granted in time.
func (*Dialect) IsLockTimeout(err error) bool {
	var me *gomysql.MySQLError
	return errors.As(err, &me) && me.Number == 1205
}

// IsDeadlock implements engine.Deadlocks: error 1213.
func (*Dialect) IsDeadlock(err error) bool {
	var me *gomysql.MySQLError
	return errors.As(err, &me) && me.Number == 1213
}

// ConnectionLost implements engine.ConnectionLoss: driver.ErrBadConn is
// returned before anything was sent; the driver's "invalid connection",
// an unexpected EOF or a network error after.
func (*Dialect) ConnectionLost(err error) (lost, sent bool) {
	var ne net.Error
	switch {
	case errors.Is(err, driver.ErrBadConn):
		return true, false
	case errors.Is(err, gomysql.ErrInvalidConn), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.As(err, &ne):
		return true, true
	}
	return false, false
}
