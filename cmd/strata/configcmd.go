package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stratadb/strata/config"
	"github.com/stratadb/strata/locations"
)

type jsonLocation struct {
	Path     string `json:"path"`
	Override bool   `json:"override"`
	Shared   bool   `json:"shared"`
}

type jsonResolvedFile struct {
	Kind        string   `json:"kind"`
	Version     string   `json:"version"`
	Description string   `json:"description"`
	Path        string   `json:"path"`
	Checksum    int32    `json:"checksum"`
	Replaced    []string `json:"replaced"`
}

// jsonInstance is one instance of an env in config's JSON result.
type jsonInstance struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// jsonRegistry is an env's registry in config's JSON result.
type jsonRegistry struct {
	URL   string `json:"url"`
	Query string `json:"query"`
}

// jsonConfig is config's JSON result; Env is the envelope's env.
type jsonConfig struct {
	Env            string             `json:"-"`
	URL            string             `json:"url"`
	Instances      []jsonInstance     `json:"instances,omitempty"`      // an env with instances: each, in order (url is the first)
	Registry       *jsonRegistry      `json:"registry,omitempty"`       // an env whose instances come from a registry (not queried here)
	MaxConnections int                `json:"maxConnections,omitempty"` // across the instances; 0 = no limit
	Locations      []jsonLocation     `json:"locations"`
	Files          []jsonResolvedFile `json:"files"`
	Warnings       []string           `json:"warnings"`
	Placeholders   map[string]string  `json:"placeholders"`
	Prefix         string             `json:"placeholderPrefix"`
	Suffix         string             `json:"placeholderSuffix"`
	Replacement    bool               `json:"placeholderReplacement"`
	HistorySchema  string             `json:"historySchema"`
	HistoryTable   string             `json:"historyTable"`
	Schemas        []string           `json:"schemas"`
	OutOfOrder     bool               `json:"outOfOrder"`
	Hotfixes       []string           `json:"hotfixes"`
	Target         string             `json:"target"`
	IgnorePatterns []string           `json:"ignoreMigrationPatterns"`
	Tenants        *jsonTenants       `json:"tenants"`
	CleanDisabled  bool               `json:"cleanDisabled"`
	RequireAck     *bool              `json:"requireAck"` // null: required when a location has a strata.sum
	Confirm        bool               `json:"confirm"`
	LockTimeout    string             `json:"lockTimeout"`
	Naming         jsonNaming         `json:"naming"`
	ConnectRetries int                `json:"connectRetries"`
	RetryInterval  string             `json:"connectRetriesInterval"`
}

// jsonNaming carries Flyway's naming settings under Flyway's names.
type jsonNaming struct {
	SQLMigrationPrefix           string   `json:"sqlMigrationPrefix"`
	UndoSQLMigrationPrefix       string   `json:"undoSqlMigrationPrefix"`
	RepeatableSQLMigrationPrefix string   `json:"repeatableSqlMigrationPrefix"`
	BaselineMigrationPrefix      string   `json:"baselineMigrationPrefix"`
	SQLMigrationSeparator        string   `json:"sqlMigrationSeparator"`
	SQLMigrationSuffixes         []string `json:"sqlMigrationSuffixes"`
}

type jsonTenants struct {
	Schemas  []string `json:"schemas,omitempty"`
	Query    string   `json:"query,omitempty"`
	Pattern  string   `json:"pattern,omitempty"`
	Parallel int      `json:"parallel"`
	OnError  string   `json:"onError"`
	Retries  int      `json:"retries"`
	Rollout  []string `json:"rollout,omitempty"` // the waves, each as rolloutWave writes it
}

// rolloutWave describes one wave of a rollout in one line.
func rolloutWave(w config.Wave) string {
	var sel string
	switch {
	case len(w.Tenants) > 0:
		sel = "tenants " + strings.Join(w.Tenants, ", ")
	case w.Pattern != "":
		sel = "pattern " + w.Pattern
	case w.Count > 0:
		sel = fmt.Sprintf("count %d", w.Count)
	case w.Percent > 0:
		sel = fmt.Sprintf("%g%%", w.Percent)
	default:
		sel = "the rest"
	}
	parts := []string{sel}
	if w.Parallel > 0 {
		parts = append(parts, fmt.Sprintf("parallel %d", w.Parallel))
	}
	if w.MaxFailuresPercent > 0 {
		parts = append(parts, fmt.Sprintf("max_failures %g%%", w.MaxFailuresPercent))
	} else {
		parts = append(parts, fmt.Sprintf("max_failures %d", w.MaxFailures))
	}
	if w.Pause > 0 {
		parts = append(parts, "pause "+w.Pause.String())
	}
	return fmt.Sprintf("%s (%s)", w.Name, strings.Join(parts, ", "))
}

func (a *app) configCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "config",
		Short: "Print the resolved environment: locations, winning files, placeholders, history",
		Example: `  strata config                      # the only env, or the one strata.hcl names
  strata --env prod config           # a given env; secrets are masked
  strata config --format json        # for scripts`,
		Long: `Print the env as Strata resolves it: every location in merge order, which
file won each version (and which file an override replaced), placeholder
values with secrets masked, tenants and the history table. Does not connect
to the database.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.begin(); err != nil {
				return err
			}
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			env := cfg.Env
			set, err := a.collect(cfg)
			if err != nil {
				return err
			}
			out := jsonConfig{Env: env.Name, URL: display(env.URL), Placeholders: map[string]string{},
				Prefix: env.Placeholders.Prefix, Suffix: env.Placeholders.Suffix, Replacement: env.Placeholders.Enabled,
				HistorySchema: env.History.Schema, HistoryTable: env.History.Table, Schemas: nonNil(env.Schemas),
				OutOfOrder: env.OutOfOrder, Hotfixes: nonNil(env.Hotfixes), Target: env.Target,
				IgnorePatterns: nonNil(env.IgnoreMigrationPatterns), CleanDisabled: env.CleanDisabled,
				RequireAck: env.RequireAck, Confirm: env.Confirm,
				LockTimeout: env.Lock.Timeout.String(), Locations: []jsonLocation{}, Files: []jsonResolvedFile{}, Warnings: []string{},
				ConnectRetries: env.ConnectRetries, RetryInterval: env.ConnectRetriesInterval.String()}
			for _, in := range env.Instances {
				out.Instances = append(out.Instances, jsonInstance{Name: in.Name, URL: display(in.URL)})
			}
			if r := env.Registry; r != nil {
				out.Registry = &jsonRegistry{URL: display(r.URL), Query: r.Query}
			}
			out.MaxConnections = env.MaxConnections
			nm := env.Naming.WithDefaults()
			out.Naming = jsonNaming{SQLMigrationPrefix: nm.VersionedPrefix, UndoSQLMigrationPrefix: nm.UndoPrefix,
				RepeatableSQLMigrationPrefix: nm.RepeatablePrefix, BaselineMigrationPrefix: nm.BaselinePrefix,
				SQLMigrationSeparator: nm.Separator, SQLMigrationSuffixes: nm.Suffixes}
			for _, l := range env.Locations {
				out.Locations = append(out.Locations, jsonLocation{Path: l.Display, Override: l.Override, Shared: l.Shared})
			}
			for _, f := range allFiles(set) {
				jf := jsonResolvedFile{Kind: f.Kind.String(), Description: f.Description, Path: f.Path(), Checksum: f.Checksum, Replaced: []string{}}
				if !f.Version.IsZero() {
					jf.Version = f.Version.String()
				}
				if f.Kind == locations.Callback {
					jf.Description = f.Event + descSuffix(f.Description)
				}
				for _, r := range f.Replaced {
					jf.Replaced = append(jf.Replaced, r.Path())
				}
				out.Files = append(out.Files, jf)
			}
			for _, w := range set.Warnings {
				out.Warnings = append(out.Warnings, w.Path+": "+w.Message)
			}
			for k, v := range env.Placeholders.Values {
				out.Placeholders[k] = v.Text
				if v.Sensitive {
					out.Placeholders[k] = "(sensitive)"
				}
			}
			if t := env.Tenants; t != nil {
				out.Tenants = &jsonTenants{Schemas: t.Schemas, Query: t.Query, Pattern: t.Pattern, Parallel: t.Parallel, OnError: t.OnError, Retries: t.Retries}
				if env.Rollout != nil {
					for _, w := range env.Rollout.Waves {
						out.Tenants.Rollout = append(out.Tenants.Rollout, rolloutWave(w))
					}
				}
			}
			if a.format == "json" {
				a.result = out
				return nil
			}
			w := a.stdout
			fmt.Fprintf(w, "env:           %s\n", out.Env)
			if len(out.Instances) > 0 {
				fmt.Fprintf(w, "instances:     %d", len(out.Instances))
				if out.MaxConnections > 0 {
					fmt.Fprintf(w, " (max_connections %d)", out.MaxConnections)
				}
				fmt.Fprintln(w)
				for i, in := range out.Instances {
					fmt.Fprintf(w, "  %d. %s: %s\n", i+1, in.Name, in.URL)
				}
			} else if out.Registry != nil && out.URL == "" {
				fmt.Fprintf(w, "registry:      %s\n", out.Registry.URL)
				fmt.Fprintf(w, "  query:       %s", out.Registry.Query)
				if out.MaxConnections > 0 {
					fmt.Fprintf(w, " (max_connections %d)", out.MaxConnections)
				}
				fmt.Fprintln(w)
			} else {
				fmt.Fprintf(w, "url:           %s\n", out.URL)
			}
			hs := out.HistorySchema
			switch {
			case hs != "":
			case len(out.Schemas) > 0:
				hs = out.Schemas[0] + " (the first managed schema)"
			default:
				hs = "the connection's default schema"
			}
			fmt.Fprintf(w, "history table: %s in %s\n", out.HistoryTable, hs)
			fmt.Fprintf(w, "lock timeout:  %s (waiting for another runner)\n", out.LockTimeout)
			if t := env.LockTimeout; t != "" {
				fmt.Fprintf(w, "lock_timeout:  %s (statements waiting for table locks)\n", t)
			}
			if t := env.StatementTimeout; t != "" {
				fmt.Fprintf(w, "statement_timeout: %s\n", t)
			}
			if len(out.Schemas) > 0 {
				fmt.Fprintf(w, "schemas:       %s\n", strings.Join(out.Schemas, ", "))
			}
			fmt.Fprintf(w, "out of order:  %v", out.OutOfOrder)
			if len(out.Hotfixes) > 0 {
				fmt.Fprintf(w, " (hotfixes: %s)", strings.Join(out.Hotfixes, ", "))
			}
			fmt.Fprintf(w, "\ntarget:        %s\n", out.Target)
			ack := "required when a location has a strata.sum"
			if env.RequireAck != nil {
				ack = map[bool]string{true: "required", false: "not checked"}[*env.RequireAck]
			}
			fmt.Fprintf(w, "acks:          %s\n", ack)
			if env.Confirm {
				fmt.Fprintf(w, "confirm:       migrate asks first (confirm = true)\n")
			}
			fmt.Fprintf(w, "file names:    %s, %s, %s, %s (suffixes %s)\n",
				nm.FileName(locations.Versioned, "1.2", "desc"), nm.FileName(locations.Undo, "1.2", "desc"),
				nm.FileName(locations.Repeatable, "", "desc"), nm.FileName(locations.Baseline, "1.2", "desc"),
				strings.Join(nm.Suffixes, ", "))
			fmt.Fprintf(w, "connect:       %d retries", out.ConnectRetries)
			if out.ConnectRetries > 0 {
				fmt.Fprintf(w, ", waiting 1s, 2s, 4s, ... at most %s between tries", env.ConnectRetriesInterval)
			}
			fmt.Fprintln(w)
			if t := out.Tenants; t != nil {
				src := "schemas " + strings.Join(t.Schemas, ", ")
				if t.Query != "" {
					src = "query " + t.Query
				} else if t.Pattern != "" {
					src = "pattern " + t.Pattern
				} else if out.Registry != nil && len(t.Schemas) == 0 {
					src = "from the registry"
				}
				fmt.Fprintf(w, "tenants:       %s (parallel %d, on_error %s, retries %d)\n", src, t.Parallel, t.OnError, t.Retries)
				for i, wave := range t.Rollout {
					fmt.Fprintf(w, "  wave %d:      %s\n", i+1, wave)
				}
			}
			fmt.Fprintln(w, "locations, in merge order:")
			for i, l := range out.Locations {
				tag := ""
				switch {
				case l.Override:
					tag = " (overrides)"
				case l.Shared:
					tag = " (shared)"
				}
				fmt.Fprintf(w, "  %d. %s%s\n", i+1, locationName(env.Locations[i]), tag)
			}
			fmt.Fprintf(w, "placeholders (%s...%s", out.Prefix, out.Suffix)
			if !out.Replacement {
				fmt.Fprint(w, ", replacement off")
			}
			fmt.Fprintln(w, "):")
			keys := make([]string, 0, len(out.Placeholders))
			for k := range out.Placeholders {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(w, "  %s = %s\n", k, out.Placeholders[k])
			}
			fmt.Fprintln(w, "migrations (the file that won each version):")
			for _, f := range out.Files {
				id := f.Version
				switch f.Kind {
				case "Versioned":
					id = nm.VersionedPrefix + id
				case "Undo":
					id = nm.UndoPrefix + id
				case "Baseline":
					id = nm.BaselinePrefix + id
				case "Repeatable":
					id = nm.RepeatablePrefix
				case "Callback":
					id = "callback"
				}
				fmt.Fprintf(w, "  %-16s %s", id, f.Path)
				if len(f.Replaced) > 0 {
					fmt.Fprintf(w, "  (overrides %s)", strings.Join(f.Replaced, ", "))
				}
				fmt.Fprintln(w)
			}
			return nil
		},
	}
}

func descSuffix(d string) string {
	if d == "" {
		return ""
	}
	return "__" + strings.ReplaceAll(d, " ", "_")
}

func allFiles(s *locations.Set) []*locations.File {
	var out []*locations.File
	out = append(out, s.Baseline...)
	out = append(out, s.Versioned...)
	out = append(out, s.Undo...)
	out = append(out, s.Repeatable...)
	out = append(out, s.Callbacks...)
	return out
}

// display shows a database URL with its password and secret parameters
// masked (config.RedactURL), also when it was read with env() or file():
// the host, port and database say which database a run works on.
func display(v config.Value) string {
	return config.RedactURL(v.Text)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
