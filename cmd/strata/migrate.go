package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/spf13/cobra"

	"github.com/stratadb/strata/config"
	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/locations"
)

// jsonApplied is one applied migration in JSON output.
type jsonApplied struct {
	Version       string `json:"version"`
	Description   string `json:"description"`
	Type          string `json:"type"`
	Script        string `json:"script"`
	ExecutionTime int64  `json:"executionTime"`
}

// jsonMigrateTarget is one target in migrate's JSON output.
type jsonMigrateTarget struct {
	Target        string        `json:"target"`
	TargetVersion string        `json:"targetVersion"`
	Applied       []jsonApplied `json:"applied"`
	Error         *jsonError    `json:"error"`
	Wave          string        `json:"wave,omitempty"`    // the env's rollout: the target's wave
	Retries       int           `json:"retries,omitempty"` // attempts made again after transient failures
}

// jsonMigrate is migrate's JSON result (the envelope's result).
type jsonMigrate struct {
	MigrationsApplied int                 `json:"migrationsApplied"`
	Targets           []jsonMigrateTarget `json:"targets"`
}

func (a *app) migrateCommand() *cobra.Command {
	var target string
	var dryRun, yes, resume bool
	var report, metricsFile, metricsAddr string
	var metricsEvery time.Duration
	var include []string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending migrations",
		Example: `  strata migrate                     # the only env, or the one strata.hcl names
  strata --env prod migrate --dry-run
  strata --env prod migrate --yes    # an env with confirm = true, in CI
  strata --env prod migrate --target 7
  strata migrate --include-discarded 4  # bring back a version undo --discard discarded
  strata --env prod --tenant acme --tenant globex migrate
  strata migrate --placeholder app_role=reader --format json
  strata --env prod migrate --shard 2/4     # this runner's quarter of the tenants
  strata --env prod migrate --wave 2        # a rollout, from its second wave on
  strata --env prod migrate --resume        # a rollout, after the last wave that completed
  strata --env prod migrate --report rollout.json
  strata --env prod migrate --metrics-file /var/lib/node_exporter/strata.prom`,
		Long: `Validate the files against the history, then apply every pending migration,
each in its own transaction together with its history row. Nothing pending is
success. Versions below the highest applied one are refused unless listed in
hotfixes or out_of_order = true. In an env that sets confirm = true, migrate
shows the database, what is pending and a backup reminder, and asks first (on
a terminal; --yes otherwise).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (runErr error) {
			if cmd.Flags().Changed("target") && strings.TrimSpace(target) == "" {
				return errors.New(`--target is empty: give a version, or latest, current or next, or leave the flag out to use the env's target`)
			}
			if t := strings.TrimSuffix(strings.TrimSpace(target), "?"); target != "" && !slices.Contains([]string{"latest", "current", "next"}, strings.ToLower(t)) {
				if _, err := locations.ParseVersion(t); err != nil {
					return fmt.Errorf("--target %q is not a version (%v): give a version such as 7.1, or latest, current or next", target, err)
				}
			}
			if err := a.begin(); err != nil {
				return err
			}
			ctx := cmd.Context()
			var extra []engine.Option
			a.target = target
			a.ackCheck = true
			for _, v := range include {
				if _, err := locations.ParseVersion(v); err != nil {
					return fmt.Errorf("--include-discarded %q is not a version (%v): give the version of a discarded migration", v, err)
				}
			}
			if len(include) > 0 {
				extra = append(extra, engine.WithIncludeDiscarded(include...))
			}
			if resume && a.wave != "" {
				return &exitError{code: exitUsage, err: errors.New("--resume and --wave: give one: --resume goes on after the last wave that completed, --wave N starts at wave N")}
			}
			if dryRun && report != "" {
				return &exitError{code: exitUsage, err: errors.New("--report and --dry-run: a dry run changes nothing, so there is no rollout to report; leave out one of them")}
			}
			fleet, err := a.fleetEnv(ctx)
			if err != nil {
				return err
			}
			var metrics *metricsSink
			if metricsFile != "" || metricsAddr != "" {
				if dryRun {
					return &exitError{code: exitUsage, err: errors.New("--metrics-file and --metrics-addr measure a run; a dry run changes nothing: leave out one of them")}
				}
				if metricsEvery <= 0 {
					return &exitError{code: exitUsage, err: fmt.Errorf("--metrics-interval %s: give a positive duration such as 5s", metricsEvery)}
				}
				if metrics, err = newMetricsSink(a.cfg.Env.Name, metricsFile, metricsAddr, metricsEvery); err != nil {
					return err
				}
				if a.format == "text" && metrics.addr() != "" {
					fmt.Fprintf(a.stderr, "metrics: http://%s/metrics while the run lasts\n", metrics.addr())
				}
				defer func() {
					if werr := metrics.close(); werr != nil && runErr == nil {
						runErr = &exitError{code: exitFailed, err: werr}
					}
				}()
			}
			if fleet {
				if dryRun {
					return a.fleetDryRun(ctx, extra)
				}
				return a.fleetMigrate(ctx, extra, fleetRun{yes: yes, resume: resume, report: report}, metrics)
			}
			if dryRun {
				return a.dryRun(ctx, extra)
			}
			a.appliedKnown = true // 0 until the run says otherwise
			var prog *progress
			var wait *lockWait
			if a.format == "text" {
				wait = a.newLockWait()
				tty := false
				if f, ok := fileOf(a.stdout); ok {
					tty = term.IsTerminal(int(f.Fd()))
				}
				prog = newProgress(a.stdout, tty, time.Now, a.shown)
				prog.where = a.where
				prog.interrupted = func() bool { return ctx.Err() != nil }
				var count func(engine.Event)
				if metrics != nil {
					count = metrics.observer("")
				}
				extra = append(extra, engine.WithObserver(func(e engine.Event) {
					wait.observe(e)
					prog.observe(e)
					if count != nil {
						count(e)
					}
				}))
			} else if metrics != nil {
				extra = append(extra, engine.WithObserver(metrics.observer("")))
			}
			cfg, m, done, err := a.setup(ctx, extra...)
			if err != nil {
				return err // in JSON mode run prints the envelope with the error
			}
			defer done()
			began := time.Now()
			var res *engine.Result
			// lint = "error" or "warning": check what the plan would apply
			// before applying it (PostgreSQL's parser is loaded only here);
			// confirm = true: ask before applying it.
			var p *engine.Plan
			if cfg.Env.Lint != "" {
				err = lintReady(cfg.Env)
			}
			if err == nil {
				p, err = m.Plan(ctx)
			}
			if err == nil && resume && a.format == "text" {
				a.printResume(p)
			}
			if err == nil && cfg.Env.Lint != "" {
				err = a.lintPending(ctx, cfg.Env, p)
			}
			if err == nil && cfg.Env.Confirm {
				err = a.confirmMigrate(cfg, p, yes)
			}
			if err == nil {
				res, err = m.Apply(ctx, p)
			}
			if res != nil {
				a.applied = res.Applied()
			}
			if wait != nil {
				wait.stop()
			}
			if prog != nil {
				prog.finish()
			}
			if report != "" {
				if werr := writeReport(report, a.rolloutReport(cfg.Env.Name, m, p, res, err, began, time.Now())); werr != nil {
					if a.format == "text" {
						fmt.Fprintf(a.stderr, "error: %s\n", werr)
						werr = nil // printed
					}
					if err == nil {
						err = &exitError{code: exitFailed, err: werr}
					}
				}
			}
			if a.format == "json" {
				out := jsonMigrate{Targets: a.jsonMigrateTargets(res)}
				if res != nil {
					out.MigrationsApplied = res.Applied()
				}
				a.result = out
				return err
			}
			if res != nil && len(res.Targets) == 0 && a.shard != "" {
				fmt.Fprintf(a.stdout, "shard %s holds none of the tenants: nothing to migrate\n", a.shard)
				return err
			}
			if res != nil && len(res.Targets) > 1 {
				if prog != nil && !prog.headed() {
					fmt.Fprintf(a.stdout, "migrating %d targets (%s)\n", len(res.Targets), a.where("", len(res.Targets)))
				}
				a.printMigrateSummary(res, time.Since(began), ctx.Err() != nil)
				if err != nil {
					return &exitError{code: codeOf(err)} // each failure is listed above
				}
				return nil
			}
			if res != nil {
				for _, t := range res.Targets {
					switch {
					case t.Err != nil:
					case len(t.Applied) == 0 && t.Version == "":
						fmt.Fprintf(a.stdout, "%s is empty and no migration is pending (%s): nothing to migrate\n", t.Target, a.where(t.Target, 1))
					case len(t.Applied) == 0:
						fmt.Fprintf(a.stdout, "%s is up to date at version %s (%s): nothing to migrate\n", t.Target, t.Version, a.where(t.Target, 1))
					default:
						fmt.Fprintf(a.stdout, "applied %d migration%s to %s, now at version %s (%s)\n", len(t.Applied), plural(len(t.Applied)), t.Target, orEmpty(t.Version), roundDuration(time.Since(began)))
					}
				}
			}
			return err
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "stop at this version (latest, current, next or a version); default: the env's target")
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation in an env that sets confirm = true")
	cmd.Flags().StringArrayVar(&include, "include-discarded", nil, "apply this version although undo --discard discarded it (repeatable)")
	cmd.Flags().BoolVar(&a.allowUnacked, "allow-unacknowledged", false, "run files added, edited or removed since the last strata ack, with a warning (for local work)")
	cmd.Flags().StringVar(&report, "report", "", "write a JSON report of the run to this file: each tenant's outcome, wave, versions before and after, duration, retries and errors (schema: docs/schema/strata-rollout-report.schema.json)")
	cmd.Flags().StringVar(&a.wave, "wave", "", "start the env's rollout at this wave (its name or number); the waves before it are left out")
	cmd.Flags().BoolVar(&resume, "resume", false, "go on with the env's rollout after the last wave that completed (tenants up to date are skipped, so this is migrate again; it says where it resumes)")
	cmd.Flags().StringVar(&metricsFile, "metrics-file", "", "write Prometheus metrics of the run (tenants done, failed and pending, durations, retries) to this file, atomically, every --metrics-interval and at the end")
	cmd.Flags().StringVar(&metricsAddr, "metrics-addr", "", "serve Prometheus metrics of the run at http://ADDR/metrics while it lasts (such as 127.0.0.1:9464)")
	cmd.Flags().DurationVar(&metricsEvery, "metrics-interval", 5*time.Second, "how often --metrics-file is written during the run")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print, per target, the SQL that would run, placeholders replaced (sensitive values shown as ***), and change nothing (no lock, no table created)")
	return cmd
}

// printResume says at which wave a rollout resumes: the first with a
// tenant that has pending migrations or was refused.
func (a *app) printResume(p *engine.Plan) {
	if len(p.Waves) == 0 {
		return
	}
	byName := make(map[string]*engine.TargetPlan, len(p.Targets))
	for _, tp := range p.Targets {
		byName[tp.Target.Name] = tp
	}
	for i, w := range p.Waves {
		for _, t := range w.Targets {
			if tp := byName[t]; tp != nil && (len(tp.Pending) > 0 || tp.NonEmpty != nil) {
				if i == 0 {
					fmt.Fprintf(a.stdout, "resuming the rollout at wave %d %s: no wave is complete yet\n", w.Number, w.Name)
				} else {
					fmt.Fprintf(a.stdout, "resuming the rollout at wave %d %s: waves %d to %d are complete\n", w.Number, w.Name, p.Waves[0].Number, p.Waves[i-1].Number)
				}
				return
			}
		}
	}
	fmt.Fprintln(a.stdout, "every wave of the rollout is complete")
}

// confirmMigrate asks before migrating an env that sets confirm = true:
// the database (never the password), its schemas and tenants, what is
// pending, and a reminder to take a backup. Nothing pending asks nothing.
func (a *app) confirmMigrate(cfg *config.Config, p *engine.Plan, yes bool) error {
	if yes || p.Pending() == 0 {
		return nil
	}
	env := cfg.Env
	var lines []string
	if len(env.Schemas) > 0 && !strings.HasPrefix(database(env, cfg.Dir), "sqlite ") {
		lines = append(lines, "schemas: "+strings.Join(env.Schemas, ", "))
	}
	type file struct {
		label   string
		targets int
	}
	var files []*file
	byPath := map[string]*file{}
	behind := 0
	for _, tp := range p.Targets {
		if len(tp.Pending) > 0 {
			behind++
		}
		for _, e := range tp.Pending {
			path := e.File.Path()
			f := byPath[path]
			if f == nil {
				f = &file{label: fmt.Sprintf("%s %s (%s)", label(e), e.Description, path)}
				byPath[path] = f
				files = append(files, f)
			}
			f.targets++
		}
	}
	if env.Tenants != nil {
		lines = append(lines, fmt.Sprintf("tenants: %d, %d of them with pending migrations", len(p.Targets), behind))
	}
	lines = append(lines, fmt.Sprintf("pending: %d migration%s on %d target%s:", p.Pending(), plural(p.Pending()), behind, plural(behind)))
	for i, f := range files {
		if i == 20 {
			lines = append(lines, fmt.Sprintf("  ... and %d more (strata migrate --dry-run lists them all)", len(files)-20))
			break
		}
		on := ""
		if len(p.Targets) > 1 {
			on = fmt.Sprintf(" on %d target%s", f.targets, plural(f.targets))
		}
		lines = append(lines, "  "+f.label+on)
	}
	lines = append(lines, "take a backup first: a migration that has run is taken back only by its undo file, if it has one")
	return a.confirmWith(fmt.Sprintf("migrate (confirm = true in env %s)", env.Name), lines, nil, false)
}

// jsonDryRun is migrate --dry-run's JSON result.
type jsonDryRun struct {
	DryRun  bool               `json:"dryRun"`
	Waves   []jsonWave         `json:"waves,omitempty"`
	Targets []jsonDryRunTarget `json:"targets"`
}

// jsonWave is one wave of a rollout in migrate --dry-run's JSON.
type jsonWave struct {
	Number      int      `json:"number"`
	Name        string   `json:"name"`
	Tenants     []string `json:"tenants"`
	Parallel    int      `json:"parallel"`
	MaxFailures int      `json:"maxFailures"`
	Pause       int64    `json:"pause"`
}

type jsonDryRunTarget struct {
	Target     string             `json:"target"`
	Refused    string             `json:"refused,omitempty"` // why migrate would leave this target untouched
	Migrations []jsonDryRunScript `json:"migrations"`
}

type jsonDryRunScript struct {
	Version       string   `json:"version"`
	Description   string   `json:"description"`
	Type          string   `json:"type"`
	Script        string   `json:"script"`
	Transactional bool     `json:"transactional"`
	Statements    []string `json:"statements"`
}

// dryRun prints what migrate would run and changes nothing.
func (a *app) dryRun(ctx context.Context, extra []engine.Option) error {
	a.readOnly = true
	cfg, m, done, err := a.setup(ctx, extra...)
	if err != nil {
		return err
	}
	defer done()
	p, err := m.Plan(ctx)
	if err != nil {
		return err
	}
	out := jsonDryRun{DryRun: true, Targets: []jsonDryRunTarget{}}
	if a.format == "text" {
		fmt.Fprintf(a.stdout, "-- strata migrate --dry-run (env %s, %s): nothing below has been run\n", cfg.Env.Name, a.where("", 0))
	}
	for _, w := range p.Waves {
		if a.format == "json" {
			out.Waves = append(out.Waves, jsonWave{Number: w.Number, Name: w.Name, Tenants: append([]string{}, w.Targets...),
				Parallel: w.Parallel, MaxFailures: w.Budget, Pause: w.Pause.Milliseconds()})
			continue
		}
		fmt.Fprintln(a.stdout, waveHeader(w, len(w.Targets), strings.Join(w.Targets, ", ")))
	}
	if out.Targets, err = a.dryRunPlan(ctx, a.stdout, m, p); err != nil {
		return err
	}
	if a.format == "json" {
		a.result = out
		return nil
	}
	if len(out.Targets) == 0 {
		fmt.Fprintln(a.stdout, "-- nothing to migrate")
	}
	return nil
}

// waveHeader is a wave's line in a dry run.
func waveHeader(w engine.PlanWave, tenants int, names string) string {
	pause := ""
	if w.Pause > 0 {
		pause = fmt.Sprintf(", then a pause of %s", w.Pause)
	}
	return fmt.Sprintf("-- wave %d %s (%d tenant%s, parallel %d, max_failures %d%s): %s", w.Number, w.Name,
		tenants, plural(tenants), w.Parallel, w.Budget, pause, names)
}

// dryRunPlan writes (text) or returns (JSON) what p would run: the refused
// targets, then each target's scripts. In text, the targets it returns
// only say which ones would run something.
func (a *app) dryRunPlan(ctx context.Context, w io.Writer, m *engine.Migrator, p *engine.Plan) ([]jsonDryRunTarget, error) {
	targets := []jsonDryRunTarget{}
	for _, tp := range p.Targets {
		if tp.NonEmpty == nil {
			continue
		}
		if a.format == "json" {
			targets = append(targets, jsonDryRunTarget{Target: tp.Target.Name, Refused: a.shown(tp.NonEmpty.Error()), Migrations: []jsonDryRunScript{}})
			continue
		}
		fmt.Fprintf(w, "\n-- target %s: refused, nothing would run there: %s\n", tp.Target.Name, firstLine(a.shown(tp.NonEmpty.Error())))
	}
	last := ""
	err := m.DryRun(ctx, p, func(sc engine.Script) error {
		e := sc.Migration
		if sc.Target != last {
			targets = append(targets, jsonDryRunTarget{Target: sc.Target, Migrations: []jsonDryRunScript{}})
			last = sc.Target
			if a.format == "text" {
				fmt.Fprintf(w, "\n-- target %s\n", sc.Target)
			}
		}
		if a.format == "json" {
			jt := &targets[len(targets)-1]
			stmts := make([]string, len(sc.Statements))
			for i, st := range sc.Statements {
				stmts[i] = a.shown(st) // sensitive placeholder values are shown as ***
			}
			jt.Migrations = append(jt.Migrations, jsonDryRunScript{Version: e.Version, Description: e.Description, Type: e.Type,
				Script: e.Script, Transactional: sc.Transactional, Statements: stmts})
			return nil
		}
		how := "in one transaction with its history row"
		if !sc.Transactional {
			how = "statement by statement, outside a transaction"
		}
		fmt.Fprintf(w, "\n-- %s (%s %s, %s), %s\n", e.File.Path(), strings.ToLower(string(e.Category)), orDash(e.Version), e.Description, how)
		for _, st := range sc.Statements {
			fmt.Fprintf(w, "%s;\n", a.shown(st)) // sensitive placeholder values are shown as ***
		}
		return nil
	})
	return targets, err
}

func orDash(v string) string {
	if v == "" {
		return "-"
	}
	return v
}

// targetOutcome is how a target of a migrate run ended.
type targetOutcome int

const (
	outcomeUpToDate    targetOutcome = iota // nothing was pending
	outcomeMigrated                         // this run applied migrations
	outcomeByOther                          // another runner applied what was pending
	outcomeFailed                           // an error of its own
	outcomeInterrupted                      // stopped by the run's interruption
	outcomeNotStarted                       // never started: a wave over budget, on_error = stop, an interruption
	outcomes                                // the number of outcomes
)

// outcomeOf says how t ended. interrupted: the run's context is done, so
// a cancellation is an interruption, not a failure.
func outcomeOf(t engine.TargetResult, interrupted bool) targetOutcome {
	switch {
	case t.Err != nil && notStartedErr(t.Err):
		return outcomeNotStarted
	case t.Err != nil && interrupted && interruptedErr(t.Err):
		return outcomeInterrupted
	case t.Err != nil:
		return outcomeFailed
	case len(t.Applied) > 0:
		return outcomeMigrated
	case t.DoneByOther:
		return outcomeByOther
	}
	return outcomeUpToDate
}

// notStartedErr reports whether err is that of a target, or an instance,
// that was never started.
func notStartedErr(err error) bool { return strings.Contains(err.Error(), ": not started: ") }

// printMigrateSummary ends a run over several targets with a few lines.
// When the run was interrupted, a target the interruption stopped is
// counted and listed as interrupted, not as failed.
func (a *app) printMigrateSummary(res *engine.Result, took time.Duration, interrupted bool) {
	var n [outcomes]int
	for _, t := range res.Targets {
		n[outcomeOf(t, interrupted)]++
	}
	fmt.Fprintf(a.stdout, "%d targets: %d migrated (%d migration%s), %d already up to date", len(res.Targets), n[outcomeMigrated], res.Applied(), plural(res.Applied()), n[outcomeUpToDate])
	if n[outcomeByOther] > 0 {
		fmt.Fprintf(a.stdout, ", %d done by another runner", n[outcomeByOther])
	}
	if n[outcomeFailed] > 0 {
		fmt.Fprintf(a.stdout, ", %d failed", n[outcomeFailed])
	}
	if n[outcomeInterrupted] > 0 {
		fmt.Fprintf(a.stdout, ", %d interrupted", n[outcomeInterrupted])
	}
	if n[outcomeNotStarted] > 0 {
		fmt.Fprintf(a.stdout, ", %d not started", n[outcomeNotStarted])
	}
	fmt.Fprintf(a.stdout, " (%s)\n", roundDuration(took))
	var notRun []string
	for _, w := range res.Waves {
		if w.Outcome == engine.WaveNotStarted {
			notRun = append(notRun, fmt.Sprintf("%d %s (%d tenant%s)", w.Number, w.Name, w.Targets, plural(w.Targets)))
		}
	}
	if len(notRun) > 0 {
		fmt.Fprintf(a.stdout, "waves not started: %s\n", strings.Join(notRun, ", "))
	}
	if n[outcomeInterrupted] > 0 {
		fmt.Fprintln(a.stderr, "interrupted targets:")
		for _, t := range res.Targets {
			if outcomeOf(t, interrupted) == outcomeInterrupted {
				fmt.Fprintf(a.stderr, "  %s: %s\n", t.Target, a.shown(interruptedTenant(t)))
			}
		}
	}
	if n[outcomeFailed] > 0 {
		fmt.Fprintln(a.stderr, "failed targets:")
		for _, t := range res.Targets {
			if outcomeOf(t, interrupted) == outcomeFailed {
				fmt.Fprintf(a.stderr, "  %s: %s\n", t.Target, a.shown(firstLine(t.Err.Error())))
				var me *engine.MigrationError
				if errors.As(t.Err, &me) && me.Detail != "" {
					fmt.Fprintf(a.stderr, "    detail: %s\n", a.shown(me.Detail))
				}
			}
		}
		fmt.Fprintln(a.stderr, "fix the cause and run migrate again: it picks up only what is left")
	}
}

func label(e *engine.Entry) string {
	switch e.Category {
	case engine.CategoryRepeatable:
		return "R"
	case engine.CategoryBaseline:
		return "B" + e.Version
	case engine.CategoryUndo:
		return "U" + e.Version
	}
	return "V" + e.Version
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func orEmpty(v string) string {
	if v == "" {
		return "<< Empty Schema >>"
	}
	return v
}

func roundDuration(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Millisecond)
}
