package main

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// A workload is a generated set of migration files and the targets Strata
// must meet against the floor on it.
type workload struct {
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Dir         string  `json:"-"`
	Files       int     `json:"files"`
	Bytes       int64   `json:"bytes"`
	MaxRatio    float64 `json:"max_time_ratio,omitempty"`     // 0: no ratio target (W3)
	MaxRSSKiB   int64   `json:"max_strata_rss_kib,omitempty"` // 0: no memory target
	Tenants     int     `json:"tenants,omitempty"`            // W2, W3: tenant schemas, each gets every file
	Parallel    int     `json:"parallel,omitempty"`           // W2, W3: Strata's tenants at once
	MaxMS       float64 `json:"max_process_ms,omitempty"`     // W3: absolute target per process
}

// target describes the workload's targets for the report.
func (w *workload) target() string {
	if w.MaxMS > 0 {
		return fmt.Sprintf("process < %.0f ms", w.MaxMS)
	}
	s := fmt.Sprintf("time <= %.1fx", w.MaxRatio)
	if w.MaxRSSKiB > 0 {
		s += fmt.Sprintf(", rss < %d MiB", w.MaxRSSKiB/1024)
	}
	return s
}

// applications is the number of file applications a run makes: every file
// once per tenant, or once without tenants.
func (w *workload) applications() int { return w.Files * max(w.Tenants, 1) }

// generate writes the named workload under parent and returns it.
func generate(parent, name string, o options) (*workload, error) {
	dir := filepath.Join(parent, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("generate %s: %w", name, err)
	}
	w := &workload{Name: name, Dir: dir}
	var err error
	switch name {
	case "w1":
		w.Description = fmt.Sprintf("1 schema x %d small migrations", o.w1Files)
		w.MaxRatio = 0.8
		err = generateW1(w, o.w1Files)
	case "w2":
		w.Description = fmt.Sprintf("%d tenant schemas x %d small migrations, Strata with parallel = %d, floor sequential", o.w2Tenants, len(tenantApp), o.w2Par)
		w.MaxRatio = 0.5
		w.Tenants, w.Parallel = o.w2Tenants, o.w2Par
		err = generateTenantApp(w, len(tenantApp))
	case "w3", "w3-10k":
		tenants := o.w3Tenants
		if name == "w3-10k" {
			tenants = 10000
		}
		w.Description = fmt.Sprintf("no-op migrate and info over %d up-to-date tenants x %d migrations (strata CLI)", tenants, o.w3Files)
		w.MaxMS = 200
		w.Tenants, w.Parallel = tenants, 4
		err = generateTenantApp(w, o.w3Files)
	case "w4":
		w.Description = fmt.Sprintf("one %d MiB data migration of multi-row INSERTs", o.w4MiB)
		w.MaxRatio = 1.1
		w.MaxRSSKiB = 32 << 10
		err = generateW4(w, int64(o.w4MiB)<<20)
	case "w6":
		w.Description = fmt.Sprintf("%d tenant schemas over two instances (two databases) x %d small migrations, strata migrate with parallel = %d per instance, beside the same on one database (strata CLI)", o.w6Tenants, o.w6Files, o.w2Par)
		w.Tenants, w.Parallel = o.w6Tenants, o.w2Par
		err = generateTenantApp(w, o.w6Files)
	case "w5":
		w.Description = fmt.Sprintf("%d strata migrate processes at once vs one alone, 1 schema x %d small migrations (strata CLI)", o.w5Runners, o.w5Files)
		err = generateW1(w, o.w5Files)
	default:
		return nil, fmt.Errorf("generate %s: unknown workload (want w1, w2, w3, w3-10k, w4 or w5)", name)
	}
	if err != nil {
		return nil, fmt.Errorf("generate %s: %w", name, err)
	}
	return w, nil
}

// writeFile writes one migration file and counts it in w.
func (w *workload) writeFile(name, text string) error {
	if err := os.WriteFile(filepath.Join(w.Dir, name), []byte(text), 0o644); err != nil {
		return err
	}
	w.Files++
	w.Bytes += int64(len(text))
	return nil
}

// generateW1 writes n small migrations V1..Vn. They come in groups of four
// per table app_NNN: create table + index, add column, insert a few rows,
// create index. Each table references the previous one, and each seed
// looks up a row of the previous table, so every file depends only on
// earlier ones.
func generateW1(w *workload, n int) error {
	r := rand.New(rand.NewPCG(1, 1))
	for v := 1; v <= n; v++ {
		g, step := (v-1)/4, (v-1)%4
		t := fmt.Sprintf("app_%03d", g)
		prev := fmt.Sprintf("app_%03d", g-1)
		var name string
		var b strings.Builder
		switch step {
		case 0:
			name = fmt.Sprintf("V%d__create_%s.sql", v, t)
			fmt.Fprintf(&b, "-- Create %s, one of the application's tables.\n", t)
			fmt.Fprintf(&b, "CREATE TABLE %s (\n", t)
			b.WriteString("    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n")
			if g > 0 {
				fmt.Fprintf(&b, "    parent_id   bigint REFERENCES %s (id),\n", prev)
			} else {
				b.WriteString("    parent_id   bigint,\n")
			}
			b.WriteString("    code        text NOT NULL UNIQUE,\n")
			b.WriteString("    name        text NOT NULL,\n")
			b.WriteString("    amount      numeric(12,2) NOT NULL DEFAULT 0,\n")
			b.WriteString("    created_at  timestamptz NOT NULL DEFAULT now()\n")
			b.WriteString(");\n\n")
			fmt.Fprintf(&b, "CREATE INDEX %s_parent_idx ON %s (parent_id);\n\n", t, t)
			fmt.Fprintf(&b, "COMMENT ON TABLE %s IS 'Benchmark table %d: parent is the previous table';\n", t, g)
		case 1:
			name = fmt.Sprintf("V%d__add_%s_status.sql", v, t)
			fmt.Fprintf(&b, "-- Track a status on %s.\n", t)
			fmt.Fprintf(&b, "ALTER TABLE %s ADD COLUMN status text NOT NULL DEFAULT 'new';\n", t)
			fmt.Fprintf(&b, "ALTER TABLE %s ADD CONSTRAINT %s_status_check\n", t, t)
			b.WriteString("    CHECK (status IN ('new', 'active', 'closed'));\n")
		case 2:
			name = fmt.Sprintf("V%d__seed_%s.sql", v, t)
			fmt.Fprintf(&b, "-- Seed %s.\n", t)
			fmt.Fprintf(&b, "INSERT INTO %s (parent_id, code, name, amount, status) VALUES\n", t)
			statuses := []string{"new", "active", "closed"}
			for i := 1; i <= 5; i++ {
				parent := "NULL"
				if g > 0 {
					parent = fmt.Sprintf("(SELECT id FROM %s WHERE code = '%s-%d')", prev, prev, i)
				}
				sep := ",\n"
				if i == 5 {
					sep = ";\n"
				}
				fmt.Fprintf(&b, "    (%s, '%s-%d', 'Item %d of %s', %d.%02d, '%s')%s",
					parent, t, i, i, t, r.IntN(100000), r.IntN(100), statuses[r.IntN(3)], sep)
			}
		case 3:
			name = fmt.Sprintf("V%d__index_%s_status.sql", v, t)
			fmt.Fprintf(&b, "-- Speed up the status listing of %s.\n", t)
			fmt.Fprintf(&b, "CREATE INDEX %s_status_created_idx ON %s (status, created_at DESC);\n", t, t)
		}
		if err := w.writeFile(name, b.String()); err != nil {
			return err
		}
	}
	return nil
}

// rowsPerInsert is the number of rows in each INSERT of W4.
const rowsPerInsert = 1000

// generateW4 writes V1__load_events.sql: CREATE TABLE events at the top,
// then INSERT statements of rowsPerInsert rows each until the file holds at
// least size bytes. It streams, so the generator's memory stays small.
func generateW4(w *workload, size int64) (err error) {
	const name = "V1__load_events.sql"
	f, err := os.Create(filepath.Join(w.Dir, name))
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	cw := &countingWriter{w: f}
	b := bufio.NewWriterSize(cw, 1<<20)
	b.WriteString("-- Load a year of events: one large data migration.\n")
	b.WriteString("CREATE TABLE events (\n")
	b.WriteString("    id          bigint PRIMARY KEY,\n")
	b.WriteString("    account_id  integer NOT NULL,\n")
	b.WriteString("    kind        text NOT NULL,\n")
	b.WriteString("    occurred_at timestamptz NOT NULL,\n")
	b.WriteString("    amount      numeric(12,2),\n")
	b.WriteString("    payload     jsonb,\n")
	b.WriteString("    note        text\n")
	b.WriteString(");\n")

	r := rand.New(rand.NewPCG(4, 4))
	kinds := []string{"login", "logout", "purchase", "refund", "page.view", "search", "signup"}
	notes := []string{"", "first visit", "O''Brien''s order", "paid by card", "café au lait",
		"retry after timeout", "line one\nline two", "50% off; applied twice", "naïve — résumé"}
	var row []byte
	id := 0
	for int64(b.Buffered())+cw.n < size {
		b.WriteString("\nINSERT INTO events (id, account_id, kind, occurred_at, amount, payload, note) VALUES\n")
		for i := range rowsPerInsert {
			id++
			row = row[:0]
			row = append(row, '(')
			row = strconv.AppendInt(row, int64(id), 10)
			row = append(row, ", "...)
			row = strconv.AppendInt(row, int64(r.IntN(50000)+1), 10)
			row = append(row, ", '"...)
			row = append(row, kinds[r.IntN(len(kinds))]...)
			row = append(row, "', '2024-"...)
			row = appendPadded(row, r.IntN(12)+1)
			row = append(row, '-')
			row = appendPadded(row, r.IntN(28)+1)
			row = append(row, ' ')
			row = appendPadded(row, r.IntN(24))
			row = append(row, ':')
			row = appendPadded(row, r.IntN(60))
			row = append(row, ':')
			row = appendPadded(row, r.IntN(60))
			row = append(row, "+00', "...)
			if r.IntN(10) == 0 {
				row = append(row, "NULL"...)
			} else {
				row = strconv.AppendInt(row, int64(r.IntN(100000)), 10)
				row = append(row, '.')
				row = appendPadded(row, r.IntN(100))
			}
			row = append(row, `, '{"ip": "10.`...)
			row = strconv.AppendInt(row, int64(r.IntN(256)), 10)
			row = append(row, '.')
			row = strconv.AppendInt(row, int64(r.IntN(256)), 10)
			row = append(row, `.1", "ok": `...)
			row = strconv.AppendBool(row, r.IntN(4) != 0)
			row = append(row, `, "tags": ["a", "b"]}', `...)
			if n := notes[r.IntN(len(notes))]; n == "" {
				row = append(row, "NULL"...)
			} else {
				row = append(row, '\'')
				row = append(row, n...)
				row = append(row, '\'')
			}
			if i == rowsPerInsert-1 {
				row = append(row, ");\n"...)
			} else {
				row = append(row, "),\n"...)
			}
			b.Write(row)
		}
	}
	if err := b.Flush(); err != nil {
		return err
	}
	w.Files++
	w.Bytes += cw.n
	return nil
}

func appendPadded(b []byte, n int) []byte {
	if n < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(n), 10)
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
