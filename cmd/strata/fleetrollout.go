package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stratadb/strata/config"
	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/internal/ctxsleep"
	"github.com/stratadb/strata/locations"
)

// A fleet-wide rollout: an env with several instances and a rollout block
// runs its waves over the tenants of every instance, not inside each one.
// A first pass reads each instance's tenants and their state (and what
// each wave's query returns there); the waves are assigned over the whole
// fleet, the instances' tenants interleaved (the first tenant of each
// instance, then the second of each...), so that a canary of count = 2
// lands on two instances; then each wave runs on the instances that hold
// its tenants, all of them to the end, before its failures are counted
// against its budget and the next wave may start.

// fleetTenant is one tenant of a fleet: the instance (by index) that
// holds it, and its name there.
type fleetTenant struct {
	inst int
	name string
}

// key names the tenant in the rollout's assignment.
func (t fleetTenant) key() string { return strconv.Itoa(t.inst) + "/" + t.name }

// fleetWave is a wave of a fleet-wide rollout, as the run keeps it
// (--tenant, --shard).
type fleetWave struct {
	engine.PlanWave
	tenants []fleetTenant // the run's tenants of the wave, in assignment order
	pending int           // of them, those with work (pending migrations, or refused)
}

// byInstance groups the wave's tenants by instance.
func (w *fleetWave) byInstance() map[int][]string {
	out := map[int][]string{}
	for _, t := range w.tenants {
		out[t.inst] = append(out[t.inst], t.name)
	}
	return out
}

// fleetRollout is what planning a fleet-wide rollout gave.
type fleetRollout struct {
	units []*fleetUnit // the discovery pass, one per instance
	waves []fleetWave  // from the start wave on
	// before is each tenant's version when planned, by key.
	before map[string]string
}

// planFleetRollout reads every instance's tenants and assigns the waves
// over the fleet. An instance that cannot be read is left out of the
// waves (its unit carries the error); --tenant naming no tenant of the
// fleet is an error, as is a wave naming one.
func (a *app) planFleetRollout(ctx context.Context, cfg *config.Config, set *locations.Set, extra []engine.Option) (*fleetRollout, error) {
	defs := engineWaves(cfg.Env.Rollout)
	units, _ := a.eachInstance(ctx, cfg, set, extra, fleetPass{discover: true}, func(ctx context.Context, _ *config.Config, m *engine.Migrator, u *fleetUnit) {
		all, err := m.Tenants(ctx)
		if err == nil {
			u.queried, err = m.QueryWaves(ctx, defs)
		}
		if err == nil && len(all) > 0 {
			u.plan, err = m.Plan(ctx) // --shard applies here; --tenant below
		}
		u.all, u.err = all, err
	}, nil, nil)
	fr := &fleetRollout{units: units, before: map[string]string{}}

	// The candidates, the instances' tenants interleaved.
	var cands []engine.WaveCandidate
	byKey := map[string]fleetTenant{}
	for depth := 0; ; depth++ {
		more := false
		for i, u := range units {
			if depth >= len(u.all) {
				continue
			}
			more = true
			t := fleetTenant{inst: i, name: u.all[depth]}
			cands = append(cands, engine.WaveCandidate{Key: t.key(), Name: t.name, Queried: u.queried})
			byKey[t.key()] = t
		}
		if !more {
			break
		}
	}

	// The run's tenants: the shard's (as planned), among --tenant.
	inRun := map[string]bool{}
	work := map[string]bool{}
	var found []string
	for i, u := range units {
		if u.plan == nil {
			continue
		}
		for _, tp := range u.plan.Targets {
			name := tp.Target.Name
			if len(a.tenants) > 0 && !slices.Contains(a.tenants, name) {
				continue
			}
			found = append(found, name)
			k := fleetTenant{inst: i, name: name}.key()
			inRun[k] = true
			fr.before[k] = tp.Current
			work[k] = len(tp.Pending) > 0 || tp.NonEmpty != nil
		}
	}
	unread := slices.ContainsFunc(units, func(u *fleetUnit) bool { return u.err != nil })
	if len(a.tenants) > 0 && !unread && a.shard == "" {
		if missing := missingTenants(a.tenants, found); len(missing) > 0 {
			return fr, &exitError{code: exitUsage, err: fmt.Errorf("--tenant %s: on none of the %d instances of env %s; nothing was run",
				strings.Join(missing, ", "), len(units), cfg.Env.Name)}
		}
	}

	planned, err := engine.AssignWaves(defs, cands)
	if err != nil {
		return fr, &exitError{code: exitUsage, err: fmt.Errorf("env %s: rollout over %d instances: %w", cfg.Env.Name, len(units), err)}
	}
	start := 0
	if a.wave != "" {
		if start, err = engine.StartWave(planned, a.wave); err != nil {
			return fr, &exitError{code: exitUsage, err: fmt.Errorf("--wave: %w", err)}
		}
	}
	for _, pw := range planned[start:] {
		w := fleetWave{PlanWave: pw}
		var keys []string
		for _, k := range pw.Targets {
			if !inRun[k] {
				continue
			}
			keys = append(keys, k)
			w.tenants = append(w.tenants, byKey[k])
			if work[k] {
				w.pending++
			}
		}
		w.Targets = keys
		def := engine.Wave{Name: pw.Name}
		if pw.Number <= len(defs) {
			def = defs[pw.Number-1]
		}
		w.Budget = engine.WaveBudget(def, len(keys))
		if w.Parallel == 0 && cfg.Env.Tenants != nil {
			w.Parallel = cfg.Env.Tenants.Parallel
		}
		_, cap := fleetLimits(cfg.Env)
		w.Parallel = min(max(w.Parallel, 1), cap)
		fr.waves = append(fr.waves, w)
	}
	return fr, nil
}

// engineWaves is the rollout's waves for the engine.
func engineWaves(ro *config.Rollout) []engine.Wave {
	if ro == nil {
		return nil
	}
	waves := make([]engine.Wave, len(ro.Waves))
	for i, w := range ro.Waves {
		waves[i] = engine.Wave{Name: w.Name, Schemas: w.Tenants, Pattern: w.Pattern, Query: w.Query, Count: w.Count, Percent: w.Percent,
			Parallel: w.Parallel, MaxFailures: w.MaxFailures, MaxFailuresPercent: w.MaxFailuresPercent, Pause: w.Pause}
	}
	return waves
}

// header is the line that starts the wave: total is the rollout's last
// wave number, instances those that hold the wave's tenants.
func (w *fleetWave) header(total int, instances int) string {
	return fmt.Sprintf("wave %d/%d %s: %d tenant%s on %d instance%s, %d pending", w.Number, total, w.Name,
		len(w.tenants), plural(len(w.tenants)), instances, plural(instances), w.pending)
}

// runFleetRollout runs the waves of fr, in order, and returns each
// instance's unit with the results of every wave merged, and the waves'
// results. A wave whose failures (tenants, and every tenant of an
// instance that could not be run) exceed its budget stops the rollout:
// the tenants of the later waves are reported not started.
func (a *app) runFleetRollout(ctx context.Context, cfg *config.Config, set *locations.Set, extra []engine.Option, fr *fleetRollout, metrics *metricsSink) ([]*fleetUnit, []engine.WaveResult) {
	merged := make([]*fleetUnit, len(fr.units))
	for i, u := range fr.units {
		merged[i] = &fleetUnit{inst: u.inst, err: u.err, res: &engine.Result{}}
		if u.err != nil {
			merged[i].res = nil
		}
	}
	last := 0
	if len(fr.waves) > 0 {
		last = fr.waves[len(fr.waves)-1].Number
	}
	var results []engine.WaveResult
	var stoppedBy error // a wave over its budget
	var pause time.Duration
	for _, w := range fr.waves {
		wr := engine.WaveResult{Name: w.Name, Number: w.Number, Targets: len(w.tenants), Budget: w.Budget}
		byInst := w.byInstance()
		if stoppedBy == nil && ctx.Err() == nil && w.pending > 0 && pause > 0 {
			if a.format == "text" {
				fmt.Fprintf(a.stdout, "pausing %s before wave %d %s\n", pause, w.Number, w.Name)
			}
			ctxsleep.Sleep(ctx, pause)
			pause = 0
		}
		if stoppedBy != nil || ctx.Err() != nil {
			why := stoppedBy
			if why == nil {
				why = ctx.Err()
			}
			for _, t := range w.tenants {
				if m := merged[t.inst]; m.res != nil {
					m.res.Targets = append(m.res.Targets, engine.TargetResult{Target: t.name, Version: fr.before[t.key()], Wave: w.Name,
						Err: fmt.Errorf("target %s: not started: %w", t.name, why)})
				}
			}
			wr.Outcome = engine.WaveNotStarted
			results = append(results, wr)
			continue
		}
		if a.format == "text" {
			fmt.Fprintln(a.stdout, w.header(last, len(byInst)))
		}
		if w.pending == 0 { // every tenant of the wave was up to date when planned
			wr.Outcome = engine.WaveCompleted
			for _, t := range w.tenants {
				if m := merged[t.inst]; m.res != nil {
					m.res.Targets = append(m.res.Targets, engine.TargetResult{Target: t.name, Version: fr.before[t.key()], Wave: w.Name})
				}
			}
			results = append(results, wr)
			continue
		}
		units, _ := a.eachInstance(ctx, cfg, set, extra, fleetPass{only: byInst, parallel: w.Parallel}, a.planAndApply, nil, metrics)
		for i, u := range units {
			if u.idle {
				continue
			}
			m := merged[i]
			if u.res == nil { // the instance could not be run: each of its tenants of the wave failed
				wr.Failed += len(byInst[i])
				if m.err == nil {
					m.err = u.err
				}
				if m.res != nil {
					for _, name := range byInst[i] {
						m.res.Targets = append(m.res.Targets, engine.TargetResult{Target: name, Version: fr.before[fleetTenant{i, name}.key()], Wave: w.Name,
							Err: fmt.Errorf("target %s: instance %s: %w", name, u.inst.Name, u.err)})
					}
				}
				continue
			}
			if m.res == nil {
				m.res = &engine.Result{}
			}
			for _, t := range u.res.Targets {
				t.Wave = w.Name
				if outcomeOf(t, false) == outcomeFailed {
					wr.Failed++
				}
				m.res.Targets = append(m.res.Targets, t)
			}
			if u.err != nil && m.err == nil {
				m.err = u.err
			}
			m.took += u.took
			m.m = u.m
		}
		wr.Outcome = engine.WaveCompleted
		if ctx.Err() != nil { // interrupted: the wave's failures say nothing of its budget
			results = append(results, wr)
			continue
		}
		if wr.Failed > w.Budget {
			wr.Outcome = engine.WaveFailed
			stoppedBy = fmt.Errorf("wave %q had %d failed tenant%s of %d, more than its failure budget (%d), so the rollout stopped before wave %d",
				w.Name, wr.Failed, plural(wr.Failed), len(w.tenants), w.Budget, w.Number+1)
		}
		if a.format == "text" {
			fmt.Fprintln(a.stdout, waveLine(engine.WaveFinished{Wave: w.Name, Number: w.Number, Failed: wr.Failed, Budget: w.Budget, Stopped: stoppedBy != nil}))
		}
		results = append(results, wr)
		if w.pending > 0 {
			pause = w.Pause
		}
	}
	for i, u := range fr.units { // instances that could not be read are failed units
		if u.err != nil {
			merged[i].err = u.err
		}
	}
	return merged, results
}

// planAndApply is migrate on one instance: plan, lint when the env asks,
// apply.
func (a *app) planAndApply(ctx context.Context, icfg *config.Config, m *engine.Migrator, u *fleetUnit) {
	p, err := m.Plan(ctx)
	u.plan = p
	if err == nil && icfg.Env.Lint != "" {
		err = a.lintPending(ctx, icfg.Env, p)
	}
	if err == nil {
		u.res, err = m.Apply(ctx, p)
	}
	u.err = err
}

// jsonFleetDryRun is migrate --dry-run's JSON result for an env with
// instances.
type jsonFleetDryRun struct {
	DryRun    bool                 `json:"dryRun"`
	Waves     []jsonFleetWave      `json:"waves,omitempty"`
	Instances []jsonInstanceDryRun `json:"instances"`
}

// jsonFleetWave is a wave of a fleet-wide rollout in a dry run.
type jsonFleetWave struct {
	Number      int                   `json:"number"`
	Name        string                `json:"name"`
	Tenants     []jsonFleetWaveTenant `json:"tenants"`
	Parallel    int                   `json:"parallel"`
	MaxFailures int                   `json:"maxFailures"`
	Pause       int64                 `json:"pause"`
}

type jsonFleetWaveTenant struct {
	Instance string `json:"instance"`
	Tenant   string `json:"tenant"`
}

type jsonInstanceDryRun struct {
	Instance string             `json:"instance"`
	Error    *jsonError         `json:"error"` // the instance could not be read
	Targets  []jsonDryRunTarget `json:"targets"`
}

// fleetDryRun is migrate --dry-run on an env with instances: the waves
// over the fleet when it has a rollout, then each instance's SQL, in the
// order of strata.hcl. It reads only.
func (a *app) fleetDryRun(ctx context.Context, extra []engine.Option) error {
	a.readOnly = true
	cfg, set, err := a.fleetSetup()
	if err != nil {
		return err
	}
	out := jsonFleetDryRun{DryRun: true, Instances: []jsonInstanceDryRun{}}
	if a.format == "text" {
		fmt.Fprintf(a.stdout, "-- strata migrate --dry-run (env %s, %d instances): nothing below has been run\n", cfg.Env.Name, len(cfg.Env.Instances))
	}
	only := map[int][]string(nil) // with a rollout: the run's tenants of each instance
	if cfg.Env.Rollout != nil {
		fr, err := a.planFleetRollout(ctx, cfg, set, extra)
		if err != nil {
			return err
		}
		only = map[int][]string{}
		for i := range cfg.Env.Instances {
			only[i] = nil
		}
		for _, w := range fr.waves {
			jw := jsonFleetWave{Number: w.Number, Name: w.Name, Tenants: []jsonFleetWaveTenant{}, Parallel: w.Parallel, MaxFailures: w.Budget, Pause: w.Pause.Milliseconds()}
			names := make([]string, len(w.tenants))
			for j, t := range w.tenants {
				inst := cfg.Env.Instances[t.inst].Name
				jw.Tenants = append(jw.Tenants, jsonFleetWaveTenant{Instance: inst, Tenant: t.name})
				names[j] = t.name + " on " + inst
				only[t.inst] = append(only[t.inst], t.name)
			}
			if a.format == "json" {
				out.Waves = append(out.Waves, jw)
				continue
			}
			fmt.Fprintln(a.stdout, waveHeader(w.PlanWave, len(w.tenants), strings.Join(names, ", ")))
		}
	}
	texts := make([]strings.Builder, len(cfg.Env.Instances))
	dry := make([][]jsonDryRunTarget, len(cfg.Env.Instances))
	pass := fleetPass{}
	if only != nil {
		pass = fleetPass{only: only}
	}
	units, tenantErr := a.eachInstance(ctx, cfg, set, extra, pass, func(ctx context.Context, _ *config.Config, m *engine.Migrator, u *fleetUnit) {
		i := slices.IndexFunc(cfg.Env.Instances, func(in config.Instance) bool { return in.Name == u.inst.Name })
		p, err := m.Plan(ctx)
		if err == nil {
			dry[i], err = a.dryRunPlan(ctx, &texts[i], m, p)
		}
		u.err = err
	}, nil, nil)
	failed := 0
	for i, u := range units {
		ji := jsonInstanceDryRun{Instance: u.inst.Name, Targets: dry[i]}
		if ji.Targets == nil {
			ji.Targets = []jsonDryRunTarget{}
		}
		if u.err != nil {
			failed++
			ji.Error = a.jsonErrorOf(u.err, codeOf(u.err))
		}
		if a.format == "json" {
			out.Instances = append(out.Instances, ji)
			continue
		}
		switch {
		case u.err != nil:
			fmt.Fprintf(a.stdout, "\n-- instance %s: FAILED: %s\n", u.inst.Name, oneLine(a.shown(u.err.Error())))
		case u.skipped || u.idle:
			fmt.Fprintf(a.stdout, "\n-- instance %s: none of the run's tenants\n", u.inst.Name)
		case len(dry[i]) == 0:
			fmt.Fprintf(a.stdout, "\n-- instance %s: nothing to migrate\n", u.inst.Name)
		default:
			fmt.Fprintf(a.stdout, "\n-- instance %s\n%s", u.inst.Name, texts[i].String())
		}
	}
	if a.format == "json" {
		a.result = out
	}
	if failed > 0 {
		return a.unreadInstances(units, fmt.Errorf("env %s: %d of %d instances could not be read; the dry run shows the others", cfg.Env.Name, failed, len(units)))
	}
	return tenantErr
}
