package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/cobra"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/locations"
	"github.com/stratadb/strata/placeholders"
)

// jsonMigration is one row of info's JSON output.
type jsonMigration struct {
	Category      string `json:"category"`
	Version       string `json:"version"`
	Description   string `json:"description"`
	Type          string `json:"type"`
	Script        string `json:"script"`
	Filepath      string `json:"filepath"`
	Checksum      *int32 `json:"checksum"`
	State         string `json:"state"`
	OutOfOrder    bool   `json:"outOfOrder"`
	InstalledRank *int64 `json:"installedRank"`
	InstalledOn   string `json:"installedOnUTC"`
	InstalledBy   string `json:"installedBy"`
	ExecutionTime *int   `json:"executionTime"`
	// For a failed non-transactional run: what stayed applied.
	Partial           string `json:"partial,omitempty"`
	StatementsApplied *int   `json:"statementsApplied,omitempty"`
	Statements        int    `json:"statements,omitempty"`
	FailedStatement   int    `json:"failedStatement,omitempty"`
	Resumable         *bool  `json:"resumable,omitempty"`
	NextStep          string `json:"nextStep,omitempty"`
}

// jsonInfoTarget is one target of info's JSON output.
type jsonInfoTarget struct {
	Target        string `json:"target"`
	SchemaVersion string `json:"schemaVersion"`
	Pending       int    `json:"pending"`
	Failed        int    `json:"failed"`
	UpToDate      bool   `json:"upToDate"`
	LastError     string `json:"lastError,omitempty"`
	// Problems are findings about the target itself (its schema is gone,
	// its history was changed outside strata); Refused says why migrate
	// would refuse the target (its schema holds objects but no history).
	Problems   []jsonFinding   `json:"problems,omitempty"`
	Refused    string          `json:"refused,omitempty"`
	Migrations []jsonMigration `json:"migrations"`
}

// jsonInfo is info's JSON result.
type jsonInfo struct {
	HistoryTable string           `json:"historyTable"`
	TablesExist  bool             `json:"tablesExist"`
	Summary      jsonSummary      `json:"summary"`
	Targets      []jsonInfoTarget `json:"targets"`
}

func toJSONMigration(e *engine.Entry) jsonMigration {
	j := jsonMigration{Category: string(e.Category), Version: e.Version, Description: e.Description, Type: e.Type,
		Script: e.Script, Checksum: e.Checksum, State: string(e.State), OutOfOrder: e.OutOfOrder}
	if e.File != nil {
		j.Filepath = e.File.Path()
	}
	if r := e.Row; r != nil {
		rank, exe := r.InstalledRank, r.ExecutionTime
		j.InstalledRank, j.ExecutionTime = &rank, &exe
		j.InstalledBy = r.InstalledBy
		if !r.InstalledOn.IsZero() {
			j.InstalledOn = r.InstalledOn.UTC().Format(time.RFC3339Nano)
		}
		if e.File == nil {
			j.Checksum = r.Checksum
		}
	}
	if p := e.Partial; p != nil {
		applied, ok := p.Applied, p.Resumable()
		j.Partial, j.StatementsApplied, j.Statements, j.FailedStatement = p.Summary(), &applied, p.Total, p.Failed
		j.Resumable, j.NextStep = &ok, p.NextStep()
	}
	return j
}

func (a *app) infoCommand() *cobra.Command {
	var details bool
	cmd := &cobra.Command{
		Use:   "info",
		Short: "Show every migration's state on every target",
		Example: `  strata info                        # one table per target
  strata --env prod info --format json
  strata --env prod --tenant acme info`,
		Long: `Show one row per migration and target with Flyway's states: Pending, Success,
Failed, Out of Order, Ignored, Missing, Future, Baseline, Below Baseline,
Above Target, Undone, Deleted, Outdated, Superseded, and Strata's Discarded. Reads only: no lock,
nothing created.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.begin(); err != nil {
				return err
			}
			a.readOnly = true
			var extra []engine.Option
			if details || len(a.tenants) > 0 {
				extra = append(extra, engine.WithDetails())
			}
			if fleet, err := a.fleetEnv(cmd.Context()); err != nil {
				return err
			} else if fleet {
				return a.fleetInfo(cmd.Context(), extra)
			}
			cfg, m, done, err := a.setup(cmd.Context(), extra...)
			if err != nil {
				return err
			}
			defer done()
			info, err := m.Info(cmd.Context())
			if err != nil {
				return err
			}
			sum := summarize(info, a.shown)
			if a.format == "json" {
				out := jsonInfo{HistoryTable: cfg.Env.History.Table, TablesExist: info.TablesExist, Summary: sum, Targets: []jsonInfoTarget{}}
				for _, t := range info.Targets {
					out.Targets = append(out.Targets, a.jsonInfoTarget(t))
				}
				a.result = out
				return a.targetProblems(info)
			}
			if len(info.Targets) > 1 && !details && len(a.tenants) == 0 {
				a.printSummary(sum)
				return a.targetProblems(info)
			}
			for _, t := range info.Targets {
				fmt.Fprintf(a.stdout, "Target: %s (%s)\nSchema version: %s\n", t.Target, a.where(t.Target, 1), orEmpty(t.Current))
				for _, f := range t.Problems {
					fmt.Fprintf(a.stdout, "PROBLEM (%s): %s\n", f.Code, a.shown(f.Message))
				}
				if t.NonEmpty != nil {
					fmt.Fprintf(a.stdout, "migrate would refuse this target: %s\n", a.shown(t.NonEmpty.Error()))
				}
				if len(t.Entries) == 0 {
					fmt.Fprintln(a.stdout, "No migrations found. Are your locations set up correctly?")
					continue
				}
				table := tablewriter.NewTable(a.stdout, tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithRowAutoWrap(tw.WrapNone),
					tablewriter.WithHeaderAlignment(tw.AlignLeft),
					tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)})))
				table.Header("Category", "Version", "Description", "Type", "Installed On", "State")
				for _, e := range t.Entries {
					on := ""
					if e.Row != nil && !e.Row.InstalledOn.IsZero() {
						on = e.Row.InstalledOn.Format("2006-01-02 15:04:05")
					}
					if err := table.Append(string(e.Category), e.Version, e.Description, e.Type, on, string(e.State)); err != nil {
						return err
					}
				}
				if err := table.Render(); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%d pending, %d failed\n", t.Pending, t.Failed)
				a.printPartials(t)
			}
			return a.targetProblems(info)
		},
	}
	cmd.Flags().BoolVar(&details, "details", false, "with several targets, show every migration of every target instead of a summary")
	return cmd
}

// targetProblems makes info exit 3 when a target's schema is gone or its
// history was changed outside strata, after the output has shown them.
func (a *app) targetProblems(info *engine.Info) error {
	var names []string
	for _, t := range info.Targets {
		if len(t.Problems) > 0 {
			names = append(names, t.Target)
		}
	}
	if len(names) == 0 {
		return nil
	}
	msg := fmt.Sprintf("%d target%s need%s attention before the next migrate (%s): see the problems above; strata validate lists them all",
		len(names), plural(len(names)), map[bool]string{true: "s", false: ""}[len(names) == 1], strings.Join(firstN(names, 10), ", "))
	fmt.Fprintf(a.stderr, "error: %s\n", msg)
	je := &jsonError{Code: codeTargetProblems, Message: a.shown(msg)}
	for _, t := range info.Targets {
		for _, f := range t.Problems {
			je.Problems = append(je.Problems, jsonProblem{Code: strOrNil(f.Code), Message: a.shown(f.Message), Target: strOrNil(t.Target)})
		}
	}
	je.fillFromFirstProblem()
	a.failure = je
	return &exitError{code: exitValidation}
}

func firstN(list []string, n int) []string {
	if len(list) <= n {
		return list
	}
	return append(append([]string(nil), list[:n]...), fmt.Sprintf("and %d more", len(list)-n))
}

// jsonSummary summarises many targets.
type jsonSummary struct {
	Targets   int            `json:"targets"`
	UpToDate  int            `json:"upToDate"`
	Behind    int            `json:"behind"`
	Failed    int            `json:"failed"`
	Latest    string         `json:"latestVersion"`
	ByVersion []jsonByVer    `json:"byVersion"`
	Failures  []jsonTargetID `json:"failedTargets"`
}

type jsonByVer struct {
	Version string `json:"version"`
	Targets int    `json:"targets"`
	Pending int    `json:"pendingTargets"`
}

type jsonTargetID struct {
	Target string `json:"target"`
	Error  string `json:"error,omitempty"`
}

// summarize counts targets up to date, behind and failed, and how many
// stand at each version; shown prepares the error texts for the user.
func summarize(info *engine.Info, shown func(string) string) jsonSummary {
	s := jsonSummary{Targets: len(info.Targets), ByVersion: []jsonByVer{}, Failures: []jsonTargetID{}}
	idx := map[string]int{}
	for _, t := range info.Targets {
		switch {
		case len(t.Problems) > 0:
			s.Failed++
			s.Failures = append(s.Failures, jsonTargetID{Target: t.Target, Error: firstLine(shown(t.Problems[0].Message))})
		case t.NonEmpty != nil:
			s.Failed++
			s.Failures = append(s.Failures, jsonTargetID{Target: t.Target, Error: firstLine(shown(t.NonEmpty.Error()))})
		case t.Failed > 0 || t.LastError != "":
			s.Failed++
			id := jsonTargetID{Target: t.Target, Error: firstLine(shown(t.LastError))}
			for _, e := range t.Entries {
				if e.State.Failed() && e.Row != nil && e.Row.Error != "" {
					id.Error = firstLine(shown(e.Row.Error))
				}
			}
			s.Failures = append(s.Failures, id)
		case t.Pending > 0:
			s.Behind++
		default:
			s.UpToDate++
		}
		i, ok := idx[t.Current]
		if !ok {
			i = len(s.ByVersion)
			idx[t.Current] = i
			s.ByVersion = append(s.ByVersion, jsonByVer{Version: t.Current})
		}
		s.ByVersion[i].Targets++
		if t.Pending > 0 {
			s.ByVersion[i].Pending++
		}
	}
	sort.Slice(s.ByVersion, func(i, j int) bool { return versionLess(s.ByVersion[j].Version, s.ByVersion[i].Version) })
	if len(s.ByVersion) > 0 {
		s.Latest = s.ByVersion[0].Version
	}
	return s
}

func versionLess(a, b string) bool {
	va, ea := locations.ParseVersion(a)
	vb, eb := locations.ParseVersion(b)
	if ea != nil || eb != nil {
		return a < b
	}
	return va.Compare(vb) < 0
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// printSummary prints the state of many targets in a few lines.
func (a *app) printSummary(s jsonSummary) {
	w := a.stdout
	fmt.Fprintf(w, "Targets: %d (%s)\n", s.Targets, a.where("", s.Targets))
	fmt.Fprintf(w, "  up to date: %d\n  behind:     %d\n  failed:     %d\n", s.UpToDate, s.Behind, s.Failed)
	fmt.Fprintln(w, "By schema version:")
	for _, v := range s.ByVersion {
		fmt.Fprintf(w, "  %-20s %d target%s", orEmpty(v.Version), v.Targets, plural(v.Targets))
		if v.Pending > 0 {
			fmt.Fprintf(w, " (%d with pending migrations)", v.Pending)
		}
		fmt.Fprintln(w)
	}
	if len(s.Failures) > 0 {
		fmt.Fprintln(w, "Failed:")
		for i, f := range s.Failures {
			if i == 20 {
				fmt.Fprintf(w, "  ... and %d more (strata info --format json lists them all)\n", len(s.Failures)-20)
				break
			}
			fmt.Fprintf(w, "  %s: %s\n", f.Target, a.shown(f.Error))
		}
	}
	fmt.Fprintln(w, "Details: strata info --details, or --tenant NAME for one tenant")
}

// jsonValidate is validate's JSON result.
type jsonValidate struct {
	Validated  int             `json:"validatedMigrations"`
	Targets    []jsonValidated `json:"targets"`
	Findings   []jsonFinding   `json:"findings"`
	ErrorCount int             `json:"errorCount"`
}

// jsonValidated is what validate checked on one target.
type jsonValidated struct {
	Target    string `json:"target"`
	Validated int    `json:"validatedMigrations"`
}

type jsonFinding struct {
	Target      string `json:"target"`
	Code        string `json:"code"`
	Version     string `json:"version"`
	Description string `json:"description"`
	Script      string `json:"script"`
	Message     string `json:"message"`
}

// jsonFinding is the JSON form of f, its message as shown.
func (a *app) jsonFinding(f engine.Finding) jsonFinding {
	j := jsonFinding(f)
	j.Message = a.shown(j.Message)
	return j
}

func (a *app) validateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check the files against the history without changing anything",
		Example: `  strata validate                    # exit 3 on drift, missing or failed migrations
  strata --env prod validate --format json`,
		Long: `Report checksum drift, applied migrations whose file is missing, failed
migrations and pending migrations (unless ignore_migration_patterns says
otherwise). Exits 3 when anything is found.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.begin(); err != nil {
				return err
			}
			a.readOnly = true
			a.ackCheck = true
			cfg, m, done, err := a.setup(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			if strings.HasPrefix(strings.ToLower(cfg.Env.URL.Text), "sqlserver:") && cfg.Env.Tenants != nil {
				if set, err := a.collect(cfg); err == nil {
					for _, w := range unqualifiedNames(set, placeholders.Syntax{Prefix: cfg.Env.Placeholders.Prefix, Suffix: cfg.Env.Placeholders.Suffix}) {
						fmt.Fprintln(a.stderr, "warning: "+w)
						a.warn("", w)
					}
				}
			}
			for _, w := range staleUndoScripts(cfg.Env) {
				fmt.Fprintln(a.stderr, "warning: "+w)
				a.warn("", w)
			}
			res, err := m.Validate(cmd.Context())
			var ve *engine.ValidationError
			if err != nil && !asValidation(err, &ve) {
				return err
			}
			if a.format == "json" {
				out := jsonValidate{Validated: res.Validated, Targets: []jsonValidated{}, Findings: []jsonFinding{}}
				for _, t := range res.Targets {
					out.Targets = append(out.Targets, jsonValidated(t))
				}
				if ve != nil {
					for _, f := range ve.Findings {
						out.Findings = append(out.Findings, a.jsonFinding(f))
					}
					out.ErrorCount = len(ve.Findings)
				}
				a.result = out
				if ve != nil {
					a.failure = a.jsonErrorOf(ve, exitValidation) // the findings are in the result, not on stderr
					return &exitError{code: exitValidation}
				}
				return nil
			}
			if ve != nil {
				return err
			}
			if len(res.Targets) <= 1 {
				target := ""
				if len(res.Targets) == 1 {
					target = res.Targets[0].Target
				}
				fmt.Fprintf(a.stdout, "successfully validated %d migration%s (%s)\n", res.Validated, plural(res.Validated), a.where(target, 1))
				return nil
			}
			fmt.Fprintf(a.stdout, "successfully validated %d migration%s on %d targets (%s)\n", res.Validated, plural(res.Validated), len(res.Targets), a.where("", len(res.Targets)))
			for i, t := range res.Targets {
				if i == 20 {
					fmt.Fprintf(a.stdout, "  ... and %d more targets (strata validate --format json lists them all)\n", len(res.Targets)-20)
					break
				}
				fmt.Fprintf(a.stdout, "  %s: %d migration%s\n", t.Target, t.Validated, plural(t.Validated))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&a.allowUnacked, "allow-unacknowledged", false, "report files added, edited or removed since the last strata ack as warnings, not failures")
	return cmd
}

func asValidation(err error, ve **engine.ValidationError) bool {
	v, ok := err.(*engine.ValidationError)
	if ok {
		*ve = v
	}
	return ok
}

// printPartials says, for each failed non-transactional run of a target,
// which statements stayed applied and the next step; and the last run's
// error, "rolled back" only when no failed row says otherwise.
func (a *app) printPartials(t engine.TargetInfo) {
	failedRow := false
	for _, e := range t.Entries {
		if e.State.Failed() && e.Row != nil {
			failedRow = true
		}
		p := e.Partial
		if p == nil {
			continue
		}
		id := "version " + e.Version
		fmt.Fprintf(a.stdout, "%s (%s): %s", id, e.Script, p.Summary())
		if p.Applied > 0 {
			fmt.Fprintf(a.stdout, ", not rolled back")
		}
		if e.Row.Error != "" {
			fmt.Fprintf(a.stdout, "; statement %d failed: %s", p.Failed, a.shown(firstLine(e.Row.Error)))
		}
		fmt.Fprintln(a.stdout)
		if p.Applied > 0 {
			fmt.Fprintf(a.stdout, "  %s\n", a.shown(p.AppliedPhrase()))
		}
		fmt.Fprintf(a.stdout, "  next: %s\n", a.shown(p.NextStep()))
	}
	// The recorded error says itself what was rolled back ("rolled back:
	// ..." for a migration's transaction; a callback's error says what
	// stayed applied): info claims nothing of its own.
	switch {
	case t.LastError == "":
	case failedRow:
		fmt.Fprintf(a.stdout, "last run failed: %s\n", a.shown(firstLine(t.LastError)))
	default:
		fmt.Fprintf(a.stdout, "last run failed: %s\n", a.shown(t.LastError))
	}
}
