package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// runW6 measures a fleet: w.Tenants tenants split over two instances (two
// fresh databases of the server, the first half of the tenants on the
// first), migrated by one `strata migrate` whose env lists both in
// `instances`, each instance with tenants.parallel = w.Parallel. Beside it,
// for reading, the same tenants on one database with the same parallel:
// what running the instances side by side gives. Each run creates the
// databases and schemas afresh (not measured) and checks the output.
func runW6(ctx context.Context, o options, tmp string, dbs *databases, w *workload) ([]workloadResult, error) {
	bin := o.strataBin
	if bin == "" {
		var err error
		if bin, err = buildCLI(ctx, tmp); err != nil {
			return nil, err
		}
	}
	names := tenantNames(w.Tenants)
	half := len(names) / 2
	apps := w.Tenants * w.Files
	fleet, waves, one := &series{}, &series{}, &series{}
	// The three setups, in a rotating order from run to run.
	const (
		twoInstances = iota
		twoInstancesWaves
		// then one database
	)
	for i := range o.runs {
		for j := range 3 {
			setup := (i + j) % 3
			var m measurement
			var err error
			fleetDone := contains(fmt.Sprintf("2 instances: 2 done, 0 failed; %d migrations applied", apps))
			s, label := fleet, "two instances"
			switch setup {
			case twoInstances:
				m, err = w6Run(ctx, bin, tmp, dbs, w, [][]string{names[:half], names[half:]}, "", fleetDone)
			case twoInstancesWaves:
				s, label = waves, "waves"
				m, err = w6Run(ctx, bin, tmp, dbs, w, [][]string{names[:half], names[half:]}, w6Rollout, fleetDone)
			default: // one database
				s, label = one, "one database"
				m, err = w6Run(ctx, bin, tmp, dbs, w, [][]string{names}, "",
					contains(fmt.Sprintf("%d targets: %d migrated (%d migrations)", w.Tenants, w.Tenants, apps)))
			}
			if err != nil {
				return nil, fmt.Errorf("run %d: %w", i+1, err)
			}
			m.runner, m.Run, m.First = "strata", i+1, j == 0
			fmt.Fprintf(os.Stderr, "  run %d %-14s %9.0f ms %7.1f MiB\n", i+1, label, m.WallMS, float64(m.MaxRSSKiB)/1024)
			s.Runs = append(s.Runs, m)
		}
	}
	fleet.summarize()
	waves.summarize()
	one.summarize()
	mk := func(name string, s *series, cmd string) workloadResult {
		wr := workloadResult{workload: *w, Strata: s, Target: "(reference)", Command: cmd}
		wr.Name = w.Name + " " + name
		return wr
	}
	a := mk("two instances", fleet, "strata migrate, instances = [2 databases], max_connections unset")
	c := mk("two instances, waves", waves, "the same with a rollout across the instances: "+strings.Join(strings.Fields(w6Rollout), " "))
	b := mk("one database", one, "strata migrate, url = 1 database with every tenant")
	a.Notes = append(a.Notes, fmt.Sprintf("%d tenants over two instances took %.2fx the time of the same tenants on one database (parallel %d per instance, so twice the connections)",
		w.Tenants, fleet.WallMS/one.WallMS, w.Parallel))
	c.Notes = append(c.Notes, fmt.Sprintf("waves across the instances (a read pass, then three waves one after the other) took %.2fx the time of the same run without waves",
		waves.WallMS/fleet.WallMS))
	return []workloadResult{a, c, b}, nil
}

// w6Rollout is the rollout of W6's "waves" setup: a canary of two tenants
// (one per instance), 10% of the rest, then the rest.
const w6Rollout = `  rollout {
    wave "canary" { count = 2 }
    wave "early" { percent = 10 }
    wave "rest" { }
  }
`

// w6Run creates one fresh database per element of groups with those
// tenant schemas, runs `strata migrate` once over them (instances when
// there are several, with rollout in the env when not ""), checks its
// output and drops the databases.
func w6Run(ctx context.Context, bin, tmp string, dbs *databases, w *workload, groups [][]string, rollout string, check func(string) error) (measurement, error) {
	var m measurement
	var urls []string
	var own []*databases
	defer func() {
		for _, d := range own {
			d.drop(ctx)
		}
	}()
	for _, g := range groups {
		// A databases of its own per instance (each drops its current one);
		// seq far apart from the shared one's, so the names never meet.
		d := &databases{admin: dbs.admin, url: dbs.url, seq: (dbs.seq + 1 + len(own)) * 1000}
		dbs.seq++
		url, err := d.createClean(ctx)
		if err != nil {
			return m, err
		}
		own = append(own, d)
		if err := createSchemas(ctx, url, g); err != nil {
			return m, err
		}
		urls = append(urls, url)
	}
	where := "url = " + hclString(urls[0])
	if len(urls) > 1 {
		q := make([]string, len(urls))
		for i, u := range urls {
			q[i] = hclString(u)
		}
		where = "instances = [" + strings.Join(q, ", ") + "]"
	}
	cfg := filepath.Join(tmp, "w6.hcl")
	text := fmt.Sprintf("env \"bench\" {\n  %s\n  locations = [%s]\n  tenants {\n    pattern  = \"tenant_*\"\n    parallel = %d\n  }\n%s}\n",
		where, hclString(w.Dir), w.Parallel, rollout)
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		return m, fmt.Errorf("write strata.hcl: %w", err)
	}
	return runCLI(ctx, bin, []string{"--config", cfg, "migrate"}, check)
}
