package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/stratadb/strata/locations"
)

// MarkAppliedPlan returns the history rows MarkApplied would write, one
// action of kind "mark applied" per target and version, changing nothing.
// Each version must be a versioned file. On a target where it is already
// applied there is nothing to do; where it is Pending (or Discarded) it is
// marked; any other state there (Ignored as out of order, Above Target, a
// failed run) is an error before anything is written, as is a version that
// would leave a lower pending version below it: list that one too, or
// migrate it first.
func (m *Migrator) MarkAppliedPlan(ctx context.Context, versions []string) (*LifecycleResult, error) {
	r := m.newRun()
	p, err := r.planAll(ctx)
	if err != nil {
		return nil, err
	}
	_, res, err := r.markCandidates(p, versions)
	return res, err
}

// MarkApplied writes a successful history row for each version of
// MarkAppliedPlan without running its file (Flyway's
// skipExecutingMigrations; goose's "mark as applied"): checksum and
// description from the file, execution time 0, and MarkSkip in Strata's
// mark column so that the history says the file did not run. Each
// target's rows are written in one transaction under its lock, together
// with its state row.
func (m *Migrator) MarkApplied(ctx context.Context, versions []string) (*LifecycleResult, error) {
	r := m.newRun()
	p, err := r.planAll(ctx)
	if err != nil {
		return nil, err
	}
	byTarget, _, err := r.markCandidates(p, versions)
	if err != nil {
		return nil, err
	}
	res := &LifecycleResult{}
	for _, tp := range p.Targets {
		if len(byTarget[tp.Target.Name]) == 0 {
			continue
		}
		err := r.onTarget(ctx, p, tp.Target, func(run *targetRun, cur *TargetPlan) error {
			// Planned again under the lock: another runner may have
			// applied some meanwhile.
			files, acts, err := r.markTarget(cur, versions)
			if err != nil || len(files) == 0 {
				return err
			}
			d := r.dialect
			parts := []Part{{SQL: d.Begin()}}
			for _, f := range files {
				c := f.Checksum
				row := HistoryRow{Version: f.Version.String(), Description: abbreviate(f.Description), Type: TypeSQL, Script: f.Script,
					Checksum: &c, InstalledBy: r.installedBy, Success: true, Tenant: tp.Target.Name, VersionKey: f.Version.Key(),
					FailedStatement: -1, Mark: MarkSkip}
				parts = append(parts, Part{SQL: r.store().insertHistory(row, "0")})
			}
			parts = append(parts, Part{SQL: "COMMIT"})
			if err := d.Exec(ctx, run.conn, parts); err != nil {
				run.rollback(ctx)
				return fmt.Errorf("target %s: mark applied: %w", tp.Target.Name, err)
			}
			res.Actions = append(res.Actions, acts...)
			return nil
		})
		if err != nil {
			return res, r.maskErr(err)
		}
	}
	return res, nil
}

// markCandidates checks the versions on every target and returns, per
// target, the files to mark.
func (m *run) markCandidates(p *Plan, versions []string) (map[string][]*locations.File, *LifecycleResult, error) {
	if len(versions) == 0 {
		return nil, nil, fmt.Errorf("mark applied: no version given")
	}
	byVersion := map[string]*locations.File{}
	for _, f := range m.files.Versioned {
		byVersion[f.Version.Key()] = f
	}
	for _, s := range versions {
		v, err := locations.ParseVersion(s)
		if err != nil {
			return nil, nil, fmt.Errorf("mark applied: version %q: %w", s, err)
		}
		if byVersion[v.Key()] == nil {
			return nil, nil, fmt.Errorf("mark applied: no versioned migration file has version %s; nothing was marked", v)
		}
	}
	out := map[string][]*locations.File{}
	res := &LifecycleResult{}
	var problems []string
	for _, tp := range p.Targets {
		files, acts, err := m.markTarget(tp, versions)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		out[tp.Target.Name] = files
		res.Actions = append(res.Actions, acts...)
	}
	if len(problems) > 0 {
		return nil, nil, fmt.Errorf("mark applied: %s; nothing was marked", strings.Join(problems, "; "))
	}
	return out, res, nil
}

// markTarget decides, on one target, which of the versions to mark.
func (m *run) markTarget(tp *TargetPlan, versions []string) ([]*locations.File, []Action, error) {
	want := map[string]bool{}
	for _, s := range versions {
		if v, err := locations.ParseVersion(s); err == nil {
			want[v.Key()] = true
		}
	}
	applied := map[string]bool{}
	for _, e := range tp.Entries {
		if e.Row != nil && e.Version != "" && !e.Row.undo() && !e.Row.synthetic() && e.State.Applied() && !e.State.Failed() {
			applied[e.version.Key()] = true
		}
	}
	var files []*locations.File
	var acts []Action
	var bad, below []string
	for _, e := range tp.Entries {
		if e.File == nil || e.File.Kind != locations.Versioned || e.Row != nil && e.State != StateFailed {
			continue
		}
		key := e.File.Version.Key()
		switch {
		case applied[key]:
		case want[key] && (e.State == StatePending || e.State == StateDiscarded):
			files = append(files, e.File)
			acts = append(acts, Action{Target: tp.Target.Name, Kind: "mark applied", Version: e.File.Version.String(),
				Description: e.File.Description, Script: e.File.Path()})
		case want[key]:
			bad = append(bad, fmt.Sprintf("version %s is %s on target %s", e.File.Version, e.State, tp.Target.Name))
		case e.State == StatePending:
			below = append(below, e.File.Version.String())
		}
	}
	slices.SortFunc(files, func(a, b *locations.File) int { return a.Version.Compare(b.Version) })
	if len(bad) > 0 {
		return nil, nil, fmt.Errorf("%s (only a pending version can be marked applied)", strings.Join(bad, ", "))
	}
	if len(files) > 0 {
		top := files[len(files)-1].Version
		var lower []string
		for _, s := range below {
			if v, _ := locations.ParseVersion(s); v.Compare(top) < 0 {
				lower = append(lower, s)
			}
		}
		if len(lower) > 0 {
			return nil, nil, fmt.Errorf("target %s: marking version %s applied would leave version %s pending below it: list %s too, or migrate %s first",
				tp.Target.Name, top, strings.Join(lower, ", "), pronoun(len(lower)), pronoun(len(lower)))
		}
	}
	return files, acts, nil
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}
