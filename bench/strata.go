package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/stratadb/strata/engine"
	"github.com/stratadb/strata/engine/postgres"
	"github.com/stratadb/strata/locations"
)

// runStrata migrates dir with Strata used as a library, with default
// options: collect the files, open the database, migrate. With tenants,
// they are the targets, migrated parallel at a time on a *sql.DB of
// parallel + 1 connections (as the CLI opens it).
func runStrata(ctx context.Context, url, dir string, tenants []string, parallel int) (childResult, error) {
	var res childResult
	start := time.Now()
	set, err := locations.Collect([]locations.Root{{Name: dir, FS: os.DirFS(dir)}}, locations.Options{})
	if err != nil {
		return res, fmt.Errorf("collect: %w", err)
	}
	res.CollectMS = msSince(start)

	start = time.Now()
	db, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		return res, fmt.Errorf("open: %w", err)
	}
	defer db.Close()
	res.OpenMS = msSince(start)

	var opts []engine.Option
	if len(tenants) > 0 {
		opts = append(opts, engine.WithTenantSource(engine.TenantSource{Schemas: tenants}), engine.WithParallel(parallel))
		db.SetMaxOpenConns(parallel + 1)
		db.SetMaxIdleConns(parallel + 1)
	}
	m, err := engine.New(postgres.New(), db, set, opts...)
	if err != nil {
		return res, err
	}
	defer m.Close()
	start = time.Now()
	r, err := m.Migrate(ctx)
	if err == nil {
		err = r.Err()
	}
	if err != nil {
		return res, fmt.Errorf("migrate: %w", err)
	}
	res.MigrateMS = msSince(start)
	res.Files = r.Applied()
	for _, f := range set.Versioned {
		res.Bytes += f.Size
	}
	return res, nil
}
