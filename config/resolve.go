package config

import (
	"errors"
	"fmt"
	"math/big"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/stratadb/strata/locations"
)

// examples show a correct setting in "Incorrect attribute value type"
// diagnostics.
var examples = map[string]string{
	"url":                       `url = "postgres://app@localhost/app"`,
	"instances":                 `instances = ["postgres://app@db1/app", "postgres://app@db2/app"]`,
	"max_connections":           `max_connections = 16`,
	"registry.url":              `url = env("REGISTRY_URL")`,
	"registry.query":            `query = "SELECT instance_url, tenant FROM control.tenants WHERE active ORDER BY 1, 2"`,
	"locations":                 `locations = ["migrations/common"]`,
	"overrides":                 `overrides = ["migrations/prod-overrides"]`,
	"out_of_order":              `out_of_order = true`,
	"hotfixes":                  `hotfixes = ["7.1"]`,
	"schemas":                   `schemas = ["app"]`,
	"validate_naming":           `validate_naming = true`,
	"clean_disabled":            `clean_disabled = false`,
	"lock_timeout":              `lock_timeout = "5s"`,
	"statement_timeout":         `statement_timeout = "10m"`,
	"pooler":                    `pooler = "transaction"`,
	"lint":                      `lint = "error"`,
	"lint_disable":              `lint_disable = ["lock-table"]`,
	"ignore_migration_patterns": `ignore_migration_patterns = ["*:future", "repeatable:missing"]`,
	"target":                    `target = "7.1"`,
	"installed_by":              `installed_by = "ci"`,
	"baseline_on_migrate":       `baseline_on_migrate = true`,
	"baseline_version":          `baseline_version = "1"`,
	"baseline_description":      `baseline_description = "<< Flyway Baseline >>"`,
	"require_ack":               `require_ack = true`,
	"confirm":                   `confirm = true`,
	"placeholders.prefix":       `prefix = "#["`,
	"placeholders.suffix":       `suffix = "]"`,
	"placeholders.enabled":      `enabled = false`,
	"placeholders.values":       `values = { app_role = "app_rw" }`,
	"history.schema":            `schema = "control"`,
	"history.table":             `table = "strata_schema_history"`,
	"lock.timeout":              `timeout = "30s"`,
	"tenants.schemas":           `schemas = ["tenant_a", "tenant_b"]`,
	"tenants.query":             `query = "SELECT schema_name FROM control.tenants"`,
	"tenants.pattern":           `pattern = "tenant_*"`,
	"tenants.parallel":          `parallel = 8`,
	"tenants.on_error":          `on_error = "stop"`,
	"tenants.retries":           `retries = 3`,
	"wave.tenants":              `tenants = ["tenant_canary"]`,
	"wave.pattern":              `pattern = "tenant_eu_*"`,
	"wave.query":                `query = "SELECT schema_name FROM control.tenants WHERE tier = 'beta'"`,
	"wave.count":                `count = 10`,
	"wave.percent":              `percent = 25`,
	"wave.parallel":             `parallel = 8`,
	"wave.max_failures":         `max_failures = 2 (or "10%")`,
	"wave.pause":                `pause = "30s"`,
}

// label names a setting key in messages: "url" or "table" in history.
func label(key string) string {
	if blk, name, ok := strings.Cut(key, "."); ok {
		return fmt.Sprintf("%q in the %s block", name, blk)
	}
	return fmt.Sprintf("%q", key)
}

// show is text for a message, hidden when sensitive.
func show(text string, sensitive bool) string {
	if sensitive {
		return "(sensitive value)"
	}
	return fmt.Sprintf("%q", text)
}

// setting is an evaluated attribute.
type setting struct {
	key  string
	attr *hcl.Attribute
	val  cty.Value
}

func (s *setting) rng() hcl.Range { return s.attr.Expr.Range() }

// pick evaluates key in each scope in turn (the env first) and returns the
// first value that is not null: nil when the setting is not set anywhere.
// ok is false when evaluation failed (reported).
func (l *loader) pick(key string, scopes ...*scope) (s *setting, ok bool) {
	for _, sc := range scopes {
		a := sc.attr(key)
		if a == nil {
			continue
		}
		v, ok := l.eval(a.Expr)
		if !ok {
			return nil, false
		}
		if v.IsNull() {
			continue
		}
		return &setting{key: key, attr: a, val: v}, true
	}
	return nil, true
}

func (l *loader) typeErr(s *setting, rng hcl.Range, reason string) {
	l.errorf(&rng, "Incorrect attribute value type",
		"Inappropriate value for %s: %s. For example: %s", label(s.key), reason, exampleOf(s.key))
}

// str decodes a string setting. With versions, a number is refused with an
// explanation (7.10 would read as 7.1).
func (l *loader) str(s *setting, versions bool) (text string, sensitive, ok bool) {
	v, marks := s.val.UnmarkDeep()
	if versions && v.Type() == cty.Number {
		l.versionNumber(s.attr.Expr, v)
		return "", false, false
	}
	if !v.Type().IsPrimitiveType() {
		l.typeErr(s, s.rng(), "a string is required, got "+v.Type().FriendlyName())
		return "", false, false
	}
	sv, err := convert.Convert(v, cty.String)
	if err != nil {
		l.typeErr(s, s.rng(), "a string is required, got "+v.Type().FriendlyName())
		return "", false, false
	}
	return sv.AsString(), len(marks) > 0, true
}

func (l *loader) boolean(s *setting) (bool, bool) {
	v, _ := s.val.UnmarkDeep()
	bv, err := convert.Convert(v, cty.Bool)
	if err != nil || bv.IsNull() {
		l.typeErr(s, s.rng(), "true or false is required, got "+friendly(v))
		return false, false
	}
	return bv.True(), true
}

// friendly names the type of v for messages, without its value.
func friendly(v cty.Value) string {
	return v.Type().FriendlyName()
}

// strElem is one string of a list setting.
type strElem struct {
	text      string
	sensitive bool
	rng       hcl.Range
}

// elemExprs returns the element expressions of a literal list of n
// elements, or nil.
func elemExprs(expr hcl.Expression, n int) []hcl.Expression {
	exprs, diags := hcl.ExprList(expr)
	if diags.HasErrors() || len(exprs) != n {
		return nil
	}
	return exprs
}

// list decodes a list-of-strings setting.
func (l *loader) list(s *setting, versions bool) ([]strElem, bool) {
	v, topMarks := s.val.Unmark()
	ty := v.Type()
	if !ty.IsListType() && !ty.IsTupleType() && !ty.IsSetType() {
		l.typeErr(s, s.rng(), "a list of strings is required, got "+ty.FriendlyName())
		return nil, false
	}
	n := v.LengthInt()
	exprs := elemExprs(s.attr.Expr, n)
	out := make([]strElem, 0, n)
	ok := true
	i := 0
	for it := v.ElementIterator(); it.Next(); i++ {
		_, ev := it.Element()
		ev, marks := ev.UnmarkDeep()
		expr := s.attr.Expr
		if exprs != nil {
			expr = exprs[i]
		}
		r := expr.Range()
		switch {
		case ev.IsNull():
			l.typeErr(s, r, fmt.Sprintf("element %d is null, and each element must be a string", i+1))
			ok = false
			continue
		case versions && ev.Type() == cty.Number:
			l.versionNumber(expr, ev)
			ok = false
			continue
		case !ev.Type().IsPrimitiveType():
			l.typeErr(s, r, fmt.Sprintf("element %d must be a string, got %s", i+1, friendly(ev)))
			ok = false
			continue
		}
		sv, err := convert.Convert(ev, cty.String)
		if err != nil {
			l.typeErr(s, r, fmt.Sprintf("element %d must be a string, got %s", i+1, friendly(ev)))
			ok = false
			continue
		}
		out = append(out, strElem{text: sv.AsString(), sensitive: len(topMarks) > 0 || len(marks) > 0, rng: r})
	}
	return out, ok
}

// versionNumber reports a version written as a number.
func (l *loader) versionNumber(expr hcl.Expression, v cty.Value) {
	text := v.AsBigFloat().Text('g', -1)
	if _, lit := expr.(*hclsyntax.LiteralValueExpr); lit {
		r := expr.Range()
		if r.Start.Byte >= 0 && r.End.Byte <= len(l.src) && r.Start.Byte <= r.End.Byte {
			text = string(r.SliceBytes(l.src))
		}
	}
	r := expr.Range()
	l.errorf(&r, "Version written as a number",
		"%s is a number here, but versions must be strings: as numbers, 7.10 would read as 7.1 and 1.0 as 1. Quote it: %q.",
		text, text)
}

var (
	versionRE  = regexp.MustCompile(`^[0-9]+([._][0-9]+)*$`)
	ignoreType = map[string]bool{"versioned": true, "repeatable": true, "*": true}
	ignoreStat = map[string]bool{"missing": true, "pending": true, "ignored": true, "future": true, "*": true}
)

// resolveEnv merges the top level and the selected env and evaluates it.
func (l *loader) resolveEnv(top, env *scope) *Env {
	e := &Env{
		Name:                    env.name,
		Range:                   env.defRange,
		CleanDisabled:           true,
		Target:                  DefaultTarget,
		BaselineVersion:         DefaultBaselineVersion,
		IgnoreMigrationPatterns: append([]string(nil), DefaultIgnoreMigrationPatterns...),
		Placeholders:            Placeholders{Prefix: DefaultPlaceholderPrefix, Suffix: DefaultPlaceholderSuffix, Enabled: true, Values: map[string]Value{}},
		History:                 History{Table: DefaultHistoryTable, Range: env.defRange},
		Lock:                    Lock{Timeout: 30 * time.Second},
		Naming:                  locations.DefaultNaming(),
		ConnectRetries:          DefaultConnectRetries,
		ConnectRetriesInterval:  DefaultConnectRetriesInterval,
		ConnectTimeout:          DefaultConnectTimeout,
		NetworkTimeout:          DefaultNetworkTimeout,
		Ranges:                  map[string]hcl.Range{"env": env.defRange},
		dir:                     l.cfg.Dir,
	}
	both := []*scope{env, top}
	record := func(s *setting) {
		e.Ranges[s.key] = s.rng()
	}

	l.resolveURL(e, env)
	l.resolveLocations(e, top, env)

	if s, ok := l.pick("out_of_order", both...); ok && s != nil {
		if b, ok := l.boolean(s); ok {
			e.OutOfOrder = b
			record(s)
		}
	}
	if s, ok := l.pick("validate_naming", both...); ok && s != nil {
		if b, ok := l.boolean(s); ok {
			e.ValidateNaming = b
			record(s)
		}
	}
	if s, ok := l.pick("clean_disabled", env); ok && s != nil {
		if b, ok := l.boolean(s); ok {
			e.CleanDisabled = b
			record(s)
		}
	}
	if s, ok := l.pick("hotfixes", both...); ok && s != nil {
		if elems, ok := l.list(s, true); ok {
			record(s)
			for i, el := range elems {
				e.Ranges[fmt.Sprintf("hotfixes[%d]", i)] = el.rng
				if !versionRE.MatchString(el.text) {
					hint := ""
					if strings.HasPrefix(el.text, "V") || strings.HasPrefix(el.text, "v") {
						hint = " Leave out the leading V."
					}
					l.errorf(&el.rng, "Invalid version",
						"%s is not a version: a version is digits in groups separated by \".\" or \"_\", such as \"7.1\" or \"2024_01_15\".%s",
						show(el.text, el.sensitive), hint)
					continue
				}
				e.Hotfixes = append(e.Hotfixes, el.text)
			}
		}
	}
	if s, ok := l.pick("schemas", both...); ok && s != nil {
		if elems, ok := l.list(s, false); ok {
			record(s)
			e.Schemas = l.names(s, elems)
		}
	}
	for _, key := range []string{"lock_timeout", "statement_timeout"} {
		if s, ok := l.pick(key, both...); ok && s != nil {
			if text, sens, ok := l.str(s, false); ok {
				record(s)
				if text != "" && l.sqlDuration(s, text, sens) {
					if key == "lock_timeout" {
						e.LockTimeout = text
					} else {
						e.StatementTimeout = text
					}
				}
			}
		}
	}
	if s, ok := l.pick("lint", both...); ok && s != nil {
		if text, sens, ok := l.str(s, false); ok {
			record(s)
			switch text {
			case "", "off":
			case "error", "warning":
				e.Lint = text
			default:
				r := s.rng()
				l.errorf(&r, "Invalid lint",
					"lint is %s, but it must be \"error\" (migrate runs strata lint on the pending PostgreSQL migrations first and refuses on an error-level finding), \"warning\" (it runs it and only reports), or \"off\" (the default).",
					show(text, sens))
			}
		}
	}
	if s, ok := l.pick("lint_disable", both...); ok && s != nil {
		if elems, ok := l.list(s, false); ok {
			record(s)
			e.LintDisable = []string{}
			for i, el := range elems {
				e.Ranges[fmt.Sprintf("lint_disable[%d]", i)] = el.rng
				e.LintDisable = append(e.LintDisable, el.text)
			}
		}
	}
	if s, ok := l.pick("pooler", both...); ok && s != nil {
		if text, sens, ok := l.str(s, false); ok {
			record(s)
			if text != "" && text != "transaction" {
				r := s.rng()
				l.errorf(&r, "Invalid pooler",
					"pooler is %s, but the only supported value is \"transaction\" (PgBouncer in transaction mode). Remove the attribute when no pooler sits between Strata and the database.",
					show(text, sens))
			} else {
				e.Pooler = text
			}
		}
	}
	if s, ok := l.pick("ignore_migration_patterns", both...); ok && s != nil {
		if elems, ok := l.list(s, false); ok {
			record(s)
			e.IgnoreMigrationPatterns = []string{}
			for i, el := range elems {
				e.Ranges[fmt.Sprintf("ignore_migration_patterns[%d]", i)] = el.rng
				p := strings.ToLower(strings.TrimSpace(el.text))
				typ, state, found := strings.Cut(p, ":")
				if !found || !ignoreType[typ] || !ignoreStat[state] {
					l.errorf(&el.rng, "Invalid ignore pattern",
						`%s is not a pattern of the form type:state. The type is versioned, repeatable or *; the state is missing, pending, ignored, future or *. For example: "*:future" or "repeatable:missing".`,
						show(el.text, el.sensitive))
					continue
				}
				e.IgnoreMigrationPatterns = append(e.IgnoreMigrationPatterns, p)
			}
		}
	}
	if s, ok := l.pick("target", both...); ok && s != nil {
		if text, _, ok := l.str(s, true); ok {
			record(s)
			if strings.TrimSpace(text) == "" {
				r := s.rng()
				l.errorf(&r, "Empty target",
					`target is empty. Set a version such as target = "7.1", or remove the attribute to migrate to the latest version.`)
			} else if err := checkTarget(text); err != nil {
				r := s.rng()
				l.errorf(&r, "Invalid target",
					"target %q is not a version (%v). Write a version such as target = \"7.1\" (a trailing ? allows a version no file has), or latest, current or next.", text, err)
			} else {
				e.Target = text
			}
		}
	}
	if s, ok := l.pick("installed_by", both...); ok && s != nil {
		if text, _, ok := l.str(s, false); ok {
			record(s)
			e.InstalledBy = text
		}
	}
	if s, ok := l.pick("require_ack", both...); ok && s != nil {
		if b, ok := l.boolean(s); ok {
			e.RequireAck = &b
			record(s)
		}
	}
	if s, ok := l.pick("confirm", both...); ok && s != nil {
		if b, ok := l.boolean(s); ok {
			e.Confirm = b
			record(s)
		}
	}
	if s, ok := l.pick("baseline_on_migrate", both...); ok && s != nil {
		if b, ok := l.boolean(s); ok {
			e.BaselineOnMigrate = b
			record(s)
		}
	}
	if s, ok := l.pick("baseline_version", both...); ok && s != nil {
		if text, sens, ok := l.str(s, false); ok {
			record(s)
			if !versionRE.MatchString(text) {
				r := s.rng()
				l.errorf(&r, "Invalid version",
					"%s is not a version: a version is digits in groups separated by \".\" or \"_\", such as \"1\" or \"7.1\" (Flyway's default baseline version is \"1\").",
					show(text, sens))
			} else {
				e.BaselineVersion = text
			}
		}
	}
	if s, ok := l.pick("baseline_description", both...); ok && s != nil {
		if text, _, ok := l.str(s, false); ok {
			record(s)
			e.BaselineDescription = text
		}
	}

	l.resolveNaming(e, both)
	l.resolveConnect(e, both)

	l.resolvePlaceholders(e, top, env)
	l.resolveHistory(e, top, env)
	if s, ok := l.pick("lock.timeout", both...); ok && s != nil {
		if text, sens, ok := l.str(s, false); ok {
			record(s)
			if d := l.duration(s, text, sens); d >= 0 {
				e.Lock.Timeout = d
			}
		}
	}
	e.Tenants = l.resolveTenants(e, env)
	e.Rollout = l.resolveRollout(e, env)
	l.checkInstances(e, env)
	return e
}

// pgDurationRE matches PostgreSQL's own forms of a time setting: a number
// with an optional unit (milliseconds without one).
var pgDurationRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?\s*(us|ms|s|min|h|d)?$`)

// sqlDuration checks a database timeout: a Go duration ("1m30s") or
// PostgreSQL's form ("15min", "500", "1d"); false when invalid (reported).
func (l *loader) sqlDuration(s *setting, text string, sens bool) bool {
	t := strings.TrimSpace(text)
	if pgDurationRE.MatchString(t) {
		return true
	}
	if d, err := time.ParseDuration(t); err == nil && d >= 0 {
		return true
	}
	r := s.rng()
	l.errorf(&r, "Invalid duration",
		`%s for %s is not a duration. Write a Go duration ("500ms", "30s", "1m30s") or PostgreSQL's form ("15min", "1h", "1d"; a bare number is milliseconds).`,
		show(text, sens), label(s.key))
	return false
}

// duration parses a Go duration setting; -1 when invalid (reported).
func (l *loader) duration(s *setting, text string, sens bool) time.Duration {
	r := s.rng()
	d, err := time.ParseDuration(strings.TrimSpace(text))
	if err != nil {
		l.errorf(&r, "Invalid duration",
			`%s for %s is not a duration. Write a number with a unit: "500ms", "30s", "5m" or "1h30m".`,
			show(text, sens), label(s.key))
		return -1
	}
	if d < 0 {
		l.errorf(&r, "Invalid duration",
			"%s for %s is negative. Use zero or a positive duration such as \"30s\".", show(text, sens), label(s.key))
		return -1
	}
	return d
}

// names checks a list of schema names: none may be empty.
func (l *loader) names(s *setting, elems []strElem) []string {
	out := make([]string, 0, len(elems))
	for i, el := range elems {
		e := el
		if strings.TrimSpace(el.text) == "" {
			l.errorf(&e.rng, "Empty schema name",
				"Element %d of %s is empty. Each element must name a schema; remove the empty string.", i+1, label(s.key))
			continue
		}
		out = append(out, el.text)
	}
	return out
}

func (l *loader) resolveURL(e *Env, env *scope) {
	if a := env.attr("url"); a != nil {
		e.URLRange = a.Expr.Range()
		e.Ranges["url"] = e.URLRange
	} else {
		e.URLRange = env.defRange
	}
	registry := l.resolveRegistry(e, env)
	if l.opts.URLOverride != "" {
		e.URL = Value{Text: l.opts.URLOverride}
		return
	}
	if registry {
		return
	}
	if l.resolveInstances(e, env) {
		return
	}
	s, ok := l.pick("url", env)
	if !ok {
		return
	}
	if s == nil {
		l.errorf(env.defRange.Ptr(), "Missing url",
			`The env %q has no url, so Strata does not know which database to migrate. Add one, for example url = "postgres://app@localhost/app" or url = env("DATABASE_URL"), or pass --url.`,
			env.name)
		return
	}
	text, sens, ok := l.str(s, false)
	if !ok {
		return
	}
	if strings.TrimSpace(text) == "" {
		r := s.rng()
		l.errorf(&r, "Empty url",
			`The url of env %q is empty. Set it to the database to migrate, such as "postgres://app@localhost/app", or pass --url.`, env.name)
		return
	}
	e.URL = Value{Text: text, Sensitive: sens}
}

func (l *loader) resolveLocations(e *Env, top, env *scope) {
	seen := map[string]hcl.Range{}
	for _, src := range []struct {
		sc       *scope
		key      string
		shared   bool
		override bool
	}{
		{top, "locations", true, false},
		{env, "locations", false, false},
		{env, "overrides", false, true},
	} {
		s, ok := l.pick(src.key, src.sc)
		if !ok || s == nil {
			continue
		}
		elems, ok := l.list(s, false)
		if !ok {
			continue
		}
		e.Ranges[src.key] = s.rng()
		for _, el := range elems {
			for _, loc := range l.location(el) {
				loc.Shared, loc.Override = src.shared, src.override
				if prev, dup := seen[loc.Path]; dup {
					r := loc.Range
					l.errorf(&r, "Duplicate location",
						"This folder is already a location (at %s). An env's locations are added after the top-level ones, not instead of them, so list each folder once.",
						prev)
					continue
				}
				seen[loc.Path] = loc.Range
				e.Locations = append(e.Locations, loc)
			}
		}
	}
}

// location resolves one element of locations or overrides: a folder or a
// glob pattern, relative to the directory of strata.hcl.
func (l *loader) location(el strElem) []Location {
	r := el.rng
	if strings.TrimSpace(el.text) == "" {
		l.errorf(&r, "Empty location",
			"A location is an empty string. Name a folder relative to strata.hcl, such as \"migrations\", or remove the element.")
		return nil
	}
	p := el.text
	if !filepath.IsAbs(p) {
		p = filepath.Join(l.cfg.Dir, p)
	}
	p = filepath.Clean(p)
	where := show(p, el.sensitive)
	if strings.ContainsAny(el.text, "*?[") {
		matches, err := filepath.Glob(p)
		if err != nil {
			l.errorf(&r, "Invalid location pattern",
				"%s is not a valid glob pattern: %s. Use * and ? as wildcards, [abc] for a set, and a backslash to escape them.",
				show(el.text, el.sensitive), err)
			return nil
		}
		var out []Location
		for _, m := range matches {
			if st, err := os.Stat(m); err != nil || !st.IsDir() {
				continue
			}
			display := m
			if !filepath.IsAbs(el.text) {
				if rel, err := filepath.Rel(l.cfg.Dir, m); err == nil {
					display = filepath.ToSlash(rel)
				}
			}
			out = append(out, Location{Path: m, Display: display, Range: r})
		}
		if len(out) == 0 {
			l.errorf(&r, "No location folder matches",
				"The pattern matches no folder: Strata looked for %s. Create a matching folder, or fix the pattern (relative paths are relative to %s, the directory of strata.hcl).",
				where, l.cfg.Dir)
		}
		return out
	}
	st, err := os.Stat(p)
	switch {
	case errors.Is(err, os.ErrNotExist):
		l.errorf(&r, "Missing location folder",
			"Strata looked for the folder %s, which does not exist. Create it, or fix the path (relative paths are relative to %s, the directory of strata.hcl).",
			where, l.cfg.Dir)
		return nil
	case err != nil:
		l.errorf(&r, "Cannot read location folder",
			"Strata could not read the folder %s: %s. Check its permissions.", where, errorReason(err))
		return nil
	case !st.IsDir():
		l.errorf(&r, "Location is not a folder",
			"%s is a file, but a location must be a folder of migration files. Name the folder that contains it.", where)
		return nil
	}
	return []Location{{Path: p, Display: el.text, Range: r}}
}

// phEntry is one placeholder value with where it was set.
type phEntry struct {
	key      string
	val      Value
	keyRange hcl.Range
	valRange hcl.Range
}

func (l *loader) resolvePlaceholders(e *Env, top, env *scope) {
	both := []*scope{env, top}
	p := &e.Placeholders
	for _, key := range []string{"placeholders.prefix", "placeholders.suffix"} {
		s, ok := l.pick(key, both...)
		if !ok || s == nil {
			continue
		}
		text, _, ok := l.str(s, false)
		if !ok {
			continue
		}
		e.Ranges[key] = s.rng()
		if text == "" {
			r := s.rng()
			l.errorf(&r, "Empty placeholder delimiter",
				`%s is empty, so placeholders could not be found in SQL. Set it (the defaults are "$${" and "}"; write "$${" in HCL for a literal "${"), or remove the attribute.`,
				label(key))
			continue
		}
		if key == "placeholders.prefix" {
			p.Prefix = text
		} else {
			p.Suffix = text
		}
	}
	if s, ok := l.pick("placeholders.enabled", both...); ok && s != nil {
		if b, ok := l.boolean(s); ok {
			p.Enabled = b
			e.Ranges["placeholders.enabled"] = s.rng()
		}
	}

	// Values merge key by key, case-insensitively: top level, env, --placeholder.
	merged := map[string]phEntry{}
	var order []string
	add := func(en phEntry) {
		lk := strings.ToLower(en.key)
		if _, ok := merged[lk]; !ok {
			order = append(order, lk)
		}
		merged[lk] = en
	}
	for _, sc := range []*scope{top, env} {
		a := sc.attr("placeholders.values")
		if a == nil {
			continue
		}
		e.Ranges["placeholders.values"] = a.Expr.Range()
		for _, en := range l.placeholderValues(a) {
			add(en)
		}
	}
	for _, k := range sortedKeys(l.opts.Placeholders) {
		add(phEntry{key: k, val: Value{Text: l.opts.Placeholders[k]}})
	}
	for _, lk := range order {
		en := merged[lk]
		p.Values[en.key] = en.val
		if en.valRange.Filename != "" {
			e.Ranges["placeholders.values."+en.key] = en.valRange
		}
	}
}

// placeholderValues evaluates one values map. A literal map is evaluated
// pair by pair, so that each diagnostic points at its own key or value.
func (l *loader) placeholderValues(a *hcl.Attribute) []phEntry {
	s := &setting{key: "placeholders.values", attr: a}
	var out []phEntry
	if pairs, diags := hcl.ExprMap(a.Expr); !diags.HasErrors() && !l.bad[a.Expr.Range()] {
		for _, kv := range pairs {
			kr, vr := kv.Key.Range(), kv.Value.Range()
			k, ok := l.eval(kv.Key)
			if !ok {
				continue
			}
			k, kmarks := k.Unmark()
			if k.IsNull() || !k.Type().IsPrimitiveType() {
				l.errorf(&kr, "Invalid placeholder name",
					"A placeholder name must be a string, got %s. Write names as bare words or quoted strings: values = { app_role = \"app_rw\" }.", friendly(k))
				continue
			}
			ks, err := convert.Convert(k, cty.String)
			if err != nil {
				continue
			}
			v, ok := l.eval(kv.Value)
			if !ok {
				continue
			}
			text, sens, ok := l.placeholderText(s, vr, ks.AsString(), v)
			if !ok {
				continue
			}
			out = append(out, phEntry{key: ks.AsString(), val: Value{Text: text, Sensitive: sens || len(kmarks) > 0}, keyRange: kr, valRange: vr})
		}
	} else {
		v, ok := l.eval(a.Expr)
		if !ok || v.IsNull() {
			return nil
		}
		v, marks := v.Unmark()
		if !v.Type().IsObjectType() && !v.Type().IsMapType() {
			l.typeErr(s, a.Expr.Range(), "a map of strings is required, got "+friendly(v))
			return nil
		}
		r := a.Expr.Range()
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			text, sens, ok := l.placeholderText(s, r, k.AsString(), ev)
			if !ok {
				continue
			}
			out = append(out, phEntry{key: k.AsString(), val: Value{Text: text, Sensitive: sens || len(marks) > 0}, keyRange: r, valRange: r})
		}
	}

	seen := map[string]phEntry{}
	var kept []phEntry
	for _, en := range out {
		lk := strings.ToLower(en.key)
		if prev, dup := seen[lk]; dup {
			what := "differ only by case"
			if prev.key == en.key {
				what = "are the same"
			}
			l.errorf(&en.keyRange, "Duplicate placeholder",
				"The placeholder names %q and %q %s, and placeholder names are case-insensitive. Keep one of them.", prev.key, en.key, what)
			continue
		}
		seen[lk] = en
		kept = append(kept, en)
	}
	return kept
}

// placeholderText checks one placeholder name and value.
func (l *loader) placeholderText(s *setting, r hcl.Range, key string, v cty.Value) (string, bool, bool) {
	if msg := placeholderNameProblem(key); msg != "" {
		l.errorf(&r, "Invalid placeholder name", "%s", msg)
		return "", false, false
	}
	v, marks := v.UnmarkDeep()
	if v.IsNull() {
		l.typeErr(s, r, fmt.Sprintf("the value of %q is null, and values must be strings", key))
		return "", false, false
	}
	if !v.Type().IsPrimitiveType() {
		l.typeErr(s, r, fmt.Sprintf("the value of %q must be a string, got %s", key, friendly(v)))
		return "", false, false
	}
	sv, err := convert.Convert(v, cty.String)
	if err != nil {
		l.typeErr(s, r, fmt.Sprintf("the value of %q must be a string", key))
		return "", false, false
	}
	return sv.AsString(), len(marks) > 0, true
}

// placeholderNameProblem says what is wrong with a placeholder name, or "".
func placeholderNameProblem(key string) string {
	lk := strings.ToLower(key)
	switch {
	case strings.TrimSpace(key) == "":
		return "A placeholder name is empty. Give each value a name, such as app_role."
	case strings.HasPrefix(lk, "strata:") || strings.HasPrefix(lk, "flyway:"):
		return fmt.Sprintf("%q uses a reserved prefix: names starting with strata: or flyway: are the built-in placeholders. Choose another name.", key)
	}
	return ""
}

// checkPlaceholderOptions checks Options.Placeholders (--placeholder).
func (l *loader) checkPlaceholderOptions() {
	seen := map[string]string{}
	for _, k := range sortedKeys(l.opts.Placeholders) {
		if msg := placeholderNameProblem(k); msg != "" {
			l.errorf(nil, "Invalid --placeholder", "--placeholder %s: %s", k, msg)
			continue
		}
		lk := strings.ToLower(k)
		if prev, dup := seen[lk]; dup {
			l.errorf(nil, "Duplicate --placeholder",
				"--placeholder %s and --placeholder %s differ only by case, and placeholder names are case-insensitive. Pass one of them.", prev, k)
			continue
		}
		seen[lk] = k
	}
}

func (l *loader) resolveHistory(e *Env, top, env *scope) {
	both := []*scope{env, top}
	switch {
	case env.nested["history"] != nil:
		e.History.Range = env.nested["history"].block.DefRange
	case top.nested["history"] != nil:
		e.History.Range = top.nested["history"].block.DefRange
	}
	if s, ok := l.pick("history.schema", both...); ok && s != nil {
		if text, _, ok := l.str(s, false); ok {
			e.Ranges[s.key] = s.rng()
			e.History.Schema = text
		}
	}
	if s, ok := l.pick("history.table", both...); ok && s != nil {
		if text, _, ok := l.str(s, false); ok {
			e.Ranges[s.key] = s.rng()
			if strings.TrimSpace(text) == "" {
				r := s.rng()
				l.errorf(&r, "Empty history table",
					`The history table name is empty. Name the table, such as table = "strata_schema_history" (or "flyway_schema_history" to share Flyway's), or remove the attribute for the default.`)
			} else {
				e.History.Table = text
			}
		}
	}
}

func (l *loader) resolveTenants(e *Env, env *scope) *Tenants {
	nb := env.nested["tenants"]
	reg := env.nested["registry"]
	if nb == nil {
		if reg != nil { // the registry names the tenants; the settings are the defaults
			return &Tenants{Parallel: DefaultTenantsParallel, OnError: DefaultTenantsOnError, Retries: DefaultTenantsRetries, Range: reg.block.DefRange}
		}
		return nil
	}
	t := &Tenants{Parallel: DefaultTenantsParallel, OnError: DefaultTenantsOnError, Retries: DefaultTenantsRetries, Range: nb.block.DefRange}
	e.Ranges["tenants"] = nb.block.DefRange
	var source string
	for _, k := range []string{"schemas", "query", "pattern"} {
		if nb.attrs[k] != nil {
			if source != "" {
				return nil // two sources: reported by envScope
			}
			source = k
		}
	}
	if source == "" && reg == nil {
		return nil // reported by envScope
	}
	if source != "" && reg != nil {
		return nil // reported by envScope
	}
	key := "tenants." + source
	var s *setting
	ok := source != "" // else the registry names the tenants
	if ok {
		s, ok = l.pick(key, env)
	}
	switch {
	case !ok:
	case s == nil:
		r := nb.attrs[source].Expr.Range()
		l.errorf(&r, "Missing tenants source",
			"%s is null, so there are no tenants. Give it a value, or remove the tenants block.", label(key))
	case source == "schemas":
		if elems, ok := l.list(s, false); ok {
			e.Ranges[key] = s.rng()
			t.Schemas = l.names(s, elems)
			for i, el := range elems {
				e.Ranges[fmt.Sprintf("tenants.schemas[%d]", i)] = el.rng
			}
		}
	default:
		text, sens, ok := l.str(s, false)
		if !ok {
			break
		}
		e.Ranges[key] = s.rng()
		r := s.rng()
		switch {
		case strings.TrimSpace(text) == "":
			l.errorf(&r, "Empty tenants source", "%s is empty. Give it a value, or remove the tenants block.", label(key))
		case source == "query":
			t.Query = text
		default:
			if _, err := path.Match(text, ""); err != nil {
				l.errorf(&r, "Invalid tenant pattern",
					`%s is not a valid glob pattern: %s. Use * and ? as wildcards, such as pattern = "tenant_*".`, show(text, sens), err)
				break
			}
			t.Pattern = text
		}
	}
	if s, ok := l.pick("tenants.parallel", env); ok && s != nil {
		e.Ranges[s.key] = s.rng()
		if n, ok := l.wholeNumber(s, 1, "Invalid parallel",
			"parallel is %s, but it must be a whole number of at least 1: how many tenants are migrated at once, each on its own connection. For example: parallel = 8."); ok {
			t.Parallel = n
		}
	}
	if s, ok := l.pick("tenants.retries", env); ok && s != nil {
		e.Ranges[s.key] = s.rng()
		if n, ok := l.wholeNumber(s, 0, "Invalid retries",
			"retries is %s, but it must be a whole number of at least 0: how many more times a tenant is tried after a transient failure (connection lost, serialization failure, deadlock, lock timeout, admin shutdown). For example: retries = 3."); ok {
			t.Retries = n
		}
	}
	if s, ok := l.pick("tenants.on_error", env); ok && s != nil {
		if text, sens, ok := l.str(s, false); ok {
			e.Ranges[s.key] = s.rng()
			if text != "continue" && text != "stop" {
				r := s.rng()
				l.errorf(&r, "Invalid on_error",
					`on_error is %s, but it must be "continue" (finish the other tenants and report every failure) or "stop" (start no new tenant after a failure).`,
					show(text, sens))
			} else {
				t.OnError = text
			}
		}
	}
	return t
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkTarget accepts what the engine's target accepts: latest, current,
// next, or a version, with an optional trailing "?".
func checkTarget(text string) error {
	t := strings.TrimSuffix(strings.TrimSpace(text), "?")
	switch strings.ToLower(t) {
	case "latest", "current", "next":
		return nil
	}
	_, err := locations.ParseVersion(t)
	return err
}

// wholeNumber decodes a setting that must be a whole number from min to
// 2^20; a number outside that range is an error whose detail is format
// with the number given.
func (l *loader) wholeNumber(s *setting, min int64, summary, format string) (int, bool) {
	v, _ := s.val.UnmarkDeep()
	nv, err := convert.Convert(v, cty.Number)
	if err != nil || nv.IsNull() {
		l.typeErr(s, s.rng(), "a whole number is required, got "+friendly(v))
		return 0, false
	}
	f := nv.AsBigFloat()
	i, acc := f.Int64()
	if !f.IsInt() || acc != big.Exact || i < min || i > 1<<20 {
		r := s.rng()
		l.errorf(&r, summary, format, f.Text('g', 10))
		return 0, false
	}
	return int(i), true
}
