package lint_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stratadb/strata/internal/lint"
	"github.com/stratadb/strata/internal/pgsql"
	"github.com/stratadb/strata/placeholders"
)

// exampleFiles are the migrations of the repository's examples, in path
// order, but for the SQL Server and MySQL examples' (T-SQL and MySQL, which PostgreSQL's
// parser refuses).
func exampleFiles(tb testing.TB) []lint.File {
	tb.Helper()
	var out []lint.File
	err := filepath.WalkDir("../../examples", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".sql") || !strings.Contains(p, "migrations") || strings.Contains(p, "sqlserver") || strings.Contains(p, "mysql") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, file(tb, p, string(b)))
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// generated returns n migrations shaped as a product's history: tables
// with keys and defaults, columns added, indexes (concurrent or not),
// foreign keys and checks, views, functions and triggers, seeds, renames,
// backfills, and the odd drop.
func generated(tb testing.TB, n int) []lint.File {
	var out []lint.File
	for i := 1; i <= n; i++ {
		t := fmt.Sprintf("t%03d", i)
		prev := fmt.Sprintf("t%03d", max(1, i-1))
		var b strings.Builder
		fmt.Fprintf(&b, "-- Migration %d: %s\n", i, t)
		switch i % 8 {
		case 0:
			fmt.Fprintf(&b, "-- strata:transaction=false\nCREATE INDEX CONCURRENTLY %s_created ON ${schema}.%s (created_at DESC) WHERE deleted_at IS NULL;\n", prev, prev)
		case 1:
			fmt.Fprintf(&b, `CREATE TABLE ${schema}.%s (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL,
    name text NOT NULL CHECK (length(name) < 200),
    status text NOT NULL DEFAULT 'active',
    payload jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz,
    deleted_at timestamptz,
    UNIQUE (account_id, name)
);
CREATE INDEX %s_account ON ${schema}.%s (account_id);
COMMENT ON TABLE ${schema}.%s IS 'Rows of %s, owned by ${app_name}';
`, t, t, t, t, t)
		case 2:
			fmt.Fprintf(&b, "SET lock_timeout = '5s';\nALTER TABLE %s ADD COLUMN note text, ADD COLUMN score integer NOT NULL DEFAULT 0;\nALTER TABLE %s ADD CONSTRAINT %s_score CHECK (score >= 0) NOT VALID;\n", prev, prev, prev)
		case 3:
			fmt.Fprintf(&b, "ALTER TABLE %s VALIDATE CONSTRAINT %s_score;\nCREATE OR REPLACE VIEW %s_active AS\n  SELECT id, account_id, name FROM %s WHERE deleted_at IS NULL AND status = 'active';\n", prev, prev, prev, prev)
		case 4:
			fmt.Fprintf(&b, `CREATE OR REPLACE FUNCTION %s_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;
CREATE TRIGGER %s_touch BEFORE UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION %s_touch();
`, prev, prev, prev, prev)
		case 5:
			fmt.Fprintf(&b, "INSERT INTO %s (account_id, name) VALUES (1, 'first'), (1, 'second'), (2, 'third');\nUPDATE %s SET status = 'archived' WHERE created_at < now() - interval '1 year';\n", prev, prev)
		case 6:
			fmt.Fprintf(&b, "ALTER TABLE %s ADD CONSTRAINT %s_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id);\nALTER TABLE %s ALTER COLUMN note TYPE varchar(500);\nALTER TABLE %s RENAME COLUMN note TO remark;\n", prev, prev, prev, prev)
		case 7:
			fmt.Fprintf(&b, "ALTER TABLE %s ALTER COLUMN remark SET NOT NULL;\nDROP INDEX IF EXISTS %s_old;\nALTER TABLE %s DROP COLUMN IF EXISTS legacy;\nGRANT SELECT ON %s TO ${app_role};\n", prev, prev, prev, prev)
		}
		out = append(out, file(tb, fmt.Sprintf("gen/V%d__%s.sql", i, t), b.String()))
	}
	return out
}

// BenchmarkLint lints the examples' migrations and 200 generated ones,
// the parser loaded (its first use compiles the WebAssembly module; that is
// outside the timing). One op is one lint run over all of them.
func BenchmarkLint(b *testing.B) {
	files := append(exampleFiles(b), generated(b, 200)...)
	if _, err := pgsql.Parse("SELECT 1", placeholders.Syntax{}); err != nil {
		b.Fatal(err)
	}
	statements := 0
	for _, f := range files {
		s, err := pgsql.Parse(f.Text, placeholders.Syntax{})
		if err != nil {
			b.Fatal(err)
		}
		statements += len(s.Statements)
	}
	for b.Loop() {
		if _, err := lint.Lint(files, lint.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(files)), "files")
	b.ReportMetric(float64(statements), "statements")
}

// TestGeneratedParse keeps the benchmark's input honest: every generated
// statement parses, and lint finds something in it.
func TestGeneratedParse(t *testing.T) {
	files := append(exampleFiles(t), generated(t, 200)...)
	fs, err := lint.Lint(files, lint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.Rule == "parse-error" {
			t.Errorf("%v", f)
		}
	}
	if len(fs) == 0 {
		t.Fatal("no finding in 200 generated migrations")
	}
	if len(files) < 200 {
		t.Fatalf("%d files", len(files))
	}
}
