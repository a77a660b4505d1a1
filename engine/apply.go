package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/stratadb/strata/locations"
	"github.com/stratadb/strata/placeholders"
	"github.com/stratadb/strata/schemas"
)

// Result is what Apply did.
type Result struct {
	Targets []TargetResult
}

// TargetResult is what Apply did on one target.
type TargetResult struct {
	Target      string
	Applied     []AppliedMigration
	Version     string // the target's schema version afterwards
	Err         error
	DoneByOther bool // another runner applied what was pending here
}

// AppliedMigration is one migration Apply ran.
type AppliedMigration struct {
	Version     string
	Description string
	Type        string
	Script      string
	Duration    time.Duration
}

// Applied is the number of migrations applied over all targets.
func (r *Result) Applied() int {
	n := 0
	for _, t := range r.Targets {
		n += len(t.Applied)
	}
	return n
}

// Err joins the errors of the targets that failed.
func (r *Result) Err() error {
	var errs []error
	for _, t := range r.Targets {
		if t.Err != nil {
			errs = append(errs, t.Err)
		}
	}
	return errors.Join(errs...)
}

// Migrate plans and applies. Nothing pending is success.
func (m *Migrator) Migrate(ctx context.Context) (*Result, error) {
	p, err := m.Plan(ctx)
	if err != nil {
		return nil, err
	}
	return m.Apply(ctx, p)
}

// Apply runs the plan: for every target with pending migrations it takes the
// target's lock, re-reads the history, re-plans and applies each migration
// in its own transaction together with its history and state rows.
// Targets with nothing pending are not touched. Targets run on a pool of
// WithParallel workers, each on its own connection; one target's failure
// does not stop the others unless WithOnError(StopOnError). A target whose
// lock another runner holds is put aside and visited again at the end,
// waiting then up to the lock timeout; if that runner did the work, the
// target is reported as done by another runner.
func (m *Migrator) Apply(ctx context.Context, p *Plan) (*Result, error) {
	res := &Result{Targets: make([]TargetResult, len(p.Targets))}
	var work []int
	pending := 0
	for i, tp := range p.Targets {
		res.Targets[i] = TargetResult{Target: tp.Target.Name, Version: tp.Current}
		if tp.NonEmpty != nil {
			// A tenant whose schema holds objects but has no history: left
			// untouched, the others proceed.
			res.Targets[i].Err = tp.NonEmpty
			m.emit(TargetFinished{Target: tp.Target.Name, Err: tp.NonEmpty})
			continue
		}
		if len(tp.Pending) > 0 || tp.baselineOnMigrate {
			work = append(work, i)
			pending += len(tp.Pending)
		}
	}
	m.emit(RunStarted{Targets: len(work), Total: len(p.Targets), Pending: pending})
	var (
		mu       sync.Mutex
		deferred []int
		stopped  atomic.Bool
	)
	run := func(indexes []int, wait bool) {
		var g errgroup.Group // not WithContext: one target's error must not cancel the others
		g.SetLimit(m.parallel)
		for _, i := range indexes {
			if stopped.Load() || ctx.Err() != nil {
				res.Targets[i].Err = m.notStarted(ctx, p.Targets[i])
				continue
			}
			g.Go(func() error {
				// g.Go waited for a free slot: a failure (on_error = stop)
				// or an interruption may have come meanwhile.
				if stopped.Load() || ctx.Err() != nil {
					res.Targets[i].Err = m.notStarted(ctx, p.Targets[i])
					return nil
				}
				tr := m.applyTarget(ctx, p, p.Targets[i], wait)
				var le *LockError
				if !wait && errors.As(tr.Err, &le) && le.busy {
					mu.Lock()
					deferred = append(deferred, i)
					mu.Unlock()
					return nil
				}
				if tr.Err == nil && len(tr.Applied) == 0 {
					tr.DoneByOther = true // pending when planned, nothing left under the lock
				}
				if tr.Err != nil && m.onError == StopOnError {
					stopped.Store(true)
				}
				res.Targets[i] = tr
				return nil
			})
		}
		_ = g.Wait()
	}
	run(work, false)
	if len(deferred) > 0 {
		sort.Ints(deferred)
		again := deferred
		deferred = nil
		run(again, true)
	}
	for i := range res.Targets {
		res.Targets[i].Err = m.maskErr(res.Targets[i].Err)
	}
	return res, res.Err()
}

// notStarted is the error of a target that was never started.
func (m *Migrator) notStarted(ctx context.Context, tp *TargetPlan) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("target %s: not started: %w", tp.Target.Name, err)
	}
	return fmt.Errorf("target %s: not started: another target failed and on_error is stop", tp.Target.Name)
}

// lockKey is the 64-bit key of a target's lock: a hash of the qualified
// history table and the tenant.
func (m *Migrator) lockKey(tenant string) int64 {
	h := fnv.New64a()
	h.Write([]byte(m.historyTable()))
	h.Write([]byte{0})
	h.Write([]byte(tenant))
	return int64(h.Sum64())
}

// lockKeys are the keys a target's run holds: the target's own, and for a
// single target without tenants also Flyway's key on the same schema, so a
// Flyway node migrating at the same moment waits.
func (m *Migrator) lockKeys(t schemas.Target) []int64 {
	keys := []int64{m.lockKey(t.Name)}
	if fl, ok := m.dialect.(FlywayLocker); ok && !t.Tenant && len(m.targets) == 1 {
		keys = append(keys, fl.FlywayLockKey(m.tables.Schema, m.flywayTable))
	}
	return keys
}

// lockTarget takes every lock of a target's run (lockKeys) on conn,
// waiting at most timeout for each. A LockError names the target and, for a
// single try (timeout 0), is marked busy. On failure the locks already
// taken are released; release gives back all of them, with a context that
// is never cancelled.
func (m *Migrator) lockTarget(ctx context.Context, conn *sql.Conn, t schemas.Target, timeout time.Duration) (release func() error, err error) {
	var releases []func(context.Context) error
	release = func() error {
		var errs []error
		for i := len(releases) - 1; i >= 0; i-- {
			errs = append(errs, releases[i](context.WithoutCancel(ctx)))
		}
		return errors.Join(errs...)
	}
	for _, key := range m.lockKeys(t) {
		rel, err := m.dialect.Lock(ctx, conn, key, timeout)
		if err != nil {
			var le *LockError
			if errors.As(err, &le) {
				if le.Target == "" {
					le.Target = t.Name
				}
				le.busy = timeout == 0
			}
			release()
			return nil, err
		}
		releases = append(releases, rel)
	}
	return release, nil
}

// bootstrapKey guards creating schemas and Strata's tables.
func (m *Migrator) bootstrapKey() int64 { return m.lockKey("\x00bootstrap") }

func (m *Migrator) applyTarget(ctx context.Context, p *Plan, tp *TargetPlan, wait bool) (tr TargetResult) {
	t := tp.Target
	tr = TargetResult{Target: t.Name, Version: tp.Current}
	began := time.Now()
	conn, err := m.db.Conn(ctx)
	if err != nil {
		tr.Err = fmt.Errorf("target %s: connect: %w", t.Name, err)
		return tr
	}
	defer func() {
		if tr.Err != nil {
			discard(conn) // a connection is never reused after an error
		}
		conn.Close()
		var le *LockError
		if !wait && errors.As(tr.Err, &le) && le.busy {
			return // visited again later; that visit reports it
		}
		m.emit(TargetFinished{Target: t.Name, Applied: len(tr.Applied), Version: tr.Version, Duration: time.Since(began), Err: tr.Err,
			DoneByOther: tr.Err == nil && len(tr.Applied) == 0})
	}()
	if err := m.bootstrap(ctx, conn, t); err != nil {
		tr.Err = fmt.Errorf("target %s: %w", t.Name, err)
		return tr
	}
	if m.pooling == DirectConnections {
		timeout := m.lockTimeout
		if !wait && len(p.Targets) > 1 {
			timeout = 0 // busy: put aside and come back at the end
		}
		release, err := m.lockTarget(ctx, conn, t, timeout)
		if err != nil {
			tr.Err = err
			return tr
		}
		defer func() {
			if err := release(); err != nil && tr.Err == nil {
				tr.Err = fmt.Errorf("target %s: release lock: %w", t.Name, err)
			}
		}()
	}
	if err := m.ensureStateRow(ctx, conn, t); err != nil {
		tr.Err = err
		return tr
	}
	run := &targetRun{m: m, conn: conn, session: p.session, target: t, start: p.start}
	run.session.Schema, run.session.Target = t.Schema, t.Name
	defer run.reset(ctx)
	started := false
	for {
		// Re-read under the lock: another process may have done the work.
		// Through a transaction pooler there is no lock held across
		// migrations; a migration that finds the target changed since this
		// read makes the loop read and plan again.
		if m.pooling == TransactionPooling {
			// Read the generation before the history: a change committed
			// after this read, even one the history read below still sees,
			// makes the guard fail and this loop plan again.
			var err error
			if run.generation, err = m.readGeneration(ctx, conn, t); err != nil {
				tr.Err = err
				return tr
			}
		}
		rows, err := m.readHistory(ctx, conn, t.Name)
		if err != nil {
			tr.Err = err
			return tr
		}
		if len(rows) == 0 && tp.baselineOnMigrate {
			// The plan found the schema not empty and without history;
			// under the lock it still has none: baseline it first.
			if rows, err = run.baselineOnMigrate(ctx); errors.Is(err, errConflict) {
				continue // through a pooler, another runner changed the target: read again
			}
			if err != nil {
				tr.Err = err
				return tr
			}
		}
		tp, err = m.planTarget(p.session, t, rows, p.start)
		if err == nil {
			err = m.preflight(p, []*TargetPlan{tp})
		}
		if err != nil {
			tr.Err = err
			return tr
		}
		tr.Version = tp.Current
		if len(tp.Pending) == 0 {
			return tr
		}
		run.fp, run.version = fingerprint(tp.state), tp.state.lastApplied
		if !started {
			started = true
			m.logger.Debug("target locked", "target", t.Name, "pending", len(tp.Pending))
			m.emit(TargetStarted{Target: t.Name, Pending: len(tp.Pending)})
			run.cur = run.session
			if err := run.runCallbacks(ctx, BeforeMigrate); err != nil {
				tr.Err = run.callbackFailed(ctx, err, tr.Applied, tp.Pending, false)
				return tr
			}
		}
		conflict := false
		for i, e := range tp.Pending {
			if err := ctx.Err(); err != nil {
				tr.Err = fmt.Errorf("target %s: stopped before %s: %w", t.Name, e.Script, err)
				return tr
			}
			if e.Category == "Repeatable" && !run.repeatables {
				run.repeatables = true
				run.cur = run.session
				err := run.runCallbacks(ctx, AfterVersioned)
				if err == nil {
					err = run.runCallbacks(ctx, BeforeRepeatables)
				}
				if err != nil {
					tr.Err = run.callbackFailed(ctx, err, tr.Applied, tp.Pending[i:], true)
					return tr
				}
			}
			m.emit(MigrationStarted{Target: t.Name, Migration: e})
			t0 := time.Now()
			err := run.applyWithRetry(ctx, e)
			if errors.Is(err, errConflict) {
				m.logger.Debug("target changed by another runner; planning again", "target", t.Name)
				conflict = true
				break
			}
			if err != nil {
				m.emit(MigrationFailed{Target: t.Name, Migration: e, Err: err})
				annotate(err, tr.Applied, tp.Pending[i:])
				var me *MigrationError
				if errors.As(err, &me) && me.ConnectionLost {
					// The connection is gone: neither the failed flag (the
					// migration may have committed) nor the error callbacks.
					tr.Err = err
					return tr
				}
				run.recordFailure(ctx, err)
				run.cur = run.session
				// The callbacks' failures come after the migration's error,
				// never instead of it.
				cbErr := errors.Join(run.runCallbacks(context.WithoutCancel(ctx), AfterEachMigrateError),
					run.runCallbacks(context.WithoutCancel(ctx), AfterMigrateError))
				annotate(cbErr, tr.Applied, tp.Pending[i:])
				tr.Err = errors.Join(err, cbErr)
				return tr
			}
			run.generation++
			d := time.Since(t0)
			tr.Applied = append(tr.Applied, AppliedMigration{Version: e.Version, Description: e.Description, Type: e.Type, Script: e.Script, Duration: d})
			if e.File != nil && !e.File.Version.IsZero() && e.File.Version.Compare(run.version) > 0 {
				run.version, tr.Version = e.File.Version, e.Version
			}
			m.logger.Debug("migration applied", "target", t.Name, "script", e.Script, "duration", d)
			m.emit(MigrationApplied{Target: t.Name, Migration: e, Duration: d})
		}
		if !conflict {
			run.cur = run.session
			if len(tr.Applied) > 0 {
				if err := run.runCallbacks(ctx, AfterMigrateApplied); err != nil {
					tr.Err = run.callbackFailed(ctx, err, tr.Applied, nil, false)
					return tr
				}
			}
			if err := run.runCallbacks(ctx, AfterMigrate); err != nil {
				tr.Err = run.callbackFailed(ctx, err, tr.Applied, nil, false)
			}
			return tr
		}
	}
}

// baselineOnMigrate writes the baseline row of baseline on migrate, in one
// transaction with the target's state, and returns the history then.
// Through a transaction pooler the transaction takes the target's lock and
// checks that nobody changed the target since it was read (errConflict).
func (r *targetRun) baselineOnMigrate(ctx context.Context) ([]HistoryRow, error) {
	m, d, t := r.m, r.m.dialect, r.target
	row := m.baselineRow(t.Name)
	state := "UPDATE " + m.stateTable() + " SET " + d.Quote("version") + " = " + d.Literal(row.Version) + ", " +
		d.Quote("version_key") + " = " + d.Literal(row.VersionKey) + ", " + d.Quote("fingerprint") + " = " + d.Literal(fmt.Sprintf("%016x", 0)) + ", " +
		d.Quote("generation") + " = " + d.Quote("generation") + " + 1, " + d.Quote("updated_on") + " = CURRENT_TIMESTAMP WHERE " +
		d.Quote("tenant") + " = " + d.Literal(t.Name)
	parts := []Part{{SQL: d.Begin()}}
	lockParts, guard := 0, -1
	if tl, ok := d.(TxLocker); ok && m.pooling == TransactionPooling {
		for _, q := range tl.TxLock(m.lockKey(t.Name), m.lockTimeout) {
			parts = append(parts, Part{SQL: q})
			lockParts++
		}
		guard = len(parts)
		parts = append(parts, Part{SQL: tl.Guard(r.generationIs())})
	}
	parts = append(parts, Part{SQL: m.insertHistorySQL(row, "0")}, Part{SQL: state}, Part{SQL: "COMMIT"})
	if err := d.Exec(ctx, r.conn, parts); err != nil {
		r.rollback(ctx)
		if perr := r.txPrefixError(err, lockParts, guard); perr != nil {
			return nil, perr
		}
		return nil, fmt.Errorf("target %s: baseline on migrate: %w", t.Name, err)
	}
	r.generation++
	m.logger.Info("baselined a non-empty schema without history", "target", t.Name, "version", row.Version)
	return m.readHistory(ctx, r.conn, t.Name)
}

// errConflict: through a transaction pooler, another runner changed the
// target between reading it and applying a migration.
var errConflict = errors.New("target changed by another runner")

// readGeneration reads the target's state generation, which every applied
// migration increments.
func (m *Migrator) readGeneration(ctx context.Context, conn *sql.Conn, t schemas.Target) (int64, error) {
	var g int64
	err := conn.QueryRowContext(ctx, "SELECT "+m.dialect.Quote("generation")+" FROM "+m.stateTable()+" WHERE "+
		m.dialect.Quote("tenant")+" = "+m.dialect.Literal(t.Name)).Scan(&g)
	if err != nil {
		return 0, fmt.Errorf("target %s: read state: %w", t.Name, err)
	}
	return g, nil
}

// txPrefix returns the statements that open a migration's transaction:
// BEGIN, through a pooler the transaction-level lock and the guard, then
// the target's session settings. lockParts is the number of statements
// that take the lock (after BEGIN).
func (r *targetRun) txPrefix() (parts []Part, lockParts int, guard int) {
	d := r.m.dialect
	parts = []Part{{SQL: d.Begin()}}
	guard = -1
	if tl, ok := d.(TxLocker); ok && r.m.pooling == TransactionPooling {
		for _, q := range tl.TxLock(r.m.lockKey(r.target.Name), r.m.lockTimeout) {
			parts = append(parts, Part{SQL: q})
			lockParts++
		}
		guard = len(parts)
		parts = append(parts, Part{SQL: tl.Guard(r.generationIs())})
	}
	for _, s := range d.SessionSetup(r.cur, ScopeTransaction) {
		parts = append(parts, Part{SQL: s})
	}
	return parts, lockParts, guard
}

// generationIs is the SQL condition that the target's state generation is
// still the one this run read.
func (r *targetRun) generationIs() string {
	d := r.m.dialect
	return "(SELECT " + d.Quote("generation") + " FROM " + r.m.stateTable() + " WHERE " + d.Quote("tenant") + " = " +
		d.Literal(r.target.Name) + ") = " + strconv.FormatInt(r.generation, 10)
}

// txPrefixError turns a failure of the prefix into a lock error or a
// conflict, or returns nil when the failure was elsewhere.
func (r *targetRun) txPrefixError(err error, lockParts, guard int) error {
	var ee *ExecError
	if !errors.As(err, &ee) {
		return nil
	}
	tl, ok := r.m.dialect.(TxLocker)
	switch {
	case !ok:
		return nil
	case ee.Part == guard && tl.IsConflict(err):
		return errConflict
	case ee.Part >= 1 && ee.Part <= lockParts && tl.IsTxLockTimeout(err):
		return &LockError{Target: r.target.Name, Timeout: r.m.lockTimeout}
	}
	return nil
}

// bootstrap creates the managed schemas and Strata's tables when missing,
// under the bootstrap lock, records the schemas it created in SCHEMA rows
// (Flyway's marker), which Clean reads: it drops only those; and upgrades
// tables of an older layout in place.
func (m *Migrator) bootstrap(ctx context.Context, conn *sql.Conn, t schemas.Target) error {
	ready := m.tablesSeen.Load()
	if !ready {
		var err error
		if ready, err = m.tablesReady(ctx, conn); err != nil {
			return err
		}
	}
	if ready && !(t.Schema != "" && t.Tenant) {
		return m.ensureLayout(ctx, conn)
	}
	defer func() { m.tablesSeen.Store(true) }()
	what := t.Name + " (creating strata's tables)"
	if m.pooling == TransactionPooling {
		if err := m.inLockedTx(ctx, conn, m.bootstrapKey(), what, func() error { return m.bootstrapLocked(ctx, conn, t) }); err != nil {
			return err
		}
		return m.ensureLayout(ctx, conn)
	}
	release, err := m.dialect.Lock(ctx, conn, m.bootstrapKey(), m.lockTimeout)
	if err != nil {
		var le *LockError
		if errors.As(err, &le) && le.Target == "" {
			le.Target = what
		}
		return fmt.Errorf("create strata tables: %w", err)
	}
	err = m.bootstrapLocked(ctx, conn, t)
	release(context.WithoutCancel(ctx))
	if err != nil {
		return err
	}
	return m.ensureLayout(ctx, conn) // tables of an older layout are upgraded in place
}

// bootstrapLocked is bootstrap's work under the bootstrap lock: which
// schemas are missing is decided here, so that of several runners only the
// one that really creates a schema records it.
func (m *Migrator) bootstrapLocked(ctx context.Context, conn *sql.Conn, t schemas.Target) error {
	d := m.dialect
	want := m.schemasToCreate(t)
	created, err := m.missingSchemas(ctx, conn, want)
	if err != nil {
		return fmt.Errorf("create strata tables: %w", err)
	}
	var stmts []string
	for _, s := range want {
		if q := d.CreateSchema(s); q != "" {
			stmts = append(stmts, q)
		}
	}
	stmts = append(stmts, d.CreateTables(m.tables)...)
	stmts = append(stmts, "INSERT INTO "+m.metaTable()+" ("+m.quoteList([]string{"name", "value"})+") SELECT "+
		d.Literal("layout")+", "+d.Literal(strconv.Itoa(Layout))+" WHERE NOT EXISTS (SELECT 1 FROM "+m.metaTable()+
		" WHERE "+d.Quote("name")+" = "+d.Literal("layout")+")")
	for _, row := range m.schemaMarkers(t, created) {
		stmts = append(stmts, m.insertHistorySQL(row, "0"))
	}
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create strata tables: %w", err)
		}
	}
	return nil
}

// inLockedTx runs fn in one transaction that holds the transaction-level
// lock with the given key (through a transaction pooler).
func (m *Migrator) inLockedTx(ctx context.Context, conn *sql.Conn, key int64, what string, fn func() error) error {
	tl := m.dialect.(TxLocker)
	fail := func(err error) error {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return err
	}
	if _, err := conn.ExecContext(ctx, m.dialect.Begin()); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	for _, q := range tl.TxLock(key, m.lockTimeout) {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			if tl.IsTxLockTimeout(err) {
				return fail(&LockError{Target: what, Timeout: m.lockTimeout})
			}
			return fail(fmt.Errorf("%s: %w", what, err))
		}
	}
	if err := fn(); err != nil {
		return fail(err)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fail(fmt.Errorf("%s: commit: %w", what, err))
	}
	return nil
}

// runLocked runs statements in one transaction that holds the
// transaction-level lock with the given key (through a transaction pooler).
func (m *Migrator) runLocked(ctx context.Context, conn *sql.Conn, key int64, what string, stmts []string) error {
	tl := m.dialect.(TxLocker)
	parts := []Part{{SQL: m.dialect.Begin()}}
	lockParts := 0
	for _, q := range tl.TxLock(key, m.lockTimeout) {
		parts = append(parts, Part{SQL: q})
		lockParts++
	}
	for _, q := range stmts {
		parts = append(parts, Part{SQL: q})
	}
	parts = append(parts, Part{SQL: "COMMIT"})
	if err := m.dialect.Exec(ctx, conn, parts); err != nil {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		var ee *ExecError
		if errors.As(err, &ee) && ee.Part >= 1 && ee.Part <= lockParts && tl.IsTxLockTimeout(err) {
			return &LockError{Target: what, Timeout: m.lockTimeout}
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// ensureStateRow creates the target's state row; it runs under the
// target's lock, so two runners never race to insert it.
func (m *Migrator) ensureStateRow(ctx context.Context, conn *sql.Conn, t schemas.Target) error {
	d := m.dialect
	q := "INSERT INTO " + m.stateTable() + " (" + m.quoteList([]string{"tenant", "generation", "applied", "failed"}) + ") SELECT " +
		d.Literal(t.Name) + ", 0, 0, " + d.Bool(false) + " WHERE NOT EXISTS (SELECT 1 FROM " + m.stateTable() + " WHERE " + d.Quote("tenant") + " = " + d.Literal(t.Name) + ")"
	var err error
	if m.pooling == TransactionPooling {
		err = m.runLocked(ctx, conn, m.lockKey(t.Name), t.Name, []string{q})
	} else {
		_, err = conn.ExecContext(ctx, q)
	}
	if err != nil {
		return fmt.Errorf("target %s: create state row: %w", t.Name, err)
	}
	return nil
}

func (m *Migrator) tablesReady(ctx context.Context, conn *sql.Conn) (bool, error) {
	for _, name := range []string{m.tables.History, m.tables.State(), m.tables.Meta()} {
		ok, err := m.dialect.TableExists(ctx, conn, m.tables.Schema, name)
		if err != nil {
			return false, fmt.Errorf("look for %s: %w", name, err)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

func (m *Migrator) schemasToCreate(t schemas.Target) []string {
	var out []string
	seen := map[string]bool{"": true}
	for _, s := range append(append([]string{m.tables.Schema}, m.schemas...), t.Schema) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// targetRun applies the pending migrations of one target on its pinned
// connection, which holds the target's lock.
type targetRun struct {
	m           *Migrator
	conn        *sql.Conn
	session     Session
	cur         Session           // session settings of the file being applied
	version     locations.Version // the target's schema version
	generation  int64             // the state row's generation, through a transaction pooler
	repeatables bool              // the repeatables have started (afterVersioned ran)
	target      schemas.Target
	start       time.Time
	fp          uint64
}

func (r *targetRun) apply(ctx context.Context, e *Entry) error {
	m, f := r.m, e.File
	r.cur = r.session
	if v := f.Directives.LockTimeout; v != "" {
		r.cur.LockTimeout = v
	}
	if v := f.Directives.StatementTimeout; v != "" {
		r.cur.StatementTimeout = v
	}
	checksum := f.Checksum
	if f.Kind == locations.Repeatable && m.replaces(f) {
		c, err := m.checkScript(r.session, r.target, f, r.start)
		if err != nil {
			return fmt.Errorf("apply %s (target %s): %w", f.Path(), r.target.Name, err)
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

// cachedStatements returns the statements of a small file without
// placeholders, split once for all targets of the run.
func (m *Migrator) cachedStatements(f *locations.File) ([]Statement, bool) {
	m.stmtMu.Lock()
	defer m.stmtMu.Unlock()
	st, ok := m.stmtCache[f]
	return st, ok
}

func (m *Migrator) cacheStatements(f *locations.File, st []Statement) {
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
		return p.head[i], i, nil
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
// because a statement gave up waiting for a table lock.
func (r *targetRun) applyWithRetry(ctx context.Context, e *Entry) error {
	lt, ok := r.m.dialect.(LockTimeouts)
	wait := r.m.backoff
	for attempt := 0; ; attempt++ {
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

// readError reports a failure to read or split a file.
func (r *targetRun) readError(f *locations.File, err error) error {
	var ue *placeholders.UndefinedError
	if errors.As(err, &ue) {
		return fmt.Errorf("apply %s (target %s): %w", f.Path(), r.target.Name, err)
	}
	me := &MigrationError{Target: r.target.Name, Path: f.Path(), Version: f.Version.String(), Description: f.Description,
		StatementIndex: -1, Err: fmt.Errorf("split statements: %w", err)}
	var se interface{ SplitPosition() (int, int64) }
	if errors.As(err, &se) {
		me.Line, me.Column = splitPosition(f, se)
	}
	return me
}

// transactional reports whether a file runs in one transaction: unless its
// directives say otherwise, when no statement read ahead controls
// transactions or refuses to run inside one. A larger file is started in a
// transaction and restarted statement by statement (after a rollback) if
// such a statement turns up later (errNeedsNoTx).
func transactional(f *locations.File, head []Statement) bool {
	if f.Directives.Transaction != nil {
		return *f.Directives.Transaction
	}
	for _, s := range head {
		if s.NoTx || s.TxControl {
			return false
		}
	}
	return true
}

// errNeedsNoTx: a statement of a large file cannot run in the transaction
// the file was started in.
var errNeedsNoTx = errors.New("statement cannot run in a transaction")

// applyInTransaction runs the file, its history row and the state update in
// one transaction. A file that fits in one batch goes to the dialect in one
// call with all of it (one round trip on PostgreSQL); a larger one is sent
// batch by batch, the next batch being read and split while the database
// works on the current one.
func (r *targetRun) applyInTransaction(ctx context.Context, e *Entry, row HistoryRow, sc *script, src *replay) error {
	m, d := r.m, r.m.dialect
	prefix, lockParts, guard := r.txPrefix()
	var before, after []cbPart
	if e.Category != "Undo" {
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
				Part{SQL: m.insertHistorySQL(row, d.Elapsed(time.Now()))},
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
			if err == nil && (s.NoTx || s.TxControl) && f.Directives.Transaction == nil {
				err = errNeedsNoTx
			}
			if err != nil {
				send(batchMsg{err: err})
				return
			}
			b.add(s, i)
			count++
			if b.sql.Len() >= batchSize {
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

// applyStatementByStatement runs a file that cannot run in one transaction.
// A history row with success = false records progress and the checksums
// of the statements applied so far; each statement that can run in a
// transaction runs in one together with its progress update, the others
// run bare. A re-run resumes after the last recorded statement (plan.go
// decides whether it may: the file unchanged, or changed only after the
// statements that ran). A failure reports exactly which statements stayed
// applied.
func (r *targetRun) applyStatementByStatement(ctx context.Context, e *Entry, row HistoryRow, sc *script, src *replay) error {
	m, d := r.m, r.m.dialect
	began := time.Now()
	from := 0
	var rank int64
	if e.Row != nil {
		rank, from = e.Row.InstalledRank, e.Row.Progress
		if _, err := r.conn.ExecContext(ctx, r.progressSQL(rank, from, "", -1)); err != nil {
			return fmt.Errorf("apply %s (target %s): %w", e.File.Path(), r.target.Name, err)
		}
	} else {
		start := row
		start.Success, start.Progress = false, 0
		if _, err := r.conn.ExecContext(ctx, m.insertHistorySQL(start, "0")); err != nil {
			return fmt.Errorf("apply %s (target %s): record start: %w", e.File.Path(), r.target.Name, err)
		}
		q := "SELECT MAX(" + d.Quote("installed_rank") + ") FROM " + m.historyTable() + " WHERE " + d.Quote("tenant") + " = " + d.Literal(r.target.Name)
		if err := r.conn.QueryRowContext(ctx, q).Scan(&rank); err != nil {
			return fmt.Errorf("apply %s (target %s): record start: %w", e.File.Path(), r.target.Name, err)
		}
	}
	defer r.reset(ctx) // session settings of this file must not reach the next one
	if setup := d.SessionSetup(r.cur, ScopeSession); len(setup) > 0 {
		parts := make([]Part, len(setup))
		for i, s := range setup {
			parts[i] = Part{SQL: s}
		}
		if err := d.Exec(ctx, r.conn, parts); err != nil {
			return fmt.Errorf("apply %s (target %s): set up session: %w", e.File.Path(), r.target.Name, err)
		}
	}
	tracker := newTracker(e.File, sc.toSource)
	defer tracker.Close()
	step := func(n int) string { return r.stepSQL(rank, n, tracker) }
	applied := from // statements 1..applied are applied and recorded
	inUserTx := false
	count := 0
	var b batch
	for {
		st, i, err := src.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if inUserTx {
				r.rollback(ctx)
			}
			rerr := r.readError(e.File, err)
			var me *MigrationError
			if errors.As(rerr, &me) {
				me.Partial = &PartialRun{Applied: applied}
				me.Partial.Statements, me.Partial.More = tracker.shown(applied)
				me.Advice = me.Partial.resumeAdvice()
			}
			return rerr
		}
		count = i + 1
		ref := tracker.add(st, i)
		if i < from {
			continue
		}
		// Before a statement that may have been cut short outside a
		// transaction (this run's resume point, or any statement of a file
		// run again after repair), the dialect cleans up what a broken run
		// leaves (an INVALID index). Only a resume may take a finished
		// result as the statement's work done.
		resume := e.Row != nil && i == from
		if rp, ok := d.(RetryPreparer); ok && st.NoTx && (resume || e.Row == nil) {
			done, err := rp.PrepareRetry(ctx, r.conn, st, r.cur)
			if err != nil {
				return fmt.Errorf("apply %s (target %s): prepare statement %d: %w", e.File.Path(), r.target.Name, i+1, err)
			}
			if done && resume {
				if _, err := r.conn.ExecContext(ctx, step(i+1)); err != nil {
					return fmt.Errorf("apply %s (target %s): %w", e.File.Path(), r.target.Name, err)
				}
				applied = i + 1
				continue
			}
		}
		opens, closes := txEffect(st)
		b.reset()
		b.add(st, i)
		script := 0
		switch {
		case closes && inUserTx && commits(st):
			// The file's own COMMIT: record progress inside its transaction,
			// so that both commit together and a kill in between cannot make
			// a re-run repeat the transaction.
			script = 1
			err = d.Exec(ctx, r.conn, []Part{{SQL: step(i + 1)}, b.part()})
			if err == nil {
				inUserTx = false
				applied = i + 1
			}
		case st.NoTx || st.TxControl || inUserTx:
			err = d.Exec(ctx, r.conn, []Part{b.part()})
			if err == nil && opens {
				inUserTx = true
			}
			if err == nil && closes {
				inUserTx = false
			}
			if err == nil && !inUserTx {
				if _, err = r.conn.ExecContext(ctx, step(i+1)); err == nil {
					applied = i + 1
				}
			}
		default:
			script = 1
			err = d.Exec(ctx, r.conn, []Part{{SQL: d.Begin()}, b.part(), {SQL: step(i + 1)}, {SQL: "COMMIT"}})
			if err != nil {
				r.rollback(ctx)
			} else {
				applied = i + 1
			}
		}
		if err != nil {
			if inUserTx {
				r.rollback(ctx)
			}
			var ee *ExecError
			if !errors.As(err, &ee) || ee.Part != script {
				ee = &ExecError{Part: script, Offset: 0, Statement: st.Text, Err: err}
			}
			me := r.migrationError(e, sc, &b, ee)
			me.StatementIndex = i
			me.Partial = &PartialRun{Applied: applied, Failed: i + 1, Total: countRest(src, count)}
			me.Partial.Statements, me.Partial.More = tracker.shown(applied)
			if alreadyExists(ee.Code, ee.Err) {
				me.Advice = existsAdvice(ref)
			} else {
				me.Advice = me.Partial.resumeAdvice()
			}
			if lost := r.connectionLost(e, err, true); lost != nil {
				// The statement may have completed: its progress (when
				// it ran in a transaction) says so to the next run.
				me.ConnectionLost, me.OutcomeUnknown = true, lost.OutcomeUnknown
				return me
			}
			if _, uerr := r.conn.ExecContext(context.WithoutCancel(ctx), r.failureSQL(rank, me.Err.Error(), i, tracker.encode(applied))); uerr != nil {
				return errors.Join(me, fmt.Errorf("record failure of %s: %w", e.File.Path(), uerr))
			}
			return me
		}
	}
	row.Progress = count
	fp := r.nextFingerprint(e, row)
	// A resumed file may have changed after the statements that had run:
	// the row takes the checksum of the file that completed.
	done := "UPDATE " + m.historyTable() + " SET " + d.Quote("success") + " = " + d.Bool(true) + ", " +
		d.Quote("progress") + " = " + strconv.Itoa(count) + ", " + d.Quote("error") + " = NULL, " +
		d.Quote("failed_statement") + " = NULL, " + d.Quote("checksum") + " = " + checksumLiteral(row.Checksum) + ", " +
		d.Quote(statementChecksumsColumn) + " = NULL, " + d.Quote("execution_time") + " = " + strconv.FormatInt(time.Since(began).Milliseconds(), 10) +
		" WHERE " + d.Quote("installed_rank") + " = " + strconv.FormatInt(rank, 10)
	if err := d.Exec(ctx, r.conn, []Part{{SQL: d.Begin()}, {SQL: done}, {SQL: r.stateUpdateSQL(row, fp)}, {SQL: "COMMIT"}}); err != nil {
		r.rollback(ctx)
		return fmt.Errorf("apply %s (target %s): record success: %w", e.File.Path(), r.target.Name, err)
	}
	r.fp = fp
	return nil
}

// countRest reads the statements after a failed one to count the file's
// statements; 0 when the rest cannot be read.
func countRest(src *replay, count int) int {
	for {
		_, i, err := src.next()
		if errors.Is(err, io.EOF) {
			return max(count, i)
		}
		if err != nil {
			return 0
		}
	}
}

// stepSQL records that statements 1..n of a non-transactional file are
// applied, with their checksums while there are at most
// maxTrackedStatements of them.
func (r *targetRun) stepSQL(rank int64, n int, tr *stmtTracker) string {
	if n > maxTrackedStatements {
		return r.progressSQL(rank, n, "", -1)
	}
	return r.progressSQL(rank, n, "", -1, r.sumsSet(tr.encode(n)))
}

// failureSQL records the failure of statement failed (0-based) with the
// checksums of the statements applied before it.
func (r *targetRun) failureSQL(rank int64, errText string, failed int, sums string) string {
	return r.progressSQL(rank, -1, errText, failed, r.sumsSet(sums))
}

// sumsSet is the assignment of the statement checksums column.
func (r *targetRun) sumsSet(sums string) string {
	return r.m.dialect.Quote(statementChecksumsColumn) + " = " + r.m.nullable(sums)
}

// commits reports whether a closing statement commits (COMMIT, END), as
// opposed to rolling back or preparing (a batch whose COMMIT follows other
// transaction statements of its own is TxEnd: it runs bare).
func commits(st Statement) bool {
	return st.Tx == TxCommit
}

// txEffect says whether a transaction-control statement leaves a
// transaction open or closed, as its splitter classified it (Statement.Tx):
// a single statement by its first keywords, a batch by its last
// transaction statement.
func txEffect(st Statement) (opens, closes bool) {
	if !st.TxControl {
		return false, false
	}
	return st.Tx == TxBegin, st.Tx == TxCommit || st.Tx == TxEnd
}

// skipLeadingComments drops the comments and blanks a statement starts with.
func skipLeadingComments(s string) string {
	for {
		s = strings.TrimSpace(s)
		switch {
		case strings.HasPrefix(s, "--"):
			i := strings.IndexByte(s, '\n')
			if i < 0 {
				return ""
			}
			s = s[i+1:]
		case strings.HasPrefix(s, "/*"):
			i := strings.Index(s, "*/")
			if i < 0 {
				return ""
			}
			s = s[i+2:]
		default:
			return s
		}
	}
}

// progressSQL updates a non-transactional file's history row: progress (when
// >= 0), the error with the failing statement's index, and extra
// assignments.
func (r *targetRun) progressSQL(rank int64, progress int, errText string, failed int, extra ...string) string {
	d := r.m.dialect
	var sets []string
	if progress >= 0 {
		sets = append(sets, d.Quote("progress")+" = "+strconv.Itoa(progress))
	}
	sets = append(sets, d.Quote("error")+" = "+r.m.nullable(r.m.mask(errText)), d.Quote("failed_statement")+" = "+failedLiteral(failed))
	sets = append(sets, extra...)
	return "UPDATE " + r.m.historyTable() + " SET " + strings.Join(sets, ", ") + " WHERE " + d.Quote("installed_rank") + " = " + strconv.FormatInt(rank, 10)
}

// nextFingerprint is the fingerprint after applying e.
func (r *targetRun) nextFingerprint(e *Entry, row HistoryRow) uint64 {
	fp := r.fp ^ entryHash(row.Type, row.Version, row.Description, row.Checksum)
	if e.Category == "Repeatable" {
		for _, old := range r.previousRepeatable(e) {
			fp ^= old
		}
	}
	return fp
}

// previousRepeatable returns the hash of the run a repeatable replaces.
func (r *targetRun) previousRepeatable(e *Entry) []uint64 {
	if e.replaces == nil || !e.replaces.Success {
		return nil
	}
	return []uint64{entryHash(e.replaces.Type, e.replaces.Version, e.replaces.Description, e.replaces.Checksum)}
}

// stateUpdateSQL writes the target's state row after a migration.
func (r *targetRun) stateUpdateSQL(row HistoryRow, fp uint64) string {
	d := r.m.dialect
	sets := []string{
		d.Quote("fingerprint") + " = " + d.Literal(fmt.Sprintf("%016x", fp)),
		d.Quote("applied") + " = " + d.Quote("applied") + " + 1",
		d.Quote("failed") + " = " + d.Bool(false),
		d.Quote("error") + " = NULL",
		d.Quote("generation") + " = " + d.Quote("generation") + " + 1",
		d.Quote("updated_on") + " = CURRENT_TIMESTAMP",
	}
	if v, err := locations.ParseVersion(row.Version); row.Version != "" && err == nil && v.Compare(r.version) > 0 {
		sets = append(sets, d.Quote("version")+" = "+d.Literal(row.Version), d.Quote("version_key")+" = "+d.Literal(row.VersionKey))
	}
	return "UPDATE " + r.m.stateTable() + " SET " + strings.Join(sets, ", ") + " WHERE " + d.Quote("tenant") + " = " + d.Literal(r.target.Name)
}

// recordFailure marks the target failed in its state row.
func (r *targetRun) recordFailure(ctx context.Context, cause error) {
	d := r.m.dialect
	msg := r.m.mask(cause.Error())
	var me *MigrationError
	if errors.As(cause, &me) && me.RolledBack {
		// Said here, where it is known: info shows this text later.
		msg = "rolled back: " + msg
	}
	if len(msg) > 4000 {
		msg = msg[:4000]
	}
	q := "UPDATE " + r.m.stateTable() + " SET " + d.Quote("failed") + " = " + d.Bool(true) + ", " + d.Quote("error") + " = " + d.Literal(msg) +
		", " + d.Quote("updated_on") + " = CURRENT_TIMESTAMP WHERE " + d.Quote("tenant") + " = " + d.Literal(r.target.Name)
	_, _ = r.conn.ExecContext(context.WithoutCancel(ctx), q)
}

// reset returns the connection to its initial state after the target.
func (r *targetRun) reset(ctx context.Context) {
	if r.m.pooling == TransactionPooling {
		return // only SET LOCAL is used; the next transaction may be another session
	}
	for _, q := range r.m.dialect.ResetSession() {
		_, _ = r.conn.ExecContext(context.WithoutCancel(ctx), q)
	}
}

func (r *targetRun) rollback(ctx context.Context) {
	_, _ = r.conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
}

// migrationError locates an execution error of the statements in b in the
// file on disk, through placeholder replacement.
func (r *targetRun) migrationError(e *Entry, sc *script, b *batch, ee *ExecError) *MigrationError {
	me := &MigrationError{Target: r.target.Name, Path: e.File.Path(), Version: e.Version, Description: e.Description,
		Statement: ee.Statement, StatementIndex: -1, Code: ee.Code, Detail: ee.Detail, Hint: ee.Hint, Err: ee}
	if ee.Offset < 0 || len(b.stmts) == 0 {
		return me
	}
	index, text, off := b.locate(ee.Offset)
	me.StatementIndex = index
	if me.Statement == "" {
		me.Statement = text
	}
	if off >= 0 {
		if line, col, err := lineCol(e.File, sc.toSource(off)); err == nil {
			me.Line, me.Column = line, col
		}
	}
	return me
}

// connectionLost returns the error of a migration whose connection broke
// (see ConnectionLoss), or nil when err is not a lost connection. commit
// says whether the request held the migration's COMMIT: then, if it may
// have reached the server, the outcome is unknown.
func (r *targetRun) connectionLost(e *Entry, err error, commit bool) *MigrationError {
	cl, ok := r.m.dialect.(ConnectionLoss)
	if !ok {
		return nil
	}
	lost, sent := cl.ConnectionLost(err)
	if !lost {
		return nil
	}
	return &MigrationError{Target: r.target.Name, Path: e.File.Path(), Version: e.Version, Description: e.Description,
		StatementIndex: -1, ConnectionLost: true, OutcomeUnknown: commit && sent, Err: err}
}

// discard marks a connection bad so the pool closes it instead of reusing it.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}

// LockKey returns the key of the lock Strata takes for a target, so that
// tools and tests can find or take the same lock.
func (m *Migrator) LockKey(target string) int64 { return m.lockKey(target) }
