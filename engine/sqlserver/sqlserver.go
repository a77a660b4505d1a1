package sqlserver

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	mssql "github.com/microsoft/go-mssqldb"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/internal/scan"
	"github.com/stratadb/strata/engine/internal/tcpopt"
	"github.com/stratadb/strata/internal/redact"
)

// Dialect implements engine.Dialect for SQL Server. It learns the database
// name from Describe, to qualify Strata's tables: a value serves one
// database at a time (call New for each database used at once).
type Dialect struct {
	mu sync.Mutex
	db string // the database name, from the first Describe
}

// New returns the SQL Server dialect.
func New() engine.Dialect { return &Dialect{} }

// Defaults of Options.
const (
	DefaultConnectTimeout = 10 * time.Second
	DefaultNetworkTimeout = 30 * time.Second
)

// Options configure connections made by Open.
type Options struct {
	// ConnectTimeout bounds one attempt to connect: the dial and the login
	// (go-mssqldb's own login has no deadline: a server that accepts TCP
	// but never answers would hang it). Default DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// NetworkTimeout ends a connection whose server stopped answering
	// within about this time: TCP keepalives and, on Linux,
	// TCP_USER_TIMEOUT. Default DefaultNetworkTimeout; negative: the
	// driver's keepalive only.
	NetworkTimeout time.Duration
}

// Open opens a database/sql handle from a sqlserver:// URL. Every
// connection attempt ends within Options.ConnectTimeout, or as soon as the
// context given to the driver (PingContext, Conn) is cancelled.
func Open(ctx context.Context, url string, opts Options) (*sql.DB, error) {
	secrets := redact.New(redact.Secrets(url)...)
	c, err := mssql.NewConnector(url)
	if err != nil {
		return nil, fmt.Errorf("open sql server connection: %w", secrets.Error(err))
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = DefaultConnectTimeout
	}
	if opts.NetworkTimeout == 0 {
		opts.NetworkTimeout = DefaultNetworkTimeout
	}
	c.Dialer = loginDialer{tcpopt.Dialer(opts.ConnectTimeout, max(opts.NetworkTimeout, 0))}
	// Connection errors can show pieces of the password: mask them here.
	return sql.OpenDB(secrets.Connector(&connector{inner: c, timeout: opts.ConnectTimeout})), nil
}

// connector bounds the login of go-mssqldb, which reads the server's
// answers without a deadline and without looking at the context.
type connector struct {
	inner   *mssql.Connector
	timeout time.Duration
}

type dialedKey struct{}

// dialed keeps the connection made during one Connect.
type dialed struct {
	mu   sync.Mutex
	conn net.Conn
	done bool // Connect gave up: close what is dialed
}

func (c *connector) Connect(parent context.Context) (driver.Conn, error) {
	ctx, cancel := context.WithTimeout(parent, c.timeout)
	defer cancel()
	d := &dialed{}
	ctx = context.WithValue(ctx, dialedKey{}, d)
	// A cancelled or expired context ends a login that waits for the
	// server: the read fails at once.
	stop := context.AfterFunc(ctx, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.done = true
		if d.conn != nil {
			_ = d.conn.SetDeadline(time.Now())
		}
	})
	conn, err := c.inner.Connect(ctx)
	if !stop() && err == nil {
		conn.Close()
		return nil, fmt.Errorf("connect to sql server: %w", context.Cause(ctx))
	}
	if err != nil {
		switch {
		case parent.Err() != nil:
			return nil, fmt.Errorf("connect to sql server: %w", parent.Err())
		case ctx.Err() != nil, errors.Is(err, os.ErrDeadlineExceeded):
			return nil, fmt.Errorf("connect to sql server: no answer within %s (connect_timeout): %w", c.timeout, err)
		}
		return nil, err
	}
	d.mu.Lock()
	if d.conn != nil {
		_ = d.conn.SetDeadline(time.Time{})
	}
	d.mu.Unlock()
	return conn, nil
}

func (c *connector) Driver() driver.Driver { return c.inner.Driver() }

// loginDialer dials with keepalives and records the connection for the
// Connect that dials it.
type loginDialer struct{ d *net.Dialer }

func (l loginDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := l.d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if d, ok := ctx.Value(dialedKey{}).(*dialed); ok {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.done {
			conn.Close()
			return nil, context.Canceled
		}
		if dl, ok := ctx.Deadline(); ok {
			_ = conn.SetDeadline(dl)
		}
		d.conn = conn
	}
	return conn, nil
}

// Name implements engine.Dialect.
func (*Dialect) Name() string { return "sqlserver" }

// Quote implements engine.Dialect: [name] with ] doubled.
func (*Dialect) Quote(name string) string { return "[" + strings.ReplaceAll(name, "]", "]]") + "]" }

// Literal implements engine.Dialect: a Unicode literal N'...'.
func (*Dialect) Literal(s string) string { return "N'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Bool implements engine.Dialect.
func (*Dialect) Bool(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func (d *Dialect) database() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.db
}

// Table implements engine.Dialect: [db].[schema].[table] once the database
// is known, so that a file's own USE cannot redirect Strata's writes.
func (d *Dialect) Table(schema, table string) string {
	name := d.Quote(table)
	if schema != "" {
		name = d.Quote(schema) + "." + name
	} else if db := d.database(); db != "" {
		name = d.Quote("dbo") + "." + name
	}
	if db := d.database(); db != "" {
		name = d.Quote(db) + "." + name
	}
	return name
}

// CreateTables implements engine.Dialect with SQL Server types (FLYWAY.md
// 1.2 for Flyway's ten columns); each statement checks existence first.
func (d *Dialect) CreateTables(t engine.Tables) []string {
	h, st, meta := d.Table(t.Schema, t.History), d.Table(t.Schema, t.State()), d.Table(t.Schema, t.Meta())
	ifMissing := func(table, ddl string) string {
		return "IF OBJECT_ID(" + d.Literal(table) + ", N'U') IS NULL\n" + ddl
	}
	index := func(name, table, cols string) string {
		return "IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = " + d.Literal(name) + " AND object_id = OBJECT_ID(" + d.Literal(table) + "))\n" +
			"CREATE INDEX " + d.Quote(name) + " ON " + table + " (" + cols + ")"
	}
	return []string{
		ifMissing(meta, `CREATE TABLE `+meta+` (
    [name]  NVARCHAR(100) NOT NULL PRIMARY KEY,
    [value] NVARCHAR(1000) NOT NULL
)`),
		ifMissing(h, `CREATE TABLE `+h+` (
    [installed_rank]   INT IDENTITY(1, 1) NOT NULL,
    [version]          NVARCHAR(50),
    [description]      NVARCHAR(200),
    [type]             NVARCHAR(20) NOT NULL,
    [script]           NVARCHAR(1000) NOT NULL,
    [checksum]         INT,
    [installed_by]     NVARCHAR(100) NOT NULL,
    [installed_on]     DATETIME NOT NULL DEFAULT GETDATE(),
    [execution_time]   INT NOT NULL,
    [success]          BIT NOT NULL,
    [tenant]           NVARCHAR(128) NOT NULL,
    [version_key]      NVARCHAR(400),
    [error]            NVARCHAR(MAX),
    [failed_statement] INT,
    [progress]         INT NOT NULL DEFAULT 0,
    [statement_checksums] NVARCHAR(MAX),
    [mark]             NVARCHAR(20),
    CONSTRAINT `+d.Quote(t.History+"_pk")+` PRIMARY KEY ([installed_rank])
)`),
		index(t.History+"_s_idx", h, "[success]"),
		index(t.History+"_tv_idx", h, "[tenant], [version_key]"),
		ifMissing(st, `CREATE TABLE `+st+` (
    [tenant]      NVARCHAR(128) NOT NULL PRIMARY KEY,
    [version]     NVARCHAR(50),
    [version_key] NVARCHAR(400),
    [fingerprint] NVARCHAR(16),
    [applied]     INT NOT NULL DEFAULT 0,
    [failed]      BIT NOT NULL DEFAULT 0,
    [error]       NVARCHAR(MAX),
    [generation]  BIGINT NOT NULL DEFAULT 0,
    [updated_on]  DATETIME NOT NULL DEFAULT GETDATE()
)`),
	}
}

// UpgradeTables implements engine.LayoutUpgrader; each statement checks
// first that its column is missing.
func (d *Dialect) UpgradeTables(t engine.Tables, from int) []string {
	h := d.Table(t.Schema, t.History)
	switch from {
	case 1:
		return []string{"IF NOT EXISTS (SELECT 1 FROM sys.columns WHERE name = N'statement_checksums' AND object_id = OBJECT_ID(" + d.Literal(h) + "))\n" +
			"ALTER TABLE " + h + " ADD [statement_checksums] NVARCHAR(MAX)"}
	case 2:
		return []string{"IF NOT EXISTS (SELECT 1 FROM sys.columns WHERE name = N'mark' AND object_id = OBJECT_ID(" + d.Literal(h) + "))\n" +
			"ALTER TABLE " + h + " ADD [mark] NVARCHAR(20)"}
	}
	return nil
}

// CreateSchema implements engine.Dialect: CREATE SCHEMA must start a batch,
// hence EXEC.
func (d *Dialect) CreateSchema(schema string) string {
	return "IF SCHEMA_ID(" + d.Literal(schema) + ") IS NULL EXEC(" + d.Literal("CREATE SCHEMA "+d.Quote(schema)) + ")"
}

// Begin implements engine.Dialect.
func (*Dialect) Begin() string { return "BEGIN TRANSACTION" }

// SessionSetup implements engine.Dialect: XACT_ABORT (so any error rolls
// the whole transaction back) and LOCK_TIMEOUT. SQL Server has no
// transaction-scoped SET and no default schema to switch: ResetSession
// undoes these between targets. statement_timeout has no server-side
// equivalent and is not applied.
func (*Dialect) SessionSetup(s engine.Session, _ engine.Scope) []string {
	out := []string{"SET XACT_ABORT ON"}
	if s.LockTimeout != "" {
		if d, err := time.ParseDuration(s.LockTimeout); err == nil {
			out = append(out, "SET LOCK_TIMEOUT "+strconv.FormatInt(d.Milliseconds(), 10))
		}
	}
	return out
}

// ResetSession implements engine.Dialect.
func (*Dialect) ResetSession() []string { return []string{"SET LOCK_TIMEOUT -1"} }

// elapsedMarker stands for the execution time in a history INSERT; Exec
// replaces it with the milliseconds since the marked start when the INSERT
// is sent (the batches before it have run by then).
var elapsedMarker = regexp.MustCompile(`/\*strata:elapsed:(\d+)\*/0`)

// Elapsed implements engine.Dialect.
func (*Dialect) Elapsed(start time.Time) string {
	return fmt.Sprintf("/*strata:elapsed:%d*/0", start.UnixNano())
}

// Split implements engine.Dialect: one statement per GO batch, repeated as
// often as GO n says.
func (*Dialect) Split(r io.Reader) engine.StatementReader { return &batchReader{s: NewSplitter(r)} }

type batchReader struct {
	s       *Splitter
	pending engine.Statement
	left    int
}

func (r *batchReader) Next() (engine.Statement, error) {
	if r.left > 0 {
		r.left--
		return r.pending, nil
	}
	st, err := r.s.Next()
	if err != nil {
		return engine.Statement{}, err
	}
	out := engine.Statement{Text: st.Text, Offset: st.Offset, Line: st.Line, NoTx: st.NoTx, Tx: st.Tx}
	if st.Repeat > 1 {
		r.pending, r.left = out, st.Repeat-1
	}
	return out, nil
}

// Exec implements engine.Dialect: batches one by one; an error names the
// batch and the line in it that SQL Server reports.
func (d *Dialect) Exec(ctx context.Context, conn *sql.Conn, parts []engine.Part) error {
	run := func(i int, text string, base int64) error {
		text = elapsedMarker.ReplaceAllStringFunc(text, func(m string) string {
			n, _ := strconv.ParseInt(elapsedMarker.FindStringSubmatch(m)[1], 10, 64)
			return strconv.FormatInt(time.Since(time.Unix(0, n)).Milliseconds(), 10)
		})
		if _, err := conn.ExecContext(ctx, text); err != nil {
			return execError(i, text, base, err)
		}
		return nil
	}
	for i, p := range parts {
		switch {
		case p.Stmts != nil:
			for _, st := range p.Stmts {
				if err := run(i, st.Text, st.Offset); err != nil {
					return err
				}
			}
		case p.Script:
			if err := run(i, p.SQL, 0); err != nil {
				return err
			}
		default:
			if err := run(i, p.SQL, -1); err != nil {
				return err
			}
		}
	}
	return nil
}

// execError locates a SQL Server error: its line number counts from the
// start of the batch.
func execError(part int, batch string, base int64, err error) *engine.ExecError {
	ee := &engine.ExecError{Part: part, Offset: -1, Statement: batch, Err: err}
	var me mssql.Error
	if errors.As(err, &me) {
		ee.Code = strconv.Itoa(int(me.Number))
		if me.ProcName != "" {
			ee.Detail = "in " + me.ProcName
		}
		if base >= 0 {
			ee.Offset = base + int64(scan.LineOffset(batch, int(me.LineNo)))
		}
	} else if base >= 0 {
		ee.Offset = base
	}
	return ee
}

// Describe implements engine.Dialect; it also learns the database name
// that qualifies Strata's tables.
func (d *Dialect) Describe(ctx context.Context, conn *sql.Conn) (engine.Session, error) {
	var s engine.Session
	if err := conn.QueryRowContext(ctx, "SELECT SUSER_SNAME(), DB_NAME(), SCHEMA_NAME()").Scan(&s.User, &s.Database, &s.DefaultSchema); err != nil {
		return s, fmt.Errorf("read session: %w", err)
	}
	d.mu.Lock()
	d.db = s.Database
	d.mu.Unlock()
	return s, nil
}

// TableExists implements engine.Dialect.
func (d *Dialect) TableExists(ctx context.Context, conn *sql.Conn, schema, table string) (bool, error) {
	var n int
	err := conn.QueryRowContext(ctx, "SELECT CASE WHEN OBJECT_ID("+d.Literal(d.Table(schema, table))+", N'U') IS NULL THEN 0 ELSE 1 END").Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look for table %s: %w", table, err)
	}
	return n == 1, nil
}

// lockSQL takes an application lock for the session and returns
// sp_getapplock's result code (negative: not granted).
func (d *Dialect) lockSQL(key int64, timeout time.Duration) string {
	return "DECLARE @r INT; EXEC @r = sp_getapplock @Resource = " + d.Literal(resource(key)) +
		", @LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = " + strconv.FormatInt(timeout.Milliseconds(), 10) + "; SELECT @r"
}

func (d *Dialect) unlockSQL(key int64) string {
	return "EXEC sp_releaseapplock @Resource = " + d.Literal(resource(key)) + ", @LockOwner = 'Session'"
}

func resource(key int64) string { return "strata-" + strconv.FormatUint(uint64(key), 16) }

// Lock implements engine.Dialect with sp_getapplock. Its return code, not
// an error, says whether the lock was granted: 0 or 1 granted, -1 timeout,
// -2 cancelled, -3 deadlock victim, -999 a parameter or call error.
func (d *Dialect) Lock(ctx context.Context, conn *sql.Conn, key int64, timeout time.Duration) (func(context.Context) error, error) {
	var r int
	if err := conn.QueryRowContext(ctx, d.lockSQL(key, timeout)).Scan(&r); err != nil {
		return nil, fmt.Errorf("sp_getapplock %s: %w", resource(key), err)
	}
	if r < 0 {
		if r == -1 {
			return nil, &engine.LockError{Timeout: timeout, Holder: "another session (sys.dm_tran_locks, resource_type APPLICATION, resource " + resource(key) + ")"}
		}
		return nil, fmt.Errorf("sp_getapplock %s: not granted (result %d)", resource(key), r)
	}
	return func(ctx context.Context) error {
		if _, err := conn.ExecContext(ctx, d.unlockSQL(key)); err != nil {
			return fmt.Errorf("sp_releaseapplock %s: %w", resource(key), err)
		}
		return nil
	}, nil
}
