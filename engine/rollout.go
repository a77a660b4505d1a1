package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"path"
	"strconv"
	"strings"
	"time"
)

// Wave is one stage of a staged rollout over an env's tenants (WithWaves).
// It selects, among the tenants no earlier wave took and in the tenant
// source's order, those named in Schemas, those matching Pattern, those
// Query returns, the first Count, or the first Percent per cent of them
// (rounded up). A wave without a selector takes all the rest; only the
// last may have none, and when the last has one, the tenants no wave
// selects form a final wave named "rest".
type Wave struct {
	Name    string
	Schemas []string
	Pattern string
	// Query is run on the database when the run is planned; it returns one
	// column of tenant names (names that are not tenants are ignored).
	Query    string
	Count    int
	Percent  float64
	Parallel int // 0: WithParallel's
	// The wave's error budget: more failed tenants than MaxFailures, or
	// than MaxFailuresPercent per cent of the wave's tenants (rounded down)
	// when that is not zero, stop the rollout before the next wave starts.
	MaxFailures        int
	MaxFailuresPercent float64
	Pause              time.Duration // after the wave did work, before the next starts
}

// PlanWave is a wave as a plan resolved it: the run's tenants in it.
type PlanWave struct {
	Name     string
	Number   int      // 1-based, in the rollout (the "rest" wave included)
	Targets  []string // the run's tenants of the wave (after WithTenantFilter and WithShard), in order
	Parallel int
	Budget   int // failed tenants tolerated
	Pause    time.Duration
}

// WaveResult is what Apply did with one wave.
type WaveResult struct {
	Name    string
	Number  int
	Targets int
	Failed  int
	Budget  int
	Outcome string // WaveCompleted, WaveFailed (over budget: the rollout stopped) or WaveNotStarted
}

// The outcomes of a wave.
const (
	WaveCompleted  = "completed"
	WaveFailed     = "failed"
	WaveNotStarted = "not started"
)

// WaveStarted: Apply begins a wave. Paused is how long it waited first
// (the previous wave's pause).
type WaveStarted struct {
	Wave    string
	Number  int
	Waves   int // the number of the rollout's last wave
	Targets int // the wave's tenants
	Pending int // of them, those with pending migrations
	Paused  time.Duration
}

// WaveFinished: every tenant of the wave has finished. Stopped: its
// failures exceed its budget and no later wave starts.
type WaveFinished struct {
	Wave    string
	Number  int
	Failed  int
	Budget  int
	Stopped bool
}

// WavePausing: Apply waits Pause, the previous wave's pause, before wave
// Number starts.
type WavePausing struct {
	Wave   string // the wave that starts after the pause
	Number int
	Pause  time.Duration
}

func (WaveStarted) event()  {}
func (WaveFinished) event() {}
func (WavePausing) event()  {}

// WithWaves runs the tenants in waves, in order (see Wave).
func WithWaves(waves ...Wave) Option {
	return option("waves", "WithWaves", func(m *Migrator) error {
		if len(waves) == 0 {
			return errors.New("waves: give at least one")
		}
		seen := map[string]bool{}
		for i, w := range waves {
			if strings.TrimSpace(w.Name) == "" {
				return fmt.Errorf("waves: wave %d has no name", i+1)
			}
			if seen[w.Name] {
				return fmt.Errorf("waves: two waves are named %q", w.Name)
			}
			seen[w.Name] = true
			n := 0
			for _, set := range []bool{len(w.Schemas) > 0, w.Pattern != "", w.Query != "", w.Count > 0, w.Percent > 0} {
				if set {
					n++
				}
			}
			if n > 1 {
				return fmt.Errorf("waves: wave %q: give one of schemas, pattern, query, count or percent", w.Name)
			}
			if n == 0 && i < len(waves)-1 {
				return fmt.Errorf("waves: wave %q selects no tenants, so it takes the rest: only the last wave may", w.Name)
			}
			if w.Pattern != "" {
				if _, err := path.Match(w.Pattern, ""); err != nil {
					return fmt.Errorf("waves: wave %q: pattern %q: %w", w.Name, w.Pattern, err)
				}
			}
			if w.Count < 0 || w.Percent < 0 || w.Percent > 100 || w.Parallel < 0 || w.MaxFailures < 0 || w.MaxFailuresPercent < 0 || w.MaxFailuresPercent > 100 {
				return fmt.Errorf("waves: wave %q: count, parallel and max_failures must not be negative, percentages at most 100", w.Name)
			}
		}
		m.waveDefs = append([]Wave(nil), waves...)
		return nil
	})
}

// WithStartWave starts a rollout at a wave, given by name or 1-based
// number: the waves before it are left out of the run (for --wave, after
// a fix, to go past a wave that stopped the rollout).
func WithStartWave(wave string) Option {
	return option("start wave", "WithStartWave", func(m *Migrator) error {
		if strings.TrimSpace(wave) == "" {
			return errors.New("start wave: give a wave's name or number")
		}
		m.startWave = wave
		return nil
	})
}

// WaveCandidate is one tenant for AssignWaves. Key names it uniquely in
// the rollout (a fleet of instances qualifies the name with its
// instance); the selectors match Name. Queried is QueryWaves's result on
// the tenant's database: by wave name, the names its Query returned.
type WaveCandidate struct {
	Key, Name string
	Queried   map[string]map[string]bool
}

// AssignWaves puts each candidate, in the given order, into the first wave
// of defs that selects it, and returns the waves with their candidates'
// keys (a final "rest" wave takes those no wave selects). A name in a
// wave's Schemas selects every candidate with that name; one that matches
// no candidate is an error. Budget is left to the caller: it depends on
// which of the tenants a run keeps.
func AssignWaves(defs []Wave, all []WaveCandidate) ([]PlanWave, error) {
	known := make(map[string]bool, len(all))
	for _, c := range all {
		known[c.Name] = true
	}
	taken := make(map[string]bool, len(all)) // by key
	var out []PlanWave
	rest := func() []WaveCandidate {
		var r []WaveCandidate
		for _, c := range all {
			if !taken[c.Key] {
				r = append(r, c)
			}
		}
		return r
	}
	for i, w := range defs {
		left := rest()
		var sel []WaveCandidate
		switch {
		case len(w.Schemas) > 0:
			var missing []string
			named := make(map[string]bool, len(w.Schemas))
			for _, s := range w.Schemas {
				if !known[s] {
					missing = append(missing, s)
				}
				named[s] = true // a name listed twice is taken once
			}
			if len(missing) > 0 {
				return nil, fmt.Errorf("wave %q names %s, not among the %d tenants of the tenant source: fix the wave or the tenant source", w.Name, strings.Join(missing, ", "), len(all))
			}
			for _, c := range left {
				if named[c.Name] {
					sel = append(sel, c)
				}
			}
		case w.Pattern != "":
			for _, c := range left {
				if ok, _ := path.Match(w.Pattern, c.Name); ok {
					sel = append(sel, c)
				}
			}
		case w.Query != "":
			for _, c := range left {
				if c.Queried[w.Name][c.Name] {
					sel = append(sel, c)
				}
			}
		case w.Count > 0:
			sel = left[:min(w.Count, len(left))]
		case w.Percent > 0:
			sel = left[:min(int(math.Ceil(w.Percent*float64(len(left))/100)), len(left))]
		default:
			sel = left
		}
		keys := make([]string, len(sel))
		for j, c := range sel {
			taken[c.Key] = true
			keys[j] = c.Key
		}
		out = append(out, PlanWave{Name: w.Name, Number: i + 1, Targets: keys, Parallel: w.Parallel, Pause: w.Pause})
	}
	if left := rest(); len(left) > 0 {
		keys := make([]string, len(left))
		for j, c := range left {
			keys[j] = c.Key
		}
		out = append(out, PlanWave{Name: "rest", Number: len(out) + 1, Targets: keys})
	}
	return out, nil
}

// StartWave returns the index in waves of the wave named by wave, its
// name or its 1-based number (WithStartWave, --wave).
func StartWave(waves []PlanWave, wave string) (int, error) {
	for i, w := range waves {
		if w.Name == wave || strconv.Itoa(w.Number) == wave {
			return i, nil
		}
	}
	names := make([]string, len(waves))
	for i, w := range waves {
		names[i] = fmt.Sprintf("%d %s", w.Number, w.Name)
	}
	return -1, fmt.Errorf("wave %q: the rollout has no such wave: give one of %s", wave, strings.Join(names, ", "))
}

// WaveBudget is the number of failed tenants wave def tolerates when the
// run keeps n of its tenants; def is the zero Wave for the implicit
// "rest" wave, which tolerates none.
func WaveBudget(def Wave, n int) int {
	if def.MaxFailuresPercent > 0 {
		return int(math.Floor(def.MaxFailuresPercent * float64(n) / 100))
	}
	return def.MaxFailures
}

// QueryWaves runs the Query of each of waves that has one on the
// database and returns, by wave name, the names it returned: a read, for a
// caller that assigns waves over several databases with AssignWaves.
func (m *Migrator) QueryWaves(ctx context.Context, waves []Wave) (map[string]map[string]bool, error) {
	conn, err := m.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("waves: connect: %w", err)
	}
	defer conn.Close()
	return queryWaves(ctx, conn, waves)
}

func queryWaves(ctx context.Context, conn *sql.Conn, waves []Wave) (map[string]map[string]bool, error) {
	out := map[string]map[string]bool{}
	for _, w := range waves {
		if w.Query == "" {
			continue
		}
		names, err := queryNames(ctx, conn, w.Query)
		if err != nil {
			return nil, fmt.Errorf("wave %q: %w", w.Name, err)
		}
		set := make(map[string]bool, len(names))
		for _, n := range names {
			set[n] = true
		}
		out[w.Name] = set
	}
	return out, nil
}

// assignWaves assigns one database's tenants (all, in the source's order)
// to the waves; queried is QueryWaves's result.
func assignWaves(defs []Wave, all []string, queried map[string]map[string]bool) ([]PlanWave, error) {
	cands := make([]WaveCandidate, len(all))
	for i, t := range all {
		cands[i] = WaveCandidate{Key: t, Name: t, Queried: queried}
	}
	return AssignWaves(defs, cands)
}

// resolveWaves assigns the env's tenants (all) to the waves, keeps those
// of the run (run: after the filter and the shard) and the waves from the
// start wave on, and returns the run's tenants in wave order.
func (m *run) resolveWaves(all, run []string, queried map[string]map[string]bool) ([]string, error) {
	waves, err := assignWaves(m.waveDefs, all, queried)
	if err != nil {
		return nil, err
	}
	if m.startWave != "" {
		start, err := StartWave(waves, m.startWave)
		if err != nil {
			return nil, err
		}
		waves = waves[start:]
	}
	in := make(map[string]bool, len(run))
	for _, t := range run {
		in[t] = true
	}
	var tenants []string
	for i := range waves {
		w := &waves[i]
		var keep []string
		for _, t := range w.Targets {
			if in[t] {
				keep = append(keep, t)
			}
		}
		w.Targets = keep
		tenants = append(tenants, keep...)
		if w.Parallel == 0 {
			w.Parallel = m.parallel
		}
		def := Wave{Name: w.Name} // the implicit "rest" wave tolerates nothing
		if w.Number <= len(m.waveDefs) {
			def = m.waveDefs[w.Number-1]
		}
		w.Budget = WaveBudget(def, len(keep))
	}
	m.waves = waves
	return tenants, nil
}
