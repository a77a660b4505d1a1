package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// runW5 measures concurrent runners: o.w5Runners `strata migrate`
// processes started at once on one fresh database, against one process
// alone on another fresh database, o.runs times each (alternating which
// goes first). The figure is for reading, not a target: the runners
// serialize on the target's lock, so all-at-once cannot be faster than
// alone; what it shows is what waiting and re-planning cost the last one
// to finish. Every run checks that each exited 0 and that the history
// holds each migration exactly once.
func runW5(ctx context.Context, o options, tmp string, dbs *databases, w *workload) ([]workloadResult, error) {
	bin := o.strataBin
	if bin == "" {
		var err error
		if bin, err = buildCLI(ctx, tmp); err != nil {
			return nil, err
		}
	}
	alone, together := &series{}, &series{}
	for i := range o.runs {
		order := []int{1, o.w5Runners}
		if i%2 == 1 {
			order = []int{o.w5Runners, 1}
		}
		for j, n := range order {
			m, err := concurrentRun(ctx, bin, tmp, dbs, w, n)
			if err != nil {
				return nil, fmt.Errorf("run %d, %d at once: %w", i+1, n, err)
			}
			m.runner, m.Run, m.First = "strata", i+1, j == 0
			fmt.Fprintf(os.Stderr, "  run %d %2d at once %7.1f ms\n", i+1, n, m.WallMS)
			s := alone
			if n > 1 {
				s = together
			}
			s.Runs = append(s.Runs, m)
		}
	}
	alone.summarize()
	together.summarize()
	mk := func(name string, s *series, n int) workloadResult {
		wr := workloadResult{workload: *w, Strata: s, Target: "(reference)"}
		wr.Name = w.Name + " " + name
		wr.Command = fmt.Sprintf("%d x strata migrate at once", n)
		return wr
	}
	one, many := mk("alone", alone, 1), mk(fmt.Sprintf("%d at once", o.w5Runners), together, o.w5Runners)
	many.Notes = append(many.Notes, fmt.Sprintf("%d processes at once took %.2fx the time of one alone (until the last exited); all exited 0 and the history holds each migration once",
		o.w5Runners, together.WallMS/alone.WallMS))
	return []workloadResult{one, many}, nil
}

// concurrentRun starts n `strata migrate` processes at once on a fresh
// database and returns the time until the last one exited.
func concurrentRun(ctx context.Context, bin, tmp string, dbs *databases, w *workload, n int) (measurement, error) {
	var m measurement
	url, err := dbs.createClean(ctx)
	if err != nil {
		return m, err
	}
	defer dbs.drop(ctx)
	cfg := filepath.Join(tmp, "w5.hcl")
	text := fmt.Sprintf("env \"bench\" {\n  url       = %s\n  locations = [%s]\n}\n", hclString(url), hclString(w.Dir))
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		return m, fmt.Errorf("write strata.hcl: %w", err)
	}
	cmds := make([]*exec.Cmd, n)
	outs := make([]bytes.Buffer, n)
	for i := range cmds {
		cmds[i] = exec.CommandContext(ctx, bin, "--config", cfg, "migrate")
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
	}
	start := time.Now()
	for i, c := range cmds {
		if err := c.Start(); err != nil {
			for _, started := range cmds[:i] {
				_ = started.Process.Kill()
				_ = started.Wait()
			}
			return m, fmt.Errorf("start strata: %w", err)
		}
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, c := range cmds {
		wg.Go(func() { errs[i] = c.Wait() })
	}
	wg.Wait()
	m.WallMS = msSince(start)
	for i, err := range errs {
		if err != nil {
			return m, fmt.Errorf("process %d of %d: %w\n%s", i+1, n, err, outs[i].String())
		}
		m.MaxRSSKiB = max(m.MaxRSSKiB, maxRSSKiB(cmds[i].ProcessState))
	}
	return m, checkExactlyOnce(ctx, url, w.Files)
}

// checkExactlyOnce checks that the history of the database at url holds
// files successful versioned rows, each version once.
func checkExactlyOnce(ctx context.Context, url string, files int) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("check history: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var rows, versions int
	err = conn.QueryRow(ctx, `SELECT count(*), count(DISTINCT version) FROM strata_schema_history WHERE success AND version IS NOT NULL AND type = 'SQL'`).Scan(&rows, &versions)
	if err != nil {
		return fmt.Errorf("check history: %w", err)
	}
	if rows != files || versions != files {
		return fmt.Errorf("history has %d rows of %d versions, want each of the %d migrations once", rows, versions, files)
	}
	return nil
}
