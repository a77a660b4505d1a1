package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/stratadb/strata/config"
	"github.com/stratadb/strata/engine/sqlite"
)

// An env with a registry block takes its instances from a query on a
// registry database: each row is an instance URL and a tenant on it.
// migrate and info run the query first (registryFleet, from fleetEnv); its
// rows become the env's Instances, each with exactly its tenants, and from
// there the env is a fleet like one with `instances`. With --url, one
// instance, the commands that work on one database run it too and keep
// the tenants the registry lists there (registryOne, from setup).
//
// The instances' URLs carry their passwords: each is marked sensitive and
// its secrets join the masker (a.secrets), and output names an instance
// host:port/database only.

// registryFleet fills cfg.Env.Instances from the env's registry, when the
// env has one and no --url names one instance.
func (a *app) registryFleet(ctx context.Context, cfg *config.Config) error {
	env := cfg.Env
	if env.Registry == nil || len(env.Instances) > 0 || env.URL.Text != "" {
		return nil
	}
	insts, err := a.readRegistry(ctx, cfg)
	if err != nil {
		return err
	}
	env.Instances = insts
	env.URL, env.URLRange = insts[0].URL, insts[0].Range // for the messages about one database, as with instances
	a.mask = nil                                         // made again with the instances' secrets
	return nil
}

// registryOne narrows an env with a registry to the instance of --url, for
// a command that works on one database: its tenants are those the
// registry lists for it. Without --url it is errFleetOnly's refusal.
func (a *app) registryOne(ctx context.Context, cfg *config.Config) error {
	env := cfg.Env
	if env.Registry == nil {
		return nil
	}
	if env.URL.Text == "" {
		return &exitError{code: exitUsage, err: fmt.Errorf("env %s takes its instances from a registry, and this command works on one database: migrate and info run on every instance; for this command name one with --url (one of the URLs the registry's query returns)",
			env.Name)}
	}
	insts, err := a.readRegistry(ctx, cfg)
	if err != nil {
		return err
	}
	// The same URL, or the same host:port/database (a URL without a host
	// is named "instance N", which says nothing).
	want := env.Registry.Instance(env.URL.Text, 0, nil).Name
	var names []string
	for _, inst := range insts {
		if inst.URL.Text == env.URL.Text || inst.Name == want && !strings.HasPrefix(want, "instance ") {
			t := *env.Tenants
			t.Schemas = inst.Tenants
			env.Tenants = &t
			return nil
		}
		names = append(names, inst.Name)
	}
	if len(names) > 5 {
		names = append(names[:5], "...")
	}
	return &exitError{code: exitUsage, err: fmt.Errorf("--url %s: not an instance of env %s's registry, whose query returns %d (%s): give the URL of one of them",
		config.RedactURL(env.URL.Text), env.Name, len(insts), strings.Join(names, ", "))}
}

// registryConfig is cfg with the env narrowed to its registry database:
// no tenants, schemas or instances, so that any dialect opens it.
func registryConfig(cfg *config.Config) *config.Config {
	c := *cfg
	env := *cfg.Env
	env.URL, env.URLRange = env.Registry.URL, env.Registry.URLRange
	env.Instances, env.Tenants, env.Rollout, env.Schemas = nil, nil, nil, nil
	c.Env = &env
	return &c
}

// registryWhere is where strata.hcl sets the registry's query, for
// messages: file:line.
func registryWhere(reg *config.Registry) string {
	return fmt.Sprintf("%s:%d", relPath(reg.QueryRange.Filename), reg.QueryRange.Start.Line)
}

// readRegistry runs the registry's query and returns the instances its
// rows name, in the order of their first row, each with its tenants in
// the order of the rows. Nothing is run on an instance before the whole
// registry is read and checked.
func (a *app) readRegistry(ctx context.Context, cfg *config.Config) ([]config.Instance, error) {
	env := cfg.Env
	reg := env.Registry
	rcfg := registryConfig(cfg)
	scheme, _, _ := strings.Cut(reg.URL.Text, ":")
	open := dialects[strings.ToLower(scheme)]
	if open == nil {
		_, _, err := a.open(ctx, rcfg) // reports the unsupported scheme at the registry's url
		return nil, err
	}
	if strings.EqualFold(scheme, "sqlite") { // opened read-only: a missing file would read as a database without tables
		if path, err := sqlite.PathFromURL(reg.URL.Text, cfg.Dir); err == nil {
			if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
				return nil, &exitError{code: exitNoDatabase, err: fmt.Errorf("env %s: registry: sqlite database %s does not exist; nothing was run: fix the registry's url", env.Name, relPath(path))}
			}
		}
	}
	_, db, err := open(a, ctx, rcfg, true)
	if err != nil {
		return nil, registryError(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, reg.Query)
	if err != nil {
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("env %s: registry query (%s): %w; nothing was run: fix the query", env.Name, registryWhere(reg), err)}
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, &exitError{code: exitFailed, err: fmt.Errorf("env %s: registry query (%s): %w; nothing was run", env.Name, registryWhere(reg), err)}
	}
	if len(cols) != 2 {
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("env %s: registry query (%s) returns %d column%s (%s), but it must return two: the instance URL, then the tenant; nothing was run: fix the query",
			env.Name, registryWhere(reg), len(cols), plural(len(cols)), strings.Join(cols, ", "))}
	}
	rowErr := func(format string, args ...any) error {
		return &exitError{code: exitFailed, err: fmt.Errorf("env %s: registry query (%s): "+format+"; nothing was run: fix the registry's rows, or leave them out in the query",
			append([]any{env.Name, registryWhere(reg)}, args...)...)}
	}
	var insts []config.Instance
	byURL := map[string]int{}        // URL -> index in insts
	byName := map[string]int{}       // instance name -> row that first named it
	tenantRow := map[[2]string]int{} // instance URL, tenant -> row
	n := 0
	for rows.Next() {
		n++
		var u, tenant sql.NullString
		if err := rows.Scan(&u, &tenant); err != nil {
			return nil, rowErr("row %d: %w", n, err)
		}
		switch {
		case !u.Valid:
			return nil, rowErr("row %d: the instance URL is NULL", n)
		case strings.TrimSpace(u.String) == "":
			return nil, rowErr("row %d: the instance URL is empty", n)
		}
		i, ok := byURL[u.String]
		if !ok {
			inst := reg.Instance(u.String, len(insts), nil)
			if prev, dup := byName[inst.Name]; dup {
				return nil, rowErr("rows %d and %d give different URLs for the database %s, so its tenants would be migrated twice: give each database one URL", prev, n, inst.Name)
			}
			byName[inst.Name] = n
			i = len(insts)
			byURL[u.String] = i
			insts = append(insts, inst)
		}
		switch {
		case !tenant.Valid:
			return nil, rowErr("row %d: the tenant of instance %s is NULL", n, insts[i].Name)
		case strings.TrimSpace(tenant.String) == "":
			return nil, rowErr("row %d: the tenant of instance %s is empty", n, insts[i].Name)
		}
		key := [2]string{u.String, tenant.String}
		if prev, dup := tenantRow[key]; dup {
			return nil, rowErr("rows %d and %d both list tenant %s on instance %s: list each tenant once per instance (SELECT DISTINCT)", prev, n, tenant.String, insts[i].Name)
		}
		tenantRow[key] = n
		insts[i].Tenants = append(insts[i].Tenants, tenant.String)
	}
	if err := rows.Err(); err != nil {
		return nil, &exitError{code: exitFailed, err: fmt.Errorf("env %s: registry query (%s): after row %d: %w; nothing was run", env.Name, registryWhere(reg), n, err)}
	}
	if n == 0 {
		return nil, &exitError{code: exitFailed, err: fmt.Errorf("env %s: registry query (%s) returned no rows, so the env has no instance and no tenant; nothing was run: check the query's conditions and that url names the registry database",
			env.Name, registryWhere(reg))}
	}
	return insts, nil
}

// registryError is a failure to reach the registry, said to be the
// registry's (a connection failure names env and URL only).
func registryError(err error) error {
	var ee *exitError
	if errors.As(err, &ee) && ee.err == nil {
		return err // rendered already, at the registry's url
	}
	return fmt.Errorf("registry: %w", err)
}

// registryWait is wait for an env with a registry (and no --url): the
// registry database first, then its query gives the instances that wait
// goes on with.
func (a *app) registryWait(ctx context.Context, cfg *config.Config, timeout, interval time.Duration) error {
	if cfg.Env.Registry == nil || cfg.Env.URL.Text != "" {
		return nil
	}
	a.cfg = registryConfig(cfg)
	err := a.wait(ctx, cfg.Env.Registry.URL.Text, timeout, interval)
	a.cfg = cfg
	if err != nil {
		return registryError(err)
	}
	return a.registryFleet(ctx, cfg)
}
