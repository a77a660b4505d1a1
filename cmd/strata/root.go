package main

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/stratadb/strata/config"
	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/mysql"
	"github.com/stratadb/strata/engine/postgres"
	"github.com/stratadb/strata/engine/sqlite"
	"github.com/stratadb/strata/engine/sqlserver"
	"github.com/stratadb/strata/internal/redact"
	"github.com/stratadb/strata/locations"
	"github.com/stratadb/strata/placeholders"
)

// app holds the global flags and what one invocation loaded.
type app struct {
	stdout, stderr io.Writer
	configPath     string
	envName        string
	envFlags       []string // every --env given: several run the scoped commands once per env (scopes.go)
	scoped         bool     // this run goes over several envs (runScopes)
	pastSecrets    []string // the secrets of the envs an earlier scope loaded, still masked
	vars           []string
	url            string
	locations      []string // --locations, for a run without strata.hcl
	src            sources  // see resolveSources
	placeholders   []string
	format         string
	tenants        []string
	shard          string         // --shard i/n
	wave           string         // migrate --wave: the wave to start at
	fleetProg      *fleetProgress // migrate on a fleet, text: a line per finished tenant
	target         string         // migrate --target; overrides the env's target
	applied        int            // migrations migrate applied, for the note after an interrupt
	appliedKnown   bool           // migrate ran: applied is known
	readOnly       bool           // the command only reads: open the database so that nothing is created
	ackCheck       bool           // the command refuses files not acknowledged in strata.sum (see checkAck)
	allowUnacked   bool           // --allow-unacknowledged: those files are warnings
	started        bool

	hclFiles   map[string]*hcl.File // for rendering diagnostics
	cfg        *config.Config
	mask       *redact.Masker // see masker
	maskLoaded bool           // mask was made with cfg loaded

	// JSON output (see jsonout.go): the command's result, the warnings,
	// and a failure already rendered on stderr without an error value.
	result   any
	warnings []jsonProblem
	failure  *jsonError
	outMu    sync.Mutex // warnings and failure, written by the instances of a fleet at once

	interruptNoted bool // the command already said what an interruption kept
}

// dialects maps URL schemes to dialects. Each entry opens the database of
// an env and returns the dialect to use with it.
var dialects = map[string]func(a *app, ctx context.Context, cfg *config.Config, readOnly bool) (engine.Dialect, *sql.DB, error){
	"sqlite":     (*app).openSQLite,
	"postgres":   (*app).openPostgres,
	"postgresql": (*app).openPostgres,
	"sqlserver":  (*app).openSQLServer,
	"mysql":      (*app).openMySQL,
	"mariadb":    (*app).openMySQL,
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	stdout, stderr = escWriter{raw: stdout}, escWriter{raw: stderr}
	a := &app{stdout: stdout, stderr: stderr}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil && !root.PersistentFlags().Changed("format") && jsonRequested(args) {
		a.format = "json" // the command line failed before its flags were read
	}
	if a.format == "json" && (a.started || err != nil) {
		// Exactly one JSON document, whatever happened.
		name := ""
		if cmd != nil && cmd != root {
			name = cmd.Name()
		}
		defer func() { a.writeEnvelope(name, err, code) }()
	}
	if err == nil {
		return exitOK
	}
	if !a.started {
		fmt.Fprintf(stderr, "error: %v\nrun 'strata --help' for usage\n", err)
		return exitUsage
	}
	if ctx.Err() != nil {
		a.renderError(err)
		var me *engine.MigrationError
		switch {
		case errors.Is(err, errInterruptedConnecting):
		case a.interruptNoted: // a fleet's migrate said per instance what was kept
		case errors.As(err, &me) && me.OutcomeUnknown:
			fmt.Fprintln(stderr, "interrupted: the connection was lost while a migration ran, so whether it committed is unknown; those already applied are kept; run the same command again: it reads the history and applies only what is not there")
		default:
			fmt.Fprintln(stderr, interruptedNote(err, a.applied, a.appliedKnown))
		}
		return exitInterrupted
	}
	a.renderError(err)
	return codeOf(err)
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "strata",
		Short: "SQL migrations for environments, schemas and tenants, compatible with Flyway's files",
		Long: `Strata applies versioned (V), repeatable (R), baseline (B) and undo (U) SQL
migrations, named as Flyway names them, to the environments declared in strata.hcl,
or, without one, to the database of --url (or STRATA_URL, or DATABASE_URL) with
the migrations of --locations. strata init writes a strata.hcl to start from.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       versionText(),
	}
	pf := root.PersistentFlags()
	pf.StringVarP(&a.configPath, "config", "c", "", "path of the configuration file (default strata.hcl, or $STRATA_CONFIG)")
	pf.VarP(&envFlag{a: a}, "env", "e", "environment to use (required when strata.hcl declares several; default $STRATA_ENV); migrate, undo, info and validate take it several times and run each env in turn")
	pf.StringArrayVar(&a.vars, "var", nil, "set a variable declared in strata.hcl: --var name=value (repeatable)")
	pf.StringVar(&a.url, "url", "", "database URL, replacing the env's url, or naming the database of a run without strata.hcl (visible in the process list: prefer $STRATA_URL or env() in strata.hcl)")
	pf.StringSliceVar(&a.locations, "locations", nil, "migrations folders of a run without strata.hcl, comma-separated (default migrations)")
	pf.StringArrayVar(&a.placeholders, "placeholder", nil, "set a placeholder value: --placeholder name=value (repeatable)")
	pf.StringVar(&a.format, "format", "text", "output format: text or json")
	pf.StringArrayVar(&a.tenants, "tenant", nil, "only this tenant (repeatable); it must be one of the env's tenants")
	pf.StringVar(&a.shard, "shard", "", "only shard i of n of the env's tenants (e.g. 2/4): n runners with 1/n to n/n cover every tenant once; the split hashes the tenant names")
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(a.migrateCommand(), a.infoCommand(), a.validateCommand(), a.newCommand(), a.configCommand(),
		a.baselineCommand(), a.repairCommand(), a.undoCommand(), a.cleanCommand(), a.waitCommand(), a.initCommand(), a.versionCommand(),
		a.ackCommand(), a.markAppliedCommand(), a.undoGenCommand(), a.lintCommand())
	for _, c := range root.Commands() {
		if slices.Contains(scopedCommands, c.Name()) {
			c.RunE = a.inScopes(c.RunE)
		}
	}
	a.registerCompletions(root)
	return root
}

// envFlag is --env: it keeps every value given, so that several run the
// scoped commands once per env and the other commands refuse them, rather
// than letting the last one win silently.
type envFlag struct{ a *app }

func (f *envFlag) String() string { return f.a.envName }
func (f *envFlag) Type() string   { return "string" }
func (f *envFlag) Set(v string) error {
	f.a.envFlags = append(f.a.envFlags, v)
	f.a.envName = v
	return nil
}

// begin is called first by every command: flags are parsed and valid.
func (a *app) begin() error {
	if len(a.envFlags) > 1 && !a.scoped {
		return fmt.Errorf("--env is given %d times (%s): only %s run over several envs; give --env once here, and run strata once per env",
			len(a.envFlags), strings.Join(a.envFlags, ", "), strings.Join(scopedCommands, ", "))
	}
	switch a.format {
	case "text", "json":
	default:
		return fmt.Errorf("--format %q: want text or json", a.format)
	}
	a.started = true
	return nil
}

func parsePairs(flag string, pairs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, &exitError{code: exitUsage, err: fmt.Errorf("--%s %q: want name=value", flag, p)}
		}
		out[strings.TrimSpace(k)] = v
	}
	return out, nil
}

// loadConfig loads strata.hcl and selects the env; diagnostics are rendered
// here.
func (a *app) loadConfig() (*config.Config, error) {
	if a.cfg != nil {
		return a.cfg, nil // loaded already in this run (migrate and info look for instances first)
	}
	vars, err := parsePairs("var", a.vars)
	if err != nil {
		return nil, err
	}
	phs, err := parsePairs("placeholder", a.placeholders)
	if err != nil {
		return nil, err
	}
	if err := a.resolveSources(); err != nil {
		return nil, err
	}
	cfg, diags, err := a.loadFromSources(config.Options{Env: a.envName, Vars: vars, Placeholders: phs})
	if err != nil {
		return nil, err
	}
	if cfg != nil {
		a.hclFiles = cfg.Files
	}
	if len(diags) > 0 {
		a.writeDiagnostics(diags)
		a.configFailure(diags)
	}
	if diags.HasErrors() || cfg == nil || cfg.Env == nil {
		a.noConfigHint()
		return nil, &exitError{code: exitUsage}
	}
	a.cfg = cfg
	return cfg, nil
}

// collect finds the env's migration files.
func (a *app) collect(cfg *config.Config) (*locations.Set, error) {
	env := cfg.Env
	roots := make([]locations.Root, 0, len(env.Locations))
	for _, l := range env.Locations {
		roots = append(roots, locations.Root{Name: locationName(l), FS: os.DirFS(l.Path), Override: l.Override})
	}
	set, err := locations.Collect(roots, locations.Options{ValidateNaming: env.ValidateNaming, Naming: env.Naming})
	if err != nil {
		return nil, err
	}
	for _, w := range set.Warnings {
		fmt.Fprintf(a.stderr, "warning: %s: %s\n", w.Path, w.Message)
		a.warn(w.Path, w.Message)
	}
	if err := engine.CheckLimits(set); err != nil {
		return nil, err // before the database is opened, let alone created
	}
	for _, c := range set.Callbacks {
		if !engine.RunsCallback(c.Event) {
			fmt.Fprintf(a.stderr, "warning: %s: strata runs the migrate callbacks only (beforeMigrate, beforeEachMigrate, afterEachMigrate, afterVersioned, beforeRepeatables, afterMigrateApplied, afterMigrate, afterEachMigrateError, afterMigrateError); %s is ignored\n", c.Path(), c.Event)
			a.warn(c.Path(), "strata runs the migrate callbacks only; "+c.Event+" is ignored")
		}
	}
	return set, nil
}

// locationName is how messages name a location: its folder relative to
// the working directory (absolute when that is shorter), so that every path
// in a message opens from where strata runs, as HCL diagnostics do.
func locationName(l config.Location) string {
	return filepath.ToSlash(relPath(l.Path))
}

// open connects to the env's database.
func (a *app) open(ctx context.Context, cfg *config.Config) (engine.Dialect, *sql.DB, error) {
	u := cfg.Env.URL.Text
	scheme, _, ok := strings.Cut(u, ":")
	open := dialects[strings.ToLower(scheme)]
	if !ok || open == nil {
		var names []string
		for k := range dialects {
			names = append(names, k+"://")
		}
		sort.Strings(names)
		return nil, nil, a.urlError(cfg.Env, "Unsupported database", fmt.Sprintf("env %s: url %s: unsupported database; supported: %s. Nothing was applied: fix the url's scheme.",
			cfg.Env.Name, config.RedactURL(u), strings.Join(names, ", ")))
	}
	return open(a, ctx, cfg, a.readOnly)
}

// urlError reports a url that cannot be used, with the position of the url
// in strata.hcl (file:line:col), and returns a usage error that is already
// rendered. No snippet: the line may hold a password.
func (a *app) urlError(env *config.Env, summary, detail string) error {
	detail = a.shown(detail)
	a.urlFailure(env.URLRange, summary, detail)
	switch {
	case a.src.urlFrom != "":
		fmt.Fprintf(a.stderr, "error: %s: %s: %s\n", a.src.urlFrom, strings.ToLower(summary), detail)
	case env.URLRange.Filename != "":
		r := env.URLRange
		fmt.Fprintf(a.stderr, "%s:%d:%d: error: %s\n\n%s\n", r.Filename, r.Start.Line, r.Start.Column, summary, detail)
	default:
		fmt.Fprintf(a.stderr, "error: %s: %s\n", strings.ToLower(summary), detail)
	}
	return &exitError{code: exitUsage}
}

func (a *app) openSQLite(ctx context.Context, cfg *config.Config, readOnly bool) (engine.Dialect, *sql.DB, error) {
	env := cfg.Env
	path, err := sqlite.PathFromURL(env.URL.Text, cfg.Dir)
	if err != nil {
		return nil, nil, a.urlError(env, "Invalid database URL", fmt.Sprintf("env %s: %s. Nothing was applied: fix the url.", env.Name, redactAll(err.Error())))
	}
	if len(env.Schemas) > 1 || (len(env.Schemas) == 1 && env.Schemas[0] != "main") {
		return nil, nil, &exitError{code: exitUsage, err: fmt.Errorf("env %s: sqlite has one schema, main: remove schemas = %q", env.Name, env.Schemas)}
	}
	if env.Tenants != nil {
		return nil, nil, &exitError{code: exitUsage, err: fmt.Errorf("env %s: sqlite has one schema, so it cannot have tenants: remove the tenants block or use postgres", env.Name)}
	}
	open := sqlite.Open
	if readOnly {
		open = sqlite.OpenReadOnly
	}
	db, err := open(path, env.Lock.Timeout)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", errUnreachable, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("%w: open sqlite database %s: %w", errUnreachable, relPath(path), err)
	}
	return sqlite.New(), db, nil
}

func (a *app) openPostgres(ctx context.Context, cfg *config.Config, _ bool) (engine.Dialect, *sql.DB, error) {
	db, err := postgres.Open(ctx, cfg.Env.URL.Text, pgOptions(cfg.Env))
	return a.connected(ctx, cfg.Env, postgres.New(), db, err)
}

func (a *app) openSQLServer(ctx context.Context, cfg *config.Config, _ bool) (engine.Dialect, *sql.DB, error) {
	db, err := sqlserver.Open(ctx, cfg.Env.URL.Text, sqlserver.Options{ConnectTimeout: cfg.Env.ConnectTimeout, NetworkTimeout: cfg.Env.NetworkTimeout})
	return a.connected(ctx, cfg.Env, sqlserver.New(), db, err)
}

func (a *app) openMySQL(ctx context.Context, cfg *config.Config, _ bool) (engine.Dialect, *sql.DB, error) {
	db, err := mysql.Open(ctx, cfg.Env.URL.Text, mysqlOptions(cfg.Env))
	return a.connected(ctx, cfg.Env, mysql.New(), db, err)
}

// mysqlOptions are the MySQL and MariaDB connection options of env.
func mysqlOptions(env *config.Env) mysql.Options {
	return mysql.Options{ConnectTimeout: env.ConnectTimeout, NetworkTimeout: env.NetworkTimeout}
}

// pgOptions are the PostgreSQL connection options of env.
func pgOptions(env *config.Env) postgres.Options {
	return postgres.Options{Pooler: env.Pooler, ConnectTimeout: env.ConnectTimeout, NetworkTimeout: env.NetworkTimeout}
}

// connected checks that a server database answers, trying again as
// connect_retries says (see ping), and caps its pool at one connection per
// worker plus one for planning: parallel + 1.
func (a *app) connected(ctx context.Context, env *config.Env, d engine.Dialect, db *sql.DB, openErr error) (engine.Dialect, *sql.DB, error) {
	if openErr != nil {
		return nil, nil, a.urlError(env, "Invalid database URL", fmt.Sprintf("env %s: %s. Nothing was applied: fix the url.", env.Name, openErr.Error())) // urlError redacts
	}
	if err := a.ping(ctx, env, db); err != nil {
		db.Close()
		return nil, nil, err
	}
	parallel := 1
	if env.Tenants != nil {
		parallel = env.Tenants.Parallel
	}
	if env.Rollout != nil {
		for _, w := range env.Rollout.Waves {
			parallel = max(parallel, w.Parallel)
		}
	}
	db.SetMaxOpenConns(parallel + 1)
	db.SetMaxIdleConns(parallel + 1)
	return d, db, nil
}

// migrator builds an engine.Migrator from the env.
func (a *app) migrator(cfg *config.Config, d engine.Dialect, db *sql.DB, set *locations.Set, extra ...engine.Option) (*engine.Migrator, error) {
	env := cfg.Env
	opts := []engine.Option{
		engine.WithHistoryTable(env.History.Schema, env.History.Table),
		engine.WithSchemas(env.Schemas...),
		engine.WithEnvName(env.Name),
		engine.WithInstalledBy(env.InstalledBy),
		engine.WithIgnorePatterns(env.IgnoreMigrationPatterns...),
		engine.WithLockWait(env.Lock.Timeout),
		engine.WithServerTimeouts(engine.ServerTimeouts{Lock: env.LockTimeout, Statement: env.StatementTimeout}),
		engine.WithTarget(cmp.Or(a.target, env.Target)),
		engine.WithSecrets(a.secrets()...),
	}
	if env.BaselineOnMigrate {
		opts = append(opts, engine.WithBaselineOnMigrate(env.BaselineVersion, env.BaselineDescription))
	}
	if env.Pooler == "transaction" {
		opts = append(opts, engine.WithPooling(engine.TransactionPooling))
	}
	if t := env.Tenants; t != nil {
		onError := engine.ContinueOnError
		if t.OnError == "stop" {
			onError = engine.StopOnError
		}
		opts = append(opts, engine.WithTenantSource(engine.TenantSource{Schemas: t.Schemas, Query: t.Query, Pattern: t.Pattern}),
			engine.WithParallel(t.Parallel), engine.WithOnError(onError), engine.WithTargetRetries(t.Retries, time.Second))
	}
	if len(a.tenants) > 0 {
		if env.Tenants == nil {
			return nil, &exitError{code: exitUsage, err: fmt.Errorf("--tenant: env %s has no tenants block", env.Name)}
		}
		// An env with instances gives each instance its share of --tenant.
		if !slices.ContainsFunc(extra, func(o engine.Option) bool { return o.Name() == "WithTenantFilter" }) {
			opts = append(opts, engine.WithTenantFilter(a.tenants...))
		}
	}
	if ro := env.Rollout; ro != nil && env.Tenants != nil {
		opts = append(opts, engine.WithWaves(engineWaves(ro)...))
		if a.wave != "" {
			opts = append(opts, engine.WithStartWave(a.wave))
		}
	}
	if a.shard != "" {
		sh, err := a.shardFlag(env)
		if err != nil {
			return nil, err
		}
		opts = append(opts, engine.WithShard(sh))
	}
	policy := engine.InOrder
	if env.OutOfOrder {
		policy = engine.AllowOutOfOrder
	}
	opts = append(opts, engine.WithOutOfOrder(policy, env.Hotfixes...))
	if env.Placeholders.Enabled {
		raw := make(map[string]string, len(env.Placeholders.Values))
		for k, v := range env.Placeholders.Values {
			raw[k] = v.Text
		}
		vals, err := placeholders.NewValues(raw)
		if err != nil {
			return nil, &exitError{code: exitUsage, err: fmt.Errorf("env %s: placeholders: %w", env.Name, err)}
		}
		opts = append(opts, engine.WithPlaceholders(placeholders.Syntax{Prefix: env.Placeholders.Prefix, Suffix: env.Placeholders.Suffix}, vals))
	} else {
		opts = append(opts, engine.WithoutPlaceholders())
	}
	m, err := engine.New(d, db, set, append(opts, extra...)...)
	if err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	return m, nil
}

// setup loads everything a database command needs.
func (a *app) setup(ctx context.Context, extra ...engine.Option) (*config.Config, *engine.Migrator, func(), error) {
	cfg, err := a.loadConfig()
	if err != nil {
		return nil, nil, nil, err
	}
	if len(cfg.Env.Instances) > 0 {
		return nil, nil, nil, errFleetOnly(cfg.Env)
	}
	if err := a.registryOne(ctx, cfg); err != nil {
		return nil, nil, nil, err
	}
	set, err := a.collect(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	if a.ackCheck {
		if err := a.checkAck(cfg, set); err != nil {
			return nil, nil, nil, err // before the database is opened
		}
	}
	if len(a.tenants) > 0 && cfg.Env.Tenants == nil {
		// Before the database is opened (a SQLite file would be created).
		return nil, nil, nil, &exitError{code: exitUsage, err: fmt.Errorf("--tenant: env %s has no tenants block", cfg.Env.Name)}
	}
	if a.wave != "" && cfg.Env.Rollout == nil {
		return nil, nil, nil, &exitError{code: exitUsage, err: fmt.Errorf("--wave: env %s has no rollout block, so it has no waves", cfg.Env.Name)}
	}
	if a.shard != "" {
		if _, err := a.shardFlag(cfg.Env); err != nil {
			return nil, nil, nil, err // before the database is opened
		}
	}
	d, db, err := a.open(ctx, cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	// The commands without an observer of their own (all but migrate,
	// which shows the wait beside its progress) say when they wait for a
	// lock.
	stopWait := func() {}
	if a.format == "text" && !slices.ContainsFunc(extra, func(o engine.Option) bool { return o.Name() == "WithObserver" }) {
		wait := a.newLockWait()
		extra = append(extra, engine.WithObserver(wait.observe))
		stopWait = wait.stop
	}
	m, err := a.migrator(cfg, d, db, set, extra...)
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	return cfg, m, func() { stopWait(); db.Close() }, nil
}

// shardFlag reads --shard for env, which must have tenants.
func (a *app) shardFlag(env *config.Env) (engine.Shard, error) {
	if env.Tenants == nil {
		return engine.Shard{}, &exitError{code: exitUsage, err: fmt.Errorf("--shard: env %s has no tenants block: a shard is a share of an env's tenants", env.Name)}
	}
	sh, err := engine.ParseShard(a.shard)
	if err != nil {
		return engine.Shard{}, &exitError{code: exitUsage, err: fmt.Errorf("--shard: %w", err)}
	}
	return sh, nil
}
