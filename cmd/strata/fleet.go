package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stratadb/strata/config"
	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/locations"
)

// A fleet is an env with several database instances (`instances` in
// strata.hcl): each instance holds some of the env's tenants and its own
// history table across them. migrate and info run one engine.Migrator per
// instance, at most fleetLimits' share at once; an instance that fails
// (unreachable, refused login, a failed tenant) is one failed unit of the
// run, reported with its name, and the others go on.

// fleetUnit is what one instance's run gave.
type fleetUnit struct {
	inst config.Instance
	res  *engine.Result // migrate
	info *engine.Info   // info
	err  error          // the instance could not be run, or a tenant failed
	took time.Duration
	// skipped: --tenant named none of the instance's tenants, so it was
	// left alone (not a failure).
	skipped bool
	// idle: a wave of a fleet-wide rollout holds none of the instance's
	// tenants, so it was not run in that wave.
	idle bool
	plan *engine.Plan // migrate: the plan it applied (or, discovering, the tenants' state)
	// m is the instance's migrator, kept to classify its errors (the report's transient or permanent).
	m *engine.Migrator
	// all and queried: discovering a fleet-wide rollout, the instance's
	// tenants (whatever --tenant says) and what each wave's query returned
	// there.
	all     []string
	queried map[string]map[string]bool
}

// fleetPass says how eachInstance runs the instances. The zero value runs
// every instance on its tenants (--tenant: those it holds).
type fleetPass struct {
	// discover: every instance, all its tenants (the first pass of a
	// fleet-wide rollout, which reads only).
	discover bool
	// only, when not nil, is a wave of a fleet-wide rollout: each instance
	// (by index) runs the tenants it lists, at most parallel at once (0:
	// the tenants block's); an instance it does not list is idle.
	only     map[int][]string
	parallel int
}

// fleetEnv loads the configuration and says whether the env has several
// instances (listed, or from its registry: see registryFleet). The loaded
// config is kept (a.cfg), so setup does not load it again.
func (a *app) fleetEnv(ctx context.Context) (bool, error) {
	cfg, err := a.loadConfig()
	if err != nil {
		return false, err
	}
	if err := a.registryFleet(ctx, cfg); err != nil {
		return false, err
	}
	return len(cfg.Env.Instances) > 0, nil
}

// fleetLimits says how many instances run at once and with how many
// tenants in parallel each, so that the connections across them stay
// within max_connections: an instance opens parallel + 1 (one for its lock
// and planning). Without max_connections every instance runs at once with
// its own limit.
func fleetLimits(env *config.Env) (instances, parallel int) {
	parallel = 1
	if env.Tenants != nil {
		parallel = env.Tenants.Parallel
	}
	if env.Rollout != nil {
		for _, w := range env.Rollout.Waves {
			parallel = max(parallel, w.Parallel)
		}
	}
	n := max(len(env.Instances), 1)
	if env.MaxConnections <= 0 {
		return n, parallel
	}
	parallel = max(min(parallel, env.MaxConnections-1), 1)
	return max(min(n, env.MaxConnections/(parallel+1)), 1), parallel
}

// instanceConfig is cfg with the env narrowed to one instance: its URL,
// its tenants when a registry lists them, and tenants.parallel (or, in a
// wave of a rollout, the wave's) capped at parallel. The rollout is left
// out: a fleet's waves span its instances (fleetrollout.go), so no
// instance runs or resolves them on its own.
func instanceConfig(cfg *config.Config, inst config.Instance, parallel int, pass fleetPass) *config.Config {
	c := *cfg
	env := *cfg.Env
	env.URL, env.URLRange, env.Instances = inst.URL, inst.Range, nil
	env.Rollout = nil
	if env.Tenants != nil {
		t := *env.Tenants
		if pass.only != nil && pass.parallel > 0 {
			t.Parallel = pass.parallel
		}
		t.Parallel = min(t.Parallel, parallel)
		if inst.Tenants != nil { // from the registry
			t.Schemas = inst.Tenants
		}
		env.Tenants = &t
	}
	c.Env = &env
	return &c
}

// syncWriter serialises the writes of the instances' goroutines.
type syncWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l syncWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// eachInstance runs fn on every instance of the env, at most `at once`
// instances at a time, and returns their units in the order of
// strata.hcl. fn gets the instance's config and an open migrator; an
// instance that cannot be opened is a unit with its error. done, when not
// nil, gets each unit as soon as it ends.
func (a *app) eachInstance(ctx context.Context, cfg *config.Config, set *locations.Set, extra []engine.Option, pass fleetPass,
	fn func(ctx context.Context, icfg *config.Config, m *engine.Migrator, u *fleetUnit), done func(u *fleetUnit), metrics *metricsSink) ([]*fleetUnit, error) {
	atOnce, parallel := fleetLimits(cfg.Env)
	a.masker() // built now, with every instance's secrets: the goroutines only read it
	var mu sync.Mutex
	stdout, stderr := a.stdout, a.stderr
	a.stdout, a.stderr = syncWriter{&mu, stdout}, syncWriter{&mu, stderr}
	defer func() { a.stdout, a.stderr = stdout, stderr }()

	units := make([]*fleetUnit, len(cfg.Env.Instances))
	var found []string // --tenant: the named tenants some instance holds
	sem := make(chan struct{}, atOnce)
	var wg sync.WaitGroup
	for i, inst := range cfg.Env.Instances {
		units[i] = &fleetUnit{inst: inst}
		var mine []string
		if pass.only != nil {
			var ok bool
			if mine, ok = pass.only[i]; !ok || len(mine) == 0 {
				units[i].idle = true
				continue
			}
		}
		wg.Add(1)
		go func(u *fleetUnit) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			began := time.Now()
			defer func() {
				u.took = time.Since(began)
				if done != nil {
					done(u)
				}
			}()
			if ctx.Err() != nil {
				u.err = fmt.Errorf("instance %s: not started: %w", u.inst.Name, ctx.Err())
				return
			}
			icfg := instanceConfig(cfg, u.inst, parallel, pass)
			d, db, err := a.open(ctx, icfg)
			if err != nil {
				u.err = err
				return
			}
			defer db.Close()
			opts := append([]engine.Option(nil), extra...)
			switch {
			case pass.only != nil:
				opts = append(opts, engine.WithTenantFilter(mine...))
			case pass.discover:
				opts = append(opts, engine.WithTenantFilter()) // every tenant: the rollout selects
			case len(a.tenants) > 0:
				// --tenant: the named tenants that live on this instance;
				// an instance with none of them is left alone.
				mine, err := a.instanceTenants(ctx, icfg, d, db, set, opts)
				if err != nil {
					u.err = err
					return
				}
				mu.Lock()
				found = append(found, mine...)
				mu.Unlock()
				if len(mine) == 0 {
					u.skipped = true
					return
				}
				opts = append(opts, engine.WithTenantFilter(mine...))
			}
			var observers []func(engine.Event)
			if metrics != nil {
				observers = append(observers, metrics.observer(u.inst.Name))
			}
			if a.fleetProg != nil && !pass.discover {
				observers = append(observers, a.fleetProg.observer(u.inst.Name, a.stdout))
			}
			if len(observers) > 0 {
				opts = append(opts, engine.WithObserver(func(e engine.Event) {
					for _, f := range observers {
						f(e)
					}
				}))
			}
			m, err := a.migrator(icfg, d, db, set, opts...)
			if err != nil {
				u.err = err
				return
			}
			u.m = m
			fn(ctx, icfg, m, u)
		}(units[i])
	}
	wg.Wait()
	if pass.discover || pass.only != nil {
		return units, nil // the rollout checks --tenant over the fleet
	}
	// A name is missing only when every instance said which tenants it
	// holds: one that failed may hold it.
	failed := slices.ContainsFunc(units, func(u *fleetUnit) bool { return u.err != nil })
	if missing := missingTenants(a.tenants, found); len(missing) > 0 && !failed && ctx.Err() == nil {
		return units, &exitError{code: exitUsage, err: fmt.Errorf("--tenant %s: on none of the %d instances of env %s (the others ran)",
			strings.Join(missing, ", "), len(units), cfg.Env.Name)}
	}
	return units, nil
}

// instanceTenants returns the tenants of --tenant that the instance's
// tenant source finds.
func (a *app) instanceTenants(ctx context.Context, icfg *config.Config, d engine.Dialect, db *sql.DB, set *locations.Set, opts []engine.Option) ([]string, error) {
	m, err := a.migrator(icfg, d, db, set, append(opts[:len(opts):len(opts)], engine.WithTenantFilter())...)
	if err != nil {
		return nil, err
	}
	all, err := m.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	var mine []string
	for _, t := range a.tenants {
		if slices.Contains(all, t) {
			mine = append(mine, t)
		}
	}
	return mine, nil
}

// missingTenants is the names of want not in found, in want's order.
func missingTenants(want, found []string) []string {
	var out []string
	for _, w := range want {
		if !slices.Contains(found, w) {
			out = append(out, w)
		}
	}
	return out
}

// fleetSetup is setup for a fleet: the configuration (already loaded by
// fleetEnv) and the files, checked once for all instances.
func (a *app) fleetSetup() (*config.Config, *locations.Set, error) {
	cfg := a.cfg
	set, err := a.collect(cfg)
	if err != nil {
		return nil, nil, err
	}
	if a.ackCheck {
		if err := a.checkAck(cfg, set); err != nil {
			return nil, nil, err
		}
	}
	if a.wave != "" && cfg.Env.Rollout == nil {
		return nil, nil, &exitError{code: exitUsage, err: fmt.Errorf("--wave: env %s has no rollout block, so it has no waves", cfg.Env.Name)}
	}
	if a.shard != "" {
		if _, err := a.shardFlag(cfg.Env); err != nil {
			return nil, nil, err
		}
	}
	return cfg, set, nil
}

// jsonFleetMigrate is migrate's JSON result for an env with instances.
type jsonFleetMigrate struct {
	MigrationsApplied int                   `json:"migrationsApplied"`
	Waves             []jsonReportWave      `json:"waves,omitempty"` // a rollout over the fleet
	Instances         []jsonInstanceMigrate `json:"instances"`
}

// jsonInstanceMigrate is one instance in migrate's fleet result.
type jsonInstanceMigrate struct {
	Instance          string              `json:"instance"`
	MigrationsApplied int                 `json:"migrationsApplied"`
	Error             *jsonError          `json:"error"` // the instance could not be run, or a tenant failed
	Targets           []jsonMigrateTarget `json:"targets"`
}

// fleetRun is how migrate runs over a fleet.
type fleetRun struct {
	yes, resume bool
	report      string // --report FILE
}

// fleetMigrate is migrate over every instance of the env: each instance
// on its own, or, with a rollout block, wave after wave across them.
func (a *app) fleetMigrate(ctx context.Context, extra []engine.Option, run fleetRun, metrics *metricsSink) (runErr error) {
	began := time.Now()
	var units []*fleetUnit
	var waves []engine.WaveResult
	var fr *fleetRollout
	cfg := a.cfg
	if run.report != "" {
		defer func() { runErr = a.writeFleetReport(run.report, cfg, units, waves, fr, runErr, began) }()
	}
	cfg, set, err := a.fleetSetup()
	if err != nil {
		return err
	}
	env := cfg.Env
	if env.Confirm && !run.yes {
		return &exitError{code: exitUsage, err: fmt.Errorf("env %s sets confirm = true and has %d instances: run migrate with --yes (strata info shows what is pending on each instance)", env.Name, len(env.Instances))}
	}
	if env.Lint != "" {
		if err := lintReady(env); err != nil {
			return err
		}
	}
	atOnce, parallel := fleetLimits(env)
	if a.format == "text" {
		limit := ""
		if env.MaxConnections > 0 {
			limit = fmt.Sprintf(", max_connections %d", env.MaxConnections)
		}
		fmt.Fprintf(a.stdout, "migrating env %s: %d instances, %d at once, %d tenant%s in parallel on each%s\n",
			env.Name, len(env.Instances), atOnce, parallel, plural(parallel), limit)
		a.fleetProg = newFleetProgress(ctx, a.shown)
		defer func() { a.fleetProg = nil }()
	}
	var tenantErr error
	if env.Rollout != nil {
		if fr, err = a.planFleetRollout(ctx, cfg, set, extra); err != nil {
			return err
		}
		if run.resume && a.format == "text" {
			a.printFleetResume(fr)
		}
		units, waves = a.runFleetRollout(ctx, cfg, set, extra, fr, metrics)
		for _, u := range units {
			metrics.instanceEnded(u.err != nil)
			if a.format == "text" {
				a.printInstanceMigrate(u, u.took, ctx.Err() != nil)
			}
		}
	} else {
		units, tenantErr = a.eachInstance(ctx, cfg, set, extra, fleetPass{}, a.planAndApply, func(u *fleetUnit) {
			metrics.instanceEnded(u.err != nil)
			if a.format == "text" {
				a.printInstanceMigrate(u, time.Since(began), ctx.Err() != nil)
			}
		}, metrics)
	}
	applied, failed := 0, 0
	var cut, notStarted []string // interrupted: the instances cut short, and those never started
	for _, u := range units {
		if u.res != nil {
			applied += u.res.Applied()
		}
		switch {
		case u.err == nil:
		case ctx.Err() != nil && interruptedUnit(u):
			if u.res == nil && notStartedErr(u.err) {
				notStarted = append(notStarted, u.inst.Name)
			} else {
				cut = append(cut, u.inst.Name)
			}
		default:
			failed++
		}
	}
	a.applied, a.appliedKnown = applied, true
	code := exitOK
	for _, u := range units {
		if u.err != nil && code == exitOK || codeOf(u.err) == exitFailed {
			code = codeOf(u.err)
		}
	}
	var notRun []string
	stopped := false
	for _, w := range waves {
		switch w.Outcome {
		case engine.WaveNotStarted:
			notRun = append(notRun, fmt.Sprintf("%d %s (%d tenant%s)", w.Number, w.Name, w.Targets, plural(w.Targets)))
		case engine.WaveFailed:
			stopped = true
		}
	}
	if a.format == "json" {
		out := jsonFleetMigrate{MigrationsApplied: applied, Instances: []jsonInstanceMigrate{}}
		for _, w := range waves {
			out.Waves = append(out.Waves, jsonReportWave{Number: w.Number, Name: w.Name, Tenants: w.Targets, Failed: w.Failed, MaxFailures: w.Budget, Outcome: w.Outcome})
		}
		for _, u := range units {
			ji := jsonInstanceMigrate{Instance: u.inst.Name, Targets: a.jsonMigrateTargets(u.res)}
			if u.res != nil {
				ji.MigrationsApplied = u.res.Applied()
			}
			if u.err != nil {
				ji.Error = a.jsonErrorOf(u.err, codeOf(u.err))
			}
			out.Instances = append(out.Instances, ji)
		}
		a.result = out
	} else {
		skipped := 0
		for _, u := range units {
			if u.skipped {
				skipped++
			}
		}
		alone := ""
		if skipped > 0 {
			alone = fmt.Sprintf(", %d left alone (none of --tenant)", skipped)
		}
		stops := ""
		if len(cut) > 0 || len(notStarted) > 0 {
			stops = fmt.Sprintf(", %d interrupted, %d not started", len(cut), len(notStarted))
		}
		fmt.Fprintf(a.stdout, "%d instances: %d done%s, %d failed%s; %d migration%s applied (%s)\n",
			len(units), len(units)-failed-skipped-len(cut)-len(notStarted), alone, failed, stops, applied, plural(applied), roundDuration(time.Since(began)))
		if len(notRun) > 0 {
			fmt.Fprintf(a.stdout, "waves not started: %s\n", strings.Join(notRun, ", "))
		}
	}
	if tenantErr != nil && a.format == "text" {
		fmt.Fprintf(a.stderr, "error: %s\n", tenantErr)
	}
	if failed == 0 && !stopped && (len(cut) > 0 || len(notStarted) > 0) {
		return a.fleetInterrupted(env, len(units), applied, cut, notStarted)
	}
	if failed == 0 && !stopped {
		return tenantErr
	}
	var names []string
	for _, u := range units {
		if u.err != nil && !slices.Contains(cut, u.inst.Name) && !slices.Contains(notStarted, u.inst.Name) {
			names = append(names, u.inst.Name)
		}
	}
	others := "the others were migrated"
	if len(cut) > 0 || len(notStarted) > 0 {
		others = fmt.Sprintf("then the run was interrupted: %d instance%s cut short, %d not started", len(cut), plural(len(cut)), len(notStarted))
	}
	if stopped {
		err = fmt.Errorf("env %s: the rollout stopped: a wave had more failed tenants than its max_failures, and waves %s did not start; fix the cause and run migrate again (--resume says where it goes on)",
			env.Name, noneIfEmpty(notRun))
	} else {
		err = fmt.Errorf("env %s: %d of %d instances failed (%s); %s: fix the cause and run migrate again, it picks up only what is left",
			env.Name, failed, len(units), strings.Join(names, ", "), others)
	}
	if code == exitOK {
		code = codeOf(err)
	}
	if a.format == "text" {
		fmt.Fprintf(a.stderr, "error: %s\n", err)
		return &exitError{code: code}
	}
	return &exitError{code: code, err: err}
}

// noneIfEmpty is the list, or "none" when it is empty.
func noneIfEmpty(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}

// printFleetResume says at which wave a fleet-wide rollout resumes: the
// first with a tenant that has work.
func (a *app) printFleetResume(fr *fleetRollout) {
	for i, w := range fr.waves {
		if w.pending == 0 {
			continue
		}
		if i == 0 {
			fmt.Fprintf(a.stdout, "resuming the rollout at wave %d %s: no wave is complete yet\n", w.Number, w.Name)
		} else {
			fmt.Fprintf(a.stdout, "resuming the rollout at wave %d %s: waves %d to %d are complete\n", w.Number, w.Name, fr.waves[0].Number, fr.waves[i-1].Number)
		}
		return
	}
	fmt.Fprintln(a.stdout, "every wave of the rollout is complete")
}

// printInstanceMigrate prints one instance's outcome as soon as it is
// known: a line, then its failed tenants. When the run was interrupted,
// a tenant or instance that the interruption stopped is counted as
// interrupted or not started, not as failed.
func (a *app) printInstanceMigrate(u *fleetUnit, since time.Duration, interrupted bool) {
	var b strings.Builder
	switch {
	case u.skipped:
		fmt.Fprintf(&b, "instance %s: holds none of the tenants of --tenant, left alone\n", u.inst.Name)
	case u.res == nil && interrupted && interruptedUnit(u):
		if notStartedErr(u.err) {
			fmt.Fprintf(&b, "instance %s: not started (interrupted before its turn): nothing applied\n", u.inst.Name)
		} else {
			fmt.Fprintf(&b, "instance %s: interrupted before any migration ran: nothing applied\n", u.inst.Name)
		}
	case u.res == nil:
		fmt.Fprintf(&b, "instance %s: FAILED: %s\n", u.inst.Name, oneLine(a.shown(u.err.Error())))
	default:
		var n [outcomes]int
		for _, t := range u.res.Targets {
			n[outcomeOf(t, interrupted)]++
		}
		migrated, upToDate, failed, cut, notStarted := n[outcomeMigrated], n[outcomeUpToDate]+n[outcomeByOther], n[outcomeFailed], n[outcomeInterrupted], n[outcomeNotStarted]
		if interrupted && (cut > 0 || notStarted > 0) {
			fmt.Fprintf(&b, "instance %s: INTERRUPTED: %d tenant%s: %d migrated, %d already up to date, %d interrupted, %d not started; %d migration%s applied",
				u.inst.Name, len(u.res.Targets), plural(len(u.res.Targets)), migrated, upToDate, cut, notStarted, u.res.Applied(), plural(u.res.Applied()))
		} else {
			fmt.Fprintf(&b, "instance %s: %d tenant%s: %d migrated (%d migration%s), %d already up to date", u.inst.Name,
				len(u.res.Targets), plural(len(u.res.Targets)), migrated, u.res.Applied(), plural(u.res.Applied()), upToDate)
		}
		if failed > 0 {
			fmt.Fprintf(&b, ", %d FAILED", failed)
		}
		if notStarted > 0 && !interrupted {
			fmt.Fprintf(&b, ", %d not started", notStarted)
		}
		fmt.Fprintf(&b, " (%s)\n", roundDuration(since))
		for _, t := range u.res.Targets {
			switch outcomeOf(t, interrupted) {
			case outcomeInterrupted:
				fmt.Fprintf(&b, "  %s: %s\n", t.Target, a.shown(interruptedTenant(t)))
			case outcomeFailed:
				fmt.Fprintf(&b, "  %s: %s\n", t.Target, a.shown(firstLine(t.Err.Error())))
			}
		}
		if u.err != nil && failed == 0 && cut == 0 && notStarted == 0 {
			fmt.Fprintf(&b, "  %s\n", a.shown(firstLine(u.err.Error())))
		}
	}
	io.WriteString(a.stdout, b.String())
}

// interruptedErr reports whether err is what an interruption leaves: the
// context canceled, or the statement it cancelled (PostgreSQL's SQLSTATE
// 57014). Only asked once the run's context is done.
func interruptedErr(err error) bool {
	var coded interface{ SQLState() string }
	return errors.Is(err, context.Canceled) || errors.As(err, &coded) && coded.SQLState() == "57014"
}

// interruptedUnit reports whether the instance's error, and every error of
// its tenants, is what an interruption leaves (no tenant truly failed).
func interruptedUnit(u *fleetUnit) bool {
	if u.res == nil {
		return interruptedErr(u.err)
	}
	for _, t := range u.res.Targets {
		if t.Err != nil && !interruptedErr(t.Err) {
			return false
		}
	}
	return true
}

// interruptedTenant says what an interruption left on a tenant: the
// migration that was running and what became of it, and those kept.
func interruptedTenant(t engine.TargetResult) string {
	kept := fmt.Sprintf("%d applied before it are kept (now at version %s)", len(t.Applied), orEmpty(t.Version))
	var me *engine.MigrationError
	switch {
	case !errors.As(t.Err, &me):
		return fmt.Sprintf("interrupted between migrations; %d applied are kept (now at version %s)", len(t.Applied), orEmpty(t.Version))
	case me.OutcomeUnknown:
		return fmt.Sprintf("interrupted while %s committed: whether it did is unknown (the next run reads the history); %s", me.Path, kept)
	case me.Partial != nil && me.Partial.Applied > 0:
		return fmt.Sprintf("interrupted in %s, which runs statement by statement: %s of it stayed applied (not rolled back); %s", me.Path, me.Partial.Range(), kept)
	case me.Partial != nil:
		return fmt.Sprintf("interrupted in %s, which runs statement by statement: none of its statements stayed applied; %s", me.Path, kept)
	}
	return fmt.Sprintf("interrupted in %s, which was rolled back; %s", me.Path, kept)
}

// fleetInterrupted ends a fleet's migrate that was interrupted with no
// instance failed: one line that says what was kept and what was not
// started, in place of the one-database note (a.interruptNoted).
func (a *app) fleetInterrupted(env *config.Env, instances, applied int, cut, notStarted []string) error {
	var parts []string
	if len(cut) > 0 {
		parts = append(parts, fmt.Sprintf("cut short on %s (the tenants it ran were stopped, each as said above)", strings.Join(cut, ", ")))
	}
	if len(notStarted) > 0 {
		parts = append(parts, fmt.Sprintf("not started on %s", strings.Join(notStarted, ", ")))
	}
	err := fmt.Errorf("env %s: interrupted: %s; the %d migration%s applied on the %d instances are kept; run migrate again: it applies only what is left",
		env.Name, strings.Join(parts, "; "), applied, plural(applied), instances)
	a.interruptNoted = true
	if a.format == "text" {
		fmt.Fprintf(a.stderr, "%s\n", err)
		return &exitError{code: exitInterrupted}
	}
	return &exitError{code: exitInterrupted, err: err}
}

// jsonMigrateTargets is res's targets in migrate's JSON form.
func (a *app) jsonMigrateTargets(res *engine.Result) []jsonMigrateTarget {
	out := []jsonMigrateTarget{}
	if res == nil {
		return out
	}
	for _, t := range res.Targets {
		jt := jsonMigrateTarget{Target: t.Target, TargetVersion: t.Version, Applied: []jsonApplied{}, Wave: t.Wave, Retries: len(t.Retries)}
		for _, ap := range t.Applied {
			jt.Applied = append(jt.Applied, jsonApplied{Version: ap.Version, Description: ap.Description, Type: ap.Type, Script: ap.Script, ExecutionTime: ap.Duration.Milliseconds()})
		}
		if t.Err != nil {
			jt.Error = a.jsonErrorOf(t.Err, codeOf(t.Err))
		}
		out = append(out, jt)
	}
	return out
}

// jsonFleetInfo is info's JSON result for an env with instances.
type jsonFleetInfo struct {
	HistoryTable string             `json:"historyTable"`
	Summary      jsonFleetSummary   `json:"summary"`
	Instances    []jsonInstanceInfo `json:"instances"`
}

// jsonFleetSummary counts the fleet's instances and tenants.
type jsonFleetSummary struct {
	Instances       int `json:"instances"`
	FailedInstances int `json:"failedInstances"` // could not be read
	Targets         int `json:"targets"`
	UpToDate        int `json:"upToDate"`
	Behind          int `json:"behind"`
	Failed          int `json:"failed"`
}

// jsonInstanceInfo is one instance in info's fleet result.
type jsonInstanceInfo struct {
	Instance    string           `json:"instance"`
	Error       *jsonError       `json:"error"` // the instance could not be read
	TablesExist bool             `json:"tablesExist"`
	Summary     *jsonSummary     `json:"summary"` // null when the instance could not be read
	Targets     []jsonInfoTarget `json:"targets"`
}

// fleetInfo is info over every instance of the env: one line per instance
// (tenants up to date, pending, failed), or JSON with each instance's
// tenants.
func (a *app) fleetInfo(ctx context.Context, extra []engine.Option) error {
	cfg, set, err := a.fleetSetup()
	if err != nil {
		return err
	}
	units, tenantErr := a.eachInstance(ctx, cfg, set, extra, fleetPass{}, func(ctx context.Context, _ *config.Config, m *engine.Migrator, u *fleetUnit) {
		u.info, u.err = m.Info(ctx)
	}, nil, nil)
	total := jsonFleetSummary{Instances: len(units)}
	sums := make([]*jsonSummary, len(units))
	var problems error
	for i, u := range units {
		if u.err != nil {
			total.FailedInstances++
			continue
		}
		if u.skipped {
			continue
		}
		s := summarize(u.info, a.shown)
		sums[i] = &s
		total.Targets += s.Targets
		total.UpToDate += s.UpToDate
		total.Behind += s.Behind
		total.Failed += s.Failed
		if err := a.targetProblems(u.info); err != nil && problems == nil {
			problems = err
		}
	}
	if a.format == "json" {
		out := jsonFleetInfo{HistoryTable: cfg.Env.History.Table, Summary: total, Instances: []jsonInstanceInfo{}}
		for i, u := range units {
			ji := jsonInstanceInfo{Instance: u.inst.Name, Summary: sums[i], Targets: []jsonInfoTarget{}}
			if u.err != nil {
				ji.Error = a.jsonErrorOf(u.err, codeOf(u.err))
			} else if u.info != nil {
				ji.TablesExist = u.info.TablesExist
				for _, t := range u.info.Targets {
					ji.Targets = append(ji.Targets, a.jsonInfoTarget(t))
				}
			}
			out.Instances = append(out.Instances, ji)
		}
		a.result = out
	} else {
		w := a.stdout
		fmt.Fprintf(w, "Fleet: env %s, %d instances, %d tenant%s: %d up to date, %d pending, %d failed", cfg.Env.Name,
			total.Instances, total.Targets, plural(total.Targets), total.UpToDate, total.Behind, total.Failed)
		if total.FailedInstances > 0 {
			fmt.Fprintf(w, ", %d instance%s unreadable", total.FailedInstances, plural(total.FailedInstances))
		}
		fmt.Fprintln(w)
		width := len("INSTANCE")
		for _, u := range units {
			width = max(width, len(u.inst.Name))
		}
		fmt.Fprintf(w, "  %-*s  %7s  %10s  %7s  %6s  %s\n", width, "INSTANCE", "TENANTS", "UP TO DATE", "PENDING", "FAILED", "LATEST")
		for i, u := range units {
			if u.err != nil {
				fmt.Fprintf(w, "  %-*s  FAILED: %s\n", width, u.inst.Name, oneLine(a.shown(u.err.Error())))
				continue
			}
			s := sums[i]
			if s == nil {
				fmt.Fprintf(w, "  %-*s  holds none of the tenants of --tenant\n", width, u.inst.Name)
				continue
			}
			fmt.Fprintf(w, "  %-*s  %7d  %10d  %7d  %6d  %s\n", width, u.inst.Name, s.Targets, s.UpToDate, s.Behind, s.Failed, orEmpty(s.Latest))
		}
		for i, u := range units {
			if s := sums[i]; s != nil && len(s.Failures) > 0 {
				fmt.Fprintf(w, "Failed on %s:\n", u.inst.Name)
				for _, f := range s.Failures {
					fmt.Fprintf(w, "  %s: %s\n", f.Target, a.shown(f.Error))
				}
			}
		}
		fmt.Fprintln(w, "Details: strata info --format json, or --url with one instance's URL")
	}
	if total.FailedInstances > 0 {
		return a.unreadInstances(units, fmt.Errorf("env %s: %d of %d instances could not be read", cfg.Env.Name, total.FailedInstances, total.Instances))
	}
	if tenantErr != nil {
		if a.format == "text" {
			fmt.Fprintf(a.stderr, "error: %s\n", tenantErr)
			return &exitError{code: exitUsage}
		}
		return tenantErr
	}
	return problems
}

// unreadInstances ends a command that only reads (info, migrate
// --dry-run) when some instances could not be read: err says so, the exit
// code is the first failed instance's; in text err is printed here.
func (a *app) unreadInstances(units []*fleetUnit, err error) error {
	code := exitOK
	for _, u := range units {
		if c := codeOf(u.err); c != exitOK && code == exitOK {
			code = c
		}
	}
	if a.format == "text" {
		fmt.Fprintf(a.stderr, "error: %s\n", err)
		return &exitError{code: code}
	}
	return &exitError{code: code, err: err}
}

// jsonInfoTarget is one target in info's JSON form.
func (a *app) jsonInfoTarget(t engine.TargetInfo) jsonInfoTarget {
	jt := jsonInfoTarget{Target: t.Target, SchemaVersion: t.Current, Pending: t.Pending, Failed: t.Failed, UpToDate: t.Pending == 0 && t.Failed == 0, LastError: a.shown(t.LastError), Migrations: []jsonMigration{}}
	for _, e := range t.Entries {
		jt.Migrations = append(jt.Migrations, toJSONMigration(e))
	}
	for _, f := range t.Problems {
		jt.Problems = append(jt.Problems, a.jsonFinding(f))
	}
	if t.NonEmpty != nil {
		jt.Refused = a.shown(t.NonEmpty.Error())
	}
	return jt
}

// errFleetOnly refuses a command that works on one database in an env
// with several instances.
func errFleetOnly(env *config.Env) error {
	return &exitError{code: exitUsage, err: fmt.Errorf("env %s has %d instances, and this command works on one database: migrate and info run on every instance; for this command name one with --url (one of the env's instances)",
		env.Name, len(env.Instances))}
}

// oneLine is s with its line breaks and runs of spaces made single spaces
// (a driver's message may span lines), for a line per instance.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
