package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// childCommand is the hidden first argument that makes the binary run one
// measured migration instead of the benchmark.
const childCommand = "__child"

// childResult is what a child reports on stdout, as JSON. Times are the
// child's own phases; the parent measures the whole process from outside.
type childResult struct {
	Files     int     `json:"files"`                // file applications: files x tenants
	Bytes     int64   `json:"bytes"`                // of the files, counted once
	ConnectMS float64 `json:"connect_ms,omitempty"` // floor: pgx.Connect
	ApplyMS   float64 `json:"apply_ms,omitempty"`   // floor: history table + all files (+ tenant schemas)
	CollectMS float64 `json:"collect_ms,omitempty"` // strata: locations.Collect
	OpenMS    float64 `json:"open_ms,omitempty"`    // strata: postgres.Open
	MigrateMS float64 `json:"migrate_ms,omitempty"` // strata: Migrator.Migrate
	HWMKiB    int64   `json:"vm_hwm_kib"`           // VmHWM of the child's own image
}

// childMain runs one measured migration:
// bench __child floor|strata -url U -dir D [-tenants N [-parallel P]].
func childMain(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "bench child: missing runner (floor or strata)")
		return 2
	}
	runner := args[0]
	fs := flag.NewFlagSet(childCommand, flag.ContinueOnError)
	url := fs.String("url", "", "database URL")
	dir := fs.String("dir", "", "migration directory")
	tenants := fs.Int("tenants", 0, "migrate this many tenant schemas (tenant_0001 and on) instead of the default schema")
	parallel := fs.Int("parallel", 4, "strata: tenants migrated at once")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	ctx := context.Background()
	var res childResult
	var err error
	switch {
	case runner == "floor" && *tenants > 0:
		res, err = runFloorTenants(ctx, *url, *dir, tenantNames(*tenants))
	case runner == "floor":
		res, err = runFloor(ctx, *url, *dir)
	case runner == "limit":
		res, err = runLimit(ctx, *url, *dir)
	case runner == "strata":
		res, err = runStrata(ctx, *url, *dir, tenantNames(*tenants), *parallel)
	default:
		err = fmt.Errorf("unknown runner %q", runner)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench child %s: %v\n", runner, err)
		return 1
	}
	res.HWMKiB = vmHWM()
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		fmt.Fprintf(os.Stderr, "bench child %s: write result: %v\n", runner, err)
		return 1
	}
	return 0
}

// floorHistoryDDL creates the floor's history table: Flyway's ten columns
// and index, as Flyway creates them on PostgreSQL.
const floorHistoryDDL = `CREATE TABLE floor_schema_history (
    installed_rank integer NOT NULL,
    version varchar(50),
    description varchar(200) NOT NULL,
    type varchar(20) NOT NULL,
    script varchar(1000) NOT NULL,
    checksum integer,
    installed_by varchar(100) NOT NULL,
    installed_on timestamp NOT NULL DEFAULT now(),
    execution_time integer NOT NULL,
    success boolean NOT NULL,
    CONSTRAINT floor_schema_history_pk PRIMARY KEY (installed_rank)
);
CREATE INDEX floor_schema_history_s_idx ON floor_schema_history (success)`

// runFloor is the floor: the least a migration tool must do. One pgx
// connection; for each file in version order, one transaction holding the
// file's whole text as one simple-protocol query and one INSERT of a
// history row.
func runFloor(ctx context.Context, url, dir string) (childResult, error) {
	var res childResult
	start := time.Now()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return res, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	pg := conn.PgConn()
	res.ConnectMS = msSince(start)

	start = time.Now()
	files, err := floorFiles(dir)
	if err != nil {
		return res, err
	}
	if err := simple(ctx, pg, floorHistoryDDL); err != nil {
		return res, fmt.Errorf("create history table: %w", err)
	}
	for rank, f := range files {
		began := time.Now()
		text, sum, err := readText(filepath.Join(dir, f.script))
		if err != nil {
			return res, err
		}
		if err := simple(ctx, pg, "BEGIN"); err != nil {
			return res, fmt.Errorf("%s: begin: %w", f.script, err)
		}
		if err := simple(ctx, pg, text); err != nil {
			return res, fmt.Errorf("%s: %w", f.script, err)
		}
		insert := fmt.Sprintf("INSERT INTO floor_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES (%d, %s, %s, 'SQL', %s, %d, current_user, %d, true)",
			rank+1, literal(strconv.Itoa(f.version)), literal(f.description), literal(f.script),
			int32(sum), time.Since(began).Milliseconds())
		if err := simple(ctx, pg, insert); err != nil {
			return res, fmt.Errorf("%s: insert history row: %w", f.script, err)
		}
		if err := simple(ctx, pg, "COMMIT"); err != nil {
			return res, fmt.Errorf("%s: commit: %w", f.script, err)
		}
		res.Files++
		res.Bytes += int64(len(text))
	}
	res.ApplyMS = msSince(start)
	return res, nil
}

// runLimit is the physical limit of a single-schema workload: every file
// and every history row in one transaction, sent as one simple-protocol
// query: one round trip and one commit for the whole workload. No tool that
// gives each migration its own transaction can be faster; it shows how
// much of the floor's time is round trips and commits, and how much is the
// server running the SQL.
func runLimit(ctx context.Context, url, dir string) (childResult, error) {
	var res childResult
	start := time.Now()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return res, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	res.ConnectMS = msSince(start)

	start = time.Now()
	files, err := floorFiles(dir)
	if err != nil {
		return res, err
	}
	var b strings.Builder
	b.WriteString("BEGIN;\n" + floorHistoryDDL + ";\n")
	for rank, f := range files {
		text, sum, err := readText(filepath.Join(dir, f.script))
		if err != nil {
			return res, err
		}
		b.WriteString(text)
		fmt.Fprintf(&b, "\n;\nINSERT INTO floor_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES (%d, %s, %s, 'SQL', %s, %d, current_user, 0, true);\n",
			rank+1, literal(strconv.Itoa(f.version)), literal(f.description), literal(f.script), int32(sum))
		res.Files++
		res.Bytes += int64(len(text))
	}
	b.WriteString("COMMIT")
	if err := simple(ctx, conn.PgConn(), b.String()); err != nil {
		return res, err
	}
	res.ApplyMS = msSince(start)
	return res, nil
}

// floorTenantHistoryDDL is floorHistoryDDL with a tenant column: one
// history table, in the connection's default schema, for every tenant.
const floorTenantHistoryDDL = `CREATE TABLE floor_schema_history (
    tenant text NOT NULL,
    installed_rank integer NOT NULL,
    version varchar(50),
    description varchar(200) NOT NULL,
    type varchar(20) NOT NULL,
    script varchar(1000) NOT NULL,
    checksum integer,
    installed_by varchar(100) NOT NULL,
    installed_on timestamp NOT NULL DEFAULT now(),
    execution_time integer NOT NULL,
    success boolean NOT NULL,
    CONSTRAINT floor_schema_history_pk PRIMARY KEY (tenant, installed_rank)
);
CREATE INDEX floor_schema_history_s_idx ON floor_schema_history (success)`

// runFloorTenants is the floor of a tenant workload: runFloor's loop for
// each tenant in turn, on one connection, after one query that creates the
// tenant's schema and sets the search path to it. The files are read once,
// before the first tenant; the history rows go to one shared table.
func runFloorTenants(ctx context.Context, url, dir string, tenants []string) (childResult, error) {
	var res childResult
	start := time.Now()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return res, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	pg := conn.PgConn()
	res.ConnectMS = msSince(start)

	start = time.Now()
	files, err := floorFiles(dir)
	if err != nil {
		return res, err
	}
	texts := make([]string, len(files))
	sums := make([]uint32, len(files))
	for i, f := range files {
		if texts[i], sums[i], err = readText(filepath.Join(dir, f.script)); err != nil {
			return res, err
		}
		res.Bytes += int64(len(texts[i]))
	}
	var schema string
	if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return res, fmt.Errorf("default schema: %w", err)
	}
	history := pgx.Identifier{schema, "floor_schema_history"}.Sanitize()
	if err := simple(ctx, pg, floorTenantHistoryDDL); err != nil {
		return res, fmt.Errorf("create history table: %w", err)
	}
	for _, t := range tenants {
		id := pgx.Identifier{t}.Sanitize()
		if err := simple(ctx, pg, "CREATE SCHEMA "+id+"; SET search_path TO "+id); err != nil {
			return res, fmt.Errorf("%s: create schema: %w", t, err)
		}
		for rank, f := range files {
			began := time.Now()
			if err := simple(ctx, pg, "BEGIN"); err != nil {
				return res, fmt.Errorf("%s: %s: begin: %w", t, f.script, err)
			}
			if err := simple(ctx, pg, texts[rank]); err != nil {
				return res, fmt.Errorf("%s: %s: %w", t, f.script, err)
			}
			insert := fmt.Sprintf("INSERT INTO %s (tenant, installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES (%s, %d, %s, %s, 'SQL', %s, %d, current_user, %d, true)",
				history, literal(t), rank+1, literal(strconv.Itoa(f.version)), literal(f.description), literal(f.script),
				int32(sums[rank]), time.Since(began).Milliseconds())
			if err := simple(ctx, pg, insert); err != nil {
				return res, fmt.Errorf("%s: %s: insert history row: %w", t, f.script, err)
			}
			if err := simple(ctx, pg, "COMMIT"); err != nil {
				return res, fmt.Errorf("%s: %s: commit: %w", t, f.script, err)
			}
			res.Files++
		}
	}
	res.ApplyMS = msSince(start)
	return res, nil
}

// simple sends sql as one simple-protocol query and reads all its results.
func simple(ctx context.Context, pg *pgconn.PgConn, sql string) error {
	_, err := pg.Exec(ctx, sql).ReadAll()
	return err
}

type floorFile struct {
	script      string
	version     int
	description string
}

// floorFiles lists the V<integer>__<desc>.sql files of dir by version. The
// generated workloads use integer versions only.
func floorFiles(dir string) ([]floorFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	var files []floorFile
	for _, e := range entries {
		name := e.Name()
		v, desc, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "__")
		if e.IsDir() || !strings.HasSuffix(name, ".sql") || !ok || !strings.HasPrefix(v, "V") {
			continue
		}
		n, err := strconv.Atoi(v[1:])
		if err != nil {
			return nil, fmt.Errorf("list migrations: %s: version is not an integer", name)
		}
		files = append(files, floorFile{script: name, version: n, description: strings.ReplaceAll(desc, "_", " ")})
	}
	slices.SortFunc(files, func(a, b floorFile) int { return a.version - b.version })
	if len(files) == 0 {
		return nil, errors.New("list migrations: no V*__*.sql files")
	}
	return files, nil
}

// readText reads a file into one string without a second copy and returns
// its CRC-32 (of the raw bytes; not Flyway's line-normalized checksum).
func readText(path string) (string, uint32, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", 0, fmt.Errorf("read %s: %w", path, err)
	}
	var b strings.Builder
	b.Grow(int(st.Size()))
	h := crc32.NewIEEE()
	if _, err := io.Copy(io.MultiWriter(&b, h), f); err != nil {
		return "", 0, fmt.Errorf("read %s: %w", path, err)
	}
	return b.String(), h.Sum32(), nil
}

// literal quotes s as a PostgreSQL string literal
// (standard_conforming_strings on).
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func msSince(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }

// vmHWM returns the peak resident set of the current process image in KiB
// from /proc/self/status, or 0 where there is no such file.
func vmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return n
		}
	}
	return 0
}
