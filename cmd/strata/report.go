package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/stratadb/strata/config"
	"github.com/stratadb/strata/engine"
)

// The rollout report of migrate --report FILE: one JSON document, its
// schema in docs/schema/strata-rollout-report.schema.json.

// reportFormat is the version of the report's layout.
const reportFormat = 1

type jsonReport struct {
	Format     int                `json:"format"`
	Strata     string             `json:"strata"`
	Env        string             `json:"env"`
	Database   string             `json:"database"`
	Shard      *string            `json:"shard"`
	StartWave  *string            `json:"startWave"`
	StartedAt  string             `json:"startedAt"`
	FinishedAt string             `json:"finishedAt"`
	DurationMs int64              `json:"durationMs"`
	Outcome    string             `json:"outcome"` // "succeeded", "failed" (some tenants), "stopped" (a wave over budget), "error" (nothing ran)
	Error      *string            `json:"error"`
	Summary    jsonReportSummary  `json:"summary"`
	Waves      []jsonReportWave   `json:"waves"`
	Tenants    []jsonReportTenant `json:"tenants"`
	// An env with instances: each instance, and the error of those that
	// could not be run.
	Instances []jsonReportInstance `json:"instances,omitempty"`
}

type jsonReportInstance struct {
	Instance string  `json:"instance"`
	Error    *string `json:"error"`
}

type jsonReportSummary struct {
	Tenants           int `json:"tenants"`
	Applied           int `json:"applied"`
	Failed            int `json:"failed"`
	Skipped           int `json:"skipped"`
	NotStarted        int `json:"notStarted"`
	MigrationsApplied int `json:"migrationsApplied"`
	Retries           int `json:"retries"`
}

type jsonReportWave struct {
	Number      int    `json:"number"`
	Name        string `json:"name"`
	Tenants     int    `json:"tenants"`
	Failed      int    `json:"failed"`
	MaxFailures int    `json:"maxFailures"`
	Outcome     string `json:"outcome"`
}

type jsonReportTenant struct {
	Instance      string              `json:"instance,omitempty"` // an env with instances: the tenant's
	Tenant        string              `json:"tenant"`
	Wave          *string             `json:"wave"`
	Outcome       string              `json:"outcome"` // applied, failed, skipped, not started
	DoneByOther   bool                `json:"doneByOther"`
	VersionBefore string              `json:"versionBefore"`
	VersionAfter  string              `json:"versionAfter"`
	DurationMs    int64               `json:"durationMs"`
	Retries       int                 `json:"retries"`
	Applied       []jsonReportApplied `json:"applied"`
	Errors        []jsonReportError   `json:"errors"`
}

type jsonReportApplied struct {
	Version     string `json:"version"`
	Description string `json:"description"`
	Script      string `json:"script"`
	DurationMs  int64  `json:"durationMs"`
}

type jsonReportError struct {
	Kind    string `json:"kind"` // transient or permanent
	Retried bool   `json:"retried"`
	Message string `json:"message"`
}

// rolloutReport builds the report of a migrate run: p and res may be nil
// when the run failed before planning or applying.
func (a *app) rolloutReport(env string, m *engine.Migrator, p *engine.Plan, res *engine.Result, runErr error, began, ended time.Time) jsonReport {
	r := a.newReport(env, a.where("", 0), began, ended)
	before := map[string]string{}
	if p != nil {
		for _, tp := range p.Targets {
			before[tp.Target.Name] = tp.Current
		}
	}
	if res == nil {
		r.Outcome = "error"
		if runErr != nil {
			s := a.shown(runErr.Error())
			r.Error = &s
		}
		return r
	}
	a.addReportTenants(&r, "", res, func(t string) string { return before[t] }, m)
	a.reportOutcome(&r, res.Waves, runErr)
	return r
}

// newReport is a report with its header filled in, nothing else.
func (a *app) newReport(env, database string, began, ended time.Time) jsonReport {
	r := jsonReport{Format: reportFormat, Strata: strings.Fields(versionText())[0], Env: env, Database: database,
		StartedAt: began.UTC().Format(time.RFC3339Nano), FinishedAt: ended.UTC().Format(time.RFC3339Nano),
		DurationMs: ended.Sub(began).Milliseconds(), Waves: []jsonReportWave{}, Tenants: []jsonReportTenant{}}
	if a.shard != "" {
		r.Shard = &a.shard
	}
	if a.wave != "" {
		r.StartWave = &a.wave
	}
	return r
}

// addReportTenants adds res's targets to r: instance names their database
// in an env with instances ("" otherwise), before gives a target's version
// when planned, and m (may be nil) says which errors are transient.
func (a *app) addReportTenants(r *jsonReport, instance string, res *engine.Result, before func(string) string, m *engine.Migrator) {
	errText := func(err error) string { return a.shown(err.Error()) }
	for _, t := range res.Targets {
		jt := jsonReportTenant{Instance: instance, Tenant: t.Target, VersionBefore: before(t.Target), VersionAfter: t.Version, DurationMs: t.Duration.Milliseconds(),
			Retries: len(t.Retries), DoneByOther: t.DoneByOther, Applied: []jsonReportApplied{}, Errors: []jsonReportError{}}
		if t.Wave != "" {
			w := t.Wave
			jt.Wave = &w
		}
		for _, ap := range t.Applied {
			jt.Applied = append(jt.Applied, jsonReportApplied{Version: ap.Version, Description: ap.Description, Script: ap.Script, DurationMs: ap.Duration.Milliseconds()})
		}
		for _, e := range t.Retries {
			jt.Errors = append(jt.Errors, jsonReportError{Kind: "transient", Retried: true, Message: errText(e)})
		}
		switch outcomeOf(t, false) {
		case outcomeNotStarted:
			jt.Outcome = "not started"
			r.Summary.NotStarted++
		case outcomeFailed:
			jt.Outcome = "failed"
			kind := "permanent"
			if m != nil && m.Transient(t.Err) {
				kind = "transient" // retries exhausted
			}
			jt.Errors = append(jt.Errors, jsonReportError{Kind: kind, Message: errText(t.Err)})
			r.Summary.Failed++
		case outcomeMigrated:
			jt.Outcome = "applied"
			r.Summary.Applied++
		default:
			jt.Outcome = "skipped"
			r.Summary.Skipped++
		}
		r.Summary.Retries += len(t.Retries)
		r.Summary.MigrationsApplied += len(t.Applied)
		r.Tenants = append(r.Tenants, jt)
	}
	r.Summary.Tenants = len(r.Tenants)
}

// reportOutcome sets r's waves and outcome once its tenants are in.
func (a *app) reportOutcome(r *jsonReport, waves []engine.WaveResult, runErr error) {
	for _, w := range waves {
		r.Waves = append(r.Waves, jsonReportWave{Number: w.Number, Name: w.Name, Tenants: w.Targets, Failed: w.Failed, MaxFailures: w.Budget, Outcome: w.Outcome})
	}
	r.Outcome = "succeeded"
	for _, w := range waves {
		if w.Outcome == engine.WaveFailed {
			r.Outcome = "stopped"
		}
	}
	if r.Outcome == "succeeded" && (r.Summary.Failed > 0 || r.Summary.NotStarted > 0 || runErr != nil) {
		r.Outcome = "failed"
	}
}

// writeFleetReport writes --report for a run over a fleet and returns the
// run's error, made a failure when the report cannot be written. units is
// nil when the run failed before it reached the instances.
func (a *app) writeFleetReport(path string, cfg *config.Config, units []*fleetUnit, waves []engine.WaveResult, fr *fleetRollout, runErr error, began time.Time) error {
	env, database := "", ""
	if cfg != nil {
		env, database = cfg.Env.Name, fmt.Sprintf("%d instances", len(cfg.Env.Instances))
	}
	r := a.newReport(env, database, began, time.Now())
	if units == nil {
		r.Outcome = "error"
		if runErr != nil {
			s := a.shown(runErr.Error())
			r.Error = &s
		}
	} else {
		for i, u := range units {
			ri := jsonReportInstance{Instance: u.inst.Name}
			if u.err != nil {
				s := a.shown(u.err.Error())
				ri.Error = &s
			}
			r.Instances = append(r.Instances, ri)
			if u.res == nil {
				continue
			}
			before := func(t string) string {
				if fr != nil {
					return fr.before[fleetTenant{inst: i, name: t}.key()]
				}
				if u.plan != nil {
					for _, tp := range u.plan.Targets {
						if tp.Target.Name == t {
							return tp.Current
						}
					}
				}
				return ""
			}
			a.addReportTenants(&r, u.inst.Name, u.res, before, u.m)
		}
		a.reportOutcome(&r, waves, runErr)
	}
	werr := writeReport(path, r)
	if werr == nil {
		return runErr
	}
	if a.format == "text" {
		fmt.Fprintf(a.stderr, "error: %s\n", werr)
		werr = nil // printed
	}
	if runErr == nil {
		return &exitError{code: exitFailed, err: werr}
	}
	return runErr
}

// writeReport writes the report to path, through a temporary file renamed
// into place, so that a reader never sees half of it.
func writeReport(path string, r jsonReport) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".strata-report-*")
	if err != nil {
		return fmt.Errorf("--report %s: %w", path, err)
	}
	_, werr := tmp.Write(append(data, '\n'))
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("--report %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("--report %s: %w", path, err)
	}
	return nil
}
