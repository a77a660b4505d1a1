package config

import (
	"fmt"
	"math/big"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Rollout is an env's staged rollout: waves over its tenants, in order.
//
//	rollout {
//	  wave "canary" { tenants = ["tenant_demo"] }
//	  wave "early"  { percent = 10; max_failures = 1; pause = "5m" }
//	  wave "rest"   { parallel = 16; max_failures = "2%" }
//	}
type Rollout struct {
	Waves []Wave
	Range hcl.Range // the rollout block header
}

// Wave is one stage of a rollout. It selects, among the tenants no earlier
// wave took, those named in Tenants, those matching Pattern, those Query
// returns, the first Count, or the first Percent per cent of them (rounded
// up); a wave with no selector, the last one only, takes the rest.
type Wave struct {
	Name     string
	Tenants  []string
	Pattern  string
	Query    string // run on the database (each instance's, with instances); one column of tenant names
	Count    int
	Percent  float64
	Parallel int // 0: the tenants block's parallel
	// MaxFailures is the wave's error budget: more failed tenants than this
	// stop the rollout before the next wave. MaxFailuresPercent, when not
	// zero, is instead a percentage of the wave's tenants (rounded down).
	MaxFailures        int
	MaxFailuresPercent float64
	Pause              time.Duration // after the wave, before the next one starts
	Range              hcl.Range     // the wave block header
}

// rolloutBlock is a rollout block, checked against its schema.
type rolloutBlock struct {
	block *hcl.Block
	waves []*waveBlock
}

type waveBlock struct {
	block *hcl.Block
	attrs hcl.Attributes
}

// addRollout records an env's rollout block and its waves.
func (l *loader) addRollout(sc *scope, blk *hcl.Block) {
	if sc.rollout != nil {
		l.errorf(blk.DefRange.Ptr(), "Duplicate block",
			"A rollout block is already defined at %s, and only one is allowed here. Put all its waves into that block.", sc.rollout.block.DefRange)
		return
	}
	rb := &rolloutBlock{block: blk}
	content := l.content(blk.Body, rolloutSchema, "in a rollout block")
	seen := map[string]*hcl.Block{}
	for _, wb := range content.Blocks {
		if len(wb.Labels) != 1 {
			continue
		}
		name := wb.Labels[0]
		if strings.TrimSpace(name) == "" {
			l.errorf(wb.LabelRanges[0].Ptr(), "Empty wave name",
				`A wave needs a name, such as wave "canary" { ... }: it is what --wave and the rollout's output name.`)
			continue
		}
		if first := seen[name]; first != nil {
			l.errorf(wb.DefRange.Ptr(), "Duplicate wave",
				"A wave named %q is already defined at %s. Wave names must be unique in a rollout: rename one of the two.", name, first.DefRange)
			continue
		}
		seen[name] = wb
		c := l.content(wb.Body, waveSchema, "in a wave block")
		rb.waves = append(rb.waves, &waveBlock{block: wb, attrs: c.Attributes})
	}
	sc.rollout = rb
}

// waveSetting evaluates one attribute of a wave; nil when absent or null.
func (l *loader) waveSetting(w *waveBlock, name string) (*setting, bool) {
	a := w.attrs[name]
	if a == nil {
		return nil, true
	}
	v, ok := l.eval(a.Expr)
	if !ok {
		return nil, false
	}
	if v.IsNull() {
		return nil, true
	}
	return &setting{key: "wave." + name, attr: a, val: v}, true
}

// resolveRollout decodes the env's rollout block.
func (l *loader) resolveRollout(e *Env, env *scope) *Rollout {
	rb := env.rollout
	if rb == nil {
		return nil
	}
	ro := &Rollout{Range: rb.block.DefRange}
	e.Ranges["rollout"] = rb.block.DefRange
	if env.nested["tenants"] == nil && env.nested["registry"] == nil {
		l.errorf(rb.block.DefRange.Ptr(), "Rollout without tenants",
			`A rollout runs waves over the env's tenants, but env %q has no tenants block. Add one, such as tenants { pattern = "tenant_*" }, or remove the rollout block.`, e.Name)
		return nil
	}
	if len(rb.waves) == 0 {
		l.errorf(rb.block.DefRange.Ptr(), "Rollout without waves",
			`The rollout block has no wave. Add at least one, such as wave "canary" { tenants = ["tenant_demo"] } and wave "rest" { }.`)
		return nil
	}
	for i, wb := range rb.waves {
		w := Wave{Name: wb.block.Labels[0], Range: wb.block.DefRange}
		var selectors []*hcl.Attribute
		for _, k := range []string{"tenants", "pattern", "query", "count", "percent"} {
			if a := wb.attrs[k]; a != nil {
				selectors = append(selectors, a)
			}
		}
		switch {
		case len(selectors) > 1:
			l.errorf(selectors[1].NameRange.Ptr(), "Conflicting wave selectors",
				"Wave %q sets both %q (at %s) and %q. A wave selects its tenants with one of tenants, pattern, query, count or percent: keep one.",
				w.Name, selectors[0].Name, selectors[0].NameRange, selectors[1].Name)
		case len(selectors) == 0 && i < len(rb.waves)-1:
			l.errorf(wb.block.DefRange.Ptr(), "Wave without selector",
				"Wave %q selects no tenants, so it would take all the rest and leave nothing to the waves after it. Give it one of tenants = [...], pattern = \"...\", query = \"SELECT ...\", count = N or percent = P, or make it the last wave.",
				w.Name)
		}
		if s, ok := l.waveSetting(wb, "tenants"); ok && s != nil {
			if elems, ok := l.list(s, false); ok {
				w.Tenants = l.names(s, elems)
				if len(w.Tenants) == 0 {
					r := s.rng()
					l.errorf(&r, "Empty wave", "tenants of wave %q is empty. Name at least one tenant, or use another selector.", w.Name)
				}
			}
		}
		if s, ok := l.waveSetting(wb, "pattern"); ok && s != nil {
			if text, sens, ok := l.str(s, false); ok {
				r := s.rng()
				if _, err := path.Match(text, ""); err != nil || strings.TrimSpace(text) == "" {
					l.errorf(&r, "Invalid tenant pattern",
						`pattern of wave %q is %s, not a valid glob pattern. Use * and ? as wildcards, such as pattern = "tenant_eu_*".`, w.Name, show(text, sens))
				} else {
					w.Pattern = text
				}
			}
		}
		if s, ok := l.waveSetting(wb, "query"); ok && s != nil {
			if text, _, ok := l.str(s, false); ok {
				if strings.TrimSpace(text) == "" {
					r := s.rng()
					l.errorf(&r, "Empty wave query",
						`query of wave %q is empty. Give a query that returns one column of tenant names, such as query = "SELECT schema_name FROM control.tenants WHERE tier = 'beta'".`, w.Name)
				} else {
					w.Query = text
				}
			}
		}
		if s, ok := l.waveSetting(wb, "count"); ok && s != nil {
			if n, ok := l.wholeNumber(s, 1, "Invalid count",
				"count is %s, but it must be a whole number of at least 1: how many of the tenants left by the earlier waves this wave takes."); ok {
				w.Count = n
			}
		}
		if s, ok := l.waveSetting(wb, "percent"); ok && s != nil {
			if p, ok := l.percent(s, false); ok {
				w.Percent = p
			}
		}
		if s, ok := l.waveSetting(wb, "parallel"); ok && s != nil {
			if n, ok := l.wholeNumber(s, 1, "Invalid parallel",
				"parallel is %s, but it must be a whole number of at least 1: how many tenants of this wave are migrated at once. For example: parallel = 8."); ok {
				w.Parallel = n
			}
		}
		if s, ok := l.waveSetting(wb, "max_failures"); ok && s != nil {
			v, _ := s.val.UnmarkDeep()
			if v.Type() == cty.String {
				if p, ok := l.percent(s, true); ok {
					w.MaxFailuresPercent = p
				}
			} else if n, ok := l.wholeNumber(s, 0, "Invalid max_failures",
				`max_failures is %s, but it must be a whole number of at least 0 (failed tenants this wave tolerates) or a percentage such as "10%%".`); ok {
				w.MaxFailures = n
			}
		}
		if s, ok := l.waveSetting(wb, "pause"); ok && s != nil {
			if text, sens, ok := l.str(s, false); ok {
				if d := l.duration(s, text, sens); d >= 0 {
					w.Pause = d
				}
			}
		}
		ro.Waves = append(ro.Waves, w)
	}
	return ro
}

// percent decodes a percentage: a number from 0 (exclusive) to 100, or,
// with suffix, a string such as "10%" (0 allowed: no failure tolerated).
func (l *loader) percent(s *setting, suffix bool) (float64, bool) {
	v, _ := s.val.UnmarkDeep()
	r := s.rng()
	var f float64
	if suffix {
		text := strings.TrimSpace(v.AsString())
		num, ok := strings.CutSuffix(text, "%")
		p, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if !ok || err != nil || p < 0 || p > 100 {
			l.errorf(&r, "Invalid max_failures",
				`max_failures is %q, but a string must be a percentage of the wave's tenants from "0%%" to "100%%", such as "10%%"; or give a whole number of tenants, such as max_failures = 2.`, text)
			return 0, false
		}
		return p, true
	}
	nv, err := convert.Convert(v, cty.Number)
	if err != nil || nv.IsNull() {
		l.typeErr(s, r, "a number is required, got "+friendly(v))
		return 0, false
	}
	f, _ = nv.AsBigFloat().Float64()
	if f <= 0 || f > 100 || nv.AsBigFloat().Cmp(big.NewFloat(100)) > 0 {
		l.errorf(&r, "Invalid percent",
			"percent is %s, but it must be more than 0 and at most 100: the share of the tenants left by the earlier waves this wave takes, rounded up. For example: percent = 10.", fmt.Sprint(f))
		return 0, false
	}
	return f, true
}
