package undogen_test

import (
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/stratadb/strata/internal/pgsql"
	"github.com/stratadb/strata/internal/pgtest"
	"github.com/stratadb/strata/internal/undogen"
	"github.com/stratadb/strata/locations"
	"github.com/stratadb/strata/placeholders"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func source(t *testing.T, name string) undogen.Source {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := locations.Checksum(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return undogen.Source{Name: name, Text: string(b), Checksum: sum}
}

// run expands the placeholders of script and runs its statements one by
// one (CREATE INDEX CONCURRENTLY runs outside a transaction).
func run(t *testing.T, conn *pgx.Conn, script string) {
	t.Helper()
	x, err := placeholders.Expand(script, placeholders.Syntax{}, func(name string) (string, bool) {
		return map[string]string{"schema": "billing"}[name], name == "schema"
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := pgsql.Parse(x.Text, placeholders.Syntax{})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range s.Statements {
		if st.Err != nil {
			t.Fatalf("statement at %d: %v", st.Offset, st.Err)
		}
		if _, err := conn.Exec(context.Background(), s.Text(st)); err != nil {
			t.Fatalf("%s: %v", s.Text(st), err)
		}
	}
}

func dump(t *testing.T, url string) string {
	t.Helper()
	bin := "/usr/lib/postgresql/15/bin/pg_dump"
	if _, err := os.Stat(bin); err != nil {
		bin = "pg_dump"
	}
	out, err := exec.Command(bin, "--schema-only", "--no-owner", "--no-privileges", url).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("pg_dump: %v: %s", err, ee.Stderr)
		}
		t.Fatalf("pg_dump: %v", err)
	}
	// pg_dump 15.14 and later fence the dump with \restrict and a random key.
	var keep []string
	for _, l := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(l, "\\restrict ") && !strings.HasPrefix(l, "\\unrestrict ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// TestRestoresSchema runs the base schema, dumps it, runs the V script and
// the U script undo-gen wrote for it, and dumps again: the dumps are equal.
func TestRestoresSchema(t *testing.T) {
	url := pgtest.Database(t)
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	base, err := os.ReadFile("testdata/base.sql")
	if err != nil {
		t.Fatal(err)
	}
	run(t, conn, string(base))
	before := dump(t, url)

	src := source(t, "V2__reversible.sql")
	undo, err := undogen.Generate(src)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "U2__reversible.sql.golden", undo)
	if n := strings.Count(undo, "-- undoes line"); n < 12 {
		t.Fatalf("%d statements inverted, want at least 12", n)
	}
	run(t, conn, src.Text)
	if mid := dump(t, url); mid == before {
		t.Fatal("the V script changed nothing: the test proves nothing")
	}
	run(t, conn, undo)
	if after := dump(t, url); after != before {
		t.Fatalf("schema after V then U differs from before V:\n--- before\n%s\n--- after\n%s", before, after)
	}
	name, sum, ok := undogen.GeneratedFrom(undo)
	if !ok || name != src.Name || sum != src.Checksum {
		t.Fatalf("GeneratedFrom = %q, %d, %v; want %q, %d", name, sum, ok, src.Name, src.Checksum)
	}
}

// TestRefuses names each statement without an inverse, with its line.
func TestRefuses(t *testing.T) {
	_, err := undogen.Generate(source(t, "V3__drops.sql"))
	var re *undogen.RefusedError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a *RefusedError", err)
	}
	golden(t, "V3__drops.refused.golden", err.Error()+"\n")
	if re.Refusals[0].Line != 3 || !strings.HasPrefix(re.Refusals[0].Statement, "DROP TABLE app.legacy") {
		t.Fatalf("first refusal = %+v, want DROP TABLE on line 3", re.Refusals[0])
	}
}

// TestSelectInto: SELECT ... INTO creates a table, as CREATE TABLE AS.
func TestSelectInto(t *testing.T) {
	out, err := undogen.Generate(undogen.Source{Name: "V1__x.sql", Text: "SELECT * INTO archive.b FROM a;\nCREATE TABLE c AS SELECT 1 AS x;"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "\nDROP TABLE c;\n-- undoes line 1: SELECT * INTO archive.b FROM a\nDROP TABLE archive.b;\n") {
		t.Fatalf("undo script:\n%s", out)
	}
}

func TestGeneratedFromEdited(t *testing.T) {
	if _, _, ok := undogen.GeneratedFrom("-- undo of V1\nDROP TABLE a;\n"); ok {
		t.Fatal("a hand-written script reads as generated")
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Fatalf("%s differs (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func FuzzGenerate(f *testing.F) {
	for _, s := range []string{"CREATE TABLE a (id int);", "DROP TABLE x; ALTER TABLE ${s}.t ADD COLUMN c int", "CREATE TABLE (;", "'unterminated", "${x}", "CREATE FUNCTION f(a int) RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql; CREATE INDEX ON t (a)"} {
		f.Add(s)
	}
	// Compile the parser before the fuzzing starts: the first parse of a
	// process takes seconds, which the fuzzer would take for a hang.
	if _, err := pgsql.Parse("SELECT 1", placeholders.Syntax{}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		out, err := undogen.Generate(undogen.Source{Name: "V1__f.sql", Text: sql})
		var re *undogen.RefusedError
		if err != nil && !errors.As(err, &re) {
			t.Fatalf("err = %v, want nil or a *RefusedError", err)
		}
		if err == nil && !strings.HasPrefix(out, undogen.Header("V1__f.sql", 0)) {
			t.Fatalf("no header: %q", out)
		}
	})
}

// TestRefusalReasons covers the refusals that depend on what the database
// held before, one statement each.
func TestRefusalReasons(t *testing.T) {
	for _, tc := range []struct{ sql, reason string }{
		{"CREATE TABLE IF NOT EXISTS a (id int)", "IF NOT EXISTS"},
		{"CREATE OR REPLACE VIEW v AS SELECT 1", "OR REPLACE"},
		{"CREATE INDEX ON a (id)", "the name is chosen by the server"},
		{"ALTER TABLE a ADD CHECK (id > 0)", "without a name"},
		{"ALTER TABLE a ADD CONSTRAINT a_pk PRIMARY KEY USING INDEX a_idx", "USING INDEX"},
		{"ALTER TABLE a ALTER COLUMN id SET NOT NULL", "SetNotNull"},
		{"ALTER TABLE IF EXISTS a ADD COLUMN b int", "IF EXISTS"},
		{"GRANT SELECT ON a TO r", "privileges"},
		{"TRUNCATE a", "data change"},
		{"SELECT 1", "no inverse for this statement"},
		{"ALTER TYPE e ADD VALUE 'x'", "no inverse for this statement"},
	} {
		_, err := undogen.Generate(undogen.Source{Name: "V1__x.sql", Text: tc.sql})
		var re *undogen.RefusedError
		if !errors.As(err, &re) || len(re.Refusals) != 1 || !strings.Contains(re.Refusals[0].Reason, tc.reason) {
			t.Errorf("%s: err = %v, want one refusal saying %q", tc.sql, err, tc.reason)
		}
	}
}
