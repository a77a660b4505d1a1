package config

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Registry is where an env's instances come from when a query on a
// registry database lists them (the `registry` block): each row is an
// instance URL and a tenant on it. The query runs when a command needs the
// instances, not when the configuration is loaded.
//
//	env "prod" {
//	  registry {
//	    url   = env("REGISTRY_URL")
//	    query = "SELECT instance_url, tenant FROM control.tenants WHERE active ORDER BY 1, 2"
//	  }
//	  tenants { parallel = 4 }
//	  max_connections = 16
//	}
type Registry struct {
	URL        Value     // the registry database
	Query      string    // returns two columns: instance URL, tenant
	Range      hcl.Range // the registry block header
	URLRange   hcl.Range // the url attribute's value
	QueryRange hcl.Range // the query attribute's value
}

// resolveRegistry reads the registry block; true when the env has one
// (then url and instances are not read: the registry replaces them).
func (l *loader) resolveRegistry(e *Env, env *scope) bool {
	nb := env.nested["registry"]
	if nb == nil {
		return false
	}
	e.Ranges["registry"] = nb.block.DefRange
	for _, other := range []string{"url", "instances"} {
		if a := env.attr(other); a != nil {
			r := a.NameRange
			l.errorf(&r, "Both "+other+" and registry",
				"The env %q sets %s and has a registry block (at %s). With a registry, the registry's query says which databases the env has; remove %s, or remove the registry block.",
				env.name, other, nb.block.DefRange, other)
			return true
		}
	}
	reg := &Registry{Range: nb.block.DefRange}
	ok := true
	for _, key := range []string{"registry.url", "registry.query"} {
		s, picked := l.pick(key, env)
		if !picked {
			ok = false
			continue
		}
		name := strings.TrimPrefix(key, "registry.")
		if s == nil {
			r := nb.block.DefRange
			if a := nb.attrs[name]; a != nil {
				r = a.Expr.Range()
			}
			l.errorf(&r, "Missing registry "+name, "%s", registryMissing[name])
			ok = false
			continue
		}
		text, sens, good := l.str(s, false)
		if !good {
			ok = false
			continue
		}
		r := s.rng()
		e.Ranges[key] = r
		if strings.TrimSpace(text) == "" {
			l.errorf(&r, "Empty registry "+name, "%s", registryMissing[name])
			ok = false
			continue
		}
		if name == "url" {
			reg.URL, reg.URLRange = Value{Text: text, Sensitive: sens}, r
		} else {
			reg.Query, reg.QueryRange = text, r
		}
	}
	if ok {
		e.Registry = reg
		e.URLRange = reg.QueryRange // an instance's position: the query that named it
	}
	return true
}

// registryMissing is the detail of a registry block without url or query.
var registryMissing = map[string]string{
	"url":   `The registry block needs the url of the registry database, the database that lists the env's instances and their tenants, such as url = env("REGISTRY_URL").`,
	"query": `The registry block needs a query that returns two columns, the instance URL and the tenant, one row per tenant, such as query = "SELECT instance_url, tenant FROM control.tenants WHERE active ORDER BY 1, 2".`,
}

// Instance is the instance of the env whose URL is u, i-th (from
// 0) in the order the registry's rows first named it: named
// host:port/database like an instance of `instances` (the URL itself is
// never shown, so it is marked sensitive), at the registry's query.
func (r *Registry) Instance(u string, i int, tenants []string) Instance {
	return Instance{Name: instanceName(u, false, i), URL: Value{Text: u, Sensitive: true}, Range: r.QueryRange, Tenants: tenants}
}
