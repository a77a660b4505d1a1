package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/stratadb/strata/locations"
)

func (r *targetRun) apply(ctx context.Context, e *Entry) error {
	m, f := r.m, e.File
	r.cur = r.sessionFor(f)
	row, err := r.historyRow(e)
	if err != nil {
		return err
	}
	if head, ok := m.cachedStatements(f); ok && e.Row == nil && transactional(f, head) && m.pooling == DirectConnections {
		// The same text for every target: read and split once per run.
		return r.applyInTransaction(ctx, e, row, &script{toSource: func(o int64) int64 { return o }}, &replay{head: head, done: true})
	}
	sc, err := m.openScript(r.session, r.target, f, r.start)
	if err != nil {
		return err
	}
	defer sc.Close()
	st := &statements{sr: m.dialect.Split(sc)}
	// Read up to one batch of statements: a file that ends within it is
	// decided and run from memory in one pass; a larger one is scanned once
	// more to decide, then streamed on from where this read stopped.
	var head []Statement
	size, complete := 0, false
	for size < batchSize {
		s, err := st.next()
		if errors.Is(err, io.EOF) {
			complete = true
			break
		}
		if err != nil {
			return r.readError(f, err)
		}
		head = append(head, s)
		size += len(s.Text)
	}
	src := &replay{head: head, rest: st, done: complete}
	if complete && len(m.targets) > 1 {
		if has, _ := m.hasPrefix(f); !has {
			m.cacheStatements(f, head)
		}
	}
	pooled := m.pooling == TransactionPooling
	if pooled && (!transactional(f, head) || e.Row != nil) {
		return fmt.Errorf("apply %s (target %s): cannot run in one transaction, which a transaction pooler needs: connect directly to apply it", f.Path(), r.target.Name)
	}
	if transactional(f, head) && e.Row == nil {
		err := r.applyInTransaction(ctx, e, row, sc, src)
		if !errors.Is(err, errNeedsNoTx) {
			return err
		}
		if pooled {
			return fmt.Errorf("apply %s (target %s): a statement cannot run in a transaction, which a transaction pooler needs: connect directly to apply it", f.Path(), r.target.Name)
		}
		// Rolled back: run the file again from its start, statement by
		// statement.
		sc.Close()
		if sc, err = m.openScript(r.session, r.target, f, r.start); err != nil {
			return err
		}
		defer sc.Close()
		src = &replay{rest: &statements{sr: m.dialect.Split(sc)}}
	}
	return r.applyStatementByStatement(ctx, e, row, sc, src)
}

// sessionFor returns the session settings for applying f: the target's,
// with f's lock and statement timeout directives.
func (r *targetRun) sessionFor(f *locations.File) Session {
	s := r.session
	if v := f.Directives.LockTimeout; v != "" {
		s.LockTimeout = v
	}
	if v := f.Directives.StatementTimeout; v != "" {
		s.StatementTimeout = v
	}
	return s
}

// historyRow returns the history row that applying e writes. A repeatable
// with placeholders is checksummed as replaced for this target, as Flyway does.
func (r *targetRun) historyRow(e *Entry) (HistoryRow, error) {
	m, f := r.m, e.File
	checksum := f.Checksum
	if f.Kind == locations.Repeatable && m.replaces(f) {
		c, err := m.checkScript(r.session, r.target, f, r.start)
		if err != nil {
			return HistoryRow{}, fmt.Errorf("apply %s (target %s): %w", f.Path(), r.target.Name, err)
		}
		checksum = c
	}
	row := HistoryRow{
		Version: e.Version, Description: abbreviate(f.Description), Type: typeOfKind(f.Kind), Script: f.Script,
		Checksum: &checksum, InstalledBy: m.installedBy, Success: true, Tenant: r.target.Name, FailedStatement: -1,
	}
	if !f.Version.IsZero() {
		row.VersionKey = f.Version.Key()
	}
	return row, nil
}

// cachedStatements returns the statements of a small file without
// placeholders, split once for all targets of the run.
func (m *run) cachedStatements(f *locations.File) ([]Statement, bool) {
	m.stmtMu.Lock()
	defer m.stmtMu.Unlock()
	st, ok := m.stmtCache[f]
	return st, ok
}

func (m *run) cacheStatements(f *locations.File, st []Statement) {
	m.stmtMu.Lock()
	defer m.stmtMu.Unlock()
	if m.stmtCache == nil {
		m.stmtCache = map[*locations.File][]Statement{}
	}
	m.stmtCache[f] = st
}

// replay yields the statements read ahead, then the rest of the stream.
type replay struct {
	head  []Statement
	rest  *statements
	done  bool // the stream ended within head
	index int
}

func (p *replay) next() (Statement, int, error) {
	i := p.index
	if i < len(p.head) {
		p.index++
		s := p.head[i]
		if !p.done {
			// A streamed file: its head is read once, so let it go.
			p.head[i] = Statement{}
		}
		return s, i, nil
	}
	if p.done {
		return Statement{}, i, io.EOF
	}
	s, err := p.rest.next()
	if err == nil {
		p.index++
	}
	return s, i, err
}

// applyWithRetry applies e, retrying with backoff when it was rolled back
// because a statement gave up waiting for a table lock. tried is the
// number of attempts already made (a pipelined request's): the backoff
// comes first then.
func (r *targetRun) applyWithRetry(ctx context.Context, e *Entry, tried int) error {
	lt, ok := r.m.dialect.(LockTimeouts)
	wait := r.m.backoff
	for range tried {
		r.m.logger.Info("migration hit lock_timeout; retrying", "target", r.target.Name, "script", e.Script, "attempt", tried, "wait", wait)
		select {
		case <-ctx.Done():
			return fmt.Errorf("apply %s (target %s): stopped while waiting to try again after lock_timeout: %w", e.File.Path(), r.target.Name, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 10*time.Second)
	}
	for attempt := tried; ; attempt++ {
		err := r.apply(ctx, e)
		var me *MigrationError
		if err == nil || !ok || attempt >= r.m.retries || !errors.As(err, &me) || !me.RolledBack || !lt.IsLockTimeout(err) {
			return err
		}
		r.m.logger.Info("migration hit lock_timeout; retrying", "target", r.target.Name, "script", e.Script, "attempt", attempt+1, "wait", wait)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 10*time.Second)
	}
}

// applyInTransaction runs the file, its history row and the state update in
// one transaction. A file that fits in one batch goes to the dialect in one
// call with all of it (one round trip on PostgreSQL); a larger one is sent
// batch by batch, the next batch being read and split while the database
// works on the current one.
func (r *targetRun) applyInTransaction(ctx context.Context, e *Entry, row HistoryRow, sc *script, src *replay) error {
	m, d := r.m, r.m.dialect
	prefix, lockParts, guard := r.txPrefix()
	var before, after []cbPart
	if e.Category != CategoryUndo {
		var err error
		if before, err = r.callbackParts(BeforeEachMigrate); err != nil {
			return err
		}
		if after, err = r.callbackParts(AfterEachMigrate); err != nil {
			return err
		}
	}
	prefix = append(prefix, partsOf(before)...)
	batches, stop := r.produceBatches(e.File, src)
	defer stop()
	began := false
	for msg := range batches {
		if msg.err != nil {
			if began {
				r.rollback(ctx)
			}
			if errors.Is(msg.err, errNeedsNoTx) {
				return msg.err
			}
			return r.readError(e.File, msg.err)
		}
		parts := append(prefix, msg.b.part())
		script := len(prefix)
		cbFrom := script // the first batch's beforeEachMigrate parts are [cbFrom, script)
		if !began {
			cbFrom -= len(before)
		}
		prefix, began = nil, true
		var fp uint64
		if msg.final {
			row.Progress = msg.count
			fp = r.nextFingerprint(e, row)
			parts = append(parts, partsOf(after)...)
			parts = append(parts,
				Part{SQL: m.store().insertHistory(row, d.Elapsed(time.Now()))},
				Part{SQL: r.stateUpdateSQL(row, fp)},
				Part{SQL: "COMMIT"})
		}
		if err := d.Exec(ctx, r.conn, parts); err != nil {
			if me := r.connectionLost(e, err, msg.final); me != nil {
				return me // nothing more can be done on this connection
			}
			r.rollback(ctx)
			if perr := r.txPrefixError(err, lockParts, guard); perr != nil && script > 0 {
				return perr
			}
			var ee *ExecError
			if errors.As(err, &ee) && ee.Part == script {
				me := r.migrationError(e, sc, msg.b, ee)
				me.RolledBack = true
				return me
			}
			if ee != nil && ee.Part >= cbFrom && ee.Part < script {
				return r.callbackError(BeforeEachMigrate, before[ee.Part-cbFrom], ee, e)
			}
			if ee != nil && msg.final && ee.Part > script && ee.Part <= script+len(after) {
				return r.callbackError(AfterEachMigrate, after[ee.Part-script-1], ee, e)
			}
			return fmt.Errorf("apply %s (target %s): %w", e.File.Path(), r.target.Name, err)
		}
		if msg.final {
			r.fp = fp
			return nil
		}
	}
	return fmt.Errorf("apply %s (target %s): statement reader stopped early", e.File.Path(), r.target.Name)
}

// batchMsg is one batch of statements, or the error that ended reading.
type batchMsg struct {
	b     *batch
	final bool // the last batch of the file
	count int  // statements read so far
	err   error
}

// produceBatches reads statements into batches on its own goroutine. stop
// ends it and waits for it, so the script may be closed afterwards.
func (r *targetRun) produceBatches(f *locations.File, src *replay) (<-chan batchMsg, func()) {
	ch := make(chan batchMsg, 1)
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(ch)
		send := func(msg batchMsg) bool {
			select {
			case ch <- msg:
				return true
			case <-quit:
				return false
			}
		}
		b := &batch{}
		count := 0
		for {
			s, i, err := src.next()
			if errors.Is(err, io.EOF) {
				send(batchMsg{b: b, final: true, count: count})
				return
			}
			if err == nil && (s.NoTx || s.Tx != TxNone) && f.Directives.Transaction == nil {
				err = errNeedsNoTx
			}
			if err != nil {
				send(batchMsg{err: err})
				return
			}
			b.add(s, i)
			count++
			if b.sql.Len() >= streamBatchSize {
				if !send(batchMsg{b: b, count: count}) {
					return
				}
				b = &batch{}
			}
		}
	}()
	var once sync.Once
	return ch, func() {
		once.Do(func() { close(quit) })
		<-done
	}
}
