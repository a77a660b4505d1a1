package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// cliCommand is one strata command line W3 measures.
type cliCommand struct {
	name  string   // row of the report
	args  []string // after --config
	check func(stdout string) error
	max   bool // the workload's absolute target applies
}

// runW3 measures the strata CLI on many up-to-date tenants. It builds the
// CLI (unless -strata-bin), creates one database with w.Tenants tenants
// migrated by strata itself (not measured), then runs `strata migrate` and
// `strata info` as separate processes, o.runs times each, alternating their
// order; `strata --version` is measured beside them for reference (process
// start-up without configuration or database).
func runW3(ctx context.Context, o options, tmp string, dbs *databases, w *workload) ([]workloadResult, error) {
	bin := o.strataBin
	if bin == "" {
		var err error
		if bin, err = buildCLI(ctx, tmp); err != nil {
			return nil, err
		}
	}
	url, err := dbs.create(ctx)
	if err != nil {
		return nil, err
	}
	defer dbs.drop(ctx)

	names := tenantNames(w.Tenants)
	tenants := `pattern = "tenant_*"`
	if o.w3Source == "pattern" {
		// A pattern matches existing schemas only.
		if err := createSchemas(ctx, url, names); err != nil {
			return nil, err
		}
	} else {
		quoted := make([]string, len(names))
		for i, n := range names {
			quoted[i] = hclString(n)
		}
		tenants = "schemas = [" + strings.Join(quoted, ", ") + "]"
	}
	cfg := filepath.Join(tmp, "strata.hcl")
	text := fmt.Sprintf("env \"bench\" {\n  url       = %s\n  locations = [%s]\n  tenants {\n    %s\n    parallel = %d\n  }\n}\n",
		hclString(url), hclString(w.Dir), tenants, w.Parallel)
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		return nil, fmt.Errorf("write strata.hcl: %w", err)
	}

	n := w.Tenants
	start := time.Now()
	want := fmt.Sprintf("%d targets: %d migrated (%d migrations)", n, n, n*w.Files)
	if _, err := runCLI(ctx, bin, []string{"--config", cfg, "migrate"}, contains(want)); err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	setupMS := msSince(start)
	fmt.Fprintf(os.Stderr, "  setup: strata migrate of %d tenants x %d files in %.1f s\n", n, w.Files, setupMS/1000)
	_, _ = dbs.admin.Exec(ctx, "CHECKPOINT")

	cmds := []cliCommand{
		{name: "migrate", args: []string{"--config", cfg, "migrate"}, max: true,
			check: contains(fmt.Sprintf("%d targets: 0 migrated (0 migrations), %d already up to date", n, n))},
		{name: "info", args: []string{"--config", cfg, "info"}, max: true,
			check: allOf(contains(fmt.Sprintf("Targets: %d", n)), contains(fmt.Sprintf("\n  up to date: %d\n", n)))},
		{name: "version", args: []string{"--version"}, check: contains("strata version")},
	}
	all := make([]series, len(cmds))
	for i := range o.runs {
		order := []int{0, 1, 2}
		if i%2 == 1 {
			slices.Reverse(order)
		}
		for j, c := range order {
			m, err := runCLI(ctx, bin, cmds[c].args, cmds[c].check)
			if err != nil {
				return nil, fmt.Errorf("run %d, strata %s: %w", i+1, cmds[c].name, err)
			}
			m.runner, m.Run, m.First = "strata", i+1, j == 0
			fmt.Fprintf(os.Stderr, "  run %d %-8s %7.1f ms %7.1f MiB\n", i+1, cmds[c].name, m.WallMS, float64(m.MaxRSSKiB)/1024)
			all[c].Runs = append(all[c].Runs, m)
		}
	}

	var out []workloadResult
	for i, c := range cmds {
		wr := workloadResult{workload: *w, Strata: &all[i], Command: "strata " + strings.Join(c.args, " ")}
		if i == 0 {
			wr.SetupMS = setupMS
		}
		wr.Command = strings.ReplaceAll(wr.Command, cfg, "strata.hcl")
		wr.Name = w.Name + " " + c.name
		wr.Target = w.target()
		if !c.max {
			wr.MaxMS = 0
			wr.Target = "(reference)"
		}
		wr.Strata.summarize()
		wr.judge()
		out = append(out, wr)
	}
	return out, nil
}

// buildCLI builds ./cmd/strata of the module in the working directory
// into dir.
func buildCLI(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "strata")
	start := time.Now()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/stratadb/strata/cmd/strata")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build the strata CLI (run from the repository, or give -strata-bin): %w", err)
	}
	fmt.Fprintf(os.Stderr, "  built %s in %.1f s\n", bin, time.Since(start).Seconds())
	return bin, nil
}

// runCLI runs the strata CLI once and returns its process time and peak
// memory; check verifies its standard output.
func runCLI(ctx context.Context, bin string, args []string, check func(string) error) (measurement, error) {
	var m measurement
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	m.WallMS = msSince(start)
	if err != nil {
		return m, fmt.Errorf("%w\n%s%s", err, stdout.String(), stderr.String())
	}
	m.MaxRSSKiB = maxRSSKiB(cmd.ProcessState)
	if err := check(stdout.String()); err != nil {
		return m, fmt.Errorf("%w; output:\n%s%s", err, stdout.String(), stderr.String())
	}
	return m, nil
}

func contains(want string) func(string) error {
	return func(out string) error {
		if !strings.Contains(out, want) {
			return fmt.Errorf("output lacks %q", want)
		}
		return nil
	}
}

// createSchemas creates the tenant schemas in one query.
func createSchemas(ctx context.Context, url string, names []string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var b strings.Builder
	for _, n := range names {
		b.WriteString("CREATE SCHEMA " + pgx.Identifier{n}.Sanitize() + ";\n")
	}
	if _, err := conn.PgConn().Exec(ctx, b.String()).ReadAll(); err != nil {
		return fmt.Errorf("create tenant schemas: %w", err)
	}
	return nil
}

// hclString quotes s as an HCL string literal, template sequences escaped.
func hclString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`, "${", "$${", "%{", "%%{")
	return `"` + r.Replace(s) + `"`
}

// allOf passes when every check passes.
func allOf(checks ...func(string) error) func(string) error {
	return func(out string) error {
		for _, c := range checks {
			if err := c(out); err != nil {
				return err
			}
		}
		return nil
	}
}
