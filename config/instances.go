package config

import (
	"fmt"
	neturl "net/url"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Instance is one database of an env with several (`instances`): it holds
// some of the env's tenants and its own history table across them.
//
//	env "prod" {
//	  instances       = ["postgres://app@db1/app", "postgres://app@db2/app"]
//	  max_connections = 12
//	  tenants { pattern = "tenant_*"; parallel = 4 }
//	}
type Instance struct {
	Name  string    // how output names it: host:port/database, or "instance N" when the URL is sensitive or unreadable
	URL   Value     // the connection URL
	Range hcl.Range // the list element that named it, or the registry's query
	// Tenants are the tenants the registry lists on the instance (nil for
	// an instance of `instances`: the tenants block finds them).
	Tenants []string
}

// resolveInstances reads `instances`; true when the env has it (then url
// is not read: the instances replace it).
func (l *loader) resolveInstances(e *Env, env *scope) bool {
	a := env.attr("instances")
	if a == nil {
		return false
	}
	e.Ranges["instances"] = a.Expr.Range()
	if u := env.attr("url"); u != nil {
		r := u.NameRange
		l.errorf(&r, "Both url and instances",
			"The env %q sets both url and instances (at %s). An env with several databases lists them all in instances; remove url.", env.name, a.Expr.Range())
		return true
	}
	s, ok := l.pick("instances", env)
	if !ok {
		return true
	}
	if s == nil {
		r := a.Expr.Range()
		l.errorf(&r, "Missing instances", "instances is null, so there is no database to migrate. List the databases' URLs, or set url instead.")
		return true
	}
	elems, ok := l.list(s, false)
	if !ok {
		return true
	}
	if len(elems) == 0 {
		r := s.rng()
		l.errorf(&r, "Empty instances", `instances is an empty list. List the databases' URLs, such as instances = ["postgres://app@db1/app", "postgres://app@db2/app"], or set url instead.`)
		return true
	}
	seen := map[string]hcl.Range{}
	for i, el := range elems {
		r := el.rng
		if strings.TrimSpace(el.text) == "" {
			l.errorf(&r, "Empty instance url", "Element %d of instances is empty. Each element must be a database URL; remove the empty string.", i+1)
			continue
		}
		inst := Instance{Name: instanceName(el.text, el.sensitive, i), URL: Value{Text: el.text, Sensitive: el.sensitive}, Range: r}
		if prev, dup := seen[inst.Name]; dup {
			l.errorf(&r, "Duplicate instance",
				"Element %d of instances names the same database as the one at %s, so its tenants would be migrated twice. List each database once.", i+1, prev)
			continue
		}
		seen[inst.Name] = r
		e.Instances = append(e.Instances, inst)
	}
	if len(e.Instances) > 0 {
		e.URL = e.Instances[0].URL // for the commands that work on one database
		e.URLRange = e.Instances[0].Range
	}
	return true
}

// checkInstances checks the settings that go with instances: they need a
// tenants block, and max_connections must leave each instance one worker.
func (l *loader) checkInstances(e *Env, env *scope) {
	if len(e.Instances) > 0 && e.Tenants == nil {
		r := e.Ranges["instances"]
		l.errorf(&r, "Instances without tenants",
			"The env %q lists several instances but has no tenants block. Instances share out an env's tenants, each database with its own history table; add a tenants block (for example tenants { pattern = \"tenant_*\" }), or use url for one database.", e.Name)
	}
	s, ok := l.pick("max_connections", env)
	if !ok || s == nil {
		return
	}
	e.Ranges["max_connections"] = s.rng()
	if n, ok := l.wholeNumber(s, 2, "Invalid max_connections",
		"max_connections is %s, but it must be a whole number of at least 2: the most connections strata opens across all instances at once (each instance needs one for its lock and one per tenant migrated in parallel). For example: max_connections = 16."); ok {
		e.MaxConnections = n
	}
	if e.MaxConnections > 0 && len(e.Instances) == 0 && e.Registry == nil && l.opts.URLOverride == "" { // --url: one instance of the fleet
		r := s.rng()
		l.errorf(&r, "max_connections without instances",
			"max_connections limits the connections across several instances, but the env %q has none. With one database, tenants.parallel is the limit (it opens parallel + 1 connections); remove max_connections, or list the databases in instances (or a registry block).", e.Name)
	}
}

// instanceName is how output names an instance: host:port/database from
// its URL, or "instance N" (1-based) when the URL is sensitive or has no
// host.
func instanceName(u string, sensitive bool, i int) string {
	fallback := fmt.Sprintf("instance %d", i+1)
	if sensitive {
		return fallback
	}
	p, err := neturl.Parse(u)
	if err != nil || p.Host == "" {
		return fallback
	}
	name := p.Host + p.Path
	if db := p.Query().Get("database"); db != "" { // sqlserver
		name += "/" + db
	}
	return name
}
