package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stratadb/strata/config"
)

// A scope is an env: its history table, its targets and their locks.
// migrate, undo, info and validate accept --env several times and run
// once per env, in the order given, each run with its own configuration,
// database and locks, stopping at the first scope that fails; the scopes
// after it are reported as not started.

// scopedCommands are the commands that accept several --env.
var scopedCommands = []string{"migrate", "undo", "info", "validate"}

// jsonScopes is the JSON result of a run over several envs.
type jsonScopes struct {
	Scopes []jsonScope `json:"scopes"`
}

// jsonScope is one env of such a run: status done, failed or not started;
// result is the command's own result for that env (null when it had none),
// error its failure.
type jsonScope struct {
	Env    string     `json:"env"`
	Status string     `json:"status"`
	Result any        `json:"result"`
	Error  *jsonError `json:"error"`
}

// Statuses of a scope.
const (
	scopeDone       = "done"
	scopeFailed     = "failed"
	scopeNotStarted = "not started"
)

// inScopes makes run accept several --env: with one (or none) it is run
// as it is; with several it runs once per env, in order.
func (a *app) inScopes(run func(*cobra.Command, []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if len(a.envFlags) < 2 {
			return run(cmd, args)
		}
		return a.runScopes(cmd, args, run)
	}
}

func (a *app) runScopes(cmd *cobra.Command, args []string, run func(*cobra.Command, []string) error) error {
	envs := a.envFlags
	seen := map[string]bool{}
	for _, e := range envs {
		if seen[e] {
			return fmt.Errorf("--env %s is given twice: give each env once", e)
		}
		seen[e] = true
	}
	if a.url != "" {
		return fmt.Errorf("--url with several --env would point every env at one database: give one --env with --url, or put each env's url in strata.hcl")
	}
	a.scoped = true
	if err := a.begin(); err != nil {
		return err
	}
	ctx := cmd.Context()
	if err := a.checkScopes(envs); err != nil {
		return err
	}
	out := jsonScopes{Scopes: []jsonScope{}}
	var failed error
	failedEnv := ""
	for i, name := range envs {
		if failed != nil {
			out.Scopes = append(out.Scopes, jsonScope{Env: name, Status: scopeNotStarted})
			continue
		}
		a.startScope(name)
		if a.format == "text" {
			if i > 0 {
				fmt.Fprintln(a.stdout)
			}
			fmt.Fprintf(a.stdout, "== env %s (%d of %d) ==\n", name, i+1, len(envs))
		}
		err := run(cmd, args)
		if err != nil && !a.started {
			return err // a usage error, before the command began: the same for every env
		}
		sc := jsonScope{Env: name, Status: scopeDone, Result: a.result}
		if err != nil {
			sc.Status, failed, failedEnv = scopeFailed, err, name
			if ctx.Err() == nil {
				code := codeOf(err)
				sc.Error = a.jsonErrorOf(err, code)
				if a.format == "text" {
					a.renderError(err)
				}
			}
		}
		out.Scopes = append(out.Scopes, sc)
	}
	a.result = out
	if a.format == "text" {
		parts := make([]string, len(out.Scopes))
		for i, sc := range out.Scopes {
			parts[i] = sc.Env + " " + sc.Status
		}
		w := a.stdout
		if failed != nil {
			w = a.stderr
		}
		fmt.Fprintf(w, "\nenvs: %s\n", strings.Join(parts, ", "))
	}
	if failed == nil {
		return nil
	}
	if ctx.Err() != nil {
		return failed // run reports the interrupt
	}
	for _, sc := range out.Scopes {
		if sc.Status == scopeFailed {
			je := *sc.Error
			je.Message = "env " + failedEnv + ": " + je.Message
			a.failure = &je
		}
	}
	return &exitError{code: codeOf(failed)} // rendered above
}

// checkScopes loads the configuration of every env before any runs, so that
// an unknown env or a mistake in one is reported before anything changes;
// the envs are then all reported as not started.
func (a *app) checkScopes(envs []string) error {
	vars, err := parsePairs("var", a.vars)
	if err != nil {
		return err
	}
	phs, err := parsePairs("placeholder", a.placeholders)
	if err != nil {
		return err
	}
	if err := a.resolveSources(); err != nil {
		return err
	}
	for _, name := range envs {
		cfg, diags, err := a.loadFromSources(config.Options{Env: name, Vars: vars, Placeholders: phs})
		if err == nil && !diags.HasErrors() && cfg != nil && cfg.Env != nil {
			continue
		}
		a.startScope(name)
		_, err = a.loadConfig() // renders the diagnostics
		if err == nil {
			err = fmt.Errorf("env %s: the configuration cannot be loaded", name)
		}
		out := jsonScopes{Scopes: []jsonScope{}}
		for _, e := range envs {
			sc := jsonScope{Env: e, Status: scopeNotStarted}
			if e == name {
				sc.Status, sc.Error = scopeFailed, a.jsonErrorOf(err, codeOf(err))
			}
			out.Scopes = append(out.Scopes, sc)
		}
		a.result = out
		if a.format == "text" {
			fmt.Fprintf(a.stderr, "envs: env %s cannot be loaded, so none was started\n", name)
		}
		return err
	}
	return nil
}

// startScope makes the app work on env name, forgetting what the previous
// scope loaded (its secrets stay masked).
func (a *app) startScope(name string) {
	a.pastSecrets = append(a.pastSecrets, a.secrets()...)
	a.envName = name
	a.cfg, a.hclFiles, a.mask, a.maskLoaded = nil, nil, nil, false
	a.result, a.failure = nil, nil
	a.applied, a.appliedKnown = 0, false
}
