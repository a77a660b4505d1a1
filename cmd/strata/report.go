package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

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
	r := jsonReport{Format: reportFormat, Strata: strings.Fields(versionText())[0], Env: env, Database: a.where("", 0),
		StartedAt: began.UTC().Format(time.RFC3339Nano), FinishedAt: ended.UTC().Format(time.RFC3339Nano),
		DurationMs: ended.Sub(began).Milliseconds(), Waves: []jsonReportWave{}, Tenants: []jsonReportTenant{}}
	if a.shard != "" {
		r.Shard = &a.shard
	}
	if a.wave != "" {
		r.StartWave = &a.wave
	}
	before := map[string]string{}
	if p != nil {
		for _, tp := range p.Targets {
			before[tp.Target.Name] = tp.Current
		}
	}
	errText := func(err error) string { return a.shown(err.Error()) }
	if res == nil {
		r.Outcome = "error"
		if runErr != nil {
			s := errText(runErr)
			r.Error = &s
		}
		return r
	}
	for _, w := range res.Waves {
		r.Waves = append(r.Waves, jsonReportWave{Number: w.Number, Name: w.Name, Tenants: w.Targets, Failed: w.Failed, MaxFailures: w.Budget, Outcome: w.Outcome})
	}
	for _, t := range res.Targets {
		jt := jsonReportTenant{Tenant: t.Target, VersionBefore: before[t.Target], VersionAfter: t.Version, DurationMs: t.Duration.Milliseconds(),
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
		switch {
		case t.Err != nil && strings.Contains(t.Err.Error(), ": not started: "):
			jt.Outcome = "not started"
			r.Summary.NotStarted++
		case t.Err != nil:
			jt.Outcome = "failed"
			kind := "permanent"
			if m != nil && m.Transient(t.Err) {
				kind = "transient" // retries exhausted
			}
			jt.Errors = append(jt.Errors, jsonReportError{Kind: kind, Message: errText(t.Err)})
			r.Summary.Failed++
		case len(t.Applied) > 0:
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
	r.Outcome = "succeeded"
	for _, w := range res.Waves {
		if w.Outcome == engine.WaveFailed {
			r.Outcome = "stopped"
		}
	}
	if r.Outcome == "succeeded" && (r.Summary.Failed > 0 || r.Summary.NotStarted > 0 || runErr != nil) {
		r.Outcome = "failed"
	}
	return r
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
