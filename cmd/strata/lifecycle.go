package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/locations"
)

// stdin is where confirmations are read; tests replace it.
var stdin io.Reader = os.Stdin

// confirm asks before a destructive command. On a terminal it shows what
// will happen and wants "yes"; without one it refuses unless --yes was given.
func (a *app) confirm(what string, actions []engine.Action, yes bool) error {
	return a.confirmWith(what, nil, actions, yes)
}

// confirmWith is confirm with summary lines shown first, in the refusal
// without a terminal too.
func (a *app) confirmWith(what string, summary []string, actions []engine.Action, yes bool) error {
	if yes {
		return nil
	}
	if w := a.envWhere(); w != "" {
		summary = append([]string{"on " + w}, summary...)
	}
	f, ok := stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		msg := fmt.Sprintf("%s changes the database and needs confirmation: run it on a terminal to be asked, or pass --yes", what)
		if len(summary) > 0 {
			msg += "\n" + strings.Join(summary, "\n")
		}
		return &exitError{code: exitUsage, err: &notConfirmed{msg}}
	}
	fmt.Fprintf(a.stderr, "%s will:\n", what)
	for _, l := range summary {
		fmt.Fprintf(a.stderr, "  %s\n", l)
	}
	for _, act := range actions {
		fmt.Fprintf(a.stderr, "  - %s\n", describe(act))
	}
	fmt.Fprint(a.stderr, "Type yes to continue: ")
	line, _ := bufio.NewReader(f).ReadString('\n')
	if strings.TrimSpace(strings.ToLower(line)) != "yes" {
		return &exitError{code: exitUsage, err: &notConfirmed{fmt.Sprintf("%s: not confirmed; nothing was changed", what)}}
	}
	return nil
}

func describe(a engine.Action) string {
	switch a.Kind {
	case "drop schema":
		return fmt.Sprintf("drop schema %s and everything in it (%s)", a.Target, orNone(a.Detail))
	case "clean schema":
		return fmt.Sprintf("drop every object of schema %s and keep the schema (%s)", a.Target, orNone(a.Detail))
	case "undo":
		return fmt.Sprintf("target %s: undo version %s (%s) with %s", a.Target, a.Version, a.Description, a.Script)
	case "discard":
		return fmt.Sprintf("target %s: undo version %s (%s) with %s and discard it (migrate will not apply it again)", a.Target, a.Version, a.Description, a.Script)
	case "mark applied":
		return fmt.Sprintf("target %s: mark version %s (%s) applied without running %s", a.Target, a.Version, a.Description, a.Script)
	case "baseline":
		return fmt.Sprintf("target %s: mark as baselined at version %s", a.Target, a.Version)
	}
	id := a.Version
	if id == "" {
		id = a.Description
	}
	s := fmt.Sprintf("target %s: %s %s (%s)", a.Target, a.Kind, id, a.Script)
	if a.Leftover != "" {
		s += "\n    warning: " + a.Leftover
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "nothing in it now"
	}
	if len(s) > 400 {
		return s[:400] + "..."
	}
	return s
}

// jsonLifecycle is the JSON result of baseline, repair, undo and clean.
// Clean also lists, as Flyway's JSON does, the schemas dropped (created by
// strata) and those emptied and kept (existed before strata).
type jsonLifecycle struct {
	Actions        []jsonAction `json:"actions"`
	SchemasDropped []string     `json:"schemasDropped,omitzero"`
	SchemasCleaned []string     `json:"schemasCleaned,omitzero"`
}

// jsonAction is an engine.Action in JSON.
type jsonAction struct {
	Target      string `json:"target"`
	Kind        string `json:"kind"`
	Version     string `json:"version"`
	Description string `json:"description"`
	Script      string `json:"script"`
	Detail      string `json:"detail"`
	Leftover    string `json:"leftover,omitempty"`
}

// cleanGroups splits clean's actions into the schemas dropped (created by
// strata) and the schemas emptied and kept (existed before strata).
func cleanGroups(actions []engine.Action) (dropped, emptied []string) {
	dropped, emptied = []string{}, []string{}
	for _, act := range actions {
		switch act.Kind {
		case "drop schema":
			dropped = append(dropped, act.Target)
		case "clean schema":
			emptied = append(emptied, act.Target)
		}
	}
	return dropped, emptied
}

// cleanSummary is the two lines that say what clean drops and what it
// empties; done says whether it already ran.
func cleanSummary(actions []engine.Action, done bool) []string {
	dropped, emptied := cleanGroups(actions)
	list := func(names []string) string {
		if len(names) == 0 {
			return "none"
		}
		return strings.Join(names, ", ")
	}
	if done {
		return []string{"schemas dropped (created by strata): " + list(dropped),
			"schemas emptied (existed before strata, kept with their owner and grants): " + list(emptied)}
	}
	return []string{"schemas to drop (created by strata): " + list(dropped),
		"schemas to empty (existed before strata): " + list(emptied)}
}

func (a *app) report(op, env string, res *engine.LifecycleResult, none string) error {
	if res == nil {
		res = &engine.LifecycleResult{}
	}
	if a.format == "json" {
		out := jsonLifecycle{Actions: []jsonAction{}}
		for _, act := range res.Actions {
			out.Actions = append(out.Actions, jsonAction{Target: act.Target, Kind: act.Kind, Version: act.Version,
				Description: a.shown(act.Description), Script: act.Script, Detail: a.shown(act.Detail), Leftover: a.shown(act.Leftover)})
		}
		if op == "clean" {
			out.SchemasDropped, out.SchemasCleaned = cleanGroups(res.Actions)
		}
		a.result = out
		return nil
	}
	if len(res.Actions) == 0 {
		fmt.Fprintf(a.stdout, "%s on %s: %s\n", op, a.envWhere(), none)
		return nil
	}
	fmt.Fprintf(a.stdout, "%s on %s:\n", op, a.envWhere())
	if op == "clean" {
		for _, l := range cleanSummary(res.Actions, true) {
			fmt.Fprintln(a.stdout, l)
		}
	}
	for _, act := range res.Actions {
		fmt.Fprintf(a.stdout, "%s\n", describe(act))
	}
	return nil
}

func (a *app) baselineCommand() *cobra.Command {
	var version, description, table string
	var yes, fromFlyway bool
	cmd := &cobra.Command{
		Use:   "baseline --version V",
		Short: "Mark an existing database as being at version V",
		Example: `  strata baseline --version 5        # the schema already holds what V1..V5 create
  strata baseline --from-flyway      # adopt flyway_schema_history, running nothing
  strata baseline --from-flyway --table schema_version`,
		Long: `Write Flyway's BASELINE row on every target (each tenant too) whose history is
empty, so that only migrations above V run. Targets with another history are
refused before anything changes. A schema that already holds objects asks
for confirmation (or --yes).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.begin(); err != nil {
				return err
			}
			switch {
			case fromFlyway && (version != "" || description != ""):
				return &exitError{code: exitUsage, err: fmt.Errorf("baseline --from-flyway takes the versions from Flyway's table: drop --version and --description")}
			case !fromFlyway && table != "":
				return &exitError{code: exitUsage, err: fmt.Errorf("--table goes with --from-flyway")}
			case !fromFlyway && version == "":
				return &exitError{code: exitUsage, err: fmt.Errorf("baseline needs --version V (or --from-flyway to adopt a Flyway history)")}
			}
			if version != "" {
				if _, err := locations.ParseVersion(version); err != nil {
					return &exitError{code: exitUsage, err: fmt.Errorf("baseline --version %q: %v; nothing was changed", version, err)}
				}
			}
			ctx := cmd.Context()
			cfg, m, done, err := a.setup(ctx)
			if err != nil {
				return err
			}
			defer done()
			if fromFlyway {
				return a.adopt(ctx, cfg.Env.Name, m, table)
			}
			objs, err := m.CleanPlan(ctx, nil)
			if err == nil && hasObjects(objs) {
				acts := append(objs.Actions[:0:0], engine.Action{Kind: "baseline", Target: "every target", Version: version})
				if err := a.confirm("baseline of a schema that already holds objects", acts, yes); err != nil {
					return err
				}
			}
			res, err := m.Baseline(ctx, version, description)
			if err != nil {
				return err
			}
			return a.report("baseline", cfg.Env.Name, res, "already baselined at this version: nothing to do")
		},
	}
	cmd.Flags().StringVar(&version, "version", "", "the version to mark the database as being at")
	cmd.Flags().BoolVar(&fromFlyway, "from-flyway", false, "adopt an existing Flyway history table (one, or one per tenant schema) without running anything")
	cmd.Flags().StringVar(&table, "table", "", "with --from-flyway: the name of Flyway's table (default flyway_schema_history)")
	cmd.Flags().StringVar(&description, "description", "", "description of the baseline row (default \""+engine.DefaultBaselineDescription+"\")")
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	return cmd
}

// jsonAdopt is baseline --from-flyway's JSON result.
type jsonAdopt struct {
	FromFlyway bool              `json:"fromFlyway"`
	Targets    []jsonAdoptTarget `json:"targets"`
}

// jsonAdoptTarget is an engine.AdoptedTarget in JSON.
type jsonAdoptTarget struct {
	Target  string `json:"target"`
	Source  string `json:"source"`
	Rows    int    `json:"rows"`
	Skipped bool   `json:"skipped"`
}

// adopt copies Flyway's history into Strata's, running nothing.
func (a *app) adopt(ctx context.Context, env string, m *engine.Migrator, table string) error {
	res, err := m.AdoptFlyway(ctx, table)
	if err != nil {
		return err
	}
	if a.format == "json" {
		out := jsonAdopt{FromFlyway: true, Targets: []jsonAdoptTarget{}}
		for _, t := range res.Targets {
			out.Targets = append(out.Targets, jsonAdoptTarget(t))
		}
		a.result = out
		return nil
	}
	fmt.Fprintf(a.stdout, "baseline --from-flyway on %s:\n", a.envWhere())
	for _, t := range res.Targets {
		if t.Skipped {
			fmt.Fprintf(a.stdout, "target %s: already has a strata history: skipped\n", t.Target)
			continue
		}
		fmt.Fprintf(a.stdout, "target %s: adopted %d rows from %s; nothing was run\n", t.Target, t.Rows, t.Source)
	}
	fmt.Fprintln(a.stdout, "run strata validate to compare the adopted history with the files")
	return nil
}

func hasObjects(res *engine.LifecycleResult) bool {
	for _, a := range res.Actions {
		if a.Detail != "" {
			return true
		}
	}
	return false
}

func (a *app) repairCommand() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "repair",
		Short: "Remove failed history rows, mark missing files deleted, realign checksums",
		Example: `  strata repair                      # shows what it would change, then asks
  strata repair --yes                # in CI`,
		Long: `Flyway's repair, per target under its lock: remove failed rows (a failed
non-transactional file then starts again from its first statement on the next
migrate; the statements it left applied are listed, since repair does not undo
them), mark applied migrations whose file is gone as deleted (unless
ignore_migration_patterns covers them), and align checksums, descriptions and
types with the files. Asks for confirmation (or --yes).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.begin(); err != nil {
				return err
			}
			ctx := cmd.Context()
			cfg, m, done, err := a.setup(ctx)
			if err != nil {
				return err
			}
			defer done()
			plan, err := m.RepairPlan(ctx)
			if err != nil {
				return err
			}
			if len(plan.Actions) == 0 {
				return a.report("repair", cfg.Env.Name, nil, "the history matches the files: nothing to repair")
			}
			if err := a.confirm("repair", plan.Actions, yes); err != nil {
				return err
			}
			res, err := m.Repair(ctx)
			if err != nil {
				return err
			}
			return a.report("repair", cfg.Env.Name, res, "nothing to repair")
		},
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	return cmd
}

func (a *app) undoCommand() *cobra.Command {
	var to string
	var yes, discard bool
	cmd := &cobra.Command{
		Use:   "undo [--to V]",
		Short: "Run undo (U) migrations, newest first",
		Example: `  strata undo                        # undo the latest version of each target
  strata undo --to 3 --yes           # undo everything above 3
  strata undo --to 3 --discard       # and never apply 4 and up again`,
		Long: `Undo the most recently applied versioned migration of each target, or with
--to V every one above V (V stays applied), newest first by installed_rank,
each with its U<version>__*.sql file in its own transaction. A version without
an undo file stops the command before anything runs. With --discard the
undone versions are recorded as discarded: migrate does not apply them again
although their files are still there (info shows them as Discarded;
migrate --include-discarded V brings one back). Asks for confirmation
(or --yes).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("to") && strings.TrimSpace(to) == "" {
				return errors.New("--to is empty: give the version to undo down to (it stays applied), or leave the flag out to undo the latest migration")
			}
			if to != "" {
				if _, err := locations.ParseVersion(to); err != nil {
					return fmt.Errorf("--to %q is not a version (%v): give the version to undo down to (it stays applied)", to, err)
				}
			}
			if err := a.begin(); err != nil {
				return err
			}
			ctx := cmd.Context()
			cfg, m, done, err := a.setup(ctx)
			if err != nil {
				return err
			}
			defer done()
			planFn, undo := m.UndoPlan, m.Undo
			if discard {
				planFn, undo = m.DiscardPlan, m.Discard
			}
			plan, err := planFn(ctx, to)
			if err != nil {
				return err
			}
			if len(plan.Actions) == 0 {
				return a.report("undo", cfg.Env.Name, nil, "nothing to undo")
			}
			if err := a.confirm("undo", plan.Actions, yes); err != nil {
				return err
			}
			res, err := undo(ctx, to)
			if err != nil {
				return err
			}
			return a.report("undo", cfg.Env.Name, res, "nothing to undo")
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "undo every migration above this version (it stays applied)")
	cmd.Flags().BoolVar(&discard, "discard", false, "record the undone versions as discarded: migrate does not apply them again (migrate --include-discarded V brings one back)")
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	return cmd
}

func (a *app) markAppliedCommand() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "mark-applied V...",
		Short: "Record versions as applied without running their files",
		Example: `  strata mark-applied 7              # the change was made by hand; record it
  strata --env prod --tenant acme mark-applied 7 8 --yes`,
		Long: `Write a successful history row for each version on every target (each
tenant, or those named with --tenant) where it is pending, without running
its file (Flyway's skipExecutingMigrations): checksum and description from the
file, execution time 0, and Strata's mark column set to "skip". A target where
the version is applied already is left alone; one where it is in another
state, or where a lower version would stay pending below it, stops the
command before anything is written. Lists the rows and asks for confirmation
(or --yes).`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return errors.New("mark-applied needs at least one version: strata mark-applied 7")
			}
			for _, v := range args {
				if _, err := locations.ParseVersion(v); err != nil {
					return fmt.Errorf("mark-applied %q is not a version (%v): give versions such as 7 or 7.1", v, err)
				}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, versions []string) error {
			if err := a.begin(); err != nil {
				return err
			}
			ctx := cmd.Context()
			a.ackCheck = true
			cfg, m, done, err := a.setup(ctx)
			if err != nil {
				return err
			}
			defer done()
			plan, err := m.MarkAppliedPlan(ctx, versions)
			if err != nil {
				return err
			}
			if len(plan.Actions) == 0 {
				return a.report("mark-applied", cfg.Env.Name, nil, "already applied everywhere: nothing to mark")
			}
			// The rows are listed in the refusal without a terminal too.
			rows := make([]string, len(plan.Actions))
			for i, act := range plan.Actions {
				rows[i] = "- " + describe(act)
			}
			if err := a.confirmWith("mark-applied", rows, nil, yes); err != nil {
				return err
			}
			res, err := m.MarkApplied(ctx, versions)
			if err != nil {
				return err
			}
			return a.report("mark-applied", cfg.Env.Name, res, "already applied everywhere: nothing to mark")
		},
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&a.allowUnacked, "allow-unacknowledged", false, "mark files added or edited since the last strata ack, with a warning")
	return cmd
}

func (a *app) cleanCommand() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "clean",
		Short: "Drop everything the env manages",
		Example: `  strata --env dev clean             # lists what it would drop, then asks
  strata --env dev clean --tenant acme --yes`,
		Long: `Clean the env's managed schemas, or, without managed schemas, the default
schema, Strata's tables included; tenant schemas only when named with
--tenant. As Flyway does, a schema is dropped whole only when strata (or
Flyway, before adoption) created it, as its history records; any other schema
is emptied of its objects and kept, with its owner and grants. Refused unless
the env sets clean_disabled = false; asks for confirmation (or --yes), listing
the schemas to drop and the schemas to empty.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.begin(); err != nil {
				return err
			}
			ctx := cmd.Context()
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			if cfg.Env.CleanDisabled {
				return &exitError{code: exitUsage, err: fmt.Errorf("clean is disabled for env %s: set clean_disabled = false in its env block to allow it", cfg.Env.Name)}
			}
			tenants := a.tenants
			a.tenants = nil // named tenants are what to drop, not a filter of the targets
			cfg, m, done, err := a.setup(ctx)
			if err != nil {
				return err
			}
			defer done()
			plan, err := m.CleanPlan(ctx, tenants)
			if err != nil {
				return err
			}
			if err := a.confirmWith("clean", cleanSummary(plan.Actions, false), plan.Actions, yes); err != nil {
				return err
			}
			res, err := m.Clean(ctx, tenants)
			if err != nil {
				return err
			}
			return a.report("clean", cfg.Env.Name, res, "nothing to clean")
		},
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	return cmd
}
