package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"time"
)

// Dialect is what one database contributes to the engine. Most methods return
// SQL text, so dialects can be tested with golden files; the rest run on the
// pinned connection of one target.
type Dialect interface {
	// Name is the dialect's short name: "sqlite", "postgres", "sqlserver".
	Name() string
	// Quote returns name quoted as an identifier.
	Quote(name string) string
	// Literal returns s as a string literal.
	Literal(s string) string
	// Bool returns the literal for a boolean value.
	Bool(b bool) string
	// Table returns the qualified, quoted name of table in schema; an empty
	// schema leaves the name unqualified.
	Table(schema, table string) string
	// CreateTables returns statements that create Strata's tables when they
	// are missing. Running them twice is harmless.
	CreateTables(t Tables) []string
	// CreateSchema returns a statement that creates schema when missing, or
	// "" when the database has no schemas to create.
	CreateSchema(schema string) string
	// Begin returns the statement that opens a migration transaction.
	Begin() string
	// SessionSetup returns statements that scope work to one target
	// (search_path, timeouts, application name). With ScopeTransaction they
	// run right after Begin and must affect only that transaction; with
	// ScopeSession they precede statements that run outside a transaction,
	// and ResetSession undoes them.
	SessionSetup(s Session, scope Scope) []string
	// ResetSession returns statements that return a connection to its
	// initial state between targets (a file's own SET must not leak into
	// the next tenant).
	ResetSession() []string
	// Elapsed returns an SQL expression for the milliseconds elapsed since
	// start, evaluated when the history row is written in the migration's
	// transaction.
	Elapsed(start time.Time) string
	// Split returns the statements of a script, in order.
	Split(r io.Reader) StatementReader
	// Exec runs parts in order on conn. On failure it returns an *ExecError
	// that says which part and where in it.
	Exec(ctx context.Context, conn *sql.Conn, parts []Part) error
	// Lock takes the exclusive lock with the given key for conn's session,
	// waiting at most timeout; it must not hold a transaction open while it
	// waits or holds. A timeout is an error that wraps ErrLocked and says
	// who holds the lock. The release function is called with a context
	// that is never cancelled.
	Lock(ctx context.Context, conn *sql.Conn, key int64, timeout time.Duration) (release func(context.Context) error, err error)
	// Describe reads facts about the connection's session.
	Describe(ctx context.Context, conn *sql.Conn) (Session, error)
	// TableExists reports whether the table exists.
	TableExists(ctx context.Context, conn *sql.Conn, schema, table string) (bool, error)
}

// Tables names Strata's tables in one database instance.
type Tables struct {
	// Schema holds the tables; "" is the connection's default schema.
	Schema string
	// History is the history table, Flyway's ten columns first.
	History string
}

// State is the name of the per-target state table.
func (t Tables) State() string { return t.History + "_state" }

// Meta is the name of the table recording the layout version.
func (t Tables) Meta() string { return t.History + "_meta" }

// Session describes the session a target's migrations run in.
type Session struct {
	User             string   // the database user (installed_by default)
	Database         string   // the database name
	Schema           string   // the target schema ("" when the database has none)
	DefaultSchema    string   // the session's default schema
	SearchPath       string   // the session's original search path, kept after the target schema
	Managed          []string // managed schemas put on the search path after a tenant
	LockTimeout      string   // database lock_timeout for statements, "" for the server default
	StatementTimeout string   // database statement_timeout, "" for the server default
	Target           string   // the target's name (application_name strata/<target>)
}

// Scope says what SessionSetup's statements apply to.
type Scope int

const (
	// ScopeTransaction: the current transaction only (SET LOCAL).
	ScopeTransaction Scope = iota
	// ScopeSession: the session, until ResetSession.
	ScopeSession
)

// FlywayLocker is implemented by dialects that can compute the key of
// Flyway's own lock on a history table, so that a Flyway node and a Strata
// node exclude each other while both migrate one target.
type FlywayLocker interface {
	FlywayLockKey(schema, table string) int64
}

// TxLocker is implemented by dialects that can work through a transaction
// pooler (PgBouncer in transaction mode), where nothing of a session
// survives a transaction: locks are taken per transaction, and a guard
// re-checks inside the transaction that nobody changed the target since it
// was read.
type TxLocker interface {
	// TxLock returns statements, run first in a transaction, that take the
	// lock with the given key until the transaction ends, waiting at most
	// timeout; a timeout is an error for which IsTxLockTimeout is true.
	TxLock(key int64, timeout time.Duration) []string
	IsTxLockTimeout(err error) bool
	// Guard returns a statement that fails with an error for which
	// IsConflict is true unless the SQL condition cond holds.
	Guard(cond string) string
	IsConflict(err error) bool
}

// LockTimeouts is implemented by dialects that can tell a statement that
// gave up waiting for a table lock (PostgreSQL's lock_timeout, SQLSTATE
// 55P03). A migration that failed that way inside a transaction was rolled
// back and is retried with backoff.
type LockTimeouts interface {
	IsLockTimeout(err error) bool
}

// Deadlocks is implemented by dialects whose server may pick one of
// Strata's own statements as the victim of a deadlock between targets
// migrated in parallel (InnoDB locks the gaps that the INSERT ... SELECT
// ... WHERE NOT EXISTS creating a state row reads): the statement, which
// changed nothing, is tried again.
type Deadlocks interface {
	IsDeadlock(err error) bool
}

// ConnectionLoss is implemented by dialects that can tell a connection that
// broke (reset, closed by the server, silent past the network timeout) from
// a statement the database refused. When it broke after a request that
// holds a migration's COMMIT was sent, the migration's outcome is unknown:
// the engine says so instead of "failed" or "rolled back", and the next
// run decides from the history.
type ConnectionLoss interface {
	// ConnectionLost reports whether err means the connection broke, and
	// whether the request may have reached the server first (false when
	// nothing was sent).
	ConnectionLost(err error) (lost, sent bool)
}

// RetryPreparer is implemented by dialects that must look before a
// statement that failed or was interrupted outside a transaction runs
// again: PostgreSQL drops the INVALID index an interrupted CREATE INDEX
// CONCURRENTLY leaves behind, and reports done when the server finished
// building the index after its client was killed.
type RetryPreparer interface {
	PrepareRetry(ctx context.Context, conn *sql.Conn, st Statement, s Session) (done bool, err error)
}

// ProgressSender is implemented by dialects whose statements outside a
// transaction commit on their own (MySQL's DDL) and that can send such a
// statement together with the update of its progress in one request, which
// the server runs to the end without waiting for the client: a client
// killed after sending it cannot leave a committed statement unrecorded,
// so a re-run never repeats it. Such a statement also commits the file's
// own open transaction first (MySQL's implicit commit), which its progress
// then covers.
type ProgressSender interface {
	// ExecWithProgress runs the single statement of stmt, then progress;
	// an *ExecError's Part is 0.
	ExecWithProgress(ctx context.Context, conn *sql.Conn, stmt Part, progress string) error
}

// Statement is one statement of a script.
type Statement struct {
	Text     string   // without the terminating delimiter
	Offset   int64    // byte offset of Text in the script
	Line     int      // 1-based line of Text in the script
	NoTx     bool     // cannot run inside a transaction
	Tx       TxEffect // the script's own BEGIN, COMMIT, ROLLBACK, ... as the splitter classified it; TxNone for other statements
	Copy     bool     // COPY ... FROM STDIN, whose data is CopyData
	CopyData []byte   // data of COPY ... FROM STDIN
}

// TxEffect is what a statement of the script's own transaction control
// does to the transaction it manages. The splitter that tokenises the
// statement classifies it from its keywords at the top level (outside
// strings, comments, parentheses and routine bodies), so that the engine
// never parses statement text again.
type TxEffect uint8

const (
	// TxNone: not transaction control. SAVEPOINT, RELEASE, ROLLBACK TO
	// [SAVEPOINT] and SAVE TRAN work inside a transaction; BEGIN ATOMIC,
	// CREATE TRIGGER ... BEGIN ... END and T-SQL BEGIN ... END blocks are
	// no transactions.
	TxNone TxEffect = iota
	// TxBegin opens a transaction: BEGIN [WORK | TRANSACTION | DEFERRED |
	// IMMEDIATE | EXCLUSIVE ...], START TRANSACTION, BEGIN [DISTRIBUTED]
	// TRAN[SACTION].
	TxBegin
	// TxCommit ends the transaction by committing it: COMMIT [WORK |
	// TRANSACTION | TRAN name] (also COMMIT AND CHAIN), END [TRANSACTION].
	// Progress recorded in the transaction just before commits with it.
	TxCommit
	// TxEnd ends the transaction without committing it there: ROLLBACK
	// (not to a savepoint), ABORT, PREPARE TRANSACTION, COMMIT PREPARED and
	// ROLLBACK PREPARED. A T-SQL batch takes the effect of its last
	// transaction statement, except that a batch whose last COMMIT follows
	// other transaction statements is TxEnd: its commit cannot carry the
	// progress of the batch as a whole.
	TxEnd
)

// String returns the effect's name as the constants spell it.
func (e TxEffect) String() string {
	switch e {
	case TxNone:
		return "TxNone"
	case TxBegin:
		return "TxBegin"
	case TxCommit:
		return "TxCommit"
	case TxEnd:
		return "TxEnd"
	}
	return fmt.Sprintf("TxEffect(%d)", uint8(e))
}

// StatementReader yields statements in order and io.EOF at the end.
type StatementReader interface {
	Next() (Statement, error)
}

// Part is one piece of SQL handed to Dialect.Exec. Parts that come from a
// migration file have Script set, so errors can be traced back to it.
type Part struct {
	SQL    string
	Script bool        // SQL is (a piece of) the migration's text
	Stmt   Statement   // for a single statement of a split script: where it stands in the script
	Stmts  []Statement // for a whole script: its statements, already split (offsets relative to SQL)
}

// ExecError is the failure of one part of an Exec call.
type ExecError struct {
	Part      int    // index of the failing part
	Offset    int64  // byte offset in the part's SQL where the error is, -1 when unknown
	Statement string // the failing statement, when known
	Code      string // the database's error code (SQLSTATE, error number), when known
	Detail    string
	Hint      string
	Err       error // the driver's error
}

func (e *ExecError) Error() string { return e.Err.Error() }
func (e *ExecError) Unwrap() error { return e.Err }

// SplitAll reads every statement of r with d's splitter.
func SplitAll(d Dialect, r io.Reader) ([]Statement, error) {
	sr := d.Split(r)
	var out []Statement
	for {
		st, err := sr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("split statements: %w", err)
		}
		out = append(out, st)
	}
}

// SchemaInspector is implemented by dialects that can tell which schemas
// exist and what they hold, so that Strata refuses to run migrations over
// a schema that holds objects but no history (Flyway's "non-empty schema
// without schema history table") and notices a schema dropped behind its
// back.
type SchemaInspector interface {
	// SchemaObjects returns a key for each of names that exists. With
	// limit > 0 its value lists up to limit objects the schema holds
	// (tables, views, sequences, functions, types; not those an extension
	// owns, not Strata's own tables in skip.Schema nor what belongs to
	// them), each as "kind name"; with limit 0 only existence is read.
	// All names are answered by one query.
	SchemaObjects(ctx context.Context, conn *sql.Conn, names []string, skip Tables, limit int) (map[string][]string, error)
}

// QuerySchemaObjects runs a query that returns (schema, object) rows, the
// object NULL for an empty schema, and collects them as SchemaObjects
// returns them: a key for each schema, its objects in order.
func QuerySchemaObjects(ctx context.Context, conn *sql.Conn, query string) (map[string][]string, error) {
	rows, err := conn.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("inspect schemas: %w", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var schema string
		var object sql.NullString
		if err := rows.Scan(&schema, &object); err != nil {
			return nil, fmt.Errorf("inspect schemas: %w", err)
		}
		list := out[schema]
		if object.Valid {
			list = append(list, object.String)
		}
		out[schema] = list
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("inspect schemas: %w", err)
	}
	return out, nil
}
