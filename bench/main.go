// Command bench measures Strata against the floor: a minimal pgx program
// that applies the same migration files with the least work a migration
// tool can do. Each workload is generated into a temporary directory, and
// each measurement runs in its own child process (this binary re-executed)
// on a fresh database, so time and peak memory are per process.
//
//	go run ./bench -url 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable' -workload w1,w2,w3,w4 -runs 3
//
// W3 measures the strata CLI instead: it builds ./cmd/strata (or takes
// -strata-bin) and times whole `strata migrate` and `strata info` processes
// against one database set up beforehand.
//
// See docs/benchmarks.md.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
)

const defaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

func main() {
	if len(os.Args) > 1 && os.Args[1] == childCommand {
		os.Exit(childMain(os.Args[2:]))
	}
	os.Exit(benchMain())
}

type options struct {
	url       string
	workloads []string
	runs      int
	only      string
	json      bool
	keep      bool
	w1Files   int
	w2Tenants int
	w2Par     int
	w3Tenants int
	w3Files   int
	w3Source  string
	strataBin string
	w4MiB     int
	w5Files   int
	w5Runners int
	w6Tenants int
	w6Files   int
}

func benchMain() int {
	var o options
	var workloads string
	flag.StringVar(&o.url, "url", defaultURL, "admin URL of the PostgreSQL server (a database is created and dropped per measurement)")
	flag.StringVar(&workloads, "workload", "w1,w2,w3,w4", "comma-separated workloads: w1, w2, w3, w3-10k (W3 with 10,000 tenants), w4, w5, w6 (tenants over two instances)")
	flag.IntVar(&o.runs, "runs", 3, "runs per workload; the median is reported")
	flag.StringVar(&o.only, "only", "", `measure only "floor" or "strata"`)
	flag.BoolVar(&o.json, "json", false, "print the results as JSON on stdout")
	flag.BoolVar(&o.keep, "keep", false, "keep the generated migration files and print where they are")
	flag.IntVar(&o.w1Files, "w1-files", 500, "number of W1 migrations")
	flag.IntVar(&o.w2Tenants, "w2-tenants", 200, "number of W2 tenant schemas")
	flag.IntVar(&o.w2Par, "w2-parallel", 4, "Strata's parallel for W2 (its *sql.DB gets parallel + 1 connections)")
	flag.IntVar(&o.w3Tenants, "w3-tenants", 1000, "number of W3 tenant schemas")
	flag.IntVar(&o.w3Files, "w3-files", 5, "number of W3 migrations per tenant (1 to 20)")
	flag.StringVar(&o.w3Source, "w3-source", "pattern", `how W3's strata.hcl names the tenants: "pattern" (tenants { pattern = "tenant_*" }) or "schemas" (the list of names)`)
	flag.StringVar(&o.strataBin, "strata-bin", "", "W3: the strata CLI to measure (default: go build ./cmd/strata into the temporary directory)")
	flag.IntVar(&o.w4MiB, "w4-mib", 50, "size of the W4 migration in MiB")
	flag.IntVar(&o.w5Files, "w5-files", 100, "number of W5 migrations")
	flag.IntVar(&o.w5Runners, "w5-runners", 16, "W5: strata processes started at once")
	flag.IntVar(&o.w6Tenants, "w6-tenants", 2000, "W6: tenant schemas, half on each of the two instances")
	flag.IntVar(&o.w6Files, "w6-files", 5, "W6: migrations per tenant (1 to 20, the first of W2's)")
	flag.Parse()
	for _, w := range strings.Split(workloads, ",") {
		w = strings.ToLower(strings.TrimSpace(w))
		if w != "w1" && w != "w2" && w != "w3" && w != "w3-10k" && w != "w4" && w != "w5" && w != "w6" {
			fmt.Fprintf(os.Stderr, "bench: unknown workload %q (want w1, w2, w3, w3-10k, w4, w5 or w6)\n", w)
			return 2
		}
		o.workloads = append(o.workloads, w)
	}
	if o.runs < 1 || (o.only != "" && o.only != "floor" && o.only != "strata") || flag.NArg() > 0 ||
		o.w2Tenants < 1 || o.w2Par < 1 || o.w3Tenants < 1 || o.w3Files < 1 || o.w3Files > len(tenantApp) || o.w5Files < 1 || o.w5Runners < 2 || o.w6Tenants < 2 || o.w6Files < 1 || o.w6Files > len(tenantApp) ||
		(o.w3Source != "pattern" && o.w3Source != "schemas") {
		flag.Usage()
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := run(ctx, o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 2
	}
	if o.json {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
			return 2
		}
	} else {
		rep.print(os.Stdout)
	}
	for _, w := range rep.Workloads {
		if w.Pass != nil && !*w.Pass {
			return 1
		}
	}
	return 0
}

// report is the benchmark's output.
type report struct {
	Machine   machine          `json:"machine"`
	Runs      int              `json:"runs"`
	ParentKiB int64            `json:"parent_vm_hwm_kib"` // children's Maxrss cannot be below this (see docs)
	Workloads []workloadResult `json:"workloads"`
}

type workloadResult struct {
	workload
	Command   string   `json:"command,omitempty"`  // W3: the measured strata command line
	SetupMS   float64  `json:"setup_ms,omitempty"` // W3: the unmeasured first migrate
	Floor     *series  `json:"floor,omitempty"`
	Strata    *series  `json:"strata,omitempty"`
	Limit     *series  `json:"limit,omitempty"`      // W1: every file in one query and one transaction
	TimeRatio float64  `json:"time_ratio,omitempty"` // strata/floor median process time
	RSSRatio  float64  `json:"rss_ratio,omitempty"`
	Target    string   `json:"target"`
	Pass      *bool    `json:"pass,omitempty"` // nil when only one side ran
	Notes     []string `json:"notes,omitempty"`
}

// series is one runner's measurements of one workload.
type series struct {
	WallMS    float64       `json:"median_wall_ms"`         // child process start to exit
	MaxRSSKiB int64         `json:"median_maxrss_kib"`      // rusage ru_maxrss of the child
	Phases    childResult   `json:"median_phases,omitzero"` // medians of the child's own phase times
	Runs      []measurement `json:"runs"`
}

type measurement struct {
	runner    string
	Run       int         `json:"run"`
	First     bool        `json:"first"` // ran before the other runner in this run
	WallMS    float64     `json:"wall_ms"`
	MaxRSSKiB int64       `json:"maxrss_kib"`
	Child     childResult `json:"child,omitzero"`
}

func run(ctx context.Context, o options) (*report, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable: %w", err)
	}
	admin, err := pgx.Connect(ctx, o.url)
	if err != nil {
		return nil, fmt.Errorf("connect to admin database: %w", err)
	}
	defer admin.Close(context.WithoutCancel(ctx))
	rep := &report{Machine: describeMachine(ctx, admin), Runs: o.runs}

	tmp, err := os.MkdirTemp("", "strata-bench-")
	if err != nil {
		return nil, fmt.Errorf("create workload directory: %w", err)
	}
	if o.keep {
		fmt.Fprintf(os.Stderr, "workloads in %s\n", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}

	runners := []string{"floor", "strata"}
	if o.only != "" {
		runners = []string{o.only}
	}
	dbs := &databases{admin: admin, url: o.url}
	defer dbs.dropAll()
	for _, name := range o.workloads {
		w, err := generate(tmp, name, o)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(os.Stderr, "%s: %d files, %.1f MiB", w.Name, w.Files, float64(w.Bytes)/(1<<20))
		if w.Tenants > 0 {
			fmt.Fprintf(os.Stderr, ", %d tenants", w.Tenants)
		}
		fmt.Fprintln(os.Stderr)
		if name == "w3" || name == "w3-10k" || name == "w5" || name == "w6" {
			if o.only == "floor" {
				fmt.Fprintf(os.Stderr, "  skipped: %s has no floor\n", name)
				continue
			}
			runCLIWorkload := runW3
			switch name {
			case "w5":
				runCLIWorkload = runW5
			case "w6":
				runCLIWorkload = runW6
			}
			wrs, err := runCLIWorkload(ctx, o, tmp, dbs, w)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			rep.Workloads = append(rep.Workloads, wrs...)
			continue
		}
		wr := workloadResult{workload: *w, Target: w.target()}
		all := map[string]*series{}
		for i := range o.runs {
			order := slices.Clone(runners)
			if name == "w1" && o.only == "" {
				order = append(order, "limit")
			}
			if i%2 == 1 {
				slices.Reverse(order)
			}
			for j, r := range order {
				m, err := measure(ctx, self, dbs, r, w)
				if err != nil {
					return nil, fmt.Errorf("%s run %d, %s: %w", w.Name, i+1, r, err)
				}
				m.runner, m.Run, m.First = r, i+1, j == 0
				fmt.Fprintf(os.Stderr, "  run %d %-6s %9.0f ms %7.1f MiB\n", i+1, r, m.WallMS, float64(m.MaxRSSKiB)/1024)
				if all[r] == nil {
					all[r] = &series{}
				}
				all[r].Runs = append(all[r].Runs, m)
			}
		}
		for _, s := range all {
			s.summarize()
		}
		wr.Floor, wr.Strata, wr.Limit = all["floor"], all["strata"], all["limit"]
		wr.judge()
		rep.Workloads = append(rep.Workloads, wr)
	}
	rep.ParentKiB = vmHWM()
	for i := range rep.Workloads {
		rep.Workloads[i].checkRSS(rep.ParentKiB)
	}
	return rep, nil
}

// measure runs one child on a fresh database and returns its process time
// and peak memory.
func measure(ctx context.Context, self string, dbs *databases, runner string, w *workload) (measurement, error) {
	var m measurement
	url, err := dbs.createClean(ctx)
	if err != nil {
		return m, err
	}
	defer dbs.drop(ctx)

	var out bytes.Buffer
	args := []string{childCommand, runner, "-url", url, "-dir", w.Dir}
	if w.Tenants > 0 {
		args = append(args, "-tenants", strconv.Itoa(w.Tenants), "-parallel", strconv.Itoa(w.Parallel))
	}
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	start := time.Now()
	err = cmd.Run()
	m.WallMS = msSince(start)
	if err != nil {
		return m, fmt.Errorf("child: %w", err)
	}
	m.MaxRSSKiB = maxRSSKiB(cmd.ProcessState)
	if err := json.Unmarshal(out.Bytes(), &m.Child); err != nil {
		return m, fmt.Errorf("read child result: %w", err)
	}
	if m.Child.Files != w.applications() {
		return m, fmt.Errorf("applied %d files, want %d", m.Child.Files, w.applications())
	}
	return m, nil
}

func (s *series) summarize() {
	med := func(f func(m measurement) float64) float64 {
		v := make([]float64, len(s.Runs))
		for i, m := range s.Runs {
			v[i] = f(m)
		}
		return median(v)
	}
	s.WallMS = med(func(m measurement) float64 { return m.WallMS })
	s.MaxRSSKiB = int64(med(func(m measurement) float64 { return float64(m.MaxRSSKiB) }))
	s.Phases = childResult{
		Files:     s.Runs[0].Child.Files,
		Bytes:     s.Runs[0].Child.Bytes,
		ConnectMS: med(func(m measurement) float64 { return m.Child.ConnectMS }),
		ApplyMS:   med(func(m measurement) float64 { return m.Child.ApplyMS }),
		CollectMS: med(func(m measurement) float64 { return m.Child.CollectMS }),
		OpenMS:    med(func(m measurement) float64 { return m.Child.OpenMS }),
		MigrateMS: med(func(m measurement) float64 { return m.Child.MigrateMS }),
		HWMKiB:    int64(med(func(m measurement) float64 { return float64(m.Child.HWMKiB) })),
	}
}

func median(v []float64) float64 {
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// judge computes the ratios and checks the targets when both sides ran,
// or checks the absolute target (W3).
func (w *workloadResult) judge() {
	if w.MaxMS > 0 && w.Strata != nil {
		pass := w.Strata.WallMS < w.MaxMS
		w.Pass = &pass
		return
	}
	if w.Floor == nil || w.Strata == nil {
		return
	}
	w.TimeRatio = w.Strata.WallMS / w.Floor.WallMS
	w.RSSRatio = float64(w.Strata.MaxRSSKiB) / float64(w.Floor.MaxRSSKiB)
	pass := w.TimeRatio <= w.MaxRatio
	if w.MaxRSSKiB > 0 && w.Strata.MaxRSSKiB >= w.MaxRSSKiB {
		pass = false
	}
	w.Pass = &pass
}

// checkRSS notes measurements whose Maxrss may be the parent's: on Linux a
// child's ru_maxrss starts at the high-water mark of the address space it
// was forked from (Go forks with CLONE_VM), so it is never below the
// parent's own peak.
func (w *workloadResult) checkRSS(parentKiB int64) {
	for _, s := range []*series{w.Floor, w.Strata} {
		if s == nil {
			continue
		}
		n := 0
		for _, m := range s.Runs {
			if m.MaxRSSKiB <= parentKiB {
				n++
			}
		}
		if n > 0 && w.Command != "" {
			w.Notes = append(w.Notes, fmt.Sprintf("%d of %d runs have maxrss at or below the parent's own peak (%.1f MiB), which Linux copies into a child's maxrss at exec; the strata CLI does not report its own VmHWM",
				n, len(s.Runs), float64(parentKiB)/1024))
		} else if n > 0 {
			w.Notes = append(w.Notes, fmt.Sprintf("%s: %d of %d runs have maxrss at or below the parent's own peak (%.1f MiB), which Linux copies into a child's maxrss at exec; the child's own VmHWM (median %.1f MiB) is in the JSON output",
				s.Runs[0].runner, n, len(s.Runs), float64(parentKiB)/1024, float64(s.Phases.HWMKiB)/1024))
		}
	}
}

func (r *report) print(out io.Writer) {
	m := r.Machine
	fmt.Fprintf(out, "machine:    %s, %d cores (GOMAXPROCS %d), %d MiB, %s\n", m.CPU, m.Cores, m.GOMAXPROCS, m.MemoryMiB, m.Kernel)
	fmt.Fprintf(out, "go:         %s\n", m.Go)
	fmt.Fprintf(out, "postgresql: %s\n", m.PostgreSQL)
	fmt.Fprintf(out, "server:     %s, shared_buffers %s, synchronous_commit %s, fsync %s\n", m.Server, m.SharedBuffers, m.SynchronousCommit, m.Fsync)
	fmt.Fprintf(out, "runs:       %d per workload, median of each column; time is child process start to exit\n\n", r.Runs)

	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tfloor time\tstrata time\tratio\tfloor peak RSS\tstrata peak RSS\ttarget\tresult\t")
	for _, w := range r.Workloads {
		ratio, result := "-", "n/a"
		if w.TimeRatio > 0 {
			ratio = fmt.Sprintf("%.2fx", w.TimeRatio)
		}
		if w.Pass != nil {
			result = "FAIL"
			if *w.Pass {
				result = "pass"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", w.Name,
			seriesTime(w.Floor), seriesTime(w.Strata), ratio, seriesRSS(w.Floor), seriesRSS(w.Strata), w.Target, result)
	}
	tw.Flush()

	for _, w := range r.Workloads {
		if w.Limit != nil && w.Floor != nil && w.Strata != nil {
			fmt.Fprintf(out, "\n%s physical limit (every file and history row in one query, one transaction): %s, %.2fx the floor; strata is %.2fx the limit\n",
				w.Name, seriesTime(w.Limit), w.Limit.WallMS/w.Floor.WallMS, w.Strata.WallMS/w.Limit.WallMS)
		}
	}
	if slices.ContainsFunc(r.Workloads, func(w workloadResult) bool { return w.Command == "" }) {
		r.printPhases(out)
	}
	if slices.ContainsFunc(r.Workloads, func(w workloadResult) bool { return w.Command != "" }) {
		fmt.Fprintln(out, "\nstrata CLI processes (W3, W5):")
	}
	for _, w := range r.Workloads {
		if w.Command != "" {
			fmt.Fprintf(out, "%s: %s", w.Name, w.Command)
			if w.Strata != nil {
				fmt.Fprintf(out, " (runs: %s)", runTimes(w.Strata))
			}
			if w.SetupMS > 0 {
				fmt.Fprintf(out, "; setup migrate %.1f s", w.SetupMS/1000)
			}
			fmt.Fprintln(out)
		}
	}
	for _, w := range r.Workloads {
		for _, n := range w.Notes {
			fmt.Fprintf(out, "note: %s: %s\n", w.Name, n)
		}
	}
}

func seriesTime(s *series) string {
	if s == nil {
		return "-"
	}
	return fmt.Sprintf("%.0f ms", s.WallMS)
}

// printPhases prints the phases the bench children report.
func (r *report) printPhases(out io.Writer) {
	fmt.Fprintln(out, "\nphases inside the children (median ms):")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tfiles\tMiB\tfloor connect\tfloor apply\tstrata collect\tstrata open\tstrata migrate\t")
	for _, w := range r.Workloads {
		if w.Command != "" {
			continue // the strata CLI reports no phases
		}
		var f, s childResult
		if w.Floor != nil {
			f = w.Floor.Phases
		}
		if w.Strata != nil {
			s = w.Strata.Phases
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%s\t%s\t%s\t%s\t%s\t\n", w.Name, w.Files, float64(w.Bytes)/(1<<20),
			phase(w.Floor, f.ConnectMS), phase(w.Floor, f.ApplyMS),
			phase(w.Strata, s.CollectMS), phase(w.Strata, s.OpenMS), phase(w.Strata, s.MigrateMS))
	}
	tw.Flush()
}

func runTimes(s *series) string {
	v := make([]string, len(s.Runs))
	for i, m := range s.Runs {
		v[i] = fmt.Sprintf("%.0f", m.WallMS)
	}
	return strings.Join(v, ", ") + " ms"
}

func seriesRSS(s *series) string {
	if s == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f MiB", float64(s.MaxRSSKiB)/1024)
}

func phase(s *series, ms float64) string {
	if s == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f", ms)
}

// databases creates and drops the benchmark's databases on the admin
// connection.
type databases struct {
	admin   *pgx.Conn
	url     string
	seq     int
	current string
}

// create makes a fresh database and returns its URL.
func (d *databases) create(ctx context.Context) (string, error) {
	d.seq++
	name := fmt.Sprintf("strata_bench_%d_%d", os.Getpid(), d.seq)
	if _, err := d.admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	d.current = name
	return withDatabase(d.url, name)
}

// createClean is create, then a CHECKPOINT, so that a measurement starts
// with no dirty buffers left by the previous one. The checkpoint needs
// superuser or pg_checkpoint; without it the run is just noisier.
func (d *databases) createClean(ctx context.Context) (string, error) {
	url, err := d.create(ctx)
	if err == nil {
		_, _ = d.admin.Exec(ctx, "CHECKPOINT")
	}
	return url, err
}

// drop drops the current database, forcing out leftover sessions.
func (d *databases) drop(ctx context.Context) {
	if d.current == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	q := "DROP DATABASE IF EXISTS " + pgx.Identifier{d.current}.Sanitize()
	if _, err := d.admin.Exec(ctx, q+" WITH (FORCE)"); err != nil {
		if _, err := d.admin.Exec(ctx, q); err != nil { // before PostgreSQL 13
			fmt.Fprintf(os.Stderr, "bench: drop database %s: %v\n", d.current, err)
			return
		}
	}
	d.current = ""
}

func (d *databases) dropAll() { d.drop(context.Background()) }

// withDatabase returns url (a postgres:// URL or a key=value DSN) with its
// database replaced by name.
func withDatabase(url, name string) (string, error) {
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		u, err := parseURL(url)
		if err != nil {
			return "", err
		}
		u.Path, u.RawPath = "/"+name, ""
		return u.String(), nil
	}
	if strings.Contains(url, "=") || strings.TrimSpace(url) == "" {
		return url + " dbname=" + name, nil
	}
	return "", errors.New("database URL is neither a postgres:// URL nor a key=value DSN")
}
