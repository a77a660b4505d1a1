package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Pipeliner is implemented by dialects that send several migrations to the
// database in one request (PostgreSQL's simple query protocol): the server
// runs the statements in order, each migration in its own transaction with
// its history and state rows, and stops at the first error, leaving the
// transactions committed before it committed and the rest unrun.
type Pipeliner interface {
	// ExecPipeline is Exec for a request that holds several transactions.
	// It also returns, in order, the value of every result whose only
	// column is named column (the history inserts' RETURNING clause), and
	// the number of COMMITs the server confirmed, also when the connection
	// broke.
	ExecPipeline(ctx context.Context, conn *sql.Conn, parts []Part, column string) (values []string, commits int, err error)
	// DeferFlush returns the statement that lets the current transaction's
	// COMMIT return before its log record is flushed to disk (group
	// commit), or "" when the database has none.
	DeferFlush() string
	// Clock returns the statement that notes when a migration starts in
	// its transaction, and the expression of the milliseconds since then
	// (the transaction's start is the request's, the same for all).
	Clock() (start, elapsed string)
}

const (
	// pipelineMax is the most migrations sent in one request.
	pipelineMax = 64
	// pipelineFileMax is the largest file sent with others; a larger one
	// runs on its own (and may be streamed in batches).
	pipelineFileMax = 256 << 10
	// durationColumn names the execution time the history insert of a
	// pipelined migration returns.
	durationColumn = "strata_execution_time"
)

// CommitMode says when the database flushes a migration's commit to disk.
type CommitMode int

const (
	// GroupCommit lets the COMMITs of the migrations sent in one request
	// return before their flush, except the last one's, whose flush makes
	// them all durable. A server crash before it loses those migrations
	// together with their history rows, never one without the other, and
	// the next run applies them again. The default.
	GroupCommit CommitMode = iota
	// CommitEach flushes every migration's COMMIT before the next starts.
	CommitEach
)

// WithCommitMode sets when commits are flushed (default GroupCommit). It
// matters only where several migrations go in one request (PostgreSQL).
func WithCommitMode(mode CommitMode) Option {
	return option("commit mode", "WithCommitMode", func(m *Migrator) error {
		if mode != CommitEach && mode != GroupCommit {
			return fmt.Errorf("unknown commit mode %d", mode)
		}
		m.commitMode = mode
		return nil
	})
}

// inlineFile is a small transactional migration read and split ahead, to
// be sent with others in one request.
type inlineFile struct {
	e   *Entry
	row HistoryRow
	cur Session // its session settings (directives applied)
	sc  *script // for error positions; its text is already read
	b   *batch
}

func (in *inlineFile) close() {
	if in.sc != nil && in.sc.closer != nil {
		in.sc.Close()
	}
}

// pipelineGroup reads ahead the first pending entries that can go to the
// database in one request: at least two consecutive small transactional
// files of one category, without per-migration callbacks, on a direct
// connection. It returns nil when the first entry must run on its own.
// Nothing is sent yet.
func (r *targetRun) pipelineGroup(pending []*Entry) []*inlineFile {
	m := r.m
	if _, ok := m.dialect.(Pipeliner); !ok || m.pooling != DirectConnections || len(pending) < 2 ||
		len(m.callbacks(BeforeEachMigrate)) > 0 || len(m.callbacks(AfterEachMigrate)) > 0 {
		return nil
	}
	var group []*inlineFile
	size := 0
	for _, e := range pending {
		if len(group) == pipelineMax || e.Category != pending[0].Category {
			break
		}
		in := r.prepareInline(e)
		if in == nil {
			break
		}
		if size += in.b.sql.Len(); size > batchSize && len(group) > 0 {
			in.close()
			break
		}
		group = append(group, in)
	}
	if len(group) < 2 {
		for _, in := range group {
			in.close()
		}
		return nil
	}
	return group
}

// prepareInline reads and splits e when it can be sent with others, or
// returns nil: the ordinary path then runs it and reports any problem
// reading it.
func (r *targetRun) prepareInline(e *Entry) *inlineFile {
	m, f := r.m, e.File
	if f == nil || e.Row != nil || e.Category == CategoryUndo || f.Size > pipelineFileMax ||
		(f.Directives.Transaction != nil && !*f.Directives.Transaction) {
		return nil
	}
	row, err := r.historyRow(e)
	if err != nil {
		return nil
	}
	in := &inlineFile{e: e, row: row, cur: r.sessionFor(f)}
	head, cached := m.cachedStatements(f)
	if cached {
		in.sc = &script{toSource: func(o int64) int64 { return o }}
	} else {
		sc, err := m.openScript(r.session, r.target, f, r.start)
		if err != nil {
			return nil
		}
		in.sc = sc
		st := &statements{sr: m.dialect.Split(sc)}
		size := 0
		for {
			s, err := st.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if size += len(s.Text); err != nil || size > pipelineFileMax {
				in.close()
				return nil
			}
			head = append(head, s)
		}
		if len(m.targets) > 1 {
			if has, _ := m.hasPrefix(f); !has {
				m.cacheStatements(f, head)
			}
		}
	}
	if !transactional(f, head) {
		in.close()
		return nil
	}
	in.b = &batch{}
	for i, s := range head {
		if s.Copy || s.NoTx || s.Tx != TxNone {
			// COPY needs round trips of its own; a transaction statement
			// (kept in by a directive) would confuse the count of COMMITs.
			in.close()
			return nil
		}
		in.b.add(s, i)
	}
	in.row.Progress = len(head)
	return in
}

// pipelined is the outcome of applyPipelined: the migrations committed, in
// order, with their execution times, and the error that stopped the rest.
type pipelined struct {
	done  []time.Duration
	err   error
	retry bool // the failed migration hit lock_timeout: run it alone, which retries
}

// applyPipelined sends the group's migrations in one request, each in its
// own transaction with its history and state rows. On an error the
// migrations before the failing one stay committed, the failing one is
// rolled back, and the rest did not run.
func (r *targetRun) applyPipelined(ctx context.Context, group []*inlineFile) pipelined {
	m, d := r.m, r.m.dialect
	pl := d.(Pipeliner)
	defer func() {
		for _, in := range group {
			in.close()
		}
	}()
	clockStart, elapsed := pl.Clock()
	deferFlush := ""
	if m.commitMode == GroupCommit {
		deferFlush = pl.DeferFlush()
	}
	spans := make([]pipeSpan, len(group))
	var parts []Part
	fp0, version0 := r.fp, r.version
	fp, version := fp0, version0
	for i, in := range group {
		r.cur = in.cur
		prefix, _, _ := r.txPrefix()
		s := pipeSpan{first: len(parts)}
		parts = append(parts, prefix...)
		parts = append(parts, Part{SQL: clockStart})
		if deferFlush != "" && i < len(group)-1 {
			parts = append(parts, Part{SQL: deferFlush})
		}
		s.script = len(parts)
		parts = append(parts, in.b.part())
		r.fp, r.version = fp, version
		s.fp = r.nextFingerprint(in.e, in.row)
		parts = append(parts,
			Part{SQL: m.store().insertHistoryReturning(in.row, elapsed, durationColumn)},
			Part{SQL: r.stateUpdateSQL(in.row, s.fp)},
			Part{SQL: "COMMIT"})
		s.last = len(parts) - 1
		spans[i] = s
		fp = s.fp
		if v := in.e.File.Version; !v.IsZero() && v.Compare(version) > 0 {
			version = v
		}
	}
	// The caller moves the version on per migration applied; the
	// fingerprint moves on here, to the last migration committed.
	r.fp, r.version = fp0, version0
	values, commits, err := pl.ExecPipeline(ctx, r.conn, parts, durationColumn)
	if err == nil {
		r.fp = spans[len(spans)-1].fp
		return pipelined{done: durations(values, len(group))}
	}
	if cl, ok := d.(ConnectionLoss); ok {
		if lost, _ := cl.ConnectionLost(err); lost {
			return r.pipelineLost(group, spans, deferFlush != "", values, commits, err)
		}
	}
	r.rollback(ctx)
	var ee *ExecError
	j := 0
	if errors.As(err, &ee) {
		for j < len(spans)-1 && ee.Part > spans[j].last {
			j++
		}
	}
	out := pipelined{done: make([]time.Duration, j)}
	if j > 0 {
		r.fp = spans[j-1].fp
		copy(out.done, durations(values, j))
	}
	in := group[j]
	if ee != nil && ee.Part == spans[j].script {
		me := r.migrationError(in.e, in.sc, in.b, ee)
		me.RolledBack = true
		lt, ok := d.(LockTimeouts)
		out.retry = ok && m.retries > 0 && lt.IsLockTimeout(err)
		out.err = me
		return out
	}
	out.err = fmt.Errorf("apply %s (target %s): %w", in.e.File.Path(), r.target.Name, err)
	return out
}

// pipeSpan is where one migration stands in a pipelined request.
type pipeSpan struct {
	first, script, last int    // part indexes: BEGIN, the file, COMMIT
	fp                  uint64 // the fingerprint once it is committed
}

// pipelineLost is the outcome of a pipelined request whose connection
// broke. The migrations whose COMMIT the server confirmed are applied,
// unless their flush was deferred (group commit) and the last one's was
// not confirmed: a crash of the server may have lost them. The first
// migration not known to be applied has an unknown outcome, and so do
// the ones sent after it (SentWith).
func (r *targetRun) pipelineLost(group []*inlineFile, spans []pipeSpan, deferred bool, values []string, commits int, err error) pipelined {
	commits = min(commits, len(group))
	if deferred && commits < len(group) {
		commits = 0
	}
	out := pipelined{done: durations(values, commits)}
	if commits > 0 {
		r.fp = spans[commits-1].fp
	}
	if commits == len(group) {
		return out // all durable; the next request finds the connection gone
	}
	e := group[commits].e
	var also []string
	for _, in := range group[commits+1:] {
		also = append(also, in.e.Script)
	}
	out.err = &MigrationError{Target: r.target.Name, Path: e.File.Path(), Version: e.Version, Description: e.Description,
		StatementIndex: -1, ConnectionLost: true, OutcomeUnknown: true, SentWith: also, Err: err}
	return out
}

// durations parses the execution times (milliseconds) the history inserts
// returned; zero where they are missing.
func durations(values []string, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range min(n, len(values)) {
		if ms, err := strconv.Atoi(values[i]); err == nil {
			out[i] = time.Duration(ms) * time.Millisecond
		}
	}
	return out
}
