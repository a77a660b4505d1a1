package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/stratadb/strata/internal/ctxsleep"
	"github.com/stratadb/strata/locations"
	"github.com/stratadb/strata/schemas"
)

// Result is what Apply did.
type Result struct {
	Targets []TargetResult
	Waves   []WaveResult // WithWaves: each wave of the run, in order
}

// TargetResult is what Apply did on one target.
type TargetResult struct {
	Target      string
	Applied     []AppliedMigration
	Version     string // the target's schema version afterwards
	Err         error
	DoneByOther bool          // another runner applied what was pending here
	Wave        string        // WithWaves: the target's wave
	Retries     []error       // WithTargetRetries: the transient failures after which the target was tried again
	Duration    time.Duration // the time spent on the target, every attempt included; 0 when it was not visited
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
	return m.runOf(p).apply(ctx, p)
}

func (m *run) apply(ctx context.Context, p *Plan) (*Result, error) {
	res := &Result{Targets: make([]TargetResult, len(p.Targets))}
	hasWork := make([]bool, len(p.Targets))
	pending := 0
	nwork := 0
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
			hasWork[i] = true
			nwork++
			pending += len(tp.Pending)
		}
	}
	m.emit(RunStarted{Targets: nwork, Total: len(p.Targets), Pending: pending})
	var (
		mu       sync.Mutex
		deferred []int
		stopped  atomic.Bool
	)
	run := func(indexes []int, wait bool, parallel int) {
		var g errgroup.Group // not WithContext: one target's error must not cancel the others
		g.SetLimit(parallel)
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
				tr := m.applyTargetRetrying(ctx, p, p.Targets[i], wait)
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
				tr.Wave = res.Targets[i].Wave
				res.Targets[i] = tr
				return nil
			})
		}
		_ = g.Wait()
	}
	var stoppedBy error // a wave over its budget: later waves do not start
	var pause time.Duration
	for _, w := range m.waveGroups(p) {
		var work []int
		for _, i := range w.targets {
			res.Targets[i].Wave = w.Name
			if hasWork[i] {
				work = append(work, i)
			}
		}
		wr := WaveResult{Name: w.Name, Number: w.Number, Targets: len(w.targets), Budget: w.Budget}
		waited := time.Duration(0)
		if len(work) > 0 && pause > 0 && stoppedBy == nil && !stopped.Load() {
			m.emit(WavePausing{Wave: w.Name, Number: w.Number, Pause: pause})
			ctxsleep.Sleep(ctx, pause) // an interruption ends it: the wave then does not start
			waited, pause = pause, 0
		}
		if stoppedBy != nil || (w.Name != "" && (stopped.Load() || ctx.Err() != nil)) {
			for _, i := range work {
				if stoppedBy != nil {
					res.Targets[i].Err = fmt.Errorf("target %s: not started: %w", p.Targets[i].Target.Name, stoppedBy)
				} else {
					res.Targets[i].Err = m.notStarted(ctx, p.Targets[i])
				}
			}
			if w.Name != "" {
				wr.Outcome = WaveNotStarted
				res.Waves = append(res.Waves, wr)
			}
			continue
		}
		if w.Name != "" {
			m.emit(WaveStarted{Wave: w.Name, Number: w.Number, Waves: p.Waves[len(p.Waves)-1].Number, Targets: len(w.targets), Pending: len(work), Paused: waited})
		}
		deferred = nil
		run(work, false, w.Parallel)
		if len(deferred) > 0 {
			sort.Ints(deferred)
			again := deferred
			deferred = nil
			run(again, true, w.Parallel)
		}
		if w.Name == "" {
			continue
		}
		for _, i := range w.targets {
			if err := res.Targets[i].Err; err != nil && !isNotStarted(err) {
				wr.Failed++
			}
		}
		wr.Outcome = WaveCompleted
		if wr.Failed > w.Budget {
			wr.Outcome = WaveFailed
			stoppedBy = fmt.Errorf("wave %q had %d failed tenant%s of %d, more than its failure budget (%d), so the rollout stopped before wave %d", w.Name, wr.Failed, plural(wr.Failed), len(w.targets), w.Budget, w.Number+1)
		}
		m.emit(WaveFinished{Wave: w.Name, Number: w.Number, Failed: wr.Failed, Budget: w.Budget, Stopped: stoppedBy != nil})
		res.Waves = append(res.Waves, wr)
		if len(work) > 0 {
			pause = w.Pause
		}
	}
	for i := range res.Targets {
		res.Targets[i].Err = m.maskErr(res.Targets[i].Err)
	}
	return res, res.Err()
}

// waveGroup is a wave's targets, as indexes into a plan's targets.
type waveGroup struct {
	PlanWave
	targets []int
}

// waveGroups groups p's targets by wave; without waves, one unnamed group
// holds them all.
func (m *run) waveGroups(p *Plan) []waveGroup {
	all := make([]int, len(p.Targets))
	for i := range all {
		all[i] = i
	}
	if len(p.Waves) == 0 {
		return []waveGroup{{PlanWave: PlanWave{Parallel: m.parallel}, targets: all}}
	}
	index := make(map[string]int, len(p.Targets))
	for i, tp := range p.Targets {
		index[tp.Target.Name] = i
	}
	var out []waveGroup
	for _, w := range p.Waves {
		g := waveGroup{PlanWave: w}
		for _, t := range w.Targets {
			if i, ok := index[t]; ok {
				g.targets = append(g.targets, i)
			}
		}
		out = append(out, g)
	}
	return out
}

// isNotStarted reports whether err is the error of a target never started.
func isNotStarted(err error) bool { return strings.Contains(err.Error(), ": not started: ") }

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// notStarted is the error of a target that was never started.
func (m *run) notStarted(ctx context.Context, tp *TargetPlan) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("target %s: not started: %w", tp.Target.Name, err)
	}
	return fmt.Errorf("target %s: not started: another target failed and on_error is stop", tp.Target.Name)
}

func (m *run) applyTarget(ctx context.Context, p *Plan, tp *TargetPlan, wait bool) (tr TargetResult) {
	t := tp.Target
	tr = TargetResult{Target: t.Name, Version: tp.Current}
	began := time.Now()
	conn, err := m.connectTarget(ctx, t)
	if err != nil {
		tr.Err = err
		return tr
	}
	defer func() {
		closeTarget(conn, tr.Err != nil)
		var le *LockError
		if !wait && errors.As(tr.Err, &le) && le.busy {
			return // visited again later; that visit reports it
		}
		if m.retriedLater(ctx, tr.Err) {
			return // tried again (retry.go); the last attempt reports it
		}
		applied := len(tr.Applied) + appliedBefore(ctx) // earlier attempts' too (retry.go)
		if tr.Err == nil {
			applied += committedEarlier(ctx, tr.Applied) // an earlier attempt's unknown outcomes, found committed
		}
		m.emit(TargetFinished{Target: t.Name, Applied: applied, Version: tr.Version, Duration: time.Since(began), Err: tr.Err,
			DoneByOther: tr.Err == nil && applied == 0})
	}()
	lk := targetLock{keys: m.lockKeys(t), timeout: m.lockTimeout, what: t.Name}
	if !wait && len(p.Targets) > 1 {
		lk.timeout = 0 // busy: put aside and come back at the end
	}
	release, err := m.openTarget(ctx, conn, t, lk)
	if err != nil {
		tr.Err = err
		return tr
	}
	defer func() {
		if err := release(); err != nil && tr.Err == nil {
			tr.Err = fmt.Errorf("target %s: release lock: %w", t.Name, err)
		}
	}()
	run := m.newTargetRun(conn, p, t)
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
		alone := -1 // an entry to run on its own: it failed in a pipeline with lock_timeout
		for i := 0; i < len(tp.Pending); {
			e := tp.Pending[i]
			if err := ctx.Err(); err != nil {
				tr.Err = fmt.Errorf("target %s: stopped before %s: %w", t.Name, e.Script, err)
				return tr
			}
			if e.Category == CategoryRepeatable && !run.repeatables {
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
			var group []*inlineFile
			if i != alone {
				group = run.pipelineGroup(tp.Pending[i:])
			}
			if group != nil {
				m.emit(MigrationStarted{Target: t.Name, Migration: e})
				out := run.applyPipelined(ctx, group)
				for k, d := range out.done {
					if k > 0 {
						m.emit(MigrationStarted{Target: t.Name, Migration: group[k].e})
					}
					m.applied(run, &tr, group[k].e, d)
				}
				i += len(out.done)
				if out.err == nil {
					continue
				}
				if out.retry {
					alone = i
					continue
				}
				tr.Err = m.migrationFailed(ctx, run, &tr, tp.Pending[i:], out.err)
				return tr
			}
			m.emit(MigrationStarted{Target: t.Name, Migration: e})
			t0 := time.Now()
			tries := 0
			if i == alone {
				tries = 1 // its first try was in the pipeline
			}
			err := run.applyWithRetry(ctx, e, tries)
			if errors.Is(err, errConflict) {
				m.logger.Debug("target changed by another runner; planning again", "target", t.Name)
				conflict = true
				break
			}
			if err != nil {
				tr.Err = m.migrationFailed(ctx, run, &tr, tp.Pending[i:], err)
				return tr
			}
			m.applied(run, &tr, e, time.Since(t0))
			i++
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

// applied records that e was applied in d.
func (m *run) applied(run *targetRun, tr *TargetResult, e *Entry, d time.Duration) {
	run.generation++
	tr.Applied = append(tr.Applied, AppliedMigration{Version: e.Version, Description: e.Description, Type: e.Type, Script: e.Script, Duration: d})
	if e.File != nil && !e.File.Version.IsZero() && e.File.Version.Compare(run.version) > 0 {
		run.version, tr.Version = e.File.Version, e.Version
	}
	m.logger.Debug("migration applied", "target", run.target.Name, "script", e.Script, "duration", d)
	m.emit(MigrationApplied{Target: run.target.Name, Migration: e, Duration: d})
}

// migrationFailed reports the failure of pending[0] and returns the
// target's error: the failed flag in the state row and the error
// callbacks, unless the connection is gone.
func (m *run) migrationFailed(ctx context.Context, run *targetRun, tr *TargetResult, pending []*Entry, err error) error {
	e := pending[0]
	m.emit(MigrationFailed{Target: run.target.Name, Migration: e, Err: err})
	annotate(err, tr.Applied, pending)
	var me *MigrationError
	if errors.As(err, &me) && me.ConnectionLost {
		// The connection is gone: neither the failed flag (the migration
		// may have committed) nor the error callbacks.
		return err
	}
	run.recordFailure(ctx, err)
	run.cur = run.session
	// The callbacks' failures come after the migration's error, never
	// instead of it.
	cbErr := errors.Join(run.runCallbacks(context.WithoutCancel(ctx), AfterEachMigrateError),
		run.runCallbacks(context.WithoutCancel(ctx), AfterMigrateError))
	annotate(cbErr, tr.Applied, pending)
	return errors.Join(err, cbErr)
}

// run is one command's use of a Migrator: what the command resolved from
// the session (the targets, the schema of Strata's tables, installed_by)
// and what it remembers meanwhile (Strata's tables exist, their layout,
// files split once). A run embeds its Migrator, whose options it reads; a
// Migrator is never changed after New, so that commands may run at once.
// Plan keeps its run for Apply; every other command makes its own.
type run struct {
	*Migrator
	tables      Tables           // the Migrator's, with the schema resolved by session
	targets     []schemas.Target // resolved from schemas and tenants by session
	installedBy string
	tablesSeen  atomic.Bool  // Strata's tables were seen to exist
	layoutSeen  atomic.Int32 // the layout of Strata's tables, once seen to be current
	stmtMu      sync.Mutex
	stmtCache   map[*locations.File][]Statement // small files without placeholders, split once per run
	prefixMu    sync.Mutex
	prefixSeen  map[*locations.File]bool
	undoMark    string     // the mark of the UNDO_SQL rows the run writes: MarkDiscard for undo --discard
	waves       []PlanWave // WithWaves, resolved by session
}

// newRun starts a run of m.
func (m *Migrator) newRun() *run {
	return &run{Migrator: m, tables: m.tables, installedBy: m.installedBy}
}

// runOf returns the run that made p, or, for a plan of another Migrator
// or one made by hand, a new run of m with what p's run resolved.
func (m *Migrator) runOf(p *Plan) *run {
	if p.run != nil && p.run.Migrator == m {
		return p.run
	}
	r := m.newRun()
	if p.run != nil {
		r.tables, r.targets, r.installedBy = p.run.tables, p.run.targets, p.run.installedBy
	}
	return r
}
