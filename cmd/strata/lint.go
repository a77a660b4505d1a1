package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stratadb/strata/config"
	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/internal/lint"
	"github.com/stratadb/strata/locations"
	"github.com/stratadb/strata/placeholders"
)

// jsonLint is lint's JSON result.
type jsonLint struct {
	Files    []string          `json:"files"`
	Findings []jsonLintFinding `json:"findings"`
	Errors   int               `json:"errors"`
	Warnings int               `json:"warnings"`
}

type jsonLintFinding struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Message  string `json:"message"`
	Fix      string `json:"fix"`
}

// lintFailed is error-level findings: strata lint exits 3, and migrate
// with lint = "error" refuses.
type lintFailed struct {
	errors, warnings int
	findings         []lint.Finding
	migrate          bool
}

func (e *lintFailed) Error() string {
	if e.migrate {
		return fmt.Sprintf("lint found %d error%s in the pending migrations (listed above) and the env sets lint = \"error\": nothing was applied; fix them, or turn a rule off with -- strata:lint-ignore=RULE in the file or lint_disable in strata.hcl", e.errors, plural(e.errors))
	}
	return fmt.Sprintf("lint found %d error%s and %d warning%s", e.errors, plural(e.errors), e.warnings, plural(e.warnings))
}

func (a *app) lintCommand() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "lint [FILE...]",
		Short: "Check PostgreSQL migrations for DDL that locks or breaks a running database",
		Example: `  strata lint                        # the env's pending migrations (reads the history)
  strata lint --all                  # every versioned and repeatable file, without connecting
  strata lint db/V7__add_index.sql --format json`,
		Long: `Read migrations with PostgreSQL's own parser and report, as file:line:col with
a fix, the statements that take a production database down: CREATE INDEX
without CONCURRENTLY, ADD COLUMN NOT NULL without a default or with a volatile
one, ALTER COLUMN TYPE, constraints without NOT VALID, SET NOT NULL without a
validated CHECK, renames and drops that running code still uses, REINDEX
without CONCURRENTLY, LOCK TABLE, data changes mixed with DDL, several heavy
locks in one transaction, and heavy locks without lock_timeout (the README
lists the rules). A table created by an earlier checked statement is new, and
the rules about existing tables leave it alone.

Without FILE it checks the env's pending migrations, in the order migrate
would run them (it reads the history, and changes nothing); with --all every
versioned and repeatable file, without connecting. Turn a rule off in a file
with -- strata:lint-ignore=RULE in its leading comments, or for an env with
lint_disable = ["RULE"]. Exits 3 when a finding is an error, 0 otherwise.
PostgreSQL only: on SQLite, SQL Server and MySQL envs it exits 2.

Rules:
` + ruleList(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.begin(); err != nil {
				return err
			}
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			if err := postgresOnly("lint", cfg.Env); err != nil {
				return err
			}
			if err := checkLintDisable(cfg.Env); err != nil {
				return err
			}
			var files []lint.File
			switch {
			case len(args) > 0:
				if all {
					return &exitError{code: exitUsage, err: errors.New("--all and FILE: give one of them")}
				}
				for _, p := range args {
					f, err := lintFileFromDisk(p)
					if err != nil {
						return err
					}
					files = append(files, f)
				}
			case all:
				set, err := a.collect(cfg)
				if err != nil {
					return err
				}
				for _, f := range append(append([]*locations.File{}, set.Versioned...), set.Repeatable...) {
					lf, err := lintFileOf(f)
					if err != nil {
						return err
					}
					files = append(files, lf)
				}
			default:
				a.readOnly = true
				_, m, done, err := a.setup(cmd.Context())
				if err != nil {
					return err
				}
				defer done()
				p, err := m.Plan(cmd.Context())
				if err != nil {
					return err
				}
				if files, err = pendingLintFiles(p); err != nil {
					return err
				}
			}
			return a.runLint(cfg.Env, files, false)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "check every versioned and repeatable file of the env, pending or not, without connecting")
	return cmd
}

// checkLintDisable refuses an env's lint_disable that names no rule.
func checkLintDisable(env *config.Env) error {
	if u := lint.UnknownRules(env.LintDisable); len(u) > 0 {
		var ids []string
		for _, r := range lint.Rules {
			ids = append(ids, r.ID)
		}
		return &exitError{code: exitUsage, err: fmt.Errorf("env %s: lint_disable names no rule %s; the rules are %s", env.Name, strings.Join(u, ", "), strings.Join(ids, ", "))}
	}
	return nil
}

// pendingLintFiles are the files a plan would run, once each (the same
// file pending on several tenants is checked once), in order.
func pendingLintFiles(p *engine.Plan) ([]lint.File, error) {
	seen := map[string]bool{}
	var out []lint.File
	for _, t := range p.Targets {
		for _, e := range t.Pending {
			if e.File == nil || seen[e.File.Path()] {
				continue
			}
			seen[e.File.Path()] = true
			f, err := lintFileOf(e.File)
			if err != nil {
				return nil, err
			}
			out = append(out, f)
		}
	}
	return out, nil
}

func lintFileOf(f *locations.File) (lint.File, error) {
	text, err := f.ReadText()
	if err != nil {
		return lint.File{}, err
	}
	d := f.Directives
	return lint.File{Path: f.Path(), Text: text, Transactional: d.Transaction, LockTimeout: d.LockTimeout, Ignore: d.LintIgnore}, nil
}

func lintFileFromDisk(p string) (lint.File, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return lint.File{}, &exitError{code: exitUsage, err: fmt.Errorf("lint: %w", err)}
	}
	var conf []byte
	confPath := p + ".conf"
	if c, err := os.ReadFile(confPath); err == nil {
		conf = c
	}
	d, err := locations.ParseDirectives(filepath.ToSlash(p), b, confPath, conf)
	if err != nil {
		return lint.File{}, err
	}
	return lint.File{Path: filepath.ToSlash(p), Text: strings.TrimPrefix(string(b), "\uFEFF"), Transactional: d.Transaction, LockTimeout: d.LockTimeout, Ignore: d.LintIgnore}, nil
}

// runLint checks files and reports the findings: on stdout for strata
// lint, on stderr before migrate runs. It returns a *lintFailed when a
// finding is an error (for migrate: when the env sets lint = "error").
func (a *app) runLint(env *config.Env, files []lint.File, migrate bool) error {
	for _, f := range files {
		if u := lint.UnknownRules(f.Ignore); len(u) > 0 {
			msg := "strata:lint-ignore names no rule " + strings.Join(u, ", ") + " (strata lint --help lists the rules)"
			fmt.Fprintf(a.stderr, "warning: %s: %s\n", f.Path, msg)
			a.warn(f.Path, msg)
		}
	}
	findings, err := lint.Lint(files, lint.Options{
		Syntax:      placeholders.Syntax{Prefix: env.Placeholders.Prefix, Suffix: env.Placeholders.Suffix},
		Disabled:    env.LintDisable,
		LockTimeout: env.LockTimeout,
	})
	if err != nil {
		return fmt.Errorf("lint: %w", err)
	}
	res := &lintFailed{findings: findings, migrate: migrate}
	for _, f := range findings {
		if f.Severity == lint.Error {
			res.errors++
		} else {
			res.warnings++
		}
	}
	out := a.stdout
	if migrate {
		out = a.stderr
	}
	if !migrate && a.format == "json" {
		j := jsonLint{Files: []string{}, Findings: []jsonLintFinding{}, Errors: res.errors, Warnings: res.warnings}
		for _, f := range files {
			j.Files = append(j.Files, f.Path)
		}
		for _, f := range findings {
			j.Findings = append(j.Findings, jsonLintFinding{Rule: f.Rule, Severity: string(f.Severity), File: f.File, Line: f.Line, Column: f.Column, Message: a.shown(f.Message), Fix: f.Fix})
		}
		a.result = j
	} else if a.format == "text" {
		for _, f := range findings {
			fmt.Fprintln(out, a.shown(f.String()))
		}
		if !migrate || len(findings) > 0 {
			fmt.Fprintf(out, "lint: %d file%s checked, %d error%s, %d warning%s\n", len(files), plural(len(files)), res.errors, plural(res.errors), res.warnings, plural(res.warnings))
		}
	}
	if migrate {
		for _, f := range findings {
			if f.Severity == lint.Warning || env.Lint != "error" {
				a.warn(f.File, fmt.Sprintf("%d:%d: %s [%s]", f.Line, f.Column, f.Message, f.Rule))
			}
		}
		if env.Lint != "error" || res.errors == 0 {
			return nil
		}
	}
	if res.errors > 0 {
		return res
	}
	return nil
}

// lintReady refuses, before migrate plans, an env whose lint setting
// cannot be honoured: not PostgreSQL, or an unknown rule in lint_disable.
func lintReady(env *config.Env) error {
	if err := postgresOnly("migrate", env); err != nil {
		return err
	}
	return checkLintDisable(env)
}

// lintPending runs lint on what the plan would apply, for migrate with
// lint set in the env.
func (a *app) lintPending(_ context.Context, env *config.Env, p *engine.Plan) error {
	files, err := pendingLintFiles(p)
	if err != nil || len(files) == 0 {
		return err
	}
	return a.runLint(env, files, true)
}

// ruleList is the rules for lint's help: id, severity and reason.
func ruleList() string {
	var b strings.Builder
	for _, r := range lint.Rules {
		fmt.Fprintf(&b, "  %-28s %-8s %s\n", r.ID, r.Severity, r.Reason)
	}
	return strings.TrimRight(b.String(), "\n")
}
