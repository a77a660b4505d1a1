package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stratadb/strata/config"
	"github.com/stratadb/strata/locations"
)

// flagError adds a "did you mean" to an unknown flag: the command's flag
// closest to the one given, when one is close enough to be a typo.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	var given string
	switch {
	case strings.HasPrefix(msg, "unknown flag: --"):
		given = strings.TrimPrefix(msg, "unknown flag: --")
	case strings.HasPrefix(msg, "unknown shorthand flag: "):
		return err // one letter: nothing sensible to suggest
	default:
		return err
	}
	given, _, _ = strings.Cut(given, "=")
	if s := closestFlag(cmd, given); s != "" {
		return fmt.Errorf("%w (did you mean --%s?)", err, s)
	}
	return err
}

// closestFlag is the name of cmd's flag (its own and inherited) nearest to
// given: at most two edits away, or given as a prefix of only one flag.
func closestFlag(cmd *cobra.Command, given string) string {
	var names []string
	visit := func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	}
	cmd.Flags().VisitAll(visit)
	cmd.InheritedFlags().VisitAll(visit)
	slices.Sort(names)
	names = slices.Compact(names)
	best, bestDist := "", 3
	var prefixed []string
	for _, n := range names {
		if strings.HasPrefix(n, given) {
			prefixed = append(prefixed, n)
		}
		if d := levenshtein.Distance(given, n, nil); d < bestDist {
			best, bestDist = n, d
		}
	}
	if best == "" && len(prefixed) == 1 {
		best = prefixed[0]
	}
	return best
}

// registerCompletions completes flag values from strata.hcl and the
// migration files: --env from the env names, --tenant from an env's tenant
// list, --format, --target from latest, current, next and the versions of
// the env's files, and versions for --include-discarded, undo --to and
// mark-applied's arguments.
func (a *app) registerCompletions(root *cobra.Command) {
	noFiles := cobra.ShellCompDirectiveNoFileComp
	_ = root.RegisterFlagCompletionFunc("env", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		cfg := a.completionConfig(config.Options{})
		if cfg == nil {
			return nil, noFiles
		}
		return cfg.Envs, noFiles
	})
	_ = root.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "json"}, noFiles))
	_ = root.RegisterFlagCompletionFunc("tenant", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, env := range a.completionEnvs() {
			if env.Tenants != nil {
				out = append(out, env.Tenants.Schemas...) // a query or a pattern needs the database
			}
		}
		return sortedUnique(out), noFiles
	})
	versions := func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return append([]string{"latest", "current", "next"}, a.completionVersions()...), noFiles
	}
	for _, c := range root.Commands() {
		switch c.Name() {
		case "migrate":
			_ = c.RegisterFlagCompletionFunc("target", versions)
			_ = c.RegisterFlagCompletionFunc("include-discarded", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
				return a.completionVersions(), noFiles
			})
		case "mark-applied":
			c.ValidArgsFunction = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
				return a.completionVersions(), noFiles
			}
		case "undo":
			_ = c.RegisterFlagCompletionFunc("to", func(cmd *cobra.Command, args []string, s string) ([]string, cobra.ShellCompDirective) {
				return a.completionVersions(), noFiles
			})
		case "undo-gen":
			c.ValidArgsFunction = func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
				if len(args) > 0 {
					return nil, noFiles
				}
				return a.completionVersions(), noFiles
			}
		}
	}
}

// completionConfig loads the configuration a command would (the file of
// --config or $STRATA_CONFIG, its .env, or none with --url), nil when it
// cannot: completion prints nothing rather than diagnostics.
func (a *app) completionConfig(opts config.Options) *config.Config {
	if a.resolveSources() != nil {
		return nil
	}
	cfg, _, err := a.loadFromSources(opts)
	if err != nil {
		return nil
	}
	return cfg
}

// completionEnvs are the env given with --env (or STRATA_ENV), or every
// env of strata.hcl when none is given; those that do not load cleanly are left out, since
// completion prints nothing rather than diagnostics.
func (a *app) completionEnvs() []*config.Env {
	if a.resolveSources() != nil { // also reads STRATA_ENV
		return nil
	}
	names := []string{a.envName}
	if a.envName == "" {
		cfg := a.completionConfig(config.Options{})
		if cfg == nil {
			return nil
		}
		names = cfg.Envs
	}
	var out []*config.Env
	for _, n := range names {
		if cfg := a.completionConfig(config.Options{Env: n}); cfg != nil && cfg.Env != nil {
			out = append(out, cfg.Env)
		}
	}
	return out
}

// completionVersions are the versions of the versioned files of the envs
// (completionEnvs), in version order.
func (a *app) completionVersions() []string {
	var files []*locations.File
	for _, env := range a.completionEnvs() {
		var roots []locations.Root
		for _, l := range env.Locations {
			roots = append(roots, locations.Root{Name: l.Display, FS: os.DirFS(l.Path), Override: l.Override})
		}
		if set, err := locations.Collect(roots, locations.Options{Naming: env.Naming}); err == nil {
			files = append(files, set.Versioned...)
		}
	}
	slices.SortStableFunc(files, func(x, y *locations.File) int { return x.Version.Compare(y.Version) })
	var out []string
	for i, f := range files {
		if i == 0 || !f.Version.Equal(files[i-1].Version) {
			out = append(out, f.Version.String())
		}
	}
	return out
}

// sortedUnique is names sorted, each once.
func sortedUnique(names []string) []string {
	slices.Sort(names)
	return slices.Compact(names)
}
