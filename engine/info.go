package engine

import (
	"context"
	"fmt"
)

// Info is the state of every migration on every target.
type Info struct {
	// TablesExist reports whether Strata's history table exists yet.
	TablesExist bool
	Targets     []TargetInfo
}

// TargetInfo is the state of one target.
type TargetInfo struct {
	Target    string
	Current   string   // schema version, "" when empty
	Entries   []*Entry // in Flyway's order: applied by rank, then the rest
	Pending   int      // migrations migrate would apply
	Failed    int      // entries in a failed state
	LastError string   // the last run on this target failed with this error (see the entries: a failed non-transactional row stayed partly applied)
	// Problems are findings about the target itself: its schema is gone,
	// or its history was changed outside strata.
	Problems []Finding
	// NonEmpty is set when migrate would refuse the target: its schema
	// holds objects but it has no history.
	NonEmpty *NonEmptySchemaError
}

// Info reads the history without taking any lock and without creating
// anything.
func (m *Migrator) Info(ctx context.Context) (*Info, error) {
	return m.newRun().info(ctx)
}

func (m *run) info(ctx context.Context) (*Info, error) {
	conn, err := m.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("info: connect: %w", err)
	}
	defer conn.Close()
	p, err := m.inspect(ctx, conn, m.details, forMigrate)
	if err != nil {
		return nil, err
	}
	out := &Info{TablesExist: p.tablesExist}
	for _, tp := range p.Targets {
		ti := TargetInfo{Target: tp.Target.Name, Current: tp.Current, Entries: tp.Entries, Pending: len(tp.Pending), LastError: m.mask(tp.LastError),
			Problems: tp.structural, NonEmpty: tp.NonEmpty}
		for _, e := range tp.Entries {
			if e.State.Failed() {
				ti.Failed++
			}
			if e.Row != nil {
				e.Row.Error = m.mask(e.Row.Error)
			}
			m.maskPartial(e.Partial)
		}
		out.Targets = append(out.Targets, ti)
	}
	return out, nil
}

// ValidateResult is what Validate checked.
type ValidateResult struct {
	Validated int // migrations checked over all targets
	Targets   []TargetValidated
}

// TargetValidated is what Validate checked on one target.
type TargetValidated struct {
	Target    string
	Validated int // migrations (files and history rows) checked
}

// Validate compares the files with the history of every target: checksum
// drift, missing files, failed entries, pending migrations (unless ignored
// by a pattern). It changes nothing. Findings are returned as a
// *ValidationError.
func (m *Migrator) Validate(ctx context.Context) (*ValidateResult, error) {
	return m.newRun().validate(ctx)
}

func (m *run) validate(ctx context.Context) (*ValidateResult, error) {
	conn, err := m.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("validate: connect: %w", err)
	}
	defer conn.Close()
	p, err := m.inspect(ctx, conn, true, forMigrate) // every target's history, not the state table's summary
	if err != nil {
		return nil, err
	}
	res := &ValidateResult{}
	var all []Finding
	for _, tp := range p.Targets {
		res.Validated += len(tp.Entries)
		res.Targets = append(res.Targets, TargetValidated{Target: tp.Target.Name, Validated: len(tp.Entries)})
		all = append(all, m.findings(tp, false)...)
		if tp.NonEmpty != nil {
			all = append(all, Finding{Target: tp.Target.Name, Code: "NON_EMPTY_SCHEMA", Message: tp.NonEmpty.Error()})
		}
		for _, pr := range tp.problems {
			all = append(all, Finding{Target: tp.Target.Name, Code: "UNDEFINED_PLACEHOLDER", Script: pr.Path,
				Message: fmt.Sprintf("%s:%d:%d: undefined placeholder %s in a pending migration: migrate would refuse to start", pr.Path, pr.Line, pr.Column, pr.Name)})
		}
	}
	if len(all) > 0 {
		return res, m.maskErr(&ValidationError{Findings: all})
	}
	return res, nil
}
