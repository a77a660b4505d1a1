package engine

import (
	"context"
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
// source's order, those named in Schemas, those matching Pattern, the
// first Count, or the first Percent per cent of them (rounded up). A wave
// without a selector takes all the rest; only the last may have none, and
// when the last has one, the tenants no wave selects form a final wave
// named "rest".
type Wave struct {
	Name     string
	Schemas  []string
	Pattern  string
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
			for _, set := range []bool{len(w.Schemas) > 0, w.Pattern != "", w.Count > 0, w.Percent > 0} {
				if set {
					n++
				}
			}
			if n > 1 {
				return fmt.Errorf("waves: wave %q: give one of schemas, pattern, count or percent", w.Name)
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

// assignWaves puts each of all (the env's tenants, in the source's order)
// into the first wave that selects it.
func assignWaves(defs []Wave, all []string) ([]PlanWave, error) {
	known := make(map[string]bool, len(all))
	for _, t := range all {
		known[t] = true
	}
	taken := make(map[string]bool, len(all))
	var out []PlanWave
	rest := func() []string {
		var r []string
		for _, t := range all {
			if !taken[t] {
				r = append(r, t)
			}
		}
		return r
	}
	for i, w := range defs {
		left := rest()
		var sel []string
		switch {
		case len(w.Schemas) > 0:
			var missing []string
			for _, s := range w.Schemas {
				switch {
				case !known[s]:
					missing = append(missing, s)
				case !taken[s]:
					sel = append(sel, s)
					taken[s] = true // a name listed twice is taken once
				}
			}
			if len(missing) > 0 {
				return nil, fmt.Errorf("wave %q names %s, not among the %d tenants of the tenant source: fix the wave or the tenant source", w.Name, strings.Join(missing, ", "), len(all))
			}
		case w.Pattern != "":
			for _, t := range left {
				if ok, _ := path.Match(w.Pattern, t); ok {
					sel = append(sel, t)
				}
			}
		case w.Count > 0:
			sel = left[:min(w.Count, len(left))]
		case w.Percent > 0:
			sel = left[:min(int(math.Ceil(w.Percent*float64(len(left))/100)), len(left))]
		default:
			sel = left
		}
		for _, t := range sel {
			taken[t] = true
		}
		out = append(out, PlanWave{Name: w.Name, Number: i + 1, Targets: sel, Parallel: w.Parallel, Pause: w.Pause})
	}
	if left := rest(); len(left) > 0 {
		out = append(out, PlanWave{Name: "rest", Number: len(out) + 1, Targets: left})
	}
	return out, nil
}

// resolveWaves assigns the env's tenants (all) to the waves, keeps those
// of the run (run: after the filter and the shard) and the waves from the
// start wave on, and returns the run's tenants in wave order.
func (m *run) resolveWaves(all, run []string) ([]string, error) {
	waves, err := assignWaves(m.waveDefs, all)
	if err != nil {
		return nil, err
	}
	if m.startWave != "" {
		start := -1
		for i, w := range waves {
			if w.Name == m.startWave || strconv.Itoa(w.Number) == m.startWave {
				start = i
				break
			}
		}
		if start < 0 {
			names := make([]string, len(waves))
			for i, w := range waves {
				names[i] = fmt.Sprintf("%d %s", w.Number, w.Name)
			}
			return nil, fmt.Errorf("wave %q: the rollout has no such wave: give one of %s", m.startWave, strings.Join(names, ", "))
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
		w.Budget = def.MaxFailures
		if def.MaxFailuresPercent > 0 {
			w.Budget = int(math.Floor(def.MaxFailuresPercent * float64(len(keep)) / 100))
		}
	}
	m.waves = waves
	return tenants, nil
}

// sleepCtx waits d, or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
